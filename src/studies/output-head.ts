/**
 * Study `output-head` (the headline study): linear vs tanh vs scaled-tanh
 * heads crossed with raw / normalised / standardised targets, on the demo
 * drive or the user's video, with the same seed and split for every run
 * (EXPERIMENTS' runExperiment over a grid). Per run: validation MAE in
 * degrees beside the zero and mean predictors, the head's saturation over
 * training, gradient norms at the head and the first layer, and how many
 * epochs it took to come within 2x of the best MAE any run reached.
 */
import { runExperiment } from '../lab/experiment.ts';
import type { DiagnosticsSnapshot } from '../diagnostics/types.ts';
import type { EpochEvent } from '../train/events.ts';
import { prepareDrive } from './drive.ts';
import { OutputHeadOptions } from './options.ts';
import { fmt, type StudyContext } from './types.ts';

export interface OutputHeadRun {
  head: string;
  targets: string;
  status: string;
  /** Validation MAE of the best epoch, degrees (null when the run failed). */
  valMaeDeg: number | null;
  valRmseDeg: number | null;
  /** MAE on sharp curves (the 'sharp' angle bin), degrees. */
  sharpMaeDeg: number | null;
  /** Fraction of head pre-activations with |x| > 2 at the last diagnostics step (0 for a linear head). */
  headSaturation: number | null;
  /** Head saturation at every diagnostics step: [step, fraction]. */
  headSaturationOverSteps: [number, number][];
  /** Mean L2 gradient norm of the head's and of the first layer's parameters over the run. */
  headGradNorm: number | null;
  firstLayerGradNorm: number | null;
  /** Head output range at the end, in degrees (after the inverse target transform), when reported. */
  predMinDeg: number | null;
  predMaxDeg: number | null;
  /** First epoch (1-based) with val MAE <= 2x the best MAE of all runs, or null if never. */
  epochsToTarget: number | null;
  maeByEpochDeg: number[];
}

export interface OutputHeadMeasurements {
  engine: string | null;
  dataset: { source: string; trainSamples: number; valSamples: number; input: { width: number; height: number } } | null;
  /** Baseline predictors on the same validation split, degrees. */
  baselines: { zeroMaeDeg: number; meanMaeDeg: number; zeroRmseDeg: number; meanRmseDeg: number } | null;
  /** 2x the best validation MAE of any run, degrees: the bar for epochsToTarget. */
  targetMaeDeg: number | null;
  epochs: number;
  runs: OutputHeadRun[];
}

