/**
 * The end of an epoch in trainRun: read back the epoch's last steps,
 * validate in degrees, early stopping, the findings measured so far, and
 * the epoch checkpoint. Also the run's final findings.
 */
import { computeFindings } from '../diagnostics/findings.ts';
import type { Finding } from '../diagnostics/types.ts';
import { headRange } from '../model/index.ts';
import { evaluateDeg } from '../targets/metrics.ts';
import { evaluateSource } from './evaluate.ts';
import type { EpochEvent } from './events.ts';
import type { Verdict } from './loop.ts';
import { flushReadbacks, type RunState } from './loop-state.ts';
import type { PreparedRun } from './prepare.ts';
import { saveRunCheckpoint } from './run-checkpoint.ts';
import type { TrainOptions } from './run-types.ts';

/** The findings from what the run has measured so far (final: also judge the step losses). */
export function findingsNow(p: PreparedRun, st: RunState, final: boolean): Finding[] {
  const mc = p.cfg.model;
  return computeFindings({
    snapshots: st.snapshots, trunkLayers: p.trunkNames,
    head: { name: 'head', kind: mc.head, range: headRange(mc.head, mc.headScale) },
    trainTargets: p.trainTargets, toDeg: p.target.toDeg,
    epochTrainLoss: st.epochs.map((e) => e.trainLoss), stepLoss: final ? st.loggedLoss : [],
    evaluation: st.last?.val ?? null, nonFinite: st.nonFinite,
  });
}

const findingKey = (f: Finding) => `${f.kind}:${f.layer ?? ''}`;

/** Live findings: a problem is pushed the first epoch it is measured (the final list is in the result). */
function emitNewFindings(p: PreparedRun, st: RunState, o: TrainOptions): void {
  for (const f of findingsNow(p, st, false)) {
    if (f.kind === 'healthy' || st.emitted.has(findingKey(f))) continue;
    st.emitted.add(findingKey(f));
    o.onEvent?.({ type: 'finding', finding: f });
  }
}

/** The final findings, emitting those not pushed live (and 'healthy'). */
export function finalFindings(p: PreparedRun, st: RunState, o: TrainOptions): Finding[] {
  const findings = findingsNow(p, st, true);
  for (const f of findings) if (f.kind === 'healthy' || !st.emitted.has(findingKey(f))) o.onEvent?.({ type: 'finding', finding: f });
  return findings;
}

/**
 * Ends one epoch. 'diverged' when a step or the validation loss was not
 * finite, 'stop' when early stopping ran out of patience (after writing the
 * checkpoint). Throws CancelledError when the signal aborts the validation.
 */
export async function endEpoch(p: PreparedRun, st: RunState, o: TrainOptions, epoch: number): Promise<Verdict> {
  const { cfg } = p;
  st.nonFinite ??= flushReadbacks(st, p.model, p.trunkNames);
  if (st.nonFinite) return 'diverged';
  const t0 = performance.now();
  const ev = await evaluateSource(p.model, p.data.val, p.target, cfg.batchSize, p.data.inputShape, o.signal, o.gradientProvider);
  if (!Number.isFinite(ev.valLoss)) {
    st.nonFinite = { step: st.step - 1, layer: 'head', where: 'activation', lastFiniteLoss: st.lastFiniteLoss };
    return 'diverged';
  }
  const val = evaluateDeg(ev.predDeg, ev.trueDeg, p.trainMeanDeg, p.bins);
  st.phases.validation += performance.now() - t0;
  const trainLoss = st.epochLoss.reduce((a, b) => a + b, 0) / Math.max(1, st.epochLoss.length);
  const e: EpochEvent = { type: 'epoch', epoch, trainLoss, valLoss: ev.valLoss, val, elapsedS: (performance.now() - p.startedAt) / 1000 };
  st.epochs.push(e);
  o.onEvent?.(e);
  st.last = { epoch, val, predDeg: ev.predDeg, trueDeg: ev.trueDeg };
  if (!st.bestVal || ev.valLoss < st.bestVal.valLoss) st.bestVal = { epoch, valLoss: ev.valLoss };
  if (cfg.earlyStopPatience > 0 && epoch - st.bestVal.epoch >= cfg.earlyStopPatience) st.status = 'stopped-early';
  emitNewFindings(p, st, o);
  if (o.runDir) {
    const t1 = performance.now();
    const path = await saveRunCheckpoint(p, st, o.runDir, epoch);
    st.phases.checkpoint += performance.now() - t1;
    o.onEvent?.({ type: 'checkpoint', epoch, path });
  }
  return st.status === 'stopped-early' ? 'stop' : undefined;
}
