/**
 * Reduces a logged step's tensors (gradients, weights, updates, traces) to
 * the per-layer sums diagnostics/ turns into numbers, with ONE read-back.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MOMENTS } from '../engine/register-kernels.ts';
import { headDiag, layerDiag, SATURATION_THRESHOLD, type LayerSums } from '../diagnostics/stats.ts';
import type { HeadDiag, LayerDiag } from '../diagnostics/types.ts';
import type { ForwardResult, Regressor } from '../model/types.ts';

const nonFiniteCount = (t: tf.Tensor): tf.Scalar => tf.sum(tf.cast(tf.logicalNot(tf.isFinite(t)), 'float32'));

/** One tensor to reduce: which of its moments are used, and the |x| threshold for 'above'. */
interface Probe {
  t: tf.Tensor;
  need: ('sum' | 'sumSq' | 'nonFinite' | 'above')[];
  threshold: number;
}

/**
 * [sum, sum of squares, non-finite count, count of |x| > threshold] of every
 * probe as one [n, 4] tensor: one kernel call where the engine has it (wasm),
 * else tfjs ops for just the moments asked (the others are 0).
 */
function momentsOf(probes: Probe[]): tf.Tensor2D {
  if (probes.length === 0) return tf.zeros([0, 4]);
  if (tf.getKernel(MOMENTS, tf.getBackend())) {
    const inputs = Object.fromEntries(probes.map((p, i) => [`x${i}`, p.t]));
    return tf.engine().runKernel(MOMENTS, inputs, { thresholds: probes.map((p) => p.threshold) } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
  }
  const zero = tf.scalar(0);
  return tf.stack(probes.map((p) => tf.stack([
    p.need.includes('sum') ? tf.sum(p.t) : zero,
    p.need.includes('sumSq') ? tf.sum(tf.square(p.t)) : zero,
    p.need.includes('nonFinite') ? nonFiniteCount(p.t) : zero,
    p.need.includes('above') ? tf.sum(tf.cast(tf.greater(tf.abs(p.t), p.threshold), 'float32')) : zero,
  ]))) as tf.Tensor2D;
}

/**
 * Per-layer diagnostics of one step. grads aligned with model.variables;
 * updateSq (per variable, from the optimizer) may be null; forward may be
 * null (e.g. a gradient provider computed the grads without traces).
 */
export function measureLayers(model: Regressor, grads: tf.Tensor[], updateSq: tf.Scalar[] | null, forward: ForwardResult | null): LayerDiag[] {
  const traces = new Map((forward?.traces ?? []).map((t) => [t.name, t]));
  const sums: LayerSums[] = model.layers.map((l) => {
    const tr = traces.get(l.name);
    return {
      name: l.name, activation: l.activation, gradSq: 0, weightSq: 0, updateSq: updateSq ? 0 : null,
      act: tr ? { sum: 0, sumSq: 0, count: tr.post.size } : null,
      dead: tr && l.activation === 'relu' ? { units: tr.post.shape[tr.post.rank - 1], dead: 0 } : null,
      saturated: tr && (l.activation === 'tanh' || l.activation === 'sigmoid') ? { count: 0, total: tr.pre.size } : null,
      nonFinite: 0,
    };
  });
  // Every reduction of the step goes into one read-back: the probes' moments, then the
  // optimizer's per-variable update sizes and the dead-unit counts (plain scalars).
  const probes: Probe[] = [];
  const apply: ((m: Float32Array, i: number) => void)[] = [];
  const probe = (t: tf.Tensor, need: Probe['need'], use: (m: Float32Array, i: number) => void, threshold = Infinity) => {
    probes.push({ t, need, threshold });
    apply.push(use);
  };
  const extra: tf.Scalar[] = [];
  const useExtra: ((v: number) => void)[] = [];
  let vi = 0;
  const values = tf.tidy(() => {
    model.layers.forEach((l, li) => {
      const d = sums[li];
      l.variables.forEach((w, k) => {
        probe(grads[vi + k], ['sumSq', 'nonFinite'], (m, i) => { d.gradSq += m[4 * i + 1]; d.nonFinite += m[4 * i + 2]; });
        probe(w, ['sumSq'], (m, i) => { d.weightSq += m[4 * i + 1]; });
        if (updateSq) {
          extra.push(updateSq[vi + k]);
          useExtra.push((v) => { d.updateSq! += v; });
        }
      });
      vi += l.variables.length;
      const tr = traces.get(l.name);
      if (!tr) return;
      probe(tr.post, ['sum', 'sumSq', 'nonFinite'], (m, i) => { d.act!.sum = m[4 * i]; d.act!.sumSq = m[4 * i + 1]; d.nonFinite += m[4 * i + 2]; });
      if (d.saturated) probe(tr.pre, ['above'], (m, i) => { d.saturated!.count = m[4 * i + 3]; }, SATURATION_THRESHOLD);
      if (d.dead) {
        // A unit (dense unit / conv channel) is dead when it is <= 0 for every sample and position.
        const axes = tr.post.rank === 4 ? [0, 1, 2] : [0];
        extra.push(tf.sum(tf.cast(tf.lessEqual(tf.max(tr.post, axes), 0), 'float32')));
        useExtra.push((v) => { d.dead!.dead = v; });
      }
    });
    const m = tf.reshape(momentsOf(probes), [-1]);
    return extra.length ? tf.concat([m, tf.stack(extra)]) : m;
  });
  const data = values.dataSync() as Float32Array;
  values.dispose();
  apply.forEach((use, i) => use(data, i));
  useExtra.forEach((use, i) => use(data[4 * probes.length + i]));
  return sums.map(layerDiag);
}

/** Head diagnostics (main, then aux) from a kept forward pass and the batch targets. */
export function measureHeads(model: Regressor, forward: ForwardResult, yTarget: tf.Tensor, headLosses: number[], toDeg?: (t: number) => number): HeadDiag[] {
  const target = yTarget.dataSync();
  const heads = [
    { name: 'head', head: model.config.head, pre: forward.headPre, out: forward.output, w: 1 },
    ...forward.aux.map((a, i) => ({ name: a.name, head: model.config.auxHeads[i].head, pre: a.pre, out: a.output, w: a.lossWeight })),
  ];
  return heads.map((h, i) =>
    headDiag({ name: h.name, head: h.head, pre: h.pre.dataSync(), pred: h.out.dataSync(), target, lossRaw: headLosses[i], lossWeight: h.w, toDeg }),
  );
}
