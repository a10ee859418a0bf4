/**
 * Learning-rate schedules as pure functions of the global step (nanoGPT's
 * get_lr style): the trainer asks for the rate before every update.
 */
import type { OptimizerConfig } from './config.ts';

export interface ScheduleContext {
  /** Steps in the whole run (epochs x steps per epoch). */
  totalSteps: number;
  stepsPerEpoch: number;
}

/**
 * Learning rate at `step` (0-based):
 * - linear warm-up from lr/warmupSteps to lr over the first warmupSteps steps (any schedule);
 * - constant: lr;
 * - cosine: from lr down to lrMin along half a cosine between the end of warm-up and totalSteps;
 * - step: lr * gamma^floor(epoch / stepEvery).
 */
export function learningRateAt(step: number, cfg: OptimizerConfig, ctx: ScheduleContext): number {
  const lr = cfg.learningRate;
  if (cfg.warmupSteps > 0 && step < cfg.warmupSteps) return (lr * (step + 1)) / cfg.warmupSteps;
  switch (cfg.schedule) {
    case 'constant':
      return lr;
    case 'cosine': {
      const span = Math.max(1, ctx.totalSteps - cfg.warmupSteps);
      const p = Math.min(1, Math.max(0, (step - cfg.warmupSteps) / span));
      return cfg.lrMin + 0.5 * (lr - cfg.lrMin) * (1 + Math.cos(Math.PI * p));
    }
    case 'step': {
      const epoch = Math.floor(step / Math.max(1, ctx.stepsPerEpoch));
      return lr * cfg.gamma ** Math.floor(epoch / cfg.stepEvery);
    }
  }
}
