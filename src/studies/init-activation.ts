/**
 * Study `init-activation`: how initialisation and activation decide whether
 * a signal survives a plain deep net. For every (arch, init, activation):
 * per-layer std of the activations and L2 norm of the weight gradients at
 * initialisation and after each of the first SGD steps, beside the
 * mean-field prediction (mean-field.ts) from the initialiser's Var[w].
 * Nets have no biases and no normalisation, so nothing hides the effect;
 * conv layers are 3x3 with circular padding (see wrapPad).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../engine/index.ts';
import { initialValues } from '../model/index.ts';
import { initVariance } from '../model/init.ts';
import { createRng } from '../rng.ts';
import { meanFieldProfile } from './mean-field.ts';
import { InitActivationOptions } from './options.ts';
import { checkCancelled, fmt, tick, type StudyContext } from './types.ts';

type Init = InitActivationOptions['inits'][number];
type Act = InitActivationOptions['activations'][number];

export interface InitActivationLayerSet {
  arch: 'dense' | 'conv';
  init: Init;
  activation: Act;
  /** Std of each hidden layer's output (after the activation) at initialisation. */
  activationStd: number[];
  /** L2 norm of dLoss/dW for each hidden layer at initialisation. */
  gradNorm: number[];
  /** Mean-field prediction of activationStd from Var[w] (same units). */
  theoryActivationStd: number[];
  /** Mean-field gradient-norm profile, scaled to the measured last layer (compare shapes). */
  theoryGradNorm: number[];
  /** Var[w] of the hidden kernels (dimensionless), and fan_in * Var[w]. */
  varW: number;
  fanInGain: number;
  /** Last / first layer activation std, measured and predicted. */
  stdRatio: number;
  theoryStdRatio: number;
  /** First / last layer gradient norm (< 1: gradients shrink towards the input). */
  gradRatio: number;
  /** After each SGD step 1..steps: the same per-layer lists. */
  stepActivationStd: number[][];
  stepGradNorm: number[][];
}

export interface InitActivationMeasurements {
  engine: string;
  depth: { dense: number; conv: number };
  /** Units per dense layer, channels per conv layer (finite-width fluctuations grow with depth / width). */
  width: { dense: number; conv: number };
  layers: InitActivationLayerSet[];
}

function stdOf(t: tf.Tensor): number {
  return tf.tidy(() => Math.sqrt(tf.moments(t).variance.dataSync()[0]));
}

function act(a: Act, x: tf.Tensor): tf.Tensor {
  return a === 'relu' ? tf.relu(x) : a === 'tanh' ? tf.tanh(x) : a === 'sigmoid' ? tf.sigmoid(x) : tf.elu(x);
}

interface Net {
  kernels: tf.Variable[];
  readout: tf.Variable;
  forward(x: tf.Tensor, record?: tf.Tensor[]): tf.Tensor2D;
  fanIn: number;
  fanOut: number;
}

let varCounter = 0;

/**
 * Circular (wrap-around) padding by one pixel. With zero 'same' padding the
 * border pixels see fewer than 3x3xC inputs and lose variance at every layer,
 * which compounds over depth and is not what the fan_in theory describes;
 * wrapping gives every output the full fan_in = 9 * C.
 */
function wrapPad(h: tf.Tensor4D): tf.Tensor4D {
  const [, H, W] = h.shape;
  const rows = tf.concat([tf.slice(h, [0, H - 1, 0, 0], [-1, 1, -1, -1]), h, tf.slice(h, [0, 0, 0, 0], [-1, 1, -1, -1])], 1);
  return tf.concat([tf.slice(rows, [0, 0, W - 1, 0], [-1, -1, 1, -1]), rows, tf.slice(rows, [0, 0, 0, 0], [-1, -1, 1, -1])], 2) as tf.Tensor4D;
}

