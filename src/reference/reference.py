#!/usr/bin/env python3
"""Plain PyTorch peer of a Steering Lab run: the same layers, split, targets,
epochs, batches, optimiser, schedule and augmentation, with PyTorch's own
default initialisation and random streams (torch.manual_seed(seed)).

Usage: reference.py JOB.json   (written by src/reference/index.ts; format in
src/reference/job.ts). Imports only torch, numpy and the standard library.

Output:
- stdout: one JSON object per line, one per progress event, each with an
  "event" field: ready, run-start, step, epoch, run-done, probe-done,
  forward-done.
- stderr: a one-line error (and the traceback) when the job fails; exit 1.
- the job's resultPath: the results JSON, written atomically at the end.

Mode "train" trains every run of the job and returns the last epoch's
validation predictions in degrees. Mode "probe" augments a few training
samples and writes the model inputs (float32, NHWC, after the input
normalisation) and the drawn parameters, so the lab can check this mirror of
its augmentation against its own code, and runs the network with the lab's
exported weights on a few validation frames, so the lab can check the
forward pass (src/reference/checks.ts).
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# The lab's constants (src/model/activations.ts, src/model/index.ts, src/train/optimizer.ts).
LEAKY_RELU_ALPHA = 0.01
BN_MOMENTUM_KERAS = 0.99  # moving = 0.99 * moving + 0.01 * batch; PyTorch's momentum is the 0.01
BN_EPSILON = 1e-3
ADAM_BETAS = (0.9, 0.999)
OPT_EPSILON = 1e-7
RMSPROP_DECAY = 0.9
# Seconds between two step events on stdout (a line per step would flood a slow pipe).
STEP_EVENT_INTERVAL_S = 0.5

ACTIVATIONS = {
    'relu': F.relu,
    'elu': F.elu,
    'leaky_relu': lambda x: F.leaky_relu(x, LEAKY_RELU_ALPHA),
    'tanh': torch.tanh,
    'sigmoid': torch.sigmoid,
    'linear': lambda x: x,
}


def emit(event):
    """One progress event as a JSON line on stdout (flushed: the lab reads it live)."""
    sys.stdout.write(json.dumps(event) + '\n')
    sys.stdout.flush()


def write_json_atomic(path, value):
    tmp = '%s.tmp-%d' % (path, os.getpid())
    with open(tmp, 'w') as f:
        json.dump(value, f)
    os.replace(tmp, path)


def finite_or_nan(values):
    """JSON null (a dropped frame's angle) -> NaN, as float64 degrees."""
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def json_number(x):
    """NaN/Inf are not JSON: null."""
    return float(x) if math.isfinite(x) else None


# ---------------------------------------------------------------- model


def flat(h):
    """Flattens NCHW in NHWC order, as the lab's tf.reshape of NHWC does (dense kernels line up with the lab's)."""
    return h.permute(0, 2, 3, 1).reshape(h.shape[0], -1) if h.dim() == 4 else h


def head_output(kind, pre, k):
    if kind == 'linear':
        return pre
    if kind == 'tanh':
        return torch.tanh(pre)
    if kind == 'scaled_tanh':
        return k * torch.tanh(pre)
    raise ValueError('unknown head %r' % kind)


class Regressor(nn.Module):
    """The lab's plan (src/model/plan.ts) as PyTorch modules: conv/dense (+bias) -> batchnorm -> activation -> dropout (dense only)."""

    def __init__(self, m):
        super().__init__()
        self.m = m
        self.layers = nn.ModuleList()
        self.norms = nn.ModuleList()
        for spec in m['trunk']:
            conv = spec['kind'] == 'conv'
            if conv:
                self.layers.append(nn.Conv2d(spec['inC'], spec['outC'], spec['kernel'], stride=spec['stride']))
                out = spec['outC']
            else:
                self.layers.append(nn.Linear(spec['inUnits'], spec['outUnits']))
                out = spec['outUnits']
            if m['batchnorm']:
                bn = nn.BatchNorm2d if conv else nn.BatchNorm1d
                self.norms.append(bn(out, eps=BN_EPSILON, momentum=1 - BN_MOMENTUM_KERAS))
            else:
                self.norms.append(nn.Identity())
        self.head = nn.Linear(m['head']['inUnits'], 1)
        self.aux = nn.ModuleList(nn.Linear(a['inUnits'], 1) for a in m['aux'])
        self.drop = nn.Dropout(m['dropout']) if m['dropout'] > 0 else None
        self.checked = False

    def forward(self, x):
        """x: N x C x H x W model input. Returns (main output [N], [aux outputs [N]])."""
        outs = {}
        h = x
        for spec, layer, norm in zip(self.m['trunk'], self.layers, self.norms):
            if spec['kind'] == 'conv':
                top, bottom, left, right = spec['pad']
                if top or bottom or left or right:
                    h = F.pad(h, (left, right, top, bottom))
                z = layer(h)
                if not self.checked and tuple(z.shape[2:]) != (spec['outH'], spec['outW']):
                    raise ValueError('%s gives %dx%d, the plan says %dx%d' % (spec['name'], z.shape[2], z.shape[3], spec['outH'], spec['outW']))
            else:
                z = layer(flat(h))
            h = ACTIVATIONS[spec['activation']](norm(z))
            if self.drop is not None and spec['kind'] == 'dense':
                h = self.drop(h)
            outs[spec['name']] = h
        self.checked = True
        k = self.m['headScale']
        main = head_output(self.m['head']['head'], self.head(flat(h)), k)[:, 0]
        aux = [head_output(a['head'], lin(flat(outs[a['after']])), k)[:, 0] for a, lin in zip(self.m['aux'], self.aux)]
        return main, aux

    def kernels(self):
        """Every conv/dense/head kernel (the L2 penalty's terms; biases and batchnorm are exempt, as in the lab)."""
        return [layer.weight for layer in self.layers] + [self.head.weight] + [a.weight for a in self.aux]


class TfRmsprop(torch.optim.Optimizer):
    """The lab's RMSprop (tf.train semantics): ms = 0.9 ms + 0.1 g^2; w -= lr g / sqrt(ms + eps).
    torch.optim.RMSprop adds eps outside the square root, which differs where gradients are tiny."""

    def __init__(self, params, lr):
        super().__init__(params, {'lr': lr})

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group['params']:
                if p.grad is None:
                    continue
                ms = self.state[p].setdefault('ms', torch.zeros_like(p))
                ms.mul_(RMSPROP_DECAY).addcmul_(p.grad, p.grad, value=1 - RMSPROP_DECAY)
                p.addcdiv_(p.grad, (ms + OPT_EPSILON).sqrt(), value=-group['lr'])


def make_optimizer(cfg, params):
    if cfg['name'] == 'adam':
        return torch.optim.Adam(params, lr=cfg['learningRate'], betas=ADAM_BETAS, eps=OPT_EPSILON)
    if cfg['name'] == 'sgd':
        # v = momentum v + g; w -= lr v: the lab's SGD (dampening 0, no Nesterov).
        return torch.optim.SGD(params, lr=cfg['learningRate'], momentum=cfg['momentum'])
    if cfg['name'] == 'rmsprop':
        return TfRmsprop(params, cfg['learningRate'])
    raise ValueError('unknown optimizer %r' % cfg['name'])


def learning_rate_at(step, cfg, total_steps, steps_per_epoch):
    """src/train/schedule.ts learningRateAt, line for line."""
    lr = cfg['learningRate']
    warm = cfg['warmupSteps']
    if warm > 0 and step < warm:
        return lr * (step + 1) / warm
    if cfg['schedule'] == 'constant':
        return lr
    if cfg['schedule'] == 'cosine':
        span = max(1, total_steps - warm)
        p = min(1.0, max(0.0, (step - warm) / span))
        return cfg['lrMin'] + 0.5 * (lr - cfg['lrMin']) * (1 + math.cos(math.pi * p))
    if cfg['schedule'] == 'step':
        epoch = step // max(1, steps_per_epoch)
        return lr * cfg['gamma'] ** (epoch // cfg['stepEvery'])
    raise ValueError('unknown schedule %r' % cfg['schedule'])


# ---------------------------------------------------------------- data


class Frames:
    """The job's uint8 frame file (records x H x W x 3), read by position through a memory map (never all as floats)."""

    def __init__(self, d):
        self.h, self.w, self.c = d['height'], d['width'], d['channels']
        expected = d['records'] * self.h * self.w * self.c
        size = os.path.getsize(d['framesPath'])
        if size != expected:
            raise ValueError('%s holds %d bytes, expected %d (%d records of %dx%dx%d)' % (d['framesPath'], size, expected, d['records'], self.h, self.w, self.c))
        self.u8 = np.memmap(d['framesPath'], dtype=np.uint8, mode='r', shape=(d['records'], self.h, self.w, self.c))

    def batch(self, positions):
        """Pixels / 255 in [0, 1], N x C x H x W float32, stored channels-last (the file's NHWC order, which
        oneDNN's convolutions prefer: no reorder per layer)."""
        x = torch.from_numpy(np.ascontiguousarray(self.u8[positions])).float().div_(255)
        return x.permute(0, 3, 1, 2)


def draw_augment(n, aug):
    """Per-sample draws from torch's seeded stream: flip (p 1/2), integer shift in [-shiftPx, shiftPx] px,
    brightness offset U(-b, b), contrast factor U(1-c, 1+c)."""
    flip = torch.rand(n) < 0.5 if aug['flip'] else torch.zeros(n, dtype=torch.bool)
    s = aug['shiftPx']
    shift = torch.randint(-s, s + 1, (n,)) if s > 0 else torch.zeros(n, dtype=torch.long)
    b, c = aug['brightness'], aug['contrast']
    bright = (torch.rand(n, dtype=torch.float64) * 2 - 1) * b if b > 0 else torch.zeros(n, dtype=torch.float64)
    contrast = 1 + (torch.rand(n, dtype=torch.float64) * 2 - 1) * c if c > 0 else torch.ones(n, dtype=torch.float64)
    return {'flip': flip, 'shift': shift, 'brightness': bright, 'contrast': contrast}


def apply_augment(x, ang, p, aug):
    """src/data/augment.ts augmentInPlace on a batch: x N x C x H x W in [0, 1]; ang float64 degrees (positive = right)."""
    n, _, _, w = x.shape
    if aug['flip']:
        x = torch.where(p['flip'].view(-1, 1, 1, 1), x.flip(3), x)
        # A mirrored road curves the other way.
        ang = torch.where(p['flip'], -ang, ang)
    if aug['shiftPx'] > 0:
        # Picture moved s px right: output column j shows input column j - s, the edge column repeats.
        src = (torch.arange(w).view(1, w) - p['shift'].view(-1, 1)).clamp(0, w - 1)
        x = x.gather(3, src.view(n, 1, 1, w).expand_as(x))
        ang = ang + p['shift'].double() * aug['shiftDegPerPx']
    if aug['brightness'] > 0 or aug['contrast'] > 0:
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        k = p['contrast'].float().view(-1, 1, 1, 1)
        b = p['brightness'].float().view(-1, 1, 1, 1)
        x = ((x - mean) * k + mean + b).clamp(0, 1)
    return x, ang


def normalise_input(x, how):
    """'centered': [0, 1] -> [-1, 1] (x/127.5 - 1 of the pixels), after augmentation as in the lab; 'unit': as is."""
    return x * 2 - 1 if how == 'centered' else x


# ---------------------------------------------------------------- training


def predict(model, frames, positions, tr, batch_size, input_norm):
    """Inference-mode main-head outputs (target units) and predictions in degrees (degrees = scale * output + offset)."""
    model.eval()
    outs = []
    with torch.no_grad():
        for start in range(0, len(positions), batch_size):
            x = normalise_input(frames.batch(positions[start:start + batch_size]), input_norm)
            outs.append(model(x.contiguous(memory_format=torch.channels_last))[0].double())
    out = torch.cat(outs).numpy() if outs else np.zeros(0)
    return out, tr['scale'] * out + tr['offset']


def validate(model, frames, positions, angles, tr, batch_size, input_norm):
    """Predictions in degrees, val loss in target units and the script's own MAE/RMSE in degrees over the finite
    true angles."""
    out, pred = predict(model, frames, positions, tr, batch_size, input_norm)
    ok = np.isfinite(angles)
    err = pred[ok] - angles[ok]
    target = (angles[ok] - tr['offset']) / tr['scale']
    n = int(ok.sum())
    return {
        'predDeg': pred,
        'valLoss': float(np.mean((out[ok] - target) ** 2)) if n else math.nan,
        'maeDeg': float(np.mean(np.abs(err))) if n else math.nan,
        'rmseDeg': float(np.sqrt(np.mean(err ** 2))) if n else math.nan,
        'n': n,
    }


def train_step(model, opt, x, y, run):
    """MSE in target units (+ aux heads, + l2 * sum of squared kernels), clip, update. Returns the loss."""
    model.train()
    main, aux = model(x)
    loss = F.mse_loss(main, y)
    for a, out in zip(run['model']['aux'], aux):
        if a['lossWeight'] > 0:
            loss = loss + a['lossWeight'] * F.mse_loss(out, y)
    if run['l2'] > 0:
        loss = loss + run['l2'] * sum((k ** 2).sum() for k in model.kernels())
    opt.zero_grad(set_to_none=True)
    loss.backward()
    clip = run['optimizer'].get('clipNorm')
    if clip:
        # The lab's clip: scale = min(1, clip / (global L2 norm + 1e-12)) on every gradient.
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        norm = torch.sqrt(sum((g.double() ** 2).sum() for g in grads))
        scale = min(1.0, clip / (float(norm) + 1e-12))
        for g in grads:
            g.mul_(scale)
    opt.step()
    return float(loss)


def build_model(run):
    # Channels-last weights and activations: the same arithmetic, about 1.5x faster on CPU (oneDNN).
    model = Regressor(run['model']).to(memory_format=torch.channels_last)
    const = (run.get('debug') or {}).get('headConst')
    if const is not None:
        # Test hook: a head whose pre-activation is `const` for every input exercises the target inversion alone.
        with torch.no_grad():
            model.head.weight.zero_()
            model.head.bias.fill_(const)
    return model


def steps_of(run, n_train):
    full = -(-n_train // run['batchSize'])
    m = run['maxStepsPerEpoch']
    return min(full, m) if m > 0 else full


class RunLoop:
    """The pieces of a run's training loop, shared by train_run and the end-to-end bench's peer
    (bench/e2e_peer.py): the seeded model and optimiser, the split, the batches, the schedule."""

    def __init__(self, run, data):
        # Seed first: the model's initialisation draws from torch's stream, then the shuffles and augmentation.
        torch.manual_seed(run['seed'])
        self.run = run
        self.model = build_model(run)
        self.opt = make_optimizer(run['optimizer'], self.model.parameters())
        self.train_pos = np.asarray(data['trainPositions'], dtype=np.int64)
        self.train_ang = finite_or_nan(data['trainAnglesDeg'])
        self.val_pos = np.asarray(data['valPositions'], dtype=np.int64)
        self.val_ang = finite_or_nan(data['valAnglesDeg'])
        self.per_epoch = steps_of(run, len(self.train_pos))
        self.total = run['epochs'] * self.per_epoch

    def shuffle(self):
        """An epoch's order of the training samples."""
        return torch.randperm(len(self.train_pos)).numpy()

    def batch(self, frames, order, s):
        """Step s's frames (uint8 -> float, NCHW) and angles (degrees), or None when none of its samples has an angle."""
        bs = self.run['batchSize']
        idx = order[s * bs:(s + 1) * bs]
        # Samples whose angle was dropped (NaN) cannot be learnt from, as in the lab's finiteBatch.
        idx = idx[np.isfinite(self.train_ang[idx])]
        if len(idx) == 0:
            return None
        return frames.batch(self.train_pos[idx]), torch.from_numpy(self.train_ang[idx])

    def inputs(self, x, ang):
        """The model's input (augmented, normalised, channels-last) and target (model units) of a batch."""
        run = self.run
        tr = run['transform']
        x, ang = apply_augment(x, ang, draw_augment(len(ang), run['augment']), run['augment'])
        x = normalise_input(x, run['inputNorm']).contiguous(memory_format=torch.channels_last)
        return x, ((ang - tr['offset']) / tr['scale']).float()

    def step(self, step, x, y):
        """Training step number `step` (from 0) at the schedule's learning rate; returns the loss."""
        for g in self.opt.param_groups:
            g['lr'] = learning_rate_at(step, self.run['optimizer'], self.total, self.per_epoch)
        return train_step(self.model, self.opt, x, y, self.run)

    def validate(self, frames):
        """The validation pass (see validate)."""
        run = self.run
        return validate(self.model, frames, self.val_pos, self.val_ang, run['transform'], run['batchSize'], run['inputNorm'])


def train_run(run, index, n_runs, data, frames):
    """One run: seeded init, per-epoch shuffles, augmentation, the lab's schedule; last epoch's validation."""
    t0 = time.perf_counter()
    loop = RunLoop(run, data)
    per_epoch = loop.per_epoch
    total = loop.total
    emit({'event': 'run-start', 'runId': run['runId'], 'run': index, 'runs': n_runs, 'epochs': run['epochs'], 'stepsPerEpoch': per_epoch, 'totalSteps': total})
    step = 0
    samples = 0
    train_s = 0.0
    last_emit = 0.0
    losses_per_epoch = []
    ev = None
    for epoch in range(run['epochs']):
        te = time.perf_counter()
        order = loop.shuffle()
        losses = []
        for s in range(per_epoch):
            b = loop.batch(frames, order, s)
            if b is None:
                continue
            x, y = loop.inputs(*b)
            losses.append(loop.step(step, x, y))
            step += 1
            samples += len(y)
            now = time.perf_counter()
            if now - last_emit >= STEP_EVENT_INTERVAL_S:
                last_emit = now
                emit({'event': 'step', 'runId': run['runId'], 'run': index, 'epoch': epoch, 'step': step, 'totalSteps': total, 'loss': json_number(losses[-1])})
        train_s += time.perf_counter() - te
        loss = float(np.mean(losses)) if losses else math.nan
        losses_per_epoch.append(json_number(loss))
        if run.get('validateEveryEpoch', True) or epoch == run['epochs'] - 1:
            ev = loop.validate(frames)
            emit({'event': 'epoch', 'runId': run['runId'], 'run': index, 'epoch': epoch, 'epochs': run['epochs'], 'trainLoss': json_number(loss),
                  'valLoss': json_number(ev['valLoss']), 'valMaeDeg': json_number(ev['maeDeg']), 'valRmseDeg': json_number(ev['rmseDeg']),
                  'elapsedS': time.perf_counter() - t0})
    if ev is None or run['epochs'] == 0:
        ev = loop.validate(frames)
    wall = time.perf_counter() - t0
    sps = samples / train_s if train_s > 0 else 0.0
    emit({'event': 'run-done', 'runId': run['runId'], 'run': index, 'wallTimeS': wall, 'samplesPerS': sps})
    return {
        'runId': run['runId'],
        'predDeg': [json_number(v) for v in ev['predDeg']],
        'trainLossPerEpoch': losses_per_epoch,
        'valMaeDeg': json_number(ev['maeDeg']),
        'valRmseDeg': json_number(ev['rmseDeg']),
        'valN': ev['n'],
        'steps': step,
        'wallTimeS': wall,
        'samplesPerS': sps,
    }


def run_train(job):
    frames = [Frames(d) for d in job['datasets']]
    runs = job['runs']
    results = [train_run(r, i, len(runs), job['datasets'][r['dataset']], frames[r['dataset']]) for i, r in enumerate(runs)]
    return {'runs': results}


def load_lab_weights(model, m, spec):
    """Copies the lab's exported weights (model/weights.bin, tfjs Layers names and shapes) into the network:
    conv kernels [k, k, in, out] -> [out, in, k, k], dense kernels [in, out] -> [out, in]."""
    raw = np.fromfile(spec['weightsPath'], dtype='<f4')
    tensors = {}
    off = 0
    for w in spec['manifest']:
        if w.get('dtype', 'float32') != 'float32':
            raise ValueError('%s: weight %s is %s, expected float32' % (spec['weightsPath'], w['name'], w.get('dtype')))
        n = int(np.prod(w['shape'])) if w['shape'] else 1
        tensors[w['name']] = torch.from_numpy(raw[off:off + n].reshape(w['shape']).copy())
        off += n
    if off != raw.size:
        raise ValueError('%s holds %d floats, its manifest %d' % (spec['weightsPath'], raw.size, off))

    def take(name):
        if name not in tensors:
            raise ValueError('%s has no weight %s (has: %s)' % (spec['weightsPath'], name, ', '.join(tensors)))
        return tensors[name]

    with torch.no_grad():
        for l, layer, norm in zip(m['trunk'], model.layers, model.norms):
            k = take(l['name'] + '/kernel')
            layer.weight.copy_(k.permute(3, 2, 0, 1) if l['kind'] == 'conv' else k.t())
            layer.bias.copy_(take(l['name'] + '/bias'))
            if m['batchnorm']:
                bn = l['name'] + '_bn/'
                norm.weight.copy_(take(bn + 'gamma'))
                norm.bias.copy_(take(bn + 'beta'))
                norm.running_mean.copy_(take(bn + 'moving_mean'))
                norm.running_var.copy_(take(bn + 'moving_variance'))
        for h, lin in [(m['head'], model.head)] + list(zip(m['aux'], model.aux)):
            lin.weight.copy_(take(h['name'] + '/kernel').t())
            lin.bias.copy_(take(h['name'] + '/bias'))


def run_forward_checks(job):
    """The network with the lab's weights on a few validation records: predictions in degrees (inference mode)."""
    out = []
    for fc in job.get('forwardChecks') or []:
        run = job['runs'][fc['run']]
        frames = Frames(job['datasets'][run['dataset']])
        model = Regressor(run['model']).to(memory_format=torch.channels_last)
        load_lab_weights(model, run['model'], fc)
        _, pred = predict(model, frames, np.asarray(fc['positions'], dtype=np.int64), run['transform'], run['batchSize'], run['inputNorm'])
        out.append({'run': fc['run'], 'predDeg': [json_number(v) for v in pred]})
        emit({'event': 'forward-done', 'run': fc['run']})
    return out


def run_probe(job):
    """For each probe: the augmented, normalised inputs of a few training samples and the parameters drawn."""
    out = []
    for pr in job.get('probes') or []:
        d = job['datasets'][pr['dataset']]
        frames = Frames(d)
        torch.manual_seed(pr['seed'])
        pos = np.asarray(pr['positions'], dtype=np.int64)
        ang = torch.tensor(pr['anglesDeg'], dtype=torch.float64)
        p = draw_augment(len(pos), pr['augment'])
        x, ang = apply_augment(frames.batch(pos), ang, p, pr['augment'])
        x = normalise_input(x, pr['inputNorm'])
        x.permute(0, 2, 3, 1).contiguous().numpy().astype('<f4').tofile(pr['outPath'])
        out.append({
            'outPath': pr['outPath'],
            'flip': p['flip'].tolist(),
            'shift': p['shift'].tolist(),
            'brightness': p['brightness'].tolist(),
            'contrast': p['contrast'].tolist(),
            'anglesDeg': ang.tolist(),
        })
        emit({'event': 'probe-done', 'outPath': pr['outPath']})
    return {'probes': out, 'forward': run_forward_checks(job)}


def main(argv):
    if len(argv) != 2:
        raise ValueError('usage: reference.py JOB.json')
    with open(argv[1]) as f:
        job = json.load(f)
    if job.get('version') != 1:
        raise ValueError('%s: job version %r, this script reads version 1' % (argv[1], job.get('version')))
    threads = job.get('threads') or os.cpu_count() or 1
    torch.set_num_threads(threads)
    emit({'event': 'ready', 'torchVersion': torch.__version__, 'threads': torch.get_num_threads()})
    body = run_probe(job) if job['mode'] == 'probe' else run_train(job)
    write_json_atomic(job['resultPath'], dict(body, torchVersion=torch.__version__, threads=torch.get_num_threads()))


def run_script(name, main, argv):
    """Runs main(argv); a failure is one readable line on stderr (`name: Type: message`), the traceback after it, exit 1."""
    try:
        main(argv)
    except Exception as e:
        import traceback
        sys.stderr.write('%s: %s: %s\n' % (name, type(e).__name__, e))
        traceback.print_exc()
        sys.exit(1)


if __name__ == '__main__':
    run_script('reference.py', main, sys.argv)
