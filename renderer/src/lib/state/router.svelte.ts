/**
 * Keeps location.hash and the shown view in step: a hash (typed, reloaded
 * or shared) opens its view, experiment, run or study; moving around the
 * app writes the hash (a new history entry per view, so Back works; a
 * replaced one when only the experiment or study picked changes, or when
 * the page had no route yet).
 */
import { formatRoute, parseRoute, type Route } from '../routes.ts';
import type { Lab } from './context.ts';

export class Router {
  #lab: Lab;

  constructor(lab: Lab) {
    this.#lab = lab;
  }

  /** The route of what is shown now (reads the state it depends on, so an $effect re-runs when any changes). */
  current(): Route {
    const { app, compare, study } = this.#lab;
    switch (app.view) {
      case 'compare': return { view: 'compare', experimentId: compare.experimentId };
      case 'run': return app.runId ? { view: 'run', runId: app.runId } : { view: 'compare', experimentId: compare.experimentId };
      case 'study': return { view: 'study', studyRunId: study.current?.studyRunId ?? null };
      default: return { view: app.view };
    }
  }

  /** Shows what a route names (loading the experiment, run or stored study it points at). */
  apply(r: Route): void {
    const { app, compare, study } = this.#lab;
    if (r.view === 'run') return app.openRun(r.runId);
    app.show(r.view);
    if (r.view === 'compare' && r.experimentId && r.experimentId !== compare.experimentId) void compare.refresh(r.experimentId);
    if (r.view === 'study' && r.studyRunId) {
      const id = r.studyRunId;
      // Stored studies arrive with study.history: select the one named once the list is there.
      void study.load().then(() => {
        const i = study.runs.findIndex((x) => x.studyRunId === id);
        if (i >= 0) study.selected = i;
      });
    }
  }

  /** Applies the page's hash now and on every hashchange; returns the cleanup for an $effect. */
  listen(): () => void {
    const onHash = (): void => {
      const r = parseRoute(location.hash);
      if (r && location.hash !== formatRoute(this.current())) this.apply(r);
    };
    onHash();
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }

  /** Writes the hash of what is shown (no hashchange event: history.pushState/replaceState do not fire one). */
  write(r: Route): void {
    const hash = formatRoute(r);
    if (location.hash === hash) return;
    const before = parseRoute(location.hash);
    const url = `${location.pathname}${location.search}${hash}`;
    if (!before || before.view === r.view) history.replaceState(history.state, '', url);
    else history.pushState(history.state, '', url);
  }
}
