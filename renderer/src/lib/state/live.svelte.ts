/**
 * Live training: the experiment being run, one LiveRun per run fed by push
 * events. Series are replaced, never mutated ($state.raw), so charts redraw.
 */
import type { ArgsIn } from '../../../../src/contract/index.ts';
import { addEpoch, addFinding, addSnapshot, addStep, endRun, experimentEta, startRun, type LiveRun } from '../series.ts';
import type { AppState } from './app.svelte.ts';

export class LiveState {
  experimentId = $state<string | null>(null);
  runs = $state.raw<LiveRun[]>([]);
  /** Planned run names of the grid, shown before each run starts. */
  planned = $state.raw<string[]>([]);
  selectedRunId = $state<string | null>(null);
  status = $state<'idle' | 'starting' | 'running' | 'cancelling' | 'finished' | 'cancelled' | 'failed'>('idle');
  startedAt = $state<number | null>(null);
  #app: AppState;
  /** Events that arrived while experiment.start was still answering (ordered replay once the id is known). */
  #early: { experimentId: string; apply(): void }[] = [];

  constructor(app: AppState) {
    this.#app = app;
    const c = app.client;
    const mine = (experimentId: string, apply: () => void): void => {
      if (experimentId === this.experimentId) apply();
      else if (this.status === 'starting') this.#early.push({ experimentId, apply });
    };
    c.on('run.started', (p) => mine(p.experimentId, () => {
      this.runs = [...this.runs.filter((r) => r.runId !== p.runId), startRun(p)];
      this.selectedRunId = p.runId;
      app.colors.colorOf(p.name);
    }));
    c.on('run.step', (p) => mine(p.experimentId, () => this.#update(p.runId, (r) => addStep(r, p))));
    c.on('run.epoch', (p) => mine(p.experimentId, () => this.#update(p.runId, (r) => addEpoch(r, p))));
    c.on('run.diagnostics', (p) => mine(p.experimentId, () => this.#update(p.runId, (r) => addSnapshot(r, p.snapshot))));
    c.on('run.finding', (p) => mine(p.experimentId, () => this.#update(p.runId, (r) => addFinding(r, p.finding))));
    c.on('run.finished', (p) => mine(p.experimentId, () => this.#update(p.runId, (r) => endRun(r, 'finished', p.result, null))));
    c.on('run.failed', (p) => mine(p.experimentId, () => this.#update(p.runId, (r) => endRun(r, 'failed', null, p.error))));
    c.on('run.cancelled', (p) => mine(p.experimentId, () => this.#update(p.runId, (r) => endRun(r, 'cancelled', p.result, null))));
    c.on('experiment.finished', (p) => mine(p.experimentId, () => {
      this.status = p.status;
      if (p.error) app.fail(p.error);
    }));
  }

  #update(runId: string, f: (r: LiveRun) => LiveRun): void {
    const i = this.runs.findIndex((r) => r.runId === runId);
    if (i < 0) return;
    const next = this.runs.slice();
    next[i] = f(next[i]);
    this.runs = next;
  }

  get selected(): LiveRun | null {
    return this.runs.find((r) => r.runId === this.selectedRunId) ?? this.runs[this.runs.length - 1] ?? null;
  }

  get etaS(): number | null {
    return experimentEta(this.runs);
  }

  get active(): boolean {
    return this.status === 'starting' || this.status === 'running' || this.status === 'cancelling';
  }

  async start(args: ArgsIn<'experiment.start'>): Promise<boolean> {
    this.#app.error = null;
    this.status = 'starting';
    this.runs = [];
    this.experimentId = null;
    try {
      const r = await this.#app.client.request('experiment.start', args);
      this.experimentId = r.experimentId;
      this.planned = r.runs.map((x) => x.name);
      for (const n of this.planned) this.#app.colors.colorOf(n);
      this.startedAt = Date.now();
      this.status = 'running';
      const early = this.#early.filter((e) => e.experimentId === r.experimentId);
      this.#early = [];
      for (const e of early) e.apply();
      return true;
    } catch (err) {
      this.#early = [];
      this.status = 'failed';
      this.#app.fail(err);
      return false;
    }
  }

  async cancel(): Promise<void> {
    if (!this.experimentId) return;
    this.status = 'cancelling';
    try {
      await this.#app.client.request('experiment.cancel', { experimentId: this.experimentId });
    } catch (err) {
      this.#app.fail(err);
    }
  }
}
