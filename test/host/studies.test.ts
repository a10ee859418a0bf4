/**
 * The backend's study handlers against the real studies registry: the list
 * the Experiment view shows, a quick multi-loss run whose result carries the
 * study's own numbers and the conclusions computed from them, option
 * validation, one study at a time, and cancellation.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { finiteOrNull, readStudyHistory, studyResultsDir } from '../../src/host/backend/studies.ts';
import { useBackend } from '../helpers/backend.ts';
import { events, StudyInfo, type EventMessage, type Payload } from '../../src/contract/index.ts';
import { STUDIES } from '../../src/studies/index.ts';

const b = useBackend('steerlab-studies-backend-');
const seen: EventMessage[] = [];
beforeAll(() => {
  b.onEvent((e) => void seen.push(e));
});

const call = async (name: string, args: unknown) => b.request({ t: 'req', name, args } as never);

/** Resolves with the first study.finished / study.failed of this run. */
function ending(studyRunId: string, timeoutMs = 60_000): Promise<EventMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no end for ${studyRunId}`)), timeoutMs);
    const check = (e: EventMessage): void => {
      if ((e.name === 'study.finished' || e.name === 'study.failed') && (e.payload as { studyRunId: string }).studyRunId === studyRunId) {
        clearTimeout(timer);
        off();
        resolve(e);
      }
    };
    const off = b.onEvent(check);
    seen.forEach(check);
  });
}

describe('backend study handlers', () => {
  it('lists every registered study with its defaults, quick options and whether it trains on a drive', async () => {
    const res = await call('study.list', {});
    expect(res.ok).toBe(true);
    const list = (res as { result: unknown[] }).result.map((x) => StudyInfo.parse(x));
    expect(list.map((s) => s.name)).toEqual(STUDIES.map((s) => s.name));
    const ml = list.find((s) => s.name === 'multi-loss')!;
    expect(ml.defaults.steps).toBe(200);
    expect(ml.quickOptions.steps).toBe(20);
    expect(ml.usesDrive).toBe(false);
    expect(list.find((s) => s.name === 'output-head')!.usesDrive).toBe(true);
    expect(list.find((s) => s.name === 'deep-cnn-gradients')!.usesDrive).toBe(true);
  });

  it('runs a quick multi-loss study: progress, then its measurements with conclusions quoting them', async () => {
    // app.info (page load) and a study start at once: both initialise the engine; the study must still run on it.
    const [info, res] = await Promise.all([call('app.info', {}), call('study.start', { name: 'multi-loss', quick: true })]);
    expect(info.ok).toBe(true);
    expect(res.ok).toBe(true);
    const { studyRunId } = (res as { result: { studyRunId: string } }).result;
    expect(studyRunId).toMatch(/^multi-loss-/);
    const end = await ending(studyRunId);
    expect(end.name).toBe('study.finished');
    const p = events['study.finished'].parse(end.payload) as Payload<'study.finished'>;
    expect(p.name).toBe('multi-loss');
    expect(p.quick).toBe(true);
    expect(p.elapsedS).toBeGreaterThan(0);
    const r = p.result as { additivityMaxAbsError: number; heads: { name: string; gradShare: number }[]; history: { step: number[] }; conclusions: string[] };
    expect(r.additivityMaxAbsError).toBeLessThan(1e-5);
    expect(p.result.engine).toBe((info as { result: { engine: { name: string } } }).result.engine.name);
    expect(r.heads).toHaveLength(3); // default lossWeights [1, 0.5, 0.1]
    expect(r.history.step.at(-1)).toBe(20); // quick: 20 steps
    expect(r.conclusions.length).toBeGreaterThan(0);
    // Conclusions quote this run's numbers: the additivity error and every head's share (3 significant digits).
    const text = r.conclusions.join(' ');
    expect(text).toContain(r.additivityMaxAbsError.toExponential(2));
    for (const h of r.heads) {
      expect(text).toContain(`${h.name} (weight`);
      expect(text).toContain(`${Number((h.gradShare * 100).toPrecision(3))}%`);
    }
    const progress = seen.filter((e) => e.name === 'study.progress' && (e.payload as { studyRunId: string }).studyRunId === studyRunId);
    expect(progress.length).toBeGreaterThan(0);
  }, 60_000);

  it('rejects unknown studies, bad options and a chosen workspace with one-line errors', async () => {
    expect(await call('study.start', { name: 'no-such-study' })).toMatchObject({ ok: false, error: { code: 'user', message: expect.stringMatching(/unknown study 'no-such-study'/) } });
    expect(await call('study.start', { name: 'multi-loss', options: { steps: -3 } })).toMatchObject({ ok: false, error: { code: 'invalid', message: expect.stringMatching(/steps/) } });
    expect(await call('study.start', { name: 'multi-loss', options: { lossWeights: [1] } })).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect(await call('study.start', { name: 'output-head', options: { workspace: '/tmp/elsewhere' } })).toMatchObject({ ok: false, error: { code: 'invalid', message: expect.stringMatching(/workspace/) } });
    expect(await call('study.cancel', { studyRunId: 'never-started' })).toMatchObject({ ok: true, result: { cancelled: false } });
  });

  it('runs one study at a time and cancels a running one', async () => {
    const res = await call('study.start', { name: 'relu-blowup', quick: true, options: { engine: 'cpu', epochs: 5, trainSize: 2000 } });
    expect(res.ok).toBe(true);
    const { studyRunId } = (res as { result: { studyRunId: string } }).result;
    expect(await call('study.start', { name: 'multi-loss', quick: true })).toMatchObject({ ok: false, error: { code: 'user', message: expect.stringMatching(/relu-blowup.*still running/) } });
    const c = await call('study.cancel', { studyRunId });
    expect(c).toMatchObject({ ok: true, result: { cancelled: true } });
    const end = await ending(studyRunId);
    expect(end.name).toBe('study.failed');
    expect(end.payload).toMatchObject({ cancelled: true, name: 'relu-blowup' });
    // The slot is free again.
    const again = await call('study.start', { name: 'backprop-vs-gd', quick: true, options: { gdSteps: 50 } });
    expect(again.ok).toBe(true);
    const end2 = await ending((again as { result: { studyRunId: string } }).result.studyRunId);
    expect(end2.name).toBe('study.finished');
  }, 60_000);
});

describe('studies on the open data set, stored in the workspace', () => {
  it('trains output-head on an opened data set (its spec, not the demo drive) and lists the result in study.history', async () => {
    const opened = await call('dataset.demo', { frames: 160, input: { width: 64, height: 32 } });
    expect(opened.ok).toBe(true);
    const ds = (opened as { result: { datasetId: string; spec: { source: string } } }).result;
    // A study that brings its own data refuses a data set; an id that is not open is a one-line error.
    expect(await call('study.start', { name: 'multi-loss', quick: true, datasetId: ds.datasetId })).toMatchObject({ ok: false, error: { code: 'invalid', message: expect.stringMatching(/own data/) } });
    expect(await call('study.start', { name: 'output-head', quick: true, datasetId: 'not-open' })).toMatchObject({ ok: false, error: { code: 'user', message: expect.stringMatching(/not open/) } });

    const res = await call('study.start', {
      name: 'output-head', quick: true, datasetId: ds.datasetId,
      options: { heads: ['linear'], targets: ['normalized'], epochs: 1, frames: 120, width: 32, height: 16, batchSize: 16 },
    });
    expect(res.ok).toBe(true);
    const { studyRunId } = (res as { result: { studyRunId: string } }).result;
    const end = await ending(studyRunId, 120_000);
    expect(end.name).toBe('study.finished');
    const r = (end.payload as Payload<'study.finished'>).result as unknown as { dataset: { source: string; trainSamples: number; valSamples: number }; runs: { valMaeDeg: number }[] };
    // The person's video (not the demo drive the study would synthesise), cut to the study's 120 frames; the split's guard frames drop some more.
    expect(r.dataset.source).toBe(ds.spec.source);
    expect(r.dataset.trainSamples + r.dataset.valSamples).toBeLessThanOrEqual(120);
    expect(r.dataset.trainSamples).toBeGreaterThan(0);
    expect(r.dataset.valSamples).toBeGreaterThan(0);
    expect(r.runs).toHaveLength(1);
    expect(r.runs[0].valMaeDeg).toBeGreaterThan(0);

    const h = await call('study.history', {});
    expect(h.ok).toBe(true);
    const records = (h as { result: { studyRunId: string; name: string; finishedAt: string; result?: unknown }[] }).result;
    const mine = records.find((x) => x.studyRunId === studyRunId)!;
    expect(mine).toMatchObject({ name: 'output-head', quick: true });
    expect(mine.result).toBeUndefined(); // the list stays small; the measurements come one at a time
    const one = await call('study.result', { studyRunId });
    expect(one).toMatchObject({ ok: true, result: { studyRunId, name: 'output-head' } });
    expect((one as { result: { result: unknown } }).result.result).toEqual((end.payload as Payload<'study.finished'>).result);
    expect(await call('study.result', { studyRunId: 'never-stored' })).toMatchObject({ ok: false, error: { code: 'user', message: expect.stringMatching(/no stored study/) } });
    // Oldest first: the studies finished earlier in this file come before it.
    expect(records.map((x) => x.finishedAt)).toEqual([...records.map((x) => x.finishedAt)].sort());
    expect(records.at(-1)!.studyRunId).toBe(studyRunId);
    // What a new backend on the same workspace (the next launch) reads back; a half-written file is skipped.
    writeFileSync(join(studyResultsDir(b.dir), 'broken.json'), '{"studyRunId": "x", ');
    expect(readStudyHistory(b.dir).map((x) => x.studyRunId)).toEqual(records.map((x) => x.studyRunId));
  }, 150_000);
});

describe('finiteOrNull', () => {
  it('maps NaN and infinities to null at any depth and leaves the rest', () => {
    expect(finiteOrNull({ a: NaN, b: [1, Infinity, -Infinity, { c: 2.5, d: 'x', e: null, f: true }] })).toEqual({ a: null, b: [1, null, null, { c: 2.5, d: 'x', e: null, f: true }] });
  });
});
