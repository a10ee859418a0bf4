/**
 * Per-kernel wall time (ms) of the wasm convolution gradient kernels at
 * PilotNet's layer shapes, batch 16 (one worker's shard), for each gradient
 * path: 'never' = forward-conv reformulations, 'always' = im2col GEMM,
 * 'auto' = the shape rule the kernels use. Usage:
 *   npx tsx bench/kernel-micro.ts [reps] [batch]
 */
import { initEngine, tf } from '../src/engine/index.ts';
import { gemmPolicy } from '../src/engine/gemm-conv.ts';

const LAYERS = [
  { name: 'conv1', x: [16, 66, 200, 3], f: [5, 5, 3, 24], s: 2 },
  { name: 'conv2', x: [16, 31, 98, 24], f: [5, 5, 24, 36], s: 2 },
  { name: 'conv3', x: [16, 14, 47, 36], f: [5, 5, 36, 48], s: 2 },
  { name: 'conv4', x: [16, 5, 22, 48], f: [3, 3, 48, 64], s: 1 },
  { name: 'conv5', x: [16, 3, 20, 64], f: [3, 3, 64, 64], s: 1 },
];

type Mode = typeof gemmPolicy.mode;

/**
 * Per mode: median wall ms and mean process CPU ms, runs interleaved (A B C A B C ...) so
 * drift and GC hit every mode alike. CPU time is the figure to trust while other
 * processes share the cores (wall time then includes time spent descheduled).
 */
function timeModes(reps: number, modes: Mode[], f: () => tf.Tensor): { wall: number; cpu: number }[] {
  const ts: number[][] = modes.map(() => []);
  const cpu = modes.map(() => 0);
  for (let i = -1; i < reps; i++) {
    modes.forEach((m, j) => {
      gemmPolicy.mode = m;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const out = f();
      out.dataSync();
      const dt = performance.now() - t0;
      const dc = process.cpuUsage(c0);
      tf.dispose(out);
      if (i >= 0) { ts[j].push(dt); cpu[j] += (dc.user + dc.system) / 1000; }
    });
  }
  gemmPolicy.mode = 'auto';
  return ts.map((t, j) => ({ wall: t.sort((p, q) => p - q)[Math.floor(t.length / 2)], cpu: cpu[j] / reps }));
}

export async function main(): Promise<void> {
  await initEngine('wasm');
  const reps = Number(process.argv[2] ?? 5);
  const batch = Number(process.argv[3] ?? 16);
  for (const L of LAYERS) {
    L.x[0] = batch;
    const x = tf.randomNormal(L.x as [number, number, number, number]);
    const w = tf.randomNormal(L.f as [number, number, number, number]);
    const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, L.s, 'valid');
    const dy = tf.randomNormal(y.shape);
    const attrs = { strides: [L.s, L.s], pad: 'valid', dataFormat: 'NHWC', dimRoundingMode: undefined } as Record<string, unknown>;
    const modes: Mode[] = ['never', 'always', 'auto'];
    const row: Record<string, number | string> = { layer: L.name };
    const fwd = timeModes(reps, ['auto'], () => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, L.s, 'valid'))[0];
    row.fwd = fwd.wall;
    row.fwd_cpu = fwd.cpu;
    const dW = timeModes(reps, modes, () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: L.f } as tf.NamedAttrMap) as tf.Tensor);
    const dX = timeModes(reps, modes, () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: L.x } as tf.NamedAttrMap) as tf.Tensor);
    modes.forEach((m, j) => {
      row[`dW_${m}`] = dW[j].wall;
      row[`dW_${m}_cpu`] = dW[j].cpu;
      row[`dX_${m}`] = dX[j].wall;
      row[`dX_${m}_cpu`] = dX[j].cpu;
    });
    console.log(JSON.stringify(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toFixed(2)) : v]))));
    tf.dispose([x, w, y, dy]);
  }
}

void main();
