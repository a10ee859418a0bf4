/** Axis labels of the generic charts: compact numbers, and log axes that never pile labels up. */
import { describe, expect, it } from 'vitest';
import { compactTick, logTick, setValueScale, valueTick, type ValueScale } from '../../renderer/src/lib/charts/chartjs.ts';

/** Chart.js's log ticks: every 1..9 x 10^n from lo to hi. */
const logTicks = (loExp: number, hiExp: number) => {
  const t: { value: number }[] = [];
  for (let e = loExp; e <= hiExp; e++) for (let m = 1; m <= 9; m++) t.push({ value: m * 10 ** e });
  return t;
};

describe('axis labels', () => {
  it('compactTick drops trailing zeros and keeps two digits in exponent form', () => {
    expect(compactTick(0.1)).toBe('0.1');
    expect(compactTick(10)).toBe('10');
    expect(compactTick(4.5e-8)).toBe('4.5e-8');
    expect(compactTick(5e-8)).toBe('5e-8');
    expect(compactTick(120000)).toBe('1.2e5');
  });

  it('logTick labels 1, 2, 5 x 10^n over up to 3 decades', () => {
    const ticks = logTicks(-2, 0);
    const labels = ticks.map((t) => logTick(t.value, ticks)).filter(Boolean);
    expect(labels).toEqual(['0.01', '0.02', '0.05', '0.1', '0.2', '0.5', '1', '2', '5']);
  });

  it('logTick labels only powers of ten over more decades, and every k-th one over very many', () => {
    const five = logTicks(-4, 0);
    expect(five.map((t) => logTick(t.value, five)).filter(Boolean)).toEqual(['1e-4', '1e-3', '0.01', '0.1', '1']);
    const twenty = logTicks(-19, 0);
    const labels = twenty.map((t) => logTick(t.value, twenty)).filter(Boolean);
    expect(labels.length).toBeLessThanOrEqual(10);
    expect(labels).toContain('1');
    expect(logTick(0, twenty)).toBe('');
    // Chart.js over 19 decades may tick only every 3rd power (1e-19, 1e-16, ..., 0.1): those still get labels.
    const sparse = Array.from({ length: 7 }, (_, k) => ({ value: 10 ** (-19 + 3 * k) }));
    expect(sparse.map((t) => logTick(t.value, sparse)).filter(Boolean)).toHaveLength(7);
  });
});

describe('value axis switching', () => {
  it('sets log or linear in place, keeps other tick options, and applies min only to a linear axis', () => {
    const s: ValueScale & { ticks: { autoSkip?: boolean; precision?: number } } = { type: 'linear', ticks: { precision: 0 } };
    setValueScale(s, true, 0);
    expect(s).toEqual({ type: 'logarithmic', min: undefined, ticks: { precision: 0, autoSkip: false } });
    setValueScale(s, false, 0);
    expect(s).toEqual({ type: 'linear', min: 0, ticks: { precision: 0, autoSkip: true } });
  });
  it('labels ticks by axis type', () => {
    const ticks = [1, 2, 5, 10, 20, 50].map((value) => ({ value }));
    expect(valueTick.call({ type: 'logarithmic', getLabelForValue: () => '' }, 20, 0, ticks)).toBe('20');
    expect(valueTick.call({ type: 'logarithmic', getLabelForValue: () => '' }, 3, 0, ticks)).toBe('');
    expect(valueTick.call({ type: 'category', getLabelForValue: (v) => `bin ${v}` }, 2, 0, ticks)).toBe('bin 2');
    expect(valueTick.call({ type: 'linear', getLabelForValue: () => '' }, 0.000123, 0, ticks)).toBe('1.2e-4');
  });
});
