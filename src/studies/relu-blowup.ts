/**
 * Study `relu-blowup`: the 784-30-10 softmax classifier on MNIST digits,
 * trained with plain mini-batch SGD through the lab's loop (train/loop.ts). Sweeps the learning rate for tanh and
 * ReLU hidden units under a naive N(0, std^2) init and He init, finds where
 * ReLU diverges (non-finite loss or weights, or activations past a bound),
 * and re-runs those settings with L2 weight decay, gradient clipping and both
 * to see which stops it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../engine/index.ts';
import { initialValues } from '../model/index.ts';
import { createRng, type Rng } from '../rng.ts';
import { loadMnist, type DigitSet } from './mnist-data.ts';
import { gradientStep, runLoop, type Verdict } from '../train/loop.ts';
import { createOptimizer } from '../train/optimizer.ts';
import { ReluBlowupOptions } from './options.ts';
import { fmt, type StudyContext } from './types.ts';

type Act = 'relu' | 'tanh';
type Init = 'naive' | 'he';

export interface ReluEpoch {
  epoch: number;
  /** Mean training cross-entropy (nats) over the epoch's batches, without the L2 term. */
  trainLoss: number;
  testAccuracy: number;
  /** Largest hidden activation on the test set (tanh is bounded by 1). */
  maxActivation: number;
  /** Frobenius norm of both weight matrices together. */
  weightNorm: number;
}

export interface ReluRun {
  activation: Act;
  lr: number;
  /** L2 coefficient (loss += l2/2 * sum w^2), 0 = off. */
  l2: number;
  /** Global gradient-norm clip, null = off. */
  clip: number | null;
  init: Init;
  /** 'sweep' or the remedy this run tries. */
  role: 'sweep' | 'l2' | 'clip' | 'l2+clip';
  diverged: boolean;
  /** First epoch (1-based) at which it diverged, or null. */
  divergedEpoch: number | null;
  /** What went wrong: 'diverged', 'dead' (most hidden units never fire, not diverged), or null (trained). */
  failure: 'diverged' | 'dead' | null;
  /** Which divergence test fired first, or null. */
  divergedBy: 'non-finite' | 'activation' | 'weight-norm' | 'loss' | null;
  initialWeightNorm: number;
  /** Training cross-entropy of the last epoch run, nats. */
  finalTrainLoss: number;
  /** Test accuracy after the last epoch run, as a fraction (0.1 = chance). */
  testAccuracy: number;
  maxActivation: number;
  maxWeightNorm: number;
  /** Fraction of hidden units that output 0 for every test digit at the end (dead ReLUs; tanh: 0). */
  deadFraction: number;
  epochs: ReluEpoch[];
}

export interface ReluBlowupMeasurements {
  engine: string;
  trainSize: number;
  testSize: number;
  epochsPerRun: number;
  blowupActivation: number;
  blowupWeightFactor: number;
  runs: ReluRun[];
}

let varCounter = 0;

interface Spec {
  activation: Act;
  lr: number;
  l2: number;
  clip: number | null;
  init: Init;
  role: ReluRun['role'];
}

/** Which blow-up test an epoch fails first, or null: non-finite, activation bound, weight growth, or (last epoch) no better than chance. */
function blowupTest(ep: ReluEpoch, lastEpoch: boolean, o: ReluBlowupOptions, initialWeightNorm: number): ReluRun['divergedBy'] {
  if (!Number.isFinite(ep.trainLoss) || !Number.isFinite(ep.weightNorm) || !Number.isFinite(ep.maxActivation)) return 'non-finite';
  if (ep.maxActivation > o.blowupActivation) return 'activation';
  if (ep.weightNorm > o.blowupWeightFactor * initialWeightNorm) return 'weight-norm';
  return lastEpoch && ep.trainLoss >= Math.log(10) ? 'loss' : null;
}

