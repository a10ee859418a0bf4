/**
 * Helpers for kernels that run on the tfjs wasm backend: calling other wasm
 * kernels from inside a kernel, and memory-bound copies done by plain loops
 * over the wasm heap.
 *
 * Why heap copies: element-wise JS loops over the heap measured 5-9 ns per
 * element, slower than wasm Transpose (1.5-3 ns), so permutations stay in
 * wasm; but crops (wasm Slice: 10-37 ms on PilotNet's activations) are long
 * contiguous runs that TypedArray.set copies at memory speed.
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
    const out = this.backend.makeOutput(shape, 'float32', undefined, values);
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

/**
 * out = x[begin : begin + size] for a 4-D x whose last dimension is kept whole:
 * each (i0, i1) row of the box is one contiguous run of size[2] * C floats,
 * moved with TypedArray.set (a memcpy). The wasm Slice kernel took 10-37 ms
 * for PilotNet's activations where this takes well under 1 ms (measured).
 */
export function heapCrop4(s: KernelScope, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  const [, D1, D2, C] = x.shape;
  if (x.shape.length !== 4 || begin[3] !== 0 || size[3] !== C) throw new Error(`heapCrop4: needs a 4-D box over the whole last dimension (got ${x.shape} from ${begin} size ${size})`);
  const out = s.alloc(size);
  const src = s.view(x);
  const dst = s.view(out);
  const run = size[2] * C;
  let d = 0;
  for (let a = 0; a < size[0]; a++) {
    for (let b = 0; b < size[1]; b++) {
      const o = (((begin[0] + a) * D1 + begin[1] + b) * D2 + begin[2]) * C;
      if (run >= 64) dst.set(src.subarray(o, o + run), d);
      else for (let r = 0; r < run; r++) dst[d + r] = src[o + r];
      d += run;
    }
  }
  return out;
}
