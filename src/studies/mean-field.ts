/**
 * Mean-field theory of signal propagation in a plain deep net with zero-mean
 * i.i.d. weights of variance Var[w] and zero biases (Poole et al. 2016,
 * Schoenholz et al. 2017; He et al. 2015 for ReLU):
 *   forward:  q_{l+1} = fan_in * Var[w] * E_{z~N(0,q_l)}[phi(z)^2]   (pre-activation variance)
 *   backward: r_l     = fan_out * Var[w] * E_{z~N(0,q_l)}[phi'(z)^2] * r_{l+1}   (variance of dLoss/dz)
 * For ReLU, E[relu(z)^2] = q/2, so Var[w] = 2/fan_in (He) keeps q constant.
 * Pure numbers; Gaussian expectations by the midpoint rule on +-10 std.
 */
export type MfActivation = 'relu' | 'tanh' | 'sigmoid' | 'elu';

function phi(a: MfActivation, z: number): number {
  switch (a) {
    case 'relu':
      return z > 0 ? z : 0;
    case 'tanh':
      return Math.tanh(z);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-z));
    case 'elu':
      return z > 0 ? z : Math.expm1(z);
  }
}

function dphi(a: MfActivation, z: number): number {
  switch (a) {
    case 'relu':
      return z > 0 ? 1 : 0;
    case 'tanh': {
      const t = Math.tanh(z);
      return 1 - t * t;
    }
    case 'sigmoid': {
      const s = 1 / (1 + Math.exp(-z));
      return s * (1 - s);
    }
    case 'elu':
      return z > 0 ? 1 : Math.exp(z);
  }
}

/**
 * E[f(z)] for z ~ N(0, q), by the midpoint rule on +-10 std with an even
 * number of cells, so z = 0 is a cell boundary and the kinks of ReLU and ELU
 * (and ReLU's step derivative) at 0 are integrated exactly.
 */
export function gaussExpect(f: (z: number) => number, q: number, cells = 800): number {
  if (!(q > 0)) return f(0);
  const s = Math.sqrt(q);
  const n = cells + (cells % 2);
  const h = 20 / n;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const u = -10 + (i + 0.5) * h;
    sum += Math.exp(-0.5 * u * u) * f(u * s);
  }
  return (sum * h) / Math.sqrt(2 * Math.PI);
}

export interface MeanFieldProfile {
  /** Predicted std of each hidden layer's output (post-activation), per layer. */
  activationStd: number[];
  /** Predicted gradient-norm profile, sqrt(E[a_{l-1}^2] * r_l), scaled so the last layer equals 1 (compare shapes, not levels). */
  gradNormShape: number[];
}

/**
 * Profile for `depth` layers with input second moment `inputMoment` (E[x^2])
 * and per-layer (fan_in * Var[w]) and (fan_out * Var[w]) gains of each layer's own weights
 * (the backward pass through layer l uses layer l+1's fan_out gain).
 */
export function meanFieldProfile(act: MfActivation, depth: number, inputMoment: number, fanInGain: number[], fanOutGain: number[]): MeanFieldProfile {
  const q: number[] = [];
  const moment: number[] = [];
  const std: number[] = [];
  let prevMoment = inputMoment;
  for (let l = 0; l < depth; l++) {
    const ql = fanInGain[l] * prevMoment;
    q.push(ql);
    const m2 = gaussExpect((z) => phi(act, z) ** 2, ql);
    const m1 = gaussExpect((z) => phi(act, z), ql);
    moment.push(m2);
    std.push(Math.sqrt(Math.max(m2 - m1 * m1, 0)));
    prevMoment = m2;
  }
  // Backward, relative to the last hidden layer's delta variance (= 1).
  const r = new Array<number>(depth).fill(0);
  r[depth - 1] = gaussExpect((z) => dphi(act, z) ** 2, q[depth - 1]);
  for (let l = depth - 2; l >= 0; l--) r[l] = fanOutGain[l + 1] * gaussExpect((z) => dphi(act, z) ** 2, q[l]) * r[l + 1];
  const g = r.map((rl, l) => Math.sqrt((l === 0 ? inputMoment : moment[l - 1]) * rl));
  const last = g[depth - 1];
  return { activationStd: std, gradNormShape: g.map((v) => (last > 0 ? v / last : 0)) };
}