/** The 784-H-10 net of one run: its variables, drawn from rng (He or naive init), and its forward pass. */
function buildNet(s: Spec, o: ReluBlowupOptions, rng: Rng) {
  const H = o.hidden;
  const w = (fi: number, fo: number) =>
    s.init === 'he' ? initialValues('he_normal', [fi, fo], fi, fo, rng) : Float32Array.from({ length: fi * fo }, () => rng.normal(0, o.naiveStd));
  const b = (n: number) => (s.init === 'he' ? new Float32Array(n) : Float32Array.from({ length: n }, () => rng.normal(0, o.naiveStd)));
  const W1 = tf.variable(tf.tensor2d(w(784, H), [784, H]), true, `rb_${++varCounter}`);
  const b1 = tf.variable(tf.tensor1d(b(H)), true, `rb_${++varCounter}`);
  const W2 = tf.variable(tf.tensor2d(w(H, 10), [H, 10]), true, `rb_${++varCounter}`);
  const b2 = tf.variable(tf.tensor1d(b(10)), true, `rb_${++varCounter}`);
  const hidden = (x: tf.Tensor2D) => {
    const z = tf.add(tf.matMul(x, W1), b1);
    return (s.activation === 'relu' ? tf.relu(z) : tf.tanh(z)) as tf.Tensor2D;
  };
  return {
    vars: [W1, b1, W2, b2],
    hidden,
    logits: (x: tf.Tensor2D) => tf.add(tf.matMul(hidden(x), W2), b2) as tf.Tensor2D,
    /** Sum of squared weights of both matrices (the L2 term and the weight norm). */
    weightSq: () => tf.add(tf.sum(tf.square(W1)), tf.sum(tf.square(W2))) as tf.Scalar,
  };
}

/** Test accuracy, largest hidden activation, weight norm and dead-unit fraction (ReLU) of the net now. */
function measureTest(net: ReturnType<typeof buildNet>, t: Record<string, tf.Tensor>, act: Act) {
  return tf.tidy(() => {
    const h = net.hidden(t.testX as tf.Tensor2D);
    const pred = tf.argMax(net.logits(t.testX as tf.Tensor2D), 1);
    return {
      testAccuracy: tf.mean(tf.cast(tf.equal(pred, t.testLabels), 'float32')).dataSync()[0],
      maxActivation: tf.max(h).dataSync()[0],
      weightNorm: Math.sqrt(net.weightSq().dataSync()[0]),
      // A unit is dead when it is zero on every test digit.
      deadFraction: act === 'relu' ? tf.mean(tf.cast(tf.equal(tf.max(h, 0), 0), 'float32')).dataSync()[0] : 0,
    };
  });
}

