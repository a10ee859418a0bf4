import { describe, expect, it } from 'vitest';
import { buildComparison, deg, toCsv, toMarkdown, toJson, type ComparableRun } from '../../src/experiments/compare.ts';
import { renderReport } from '../../src/experiments/report.ts';
import { RunConfig } from '../../src/train/config.ts';
import { metrics, result } from './fixtures.ts';

function run(id: string, head: 'linear' | 'tanh', kind: 'raw' | 'normalized', res: ReturnType<typeof result> | null, pred?: number[]): ComparableRun {
  return {
    id, state: res ? 'complete' : 'crashed', meta: null,
    config: RunConfig.parse({ name: `${head}/${kind}`, model: { head }, targets: { kind } }),
    result: res,
    valPredictions: pred ? { sampleIndex: pred.map((_, i) => i), timeS: pred.map((_, i) => i / 20), predDeg: pred, trueDeg: [-80, -10, 0, 10, 90] } : null,
  };
}

// Hand-made: linear/normalized is best; tanh/raw beats zero on MAE (3.9 < 4.1) but not RMSE (9.5 > 9.0) and
// predicts only +-1 degree; linear/raw is worse than zero on both; the last run crashed.
const runs = [
  run('r1', 'linear', 'normalized', result(metrics(2.5, 6.2, 30, [1.0, 5.0, 20]), { findings: [{ kind: 'healthy', severity: 'info', message: 'Gradient norms stayed between 1e-3 and 2 on every layer.', step: null, layer: null, evidence: {} }] }), [-60, -8, 1, 9, 70]),
  run('r2', 'tanh', 'raw', result(metrics(3.9, 9.5, 89, [0.9, 11, 44])), [-1, -1, 0, 1, 1]),
  run('r3', 'linear', 'raw', result(metrics(5.0, 10.0, 70, [3, 12, 40]), { wallTimeS: 61.25 })),
  run('r4', 'tanh', 'normalized', null),
];
const c = buildComparison(runs, { title: 'Output heads' });

