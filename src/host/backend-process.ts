/**
 * Front side of the backend child: forks it, numbers requests, relays
 * events, and stops it (graceful shutdown, then SIGKILL after a grace period).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ServerMessage } from '../contract/index.ts';
import { createLinkCore, type BackendLink } from './link.ts';

const CHILD = fileURLToPath(new URL('./backend-child.ts', import.meta.url));
const GRACE_MS = 5000;

export function startBackendProcess(o: { workspace: string; env?: NodeJS.ProcessEnv }): BackendLink {
  const tsx = import.meta.resolve('tsx');
  const child: ChildProcess = fork(CHILD, [o.workspace], {
    execArgv: ['--import', tsx],
    env: { ...process.env, ...o.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  // A send on a closed channel (the child is exiting) fails the requests; it must not become an uncaught 'error'.
  const link = createLinkCore((m) =>
    child.send(m, (err) => {
      if (err) link.end(`the backend process is gone (${err.message})`);
    }),
  );
  child.on('error', (err) => link.end(`the backend process failed: ${err.message}`));
  child.on('message', (raw: unknown) => {
    const m = ServerMessage.safeParse(raw);
    if (m.success) link.receive(m.data);
  });
  child.on('exit', (code, signal) => link.end(`the backend process ended (${signal ?? code})`));

  return {
    request: link.request,
    onEvent: link.onEvent,
    async close() {
      if (link.ended) return;
      const done = new Promise<void>((r) => child.once('exit', () => r()));
      try {
        child.send({ t: 'shutdown' });
      } catch {
        /* channel already closed */
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), GRACE_MS);
      await done;
      clearTimeout(timer);
    },
  };
}

/** The backend in this process (tests and tools that accept a busy event loop). */
export async function startBackendInProcess(o: { workspace: string }): Promise<BackendLink> {
  const { hostBackend } = await import('./backend-host.ts');
  let deliver: ((m: unknown) => void) | null = null;
  const link = createLinkCore((m) => deliver?.(m));
  const hosted = hostBackend({ post: (m) => link.receive(m), onMessage: (cb) => void (deliver = cb) }, o);
  return {
    request: link.request,
    onEvent: link.onEvent,
    close: () => hosted.shutdown(),
  };
}
