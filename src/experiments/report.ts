/**
 * A self-contained HTML report of an experiment or run: the comparison table
 * and conclusions, error by angle bin, and per run the loss curves, per-layer
 * gradient norms over steps, predicted vs true angle over time on the
 * validation frames, and the findings. Chart.js is inlined from
 * node_modules, so the file opens offline and loads nothing from a network.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { autonomyNote, deg, pct, tableCells, videoLines, type Comparison } from './compare.ts';
import type { LoadedRun } from './load.ts';

const require = createRequire(import.meta.url);

/** Chart.js UMD source, or null when chart.js is not installed (the report then has tables only). */
export function chartJsSource(): string | null {
  try {
    const p = join(dirname(require.resolve('chart.js')), 'chart.umd.js');
    return existsSync(p) ? readFileSync(p, 'utf8') : null;
  } catch {
    return null;
  }
}

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** Keeps at most `max` evenly spaced points (charts of 10^5 points are slow and no more readable). */
export function decimate<T>(xs: T[], max: number): T[] {
  if (xs.length <= max) return xs;
  const out: T[] = [];
  const stride = xs.length / max;
  for (let i = 0; i < max; i++) out.push(xs[Math.floor(i * stride)]);
  if (out[out.length - 1] !== xs[xs.length - 1]) out.push(xs[xs.length - 1]);
  return out;
}

type Pt = { x: number; y: number | null };

/** Per-run chart data: only plain numbers go into the page. */
function runChartData(run: LoadedRun): Record<string, unknown> {
  const stepLoss: Pt[] = decimate(run.steps.map((s) => ({ x: s.step, y: Number.isFinite(s.loss) ? s.loss : null })), 600);
  const stepsPerEpoch = run.steps[0]?.stepsPerEpoch ?? null;
  const epochX = (e: number): number => (stepsPerEpoch ? (e + 1) * stepsPerEpoch : e + 1);
  const trainLoss: Pt[] = run.epochs.map((e) => ({ x: epochX(e.epoch), y: Number.isFinite(e.trainLoss) ? e.trainLoss : null }));
  const valLoss: Pt[] = run.epochs.map((e) => ({ x: epochX(e.epoch), y: Number.isFinite(e.valLoss) ? e.valLoss : null }));

  const layers = new Map<string, Pt[]>();
  for (const snap of decimate(run.diagnostics, 400)) {
    for (const l of snap.layers) {
      if (!layers.has(l.name)) layers.set(l.name, []);
      // Log axis: zero or non-finite norms cannot be drawn; leave a gap.
      (layers.get(l.name) as Pt[]).push({ x: snap.step, y: Number.isFinite(l.gradNorm) && l.gradNorm > 0 ? l.gradNorm : null });
    }
  }

  let pred: Pt[] = [];
  let truth: Pt[] = [];
  const vp = run.valPredictions;
  if (vp) {
    const idx = decimate([...vp.predDeg.keys()], 1500);
    for (let j = 0; j < idx.length; j++) {
      const i = idx[j];
      // x = position among the validation frames: blocks are a few seconds each across a long drive,
      // so a time axis would squeeze each block into a sliver.
      const x = i;
      // A jump in sample index is the boundary between validation blocks: break the line there.
      if (j > 0 && vp.sampleIndex[i] - vp.sampleIndex[idx[j - 1]] > i - idx[j - 1]) {
        pred.push({ x, y: null });
        truth.push({ x, y: null });
      }
      pred.push({ x, y: vp.predDeg[i] });
      truth.push({ x, y: vp.trueDeg[i] });
    }
  }
  return {
    id: run.id,
    stepLoss, trainLoss, valLoss,
    gradNorms: [...layers.entries()].map(([name, pts]) => ({ name, pts })),
    pred, truth,
  };
}

