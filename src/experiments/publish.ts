/**
 * Writes an experiment's (or run's) comparison as JSON, CSV and Markdown and
 * its HTML report beside its records, atomically.
 */
import { join } from 'node:path';
import { buildComparison, toCsv, toJson, toMarkdown, type Comparison } from './compare.ts';
import { loadPath, type LoadedSet } from './load.ts';
import { renderReport } from './report.ts';
import { writeFileAtomic } from './store.ts';

export interface PublishedReport {
  set: LoadedSet;
  comparison: Comparison;
  paths: { html: string; json: string; csv: string; md: string };
  /** The Markdown written to comparison.md (table, conclusions, findings). */
  markdown: string;
}

/** The report files of an experiment (or run, or workspace) folder: the one place their names are chosen. */
export function experimentReportPaths(dir: string): { html: string; json: string; csv: string; md: string } {
  return { html: join(dir, 'report.html'), json: join(dir, 'comparison.json'), csv: join(dir, 'comparison.csv'), md: join(dir, 'comparison.md') };
}

function titleOf(set: LoadedSet): string {
  if (set.experiment) return `Experiment ${set.experiment.name} (${set.experiment.id})`;
  if (set.kind === 'run') return `Run ${set.runs[0]?.meta?.name ?? set.runs[0]?.id ?? ''}`.trim();
  return `Workspace ${set.path}`;
}

/** Loads the path (experiment, run or workspace folder), builds the comparison and writes the four files into it. */
export function publishReport(path: string): PublishedReport {
  const set = loadPath(path);
  const comparison = buildComparison(set.runs, { title: titleOf(set), dataset: set.experiment?.datasetSummary ?? null });
  const paths = experimentReportPaths(set.path);
  writeFileAtomic(paths.json, toJson(comparison));
  writeFileAtomic(paths.csv, toCsv(comparison));
  const markdown = toMarkdown(comparison);
  writeFileAtomic(paths.md, markdown);
  writeFileAtomic(paths.html, renderReport(comparison, set.runs, { generatedAt: new Date().toISOString() }));
  return { set, comparison, paths, markdown };
}
