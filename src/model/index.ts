/**
 * Regressor factory: explicit tf.variable layers (no tfjs-layers), so every
 * layer's pre-activation, output and gradient can be measured.
 *
 * Layer order inside a trunk layer: conv/dense (+ bias) -> batchnorm (when
 * on) -> activation -> dropout (dense layers only, training only). Dropout
 * is applied after dense layers only, as in common PilotNet implementations.
 * Heads: linear, tanh, or k*tanh ('scaled_tanh', k = headScale) on one unit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng, type Rng } from '../rng.ts';
import { applyActivation } from './activations.ts';
import { ModelConfig, type HeadName } from './config.ts';
import { headInitialValues, initialValues } from './init.ts';
import { planModel, type HeadSpec, type LayerSpec, type ModelPlan } from './plan.ts';
import type { ApplyOptions, ForwardResult, LayerInfo, LayerTrace, Regressor } from './types.ts';

export { initialValues } from './init.ts';
export { planModel, planParamCount } from './plan.ts';

/** Batchnorm: moving-average momentum and variance epsilon (the Keras defaults). */
export const BN_MOMENTUM = 0.99;
export const BN_EPSILON = 1e-3;

let modelCounter = 0;

interface BuiltLayer {
  spec: LayerSpec;
  kernel: tf.Variable;
  bias: tf.Variable;
  gamma?: tf.Variable;
  beta?: tf.Variable;
  movingMean?: tf.Variable;
  movingVar?: tf.Variable;
}
interface BuiltHead {
  spec: HeadSpec;
  kernel: tf.Variable;
  bias: tf.Variable;
}

/** Applies a head's output nonlinearity to its pre-activation. */
export function headOutput(head: HeadName, pre: tf.Tensor, k: number): tf.Tensor {
  if (head === 'linear') return pre;
  if (head === 'tanh') return tf.tanh(pre);
  return tf.mul(tf.tanh(pre), k);
}

/** The range a head can output, in target units (null = unbounded). */
export function headRange(head: HeadName, k: number): { min: number; max: number } | null {
  if (head === 'linear') return null;
  const m = head === 'tanh' ? 1 : k;
  return { min: -m, max: m };
}

/**
 * Creates a fresh regressor with seeded initial weights. `cfg` may be partial
 * config input; it is validated with the ModelConfig schema.
 */
export function createRegressor(cfgInput: ModelConfig | Partial<ModelConfig>, seed: number): Regressor {
  const cfg = ModelConfig.parse(cfgInput);
  if (!Number.isFinite(seed)) throw new Error(`createRegressor: seed must be a finite number (got ${seed})`);
  const plan: ModelPlan = planModel(cfg);
  const net = buildNet(cfg, plan, createRng(seed), ++modelCounter);
  const dropoutRng = createRng(seed ^ 0x5bd1e995);
  const layers = layerInfos(net);
  const variables = layers.flatMap((l) => l.variables);
  const buffers = net.trunk.flatMap((l) => (l.movingMean && l.movingVar ? [l.movingMean, l.movingVar] : []));
  let disposed = false;

  function apply(x: tf.Tensor, opts: ApplyOptions): ForwardResult {
    if (disposed) throw new Error('this regressor was disposed');
    // Drawn only when no seed is given, so a caller that passes seeds leaves the stream untouched.
    return forward(cfg, net, x, opts, opts.seed ?? dropoutRng.int(2 ** 31));
  }

  return {
    config: cfg,
    layers,
    variables,
    buffers,
    plan,
    paramCount: () => variables.reduce((a, t) => a + t.size, 0),
    apply,
    getWeights: () => readValues(variables),
    setWeights: (values) => tf.tidy(() => writeValues(variables, values, 'Weights')),
    getBuffers: () => readValues(buffers),
    setBuffers: (values) => tf.tidy(() => writeValues(buffers, values, 'Buffers')),
    dispose: () => {
      if (disposed) return;
      disposed = true;
      for (const t of [...variables, ...buffers]) t.dispose();
    },
  };
}