function buildNet(arch: 'dense' | 'conv', init: Init, a: Act, o: InitActivationOptions, seed: number): Net {
  const rng = createRng(seed);
  const v = (vals: Float32Array, shape: number[]) => tf.variable(tf.tensor(vals, shape), true, `ia_${++varCounter}`);
  if (arch === 'dense') {
    const w = o.width;
    const kernels = Array.from({ length: o.depth }, () => v(initialValues(init, [w, w], w, w, rng), [w, w]));
    const readout = v(initialValues(init, [w, 1], w, 1, rng), [w, 1]);
    return {
      kernels,
      readout,
      fanIn: w,
      fanOut: w,
      forward(x, record) {
        let h = x;
        for (const k of kernels) {
          h = act(a, tf.matMul(h as tf.Tensor2D, k as tf.Variable<tf.Rank.R2>));
          record?.push(h);
        }
        return tf.matMul(h as tf.Tensor2D, readout as tf.Variable<tf.Rank.R2>);
      },
    };
  }
  const c = o.convChannels;
  const s = o.convSize;
  const kernels = Array.from({ length: o.convDepth }, () => v(initialValues(init, [3, 3, c, c], 9 * c, 9 * c, rng), [3, 3, c, c]));
  const flat = s * s * c;
  const readout = v(initialValues(init, [flat, 1], flat, 1, rng), [flat, 1]);
  return {
    kernels,
    readout,
    fanIn: 9 * c,
    fanOut: 9 * c,
    forward(x, record) {
      let h = x as tf.Tensor4D;
      for (const k of kernels) {
        h = act(a, tf.conv2d(wrapPad(h), k as tf.Variable<tf.Rank.R4>, 1, 'valid')) as tf.Tensor4D;
        record?.push(h);
      }
      return tf.matMul(tf.reshape(h, [h.shape[0], flat]), readout as tf.Variable<tf.Rank.R2>);
    },
  };
}

/** Measures activation std and gradient norms per hidden layer, then (optionally) applies one SGD step. */
function measure(net: Net, x: tf.Tensor, y: tf.Tensor2D, lr: number | null): { std: number[]; grad: number[] } {
  const std = tf.tidy(() => {
    const rec: tf.Tensor[] = [];
    net.forward(x, rec);
    return rec.map(stdOf);
  });
  const vars = [...net.kernels, net.readout];
  const { value, grads } = tf.variableGrads(() => tf.losses.meanSquaredError(y, net.forward(x)) as tf.Scalar, vars);
  const grad = net.kernels.map((k) => tf.tidy(() => Math.sqrt(tf.sum(tf.square(grads[k.name])).dataSync()[0])));
  if (lr !== null) tf.tidy(() => vars.forEach((vv) => vv.assign(tf.sub(vv, tf.mul(grads[vv.name], lr)))));
  tf.dispose([value, ...Object.values(grads)]);
  return { std, grad };
}

