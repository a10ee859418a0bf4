/**
 * A pluggable gradient computation (ENGINE supplies a worker-thread pool).
 * The trainer's default is in-process (train/step.ts).
 */
export interface GradientProvider {
  /**
   * Loss and gradients for one batch at the given weights.
   * weights: aligned with Regressor.variables (getWeights order);
   * x: n inputs, flattened NHWC (or n x features); yTarget: n targets in target units.
   * Returns grads aligned with weights. The loss is the same weighted total as lossAndGrads.
   */
  compute(weights: Float32Array[], x: Float32Array, yTarget: Float32Array, n: number): Promise<{ loss: number; grads: Float32Array[] }>;
  dispose(): void;
}
