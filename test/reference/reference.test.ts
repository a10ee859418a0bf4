/**
 * The PyTorch reference end to end on a tiny synthetic drive (20x60 input,
 * where conv3-5 fall back to asymmetric 'same' padding; widthMultiplier
 * 0.25; two short epochs): a 2-cell experiment, then runReference; the
 * target inversion on a constant head; and two wrong mirrors the pre-flight
 * checks must catch. Needs a Python with torch; skipped without one unless
 * STEERLAB_REQUIRE_REFERENCE=1.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExperiment } from '../../src/lab/experiment.ts';
import { readJsonOrNull, type TargetTransformFile } from '../../src/experiments/store.ts';
import { findPython, installScript, preflight, REFERENCE_SCRIPT, runJob } from '../../src/reference/index.ts';
import { prepareReference, type PreparedReference } from '../../src/reference/prepare.ts';
import { ReferenceReport, type ReferenceRow } from '../../src/reference/types.ts';
import { TrainResults } from '../../src/reference/python.ts';
import { synthesizeDrive } from '../../src/synth/index.ts';
import { transformFromParams } from '../../src/targets/transform.ts';
import type { TargetKind } from '../../src/targets/config.ts';
import { jsonOutput, runCliSync } from '../helpers/cli.ts';

const python = await findPython().catch(() => null);
const required = process.env.STEERLAB_REQUIRE_REFERENCE === '1';

it.runIf(!python && required)('finds a Python with torch (STEERLAB_REQUIRE_REFERENCE=1)', async () => {
  await findPython(); // throws the UserError that names the fix
});

describe.skipIf(!python)('PyTorch reference', () => {
  let dir: string;
  let expDir: string;
  let runIds: string[];
  let valSamples: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'steerlab-reference-'));
    const d = await synthesizeDrive(join(dir, 'drive'), { frames: 240, width: 80, height: 40, fps: 10, seed: 3 });
    const s = await runExperiment({
      dataset: { source: d.videoPath, labels: d.labelsPath, input: { width: 60, height: 20 } },
      base: {
        name: 'ref', epochs: 2, batchSize: 16, maxStepsPerEpoch: 3, logEvery: 3, engine: 'wasm', targets: { kind: 'standardized' },
        model: { input: { height: 20, width: 60 }, widthMultiplier: 0.25 },
        augment: { flip: true, brightness: 0.2, contrast: 0.2, shiftPx: 2, shiftDegPerPx: 1.5 },
      },
      axes: { 'model.head': ['linear', 'tanh'] },
      workspace: join(dir, 'ws'),
      workers: 1,
    });
    expect(s.status).toBe('completed');
    expDir = s.dir;
    runIds = s.runs.map((r) => r.runId!);
    valSamples = s.dataset!.valSamples;
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('`steerlab reference --json` reproduces every run, scored with the lab metric on the lab validation frames', () => {
    const r = runCliSync(['reference', expDir, '--json'], { cwd: dir, env: { STEERLAB_PYTHON: python! } });
    const out = jsonOutput(r);
    const report = ReferenceReport.parse(JSON.parse(readFileSync(join(expDir, 'reference.json'), 'utf8')));
    expect(ReferenceReport.parse(out)).toEqual(report);
    expect(report.engine).toBe('pytorch');
    expect(report.runs.map((x) => [x.runId, x.head, x.targets])).toEqual([[runIds[0], 'linear', 'standardized'], [runIds[1], 'tanh', 'standardized']]);
    // The checks ran first: 16 augmented frames (one augmentation config) and both runs' forward passes with the lab weights.
    expect(report.checks).toEqual({ augmentationSamples: 16, forwardRuns: 2 });
    const checked = r.stderr.indexOf('checked 16 augmented frames');
    expect(checked).toBeGreaterThanOrEqual(0);
    expect(checked).toBeLessThan(r.stderr.indexOf('run 1/2'));
    expect(r.stderr).toContain('run 2/2');
    for (const x of report.runs) {
      expect(Number.isFinite(x.valMaeDeg!) && Number.isFinite(x.valRmseDeg!)).toBe(true);
      expect(x.valN).toBe(valSamples);
      // reference.py's own MAE on the angles it was given = the lab metric on the lab's angles: predictions line up.
      expect(Math.abs(x.pythonValMaeDeg! - x.valMaeDeg!)).toBeLessThan(1e-4);
      expect(x.trainLossPerEpoch).toHaveLength(2);
      expect(x.samplesPerS).toBeGreaterThan(0);
      const vp = JSON.parse(readFileSync(join(expDir, 'reference', `val-predictions-${x.runId}.json`), 'utf8'));
      expect(vp.predDeg).toHaveLength(valSamples);
    }
    // The side-by-side rows: the lab's numbers from result.json beside PyTorch's.
    const lab = runIds.map((id) => JSON.parse(readFileSync(join(expDir, '..', '..', 'runs', id, 'result.json'), 'utf8')).val.model);
    expect(out.rows.map((x: ReferenceRow) => [x.lab!.valRmseDeg, x.pytorch.valRmseDeg, x.rmseRatio])).toEqual(
      report.runs.map((x, i) => [lab[i].rmseDeg, x.valRmseDeg, lab[i].rmseDeg / x.valRmseDeg!]),
    );
    // Scratch files go: the frame dump, the jobs, the script copy.
    expect(readdirSync(join(expDir, 'reference')).sort()).toEqual(runIds.map((id) => `val-predictions-${id}.json`).sort());
  });

  describe('with the job prepared by hand', () => {
    let prep: PreparedReference;
    const workScript = () => installScript(prep.workDir);
    beforeAll(async () => {
      prep = await prepareReference({ experimentDir: expDir, keepFrames: true });
    });
    afterAll(() => prep.cleanup());

    it('a head fixed at a constant reads back through the saved target transform (degrees = scale * output + offset)', async () => {
      const c = 0.5;
      const job = structuredClone(prep.job);
      // Run 0 (linear): no training. Run 1 (tanh): one epoch of SGD at learning rate 0, no augmentation, the whole
      // training split as one batch: weights never move, and the epoch's loss is the MSE of the constant against the targets.
      const nTrain = job.datasets[job.runs[1].dataset].trainPositions.length;
      job.runs[0] = { ...job.runs[0], epochs: 0, debug: { headConst: c } };
      job.runs[1] = {
        ...job.runs[1], epochs: 1, debug: { headConst: c }, batchSize: nTrain, maxStepsPerEpoch: 0,
        optimizer: { ...job.runs[1].optimizer, name: 'sgd', learningRate: 0, momentum: 0, schedule: 'constant', warmupSteps: 0 },
        augment: { ...job.runs[1].augment, flip: false, shiftPx: 0, brightness: 0, contrast: 0 },
      };
      const res = TrainResults.parse(await runJob({ python: python!, script: workScript(), workDir: prep.workDir, name: 'const' }, job));
      [Math.fround(c), Math.fround(Math.tanh(c))].forEach((headOut, i) => {
        // The lab's own saved transform, read independently of the job builder.
        const saved = readJsonOrNull(join(expDir, '..', '..', 'runs', runIds[i], 'model', 'target-transform.json')) as TargetTransformFile;
        const want = transformFromParams(saved.kind as TargetKind, saved.params).toDeg(headOut);
        expect(saved.kind).toBe('standardized');
        expect(Math.abs(saved.degrees.offset)).toBeGreaterThan(1e-3); // a non-trivial offset, so an inversion slip shows
        const r = res.runs[i];
        expect(r.predDeg).toHaveLength(valSamples);
        for (const p of r.predDeg) expect(Math.abs(p! - want)).toBeLessThan(1e-4 * Math.max(1, Math.abs(want)));
      });
      expect(res.runs[1].steps).toBe(1);
      // Training targets go through the same transform: loss = mean over training frames of (tanh(c) - toTarget(angle))^2.
      const saved = readJsonOrNull(join(expDir, '..', '..', 'runs', runIds[1], 'model', 'target-transform.json')) as TargetTransformFile;
      const t = transformFromParams(saved.kind as TargetKind, saved.params);
      const angles = job.datasets[job.runs[1].dataset].trainAnglesDeg.filter((a): a is number => a !== null);
      const want = angles.reduce((sum, a) => sum + (Math.tanh(c) - t.toTarget(a)) ** 2, 0) / angles.length;
      expect(res.runs[1].trainLossPerEpoch[0]).toBeCloseTo(want, 5);
    });

    /** A copy of reference.py with one line replaced (the replacement must happen, or the test proves nothing). */
    function mutated(from: string, to: string): string {
      const src = readFileSync(REFERENCE_SCRIPT, 'utf8');
      expect(src).toContain(from);
      const path = join(dir, `mutant-${Math.random().toString(36).slice(2)}.py`);
      writeFileSync(path, src.replace(from, to));
      return installScript(prep.workDir, path);
    }

    it('catches a flip that does not negate the angle', async () => {
      const script = mutated("ang = torch.where(p['flip'], -ang, ang)", "ang = torch.where(p['flip'], ang, ang)");
      await expect(preflight({ python: python!, script, workDir: prep.workDir, name: 'mutant' }, prep)).rejects.toThrow(/augmentation disagrees.*angle/);
    });

    it('catches a dense layer that flattens in NCHW order instead of the lab NHWC', async () => {
      const script = mutated('h.permute(0, 2, 3, 1).reshape(h.shape[0], -1) if h.dim() == 4 else h', 'h.reshape(h.shape[0], -1) if h.dim() == 4 else h');
      await expect(preflight({ python: python!, script, workDir: prep.workDir, name: 'mutant' }, prep)).rejects.toThrow(/with the lab's weights/);
    });
  });
});
