/**
 * setupBackend: the lab's backend in an Electron utility process (decoding
 * and training never run on the main thread). Implements the same
 * BackendLink as serve mode's child process.
 */
import { utilityProcess } from 'electron';
import { ServerMessage, type EventMessage, type ResponseMessage } from '../src/contract/index.ts';
import type { BackendLink } from '../src/server/link.ts';
import { trackWork, type Work } from './close-guard.ts';

const GRACE_MS = 5000;

export interface BackendDeps {
  /** Bundled backend entry (dist-electron/backend.mjs). */
  entry: string;
  workspace: string;
}

export function setupBackend(d: BackendDeps): BackendLink & { running(): Work[] } {
  const child = utilityProcess.fork(d.entry, [d.workspace], { serviceName: 'Steering Lab backend', stdio: 'inherit' });
  let nextId = 1;
  let exited = false;
  const pending = new Map<number, (r: ResponseMessage) => void>();
  const listeners = new Set<(m: EventMessage) => void>();
  // Experiments and studies in flight, for the close-during-training question.
  let active = new Map<string, Work>();
  child.on('message', (raw) => {
    const m = ServerMessage.safeParse(raw);
    if (!m.success) return;
    if (m.data.t === 'res') {
      pending.get(m.data.id)?.(m.data);
      pending.delete(m.data.id);
      return;
    }
    const ev = m.data;
    active = trackWork(active, ev.name, ev.payload);
    for (const l of listeners) l(ev);
  });
  child.on('exit', (code) => {
    exited = true;
    for (const [id, cb] of pending) cb({ t: 'res', id, ok: false, error: { code: 'internal', message: `the backend process ended (${code})` } });
    pending.clear();
  });
  return {
    running: () => [...active.values()],
    request(msg) {
      if (exited) return Promise.resolve({ t: 'res', id: 0, ok: false, error: { code: 'internal', message: 'the backend process has ended' } });
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        child.postMessage({ ...msg, id });
      });
    },
    onEvent(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    async close() {
      if (exited) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.postMessage({ t: 'shutdown' });
      const t = setTimeout(() => child.kill(), GRACE_MS);
      await gone;
      clearTimeout(t);
    },
  };
}
