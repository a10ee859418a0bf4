/**
 * Conclusions of a comparison, computed from measured numbers only, each
 * quoting them: runs without metrics; cells that failed to train (their
 * error measures the failure, not the configuration: comparisons with them
 * are confounded, and the fix is named); the best cell among those that
 * trained; every difference between cells with its 95% interval, or "no
 * measurable difference"; and, per run, how it fares against the zero and
 * mean predictors, on sharp angles, and how much of the angle range it
 * covers; and the open-loop autonomy estimate against the same predictors.
 * MAE alone flatters a model that never steers, so RMSE leads.
 */
import type { CellDifference, CellSummary } from './cells.ts';
import { deg, type ComparisonRow } from './compare.ts';

/**
 * "a vs b" in degrees with enough digits to show that they differ (up to 4
 * decimals), or "a, equal to b at 4 decimals": a comparison never prints
 * two identical numbers as if one were larger.
 */
export function vs(a: number, b: number): string {
  const d0 = deg(a);
  if (d0 !== deg(b) || !Number.isFinite(a) || !Number.isFinite(b)) return `${d0} vs ${deg(b)}`;
  for (let digits = 2; digits <= 4; digits++) {
    const [x, y] = [a.toFixed(digits), b.toFixed(digits)];
    if (x !== y) return `${x}° vs ${y}°`;
  }
  return `${a.toFixed(4)}°, equal to the other at 4 decimals`;
}

const pm = (m: { mean: number | null; sd: number | null }, n: number) => (n > 1 ? `${deg(m.mean)} ± ${deg(m.sd)}` : deg(m.mean));

/** One sentence per cell that failed to train. */
function failureLines(cells: CellSummary[]): string[] {
  return cells
    .filter((c) => c.failed)
    .map((c) => `${c.key} ${(c.failure ?? '').replace(/\.+$/, '')}. Its error (RMSE ${pm(c.valRmseDeg, c.seeds.length)}) measures that training failure, not the configuration: every comparison with ${c.key} is confounded. Fix: ${c.fix}.`);
}

/** The cell with the lowest mean RMSE among the cells that trained. */
function bestLine(cells: CellSummary[], rows: ComparisonRow[]): string[] {
  const ok = cells.filter((c) => !c.failed && c.valRmseDeg.mean !== null);
  if (ok.length === 0) return cells.length ? ['No cell trained normally, so no configuration can be ranked.'] : [];
  const best = [...ok].sort((a, b) => (a.valRmseDeg.mean as number) - (b.valRmseDeg.mean as number))[0];
  const row = rows.find((r) => r.runId === best.runIds[0]);
  const n = best.seeds.length;
  const z = row?.baselineZeroRmseDeg ?? null;
  return [
    `Lowest validation RMSE${ok.length < cells.length ? ' among the cells that trained' : ''}: ${best.key} with ${pm(best.valRmseDeg, n)} (MAE ${pm(best.valMaeDeg, n)}${n > 1 ? `, mean ± sd over ${n} seeds` : ''})` +
      (z !== null ? `; the zero predictor scores RMSE ${deg(z)}, MAE ${deg(row?.baselineZeroMaeDeg)}` : '') + '.',
  ];
}

/** Every difference between cells, a winner only where the 95% interval excludes zero. */
function differenceLines(diffs: CellDifference[], cells: CellSummary[]): string[] {
  const out: string[] = [];
  const sig = (x: number) => (Math.abs(x) >= 10 ? x.toFixed(1) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(2));
  for (const d of diffs) {
    const ci = `95% CI ${sig(d.ci95[0])}° to ${sig(d.ci95[1])}°`;
    const what = d.metric.toUpperCase();
    const tail = d.confounded ? ' (confounded: one of them failed to train)' : '';
    if (d.verdict === 'no-difference') {
      out.push(`No measurable difference between ${d.a} and ${d.b} in ${what}: ${d.a} − ${d.b} = ${sig(d.meanDiffDeg)}° (${ci})${tail}.`);
    } else {
      const [w, l, gap, lo, hi] = d.verdict === 'a-better' ? [d.a, d.b, -d.meanDiffDeg, -d.ci95[1], -d.ci95[0]] : [d.b, d.a, d.meanDiffDeg, d.ci95[0], d.ci95[1]];
      out.push(`${w} beats ${l} by ${sig(gap)}° ${what} (95% CI ${sig(lo)}° to ${sig(hi)}°)${tail}.`);
    }
  }
  if (diffs.length) {
    const d = diffs[0];
    const seeds = Math.min(...cells.map((c) => c.seeds.length));
    out.push(
      `Intervals: paired block bootstrap over ${d.chunks} chunks of ${d.chunkFrames} validation frames` +
        (seeds > 1 ? ', with each cell\'s seeds resampled too.' : '. One seed per cell: seed-to-seed noise is not in these intervals; run with --seeds 3 before trusting a ranking.'),
    );
  }
  return out;
}

