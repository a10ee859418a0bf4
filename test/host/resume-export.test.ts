/**
 * `experiment.resume` and `report.export` over the backend: a cancelled
 * grid lists its cells without a result, resume finishes them with the
 * same push events as a start, and export returns the file itself so a
 * browser on another machine can download it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { EventMessage, Result } from '../../src/contract/index.ts';
import { ok, useBackend } from '../helpers/backend.ts';

const b = useBackend('steerlab-resume-');

/** Resolves with the first event that `pick` accepts. */
function next(pick: (m: EventMessage) => boolean): Promise<EventMessage> {
  return new Promise((resolve) => b.onEvent((m) => { if (pick(m)) resolve(m); }));
}

describe('experiment.resume and report.export', () => {
  it('resumes a cancelled grid with push events, then exports a downloadable file', async () => {
    const ds = ok<{ datasetId: string }>(await b.request({ t: 'req', name: 'dataset.demo', args: { frames: 120, input: { width: 48, height: 16 } } }));
    const base = { name: 'resume', epochs: 1, batchSize: 8, logEvery: 1, engine: 'wasm', model: { input: { height: 16, width: 48 } } };
    const firstStep = next((m) => m.name === 'run.step');
    const started = ok<Result<'experiment.start'>>(await b.request({ t: 'req', name: 'experiment.start', args: { datasetId: ds.datasetId, base, axes: { 'model.head': ['linear', 'tanh'] } } }));
    await firstStep;
    const cancelled = next((m) => m.name === 'experiment.finished');
    ok(await b.request({ t: 'req', name: 'experiment.cancel', args: { experimentId: started.experimentId } }));
    expect((await cancelled).payload).toMatchObject({ status: 'cancelled' });

    const list = ok<Result<'experiments.list'>>(await b.request({ t: 'req', name: 'experiments.list', args: {} }));
    expect(list.find((e) => e.experimentId === started.experimentId)).toMatchObject({ status: 'cancelled', unfinished: 2 });

    const runStarted = next((m) => m.name === 'run.started');
    const finished = next((m) => m.name === 'experiment.finished');
    const resumed = ok<Result<'experiment.resume'>>(await b.request({ t: 'req', name: 'experiment.resume', args: { experimentId: started.experimentId } }));
    expect(resumed.experimentId).toBe(started.experimentId);
    expect((await runStarted).payload).toMatchObject({ experimentId: started.experimentId });
    expect((await finished).payload).toMatchObject({ experimentId: started.experimentId, status: 'completed' });
    const after = ok<Result<'experiments.list'>>(await b.request({ t: 'req', name: 'experiments.list', args: {} }));
    expect(after.find((e) => e.experimentId === started.experimentId)).toMatchObject({ status: 'completed', unfinished: 0 });

    const csv = ok<Result<'report.export'>>(await b.request({ t: 'req', name: 'report.export', args: { experimentId: started.experimentId, format: 'csv' } }));
    expect(csv.fileName).toBe(`${started.experimentId}-comparison.csv`);
    expect(csv.mime).toBe('text/csv');
    expect(csv.text).toBe(readFileSync(csv.path, 'utf8'));
    expect(csv.bytes).toBe(Buffer.byteLength(csv.text));
  }, 180_000);

  it('refuses to resume an unknown experiment with one line', async () => {
    const r = await b.request({ t: 'req', name: 'experiment.resume', args: { experimentId: 'no-such-experiment' } });
    expect(r).toMatchObject({ ok: false, error: { code: 'user' } });
  });
});
