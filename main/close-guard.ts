/**
 * Closing the window while training: ask, then cancel cleanly (the backend
 * stops ffmpeg and the trainer and records the run as cancelled) before the
 * window goes away. Experiments and lab studies both count as training.
 */
import type { BrowserWindow } from 'electron';

export type CloseDecision = 'close' | 'ask';

/** Pure: close at once when nothing runs, otherwise ask. */
export function closeDecision(runningWork: number): CloseDecision {
  return runningWork > 0 ? 'ask' : 'close';
}

/** Something the backend is training: an experiment (grid of runs) or a lab study. */
export interface Work {
  kind: 'experiment' | 'study';
  id: string;
}

/**
 * Pure: the work in flight after one backend push event. An experiment runs
 * from its first run.started to experiment.finished; a study from its first
 * study.progress (sent as it starts) to study.finished or study.failed.
 */
export function trackWork(active: ReadonlyMap<string, Work>, name: string, payload: unknown): Map<string, Work> {
  const p = (payload ?? {}) as { experimentId?: unknown; studyRunId?: unknown };
  const next = new Map(active);
  if (typeof p.experimentId === 'string') {
    const key = `experiment:${p.experimentId}`;
    if (name === 'run.started') next.set(key, { kind: 'experiment', id: p.experimentId });
    if (name === 'experiment.finished') next.delete(key);
  }
  if (typeof p.studyRunId === 'string') {
    const key = `study:${p.studyRunId}`;
    if (name === 'study.progress') next.set(key, { kind: 'study', id: p.studyRunId });
    if (name === 'study.finished' || name === 'study.failed') next.delete(key);
  }
  return next;
}

/** The question's wording for what is running ("1 experiment and 1 study are"). */
export function describeWork(work: Work[]): string {
  const n = (kind: Work['kind']) => work.filter((w) => w.kind === kind).length;
  const parts = [[n('experiment'), 'experiment', 'experiments'], [n('study'), 'study', 'studies']]
    .filter(([c]) => (c as number) > 0)
    .map(([c, one, many]) => `${c} ${c === 1 ? one : many}`);
  return `${parts.join(' and ')} ${work.length === 1 ? 'is' : 'are'}`;
}

export interface CloseGuardDeps {
  win: BrowserWindow;
  running(): Work[];
  cancel(work: Work): Promise<void>;
  ask(win: BrowserWindow, running: Work[]): Promise<boolean>;
}

export function setupCloseGuard(d: CloseGuardDeps): void {
  let closing = false;
  d.win.on('close', (e) => {
    if (closing || closeDecision(d.running().length) === 'close') return;
    e.preventDefault();
    void d.ask(d.win, d.running()).then(async (yes) => {
      if (!yes) return;
      closing = true;
      await Promise.allSettled(d.running().map((id) => d.cancel(id)));
      if (!d.win.isDestroyed()) d.win.close();
    });
  });
}
