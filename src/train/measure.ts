/**
 * Reduces a logged step's tensors (gradients, weights, updates, traces) to
 * the per-layer sums diagnostics/ turns into numbers, with ONE read-back.
 */
import * as tf from '@tensorflow/tfjs-core';
import { headDiag, layerDiag, SATURATION_THRESHOLD, type LayerSums } from '../diagnostics/stats.ts';
import type { HeadDiag, LayerDiag } from '../diagnostics/types.ts';
import type { ForwardResult, Regressor } from '../model/types.ts';

const nonFiniteCount = (t: tf.Tensor): tf.Scalar => tf.sum(tf.cast(tf.logicalNot(tf.isFinite(t)), 'float32'));

/**
 * Per-layer diagnostics of one step. grads aligned with model.variables;
 * updateSq (per variable, from the optimizer) may be null; forward may be
 * null (e.g. a gradient provider computed the grads without traces).
 */
export function measureLayers(model: Regressor, grads: tf.Tensor[], updateSq: tf.Scalar[] | null, forward: ForwardResult | null): LayerDiag[] {
  const traces = new Map((forward?.traces ?? []).map((t) => [t.name, t]));
  type Slot = { layer: number; field: string };
  const slots: Slot[] = [];
  const values = tf.tidy(() => {
    const scalars: tf.Scalar[] = [];
    const push = (layer: number, field: string, t: tf.Scalar) => {
      slots.push({ layer, field });
      scalars.push(t);
    };
    let vi = 0;
    model.layers.forEach((l, li) => {
      const gs = l.variables.map(() => grads[vi++]);
      const first = vi - l.variables.length;
      push(li, 'gradSq', tf.addN(gs.map((g) => tf.sum(tf.square(g)))) as tf.Scalar);
      push(li, 'weightSq', tf.addN(l.variables.map((w) => tf.sum(tf.square(w)))) as tf.Scalar);
      if (updateSq) push(li, 'updateSq', tf.addN(l.variables.map((_, k) => updateSq[first + k])) as tf.Scalar);
      let nf = tf.addN(gs.map(nonFiniteCount)) as tf.Scalar;
      const tr = traces.get(l.name);
      if (tr) {
        nf = tf.add(nf, nonFiniteCount(tr.post));
        push(li, 'actSum', tf.sum(tr.post));
        push(li, 'actSumSq', tf.sum(tf.square(tr.post)));
        if (l.activation === 'relu') {
          // A unit (dense unit / conv channel) is dead when it is <= 0 for every sample and position.
          const axes = tr.post.rank === 4 ? [0, 1, 2] : [0];
          push(li, 'dead', tf.sum(tf.cast(tf.lessEqual(tf.max(tr.post, axes), 0), 'float32')));
        }
        if (l.activation === 'tanh' || l.activation === 'sigmoid') {
          push(li, 'saturated', tf.sum(tf.cast(tf.greater(tf.abs(tr.pre), SATURATION_THRESHOLD), 'float32')));
        }
      }
      push(li, 'nonFinite', nf);
    });
    return tf.stack(scalars);
  });
  const data = values.dataSync();
  values.dispose();
  const sums: LayerSums[] = model.layers.map((l) => {
    const tr = traces.get(l.name);
    const count = tr ? tr.post.size : 0;
    const units = tr ? tr.post.shape[tr.post.rank - 1] : 0;
    return {
      name: l.name, activation: l.activation, gradSq: 0, weightSq: 0, updateSq: updateSq ? 0 : null,
      act: tr ? { sum: 0, sumSq: 0, count } : null,
      dead: tr && l.activation === 'relu' ? { units, dead: 0 } : null,
      saturated: tr && (l.activation === 'tanh' || l.activation === 'sigmoid') ? { count: 0, total: tr.pre.size } : null,
      nonFinite: 0,
    };
  });
  slots.forEach((s, i) => {
    const v = data[i];
    const d = sums[s.layer];
    if (s.field === 'gradSq') d.gradSq = v;
    else if (s.field === 'weightSq') d.weightSq = v;
    else if (s.field === 'updateSq') d.updateSq = v;
    else if (s.field === 'actSum') d.act!.sum = v;
    else if (s.field === 'actSumSq') d.act!.sumSq = v;
    else if (s.field === 'dead') d.dead!.dead = v;
    else if (s.field === 'saturated') d.saturated!.count = v;
    else if (s.field === 'nonFinite') d.nonFinite = v;
  });
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
