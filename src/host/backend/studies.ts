/**
 * Lab studies started from the app: the studies registry (src/studies) run
 * in this backend process (the serve-mode child or Electron's utility
 * process, never the socket's or the window's event loop), their progress
 * and results mapped to contract push events, one AbortController per run.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Args, HandlerContext, Result, StudyInfo } from '../../contract/index.ts';
import { ContractError, StudyRecord, StudyRecordHead, describeZodError } from '../../contract/index.ts';
import type { Lab } from '../../lab/index.ts';
import { studyUsesDrive } from '../../lab/studies.ts';
import { CancelledError, UserError } from '../../errors.ts';
import { readJsonOrNull, writeJsonAtomic } from '../../experiments/store.ts';
import type { DatasetSpec } from '../../video/types.ts';
import { engineReady } from './engine.ts';

/** Finished studies kept for study.history (newest ones; older files stay on disk). */
const MAX_HISTORY = 50;

/** Minimum gap between two progress events of one study (ms): a deep-CNN study reports every step. */
const PROGRESS_EVERY_MS = 150;

interface Running {
  name: string;
  ac: AbortController;
  done: Promise<void>;
}

export interface Studies {
  list(): StudyInfo[];
  /** Finished studies stored under <workspace>/studies/results, oldest first (without their measurements). */
  history(): StudyRecordHead[];
  /** One stored study with its measurements. */
  result(studyRunId: string): StudyRecord;
  start(args: Args<'study.start'>): Promise<Result<'study.start'>>;
  cancel(studyRunId: string): Promise<{ cancelled: boolean }>;
  cancelAll(): Promise<void>;
}

/** JSON carries NaN and +-Infinity as null; make that explicit so IPC (structured clone) and WebSocket agree. */
export function finiteOrNull(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (Array.isArray(v)) return v.map(finiteOrNull);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, finiteOrNull(x)]));
  return v;
}

/** Where finished studies are stored: one JSON file per run, written atomically. */
export function studyResultsDir(workspace: string): string {
  return join(workspace, 'studies', 'results');
}

