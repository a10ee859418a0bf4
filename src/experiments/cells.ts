/**
 * Cells of an experiment: the runs that share a configuration and differ
 * only in their seed, summarised as mean +- sd in degrees; whether a cell's
 * runs failed to train (and why, and the fix); and paired block-bootstrap
 * differences between cells, so a ranking is only claimed outside the
 * frame-to-frame and seed-to-seed noise.
 */
import { z } from 'zod';
import { chunkIds, decorrelationLag, meanSd, pairedBlockBootstrap, type ErrorMetric } from '../targets/bootstrap.ts';
import { cellName, type GridCell } from './grid.ts';
import type { ComparableRun, ComparisonRow } from './compare.ts';

/** Mean and sd over a cell's seeds (degrees); null when no run of the cell has metrics. */
export const MeanSd = z.object({ mean: z.number().nullable(), sd: z.number().nullable() });

export const CellSummary = z.object({
  /** 'head/targets' for the head x target grid; otherwise the grid cell's name without its seed. */
  key: z.string(),
  head: z.string().nullable(),
  targets: z.string().nullable(),
  runIds: z.array(z.string()),
  seeds: z.array(z.number()),
  /** Over the cell's runs that have metrics (degrees; sd with n - 1, 0 for one run). */
  valMaeDeg: MeanSd,
  valRmseDeg: MeanSd,
  /** True when any of its runs failed to train: its error then measures the failure, not the configuration. */
  failed: z.boolean(),
  /** The measured cause, quoting the step and numbers (null when it trained). */
  failure: z.string().nullable(),
  /** What to change so it trains (null when it trained). */
  fix: z.string().nullable(),
});
export type CellSummary = z.infer<typeof CellSummary>;

export const CellDifference = z.object({
  a: z.string(),
  b: z.string(),
  metric: z.enum(['rmse', 'mae']),
  /** Error of a minus error of b, each the mean over its seeds (degrees; negative = a better). */
  meanDiffDeg: z.number(),
  ci95: z.tuple([z.number(), z.number()]),
  verdict: z.enum(['a-better', 'b-better', 'no-difference']),
  /** One of the two cells failed to train: the difference says nothing about the configurations. */
  confounded: z.boolean(),
  /** Frames per resampled chunk and the number of chunks. */
  chunkFrames: z.number().int(),
  chunks: z.number().int(),
});
export type CellDifference = z.infer<typeof CellDifference>;

/** The grid cell without its seed axis: the configuration the seeds repeat. */
function configCell(run: ComparableRun): GridCell {
  const cell = { ...((run.meta?.cell ?? {}) as GridCell) };
  delete cell.seed;
  return cell;
}

function cellKey(run: ComparableRun, row: ComparisonRow): string {
  const cell = configCell(run);
  const onlyHeadTargets = Object.keys(cell).every((k) => k === 'model.head' || k === 'targets.kind');
  if (onlyHeadTargets && (row.head !== null || row.targets !== null)) return `${row.head ?? '—'}/${row.targets ?? '—'}`;
  return Object.keys(cell).length ? cellName(cell) : row.name;
}

/** Why a run failed to train and how to fix it, from its status and findings; null when it trained. */
export function runFailure(run: ComparableRun, row: ComparisonRow): { cause: string; fix: string } | null {
  const r = run.result;
  if (!r) return null;
  const find = (kind: string) => r.findings.find((f) => f.kind === kind);
  if (r.status === 'failed') return { cause: `the run failed: ${r.error ?? 'unknown error'}`, fix: 'read the error above; the run did not train' };
  const nonFinite = find('non-finite');
  if (r.status === 'diverged' || nonFinite) {
    return { cause: nonFinite?.message ?? 'training diverged (non-finite loss)', fix: 'lower optimizer.learningRate (--lr) or clip gradients (optimizer.clipNorm)' };
  }
  const outside = find('targets-outside-head-range');
  if (outside) return { cause: outside.message, fix: 'normalise the targets (--targets normalized) or use a linear or scaled_tanh head' };
  const saturated = find('saturated-head');
  if (saturated) {
    return { cause: saturated.message, fix: "start the head small (model.headInit 'small'), centre the inputs (model.inputNorm 'centered') or lower the learning rate" };
  }
  const rmse = row.valRmseDeg;
  const constant = Math.min(row.baselineZeroRmseDeg ?? Infinity, row.baselineMeanRmseDeg ?? Infinity);
  if (rmse !== null && Number.isFinite(constant) && rmse >= constant) {
    const flat = find('loss-not-decreasing');
    return {
      cause: `it never beat a constant predictor: validation RMSE ${rmse.toFixed(2)}° vs ${constant.toFixed(2)}°${flat ? ` (${flat.message})` : ''}`,
      fix: 'train longer (--epochs), check the labels, units and crop (steerlab inspect), and check the recipe against PyTorch (steerlab reference)',
    };
  }
  return null;
}

