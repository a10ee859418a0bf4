/**
 * Data-parallel gradients: the size-weighted average of the workers' shard
 * gradients equals the single-process gradient of the whole batch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../../src/engine/index.ts';
import { CancelledError } from '../../src/errors.ts';
import { averageShards, createParallelProvider, liveWorkerCount, shardSizes, type ParallelProvider } from '../../src/engine/parallel.ts';
import type { ComputeResult } from '../../src/engine/provider.ts';
import { createRegressor } from '../../src/model/index.ts';
import { disposeStep, forwardFromArrays, forwardTensors, lossAndGrads } from '../../src/train/step.ts';
import { relErr } from './helpers.ts';
import { createRng } from '../../src/rng.ts';
import { AugmentConfig } from '../../src/data/augment.ts';
import { drawPixelPlan } from '../../src/data/augment-bytes.ts';
import { allocRawBatch, rawBatchInto } from '../../src/data/raw-batch.ts';
import { evaluateSource } from '../../src/train/evaluate.ts';
import type { SampleSource } from '../../src/train/data.ts';
import type { TargetTransform } from '../../src/targets/transform.ts';

/** An in-memory source of n samples (x flattened NHWC). */
function memorySource(x: Float32Array, yDeg: Float32Array, shape: [number, number, number]): SampleSource {
  const per = shape[0] * shape[1] * shape[2];
  return {
    size: yDeg.length,
    anglesDeg: yDeg,
    async batch(idx) {
      const ids = Array.from(idx);
      const bx = new Float32Array(ids.length * per);
      ids.forEach((k, j) => bx.set(x.subarray(k * per, (k + 1) * per), j * per));
      return { x: bx, yDeg: Float32Array.from(ids, (k) => yDeg[k]), size: ids.length };
    },
  };
}

/** Whether two float arrays hold the same bits (views of larger memory included). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** A result's gradients copied: the provider reuses their memory at its next compute call. */
function kept(r: ComputeResult): ComputeResult {
  return { ...r, grads: r.grads.map((g) => g.slice()) };
}

const MODEL = { arch: 'pilotnet' as const, widthMultiplier: 0.25, activation: 'elu' as const, head: 'tanh' as const };
const L2 = 1e-3;


