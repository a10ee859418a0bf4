/**
 * The study messages of the contract: bad payloads rejected, defaults
 * filled, study-specific measurement fields passed through while
 * `conclusions` stays a list of strings.
 */
import { describe, expect, it } from 'vitest';
import { ContractError, eventMessage, events, requests, StudyInfo, StudyResult, EVENT_NAMES, REQUEST_NAMES } from '../../src/contract/index.ts';

describe('study requests', () => {
  it('are in the request and event maps', () => {
    expect(REQUEST_NAMES).toEqual(expect.arrayContaining(['study.list', 'study.history', 'study.result', 'study.start', 'study.cancel']));
    expect(EVENT_NAMES).toEqual(expect.arrayContaining(['study.progress', 'study.finished', 'study.failed']));
  });

  it('study.start fills quick=false and empty options, and rejects bad arguments', () => {
    expect(requests['study.start'].args.parse({ name: 'multi-loss' })).toEqual({ name: 'multi-loss', quick: false, options: {} });
    expect(requests['study.start'].args.parse({ name: 'relu-blowup', quick: true, options: { learningRates: [0.1, 3], epochs: 1 } }).options)
      .toEqual({ learningRates: [0.1, 3], epochs: 1 });
    const bad: unknown[] = [
      {}, // no name
      { name: '' },
      { name: '../etc/passwd' }, // path-like name
      { name: 'Multi Loss' },
      { name: 'multi-loss', quick: 'yes' },
      { name: 'multi-loss', options: { steps: { nested: 1 } } }, // options are flat JSON values
      { name: 'multi-loss', options: [1, 2] },
      { name: 'multi-loss', evil: 1 }, // unknown key
    ];
    for (const b of bad) expect(requests['study.start'].args.safeParse(b).success, JSON.stringify(b)).toBe(false);
  });

  it('study.start takes an open data set id; study.history lists stored heads, study.result one record with every field', () => {
    expect(requests['study.start'].args.parse({ name: 'output-head', datasetId: 'a1b2c3d4e5f6' })).toEqual({ name: 'output-head', quick: false, options: {}, datasetId: 'a1b2c3d4e5f6' });
    for (const datasetId of ['', '../x', 7]) expect(requests['study.start'].args.safeParse({ name: 'output-head', datasetId }).success).toBe(false);
    expect(requests['study.history'].args.safeParse({ all: true }).success).toBe(false);
    const rec = { studyRunId: 'multi-loss-abc', name: 'multi-loss', quick: true, result: { conclusions: ['c'], additivityMaxAbsError: 1e-7 }, elapsedS: 2, finishedAt: '2026-11-28T09:00:00.000Z' };
    // The list carries no measurements (zod strips them), the single record does.
    expect(requests['study.history'].result.parse([rec])[0]).not.toHaveProperty('result');
    expect(requests['study.result'].result.parse(rec).result).toEqual({ conclusions: ['c'], additivityMaxAbsError: 1e-7 });
    for (const k of Object.keys(rec)) {
      const { [k as keyof typeof rec]: _gone, ...rest } = rec;
      expect(requests['study.result'].result.safeParse(rest).success, k).toBe(false);
      if (k !== 'result') expect(requests['study.history'].result.safeParse([rest]).success, k).toBe(false);
    }
    expect(requests['study.history'].result.safeParse([{ ...rec, studyRunId: '../../etc' }]).success).toBe(false);
    expect(requests['study.result'].result.safeParse({ ...rec, result: { conclusions: [3] } }).success).toBe(false);
    expect(requests['study.result'].args.safeParse({ studyRunId: '../studies/x' }).success).toBe(false);
  });

  it('study.cancel needs a plain id; study.list takes nothing', () => {
    expect(requests['study.cancel'].args.safeParse({ studyRunId: 'multi-loss-abc-123' }).success).toBe(true);
    expect(requests['study.cancel'].args.safeParse({ studyRunId: '../../x' }).success).toBe(false);
    expect(requests['study.cancel'].args.safeParse({}).success).toBe(false);
    expect(requests['study.list'].args.safeParse({ name: 'x' }).success).toBe(false);
  });

  it('study.list entries need every field', () => {
    const ok = { name: 'multi-loss', title: 'T', description: 'D', defaults: { steps: 200 }, quickOptions: { steps: 20 }, usesDrive: false };
    expect(StudyInfo.safeParse(ok).success).toBe(true);
    expect(StudyInfo.safeParse({ ...ok, usesDrive: undefined }).success).toBe(false);
    expect(StudyInfo.safeParse({ ...ok, quickOptions: 3 }).success).toBe(false);
    expect(requests['study.list'].result.safeParse([ok, { ...ok, name: 'Bad Name' }]).success).toBe(false);
  });
});

describe('study events', () => {
  const finished = {
    studyRunId: 's1',
    name: 'multi-loss',
    quick: true,
    result: { conclusions: ['The trunk gradient matches the weighted sum to 9.7e-8.'], additivityMaxAbsError: 9.7e-8, heads: [{ name: 'steer', gradShare: 0.1 }], engine: 'wasm' },
    elapsedS: 2.1,
  };

  it('study.finished keeps study-specific fields and requires string conclusions', () => {
    const p = events['study.finished'].parse(finished);
    expect(p.result.additivityMaxAbsError).toBe(9.7e-8); // passed through, not stripped
    expect(p.result.heads).toEqual([{ name: 'steer', gradShare: 0.1 }]);
    expect(events['study.finished'].safeParse({ ...finished, result: { additivityMaxAbsError: 1 } }).success).toBe(false); // no conclusions
    expect(events['study.finished'].safeParse({ ...finished, result: { conclusions: [42] } }).success).toBe(false);
    expect(events['study.finished'].safeParse({ ...finished, result: { conclusions: 'one string' } }).success).toBe(false);
    expect(events['study.finished'].safeParse({ ...finished, elapsedS: -1 }).success).toBe(false);
    expect(events['study.finished'].safeParse({ ...finished, quick: undefined }).success).toBe(false);
    expect(StudyResult.safeParse(null).success).toBe(false);
  });

  it('study.progress and study.failed reject malformed payloads', () => {
    expect(events['study.progress'].safeParse({ studyRunId: 's1', stage: 'training', done: 3, total: 10 }).success).toBe(true);
    expect(events['study.progress'].safeParse({ studyRunId: 's1', stage: 'training', done: -1, total: 10 }).success).toBe(false);
    expect(events['study.progress'].safeParse({ studyRunId: 's1', done: 1, total: 10 }).success).toBe(false);
    expect(events['study.failed'].safeParse({ studyRunId: 's1', name: 'x', cancelled: true, error: 'cancelled', elapsedS: 1 }).success).toBe(true);
    expect(events['study.failed'].safeParse({ studyRunId: 's1', name: 'x', error: 'boom', elapsedS: 1 }).success).toBe(false); // cancelled flag missing
    expect(() => eventMessage('study.progress', { studyRunId: 's1', stage: 'x', done: 'half', total: 1 } as never)).toThrow(ContractError);
  });
});
