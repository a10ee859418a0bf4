/**
 * One engine initialisation per backend process. initEngine() (engine/) is
 * not re-entrant: two calls in flight at once (app.info on page load and a
 * study or experiment started right after) each activate a backend, and the
 * second switch leaves tfjs with half-registered kernels. Every handler that
 * touches tfjs awaits this one promise first; later initEngine() calls with
 * 'auto' then return the engine already chosen.
 */
import type { EngineInfo } from '../../engine/index.ts';

let ready: Promise<EngineInfo> | null = null;

export function engineReady(): Promise<EngineInfo> {
  if (!ready) {
    const p = import('../../engine/index.ts').then((m) => m.initEngine());
    // A failed start may succeed on a later try: do not keep the failure.
    p.catch(() => {
      if (ready === p) ready = null;
    });
    ready = p;
  }
  return ready;
}
