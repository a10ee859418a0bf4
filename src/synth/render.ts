/**
 * Renders one dashcam frame of the synthetic drive into an RGB buffer, in
 * plain JavaScript (no canvas): a pinhole camera 1.3 m above a flat road,
 * each image row below the horizon is a ground distance z = f * h / (row -
 * horizon); the road's centreline at distance z is offset laterally by the
 * double integral of curvature along the road ahead, so bends show as the
 * road sweeping left or right, most strongly in the near rows. Spans are
 * painted with fractional pixel coverage so thin far-away lines do not
 * flicker. Lighting varies smoothly over time; sensor noise is added last.
 */
import type { Rng } from '../rng.ts';
import { DS_M, type DriveState, type RoadProfile } from './road.ts';

const CAM_HEIGHT_M = 1.3;
const HFOV_RAD = (70 * Math.PI) / 180;
const LANE_M = 3.5;
/** The car drives in the right-hand lane: the centreline is 1.75 m to its left. */
const CAR_OFFSET_M = LANE_M / 2;
const MAX_Z_M = 90;
const NOISE_LEN = 1 << 16;

type RGB = readonly [number, number, number];
const SKY_TOP: RGB = [70, 120, 200];
const SKY_LOW: RGB = [185, 205, 228];
const HAZE: RGB = [175, 190, 200];
const GRASS_A: RGB = [62, 122, 48];
const GRASS_B: RGB = [74, 136, 56];
const GRAVEL: RGB = [140, 128, 110];
const ASPHALT: RGB = [92, 92, 98];
const PAINT: RGB = [232, 232, 226];

/** Optional extras of the picture; every one is off by default so the default drive's pixels never change. */
export interface RenderOptions {
  /**
   * Distant hills and trees on the horizon at fixed world bearings: they
   * slide sideways by exactly the car's yaw, which is what the label-lag
   * doctor measures (the default sky and striped grass show no yaw).
   */
  scenery?: boolean;
}

export interface Renderer {
  /** Renders frame `index` for the car state into out (width*height*3 bytes). */
  render(index: number, state: DriveState, out: Uint8Array): void;
}

/** Deterministic hash of an integer to [0, 1) (for shadow placement along the road). */
function hash01(n: number): number {
  let x = Math.imul(n ^ 0x27d4eb2d, 0x165667b1);
  x ^= x >>> 15;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  return (x >>> 0) / 4294967296;
}

/**
 * A renderer for frames of `width` x `height` pixels at `fps` frames per
 * second along `profile`. Draws its noise table, lighting phases and per-frame
 * jitter from `rng`, so the same seed renders the same pixels.
 */
export function createRenderer(width: number, height: number, fps: number, profile: RoadProfile, rng: Rng, opts: RenderOptions = {}): Renderer {
  const f = width / 2 / Math.tan(HFOV_RAD / 2);
  const nz = Math.ceil(MAX_Z_M / DS_M) + 2;
  const lateral = new Float64Array(nz);
  const row = new Float32Array(width * 3);
  // Sensor noise: a fixed table of normal samples (sigma 3 levels), read at a per-frame offset.
  const noise = new Float32Array(NOISE_LEN);
  for (let i = 0; i < NOISE_LEN; i++) noise[i] = rng.normal(0, 3);
  // Lighting: two slow sinusoids with seeded phases, plus a warm/cool tint drift.
  const phases = [rng.uniform(0, 2 * Math.PI), rng.uniform(0, 2 * Math.PI), rng.uniform(0, 2 * Math.PI)] as const;
  const jitter = rng.fork();
  const ground: Ground = { row, width, f, cx: width / 2, lateral };
  const skyline = opts.scenery ? createSkyline(profile, width, f) : null;

  return {
    render(index, state, out) {
      const clamped = new Uint8ClampedArray(out.buffer, out.byteOffset, width * height * 3);
      const gain = lightGain(index / fps, phases);
      // Small pitch bounce (road bumps), under half a pixel at 160 rows.
      const horizon = height * 0.42 + jitter.normal(0, 0.0025 * height);
      centrelineOffsets(profile, state.sM, lateral);
      const noiseOff = jitter.int(NOISE_LEN);
      skyline?.at(state.sM);
      for (let r = 0; r < height; r++) {
        const yc = r + 0.5;
        let fog = 1;
        let shade = 1;
        if (yc <= horizon + 0.5) {
          paintSkyRow(row, width, Math.max(0, Math.min(1, yc / horizon)));
          skyline?.paintRow(row, r, horizon);
        }
        else {
          const z = Math.min(MAX_Z_M, (f * CAM_HEIGHT_M) / (yc - horizon));
          shade = paintGroundRow(ground, z, state.sM + z);
          fog = Math.exp(-z / 70);
        }
        // Per row: out = row * (shade * fog * gain) + haze * (1 - fog) * gain + noise (Uint8ClampedArray view clamps and rounds).
        const a0 = shade * fog * gain[0], a1 = shade * fog * gain[1], a2 = shade * fog * gain[2];
        const b0 = HAZE[0] * (1 - fog) * gain[0], b1 = HAZE[1] * (1 - fog) * gain[1], b2 = HAZE[2] * (1 - fog) * gain[2];
        const base = r * width * 3;
        let ni = (noiseOff + r * 7919) & (NOISE_LEN - 1);
        for (let x = 0; x < width * 3; x += 3) {
          const nv = noise[ni];
          ni = (ni + 1) & (NOISE_LEN - 1);
          clamped[base + x] = row[x] * a0 + b0 + nv;
          clamped[base + x + 1] = row[x + 1] * a1 + b1 + nv;
          clamped[base + x + 2] = row[x + 2] * a2 + b2 + nv;
        }
      }
    },
  };
}

