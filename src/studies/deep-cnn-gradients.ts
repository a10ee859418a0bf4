/**
 * Study `deep-cnn-gradients`: gradient flow through a deep plain CNN (about
 * ten 3x3 conv layers, no skip connections) with sigmoid, ReLU or ELU, with
 * and without batchnorm, trained on the demo drive (or the user's video):
 * per-layer gradient norms over steps (heatmap data) and validation MAE in
 * degrees. PilotNet has only five convs, so this study builds its own net
 * (tfjs-core), trains it through the lab's loop (train/loop.ts: seeded
 * shuffle, Adam from the optimizer registry, validation via predictSource),
 * and uses the video loader, the experiments' training data and the model's
 * initialisers, target transform and degree metrics.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../engine/index.ts';
import { datasetToTrainingData } from '../experiments/training-data.ts';
import { initialValues } from '../model/index.ts';
import { createRng } from '../rng.ts';
import { angleBins, createTargetTransform, evaluateDeg, type TargetTransform } from '../targets/index.ts';
import { AugmentConfig, SplitConfig } from '../train/config.ts';
import type { TrainingData } from '../train/data.ts';
import { predictSource } from '../train/evaluate.ts';
import { gradientStep, runLoop } from '../train/loop.ts';
import { createOptimizer } from '../train/optimizer.ts';
import { loadDataset } from '../video/dataset.ts';
import { prepareDrive } from './drive.ts';
import { DeepCnnGradientsOptions } from './options.ts';
import { fmt, type StudyContext } from './types.ts';

type Act = DeepCnnGradientsOptions['activations'][number];

export interface DeepCnnRun {
  activation: Act;
  batchnorm: boolean;
  /** Mean over logged steps of ||dL/dW conv1|| / ||dL/dW last conv|| (< 1: gradients shrink towards the input). */
  firstToLastGradRatio: number;
  /** Validation MAE in degrees after the last epoch. */
  valMaeDeg: number;
  valRmseDeg: number;
  maeByEpochDeg: number[];
  /** Heatmap: gradNorm[layer][column], one column per logged step (steps in heatmapSteps). */
  gradNormHeatmap: number[][];
  heatmapSteps: number[];
  /** Training loss (MSE on normalised targets) per logged step. */
  lossBySteps: number[];
  wallTimeS: number;
}

export interface DeepCnnGradientsMeasurements {
  engine: string;
  convLayers: number;
  layerNames: string[];
  dataset: { source: string; trainSamples: number; valSamples: number; input: { width: number; height: number } };
  baselines: { zeroMaeDeg: number; meanMaeDeg: number };
  runs: DeepCnnRun[];
}

/** Batchnorm moving-average momentum: 0.9, not Keras' 0.99, because these runs have only ~100 steps. */
const BN_MOMENTUM = 0.9;
const BN_EPS = 1e-3;
let varCounter = 0;

interface Layer {
  kernel: tf.Variable;
  bias: tf.Variable;
  gamma?: tf.Variable;
  beta?: tf.Variable;
  mean?: tf.Variable;
  variance?: tf.Variable;
  stride: number;
}

function activate(a: Act, x: tf.Tensor): tf.Tensor {
  return a === 'relu' ? tf.relu(x) : a === 'elu' ? tf.elu(x) : tf.sigmoid(x);
}