async function trainOne(s: Spec, o: ReluBlowupOptions, data: { train: DigitSet; test: DigitSet }, t: Record<string, tf.Tensor>, rng: Rng, ctx: StudyContext): Promise<ReluRun> {
  const net = buildNet(s, o, rng);
  const vars = net.vars;
  // The batch order: the loop's seeded shuffle, from this run's stream (after the init draws).
  const shuffleSeed = rng.int(0x7fffffff);
  const epochs: ReluEpoch[] = [];
  let divergedEpoch: number | null = null;
  let divergedBy: ReluRun['divergedBy'] = null;
  let deadFraction = 0;
  const initialWeightNorm = tf.tidy(() => Math.sqrt(net.weightSq().dataSync()[0]));
  const n = data.train.n;
  const steps = Math.floor(n / o.batchSize);
  const opt = createOptimizer({ name: 'sgd', momentum: 0 }); // plain mini-batch gradient descent
  let lossSum: tf.Scalar = tf.scalar(0);
  /** One SGD step on the batch idx; its cross-entropy (without the L2 term) is summed on the device. */
  const step = (idx: Int32Array) => {
    const next = tf.tidy(() => {
      const i = tf.tensor1d(idx, 'int32');
      const x = tf.gather(t.trainX, i) as tf.Tensor2D;
      const y = tf.gather(t.trainY, i) as tf.Tensor2D;
      let ce: tf.Scalar = tf.scalar(0);
      gradientStep(opt, vars, () => {
        // Kept past variableGrads' internal tidy: the epoch loss reports cross-entropy without the L2 term.
        ce = tf.keep(tf.losses.softmaxCrossEntropy(y, net.logits(x)) as tf.Scalar);
        return s.l2 > 0 ? tf.add(ce, tf.mul(0.5 * s.l2, net.weightSq())) : ce;
      }, s.lr, { clipNorm: s.clip });
      const sum = tf.add(lossSum, ce) as tf.Scalar;
      ce.dispose();
      return sum;
    });
    lossSum.dispose();
    lossSum = next;
  };
  /** Test accuracy, activations and weight norm after an epoch; 'diverged' when a blow-up test fires. */
  const endEpoch = async (epoch: number): Promise<Verdict> => {
    const e = epoch + 1;
    const trainLoss = (await lossSum.data())[0] / steps;
    lossSum.dispose();
    lossSum = tf.scalar(0);
    const m = measureTest(net, t, s.activation);
    deadFraction = m.deadFraction;
    const ep: ReluEpoch = { epoch: e, trainLoss, testAccuracy: m.testAccuracy, maxActivation: m.maxActivation, weightNorm: m.weightNorm };
    epochs.push(ep);
    divergedBy = blowupTest(ep, e === o.epochs, o, initialWeightNorm);
    if (!divergedBy) return undefined;
    divergedEpoch = e;
    return 'diverged'; // nothing more to learn from a blown-up net
  };
  try {
    await runLoop({
      epochs: o.epochs, stepsPerEpoch: steps, samples: n, batchSize: o.batchSize, seed: shuffleSeed, logEvery: steps,
      signal: ctx.signal, yieldEvery: 200,
      load: async (idx) => idx,
      step,
      endEpoch,
    });
  } finally {
    lossSum.dispose();
    opt.dispose();
    tf.dispose(vars);
  }
  const last = epochs[epochs.length - 1];
  const finiteMax = (xs: number[]) => xs.reduce((m, v) => (Number.isNaN(v) ? m : Math.max(m, v)), -Infinity);
  return {
    ...s,
    diverged: divergedEpoch !== null,
    divergedEpoch,
    failure: divergedEpoch !== null ? 'diverged' : deadFraction >= o.deadFailFraction ? 'dead' : null,
    divergedBy,
    initialWeightNorm,
    finalTrainLoss: last.trainLoss,
    testAccuracy: last.testAccuracy,
    maxActivation: finiteMax(epochs.map((x) => x.maxActivation)),
    maxWeightNorm: finiteMax(epochs.map((x) => x.weightNorm)),
    deadFraction,
    epochs,
  };
}