/** Per-channel (R, G, B) light gain at t seconds: brightness in [0.5, 1.2] and a warm/cool tint of up to 6%. */
function lightGain(t: number, ph: readonly [number, number, number]): number[] {
  const bright = Math.min(1.2, Math.max(0.5, 0.88 + 0.2 * Math.sin((2 * Math.PI * t) / 47 + ph[0]) + 0.07 * Math.sin((2 * Math.PI * t) / 13 + ph[1])));
  const warm = 0.06 * Math.sin((2 * Math.PI * t) / 71 + ph[2]);
  return [bright * (1 + warm), bright, bright * (1 - warm)];
}

/** Fills lateral[j] with the centreline's offset in metres at j * DS_M ahead of sM (small-angle integration of curvature). */
function centrelineOffsets(profile: RoadProfile, sM: number, lateral: Float64Array): void {
  let heading = 0;
  let y = 0;
  for (let j = 0; j < lateral.length; j++) {
    lateral[j] = y;
    heading += profile.at(sM + j * DS_M) * DS_M;
    y += heading * DS_M;
  }
}

/** Sky gradient from SKY_TOP (a = 0, top row) to SKY_LOW (a = 1, horizon). */
function paintSkyRow(row: Float32Array, width: number, a: number): void {
  for (let x = 0; x < width; x++) {
    const o = x * 3;
    row[o] = SKY_TOP[0] + (SKY_LOW[0] - SKY_TOP[0]) * a;
    row[o + 1] = SKY_TOP[1] + (SKY_LOW[1] - SKY_TOP[1]) * a;
    row[o + 2] = SKY_TOP[2] + (SKY_LOW[2] - SKY_TOP[2]) * a;
  }
}

/** What a ground row needs: the row buffer, the focal length and centre in pixels, the centreline offsets. */
interface Ground {
  row: Float32Array;
  width: number;
  f: number;
  cx: number;
  lateral: Float64Array;
}

/**
 * Paints the ground row at distance z metres (`along` metres down the road):
 * grass stripes, gravel, asphalt, edge lines and the dashed centre line.
 * Returns the row's shade (0.6 under a tree shadow, else 1).
 */
function paintGroundRow(g: Ground, z: number, along: number): number {
  const { row, width, f, cx, lateral } = g;
  const grass = Math.floor(along / 4) % 2 === 0 ? GRASS_A : GRASS_B;
  for (let x = 0; x < width; x++) {
    const o = x * 3;
    row[o] = grass[0];
    row[o + 1] = grass[1];
    row[o + 2] = grass[2];
  }
  const nz = lateral.length;
  const zi = z / DS_M;
  const i0 = Math.min(nz - 2, Math.floor(zi));
  const c = lateral[i0] + (lateral[i0 + 1] - lateral[i0]) * (zi - i0) - CAR_OFFSET_M;
  const px = f / z;
  const sx = (m: number) => cx + (c + m) * px;
  paintSpan(row, width, sx(-LANE_M - 0.6), sx(LANE_M + 0.6), GRAVEL);
  paintSpan(row, width, sx(-LANE_M), sx(LANE_M), ASPHALT);
  paintSpan(row, width, sx(-LANE_M + 0.1), sx(-LANE_M + 0.25), PAINT);
  paintSpan(row, width, sx(LANE_M - 0.25), sx(LANE_M - 0.1), PAINT);
  if (((along % 9) + 9) % 9 < 3) paintSpan(row, width, sx(-0.07), sx(0.07), PAINT);
  // Tree shadows across the road at seeded places along it.
  const cell = Math.floor(along / 23);
  return hash01(cell) < 0.35 && along - cell * 23 < 3.5 ? 0.6 : 1;
}

