import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listExperiments, listRuns, readExperiment, readJsonl, readRun, reserveDir, RunWriter, settledStatus, workspacePaths, writeExperiment, writeFileAtomic } from '../../src/experiments/store.ts';
import { RunConfig } from '../../src/train/config.ts';
import { metrics, result } from './fixtures.ts';

let ws: string;
beforeEach(() => {
  ws = mkdtempSync(join(tmpdir(), 'steerlab-store-'));
});
afterEach(() => rmSync(ws, { recursive: true, force: true }));

/** A pid that is certainly not running: beyond the kernel's pid_max default. */
const DEAD_PID = 4_194_304 + 17;

function meta(id: string, pid = process.pid) {
  return { id, name: id, experimentId: null, cell: {}, pid, hostname: hostname(), startedAt: new Date().toISOString(), dataset: null };
}

describe('workspace store', () => {
  it('a run reads as complete only once result.json is written (last)', () => {
    const { id, dir } = reserveDir(workspacePaths(ws).runs, 'head=linear kind=raw');
    expect(id).toMatch(/^\d{8}-\d{6}-head-linear-kind-raw$/);
    const w = new RunWriter(dir);
    w.writeMeta(meta(id));
    w.writeConfig(RunConfig.parse({ name: 'x' }));
    w.event({ type: 'step', step: 0, epoch: 0, stepsPerEpoch: 10, loss: 1.5, learningRate: 1e-3, samplesPerS: 10, etaS: null });
    expect(readRun(dir).state).toBe('running');
    expect(readRun(dir).result).toBeNull();
    w.finish(result(metrics(2, 3, 10, [1, 2, 3])));
    const r = readRun(dir);
    expect(r.state).toBe('complete');
    expect(r.result?.val?.model.maeDeg).toBe(2);
    expect(r.config?.name).toBe('x');
    expect(readJsonl(join(dir, 'metrics.jsonl'))).toHaveLength(1);
    expect(existsSync(join(dir, 'checkpoints'))).toBe(true);
    // no temp files left behind
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('a run without result.json whose writer died reads as crashed; without run.json as incomplete', () => {
    const runs = workspacePaths(ws).runs;
    const a = reserveDir(runs, 'a');
    new RunWriter(a.dir).writeMeta(meta(a.id, DEAD_PID));
    const b = reserveDir(runs, 'b');
    mkdirSync(join(b.dir, 'checkpoints'));
    // a half-written result (crash mid-write without the atomic rename) must not count as complete
    writeFileSync(join(b.dir, 'result.json'), '{"status":"comp');
    const list = listRuns(ws);
    expect(list.map((r) => [r.id, r.state])).toEqual([[a.id, 'crashed'], [b.id, 'incomplete']]);
  });

  it('reserveDir never hands out the same folder twice', () => {
    const ids = new Set(Array.from({ length: 5 }, () => reserveDir(join(ws, 'x'), 'same').id));
    expect(ids.size).toBe(5);
  });

  it('readJsonl skips a truncated last line', () => {
    const p = join(ws, 'm.jsonl');
    writeFileSync(p, '{"a":1}\n{"a":2}\n{"a":');
    expect(readJsonl(p)).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('writeFileAtomic replaces the whole file', () => {
    const p = join(ws, 'f.json');
    writeFileAtomic(p, 'first version, longer');
    writeFileAtomic(p, 'second');
    expect(readFileSync(p, 'utf8')).toBe('second');
  });

  it('an experiment left running by a dead process reads as crashed', () => {
    const { dir } = reserveDir(workspacePaths(ws).experiments, 'exp');
    writeExperiment(dir, {
      id: 'exp', name: 'exp', createdAt: new Date().toISOString(), pid: DEAD_PID, hostname: hostname(), status: 'running', error: null,
      engine: 'cpu', dataset: {}, datasetSummary: null, base: {}, axes: { 'model.head': ['linear', 'tanh'] },
      runs: [
        { runId: 'r1', name: 'a', cell: { 'model.head': 'linear' }, status: 'completed' },
        { runId: 'r2', name: 'b', cell: { 'model.head': 'tanh' }, status: 'running' },
      ],
      wallTimeS: null,
    });
    const rec = readExperiment(dir);
    expect(rec?.status).toBe('crashed');
    expect(rec?.runs.map((r) => r.status)).toEqual(['completed', 'crashed']);
    expect(listExperiments(ws)).toHaveLength(1);
  });
});

describe('settledStatus', () => {
  const runs = (...st: string[]) => st.map((status) => ({ runId: null, name: status, cell: {}, status })) as Parameters<typeof settledStatus>[0];
  it('completed only when every cell has a final result; a missing cell is crashed, a skipped one cancelled', () => {
    expect(settledStatus(runs('completed', 'diverged', 'stopped-early'))).toBe('completed');
    expect(settledStatus(runs('failed', 'failed'))).toBe('failed');
    expect(settledStatus(runs('completed', 'pending'))).toBe('crashed');
    expect(settledStatus(runs('completed', 'crashed'))).toBe('crashed');
    expect(settledStatus(runs('completed', 'skipped'))).toBe('cancelled');
  });
});