/** Runs the study on the configured engine. */
export async function runReluBlowup(input: Partial<ReluBlowupOptions>, ctx: StudyContext = {}): Promise<ReluBlowupMeasurements> {
  const o = ReluBlowupOptions.parse(input);
  const engine = await initEngine(o.engine);
  const rng = createRng(o.seed);
  const data = loadMnist(o.trainSize, o.testSize, rng.fork());
  const t: Record<string, tf.Tensor> = {
    trainX: tf.tensor2d(data.train.x, [data.train.n, 784]),
    trainY: tf.tensor2d(data.train.y, [data.train.n, 10]),
    testX: tf.tensor2d(data.test.x, [data.test.n, 784]),
    testLabels: tf.tensor1d(data.test.labels, 'int32'),
  };
  const sweep: Spec[] = o.activations.flatMap((activation) =>
    o.inits.flatMap((init) => o.learningRates.map((lr): Spec => ({ activation, lr, l2: 0, clip: null, init, role: 'sweep' }))),
  );
  const runs: ReluRun[] = [];
  const seedOf = (s: Spec) => createRng(o.seed * 7919 + o.inits.indexOf(s.init) * 101 + o.activations.indexOf(s.activation));
  try {
    let done = 0;
    for (const s of sweep) {
      ctx.onProgress?.({ stage: `sweep: ${s.activation}, ${s.init} init, lr ${s.lr}`, done: done++, total: sweep.length });
      // Same init draw for every learning rate of an (activation, init) pair.
      runs.push(await trainOne(s, o, data, t, seedOf(s), ctx));
    }
    // Remedies on the lowest failing learning rate of each ReLU init (diverged or mostly dead).
    const failing = runs.filter((r) => r.role === 'sweep' && r.activation === 'relu' && r.failure !== null);
    const remedies: Spec[] = o.inits
      .map((init) => failing.filter((r) => r.init === init).sort((a, b) => a.lr - b.lr)[0])
      .filter((r): r is ReluRun => r !== undefined)
      .flatMap((r): Spec[] => [
        { activation: r.activation, lr: r.lr, init: r.init, l2: o.remedyL2, clip: null, role: 'l2' },
        { activation: r.activation, lr: r.lr, init: r.init, l2: 0, clip: o.remedyClip, role: 'clip' },
        { activation: r.activation, lr: r.lr, init: r.init, l2: o.remedyL2, clip: o.remedyClip, role: 'l2+clip' },
      ]);
    for (const [i, s] of remedies.entries()) {
      ctx.onProgress?.({ stage: `remedy ${s.role}: ${s.init} init, lr ${s.lr}`, done: i, total: remedies.length });
      runs.push(await trainOne(s, o, data, t, seedOf(s), ctx));
    }
  } finally {
    tf.dispose(Object.values(t));
  }
  return { engine: engine.name, trainSize: data.train.n, testSize: data.test.n, epochsPerRun: o.epochs, blowupActivation: o.blowupActivation, blowupWeightFactor: o.blowupWeightFactor, runs };
}

const pct = (a: number) => `${fmt(100 * a)}%`;

function describe(r: ReluRun, m: ReluBlowupMeasurements): string {
  if (r.failure === 'diverged') {
    const why =
      r.divergedBy === 'non-finite'
        ? 'loss or weights went non-finite'
        : r.divergedBy === 'activation'
          ? `max activation ${fmt(r.maxActivation)} > ${fmt(m.blowupActivation)}`
          : r.divergedBy === 'weight-norm'
            ? `weight norm ${fmt(r.initialWeightNorm)} -> ${fmt(r.maxWeightNorm)}, over ${fmt(m.blowupWeightFactor)}x`
            : null;
    if (why === null) return `failed to learn: training loss ${fmt(r.finalTrainLoss)} nats after ${r.divergedEpoch} epochs, no better than guessing (ln 10 = 2.3 nats), ${pct(r.deadFraction)} of hidden units dead, ${pct(r.testAccuracy)} test accuracy`;
    return `diverged in epoch ${r.divergedEpoch} (${why}; ${pct(r.deadFraction)} units dead)`;
  }
  if (r.failure === 'dead') return `${pct(r.deadFraction)} of hidden units dead, ${pct(r.testAccuracy)} test accuracy`;
  return `${pct(r.testAccuracy)} test accuracy, max activation ${fmt(r.maxActivation)}, weight norm ${fmt(r.maxWeightNorm)}`;
}

