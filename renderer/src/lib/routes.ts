/**
 * Hash routes: which view (and which experiment, run or study) a URL opens,
 * so a reload or a shared link shows the same page. Pure: the Router state
 * class reads and writes location.hash with these.
 *
 *   #/data  #/experiment  #/live  #/compare[/<experimentId>]  #/run/<runId>  #/study[/<studyRunId>]
 */
import type { View } from './state/app.svelte.ts';

export type Route =
  | { view: 'dataset' | 'experiment' | 'live' }
  | { view: 'compare'; experimentId: string | null }
  | { view: 'run'; runId: string }
  | { view: 'study'; studyRunId: string | null };

/** The path segment of each view (the data set view reads better as "data"). */
const SEGMENT: Record<View, string> = { dataset: 'data', experiment: 'experiment', live: 'live', compare: 'compare', run: 'run', study: 'study' };

/** Ids as the contract accepts them (letters, digits, dot, dash, underscore): anything else in a URL is ignored. */
const ID = /^[A-Za-z0-9._-]{1,200}$/;

function id(s: string | undefined): string | null {
  if (s === undefined) return null;
  let d: string;
  try {
    d = decodeURIComponent(s);
  } catch {
    return null;
  }
  return ID.test(d) ? d : null;
}

/** The route of a location hash; null when it names no view (an empty or unknown hash keeps the default view). */
export function parseRoute(hash: string): Route | null {
  const parts = hash.replace(/^#\/?/, '').split('/').filter((p) => p !== '');
  const [head, arg] = parts;
  switch (head) {
    case 'data': return { view: 'dataset' };
    case 'experiment': return { view: 'experiment' };
    case 'live': return { view: 'live' };
    case 'compare': return { view: 'compare', experimentId: id(arg) };
    case 'run': {
      const runId = id(arg);
      return runId ? { view: 'run', runId } : null;
    }
    case 'study': return { view: 'study', studyRunId: id(arg) };
    default: return null;
  }
}

/** The hash of a route, e.g. "#/compare/exp-1". */
export function formatRoute(r: Route): string {
  const base = `#/${SEGMENT[r.view]}`;
  if (r.view === 'compare' && r.experimentId) return `${base}/${encodeURIComponent(r.experimentId)}`;
  if (r.view === 'run') return `${base}/${encodeURIComponent(r.runId)}`;
  if (r.view === 'study' && r.studyRunId) return `${base}/${encodeURIComponent(r.studyRunId)}`;
  return base;
}
