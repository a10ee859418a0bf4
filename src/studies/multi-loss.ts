/**
 * Study `multi-loss`: one shared trunk, two or three heads, total loss =
 * sum_i w_i * L_i. The gradient of a sum is the sum of the gradients, so the
 * trunk's gradient must equal the sum of the weighted per-head gradients
 * (the classic Caffe "how are several losses combined?" question). This
 * study checks that numerically with separate tf.variableGrads calls, and
 * measures how much of the trunk's gradient each head contributes while the
 * net trains (Adam, through the lab's loop in train/loop.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../engine/index.ts';
import { initialValues } from '../model/index.ts';
import { createRng, type Rng } from '../rng.ts';
import { gradientStep, runLoop } from '../train/loop.ts';
import { createOptimizer } from '../train/optimizer.ts';
import { MultiLossOptions } from './options.ts';
import { fmt, type StudyContext } from './types.ts';

export interface HeadMeasurement {
  name: string;
  lossWeight: number;
  /** Mean squared error of this head, target units squared (last check). */
  rawLoss: number;
  weightedLoss: number;
  /** <w_i g_i, G> / ||G||^2 over trunk parameters: the head's signed share of the trunk gradient G (shares sum to 1). */
  gradShare: number;
  /** ||w_i g_i|| over trunk parameters. */
  weightedGradNorm: number;
  /** cos(w_i g_i, G): negative when the head pulls the trunk against the total. */
  cosineWithTotal: number;
}

export interface MultiLossMeasurements {
  engine: string;
  /** max over checks and trunk parameters of |G - sum_i w_i g_i|. */
  additivityMaxAbsError: number;
  /** The same divided by max |G|. */
  additivityRelError: number;
  trunkGradNorm: number;
  heads: HeadMeasurement[];
  /** Per check (step): each head's raw loss, weighted loss and share, for charts. */
  history: { step: number[]; rawLoss: number[][]; weightedLoss: number[][]; gradShare: number[][]; additivityMaxAbsError: number[] };
}

/** tfjs variable names are global: a counter keeps repeated runs apart. */
let varCounter = 0;

const HEAD_NAMES = ['steer', 'speed', 'lane'];

/** Targets of different scale and difficulty, so the heads compete. */
function makeData(n: number, d: number, heads: number, rng: Rng): { x: Float32Array; y: Float32Array[] } {
  const x = new Float32Array(n * d);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const y = Array.from({ length: heads }, () => new Float32Array(n));
  for (let i = 0; i < n; i++) {
    const r = x.subarray(i * d, (i + 1) * d);
    y[0][i] = Math.sin(r[0]) + 0.5 * r[1];
    if (heads > 1) y[1][i] = 3 * r[2] * r[3];
    if (heads > 2) y[2][i] = Math.abs(r[4 % d]) - 0.8;
  }
  return { x, y };
}

function flatMaxAbs(ts: tf.Tensor[]): number {
  return tf.tidy(() => Math.max(...ts.map((t) => tf.max(tf.abs(t)).dataSync()[0])));
}

function dot(a: tf.Tensor[], b: tf.Tensor[]): number {
  return tf.tidy(() => a.reduce((s, t, i) => s + tf.sum(tf.mul(t, b[i])).dataSync()[0], 0));
}

/**
 * One check: the trunk gradient G of the total loss (one backward pass) against
 * the weighted per-head gradients g_i (one pass each): max |G - sum_i w_i g_i|,
 * and each head's share of G.
 */
