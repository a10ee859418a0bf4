/**
 * Lab studies in the app: the list (for the Experiment presets), the studies
 * finished earlier in this workspace (study.history, so a reload keeps them),
 * the study runs of this window (progress, then the measurements and
 * conclusions from study.finished), one at a time, with cancel. Runs are
 * replaced, never mutated ($state.raw), so the Study view's charts see new
 * objects.
 */
import type { Payload, StudyInfo, StudyRecordHead, StudyResult } from '../../../../src/contract/index.ts';
import type { AppState } from './app.svelte.ts';

export type StudyPhase = 'starting' | 'running' | 'cancelling' | 'finished' | 'failed' | 'cancelled';

export interface StudyRun {
  /** Null until study.start answers. */
  studyRunId: string | null;
  name: string;
  title: string;
  quick: boolean;
  phase: StudyPhase;
  progress: { stage: string; done: number; total: number } | null;
  result: StudyResult | null;
  error: string | null;
  /** Wall time reported by the backend when the study ended, seconds. */
  elapsedS: number | null;
  /** Date.now() when the person pressed Run (for the running clock). */
  startedAt: number;
  /** ISO time a stored study finished (runs read from study.history); null for this window's runs. */
  finishedAt: string | null;
}

/** A stored study as a finished run of the Study view; its result is fetched when it is shown (loadResult). */
export function recordToRun(r: StudyRecordHead, title: string): StudyRun {
  return {
    studyRunId: r.studyRunId, name: r.name, title, quick: r.quick, phase: 'finished', progress: null, result: null, error: null,
    elapsedS: r.elapsedS, startedAt: Date.parse(r.finishedAt) - r.elapsedS * 1000, finishedAt: r.finishedAt,
  };
}

export class StudyState {
  studies = $state.raw<StudyInfo[]>([]);
  runs = $state.raw<StudyRun[]>([]);
  /** Index into runs of the run the Study view shows. */
  selected = $state(-1);
  #app: AppState;
  #loading: Promise<void> | null = null;
  /** Stored results being fetched or fetched, by id. */
  #fetching = new Map<string, Promise<void>>();
  /** Events that arrived before study.start answered with the id (replayed in order). */
  #early: { id: string; apply(): void }[] = [];

  constructor(app: AppState) {
    this.#app = app;
    const c = app.client;
    const mine = (id: string, apply: () => void): void => {
      if (this.runs.some((r) => r.studyRunId === id)) apply();
      else if (this.runs.some((r) => r.phase === 'starting')) this.#early.push({ id, apply });
    };
    c.on('study.progress', (p) => mine(p.studyRunId, () => this.#update(p.studyRunId, (r) => ({ ...r, progress: { stage: p.stage, done: p.done, total: p.total } }))));
    c.on('study.finished', (p) => mine(p.studyRunId, () => this.#update(p.studyRunId, (r) => ({ ...r, phase: 'finished', result: p.result, elapsedS: p.elapsedS }))));
    c.on('study.failed', (p) => mine(p.studyRunId, () => this.#finishFailed(p)));
  }

  #finishFailed(p: Payload<'study.failed'>): void {
    this.#update(p.studyRunId, (r) => ({ ...r, phase: p.cancelled ? 'cancelled' : 'failed', error: p.cancelled ? null : p.error, elapsedS: p.elapsedS }));
    if (!p.cancelled) this.#app.fail(`${p.name}: ${p.error}`);
  }

  #update(id: string, f: (r: StudyRun) => StudyRun): void {
    const i = this.runs.findIndex((r) => r.studyRunId === id);
    if (i < 0) return;
    const next = this.runs.slice();
    next[i] = f(next[i]);
    this.runs = next;
  }

  /** Loads the study list and the stored studies once (again after a failure). */
  load(): Promise<void> {
    this.#loading ??= Promise.all([this.#app.client.request('study.list', {}), this.#app.client.request('study.history', {})]).then(
      ([l, h]) => {
        this.studies = l;
        this.#addHistory(h);
      },
      (err) => {
        this.#loading = null;
        this.#app.fail(err);
      },
    );
    return this.#loading;
  }

  /** Puts stored studies before this window's runs (skipping ones already shown); the view keeps showing what it showed, or the newest stored one. */
  #addHistory(records: StudyRecordHead[]): void {
    const known = new Set(this.runs.map((r) => r.studyRunId));
    const stored = records.filter((r) => !known.has(r.studyRunId)).map((r) => recordToRun(r, this.info(r.name)?.title ?? r.name));
    if (!stored.length) return;
    this.runs = [...stored, ...this.runs];
    this.selected = this.selected >= 0 ? this.selected + stored.length : stored.length - 1;
  }

  /** Fetches a stored study's measurements once (the Study view calls it for the run it shows). */
  loadResult(studyRunId: string): Promise<void> {
    let p = this.#fetching.get(studyRunId);
    if (!p) {
      p = this.#app.client.request('study.result', { studyRunId }).then(
        (rec) => this.#update(studyRunId, (r) => ({ ...r, result: rec.result })),
        (err) => {
          this.#fetching.delete(studyRunId);
          this.#update(studyRunId, (r) => ({ ...r, error: err instanceof Error ? err.message : String(err) }));
          this.#app.fail(err);
        },
      );
      this.#fetching.set(studyRunId, p);
    }
    return p;
  }

  info(name: string): StudyInfo | null {
    return this.studies.find((s) => s.name === name) ?? null;
  }

  get current(): StudyRun | null {
    return this.runs[this.selected] ?? null;
  }

  get active(): StudyRun | null {
    return this.runs.find((r) => r.phase === 'starting' || r.phase === 'running' || r.phase === 'cancelling') ?? null;
  }

  /** Starts a study (on the open data set `datasetId` when given); false (with the error shown) when the backend refused. */
  async start(name: string, quick: boolean, options: Record<string, string | number | boolean> = {}, datasetId?: string): Promise<boolean> {
    this.#app.error = null;
    const run: StudyRun = {
      studyRunId: null, name, title: this.info(name)?.title ?? name, quick, phase: 'starting',
      progress: null, result: null, error: null, elapsedS: null, startedAt: Date.now(), finishedAt: null,
    };
    this.runs = [...this.runs, run];
    this.selected = this.runs.length - 1;
    // By identity, not index: stored studies arriving meanwhile are put in front of it.
    const replace = (f: (r: StudyRun) => StudyRun): void => {
      const i = this.runs.indexOf(run);
      if (i < 0) return;
      const next = this.runs.slice();
      next[i] = f(run);
      this.runs = next;
    };
    try {
      const { studyRunId } = await this.#app.client.request('study.start', { name, quick, options, ...(datasetId ? { datasetId } : {}) });
      replace((r) => ({ ...r, studyRunId, phase: 'running' }));
      const early = this.#early.filter((e) => e.id === studyRunId);
      this.#early = [];
      for (const e of early) e.apply();
      return true;
    } catch (err) {
      this.#early = [];
      replace((r) => ({ ...r, phase: 'failed', error: err instanceof Error ? err.message : String(err) }));
      this.#app.fail(err);
      return false;
    }
  }

  async cancel(): Promise<void> {
    const r = this.active;
    if (!r || !r.studyRunId) return;
    this.#update(r.studyRunId, (x) => ({ ...x, phase: 'cancelling' }));
    try {
      await this.#app.client.request('study.cancel', { studyRunId: r.studyRunId });
    } catch (err) {
      this.#app.fail(err);
    }
  }
}
