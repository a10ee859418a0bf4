/**
 * A run's epoch checkpoints: what is saved at an epoch's end (weights,
 * buffers, optimizer slots, the last validation and the run's history) and
 * how a resumed run gets its state back from them.
 */
import type { DiagnosticsSnapshot } from '../diagnostics/types.ts';
import { UserError } from '../errors.ts';
import { chunk } from './batching.ts';
import { readCheckpoint, writeCheckpoint } from './checkpoint.ts';
import type { EpochEvent } from './events.ts';
import type { LastEval, RunState } from './loop-state.ts';
import type { PreparedRun } from './prepare.ts';

/** The run state a checkpoint's meta carries (next to the tensors). */
type SavedState = {
  iterations: number;
  last: Omit<LastEval, 'predDeg' | 'trueDeg'> | null;
  bestVal: { epoch: number; valLoss: number } | null;
  epochs: EpochEvent[];
  snapshots: DiagnosticsSnapshot[];
  loggedLoss: number[];
  stoppedEarly: boolean;
  /** The wasm kernel build that computed the run so far (absent: another engine, or written before builds were recorded). */
  kernels?: string;
};

/** A warning when the run so far was computed by another wasm kernel build than this process runs. */
function kernelsWarning(saved: string | undefined, now: string | undefined): string | null {
  if (!saved || !now || saved === now) return null;
  return `the checkpoint was computed with the ${saved} kernel build and this process runs ${now}: the resumed run's numbers will differ slightly from an uninterrupted run's (set STEERLAB_WASM_KERNELS=${saved} to repeat it exactly)`;
}

/**
 * Loads runDir's last checkpoint, if any, into the model, the optimizer and
 * st. Throws UserError (after disposing the model) when it was written for
 * another model. Returns null when there is none, else the warning to show
 * when the latest checkpoint was damaged and the previous one was used, or
 * when it was computed with another wasm kernel build.
 */
export async function restoreRun(p: PreparedRun, st: RunState, runDir: string): Promise<{ warning: string | null } | null> {
  const ck = await readCheckpoint(runDir);
  if (!ck) return null;
  const s = ck.meta.state as SavedState;
  try {
    p.model.setWeights(ck.groups.weights);
    p.model.setBuffers(ck.groups.buffers);
  } catch (err) {
    p.model.dispose();
    throw new UserError(`the checkpoint in ${runDir} was written for a different model (${(err as Error).message}); resume with the run's own config.json`);
  }
  p.opt.setState({ iterations: s.iterations, slots: ck.groups.slots.length ? chunk(ck.groups.slots, p.opt.name === 'adam' ? 2 : 1) : [] });
  st.step = ck.meta.step;
  st.firstEpoch = ck.meta.rng.nextEpoch;
  st.epochs = s.epochs;
  st.snapshots = s.snapshots;
  st.loggedLoss = s.loggedLoss;
  if (s.last && ck.groups.valPred?.length) st.last = { ...s.last, predDeg: ck.groups.valPred[0], trueDeg: ck.groups.valTrue[0] };
  st.bestVal = s.bestVal ?? null;
  if (s.stoppedEarly) st.status = 'stopped-early';
  const warnings = [ck.fellBack ?? null, kernelsWarning(s.kernels, p.engine.kernels)].filter((w): w is string => w !== null);
  return { warning: warnings.length ? warnings.join('; ') : null };
}

/** Writes the checkpoint of the epoch just validated (st.last is that epoch's); returns its path. */
export async function saveRunCheckpoint(p: PreparedRun, st: RunState, runDir: string, epoch: number): Promise<string> {
  const os = p.opt.getState();
  const last = st.last!;
  const state: SavedState = {
    iterations: os.iterations, epochs: st.epochs, snapshots: st.snapshots, loggedLoss: st.loggedLoss, stoppedEarly: st.status === 'stopped-early',
    last: { epoch: last.epoch, val: last.val }, bestVal: st.bestVal, ...(p.engine.kernels ? { kernels: p.engine.kernels } : {}),
  };
  return writeCheckpoint(
    runDir,
    { epoch, step: st.step, rng: { seed: p.cfg.seed, nextEpoch: epoch + 1, nextStep: st.step }, state },
    { weights: p.model.getWeights(), buffers: p.model.getBuffers(), slots: os.slots.flat(), valPred: [last.predDeg], valTrue: [last.trueDeg] },
  );
}
