/**
 * Gradient kernels for the tfjs wasm backend, built from kernels it already
 * runs fast (XNNPACK Conv2D, Transpose) plus crops copied on the wasm heap.
 *
 * - Conv2DBackpropFilter is missing from tfjs-backend-wasm 4.22, so training
 *   any CNN fails there. We express it as ONE forward convolution: x
 *   transposed to [ci, H, W, B] convolved with dy transposed to
 *   [OH, OW, B, co] (dilation = the original stride) gives [ci, KH, KW, co].
 * - The shipped Conv2DBackpropInput is a scalar C++ loop. We replace it with
 *   a polyphase (sub-pixel) decomposition: for stride s, output rows
 *   i = s*u + p of phase p only meet filter taps kh = s*m + q, so all s*s
 *   phases are the output channels of ONE stride-1 convolution of dy,
 *   interleaved by a Transpose. Zero-insertion does s*s times the work
 *   (measured in FACTS.md); this does at most ceil(k/s)^2*s^2/k^2 (1.44x at k=5).
 *
 * - Small layers (by static shape) use im2col/col2im + one GEMM instead
 *   (gemm-conv.ts), measured faster there.
 *
 * All are exact reformulations (same sums, different order), so they agree
 * with the cpu backend to float32 rounding; test/engine checks that.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';

import { filterGradGemm, inputGradGemm, useGemmForFilter, useGemmForInput } from './gemm-conv.ts';
import { heapCrop4, KernelScope, type TensorInfo } from './heap-ops.ts';

function conv2dInfo(xShape: number[], filterShape: number[], strides: number | [number, number], pad: unknown,
  dimRoundingMode: unknown, dataFormat: 'NHWC' | 'NCHW'): backend_util.Conv2DInfo {
  if (dataFormat !== 'NHWC') throw new Error(`wasm gradient kernels support NHWC only, got ${dataFormat}`);
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number], strides, 1,
    pad as 'valid', dimRoundingMode as 'round', false, 'channelsLast');
}

/**
 * dW[kh,kw,ci,co] = sum over b,oh,ow of x[b, oh*sh+kh-top, ow*sw+kw-left, ci] * dy[b,oh,ow,co],
 * computed as a forward Conv2D with batch = ci, channels = B, filter = dy and dilation = stride.
 */
function conv2DBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): TensorInfo {
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const a = args.attrs as unknown as { strides: [number, number] | number; pad: unknown; dataFormat: 'NHWC' | 'NCHW'; dimRoundingMode: unknown; filterShape: [number, number, number, number] };
  const info = conv2dInfo(x.shape, a.filterShape, a.strides, a.pad, a.dimRoundingMode, a.dataFormat);
  const s = new KernelScope(args.backend);
  if (useGemmForFilter(info)) return s.finish(filterGradGemm(s, x, dy, info));
  const [B, H, W, CI] = x.shape;
  const { filterHeight: KH, filterWidth: KW, outHeight: OH, outWidth: OW, strideHeight: sh, strideWidth: sw, outChannels: CO } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  // Rows/columns of x the gradient reads (in x coordinates, exclusive end); unread ones are
  // cropped (a cheap copy) rather than convolved into outputs we would drop (up to 1.44x work).
  const needH = (OH - 1) * sh + KH - top;
  const needW = (OW - 1) * sw + KW - left;
  let xt = s.run('Transpose', { x }, { perm: [3, 1, 2, 0] }); // [CI, H, W, B]
  if (needH < H || needW < W) xt = heapCrop4(s, xt, [0, 0, 0, 0], [CI, Math.min(H, needH), Math.min(W, needW), B]);
  const dyt = s.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }); // [OH, OW, B, CO]
  const pad = [[0, 0], [top, Math.max(0, needH - H)], [left, Math.max(0, needW - W)], [0, 0]];
  const g = s.run('Conv2D', { x: xt, filter: dyt }, {
    strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [sh, sw], dimRoundingMode: undefined,
  }); // [CI, KH, KW, CO]
  if (g.shape[1] !== KH || g.shape[2] !== KW) throw new Error(`internal: filter gradient shape ${g.shape} != ${KH}x${KW}`);
  const out = CI === 1 ? s.run('Reshape', { x: g }, { shape: [KH, KW, CI, CO] }) : s.run('Transpose', { x: g }, { perm: [1, 2, 0, 3] });
  return s.finish(out);
}

/** Geometry of one polyphase component along one axis. */
interface Phase {
  /** Number of filter taps of this phase (0: the phase receives no gradient). */
  taps: number;
  /** Tap kh = stride*m + q for m in [0, taps). */
  q: number;
  /** Phase p reads dy[u + c - m]: c is its offset. */
  c: number;
}

/** For output positions i = s*u + p: taps kh = s*m + q with q = (p+top) mod s, reading dy[u + c - m]. */
function phaseAlong(p: number, s: number, k: number, top: number): Phase {
  const q = (p + top) % s;
  const c = Math.floor((p + top) / s);
  return { taps: q < k ? Math.ceil((k - q) / s) : 0, q, c };
}