interface BuiltNet {
  trunk: BuiltLayer[];
  head: BuiltHead;
  aux: BuiltHead[];
}

/**
 * The model's variables with seeded initial values. The draw order (trunk
 * layers in forward order, then the main head, then the auxiliary heads) is
 * what makes a seed reproduce the same weights.
 */
function buildNet(cfg: ModelConfig, plan: ModelPlan, rng: Rng, id: number): BuiltNet {
  // tidy disposes the temporary tensor; the variable keeps its own reference to the data.
  const v = (name: string, values: Float32Array, shape: number[], trainable = true) =>
    tf.tidy(() => tf.variable(tf.tensor(values, shape, 'float32'), trainable, `m${id}/${name}`));
  const zeros = (n: number) => new Float32Array(n);
  const ones = (n: number) => new Float32Array(n).fill(1);
  const trunk: BuiltLayer[] = plan.trunk.map((spec) => {
    const [shape, fanIn, fanOut, out] =
      spec.kind === 'conv'
        ? [[spec.kernel, spec.kernel, spec.inC, spec.outC], spec.kernel * spec.kernel * spec.inC, spec.kernel * spec.kernel * spec.outC, spec.outC]
        : [[spec.inUnits, spec.outUnits], spec.inUnits, spec.outUnits, spec.outUnits];
    const layer: BuiltLayer = {
      spec,
      kernel: v(`${spec.name}/kernel`, initialValues(cfg.init, shape, fanIn, fanOut, rng), shape),
      bias: v(`${spec.name}/bias`, zeros(out), [out]),
    };
    if (cfg.batchnorm) {
      layer.gamma = v(`${spec.name}/gamma`, ones(out), [out]);
      layer.beta = v(`${spec.name}/beta`, zeros(out), [out]);
      layer.movingMean = v(`${spec.name}/moving_mean`, zeros(out), [out], false);
      layer.movingVar = v(`${spec.name}/moving_variance`, ones(out), [out], false);
    }
    return layer;
  });
  const buildHead = (spec: HeadSpec): BuiltHead => ({
    spec,
    kernel: v(`${spec.name}/kernel`, headInitialValues(cfg.headInit, spec.inUnits, rng), [spec.inUnits, 1]),
    bias: v(`${spec.name}/bias`, zeros(1), [1]),
  });
  const head = buildHead(plan.head);
  return { trunk, head, aux: plan.aux.map(buildHead) };
}

/** Trunk layers then heads, each with its trainable variables and fan-in/out. */
function layerInfos(net: BuiltNet): LayerInfo[] {
  return [
    ...net.trunk.map((l): LayerInfo => {
      const s = l.spec;
      return {
        name: s.name,
        kind: s.kind,
        activation: s.activation,
        variables: [l.kernel, l.bias, ...(l.gamma && l.beta ? [l.gamma, l.beta] : [])],
        fanIn: s.kind === 'conv' ? s.kernel * s.kernel * s.inC : s.inUnits,
        fanOut: s.kind === 'conv' ? s.kernel * s.kernel * s.outC : s.outUnits,
      };
    }),
    ...[net.head, ...net.aux].map((h): LayerInfo => ({
      name: h.spec.name,
      kind: 'head',
      activation: h.spec.head,
      variables: [h.kernel, h.bias],
      fanIn: h.spec.inUnits,
      fanOut: 1,
    })),
  ];
}

const flatten = (t: tf.Tensor): tf.Tensor2D => (t.rank === 2 ? (t as tf.Tensor2D) : tf.reshape(t, [t.shape[0], -1]));

