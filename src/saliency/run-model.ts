/**
 * A trained run's model, rebuilt for inspection: the tfjs Layers model the
 * run exported (runs/<id>/model: model.json, weights.bin), its target
 * transform (model output -> degrees), on the engine the run trained with.
 * The export is what the run shipped (model/export.ts), so saliency and the
 * prediction video look at exactly the model a user would deploy.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ENGINE_NAMES, initEngine, type EngineInfo, type EngineName } from '../engine/index.ts';
import { UserError } from '../errors.ts';
import { readRun, type RunRecord, type TargetTransformFile } from '../experiments/store.ts';
import { saliencyNet, type SaliencyNet } from './net.ts';

/** A run's exported model, ready for saliency and predictions. */
export interface RunModel {
  run: RunRecord;
  engine: EngineInfo;
  net: SaliencyNet;
  /** Model output (target units) to steering degrees (positive = right). */
  toDeg(output: number): number;
  dispose(): void;
}

/** The engine a run trained with ('wasm x2 workers' -> 'wasm'); 'auto' when the record names none known. */
function runEngine(run: RunRecord): EngineName | 'auto' {
  const named = (run.result?.engine ?? run.config?.engine ?? 'auto').split(/\s/)[0];
  return (ENGINE_NAMES as readonly string[]).includes(named) ? (named as EngineName) : 'auto';
}

/** Reads model.json and weights.bin of a run folder; UserError naming the fix when the run has none. */
function readExport(run: RunRecord, runDir: string): tf.io.ModelArtifacts {
  const dir = join(run.dir, 'model');
  if (!existsSync(join(dir, 'model.json'))) {
    const status = run.result?.status ?? (run.state === 'running' ? 'still training' : 'unfinished');
    throw new UserError(`${runDir} has no trained model (model/model.json is missing; the run is ${status}); finish it with \`steerlab train --resume ${runDir}\` or pick a completed run`);
  }
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
  const bytes = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p)))));
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return { modelTopology: json.modelTopology, weightSpecs, weightData };
}

/** degrees = scale * output + offset, from model/target-transform.json (identity when absent: raw targets). */
function readToDeg(run: RunRecord): (output: number) => number {
  const path = join(run.dir, 'model', 'target-transform.json');
  if (!existsSync(path)) return (v) => v;
  const t = JSON.parse(readFileSync(path, 'utf8')) as TargetTransformFile;
  return (v) => t.degrees.scale * v + t.degrees.offset;
}

/**
 * Opens a run folder's exported model on the run's engine. Throws UserError
 * (one line, naming the fix) for a folder that is not a run, a run without
 * a model, or a model without convolutions.
 */
export async function openRunModel(runDir: string): Promise<RunModel> {
  const run = readRun(runDir);
  if (!run.config) throw new UserError(`${runDir} is not a run folder (no readable config.json); give a runs/<id> folder of a workspace`);
  const artifacts = readExport(run, runDir);
  // The run's engine when this machine has it (the numbers are then the run's own), else the best one here.
  const engine = await initEngine(runEngine(run)).catch(() => initEngine('auto'));
  const model = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  let net: SaliencyNet;
  try {
    net = saliencyNet(model);
  } catch (e) {
    model.dispose();
    if (e instanceof UserError) throw new UserError(`${runDir}: ${e.message}`);
    throw e;
  }
  return { run, engine, net, toDeg: readToDeg(run), dispose: () => model.dispose() };
}
