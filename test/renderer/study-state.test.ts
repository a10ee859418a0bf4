/**
 * StudyState (runes, compiled as the app compiles it) over a client and an
 * in-memory Router: the list, a start whose first events arrive before the
 * answer, the result of study.finished, cancellation, and refusals shown as
 * one error line.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { loadRunes, cleanCompiled } from './runes.ts';
import { harness, stateSrc, type Push } from './harness.ts';
import { Router } from '../../src/contract/index.ts';
import type * as AppMod from '../../renderer/src/lib/state/app.svelte.ts';
import type * as StudyMod from '../../renderer/src/lib/state/study.svelte.ts';

const src = stateSrc;
afterAll(() => cleanCompiled());


async function setup(router: Router) {
  const { AppState } = await loadRunes<typeof AppMod>(src('app.svelte.ts'));
  const { StudyState } = await loadRunes<typeof StudyMod>(src('study.svelte.ts'));
  const h = harness(router);
  const app = new AppState({ client: h.client, transport: 'websocket', host: null });
  return { app, study: new StudyState(app), push: h.push };
}

const info = { name: 'multi-loss', title: 'Several loss heads on one trunk', description: 'd', defaults: { steps: 200 }, quickOptions: { steps: 20 }, usesDrive: false };

describe('StudyState', () => {
  it('lists studies, starts one, replays events that beat the answer, and keeps the finished result', async () => {
    let push: Push = () => {};
    let asked: unknown = null;
    const router = new Router()
      .handle('study.list', async () => [info])
      .handle('study.history', async () => [])
      .handle('study.start', async (a) => {
        asked = a;
        // The backend's first progress event can reach the window before the start answer does.
        push('study.progress', { studyRunId: 'ml-1', stage: 'starting', done: 0, total: 1 });
        return { studyRunId: 'ml-1' };
      });
    const s = await setup(router);
    push = s.push;
    const { study, app } = s;
    await study.load();
    expect(study.studies.map((x) => x.name)).toEqual(['multi-loss']);
    expect(study.info('multi-loss')?.title).toBe(info.title);

    expect(await study.start('multi-loss', true)).toBe(true);
    expect(asked).toEqual({ name: 'multi-loss', quick: true, options: {} });
    expect(study.current).toMatchObject({ studyRunId: 'ml-1', title: info.title, quick: true, phase: 'running', progress: { stage: 'starting', done: 0, total: 1 } });
    expect(study.active?.studyRunId).toBe('ml-1');

    const before = study.runs;
    push('study.progress', { studyRunId: 'ml-1', stage: 'Adam steps', done: 10, total: 20 });
    push('study.progress', { studyRunId: 'someone-else', stage: 'x', done: 1, total: 2 }); // another window's study
    expect(study.runs).not.toBe(before); // replaced, never mutated
    expect(study.current?.progress).toEqual({ stage: 'Adam steps', done: 10, total: 20 });
    push('study.finished', { studyRunId: 'ml-1', name: 'multi-loss', quick: true, result: { conclusions: ['gradients add: max |difference| 9.7e-8'], additivityMaxAbsError: 9.7e-8 }, elapsedS: 2.5 });
    expect(study.current).toMatchObject({ phase: 'finished', elapsedS: 2.5, result: { conclusions: ['gradients add: max |difference| 9.7e-8'], additivityMaxAbsError: 9.7e-8 } });
    expect(study.active).toBeNull();
    expect(app.error).toBeNull();
    expect(study.runs).toHaveLength(1);
  });

  it('cancels the running study and records it as cancelled, not as an error', async () => {
    let cancelled = '';
    const router = new Router()
      .handle('study.start', async () => ({ studyRunId: 'rb-1' }))
      .handle('study.cancel', async (a) => ((cancelled = a.studyRunId), { cancelled: true }));
    const { study, app, push } = await setup(router);
    await study.start('relu-blowup', false);
    const cancelling = study.cancel();
    expect(study.current?.phase).toBe('cancelling');
    await cancelling;
    expect(cancelled).toBe('rb-1');
    push('study.failed', { studyRunId: 'rb-1', name: 'relu-blowup', cancelled: true, error: 'cancelled', elapsedS: 1.2 });
    expect(study.current).toMatchObject({ phase: 'cancelled', error: null, elapsedS: 1.2 });
    expect(app.error).toBeNull();
  });

  it('shows a refused start and a failed study as one error line', async () => {
    let refuse = true;
    const router = new Router().handle('study.start', async () => {
      if (refuse) throw new UserError("the study 'relu-blowup' is still running; cancel it or wait for it to finish");
      return { studyRunId: 'ok-1' };
    });
    const { study, app, push } = await setup(router);
    expect(await study.start('multi-loss', true)).toBe(false);
    expect(study.current?.phase).toBe('failed');
    expect(app.error).toMatch(/still running/);
    refuse = false;
    expect(await study.start('output-head', true)).toBe(true);
    expect(app.error).toBeNull();
    push('study.failed', { studyRunId: 'ok-1', name: 'output-head', cancelled: false, error: 'video not found: /x.mp4', elapsedS: 0.1 });
    expect(study.current).toMatchObject({ phase: 'failed', error: 'video not found: /x.mp4' });
    expect(app.error).toBe('output-head: video not found: /x.mp4');
    expect(study.runs.map((r) => r.phase)).toEqual(['failed', 'failed']);
  });

  it('shows studies stored in the workspace after a reload, before this window\'s own runs, and passes the open data set', async () => {
    const stored = [
      { studyRunId: 'ml-old', name: 'multi-loss', quick: true, result: { conclusions: ['max |difference| 1.2e-7'], additivityMaxAbsError: 1.2e-7 }, elapsedS: 3, finishedAt: '2026-11-27T10:00:00.000Z' },
      { studyRunId: 'ml-new', name: 'multi-loss', quick: false, result: { conclusions: ['max |difference| 9e-8'] }, elapsedS: 30, finishedAt: '2026-11-27T11:00:00.000Z' },
    ];
    let asked: unknown = null;
    let release: () => void = () => {};
    const heads = stored.map(({ result: _r, ...h }) => h);
    const fetched: string[] = [];
    const results = new Router().handle('study.result', async (a) => {
      fetched.push(a.studyRunId);
      const rec = stored.find((x) => x.studyRunId === a.studyRunId);
      if (!rec) throw new UserError(`no stored study ${a.studyRunId} in this workspace`);
      return rec;
    });
    const router = new Router()
      .handle('study.list', async () => [info])
      // The history arrives while a start is on its way: the started run moves behind the stored ones and must still get its id.
      .handle('study.history', () => new Promise((r) => (release = () => r(heads))))
      .handle('study.result', (a, c) => results.call('study.result', a, c) as never)
      .handle('study.start', async (a) => {
        asked = a;
        release();
        await loading;
        return { studyRunId: 'oh-1' };
      });
    const { study, app } = await setup(router);
    const loading: Promise<void> = study.load();
    expect(await study.start('output-head', true, {}, 'ds-123')).toBe(true);
    expect(asked).toEqual({ name: 'output-head', quick: true, options: {}, datasetId: 'ds-123' });
    expect(study.runs.map((r) => [r.studyRunId, r.phase])).toEqual([['ml-old', 'finished'], ['ml-new', 'finished'], ['oh-1', 'running']]);
    // The view keeps showing the run it showed.
    expect(study.current?.studyRunId).toBe('oh-1');
    // Stored studies come without their measurements; they are fetched once, when shown.
    expect(study.runs[0]).toMatchObject({ title: info.title, quick: true, elapsedS: 3, finishedAt: '2026-11-27T10:00:00.000Z', result: null });
    expect(study.runs[0].startedAt).toBe(Date.parse('2026-11-27T10:00:00.000Z') - 3000);
    await Promise.all([study.loadResult('ml-old'), study.loadResult('ml-old')]);
    expect(fetched).toEqual(['ml-old']);
    expect(study.runs[0].result).toEqual({ conclusions: ['max |difference| 1.2e-7'], additivityMaxAbsError: 1.2e-7 });
    expect(app.error).toBeNull();

    // A fresh window on the same workspace opens on the newest stored study; a record gone from disk is one error line.
    const again = await setup(new Router().handle('study.list', async () => [info]).handle('study.history', async () => [...heads, { ...heads[0], studyRunId: 'gone' }]).handle('study.result', (a, c) => results.call('study.result', a, c) as never));
    await again.study.load();
    expect(again.study.current?.studyRunId).toBe('gone');
    expect(again.study.active).toBeNull();
    await again.study.loadResult('gone');
    expect(again.study.current).toMatchObject({ result: null, error: 'no stored study gone in this workspace' });
    expect(again.app.error).toBe('no stored study gone in this workspace');
  });
});
