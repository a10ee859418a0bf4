#!/usr/bin/env python3
"""End-to-end PyTorch peer for `steerlab bench --e2e`: one `compare` cell trained
the way a plain PyTorch loop trains it, on the lab's own frames and split.

Usage: e2e_peer.py REFERENCE_PY JOB.json

REFERENCE_PY is src/reference/reference.py: the loop below is its train_run's
on its RunLoop (the seeded model and optimiser, the batches, augmentation,
schedule, training step and validation) and its Frames (the frame file memory
map), so the peer does exactly the arithmetic of the lab's PyTorch reference: uint8 NHWC frames -> float / 255 -> permuted to NCHW
(channels-last memory), augmentation, input normalisation, Adam step, and a
validation pass at the end of every epoch. JOB.json is a reference job
(src/reference/job.ts) with one data set and one run; its `threads` sets
torch's thread count.

Protocol (stdin/stdout, one JSON object per line): prints {"torch", "threads",
"allocator"} once the frames are mapped, then answers each stdin line "run" with
{"samples", "steps", "wallS", "cpuS" (CPU time of every thread), "phasesMs": {"batch", "augment", "step",
"validation", "other"}, "valRmseDeg"}, until "quit" or end of input. Every
"run" starts from the run's seed, so repeated runs do the same work. The timed
span starts at model construction (torch is imported and the frames are
mapped before, as the lab's frame cache is open before its timed cell).
"""
import importlib.util
import json
import os
import sys
import time

import torch


def load_reference(path):
    # No __pycache__ beside the lab's sources (an installed app's folder may be read-only).
    sys.dont_write_bytecode = True
    spec = importlib.util.spec_from_file_location('steerlab_reference', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def train_cell(ref, run, data, frames):
    """reference.py's train_run without its progress events, with the time of each phase (seconds)."""
    clock = time.perf_counter
    ph = {'batch': 0.0, 'augment': 0.0, 'step': 0.0, 'validation': 0.0}
    t0 = clock()
    c0 = time.process_time()
    loop = ref.RunLoop(run, data)
    step = 0
    samples = 0
    ev = None
    for _ in range(run['epochs']):
        order = loop.shuffle()
        for s in range(loop.per_epoch):
            ta = clock()
            b = loop.batch(frames, order, s)
            if b is None:
                continue
            tb = clock()
            x, y = loop.inputs(*b)
            tc = clock()
            loop.step(step, x, y)
            td = clock()
            ph['batch'] += tb - ta
            ph['augment'] += tc - tb
            ph['step'] += td - tc
            step += 1
            samples += len(y)
        tv = clock()
        ev = loop.validate(frames)
        ph['validation'] += clock() - tv
    wall = clock() - t0
    cpu = time.process_time() - c0
    ms = {k: 1000 * v for k, v in ph.items()}
    ms['other'] = 1000 * wall - sum(ms.values())
    rmse = ev['rmseDeg'] if ev is not None else float('nan')
    return {'samples': samples, 'steps': step, 'wallS': wall, 'cpuS': cpu, 'phasesMs': ms, 'valRmseDeg': ref.json_number(rmse)}


def main(ref, argv):
    with open(argv[2]) as f:
        job = json.load(f)
    torch.set_num_threads(job.get('threads') or 2)
    run = job['runs'][0]
    data = job['datasets'][run['dataset']]
    frames = ref.Frames(data)
    m, t = os.environ.get('MALLOC_MMAP_THRESHOLD_'), os.environ.get('MALLOC_TRIM_THRESHOLD_')
    alloc = 'glibc keeping freed memory (MALLOC_MMAP_THRESHOLD_=%s, MALLOC_TRIM_THRESHOLD_=%s)' % (m, t) if m and t else 'glibc defaults'
    print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'allocator': alloc}), flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd or cmd[0] == 'quit':
            break
        if cmd[0] == 'run':
            print(json.dumps(train_cell(ref, run, data, frames)), flush=True)
        else:
            print(json.dumps({'error': 'unknown command %s' % cmd[0]}), flush=True)


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit('usage: e2e_peer.py REFERENCE_PY JOB.json')
    reference = load_reference(sys.argv[1])
    # reference.py's wrapper: a failure is one readable line for the bench, the traceback after it.
    reference.run_script('e2e_peer.py', lambda argv: main(reference, argv), sys.argv)
