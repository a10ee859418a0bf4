/**
 * Convolution gradients as one matrix product (im2col / col2im on the wasm
 * heap + the wasm BatchMatMul kernel, which runs XNNPACK's GEMM when neither
 * operand is transposed; with transposeA/transposeB set it falls back to a
 * loop that measured 4-20x slower).
 *
 * Only faster than the forward-convolution reformulations in wasm-kernels.ts
 * for small unrolled matrices: the JS copy/add loops cost ~3-5 ns per
 * element of the [N, K] column matrix (N = B*OH*OW, K = KH*KW*CI), so the
 * caller picks by shape (see useGemmFor*). Both are exact reformulations of
 * the same sums (float32 rounding order differs only).
 */
import type { backend_util } from '@tensorflow/tfjs-core';

import { KernelScope, type TensorInfo } from './heap-ops.ts';

/**
 * Which path the gradient kernels take: 'auto' decides by shape (measured
 * thresholds below); 'never' / 'always' exist so tests exercise both paths on
 * the same shapes and benchmarks can compare them in one process.
 */
export const gemmPolicy: { mode: 'auto' | 'never' | 'always' } = { mode: 'auto' };

/** The gradient's window reads only x inside [0, H) x [0, W): no padding on any side (im2col/col2im here do not pad). */
export function noPadding(info: backend_util.Conv2DInfo): boolean {
  const p = info.padInfo;
  return p.top === 0 && p.left === 0 && p.bottom === 0 && p.right === 0 && info.dilationHeight === 1 && info.dilationWidth === 1;
}

function colsSize(info: backend_util.Conv2DInfo): number {
  return info.batchSize * info.outHeight * info.outWidth * info.filterHeight * info.filterWidth * info.inChannels;
}

/**
 * Filter gradient through GEMM: stride-1 layers with at most 4M column entries.
 * Measured at PilotNet's shapes, batch 16 (median ms of 25 interleaved runs,
 * GEMM vs dilated conv): conv4 3x3 s1 3.5 vs 4.0, conv5 3x3 s1 2.0 vs 2.4; but
 * conv3 5x5 s2 15.4 vs 13.4 and conv2 52.4 vs 44.6 (the strided layers lose: building and transposing
 * the column matrix costs more than XNNPACK's conv wastes).
 */
export function useGemmForFilter(info: backend_util.Conv2DInfo): boolean {
  if (gemmPolicy.mode !== 'auto' || !noPadding(info)) return gemmPolicy.mode === 'always' && noPadding(info);
  return info.strideHeight === 1 && info.strideWidth === 1 && colsSize(info) <= 4_000_000;
}

/**
 * Input gradient through GEMM + col2im: at most 5M column entries in runs of
 * at least 48 floats (col2im is a JS add loop). Median ms of interleaved runs,
 * GEMM vs sub-pixel conv, batch 16: conv3 (2.1M entries) 20.1 vs 23.2, conv4
 * 6.4 vs 6.9, conv5 2.9 vs 5.1; batch 32: conv3 (4.2M) 29.1 vs 36.4, conv5 4.9
 * vs 8.6. Lost: conv1 (15-float runs) 38.9 vs 29.9 at batch 16, conv2 (6.3M)
 * 67.5 vs 56.2 at batch 16 and 131 vs 107 at batch 32.
 */
export function useGemmForInput(info: backend_util.Conv2DInfo): boolean {
  if (gemmPolicy.mode !== 'auto' || !noPadding(info)) return gemmPolicy.mode === 'always' && noPadding(info);
  return colsSize(info) <= 5_000_000 && info.filterWidth * info.inChannels >= 48;
}

/** cols[b,oh,ow, kh,kw,ci] = x[b, oh*sh+kh, ow*sw+kw, ci]: one contiguous run of KW*CI floats per (b,oh,ow,kh). */
function im2col(s: KernelScope, x: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const [B, H, W, CI] = x.shape;
  const { filterHeight: KH, filterWidth: KW, outHeight: OH, outWidth: OW, strideHeight: sh, strideWidth: sw } = info;
  const out = s.alloc([B * OH * OW, KH * KW * CI]);
  const src = s.view(x);
  const dst = s.view(out);
  const run = KW * CI;
  let d = 0;
  for (let b = 0; b < B; b++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    for (let kh = 0; kh < KH; kh++) {
      const o = ((b * H + oh * sh + kh) * W + ow * sw) * CI;
      if (run >= 48) dst.set(src.subarray(o, o + run), d);
      else for (let r = 0; r < run; r++) dst[d + r] = src[o + r];
      d += run;
    }
  }
  return out;
}

/** dx[b, oh*sh+kh, ow*sw+kw, ci] += cols[b,oh,ow, kh,kw,ci] (dx zeroed first). */
function col2im(dst: Float32Array, src: Float32Array, xShape: number[], info: backend_util.Conv2DInfo): void {
  const [B, H, W, CI] = xShape;
  const { filterHeight: KH, filterWidth: KW, outHeight: OH, outWidth: OW, strideHeight: sh, strideWidth: sw } = info;
  const run = KW * CI;
  dst.fill(0);
  let o = 0;
  for (let b = 0; b < B; b++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    for (let kh = 0; kh < KH; kh++) {
      const d = ((b * H + oh * sh + kh) * W + ow * sw) * CI;
      for (let r = 0; r < run; r++) dst[d + r] += src[o + r];
      o += run;
    }
  }
}

/** dW[K, CO] = cols^T[K, N] x dy[N, CO]; cols^T by wasm Transpose so the GEMM needs no transposed operand. */
export function filterGradGemm(s: KernelScope, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const cols = im2col(s, x, info);
  const [N, K] = cols.shape;
  const colsT = s.run('Transpose', { x: cols }, { perm: [1, 0] });
  const a = s.run('Reshape', { x: colsT }, { shape: [1, K, N] });
  const b = s.run('Reshape', { x: dy }, { shape: [1, N, info.outChannels] });
  const g = s.run('BatchMatMul', { a, b }, { transposeA: false, transposeB: false });
  return s.run('Reshape', { x: g }, { shape: [info.filterHeight, info.filterWidth, info.inChannels, info.outChannels] });
}

/** dcols[N, K] = dy[N, CO] x W^T[CO, K] (W^T by wasm Transpose, small), then col2im into dx. */
export function inputGradGemm(s: KernelScope, dy: TensorInfo, filter: TensorInfo, xShape: number[], info: backend_util.Conv2DInfo): TensorInfo {
  const CO = info.outChannels;
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const N = info.batchSize * info.outHeight * info.outWidth;
  const w2 = s.run('Reshape', { x: filter }, { shape: [K, CO] });
  const wt = s.run('Transpose', { x: w2 }, { perm: [1, 0] });
  const b = s.run('Reshape', { x: wt }, { shape: [1, CO, K] });
  const a = s.run('Reshape', { x: dy }, { shape: [1, N, CO] });
  const dcols = s.run('BatchMatMul', { a, b }, { transposeA: false, transposeB: false });
  const out = s.alloc(xShape);
  col2im(s.view(out), s.view(dcols), xShape, info);
  return out;
}
