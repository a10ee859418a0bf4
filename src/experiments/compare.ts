/**
 * The comparison table of an experiment: one row per run with validation
 * error in degrees beside the zero and mean predictors, per angle bin, and
 * the run's findings; plus conclusions computed from those numbers.
 * Exported as JSON, CSV and Markdown.
 *
 * MAE alone flatters a model that never steers (most of a drive is straight
 * road), so the conclusions also compare RMSE and the sharp-angle bin against
 * the zero predictor, and the range of the predictions against the truth.
 */
import type { RunConfig } from '../train/config.ts';
import type { RunResult } from '../train/events.ts';
import type { AutonomyEvaluation } from '../targets/metrics-types.ts';
import type { LoadedRun } from './load.ts';
import type { BinRow, Comparison, ComparisonRow, DatasetSummary, RunMeta, RunState } from './types.ts';
import { cellDifferences, summarizeCells } from './cells.ts';
import { conclusions } from './conclusions.ts';

// The row and table schemas live with the store's records (types.ts); re-exported for the readers of a comparison.
export type { BinRow, Comparison, ComparisonRow };

/** What compare needs of a run (a LoadedRun has all of it). */
export type ComparableRun = Pick<LoadedRun, 'id' | 'state' | 'config' | 'result' | 'valPredictions'> & { meta: RunMeta | null };

function range(xs: number[] | undefined): [number, number] | null {
  if (!xs || xs.length === 0) return null;
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of xs) {
    if (!Number.isFinite(x)) continue;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return lo <= hi ? [lo, hi] : null;
}

function statusOf(state: RunState, result: RunResult | null): string {
  return result ? result.status : state;
}

function headLabel(c: RunConfig | null): string | null {
  if (!c) return null;
  return c.model.head === 'scaled_tanh' ? `scaled_tanh(k=${c.model.headScale})` : c.model.head;
}

function targetLabel(c: RunConfig | null): string | null {
  if (!c) return null;
  return c.targets.kind === 'normalized' && c.targets.fullScaleDeg ? `normalized(/${c.targets.fullScaleDeg}°)` : c.targets.kind;
}

/** The row's autonomy numbers (null for a run recorded without the estimate). */
function autonomyFields(a: AutonomyEvaluation | undefined): Pick<ComparisonRow, AutonomyKey> {
  return {
    autonomyPct: a?.model.autonomyPct ?? null,
    interventions: a?.model.interventions ?? null,
    interventionsPerKm: a?.model.interventionsPerKm ?? null,
    baselineZeroAutonomyPct: a?.zero.autonomyPct ?? null,
    baselineZeroInterventions: a?.zero.interventions ?? null,
    baselineMeanAutonomyPct: a?.mean.autonomyPct ?? null,
    baselineMeanInterventions: a?.mean.interventions ?? null,
    // An image folder's clock is named too: its frame times are nominal (lab/autonomy-eval.ts).
    autonomySpeed: a ? `${a.speed}${a.clock && a.clock !== 'frame times' ? `; times: ${a.clock}` : ''}` : null,
  };
}

type AutonomyKey = 'autonomyPct' | 'interventions' | 'interventionsPerKm' | 'baselineZeroAutonomyPct' | 'baselineZeroInterventions'
  | 'baselineMeanAutonomyPct' | 'baselineMeanInterventions' | 'autonomySpeed';

