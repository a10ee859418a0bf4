/**
 * Study `relu-blowup`: the 784-30-10 softmax classifier on MNIST digits,
 * trained with plain mini-batch SGD. Sweeps the learning rate for tanh and
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
import { ReluBlowupOptions } from './options.ts';
import { checkCancelled, fmt, tick, type StudyContext } from './types.ts';

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

async function trainOne(s: Spec, o: ReluBlowupOptions, data: { train: DigitSet; test: DigitSet }, t: Record<string, tf.Tensor>, rng: Rng, ctx: StudyContext): Promise<ReluRun> {
  const H = o.hidden;
  const w = (fi: number, fo: number) =>
    s.init === 'he' ? initialValues('he_normal', [fi, fo], fi, fo, rng) : Float32Array.from({ length: fi * fo }, () => rng.normal(0, o.naiveStd));
  const b = (n: number) => (s.init === 'he' ? new Float32Array(n) : Float32Array.from({ length: n }, () => rng.normal(0, o.naiveStd)));
  const W1 = tf.variable(tf.tensor2d(w(784, H), [784, H]), true, `rb_${++varCounter}`);
  const b1 = tf.variable(tf.tensor1d(b(H)), true, `rb_${++varCounter}`);
  const W2 = tf.variable(tf.tensor2d(w(H, 10), [H, 10]), true, `rb_${++varCounter}`);
  const b2 = tf.variable(tf.tensor1d(b(10)), true, `rb_${++varCounter}`);
  const vars = [W1, b1, W2, b2];
  const hidden = (x: tf.Tensor2D) => {
    const z = tf.add(tf.matMul(x, W1), b1);
    return s.activation === 'relu' ? tf.relu(z) : tf.tanh(z);
  };
  const logits = (x: tf.Tensor2D) => tf.add(tf.matMul(hidden(x) as tf.Tensor2D, W2), b2) as tf.Tensor2D;
  const epochs: ReluEpoch[] = [];
  let divergedEpoch: number | null = null;
  let deadFraction = 0;
  const n = data.train.n;
  const steps = Math.floor(n / o.batchSize);
  try {
    for (let e = 1; e <= o.epochs; e++) {
      const order = Int32Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
      let lossSum: tf.Scalar = tf.scalar(0);
      for (let k = 0; k < steps; k++) {
        const next = tf.tidy(() => {
          const idx = tf.tensor1d(order.subarray(k * o.batchSize, (k + 1) * o.batchSize), 'int32');
          const x = tf.gather(t.trainX, idx) as tf.Tensor2D;
          const y = tf.gather(t.trainY, idx) as tf.Tensor2D;
          let ce: tf.Scalar = tf.scalar(0);
          const { grads } = tf.variableGrads(() => {
            // Kept past variableGrads' internal tidy: the epoch loss reports cross-entropy without the L2 term.
            ce = tf.keep(tf.losses.softmaxCrossEntropy(y, logits(x)) as tf.Scalar);
            return s.l2 > 0 ? tf.add(ce, tf.mul(0.5 * s.l2, tf.add(tf.sum(tf.square(W1)), tf.sum(tf.square(W2))))) : ce;
          }, vars);
          let scale: tf.Scalar | number = 1;
          if (s.clip !== null) {
            const norm = tf.sqrt(tf.addN(vars.map((v) => tf.sum(tf.square(grads[v.name])))));
            scale = tf.minimum(1, tf.div(s.clip, tf.maximum(norm, 1e-12)));
          }
          for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name], tf.mul(scale, s.lr))));
          const sum = tf.add(lossSum, ce) as tf.Scalar;
          ce.dispose();
          return sum;
        });
        lossSum.dispose();
        lossSum = next;
        if (k % 200 === 0) {
          checkCancelled(ctx.signal);
          await tick();
        }
      }
      const trainLoss = (await lossSum.data())[0] / steps;
      lossSum.dispose();
      const ep = tf.tidy(() => {
        const h = hidden(t.testX as tf.Tensor2D);
        const pred = tf.argMax(tf.add(tf.matMul(h as tf.Tensor2D, W2), b2), 1);
        const acc = tf.mean(tf.cast(tf.equal(pred, t.testLabels), 'float32')).dataSync()[0];
        const maxAct = tf.max(h).dataSync()[0];
        const wn = Math.sqrt(tf.add(tf.sum(tf.square(W1)), tf.sum(tf.square(W2))).dataSync()[0]);
        // A unit is dead when it is zero on every test digit.
        deadFraction = s.activation === 'relu' ? tf.mean(tf.cast(tf.equal(tf.max(h, 0), 0), 'float32')).dataSync()[0] : 0;
        return { epoch: e, trainLoss, testAccuracy: acc, maxActivation: maxAct, weightNorm: wn };
      });
      epochs.push(ep);
      const bad = !Number.isFinite(ep.trainLoss) || !Number.isFinite(ep.weightNorm) || !Number.isFinite(ep.maxActivation) || ep.maxActivation > o.blowupActivation;
      if (bad) {
        divergedEpoch = e;
        break; // nothing more to learn from a blown-up net
      }
    }
  } finally {
    tf.dispose(vars);
  }
  const last = epochs[epochs.length - 1];
  const finiteMax = (xs: number[]) => xs.reduce((m, v) => (Number.isNaN(v) ? m : Math.max(m, v)), -Infinity);
  return {
    ...s,
    diverged: divergedEpoch !== null,
    divergedEpoch,
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
    // Remedies on every diverged ReLU setting.
    const remedies: Spec[] = runs
      .filter((r) => r.role === 'sweep' && r.activation === 'relu' && r.diverged)
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
  return { engine: engine.name, trainSize: data.train.n, testSize: data.test.n, epochsPerRun: o.epochs, blowupActivation: o.blowupActivation, runs };
}

const pct = (a: number) => `${fmt(100 * a)}%`;

/** Conclusions computed from the measurements (pure). */
export function concludeReluBlowup(m: ReluBlowupMeasurements): string[] {
  const out: string[] = [];
  const sweep = m.runs.filter((r) => r.role === 'sweep');
  const inits = [...new Set(sweep.map((r) => r.init))];
  for (const init of inits) {
    for (const act of ['tanh', 'relu'] as const) {
      const rs = sweep.filter((r) => r.init === init && r.activation === act).sort((a, b) => a.lr - b.lr);
      if (rs.length === 0) continue;
      const firstDiv = rs.find((r) => r.diverged);
      const okRuns = rs.filter((r) => !r.diverged);
      const best = okRuns.reduce<ReluRun | null>((b, r) => (!b || r.testAccuracy > b.testAccuracy ? r : b), null);
      out.push(
        `${act}, ${init} init: ${rs.map((r) => `lr ${fmt(r.lr)} -> ${r.diverged ? `diverged in epoch ${r.divergedEpoch} (max activation ${fmt(r.maxActivation)}, weight norm ${fmt(r.maxWeightNorm)})` : `${pct(r.testAccuracy)} test accuracy, max activation ${fmt(r.maxActivation)}`}`).join('; ')}.` +
          (firstDiv ? ` First divergence at lr ${fmt(firstDiv.lr)}.` : ' No learning rate diverged.') +
          (best ? ` Best: ${pct(best.testAccuracy)} at lr ${fmt(best.lr)}.` : ''),
      );
    }
  }
  // Tanh vs ReLU at the same setting.
  const pairs = sweep.filter((r) => r.activation === 'relu').map((r) => ({ relu: r, tanh: sweep.find((t) => t.activation === 'tanh' && t.init === r.init && t.lr === r.lr) }));
  const onlyRelu = pairs.filter((p) => p.tanh && p.relu.diverged && !p.tanh.diverged);
  if (onlyRelu.length) {
    out.push(
      `ReLU diverged where tanh did not at ${onlyRelu.map((p) => `${p.relu.init} init, lr ${fmt(p.relu.lr)} (tanh max activation ${fmt(p.tanh!.maxActivation)}, ReLU ${fmt(p.relu.maxActivation)})`).join('; ')}: tanh's output is bounded by 1, ReLU's is not, so a large step feeds on itself.`,
    );
  } else if (pairs.some((p) => p.relu.diverged)) {
    out.push('Wherever ReLU diverged, tanh diverged too at the same learning rate and init.');
  } else {
    out.push(`No ReLU run diverged at learning rates up to ${fmt(Math.max(...sweep.map((r) => r.lr)))} with blow-up bound ${fmt(m.blowupActivation)}.`);
  }
  const dead = sweep.filter((r) => r.activation === 'relu' && !r.diverged && r.deadFraction >= 0.5);
  if (dead.length) {
    out.push(`Without diverging, ReLU lost most of its units at ${dead.map((r) => `${r.init} init, lr ${fmt(r.lr)} (${pct(r.deadFraction)} dead, ${pct(r.testAccuracy)} accuracy)`).join('; ')}.`);
  }
  // What stops it.
  const remedies = m.runs.filter((r) => r.role !== 'sweep');
  const settings = [...new Set(remedies.map((r) => `${r.init}|${r.lr}`))];
  for (const key of settings) {
    const rs = remedies.filter((r) => `${r.init}|${r.lr}` === key);
    const [init, lr] = [rs[0].init, rs[0].lr];
    const stopped = rs.filter((r) => !r.diverged);
    out.push(
      stopped.length
        ? `At ${init} init, lr ${fmt(lr)}: ${rs.map((r) => `${r.role} (l2 ${fmt(r.l2)}, clip ${r.clip === null ? 'off' : fmt(r.clip)}) ${r.diverged ? `still diverged in epoch ${r.divergedEpoch}` : `stopped it: ${pct(r.testAccuracy)} accuracy, max activation ${fmt(r.maxActivation)}, weight norm ${fmt(r.maxWeightNorm)}`}`).join('; ')}.`
        : `At ${init} init, lr ${fmt(lr)}: none of L2 ${fmt(rs[0].l2 || rs.find((r) => r.l2 > 0)?.l2 || 0)}, clipping or both stopped the divergence; only a smaller learning rate did.`,
    );
  }
  // He vs naive at the same lr, where both converged.
  const cmp = sweep.filter((r) => r.init === 'he' && !r.diverged).map((h) => ({ h, n: sweep.find((r) => r.init === 'naive' && r.activation === h.activation && r.lr === h.lr && !r.diverged) })).filter((p) => p.n);
  if (cmp.length) {
    const better = cmp.filter((p) => p.h.testAccuracy > p.n!.testAccuracy);
    out.push(
      `He init beat the naive N(0, 1) init in ${better.length} of ${cmp.length} settings where both trained (${cmp.map((p) => `${p.h.activation} lr ${fmt(p.h.lr)}: ${pct(p.h.testAccuracy)} vs ${pct(p.n!.testAccuracy)}`).join('; ')}).`,
    );
  }
  return out;
}
