/**
 * TrainingData over arrays already in memory (studies, tests, small tabular
 * sets). No augmentation: the rng argument of batch() is ignored.
 */
import type { Batch, SampleSource, TrainingData } from './data.ts';

/** A SampleSource over rows of `x` (each `sampleSize` floats) and angles in degrees. */
export function arraySource(x: Float32Array, anglesDeg: Float32Array, sampleSize: number): SampleSource {
  const size = anglesDeg.length;
  if (x.length !== size * sampleSize) throw new Error(`arraySource: ${x.length} inputs for ${size} samples of ${sampleSize}`);
  return {
    size,
    anglesDeg,
    async batch(indices: ArrayLike<number>): Promise<Batch> {
      const n = indices.length;
      const bx = new Float32Array(n * sampleSize);
      const by = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const j = indices[i];
        bx.set(x.subarray(j * sampleSize, (j + 1) * sampleSize), i * sampleSize);
        by[i] = anglesDeg[j];
      }
      return { x: bx, yDeg: by, size: n };
    },
  };
}

/** Splits arrays into train (first part) and validation (last valFraction) TrainingData. */
export function arrayTrainingData(x: Float32Array, anglesDeg: Float32Array, inputShape: [number, number, number], valFraction: number): TrainingData {
  const sampleSize = inputShape[0] * inputShape[1] * inputShape[2];
  const n = anglesDeg.length;
  const nVal = Math.max(1, Math.round(n * valFraction));
  const nTrain = n - nVal;
  return {
    inputShape,
    train: arraySource(x.subarray(0, nTrain * sampleSize), anglesDeg.subarray(0, nTrain), sampleSize),
    val: arraySource(x.subarray(nTrain * sampleSize), anglesDeg.subarray(nTrain), sampleSize),
  };
}
