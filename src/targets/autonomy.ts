/**
 * A closed-loop estimate from an open-loop model: PilotNet's "autonomy"
 * metric (Bojarski et al. 2016, section 7.2). A kinematic bicycle follows the
 * recorded path at the recorded speed, but steers with the model's angle
 * instead of the human's. The lateral offset from the recorded path grows
 * with the difference of the two paths' curvatures; when it passes a
 * threshold (1 m by default) the simulated safety driver intervenes: one
 * intervention is counted and the car is put back on the path.
 *
 *   curvature = tan(wheelAngle / steeringRatio) / wheelbase      (1/m)
 *   headingError' = speed * (curvaturePred - curvatureTrue)       (rad/s)
 *   offset'       = speed * sin(headingError)                     (m/s)
 *   autonomy      = 100 * (1 - interventions * 6 s / elapsed s)   (%)
 *
 * The model still sees the recorded frames, not the view from where the
 * simulated car would be, so this is an estimate of how fast errors add up,
 * not a simulator: a model that corrects drift it caused cannot show it.
 * Pure: numbers in, numbers out.
 */
import { AutonomySettings, type AutonomyScore } from './metrics-types.ts';

// The settings and the score are zod schemas (metrics-types.ts): one definition for runs, records and the contract.
export { AutonomySettings };

/** Every setting at its documented default (ratio 15, wheelbase 2.7 m, threshold 1 m, 15 m/s, 6 s, cuts over 0.5 s). */
export const AUTONOMY_DEFAULTS: AutonomySettings = Object.freeze(AutonomySettings.parse({}));

export interface AutonomyInput {
  /** Steering-wheel angle the car is driven with, degrees (positive right), per frame. */
  steerDeg: ArrayLike<number>;
  /** The recorded (human) angle per frame, degrees: the path to follow. */
  trueDeg: ArrayLike<number>;
  /** Frame times in seconds (increasing within a segment). */
  timeS: ArrayLike<number>;
  /** Speed per frame in m/s, or null for the default. */
  speedMps?: ArrayLike<number> | null;
}

/** One drive's estimate (see AutonomyScore in metrics-types.ts for the fields and units). */
export type AutonomyResult = AutonomyScore;

const rad = (deg: number): number => (deg * Math.PI) / 180;

/** Path curvature (1/m) of a steering-wheel angle in degrees. */
export function curvatureOf(wheelDeg: number, s: Pick<AutonomySettings, 'steeringRatio' | 'wheelbaseM'>): number {
  return Math.tan(rad(wheelDeg) / s.steeringRatio) / s.wheelbaseM;
}

/** Drives the frames in order and counts interventions (see the file comment). */
export function estimateAutonomy(inp: AutonomyInput, settings: Partial<AutonomySettings> = {}): AutonomyResult {
  const s = { ...AUTONOMY_DEFAULTS, ...settings };
  const n = inp.timeS.length;
  if (inp.steerDeg.length !== n || inp.trueDeg.length !== n) throw new Error(`autonomy: ${inp.steerDeg.length} steering angles and ${inp.trueDeg.length} true angles for ${n} frame times`);
  let offset = 0;
  let heading = 0;
  let interventions = 0;
  let elapsedS = 0;
  let distanceM = 0;
  let maxOffsetM = 0;
  // p: the frame the car last steered from. A frame at the same time as p is
  // another camera of that moment (Udacity side cameras): skipped, not a cut.
  for (let i = 1, p = 0; i < n; i++) {
    const dt = inp.timeS[i] - inp.timeS[p];
    if (dt === 0) continue;
    const prev = p;
    p = i;
    if (!(dt > 0) || dt > s.maxStepS || !Number.isFinite(inp.steerDeg[prev]) || !Number.isFinite(inp.trueDeg[prev])) {
      offset = 0; // a cut in the recording: start the next segment on the path
      heading = 0;
      continue;
    }
    const v = inp.speedMps?.[prev] ?? s.defaultSpeedMps;
    const speed = Number.isFinite(v) && v >= 0 ? v : s.defaultSpeedMps;
    heading += speed * (curvatureOf(inp.steerDeg[prev], s) - curvatureOf(inp.trueDeg[prev], s)) * dt;
    offset += speed * Math.sin(heading) * dt;
    elapsedS += dt;
    distanceM += speed * dt;
    maxOffsetM = Math.max(maxOffsetM, Math.abs(offset));
    if (Math.abs(offset) > s.thresholdM) {
      interventions++;
      offset = 0;
      heading = 0;
    }
  }
  const autonomyPct = elapsedS > 0 ? Math.max(0, 100 * (1 - (interventions * s.interventionCostS) / elapsedS)) : 0;
  return {
    autonomyPct, interventions, elapsedS, distanceKm: distanceM / 1000,
    interventionsPerKm: distanceM > 0 ? interventions / (distanceM / 1000) : null, maxOffsetM,
  };
}
