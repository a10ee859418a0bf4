/**
 * Body of one gradient worker thread (see parallel.ts): its own tfjs engine
 * (a single-threaded wasm instance), its own copy of the model; each request
 * sets the weights, computes loss and gradients on its shard, and sends them
 * back as plain arrays (buffers transferred, not copied).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ModelConfig } from '../model/config.ts';
import type { EngineChoice } from './names.ts';
import type { ForwardArrays, ModelInput } from './provider.ts';

export interface WorkerInit {
  model: Partial<ModelConfig>;
  l2: number;
  engine: EngineChoice;
  seed: number;
}
export type WorkerRequest =
  /** trace: also send back the forward pass (a trainer's logging step). */
  /** gradOut: where the gradients go, one view per variable (shared memory the pool reuses). */
  | { type: 'compute'; id: number; weights: Float32Array[]; x: ModelInput; y: Float32Array; n: number; seed: number; trace?: boolean; gradOut: Float32Array[] }
  /** Inference-mode forward pass of a whole batch (validation): the main head's n outputs. */
  | { type: 'predict'; id: number; weights: Float32Array[]; x: ModelInput; n: number }
  /** Rebuild the model for another config (a worker's start-up costs seconds; a rebuild, milliseconds). */
  | { type: 'configure'; id: number; model: Partial<ModelConfig>; l2: number };
export type WorkerReply =
  | { type: 'ready'; engine: string; paramCount: number }
  /** The gradients are in the request's gradOut. */
  | { type: 'result'; id: number; loss: number; forward?: ForwardArrays; ms: number; cpuMs: number | null }
  | { type: 'configured'; id: number; paramCount: number }
  | { type: 'predicted'; id: number; out: Float32Array; ms: number; cpuMs: number | null }
  | { type: 'error'; id: number; message: string };

const port = parentPort;
if (!port) throw new Error('grad-worker must run in a worker thread');
const init = workerData as WorkerInit;

const { initEngine, tf } = await import('./index.ts');
const { createRegressor } = await import('../model/index.ts');
const { lossAndGrads, disposeStep, forwardArrays } = await import('../train/step.ts');

const { threadCpuMs } = await import('./thread-cpu.ts');
const { isRawBatch, rawBatchInto } = await import('../data/raw-batch.ts');
const { rawBatchTensor } = await import('./raw-input.ts');
const { readInto, SharedSlab } = await import('./heap-ops.ts');

const engine = await initEngine(init.engine);
let model = createRegressor(init.model, init.seed);
let l2 = init.l2;

port.on('message', (req: WorkerRequest) => {
  if (req.type === 'configure') {
    try {
      // Weights arrive with every compute request, so the new model's initial values do not matter.
      const next = createRegressor(req.model, init.seed);
      model.dispose();
      model = next;
      l2 = req.l2;
      const reply: WorkerReply = { type: 'configured', id: req.id, paramCount: model.paramCount() };
      port.postMessage(reply);
    } catch (err) {
      const reply: WorkerReply = { type: 'error', id: req.id, message: (err as Error).message };
      port.postMessage(reply);
    }
    return;
  }
  if (req.type === 'predict') {
    predict(req);
    return;
  }
  if (req.type !== 'compute') return;
  const t0 = performance.now();
  const c0 = threadCpuMs();
  try {
    model.setWeights(req.weights);
    const x = inputTensor(req.x, req.n);
    const y = tf.tensor2d(req.y, [req.n, 1]);
    const r = lossAndGrads(model, x, y, { l2, seed: req.seed, actSums: false, trace: req.trace });
    const loss = r.loss.dataSync()[0];
    if (req.gradOut.length !== r.grads.length) throw new Error(`${req.gradOut.length} gradient buffers for ${r.grads.length} variables`);
    r.grads.forEach((g, i) => readInto(g, req.gradOut[i]));
    const forward = r.forward ? forwardArrays(r.forward, readIntoTraceMemory) : undefined;
    disposeStep(r);
    tf.dispose([x, y]);
    const c1 = threadCpuMs();
    const cpuMs = c0 !== null && c1 !== null ? c1 - c0 : null;
    const reply: WorkerReply = { type: 'result', id: req.id, loss, forward, ms: performance.now() - t0, cpuMs };
    // Gradients and traces are in shared memory: nothing to transfer.
    port.postMessage(reply);
  } catch (err) {
    const reply: WorkerReply = { type: 'error', id: req.id, message: (err as Error).message };
    port.postMessage(reply);
  }
});
/**
 * Where a logging step's traces go: one SharedArrayBuffer, reused. A fresh
 * 13.5 MB of arrays per logging step (PilotNet, a shard of 16) cost 36 ms
 * in page faults on this project's VM (12 us per 4 kB page, measured),
 * while the other worker and the main thread waited. The main thread makes
 * tensors of the traces as soon as the step's results arrive, before it
 * sends this worker anything else, so the next logging step may overwrite
 * them.
 */
const traceMemory = new SharedSlab();

function readIntoTraceMemory(ts: import('@tensorflow/tfjs-core').Tensor[]): Float32Array[] {
  const views = traceMemory.views(ts.map((t) => t.size));
  return ts.map((t, i) => readInto(t, views[i]));
}

/** Floats of the last raw batch's pixel pass, reused (the tensor copies them into the engine's memory). */
let rawFloats = new Float32Array(0);

/**
 * The model input of n samples (NHWC, or n x features for mlp), as the trainer's batchTensor makes it; a raw
 * batch gets its pixel pass here (this worker's share of the batch work).
 */
function inputTensor(x: ModelInput, n: number) {
  const [h, w, c] = [model.config.input.height, model.config.input.width, model.config.input.channels];
  let values: Float32Array;
  if (isRawBatch(x)) {
    if (x.n !== n || x.h !== h || x.w !== w || x.c !== c) throw new Error(`raw batch of ${x.n} x ${x.h}x${x.w}x${x.c} for a ${n} x ${h}x${w}x${c} input`);
    // On the wasm engine the pixel pass writes the input tensor in place (same floats).
    const t = model.config.arch === 'mlp' ? null : rawBatchTensor(x);
    if (t) return t;
    if (rawFloats.length < n * h * w * c) rawFloats = new Float32Array(n * h * w * c);
    values = rawBatchInto(x, rawFloats).subarray(0, n * h * w * c);
  } else values = x;
  return model.config.arch === 'mlp' ? tf.tensor2d(values, [n, h * w * c]) : tf.tensor4d(values, [n, h, w, c]);
}

/** The forward pass of evaluateSource (training: false) on a whole batch: same kernels, same shapes, same numbers. */
function predict(req: Extract<WorkerRequest, { type: 'predict' }>): void {
  const t0 = performance.now();
  const c0 = threadCpuMs();
  try {
    model.setWeights(req.weights);
    const t = tf.tidy(() => model.apply(inputTensor(req.x, req.n), { training: false }).output);
    const out = (t.dataSync() as Float32Array).slice(0, req.n);
    t.dispose();
    const c1 = threadCpuMs();
    const cpuMs = c0 !== null && c1 !== null ? c1 - c0 : null;
    const reply: WorkerReply = { type: 'predicted', id: req.id, out, ms: performance.now() - t0, cpuMs };
    port!.postMessage(reply, [out.buffer as ArrayBuffer]);
  } catch (err) {
    const reply: WorkerReply = { type: 'error', id: req.id, message: (err as Error).message };
    port!.postMessage(reply);
  }
}

const ready: WorkerReply = { type: 'ready', engine: engine.name, paramCount: model.paramCount() };
port.postMessage(ready);