/** Batch statistics in training (updating the moving ones when asked), moving statistics otherwise. */
function batchnorm(l: BuiltLayer, z: tf.Tensor, training: boolean, updateStats: boolean): tf.Tensor {
  const gamma = l.gamma!;
  const beta = l.beta!;
  if (!training) {
    return tf.add(tf.mul(tf.div(tf.sub(z, l.movingMean!), tf.sqrt(tf.add(l.movingVar!, BN_EPSILON))), gamma), beta);
  }
  const axes = z.rank === 4 ? [0, 1, 2] : [0];
  const { mean, variance } = tf.moments(z, axes);
  if (updateStats) {
    // Moving variance uses the unbiased batch variance (n/(n-1)), as Keras and PyTorch do.
    const n = z.size / mean.size;
    const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance;
    const mm = tf.add(tf.mul(l.movingMean!, BN_MOMENTUM), tf.mul(mean, 1 - BN_MOMENTUM));
    const mv = tf.add(tf.mul(l.movingVar!, BN_MOMENTUM), tf.mul(unbiased, 1 - BN_MOMENTUM));
    l.movingMean!.assign(mm);
    l.movingVar!.assign(mv);
  }
  return tf.add(tf.mul(tf.div(tf.sub(z, mean), tf.sqrt(tf.add(variance, BN_EPSILON))), gamma), beta);
}

/** One forward pass: trunk layers in order, then the main head and the auxiliary heads on their layers' outputs. */
function forward(cfg: ModelConfig, net: BuiltNet, x: tf.Tensor, opts: ApplyOptions, dropoutSeed: number): ForwardResult {
  const training = opts.training;
  const updateStats = opts.updateStats ?? training;
  const traces: LayerTrace[] = [];
  const outputs = new Map<string, tf.Tensor>();
  let h: tf.Tensor =
    cfg.arch === 'mlp'
      ? tf.reshape(x, [x.shape[0], -1])
      : x.rank === 4
        ? x
        : tf.reshape(x, [x.shape[0], cfg.input.height, cfg.input.width, cfg.input.channels]);
  if (cfg.arch === 'pilotnet' && cfg.inputNorm === 'centered') h = tf.sub(tf.mul(h, 2), 1);
  net.trunk.forEach((l, i) => {
    const s = l.spec;
    let z =
      s.kind === 'conv'
        ? tf.add(tf.conv2d(h as tf.Tensor4D, l.kernel as tf.Tensor4D, s.stride, s.padding), l.bias)
        : tf.add(tf.matMul(flatten(h), l.kernel as tf.Tensor2D), l.bias);
    if (l.gamma) z = batchnorm(l, z, training, updateStats);
    let post = applyActivation(s.activation, z);
    if (opts.trace) traces.push({ name: s.name, pre: z, post });
    if (training && cfg.dropout > 0 && s.kind === 'dense') post = tf.dropout(post, cfg.dropout, undefined, dropoutSeed + 7919 * (i + 1));
    outputs.set(s.name, post);
    h = post;
  });
  const runHead = (hd: BuiltHead, input: tf.Tensor) => {
    const pre = tf.add(tf.matMul(flatten(input), hd.kernel as tf.Tensor2D), hd.bias) as tf.Tensor2D;
    return { pre, output: headOutput(hd.spec.head, pre, cfg.headScale) as tf.Tensor2D };
  };
  const main = runHead(net.head, h);
  const auxOut = net.aux.map((a) => {
    const r = runHead(a, outputs.get(a.spec.after!)!);
    return { name: a.spec.name, output: r.output, pre: r.pre, lossWeight: a.spec.lossWeight };
  });
  return { output: main.output, headPre: main.pre, aux: auxOut, ...(opts.trace ? { traces } : {}) };
}

const readValues = (vs: tf.Variable[]) => vs.map((t) => new Float32Array(t.dataSync() as Float32Array));

function writeValues(vs: tf.Variable[], values: Float32Array[], what: string): void {
  if (values.length !== vs.length) throw new Error(`set${what}: expected ${vs.length} arrays, got ${values.length}`);
  vs.forEach((t, i) => {
    if (values[i].length !== t.size) throw new Error(`set${what}: array ${i} (${t.name}) has ${values[i].length} values, expected ${t.size}`);
    t.assign(tf.tensor(values[i], t.shape, 'float32'));
  });
}
