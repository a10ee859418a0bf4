/**
 * `steerlab reference <experiment-dir> [--python PATH] [--json]`: trains
 * every finished run of an experiment again in plain PyTorch (same frames,
 * split, targets, epochs, batches, optimiser and augmentation; PyTorch's
 * default initialisation) and prints the lab's validation MAE / RMSE beside
 * PyTorch's, in degrees, with the ratio of RMSEs. Writes
 * <experiment-dir>/reference.json. Progress goes to stderr; with --json,
 * stdout is exactly one JSON object.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import type { ReferenceEvent } from '../../reference/types.ts';

interface ReferenceOptions {
  python?: string;
  keepFrames?: boolean;
  json?: boolean;
}

type Progress = { onEvent(e: ReferenceEvent): void; stop(): void };

/** One line per check, epoch and run on stderr (no terminal, or a log file). */
function lineProgress(): Progress {
  const log = (s: string): void => void process.stderr.write(s + '\n');
  const f = (v: number | null, digits = 2) => (v === null ? '–' : v.toFixed(digits));
  let said = false; // the check job and the training job both say 'ready'
  return {
    onEvent(e) {
      if (e.type === 'checked') log(`reference: ${e.python}; checked ${e.augmentationSamples} augmented frames against the lab's augmentation, and the forward pass of ${e.forwardRuns} run(s) against the lab's predictions`);
      if (e.type !== 'python') return;
      const ev = e.event;
      if (ev.event === 'ready' && !said) {
        said = true;
        log(`PyTorch ${ev.torchVersion}, ${ev.threads} threads`);
      }
      else if (ev.event === 'run-start') log(`run ${ev.run + 1}/${ev.runs}: ${ev.runId} (${ev.epochs} epochs x ${ev.stepsPerEpoch} steps)`);
      else if (ev.event === 'epoch') log(`  epoch ${ev.epoch + 1}/${ev.epochs}: train loss ${f(ev.trainLoss, 4)} (target units), val MAE ${f(ev.valMaeDeg)}°, RMSE ${f(ev.valRmseDeg)}°`);
      else if (ev.event === 'run-done') log(`  done in ${ev.wallTimeS.toFixed(1)} s, ${ev.samplesPerS.toFixed(0)} samples/s`);
    },
    stop() {},
  };
}

/** Bars on a terminal: decoding, the frame dump, then one bar per PyTorch run (steps, loss). */
async function barProgress(): Promise<Progress> {
  const { MultiBar, Presets } = (await import('cli-progress')).default;
  const bars = new MultiBar(
    { stream: process.stderr, hideCursor: true, clearOnComplete: false, format: '{label} |{bar}| {percentage}% | {info} | ETA {eta_formatted}', etaBuffer: 50, fps: 5 },
    Presets.shades_classic,
  );
  const made = new Map<string, ReturnType<typeof bars.create>>();
  const bar = (key: string, label: string, total: number) => {
    let b = made.get(key);
    if (!b) made.set(key, (b = bars.create(Math.max(1, total), 0, { label: label.slice(0, 30).padEnd(30), info: '' })));
    return b;
  };
  return {
    onEvent(e) {
      if (e.type === 'decode') bar('decode', 'decoding frames', e.total).update(e.done, { info: `${e.done}/${e.total} frames` });
      else if (e.type === 'frames') bar('frames', 'writing frames for PyTorch', e.total).update(e.done, { info: `${e.done}/${e.total} frames` });
      else if (e.type === 'checked') bars.log(`checked ${e.augmentationSamples} augmented frames and ${e.forwardRuns} forward passes against the lab (${e.python})\n`);
      else if (e.type === 'python') {
        const ev = e.event;
        if (ev.event === 'run-start') bar(ev.runId, `PyTorch ${ev.run + 1}/${ev.runs}`, ev.totalSteps);
        else if (ev.event === 'step') made.get(ev.runId)?.update(ev.step, { info: `epoch ${ev.epoch + 1} loss ${ev.loss === null ? '–' : ev.loss.toPrecision(3)}` });
        else if (ev.event === 'epoch') bars.log(`${ev.runId}: epoch ${ev.epoch + 1}/${ev.epochs}: val MAE ${ev.valMaeDeg?.toFixed(2) ?? '–'}°, RMSE ${ev.valRmseDeg?.toFixed(2) ?? '–'}°\n`);
        else if (ev.event === 'run-done') {
          const b = made.get(ev.runId);
          b?.update(b.getTotal(), { info: `${ev.wallTimeS.toFixed(1)} s, ${ev.samplesPerS.toFixed(0)} samples/s` });
        }
      }
    },
    stop: () => bars.stop(),
  };
}

