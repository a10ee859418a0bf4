/**
 * The one JSON object `--json` prints for train, compare and demo (shared;
 * the leading underscore keeps the CLI registry from loading it as a
 * sub-command).
 */
import type { Comparison } from '../../experiments/compare.ts';
import type { PublishedReport } from '../../experiments/publish.ts';
import type { ExperimentSummary } from '../../experiments/types.ts';

/** The one JSON object `--json` prints: the experiment and, per run, its numbers in degrees and its findings. */
export function jsonResult(summary: ExperimentSummary, report: PublishedReport | null, comparison: Comparison): Record<string, unknown> {
  return {
    experimentId: summary.experimentId,
    status: summary.status,
    dir: summary.dir,
    workspace: summary.workspace,
    engine: summary.engine,
    wallTimeS: summary.wallTimeS,
    dataset: summary.dataset,
    /** The videos trained on, in order, each with its label file. */
    videos: summary.dataset?.videos?.map((v) => ({ source: v.source, labels: v.labels, samples: v.samples }))
      ?? (summary.dataset ? [{ source: summary.dataset.source, labels: summary.dataset.labels, samples: summary.dataset.samples }] : []),
    report: report?.paths ?? null,
    runs: comparison.rows.map((r) => {
      const cfg = summary.runs.find((x) => x.runId === r.runId);
      // The comparison row as it is (experiments/types.ts ComparisonRow), with the run's folder and grid cell where the JSON has always had them.
      const { runId, name, seed, selection, ...rest } = r;
      return { runId, dir: cfg?.dir ?? null, name, seed, selection, cell: cfg?.cell ?? {}, ...rest };
    }),
    /** Runs grouped by configuration over seeds: mean and sd in degrees, and whether each trained. */
    cells: comparison.cells.map((c) => ({
      head: c.head, targets: c.targets, key: c.key, seeds: c.seeds, valMaeDeg: c.valMaeDeg, valRmseDeg: c.valRmseDeg, failed: c.failed, failure: c.failure, fix: c.fix,
    })),
    differences: comparison.differences,
    conclusions: comparison.conclusions,
    /** Grid cells that never ran (after a cancellation). */
    skipped: summary.runs.filter((x) => x.runId === null).map((x) => x.name),
  };
}
