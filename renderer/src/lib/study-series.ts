/**
 * Pure mappers from a study's measurements (as they arrive in
 * study.finished) to the series and rows the generic charts and tables take.
 * Non-finite numbers arrive as null; a log axis cannot draw 0 or null, so
 * those points are dropped and counted, and the panel says how many.
 */
import type { StudyResults } from '../../../src/contract/index.ts';
import type { XY } from './decimate.ts';
import { PALETTE } from './colors.ts';

export interface LineSeries {
  label: string;
  color: string;
  points: XY[];
  dashed?: boolean;
  dots?: boolean;
  width?: number;
}
export interface BarSeries {
  label: string;
  color: string;
  values: (number | null)[];
}

type Num = number | null | undefined;

/** A number for a sentence or a table cell: 3 significant digits, exponent form below 1e-3 or from 1e5; '—' when not finite. */
export function fmtNum(v: Num, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5) return v.toExponential(digits - 1);
  return String(Number(v.toPrecision(digits)));
}

/** Points (x, y) of a list, keeping only finite y (and y > 0 on a log axis); `dropped` counts the rest. */
export function toPoints(ys: readonly Num[], xOf: (i: number) => number, log: boolean): { points: XY[]; dropped: number } {
  const points: XY[] = [];
  let dropped = 0;
  ys.forEach((y, i) => {
    if (y === null || y === undefined || !Number.isFinite(y) || (log && y <= 0)) dropped++;
    else points.push({ x: xOf(i), y });
  });
  return { points, dropped };
}

/** One colour per initialiser, fixed so the eight init-activation charts read alike. */
export const INIT_COLORS: Record<string, string> = {
  he_normal: PALETTE[0],
  glorot_normal: PALETTE[1],
  lecun_normal: PALETTE[2],
  'normal_0.01': PALETTE[3],
};

export interface InitActivationChart {
  activation: string;
  /** Per-layer activation std, measured (solid) and mean-field theory (dashed, at initialisation only). */
  std: LineSeries[];
  /** Per-layer gradient norm ||dL/dW||, measured (solid) and the theory's profile (dashed). */
  grad: LineSeries[];
  /** Points not drawn on the log axis (exact zeros: float32 underflow, or non-finite). */
  droppedStd: number;
  droppedGrad: number;
}

/**
 * init-activation as small multiples: one pair of charts (activation std,
 * gradient norm vs depth) per activation, one line per initialiser. `step` 0
 * is initialisation (with the theory dashed); k > 0 is after SGD step k.
 */
export function initActivationCharts(m: StudyResults['init-activation'], arch: 'dense' | 'conv', step: number): InitActivationChart[] {
  const sets = m.layers.filter((l) => l.arch === arch);
  const activations = [...new Set(sets.map((s) => s.activation))];
  const layer = (i: number): number => i + 1;
  return activations.map((activation) => {
    const out: InitActivationChart = { activation, std: [], grad: [], droppedStd: 0, droppedGrad: 0 };
    for (const s of sets.filter((x) => x.activation === activation)) {
      const color = INIT_COLORS[s.init] ?? PALETTE[7];
      const std = step === 0 ? s.activationStd : s.stepActivationStd[step - 1] ?? [];
      const grad = step === 0 ? s.gradNorm : s.stepGradNorm[step - 1] ?? [];
      const ms = toPoints(std, layer, true);
      const mg = toPoints(grad, layer, true);
      out.droppedStd += ms.dropped;
      out.droppedGrad += mg.dropped;
      out.std.push({ label: s.init, color, points: ms.points, width: 2 });
      out.grad.push({ label: s.init, color, points: mg.points, width: 2 });
      if (step === 0) {
        out.std.push({ label: `${s.init} theory`, color, points: toPoints(s.theoryActivationStd, layer, true).points, dashed: true, width: 1 });
        out.grad.push({ label: `${s.init} theory`, color, points: toPoints(s.theoryGradNorm, layer, true).points, dashed: true, width: 1 });
      }
    }
    return out;
  });
}

/** True when the finite positive values of the series span at least a factor of 10 (a log axis helps only then). */
export function spansDecade(series: readonly LineSeries[]): boolean {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) for (const p of s.points) if (p.y > 0 && Number.isFinite(p.y)) { lo = Math.min(lo, p.y); hi = Math.max(hi, p.y); }
  return lo <= hi && hi / lo >= 10;
}

/** How many SGD steps the init-activation study measured after initialisation. */
export function initActivationSteps(m: StudyResults['init-activation']): number {
  return m.layers.reduce((k, l) => Math.max(k, l.stepActivationStd.length), 0);
}

/** A short name of a relu-blowup run: "relu he lr 3 + l2". */
export function reluRunName(r: StudyResults['relu-blowup']['runs'][number]): string {
  return `${r.activation} ${r.init} lr ${fmtNum(r.lr)}${r.role === 'sweep' ? '' : ` + ${r.role}`}`;
}

/**
 * A per-epoch quantity of every relu-blowup run (test accuracy in %, weight
 * norm, max activation); remedy runs dashed. On a log axis zeros (all-dead
 * ReLUs) are dropped.
 */
