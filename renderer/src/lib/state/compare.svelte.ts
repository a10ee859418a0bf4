/**
 * Compare and Run detail: the comparison table of an experiment and the
 * stored logs of its runs, read from the workspace.
 */
import type { Comparison, ExperimentListEntry, RunDetail } from '../../../../src/contract/index.ts';
import type { AppState } from './app.svelte.ts';
import { describeDownload, downloadText } from '../download.ts';

export class CompareState {
  experiments = $state.raw<ExperimentListEntry[]>([]);
  experimentId = $state<string | null>(null);
  comparison = $state.raw<Comparison | null>(null);
  details = $state.raw<RunDetail[]>([]);
  loading = $state(false);
  exported = $state<string | null>(null);
  #app: AppState;

  constructor(app: AppState) {
    this.#app = app;
    const c = app.client;
    // The backend pushes every experiment's progress to every page: keep the list's statuses and the shown table current.
    c.on('experiment.finished', (p) => void this.#changed(p.experimentId, true));
    c.on('run.finished', (p) => void this.#changed(p.experimentId, false));
    c.on('run.started', (p) => {
      if (!this.experiments.some((x) => x.experimentId === p.experimentId)) void this.#changed(p.experimentId, false);
    });
  }

  /** True once refresh or load has run (the Compare view loads on first show; events only update what was loaded). */
  get loaded(): boolean {
    return this.experiments.length > 0 || this.comparison !== null;
  }

  /** An experiment changed: reload the list, and the table when it shows that experiment (or none yet and it ended). */
  async #changed(experimentId: string, ended: boolean): Promise<void> {
    if (!this.loaded) return;
    try {
      this.experiments = await this.#app.client.request('experiments.list', {});
    } catch {
      return; // the next change or a Refresh tries again; a push event is no reason for an error banner
    }
    if (this.experimentId === experimentId || (ended && this.experimentId === null)) await this.load(experimentId);
  }

  async refresh(preferred?: string | null): Promise<void> {
    // Named at once, so the route (#/compare/<id>) holds while the list loads.
    if (preferred) this.experimentId = preferred;
    try {
      this.experiments = await this.#app.client.request('experiments.list', {});
      const id = preferred ?? this.experimentId ?? this.experiments[this.experiments.length - 1]?.experimentId ?? null;
      if (id) await this.load(id);
    } catch (err) {
      this.#app.fail(err);
    }
  }

  async load(experimentId: string): Promise<void> {
    this.loading = true;
    this.experimentId = experimentId;
    this.exported = null;
    try {
      const c = await this.#app.client.request('experiment.compare', { experimentId });
      const details = await Promise.all(c.rows.map((r) => this.#app.client.request('runs.get', { runId: r.runId })));
      if (this.experimentId !== experimentId) return;
      for (const r of c.rows) this.#app.colors.colorOf(r.name);
      this.comparison = c;
      this.details = details;
    } catch (err) {
      this.#app.fail(err);
    } finally {
      this.loading = false;
    }
  }

  async export(format: 'html' | 'markdown' | 'csv' | 'json'): Promise<void> {
    if (!this.experimentId) return;
    try {
      const r = await this.#app.client.request('report.export', { experimentId: this.experimentId, format });
      downloadText(r.fileName, r.mime, r.text);
      this.exported = `${describeDownload(r.fileName, r.bytes)}; also written on the lab's machine to ${r.path}`;
    } catch (err) {
      this.#app.fail(err);
    }
  }

  /** The shown experiment's grid cells without a result (cancelled, skipped, crashed): what Resume would train. */
  get unfinished(): number {
    return this.experiments.find((e) => e.experimentId === this.experimentId)?.unfinished ?? 0;
  }

  /** Finishes the shown experiment's cells without a result; true once the lab has started them (Live training follows). */
  async resume(): Promise<boolean> {
    if (!this.experimentId) return false;
    try {
      await this.#app.client.request('experiment.resume', { experimentId: this.experimentId });
      return true;
    } catch (err) {
      this.#app.fail(err);
      return false;
    }
  }
}
