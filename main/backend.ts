/**
 * setupBackend: the lab's backend in an Electron utility process (decoding
 * and training never run on the main thread). Implements the same
 * BackendLink as serve mode's child process.
 */
import { utilityProcess } from 'electron';
import { ServerMessage } from '../src/contract/index.ts';
import { createLinkCore, type BackendLink } from '../src/host/link.ts';
import { trackWork, type Work } from './close-guard.ts';

const GRACE_MS = 5000;

export interface BackendDeps {
  /** Bundled backend entry (dist-electron/backend.mjs). */
  entry: string;
  workspace: string;
}

export function setupBackend(d: BackendDeps): BackendLink & { running(): Work[] } {
  const child = utilityProcess.fork(d.entry, [d.workspace], { serviceName: 'Steering Lab backend', stdio: 'inherit' });
  const link = createLinkCore((m) => child.postMessage(m));
  // Experiments and studies in flight, for the close-during-training question.
  let active = new Map<string, Work>();
  child.on('message', (raw) => {
    const m = ServerMessage.safeParse(raw);
    if (!m.success) return;
    if (m.data.t === 'event') active = trackWork(active, m.data.name, m.data.payload);
    link.receive(m.data);
  });
  child.on('exit', (code) => link.end(`the backend process ended (${code})`));
  return {
    running: () => [...active.values()],
    request: link.request,
    onEvent: link.onEvent,
    async close() {
      if (link.ended) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.postMessage({ t: 'shutdown' });
      const t = setTimeout(() => child.kill(), GRACE_MS);
      await gone;
      clearTimeout(t);
    },
  };
}