/** One row per run, in the given order. */
export function comparisonRow(run: ComparableRun): ComparisonRow {
  const r = run.result;
  const v = r?.val ?? null;
  const zeroBins = new Map((v?.zero.bins ?? []).map((b) => [b.name, b]));
  return {
    runId: run.id,
    name: run.meta?.name ?? run.config?.name ?? run.id,
    seed: run.config?.seed ?? null,
    selection: r ? (r.selection ?? 'last-epoch') : null,
    status: statusOf(run.state, r),
    head: headLabel(run.config),
    targets: targetLabel(run.config),
    valMaeDeg: v?.model.maeDeg ?? null,
    valRmseDeg: v?.model.rmseDeg ?? null,
    valMaxErrDeg: v?.model.maxErrDeg ?? null,
    bins: (v?.model.bins ?? []).map((b) => ({
      name: b.name, loDeg: b.loDeg, hiDeg: b.hiDeg, n: b.n, maeDeg: b.maeDeg, zeroMaeDeg: zeroBins.get(b.name)?.maeDeg ?? null,
    })),
    baselineZeroMaeDeg: v?.zero.maeDeg ?? null,
    baselineZeroRmseDeg: v?.zero.rmseDeg ?? null,
    baselineMeanMaeDeg: v?.mean.maeDeg ?? null,
    baselineMeanRmseDeg: v?.mean.rmseDeg ?? null,
    predRangeDeg: range(run.valPredictions?.predDeg),
    trueRangeDeg: range(run.valPredictions?.trueDeg),
    ...autonomyFields(v?.autonomy),
    epochs: r?.epochs ?? null,
    bestEpoch: r?.bestEpoch ?? null,
    steps: r?.steps ?? null,
    wallTimeS: r?.wallTimeS ?? null,
    paramCount: r?.paramCount ?? null,
    engine: r?.engine ?? null,
    findings: (r?.findings ?? []).map((f) => f.message),
    error: r?.error ?? null,
  };
}

/** Formats degrees for people: 3 significant figures at most, with the unit. */
export function deg(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  return `${a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : x.toFixed(2)}°`;
}

/** Formats an autonomy percentage: whole percent, one decimal below 10%. */
export function pct(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return `${x < 10 && x > 0 ? x.toFixed(1) : x.toFixed(0)}%`;
}

/** Builds the comparison of the given runs (in order): rows, cells over seeds, differences and conclusions. */
export function buildComparison(runs: ComparableRun[], o: { title: string; dataset?: DatasetSummary | null }): Comparison {
  const rows = runs.map(comparisonRow);
  const cells = summarizeCells(runs, rows);
  const differences = cellDifferences(cells, runs);
  return {
    title: o.title, dataset: o.dataset ?? runs.find((r) => r.meta?.dataset)?.meta?.dataset ?? null,
    rows, cells, differences, conclusions: conclusions(rows, cells, differences),
  };
}

const BIN_NAMES = (rows: ComparisonRow[]): string[] => [...new Set(rows.flatMap((r) => r.bins.map((b) => b.name)))];

function binLabel(rows: ComparisonRow[], name: string): string {
  const b = rows.flatMap((r) => r.bins).find((x) => x.name === name);
  if (!b) return name;
  return b.hiDeg === null ? `${name} ≥${b.loDeg}°` : `${name} ${b.loDeg}–${b.hiDeg}°`;
}

interface Column {
  header: string;
  md: (r: ComparisonRow) => string;
  csv: (r: ComparisonRow) => string | number | null;
}

