/**
 * The model input of a raw batch (uint8 frames and their drawn augmentation,
 * src/data/raw-batch.ts) made on the wasm engine by the lab's pixel_pass
 * kernel (kernels/pixels.c), straight into the input tensor's memory: the
 * same floats as rawBatchInto, bit for bit, without the JavaScript pass
 * (1.8 ms per 16-sample PilotNet shard) and the copy into the engine.
 */
import * as tf from '@tensorflow/tfjs-core';
import { UNIT_BITS } from '../data/augment-bytes.ts';
import type { RawBatch } from '../data/raw-batch.ts';
import { allocOutput, backendMemory, heapPtr, KernelScope } from './heap-ops.ts';
import { labKernels } from './wasm-module.ts';

/** The NHWC float input of a raw batch on the wasm engine; null on other engines (use rawBatchInto there). */
export function rawBatchTensor(raw: RawBatch): tf.Tensor4D | null {
  if (tf.getBackend() !== 'wasm') return null;
  const backend = tf.backend();
  const k = labKernels(backend);
  const { n, h, w, c } = raw;
  const per = h * w * c;
  const s = new KernelScope(backend);
  // Staging for the frames (bytes, in float-sized units) and the value tables, the last one plain scaling.
  const bytes = s.alloc([Math.max(1, Math.ceil((n * per) / 4))]);
  const tables = s.alloc([(n + 1) * 256]);
  const out = allocOutput(backend, [n, h, w, c]);
  // Read the memory only after every allocation: growing it replaces the buffer.
  const mem = backendMemory(backend).buffer;
  const pBytes = heapPtr(backend, bytes);
  const pTables = heapPtr(backend, tables);
  const pOut = heapPtr(backend, out);
  new Uint8Array(mem, pBytes, n * per).set(raw.bytes.subarray(0, n * per));
  const t = new Int32Array(mem, pTables, (n + 1) * 256);
  t.set(raw.tables.subarray(0, n * 256));
  t.set(UNIT_BITS, n * 256);
  for (let j = 0; j < n; j++) {
    const lut = pTables + 4 * 256 * (raw.hasTable[j] ? j : n);
    k.pixel_pass(pBytes + j * per, h, w, c, raw.flip[j], raw.shift[j], lut, pOut + 4 * j * per);
  }
  s.finish(out);
  return tf.engine().makeTensorFromTensorInfo(out) as tf.Tensor4D;
}
