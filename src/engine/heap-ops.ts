/**
 * Helpers for the lab's kernels on the tfjs wasm backend: the backend's
 * memory and tensor addresses (what the kernels in kernels/*.c take as
 * pointers), outputs, and temporaries freed when a kernel finishes.
 */
import * as tf from '@tensorflow/tfjs-core';

export type TensorInfo = tf.TensorInfo;

/** The parts of the wasm backend these helpers use (public members of BackendWasm). */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: string, memoryOffset?: number, values?: Float32Array): TensorInfo;
  getMemoryOffset(dataId: object): number;
  wasm: { asm: { memory: WebAssembly.Memory } };
}

/** The backend's linear memory (the lab's kernel module is instantiated on it). */
export function backendMemory(backend: tf.KernelBackend): WebAssembly.Memory {
  return (backend as unknown as WasmBackendLike).wasm.asm.memory;
}

/** Byte offset of a tensor's data in the backend's memory (what the kernels take as a pointer). */
export function heapPtr(backend: tf.KernelBackend, t: TensorInfo): number {
  return (backend as unknown as WasmBackendLike).getMemoryOffset(t.dataId);
}

/** A new float32 tensor on the backend, owned by the caller (e.g. a kernel's output); uninitialised unless values are given. */
export function allocOutput(backend: tf.KernelBackend, shape: number[], values?: Float32Array): TensorInfo {
  return (backend as unknown as WasmBackendLike).makeOutput(shape, 'float32', undefined, values);
}

/** Temporaries of one kernel call, freed at the end. */
export class KernelScope {
  readonly temps: TensorInfo[] = [];
  constructor(readonly backend: tf.KernelBackend) {}

  /** A new float32 tensor (uninitialised unless values are given). */
  alloc(shape: number[], values?: Float32Array): TensorInfo {
    const out = allocOutput(this.backend, shape, values);
    this.temps.push(out);
    return out;
  }

  /** Frees every temporary except `keep` (reshape views share data by refcount). */
  finish(keep: TensorInfo): TensorInfo {
    for (const t of this.temps) if (t !== keep) this.backend.disposeData(t.dataId);
    return keep;
  }
}

/**
 * Copies a float32 tensor's values into out (out.length === t.size) without allocating: straight from the
 * wasm engine's memory, or through a read-back on other engines. Per-step read-backs allocated fresh arrays,
 * and on this project's VM fresh memory costs 12 us per 4 kB page to touch and feeds the garbage collector.
 */
export function readInto(t: tf.Tensor, out: Float32Array): Float32Array {
  if (out.length !== t.size) throw new RangeError(`readInto: ${out.length} floats for a tensor of ${t.size}`);
  if (t.dtype !== 'float32') throw new TypeError(`readInto: ${t.dtype} tensor`);
  const backend = tf.backend();
  if (tf.getBackend() === 'wasm') out.set(new Float32Array(backendMemory(backend).buffer, heapPtr(backend, t), t.size));
  else out.set(t.dataSync() as Float32Array);
  return out;
}

/** Views of consecutive segments of one SharedArrayBuffer (grown when too small), one per size. */
export class SharedSlab {
  #buf = new SharedArrayBuffer(0);
  views(sizes: number[]): Float32Array[] {
    const total = sizes.reduce((a, b) => a + b, 0);
    if (this.#buf.byteLength < total * 4) this.#buf = new SharedArrayBuffer(Math.ceil(total * 1.25) * 4);
    let off = 0;
    return sizes.map((n) => {
      const v = new Float32Array(this.#buf, off * 4, n);
      off += n;
      return v;
    });
  }

  /** Whether every array is a view of this slab's memory. */
  owns(arrays: Float32Array[]): boolean {
    return arrays.length > 0 && arrays.every((a) => a.buffer === this.#buf);
  }
}
