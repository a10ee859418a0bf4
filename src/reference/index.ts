/**
 * The PyTorch reference of an experiment: every finished run trained again
 * by plain PyTorch (src/reference/reference.py) on the same frames, split,
 * targets, epochs, batches, optimiser, schedule and augmentation, with
 * PyTorch's default initialisation; both sides scored by one metric code
 * (src/targets/metrics.ts) on the lab's own validation frames.
 *
 * Writes <experimentDir>/reference.json and, per run,
 * <experimentDir>/reference/val-predictions-<runId>.json.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeJsonAtomic } from '../experiments/store.ts';
import { metricsDeg } from '../targets/metrics.ts';
import { compareProbe, forwardChecks, forwardTolDeg, probeSpecs } from './checks.ts';
import type { ReferenceJob } from './job.ts';
import { prepareReference, reproducibleRuns, type PreparedReference, type PrepareOptions } from './prepare.ts';
import { findPython, ProbeResults, runPython, TrainResults } from './python.ts';
import { referenceRows } from './table.ts';
import { ReferenceReport, type ReferenceEvent, type ReferenceRow } from './types.ts';

export { findPython } from './python.ts';
export { referenceRows, referenceTable } from './table.ts';
export { ReferenceReport, type ReferenceEvent, type ReferenceRow } from './types.ts';

/** The script shipped beside this file. */
export const REFERENCE_SCRIPT = fileURLToPath(new URL('./reference.py', import.meta.url));

export interface RunReferenceOptions extends PrepareOptions {
  /** Interpreter with torch (default: STEERLAB_PYTHON, then python3 / /usr/bin/python3 that can import torch). */
  python?: string;
  /** The script to run (default REFERENCE_SCRIPT); tests pass a modified copy to see the checks catch it. */
  script?: string;
  /** PyTorch threads (default: every core, os.cpu_count()). */
  threads?: number;
}

export interface ReferenceOutcome {
  /** Where reference.json was written. */
  path: string;
  report: ReferenceReport;
  rows: ReferenceRow[];
}

/**
 * Copies the script into the work folder and returns the copy's path: in a
 * packaged app the original sits inside app.asar, which Python cannot open.
 */
export function installScript(workDir: string, script = REFERENCE_SCRIPT): string {
  const path = join(workDir, 'reference.py');
  writeFileSync(path, readFileSync(script));
  return path;
}

/** Writes `job` as <workDir>/<name>-job.json, runs it, returns its parsed results file; the scratch files go either way. */
export async function runJob(
  o: { python: string; script: string; workDir: string; name: string; signal?: AbortSignal; onProgress?(e: ReferenceEvent): void },
  job: ReferenceJob,
): Promise<unknown> {
  const jobPath = join(o.workDir, `${o.name}-job.json`);
  const resultPath = join(o.workDir, `${o.name}-result.json`);
  writeFileSync(jobPath, JSON.stringify({ ...job, resultPath }));
  try {
    await runPython({ python: o.python, script: o.script, jobPath, signal: o.signal, onEvent: (event) => o.onProgress?.({ type: 'python', event }) });
    return JSON.parse(readFileSync(resultPath, 'utf8'));
  } finally {
    rmSync(jobPath, { force: true });
    rmSync(resultPath, { force: true });
  }
}

type JobContext = Parameters<typeof runJob>[0];

/**
 * Pre-flight: reference.py's augmentation against the lab's, and its forward
 * pass with the lab's weights against the lab's predictions. Throws naming
 * the first difference; returns what was checked.
 */