function checkHeads(lossWeights: number[], trunkVars: tf.Variable[], headLosses: () => tf.Scalar[], weightedSum: (ls: tf.Scalar[], only?: number) => tf.Scalar) {
  const combined = tf.variableGrads(() => weightedSum(headLosses()), trunkVars);
  const G = trunkVars.map((v) => combined.grads[v.name]);
  const per = lossWeights.map((_, i) => tf.variableGrads(() => weightedSum(headLosses(), i), trunkVars));
  const gi = per.map((p) => trunkVars.map((v) => p.grads[v.name]));
  const err = tf.tidy(() => flatMaxAbs(G.map((g, j) => tf.sub(g, gi.reduce((s: tf.Tensor, h) => tf.add(s, h[j]), tf.zerosLike(g))))));
  const gMax = flatMaxAbs(G);
  const gg = dot(G, G);
  const raw = tf.tidy(() => headLosses().map((l) => l.dataSync()[0]));
  const heads: HeadMeasurement[] = lossWeights.map((w, i) => {
    const n2 = dot(gi[i], gi[i]);
    const share = dot(gi[i], G);
    return {
      name: HEAD_NAMES[i],
      lossWeight: w,
      rawLoss: raw[i],
      weightedLoss: w * raw[i],
      gradShare: gg > 0 ? share / gg : 0,
      weightedGradNorm: Math.sqrt(n2),
      cosineWithTotal: n2 > 0 && gg > 0 ? share / Math.sqrt(n2 * gg) : 0,
    };
  });
  tf.dispose([combined.value, ...G, ...per.flatMap((p) => [p.value, ...Object.values(p.grads)])]);
  return { err, gMax, heads, trunkNorm: Math.sqrt(gg) };
}

/** Runs the study on the configured engine. */
export async function runMultiLoss(input: Partial<MultiLossOptions>, ctx: StudyContext = {}): Promise<MultiLossMeasurements> {
  const o = MultiLossOptions.parse(input);
  const engine = await initEngine(o.engine);
  const rng = createRng(o.seed);
  const k = o.lossWeights.length;
  const data = makeData(o.samples, o.inputs, k, rng.fork());
  const x = tf.tensor2d(data.x, [o.samples, o.inputs]);
  const ys = data.y.map((y) => tf.tensor2d(y, [o.samples, 1]));
  const initRng = rng.fork();
  const dense = (fi: number, fo: number, name: string) => ({
    W: tf.variable(tf.tensor2d(initialValues('glorot_normal', [fi, fo], fi, fo, initRng), [fi, fo]), true, `${name}_W_${++varCounter}`),
    b: tf.variable(tf.zeros([fo]), true, `${name}_b_${++varCounter}`),
  });
  const sizes = [o.inputs, ...o.trunk];
  const trunk = sizes.slice(1).map((fo, i) => dense(sizes[i], fo, `trunk${i}`));
  const heads = o.lossWeights.map((_, i) => dense(sizes[sizes.length - 1], 1, `head${i}`));
  const trunkVars = trunk.flatMap((l) => [l.W, l.b]);
  const allVars = [...trunkVars, ...heads.flatMap((h) => [h.W, h.b])];

  const headLosses = (): tf.Scalar[] => {
    let h: tf.Tensor = x;
    for (const l of trunk) h = tf.tanh(tf.add(tf.matMul(h as tf.Tensor2D, l.W as tf.Variable<tf.Rank.R2>), l.b));
    return heads.map((hd, i) => tf.losses.meanSquaredError(ys[i], tf.add(tf.matMul(h as tf.Tensor2D, hd.W as tf.Variable<tf.Rank.R2>), hd.b)) as tf.Scalar);
  };
  const weightedSum = (ls: tf.Scalar[], only?: number): tf.Scalar =>
    ls.reduce((s: tf.Scalar, l, i) => (only === undefined || only === i ? tf.add(s, tf.mul(l, o.lossWeights[i])) : s), tf.scalar(0));

  const opt = createOptimizer({ name: 'adam', momentum: 0 });
  const history: MultiLossMeasurements['history'] = { step: [], rawLoss: [], weightedLoss: [], gradShare: [], additivityMaxAbsError: [] };
  let maxAbs = 0;
  let maxRel = 0;
  let last: { heads: HeadMeasurement[]; trunkNorm: number } | null = null;

  const check = (step: number) => {
    const c = checkHeads(o.lossWeights, trunkVars, headLosses, weightedSum);
    maxAbs = Math.max(maxAbs, c.err);
    maxRel = Math.max(maxRel, c.err / Math.max(c.gMax, 1e-30));
    history.step.push(step);
    history.rawLoss.push(c.heads.map((h) => h.rawLoss));
    history.weightedLoss.push(c.heads.map((h) => h.weightedLoss));
    history.gradShare.push(c.heads.map((h) => h.gradShare));
    history.additivityMaxAbsError.push(c.err);
    last = { heads: c.heads, trunkNorm: c.trunkNorm };
  };
  const checkAt = (step: number) => {
    check(step);
    ctx.onProgress?.({ stage: 'training with the combined loss', done: step, total: o.steps });
  };
  try {
    // Full-batch steps on the combined loss; the check runs before the step it is numbered by, and after the last.
    await runLoop({
      epochs: 1, stepsPerEpoch: o.steps, samples: 0, batchSize: 1, seed: o.seed, logEvery: o.checkEvery, signal: ctx.signal,
      yieldEvery: o.checkEvery,
      load: async () => null,
      step(_, at) {
        if (at.log) checkAt(at.step);
        gradientStep(opt, allVars, () => weightedSum(headLosses()), o.learningRate).dispose();
      },
      endEpoch: () => checkAt(o.steps),
    });
  } finally {
    tf.dispose([x, ...ys, ...allVars]);
    opt.dispose();
  }
  const fin = last as unknown as { heads: HeadMeasurement[]; trunkNorm: number };
  return { engine: engine.name, additivityMaxAbsError: maxAbs, additivityRelError: maxRel, trunkGradNorm: fin.trunkNorm, heads: fin.heads, history };
}

