/**
 * The synthetic drive's road and vehicle: a curvature profile along the
 * road (straights, gentle bends, rare sharp turns, joined by linear
 * curvature ramps like real clothoid transitions), a speed that slows for
 * bends, and the steering-wheel angle that follows the curvature.
 *
 * Steering geometry (kinematic bicycle model): front-wheel angle
 * delta = atan(wheelbase * curvature); steering-wheel angle = ratio * delta.
 * With a 2.7 m wheelbase and ratio 15, the sharpest curvature used here
 * (0.2 1/m, a 5 m radius turn) gives about 425 degrees at the wheel.
 */
import { createRng, type Rng } from '../rng.ts';

export const WHEELBASE_M = 2.7;
export const STEERING_RATIO = 15;
/** Curvature sample spacing along the road, metres. */
export const DS_M = 0.5;
const MAX_CURVATURE = 0.2;
const LOOKAHEAD_M = 100;

/** Steering-wheel degrees (positive = right) for a path curvature in 1/m (positive = bending right). */
export function wheelAngleDeg(curvaturePerM: number): number {
  return (STEERING_RATIO * Math.atan(WHEELBASE_M * curvaturePerM) * 180) / Math.PI;
}

/** Inverse of wheelAngleDeg for a non-negative angle: the curvature (1/m) that needs that wheel angle. */
export function curvatureForWheel(wheelDeg: number): number {
  return Math.tan((wheelDeg * Math.PI) / 180 / STEERING_RATIO) / WHEELBASE_M;
}

interface Segment {
  lengthM: number;
  curvature: number;
  rampM: number;
}

/** Draws the next road segment: straights most often, sharp turns least (by count, and fewer still by time). */
function nextSegment(rng: Rng, headingRad: number): Segment {
  const u = rng.next();
  // Lean toward bends that undo the heading turned so far, so left and right
  // turns balance over a drive instead of the road spiralling one way.
  const pRight = 0.5 - 0.35 * Math.tanh(headingRad / Math.PI);
  const sign = rng.next() < pRight ? 1 : -1;
  if (u < 0.42) return { lengthM: rng.uniform(40, 150), curvature: 0, rampM: rng.uniform(10, 25) };
  // Bends are drawn by the wheel angle they need, so angles spread evenly over each band.
  if (u < 0.78) return { lengthM: rng.uniform(30, 120), curvature: sign * curvatureForWheel(rng.uniform(8, 110)), rampM: rng.uniform(12, 30) };
  return { lengthM: rng.uniform(10, 30), curvature: sign * Math.min(MAX_CURVATURE, curvatureForWheel(rng.uniform(120, 420))), rampM: rng.uniform(5, 10) };
}

/** Curvature along the road, sampled every DS_M metres, extended on demand. */
export class RoadProfile {
  #rng: Rng;
  #k: number[] = [];
  #last = 0;
  #heading = 0;

  constructor(rng: Rng) {
    this.#rng = rng;
    // Start on a straight so the first frames show a plain road.
    this.#push(40, 0, 1);
  }

  #push(lengthM: number, curvature: number, rampM: number): void {
    const ramp = Math.max(1, Math.round(rampM / DS_M));
    const n = Math.max(ramp, Math.round(lengthM / DS_M));
    for (let i = 0; i < n; i++) {
      const a = Math.min(1, (i + 1) / ramp);
      const k = this.#last + (curvature - this.#last) * a;
      this.#k.push(k);
      this.#heading += k * DS_M;
    }
    this.#last = curvature;
  }

  /** Curvature (1/m) at arc position sM, linearly interpolated. */
  at(sM: number): number {
    const x = sM / DS_M;
    while (this.#k.length < x + 2) {
      const seg = nextSegment(this.#rng, this.#heading);
      this.#push(seg.lengthM, seg.curvature, seg.rampM);
    }
    const i = Math.floor(x);
    const f = x - i;
    return this.#k[i] * (1 - f) + this.#k[i + 1] * f;
  }

  /** Largest |curvature| over [sM, sM + aheadM]. */
  maxAbsAhead(sM: number, aheadM: number): number {
    let m = 0;
    for (let d = 0; d <= aheadM; d += DS_M) m = Math.max(m, Math.abs(this.at(sM + d)));
    return m;
  }
}

export interface DriveState {
  /** Arc position of the car along the road, metres. */
  sM: number;
  speedMps: number;
  curvature: number;
  steeringDeg: number;
}

/**
 * Simulates the car along the road at `fps`: it targets 15 m/s on straights
 * and the speed that keeps lateral acceleration under 3 m/s^2 in bends,
 * braking at up to 3 m/s^2 ahead of a bend and accelerating at 1.5 m/s^2.
 */
export function simulateDrive(frames: number, fps: number, seed: number): { profile: RoadProfile; states: DriveState[] } {
  const rng = createRng(seed);
  const profile = new RoadProfile(rng.fork());
  const dt = 1 / fps;
  const states: DriveState[] = [];
  let s = 0;
  let v = 12;
  for (let i = 0; i < frames; i++) {
    const k = profile.at(s);
    states.push({ sM: s, speedMps: v, curvature: k, steeringDeg: wheelAngleDeg(k) });
    const kAhead = profile.maxAbsAhead(s, 8 + 2 * v);
    const target = Math.min(15, Math.max(4, Math.sqrt(3 / Math.max(kAhead, 1e-6))));
    v = target < v ? Math.max(target, v - 3 * dt) : Math.min(target, v + 1.5 * dt);
    s += v * dt;
  }
  profile.at(s + LOOKAHEAD_M);
  return { profile, states };
}
