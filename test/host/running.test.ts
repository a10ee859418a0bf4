/**
 * `experiment.running`: the backend (the lab) is the source of truth for
 * what trains, so a page that reloads mid-training can re-attach: it gets
 * the running experiment and the push events sent for it so far, a second
 * start is refused with one line, and the experiment can still be cancelled.
 */
import { describe, expect, it } from 'vitest';
import type { EventMessage, Result } from '../../src/contract/index.ts';
import { ok, useBackend } from '../helpers/backend.ts';

const b = useBackend('steerlab-running-');

describe('experiment.running', () => {
  it('returns the running experiment with its history, refuses a second start, and empties once cancelled', async () => {
    expect(ok<Result<'experiment.running'>>(await b.request({ t: 'req', name: 'experiment.running', args: {} }))).toEqual([]);
    const ds = ok<{ datasetId: string }>(await b.request({ t: 'req', name: 'dataset.demo', args: { frames: 120, input: { width: 48, height: 16 } } }));
    const seen: EventMessage[] = [];
    let stepped!: () => void;
    const firstStep = new Promise<void>((r) => (stepped = r));
    let ended!: (m: EventMessage) => void;
    const finished = new Promise<EventMessage>((r) => (ended = r));
    b.onEvent((m) => {
      seen.push(m);
      if (m.name === 'run.step') stepped();
      if (m.name === 'experiment.finished') ended(m);
    });
    const base = { name: 'reattach', epochs: 20, batchSize: 8, logEvery: 1, engine: 'wasm', model: { input: { height: 16, width: 48 } } };
    const start = { t: 'req' as const, name: 'experiment.start', args: { datasetId: ds.datasetId, base, axes: { 'model.head': ['linear', 'tanh'] } } };
    const started = ok<Result<'experiment.start'>>(await b.request(start));
    await firstStep;

    const running = ok<Result<'experiment.running'>>(await b.request({ t: 'req', name: 'experiment.running', args: {} }));
    expect(running).toHaveLength(1);
    expect(running[0].experimentId).toBe(started.experimentId);
    expect(running[0].runIds).toHaveLength(1);
    const names = running[0].history.map((h) => h.name);
    expect(names).toContain('run.started');
    expect(names).toContain('run.step');
    // The history is what was pushed: the first run's start, as the page saw it live.
    const live = seen.find((m) => m.name === 'run.started')!;
    expect(running[0].history.find((h) => h.name === 'run.started')!.payload).toEqual(live.payload);

    const second = await b.request(start);
    expect(second).toMatchObject({ ok: false, error: { code: 'user', message: expect.stringMatching(new RegExp(`${started.experimentId} is still running`)) } });

    expect(ok<{ cancelled: boolean }>(await b.request({ t: 'req', name: 'experiment.cancel', args: { experimentId: started.experimentId } }))).toEqual({ cancelled: true });
    expect((await finished).payload).toMatchObject({ experimentId: started.experimentId, status: 'cancelled' });
    expect(ok<Result<'experiment.running'>>(await b.request({ t: 'req', name: 'experiment.running', args: {} }))).toEqual([]);
  }, 120_000);
});