/** Per-run sentences about the constant predictors, sharp angles and the range covered. */
function runLines(measured: ComparisonRow[]): string[] {
  const out: string[] = [];
  for (const r of measured) {
    const mae = r.valMaeDeg as number;
    const rmse = r.valRmseDeg as number;
    const zMae = r.baselineZeroMaeDeg;
    const zRmse = r.baselineZeroRmseDeg;
    if (zMae === null || zRmse === null) continue;
    const beatsMae = mae < zMae;
    const beatsRmse = rmse < zRmse;
    if (!beatsMae && !beatsRmse) {
      out.push(`${r.name} does not beat the zero predictor: MAE ${vs(mae, zMae)}, RMSE ${vs(rmse, zRmse)}.`);
    } else if (beatsMae && beatsRmse && mae >= 0.95 * zMae && rmse >= 0.95 * zRmse) {
      out.push(`${r.name} is within 5% of the zero predictor on both MAE (${vs(mae, zMae)}) and RMSE (${vs(rmse, zRmse)}): it barely steers.`);
    } else if (beatsMae && !beatsRmse) {
      out.push(`${r.name} beats the zero predictor on MAE (${vs(mae, zMae)}) but not on RMSE (${vs(rmse, zRmse)}): it misses the large angles.`);
    } else if (!beatsMae && beatsRmse) {
      out.push(`${r.name} beats the zero predictor on RMSE (${vs(rmse, zRmse)}) but not on MAE (${vs(mae, zMae)}).`);
    }
    const mRmse = r.baselineMeanRmseDeg;
    // Only said of runs that beat the zero predictor somewhere (the others were called out above).
    if (mRmse !== null && (beatsMae || beatsRmse)) {
      if (rmse >= mRmse) {
        out.push(`${r.name} does not beat the mean predictor's RMSE (${vs(rmse, mRmse)}): it has learned nothing beyond the average angle.`);
      } else if (rmse >= 0.95 * mRmse) {
        out.push(
          `${r.name} is within 5% of the mean predictor's RMSE (${vs(rmse, mRmse)}, ${(100 * (1 - rmse / mRmse)).toFixed(1)}% lower): it has learned little beyond the average angle.`,
        );
      }
    }
    const sharp = r.bins.filter((b) => b.hiDeg === null && b.n > 0)[0];
    if (sharp && sharp.maeDeg !== null && sharp.zeroMaeDeg !== null && sharp.maeDeg >= 0.9 * sharp.zeroMaeDeg) {
      const verdict = sharp.maeDeg > sharp.zeroMaeDeg ? 'it does worse there than predicting straight ahead' : 'it barely steers there';
      out.push(
        `${r.name} on sharp angles (|angle| ≥ ${sharp.loDeg}°, ${sharp.n} samples): MAE ${vs(sharp.maeDeg, sharp.zeroMaeDeg)} for the zero predictor — ${verdict}.`,
      );
    }
    if (r.predRangeDeg && r.trueRangeDeg) {
      const predSpan = r.predRangeDeg[1] - r.predRangeDeg[0];
      const trueSpan = r.trueRangeDeg[1] - r.trueRangeDeg[0];
      if (trueSpan > 0 && predSpan < 0.25 * trueSpan) {
        out.push(
          `${r.name} predicts only ${deg(r.predRangeDeg[0])} to ${deg(r.predRangeDeg[1])} while the validation angles span ${deg(r.trueRangeDeg[0])} to ${deg(r.trueRangeDeg[1])} (${((predSpan / trueSpan) * 100).toFixed(0)}% of the range).`,
        );
      }
    }
  }
  return out;
}

/**
 * The open-loop autonomy estimate: the trained run needing the fewest
 * interventions against the constant predictors on the same frames, and how
 * many runs need fewer than driving straight does.
 */
function autonomyLines(rows: ComparisonRow[]): string[] {
  const a = rows.filter((r) => r.interventions != null && r.baselineZeroInterventions != null);
  if (a.length === 0) return [];
  const best = a.reduce((x, y) => (y.interventions! < x.interventions! ? y : x));
  const perKm = best.interventionsPerKm == null ? '' : `, ${best.interventionsPerKm.toFixed(1)}/km`;
  const fewer = a.filter((r) => r.interventions! < r.baselineZeroInterventions!).length;
  return [
    `Autonomy estimate (open loop): fewest interventions ${best.name} with ${best.interventions}${perKm} (autonomy ${best.autonomyPct!.toFixed(0)}%); ` +
      `zero predictor ${best.baselineZeroInterventions}, mean predictor ${best.baselineMeanInterventions ?? '—'} on the same frames; ` +
      `${fewer} of ${a.length} run${a.length === 1 ? '' : 's'} need fewer interventions than driving straight.`,
  ];
}

/** All conclusions of a comparison (see the module comment). */
export function conclusions(rows: ComparisonRow[], cells: CellSummary[], diffs: CellDifference[]): string[] {
  const out: string[] = [];
  for (const r of rows.filter((x) => x.valMaeDeg === null)) {
    out.push(`${r.name}: no validation metrics (status ${r.status}${r.error ? `: ${r.error}` : ''}).`);
  }
  const measured = rows.filter((r) => r.valMaeDeg !== null && r.valRmseDeg !== null);
  if (measured.length === 0) return out;
  const zeroMaes = new Set(measured.map((r) => r.baselineZeroMaeDeg?.toFixed(6)));
  if (zeroMaes.size > 1) {
    out.push(`The runs were validated on different samples (zero-predictor MAE differs: ${[...zeroMaes].join(', ')} degrees); compare them with care.`);
  }
  const failedRuns = new Set(cells.filter((c) => c.failed).flatMap((c) => c.runIds));
  out.push(...failureLines(cells), ...bestLine(cells, rows), ...differenceLines(diffs, cells));
  out.push(...runLines(measured.filter((r) => !failedRuns.has(r.runId))));
  out.push(...autonomyLines(measured.filter((r) => !failedRuns.has(r.runId))));
  return out;
}