describe('comparison table', () => {
  it('one row per run with the numbers of its result, baselines and ranges', () => {
    expect(c.rows.map((r) => [r.name, r.head, r.targets, r.valMaeDeg, r.valRmseDeg, r.status])).toEqual([
      ['linear/normalized', 'linear', 'normalized', 2.5, 6.2, 'completed'],
      ['tanh/raw', 'tanh', 'raw', 3.9, 9.5, 'completed'],
      ['linear/raw', 'linear', 'raw', 5.0, 10.0, 'completed'],
      ['tanh/normalized', 'tanh', 'normalized', null, null, 'crashed'],
    ]);
    expect(c.rows[0].baselineZeroMaeDeg).toBe(4.1);
    expect(c.rows[0].baselineMeanMaeDeg).toBe(4.3);
    expect(c.rows[1].predRangeDeg).toEqual([-1, 1]);
    expect(c.rows[1].trueRangeDeg).toEqual([-80, 90]);
    expect(c.rows[0].bins.find((b) => b.name === 'sharp')).toMatchObject({ maeDeg: 20, zeroMaeDeg: 45 });
    expect(c.rows[0].findings).toEqual(['Gradient norms stayed between 1e-3 and 2 on every layer.']);
  });

  it('conclusions follow the numbers: runs that never beat a constant are named as training failures, not ranked', () => {
    const text = c.conclusions.join('\n');
    expect(text).toContain('Lowest validation RMSE among the cells that trained: linear/normalized with 6.20° (MAE 2.50°); the zero predictor scores RMSE 9.00°, MAE 4.10°.');
    expect(text).toContain('tanh/raw failed to train in 1 of 1 run: it never beat a constant predictor: validation RMSE 9.50° vs 9.00°.');
    expect(text).toContain('linear/raw failed to train in 1 of 1 run: it never beat a constant predictor: validation RMSE 10.00° vs 9.00°.');
    expect(text).toContain('every comparison with tanh/raw is confounded. Fix: train longer (--epochs)');
    expect(text).toContain('tanh/normalized: no validation metrics (status crashed)');
    // The one pair with predictions on the same frames is compared, and flagged as confounded.
    expect(c.differences.map((d) => [d.a, d.b, d.confounded])).toEqual([['linear/normalized', 'tanh/raw', true]]);
    expect(text).toMatch(/(beats|No measurable difference between) .*\(confounded: one of them failed to train\)/);
    expect(text).toContain('One seed per cell: seed-to-seed noise is not in these intervals');
    // No per-run baseline sentences for the failed runs (the failure line says it), none for the good one.
    expect(text).not.toContain('tanh/raw beats the zero predictor on MAE');
    expect(text).not.toContain('linear/normalized does not beat');
    expect(c.cells.map((x) => [x.key, x.failed, x.valRmseDeg.mean])).toEqual([
      ['linear/normalized', false, 6.2], ['tanh/raw', true, 9.5], ['linear/raw', true, 10], ['tanh/normalized', false, null],
    ]);
  });

  it('a saturated head is a training failure with the fix named, whatever its error', () => {
    const sat = { kind: 'saturated-head' as const, severity: 'warning' as const, step: 10, layer: 'head', message: "Saturated head: 100.0% of 'head' pre-activations have |x| > 2 (range -252 to -45) at step 10.", evidence: {} };
    const x = buildComparison([run('s', 'tanh', 'normalized', result(metrics(3.0, 8.0, 60, [1, 12, 30]), { findings: [sat] }))], { title: 's' });
    expect(x.cells[0].failed).toBe(true);
    expect(x.conclusions.join('\n')).toContain("tanh/normalized failed to train in 1 of 1 run: Saturated head: 100.0% of 'head' pre-activations have |x| > 2 (range -252 to -45) at step 10.");
    expect(x.conclusions.join('\n')).toContain("Fix: start the head small (model.headInit 'small')");
    expect(x.conclusions.join('\n')).toContain('No cell trained normally');
  });

  it('seeds of one configuration form one cell with mean ± sd, and a clear gap is a ranking with its interval', () => {
    const truth = Array.from({ length: 400 }, (_, i) => 40 * Math.sin(i / 15));
    const noisy = (amp: number, seed: number) => truth.map((t, i) => t + amp * Math.sin(i / 7 + seed));
    const seeded = (id: string, head: 'linear' | 'tanh', seed: number, amp: number, rmse: number): ComparableRun => ({
      id, state: 'complete', meta: { cell: { 'model.head': head, 'targets.kind': 'normalized', seed } } as unknown as ComparableRun['meta'],
      config: RunConfig.parse({ name: `${head} s${seed}`, seed, model: { head } }),
      result: result(metrics(rmse / 2, rmse, 30, [1, 5, 20])),
      valPredictions: { sampleIndex: truth.map((_, i) => i), timeS: truth.map((_, i) => i / 20), predDeg: noisy(amp, seed), trueDeg: truth },
    });
    const x = buildComparison([seeded('a1', 'linear', 1, 2, 1.4), seeded('a2', 'linear', 2, 2, 1.5), seeded('b1', 'tanh', 1, 8, 5.6), seeded('b2', 'tanh', 2, 8, 5.7)], { title: 'seeds' });
    expect(x.cells.map((k) => [k.key, k.seeds, k.runIds])).toEqual([['linear/normalized', [1, 2], ['a1', 'a2']], ['tanh/normalized', [1, 2], ['b1', 'b2']]]);
    expect(x.cells[0].valRmseDeg.mean).toBeCloseTo(1.45, 10);
    expect(x.cells[0].valRmseDeg.sd).toBeCloseTo(Math.SQRT1_2 * 0.1, 10);
    expect(x.differences).toHaveLength(1);
    expect(x.differences[0].verdict).toBe('a-better');
    expect(x.conclusions.join('\n')).toMatch(/linear\/normalized beats tanh\/normalized by [\d.]+° RMSE \(95% CI [\d.]+° to [\d.]+°\)\./);
    expect(x.conclusions.join('\n')).toContain("with each cell's seeds resampled too");
  });

  it("a model just below the mean predictor's RMSE is within 5%; one above it does not beat it", () => {
    // fixtures: mean predictor RMSE 9.10 degrees; zero predictor MAE 4.10, RMSE 9.00.
    const close = buildComparison([run('m', 'linear', 'raw', result(metrics(3.0, 8.8, 60, [1, 12, 30])))], { title: 'm' });
    expect(close.conclusions).toContain("linear/raw is within 5% of the mean predictor's RMSE (8.80° vs 9.10°, 3.3% lower): it has learned little beyond the average angle.");
    const clear = buildComparison([run('m', 'linear', 'raw', result(metrics(3.0, 8.0, 60, [1, 12, 30])))], { title: 'm' });
    expect(clear.conclusions.join('\n')).not.toContain('mean predictor');
  });

  it('sharp angles worse than the zero predictor are called worse, not "barely steers"', () => {
    const w = buildComparison([run('s', 'linear', 'raw', result(metrics(3.0, 8.0, 60, [1, 12, 60])))], { title: 's' });
    expect(w.conclusions).toContain('linear/raw on sharp angles (|angle| ≥ 30°, 10 samples): MAE 60.0° vs 45.0° for the zero predictor — it does worse there than predicting straight ahead.');
  });

  it('a model within 5% of the zero predictor on both metrics is called out', () => {
    const near = buildComparison([run('z', 'linear', 'raw', result(metrics(4.0, 8.9, 60, [1, 12, 44])))], { title: 'z' });
    expect(near.conclusions).toContain('linear/raw is within 5% of the zero predictor on both MAE (4.00° vs 4.10°) and RMSE (8.90° vs 9.00°): it barely steers.');
  });

  it('CSV has a header naming units and one line per run', () => {
    const lines = toCsv(c).trim().split('\n');
    expect(lines).toHaveLength(5);
    const header = lines[0].split(',');
    expect(header.slice(0, 6)).toEqual(['run', 'head', 'targets', 'val_mae_deg', 'val_rmse_deg', 'max_err_deg']);
    expect(header).toContain('mae_sharp_ge30_deg');
    expect(header).toContain('wall_time_s');
    const row3 = lines[3].split(',');
    expect(row3.slice(0, 5)).toEqual(['linear/raw', 'linear', 'raw', '5', '10']);
    expect(row3[header.indexOf('wall_time_s')]).toBe('61.3');
    expect(lines[4].split(',')[3]).toBe('');
  });

  it('Markdown has the table, conclusions and findings', () => {
    const md = toMarkdown(c);
    expect(md).toContain('| run | head | targets | val MAE | val RMSE | max err | MAE straight 0–5° | MAE gentle 5–30° | MAE sharp ≥30° |');
    expect(md).toContain('| linear/normalized | linear | normalized | 2.50° | 6.20° | 30.0° | 1.00° | 5.00° | 20.0° | 4.10° / 9.00° | 4.30° / 9.10° | 5 | 43 s | 252,219 | wasm | completed |');
    expect(md).toContain('### Conclusions');
    expect(md).toContain('**linear/normalized**');
    expect(JSON.parse(toJson(c)).rows).toHaveLength(4);
  });

  it('deg() keeps 3 significant figures and a unit', () => {
    expect([deg(0.1234), deg(12.345), deg(420.4), deg(null), deg(NaN)]).toEqual(['0.12°', '12.3°', '420°', '—', '—']);
  });

  it('the HTML report is self-contained and escapes text', () => {
    const loaded = runs.map((r) => ({ ...r, dir: '/x', epochs: [], steps: [], diagnostics: [], liveFindings: [] }));
    loaded[0].config = RunConfig.parse({ name: '<script>alert(1)</script>' });
    const html = renderReport(buildComparison(loaded, { title: 'T <b>' }), loaded, { chartJs: 'window.Chart=function(){};' });
    expect(html).toContain('T &lt;b&gt;');
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toMatch(/src=["']?https?:/);
    expect(html).toContain('window.Chart=function(){};');
    expect(html).toContain('id="pred-0"');
    const json = html.match(/<script type="application\/json" id="report-data">(.*?)<\/script>/s)?.[1] as string;
    expect(JSON.parse(json).runs[1].pred.map((p: { y: number }) => p.y)).toEqual([-1, -1, 0, 1, 1]);
  });
});

describe('vs()', () => {
  it('prints enough digits to show two close numbers differ, or says they are equal', async () => {
    const { vs } = await import('../../src/experiments/conclusions.ts');
    expect(vs(19.41, 19.43)).toBe('19.41° vs 19.43°');
    expect(vs(19.4, 25)).toBe('19.4° vs 25.0°');
    expect(vs(3.14159, 3.14159)).toBe('3.1416°, equal to the other at 4 decimals');
  });
});

describe('data warnings', () => {
  it('appear in the Markdown table and the HTML report, not only in experiment.json', () => {
    const dataset = {
      source: 'drive.mp4', labels: 'l.csv', input: { width: 200, height: 66 }, frames: 100, samples: 90, trainSamples: 60, valSamples: 20,
      valBlocks: [{ start: 0, end: 20 }], fps: 20, warnings: ['10 of 100 frames (10.0%) have no label within reach and are dropped'],
    };
    const x = buildComparison([runs[0]], { title: 'w', dataset });
    expect(toMarkdown(x)).toContain('**Data warnings**\n\n- 10 of 100 frames (10.0%) have no label within reach and are dropped');
    const loaded = [{ ...runs[0], dir: '/x', epochs: [], steps: [], diagnostics: [], liveFindings: [] }];
    expect(renderReport(x, loaded, { chartJs: '' })).toContain('<h2>Data warnings</h2><ul><li>10 of 100 frames (10.0%) have no label');
  });
});
