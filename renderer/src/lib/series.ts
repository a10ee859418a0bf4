/**
 * Pure accumulation of live training events into per-run series. State
 * classes call these and replace their $state.raw arrays with the result
 * (never deep-mutate), so charts see a new array and redraw.
 */
import type { DiagnosticsSnapshot, Finding, Payload, RunResult, RunStatus } from '../../../src/contract/index.ts';

/** Where a live run stands: the lab's run status ('running' until its result says how it ended). */
export type RunPhase = RunStatus;

export interface LiveRun {
  runId: string;
  experimentId: string;
  name: string;
  index: number;
  total: number;
  phase: RunPhase;
  head: string;
  targets: string;
  activation: string;
  plannedEpochs: number;
  batchSize: number;
  /** Training loss per step (target units). */
  steps: { x: number; y: number }[];
  /** Validation loss per epoch, placed at the step where the epoch ended. */
  valLoss: { x: number; y: number }[];
  /** Validation MAE in degrees per epoch. */
  valMaeDeg: { x: number; y: number }[];
  lastStep: Payload<'run.step'>['step'] | null;
  lastEpoch: Payload<'run.epoch'>['epoch'] | null;
  diagnostics: DiagnosticsSnapshot[];
  findings: Finding[];
  result: RunResult | null;
  error: string | null;
}

/** Snapshots kept per run for the heatmap (older ones are thinned by half). */
export const MAX_SNAPSHOTS = 400;

export function startRun(p: Payload<'run.started'>): LiveRun {
  return {
    runId: p.runId, experimentId: p.experimentId, name: p.name, index: p.index, total: p.total, phase: 'running',
    head: p.config.model.head, targets: p.config.targets.kind, activation: p.config.model.activation, plannedEpochs: p.config.epochs, batchSize: p.config.batchSize,
    steps: [], valLoss: [], valMaeDeg: [], lastStep: null, lastEpoch: null, diagnostics: [], findings: [], result: null, error: null,
  };
}

export function addStep(r: LiveRun, p: Payload<'run.step'>): LiveRun {
  return { ...r, steps: [...r.steps, { x: p.step.step, y: p.step.loss }], lastStep: p.step };
}

export function addEpoch(r: LiveRun, p: Payload<'run.epoch'>): LiveRun {
  const x = r.lastStep?.step ?? r.steps.length;
  return {
    ...r,
    valLoss: [...r.valLoss, { x, y: p.epoch.valLoss }],
    valMaeDeg: [...r.valMaeDeg, { x: p.epoch.epoch, y: p.epoch.val.model.maeDeg }],
    lastEpoch: p.epoch,
  };
}

/** Last logged step of a live run (-1 before the first), so a replayed push event is not added twice. */
export function lastStepIndex(r: LiveRun): number {
  return r.steps.length ? r.steps[r.steps.length - 1].x : -1;
}

export function addSnapshot(r: LiveRun, s: DiagnosticsSnapshot): LiveRun {
  let diagnostics = [...r.diagnostics, s];
  if (diagnostics.length > MAX_SNAPSHOTS) diagnostics = diagnostics.filter((_, i) => i % 2 === 0 || i === diagnostics.length - 1);
  return { ...r, diagnostics };
}

export function addFinding(r: LiveRun, f: Finding): LiveRun {
  return { ...r, findings: [...r.findings, f] };
}

/**
 * A run ends: once it has a result, its findings are the result's (the list Compare and Run detail show), replacing
 * the ones pushed live: a problem measured at epoch 1 is re-measured at the end (e.g. "worse than baseline at step 3"
 * becomes "... at step 7"), and keeping both showed more findings in Live than in the other views.
 */
export function endRun(r: LiveRun, phase: RunPhase, result: RunResult | null, error: string | null): LiveRun {
  return { ...r, phase, result: result ?? r.result, error, findings: result && result.findings.length ? result.findings : r.findings };
}

/**
 * Gradient-norm heatmap cells: rows = layers (input side first), columns =
 * snapshots; value = log10 of the L2 gradient norm: -Infinity when it is
 * exactly 0 (no gradient reached the layer), NaN when not finite or not
 * logged. The heatmap keys the two apart: they are different failures.
 */
export function gradHeatmap(snaps: DiagnosticsSnapshot[]): { layers: string[]; steps: number[]; log10: number[][] } {
  const layers: string[] = [];
  for (const s of snaps) for (const l of s.layers) if (!layers.includes(l.name)) layers.push(l.name);
  const log10 = layers.map((name) =>
    snaps.map((s) => {
      const g = s.layers.find((l) => l.name === name)?.gradNorm;
      if (g === 0) return -Infinity;
      return g !== undefined && Number.isFinite(g) && g > 0 ? Math.log10(g) : NaN;
    }),
  );
  return { layers, steps: snaps.map((s) => s.step), log10 };
}

/**
 * Overall ETA in seconds: the current run's own ETA, plus the runs still to
 * go at the current pace (batch size / samples per second per step, times
 * the planned steps of a run).
 */
export function experimentEta(runs: LiveRun[]): number | null {
  const cur = runs.find((r) => r.phase === 'running');
  if (!cur || !cur.lastStep || cur.lastStep.etaS === null) return null;
  const s = cur.lastStep;
  const remainingRuns = Math.max(0, cur.total - cur.index - 1);
  if (remainingRuns === 0) return s.etaS;
  if (!(s.samplesPerS > 0)) return null;
  const stepS = cur.batchSize / s.samplesPerS;
  return (s.etaS ?? 0) + remainingRuns * cur.plannedEpochs * s.stepsPerEpoch * stepS;
}

