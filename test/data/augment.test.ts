import { describe, expect, it } from 'vitest';
import { AugmentConfig, augmentInPlace, brightnessContrastInPlace, flipHorizontalInPlace, shiftHorizontalInPlace } from '../../src/data/augment.ts';
import { createRng, type Rng } from '../../src/rng.ts';

function image(h: number, w: number, c: number, seed = 3): Float32Array {
  const r = createRng(seed);
  return Float32Array.from({ length: h * w * c }, () => r.next());
}

/** An Rng whose next() values are scripted (flip decisions), the rest from a real generator. */
function scripted(nexts: number[], ints: number[] = []): Rng {
  const base = createRng(1);
  return { ...base, next: () => nexts.shift() ?? base.next(), int: (n) => ints.shift() ?? base.int(n) };
}

describe('augmentation', () => {
  it('flip twice is the identity, and flip mirrors columns', () => {
    const img = image(3, 5, 3);
    const copy = img.slice();
    flipHorizontalInPlace(img, 3, 5, 3);
    // pixel (y=1, x=0) now holds the old (y=1, x=4)
    expect(Array.from(img.slice((1 * 5 + 0) * 3, (1 * 5 + 0) * 3 + 3))).toEqual(Array.from(copy.slice((1 * 5 + 4) * 3, (1 * 5 + 4) * 3 + 3)));
    flipHorizontalInPlace(img, 3, 5, 3);
    expect(Array.from(img)).toEqual(Array.from(copy));
  });

  it('a flip negates the angle; two flips give the angle and the image back', () => {
    const cfg = AugmentConfig.parse({ flip: true, brightness: 0, contrast: 0 });
    const img = image(4, 6, 3);
    const copy = img.slice();
    const a1 = augmentInPlace(img, 4, 6, 3, 12.5, cfg, scripted([0.1]));
    expect(a1).toBe(-12.5);
    const a2 = augmentInPlace(img, 4, 6, 3, a1, cfg, scripted([0.1]));
    expect(a2).toBe(12.5);
    expect(Array.from(img)).toEqual(Array.from(copy));
    // No flip when the draw is >= 0.5.
    expect(augmentInPlace(img, 4, 6, 3, 12.5, cfg, scripted([0.7]))).toBe(12.5);
  });

  it('a shift to the right asks for steering right: angle + s * shiftDegPerPx', () => {
    const cfg = AugmentConfig.parse({ flip: false, brightness: 0, contrast: 0, shiftPx: 4, shiftDegPerPx: 0.5 });
    // int(9) = 7 -> s = 7 - 4 = +3 px (right): +1.5 deg; int(9) = 0 -> s = -4: -2 deg.
    const img = image(2, 8, 1);
    const copy = img.slice();
    expect(augmentInPlace(img, 2, 8, 1, 10, cfg, scripted([], [7]))).toBe(11.5);
    expect(img[3]).toBe(copy[0]); // column 3 shows the old column 0
    expect(img[0]).toBe(copy[0]); // edge repeated into the uncovered side
    expect(augmentInPlace(image(2, 8, 1), 2, 8, 1, 10, cfg, scripted([], [0]))).toBe(8);
  });

  it('shiftHorizontalInPlace moves content left for negative shifts', () => {
    const img = Float32Array.from([0, 1, 2, 3]);
    shiftHorizontalInPlace(img, 1, 4, 1, -1);
    expect(Array.from(img)).toEqual([1, 2, 3, 3]);
  });

  it('brightness/contrast: hand-computed values, clamped to [0, 1]', () => {
    const img = Float32Array.from([0.2, 0.4, 0.6, 0.8]); // mean 0.5
    brightnessContrastInPlace(img, 0.1, 2);
    // (0.2-0.5)*2+0.5+0.1 = 0 ; 0.4 ; 0.8 ; 1.2 -> 1
    expect(Array.from(img).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0, 0.4, 0.8, 1]);
  });

  it('is deterministic per seed and keeps values in [0, 1]', () => {
    const cfg = AugmentConfig.parse({ shiftPx: 3, shiftDegPerPx: 1 });
    const run = (seed: number) => {
      const img = image(6, 10, 3);
      const rng = createRng(seed);
      const angles = [0, 1, 2].map((k) => augmentInPlace(img, 6, 10, 3, 5 + k, cfg, rng));
      return { img, angles };
    };
    const a = run(5);
    const b = run(5);
    expect(a.angles).toEqual(b.angles);
    expect(Array.from(a.img)).toEqual(Array.from(b.img));
    expect(Math.min(...a.img)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a.img)).toBeLessThanOrEqual(1);
    expect(run(6).angles).not.toEqual(a.angles);
  });
});
