/** LiveState re-attaching to a grid part-way (a reload mid-training): the cells not started yet stay listed, by name. */
import { afterAll, describe, expect, it } from 'vitest';
import { loadRunes, cleanCompiled } from './runes.ts';
import { harness, stateSrc } from './harness.ts';
import { Router, type SentEvent } from '../../src/contract/index.ts';
import { RunConfig } from '../../src/train/config.ts';
import { notStarted } from '../../renderer/src/lib/series.ts';
import type * as AppMod from '../../renderer/src/lib/state/app.svelte.ts';
import type * as LiveMod from '../../renderer/src/lib/state/live.svelte.ts';

afterAll(() => cleanCompiled());

describe('LiveState.attach and the runs not started', () => {
  const names = ['g head=linear', 'g head=tanh', 'g head=scaled_tanh'];
  const history: SentEvent[] = [
    { name: 'progress', payload: { task: 'train', experimentId: 'exp1', done: 0, total: 3, etaS: null, message: 'run 1 of 3' } },
    { name: 'run.started', payload: { experimentId: 'exp1', runId: 'r1', index: 0, total: 3, name: names[0], config: RunConfig.parse({ name: names[0] }) } },
  ];
  const attach = async (running: object) => {
    const { AppState } = await loadRunes<typeof AppMod>(stateSrc('app.svelte.ts'));
    const { LiveState } = await loadRunes<typeof LiveMod>(stateSrc('live.svelte.ts'));
    const router = new Router().handle('experiment.running', async () => [{ experimentId: 'exp1', runIds: ['r1'], startedAt: '2026-12-06T00:00:00.000Z', history, ...running }]);
    const live = new LiveState(new AppState({ client: harness(router).client, transport: 'websocket', host: null }));
    await live.attach();
    return live;
  };

  it('lists the cells the backend has not started as planned, after the started run', async () => {
    const live = await attach({ waiting: names.slice(1) });
    expect(live.planned).toEqual(names);
    expect(notStarted(live.planned, live.runs)).toEqual(names.slice(1));
  });

  it('keeps the progress count when the backend does not say which cells wait', async () => {
    const live = await attach({});
    expect(live.planned).toEqual([]);
    expect(live.totalRuns).toBe(3);
  });
});
