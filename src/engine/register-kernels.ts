/**
 * Kernels the lab registers with the tfjs wasm backend.
 *
 * - Conv2D, Conv2DBackpropFilter and Conv2DBackpropInput run the lab's own
 *   wasm-SIMD kernels (simd-conv.ts, built from kernels/conv.c): the filter
 *   gradient is missing from tfjs-backend-wasm 4.22 (training any CNN fails
 *   there), the shipped input gradient is a scalar loop, and XNNPACK's
 *   forward convolution ran PilotNet's layers slower than ours (figures in
 *   the README's training-speed section; bench/kernel-micro.ts).
 *   A dilated forward convolution still goes to XNNPACK (tfjs has no
 *   gradient for dilated convolutions, so training never needs one).
 * - BatchMatMul runs on the same GEMM; Sum and Identity get faster paths for
 *   the shapes a training step produces; a fused Adam step replaces 14
 *   kernels per variable, and one pass gives the diagnostics' per-tensor
 *   moments (each explained below).
 *
 * The convolutions are exact reformulations (the same sums in another order),
 * so they agree with the cpu backend to float32 rounding; test/engine checks that.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';

import { allocOutput, heapPtr, KernelScope, type TensorInfo } from './heap-ops.ts';
import { runSimdConv, simdConvHandles } from './simd-conv.ts';
import { labKernels } from './wasm-module.ts';

function conv2dInfo(xShape: number[], filterShape: number[], strides: number | [number, number], pad: unknown,
  dimRoundingMode: unknown, dataFormat: 'NHWC' | 'NCHW', dilations: number | [number, number] = 1): backend_util.Conv2DInfo {
  if (dataFormat !== 'NHWC') throw new Error(`wasm convolution kernels support NHWC only, got ${dataFormat}`);
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number], strides, dilations,
    pad as 'valid', dimRoundingMode as 'round', false, 'channelsLast');
}

interface ConvAttrs {
  strides: [number, number] | number;
  pad: unknown;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode: unknown;
  dilations?: [number, number] | number;
  /** Set only by conv2dXnnpack: run the shipped kernel. */
  [USE_XNNPACK]?: boolean;
}

/** A Conv2D attribute that routes one call to the shipped XNNPACK kernel (tf.conv2d never sets it). */
const USE_XNNPACK = 'steerlabUseXnnpack';

/**
 * Forward convolution through the shipped XNNPACK kernel instead of the lab's,
 * NHWC, dilation 1: tests and benchmarks compare the two in one process.
 */
export function conv2dXnnpack(x: tf.Tensor4D, filter: tf.Tensor4D, strides: number | [number, number], pad: 'valid' | 'same'): tf.Tensor4D {
  const attrs = { strides, pad, dataFormat: 'NHWC', dilations: 1, dimRoundingMode: undefined, [USE_XNNPACK]: true };
  return tf.engine().runKernel('Conv2D', { x, filter }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/** Forward Conv2D: the SIMD kernel, or the shipped XNNPACK kernel for what it does not handle (dilation). */
function makeConv2D(original: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
    const a = args.attrs as unknown as ConvAttrs;
    if (a.dataFormat !== 'NHWC' || x.dtype !== 'float32' || a[USE_XNNPACK]) return original.kernelFunc(args);
    const info = conv2dInfo(x.shape, filter.shape, a.strides, a.pad, a.dimRoundingMode, a.dataFormat, a.dilations);
    if (!simdConvHandles(info)) return original.kernelFunc(args);
    return runSimdConv(args.backend as tf.KernelBackend, 'fwd', x, filter, info, info.outShape);
  };
}

function gradientInfo(xShape: number[], filterShape: number[], a: ConvAttrs): backend_util.Conv2DInfo {
  const info = conv2dInfo(xShape, filterShape, a.strides, a.pad, a.dimRoundingMode, a.dataFormat);
  // tfjs-core's conv2d gradient refuses dilation > 1 before it gets here.
  if (!simdConvHandles(info)) throw new Error('wasm convolution gradients support dilation 1 only');
  return info;
}

/** dW[kh,kw,ci,co] = sum over b,oh,ow of x[b, oh*sh+kh-top, ow*sw+kw-left, ci] * dy[b,oh,ow,co]. */
function conv2DBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): TensorInfo {
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const a = args.attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
  const info = gradientInfo(x.shape, a.filterShape, a);
  return runSimdConv(args.backend, 'dw', x, dy, info, a.filterShape);
}

/** dx[b,i,j,ci] = sum of dy[b,oh,ow,co] * W[kh,kw,ci,co] over i = oh*sh+kh-top, j = ow*sw+kw-left. */
function conv2DBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): TensorInfo {
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const a = args.attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
  const info = gradientInfo(a.inputShape, filter.shape, a);
  return runSimdConv(args.backend, 'dx', dy, filter, info, a.inputShape);
}

