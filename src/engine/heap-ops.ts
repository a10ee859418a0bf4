/**
 * Helpers for kernels that run on the tfjs wasm backend: calling other wasm
 * kernels from inside a kernel, and temporaries on the backend's heap that
 * are freed when the kernel finishes.
 */
import * as tf from '@tensorflow/tfjs-core';

export type TensorInfo = tf.TensorInfo;

/** The parts of the wasm backend these helpers use (public methods of BackendWasm). */
interface WasmBackendLike {
  disposeData(dataId: object, force?: boolean): boolean;
  makeOutput(shape: number[], dtype: string, memoryOffset?: number, values?: Float32Array): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
  readSync(dataId: object): unknown;
}

/** A new float32 tensor on the backend, owned by the caller (e.g. a kernel's output); uninitialised unless values are given. */
export function allocOutput(backend: tf.KernelBackend, shape: number[], values?: Float32Array): TensorInfo {
  return (backend as unknown as WasmBackendLike).makeOutput(shape, 'float32', undefined, values);
}

/** Runs wasm kernels inside a kernel and frees the temporaries at the end. */
export class KernelScope {
  readonly temps: TensorInfo[] = [];
  readonly backend: WasmBackendLike;
  constructor(backend: tf.KernelBackend) {
    this.backend = backend as unknown as WasmBackendLike;
  }

  run(name: string, inputs: Record<string, TensorInfo> | TensorInfo[], attrs: object = {}): TensorInfo {
    const kernel = tf.getKernel(name, 'wasm');
    if (!kernel) throw new Error(`wasm kernel ${name} is not registered`);
    const out = kernel.kernelFunc({
      inputs: inputs as unknown as tf.NamedTensorInfoMap,
      attrs: attrs as tf.NamedAttrMap,
      backend: this.backend as unknown as tf.KernelBackend,
    }) as TensorInfo;
    this.temps.push(out);
    return out;
  }

  /** A new float32 tensor (uninitialised unless values are given). */
  alloc(shape: number[], values?: Float32Array): TensorInfo {
    const out = allocOutput(this.backend as unknown as tf.KernelBackend, shape, values);
    this.temps.push(out);
    return out;
  }

  /** Live view of a tensor's data on the wasm heap; take it after the last allocation (the heap may grow). */
  view(t: TensorInfo): Float32Array {
    return this.backend.typedArrayFromHeap(t);
  }

  read(t: TensorInfo): Float32Array {
    return this.backend.readSync(t.dataId) as Float32Array;
  }

  /** Frees every temporary except `keep` (reshape views share data by refcount). */
  finish(keep: TensorInfo): TensorInfo {
    for (const t of this.temps) if (t !== keep) this.backend.disposeData(t.dataId);
    return keep;
  }
}
