import { describe, expect, it } from 'vitest';
import { inferUnits, toDegrees, toPositiveRight } from '../../src/data/units.ts';
import { inferTimeUnit, timeUnitFromName } from '../../src/data/time-units.ts';
import { parseLabels } from '../../src/data/labels.ts';
import { UserError } from '../../src/errors.ts';

describe('inferUnits', () => {
  it('reads max |value| <= 1 without saturation as radians, with the evidence', () => {
    const v = Array.from({ length: 1200 }, (_, i) => 0.95 * Math.sin(i / 50));
    const r = inferUnits(v);
    expect(r.units).toBe('radians');
    expect(r.evidence).toMatch(/^max \|value\| 0\.95 over 1200 rows -> radians\? .*pass --units to override$/);
  });
  it('reads values clipped at exactly +-1 as normalised', () => {
    const r = inferUnits([0.1, -1, 1, 0.5]);
    expect(r.units).toBe('normalized');
    expect(r.evidence).toMatch(/2 rows exactly at \+-1/);
  });
  it('reads up to 10 as radians (a wheel at lock is 9.4 rad) and above as degrees', () => {
    expect(inferUnits([8.2, -3]).units).toBe('radians');
    expect(inferUnits([-420, 10.5]).units).toBe('degrees');
  });
  it('ignores NaN and Inf; no finite values -> degrees with that said', () => {
    expect(inferUnits([NaN, Infinity, 30]).evidence).toMatch(/over 1 rows/);
    expect(inferUnits([NaN]).evidence).toMatch(/no finite/);
  });
});

describe('toDegrees', () => {
  it('converts each unit', () => {
    expect(toDegrees(Math.PI, 'radians')).toBeCloseTo(180, 12);
    expect(toDegrees(-0.5, 'normalized', 25)).toBe(-12.5);
    expect(toDegrees(7, 'degrees')).toBe(7);
    expect(toPositiveRight(7, 'positive-left')).toBe(-7);
  });
  it('refuses normalised values without a full scale and says to pass --full-scale', () => {
    expect(() => toDegrees(0.5, 'normalized')).toThrow(UserError);
    expect(() => toDegrees(0.5, 'normalized')).toThrow(/--full-scale/);
  });
  it('a generic CSV inferred as normalised without --full-scale is a UserError naming the file', () => {
    expect(() => parseLabels('time,steering\n0,1\n0.05,-1\n0.1,0.2\n', 'norm.csv')).toThrow(/^norm\.csv: .*pass --full-scale/);
  });
  it('warns when the converted angle is beyond a wheel lock', () => {
    const ls = parseLabels('time,steering\n0,100\n1,2000\n', 'big.csv', { units: 'degrees' });
    expect(ls.warnings.join(' ')).toMatch(/max \|angle\| 2000 deg is beyond/);
  });
  it('the inference warning names the file and carries the evidence', () => {
    const ls = parseLabels('time,steering\n0,0.3\n1,-0.4\n', 'rad.csv');
    expect(ls.units).toBe('radians');
    expect(ls.unitsInferred).toBe(true);
    expect(ls.warnings.find((w) => w.includes('steering units'))).toMatch(/^rad\.csv: steering units inferred: max \|value\| 0\.4 over 2 rows -> radians\?/);
  });
});

describe('time units', () => {
  it('infers s, ms, ns from spacing at 20 rows/s', () => {
    const mk = (scale: number) => Array.from({ length: 10 }, (_, i) => i * 0.05 * scale);
    expect(inferTimeUnit(mk(1)).unit).toBe('s');
    expect(inferTimeUnit(mk(1e3)).unit).toBe('ms');
    expect(inferTimeUnit(mk(1e9)).unit).toBe('ns');
    expect(inferTimeUnit(mk(1e3)).evidence).toMatch(/median spacing 50 over 10 rows -> milliseconds \(20 rows\/s\)/);
  });
  it('reads units from column names', () => {
    expect(timeUnitFromName('time_s')).toBe('s');
    expect(timeUnitFromName('timestamp_ms')).toBe('ms');
    expect(timeUnitFromName('t_ns')).toBe('ns');
    expect(timeUnitFromName('Time (ms)')).toBe('ms');
    expect(timeUnitFromName('timestamp')).toBeUndefined();
    expect(timeUnitFromName('ts')).toBeUndefined();
  });
});
