import { createRng } from '../../src/rng.ts';
import { arrayTrainingData } from '../../src/train/memory-data.ts';

/** y = 60 deg * (x . w) + noise: a learnable linear steering task, 4 features. */
export function linearTask(n = 240, seed = 1) {
  const rng = createRng(seed);
  const w = [1.2, -0.7, 0.5, 0.9];
  const x = new Float32Array(n * 4);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < 4; k++) {
      const v = rng.normal();
      x[i * 4 + k] = v;
      s += v * w[k];
    }
    y[i] = 60 * s + rng.normal(0, 2);
  }
  return arrayTrainingData(x, y, [1, 4, 1], 0.25);
}

/** Tiny images (12x16x3) whose steering angle is the horizontal position of a bright bar. */
export function barImages(n = 48, seed = 2) {
  const rng = createRng(seed);
  const H = 12, W = 16, C = 3;
  const x = new Float32Array(n * H * W * C);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const col = rng.int(W);
    y[i] = ((col - (W - 1) / 2) / ((W - 1) / 2)) * 200;
    for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) for (let k = 0; k < C; k++) {
      x[((i * H + r) * W + c) * C + k] = (Math.abs(c - col) <= 1 ? 0.9 : 0.1) + rng.uniform(-0.05, 0.05);
    }
  }
  return arrayTrainingData(x, y, [H, W, C], 0.25);
}
