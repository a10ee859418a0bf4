/**
 * The contract's handlers: adapters from requests to the lab (src/lab) and
 * its modules (video/, data/, experiments/). Nothing here computes a metric;
 * it moves measured numbers between the lab and the UI.
 */
import type { Handlers, HandlerContext } from '../../contract/index.ts';
import { createDatasets } from './datasets.ts';
import { createExperiments } from './experiments.ts';
import { createRuns } from './runs.ts';
import { createSaliency } from './saliency.ts';
import { createStudies } from './studies.ts';
import { appInfo } from './info.ts';
import { UserError } from '../../errors.ts';
import { createLab } from '../../lab/index.ts';

export interface BackendOptions {
  workspace: string;
  emit: HandlerContext['emit'];
}

export interface Backend {
  handlers: Handlers;
  shutdown(): Promise<void>;
}

export function createHandlers(o: BackendOptions): Backend {
  const lab = createLab({ workspace: o.workspace });
  const datasets = createDatasets({ lab, emit: o.emit });
  const experiments = createExperiments({ lab, emit: o.emit, datasets });
  const runs = createRuns({ workspace: lab.workspace });
  const saliency = createSaliency({ workspace: lab.workspace, emit: o.emit });
  const studies = createStudies({ lab, emit: o.emit, datasetSpec: (id) => {
    const { specs } = datasets.get(id);
    // The lab studies train on one drive: a data set of several videos would be cut to its first without saying so.
    if (specs.length > 1) throw new UserError(`the lab studies train on one video; this data set has ${specs.length} (open one of them on its own to study it)`);
    return specs[0];
  } });
  const handlers: Handlers = {
    'app.info': async () => appInfo(o.workspace),
    'dataset.open': async (args) => datasets.open(args),
    'dataset.demo': async (args) => datasets.demo(args),
    'dataset.frame': async (args) => datasets.frame(args.datasetId, args.sample),
    'dataset.preview': async (args) => datasets.preview(args.datasetId),
    'dataset.sourceFrame': async (args) => datasets.sourceFrame(args.datasetId, args.sample),
    'dataset.lag': async (args) => datasets.lag(args.datasetId),
    'dataset.lagCancel': async (args) => ({ cancelled: await datasets.cancelLag(args.datasetId) }),
    'experiment.presets': async () => experiments.presets(),
    'experiment.start': async (args) => experiments.start(args),
    'experiment.cancel': async (args) => experiments.cancel(args.experimentId),
    'experiment.resume': async (args) => experiments.resume(args.experimentId),
    'experiment.running': async () => experiments.running(),
    'experiments.list': async () => experiments.list(),
    'experiment.compare': async (args) => runs.compare(args),
    'report.export': async (args) => runs.exportReport(args.experimentId, args.format),
    'runs.list': async () => runs.list(),
    'runs.get': async (args) => runs.get(args.runId),
    'run.saliency': async (args) => saliency.picture(args),
    'study.list': async () => studies.list(),
    'study.history': async () => studies.history(),
    'study.result': async (args) => studies.result(args.studyRunId),
    'study.start': async (args) => studies.start(args),
    'study.cancel': async (args) => studies.cancel(args.studyRunId),
  };
  return {
    handlers,
    async shutdown() {
      await Promise.all([experiments.cancelAll(), studies.cancelAll()]);
      datasets.closeAll();
      await saliency.close();
    },
  };
}