export function reluEpochSeries(m: StudyResults['relu-blowup'], key: 'testAccuracy' | 'weightNorm' | 'maxActivation', log = false): LineSeries[] {
  return m.runs.map((r, i) => ({
    label: reluRunName(r),
    color: PALETTE[i % PALETTE.length],
    points: toPoints(r.epochs.map((e) => (key === 'testAccuracy' && e.testAccuracy !== null ? e.testAccuracy * 100 : e[key])), (k) => r.epochs[k].epoch ?? k + 1, log).points,
    dashed: r.role !== 'sweep',
  }));
}

/** multi-loss: raw and weighted loss per head (bars, one group per head). */
export function multiLossBars(m: StudyResults['multi-loss']): { labels: string[]; loss: BarSeries[]; share: BarSeries[] } {
  const labels = m.heads.map((h) => `${h.name} (weight ${fmtNum(h.lossWeight)})`);
  return {
    labels,
    loss: [
      // Greys and purple: the heads' own colours (blue, red, green) are taken by the per-head lines.
      { label: 'raw loss (MSE)', color: '#374151', values: m.heads.map((h) => h.rawLoss) },
      { label: 'weighted loss (weight x MSE)', color: '#9ca3af', values: m.heads.map((h) => h.weightedLoss) },
    ],
    share: [{ label: 'share of the trunk gradient (%)', color: PALETTE[4], values: m.heads.map((h) => (h.gradShare === null ? null : h.gradShare * 100)) }],
  };
}

/** multi-loss history: one line per head of a per-check quantity (raw loss or share in %). */
export function multiLossHistory(m: StudyResults['multi-loss'], key: 'rawLoss' | 'gradShare', log: boolean): LineSeries[] {
  const h = m.history;
  return m.heads.map((head, j) => ({
    label: head.name,
    color: PALETTE[j % PALETTE.length],
    points: toPoints(h[key].map((row) => (row[j] === null || row[j] === undefined ? null : key === 'gradShare' ? row[j]! * 100 : row[j])), (i) => h.step[i] ?? i, log).points,
  }));
}

/** A deep-CNN run's name: "sigmoid + BN". */
export function cnnRunName(r: StudyResults['deep-cnn-gradients']['runs'][number]): string {
  return `${r.activation}${r.batchnorm ? ' + BN' : ''}`;
}

/**
 * deep-cnn-gradients heatmaps in log10 ||dL/dW|| (NaN where not finite or
 * 0), with one colour range shared by every run so their brightness compares.
 */
export function cnnHeatmaps(m: StudyResults['deep-cnn-gradients']): { runs: { name: string; values: number[][]; steps: number[] }[]; range: { lo: number; hi: number } | null } {
  let lo = Infinity;
  let hi = -Infinity;
  const runs = m.runs.map((r) => {
    const values = r.gradNormHeatmap.map((row) =>
      row.map((g) => {
        if (g === null || !Number.isFinite(g) || g <= 0) return NaN;
        const v = Math.log10(g);
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
        return v;
      }),
    );
    return { name: cnnRunName(r), values, steps: r.heatmapSteps.map((s, i) => s ?? i) };
  });
  return { runs, range: lo <= hi ? { lo, hi } : null };
}

/** Validation MAE per epoch (degrees) of each output-head run, with the constant predictors as dashed lines. */
export function outputHeadMaeSeries(m: StudyResults['output-head']): LineSeries[] {
  const epochs = Math.max(1, ...m.runs.map((r) => r.maeByEpochDeg.length));
  const flat = (y: Num, label: string, color: string): LineSeries[] =>
    y === null || y === undefined ? [] : [{ label, color, points: [{ x: 1, y }, { x: epochs, y }], dashed: true, width: 1 }];
  return [
    ...m.runs.map((r, i) => ({
      label: `${r.head} / ${r.targets}`,
      color: PALETTE[i % PALETTE.length],
      points: toPoints(r.maeByEpochDeg, (k) => k + 1, false).points,
      width: 2,
    })),
    ...flat(m.baselines?.zeroMaeDeg, 'always 0° (zero predictor)', '#111827'),
    ...flat(m.baselines?.meanMaeDeg, 'training mean (mean predictor)', '#9ca3af'),
  ];
}

/** Head saturation (% of head pre-activations with |x| > 2) over training steps, per output-head run. */
export function outputHeadSaturationSeries(m: StudyResults['output-head']): LineSeries[] {
  return m.runs.map((r, i) => ({
    label: `${r.head} / ${r.targets}`,
    color: PALETTE[i % PALETTE.length],
    points: r.headSaturationOverSteps.flatMap(([s, f]) => (s === null || f === null ? [] : [{ x: s, y: f * 100 }])),
  }));
}

/** backprop-vs-gd training curves (MSE per step) of the ReLU and the linear net. */
export function backpropCurves(m: StudyResults['backprop-vs-gd']): LineSeries[] {
  const c = m.trainCurves;
  const x = (i: number): number => c.step[i] ?? i;
  return [
    { label: 'ReLU hidden layers', color: PALETTE[0], points: toPoints(c.relu, x, true).points, width: 2 },
    { label: 'linear hidden layers', color: PALETTE[1], points: toPoints(c.linear, x, true).points, width: 2 },
  ];
}
