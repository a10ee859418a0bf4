/**
 * A small fully connected regression net in float64 plain JavaScript, with a
 * hand-written backward pass. It exists so the backprop-vs-gd study can put
 * backpropagation, finite differences and closed-form least squares side by
 * side without float32 rounding (tfjs computes in float32) blurring the
 * comparison. Pure: values in, values out.
 */
import type { Rng } from '../rng.ts';
import { initialValues } from '../model/index.ts';

export type Act64 = 'linear' | 'relu' | 'tanh';

export interface Mlp64 {
  /** Layer sizes: inputs, hidden..., 1 output. */
  sizes: number[];
  act: Act64;
  /** W[l] is sizes[l] x sizes[l+1], row-major; b[l] has sizes[l+1] entries. */
  W: Float64Array[];
  b: Float64Array[];
}

/** Seeded net; weights drawn with the lab's initialiser registry (model/), biases zero. */
export function createMlp64(sizes: number[], act: Act64, init: Parameters<typeof initialValues>[0], rng: Rng): Mlp64 {
  const W: Float64Array[] = [];
  const b: Float64Array[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const fanIn = sizes[l];
    const fanOut = sizes[l + 1];
    W.push(Float64Array.from(initialValues(init, [fanIn, fanOut], fanIn, fanOut, rng)));
    b.push(new Float64Array(fanOut));
  }
  return { sizes, act, W, b };
}

/** All parameters as one flat list of arrays (W0, b0, W1, b1, ...), aliasing the net's storage. */
export function params(net: Mlp64): Float64Array[] {
  const out: Float64Array[] = [];
  for (let l = 0; l < net.W.length; l++) out.push(net.W[l], net.b[l]);
  return out;
}

function actF(a: Act64, z: number): number {
  return a === 'relu' ? (z > 0 ? z : 0) : a === 'tanh' ? Math.tanh(z) : z;
}

/** Derivative of the activation given its input z and output h. */
function actD(a: Act64, z: number, h: number): number {
  return a === 'relu' ? (z > 0 ? 1 : 0) : a === 'tanh' ? 1 - h * h : 1;
}

/** Forward pass; returns every layer's pre-activation (zs) and output (hs, hs[0] = X). X is n x inputs row-major. */
function forwardAll(net: Mlp64, X: Float64Array, n: number): { zs: Float64Array[]; hs: Float64Array[] } {
  const hs: Float64Array[] = [X];
  const zs: Float64Array[] = [];
  const L = net.W.length;
  for (let l = 0; l < L; l++) {
    const fi = net.sizes[l];
    const fo = net.sizes[l + 1];
    const h = hs[l];
    const W = net.W[l];
    const b = net.b[l];
    const z = new Float64Array(n * fo);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < fo; j++) z[i * fo + j] = b[j];
      for (let k = 0; k < fi; k++) {
        const v = h[i * fi + k];
        if (v === 0) continue;
        const row = k * fo;
        for (let j = 0; j < fo; j++) z[i * fo + j] += v * W[row + j];
      }
    }
    zs.push(z);
    const last = l === L - 1;
    hs.push(last ? z : z.map((v) => actF(net.act, v)));
  }
  return { zs, hs };
}

/** Predictions, n values. */
export function predict(net: Mlp64, X: Float64Array, n: number): Float64Array {
  const { hs } = forwardAll(net, X, n);
  return hs[hs.length - 1];
}

/** Loss = mean squared error (1/n) * sum (yhat - y)^2. */
export function mseLoss(net: Mlp64, X: Float64Array, y: Float64Array, n: number): number {
  const p = predict(net, X, n);
  let s = 0;
  for (let i = 0; i < n; i++) s += (p[i] - y[i]) ** 2;
  return s / n;
}

/**
 * Backpropagation: one forward pass, then the chain rule applied layer by
 * layer from the loss back to the inputs. Returns the loss and the gradient
 * of every parameter (same layout as params()).
 */
export function backprop(net: Mlp64, X: Float64Array, y: Float64Array, n: number): { loss: number; grads: Float64Array[] } {
  const { zs, hs } = forwardAll(net, X, n);
  const L = net.W.length;
  const out = hs[L];
  let loss = 0;
  // dL/dz of the (linear) output layer.
  let delta: Float64Array = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const e = out[i] - y[i];
    loss += e * e;
    delta[i] = (2 * e) / n;
  }
  loss /= n;
  const gW: Float64Array[] = new Array(L);
  const gb: Float64Array[] = new Array(L);
  for (let l = L - 1; l >= 0; l--) {
    const fi = net.sizes[l];
    const fo = net.sizes[l + 1];
    const h = hs[l];
    const W = net.W[l];
    const dW = new Float64Array(fi * fo);
    const db = new Float64Array(fo);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < fo; j++) db[j] += delta[i * fo + j];
      for (let k = 0; k < fi; k++) {
        const v = h[i * fi + k];
        if (v === 0) continue;
        const row = k * fo;
        for (let j = 0; j < fo; j++) dW[row + j] += v * delta[i * fo + j];
      }
    }
    gW[l] = dW;
    gb[l] = db;
    if (l > 0) {
      // Through W^T, then through the previous layer's activation.
      const prev = new Float64Array(n * fi);
      const zp = zs[l - 1];
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < fi; k++) {
          let s = 0;
          const row = k * fo;
          for (let j = 0; j < fo; j++) s += W[row + j] * delta[i * fo + j];
          prev[i * fi + k] = s * actD(net.act, zp[i * fi + k], h[i * fi + k]);
        }
      }
      delta = prev;
    }
  }
  const grads: Float64Array[] = [];
  for (let l = 0; l < L; l++) grads.push(gW[l], gb[l]);
  return { loss, grads };
}

