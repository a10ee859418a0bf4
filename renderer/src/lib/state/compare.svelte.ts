/**
 * Compare and Run detail: the comparison table of an experiment and the
 * stored logs of its runs, read from the workspace.
 */
import type { Comparison, ExperimentListEntry, RunDetail } from '../../../../src/contract/index.ts';
import type { AppState } from './app.svelte.ts';

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
  }

  async refresh(preferred?: string | null): Promise<void> {
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
      this.exported = `${r.path} (${(r.bytes / 1024).toFixed(1)} KiB)`;
    } catch (err) {
      this.#app.fail(err);
    }
  }
}