/**
 * Sum over leading axes (bias gradients: dy summed over batch, rows and
 * columns) as one pass of the lab's sum_rows kernel (optim.c), in blocks of
 * 256 rows. The shipped kernel took 12 ms for conv1's [16, 31, 98, 24]
 * gradient, a BatchMatMul with a ones vector 2.7 ms (measured). Other
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
    const rows = x.shape.slice(0, k).reduce((p, q) => p * q, 1);
    const rest = x.shape.slice(k);
    const cols = rest.reduce((p, q) => p * q, 1);
    const backend = args.backend as tf.KernelBackend;
    const s = new KernelScope(backend);
    const out = s.alloc(keepDims ? [...axes.map(() => 1), ...rest] : rest);
    const part = s.alloc([cols]);
    labKernels(backend).sum_rows(heapPtr(backend, x), rows, cols, heapPtr(backend, out), heapPtr(backend, part));
    return s.finish(out);
  };
}

/** rows_op's operations (optim.c). */
const ROWS_OP = { Add: 0, Multiply: 1, Sub: 2 } as const;

/**
 * Add, Multiply and Sub of a tensor and a vector over its last axis (a
 * bias) or a scalar, through the lab's rows_op (optim.c): one SIMD pass,
 * the same float32 operation per element. The shipped kernel took 1.3 ms
 * for conv1's bias add at batch 16 and 0.5 ms to scale the input (measured).
 * For Add and Multiply the small operand may come first; anything else
 * (same shapes, other broadcasts, other dtypes) goes to the shipped kernel.
 */
function makeRowsOp(original: tf.KernelConfig, name: keyof typeof ROWS_OP): tf.KernelFunc {
  const commutes = name !== 'Sub';
  const rowsOp: tf.KernelFunc = (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const small = (big: TensorInfo, s: TensorInfo) => {
      if (big.shape.length === 0 || s.shape.length > big.shape.length) return 0;
      const size = s.shape.reduce((p, q) => p * q, 1);
      if (size === 1) return 1;
      return s.shape.length === 1 && s.shape[0] === big.shape[big.shape.length - 1] ? size : 0;
    };
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return original.kernelFunc(args);
    let big = a;
    let vec = b;
    let cols = small(a, b);
    if (cols === 0 && commutes) {
      cols = small(b, a);
      [big, vec] = [b, a];
    }
    const n = big.shape.reduce((p, q) => p * q, 1);
    if (cols === 0 || n < 64) return original.kernelFunc(args);
    const backend = args.backend as tf.KernelBackend;
    const out = allocOutput(backend, big.shape.slice());
    labKernels(backend).rows_op(heapPtr(backend, big), heapPtr(backend, vec), heapPtr(backend, out), n / cols, cols, ROWS_OP[name]);
    return out;
  };
  return rowsOp;
}

/** Name of the fused Adam kernel (registered for wasm only; see src/train/optimizer.ts). */
export const FUSED_ADAM = 'SteerlabAdam';

/** Attributes of one fused Adam step at iteration t (each computed in float64, as the op-by-op version's scalars are). */
export interface FusedAdamAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  /** 1 - beta1, 1 - beta2 */
  oneMinusBeta1: number;
  oneMinusBeta2: number;
  /** 1 - beta1^t, 1 - beta2^t (bias corrections) */
  c1: number;
  c2: number;
  epsilon: number;
}

/**
 * One Adam step of one variable in a single pass (optim.c adam_step), where
 * the op-by-op version runs 14 kernels: outputs [w', m', v', sum of update^2].
 * Same float32 operations in the same order, so the same bits (tested).
 */
function fusedAdam(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): TensorInfo[] {
  const { w, g, m, v } = args.inputs as { w: TensorInfo; g: TensorInfo; m: TensorInfo; v: TensorInfo };
  const a = args.attrs as unknown as FusedAdamAttrs;
  const backend = args.backend;
  const [w2, m2, v2] = [0, 1, 2].map(() => allocOutput(backend, w.shape));
  const n = w.shape.reduce((p, q) => p * q, 1);
  const sq = labKernels(backend).adam_step(heapPtr(backend, w), heapPtr(backend, g), heapPtr(backend, m), heapPtr(backend, v),
    heapPtr(backend, w2), heapPtr(backend, m2), heapPtr(backend, v2), n, a.lr, a.beta1, a.oneMinusBeta1, a.beta2, a.oneMinusBeta2, a.c1, a.c2, a.epsilon);
  return [w2, m2, v2, allocOutput(backend, [], Float32Array.of(sq))];
}

/** Name of the one-pass diagnostics moments kernel (registered for wasm only; see src/train/measure.ts). */
export const MOMENTS = 'SteerlabMoments';

/**
 * For each input x0, x1, ... (float32): [sum x, sum x^2, non-finite count,
 * count of |x| > thresholds[i]] in one pass (optim.c moments), as one [n, 4]
 * output. Per-layer diagnostics read these for every activation, gradient and
 * weight of a logged step: as ops they took 8 passes and 4 temporaries per
 * activation plus about 300 small kernels per step, which made logging every
 * step cost 1.25-1.29x a step once the step itself had become faster.
 */
