/**
 * Seeded weight initialisers. tfjs initialisers ignore their seed argument,
 * so every initial value is drawn here from src/rng.ts: same seed, same
 * weights, on every backend.
 *
 * Conventions (as in Keras): for a conv kernel kh x kw x cin x cout,
 * fanIn = kh*kw*cin and fanOut = kh*kw*cout; biases start at zero.
 * - *_normal: TRUNCATED normal (draws beyond 2 standard deviations are
 *   redrawn), with the standard deviation divided by 0.8796 so the variance
 *   of the truncated draw equals the target variance (Keras VarianceScaling).
 *   He: var = 2/fanIn; Glorot: var = 2/(fanIn+fanOut); LeCun: var = 1/fanIn.
 * - *_uniform: U(-limit, limit) with limit = sqrt(3 * var) for the same var.
 * - normal_0.01: PLAIN (untruncated) N(0, 0.01^2), the classic "small random
 *   numbers" init that makes deep sigmoid nets' gradients vanish.
 */
import type { Rng } from '../rng.ts';
import type { HeadInitName, InitName } from './config.ts';

/** Std of N(0,1) truncated to [-2, 2]; dividing by it restores unit variance. */
const TRUNCATED_STD = 0.87962566103423978;

/** Target variance of each scaled initialiser. */
export function initVariance(init: InitName, fanIn: number, fanOut: number): number {
  switch (init) {
    case 'he_normal':
    case 'he_uniform':
      return 2 / fanIn;
    case 'glorot_normal':
    case 'glorot_uniform':
      return 2 / (fanIn + fanOut);
    case 'lecun_normal':
    case 'lecun_uniform':
      return 1 / fanIn;
    case 'normal_0.01':
      return 1e-4;
  }
}

/**
 * Initial values for a weight tensor of `shape` (row-major, as tf.tensor
 * expects) drawn from `rng` with the named initialiser.
 */
export function initialValues(init: InitName, shape: number[], fanIn: number, fanOut: number, rng: Rng): Float32Array {
  if (!(fanIn > 0) || !(fanOut > 0)) throw new Error(`initialValues: fanIn and fanOut must be positive (got ${fanIn}, ${fanOut})`);
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  const variance = initVariance(init, fanIn, fanOut);
  if (init === 'normal_0.01') {
    for (let i = 0; i < n; i++) out[i] = rng.normal(0, 0.01);
  } else if (init.endsWith('_uniform')) {
    const limit = Math.sqrt(3 * variance);
    for (let i = 0; i < n; i++) out[i] = rng.uniform(-limit, limit);
  } else {
    const std = Math.sqrt(variance) / TRUNCATED_STD;
    for (let i = 0; i < n; i++) {
      let z = rng.normal();
      while (Math.abs(z) > 2) z = rng.normal();
      out[i] = z * std;
    }
  }
  return out;
}

/**
 * Initial kernel of a one-unit output head: a named initialiser, or 'small'
 * = LeCun normal with a tenth of its variance (0.1/fanIn), so the head's
 * pre-activation starts near 0 whatever the trunk's activation scale.
 */
export function headInitialValues(init: HeadInitName, fanIn: number, rng: Rng): Float32Array {
  if (init !== 'small') return initialValues(init, [fanIn, 1], fanIn, 1, rng);
  const v = initialValues('lecun_normal', [fanIn, 1], fanIn, 1, rng);
  for (let i = 0; i < v.length; i++) v[i] *= Math.sqrt(0.1);
  return v;
}
