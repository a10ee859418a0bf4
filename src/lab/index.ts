/**
 * The lab: one service behind the CLI, serve mode and the Electron app.
 * Where the workspace is (lab/workspace.ts), how a cell runs and is recorded
 * (lab/run-cell.ts), resumed (lab/resume.ts) and reported
 * (experiments/publish.ts) is decided here once; the front ends translate
 * flags, requests or IPC into these calls and the events back into output.
 */
import { experimentReportPaths, publishReport, type PublishedReport } from '../experiments/publish.ts';
import { workspacePaths } from '../experiments/store.ts';
import { createLabDatasets, type LabDatasets } from './datasets.ts';
import { createLabExperiments, type LabExperiments } from './experiments.ts';
import { resumeRun } from './resume.ts';
import { createLabStudies, type LabStudies } from './studies.ts';
import { ensureDemoDrive, resolveWorkspace, type DemoDrive } from './workspace.ts';

export interface Lab {
  /** The workspace folder (absolute). */
  readonly workspace: string;
  readonly paths: ReturnType<typeof workspacePaths>;
  /** Open data sets (and the demo drive, opened like any other). */
  readonly datasets: LabDatasets;
  /** The demo drive's files, synthesised into the workspace once (lab/workspace.ts). */
  demoDrive(o?: Parameters<typeof ensureDemoDrive>[1]): Promise<DemoDrive>;
  readonly experiments: LabExperiments;
  /** Continues one run folder from its last checkpoint (`train --resume`). */
  readonly resumeRun: typeof resumeRun;
  readonly studies: LabStudies;
  readonly reports: {
    /** Writes comparison.{json,csv,md} and report.html into an experiment, run or workspace folder. */
    publish(dir: string): PublishedReport;
    paths: typeof experimentReportPaths;
  };
}

/** A lab over one workspace (default: see lab/workspace.ts resolveWorkspace). */
export function createLab(o: { workspace?: string | null } = {}): Lab {
  const workspace = resolveWorkspace(o.workspace);
  return {
    workspace,
    paths: workspacePaths(workspace),
    datasets: createLabDatasets({ workspace }),
    demoDrive: (d) => ensureDemoDrive(workspace, d),
    experiments: createLabExperiments({ workspace }),
    resumeRun,
    studies: createLabStudies({ workspace }),
    reports: { publish: publishReport, paths: experimentReportPaths },
  };
}

export type { RunningExperiment, StartedExperiment } from './experiments.ts';
export { runExperiment, planExperiment, type RunExperimentOptions } from './experiment.ts';
export { resumeExperiment, resumeRun } from './resume.ts';
export { targetTransformFile } from '../experiments/store.ts';
export { DEFAULT_WORKSPACE, demoDriveDir, demoFrames, ensureDemoDrive, resolveWorkspace } from './workspace.ts';
