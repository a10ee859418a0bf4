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

export function createRenderer(width: number, height: number, fps: number, profile: RoadProfile, rng: Rng): Renderer {
  const f = width / 2 / Math.tan(HFOV_RAD / 2);
  const cx = width / 2;
  const nz = Math.ceil(MAX_Z_M / DS_M) + 2;
  const lateral = new Float64Array(nz);
  const row = new Float32Array(width * 3);
  // Sensor noise: a fixed table of normal samples (sigma 3 levels), read at a per-frame offset.
  const noise = new Float32Array(NOISE_LEN);
  for (let i = 0; i < NOISE_LEN; i++) noise[i] = rng.normal(0, 3);
  // Lighting: two slow sinusoids with seeded phases, plus a warm/cool tint drift.
  const ph1 = rng.uniform(0, 2 * Math.PI);
  const ph2 = rng.uniform(0, 2 * Math.PI);
  const ph3 = rng.uniform(0, 2 * Math.PI);
  const jitter = rng.fork();

  function span(a: number, b: number, c: RGB, alpha = 1): void {
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

  return {
    render(index, state, out) {
      const clamped = new Uint8ClampedArray(out.buffer, out.byteOffset, width * height * 3);
      const t = index / fps;
      const bright = Math.min(1.2, Math.max(0.5, 0.88 + 0.2 * Math.sin((2 * Math.PI * t) / 47 + ph1) + 0.07 * Math.sin((2 * Math.PI * t) / 13 + ph2)));
      const warm = 0.06 * Math.sin((2 * Math.PI * t) / 71 + ph3);
      const gain = [bright * (1 + warm), bright, bright * (1 - warm)];
      // Small pitch bounce (road bumps), under half a pixel at 160 rows.
      const horizon = height * 0.42 + jitter.normal(0, 0.0025 * height);
      // Lateral offset of the centreline at each distance ahead (small-angle integration of curvature).
      let heading = 0;
      let y = 0;
      for (let j = 0; j < nz; j++) {
        lateral[j] = y;
        heading += profile.at(state.sM + j * DS_M) * DS_M;
        y += heading * DS_M;
      }
      const noiseOff = jitter.int(NOISE_LEN);
      for (let r = 0; r < height; r++) {
        const yc = r + 0.5;
        let fog = 1;
        let shade = 1;
        if (yc <= horizon + 0.5) {
          const a = Math.max(0, Math.min(1, yc / horizon));
          for (let x = 0; x < width; x++) {
            const o = x * 3;
            row[o] = SKY_TOP[0] + (SKY_LOW[0] - SKY_TOP[0]) * a;
            row[o + 1] = SKY_TOP[1] + (SKY_LOW[1] - SKY_TOP[1]) * a;
            row[o + 2] = SKY_TOP[2] + (SKY_LOW[2] - SKY_TOP[2]) * a;
          }
        } else {
          const z = Math.min(MAX_Z_M, (f * CAM_HEIGHT_M) / (yc - horizon));
          const along = state.sM + z;
          const g = Math.floor(along / 4) % 2 === 0 ? GRASS_A : GRASS_B;
          for (let x = 0; x < width; x++) {
            const o = x * 3;
            row[o] = g[0];
            row[o + 1] = g[1];
            row[o + 2] = g[2];
          }
          const zi = z / DS_M;
          const i0 = Math.min(nz - 2, Math.floor(zi));
          const c = lateral[i0] + (lateral[i0 + 1] - lateral[i0]) * (zi - i0) - CAR_OFFSET_M;
          const px = f / z;
          const sx = (m: number) => cx + (c + m) * px;
          span(sx(-LANE_M - 0.6), sx(LANE_M + 0.6), GRAVEL);
          span(sx(-LANE_M), sx(LANE_M), ASPHALT);
          span(sx(-LANE_M + 0.1), sx(-LANE_M + 0.25), PAINT);
          span(sx(LANE_M - 0.25), sx(LANE_M - 0.1), PAINT);
          if (((along % 9) + 9) % 9 < 3) span(sx(-0.07), sx(0.07), PAINT);
          // Tree shadows across the road at seeded places along it.
          const cell = Math.floor(along / 23);
          if (hash01(cell) < 0.35 && along - cell * 23 < 3.5) shade = 0.6;
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