export async function preflight(ctx: JobContext, prep: PreparedReference, threads?: number): Promise<{ augmentationSamples: number; forwardRuns: number }> {
  const probes = probeSpecs(prep.job, (i) => join(prep.workDir, `probe-${i}.f32`));
  const fwd = forwardChecks(prep.job, prep.runs.map((r) => r.model));
  try {
    const res = ProbeResults.parse(await runJob({ ...ctx, name: 'check' }, { ...prep.job, mode: 'probe', threads, probes, forwardChecks: fwd }));
    probes.forEach((p, i) => {
      const diff = compareProbe(p, prep.job.datasets[p.dataset], res.probes[i]);
      if (diff) throw new Error(`reference.py's augmentation disagrees with the lab's (src/data/augment.ts): ${diff}; fix apply_augment in src/reference/reference.py`);
    });
    for (const f of res.forward) {
      const check = fwd.find((c) => c.run === f.run)!;
      const run = prep.runs[f.run];
      const scale = prep.job.runs[f.run].transform.scale;
      check.valIndex.forEach((k, j) => {
        const lab = run.labPredDeg[k];
        const got = f.predDeg[j];
        if (got === null || Math.abs(got - lab) > forwardTolDeg(scale, lab)) {
          throw new Error(
            `with the lab's weights (${check.weightsPath}) reference.py predicts ${got}° for validation sample ${run.valIndices[k]} where the lab predicted ${lab}°; ` +
              'its network (padding, flatten order, activations, head, input normalisation or degrees transform) differs from src/model: fix src/reference/reference.py',
          );
        }
      });
    }
    return { augmentationSamples: probes.reduce((s, p) => s + p.positions.length, 0), forwardRuns: res.forward.length };
  } finally {
    for (const p of probes) rmSync(p.outPath, { force: true });
  }
}

/** Scores PyTorch's predictions with the lab's metric code on the lab's true angles; writes each run's predictions. */
export function buildReport(prep: PreparedReference, res: TrainResults, checks: ReferenceReport['checks']): ReferenceReport {
  const runs = prep.runs.map((p) => {
    const r = res.runs.find((x) => x.runId === p.runId);
    if (!r) throw new Error(`reference.py returned no result for run ${p.runId}`);
    if (r.predDeg.length !== p.valIndices.length) throw new Error(`reference.py returned ${r.predDeg.length} predictions for run ${p.runId}'s ${p.valIndices.length} validation samples`);
    const pred = Float64Array.from(r.predDeg, (v) => v ?? NaN);
    const m = metricsDeg(pred, p.trueDeg);
    writeJsonAtomic(join(prep.workDir, `val-predictions-${p.runId}.json`), {
      sampleIndex: Array.from(p.valIndices),
      predDeg: Array.from(pred, (x) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : null)),
      trueDeg: Array.from(p.trueDeg, (x) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : null)),
    });
    const finite = (v: number) => (Number.isFinite(v) ? v : null);
    return {
      runId: p.runId, name: p.name, head: p.head, targets: p.targets, seed: p.seed, valMaeDeg: finite(m.maeDeg), valRmseDeg: finite(m.rmseDeg), valN: m.n,
      pythonValMaeDeg: r.valMaeDeg, trainLossPerEpoch: r.trainLossPerEpoch, wallTimeS: r.wallTimeS, samplesPerS: r.samplesPerS,
    };
  });
  return ReferenceReport.parse({
    engine: 'pytorch', torchVersion: res.torchVersion, threads: res.threads, cpu: cpus()[0]?.model ?? 'unknown',
    experimentId: prep.experimentId, createdAt: new Date().toISOString(), runs, skipped: prep.skipped, checks,
  });
}

/**
 * Trains every finished run of an experiment again in PyTorch and writes
 * <experimentDir>/reference.json. Throws UserError when no Python has torch
 * or the experiment cannot be reproduced, CancelledError on abort (the
 * Python child is killed).
 */
export async function runReference(o: RunReferenceOptions): Promise<ReferenceOutcome> {
  reproducibleRuns(o.experimentDir); // a wrong folder fails before the seconds torch's import takes
  const python = await findPython(o.python);
  const prep = await prepareReference(o);
  try {
    const ctx: JobContext = { python, script: installScript(prep.workDir, o.script), workDir: prep.workDir, name: 'train', signal: o.signal, onProgress: o.onProgress };
    const checks = await preflight(ctx, prep, o.threads);
    o.onProgress?.({ type: 'checked', ...checks, python });
    const res = TrainResults.parse(await runJob(ctx, { ...prep.job, threads: o.threads }));
    const report = buildReport(prep, res, checks);
    const path = join(o.experimentDir, 'reference.json');
    writeJsonAtomic(path, report);
    return { path, report, rows: referenceRows(prep.runs, report) };
  } finally {
    prep.cleanup();
    rmSync(join(prep.workDir, 'reference.py'), { force: true });
  }
}
