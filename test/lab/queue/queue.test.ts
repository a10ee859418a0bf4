/**
 * Experiments on queue workers (lab/queue/): real redis-server, real
 * `steerlab worker` processes, a tiny synthetic drive. A grid over two
 * workers gives the local run's numbers; a worker killed mid-cell hands the
 * cell to another that resumes it from the checkpoint; Redis restarted
 * mid-grid loses nothing; a job from another lab version or for data the
 * worker lacks is refused with the reason on the coordinator; cancelling
 * removes the waiting cells.
 */
import { Queue, QueueEvents } from 'bullmq';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readExperiment } from '../../../src/experiments/store.ts';
import { runExperiment } from '../../../src/lab/index.ts';
import { redisOptions } from '../../../src/lab/queue/connection.ts';
import { fingerprintData } from '../../../src/lab/queue/fingerprint.ts';
import { LAB_VERSION, QUEUE_NAME } from '../../../src/lab/queue/job.ts';
import { synthesizeDrive } from '../../../src/synth/index.ts';
import type { DatasetSpec } from '../../../src/video/types.ts';
import { jsonOutput, runCli, spawnCli } from '../../helpers/cli.ts';
import { redisAvailable, startRedis, type TestRedis } from './redis.ts';

let dir: string;
let dataset: DatasetSpec;
let redis: TestRedis;
const children: ChildProcess[] = [];
const base = { name: 'tiny', epochs: 2, batchSize: 16, maxStepsPerEpoch: 4, logEvery: 2, engine: 'wasm' as const, model: { input: { height: 16, width: 48 } } };
const axes = { 'model.head': ['linear', 'tanh'] };
const maes = (s: { runs: { result: { val: { model: { maeDeg: number } } | null } | null }[] }): number[] => s.runs.map((r) => r.result!.val!.model.maeDeg);

function startWorker(name: string): ChildProcess {
  const c = spawnCli(['worker', '--queue', redis.url, '--workspace', join(dir, `ws-${name}`), '--stall-timeout-s', '2']);
  let err = '';
  c.stderr!.on("data", (d: Buffer) => { err += d.toString(); if (process.env.DEBUG_WORKERS) process.stderr.write(d); });
  c.once('exit', (code, sig) => {
    if (code && code !== 0) console.error(`worker ${name} exited ${code} ${sig}: ${err.slice(-2000)}`);
  });
  children.push(c);
  return c;
}

/** Mount namespaces (root, Linux): a worker can be given a file system in which the coordinator's workspace is empty. */
const canHideFolders = process.platform === 'linux' && spawnSync('unshare', ['-m', 'true']).status === 0;