/** All phases of one axis share one window of dy positions u + start .. u + start + size - 1. */
function windowAlong(phases: Phase[]): { start: number; size: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const ph of phases) {
    if (ph.taps === 0) continue;
    lo = Math.min(lo, ph.c - ph.taps + 1);
    hi = Math.max(hi, ph.c);
  }
  if (!Number.isFinite(lo)) return { start: 0, size: 1 };
  return { start: lo, size: hi - lo + 1 };
}

/**
 * dx[b,i,j,ci] = sum of dy[b,oh,ow,co] * W[kh,kw,ci,co] over i = oh*sh+kh-top, j = ow*sw+kw-left.
 * Sub-pixel form: ONE stride-1 convolution of dy whose sh*sw*CI output channels are the
 * output phases (i mod sh, j mod sw), then DepthToSpace interleaves them. Phases with fewer
 * taps get zero taps in the shared window (k=5, s=2: 36 taps computed for 25 useful), which
 * costs less than four small convolutions and two interleaving copies (measured).
 */
function conv2DBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): TensorInfo {
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const a = args.attrs as unknown as { strides: [number, number] | number; pad: unknown; dataFormat: 'NHWC' | 'NCHW'; dimRoundingMode: unknown; inputShape: [number, number, number, number] };
  const info = conv2dInfo(a.inputShape, filter.shape, a.strides, a.pad, a.dimRoundingMode, a.dataFormat);
  const s = new KernelScope(args.backend);
  if (useGemmForInput(info)) return s.finish(inputGradGemm(s, dy, filter, a.inputShape, info));
  const [B, H, W, CI] = a.inputShape;
  const { filterHeight: KH, filterWidth: KW, outHeight: OH, outWidth: OW, strideHeight: sh, strideWidth: sw, outChannels: CO } = info;
  const rowPh = Array.from({ length: sh }, (_, p) => phaseAlong(p, sh, KH, info.padInfo.top));
  const colPh = Array.from({ length: sw }, (_, p) => phaseAlong(p, sw, KW, info.padInfo.left));
  const rw = windowAlong(rowPh);
  const cw = windowAlong(colPh);
  // Combined filter [rw.size, cw.size, CO, sh*sw*CI], built on the JS side (filters are small).
  const w = s.read(filter);
  const NC = sh * sw * CI;
  const f = new Float32Array(rw.size * cw.size * CO * NC);
  for (let ph = 0; ph < sh; ph++) {
    const pr = rowPh[ph];
    for (let pw = 0; pw < sw; pw++) {
      const pc = colPh[pw];
      const chBase = (ph * sw + pw) * CI;
      for (let j = 0; j < rw.size; j++) {
        const m = pr.c - rw.start - j;
        if (m < 0 || m >= pr.taps) continue;
        const kh = sh * m + pr.q;
        for (let jw = 0; jw < cw.size; jw++) {
          const mw = pc.c - cw.start - jw;
          if (mw < 0 || mw >= pc.taps) continue;
          const kw = sw * mw + pc.q;
          for (let ci = 0; ci < CI; ci++) {
            const src = ((kh * KW + kw) * CI + ci) * CO;
            let dst = ((j * cw.size + jw) * CO) * NC + chBase + ci;
            for (let co = 0; co < CO; co++, dst += NC) f[dst] = w[src + co];
          }
        }
      }
    }
  }
  const ft = s.alloc([rw.size, cw.size, CO, NC], f);
  // Output u reads dy[u + start ..]: pad before by -start; clamp negatives and drop leading outputs instead.
  const UH = Math.ceil(H / sh);
  const UW = Math.ceil(W / sw);
  const padT = Math.max(0, -rw.start);
  const padL = Math.max(0, -cw.start);
  const skipH = padT + rw.start;
  const skipW = padL + cw.start;
  const padB = Math.max(0, UH + skipH + rw.size - 1 - OH - padT);
  const padR = Math.max(0, UW + skipW + cw.size - 1 - OW - padL);
  let y = s.run('Conv2D', { x: dy, filter: ft }, {
    strides: [1, 1], pad: [[0, 0], [padT, padB], [padL, padR], [0, 0]], dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined,
  });
  if (skipH !== 0 || skipW !== 0 || y.shape[1] !== UH || y.shape[2] !== UW) y = heapCrop4(s, y, [0, skipH, skipW, 0], [B, UH, UW, NC]);
  if (sh !== 1 || sw !== 1) {
    // Interleave the phases: [B, UH, UW, sh, sw, CI] -> [B, UH, sh, UW, sw, CI]. wasm DepthToSpace
    // does the same permutation about 25x slower (measured).
    y = s.run('Reshape', { x: y }, { shape: [B, UH, UW, sh, sw, CI] });
    y = s.run('Transpose', { x: y }, { perm: [0, 1, 3, 2, 4, 5] });
    y = s.run('Reshape', { x: y }, { shape: [B, UH * sh, UW * sw, CI] });
  }
  if (y.shape[1] !== H || y.shape[2] !== W) y = heapCrop4(s, y, [0, 0, 0, 0], [B, H, W, CI]);
  return s.finish(y);
}

