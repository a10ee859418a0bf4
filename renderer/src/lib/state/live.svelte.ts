/**
 * Live training: the experiment being run, one LiveRun per run fed by push
 * events. Series are replaced, never mutated ($state.raw), so charts redraw.
 */
import type { ArgsIn, ExperimentStatus, SentEvent } from '../../../../src/contract/index.ts';
import { addEpoch, addFinding, addSnapshot, addStep, endRun, experimentEta, lastStepIndex, plannedAfterAttach, startRun, type LiveRun } from '../series.ts';
import type { AppState } from './app.svelte.ts';

export class LiveState {
  experimentId = $state<string | null>(null);
  runs = $state.raw<LiveRun[]>([]);
  /** Planned run names of the grid, shown before each run starts. */
  planned = $state.raw<string[]>([]);
  selectedRunId = $state<string | null>(null);
  /** The experiment's own status once it runs ('running', then 'completed', 'cancelled' or 'failed'), around this page's steps. */
  status = $state<'idle' | 'starting' | 'cancelling' | ExperimentStatus>('idle');
  startedAt = $state<number | null>(null);
  #app: AppState;
  /** Runs in the grid as the backend's training progress counts them (known after a re-attach, before the plan is). */
  totalRuns = $state<number | null>(null);
  /** Events that arrived while experiment.start or a re-attach was still answering (ordered replay once the id is known). */
  #early: { experimentId: string; apply(): void }[] = [];
  #attaching = false;
  /** Events waiting for the next animation frame (#defer). */
  #pending: (() => void)[] = [];

  constructor(app: AppState) {
    this.#app = app;
    const c = app.client;
    const mine = (experimentId: string, apply: () => void): void => {
      if (experimentId === this.experimentId) this.#defer(apply);
      else if (this.status === 'starting' || this.#attaching) this.#early.push({ experimentId, apply });
    };
    c.on('run.started', (p) => {
      // An experiment started by another window (or before a reload, when this page missed it): follow it when idle.
      if (p.experimentId !== this.experimentId && !this.active && !this.#attaching) void this.attach();
    });
    c.on('progress', (p) => mine(p.experimentId ?? '', () => this.#apply({ name: 'progress', payload: p })));
    c.on('run.started', (p) => mine(p.experimentId, () => this.#apply({ name: 'run.started', payload: p })));
    c.on('run.step', (p) => mine(p.experimentId, () => this.#apply({ name: 'run.step', payload: p })));
    c.on('run.epoch', (p) => mine(p.experimentId, () => this.#apply({ name: 'run.epoch', payload: p })));
    c.on('run.diagnostics', (p) => mine(p.experimentId, () => this.#apply({ name: 'run.diagnostics', payload: p })));
    c.on('run.finding', (p) => mine(p.experimentId, () => this.#apply({ name: 'run.finding', payload: p })));
    c.on('run.finished', (p) => mine(p.experimentId, () => this.#apply({ name: 'run.finished', payload: p })));
    c.on('experiment.finished', (p) => mine(p.experimentId, () => this.#apply({ name: 'experiment.finished', payload: p })));
  }

  /**
   * One push event of the followed experiment, live or replayed from
   * experiment.running's history after a reload. A replay may overlap the
   * events that arrived meanwhile: steps, epochs, snapshots and findings
   * already shown are not added twice.
   */
  #apply(e: SentEvent): void {
    switch (e.name) {
      case 'progress':
        if (e.payload.task === 'train') this.totalRuns = e.payload.total;
        return;
      case 'run.started': {
        const p = e.payload;
        if (this.runs.some((r) => r.runId === p.runId)) return;
        this.runs = [...this.runs, startRun(p)];
        this.selectedRunId = p.runId;
        this.#app.colors.colorOf(p.name);
        return;
      }
      case 'run.step': {
        const p = e.payload;
        return this.#update(p.runId, (r) => (p.step.step <= lastStepIndex(r) ? r : addStep(r, p)));
      }
      case 'run.epoch': {
        const p = e.payload;
        return this.#update(p.runId, (r) => (r.lastEpoch && p.epoch.epoch <= r.lastEpoch.epoch ? r : addEpoch(r, p)));
      }
      case 'run.diagnostics': {
        const s = e.payload.snapshot;
        return this.#update(e.payload.runId, (r) => (r.diagnostics.length && s.step <= r.diagnostics[r.diagnostics.length - 1].step ? r : addSnapshot(r, s)));
      }
      case 'run.finding': {
        const f = e.payload.finding;
        return this.#update(e.payload.runId, (r) => (r.findings.some((x) => x.message === f.message && x.step === f.step) ? r : addFinding(r, f)));
      }
      // However a run ended, its result says how (status) and why it failed (error).
      case 'run.finished': {
        const p = e.payload;
        return this.#update(p.runId, (r) => endRun(r, p.result.status, p.result, p.result.error));
      }
      case 'experiment.finished': {
        const p = e.payload;
        this.status = p.status;
        // A run the experiment's own failure (or cancellation) interrupted never sends run.finished: it ends with the experiment.
        const ended = p.status === 'cancelled' ? 'cancelled' : 'failed';
        if (p.status !== 'completed' && this.runs.some((r) => r.phase === 'running')) {
          this.runs = this.runs.map((r) => (r.phase === 'running' ? endRun(r, ended, null, p.error) : r));
        }
        if (p.error) this.#app.fail(p.error);
        return;
      }
      default:
        return;
    }
  }

  /**
   * Applies a followed experiment's event at the next animation frame,
   * together with the others that arrived by then: a run logging every step
   * sends dozens of events a second, and redrawing the charts once per
   * event fell minutes behind (Cancel's answer included). Applied at once
   * where there are no frames (Node tests) or the page is hidden.
   */
  #defer(apply: () => void): void {
    if (typeof requestAnimationFrame !== 'function' || document.hidden) {
      this.#flush();
      return apply();
    }
    this.#pending.push(apply);
    if (this.#pending.length === 1) requestAnimationFrame(() => this.#flush());
  }

  #flush(): void {
    const pending = this.#pending;
    this.#pending = [];
    for (const f of pending) f();
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

  /**
   * Re-attaches to the experiment the backend is running (after a reload or
   * a reconnect, or one started from another window): replays the events
   * sent for it so far (experiment.running), then follows the push events.
   * Does nothing while this window already follows an experiment.
   */
  async attach(): Promise<void> {
    if (this.active || this.#attaching) return;
    this.#attaching = true;
    try {
      const [running] = await this.#app.client.request('experiment.running', {});
      if (!running || this.active) return;
      this.experimentId = running.experimentId;
      this.runs = [];
      this.planned = [];
      this.totalRuns = null;
      this.status = 'running';
      this.startedAt = Date.parse(running.startedAt) || Date.now();
      for (const e of running.history) this.#apply(e);
      // Events that arrived while the request was answered: those the history already held are skipped.
      const early = this.#early.filter((e) => e.experimentId === running.experimentId);
      this.#early = [];
      for (const e of early) e.apply();
      // The grid's plan as experiment.start gave it: the runs started so far, then the cells the backend has not started yet.
      if (running.waiting) this.planned = plannedAfterAttach(this.runs.map((r) => r.name), running.waiting);
      for (const n of this.planned) this.#app.colors.colorOf(n);
      this.selectedRunId = this.runs.find((r) => r.phase === 'running')?.runId ?? this.selectedRunId;
    } catch (err) {
      this.#app.fail(err);
    } finally {
      this.#attaching = false;
      if (this.status !== 'starting') this.#early = [];
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