const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/** Runs the grid through runExperiment and reduces its events to plain numbers. */
export async function runOutputHead(input: Partial<OutputHeadOptions>, ctx: StudyContext = {}): Promise<OutputHeadMeasurements> {
  const o = OutputHeadOptions.parse(input);
  const drive = await prepareDrive({ video: o.video, labels: o.labels, dataset: o.dataset, frames: o.frames, seed: o.seed, workspace: o.workspace }, ctx);
  const epochsOf = new Map<number, EpochEvent[]>();
  const diagOf = new Map<number, DiagnosticsSnapshot[]>();
  const total = o.heads.length * o.targets.length;
  const summary = await runExperiment({
    dataset: { ...drive.spec, input: { width: o.width, height: o.height } },
    base: {
      name: 'study-output-head',
      seed: o.seed,
      engine: o.engine,
      epochs: o.epochs,
      batchSize: o.batchSize,
      logEvery: 10,
      model: { arch: 'pilotnet', input: { height: o.height, width: o.width, channels: 3 }, widthMultiplier: o.widthMultiplier },
      optimizer: { name: 'adam', learningRate: o.learningRate },
    },
    axes: { 'model.head': o.heads, 'targets.kind': o.targets },
    workspace: drive.workspace,
    name: 'study-output-head',
    signal: ctx.signal,
    onEvent: (e) => {
      if (e.type === 'dataset-progress') ctx.onProgress?.({ stage: 'decoding frames', done: e.done, total: e.total });
      if (e.type === 'run-started') ctx.onProgress?.({ stage: `training ${e.name}`, done: e.index, total });
      if (e.type === 'run-event') {
        if (e.event.type === 'epoch') epochsOf.set(e.index, [...(epochsOf.get(e.index) ?? []), e.event]);
        if (e.event.type === 'diagnostics') diagOf.set(e.index, [...(diagOf.get(e.index) ?? []), e.event.snapshot]);
      }
    },
  });
  const results = summary.runs.map((r) => r.result);
  const firstVal = results.find((r) => r?.val)?.val ?? null;
  const maes = results.map((r) => r?.val?.model.maeDeg).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const best = maes.length ? Math.min(...maes) : null;
  const targetMaeDeg = best !== null ? 2 * best : null;
  const runs: OutputHeadRun[] = summary.runs.map((r, i) => {
    const cell = r.cell as Record<string, string>;
    const eps = epochsOf.get(i) ?? [];
    const diags = diagOf.get(i) ?? [];
    const headDiags = diags.map((d) => ({ step: d.step, h: d.heads.find((h) => h.name === 'head') }));
    const lastHead = headDiags.length ? headDiags[headDiags.length - 1].h : undefined;
    const layerNorm = (pick: (d: DiagnosticsSnapshot) => number | undefined) => mean(diags.map(pick).filter((v): v is number => typeof v === 'number' && Number.isFinite(v)));
    const hd = lastHead as (typeof lastHead & { predMinDeg?: number; predMaxDeg?: number }) | undefined;
    const val = r.result?.val ?? null;
    const maeByEpochDeg = eps.map((e) => e.val.model.maeDeg);
    const hit = targetMaeDeg === null ? -1 : maeByEpochDeg.findIndex((m) => m <= targetMaeDeg);
    return {
      head: cell['model.head'],
      targets: cell['targets.kind'],
      status: r.result?.status ?? r.status,
      valMaeDeg: val?.model.maeDeg ?? null,
      valRmseDeg: val?.model.rmseDeg ?? null,
      sharpMaeDeg: val?.model.bins.find((b) => b.name === 'sharp')?.maeDeg ?? null,
      headSaturation: lastHead ? lastHead.saturatedFraction : null,
      headSaturationOverSteps: headDiags.filter((x) => x.h).map((x) => [x.step, x.h!.saturatedFraction] as [number, number]),
      headGradNorm: layerNorm((d) => d.layers.find((l) => l.name === 'head')?.gradNorm),
      firstLayerGradNorm: layerNorm((d) => d.layers[0]?.gradNorm),
      predMinDeg: typeof hd?.predMinDeg === 'number' ? hd.predMinDeg : null,
      predMaxDeg: typeof hd?.predMaxDeg === 'number' ? hd.predMaxDeg : null,
      epochsToTarget: hit >= 0 ? hit + 1 : null,
      maeByEpochDeg,
    };
  });
  return {
    engine: summary.engine,
    dataset: summary.dataset
      ? { source: drive.source, trainSamples: summary.dataset.trainSamples, valSamples: summary.dataset.valSamples, input: summary.dataset.input }
      : null,
    baselines: firstVal ? { zeroMaeDeg: firstVal.zero.maeDeg, meanMaeDeg: firstVal.mean.maeDeg, zeroRmseDeg: firstVal.zero.rmseDeg, meanRmseDeg: firstVal.mean.rmseDeg } : null,
    targetMaeDeg,
    epochs: o.epochs,
    runs,
  };
}

const deg = (v: number | null) => (v === null ? 'n/a' : `${fmt(v)} deg`);

