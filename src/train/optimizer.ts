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
import { FUSED_ADAM, type FusedAdamAttrs } from '../engine/register-kernels.ts';
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

type Slots = tf.Variable[][];

/** Adam as one fused kernel per variable (the wasm engine registers it): same float32 operations, same order. */
function fusedAdamUpdate(s: Slots, vars: tf.Variable[], grads: tf.Tensor[], lr: number, t: number, measure: boolean): tf.Scalar[] {
  const sq: tf.Scalar[] = [];
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
  return sq;
}

/** The update of one variable (to subtract from it), advancing its slots: tf.train's formulas, in tfjs ops. */
function updateOf(cfg: Pick<OptimizerConfig, 'name' | 'momentum'>, slot: tf.Variable[], g: tf.Tensor, lr: number, t: number): tf.Tensor {
  if (cfg.name === 'sgd') {
    const v = tf.add(tf.mul(slot[0], cfg.momentum), g);
    slot[0].assign(v);
    return tf.mul(v, lr);
  }
  if (cfg.name === 'adam') {
    const m = tf.add(tf.mul(slot[0], ADAM_BETA1), tf.mul(g, 1 - ADAM_BETA1));
    const v = tf.add(tf.mul(slot[1], ADAM_BETA2), tf.mul(tf.square(g), 1 - ADAM_BETA2));
    slot[0].assign(m);
    slot[1].assign(v);
    const mHat = tf.div(m, 1 - ADAM_BETA1 ** t);
    const vHat = tf.div(v, 1 - ADAM_BETA2 ** t);
    return tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), OPT_EPSILON)), lr);
  }
  const ms = tf.add(tf.mul(slot[0], RMSPROP_DECAY), tf.mul(tf.square(g), 1 - RMSPROP_DECAY));
  slot[0].assign(ms);
  return tf.mul(tf.div(g, tf.sqrt(tf.add(ms, OPT_EPSILON))), lr);
}

/**
 * A fresh optimizer for cfg.name (sgd, adam or rmsprop; cfg.momentum for
 * sgd). Slots are created at the first update, from the variables' shapes.
 */
export function createOptimizer(cfg: Pick<OptimizerConfig, 'name' | 'momentum'>): Optimizer {
  const nSlots = cfg.name === 'adam' ? 2 : 1;
  let slots: Slots | null = null;
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
  const disposeSlots = () => {
    for (const vs of slots ?? []) for (const v of vs) v.dispose();
    slots = null;
  };
  return {
    name: cfg.name,
    applyGradients(vars, grads, lr, measure) {
      const s = ensure(vars);
      const t = ++iterations;
      if (cfg.name === 'adam' && tf.getKernel(FUSED_ADAM, tf.getBackend())) {
        const sq = fusedAdamUpdate(s, vars, grads, lr, t, measure);
        return measure ? sq : null;
      }
      const sq: tf.Scalar[] = [];
      tf.tidy(() => {
        vars.forEach((w, i) => {
          const update = updateOf(cfg, s[i], grads[i], lr, t);
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
      disposeSlots();
      iterations = st.iterations;
      pending = st.slots.length ? st.slots : null;
    },
    dispose: disposeSlots,
  };
}
