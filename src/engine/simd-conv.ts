/**
 * The lab's own convolution kernels for the tfjs wasm backend (forward,
 * filter gradient, input gradient), compiled from kernels/conv.c and conv-direct.c and run in
 * the backend's own linear memory (wasm-module.ts), so tensors are used in place.
 *
 * Why not XNNPACK: tfjs-backend-wasm 4.22's XNNPACK convolution, and the
 * gradient kernels one can build from it (dilated and sub-pixel forward
 * convolutions, 1.0-1.44x extra work), ran PilotNet's layers slower than a
 * 4x8 register-blocked wasm-SIMD GEMM over im2col panels. The measured
 * speeds are in the README ("Training speed without native TensorFlow");
 * bench/kernel-micro.ts measures them on your machine.
 *
 * Supported: NHWC float32, any stride and padding, dilation 1 (tfjs has no
 * gradient for dilated convolutions; a dilated forward pass goes to XNNPACK).
 */
import * as tf from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';

import { heapPtr, KernelScope, type TensorInfo } from './heap-ops.ts';
import { labKernels } from './wasm-module.ts';

/** Whether these kernels handle a convolution of this geometry. */
export function simdConvHandles(info: backend_util.Conv2DInfo): boolean {
  return info.dilationHeight === 1 && info.dilationWidth === 1 && info.dataFormat === 'channelsLast';
}

type Which = 'fwd' | 'dw' | 'dx';

/**
 * Runs one kernel: `a` and `b` are its two inputs (fwd: x, w; dw: x, dy; dx: dy, w),
 * the output has `outShape`. Scratch comes from the backend's allocator and is freed at the end.
 */
export function runSimdConv(backend: tf.KernelBackend, which: Which, a: TensorInfo, b: TensorInfo,
  info: backend_util.Conv2DInfo, outShape: number[]): TensorInfo {
  const k = labKernels(backend);
  const s = new KernelScope(backend);
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: CI, filterHeight: KH, filterWidth: KW, outChannels: CO,
    strideHeight: sh, strideWidth: sw, outHeight: OH, outWidth: OW } = info;
  const scratchFloats = k[`conv2d_${which}_scratch`](KH, KW, CI, CO, W);
  const scratch = s.alloc([Math.max(1, scratchFloats)]);
  const out = s.alloc(outShape);
  k[`conv2d_${which}`](heapPtr(backend, a), heapPtr(backend, b), heapPtr(backend, out), heapPtr(backend, scratch),
    B, H, W, CI, KH, KW, CO, sh, sw, info.padInfo.top, info.padInfo.left, OH, OW);
  return s.finish(out);
}
