/**
 * The autonomy estimate through the compare path: a tiny run on a curvy
 * synthetic drive records it with its validation metrics, the comparison
 * (JSON, Markdown, CSV) shows it beside the zero and mean predictors, and
 * its numbers are estimateAutonomy's on the run's saved predictions. Plus the
 * speed read from label files (units per format).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildComparison, toCsv, toMarkdown } from '../../src/experiments/compare.ts';
import { loadPath } from '../../src/experiments/load.ts';
import { sampleClock, sampleSpeeds, speedColumn } from '../../src/lab/autonomy-eval.ts';
import { runExperiment } from '../../src/lab/index.ts';
import { synthesizeDrive } from '../../src/synth/index.ts';
import { estimateAutonomy } from '../../src/targets/autonomy.ts';
import type { LabelRow, LabelSet } from '../../src/data/types.ts';
import type { Dataset, DatasetSpec } from '../../src/video/types.ts';

let dir: string;
let dataset: DatasetSpec;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'steerlab-autonomy-'));
  // 600 frames at 10 Hz: a minute of the synthetic road, bends both ways.
  const d = await synthesizeDrive(join(dir, 'drive'), { frames: 600, width: 64, height: 32, fps: 10, seed: 4 });
  dataset = { source: d.videoPath, labels: d.labelsPath, input: { width: 48, height: 16 } };
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('autonomy through compare', () => {
  it('records autonomy per run beside the zero and mean predictors, equal to estimateAutonomy on the saved predictions', async () => {
    const ws = join(dir, 'ws');
    const base = {
      name: 'tiny', epochs: 1, batchSize: 16, maxStepsPerEpoch: 4, logEvery: 2, engine: 'wasm' as const, model: { input: { height: 16, width: 48 } },
      split: { valFraction: 0.3, blocks: 2 }, autonomy: { thresholdM: 0.5 },
    };
    const s = await runExperiment({ dataset, base, axes: { 'model.head': ['linear'] }, workspace: ws });
    expect(s.status).toBe('completed');
    const set = loadPath(s.dir);
    const c = buildComparison(set.runs, { title: 't' });
    const [row] = c.rows;
    const [run] = set.runs;
    const a = run.result!.val!.autonomy!;
    expect(a.settings).toMatchObject({ thresholdM: 0.5, steeringRatio: 15, wheelbaseM: 2.7, defaultSpeedMps: 15 });
    expect(a.speedFromLabels).toBe(false);
    expect(row.autonomySpeed).toMatch(/constant 15 m\/s/);
    for (const k of ['autonomyPct', 'interventions', 'baselineZeroAutonomyPct', 'baselineMeanAutonomyPct'] as const) expect(Number.isFinite(row[k])).toBe(true);

    // The same numbers from the run's val-predictions.json (frame times, predicted and true degrees).
    const vp = JSON.parse(readFileSync(join(run.dir, 'val-predictions.json'), 'utf8'));
    const again = (steerDeg: number[]) => estimateAutonomy({ steerDeg, trueDeg: vp.trueDeg, timeS: vp.timeS, speedMps: null }, { thresholdM: 0.5 });
    const model = again(vp.predDeg);
    const zero = again(vp.trueDeg.map(() => 0));
    expect(model.interventions).toBe(row.interventions);
    expect(row.autonomyPct).toBeCloseTo(model.autonomyPct, 2); // predictions are saved rounded
    expect(zero.interventions).toBe(a.zero.interventions);
    expect(zero.elapsedS).toBeCloseTo(a.zero.elapsedS, 6);
    expect(row.baselineZeroAutonomyPct).toBeCloseTo(zero.autonomyPct, 6);
    // The validation frames include bends: driving straight needs the safety driver.
    expect(zero.interventions).toBeGreaterThan(0);
    expect(zero.autonomyPct).toBeLessThan(100);
    expect(zero.elapsedS).toBeGreaterThan(10);

    expect(c.conclusions.some((x) => x.startsWith('Autonomy estimate (open loop): fewest interventions') && x.includes(`with ${row.interventions}`))).toBe(true);
    const md = toMarkdown(c);
    expect(md).toContain('autonomy (interventions)');
    expect(md).toContain(`${row.interventions})`);
    expect(md).toMatch(/Speed: constant 15 m\/s/);
    const csv = toCsv(c).split('\n');
    const header = csv[0].split(',');
    expect(header).toEqual(expect.arrayContaining(['autonomy_pct', 'baseline_zero_autonomy_pct', 'interventions', 'interventions_per_km']));
    expect(Number(csv[1].split(',')[header.indexOf('interventions')])).toBe(row.interventions);
  }, 120_000);

  it('leaves the autonomy columns out for runs recorded without the estimate', () => {
    const c = buildComparison([{ id: 'old', state: 'complete', meta: null, config: null, result: null, valPredictions: null }], { title: 'old' });
    expect(c.rows[0].autonomyPct).toBeNull();
    expect(toMarkdown(c)).not.toContain('autonomy');
  });
});

describe('speed from the labels', () => {
  const row = (i: number, extras: Record<string, number>, o: Partial<LabelRow> = {}): LabelRow => ({ steeringDeg: 0, extras, line: i + 2, ...o });
  const set = (format: LabelSet['format'], key: LabelSet['key'], rows: LabelRow[]): LabelSet => ({ path: 'l', format, units: 'degrees', unitsInferred: false, sign: 'positive-right', key, rows, warnings: [] });

  it('names the column and unit per format', () => {
    expect(speedColumn(set('udacity-sim', 'image', [row(0, { speed: 30 })]))).toMatchObject({ column: 'speed', unit: 'mph' });
    expect(speedColumn(set('udacity-sim', 'image', [row(0, { speed: 30 })]))!.toMps).toBeCloseTo(0.44704, 6);
    expect(speedColumn(set('udacity-challenge', 'time', [row(0, { speed: 30, torque: 1 })]))).toMatchObject({ unit: 'm/s', toMps: 1 });
    expect(speedColumn(set('csv', 'time', [row(0, { Speed_KMH: 36 })]))).toMatchObject({ column: 'Speed_KMH', unit: 'km/h' });
    expect(speedColumn(set('csv', 'time', [row(0, { throttle: 0.3 })]))).toBeNull();
    expect(speedColumn(set('donkey', 'frame', [row(0, { 'user/throttle': 0.3 })]))).toBeNull();
  });

  it('matches speed to samples as the angles were: by time (interpolated) and by image (matched rows in order), in m/s', () => {
    const times = Float64Array.from({ length: 5 }, (_, i) => i / 10);
    const frames = { count: 5, width: 1, height: 1, channels: 3 as const, timestampsS: times, read: () => new Uint8Array(3), close() {} };
    const ds = (labels: LabelSet): Dataset => ({
      spec: { source: 'x', input: { width: 1, height: 1 } }, video: { fps: 10 } as Dataset['video'], frames, labels,
      sampleFrame: Int32Array.from([1, 2, 3]), anglesDeg: new Float32Array(3),
      alignment: { method: labels.key, matched: 3, unmatchedFrames: 2, unmatchedLabels: 0, gaps: [], offsetMs: 0, maxGapMs: 500 },
      warnings: [], cachePath: '', cacheHit: true,
    });
    // km/h rows every 0.2 s: frame 0.1 s falls between 36 and 72 km/h.
    const timed = ds(set('csv', 'time', [0, 1, 2].map((i) => row(i, { speed_kmh: 36 * (i + 1) }, { timeS: i * 0.2 }))));
    const t = sampleSpeeds(timed);
    expect(Array.from(t.speedMps!)).toEqual([15, 20, 25].map((x) => expect.closeTo(x, 5)));
    expect(t.text).toBe('labels column "speed_kmh" (km/h, converted to m/s)');
    const imaged = ds(set('udacity-sim', 'image', [10, 20, 30].map((mph, i) => row(i, { speed: mph }, { image: `IMG/c${i}.jpg`, camera: 'center' }))));
    expect(Array.from(sampleSpeeds(imaged).speedMps!)).toEqual([10, 20, 30].map((x) => expect.closeTo(x * 0.44704, 6)));
    expect(sampleSpeeds(ds(set('sully', 'image', [row(0, {})]))).speedMps).toBeNull();

    // An image folder's frame times are nominal (30 fps): the simulator's image-name clock drives the car instead.
    const named = ds(set('udacity-sim', 'image', ['51_453', '51_551', '52_653'].map((t, i) => row(i, {}, { image: `IMG/center_2024_01_31_22_05_${t}.jpg`, camera: 'center' }))));
    const clock = sampleClock(named);
    expect(Array.from(clock.timeS!)).toEqual([0, 0.098, 1.2].map((x) => expect.closeTo(x, 9)));
    expect(clock.text).toMatch(/image-name times/);
    expect(sampleClock(timed)).toEqual({ timeS: null, text: 'frame times' });
  });
});
