/**
 * The contract derives from the domain: its schemas are the domain's own
 * objects (nothing re-typed), its events carry the lab's statuses and
 * failure reasons, and errors reach the wire by their class.
 */
import { describe, expect, it } from 'vitest';
import * as contract from '../../src/contract/index.ts';
import { events, toWireError } from '../../src/contract/index.ts';
import { CancelledError, UserError } from '../../src/errors.ts';
import { AlignmentReport, LabelOptions } from '../../src/data/types.ts';
import { AngleStats } from '../../src/data/stats.ts';
import { Crop, DatasetSpec, InputSize, VideoInfo } from '../../src/video/types.ts';
import { DatasetOverview } from '../../src/video/overview.ts';
import { RunResult, RunStatus } from '../../src/train/events.ts';
import { Finding } from '../../src/diagnostics/types.ts';
import { ComparisonRow, DatasetSummary, ExperimentStatus } from '../../src/experiments/types.ts';
import { RunConfig } from '../../src/train/config.ts';
import type { ExperimentEvent } from '../../src/experiments/events.ts';

const result = (status: RunResult['status'], error: string | null): RunResult => ({
  status, engine: 'wasm', epochs: 1, steps: 2, wallTimeS: 1, paramCount: 10, bestEpoch: null, selection: 'last-epoch', val: null, findings: [], error,
});

describe('the contract derives from the domain', () => {
  it('re-exports the domain schemas themselves, so there is no copy to drift', () => {
    const same: [unknown, unknown][] = [
      [contract.LabelOptions, LabelOptions], [contract.AlignmentReport, AlignmentReport], [contract.AngleStats, AngleStats],
      [contract.Crop, Crop], [contract.DatasetSpec, DatasetSpec], [contract.InputSize, InputSize], [contract.VideoInfo, VideoInfo],
      [contract.DatasetOverview, DatasetOverview], [contract.RunResult, RunResult], [contract.RunStatus, RunStatus],
      [contract.Finding, Finding], [contract.ComparisonRow, ComparisonRow], [contract.DatasetSummary, DatasetSummary],
      [contract.ExperimentStatus, ExperimentStatus],
    ];
    for (const [a, b] of same) expect(a).toBe(b);
    // The comparison on the wire is the domain's plus its id and renderings, in the same key order as before.
    expect(Object.keys(contract.Comparison.shape)).toEqual(['experimentId', 'title', 'dataset', 'rows', 'cells', 'differences', 'conclusions', 'markdown', 'csv']);
    expect(contract.requests['dataset.open'].result).toBe(DatasetOverview);
  });

  it('sends a lab run-started and run-finished as they are (minus what stays in the backend)', () => {
    const config = RunConfig.parse({ name: 'head=tanh' });
    const started: Extract<ExperimentEvent, { type: 'run-started' }> = {
      type: 'run-started', experimentId: 'e1', runId: 'r1', dir: '/ws/runs/r1', index: 0, total: 2, name: 'head=tanh', cell: { 'model.head': 'tanh' }, config,
    };
    expect(contract.eventMessage('run.started', started).payload).toEqual({ experimentId: 'e1', runId: 'r1', index: 0, total: 2, name: 'head=tanh', config });
    const failed = contract.eventMessage('run.finished', { experimentId: 'e1', runId: 'r1', result: result('failed', 'labels.csv: no steering column') });
    expect(failed.payload).toMatchObject({ result: { status: 'failed', error: 'labels.csv: no steering column' } });
  });

  it("ends an experiment with the record's status and keeps a failure's reason", () => {
    const ok = { experimentId: 'e1', runIds: ['r1'], error: null };
    for (const status of ['completed', 'cancelled', 'failed'] as const) expect(events['experiment.finished'].safeParse({ ...ok, status }).success).toBe(true);
    expect(events['experiment.finished'].safeParse({ ...ok, status: 'finished' }).success).toBe(false);
    expect(events['experiment.finished'].parse({ ...ok, status: 'failed', error: 'every run failed' }).error).toBe('every run failed');
    expect(contract.ExperimentListEntry.safeParse({ experimentId: 'e1', runIds: [], createdAt: null, status: 'crashed' }).success).toBe(true);
  });
});

describe('errors on the wire', () => {
  it('are mapped by class, not by a name anyone can set', () => {
    expect(toWireError(new UserError('no such run'))).toEqual({ code: 'user', message: 'no such run' });
    expect(toWireError(new CancelledError())).toEqual({ code: 'cancelled', message: 'cancelled' });
    expect(toWireError(new DOMException('This operation was aborted', 'AbortError'))).toMatchObject({ code: 'cancelled' });
    expect(toWireError(new contract.ContractError('invalid', 'bad arguments'))).toEqual({ code: 'invalid', message: 'bad arguments' });
    expect(toWireError(Object.assign(new Error('boom'), { name: 'UserError' }))).toEqual({ code: 'internal', message: 'boom' });
    expect(toWireError('a string')).toEqual({ code: 'internal', message: 'a string' });
  });
});
