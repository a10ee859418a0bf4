/**
 * Everything a run needs before its first step: the parsed config, the
 * engine, a check that the model fits the data, the target transform, the
 * model, the optimizer and the step counts. Nothing here changes during
 * the run (the run's changing numbers are in loop-state.ts).
 */
import { initEngine, type EngineInfo } from '../engine/index.ts';
import { UserError } from '../errors.ts';
import { createRegressor } from '../model/index.ts';
import type { Regressor } from '../model/types.ts';
import { angleBins, finiteMean } from '../targets/metrics.ts';
import { createTargetTransform, type TargetTransform } from '../targets/transform.ts';
import { RunConfig } from './config.ts';
import type { TrainingData } from './data.ts';
import { createOptimizer, type Optimizer } from './optimizer.ts';
import type { TrainOptions } from './run-types.ts';
import type { ScheduleContext } from './schedule.ts';

export interface PreparedRun {
  cfg: RunConfig;
  engine: EngineInfo;
  data: TrainingData;
  model: Regressor;
  opt: Optimizer;
  target: TargetTransform;
  /** Training angles in target units (for the findings). */
  trainTargets: Float32Array;
  /** Mean training angle, degrees: the mean baseline of the metrics. */
  trainMeanDeg: number;
  bins: ReturnType<typeof angleBins>;
  trunkNames: string[];
  stepsPerEpoch: number;
  /** For learningRateAt: total steps and steps per epoch. */
  schedule: ScheduleContext;
  /** performance.now() when the run started, ms. */
  startedAt: number;
}

/** Throws UserError when the model's input does not fit the data or a split is empty. */
function checkFits(cfg: RunConfig, data: TrainingData): void {
  const [H, W, C] = data.inputShape;
  const mc = cfg.model;
  if (mc.arch === 'pilotnet' && (mc.input.height !== H || mc.input.width !== W || mc.input.channels !== C)) {
    throw new UserError(`model input ${mc.input.height}x${mc.input.width}x${mc.input.channels} does not match the data's ${H}x${W}x${C}; set model.input to the data's frame size`);
  }
  if (mc.arch === 'mlp' && mc.input.height * mc.input.width * mc.input.channels !== H * W * C) {
    throw new UserError(`mlp input has ${mc.input.width * mc.input.height * mc.input.channels} features but the data has ${H * W * C}`);
  }
  if (data.train.size === 0 || data.val.size === 0) throw new UserError(`need training and validation samples (got ${data.train.size} and ${data.val.size})`);
}

/** Prepares one run. Throws UserError for a config that does not fit the data. */
export async function prepareRun(o: TrainOptions): Promise<PreparedRun> {
  const cfg = RunConfig.parse(o.config);
  const startedAt = performance.now();
  const engine = await initEngine(cfg.engine);
  const { data } = o;
  checkFits(cfg, data);
  const target = createTargetTransform(cfg.targets, data.train.anglesDeg);
  const model = createRegressor(cfg.model, cfg.seed);
  const opt = createOptimizer(cfg.optimizer);
  const fullSteps = Math.ceil(data.train.size / cfg.batchSize);
  const stepsPerEpoch = cfg.maxStepsPerEpoch > 0 ? Math.min(fullSteps, cfg.maxStepsPerEpoch) : fullSteps;
  return {
    cfg, engine, data, model, opt, target,
    trainTargets: Float32Array.from(data.train.anglesDeg, (d) => target.toTarget(d)),
    trainMeanDeg: finiteMean(data.train.anglesDeg),
    bins: angleBins(data.train.anglesDeg),
    trunkNames: model.plan.trunk.map((l) => l.name),
    stepsPerEpoch,
    schedule: { totalSteps: cfg.epochs * stepsPerEpoch, stepsPerEpoch },
    startedAt,
  };
}