/**
 * Central finite differences: (L(p + eps) - L(p - eps)) / (2 eps) for every
 * parameter p, i.e. two full forward passes per parameter.
 */
export function finiteDiffGrads(net: Mlp64, X: Float64Array, y: Float64Array, n: number, eps: number): { grads: Float64Array[]; evaluations: number } {
  const ps = params(net);
  let evaluations = 0;
  const grads = ps.map((p) => {
    const g = new Float64Array(p.length);
    for (let i = 0; i < p.length; i++) {
      const keep = p[i];
      p[i] = keep + eps;
      const up = mseLoss(net, X, y, n);
      p[i] = keep - eps;
      const down = mseLoss(net, X, y, n);
      p[i] = keep;
      evaluations += 2;
      g[i] = (up - down) / (2 * eps);
    }
    return g;
  });
  return { grads, evaluations };
}

/** Number of parameters. */
export function paramCount(net: Mlp64): number {
  return params(net).reduce((s, p) => s + p.length, 0);
}

/**
 * The end-to-end map of a net whose hidden layers are all linear: the
 * product of its weight matrices (coefficients, one per input) and the
 * propagated biases (intercept). Only meaningful for act = 'linear'.
 */
export function collapseLinear(net: Mlp64): { coef: Float64Array; intercept: number } {
  // M = W0 W1 ... W(L-1) (inputs x 1); c = ((b0 W1 + b1) W2 + b2) ...
  const d = net.sizes[0];
  let M = Float64Array.from(net.W[0]);
  let c = Float64Array.from(net.b[0]);
  let cols = net.sizes[1];
  for (let l = 1; l < net.W.length; l++) {
    const fo = net.sizes[l + 1];
    const W = net.W[l];
    const M2 = new Float64Array(d * fo);
    const c2 = Float64Array.from(net.b[l]);
    for (let k = 0; k < cols; k++) {
      for (let j = 0; j < fo; j++) {
        const w = W[k * fo + j];
        for (let i = 0; i < d; i++) M2[i * fo + j] += M[i * cols + k] * w;
        c2[j] += c[k] * w;
      }
    }
    M = M2;
    c = c2;
    cols = fo;
  }
  return { coef: M, intercept: c[0] };
}

/**
 * Ordinary least squares with an intercept, in closed form: solves the
 * normal equations (A^T A) beta = A^T y with A = [X, 1] by Gaussian
 * elimination with partial pivoting.
 */
export function fitOls(X: Float64Array, y: Float64Array, n: number, d: number): { coef: Float64Array; intercept: number } {
  const m = d + 1;
  const A = new Float64Array(m * (m + 1)); // augmented [A^T A | A^T y]
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < m; r++) {
      const xr = r < d ? X[i * d + r] : 1;
      for (let c = 0; c < m; c++) A[r * (m + 1) + c] += xr * (c < d ? X[i * d + c] : 1);
      A[r * (m + 1) + m] += xr * y[i];
    }
  }
  for (let col = 0; col < m; col++) {
    let piv = col;
    for (let r = col + 1; r < m; r++) if (Math.abs(A[r * (m + 1) + col]) > Math.abs(A[piv * (m + 1) + col])) piv = r;
    if (piv !== col) for (let c = 0; c <= m; c++) [A[col * (m + 1) + c], A[piv * (m + 1) + c]] = [A[piv * (m + 1) + c], A[col * (m + 1) + c]];
    const p = A[col * (m + 1) + col];
    if (Math.abs(p) < 1e-300) throw new Error('OLS: singular design matrix (constant or duplicate inputs)');
    for (let r = 0; r < m; r++) {
      if (r === col) continue;
      const f = A[r * (m + 1) + col] / p;
      if (f === 0) continue;
      for (let c = col; c <= m; c++) A[r * (m + 1) + c] -= f * A[col * (m + 1) + c];
    }
  }
  const beta = new Float64Array(m);
  for (let r = 0; r < m; r++) beta[r] = A[r * (m + 1) + m] / A[r * (m + 1) + r];
  return { coef: beta.slice(0, d), intercept: beta[d] };
}
