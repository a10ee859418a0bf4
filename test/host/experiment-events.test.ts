/**
 * The lab's experiment events reach the app as they are: the run's own
 * result (status and failure reason) and the experiment's record status.
 */
import { describe, expect, it } from 'vitest';
import { eventMessage, type EventMessage, type HandlerContext } from '../../src/contract/index.ts';
import { emitExperimentFinished, experimentEventState, forwardExperimentEvent } from '../../src/host/backend/experiment-events.ts';
import type { RunResult } from '../../src/train/events.ts';
import { RunConfig } from '../../src/train/config.ts';
import type { ExperimentSummary } from '../../src/experiments/types.ts';

const result = (status: RunResult['status'], error: string | null): RunResult => ({
  status, engine: 'wasm', epochs: 1, steps: 2, wallTimeS: 1, paramCount: 10, bestEpoch: null, selection: 'last-epoch', val: null, findings: [], error,
});

/** An emit that validates like the backend host does, and keeps what went out. */
function recorder(): { sent: EventMessage[]; emit: HandlerContext['emit'] } {
  const sent: EventMessage[] = [];
  return { sent, emit: (name, payload) => sent.push(eventMessage(name, payload)) };
}

describe('experiment events to the contract', () => {
  it("forwards a failed run's result with its reason, and the experiment's record status and error", () => {
    const { sent, emit } = recorder();
    const s = experimentEventState();
    forwardExperimentEvent({ type: 'experiment-started', experimentId: 'e1', dir: '/ws/e1', runs: [] }, s, emit);
    forwardExperimentEvent({ type: 'run-finished', runId: 'r1', index: 0, result: result('failed', 'labels.csv: no steering column') }, s, emit);
    const summary = { experimentId: 'e1', status: 'failed', error: 'every run failed', runs: [{ runId: 'r1' }] } as unknown as ExperimentSummary;
    emitExperimentFinished({ summary }, s, emit);
    expect(sent.map((m) => [m.name, m.payload])).toEqual([
      ['run.finished', { experimentId: 'e1', runId: 'r1', result: result('failed', 'labels.csv: no steering column') }],
      ['experiment.finished', { experimentId: 'e1', status: 'failed', runIds: ['r1'], error: 'every run failed' }],
    ]);
  });

  it('ends an experiment that threw with its reason, or as cancelled without one', () => {
    const { sent, emit } = recorder();
    const s = experimentEventState();
    forwardExperimentEvent({ type: 'experiment-started', experimentId: 'e2', dir: '/ws/e2', runs: [] }, s, emit);
    emitExperimentFinished({ error: new Error('disk full'), cancelled: false }, s, emit);
    emitExperimentFinished({ error: new Error('stopped'), cancelled: true }, s, emit);
    expect(sent.map((m) => m.payload)).toEqual([
      { experimentId: 'e2', status: 'failed', runIds: [], error: 'disk full' },
      { experimentId: 'e2', status: 'cancelled', runIds: [], error: null },
    ]);
  });
});

describe('what crosses', () => {
  it("sends a run's contract fields only, even where nothing re-validates the payload (a re-attach's history)", () => {
    const payloads: unknown[] = [];
    const s = experimentEventState();
    const config = RunConfig.parse({ name: 'a' });
    forwardExperimentEvent({ type: 'experiment-started', experimentId: 'e1', dir: '/ws/e1', runs: [] }, s, () => {});
    forwardExperimentEvent({ type: 'run-started', experimentId: 'e1', runId: 'r1', dir: '/ws/runs/r1', index: 0, total: 1, name: 'a', cell: {}, config }, s, (_n, p) => payloads.push(p));
    forwardExperimentEvent({ type: 'run-finished', runId: 'r1', index: 0, result: result('completed', null) }, s, (_n, p) => payloads.push(p));
    expect(payloads).toEqual([
      { experimentId: 'e1', runId: 'r1', index: 0, total: 1, name: 'a', config },
      { experimentId: 'e1', runId: 'r1', result: result('completed', null) },
    ]);
  });
});