function table(c: Comparison): string {
  const t = tableCells(c);
  return `<table><thead><tr>${t.headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${t.rows
    .map((r) => `<tr>${r.map((x) => `<td>${esc(x)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** Cells over seeds (mean ± sd, degrees), when any cell has more than one seed. */
function cellsTable(c: Comparison): string {
  if (!c.cells.some((x) => x.seeds.length > 1)) return '';
  const ms = (m: { mean: number | null; sd: number | null }) => (m.mean === null ? '—' : `${deg(m.mean)} ± ${deg(m.sd)}`);
  const rows = c.cells.map((x) => `<tr><td>${esc(x.key)}</td><td>${esc(x.seeds.join(', '))}</td><td>${esc(ms(x.valMaeDeg))}</td><td>${esc(ms(x.valRmseDeg))}</td><td>${x.failed ? `no: ${esc(x.fix ?? '')}` : 'yes'}</td></tr>`);
  return `<h2>Cells over seeds (validation error, mean ± sd)</h2><table><thead><tr><th>cell</th><th>seeds</th><th>val MAE</th><th>val RMSE</th><th>trained</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function runSection(run: LoadedRun, i: number, c: Comparison, charts: boolean): string {
  const row = c.rows[i];
  const findings = run.result?.findings ?? run.liveFindings;
  const cfg = run.config;
  const desc = cfg
    ? `${cfg.model.arch} ${cfg.model.input.height}x${cfg.model.input.width}, ${cfg.model.activation}, init ${cfg.model.init}, head ${row.head}, targets ${row.targets}, ${cfg.optimizer.name} lr ${cfg.optimizer.learningRate}, batch ${cfg.batchSize}, seed ${cfg.seed}`
    : 'config.json missing';
  const chartBlock = charts
    ? `<div class="grid3">
  <div><h4>Loss (target units)</h4><div class="chart"><canvas id="loss-${i}"></canvas></div></div>
  <div><h4>Gradient L2 norm per layer</h4><div class="chart"><canvas id="grad-${i}"></canvas></div></div>
  <div><h4>Validation frames in drive order (gaps between blocks): predicted vs true angle (degrees)</h4><div class="chart"><canvas id="pred-${i}"></canvas></div></div>
</div>`
    : '';
  return `<section class="run">
<h3>${esc(row.name)} <span class="status s-${esc(row.status)}">${esc(row.status)}</span></h3>
<p class="muted">${esc(run.id)} · ${esc(desc)}</p>
<p>Validation MAE ${esc(deg(row.valMaeDeg))}, RMSE ${esc(deg(row.valRmseDeg))}, max error ${esc(deg(row.valMaxErrDeg))}; zero predictor MAE ${esc(deg(row.baselineZeroMaeDeg))}, RMSE ${esc(deg(row.baselineZeroRmseDeg))}.${row.autonomyPct != null ? ` Autonomy ${esc(pct(row.autonomyPct))} (${row.interventions} interventions${row.interventionsPerKm != null ? `, ${row.interventionsPerKm.toFixed(2)}/km` : ''}; zero predictor ${esc(pct(row.baselineZeroAutonomyPct))}, mean predictor ${esc(pct(row.baselineMeanAutonomyPct))}).` : ''}${row.error ? ` Error: ${esc(row.error)}` : ''}</p>
${chartBlock}
<h4>Findings</h4>
${findings.length ? `<ul>${findings.map((f) => `<li class="sev-${esc(f.severity)}"><b>${esc(f.kind)}</b>${f.step !== null ? ` (step ${f.step}${f.layer ? `, ${esc(f.layer)}` : ''})` : ''}: ${esc(f.message)}</li>`).join('')}</ul>` : '<p class="muted">None recorded.</p>'}
</section>`;
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2330;background:#fafbfc}
h1{font-size:22px}h2{font-size:18px;margin-top:28px}h3{font-size:16px;margin:0 0 4px}h4{font-size:13px;margin:8px 0 4px;color:#444}
table{border-collapse:collapse;font-size:12.5px;background:#fff}th,td{border:1px solid #d8dde6;padding:4px 7px;text-align:right;white-space:nowrap}
th:first-child,td:first-child,td:nth-child(2),td:nth-child(3){text-align:left}th{background:#eef1f6}
.run{background:#fff;border:1px solid #d8dde6;border-radius:6px;padding:12px 16px;margin:16px 0}
.grid3{display:grid;grid-template-columns:repeat(auto-fit,minmax(360px,1fr));gap:12px}.chart{position:relative;height:260px}
.muted{color:#6b7280;font-size:12px}.status{font-size:11px;padding:1px 6px;border-radius:8px;background:#e5e7eb;vertical-align:middle}
.s-completed,.s-stopped-early{background:#d1fae5}.s-failed,.s-diverged,.s-crashed{background:#fee2e2}.s-cancelled{background:#fef3c7}
.sev-error b{color:#b91c1c}.sev-warning b{color:#b45309}.sev-info b{color:#2563eb}.wide{overflow-x:auto}`;

/** Page script: builds the charts from the embedded JSON. Plain ES2017, no imports. */
const SCRIPT = String.raw`
const D = JSON.parse(document.getElementById('report-data').textContent);
const palette = ['#2563eb','#dc2626','#16a34a','#9333ea','#ea580c','#0891b2','#a16207','#db2777','#4b5563','#65a30d','#7c3aed','#0f766e'];
const line = (label, data, i, extra) => Object.assign({ label, data, borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length], pointRadius: 0, borderWidth: 1.5, spanGaps: false }, extra || {});
const opts = (xTitle, yTitle, logY) => ({ animation: false, parsing: false, normalized: true, maintainAspectRatio: false,
  plugins: { legend: { labels: { boxWidth: 10, font: { size: 10 } } } },
  scales: { x: { type: 'linear', title: { display: true, text: xTitle } }, y: { type: logY ? 'logarithmic' : 'linear', title: { display: true, text: yTitle } } } });
D.runs.forEach((r, i) => {
  const lossEl = document.getElementById('loss-' + i);
  if (lossEl) {
    const pos = [...r.stepLoss, ...r.trainLoss, ...r.valLoss].every(p => p.y === null || p.y > 0);
    new Chart(lossEl, { type: 'line', data: { datasets: [
      line('train loss per step', r.stepLoss, 8, { borderWidth: 1 }),
      line('train loss per epoch', r.trainLoss, 0, { pointRadius: 3 }),
      line('validation loss per epoch', r.valLoss, 1, { pointRadius: 3 }) ] }, options: opts('step', 'loss (target units)', pos) });
  }
  const gradEl = document.getElementById('grad-' + i);
  if (gradEl) new Chart(gradEl, { type: 'line', data: { datasets: r.gradNorms.map((g, k) => line(g.name, g.pts, k)) }, options: opts('step', 'gradient L2 norm (log)', true) });
  const predEl = document.getElementById('pred-' + i);
  if (predEl) new Chart(predEl, { type: 'line', data: { datasets: [ line('true angle (°)', r.truth, 4), line('predicted angle (°)', r.pred, 0) ] }, options: opts('validation frame (blocks in drive order)', 'steering angle (degrees)', false) });
});
const binEl = document.getElementById('bins');
if (binEl && D.bins.labels.length) {
  new Chart(binEl, { type: 'bar', data: { labels: D.bins.labels, datasets: D.bins.series.map((s, k) => ({ label: s.name, data: s.values, backgroundColor: s.zero ? '#9ca3af' : palette[k % palette.length] })) },
    options: { animation: false, maintainAspectRatio: false, scales: { y: { title: { display: true, text: 'validation MAE (degrees)' } } } } });
}
`;

/** Builds the HTML of a report from loaded runs and their comparison (rows in the same order as runs). */
export function renderReport(c: Comparison, runs: LoadedRun[], o: { generatedAt?: string; chartJs?: string | null } = {}): string {
  const chartJs = o.chartJs === undefined ? chartJsSource() : o.chartJs;
  const charts = chartJs !== null;
  const binNames = [...new Set(c.rows.flatMap((r) => r.bins.map((b) => b.name)))];
  const binLabels = binNames.map((n) => {
    const b = c.rows.flatMap((r) => r.bins).find((x) => x.name === n);
    return b ? (b.hiDeg === null ? `${n} (|a| ≥ ${b.loDeg}°)` : `${n} (${b.loDeg}–${b.hiDeg}°)`) : n;
  });
  const series = c.rows
    .filter((r) => r.bins.length > 0)
    .map((r) => ({ name: r.name, zero: false, values: binNames.map((n) => r.bins.find((b) => b.name === n)?.maeDeg ?? null) }));
  const zeroRow = c.rows.find((r) => r.bins.length > 0);
  if (zeroRow) series.push({ name: 'zero predictor', zero: true, values: binNames.map((n) => zeroRow.bins.find((b) => b.name === n)?.zeroMaeDeg ?? null) });
  const data = { runs: runs.map(runChartData), bins: { labels: binLabels, series } };
  // '<' escaped so no string in the data can close the script element.
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  const d = c.dataset;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(c.title)} · Steering Lab</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<style>${STYLE}</style></head><body>
<h1>${esc(c.title)}</h1>
<p class="muted">Steering Lab report${o.generatedAt ? `, generated ${esc(o.generatedAt)}` : ''}. All angles are steering-wheel degrees (positive = right), measured on the validation split.</p>
${d ? `<p>Data: ${esc(d.source)}: ${d.samples} samples at ${d.input.height}x${d.input.width} px (HxW); ${d.trainSamples} for training, ${d.valSamples} for validation in ${d.valBlocks.length} blocks spread across the drive (sample ranges ${esc(d.valBlocks.map((b) => `${b.start}–${b.end}`).join(', '))}).</p>` : ''}
${d?.videos ? `<ul>${videoLines(d.videos).map((l) => `<li>${esc(l)}</li>`).join('')}</ul>` : ''}
${d?.warnings.length ? `<h2>Data warnings</h2><ul>${d.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : ''}
<h2>Comparison</h2>
<div class="wide">${table(c)}</div>${autonomyNote(c.rows) ? `<p class="muted">${esc(autonomyNote(c.rows) as string)}</p>` : ''}
${cellsTable(c)}
${c.conclusions.length ? `<h2>Conclusions (computed from the numbers above)</h2><ul>${c.conclusions.map((s) => `<li>${esc(s)}</li>`).join('')}</ul>` : ''}
${charts && binNames.length ? `<h2>Validation error by angle bin</h2><div class="chart" style="height:300px;max-width:900px"><canvas id="bins"></canvas></div>` : ''}
${charts ? '' : '<p class="muted">Charts are missing: the chart.js package was not found in node_modules.</p>'}
<h2>Runs</h2>
${runs.map((r, i) => runSection(r, i, c, charts)).join('\n')}
<script type="application/json" id="report-data">${json}</script>
${charts ? `<script>${(chartJs as string).replace(/<\/script/gi, '<\\/script')}</script><script>${SCRIPT}</script>` : ''}
</body></html>
`;
}
