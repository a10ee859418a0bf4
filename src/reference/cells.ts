/**
 * The lab beside PyTorch cell by cell: each cell's mean +- sd over seeds in
 * both, the ratio of mean RMSEs, PyTorch's own paired block-bootstrap
 * differences between cells (the same code and chunks as the lab's), and
 * whether the lab ranks each pair as PyTorch does where PyTorch's ranking is
 * significant.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { cellDifferences, CellDifference, cellStat, MeanSd, type CellSummary } from '../experiments/cells.ts';
import type { ComparableRun, Comparison } from '../experiments/compare.ts';
import type { ReferenceReport } from './types.ts';

export const ReferenceCell = z.object({
  key: z.string(),
  head: z.string().nullable(),
  targets: z.string().nullable(),
  seeds: z.array(z.number()),
  /** PyTorch's validation error over the cell's seeds (degrees). */
  valMaeDeg: MeanSd,
  valRmseDeg: MeanSd,
  /** The lab's mean RMSE of the same runs (degrees). */
  labRmseDeg: z.number().nullable(),
  /** Lab mean RMSE / PyTorch mean RMSE (1.10 = the lab is 10% worse). */
  rmseRatio: z.number().nullable(),
});
export type ReferenceCell = z.infer<typeof ReferenceCell>;

export const RankingCheck = z.object({
  a: z.string(),
  b: z.string(),
  pytorch: CellDifference.shape.verdict,
  lab: CellDifference.shape.verdict.nullable(),
  /** PyTorch's verdict is a winner and the lab names the same one. */
  agrees: z.boolean(),
});

export const ReferenceComparison = z.object({
  engine: z.literal('pytorch'),
  torchVersion: z.string(),
  cpu: z.string(),
  cells: z.array(ReferenceCell),
  differences: z.array(CellDifference),
  /** Pairs PyTorch ranks significantly, and what the lab says of them. */
  rankings: z.array(RankingCheck),
});
export type ReferenceComparison = z.infer<typeof ReferenceComparison>;

/** PyTorch's validation predictions of one run, as reference.ts wrote them, or null. */
function torchPredictions(workDir: string, runId: string): { sampleIndex: number[]; predDeg: number[]; trueDeg: number[] } | null {
  const p = join(workDir, `val-predictions-${runId}.json`);
  if (!existsSync(p)) return null;
  const v = JSON.parse(readFileSync(p, 'utf8')) as { sampleIndex: number[]; predDeg: (number | null)[]; trueDeg: (number | null)[] };
  return { sampleIndex: v.sampleIndex, predDeg: v.predDeg.map((x) => x ?? NaN), trueDeg: v.trueDeg.map((x) => x ?? NaN) };
}

/**
 * Builds the cell-level comparison of the lab's experiment (its Comparison)
 * with PyTorch's report. `workDir` holds PyTorch's per-run predictions.
 */
export function referenceComparison(lab: Comparison, report: ReferenceReport, workDir: string, timeS: (runId: string) => number[] | null): ReferenceComparison {
  const torch = new Map(report.runs.map((r) => [r.runId, r]));
  const cells: ReferenceCell[] = lab.cells.map((c) => {
    const runs = c.runIds.map((id) => torch.get(id)).filter((r) => r !== undefined);
    const rmse = cellStat(runs.map((r) => r.valRmseDeg ?? NaN));
    const ratio = c.valRmseDeg.mean !== null && rmse.mean ? c.valRmseDeg.mean / rmse.mean : null;
    return {
      key: c.key, head: c.head, targets: c.targets, seeds: runs.map((r) => r.seed),
      valMaeDeg: cellStat(runs.map((r) => r.valMaeDeg ?? NaN)), valRmseDeg: rmse, labRmseDeg: c.valRmseDeg.mean, rmseRatio: ratio,
    };
  });
  // PyTorch's runs as comparable runs, so its cells go through the lab's own bootstrap code.
  const pseudo: ComparableRun[] = report.runs.flatMap((r) => {
    const p = torchPredictions(workDir, r.runId);
    const t = timeS(r.runId);
    if (!p || !t) return [];
    return [{ id: r.runId, state: 'complete', meta: null, config: null, result: null, valPredictions: { ...p, timeS: t } }];
  });
  const rows = new Map(lab.rows.map((r) => [r.runId, r]));
  const torchCells: CellSummary[] = lab.cells.map((c, i) => {
    const constant = Math.min(...c.runIds.map((id) => Math.min(rows.get(id)?.baselineZeroRmseDeg ?? Infinity, rows.get(id)?.baselineMeanRmseDeg ?? Infinity)));
    const rmse = cells[i].valRmseDeg.mean;
    const failed = rmse === null || rmse >= constant;
    return { ...c, valMaeDeg: cells[i].valMaeDeg, valRmseDeg: cells[i].valRmseDeg, failed, failure: failed ? 'PyTorch did not beat a constant predictor' : null, fix: null };
  });
  const differences = cellDifferences(torchCells.filter((c) => c.runIds.every((id) => pseudo.some((p) => p.id === id))), pseudo);
  const rankings = differences
    .filter((d) => d.verdict !== 'no-difference' && !d.confounded)
    .map((d) => {
      const l = lab.differences.find((x) => x.a === d.a && x.b === d.b);
      return { a: d.a, b: d.b, pytorch: d.verdict, lab: l?.verdict ?? null, agrees: l?.verdict === d.verdict };
    });
  return { engine: 'pytorch', torchVersion: report.torchVersion, cpu: report.cpu, cells, differences, rankings };
}

/** Plain-text lines: per cell lab vs PyTorch, then the rankings PyTorch finds significant and whether the lab agrees. */
export function referenceCellLines(r: ReferenceComparison): string[] {
  const d = (x: number | null) => (x === null ? '–' : `${x.toFixed(2)}°`);
  const out = r.cells.map(
    (c) => `${c.key}: lab RMSE ${d(c.labRmseDeg)}, PyTorch RMSE ${d(c.valRmseDeg.mean)}${c.seeds.length > 1 ? ` ± ${d(c.valRmseDeg.sd)} (${c.seeds.length} seeds)` : ''}` +
      (c.rmseRatio === null ? '' : `: lab/PyTorch ${c.rmseRatio.toFixed(2)}x`),
  );
  if (r.rankings.length === 0) out.push('PyTorch ranks no pair of cells outside the noise (paired block bootstrap, 95%).');
  for (const k of r.rankings) {
    const [w, l] = k.pytorch === 'a-better' ? [k.a, k.b] : [k.b, k.a];
    out.push(`PyTorch: ${w} beats ${l}; the lab ${k.agrees ? 'agrees' : k.lab === 'no-difference' ? 'finds no measurable difference' : k.lab === null ? 'did not compare them' : 'ranks them the other way'}.`);
  }
  return out;
}
