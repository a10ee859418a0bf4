import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { loadRunes, cleanCompiled } from './runes.ts';
import { harness, stateSrc } from './harness.ts';
import { Router } from '../../src/contract/index.ts';
import { RunConfig } from '../../src/train/config.ts';
import type { RunResult } from '../../src/train/events.ts';
import type * as AppMod from '../../renderer/src/lib/state/app.svelte.ts';
import type * as LiveMod from '../../renderer/src/lib/state/live.svelte.ts';

const src = stateSrc;

afterAll(() => cleanCompiled());


const metrics = (mae: number) => ({ n: 10, maeDeg: mae, rmseDeg: mae * 1.5, maxErrDeg: mae * 3, bins: [] });
/** A run's result as the lab records it (train/events.ts RunResult). */
const result = (status: RunResult['status'], error: string | null = null): RunResult => ({
  status, engine: 'wasm', epochs: 1, steps: 2, wallTimeS: 1, paramCount: 10, bestEpoch: null, selection: 'last-epoch', val: null, findings: [], error,
});

describe('LiveState', () => {
  it('starts an experiment, accumulates only its runs\' events, and ends on experiment.finished', async () => {
    const { AppState } = await loadRunes<typeof AppMod>(src('app.svelte.ts'));
    const { LiveState } = await loadRunes<typeof LiveMod>(src('live.svelte.ts'));
    const config = RunConfig.parse({ epochs: 1, name: 'head=tanh' });
    let cancelled = '';
    const router = new Router()
      .handle('experiment.start', async () => ({ experimentId: 'exp1', runs: [{ name: 'head=tanh', config }, { name: 'head=linear', config }] }))
      .handle('experiment.cancel', async (a) => ((cancelled = a.experimentId), { cancelled: true }));
    const h = harness(router);
    const app = new AppState({ client: h.client, transport: 'websocket', host: null });
    const live = new LiveState(app);
    expect(live.status).toBe('idle');
    expect(await live.start({ datasetId: 'd1', base: {}, axes: { 'model.head': ['tanh', 'linear'] } })).toBe(true);
    expect(live.experimentId).toBe('exp1');
    expect(live.planned).toEqual(['head=tanh', 'head=linear']);
    expect(live.status).toBe('running');

    h.push('run.started', { experimentId: 'exp1', runId: 'r1', index: 0, total: 2, name: 'head=tanh', config });
    h.push('run.started', { experimentId: 'other', runId: 'x', index: 0, total: 1, name: 'x', config }); // another window's experiment
    const before = live.runs;
    h.push('run.step', { experimentId: 'exp1', runId: 'r1', step: { type: 'step', step: 0, epoch: 0, stepsPerEpoch: 2, loss: 4, learningRate: 1e-3, samplesPerS: 100, etaS: 0.3 } });
    expect(live.runs).not.toBe(before); // replaced, never mutated: charts see a new array
    h.push('run.step', { experimentId: 'exp1', runId: 'r1', step: { type: 'step', step: 1, epoch: 0, stepsPerEpoch: 2, loss: 2, learningRate: 1e-3, samplesPerS: 100, etaS: 0 } });
    h.push('run.epoch', { experimentId: 'exp1', runId: 'r1', epoch: { type: 'epoch', epoch: 0, trainLoss: 3, valLoss: 2.5, val: { model: metrics(3), zero: metrics(5), mean: metrics(4.5) }, elapsedS: 1 } });
    h.push('run.finding', { experimentId: 'exp1', runId: 'r1', finding: { kind: 'saturated-head', severity: 'warning', message: 'head saturated: 97% of pre-activations beyond ±2', step: 1, layer: 'head', evidence: { fraction: 0.97 } } });
    expect(live.runs.map((r) => r.runId)).toEqual(['r1']);
    const r1 = live.runs[0];
    expect(r1.steps).toEqual([{ x: 0, y: 4 }, { x: 1, y: 2 }]);
    expect(r1.valLoss).toEqual([{ x: 1, y: 2.5 }]);
    expect(r1.valMaeDeg).toEqual([{ x: 0, y: 3 }]);
    expect(r1.findings.map((f) => f.kind)).toEqual(['saturated-head']);
    expect(live.selected?.runId).toBe('r1');
    // colours follow the planned names, so Live and Compare agree
    expect(app.colors.colorOf('head=tanh')).not.toBe(app.colors.colorOf('head=linear'));

    await live.cancel();
    expect(cancelled).toBe('exp1');
    expect(live.status).toBe('cancelling');
    h.push('run.finished', { experimentId: 'exp1', runId: 'r1', result: result('cancelled') });
    h.push('experiment.finished', { experimentId: 'exp1', status: 'cancelled', runIds: ['r1'], error: null });
    expect(live.runs[0].phase).toBe('cancelled');
    expect(live.status).toBe('cancelled');
    expect(live.active).toBe(false);
  });

  it("keeps the lab's statuses and a failure's reason; a run the experiment's failure interrupted ends with it", async () => {
    const { AppState } = await loadRunes<typeof AppMod>(src('app.svelte.ts'));
    const { LiveState } = await loadRunes<typeof LiveMod>(src('live.svelte.ts'));
    const config = RunConfig.parse({ epochs: 1, name: 'a' });
    const router = new Router().handle('experiment.start', async () => ({ experimentId: 'exp2', runs: ['a', 'b', 'c', 'd'].map((name) => ({ name, config })) }));
    const h = harness(router);
    const app = new AppState({ client: h.client, transport: 'websocket', host: null });
    const live = new LiveState(app);
    await live.start({ datasetId: 'd1', base: {}, axes: {} });
    const started = (runId: string, index: number) => h.push('run.started', { experimentId: 'exp2', runId, index, total: 4, name: runId, config });
    started('a', 0);
    h.push('run.finished', { experimentId: 'exp2', runId: 'a', result: result('completed') });
    started('b', 1);
    h.push('run.finished', { experimentId: 'exp2', runId: 'b', result: result('diverged') });
    started('c', 2);
    h.push('run.finished', { experimentId: 'exp2', runId: 'c', result: result('failed', 'labels.csv: no steering column') });
    started('d', 3);
    h.push('experiment.finished', { experimentId: 'exp2', status: 'failed', runIds: ['a', 'b', 'c', 'd'], error: 'the frame cache could not be written: disk full' });
    expect(live.runs.map((r) => [r.runId, r.phase, r.error])).toEqual([
      ['a', 'completed', null],
      ['b', 'diverged', null],
      ['c', 'failed', 'labels.csv: no steering column'],
      ['d', 'failed', 'the frame cache could not be written: disk full'],
    ]);
    expect(live.status).toBe('failed');
    expect(app.error).toBe('the frame cache could not be written: disk full');
  });

  it('shows a failed start as an error line, not a crash', async () => {
    const { AppState } = await loadRunes<typeof AppMod>(src('app.svelte.ts'));
    const { LiveState } = await loadRunes<typeof LiveMod>(src('live.svelte.ts'));
    const router = new Router().handle('experiment.start', async () => {
      throw new UserError('data set d1 is not open any more; open it again');
    });
    const app = new AppState({ client: harness(router).client, transport: 'websocket', host: null });
    const live = new LiveState(app);
    expect(await live.start({ datasetId: 'd1', base: {}, axes: {} })).toBe(false);
    expect(live.status).toBe('failed');
    expect(app.error).toBe('data set d1 is not open any more; open it again');
  });
});