/** Runs the study on the configured engine. */
export async function runInitActivation(input: Partial<InitActivationOptions>, ctx: StudyContext = {}): Promise<InitActivationMeasurements> {
  const o = InitActivationOptions.parse(input);
  const engine = await initEngine(o.engine);
  const combos = o.archs.flatMap((arch) => o.inits.flatMap((init) => o.activations.map((activation) => ({ arch, init, activation }))));
  const out: InitActivationLayerSet[] = [];
  const rng = createRng(o.seed);
  // One input batch per arch, shared by every combination: x ~ N(0, 1), targets ~ N(0, 1).
  const draw = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  const inputs = {
    dense: { x: tf.tensor2d(draw(o.batch * o.width), [o.batch, o.width]), y: tf.tensor2d(draw(o.batch), [o.batch, 1]) },
    conv: {
      x: tf.tensor4d(draw(o.batch * o.convSize * o.convSize * o.convChannels), [o.batch, o.convSize, o.convSize, o.convChannels]),
      y: tf.tensor2d(draw(o.batch), [o.batch, 1]),
    },
  };
  const netSeed = rng.int(2 ** 31);
  try {
    for (const [i, c] of combos.entries()) {
      checkCancelled(ctx.signal);
      ctx.onProgress?.({ stage: `${c.arch} ${c.init} + ${c.activation}`, done: i, total: combos.length });
      await tick();
      // Same seed for every combination: the nets differ only in scale and activation.
      const net = buildNet(c.arch, c.init, c.activation, o, netSeed);
      const { x, y } = inputs[c.arch];
      try {
        const first = measure(net, x, y, o.steps > 0 ? o.learningRate : null);
        const stepStd: number[][] = [];
        const stepGrad: number[][] = [];
        for (let s = 1; s <= o.steps; s++) {
          const m = measure(net, x, y, s < o.steps ? o.learningRate : null);
          stepStd.push(m.std);
          stepGrad.push(m.grad);
        }
        const depth = net.kernels.length;
        const varW = initVariance(c.init, net.fanIn, net.fanOut);
        const gain = net.fanIn * varW;
        const theory = meanFieldProfile(c.activation, depth, 1, new Array(depth).fill(gain), new Array(depth).fill(net.fanOut * varW));
        const lastGrad = first.grad[depth - 1];
        out.push({
          arch: c.arch,
          init: c.init,
          activation: c.activation,
          activationStd: first.std,
          gradNorm: first.grad,
          theoryActivationStd: theory.activationStd,
          theoryGradNorm: theory.gradNormShape.map((g) => g * lastGrad),
          varW,
          fanInGain: gain,
          stdRatio: first.std[depth - 1] / first.std[0],
          theoryStdRatio: theory.activationStd[depth - 1] / theory.activationStd[0],
          gradRatio: first.grad[0] / lastGrad,
          stepActivationStd: stepStd,
          stepGradNorm: stepGrad,
        });
      } finally {
        tf.dispose([...net.kernels, net.readout]);
      }
    }
  } finally {
    tf.dispose([inputs.dense.x, inputs.dense.y, inputs.conv.x, inputs.conv.y]);
  }
  ctx.onProgress?.({ stage: 'done', done: combos.length, total: combos.length });
  return { engine: engine.name, depth: { dense: o.depth, conv: o.convDepth }, width: { dense: o.width, conv: o.convChannels }, layers: out };
}

const healthy = (r: number) => r >= 0.5 && r <= 2;

/** Like fmt, but names an exact 0 from a positive quantity for what it is: float32 underflow (below ~1.4e-45). */
const fmt0 = (v: number) => (v === 0 ? '0 (float32 underflow)' : fmt(v));