/** Conclusions computed from the measurements (pure). */
export function concludeOutputHead(m: OutputHeadMeasurements): string[] {
  const out: string[] = [];
  const ok = m.runs.filter((r) => r.valMaeDeg !== null).sort((a, b) => a.valMaeDeg! - b.valMaeDeg!);
  const failed = m.runs.filter((r) => r.valMaeDeg === null);
  if (ok.length === 0) return [`No run produced a validation MAE (${m.runs.map((r) => `${r.head}/${r.targets}: ${r.status}`).join(', ')}).`];
  const b = m.baselines;
  const best = ok[0];
  out.push(
    `Best: ${best.head} head on ${best.targets} targets, validation MAE ${deg(best.valMaeDeg)} (RMSE ${deg(best.valRmseDeg)})` +
      (b ? ` against ${deg(b.zeroMaeDeg)} for always predicting 0 and ${deg(b.meanMaeDeg)} for the training mean.` : '.') +
      ` Ranking by MAE: ${ok.map((r) => `${r.head}/${r.targets} ${deg(r.valMaeDeg)}`).join(', ')}.`,
  );
  if (b) {
    const worse = ok.filter((r) => r.valMaeDeg! >= Math.min(b.zeroMaeDeg, b.meanMaeDeg));
    out.push(
      worse.length
        ? `${worse.length} of ${ok.length} runs did no better than a constant predictor (best constant ${deg(Math.min(b.zeroMaeDeg, b.meanMaeDeg))}): ${worse.map((r) => `${r.head}/${r.targets} ${deg(r.valMaeDeg)}`).join(', ')}.`
        : `Every run beat both constant predictors (best constant ${deg(Math.min(b.zeroMaeDeg, b.meanMaeDeg))}).`,
    );
  }
  const saturated = m.runs.filter((r) => r.head !== 'linear' && r.headSaturation !== null && r.headSaturation > 0.5);
  if (saturated.length) {
    out.push(
      `Saturated heads (over half the pre-activations beyond |2| at the end): ${saturated
        .map((r) => `${r.head}/${r.targets} ${fmt(100 * r.headSaturation!)}%${r.predMinDeg !== null && r.predMaxDeg !== null ? `, outputs ${fmt(r.predMinDeg)} to ${fmt(r.predMaxDeg)} deg` : ''}, sharp-curve MAE ${deg(r.sharpMaeDeg)}`)
        .join('; ')}: a squashing head cannot reach targets outside its range, and where it saturates it passes back almost no gradient.`,
    );
  } else {
    const tanhRuns = m.runs.filter((r) => r.head !== 'linear' && r.headSaturation !== null);
    if (tanhRuns.length) out.push(`No tanh head ended more than half saturated (largest: ${fmt(100 * Math.max(...tanhRuns.map((r) => r.headSaturation!)))}%).`);
  }
  const sharp = ok.filter((r) => r.sharpMaeDeg !== null);
  if (sharp.length >= 2) {
    const s = [...sharp].sort((a, b2) => a.sharpMaeDeg! - b2.sharpMaeDeg!);
    out.push(`On sharp curves the spread is wider: ${s[0].head}/${s[0].targets} ${deg(s[0].sharpMaeDeg)} vs ${s[s.length - 1].head}/${s[s.length - 1].targets} ${deg(s[s.length - 1].sharpMaeDeg)}.`);
  }
  if (m.targetMaeDeg !== null) {
    const never = m.runs.filter((r) => r.epochsToTarget === null);
    const reached = m.runs.filter((r) => r.epochsToTarget !== null).sort((a, b2) => a.epochsToTarget! - b2.epochsToTarget!);
    out.push(
      `Epochs to reach 2x the best MAE (${deg(m.targetMaeDeg)}): ${reached.map((r) => `${r.head}/${r.targets} ${r.epochsToTarget}`).join(', ') || 'none'}` +
        (never.length ? `; never within ${m.epochs} epochs: ${never.map((r) => `${r.head}/${r.targets}`).join(', ')}.` : '.'),
    );
  }
  const grads = m.runs.filter((r) => r.headGradNorm !== null && r.firstLayerGradNorm !== null && r.headGradNorm > 0);
  if (grads.length) {
    let line = `Mean gradient norm, first layer / head: ${grads.map((r) => `${r.head}/${r.targets} ${fmt(r.firstLayerGradNorm!)} / ${fmt(r.headGradNorm!)}`).join(', ')}.`;
    const rawG = mean(grads.filter((r) => r.targets === 'raw').map((r) => r.firstLayerGradNorm!));
    const scaledG = mean(grads.filter((r) => r.targets !== 'raw').map((r) => r.firstLayerGradNorm!));
    if (rawG !== null && scaledG !== null && scaledG > 0) {
      line += ` First-layer gradients on raw-degree targets average ${fmt(rawG / scaledG)}x those on scaled targets.`;
    }
    out.push(line);
  }
  if (failed.length) out.push(`Runs without a result: ${failed.map((r) => `${r.head}/${r.targets} (${r.status})`).join(', ')}.`);
  return out;
}