/** Mean and sample sd of the finite values, as MeanSd (nulls for none). */
export function cellStat(xs: number[]): z.infer<typeof MeanSd> {
  const m = meanSd(xs);
  return Number.isFinite(m.mean) ? m : { mean: null, sd: null };
}

/** Groups runs into cells (same configuration, different seeds), in the order cells first appear. */
export function summarizeCells(runs: ComparableRun[], rows: ComparisonRow[]): CellSummary[] {
  const byKey = new Map<string, number[]>();
  runs.forEach((run, i) => {
    const key = cellKey(run, rows[i]);
    byKey.set(key, [...(byKey.get(key) ?? []), i]);
  });
  return [...byKey].map(([key, idx]) => {
    const failures = idx.map((i) => runFailure(runs[i], rows[i])).filter((f) => f !== null);
    const measured = idx.filter((i) => rows[i].valRmseDeg !== null);
    const first = rows[idx[0]];
    return {
      key, head: first.head, targets: first.targets,
      runIds: idx.map((i) => runs[i].id),
      seeds: idx.map((i) => runs[i].config?.seed ?? NaN).filter(Number.isFinite),
      valMaeDeg: cellStat(measured.map((i) => rows[i].valMaeDeg as number)),
      valRmseDeg: cellStat(measured.map((i) => rows[i].valRmseDeg as number)),
      failed: failures.length > 0,
      failure: failures.length ? `failed to train in ${failures.length} of ${idx.length} run${idx.length > 1 ? 's' : ''}: ${failures[0].cause}` : null,
      fix: failures[0]?.fix ?? null,
    };
  });
}

/** Validation predictions of a cell's runs, or null when a run has none or they are not on `frames`. */
function cellPredictions(cell: CellSummary, byId: Map<string, ComparableRun>, frames: string): number[][] | null {
  const preds: number[][] = [];
  for (const id of cell.runIds) {
    const vp = byId.get(id)?.valPredictions;
    if (!vp || JSON.stringify(vp.sampleIndex) !== frames) return null;
    preds.push(vp.predDeg);
  }
  return preds;
}

/**
 * Every pair of cells compared on RMSE with a paired block bootstrap over the
 * validation frames (chunks of at least one second, longer when the errors
 * stay correlated longer) and the seeds. Pairs whose runs were validated on
 * different frames are left out.
 */
export function cellDifferences(cells: CellSummary[], runs: ComparableRun[], metric: ErrorMetric = 'rmse'): CellDifference[] {
  const byId = new Map(runs.map((r) => [r.id, r]));
  const ref = runs.find((r) => r.valPredictions)?.valPredictions;
  if (!ref) return [];
  const frames = JSON.stringify(ref.sampleIndex);
  const dts = ref.timeS.slice(1).map((t, i) => t - ref.timeS[i]).filter((d) => d > 0).sort((a, b) => a - b);
  const fps = dts.length ? 1 / dts[Math.floor(dts.length / 2)] : 20;
  const out: CellDifference[] = [];
  for (let i = 0; i < cells.length; i++) {
    for (let j = i + 1; j < cells.length; j++) {
      const a = cellPredictions(cells[i], byId, frames);
      const b = cellPredictions(cells[j], byId, frames);
      if (!a || !b) continue;
      const meanPred = (p: number[][], k: number) => p.reduce((s, x) => s + x[k], 0) / p.length;
      const lossDiff = ref.trueDeg.map((t, k) => (meanPred(a, k) - t) ** 2 - (meanPred(b, k) - t) ** 2);
      const chunkFrames = Math.max(Math.round(fps), Math.min(decorrelationLag(lossDiff, 600), Math.floor(ref.trueDeg.length / 10)));
      const r = pairedBlockBootstrap({ trueDeg: ref.trueDeg, a, b, chunks: chunkIds(ref.sampleIndex, chunkFrames), metric, seed: 1 });
      out.push({
        a: cells[i].key, b: cells[j].key, metric, meanDiffDeg: r.meanDiffDeg, ci95: r.ci95, verdict: r.verdict,
        confounded: cells[i].failed || cells[j].failed, chunkFrames, chunks: r.chunks,
      });
    }
  }
  return out;
}