function columns(rows: ComparisonRow[]): Column[] {
  const n = (x: number | null, digits = 3): number | null => (x === null ? null : Number(x.toFixed(digits)));
  const cols: Column[] = [
    { header: 'run', md: (r) => r.name, csv: (r) => r.name },
    { header: 'head', md: (r) => r.head ?? '—', csv: (r) => r.head },
    { header: 'targets', md: (r) => r.targets ?? '—', csv: (r) => r.targets },
    { header: 'val MAE', md: (r) => deg(r.valMaeDeg), csv: (r) => n(r.valMaeDeg) },
    { header: 'val RMSE', md: (r) => deg(r.valRmseDeg), csv: (r) => n(r.valRmseDeg) },
    { header: 'max err', md: (r) => deg(r.valMaxErrDeg), csv: (r) => n(r.valMaxErrDeg) },
  ];
  for (const name of BIN_NAMES(rows)) {
    const get = (r: ComparisonRow): number | null => r.bins.find((b) => b.name === name)?.maeDeg ?? null;
    cols.push({ header: `MAE ${binLabel(rows, name)}`, md: (r) => deg(get(r)), csv: (r) => n(get(r)) });
  }
  cols.push(
    { header: 'zero MAE / RMSE', md: (r) => `${deg(r.baselineZeroMaeDeg)} / ${deg(r.baselineZeroRmseDeg)}`, csv: (r) => n(r.baselineZeroMaeDeg) },
    { header: 'mean MAE / RMSE', md: (r) => `${deg(r.baselineMeanMaeDeg)} / ${deg(r.baselineMeanRmseDeg)}`, csv: (r) => n(r.baselineMeanMaeDeg) },
  );
  if (rows.some((r) => r.autonomyPct != null)) {
    const k = (x: number | null | undefined): string => (x == null ? '' : ` (${x})`);
    cols.push(
      { header: 'autonomy (interventions)', md: (r) => `${pct(r.autonomyPct)}${k(r.interventions)}`, csv: (r) => n(r.autonomyPct ?? null, 1) },
      { header: 'zero / mean autonomy', md: (r) => `${pct(r.baselineZeroAutonomyPct)}${k(r.baselineZeroInterventions)} / ${pct(r.baselineMeanAutonomyPct)}${k(r.baselineMeanInterventions)}`, csv: (r) => n(r.baselineZeroAutonomyPct ?? null, 1) },
    );
  }
  cols.push(
    { header: 'epochs', md: (r) => (r.epochs === null ? '—' : String(r.epochs)), csv: (r) => r.epochs },
    { header: 'time', md: (r) => (r.wallTimeS === null ? '—' : `${r.wallTimeS.toFixed(0)} s`), csv: (r) => n(r.wallTimeS, 1) },
    { header: 'params', md: (r) => (r.paramCount === null ? '—' : r.paramCount.toLocaleString('en-US')), csv: (r) => r.paramCount },
    { header: 'engine', md: (r) => r.engine ?? '—', csv: (r) => r.engine },
    { header: 'status', md: (r) => r.status, csv: (r) => r.status },
  );
  return cols;
}

/** CSV header names: degrees are explicit in the column name since cells are bare numbers. */
function csvHeader(c: Column): string {
  const h = c.header;
  if (h === 'zero MAE / RMSE') return 'baseline_zero_mae_deg';
  if (h === 'mean MAE / RMSE') return 'baseline_mean_mae_deg';
  if (h === 'time') return 'wall_time_s';
  if (h === 'autonomy (interventions)') return 'autonomy_pct';
  if (h === 'zero / mean autonomy') return 'baseline_zero_autonomy_pct';
  if (/MAE|RMSE|err/.test(h)) return h.replace(/[°≥–]/g, (m) => ({ '°': '', '≥': 'ge', '–': '-' })[m] ?? m).replace(/\s+/g, '_').toLowerCase() + '_deg';
  return h.replace(/\s+/g, '_');
}

