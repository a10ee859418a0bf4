/**
 * Pre-flight checks of the PyTorch mirror against the lab's own code, run
 * before any training (one short Python call, see reference.py's probe mode):
 *
 * - augmentation: reference.py augments a few training frames and reports
 *   the flips, shifts, brightness and contrast it drew; the lab's
 *   augmentInPlace (src/data/augment.ts), fed those same draws, must give
 *   the same model inputs (pixels, after the input normalisation) and the
 *   same corrected angles. A flip that forgets to negate the angle, a shift
 *   the wrong way or another contrast formula fails here.
 * - forward pass: reference.py loads the lab's exported weights
 *   (model/weights.bin) and predicts a few validation frames; they must
 *   match the lab's own val-predictions.json. Padding, flatten order,
 *   activations, heads, input normalisation and the degrees transform all
 *   have to agree for that.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { augmentInPlace } from '../data/augment.ts';
import type { Rng } from '../rng.ts';
import type { ForwardCheck, JobDataset, ProbeSpec, ReferenceJob } from './job.ts';

/** Frames per check: enough that both flip outcomes occur (a miss has probability 2^-15), few enough to cost nothing. */
export const CHECK_SAMPLES = 16;
/** Largest pixel difference accepted (model input units): float32 rounding, far below one grey level (1/255). */
const PIXEL_TOL = 1e-4;
/** Angles are float64 on both sides. */
const ANGLE_TOL_DEG = 1e-6;

export interface ProbeResult {
  outPath: string;
  flip: boolean[];
  shift: number[];
  brightness: number[];
  contrast: number[];
  anglesDeg: number[];
}

/** `count` positions spread evenly over a list (all of it when shorter). */
export function spread<T>(xs: readonly T[], count: number): T[] {
  if (xs.length <= count) return [...xs];
  return Array.from({ length: count }, (_, i) => xs[Math.floor((i * xs.length) / count)]);
}

/** Probe entries for each distinct (data set, augmentation, input normalisation) of the job's runs. */
export function probeSpecs(job: ReferenceJob, outPath: (i: number) => string, seed = 1): ProbeSpec[] {
  const seen = new Set<string>();
  const out: ProbeSpec[] = [];
  for (const r of job.runs) {
    const key = JSON.stringify([r.dataset, r.augment, r.inputNorm]);
    if (seen.has(key)) continue;
    seen.add(key);
    const d = job.datasets[r.dataset];
    const finite = d.trainPositions.map((p, i) => ({ p, a: d.trainAnglesDeg[i] })).filter((x): x is { p: number; a: number } => x.a !== null);
    const picked = spread(finite, CHECK_SAMPLES);
    out.push({ dataset: r.dataset, positions: picked.map((x) => x.p), anglesDeg: picked.map((x) => x.a), seed, augment: r.augment, inputNorm: r.inputNorm, outPath: outPath(out.length) });
  }
  return out;
}

/** Reads records of a frames file with positioned reads (uint8 HWC each). */
export function readRecords(d: JobDataset, positions: number[]): Uint8Array[] {
  const per = d.height * d.width * d.channels;
  const fd = openSync(d.framesPath, 'r');
  try {
    return positions.map((p) => {
      const buf = new Uint8Array(per);
      const n = readSync(fd, buf, 0, per, p * per);
      if (n !== per) throw new Error(`${d.framesPath}: record ${p} is short (${n} of ${per} bytes)`);
      return buf;
    });
  } finally {
    closeSync(fd);
  }
}

/** An Rng that replays given draws to augmentInPlace: next() decides the flip, int() the shift, uniform() brightness then contrast. */
function replayRng(flip: boolean, shiftIndex: number, uniforms: number[]): Rng {
  const queue = [...uniforms];
  const rng: Rng = {
    next: () => (flip ? 0.25 : 0.75),
    int: () => shiftIndex,
    uniform: (lo, hi) => {
      const v = queue.shift();
      if (v === undefined || v < lo - 1e-12 || v > hi + 1e-12) throw new Error(`reference.py drew ${v} where the lab draws from [${lo}, ${hi}]`);
      return v;
    },
    normal: () => {
      throw new Error('augmentation draws no normals');
    },
    fork: () => rng,
  };
  return rng;
}

/**
 * Compares one probe with the lab's augmentation of the same frames.
 * Returns null when they agree, else a sentence naming the first difference.
 */
export function compareProbe(spec: ProbeSpec, d: JobDataset, r: ProbeResult): string | null {
  const { height: h, width: w, channels: c } = d;
  const per = h * w * c;
  const bytes = readFileSync(r.outPath);
  // A small Buffer may sit inside Node's shared pool: copy exactly its own bytes (little-endian float32, as numpy wrote them).
  const got = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  if (got.length !== spec.positions.length * per) return `${r.outPath} holds ${got.length} values, expected ${spec.positions.length * per}`;
  const frames = readRecords(d, spec.positions);
  const a = spec.augment;
  for (let j = 0; j < spec.positions.length; j++) {
    const img = Float32Array.from(frames[j], (v) => v / 255);
    const uniforms = [...(a.brightness > 0 ? [r.brightness[j]] : []), ...(a.contrast > 0 ? [r.contrast[j]] : [])];
    const angle = augmentInPlace(img, h, w, c, spec.anglesDeg[j], a, replayRng(r.flip[j], r.shift[j] + a.shiftPx, uniforms));
    if (Math.abs(angle - r.anglesDeg[j]) > ANGLE_TOL_DEG) {
      return `sample ${j} (flip ${r.flip[j]}, shift ${r.shift[j]} px): the lab's angle is ${angle}°, reference.py's ${r.anglesDeg[j]}°`;
    }
    const centred = spec.inputNorm === 'centered';
    let worst = 0;
    let at = 0;
    for (let i = 0; i < per; i++) {
      // The lab centres inside the model (src/model/index.ts): 2x - 1 of the augmented [0, 1] pixel.
      const want = centred ? img[i] * 2 - 1 : img[i];
      const diff = Math.abs(want - got[j * per + i]);
      if (diff > worst) [worst, at] = [diff, i];
    }
    if (worst > PIXEL_TOL) {
      return `sample ${j} (flip ${r.flip[j]}, shift ${r.shift[j]} px, brightness ${r.brightness[j]}, contrast ${r.contrast[j]}): model input differs by ${worst.toExponential(2)} at value ${at}`;
    }
  }
  return null;
}

/** Forward checks for the runs that saved their model, on a few validation frames with finite angles. */
export function forwardChecks(job: ReferenceJob, models: ({ weightsPath: string; manifest: ForwardCheck['manifest'] } | null)[]): ForwardCheck[] {
  const out: ForwardCheck[] = [];
  job.runs.forEach((r, i) => {
    const m = models[i];
    if (!m) return;
    const d = job.datasets[r.dataset];
    const idx = spread(d.valPositions.map((_, k) => k), CHECK_SAMPLES);
    out.push({ run: i, valIndex: idx, positions: idx.map((k) => d.valPositions[k]), weightsPath: m.weightsPath, manifest: m.manifest });
  });
  return out;
}

/**
 * Tolerance of a forward check in degrees: val-predictions.json rounds to
 * 0.001 deg, and float32 arithmetic in two engines differs by ~1e-6 of the
 * output in target units, times the transform's scale (degrees per unit),
 * plus a relative 1e-5 of large predictions.
 */
export function forwardTolDeg(scale: number, predDeg: number): number {
  return 2e-3 + 1e-4 * Math.abs(scale) + 1e-5 * Math.abs(predDeg);
}