/** Conclusions computed from the measurements (pure). */
export function concludeInitActivation(m: InitActivationMeasurements): string[] {
  const out: string[] = [];
  for (const arch of ['dense', 'conv'] as const) {
    const sets = m.layers.filter((l) => l.arch === arch);
    if (sets.length === 0) continue;
    const depth = m.depth[arch];
    const relu = sets.filter((l) => l.activation === 'relu');
    if (relu.length) {
      out.push(
        `${arch}, ${depth} ReLU layers, last/first activation std (measured vs mean-field theory): ${relu
          .map((l) => `${l.init} ${fmt0(l.stdRatio)} vs ${fmt(l.theoryStdRatio)} (fan_in*Var[w] = ${fmt(l.fanInGain)})`)
          .join('; ')}.`,
      );
    }
    const kept = sets.filter((l) => healthy(l.stdRatio));
    const collapsed = sets.filter((l) => l.stdRatio < 1e-3);
    const exploded = sets.filter((l) => l.stdRatio > 1e3 || !Number.isFinite(l.stdRatio));
    out.push(
      `${arch}: ${kept.length} of ${sets.length} init x activation pairs keep the activation scale within 0.5-2x over ${depth} layers${kept.length ? ` (${kept.map((l) => `${l.init}+${l.activation}`).join(', ')})` : ''}; ${collapsed.length} collapse it below 1e-3x${collapsed.length ? ` (${collapsed.map((l) => `${l.init}+${l.activation} ${fmt0(l.stdRatio)}`).join(', ')})` : ''}${exploded.length ? `; ${exploded.length} blow it up above 1e3x (${exploded.map((l) => `${l.init}+${l.activation} ${fmt(l.stdRatio)}`).join(', ')})` : ''}.`,
    );
    // Theory vs measurement: worst log10 gap of the std ratio where both are positive and finite.
    const comparable = sets.filter((l) => l.stdRatio > 0 && l.theoryStdRatio > 0 && Number.isFinite(l.stdRatio) && Number.isFinite(l.theoryStdRatio));
    if (comparable.length) {
      const gaps = comparable.map((l) => ({ l, gap: Math.abs(Math.log10(l.stdRatio / l.theoryStdRatio)) }));
      const worst = gaps.reduce((a, b) => (b.gap > a.gap ? b : a));
      const within = gaps.filter((g) => g.gap < Math.log10(2)).length;
      const width = m.width?.[arch];
      out.push(
        `${arch}: the mean-field prediction from Var[w] matches the measured std ratio within a factor of 2 for ${within} of ${comparable.length} pairs; the worst is ${worst.l.init}+${worst.l.activation} (measured ${fmt(worst.l.stdRatio)}, predicted ${fmt(worst.l.theoryStdRatio)})` +
          (worst.gap >= Math.log10(2) && width ? `. The theory is exact only for infinite width; here depth/width = ${depth}/${width} = ${fmt(depth / width)}, and per-layer gain fluctuations of order 1/width compound over depth.` : '.'),
      );
    }
    // Equal Var[w] means equal nets (same seed): say so instead of letting identical numbers look like a coincidence.
    const same = sets.filter((l, i) => sets.findIndex((k) => k.activation === l.activation && k.varW === l.varW) !== i && l.activation === sets[0].activation);
    for (const l of same) {
      const twin = sets.find((k) => k.activation === l.activation && k.varW === l.varW)!;
      out.push(`${arch}: ${twin.init} and ${l.init} give the same Var[w] = ${fmt(l.varW)} here (fan_in = fan_out), so they are the same net and measure the same.`);
    }
    const sig = sets.filter((l) => l.activation === 'sigmoid');
    if (sig.length) {
      const shrink = sig.filter((l) => l.gradRatio < 1);
      out.push(
        `${arch} sigmoid: first/last layer gradient norm ${sig.map((l) => `${l.init} ${fmt0(l.gradRatio)}`).join(', ')}; ${shrink.length === sig.length ? 'gradients shrink towards the input for every init' : `gradients shrink towards the input for ${shrink.length} of ${sig.length} inits`} (sigmoid's slope is at most 0.25).`,
      );
    }
    const withSteps = sets.filter((l) => l.stepActivationStd.length > 0);
    if (withSteps.length) {
      const n = withSteps[0].stepActivationStd.length;
      const changed = withSteps
        .map((l) => {
          const s = l.stepActivationStd[n - 1];
          const r = s[s.length - 1] / s[0];
          return { l, r, factor: r / l.stdRatio };
        })
        .filter((c) => Number.isFinite(c.factor) && (c.factor > 2 || c.factor < 0.5));
      out.push(
        changed.length === 0
          ? `${arch}: after ${n} SGD step(s) no pair's last/first std ratio moved by more than 2x: the first steps do not repair a bad initial scale.`
          : `${arch}: after ${n} SGD step(s) the std ratio moved by more than 2x for ${changed.map((c) => `${c.l.init}+${c.l.activation} (${fmt(c.l.stdRatio)} -> ${fmt(c.r)})`).join(', ')}.`,
      );
    }
  }
  return out;
}