describe('parallel gradient provider', () => {
  let provider: ParallelProvider;
  beforeAll(async () => {
    await initEngine('wasm');
    provider = await createParallelProvider({ model: MODEL, l2: L2, workers: 2, minShard: 1 });
  });
  afterAll(() => provider?.dispose());

  it('splits batches into near-equal contiguous shards', () => {
    expect(shardSizes(32, 2)).toEqual([16, 16]);
    expect(shardSizes(5, 2)).toEqual([3, 2]);
    expect(shardSizes(1, 2)).toEqual([1]);
  });

  it.each([[[16, 16]], [[3, 2]], [[2, 2, 1]]])('averages shard gradients with the roundings of summing into zeroed arrays (sizes %j)', (sizes) => {
    const rng = createRng(sizes.length);
    const n = sizes.reduce((a, b) => a + b, 0);
    const lengths = [7, 1, 300];
    const shards = sizes.map(() => lengths.map((l) => Float32Array.from({ length: l }, () => (rng.next() - 0.5) * 10 ** (rng.int(8) - 4))));
    const out = lengths.map((l) => new Float32Array(l));
    const r = averageShards(sizes.map((_, i) => ({ type: 'result' as const, loss: i + 1 })), shards, sizes, n, out);
    expect(r.loss).toBeCloseTo(sizes.reduce((a, m, i) => a + (m / n) * (i + 1), 0), 12);
    lengths.forEach((l, j) => {
      // The definition: fround(w0 * g0), then fround(acc + w_i * g_i) for each further shard, products in float64.
      const want = new Float32Array(l);
      for (let e = 0; e < l; e++) {
        let acc = Math.fround((sizes[0] / n) * shards[0][j][e]);
        for (let i = 1; i < sizes.length; i++) acc = Math.fround(acc + (sizes[i] / n) * shards[i][j][e]);
        want[e] = acc;
      }
      expect(sameBits(out[j], want)).toBe(true);
    });
  });

  it.each([6, 5])('matches the single-process loss and gradients of the whole batch (n=%i)', async (n) => {
    expect(provider.workers).toBe(2);
    expect(provider.engine).toBe('wasm');
    const model = createRegressor(MODEL, 3);
    const rng = createRng(11 + n);
    const [h, w, c] = [model.config.input.height, model.config.input.width, model.config.input.channels];
    const x = Float32Array.from({ length: n * h * w * c }, () => rng.next());
    const y = Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
    // Reference: one big batch in this process.
    const xt = tf.tensor4d(x, [n, h, w, c]);
    const yt = tf.tensor2d(y, [n, 1]);
    const r = lossAndGrads(model, xt, yt, { l2: L2 });
    const refLoss = r.loss.dataSync()[0];
    const refGrads = r.grads.map((g) => g.dataSync() as Float32Array);
    disposeStep(r);
    tf.dispose([xt, yt]);

    const got = await provider.compute(model.getWeights(), x, y, n);
    expect(provider.lastWorkerMs.length).toBe(2);
    expect(Math.abs(got.loss - refLoss) / refLoss).toBeLessThan(1e-5);
    expect(got.grads.length).toBe(refGrads.length);
    refGrads.forEach((g, i) => {
      expect(g.some((v) => v !== 0)).toBe(true);
      expect(relErr(g, got.grads[i])).toBeLessThan(1e-4);
    });
    model.dispose();
  });

  it('gives the same numbers for a batch in shared memory (sent as views, not copies)', async () => {
    const model = createRegressor(MODEL, 4);
    const n = 9;
    const rng = createRng(21);
    const [h, w, c] = [model.config.input.height, model.config.input.width, model.config.input.channels];
    const x = Float32Array.from({ length: n * h * w * c }, () => rng.next());
    const y = Float32Array.from({ length: n }, () => rng.next());
    const xs = new Float32Array(new SharedArrayBuffer(x.length * 4));
    xs.set(x);
    const plain = kept(await provider.compute(model.getWeights(), x, y, n));
    const shared = await provider.compute(model.getWeights(), xs, y, n);
    expect(shared.loss).toBe(plain.loss);
    plain.grads.forEach((g, i) => expect(sameBits(shared.grads[i], g)).toBe(true));
    expect(Array.from(xs.subarray(0, 5))).toEqual(Array.from(x.subarray(0, 5))); // the caller's batch is untouched
    model.dispose();
  });

  it('reuses its memory: weights written into weightViews are taken as they are, gradients are valid until the next call', async () => {
    const model = createRegressor(MODEL, 13);
    const n = 6;
    const rng = createRng(5);
    const [h, w, c] = [model.config.input.height, model.config.input.width, model.config.input.channels];
    const x = Float32Array.from({ length: n * h * w * c }, () => rng.next());
    const y = Float32Array.from({ length: n }, () => rng.next());
    const weights = model.getWeights();
    const first = await provider.compute(weights, x, y, n);
    const firstGrads = first.grads.map((g) => g.slice());
    const views = provider.weightViews!(weights.map((v) => v.length));
    views.forEach((v, i) => v.set(weights[i]));
    const again = await provider.compute(views, x, y, n);
    // Same numbers, in the same (reused) memory.
    again.grads.forEach((g, i) => expect(sameBits(g, firstGrads[i])).toBe(true));
    expect(again.grads[0].buffer).toBe(first.grads[0].buffer);
    expect(again.grads[0].buffer).toBeInstanceOf(SharedArrayBuffer);
    // So a second call while one is in flight is refused instead of overwriting the first's gradients.
    const inFlight = provider.compute(weights, x, y, n);
    await expect(provider.compute(weights, x, y, n)).rejects.toThrow(/previous call has not finished/);
    await inFlight;
    model.dispose();
  });

  it('takes a raw batch (uint8 frames + drawn augmentation) and computes exactly what the floats give', async () => {
    const model = createRegressor(MODEL, 12);
    const n = 7;
    const [h, w, c] = [model.config.input.height, model.config.input.width, model.config.input.channels];
    const per = h * w * c;
    const rng = createRng(31);
    const cfg = AugmentConfig.parse({ flip: true, brightness: 0.3, contrast: 0.3, shiftPx: 4, shiftDegPerPx: 0.5 });
    const raw = allocRawBatch(n, h, w, c);
    for (let j = 0; j < n; j++) {
      const px = Uint8Array.from({ length: per }, () => rng.int(256));
      raw.bytes.set(px, j * per);
      const plan = drawPixelPlan(px, h, w, c, 0, cfg, rng, undefined, raw.tables.subarray(j * 256, j * 256 + 256));
      [raw.flip[j], raw.shift[j], raw.hasTable[j]] = [plan.flip ? 1 : 0, plan.shift, plan.table ? 1 : 0];
    }
    expect(raw.flip.some((f) => f === 1) && raw.shift.some((s) => s !== 0) && raw.hasTable.every((t) => t === 1)).toBe(true);
    const x = rawBatchInto(raw, new Float32Array(n * per));
    const y = Float32Array.from({ length: n }, () => rng.next());
    const fromFloats = kept(await provider.compute(model.getWeights(), x, y, n));
    const fromRaw = await provider.compute(model.getWeights(), raw, y, n);
    expect(fromRaw.loss).toBe(fromFloats.loss);
    fromFloats.grads.forEach((g, i) => expect(sameBits(fromRaw.grads[i], g)).toBe(true));
    const [pf, pr] = await Promise.all([provider.predict(model.getWeights(), x, n), provider.predict(model.getWeights(), raw, n)]);
    expect(Array.from(pr)).toEqual(Array.from(pf));
    // A raw batch must be on shared memory (the workers read views of it); a wrong count is refused.
    const local = { ...raw, bytes: new Uint8Array(raw.bytes) };
    await expect(provider.compute(model.getWeights(), local, y, n)).rejects.toThrow(/shared memory/);
    await expect(provider.compute(model.getWeights(), raw, y, n - 1)).rejects.toThrow(/bad batch \(n=6, x=7 raw samples\)/);
    model.dispose();
  });

  it.each([32, 7, 1])('predicts a batch with exactly the numbers of the in-process forward pass (n=%i)', async (n) => {
    const model = createRegressor(MODEL, 5);
    const rng = createRng(40 + n);
    const [h, w, c] = [model.config.input.height, model.config.input.width, model.config.input.channels];
    const x = Float32Array.from({ length: n * h * w * c }, () => rng.next());
    const ref = tf.tidy(() => model.apply(tf.tensor4d(x, [n, h, w, c]), { training: false }).output.dataSync() as Float32Array).slice(0, n);
    // Several batches in flight at once: each worker answers for its own batch.
    const got = await Promise.all([0, 1, 2].map(() => provider.predict(model.getWeights(), x, n)));
    for (const g of got) expect(Array.from(g)).toEqual(Array.from(ref));
    expect(x.length).toBe(n * h * w * c); // the caller keeps its batch
    model.dispose();
  });

  it.each([9, 32])('with trace, sends back the training forward pass: every trace the numbers of this thread\'s pass (n=%i)', async (n) => {
    // An aux head too, so every slot kind (main head, aux head, linear layers whose pre is their post) is covered.
    const cfg = { ...MODEL, auxHeads: [{ after: 'conv3', head: 'linear' as const, lossWeight: 0.5 }] };
    const traced = await createParallelProvider({ model: cfg, l2: L2, workers: 2, minShard: 1 });
    try {
      const model = createRegressor(cfg, 8);
      const rng = createRng(90 + n);
      const [h, w, c] = [model.config.input.height, model.config.input.width, model.config.input.channels];
      const x = Float32Array.from({ length: n * h * w * c }, () => rng.next());
      const y = Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
      const ref = tf.tidy(() => {
        const fw = model.apply(tf.tensor4d(x, [n, h, w, c]), { training: true, trace: true, seed: 1 });
        return forwardTensors(fw).map((t) => ({ shape: t.shape, v: t.dataSync() as Float32Array }));
      });
      const plain = kept(await traced.compute(model.getWeights(), x, y, n));
      expect(plain.forward).toBeUndefined(); // only asked for at logging steps
      const got = await traced.compute(model.getWeights(), x, y, n, { trace: true });
      plain.grads.forEach((g, i) => expect(sameBits(got.grads[i], g)).toBe(true));
      const fw = forwardFromArrays(got.forward!);
      const mine = forwardTensors(fw);
      expect(fw.traces!.map((t) => t.name)).toEqual(model.plan.trunk.map((l) => l.name));
      expect(fw.aux.map((a) => [a.name, a.lossWeight])).toEqual([['aux_conv3', 0.5]]);
      expect(mine.length).toBe(ref.length);
      mine.forEach((t, k) => {
        expect(t.shape, `slot ${k}`).toEqual(ref[k].shape);
        expect(Buffer.from((t.dataSync() as Float32Array).buffer).equals(Buffer.from(ref[k].v.buffer)), `slot ${k}`).toBe(true);
      });
      tf.dispose([...new Set(mine)]);
      model.dispose();
    } finally {
      traced.dispose();
    }
  });

  it('evaluates a source on the workers with exactly the in-process numbers', async () => {
    const model = createRegressor(MODEL, 6);
    const [h, w, c] = [model.config.input.height, model.config.input.width, model.config.input.channels];
    const n = 23;
    const rng = createRng(77);
    const src = memorySource(Float32Array.from({ length: n * h * w * c }, () => rng.next()), Float32Array.from({ length: n }, () => rng.next() * 20 - 10), [h, w, c]);
    const target = { toTarget: (d: number) => d / 10, toDeg: (t: number) => t * 10 } as unknown as TargetTransform;
    const local = await evaluateSource(model, src, target, 5, [h, w, c]);
    const pooled = await evaluateSource(model, src, target, 5, [h, w, c], undefined, provider);
    expect(Array.from(pooled.predDeg)).toEqual(Array.from(local.predDeg));
    expect(Array.from(pooled.trueDeg)).toEqual(Array.from(local.trueDeg));
    expect(pooled.valLoss).toBe(local.valLoss);
    model.dispose();
  });

  it('stops its workers on abort and refuses work afterwards', async () => {
    const ac = new AbortController();
    const p = await createParallelProvider({ model: { arch: 'mlp', input: { height: 1, width: 4, channels: 1 }, hidden: [3] }, l2: 0, workers: 2, signal: ac.signal, minShard: 1 });
    const m = createRegressor({ arch: 'mlp', input: { height: 1, width: 4, channels: 1 }, hidden: [3] }, 1);
    const ok = await p.compute(m.getWeights(), new Float32Array(8).fill(0.5), new Float32Array(2), 2);
    expect(Number.isFinite(ok.loss)).toBe(true);
    ac.abort();
    await expect(p.compute(m.getWeights(), new Float32Array(8), new Float32Array(2), 2)).rejects.toBeInstanceOf(CancelledError);
    m.dispose();
  });
});

describe('parallel gradient provider start-up', () => {
  it('an abort while the workers start fails the start-up and leaves no thread', async () => {
    const ac = new AbortController();
    const p = createParallelProvider({ model: { arch: 'mlp', input: { height: 1, width: 4, channels: 1 }, hidden: [3] }, l2: 0, workers: 2, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    const t0 = Date.now();
    while (liveWorkerCount() > 0 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
    expect(liveWorkerCount()).toBe(0);
    await expect(createParallelProvider({ model: { arch: 'mlp' }, l2: 0, signal: ac.signal })).rejects.toBeInstanceOf(CancelledError);
  }, 30_000);
});