function moments(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): TensorInfo {
  const { thresholds } = args.attrs as unknown as { thresholds: number[] };
  const xs = thresholds.map((_, i) => (args.inputs as Record<string, TensorInfo>)[`x${i}`]);
  const backend = args.backend;
  const out = allocOutput(backend, [xs.length, 4]);
  const k = labKernels(backend);
  const base = heapPtr(backend, out);
  xs.forEach((x, i) => k.moments(heapPtr(backend, x), x.shape.reduce((p, q) => p * q, 1), thresholds[i], base + 16 * i));
  return out;
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
 * BatchMatMul through the lab's GEMM (conv.c matmul): both operands packed,
 * either one transposed, batch dimensions broadcast when one side has 1.
 * The shipped kernel runs XNNPACK only without transposes (a scalar loop
 * otherwise) and re-creates its operator per call: PilotNet's dense-layer
 * products (16x1152 by 1152x100 and their gradients, 3.7 MFLOP each) took
 * 1.5-2 ms apiece there (measured). Other dtypes and ranks below 2 go to
 * the shipped kernel.
 */
function makeBatchMatMul(original: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const ra = a.shape.length;
    const rb = b.shape.length;
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || ra < 2 || rb < 2) return original.kernelFunc(args);
    const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    const Kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
    const batchA = a.shape.slice(0, -2);
    const batchB = b.shape.slice(0, -2);
    const nA = batchA.reduce((p, q) => p * q, 1);
    const nB = batchB.reduce((p, q) => p * q, 1);
    // Same batch shape, or one side a single matrix; anything fancier goes to the shipped kernel.
    const sameBatch = batchA.length === batchB.length && batchA.every((d, i) => d === batchB[i]);
    if (K !== Kb || !(sameBatch || nA === 1 || nB === 1)) return original.kernelFunc(args);
    const batchShape = nA >= nB ? batchA : batchB;
    const backend = args.backend as tf.KernelBackend;
    const s = new KernelScope(backend);
    const out = s.alloc([...batchShape, M, N]);
    const k = labKernels(backend);
    const scratch = s.alloc([Math.max(1, k.matmul_scratch(M, N, K))]);
    const [pa, pb, pc, ps] = [a, b, out, scratch].map((t) => heapPtr(backend, t));
    const n = Math.max(nA, nB);
    for (let i = 0; i < n; i++) {
      k.matmul(pa + 4 * (nA === 1 ? 0 : i) * M * K, pb + 4 * (nB === 1 ? 0 : i) * K * N, pc + 4 * i * M * N, ps,
        M, N, K, transposeA ? 1 : 0, transposeB ? 1 : 0);
    }
    return s.finish(out);
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
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
  tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilter as tf.KernelFunc });
  // The shipped kernel is a scalar loop.
  if (tf.getKernel('Conv2DBackpropInput', 'wasm')) tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  tf.registerKernel({ kernelName: 'Conv2DBackpropInput', backendName: 'wasm', kernelFunc: conv2DBackpropInput as tf.KernelFunc });
  const conv = tf.getKernel('Conv2D', 'wasm');
  if (conv) {
    tf.unregisterKernel('Conv2D', 'wasm');
    // Keep the shipped setupFunc: it binds the XNNPACK entry point the fallback calls.
    tf.registerKernel({ kernelName: 'Conv2D', backendName: 'wasm', setupFunc: conv.setupFunc, kernelFunc: makeConv2D(conv) });
  }
  const identity = tf.getKernel('Identity', 'wasm');
  if (identity) tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({ kernelName: 'Identity', backendName: 'wasm', kernelFunc: identityShared as tf.KernelFunc });
  const bmm = tf.getKernel('BatchMatMul', 'wasm');
  if (bmm) {
    tf.unregisterKernel('BatchMatMul', 'wasm');
    tf.registerKernel({ kernelName: 'BatchMatMul', backendName: 'wasm', setupFunc: bmm.setupFunc, kernelFunc: makeBatchMatMul(bmm) });
  }
  if (!tf.getKernel(MOMENTS, 'wasm')) tf.registerKernel({ kernelName: MOMENTS, backendName: 'wasm', kernelFunc: moments as unknown as tf.KernelFunc });
  if (!tf.getKernel(FUSED_ADAM, 'wasm')) tf.registerKernel({ kernelName: FUSED_ADAM, backendName: 'wasm', kernelFunc: fusedAdam as unknown as tf.KernelFunc });
  for (const name of Object.keys(ROWS_OP) as (keyof typeof ROWS_OP)[]) {
    const k = tf.getKernel(name, 'wasm');
    if (!k) continue;
    tf.unregisterKernel(name, 'wasm');
    // Keep the shipped setupFunc: the fallback path needs it.
    tf.registerKernel({ kernelName: name, backendName: 'wasm', setupFunc: k.setupFunc, kernelFunc: makeRowsOp(k, name) });
  }
  const sum = tf.getKernel('Sum', 'wasm');
  if (sum) {
    tf.unregisterKernel('Sum', 'wasm');
    // Keep the shipped setupFunc: the backend runs it at start-up and the fallback path needs it.
    tf.registerKernel({ kernelName: 'Sum', backendName: 'wasm', setupFunc: sum.setupFunc, kernelFunc: makeSum(sum) });
  }
}
