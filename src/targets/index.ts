/** Targets: transforms between degrees and training targets, and metrics in degrees. */
export { createTargetTransform, transformFromParams, mapArray, type TargetTransform } from './transform.ts';
export { metricsDeg, evaluateDeg, finiteMean, ANGLE_BINS } from './metrics.ts';
