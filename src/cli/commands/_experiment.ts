/**
 * Runs an experiment of train, compare and demo through the lab (the
 * leading underscore keeps the CLI registry from loading it as a
 * sub-command): progress on stderr, Ctrl-C as cancellation, the report
 * written, and the printed result. Flags are parsed in _flags.ts, config
 * files and data paths read in _config.ts, progress drawn in _progress.ts.
 */
import type { Command } from 'commander';
import type { WorkersOption } from '../../engine/workers.ts';
import type { PublishedReport } from '../../experiments/publish.ts';
import type { ExperimentSummary } from '../../experiments/types.ts';
import type { Lab, RunExperimentOptions } from '../../lab/index.ts';
import { DEFAULT_WORKSPACE } from '../../lab/workspace.ts';
import { cancelOnSigint, createProgress, fmtS, type Progress } from './_progress.ts';

export { jsonResult } from './_json-result.ts';

/** Adds `--workspace` (the lab decides the default: STEERLAB_WORKSPACE, else .steerlab; see lab/workspace.ts). */
export function addWorkspaceOption(cmd: Command, what = 'runs, experiments and the frame cache'): Command {
  return cmd.option('--workspace <dir>', `where ${what} are stored (default: STEERLAB_WORKSPACE, else ${DEFAULT_WORKSPACE} in this folder)`);
}

/** The lab over the --workspace flag (imported lazily: it loads the trainer). */
export async function openLab(workspace: string | undefined): Promise<Lab> {
  const { createLab } = await import('../../lab/index.ts');
  return createLab({ workspace });
}

/** Says once per distinct decision how the runs train (and why), e.g. 'engine wasm x2 workers: 2 workers (auto: ...)'. */
function workerPlanLogger(): (p: { engine: string; reason: string }) => void {
  const said = new Set<string>();
  return (p) => {
    const line = `engine ${p.engine}: ${p.reason}`;
    if (said.has(line)) return;
    said.add(line);
    process.stderr.write(line + '\n');
  };
}

/** Exit code of a finished experiment: 130 when cancelled, 1 when it failed. */
function setExitCode(summary: ExperimentSummary): void {
  if (summary.status === 'cancelled') process.exitCode = 130;
  else if (summary.status === 'failed') process.exitCode = 1;
}

/** Waits for a started experiment with progress and Ctrl-C handling. */
async function follow<T>(lab: Lab, start: (onEvent: Progress['onEvent']) => Promise<{ experimentId: string; done: Promise<T> }>): Promise<T> {
  const cancel = cancelOnSigint();
  const progress = await createProgress();
  try {
    const { experimentId, done } = await start(progress.onEvent);
    const onAbort = (): void => void lab.experiments.cancel(experimentId);
    if (cancel.signal.aborted) onAbort();
    else cancel.signal.addEventListener('abort', onAbort, { once: true });
    return await done;
  } finally {
    progress.stop();
    cancel.dispose();
  }
}

/** Runs the experiment with progress and Ctrl-C handling, then writes the comparison files and the HTML report. */
export async function runWithProgress(
  opts: Omit<RunExperimentOptions, 'signal' | 'onEvent' | 'workspace'> & { workspace?: string; workers?: WorkersOption },
): Promise<{ summary: ExperimentSummary; report: PublishedReport }> {
  const { workspace, ...rest } = opts;
  const lab = await openLab(workspace);
  const summary = await follow(lab, (onEvent) => lab.experiments.start({ onWorkerPlan: workerPlanLogger(), ...rest, onEvent }));
  const report = lab.reports.publish(summary.dir);
  setExitCode(summary);
  return { summary, report };
}

/** `compare --resume`: finishes the cells of an experiment that have no result, then writes its report. */
export async function resumeWithProgress(
  dirOrId: string, o: { workspace?: string; workers?: WorkersOption },
): Promise<{ summary: ExperimentSummary; report: PublishedReport; resumed: number }> {
  const lab = await openLab(o.workspace);
  const { summary, resumed } = await follow(lab, (onEvent) => lab.experiments.resume(dirOrId, { workers: o.workers, onWorkerPlan: workerPlanLogger(), onEvent }));
  const report = lab.reports.publish(summary.dir);
  setExitCode(summary);
  return { summary, report, resumed };
}

/** Human output: the Markdown table with conclusions and findings, then where the files are. */
export function printHuman(summary: ExperimentSummary, report: PublishedReport): void {
  process.stdout.write(report.markdown + '\n');
  process.stdout.write(`experiment: ${summary.dir} (${summary.status}, ${fmtS(summary.wallTimeS)} on ${summary.engine ?? 'no engine'})\n`);
  process.stdout.write(`report:     ${report.paths.html}\n`);
  process.stdout.write(`tables:     ${report.paths.md}, ${report.paths.csv}, ${report.paths.json}\n`);
}
