/**
 * The one translation of the lab's experiment events into contract push
 * events (and of an experiment's ending into `experiment.finished`), so the
 * IPC and WebSocket front ends say the same thing about the same run. It is
 * a pass-through: each lab event goes out as its contract event with the
 * experiment's id, keeping the lab's statuses and failure reasons (the
 * contract's schemas pick what crosses: folders and grid cells stay here).
 */
import { events, type HandlerContext } from '../../contract/index.ts';
import type { ExperimentEvent } from '../../experiments/events.ts';
import type { ExperimentSummary } from '../../experiments/types.ts';

/** What the translation remembers across the events of one experiment. */
export interface ExperimentEventState {
  experimentId: string | null;
  /** The runs it started, in order. */
  runIds: string[];
}

/** A fresh state for one experiment. */
export function experimentEventState(): ExperimentEventState {
  return { experimentId: null, runIds: [] };
}

/** Emits the contract events for one lab experiment event. */
export function forwardExperimentEvent(e: ExperimentEvent, s: ExperimentEventState, emit: HandlerContext['emit']): void {
  const ex = s.experimentId ?? '';
  switch (e.type) {
    case 'experiment-started':
      s.experimentId = e.experimentId;
      break;
    case 'dataset-progress':
      emit('progress', { task: 'decode', experimentId: ex, done: e.done, total: e.total, etaS: e.etaS, message: `decoding ${e.done}/${e.total} frames` });
      break;
    case 'run-started':
      s.runIds.push(e.runId);
      emit('run.started', events['run.started'].parse(e));
      break;
    case 'run-event': {
      const t = e.event;
      const ref = { experimentId: ex, runId: e.runId };
      if (t.type === 'step') emit('run.step', { ...ref, step: t });
      else if (t.type === 'diagnostics') emit('run.diagnostics', { ...ref, snapshot: t.snapshot });
      else if (t.type === 'epoch') emit('run.epoch', { ...ref, epoch: t });
      else if (t.type === 'finding') emit('run.finding', { ...ref, finding: t.finding });
      break;
    }
    case 'run-finished':
      // Every ending (completed, stopped-early, diverged, cancelled, failed): result.status and result.error say which and why.
      emit('run.finished', events['run.finished'].parse({ ...e, experimentId: ex }));
      break;
    case 'progress':
      emit('progress', { task: 'train', experimentId: ex, done: e.runsDone, total: e.runsTotal, etaS: e.etaS, message: `run ${Math.min(e.runsDone + 1, e.runsTotal)} of ${e.runsTotal}, ${(e.fraction * 100).toFixed(0)}% of all steps` });
      break;
    default:
      break;
  }
}

/** How an experiment ended: its summary, or the error that stopped it. */
export type ExperimentOutcome =
  | { summary: ExperimentSummary }
  | { error: Error; cancelled: boolean };

/** Emits `experiment.finished` with the experiment's own status and, when it failed, the reason. */
export function emitExperimentFinished(outcome: ExperimentOutcome, s: ExperimentEventState, emit: HandlerContext['emit']): void {
  if ('summary' in outcome) {
    const { summary } = outcome;
    emit('experiment.finished', { experimentId: summary.experimentId, status: summary.status, runIds: summary.runs.flatMap((r) => (r.runId ? [r.runId] : [])), error: summary.error });
    return;
  }
  // runExperiment threw (its record says 'failed', or it was cancelled): a run it had started ends with it (see renderer live state).
  const { error: err, cancelled } = outcome;
  if (s.experimentId) emit('experiment.finished', { experimentId: s.experimentId, status: cancelled ? 'cancelled' : 'failed', runIds: s.runIds, error: cancelled ? null : err.message });
}