function buildNet(o: DeepCnnGradientsOptions, act: Act, bn: boolean, seed: number) {
  const rng = createRng(seed);
  // He for ReLU/ELU, Glorot for sigmoid: each activation gets its textbook init, so the difference is the activation.
  const init = act === 'sigmoid' ? 'glorot_normal' : 'he_normal';
  const v = (t: tf.Tensor, trainable = true) => tf.variable(t, trainable, `dcg_${++varCounter}`);
  const layers: Layer[] = [];
  let inC = 3;
  for (let i = 0; i < o.convLayers; i++) {
    const c = o.channels;
    // Stride 2 on every third layer (and the first) keeps ten layers affordable on a small input.
    const stride = i % 3 === 0 ? 2 : 1;
    const l: Layer = {
      kernel: v(tf.tensor4d(initialValues(init, [3, 3, inC, c], 9 * inC, 9 * c, rng), [3, 3, inC, c])),
      bias: v(tf.zeros([c])),
      stride,
    };
    if (bn) {
      l.gamma = v(tf.ones([c]));
      l.beta = v(tf.zeros([c]));
      l.mean = v(tf.zeros([c]), false);
      l.variance = v(tf.ones([c]), false);
    }
    layers.push(l);
    inC = c;
  }
  const headW = v(tf.tensor2d(initialValues('glorot_normal', [inC, 1], inC, 1, rng), [inC, 1]));
  const headB = v(tf.zeros([1]));
  const trainable = [...layers.flatMap((l) => [l.kernel, l.bias, ...(l.gamma ? [l.gamma, l.beta!] : [])]), headW, headB];
  const batchStats: { mean: tf.Tensor; variance: tf.Tensor }[] = [];
  const forward = (x: tf.Tensor4D, training: boolean): tf.Tensor2D => {
    let h: tf.Tensor4D = x;
    layers.forEach((l, i) => {
      let z = tf.add(tf.conv2d(h, l.kernel as tf.Variable<tf.Rank.R4>, l.stride, 'same'), l.bias) as tf.Tensor4D;
      if (l.gamma) {
        let mean: tf.Tensor, variance: tf.Tensor;
        if (training) {
          const m = tf.moments(z, [0, 1, 2]);
          mean = m.mean;
          variance = m.variance;
          batchStats[i] = { mean: tf.keep(tf.clone(mean)), variance: tf.keep(tf.clone(variance)) };
        } else {
          mean = l.mean!;
          variance = l.variance!;
        }
        z = tf.batchNorm(z, mean, variance, l.beta!, l.gamma, BN_EPS) as tf.Tensor4D;
      }
      h = activate(act, z) as tf.Tensor4D;
    });
    const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
    return tf.add(tf.matMul(pooled, headW as tf.Variable<tf.Rank.R2>), headB) as tf.Tensor2D;
  };
  const updateMoving = () => {
    layers.forEach((l, i) => {
      const s = batchStats[i];
      if (!l.mean || !s) return;
      tf.tidy(() => {
        l.mean!.assign(tf.add(tf.mul(l.mean!, BN_MOMENTUM), tf.mul(s.mean, 1 - BN_MOMENTUM)));
        l.variance!.assign(tf.add(tf.mul(l.variance!, BN_MOMENTUM), tf.mul(s.variance, 1 - BN_MOMENTUM)));
      });
      tf.dispose([s.mean, s.variance]);
      batchStats[i] = undefined as unknown as { mean: tf.Tensor; variance: tf.Tensor };
    });
  };
  const all = [...trainable, ...layers.flatMap((l) => (l.mean ? [l.mean, l.variance!] : []))];
  return { layers, trainable, forward, updateMoving, dispose: () => tf.dispose(all) };
}

/** What every combination shares: the training mean and bins of the metrics, and its progress label. */
interface ComboContext {
  trainMean: number;
  bins: ReturnType<typeof angleBins>;
  stage: string;
}

/**
 * Trains one (activation, batchnorm) net through the lab's loop (Adam, the
 * seeded shuffle, the same batches for every combination) and validates it
 * after every epoch. Kernel gradient norms and the loss are read back at
 * logging steps only.
 */
