import { describe, expect, it } from 'vitest';
import { compress, estimateLag, IN_STEP_MS } from '../../src/data/lag.ts';
import { createRng } from '../../src/rng.ts';
import { simulate } from '../../src/synth/index.ts';

const FPS = 20;

/** A steering-like signal: smooth random bends (a sum of slow sinusoids), degrees. */
function bends(seed: number): (tS: number) => number {
  const rng = createRng(seed);
  const parts = Array.from({ length: 6 }, () => ({ a: rng.uniform(10, 60), w: rng.uniform(0.2, 1.5), p: rng.uniform(0, 2 * Math.PI) }));
  return (t) => parts.reduce((s, c) => s + c.a * Math.sin(c.w * t + c.p), 0);
}

/** Video samples of `steer` at 20 Hz for `seconds`, plus measurement noise of `noise` (same units). */
function videoOf(steer: (t: number) => number, seconds: number, noise: number, seed = 9) {
  const rng = createRng(seed);
  const n = seconds * FPS;
  const tS = Float64Array.from({ length: n }, (_, i) => i / FPS);
  return { tS, value: Float64Array.from(tS, (t) => steer(t) + rng.normal(0, noise)) };
}

/** Labels of `steer` at 20 Hz whose times read `shiftMs` late (a label for moment t says t + shift). */
function labelsOf(steer: (t: number) => number, seconds: number, shiftMs: number) {
  const tS = Float64Array.from({ length: seconds * FPS }, (_, i) => i / FPS);
  return { tS: Float64Array.from(tS, (t) => t + shiftMs / 1000), value: Float64Array.from(tS, steer) };
}

describe('estimateLag', () => {
  it('recovers labels recorded 300 ms late as an offset of -300 ms, and 500 ms early as +500 ms', () => {
    const steer = bends(1);
    const video = videoOf(steer, 120, 5);
    const late = estimateLag(video, labelsOf(steer, 120, 300));
    expect(Math.abs(late.offsetMs! + 300)).toBeLessThanOrEqual(10);
    expect(late.evidence).toBe('good');
    expect(late.inStep).toBe(false);
    const early = estimateLag(video, labelsOf(steer, 120, -500));
    expect(Math.abs(early.offsetMs! - 500)).toBeLessThanOrEqual(10);
  });

  it('says about 0 and in step for aligned labels, with a curve over +-1 s in 10 ms steps', () => {
    const steer = bends(2);
    const r = estimateLag(videoOf(steer, 120, 5), labelsOf(steer, 120, 0));
    expect(Math.abs(r.offsetMs!)).toBeLessThanOrEqual(10);
    expect(r.inStep).toBe(true);
    expect(Math.abs(r.offsetMs!)).toBeLessThan(IN_STEP_MS);
    expect(r.curve).toHaveLength(201);
    expect(r.curve[0].offsetMs).toBe(-1000);
    expect(r.curve[200].offsetMs).toBe(1000);
    expect(r.confidence).toBeGreaterThan(0.8);
    expect(r.uncertaintyMs).toBeLessThan(20);
  });

  it('finds no evidence in a video signal that does not follow the steering', () => {
    const steer = bends(3);
    const rng = createRng(5);
    const noise = videoOf(() => 0, 120, 1);
    noise.value = Float64Array.from(noise.value, () => rng.normal());
    const r = estimateLag(noise, labelsOf(steer, 120, 0));
    expect(r.evidence).toBe('none');
    expect(r.offsetMs).toBeNull();
    expect(r.inStep).toBeNull();
    expect(r.confidence).toBe(0);
    expect(r.reason).toMatch(/does not follow the steering/);
  });

  it('refuses a drive too short to score', () => {
    const steer = bends(4);
    const r = estimateLag(videoOf(steer, 3, 0), labelsOf(steer, 3, 0));
    expect(r.evidence).toBe('none');
    expect(r.reason).toMatch(/longer drive/);
  });

  it('is not pulled off by speed: yaw rate (speed x curvature) against the wheel angle of the synthetic drive', () => {
    // Drivers brake into bends and speed up out of them, so raw yaw rate peaks
    // late in a bend; the compressed score keeps the offset near 0.
    const states = simulate({ frames: 3000, fps: FPS, seed: 1 });
    const tS = Float64Array.from(states, (_, i) => i / FPS);
    const yaw = { tS, value: Float64Array.from(states, (s) => s.speedMps * s.curvature) };
    const wheel = { tS, value: Float64Array.from(states, (s) => s.steeringDeg) };
    expect(Math.abs(estimateLag(yaw, wheel).offsetMs!)).toBeLessThanOrEqual(25);
    expect(estimateLag(yaw, wheel, { compress: 0 }).offsetMs!).toBeGreaterThan(60);
  });
});

describe('compress', () => {
  it('keeps the sign, squeezes large values toward +-1 and leaves all-zero signals alone', () => {
    const c = compress([0, 1, -1, 10, -100, 100], 0.05);
    expect(c[0]).toBe(0);
    expect(Math.sign(c[2])).toBe(-1);
    expect(c[5]).toBeGreaterThan(0.9);
    expect(c[5]).toBeLessThan(1);
    expect(Array.from(compress([0, 0, 0], 0.05))).toEqual([0, 0, 0]);
    expect(Array.from(compress([1, 2], 0))).toEqual([1, 2]);
  });
});
