/**
 * The lab's own convolution kernels for the tfjs wasm backend (forward,
 * filter gradient, input gradient), compiled from kernels/conv.c and run in
 * the backend's own linear memory, so tensors are used in place.
 *
 * Why not XNNPACK: tfjs-backend-wasm 4.22's XNNPACK convolution ran
 * PilotNet's layers at 9-12 GFLOP/s here, and the gradient kernels built from
 * it (dilated and sub-pixel forward convolutions, 1.0-1.44x extra work) at
 * 6-13; a 4x8 register-blocked wasm-SIMD GEMM over im2col panels runs the
 * same shapes at 20-30 (bench/kernel-micro.ts, 2-core AMD EPYC, Node 20).
 *
 * Supported: NHWC float32, any stride and padding, dilation 1 (tfjs has no
 * gradient for dilated convolutions; a dilated forward pass goes to XNNPACK).
 */
import * as tf from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';

import { KernelScope, type TensorInfo } from './heap-ops.ts';
import { CONV_WASM_BASE64 } from './kernels/conv-wasm.ts';

type ConvFn = (x: number, w: number, out: number, scratch: number,
  B: number, H: number, W: number, CI: number, KH: number, KW: number, CO: number,
  sh: number, sw: number, pt: number, pl: number, OH: number, OW: number) => void;
type ScratchFn = (KH: number, KW: number, CI: number, CO: number) => number;

interface ConvExports {
  conv2d_fwd: ConvFn;
  conv2d_dw: ConvFn;
  conv2d_dx: ConvFn;
  conv2d_fwd_scratch: ScratchFn;
  conv2d_dw_scratch: ScratchFn;
  conv2d_dx_scratch: ScratchFn;
}

/** Lets tests and benchmarks compare against the XNNPACK-based paths in one process. */
export const simdConvPolicy: { enabled: boolean } = { enabled: true };

let compiled: WebAssembly.Module | null = null;
const instances = new WeakMap<WebAssembly.Memory, ConvExports>();

/** Wasm section ids (binary format): a data section would be written into memory tfjs owns. */
const DATA_SECTION = 11;

function sectionIds(bytes: Uint8Array): number[] {
  const ids: number[] = [];
  let i = 8; // magic + version
  while (i < bytes.length) {
    ids.push(bytes[i++]);
    let size = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[i++];
      size |= (b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80)) break;
    }
    i += size;
  }
  return ids;
}

function moduleBytes(): WebAssembly.Module {
  if (compiled) return compiled;
  const bytes = Uint8Array.from(Buffer.from(CONV_WASM_BASE64, 'base64'));
  if (sectionIds(bytes).includes(DATA_SECTION)) throw new Error('internal: kernels/conv.wasm has a data section; rebuild with scripts/build-kernels.sh');
  compiled = new WebAssembly.Module(bytes);
  return compiled;
}

interface WasmBackendInternals {
  wasm: { asm: { memory: WebAssembly.Memory } };
  getMemoryOffset(dataId: object): number;
}

function kernelsFor(backend: tf.KernelBackend): ConvExports {
  const memory = (backend as unknown as WasmBackendInternals).wasm.asm.memory;
  let k = instances.get(memory);
  if (!k) {
    k = new WebAssembly.Instance(moduleBytes(), { env: { memory } }).exports as unknown as ConvExports;
    instances.set(memory, k);
  }
  return k;
}

function ptr(backend: tf.KernelBackend, t: TensorInfo): number {
  return (backend as unknown as WasmBackendInternals).getMemoryOffset(t.dataId);
}

/** Whether these kernels handle a convolution of this geometry. */
export function simdConvHandles(info: backend_util.Conv2DInfo): boolean {
  return simdConvPolicy.enabled && info.dilationHeight === 1 && info.dilationWidth === 1 && info.dataFormat === 'channelsLast';
}

type Which = 'fwd' | 'dw' | 'dx';

/**
 * Runs one kernel: `a` and `b` are its two inputs (fwd: x, w; dw: x, dy; dx: dy, w),
 * the output has `outShape`. Scratch comes from the backend's allocator and is freed at the end.
 */
export function runSimdConv(backend: tf.KernelBackend, which: Which, a: TensorInfo, b: TensorInfo,
  info: backend_util.Conv2DInfo, outShape: number[]): TensorInfo {
  const k = kernelsFor(backend);
  const s = new KernelScope(backend);
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: CI, filterHeight: KH, filterWidth: KW, outChannels: CO,
    strideHeight: sh, strideWidth: sw, outHeight: OH, outWidth: OW } = info;
  const scratchFloats = k[`conv2d_${which}_scratch`](KH, KW, CI, CO);
  const scratch = s.alloc([Math.max(1, scratchFloats)]);
  const out = s.alloc(outShape);
  k[`conv2d_${which}`](ptr(backend, a), ptr(backend, b), ptr(backend, out), ptr(backend, scratch),
    B, H, W, CI, KH, KW, CO, sh, sw, info.padInfo.top, info.padInfo.left, OH, OW);
  return s.finish(out);
}
