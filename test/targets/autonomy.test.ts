import { describe, expect, it } from 'vitest';
import { AUTONOMY_DEFAULTS, curvatureOf, estimateAutonomy } from '../../src/targets/autonomy.ts';
import { simulateDrive, wheelAngleDeg } from '../../src/synth/road.ts';

const fps = 10;
const { states } = simulateDrive(3000, fps, 7); // 5 minutes of the synthetic road
const trueDeg = states.map((s) => s.steeringDeg);
const timeS = states.map((_, i) => i / fps);
const speedMps = states.map((s) => s.speedMps);
const run = (steerDeg: number[], extra = {}) => estimateAutonomy({ steerDeg, trueDeg, timeS, speedMps }, extra);

describe('estimateAutonomy', () => {
  it('uses the synthetic car geometry: the curvature of a wheel angle inverts the renderer', () => {
    expect(curvatureOf(wheelAngleDeg(0.02), AUTONOMY_DEFAULTS)).toBeCloseTo(0.02, 10);
  });

  it('scores the human 100% and the zero predictor low on a curvy drive', () => {
    const human = run(trueDeg);
    expect(human).toMatchObject({ autonomyPct: 100, interventions: 0, maxOffsetM: 0 });
    expect(human.elapsedS).toBeCloseTo(299.9, 6);
    const zero = run(trueDeg.map(() => 0));
    const mean = trueDeg.reduce((a, b) => a + b, 0) / trueDeg.length;
    const meanPred = run(trueDeg.map(() => mean));
    expect(zero.autonomyPct).toBeLessThan(60);
    expect(meanPred.autonomyPct).toBeLessThan(60);
    expect(zero.interventionsPerKm).toBeGreaterThan(1);
  });

  it('ranks a small steady error above a large one, and counts the hand computation for a constant offset', () => {
    const small = run(trueDeg.map((d) => d + 0.5));
    const large = run(trueDeg.map((d) => d + 5));
    expect(small.autonomyPct).toBeGreaterThan(large.autonomyPct);
    // Constant 1/m curvature error c at speed v: offset = v^2 c t^2 / 2 (small angles) reaches 1 m at t = sqrt(2 / (v^2 c)).
    const n = 601;
    const c = curvatureOf(10, AUTONOMY_DEFAULTS);
    const r = estimateAutonomy({ steerDeg: new Array(n).fill(10), trueDeg: new Array(n).fill(0), timeS: Array.from({ length: n }, (_, i) => i / 100), speedMps: null }, { defaultSpeedMps: 10 });
    const tHit = Math.sqrt(2 / (100 * c));
    expect(r.interventions).toBe(Math.floor(6 / (tHit + 0.01)) || 1);
    expect(r.autonomyPct).toBe(Math.max(0, 100 * (1 - (r.interventions * 6) / 6)));
  });

  it('resets at cuts in the recording instead of driving across them', () => {
    const t = [0, 0.1, 0.2, 100, 100.1, 100.2];
    const r = estimateAutonomy({ steerDeg: [30, 30, 30, 30, 30, 30], trueDeg: [0, 0, 0, 0, 0, 0], timeS: t }, {});
    expect(r.elapsedS).toBeCloseTo(0.4, 9);
    expect(() => estimateAutonomy({ steerDeg: [1], trueDeg: [1, 2], timeS: [0, 1] })).toThrow(/1 steering angles and 2 true angles for 2 frame times/);
  });

  it('drives the first frame of a moment and skips the other cameras at the same time (no cut there)', () => {
    // centre, left, right per moment; the side views' angles must not steer the car.
    const timeS = [0, 0, 0, 0.1, 0.1, 0.1, 0.2, 0.2, 0.2];
    const centreOnly = estimateAutonomy({ steerDeg: [10, 10, 10], trueDeg: [0, 0, 0], timeS: [0, 0.1, 0.2] }, {});
    const all = estimateAutonomy({ steerDeg: [10, 99, -99, 10, 99, -99, 10, 99, -99], trueDeg: new Array(9).fill(0), timeS }, {});
    expect(all).toEqual(centreOnly);
    expect(all.elapsedS).toBeCloseTo(0.2, 9);
  });
});