/**
 * Sum over leading axes (bias gradients: sum of dy over batch, rows, columns)
 * as dy^T[C, N] x ones[N, 1] through BatchMatMul: about 5 ms instead of 12 ms
 * for conv1's fresh [32, 31, 98, 24] gradient (measured, same result). Other
 * reductions go to the shipped kernel.
 */
function makeSum(original: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
    const k = axes.length;
    const leading = k > 0 && k < x.shape.length && axes.every((a, i) => a === i);
    if (!leading || x.dtype !== 'float32') return original.kernelFunc(args);
    const N = x.shape.slice(0, k).reduce((p, q) => p * q, 1);
    const rest = x.shape.slice(k);
    const C = rest.reduce((p, q) => p * q, 1);
    const s = new KernelScope(args.backend as tf.KernelBackend);
    // dy^T[C, N] x ones[N, 1]: the small operand (ones) is the matmul's packed "weights";
    // with dy in that role every call re-packed it and cost 20 ms (measured).
    const ones = s.run('Fill', {}, { shape: [1, N, 1], value: 1, dtype: 'float32' });
    const x3 = s.run('Reshape', { x }, { shape: [1, N, C] });
    const prod = s.run('BatchMatMul', { a: x3, b: ones }, { transposeA: true, transposeB: false });
    return s.finish(s.run('Reshape', { x: prod }, { shape: keepDims ? [...axes.map(() => 1), ...rest] : rest }));
  };
}

/**
 * Identity without a copy: tfjs-core clones every tensor it saves for the
 * backward pass (Engine.clone runs Identity), and the shipped wasm kernel
 * copies the data: 68 copies, 5.7 ms of a 245 ms PilotNet step at batch 16
 * (measured). Tensors are immutable, so sharing the buffer by reference count
 * is what the cpu backend's Identity and the wasm Reshape already do.
 */
function identityShared(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend }): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  (args.backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * BatchMatMul with a transposed operand: the shipped kernel runs XNNPACK's
 * GEMM only when neither operand is transposed and otherwise a scalar loop
 * (the dense layers' gradients x^T dy and dy W^T: 3.9 and 3.1 ms at batch 16,
 * measured). Transposing the operand first with the wasm Transpose kernel and
 * calling the GEMM costs a fraction of that. Matrix-vector products (one output
 * column, as in the bias-gradient sums above) stay on the loop, which is fine there.
 */
function makeBatchMatMul(original: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const attrs = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const ra = a.shape.length;
    const rb = b.shape.length;
    const n = attrs.transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    const m = attrs.transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    if ((!attrs.transposeA && !attrs.transposeB) || n === 1 || m === 1 || a.dtype !== 'float32' || b.dtype !== 'float32') return original.kernelFunc(args);
    const s = new KernelScope(args.backend as tf.KernelBackend);
    // Swap the last two axes, keeping any batch axes in front.
    const swapLast = (t: TensorInfo) => {
      const r = t.shape.length;
      return s.run('Transpose', { x: t }, { perm: [...Array(r - 2).keys(), r - 1, r - 2] });
    };
    const a2 = attrs.transposeA ? swapLast(a) : a;
    const b2 = attrs.transposeB ? swapLast(b) : b;
    return s.finish(s.run('BatchMatMul', { a: a2, b: b2 }, { ...attrs, transposeA: false, transposeB: false }));
  };
}

let registered = false;

/**
 * Registers the lab's wasm gradient kernels with tfjs-core. Safe to call
 * many times; must run before (or after) the wasm backend initialises.
 */
export function registerWasmGradientKernels(): void {
  if (registered) return;
  registered = true;
  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
    tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilter as tf.KernelFunc });
  }
  // The shipped kernel is a scalar loop; replace it with the polyphase version.
  if (tf.getKernel('Conv2DBackpropInput', 'wasm')) tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  tf.registerKernel({ kernelName: 'Conv2DBackpropInput', backendName: 'wasm', kernelFunc: conv2DBackpropInput as tf.KernelFunc });
  const identity = tf.getKernel('Identity', 'wasm');
  if (identity) tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({ kernelName: 'Identity', backendName: 'wasm', kernelFunc: identityShared as tf.KernelFunc });
  const bmm = tf.getKernel('BatchMatMul', 'wasm');
  if (bmm) {
    tf.unregisterKernel('BatchMatMul', 'wasm');
    tf.registerKernel({ kernelName: 'BatchMatMul', backendName: 'wasm', setupFunc: bmm.setupFunc, kernelFunc: makeBatchMatMul(bmm) });
  }
  const sum = tf.getKernel('Sum', 'wasm');
  if (sum) {
    tf.unregisterKernel('Sum', 'wasm');
    // Keep the shipped setupFunc: the backend runs it at start-up and the fallback path needs it.
    tf.registerKernel({ kernelName: 'Sum', backendName: 'wasm', setupFunc: sum.setupFunc, kernelFunc: makeSum(sum) });
  }
}