/**
 * Labels of histogram bins: each bin's centre with just enough decimals that
 * neighbouring bins read differently (a bin 0.005 wide needs 3: "-0.053",
 * "-0.048"; a bin 0.5 wide needs 1).
 */
export function binCentreLabels(edges: readonly number[]): string[] {
  const n = Math.max(0, edges.length - 1);
  let width = Infinity;
  for (let i = 0; i < n; i++) {
    const w = Math.abs(edges[i + 1] - edges[i]);
    if (w > 0 && w < width) width = w;
  }
  // Centres sit half a bin from the edges: enough decimals to show half the narrowest bin.
  const digits = Number.isFinite(width) ? Math.min(6, Math.max(0, Math.ceil(-Math.log10(width / 2)))) : 2;
  return Array.from({ length: n }, (_, i) => ((edges[i] + edges[i + 1]) / 2).toFixed(digits));
}

/** Whether a head kind (model.head) has a squashing output that can saturate: tanh and scaled_tanh do, linear does not. */
export function headSaturates(kind: string): boolean {
  return kind === 'tanh' || kind === 'scaled_tanh';
}

/** The x-axis label of a head's pre-activation histogram, naming what the head does after it. */
export function headPreActivationLabel(kind: string): string {
  if (kind === 'linear') return 'head pre-activation, linear head: the output itself (target units)';
  if (kind === 'scaled_tanh') return 'head pre-activation, scaled_tanh head: before k·tanh (target units)';
  if (kind === 'tanh') return 'head pre-activation, tanh head: before tanh (target units)';
  return `head pre-activation, ${kind} head (target units)`;
}

/** One metric of one layer (or head) over the logged steps. */
export interface StepSeries {
  label: string;
  points: { x: number; y: number }[];
}

type LayerMetric = 'actMean' | 'actStd' | 'deadFraction' | 'saturatedFraction';

/**
 * A per-layer metric over the logged steps (x = step), one series per layer
 * that logged it at least once (null values, e.g. dead units of a tanh
 * layer, are left out rather than drawn as 0).
 */
export function layerHistory(snaps: DiagnosticsSnapshot[], metric: LayerMetric): StepSeries[] {
  const byLayer = new Map<string, { x: number; y: number }[]>();
  for (const s of snaps) {
    for (const l of s.layers) {
      const y = l[metric];
      if (y === null || !Number.isFinite(y)) continue;
      let pts = byLayer.get(l.name);
      if (!pts) byLayer.set(l.name, (pts = []));
      pts.push({ x: s.step, y });
    }
  }
  return [...byLayer].map(([label, points]) => ({ label, points }));
}

/**
 * The dead/saturated bar chart's categories for one snapshot: one per trunk
 * layer, and the head's saturation when its kind saturates (tanh). The head
 * is often also a layer of the snapshot under the same name (with no dead or
 * saturated value of its own): then its saturation goes in that layer's
 * category, one bar named once (`head (tanh head)`), not a second category
 * beside a bare `head` (two labels for one layer, drawn over each other).
 */
export function deadSaturatedBars(snap: DiagnosticsSnapshot, kind: string): { labels: string[]; dead: (number | null)[]; saturated: (number | null)[] } {
  const labels = snap.layers.map((l) => l.name);
  const dead = snap.layers.map((l) => l.deadFraction);
  const saturated = snap.layers.map((l) => l.saturatedFraction);
  if (!headSaturates(kind)) return { labels, dead, saturated };
  for (const h of snap.heads) {
    const i = labels.indexOf(h.name);
    const label = `${h.name} (${kind} head)`;
    if (i >= 0 && saturated[i] === null) {
      labels[i] = label;
      saturated[i] = h.saturatedFraction;
    } else {
      labels.push(label);
      dead.push(null);
      saturated.push(h.saturatedFraction);
    }
  }
  return { labels, dead, saturated };
}

/** The heads' saturated fraction (|pre-activation| > 2) over the logged steps; none for a linear head, which cannot saturate. */
export function headSaturationHistory(snaps: DiagnosticsSnapshot[], kind: string): StepSeries[] {
  if (!headSaturates(kind)) return [];
  const byHead = new Map<string, { x: number; y: number }[]>();
  for (const s of snaps) {
    for (const h of s.heads) {
      let pts = byHead.get(h.name);
      if (!pts) byHead.set(h.name, (pts = []));
      pts.push({ x: s.step, y: h.saturatedFraction });
    }
  }
  return [...byHead].map(([name, points]) => ({ label: `${name} (${kind} head)`, points }));
}

/**
 * A re-attached grid's planned run names: the runs it started (as replayed), then the cells the backend says have
 * not started (a cell that started while the backend answered is listed once, as started).
 */
export function plannedAfterAttach(started: readonly string[], waiting: readonly string[]): string[] {
  const seen = new Set(started);
  return [...started, ...waiting.filter((n) => !seen.has(n))];
}

/** The planned runs not started yet, in plan order (matched by name: a resumed grid starts only some of its cells). */
export function notStarted(planned: readonly string[], runs: readonly { name: string }[]): string[] {
  const started = new Set(runs.map((r) => r.name));
  return planned.filter((n) => !started.has(n));
}

/** How the Live view names a planned run that has not started: waiting while the grid runs, skipped once it ended without it. */
export function plannedRunLabel(experimentActive: boolean): 'waiting' | 'skipped' {
  return experimentActive ? 'waiting' : 'skipped';
}
