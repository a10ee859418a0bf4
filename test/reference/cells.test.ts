/**
 * The lab beside PyTorch by cell: ratios of mean RMSE over seeds, PyTorch's own
 * bootstrap ranking, and whether the lab ranks each significant pair the same way.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildComparison, type ComparableRun } from '../../src/experiments/compare.ts';
import { referenceCellLines, referenceComparison } from '../../src/reference/cells.ts';
import type { ReferenceReport } from '../../src/reference/types.ts';
import { RunConfig } from '../../src/train/config.ts';
import { metrics, result } from '../experiments/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'steerlab-refcells-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const truth = Array.from({ length: 400 }, (_, i) => 40 * Math.sin(i / 15));
const sampleIndex = truth.map((_, i) => i);
const timeS = truth.map((_, i) => i / 20);
const noisy = (amp: number, seed: number) => truth.map((t, i) => t + amp * Math.sin(i / 7 + seed));
const rmse = (p: number[]) => Math.sqrt(p.reduce((s, x, i) => s + (x - truth[i]) ** 2, 0) / p.length);

/** Lab runs: cell A (small errors) and B (large errors), two seeds each; PyTorch gets its own amplitudes. */
function setup(torchAmp: { a: number; b: number }) {
  const ids = ['a1', 'a2', 'b1', 'b2'];
  const labAmp = (id: string) => (id.startsWith('a') ? 2 : 8);
  const runs: ComparableRun[] = ids.map((id, k) => {
    const head = id.startsWith('a') ? 'linear' : 'tanh';
    const seed = 1 + (k % 2);
    const pred = noisy(labAmp(id), seed);
    return {
      id, state: 'complete', meta: { cell: { 'model.head': head, 'targets.kind': 'normalized', seed } } as unknown as ComparableRun['meta'],
      config: RunConfig.parse({ name: id, seed, model: { head } }), result: result(metrics(rmse(pred) / 2, rmse(pred), 30, [1, 5, 20])),
      valPredictions: { sampleIndex, timeS, predDeg: pred, trueDeg: truth },
    };
  });
  const lab = buildComparison(runs, { title: 't' });
  const report: ReferenceReport = {
    engine: 'pytorch', torchVersion: '1.13', threads: 2, cpu: 'test', experimentId: 'e', createdAt: 'now', skipped: [], checks: { augmentationSamples: 16, forwardRuns: 4 },
    runs: ids.map((id, k) => {
      const pred = noisy(id.startsWith('a') ? torchAmp.a : torchAmp.b, 1 + (k % 2) + 10);
      writeFileSync(join(dir, `val-predictions-${id}.json`), JSON.stringify({ sampleIndex, predDeg: pred, trueDeg: truth }));
      return {
        runId: id, name: id, head: id.startsWith('a') ? 'linear' : 'tanh', targets: 'normalized', seed: 1 + (k % 2), valMaeDeg: rmse(pred) / 2, valRmseDeg: rmse(pred),
        valN: 400, pythonValMaeDeg: null, trainLossPerEpoch: [], wallTimeS: 1, samplesPerS: 100,
      };
    }),
  };
  return referenceComparison(lab, report, dir, () => timeS);
}

describe('referenceComparison', () => {
  it('ratios of mean RMSE per cell, and agreement where PyTorch ranks the same way as the lab', () => {
    const r = setup({ a: 2, b: 8 });
    expect(r.cells.map((c) => [c.key, c.seeds])).toEqual([['linear/normalized', [1, 2]], ['tanh/normalized', [1, 2]]]);
    for (const c of r.cells) expect(c.rmseRatio).toBeCloseTo(c.labRmseDeg! / c.valRmseDeg.mean!, 12);
    expect(r.rankings).toEqual([{ a: 'linear/normalized', b: 'tanh/normalized', pytorch: 'a-better', lab: 'a-better', agrees: true }]);
    expect(referenceCellLines(r).join('\n')).toContain('PyTorch: linear/normalized beats tanh/normalized; the lab agrees.');
  });
  it('a ranking the lab reverses is reported as such', () => {
    const r = setup({ a: 8, b: 2 });
    expect(r.rankings[0]).toMatchObject({ pytorch: 'b-better', lab: 'a-better', agrees: false });
    expect(referenceCellLines(r).join('\n')).toContain('PyTorch: tanh/normalized beats linear/normalized; the lab ranks them the other way.');
  });
});