/** Reads the stored studies (unreadable or foreign files are skipped), oldest first, at most MAX_HISTORY, without their measurements. */
export function readStudyHistory(workspace: string): StudyRecordHead[] {
  let files: string[];
  try {
    files = readdirSync(studyResultsDir(workspace)).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const out: StudyRecordHead[] = [];
  for (const f of files) {
    // Head only (zod drops the rest), but only from a file whose whole record is valid.
    const raw = readJsonOrNull(join(studyResultsDir(workspace), f));
    if (StudyRecord.safeParse(raw).success) out.push(StudyRecordHead.parse(raw));
  }
  out.sort((a, b) => a.finishedAt.localeCompare(b.finishedAt));
  return out.slice(-MAX_HISTORY);
}

/** Progress events at most every PROGRESS_EVERY_MS per stage (a stage's first and last always). */
function throttledProgress(emit: HandlerContext['emit'], studyRunId: string): (p: { stage: string; done: number; total: number }) => void {
  let lastStage = '';
  let lastAt = 0;
  return (p) => {
    const now = performance.now();
    if (p.stage === lastStage && p.done < p.total && now - lastAt < PROGRESS_EVERY_MS) return;
    lastStage = p.stage;
    lastAt = now;
    emit('study.progress', { studyRunId, stage: p.stage, done: Math.max(0, p.done), total: Math.max(0, p.total) });
  };
}

/** Runs a study and stores its result before saying it finished (or says why it failed). Never rejects. */
function runInBackground(
  o: { lab: Lab; emit: HandlerContext['emit'] },
  x: { studyRunId: string; entry: { name: string }; quick: boolean; options: unknown; signal: AbortSignal },
): Promise<void> {
  const { studyRunId, entry } = x;
  const workspace = o.lab.workspace;
  const t0 = performance.now();
  const elapsedS = (): number => (performance.now() - t0) / 1000;
  o.emit('study.progress', { studyRunId, stage: 'starting', done: 0, total: 1 });
  // The lab's engine first (shared with app.info and experiments); a study asking for another engine switches to it.
  const job = engineReady().then(() => o.lab.studies.run(entry.name, x.options as Record<string, unknown>, { signal: x.signal, onProgress: throttledProgress(o.emit, studyRunId) }));
  return job.then(
    (result) => {
      const finished = { studyRunId, name: entry.name, quick: x.quick, result: finiteOrNull(result) as { conclusions: string[] }, elapsedS: elapsedS() };
      // Stored before the event, so a window that reloads on study.finished finds it in study.history.
      try {
        mkdirSync(studyResultsDir(workspace), { recursive: true });
        writeJsonAtomic(join(studyResultsDir(workspace), `${studyRunId}.json`), { ...finished, finishedAt: new Date().toISOString() });
      } catch (err) {
        process.stderr.write(`steerlab: could not store the result of ${studyRunId}: ${(err as Error).message}\n`);
      }
      o.emit('study.finished', finished);
    },
    (err: Error) => {
      const cancelled = err instanceof CancelledError || x.signal.aborted;
      o.emit('study.failed', { studyRunId, name: entry.name, cancelled, error: cancelled ? 'cancelled' : (err?.message ?? String(err)), elapsedS: elapsedS() });
    },
  );
}

export function createStudies(o: {
  lab: Lab;
  emit: HandlerContext['emit'];
  /** The spec of an open data set (throws a UserError when it is not open). */
  datasetSpec?(datasetId: string): DatasetSpec;
}): Studies {
  const running = new Map<string, Running>();
  const { workspace } = o.lab;
  const { all: STUDIES, find: findStudy } = o.lab.studies;

  return {
    list: () =>
      STUDIES.map((e) => ({
        name: e.name,
        title: e.title,
        description: e.description,
        defaults: e.defaults,
        quickOptions: e.quick,
        usesDrive: studyUsesDrive(e),
      })),

    history: () => readStudyHistory(workspace),

    result(studyRunId) {
      // studyRunId is checked by the contract (letters, digits, dot, dash, underscore): it cannot leave the folder.
      const r = StudyRecord.safeParse(readJsonOrNull(join(studyResultsDir(workspace), `${studyRunId}.json`)));
      if (!r.success) throw new UserError(`no stored study ${studyRunId} in this workspace`);
      return r.data;
    },

    async start(args) {
      const entry = findStudy(args.name);
      if (!entry) throw new UserError(`unknown study '${args.name}' (known: ${STUDIES.map((s) => s.name).join(', ')})`);
      // One study at a time: two would share two cores and each take twice as long.
      const busy = [...running.values()][0];
      if (busy) throw new UserError(`the study '${busy.name}' is still running; cancel it or wait for it to finish`);
      if ('workspace' in args.options) throw new ContractError('invalid', 'a study writes into the lab workspace; its folder cannot be chosen per study');
      // Studies that train on a drive keep it, its frame cache and its runs in the lab's workspace, so a second run reuses them.
      const options = o.lab.studies.withWorkspace(entry, { ...(args.quick ? entry.quick : {}), ...args.options });
      if (args.datasetId !== undefined) {
        if (!studyUsesDrive(entry)) throw new ContractError('invalid', `${entry.name} brings its own data; it cannot train on an open data set`);
        if (!o.datasetSpec) throw new ContractError('invalid', 'this backend has no open data sets');
        // The person's data set as they opened it (label override, offset, crop, frame limit); the study sets its own input size.
        const { input: _input, ...spec } = o.datasetSpec(args.datasetId);
        options.dataset = JSON.parse(JSON.stringify(spec)) as unknown;
      }
      const checked = entry.schema.safeParse(options);
      if (!checked.success) throw new ContractError('invalid', `bad options for ${entry.name}: ${describeZodError(checked.error)}`);

      const studyRunId = `${entry.name}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
      const ac = new AbortController();
      const done = runInBackground(o, { studyRunId, entry, quick: args.quick, options: checked.data, signal: ac.signal }).finally(() => running.delete(studyRunId));
      running.set(studyRunId, { name: entry.name, ac, done });
      return { studyRunId };
    },

    async cancel(studyRunId) {
      const r = running.get(studyRunId);
      if (!r) return { cancelled: false };
      r.ac.abort();
      await r.done;
      return { cancelled: true };
    },

    async cancelAll() {
      for (const r of running.values()) r.ac.abort();
      await Promise.allSettled([...running.values()].map((r) => r.done));
    },
  };
}
