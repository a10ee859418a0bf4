/** Chart.js with only the parts the lab draws (tree-shaken), animations off for live updates. */
import {
  BarController, BarElement, CategoryScale, Chart, Filler, Legend, LinearScale, LineController, LineElement,
  LogarithmicScale, PointElement, ScatterController, Tooltip,
} from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, Filler, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, ScatterController, Tooltip);
Chart.defaults.animation = false;
Chart.defaults.font.family = 'system-ui, sans-serif';
Chart.defaults.color = '#374151';
Chart.defaults.maintainAspectRatio = false;

export { Chart };

/** Axis numbers without trailing zeros; very small or large ones as 4.5e-8 (two significant digits). */
export function compactTick(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e4 || a < 1e-2)) return Number(v.toPrecision(2)).toExponential().replace('+', '');
  return String(Number(v.toPrecision(3)));
}

/**
 * Labels of a logarithmic axis: 1, 2 and 5 x 10^n over up to 3 decades;
 * over more, only the powers of ten among the ticks, every k-th of them
 * (counted from the top) so at most about 8 are labelled. Chart.js may tick
 * every 1..9 x 10^n or only every few decades; unlabelled ticks keep their
 * grid line.
 */
export function logTick(v: number, ticks: readonly { value: number }[]): string {
  if (!(v > 0)) return '';
  const mant = (x: number): number => {
    const e = Math.floor(Math.log10(x) + 1e-9);
    return Math.round((x / 10 ** e) * 1000) / 1000;
  };
  let lo = Infinity;
  let hi = -Infinity;
  for (const t of ticks) if (t.value > 0) { lo = Math.min(lo, t.value); hi = Math.max(hi, t.value); }
  const decades = lo <= hi ? Math.log10(hi / lo) : 0;
  if (decades <= 3) return [1, 2, 5].includes(mant(v)) ? compactTick(v) : '';
  if (mant(v) !== 1) return '';
  const powers = ticks.map((t) => t.value).filter((x) => x > 0 && mant(x) === 1).sort((a, b) => b - a);
  const every = Math.max(1, Math.ceil(powers.length / 8));
  const i = powers.findIndex((x) => Math.abs(Math.log10(x) - Math.log10(v)) < 1e-6);
  return i >= 0 && i % every === 0 ? compactTick(v) : '';
}

/** Grid line colour: faint where a tick has no label (the minor ticks of a log axis), Chart.js's default elsewhere. */
export function gridColor(ctx: { tick?: { label?: unknown } }): string {
  return ctx.tick && (ctx.tick.label === '' || ctx.tick.label === undefined) ? 'rgba(0,0,0,0.03)' : 'rgba(0,0,0,0.1)';
}

/** The value axis's tick labels: logTick on a log axis, the category itself on a category axis, compactTick otherwise. */
export function valueTick(this: { type: string; getLabelForValue(v: number): string }, v: number | string, _i: number, ticks: readonly { value: number }[]): string {
  if (this.type === 'logarithmic') return logTick(Number(v), ticks);
  if (this.type === 'category') return this.getLabelForValue(Number(v));
  return compactTick(Number(v));
}

/** The mutable part of a Chart.js scale that the charts switch between updates. */
export interface ValueScale {
  type?: string;
  min?: number;
  suggestedMin?: number;
  suggestedMax?: number;
  ticks?: { autoSkip?: boolean };
}

/**
 * Switches a value axis between linear and logarithmic in place (then call
 * chart.update). `min` applies to the linear axis only: a log axis picks its
 * own lower end. logTick already chooses which log ticks carry a label, and
 * Chart.js's autoSkip would drop exactly those, so it is off on log axes.
 */
export function setValueScale(scale: ValueScale, log: boolean, min?: number): void {
  scale.type = log ? 'logarithmic' : 'linear';
  scale.min = log ? undefined : min;
  scale.ticks = { ...scale.ticks, autoSkip: !log };
}
