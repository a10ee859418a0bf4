/**
 * Study `backprop-vs-gd`: "is backpropagation just gradient descent?" in
 * numbers. Backpropagation computes the gradient (checked against central
 * finite differences, and timed against them); gradient descent is the update
 * that uses it; a net with only linear hidden layers collapses to a linear
 * model (its end-to-end map equals closed-form OLS), while the same net with
 * ReLU fits a target OLS cannot.
 */
import { createRng, type Rng } from '../rng.ts';
import { BackpropVsGdOptions } from './options.ts';
import { backprop, collapseLinear, createMlp64, finiteDiffGrads, fitOls, mseLoss, paramCount, params, predict, type Mlp64 } from './mlp64.ts';
import { checkCancelled, fmt, tick, type StudyContext } from './types.ts';

export interface BackpropVsGdMeasurements {
  paramCount: number;
  gradCheckActivation: 'tanh';
  /** max over parameters of |g_bp - g_fd| / max(|g_bp| + |g_fd|, 1e-8). */
  gradRelError: number;
  gradMaxAbsError: number;
  /** Wall time of one gradient, in milliseconds. */
  backpropMs: number;
  finiteDiffMs: number;
  /** Passes over the data per gradient: backprop = 1 forward + 1 backward; FD = 2 forwards per parameter. */
  backpropEvaluations: number;
  finiteDiffEvaluations: number;
  /** One gradient-descent step p <- p - lr * g with each gradient: the loss after is the same. */
  gdStep: { learningRate: number; lossBefore: number; lossAfterBackprop: number; lossAfterFiniteDiff: number };
  linearNetVsOlsMaxCoefDiff: number;
  linearNetVsOlsInterceptDiff: number;
  /** max |prediction(linear net) - prediction(OLS)| on the validation inputs (target units). */
  linearNetVsOlsMaxPredDiff: number;
  linearNetCoef: number[];
  olsCoef: number[];
  /** Validation mean squared error, target units squared. */
  reluVsLinearValMse: { relu: number; linear: number; ols: number };
  /** Training loss (MSE) every gdSteps/50 steps, for a chart. */
  trainCurves: { step: number[]; relu: number[]; linear: number[] };
  gdSteps: number;
  /** Learning rate and momentum of the full-batch GD training. */
  gdLearningRate: number;
  gdMomentum: number;
}

/** Synthetic regression data: y = sin(1.5 x0) + 0.5 x1^2 - 0.5 * sum(x_k, k >= 2) + noise, x ~ U(-2, 2). */
function makeData(n: number, d: number, noise: number, rng: Rng): { X: Float64Array; y: Float64Array } {
  const X = new Float64Array(n * d);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let t = 0;
    for (let k = 0; k < d; k++) {
      const v = rng.uniform(-2, 2);
      X[i * d + k] = v;
      t += k === 0 ? Math.sin(1.5 * v) : k === 1 ? 0.5 * v * v : -0.5 * v;
    }
    y[i] = t + rng.normal(0, noise);
  }
  return { X, y };
}

function maxRelError(a: Float64Array[], b: Float64Array[]): { rel: number; abs: number } {
  let rel = 0;
  let abs = 0;
  for (let l = 0; l < a.length; l++) {
    for (let i = 0; i < a[l].length; i++) {
      const e = Math.abs(a[l][i] - b[l][i]);
      abs = Math.max(abs, e);
      rel = Math.max(rel, e / Math.max(Math.abs(a[l][i]) + Math.abs(b[l][i]), 1e-8));
    }
  }
  return { rel, abs };
}

function cloneNet(net: Mlp64): Mlp64 {
  return { ...net, W: net.W.map((w) => w.slice()), b: net.b.map((b) => b.slice()) };
}

function gdStepLoss(net: Mlp64, grads: Float64Array[], lr: number, X: Float64Array, y: Float64Array, n: number): number {
  const c = cloneNet(net);
  params(c).forEach((p, l) => p.forEach((v, i) => (p[i] = v - lr * grads[l][i])));
  return mseLoss(c, X, y, n);
}

/** Full-batch gradient descent with momentum; returns the loss curve. */
async function trainGd(net: Mlp64, X: Float64Array, y: Float64Array, n: number, o: BackpropVsGdOptions, ctx: StudyContext, stage: string): Promise<{ step: number[]; loss: number[] }> {
  const ps = params(net);
  const vel = ps.map((p) => new Float64Array(p.length));
  const every = Math.max(1, Math.floor(o.gdSteps / 50));
  const curve = { step: [] as number[], loss: [] as number[] };
  for (let s = 0; s < o.gdSteps; s++) {
    const { loss, grads } = backprop(net, X, y, n);
    if (s % every === 0) {
      curve.step.push(s);
      curve.loss.push(loss);
      checkCancelled(ctx.signal);
      ctx.onProgress?.({ stage, done: s, total: o.gdSteps });
      await tick();
    }
    for (let l = 0; l < ps.length; l++) {
      const p = ps[l];
      const v = vel[l];
      const g = grads[l];
      for (let i = 0; i < p.length; i++) {
        v[i] = o.momentum * v[i] - o.learningRate * g[i];
        p[i] += v[i];
      }
    }
  }
  curve.step.push(o.gdSteps);
  curve.loss.push(mseLoss(net, X, y, n));
  return curve;
}

