/**
 * Optimisers written with tfjs-core functional ops, so their state is plain
 * arrays we can checkpoint and their update tensors can be measured
 * (update/weight ratio). Semantics follow tf.train's:
 * - sgd: v = momentum*v + g; w -= lr*v (momentum 0 = plain gradient descent)
 * - adam: beta1 0.9, beta2 0.999, eps 1e-7, bias-corrected moments
 * - rmsprop: decay 0.9, eps 1e-7, no momentum; w -= lr*g/sqrt(ms + eps)
 *
 * Where the engine registers a fused Adam kernel (the wasm engine does), Adam
 * runs as one kernel per variable instead of 14, with the same float32
 * operations in the same order.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_ADAM, type FusedAdamAttrs } from '../engine/wasm-kernels.ts';
import type { OptimizerConfig } from './config.ts';

export const ADAM_BETA1 = 0.9;
export const ADAM_BETA2 = 0.999;
export const OPT_EPSILON = 1e-7;
export const RMSPROP_DECAY = 0.9;

export interface OptimizerState {
  /** Updates applied so far (Adam's t). */
  iterations: number;
  /** Slot values per variable: sgd [v], adam [m, v], rmsprop [ms]. */
  slots: Float32Array[][];
}

export interface Optimizer {
  readonly name: OptimizerConfig['name'];
  /**
   * w <- w - update(g). With measure, returns each variable's sum of squared
   * update entries (scalars the caller reads back and disposes).
   */
  applyGradients(vars: tf.Variable[], grads: tf.Tensor[], lr: number, measure: boolean): tf.Scalar[] | null;
  getState(): OptimizerState;
  setState(s: OptimizerState): void;
  dispose(): void;
}

export function createOptimizer(cfg: OptimizerConfig): Optimizer {
  const nSlots = cfg.name === 'adam' ? 2 : 1;
  let slots: tf.Variable[][] | null = null;
  let iterations = 0;
  /** State restored before the variables are known (shapes come from them). */
  let pending: Float32Array[][] | null = null;
  const slotVar = (v: tf.Variable, values: Float32Array | null) =>
    tf.tidy(() => tf.variable(values ? tf.tensor(values, v.shape, 'float32') : tf.zerosLike(v), false));
  const ensure = (vars: tf.Variable[]) => {
    if (!slots) {
      const p = pending;
      if (p && p.length !== vars.length) throw new Error(`optimizer state has ${p.length} variables, the model ${vars.length}`);
      slots = vars.map((v, i) => Array.from({ length: nSlots }, (_, k) => slotVar(v, p ? p[i][k] : null)));
      pending = null;
    }
    return slots;
  };
  return {
    name: cfg.name,
    applyGradients(vars, grads, lr, measure) {
      const s = ensure(vars);
      iterations++;
      const t = iterations;
      const sq: tf.Scalar[] = [];
      if (cfg.name === 'adam' && tf.getKernel(FUSED_ADAM, tf.getBackend())) {
        const attrs: FusedAdamAttrs = {
          lr, beta1: ADAM_BETA1, beta2: ADAM_BETA2, oneMinusBeta1: 1 - ADAM_BETA1, oneMinusBeta2: 1 - ADAM_BETA2,
          c1: 1 - ADAM_BETA1 ** t, c2: 1 - ADAM_BETA2 ** t, epsilon: OPT_EPSILON,
        };
        tf.tidy(() => {
          vars.forEach((w, i) => {
            const [w2, m2, v2, usq] = tf.engine().runKernel(FUSED_ADAM, { w, g: grads[i], m: s[i][0], v: s[i][1] }, attrs as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
            s[i][0].assign(m2);
            s[i][1].assign(v2);
            w.assign(w2);
            if (measure) sq.push(tf.keep(usq as tf.Scalar));
          });
        });
        return measure ? sq : null;
      }
      tf.tidy(() => {
        vars.forEach((w, i) => {
          const g = grads[i];
          let update: tf.Tensor;
          if (cfg.name === 'sgd') {
            const v = tf.add(tf.mul(s[i][0], cfg.momentum), g);
            s[i][0].assign(v);
            update = tf.mul(v, lr);
          } else if (cfg.name === 'adam') {
            const m = tf.add(tf.mul(s[i][0], ADAM_BETA1), tf.mul(g, 1 - ADAM_BETA1));
            const v = tf.add(tf.mul(s[i][1], ADAM_BETA2), tf.mul(tf.square(g), 1 - ADAM_BETA2));
            s[i][0].assign(m);
            s[i][1].assign(v);
            const mHat = tf.div(m, 1 - ADAM_BETA1 ** t);
            const vHat = tf.div(v, 1 - ADAM_BETA2 ** t);
            update = tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), OPT_EPSILON)), lr);
          } else {
            const ms = tf.add(tf.mul(s[i][0], RMSPROP_DECAY), tf.mul(tf.square(g), 1 - RMSPROP_DECAY));
            s[i][0].assign(ms);
            update = tf.mul(tf.div(g, tf.sqrt(tf.add(ms, OPT_EPSILON))), lr);
          }
          w.assign(tf.sub(w, update));
          if (measure) sq.push(tf.keep(tf.sum(tf.square(update))));
        });
      });
      return measure ? sq : null;
    },
    getState: () => ({
      iterations,
      slots: slots ? slots.map((vs) => vs.map((v) => new Float32Array(v.dataSync() as Float32Array))) : (pending ?? []),
    }),
    setState(st) {
      for (const vs of slots ?? []) for (const v of vs) v.dispose();
      slots = null;
      iterations = st.iterations;
      pending = st.slots.length ? st.slots : null;
    },
    dispose() {
      for (const vs of slots ?? []) for (const v of vs) v.dispose();
      slots = null;
    },
  };
}
