/**
 * What the person at the terminal sees while the lab works: progress on
 * stderr (bars on a terminal, one line per epoch and per run otherwise) and
 * Ctrl-C as cancellation. stdout stays for the result.
 */
import type { ExperimentEvent } from '../../experiments/events.ts';

export interface Progress {
  onEvent(e: ExperimentEvent): void;
  stop(): void;
}

/** Seconds as '42 s' or '3 min 5 s'; '?' when unknown. */
export const fmtS = (s: number | null): string => {
  if (s === null || !Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
};

/**
 * Ctrl-C cancels the experiment (the current run is recorded as cancelled);
 * a second Ctrl-C exits at once.
 */
export function cancelOnSigint(): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const onSig = (): void => {
    if (ac.signal.aborted) process.exit(130);
    process.stderr.write('\nsteerlab: cancelling after the current step (Ctrl-C again to quit now)\n');
    ac.abort();
  };
  process.on('SIGINT', onSig);
  return { signal: ac.signal, dispose: () => process.off('SIGINT', onSig) };
}

/** One line per data set, epoch and run (stderr is a file or a pipe). */
function lineProgress(log: (s: string) => void): Progress {
  let epochs = 0;
  return {
    onEvent(e) {
      if (e.type === 'dataset-ready') {
        log(`data: ${e.dataset.samples} samples${e.dataset.videos ? ` from ${e.dataset.videos.length} videos` : ''} at ${e.dataset.input.height}x${e.dataset.input.width} px (HxW) (${e.dataset.trainSamples} train, ${e.dataset.valSamples} val in ${e.dataset.valBlocks.length} blocks)${e.cacheHit ? ', frame cache hit' : ''}; engine ${e.engine}`);
        for (const w of e.dataset.warnings) log(`warning: ${w}`);
      } else if (e.type === 'run-started') {
        epochs = e.config.epochs;
        log(`run ${e.index + 1}/${e.total}: ${e.name}`);
      } else if (e.type === 'run-event' && e.event.type === 'epoch') {
        const ev = e.event;
        log(`  epoch ${ev.epoch + 1}${epochs ? `/${epochs}` : ''}: train loss ${ev.trainLoss.toPrecision(4)}, val loss ${ev.valLoss.toPrecision(4)} (target units), val MAE ${ev.val.model.maeDeg.toFixed(2)}°, RMSE ${ev.val.model.rmseDeg.toFixed(2)}°, ${fmtS(ev.elapsedS)}`);
      } else if (e.type === 'run-event' && e.event.type === 'resumed') {
        log(`  resumed at epoch ${e.event.epoch + 1}${e.event.warning ? `; warning: ${e.event.warning}` : ''}`);
      } else if (e.type === 'run-finished') log(`  ${e.result.status} in ${fmtS(e.result.wallTimeS)}`);
    },
    stop() {},
  };
}

/** Bars on a terminal: decoding, the whole grid, and one per run with its loss and ETA. */
async function barProgress(): Promise<Progress> {
  const { MultiBar, Presets } = (await import('cli-progress')).default;
  const { cellName } = await import('../../experiments/grid.ts');
  const bars = new MultiBar(
    { stream: process.stderr, hideCursor: true, clearOnComplete: false, format: '{label} |{bar}| {percentage}% | {info} | ETA {eta_formatted}', etaBuffer: 50, fps: 5 },
    Presets.shades_classic,
  );
  const overall = bars.create(1000, 0, { label: 'experiment'.padEnd(34), info: '' });
  let decode: ReturnType<typeof bars.create> | null = null;
  let run: ReturnType<typeof bars.create> | null = null;
  let runLabel = '';
  let epochs = 1;
  return {
    onEvent(e) {
      // A problem with the data (lost frames, labels covering part of the video) is said where the person looks.
      if (e.type === 'dataset-ready') for (const w of e.dataset.warnings) bars.log(`warning: ${w}\n`);
      if (e.type === 'dataset-progress') {
        if (!decode) decode = bars.create(e.total, 0, { label: 'decoding frames'.padEnd(34), info: '' });
        decode.setTotal(e.total);
        decode.update(e.done, { info: `${e.done}/${e.total} frames` });
      } else if (e.type === 'run-started') {
        epochs = e.config.epochs;
        // The grid cell names the run ('head=tanh targets=raw'); finished runs keep their bar as a record.
        runLabel = `${e.index + 1}/${e.total} ${cellName(e.cell) || e.name}`.slice(0, 34).padEnd(34);
        run = bars.create(1, 0, { label: runLabel, info: 'starting' });
      } else if (e.type === 'run-event' && run) {
        const ev = e.event;
        if (ev.type === 'step') {
          run.setTotal(Math.max(1, epochs * ev.stepsPerEpoch));
          run.update(ev.step + 1, { info: `epoch ${ev.epoch + 1}/${epochs} loss ${ev.loss.toPrecision(3)}` });
        } else if (ev.type === 'resumed' && ev.warning) {
          bars.log(`${runLabel.trim()}: warning: ${ev.warning}\n`);
        } else if (ev.type === 'epoch') {
          bars.log(`${runLabel.trim()}: epoch ${ev.epoch + 1}: val MAE ${ev.val.model.maeDeg.toFixed(2)}°, RMSE ${ev.val.model.rmseDeg.toFixed(2)}° (zero predictor ${ev.val.zero.maeDeg.toFixed(2)}° / ${ev.val.zero.rmseDeg.toFixed(2)}°)\n`);
        }
      } else if (e.type === 'run-finished' && run) {
        run.update(run.getTotal(), { info: `${e.result.status}, ${fmtS(e.result.wallTimeS)}` });
      } else if (e.type === 'progress') {
        overall.update(Math.round(e.fraction * 1000), { info: `run ${Math.min(e.runsDone + 1, e.runsTotal)}/${e.runsTotal}` });
      }
    },
    stop() {
      bars.stop();
    },
  };
}

/**
 * Progress on stderr: bars (decode, overall, current run with loss and ETA)
 * when stderr is a terminal, one line per epoch and per run otherwise.
 */
export async function createProgress(o: { quiet?: boolean } = {}): Promise<Progress> {
  const tty = Boolean(process.stderr.isTTY) && !o.quiet;
  if (tty) return barProgress();
  return lineProgress((s) => {
    if (!o.quiet) process.stderr.write(s + '\n');
  });
}
