/**
 * Stored runs and comparisons, read from the workspace through
 * experiments/store.ts, load.ts and compare.ts.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { Args, Comparison, Result, RunDetail, RunListEntry } from '../../contract/index.ts';
import { RunDrive } from '../../contract/index.ts';
import { datasetSpecsOfRecord } from '../../experiments/dataset-record.ts';
import type { LoadedRun } from '../../experiments/load.ts';
import { UserError } from '../../errors.ts';
import { listRuns, readExperiment, workspacePaths, writeFileAtomic } from '../../experiments/store.ts';
import { loadPath, loadRun } from '../../experiments/load.ts';
import { buildComparison, toCsv, toJson, toMarkdown } from '../../experiments/compare.ts';
import { experimentReportPaths } from '../../experiments/publish.ts';

export interface Runs {
  list(): Promise<RunListEntry[]>;
  get(runId: string): Promise<RunDetail>;
  compare(args: Args<'experiment.compare'>): Promise<Comparison>;
  exportReport(experimentId: string, format: 'html' | 'markdown' | 'csv' | 'json'): Promise<Result<'report.export'>>;
}

/** A run as the run list shows it. */
function runListEntry(r: ReturnType<typeof listRuns>[number]) {
  return {
    runId: r.id,
    experimentId: r.meta?.experimentId ?? null,
    name: r.meta?.name ?? r.config?.name ?? r.id,
    status: r.result?.status ?? (r.state === 'running' ? 'running' : 'failed'),
    head: r.config?.model.head ?? '?',
    targets: r.config?.targets.kind ?? '?',
    activation: r.config?.model.activation ?? '?',
    createdAt: r.meta?.startedAt ?? null,
    valMaeDeg: r.result?.val?.model.maeDeg ?? null,
    valRmseDeg: r.result?.val?.model.rmseDeg ?? null,
    engine: r.result?.engine ?? null,
  };
}

/** Everything Run detail shows of a loaded run. */
function runDetail(run: LoadedRun, config: NonNullable<LoadedRun['config']>, drive: RunDrive | null) {
  const modelDir = join(run.dir, 'model');
  return {
    runId: run.id,
    experimentId: run.meta?.experimentId ?? null,
    dir: run.dir,
    config,
    result: run.result,
    steps: run.steps.map((s) => ({ step: s.step, epoch: s.epoch, loss: s.loss })),
    epochs: run.epochs,
    diagnostics: run.diagnostics,
    findings: run.liveFindings,
    valPredDeg: run.valPredictions?.predDeg ?? null,
    valTrueDeg: run.valPredictions?.trueDeg ?? null,
    valTimeS: run.valPredictions?.timeS ?? null,
    valSampleIndex: Array.isArray(run.valPredictions?.sampleIndex) ? run.valPredictions.sampleIndex : null,
    drive,
    modelDir: existsSync(modelDir) && statSync(modelDir).isDirectory() ? modelDir : null,
  };
}

export function createRuns(o: { workspace: string }): Runs {
  const paths = workspacePaths(o.workspace);
  const runDir = (id: string): string => {
    const dir = join(paths.runs, id);
    if (!existsSync(dir)) throw new UserError(`run ${id} is not in the workspace ${paths.root}`);
    return dir;
  };
  const expDir = (id: string): string => {
    const dir = join(paths.experiments, id);
    if (!existsSync(join(dir, 'experiment.json'))) throw new UserError(`experiment ${id} is not in the workspace ${paths.root}`);
    return dir;
  };

  /** The run's drive from its experiment record, at the run's input size; null when the record is missing or unreadable. */
  function driveOf(run: LoadedRun): RunDrive | null {
    const expId = run.meta?.experimentId;
    const record = expId ? readExperiment(join(paths.experiments, expId)) : null;
    if (!record || !run.config) return null;
    const input = { width: run.config.model.input.width, height: run.config.model.input.height };
    const specs = datasetSpecsOfRecord(record.dataset).map((s) => ({ ...s, input }));
    const parsed = RunDrive.safeParse({ source: specs.map((s) => s.source).join(' + '), input, specs });
    return parsed.success ? parsed.data : null;
  }

  function comparisonOf(args: Args<'experiment.compare'>) {
    if (args.experimentId) {
      const set = loadPath(expDir(args.experimentId));
      return { experimentId: args.experimentId, c: buildComparison(set.runs, { title: set.experiment?.name ?? args.experimentId, dataset: set.experiment?.datasetSummary ?? null }) };
    }
    const ids = args.runIds ?? listRuns(o.workspace).map((r) => r.id);
    const runs = ids.map((id) => loadRun(runDir(id)));
    return { experimentId: null, c: buildComparison(runs, { title: `${runs.length} runs` }) };
  }

  return {
    async list() {
      return listRuns(o.workspace).map(runListEntry);
    },

    async get(runId) {
      const run = loadRun(runDir(runId));
      if (!run.config) throw new UserError(`run ${runId} has no readable config.json`);
      return runDetail(run, run.config, driveOf(run));
    },

    async compare(args) {
      const { experimentId, c } = comparisonOf(args);
      return { experimentId, ...c, markdown: toMarkdown(c), csv: toCsv(c) };
    },

    async exportReport(experimentId, format) {
      const dir = expDir(experimentId);
      const files = experimentReportPaths(dir);
      const { c } = comparisonOf({ experimentId });
      let path: string;
      let text: string;
      if (format === 'html') {
        const { renderReport } = await import('../../experiments/report.ts');
        const set = loadPath(dir);
        [path, text] = [files.html, renderReport(c, set.runs)];
      } else if (format === 'markdown') [path, text] = [files.md, toMarkdown(c)];
      else if (format === 'csv') [path, text] = [files.csv, toCsv(c)];
      else [path, text] = [files.json, toJson(c)];
      writeFileAtomic(path, text);
      // The text travels too: a browser on another machine downloads it (the path is on the backend's disk).
      const ext = { html: 'html', markdown: 'md', csv: 'csv', json: 'json' }[format];
      const mime = { html: 'text/html', markdown: 'text/markdown', csv: 'text/csv', json: 'application/json' }[format];
      return { path, bytes: Buffer.byteLength(text), fileName: `${experimentId}-${basename(path, extname(path))}.${ext}`, mime, text };
    },
  };
}