function csvCell(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV: one line per run, numbers in degrees / seconds as named in the header, findings joined by ' | '. */
export function toCsv(c: Comparison): string {
  const cols = columns(c.rows);
  const auto = c.rows.some((r) => r.autonomyPct != null);
  const header = [...cols.map(csvHeader), 'baseline_zero_rmse_deg', 'baseline_mean_rmse_deg',
    ...(auto ? ['interventions', 'interventions_per_km', 'baseline_zero_interventions', 'baseline_mean_autonomy_pct', 'baseline_mean_interventions'] : []), 'findings'];
  const lines = [header.join(',')];
  const r3 = (x: number | null | undefined, d = 3): number | null => (x == null ? null : Number(x.toFixed(d)));
  for (const r of c.rows) {
    const cells = [...cols.map((col) => col.csv(r)), r3(r.baselineZeroRmseDeg), r3(r.baselineMeanRmseDeg),
      ...(auto ? [r.interventions ?? null, r3(r.interventionsPerKm), r.baselineZeroInterventions ?? null, r3(r.baselineMeanAutonomyPct, 1), r.baselineMeanInterventions ?? null] : []), r.findings.join(' | ')];
    lines.push(cells.map(csvCell).join(','));
  }
  return lines.join('\n') + '\n';
}

/**
 * One line under the table saying what the autonomy columns are and where
 * the speed came from (null when no run has the estimate).
 */
export function autonomyNote(rows: ComparisonRow[]): string | null {
  const speeds = [...new Set(rows.map((r) => r.autonomySpeed).filter((x): x is string => Boolean(x)))];
  if (speeds.length === 0) return null;
  return 'Autonomy: open-loop estimate of the time a safety driver would not need to take over (PilotNet\'s metric: ' +
    '100 × (1 − interventions × 6 s / elapsed s), an intervention when the lateral offset passes 1 m by default), ' +
    'on the validation frames; zero and mean predictors on the same frames. 0% means a takeover at least every 6 s: ' +
    `compare the interventions then. Speed: ${speeds.join('; ')}.`;
}

function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** One line per video of a several-video data set: its samples and how many the split put in training and validation. */
export function videoLines(videos: NonNullable<DatasetSummary['videos']>): string[] {
  return videos.map(
    (v, i) => `video ${i + 1}: ${v.source}${v.labels ? ` with ${v.labels}` : ''}: samples ${v.firstSample}–${v.firstSample + v.samples} (${v.samples}; ${v.trainSamples} train, ${v.valSamples} validation)`,
  );
}

/** Markdown: the table, then conclusions, then findings per run. */
export function toMarkdown(c: Comparison): string {
  const cols = columns(c.rows);
  const out = [`## ${c.title}`, ''];
  if (c.dataset) {
    const d = c.dataset;
    out.push(`Data: ${d.source} (${d.samples} samples at ${d.input.height}x${d.input.width} px (HxW); ${d.trainSamples} train, ${d.valSamples} validation in ${d.valBlocks.length} blocks).`, '');
    if (d.videos) out.push(videoLines(d.videos).map((l) => `- ${l}`).join('\n'), '');
    if (d.warnings.length) out.push('**Data warnings**', '', d.warnings.map((w) => `- ${mdCell(w)}`).join('\n'), '');
  }
  out.push(`| ${cols.map((x) => x.header).join(' | ')} |`, `|${cols.map(() => '---').join('|')}|`);
  for (const r of c.rows) out.push(`| ${cols.map((x) => mdCell(x.md(r))).join(' | ')} |`);
  const note = autonomyNote(c.rows);
  if (note) out.push('', note);
  if (c.cells.some((x) => x.seeds.length > 1)) {
    out.push('', '### Cells over seeds (validation error, mean ± sd)', '', '| cell | seeds | val MAE | val RMSE | trained |', '|---|---|---|---|---|');
    for (const x of c.cells) {
      const ms = (m: { mean: number | null; sd: number | null }) => (m.mean === null ? '—' : `${deg(m.mean)} ± ${deg(m.sd)}`);
      out.push(`| ${mdCell(x.key)} | ${x.seeds.join(', ')} | ${ms(x.valMaeDeg)} | ${ms(x.valRmseDeg)} | ${x.failed ? 'no (see conclusions)' : 'yes'} |`);
    }
  }
  if (c.conclusions.length) {
    out.push('', '### Conclusions', '');
    for (const s of c.conclusions) out.push(`- ${s}`);
  }
  const withFindings = c.rows.filter((r) => r.findings.length > 0);
  if (withFindings.length) {
    out.push('', '### Findings', '');
    for (const r of withFindings) {
      out.push(`**${r.name}**`, '');
      for (const f of r.findings) out.push(`- ${f}`);
      out.push('');
    }
  }
  return out.join('\n').trimEnd() + '\n';
}

/** JSON: the comparison as is (rows carry every number, in degrees and seconds). */
export function toJson(c: Comparison): string {
  return JSON.stringify(c, null, 2) + '\n';
}

/** The table as display strings (headers and one row per run), for HTML and terminal output. */
export function tableCells(c: Comparison): { headers: string[]; rows: string[][] } {
  const cols = columns(c.rows);
  return { headers: cols.map((x) => x.header), rows: c.rows.map((r) => cols.map((x) => x.md(r))) };
}