function valMse(pred: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (pred[i] - y[i]) ** 2;
  return s / y.length;
}

type Data = { X: Float64Array; y: Float64Array };
type GradientCheck = Pick<BackpropVsGdMeasurements,
  'paramCount' | 'gradCheckActivation' | 'gradRelError' | 'gradMaxAbsError' | 'backpropMs' | 'finiteDiffMs' | 'backpropEvaluations' | 'finiteDiffEvaluations' | 'gdStep'>;
type LinearVsOls = Pick<BackpropVsGdMeasurements, 'linearNetVsOlsMaxCoefDiff' | 'linearNetVsOlsInterceptDiff' | 'linearNetVsOlsMaxPredDiff' | 'linearNetCoef' | 'olsCoef'>;

/**
 * Part 1: the backprop gradient of a smooth (tanh) net against central finite
 * differences, the time of each, and one GD step with each gradient. ReLU
 * kinks would make finite differences wrong, not backprop.
 */
async function checkGradient(sizes: number[], train: Data, o: BackpropVsGdOptions, rng: Rng, ctx: StudyContext): Promise<GradientCheck> {
  ctx.onProgress?.({ stage: 'gradient check', done: 0, total: 1 });
  const net = createMlp64(sizes, 'tanh', 'glorot_normal', rng);
  const reps = 20;
  let bp = backprop(net, train.X, train.y, o.samples);
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) bp = backprop(net, train.X, train.y, o.samples);
  const backpropMs = (performance.now() - t0) / reps;
  await tick();
  checkCancelled(ctx.signal);
  const t1 = performance.now();
  const fd = finiteDiffGrads(net, train.X, train.y, o.samples, o.fdEpsilon);
  const finiteDiffMs = performance.now() - t1;
  const err = maxRelError(bp.grads, fd.grads);
  // A step small enough to decrease the loss, the same for both gradients.
  const lr = 0.05;
  return {
    paramCount: paramCount(net),
    gradCheckActivation: 'tanh',
    gradRelError: err.rel,
    gradMaxAbsError: err.abs,
    backpropMs,
    finiteDiffMs,
    backpropEvaluations: 2,
    finiteDiffEvaluations: fd.evaluations,
    gdStep: {
      learningRate: lr,
      lossBefore: bp.loss,
      lossAfterBackprop: gdStepLoss(net, bp.grads, lr, train.X, train.y, o.samples),
      lossAfterFiniteDiff: gdStepLoss(net, fd.grads, lr, train.X, train.y, o.samples),
    },
  };
}

/** Part 2: the same architecture with linear and with ReLU hidden layers, each from its own init draw, trained by the same GD. */
async function trainLinearAndRelu(sizes: number[], train: Data, o: BackpropVsGdOptions, initRng: Rng, ctx: StudyContext) {
  const nets = {} as Record<'linear' | 'relu', Mlp64>;
  const curves = {} as Record<'linear' | 'relu', { step: number[]; loss: number[] }>;
  for (const act of ['linear', 'relu'] as const) {
    // Glorot for both: it keeps a linear stack's output scale (He doubles the variance per linear layer).
    const n = createMlp64(sizes, act, 'glorot_normal', createRng(initRng.int(2 ** 31)));
    curves[act] = await trainGd(n, train.X, train.y, o.samples, o, ctx, `gradient descent (${act} hidden layers)`);
    nets[act] = n;
  }
  return { nets, curves };
}

/** Predictions of an OLS fit on rows of X (n rows of d inputs). */
function olsPredict(ols: { intercept: number; coef: ArrayLike<number> }, X: Float64Array, n: number, d: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = ols.intercept;
    for (let k = 0; k < d; k++) s += ols.coef[k] * X[i * d + k];
    out[i] = s;
  }
  return out;
}