/** Conclusions computed from the measurements (pure). */
export function concludeReluBlowup(m: ReluBlowupMeasurements): string[] {
  const out: string[] = [];
  const sweep = m.runs.filter((r) => r.role === 'sweep');
  const inits = [...new Set(sweep.map((r) => r.init))];
  for (const init of inits) {
    for (const act of ['tanh', 'relu'] as const) {
      const rs = sweep.filter((r) => r.init === init && r.activation === act).sort((a, b) => a.lr - b.lr);
      if (rs.length === 0) continue;
      const firstFail = rs.find((r) => r.failure !== null);
      const ok = rs.filter((r) => r.failure === null);
      const best = ok.reduce<ReluRun | null>((b, r) => (!b || r.testAccuracy > b.testAccuracy ? r : b), null);
      out.push(
        `${act}, ${init} init, plain SGD for ${m.epochsPerRun} epochs: ${rs.map((r) => `lr ${fmt(r.lr)} -> ${describe(r, m)}`).join('; ')}.` +
          (firstFail ? ` First failure at lr ${fmt(firstFail.lr)}.` : ' No learning rate failed.') +
          (best ? ` Best: ${pct(best.testAccuracy)} at lr ${fmt(best.lr)}.` : ''),
      );
    }
  }
  // Tanh vs ReLU at the same setting.
  const pairs = sweep
    .filter((r) => r.activation === 'relu')
    .map((r) => ({ relu: r, tanh: sweep.find((t) => t.activation === 'tanh' && t.init === r.init && t.lr === r.lr) }))
    .filter((p): p is { relu: ReluRun; tanh: ReluRun } => p.tanh !== undefined);
  const onlyRelu = pairs.filter((p) => p.relu.failure !== null && p.tanh.failure === null);
  if (onlyRelu.length) {
    out.push(
      `ReLU failed where tanh trained at ${onlyRelu.map((p) => `${p.relu.init} init, lr ${fmt(p.relu.lr)} (tanh ${pct(p.tanh.testAccuracy)}, max activation ${fmt(p.tanh.maxActivation)}; ReLU max activation ${fmt(p.relu.maxActivation)}, weight norm ${fmt(p.relu.maxWeightNorm)})`).join('; ')}: tanh's output is bounded by 1, ReLU's is not, and a ReLU pushed negative by a large step stops passing gradient.`,
    );
  } else if (pairs.some((p) => p.relu.failure !== null)) {
    out.push('Wherever ReLU failed, tanh failed too at the same learning rate and init.');
  } else if (pairs.length) {
    out.push(`No ReLU run failed at learning rates up to ${fmt(Math.max(...pairs.map((p) => p.relu.lr)))}.`);
  }
  // What stops it.
  const remedies = m.runs.filter((r) => r.role !== 'sweep');
  for (const key of [...new Set(remedies.map((r) => `${r.init}|${r.lr}`))]) {
    const rs = remedies.filter((r) => `${r.init}|${r.lr}` === key);
    const base = sweep.find((r) => r.activation === 'relu' && `${r.init}|${r.lr}` === key);
    const fixed = rs.filter((r) => r.failure === null);
    out.push(
      `Remedies at ReLU, ${rs[0].init} init, lr ${fmt(rs[0].lr)}${base ? ` (without: ${describe(base, m)})` : ''}: ` +
        rs.map((r) => `${r.role} (L2 ${fmt(r.l2)}, clip ${r.clip === null ? 'off' : fmt(r.clip)}) ${r.failure === null ? 'trained' : 'still failed'}: ${describe(r, m)}`).join('; ') +
        (fixed.length ? `. What stopped it: ${fixed.map((r) => r.role).join(', ')}.` : '. None of them stopped it; only the smaller learning rates in the sweep did.'),
    );
  }
  // He vs naive at the same lr, where both trained.
  const cmp = sweep
    .filter((r) => r.init === 'he' && r.failure === null)
    .map((h) => ({ h, n: sweep.find((r) => r.init === 'naive' && r.activation === h.activation && r.lr === h.lr && r.failure === null) }))
    .filter((p): p is { h: ReluRun; n: ReluRun } => p.n !== undefined);
  if (cmp.length) {
    const better = cmp.filter((p) => p.h.testAccuracy > p.n.testAccuracy);
    out.push(
      `He init beat the naive init in ${better.length} of ${cmp.length} settings where both trained (${cmp.map((p) => `${p.h.activation} lr ${fmt(p.h.lr)}: ${pct(p.h.testAccuracy)} vs ${pct(p.n.testAccuracy)}`).join('; ')}).`,
    );
  }
  return out;
}
