/**
 * Loads what comparisons and reports read from a workspace path: an
 * experiment folder, a single run folder, or a whole workspace.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { DiagnosticsSnapshot, Finding } from '../diagnostics/types.ts';
import { EpochEvent, StepEvent } from '../train/events.ts';
import { listRuns, readExperiment, readJsonl, readJsonOrNull, readRun, type RunRecord } from './store.ts';
import type { ExperimentRecord } from './types.ts';

export interface ValPredictions {
  sampleIndex: number[];
  timeS: number[];
  predDeg: number[];
  trueDeg: number[];
}

/** A run with its logs, as far as they were written. */
export interface LoadedRun extends RunRecord {
  epochs: EpochEvent[];
  steps: StepEvent[];
  diagnostics: DiagnosticsSnapshot[];
  /** Findings raised during training (the final ones are in result.findings). */
  liveFindings: Finding[];
  valPredictions: ValPredictions | null;
}

export interface LoadedSet {
  /** What was asked for: 'experiment', 'run' or 'workspace'. */
  kind: 'experiment' | 'run' | 'workspace';
  path: string;
  experiment: ExperimentRecord | null;
  runs: LoadedRun[];
}

function parseAll<T>(values: unknown[], schema: { safeParse(v: unknown): { success: boolean; data?: T } }): T[] {
  const out: T[] = [];
  for (const v of values) {
    const p = schema.safeParse(v);
    if (p.success) out.push(p.data as T);
  }
  return out;
}

/** Reads one run folder with its logs. */
export function loadRun(dir: string): LoadedRun {
  const rec = readRun(dir);
  const metrics = readJsonl(join(rec.dir, 'metrics.jsonl'));
  const vp = readJsonOrNull(join(rec.dir, 'val-predictions.json')) as ValPredictions | null;
  return {
    ...rec,
    epochs: parseAll(metrics, EpochEvent),
    steps: parseAll(metrics, StepEvent),
    diagnostics: parseAll(readJsonl(join(rec.dir, 'diagnostics.jsonl')), DiagnosticsSnapshot),
    liveFindings: parseAll(readJsonl(join(rec.dir, 'findings.jsonl')), Finding),
    valPredictions: vp && Array.isArray(vp.predDeg) && Array.isArray(vp.trueDeg) ? vp : null,
  };
}

/**
 * Loads an experiment folder (experiment.json; runs in the order of the
 * grid), a run folder (result.json or run.json), or a workspace (all runs).
 * Throws UserError when the path is none of these.
 */
export function loadPath(path: string): LoadedSet {
  const abs = resolve(path);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) {
    throw new UserError(`${path} is not a folder; give a run folder (runs/<id>), an experiment folder (experiments/<id>) or a workspace`);
  }
  if (existsSync(join(abs, 'experiment.json'))) {
    const experiment = readExperiment(abs);
    if (!experiment) throw new UserError(`${join(path, 'experiment.json')} is not a valid experiment record`);
    // experiments/<id> sits beside runs/ in the same workspace.
    const runsDir = join(dirname(dirname(abs)), 'runs');
    const runs = experiment.runs
      .filter((r) => r.runId !== null && existsSync(join(runsDir, r.runId)))
      .map((r) => loadRun(join(runsDir, r.runId as string)));
    return { kind: 'experiment', path: abs, experiment, runs };
  }
  if (existsSync(join(abs, 'run.json')) || existsSync(join(abs, 'result.json')) || existsSync(join(abs, 'config.json'))) {
    return { kind: 'run', path: abs, experiment: null, runs: [loadRun(abs)] };
  }
  if (existsSync(join(abs, 'runs'))) {
    return { kind: 'workspace', path: abs, experiment: null, runs: listRuns(abs).map((r) => loadRun(r.dir)) };
  }
  throw new UserError(`${path} holds no run, experiment or workspace (expected experiment.json, result.json or a runs/ folder in '${basename(abs)}')`);
}
