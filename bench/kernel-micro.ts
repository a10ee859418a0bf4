/**
 * Per-kernel time of the wasm convolution kernels at PilotNet's layer shapes
 * (default batch 16, one worker's shard): the lab's SIMD kernels for the
 * forward pass and both gradients, and XNNPACK's forward convolution beside
 * them in the same process. Usage:
 *   npx tsx bench/kernel-micro.ts [reps] [batch]
 *
 * Runs are interleaved (ours, XNNPACK, ours, ...) and the minimum is
 * reported next to the median: on a shared machine the minimum is the
 * steadiest estimate of what the code itself costs (other work only adds
 * time). GFLOP/s counts 2 FLOP per multiply-add of the convolution.
 */
import { backend_util } from '@tensorflow/tfjs-core';

import { initEngine, tf } from '../src/engine/index.ts';
import { conv2dXnnpack } from '../src/engine/register-kernels.ts';

const LAYERS = [
  { name: 'conv1', x: [16, 66, 200, 3], f: [5, 5, 3, 24], s: 2 },
  { name: 'conv2', x: [16, 31, 98, 24], f: [5, 5, 24, 36], s: 2 },
  { name: 'conv3', x: [16, 14, 47, 36], f: [5, 5, 36, 48], s: 2 },
  { name: 'conv4', x: [16, 5, 22, 48], f: [3, 3, 48, 64], s: 1 },
  { name: 'conv5', x: [16, 3, 20, 64], f: [3, 3, 64, 64], s: 1 },
];

interface Timing { min: number; median: number }

function timeInterleaved(reps: number, fs: (() => tf.Tensor)[]): Timing[] {
  const ts: number[][] = fs.map(() => []);
  for (let i = -1; i < reps; i++) {
    fs.forEach((f, j) => {
      const t0 = performance.now();
      // The wasm backend runs kernels synchronously: the output is complete when f returns. Reading it back
      // (dataSync) would time a copy into a fresh array, mostly page faults (14 ms for conv1's 4.7 MB output).
      const out = f();
      const dt = performance.now() - t0;
      tf.dispose(out);
      if (i >= 0) ts[j].push(dt);
    });
  }
  return ts.map((t) => {
    t.sort((p, q) => p - q);
    return { min: t[0], median: t[Math.floor(t.length / 2)] };
  });
}

export async function main(): Promise<void> {
  await initEngine('wasm');
  const reps = Number(process.argv[2] ?? 9);
  const batch = Number(process.argv[3] ?? 16);
  for (const L of LAYERS) {
    L.x[0] = batch;
    const x = tf.randomNormal(L.x as [number, number, number, number]);
    const w = tf.randomNormal(L.f as [number, number, number, number]);
    const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, L.s, 'valid');
    const dy = tf.randomNormal(y.shape);
    const info = backend_util.computeConv2DInfo(L.x as [number, number, number, number], L.f as [number, number, number, number], L.s, 1, 'valid');
    const gflop = (2 * info.batchSize * info.outHeight * info.outWidth * info.outChannels * info.filterHeight * info.filterWidth * info.inChannels) / 1e9;
    const attrs = { strides: [L.s, L.s], pad: 'valid', dataFormat: 'NHWC', dimRoundingMode: undefined } as Record<string, unknown>;
    const fwd = () => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, L.s, 'valid');
    const xnnFwd = () => conv2dXnnpack(x as tf.Tensor4D, w as tf.Tensor4D, L.s, 'valid');
    const dW = () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: L.f } as tf.NamedAttrMap) as tf.Tensor;
    const dX = () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: L.x } as tf.NamedAttrMap) as tf.Tensor;
    const [f, fx, gw, gx] = timeInterleaved(reps, [fwd, xnnFwd, dW, dX]);
    const row = (t: Timing) => ({ minMs: Number(t.min.toFixed(2)), medianMs: Number(t.median.toFixed(2)), gflopPerS: Number((gflop / (t.min / 1000)).toFixed(1)) });
    console.log(JSON.stringify({ layer: L.name, batch, gflop: Number(gflop.toFixed(3)), fwd: row(f), fwdXnnpack: row(fx), dW: row(gw), dX: row(gx) }));
    tf.dispose([x, w, y, dy]);
  }
}

void main();
