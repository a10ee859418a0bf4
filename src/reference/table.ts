/**
 * The lab beside PyTorch, run by run: rows (numbers) and the printed table
 * (degrees, with the ratio of RMSEs). Pure.
 */
import type { ReferenceReport, ReferenceRow } from './types.ts';

/** Pairs each reproduced run's lab metrics (result.json) with PyTorch's. */
export function referenceRows(lab: { runId: string; lab: ReferenceRow['lab'] }[], report: ReferenceReport): ReferenceRow[] {
  return report.runs.map((r) => {
    const l = lab.find((x) => x.runId === r.runId)?.lab ?? null;
    const ratio = l && r.valRmseDeg !== null && r.valRmseDeg > 0 ? l.valRmseDeg / r.valRmseDeg : null;
    return { runId: r.runId, name: r.name, head: r.head, targets: r.targets, lab: l, pytorch: { valMaeDeg: r.valMaeDeg, valRmseDeg: r.valRmseDeg }, rmseRatio: ratio };
  });
}

/** Degrees with three significant digits (the table's precision), '–' for none. */
function deg(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)}°`;
}

/** A plain-text table: one line per run, lab and PyTorch validation MAE / RMSE in degrees, and lab RMSE / PyTorch RMSE. */
export function referenceTable(rows: ReferenceRow[], report: ReferenceReport): string {
  const head = ['head / targets', 'lab MAE', 'lab RMSE', 'PyTorch MAE', 'PyTorch RMSE', 'RMSE lab/PyTorch'];
  const body = rows.map((r) => [
    `${r.head} / ${r.targets}`, deg(r.lab?.valMaeDeg), deg(r.lab?.valRmseDeg), deg(r.pytorch.valMaeDeg), deg(r.pytorch.valRmseDeg),
    r.rmseRatio === null ? '–' : `${r.rmseRatio.toFixed(2)}x`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const lines = [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
  lines.push(
    '',
    `Validation error in steering-wheel degrees on the lab's own validation frames. Lab: the metric result.json reports; PyTorch: its last epoch ` +
      `(torch ${report.torchVersion}, ${report.threads} threads, ${report.cpu}). A ratio above 1 means the lab is worse.`,
  );
  for (const s of report.skipped) lines.push(`not reproduced: ${s.name} (${s.reason})`);
  return lines.join('\n');
}
