/**
 * The lab's own wasm kernels (kernels/*.c, built by scripts/build-kernels.sh):
 * one module, instantiated once per tfjs wasm backend on that backend's own
 * linear memory, so kernels read and write tensors in place.
 */
import type * as tf from '@tensorflow/tfjs-core';

import { backendMemory } from './heap-ops.ts';
import { KERNELS_WASM_BASE64 } from './kernels/wasm-binary.ts';

type ConvFn = (x: number, w: number, out: number, scratch: number,
  B: number, H: number, W: number, CI: number, KH: number, KW: number, CO: number,
  sh: number, sw: number, pt: number, pl: number, OH: number, OW: number) => void;
type ScratchFn = (KH: number, KW: number, CI: number, CO: number) => number;

/** The module's exports (see conv.c and optim.c for what each computes). */
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
}

let compiled: WebAssembly.Module | null = null;
const instances = new WeakMap<WebAssembly.Memory, LabKernels>();

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

function compile(): WebAssembly.Module {
  if (compiled) return compiled;
  const bytes = Uint8Array.from(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
  if (sectionIds(bytes).includes(DATA_SECTION)) throw new Error('internal: the lab\'s wasm kernels have a data section; rebuild with scripts/build-kernels.sh');
  compiled = new WebAssembly.Module(bytes);
  return compiled;
}

/** The kernels bound to this wasm backend's memory. */
export function labKernels(backend: tf.KernelBackend): LabKernels {
  const memory = backendMemory(backend);
  let k = instances.get(memory);
  if (!k) {
    k = new WebAssembly.Instance(compile(), { env: { memory } }).exports as unknown as LabKernels;
    instances.set(memory, k);
  }
  return k;
}
