/**
 * The lab's own wasm kernels (kernels/*.c, built by scripts/build-kernels.sh):
 * one module, instantiated once per tfjs wasm backend on that backend's own
 * linear memory, so kernels read and write tensors in place.
 *
 * Two builds of the same source: 'fma' (relaxed SIMD: the GEMM's
 * multiply-adds fused where the CPU has FMA, as every x86-64 since 2013 and
 * every arm64 does) and 'plain' (wasm SIMD only). fma is 20-25% faster on
 * PilotNet's convolutions (AMD EPYC family 25, measured) and rounds once per
 * multiply-add instead of twice, so a run's numbers differ from a plain run's
 * in the last bits; the same seed on the same machine and variant gives the
 * same numbers. Node 20's V8 has relaxed SIMD behind a flag, which is turned
 * on here before the module compiles (newer V8s, as in Electron, ship it).
 * STEERLAB_WASM_KERNELS=plain chooses the plain build.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { setFlagsFromString } from 'node:v8';

import { backendMemory } from './heap-ops.ts';
import { KERNELS_FMA_WASM_BASE64, KERNELS_WASM_BASE64 } from './kernels/wasm-binary.ts';

export const KERNEL_VARIANTS = ['fma', 'plain'] as const;
export type KernelVariant = (typeof KERNEL_VARIANTS)[number];

type ConvFn = (x: number, w: number, out: number, scratch: number,
  B: number, H: number, W: number, CI: number, KH: number, KW: number, CO: number,
  sh: number, sw: number, pt: number, pl: number, OH: number, OW: number) => void;
/** Scratch floats a convolution kernel needs; W is the input width. */
type ScratchFn = (KH: number, KW: number, CI: number, CO: number, W: number) => number;

/** The module's exports (see conv.c, conv-direct.c, optim.c and pixels.c for what each computes). */
export interface LabKernels {
  conv2d_fwd: ConvFn;
  conv2d_dw: ConvFn;
  conv2d_dx: ConvFn;
  conv2d_fwd_scratch: ScratchFn;
  conv2d_dw_scratch: ScratchFn;
  conv2d_dx_scratch: ScratchFn;
  adam_step(w: number, g: number, m: number, v: number, w2: number, m2: number, v2: number, n: number,
    lr: number, b1: number, ob1: number, b2: number, ob2: number, c1: number, c2: number, eps: number): number;
  sum_rows(x: number, rows: number, cols: number, out: number, part: number): void;
  matmul(a: number, b: number, c: number, scratch: number, M: number, N: number, K: number, ta: number, tb: number): void;
  matmul_scratch(M: number, N: number, K: number): number;
  moments(x: number, n: number, thr: number, out: number): void;
  rows_op(x: number, b: number, y: number, rows: number, cols: number, op: number): void;
  pixel_pass(px: number, h: number, w: number, c: number, flip: number, shift: number, lut: number, out: number): void;
}

let compiled: { variant: KernelVariant; module: WebAssembly.Module } | null = null;
let instances = new WeakMap<WebAssembly.Memory, LabKernels>();
/** Set by useKernelVariant (tests, benches); otherwise STEERLAB_WASM_KERNELS or the best the engine takes. */
let chosen: KernelVariant | null = null;

/** Wasm section id of a data section (binary format): it would be written into memory tfjs owns. */
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

function moduleBytes(variant: KernelVariant): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(Buffer.from(variant === 'fma' ? KERNELS_FMA_WASM_BASE64 : KERNELS_WASM_BASE64, 'base64'));
}

/** Whether this process's wasm engine compiles the fma build, turning on V8's relaxed-SIMD flag if it has to. */
export function fmaSupported(): boolean {
  const bytes = moduleBytes('fma');
  if (WebAssembly.validate(bytes)) return true;
  try {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return false;
  }
  return WebAssembly.validate(bytes);
}

function wantedVariant(): KernelVariant {
  if (chosen) return chosen;
  const env = process.env.STEERLAB_WASM_KERNELS;
  if (env !== undefined && env !== '' && !(KERNEL_VARIANTS as readonly string[]).includes(env)) {
    throw new Error(`STEERLAB_WASM_KERNELS=${env}: expected one of ${KERNEL_VARIANTS.join(', ')} (or unset, for the fastest this engine runs)`);
  }
  if (env === 'plain') return 'plain';
  if (fmaSupported()) return 'fma';
  if (env === 'fma') throw new Error('STEERLAB_WASM_KERNELS=fma: this wasm engine has no relaxed SIMD; unset it to use the plain kernels');
  return 'plain';
}

/** Which build the kernels run (and will run, when none has compiled yet). */
export function kernelVariant(): KernelVariant {
  return compiled?.variant ?? wantedVariant();
}

/**
 * Switches this thread to one build (tests compare the two; benches time both). Kernels bound before the
 * switch are dropped, so the next call of labKernels binds the new build.
 */
export function useKernelVariant(variant: KernelVariant | null): void {
  chosen = variant;
  if (compiled && compiled.variant !== (variant ?? wantedVariant())) {
    compiled = null;
    instances = new WeakMap();
  }
}

function compile(): WebAssembly.Module {
  const variant = wantedVariant();
  if (compiled?.variant === variant) return compiled.module;
  const bytes = moduleBytes(variant);
  if (sectionIds(bytes).includes(DATA_SECTION)) throw new Error('internal: the lab\'s wasm kernels have a data section; rebuild with scripts/build-kernels.sh');
  compiled = { variant, module: new WebAssembly.Module(bytes) };
  instances = new WeakMap();
  return compiled.module;
}

/** The kernels bound to this wasm backend's memory. */
export function labKernels(backend: tf.KernelBackend): LabKernels {
  const memory = backendMemory(backend);
  let k = instances.get(memory);
  if (!k) {
    const module = compile();
    k = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as LabKernels;
    instances.set(memory, k);
  }
  return k;
}