/**
 * Runs the PyTorch reference of an experiment with progress on stderr and
 * Ctrl-C as cancellation, then sets it beside the lab cell by cell. Returns
 * null when cancelled (exit code 130). Shared by `reference` and `compare --reference`.
 */
export async function referenceWithProgress(dir: string, o: { python?: string; keepFrames?: boolean }) {
  const { runReference } = await import('../../reference/index.ts');
  const { referenceComparison } = await import('../../reference/cells.ts');
  const { loadPath } = await import('../../experiments/load.ts');
  const { buildComparison } = await import('../../experiments/compare.ts');
  const { CancelledError } = await import('../../errors.ts');
  const { cancelOnSigint } = await import('./_progress.ts');
  const cancel = cancelOnSigint();
  const progress = process.stderr.isTTY ? await barProgress() : lineProgress();
  try {
    const out = await runReference({ experimentDir: dir, python: o.python, keepFrames: o.keepFrames, signal: cancel.signal, onProgress: progress.onEvent });
    const set = loadPath(dir);
    const lab = buildComparison(set.runs, { title: dir });
    const timeS = (runId: string) => set.runs.find((r) => r.id === runId)?.valPredictions?.timeS ?? null;
    return { ...out, cells: referenceComparison(lab, out.report, join(dir, 'reference'), timeS) };
  } catch (err) {
    if (!(err instanceof CancelledError)) throw err;
    process.stderr.write('steerlab: reference cancelled; nothing written\n');
    process.exitCode = 130;
    return null;
  } finally {
    progress.stop();
    cancel.dispose();
  }
}

export type ReferenceWithCells = NonNullable<Awaited<ReturnType<typeof referenceWithProgress>>>;

/** The side-by-side text: per run, then per cell with PyTorch's significant rankings and whether the lab agrees. */
export async function referenceText(r: ReferenceWithCells): Promise<string> {
  const { referenceTable } = await import('../../reference/index.ts');
  const { referenceCellLines } = await import('../../reference/cells.ts');
  return [referenceTable(r.rows, r.report), '', 'By cell:', ...referenceCellLines(r.cells).map((l) => `- ${l}`)].join('\n');
}

/** What --json prints of the reference: the report, the per-run rows, and the cells beside the lab's. */
export function referenceJson(r: ReferenceWithCells): Record<string, unknown> {
  return { path: r.path, ...r.report, rows: r.rows, cells: r.cells.cells, differences: r.cells.differences, rankings: r.cells.rankings };
}

export function register(program: Command): void {
  program
    .command('reference')
    .description("train every run of an experiment again in plain PyTorch on the same frames and split, and print both side by side in degrees")
    .argument('<experiment-dir>', 'an experiment folder (<workspace>/experiments/<id>)')
    .option('--python <path>', 'Python with torch and numpy (default: STEERLAB_PYTHON, else python3 or /usr/bin/python3 if it can import torch)')
    .option('--keep-frames', 'keep the frames written for PyTorch (<experiment-dir>/reference/frames-HxW.u8)')
    .option('--json', 'print one JSON object on stdout (progress stays on stderr)')
    .action(async (dir: string, o: ReferenceOptions) => {
      const out = await referenceWithProgress(dir, o);
      if (!out) return;
      if (o.json) {
        process.stdout.write(JSON.stringify(referenceJson(out)) + '\n');
        return;
      }
      process.stdout.write((await referenceText(out)) + '\n');
      process.stdout.write(`reference: ${out.path}\n`);
    });
}
