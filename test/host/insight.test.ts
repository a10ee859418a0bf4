/**
 * The backend's insight requests against the real lab: run.saliency on a
 * tiny trained run (the frame found by its sample index, a PNG of the
 * whole frame, the run's own prediction), RunDetail's sample indices and drive,
 * and dataset.lag on a synthetic drive with scenery whose labels run 300 ms
 * late (recovered within 50 ms, as `steerlab lag` does), with decode
 * progress and cancellation; each bad input fails in one line.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetOverview, LagCheck, RunDetail, SaliencyImage, requests, type ResponseMessage } from '../../src/contract/index.ts';
import { startBackendInProcess } from '../../src/host/backend-process.ts';
import type { BackendLink } from '../../src/host/link.ts';
import { synthesizeDrive } from '../../src/synth/index.ts';
import { trainedRun, type TrainedRun } from '../saliency/trained-run.ts';

let dir: string;
let t: TrainedRun;
let b: BackendLink;

const call = (b: BackendLink, name: string, args: unknown): Promise<ResponseMessage> => b.request({ t: 'req', name, args } as never);
const ok = <T>(r: ResponseMessage, schema: { parse(v: unknown): T }): T => {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return schema.parse(r.result);
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'steerlab-insight-'));
  t = await trainedRun(dir, { frames: 200, width: 128, height: 64, fps: 10, epochs: 1, cropTop: 12 });
  b = await startBackendInProcess({ workspace: join(dir, 'ws') });
}, 180_000);
afterAll(async () => {
  await b?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the contract of the insight requests', () => {
  it('validates their arguments like the others', () => {
    const sal = requests['run.saliency'].args;
    expect(sal.safeParse({ runId: 'r1', sample: 3, method: 'gradcam' }).success).toBe(true);
    expect(sal.safeParse({ runId: 'r1', sample: -1, method: 'gradcam' }).success).toBe(false);
    expect(sal.safeParse({ runId: 'r1', sample: 1.5, method: 'visualbackprop' }).success).toBe(false);
    expect(sal.safeParse({ runId: '../x', sample: 0, method: 'gradcam' }).success).toBe(false);
    expect(sal.safeParse({ runId: 'r1', sample: 0, method: 'gradcam', extra: 1 }).success).toBe(false);
    expect(requests['dataset.lag'].args.safeParse({ datasetId: 'abc' }).success).toBe(true);
    expect(requests['dataset.lag'].args.safeParse({ datasetId: 'abc', maxLagMs: 5 }).success).toBe(false);
    expect(requests['dataset.lagCancel'].args.safeParse({}).success).toBe(false);
  });
});

describe('run.saliency and the run detail it starts from', () => {
  it('runs.get gives each validation prediction its sample index and the drive the run trained on', async () => {
    const d = ok(await call(b, 'runs.get', { runId: basename(t.runDir) }), RunDetail);
    const vp = JSON.parse(readFileSync(join(t.runDir, 'val-predictions.json'), 'utf8')) as { sampleIndex: number[] };
    expect(d.valSampleIndex).toEqual(vp.sampleIndex);
    expect(d.valSampleIndex).toHaveLength(d.valPredDeg!.length);
    expect(d.drive?.source).toBe(t.drive.videoPath);
    expect(d.drive?.input).toEqual({ width: 64, height: 24 });
    expect(d.drive?.specs[0]).toMatchObject({ source: t.drive.videoPath, labels: t.drive.labelsPath, crop: t.crop });
  });

  it('draws both methods over the source frame of a validation sample, with the run\'s own prediction', async () => {
    const d = ok(await call(b, 'runs.get', { runId: basename(t.runDir) }), RunDetail);
    const i = Math.floor(d.valSampleIndex!.length / 2);
    const sample = d.valSampleIndex![i];
    const pics: SaliencyImage[] = [];
    for (const method of ['visualbackprop', 'gradcam'] as const) {
      const s = ok(await call(b, 'run.saliency', { runId: d.runId, sample, method }), SaliencyImage);
      // The whole 128x64 source frame, scaled 4x for viewing (saliency/frames.ts).
      expect(s).toMatchObject({ runId: d.runId, sample, method, width: 512, height: 256 });
      expect(s.trueDeg).toBeCloseTo(d.valTrueDeg![i], 2);
      expect(s.predDeg).toBeCloseTo(d.valPredDeg![i], 1);
      const png = PNG.sync.read(Buffer.from(s.dataUrl.split(',')[1], 'base64'));
      expect([png.width, png.height]).toEqual([512, 256]);
      pics.push(s);
    }
    // Same frame, same model: the methods differ in the heat only.
    expect(pics[1].predDeg).toBe(pics[0].predDeg);
    expect(pics[1].dataUrl).not.toBe(pics[0].dataUrl);
  }, 60_000);

  it('takes any sample of the run\'s data set, not only validation ones (the Data set view\'s scrubbed sample)', async () => {
    const d = ok(await call(b, 'runs.get', { runId: basename(t.runDir) }), RunDetail);
    // The run's drive opened as the Data set view opens it: its sample k is the run's sample k.
    const o = ok(await call(b, 'dataset.open', { ...d.drive!.specs[0], input: d.drive!.input }), DatasetOverview);
    const val = new Set(d.valSampleIndex!);
    const sample = o.anglesDeg.findIndex((_, k) => !val.has(k));
    expect(sample).toBeGreaterThanOrEqual(0);
    const s = ok(await call(b, 'run.saliency', { runId: d.runId, sample, method: 'visualbackprop' }), SaliencyImage);
    expect(s).toMatchObject({ runId: d.runId, sample, method: 'visualbackprop', width: 512, height: 256 });
    expect(s.trueDeg).toBeCloseTo(o.anglesDeg[sample], 2);
    expect(Number.isFinite(s.predDeg)).toBe(true);
  }, 60_000);

  it('switches runs: the cached model is closed and the other run\'s opened (same model here: same prediction)', async () => {
    const runId = basename(t.runDir);
    cpSync(t.runDir, join(dir, 'ws', 'runs', `${runId}-copy`), { recursive: true });
    const args = { sample: 5, method: 'gradcam' };
    const a = ok(await call(b, 'run.saliency', { runId, ...args }), SaliencyImage);
    const [c, again] = await Promise.all([
      call(b, 'run.saliency', { runId: `${runId}-copy`, ...args }).then((r) => ok(r, SaliencyImage)),
      call(b, 'run.saliency', { runId, ...args }).then((r) => ok(r, SaliencyImage)),
    ]);
    expect(c.runId).toBe(`${runId}-copy`);
    expect(c.predDeg).toBe(a.predDeg);
    expect(again.dataUrl).toBe(a.dataUrl);
  }, 60_000);

  it('fails in one line for a frame out of range, an unknown run and an unknown method', async () => {
    const runId = basename(t.runDir);
    expect(await call(b, 'run.saliency', { runId, sample: 100_000, method: 'gradcam' })).toMatchObject({ ok: false, error: { code: 'user', message: expect.stringMatching(/frame 100000 is out of range/) } });
    expect(await call(b, 'run.saliency', { runId: 'nope', sample: 0, method: 'gradcam' })).toMatchObject({ ok: false, error: { code: 'user', message: expect.stringMatching(/run nope is not in the workspace/) } });
    expect(await call(b, 'run.saliency', { runId: '..', sample: 0, method: 'gradcam' })).toMatchObject({ ok: false, error: { code: 'user' } });
    expect(await call(b, 'run.saliency', { runId, sample: 0, method: 'lime' })).toMatchObject({ ok: false, error: { code: 'invalid', message: expect.stringMatching(/method/) } });
  });
});

describe('dataset.lag', () => {
  it('recovers labels 300 ms late within 50 ms, reports decode progress, and can be cancelled', async () => {
    const drive = await synthesizeDrive(join(dir, 'scenery'), { frames: 1200, width: 320, height: 160, fps: 20, seed: 1, scenery: true });
    // The labels' times read 300 ms late: add -300 ms to undo it.
    const rows = readFileSync(drive.labelsPath, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const late = join(dir, 'late300.csv');
    writeFileSync(late, ['timestamp_s,steering_deg', ...rows.map(([, s, deg]) => `${(Number(s) + 0.3).toFixed(6)},${deg}`)].join('\n') + '\n');
    const o = ok(await call(b, 'dataset.open', { source: drive.videoPath, labels: late, input: { width: 32, height: 16 } }), DatasetOverview);

    expect(await call(b, 'dataset.lagCancel', { datasetId: o.datasetId })).toMatchObject({ ok: true, result: { cancelled: false } });
    const first = call(b, 'dataset.lag', { datasetId: o.datasetId });
    const second = await call(b, 'dataset.lag', { datasetId: o.datasetId });
    expect(second).toMatchObject({ ok: false, error: { code: 'user', message: expect.stringMatching(/already being checked/) } });
    expect(await call(b, 'dataset.lagCancel', { datasetId: o.datasetId })).toMatchObject({ ok: true, result: { cancelled: true } });
    expect(await first).toMatchObject({ ok: false, error: { code: 'cancelled' } });

    const progress: string[] = [];
    const off = b.onEvent((e) => { if (e.name === 'progress') progress.push((e.payload as { message: string }).message); });
    const r = ok(await call(b, 'dataset.lag', { datasetId: o.datasetId }), LagCheck);
    off();
    expect(progress.some((m) => /checking label timing: decoding \d+\/\d+ frames/.test(m))).toBe(true);
    expect(r.evidence).toBe('good');
    expect(Math.abs(r.offsetMs! + 300)).toBeLessThanOrEqual(50);
    expect(r.suggestedOffsetMs).toBe(r.offsetMs);
    expect(r.suggestedFlag).toBe(`--offset-ms ${r.offsetMs}`);
    expect(r.curve[0]).toEqual({ offsetMs: -1000, score: expect.any(Number) });
    expect(r.curve.length).toBeGreaterThan(100);
    expect(r).toMatchObject({ source: drive.videoPath, labels: late, matchedBy: 'time' });
  }, 180_000);

  it('fails in one line for a data set that is not open', async () => {
    expect(await call(b, 'dataset.lag', { datasetId: 'abc' })).toMatchObject({ ok: false, error: { code: 'user', message: expect.stringMatching(/not open/) } });
  });
});