/** Blends colour c over pixels [a, b) of the row (fractional pixel coverage, so thin far lines do not flicker). */
function paintSpan(row: Float32Array, width: number, a: number, b: number, c: RGB, alpha = 1): void {
  const x0 = Math.max(0, Math.floor(a));
  const x1 = Math.min(width - 1, Math.ceil(b) - 1);
  for (let x = x0; x <= x1; x++) {
    const cov = alpha * (Math.min(x + 1, b) - Math.max(x, a));
    if (cov <= 0) continue;
    const o = x * 3;
    row[o] += (c[0] - row[o]) * cov;
    row[o + 1] += (c[1] - row[o + 1]) * cov;
    row[o + 2] += (c[2] - row[o + 2]) * cov;
  }
}

const HILL: RGB = [112, 138, 128];
const TREE: RGB = [46, 84, 52];
/** Angular width of a tree slot on the horizon, radians (about 3 degrees). */
const TREE_SLOT_RAD = 0.05;

/** Hill silhouette height above the horizon at world bearing b (radians), in radians of elevation: a few harmonics, periodic in 2 pi. */
function hillRad(b: number): number {
  return 0.06 + 0.025 * Math.sin(5 * b + 1.3) + 0.015 * Math.sin(13 * b + 4.1) + 0.008 * Math.sin(31 * b + 2.2);
}

/** Tree height at bearing b (radians of elevation, 0 off a tree): cones in hashed slots, continuous in b so they slide smoothly. */
function treeRad(b: number): number {
  const slots = Math.round((2 * Math.PI) / TREE_SLOT_RAD);
  const u = b / TREE_SLOT_RAD;
  const k = Math.floor(u);
  const slot = ((k % slots) + slots) % slots;
  if (hash01(slot + 7919) >= 0.4) return 0;
  const halfWidth = 0.3 + 0.15 * hash01(slot + 104729);
  const d = Math.abs(u - k - 0.5) / halfWidth;
  return d < 1 ? (0.03 + 0.06 * hash01(slot + 15485863)) * (1 - d) : 0;
}

/**
 * The distant scenery of one frame: per column, the hill and tree tops in
 * pixels above the horizon at the car's heading (the integral of road
 * curvature up to its arc position; the car follows the road).
 */
function createSkyline(profile: RoadProfile, width: number, f: number) {
  const hillPx = new Float64Array(width);
  const treePx = new Float64Array(width);
  // Heading (radians) at j * DS_M along the road, extended as the car drives.
  const heading: number[] = [0];
  const headingAt = (sM: number): number => {
    const x = sM / DS_M;
    // Trapezoid rule: the curvature at both ends of each step, so the heading does not trail the road by half a step.
    while (heading.length < x + 2) {
      const j = heading.length - 1;
      heading.push(heading[j] + 0.5 * (profile.at(j * DS_M) + profile.at((j + 1) * DS_M)) * DS_M);
    }
    const i = Math.floor(x);
    return heading[i] + (heading[i + 1] - heading[i]) * (x - i);
  };
  return {
    /** Sets the skyline for the car at arc position sM metres. */
    at(sM: number): void {
      const psi = headingAt(sM);
      for (let x = 0; x < width; x++) {
        const b = psi + Math.atan((x + 0.5 - width / 2) / f);
        hillPx[x] = f * Math.tan(hillRad(b));
        treePx[x] = f * Math.tan(treeRad(b));
      }
    },
    /** Paints hills, then trees, over sky row r (pixel rows above `horizon`), with fractional vertical coverage. */
    paintRow(row: Float32Array, r: number, horizon: number): void {
      for (let x = 0; x < width; x++) {
        const o = x * 3;
        for (const [px, c] of [[hillPx[x], HILL], [treePx[x], TREE]] as const) {
          const cov = px > 0 ? Math.max(0, Math.min(1, r + 1 - Math.max(r, horizon - px))) : 0;
          if (cov <= 0) continue;
          row[o] += (c[0] - row[o]) * cov;
          row[o + 1] += (c[1] - row[o + 1]) * cov;
          row[o + 2] += (c[2] - row[o + 2]) * cov;
        }
      }
    },
  };
}