/** A worker that sees an empty folder where the coordinator's workspace is: as on another machine without a shared folder. */
function startPrivateWorker(name: string, hide: string): ChildProcess {
  const bin = fileURLToPath(new URL('../../../bin/steerlab.mjs', import.meta.url));
  const ws = join(dir, `ws-${name}`);
  const script = `mount -t tmpfs none "$1" && shift && exec "$@"`;
  const c = spawn('unshare', ['-m', 'sh', '-c', script, 'sh', hide, process.execPath, bin, 'worker', '--queue', redis.url, '--workspace', ws, '--stall-timeout-s', '2'], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(c);
  return c;
}

async function stopWorkers(): Promise<void> {
  await Promise.all(children.splice(0).map((c) => new Promise<void>((r) => {
    if (c.exitCode !== null || c.signalCode !== null) return r();
    c.once('exit', () => r());
    c.kill('SIGTERM');
  })));
}

describe.skipIf(!redisAvailable)('experiments on queue workers', () => {
  let local: number[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'steerlab-queue-'));
    redis = await startRedis('s3cret');
    const d = await synthesizeDrive(join(dir, 'drive'), { frames: 160, width: 64, height: 32, fps: 5, seed: 4 });
    dataset = { source: d.videoPath, labels: d.labelsPath, input: { width: 48, height: 16 } };
    local = maes(await runExperiment({ dataset, base, axes, workspace: join(dir, 'ws-local'), workers: 1 }));
  }, 120_000);

  afterEach(async () => {
    await stopWorkers();
    const q = new Queue(QUEUE_NAME, { connection: redisOptions(redis.url) });
    await q.obliterate({ force: true });
    await q.close();
  }, 60_000);

  afterAll(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a grid on two workers with the local numbers, each cell once, through a password-protected Redis', async () => {
    startWorker('a');
    startWorker('b');
    const ws = join(dir, 'ws-shared');
    const s = await runExperiment({ dataset, base, axes, workspace: ws, workers: 1, queue: redis.url });
    expect(s.status).toBe('completed');
    const got = maes(s);
    expect(got[0]).toBeCloseTo(local[0], 4);
    expect(got[1]).toBeCloseTo(local[1], 4);
    expect(readExperiment(s.dir)!.runs.map((r) => r.status)).toEqual(['completed', 'completed']);
    const q = new Queue(QUEUE_NAME, { connection: redisOptions(redis.url) });
    expect(await q.getJobCounts('completed', 'failed', 'waiting', 'active')).toEqual({ completed: 2, failed: 0, waiting: 0, active: 0 });
    await q.close();
  }, 180_000);

  it('`compare --queue` runs the grid on a worker and prints the comparison; a bad URL is one line', async () => {
    startWorker('a');
    const args = ['compare', '--video', dataset.source, '--labels', dataset.labels!, '--heads', 'linear', '--targets', 'normalized', '--input', '16x48',
      '--epochs', '1', '--batch-size', '16', '--engine', 'wasm', '--workers', '1', '--workspace', join(dir, 'ws-cli'), '--json'];
    const out = jsonOutput(await runCli([...args, '--queue', redis.url], { timeoutMs: 120_000 }));
    expect(out.status).toBe('completed');
    expect(out.runs).toHaveLength(1);
    expect(out.runs[0].valMaeDeg).toBeGreaterThan(0);
    const bad = await runCli([...args, '--queue', 'http://127.0.0.1:1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/uses http:; the queue needs redis:\/\/ or rediss:\/\//);
  }, 180_000);

  it.skipIf(!canHideFolders)('with separate workspaces, the worker returns the run folder and the coordinator writes it', async () => {
    const ws = join(dir, 'ws-separate');
    mkdirSync(ws, { recursive: true });
    startPrivateWorker('private', ws);
    const s = await runExperiment({ dataset, base, axes: {}, workspace: ws, workers: 1, queue: redis.url });
    expect(s.status).toBe('completed');
    expect(maes(s)[0]).toBeCloseTo(local[0], 4);
    const runDir = s.runs[0].dir!;
    for (const f of ['run.json', 'config.json', 'result.json', 'metrics.jsonl', 'val-predictions.json', 'model/model.json']) expect(existsSync(join(runDir, f)), f).toBe(true);
    // The worker trained in its own workspace, not in the coordinator's folder.
    expect(existsSync(join(dir, 'ws-private', 'runs'))).toBe(true);
  }, 180_000);

  it('hands the cell of a worker killed mid-cell (kill -9) to another, which resumes from the checkpoint', async () => {
    const a = startWorker('a');
    let killed = false;
    const s = await runExperiment({
      dataset, base, axes: {}, workspace: join(dir, 'ws-kill'), workers: 1, queue: redis.url,
      onEvent: (e) => {
        if (!killed && e.type === 'run-event' && e.event.type === 'checkpoint') {
          killed = true;
          a.kill('SIGKILL');
          startWorker('b');
        }
      },
    });
    expect(killed).toBe(true);
    expect(s.status).toBe('completed');
    expect(maes(s)[0]).toBeCloseTo(local[0], 4);
  }, 180_000);

  it('survives a Redis restart mid-grid', async () => {
    startWorker('a');
    let restarted = false;
    const s = await runExperiment({
      dataset, base, axes, workspace: join(dir, 'ws-restart'), workers: 1, queue: redis.url,
      onEvent: (e) => {
        if (!restarted && e.type === 'run-started') {
          restarted = true;
          void redis.stop().then(() => new Promise((r) => setTimeout(r, 500))).then(() => redis.start());
        }
      },
    });
    expect(restarted).toBe(true);
    expect(s.status).toBe('completed');
    expect(maes(s)).toEqual(expect.arrayContaining([expect.closeTo(local[0], 4), expect.closeTo(local[1], 4)]));
  }, 180_000);

  it('refuses a job from another lab version, or for data this machine lacks, with the reason on the coordinator', async () => {
    startWorker('a');
    const connection = redisOptions(redis.url);
    const q = new Queue(QUEUE_NAME, { connection });
    const ev = new QueueEvents(QUEUE_NAME, { connection });
    await ev.waitUntilReady();
    const fingerprint = await fingerprintData([dataset]);
    const job = {
      kind: 'cell', labVersion: LAB_VERSION, experimentId: 'x', index: 0, total: 1, name: 'tiny', config: {}, dataset: [dataset], fingerprint,
      workspace: join(dir, 'nowhere'), runDir: join(dir, 'nowhere', 'run'), runMeta: {}, workers: 1,
    };
    const reasons = new Map<string, string>();
    ev.on('failed', ({ jobId, failedReason }) => reasons.set(jobId, failedReason));
    await q.add('cell', { ...job, labVersion: '0.0.1' }, { jobId: 'old-version' });
    await q.add('cell', { ...job, dataset: [{ ...dataset, source: join(dir, 'missing.mp4') }] }, { jobId: 'no-data' });
    await q.add('cell', { ...job, fingerprint: { ...fingerprint, sha256: '0'.repeat(64) } }, { jobId: 'other-data' });
    await q.add('cell', { kind: 'shell', cmd: 'rm -rf /' }, { jobId: 'not-ours' });
    for (let k = 0; k < 300 && reasons.size < 4; k++) await new Promise((r) => setTimeout(r, 100));
    expect(reasons.get('old-version')).toMatch(new RegExp(`runs Steering Lab ${LAB_VERSION.replace(/\./g, '\\.')}, the job was planned by 0\\.0\\.1; install the same version`));
    expect(reasons.get('no-data')).toMatch(/missing\.mp4 does not exist on this machine; every worker needs the data set at the same path/);
    expect(reasons.get('other-data')).toMatch(/has other contents here/);
    expect(reasons.get('not-ours')).toMatch(/not a Steering Lab cell job/);
    await ev.close();
    await q.close();
  }, 120_000);

  it('cancelling removes the waiting cells and stops the running one', async () => {
    startWorker('a');
    const ac = new AbortController();
    const s = await runExperiment({
      dataset, base: { ...base, epochs: 60 }, axes: { 'model.head': ['linear', 'tanh', 'scaled_tanh'] }, workspace: join(dir, 'ws-cancel'), workers: 1, queue: redis.url,
      signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'run-event' && e.event.type === 'step') ac.abort();
      },
    });
    expect(s.status).toBe('cancelled');
    const statuses = readExperiment(s.dir)!.runs.map((r) => r.status);
    expect(statuses.filter((x) => x === 'skipped').length).toBeGreaterThanOrEqual(2);
    expect(statuses.filter((x) => x === 'completed')).toEqual([]);
  }, 120_000);
});