async function trainCombo(o: DeepCnnGradientsOptions, c: { activation: Act; batchnorm: boolean }, td: TrainingData, target: TargetTransform, cc: ComboContext, ctx: StudyContext) {
  const t0 = performance.now();
  const shape = td.inputShape;
  const net = buildNet(o, c.activation, c.batchnorm, o.seed);
  const opt = createOptimizer({ name: 'adam', momentum: 0 });
  const kernelAt = net.layers.map((l) => net.trainable.indexOf(l.kernel));
  const heat: number[][] = net.layers.map(() => []);
  const heatSteps: number[] = [];
  const losses: number[] = [];
  const maeByEpoch: number[] = [];
  let rmse = NaN;
  let baselines = { zeroMaeDeg: NaN, meanMaeDeg: NaN };
  const steps = Math.max(1, Math.floor(td.train.size / o.batchSize));
  try {
    await runLoop({
      epochs: o.epochs, stepsPerEpoch: steps, samples: td.train.size, batchSize: o.batchSize, seed: o.seed + 17, logEvery: o.logEvery,
      signal: ctx.signal, yieldEvery: 5,
      load: (idx) => td.train.batch(idx),
      step(b, at) {
        const y = Float32Array.from(b.yDeg, (d) => target.toTarget(d));
        tf.tidy(() => {
          const x = tf.tensor4d(b.x, [b.size, ...shape]);
          const yt = tf.tensor2d(y, [b.size, 1]);
          const inspect = (g: tf.Tensor[]) => {
            const norms = tf.stack(kernelAt.map((k) => tf.norm(g[k]))).dataSync(); // one read-back for every layer
            heat.forEach((h, l) => h.push(norms[l]));
            heatSteps.push(at.step);
          };
          const value = gradientStep(opt, net.trainable, () => tf.losses.meanSquaredError(yt, net.forward(x, true)) as tf.Scalar, o.learningRate, { inspect: at.log ? inspect : undefined });
          if (at.log) losses.push(value.dataSync()[0]);
        });
        net.updateMoving();
        if (at.stepInEpoch % 5 === 0) ctx.onProgress?.({ stage: cc.stage, done: at.epoch * steps + at.stepInEpoch, total: o.epochs * steps });
      },
      async endEpoch() {
        const p = await predictSource(td.val, 64, (b) => net.forward(tf.tensor4d(b.x, [b.size, ...shape]), false), ctx.signal);
        const ev = evaluateDeg(Float32Array.from(p.out, (t) => target.toDeg(t)), p.trueDeg, cc.trainMean, cc.bins);
        maeByEpoch.push(ev.model.maeDeg);
        rmse = ev.model.rmseDeg;
        baselines = { zeroMaeDeg: ev.zero.maeDeg, meanMaeDeg: ev.mean.maeDeg };
      },
    });
  } finally {
    opt.dispose();
    net.dispose();
  }
  const last = heat.length - 1;
  const ratios = heat[0].map((g0, j) => g0 / heat[last][j]).filter((r) => Number.isFinite(r));
  const run: DeepCnnRun = {
    activation: c.activation,
    batchnorm: c.batchnorm,
    firstToLastGradRatio: ratios.length ? ratios.reduce((a, b) => a + b, 0) / ratios.length : NaN,
    valMaeDeg: maeByEpoch[maeByEpoch.length - 1],
    valRmseDeg: rmse,
    maeByEpochDeg: maeByEpoch,
    gradNormHeatmap: heat,
    heatmapSteps: heatSteps,
    lossBySteps: losses,
    wallTimeS: (performance.now() - t0) / 1000,
  };
  return { run, baselines };
}

