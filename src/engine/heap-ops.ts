/**
 * Helpers for kernels that run on the tfjs wasm backend: calling other wasm
 * kernels from inside a kernel, and memory-bound copies done by plain loops
 * over the wasm heap.
 *
 * Why heap loops: on PilotNet's shapes the shipped wasm Transpose and Slice
 * took about 5-10 ns per element and DepthToSpace about 100 ns (measured on
 * the 2-core EPYC); a JS loop over the heap copies at a few ns per element
 * and moves contiguous runs with TypedArray.set.
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

function stridesOf(shape: number[]): number[] {
  const st = new Array<number>(shape.length);
  for (let i = shape.length - 1, acc = 1; i >= 0; i--) {
    st[i] = acc;
    acc *= shape[i];
  }
  return st;
}

/**
 * out = transpose(x[begin : begin + size], perm): a box of x, permuted.
 * Trailing dimensions that stay in place are copied as contiguous runs.
 */
export function heapTranspose(s: KernelScope, x: TensorInfo, perm: number[], begin?: number[], size?: number[]): TensorInfo {
  const box = size ?? x.shape;
  const start = begin ?? x.shape.map(() => 0);
  const outShape = perm.map((p) => box[p]);
  const out = s.alloc(outShape);
  const src = s.view(x);
  const dst = s.view(out);
  const inStrides = stridesOf(x.shape);
  let base0 = 0;
  for (let i = 0; i < start.length; i++) base0 += start[i] * inStrides[i];
  // Trailing in-place dims form one run when the box spans them fully (except the first of them).
  let k = perm.length;
  while (k > 0 && perm[k - 1] === k - 1 && (k === perm.length || box[k] === x.shape[k])) k--;
  let run = 1;
  for (let i = k; i < perm.length; i++) run *= box[i];
  const dims = outShape.slice(0, k);
  const strides = perm.slice(0, k).map((p) => inStrides[p]);
  let d = 0;
  const last = dims.length - 1;
  const rec = (level: number, base: number): void => {
    const n = dims[level];
    const st = strides[level];
    if (level === last) {
      if (run === 1) {
        for (let i = 0, o = base; i < n; i++, o += st) dst[d++] = src[o];
      } else if (run >= 16) {
        for (let i = 0, o = base; i < n; i++, o += st) {
          dst.set(src.subarray(o, o + run), d);
          d += run;
        }
      } else {
        for (let i = 0, o = base; i < n; i++, o += st) for (let r = 0; r < run; r++) dst[d++] = src[o + r];
      }
      return;
    }
    for (let i = 0, o = base; i < n; i++, o += st) rec(level + 1, o);
  };
  if (k === 0) dst.set(src.subarray(base0, base0 + run));
  else rec(0, base0);
  return out;
}

/**
 * Sub-pixel interleave: y [B, YH, YW, sh*sw*C] holds output phase (ph, pw) in
 * channels (ph*sw + pw)*C ..; out[b, i, j, c] = y[b, i/sh + offH, j/sw + offW, ((i%sh)*sw + j%sw)*C + c]
 * for i < H, j < W. Replaces DepthToSpace + Slice with one pass.
 */
export function heapInterleave(s: KernelScope, y: TensorInfo, sh: number, sw: number, H: number, W: number, C: number,
  offH: number, offW: number): TensorInfo {
  const [B, YH, YW, NC] = y.shape;
  const out = s.alloc([B, H, W, C]);
  const src = s.view(y);
  const dst = s.view(out);
  let d = 0;
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < H; i++) {
      const rowBase = ((b * YH + Math.floor(i / sh) + offH) * YW + offW) * NC + (i % sh) * sw * C;
      for (let j = 0; j < W; j++) {
        const o = rowBase + Math.floor(j / sw) * NC + (j % sw) * C;
        for (let c = 0; c < C; c++) dst[d++] = src[o + c];
      }
    }
  }
  return out;
}
