/** Targets: transforms between degrees and training targets, and metrics in degrees. */
export { createTargetTransform, transformFromParams, mapArray, type TargetTransform } from './transform.ts';
export { metricsDeg, evaluateDeg, finiteMean, angleBins, STRAIGHT_DEG, type AngleBin } from './metrics.ts';