/** Conclusions computed from the measurements (pure). */
export function concludeMultiLoss(m: MultiLossMeasurements): string[] {
  const out: string[] = [];
  const checks = m.history.step.length;
  out.push(
    m.additivityMaxAbsError < 1e-5
      ? `The trunk's gradient equals the sum of the weighted per-head gradients: max |difference| ${fmt(m.additivityMaxAbsError)} (${fmt(m.additivityRelError)} of the largest gradient entry) over ${checks} checks, i.e. float32 rounding. Combining losses with weights just adds their gradients.`
      : `The trunk's gradient differs from the sum of the weighted per-head gradients by up to ${fmt(m.additivityMaxAbsError)} (${fmt(m.additivityRelError)} relative) over ${checks} checks: more than float32 rounding explains.`,
  );
  const ranked = [...m.heads].sort((a, b) => b.gradShare - a.gradShare);
  const top = ranked[0];
  out.push(
    `Shares of the trunk gradient at the end: ${m.heads.map((h) => `${h.name} (weight ${fmt(h.lossWeight)}, raw loss ${fmt(h.rawLoss)}, weighted ${fmt(h.weightedLoss)}) ${fmt(100 * h.gradShare)}%`).join('; ')}. ${top.name} drives the shared layers most.`,
  );
  const byWeight = [...m.heads].sort((a, b) => b.lossWeight - a.lossWeight);
  if (byWeight[0].name !== top.name) {
    out.push(
      `The largest loss weight (${byWeight[0].name}, ${fmt(byWeight[0].lossWeight)}) does not give the largest share: ${top.name} has ${fmt(100 * top.gradShare)}% with weight ${fmt(top.lossWeight)}, because a share is weight x that head's own gradient size, not the weight alone.`,
    );
  }
  for (const h of m.heads) {
    if (h.cosineWithTotal < 0) out.push(`Head ${h.name} pulls the trunk against the total gradient (cosine ${fmt(h.cosineWithTotal)}): its task conflicts with the others at this point.`);
  }
  const first = m.history.rawLoss[0];
  const lastL = m.history.rawLoss[m.history.rawLoss.length - 1];
  if (first && lastL && checks > 1) {
    out.push(
      `Raw losses from step ${m.history.step[0]} to ${m.history.step[checks - 1]}: ${m.heads.map((h, i) => `${h.name} ${fmt(first[i])} -> ${fmt(lastL[i])} (${fmt(100 * (1 - lastL[i] / first[i]))}% lower)`).join(', ')}.`,
    );
  }
  return out;
}