/** Largest |a[i] - b[i]| over the first n entries. */
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, n: number): number {
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Part 3: the trained linear net collapsed to one linear map, against closed-form OLS on the same data. */
function compareLinearWithOls(linearNet: Mlp64, train: Data, val: Data, o: BackpropVsGdOptions) {
  const d = o.inputs;
  const ols = fitOls(train.X, train.y, o.samples, d);
  const lin = collapseLinear(linearNet);
  const olsPred = olsPredict(ols, val.X, o.valSamples, d);
  const linPred = predict(linearNet, val.X, o.valSamples);
  const diffs: LinearVsOls = {
    linearNetVsOlsMaxCoefDiff: maxAbsDiff(lin.coef, ols.coef, d),
    linearNetVsOlsInterceptDiff: Math.abs(lin.intercept - ols.intercept),
    linearNetVsOlsMaxPredDiff: maxAbsDiff(linPred, olsPred, o.valSamples),
    linearNetCoef: Array.from(lin.coef),
    olsCoef: Array.from(ols.coef),
  };
  return { diffs, olsPred, linPred };
}

/** Runs the study; every number is measured here, in float64 on the CPU. */
export async function runBackpropVsGd(input: Partial<BackpropVsGdOptions>, ctx: StudyContext = {}): Promise<BackpropVsGdMeasurements> {
  const o = BackpropVsGdOptions.parse(input);
  const rng = createRng(o.seed);
  const train = makeData(o.samples, o.inputs, o.noiseStd, rng.fork());
  const val = makeData(o.valSamples, o.inputs, o.noiseStd, rng.fork());
  const sizes = [o.inputs, ...o.hidden, 1];
  // The forks are drawn in this order (data, gradient-check net, GD nets): a seed gives the same study as before.
  const grad = await checkGradient(sizes, train, o, rng.fork(), ctx);
  const { nets, curves } = await trainLinearAndRelu(sizes, train, o, rng.fork(), ctx);
  const { diffs, olsPred, linPred } = compareLinearWithOls(nets.linear, train, val, o);
  return {
    ...grad,
    ...diffs,
    reluVsLinearValMse: {
      relu: valMse(predict(nets.relu, val.X, o.valSamples), val.y),
      linear: valMse(linPred, val.y),
      ols: valMse(olsPred, val.y),
    },
    trainCurves: { step: curves.linear.step, relu: curves.relu.loss, linear: curves.linear.loss },
    gdSteps: o.gdSteps,
    gdLearningRate: o.learningRate,
    gdMomentum: o.momentum,
  };
}

/** Conclusions computed from the measurements (pure; quotes the numbers). */
export function concludeBackpropVsGd(m: BackpropVsGdMeasurements): string[] {
  const out: string[] = [];
  const agree = m.gradRelError < 1e-4;
  out.push(
    agree
      ? `Backpropagation and central finite differences give the same gradient: max relative error ${fmt(m.gradRelError)} (max absolute ${fmt(m.gradMaxAbsError)}) over ${m.paramCount} parameters.`
      : `Backpropagation and finite differences disagree: max relative error ${fmt(m.gradRelError)} over ${m.paramCount} parameters (above 1e-4), so one of them is wrong at this step size.`,
  );
  const speedup = m.finiteDiffMs / Math.max(m.backpropMs, 1e-9);
  out.push(
    `Cost of one gradient: backprop ${fmt(m.backpropMs)} ms (${m.backpropEvaluations} passes: forward + backward) vs finite differences ${fmt(m.finiteDiffMs)} ms (${m.finiteDiffEvaluations} forward passes, 2 per parameter): backprop is ${fmt(speedup)}x ${speedup >= 1 ? 'faster' : 'slower'}.`,
  );
  const g = m.gdStep;
  out.push(
    `Gradient descent is the update that uses that gradient: one step of lr ${fmt(g.learningRate)} moved the loss from ${fmt(g.lossBefore, 5)} to ${fmt(g.lossAfterBackprop, 5)} with the backprop gradient and to ${fmt(g.lossAfterFiniteDiff, 5)} with the finite-difference one.`,
  );
  const collapsed = m.linearNetVsOlsMaxCoefDiff < 0.01;
  out.push(
    !Number.isFinite(m.linearNetVsOlsMaxCoefDiff)
      ? `The linear net diverged under gradient descent at lr ${fmt(m.gdLearningRate)} with momentum ${fmt(m.gdMomentum)} (its weights went non-finite), so its map could not be compared with OLS; lower the learning rate.`
      : collapsed
      ? `With linear hidden layers the trained net is a linear model: the product of its weight matrices matches closed-form OLS to ${fmt(m.linearNetVsOlsMaxCoefDiff)} per coefficient (intercept ${fmt(m.linearNetVsOlsInterceptDiff)}, predictions ${fmt(m.linearNetVsOlsMaxPredDiff)} at most).`
      : `After ${m.gdSteps} GD steps the linear net's end-to-end map is still ${fmt(m.linearNetVsOlsMaxCoefDiff)} away from OLS per coefficient (predictions differ by up to ${fmt(m.linearNetVsOlsMaxPredDiff)}): it has not converged, although it can only ever reach a linear map.`,
  );
  const v = m.reluVsLinearValMse;
  const better = v.relu < 0.5 * Math.min(v.linear, v.ols);
  out.push(
    !Number.isFinite(v.relu)
      ? `The ReLU net diverged (validation MSE ${fmt(v.relu)}); OLS reaches ${fmt(v.ols)}.`
      : better
      ? `On the nonlinear target the ReLU net reaches validation MSE ${fmt(v.relu)} against ${fmt(v.linear)} for the linear net and ${fmt(v.ols)} for OLS (${fmt(Math.min(v.linear, v.ols) / Math.max(v.relu, 1e-12))}x lower): the nonlinearity, not the depth, buys the fit.`
      : `The ReLU net's validation MSE ${fmt(v.relu)} is not clearly below the linear net's ${fmt(v.linear)} and OLS's ${fmt(v.ols)}: with these settings it did not learn the nonlinear part.`,
  );
  return out;
}
