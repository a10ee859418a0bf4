/**
 * The lab's experiments as a service: start one in the background, know
 * what is running (with its events so far, so a page that reloads can
 * re-attach), cancel, list, resume. One experiment runs at a time in a lab:
 * two grids side by side would share the cores and each take twice as long,
 * so a second start is refused with a UserError naming the one running.
 */
import { UserError } from '../errors.ts';
import type { ExperimentEvent } from '../experiments/events.ts';
import { listExperiments } from '../experiments/store.ts';
import type { ExperimentRecord, ExperimentSummary } from '../experiments/types.ts';
import type { RunConfig } from '../train/config.ts';
import { planExperiment, runExperiment, type RunExperimentOptions } from './experiment.ts';
import { experimentDir, resumeExperiment } from './resume.ts';
import type { SessionOptions } from './session.ts';

/** An experiment running in this lab, enough for a page to re-attach. */
export interface RunningExperiment {
  experimentId: string;
  dir: string;
  startedAt: string;
  /** Run ids started so far, in grid order. */
  runIds: string[];
  /** Its events so far, oldest first (decode and grid progress: the latest of each only). */
  events: ExperimentEvent[];
}

/** A started experiment: its id once recorded, and its end. */
export interface StartedExperiment<T = ExperimentSummary> {
  experimentId: string;
  /** Resolves once every run is recorded (rejects when the experiment could not run). */
  done: Promise<T>;
}

type StartOptions = Omit<RunExperimentOptions, 'workspace' | 'signal'>;

export interface LabExperiments {
  /** Starts a grid in the background; resolves once its record exists. Refused while another experiment runs. */
  start(o: StartOptions): Promise<StartedExperiment & { /** The planned cells' configs, in grid order. */ configs: RunConfig[] }>;
  /** Finishes the cells of an experiment (folder or id) that have no result (`resumed`: how many); refused while another experiment runs. */
  resume(dirOrId: string, o?: Omit<SessionOptions, 'workspace' | 'signal'>): Promise<StartedExperiment<{ summary: ExperimentSummary; resumed: number }>>;
  running(): RunningExperiment[];
  /** Cancels a running experiment and waits for it to record its end; false when it is not running. */
  cancel(experimentId: string): Promise<boolean>;
  cancelAll(): Promise<void>;
  /** Every experiment in the workspace, oldest first (unreadable records skipped). */
  list(): { dir: string; record: ExperimentRecord }[];
}

interface Entry extends RunningExperiment {
  ac: AbortController;
  done: Promise<unknown>;
}

/** Keeps an event for re-attaching: progress events replace their predecessor, the rest accumulate. */
function remember(events: ExperimentEvent[], e: ExperimentEvent): void {
  if (e.type === 'progress' || e.type === 'dataset-progress') {
    const k = events.findIndex((x) => x.type === e.type);
    if (k >= 0) events.splice(k, 1);
  }
  events.push(e);
}

export function createLabExperiments(o: { workspace: string }): LabExperiments {
  const entries = new Map<string, Entry>();
  let starting = false;

  /** Runs `job` in the background as the lab's one experiment; resolves with its id once it has one. */
  async function launch<T>(job: (s: { signal: AbortSignal; onEvent(e: ExperimentEvent): void }) => Promise<T>, onEvent?: (e: ExperimentEvent) => void): Promise<{ experimentId: string; done: Promise<T> }> {
    const busy = [...entries.values()][0];
    if (busy || starting) throw new UserError(`experiment ${busy?.experimentId ?? '(starting)'} is still running; cancel it or wait for it to finish before starting another`);
    starting = true;
    const ac = new AbortController();
    const events: ExperimentEvent[] = [];
    let entry: Entry | null = null;
    let started: (id: string) => void = () => {};
    const hasId = new Promise<string>((r) => (started = r));
    const handle = (e: ExperimentEvent): void => {
      if (e.type === 'experiment-started') {
        entry = { experimentId: e.experimentId, dir: e.dir, startedAt: new Date().toISOString(), runIds: [], events, ac, done: Promise.resolve() };
        entries.set(e.experimentId, entry);
        starting = false;
        started(e.experimentId);
      }
      if (e.type === 'run-started') entry?.runIds.push(e.runId);
      if (e.type !== 'experiment-finished') remember(events, e);
      onEvent?.(e);
    };
    const done = job({ signal: ac.signal, onEvent: handle }).finally(() => {
      starting = false;
      if (entry) entries.delete(entry.experimentId);
    });
    // A failure before the experiment has an id is the start's failure.
    const experimentId = await Promise.race([hasId, done.then(() => hasId)]);
    const running = entries.get(experimentId);
    if (running) running.done = done.then(() => undefined, () => undefined);
    return { experimentId, done };
  }

  return {
    async start(x) {
      const configs = planExperiment(x.base, x.axes);
      if (configs.length === 0) throw new UserError('the grid is empty: give every axis at least one value');
      const { experimentId, done } = await launch((s) => runExperiment({ ...x, workspace: o.workspace, signal: s.signal, onEvent: s.onEvent }), x.onEvent);
      return { experimentId, configs, done };
    },

    async resume(dirOrId, x = {}) {
      const dir = experimentDir(dirOrId, o.workspace);
      return launch((s) => resumeExperiment(dir, { ...x, signal: s.signal, onEvent: s.onEvent }), x.onEvent);
    },

    running: () => [...entries.values()].map(({ experimentId, dir, startedAt, runIds, events }) => ({ experimentId, dir, startedAt, runIds: [...runIds], events: [...events] })),

    async cancel(experimentId) {
      const r = entries.get(experimentId);
      if (!r) return false;
      r.ac.abort();
      await r.done;
      return true;
    },

    async cancelAll() {
      const all = [...entries.values()];
      for (const r of all) r.ac.abort();
      await Promise.allSettled(all.map((r) => r.done));
    },

    list: () => listExperiments(o.workspace).flatMap(({ dir, record }) => (record ? [{ dir, record }] : [])),
  };
}
