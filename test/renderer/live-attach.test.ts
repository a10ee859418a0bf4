/** LiveState re-attaching to a running experiment (a reload mid-training): the events sent so far, then push events, each step once. */
import { afterAll, describe, expect, it } from 'vitest';
import { loadRunes, cleanCompiled } from './runes.ts';
import { harness, stateSrc } from './harness.ts';
import { Router, type SentEvent } from '../../src/contract/index.ts';
import { RunConfig } from '../../src/train/config.ts';
import type * as AppMod from '../../renderer/src/lib/state/app.svelte.ts';
import type * as LiveMod from '../../renderer/src/lib/state/live.svelte.ts';

afterAll(() => cleanCompiled());

const metrics = (mae: number) => ({ n: 10, maeDeg: mae, rmseDeg: mae * 1.5, maxErrDeg: mae * 3, bins: [] });
const step = (i: number, loss: number) => ({ type: 'step' as const, step: i, epoch: 0, stepsPerEpoch: 10, loss, learningRate: 1e-3, samplesPerS: 100, etaS: 1 });

describe('LiveState.attach', () => {
  it('replays what the backend sent so far, adds later events once, and cancels that experiment', async () => {
    const { AppState } = await loadRunes<typeof AppMod>(stateSrc('app.svelte.ts'));
    const { LiveState } = await loadRunes<typeof LiveMod>(stateSrc('live.svelte.ts'));
    const config = RunConfig.parse({ name: 'long', epochs: 3 });
    const ref = { experimentId: 'exp1', runId: 'r1' };
    const epoch = { type: 'epoch' as const, epoch: 0, trainLoss: 3.5, valLoss: 2.5, val: { model: metrics(3), zero: metrics(5), mean: metrics(4.5) }, elapsedS: 1 };
    const history: SentEvent[] = [
      { name: 'progress', payload: { task: 'train', experimentId: 'exp1', done: 0, total: 3, etaS: null, message: 'run 1 of 3' } },
      { name: 'run.started', payload: { ...ref, index: 0, total: 3, name: 'long', config } },
      { name: 'run.step', payload: { ...ref, step: step(0, 4) } },
      { name: 'run.step', payload: { ...ref, step: step(1, 3) } },
      { name: 'run.epoch', payload: { ...ref, epoch } },
    ];
    let cancelled = '';
    const router = new Router()
      .handle('experiment.running', async () => [{ experimentId: 'exp1', runIds: ['r1'], startedAt: '2026-12-06T00:00:00.000Z', history }])
      .handle('experiment.cancel', async (a) => ((cancelled = a.experimentId), { cancelled: true }));
    const h = harness(router);
    const app = new AppState({ client: h.client, transport: 'websocket', host: null });
    const live = new LiveState(app);
    expect(live.active).toBe(false);
    const attached = live.attach();
    // Events that arrive while the request is answered: one the history holds too, and a new one.
    h.push('run.step', { ...ref, step: step(1, 3) });
    h.push('run.step', { ...ref, step: step(2, 2) });
    await attached;
    expect(live.experimentId).toBe('exp1');
    expect(live.active).toBe(true);
    expect(live.totalRuns).toBe(3);
    expect(live.runs.map((r) => [r.runId, r.phase])).toEqual([['r1', 'running']]);
    expect(live.selected?.runId).toBe('r1');
    const r = live.runs[0];
    expect(r.steps).toEqual([{ x: 0, y: 4 }, { x: 1, y: 3 }, { x: 2, y: 2 }]);
    expect(r.valLoss).toEqual([{ x: 1, y: 2.5 }]);
    expect(r.valMaeDeg).toEqual([{ x: 0, y: 3 }]);
    h.push('run.step', { ...ref, step: step(3, 1.5) });
    h.push('run.epoch', { ...ref, epoch });
    expect(live.runs[0].steps.map((p) => p.x)).toEqual([0, 1, 2, 3]);
    expect(live.runs[0].valLoss).toHaveLength(1);
    // A second attach while following changes nothing.
    await live.attach();
    expect(live.runs[0].steps).toHaveLength(4);
    await live.cancel();
    expect(cancelled).toBe('exp1');
  });

  it('stays idle when nothing runs', async () => {
    const { AppState } = await loadRunes<typeof AppMod>(stateSrc('app.svelte.ts'));
    const { LiveState } = await loadRunes<typeof LiveMod>(stateSrc('live.svelte.ts'));
    const router = new Router().handle('experiment.running', async () => []);
    const live = new LiveState(new AppState({ client: harness(router).client, transport: 'websocket', host: null }));
    await live.attach();
    expect(live.status).toBe('idle');
    expect(live.experimentId).toBeNull();
  });
});