/** Runs the study: one training run per (activation, batchnorm), same data, split and seed. */
export async function runDeepCnnGradients(input: Partial<DeepCnnGradientsOptions>, ctx: StudyContext = {}): Promise<DeepCnnGradientsMeasurements> {
  const o = DeepCnnGradientsOptions.parse(input);
  const engine = await initEngine(o.engine);
  const drive = await prepareDrive({ video: o.video, labels: o.labels, dataset: o.dataset, frames: o.frames, seed: o.seed, workspace: o.workspace }, ctx);
  const ds = await loadDataset(
    { ...drive.spec, input: { width: o.width, height: o.height } },
    { cacheDir: `${drive.workspace}/cache`, signal: ctx.signal, onProgress: (p) => ctx.onProgress?.({ stage: 'decoding frames', done: p.done, total: p.total }) },
  );
  const runs: DeepCnnRun[] = [];
  try {
    const td = datasetToTrainingData(ds, SplitConfig.parse({ seed: o.seed }), AugmentConfig.parse({ flip: false, brightness: 0, contrast: 0 }));
    const target = createTargetTransform({ kind: 'normalized' }, td.train.anglesDeg);
    const combos = o.activations.flatMap((activation) => o.batchnorm.map((batchnorm) => ({ activation, batchnorm })));
    let baselines = { zeroMaeDeg: NaN, meanMaeDeg: NaN };
    const trainMean = td.train.anglesDeg.reduce((a, b) => a + b, 0) / Math.max(1, td.train.size);
    const bins = angleBins(td.train.anglesDeg);
    for (const [ci, c] of combos.entries()) {
      const stage = `${c.activation}${c.batchnorm ? ' + batchnorm' : ''} (${ci + 1}/${combos.length})`;
      const r = await trainCombo(o, c, td, target, { trainMean, bins, stage }, ctx);
      baselines = r.baselines;
      runs.push(r.run);
    }
    return {
      engine: engine.name,
      convLayers: o.convLayers,
      layerNames: Array.from({ length: o.convLayers }, (_, i) => `conv${i + 1}`),
      dataset: { source: drive.source, trainSamples: td.train.size, valSamples: td.val.size, input: { width: o.width, height: o.height } },
      baselines,
      runs,
    };
  } finally {
    ds.frames.close();
  }
}

/** Conclusions computed from the measurements (pure). */
export function concludeDeepCnnGradients(m: DeepCnnGradientsMeasurements): string[] {
  const out: string[] = [];
  const name = (r: DeepCnnRun) => `${r.activation}${r.batchnorm ? '+BN' : ''}`;
  out.push(
    `Over ${m.convLayers} conv layers, mean gradient norm conv1 / conv${m.convLayers}: ${m.runs.map((r) => `${name(r)} ${fmt(r.firstToLastGradRatio)}`).join(', ')} (below 1 = gradients shrink towards the input).`,
  );
  const vanishing = m.runs.filter((r) => r.firstToLastGradRatio < 0.1);
  if (vanishing.length) out.push(`Vanishing gradients (first layer gets under a tenth of the last layer's): ${vanishing.map((r) => `${name(r)} ${fmt(r.firstToLastGradRatio)}`).join(', ')}.`);
  for (const act of [...new Set(m.runs.map((r) => r.activation))]) {
    const off = m.runs.find((r) => r.activation === act && !r.batchnorm);
    const on = m.runs.find((r) => r.activation === act && r.batchnorm);
    if (off && on) {
      out.push(
        `${act}: batchnorm moved the conv1/conv${m.convLayers} gradient ratio from ${fmt(off.firstToLastGradRatio)} to ${fmt(on.firstToLastGradRatio)} and validation MAE from ${fmt(off.valMaeDeg)} to ${fmt(on.valMaeDeg)} deg.`,
      );
    }
  }
  const ok = m.runs.filter((r) => Number.isFinite(r.valMaeDeg)).sort((a, b) => a.valMaeDeg - b.valMaeDeg);
  if (ok.length) {
    const best = Math.min(m.baselines.zeroMaeDeg, m.baselines.meanMaeDeg);
    const beat = ok.filter((r) => r.valMaeDeg < best);
    out.push(
      `Validation MAE: ${ok.map((r) => `${name(r)} ${fmt(r.valMaeDeg)} deg`).join(', ')}; constant predictors: zero ${fmt(m.baselines.zeroMaeDeg)} deg, training mean ${fmt(m.baselines.meanMaeDeg)} deg. ${beat.length} of ${ok.length} runs beat the best constant.`,
    );
  }
  return out;
}
