/**
 * Front side of the backend child: forks it, numbers requests, relays
 * events, and stops it (graceful shutdown, then SIGKILL after a grace period).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ServerMessage, type EventMessage, type ResponseMessage } from '../contract/index.ts';
import type { BackendLink } from './link.ts';

const CHILD = fileURLToPath(new URL('./backend-child.ts', import.meta.url));
const GRACE_MS = 5000;

export function startBackendProcess(o: { workspace: string; env?: NodeJS.ProcessEnv }): BackendLink {
  const tsx = import.meta.resolve('tsx');
  const child: ChildProcess = fork(CHILD, [o.workspace], {
    execArgv: ['--import', tsx],
    env: { ...process.env, ...o.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  let exited = false;
  const pending = new Map<number, (r: ResponseMessage) => void>();
  const listeners = new Set<(m: EventMessage) => void>();

  child.on('message', (raw: unknown) => {
    const m = ServerMessage.safeParse(raw);
    if (!m.success) return;
    if (m.data.t === 'res') {
      const cb = pending.get(m.data.id);
      pending.delete(m.data.id);
      cb?.(m.data);
    } else {
      for (const l of listeners) l(m.data);
    }
  });
  child.on('exit', (code, signal) => {
    exited = true;
    for (const [id, cb] of pending) cb({ t: 'res', id, ok: false, error: { code: 'internal', message: `the backend process ended (${signal ?? code})` } });
    pending.clear();
  });

  return {
    request(msg) {
      if (exited) return Promise.resolve({ t: 'res', id: 0, ok: false, error: { code: 'internal', message: 'the backend process has ended' } });
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        child.send({ ...msg, id });
      });
    },
    onEvent(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    async close() {
      if (exited) return;
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
  const pending = new Map<number, (r: ResponseMessage) => void>();
  const listeners = new Set<(m: EventMessage) => void>();
  let nextId = 1;
  const hosted = hostBackend(
    {
      post: (m) => {
        if (m.t === 'res') {
          pending.get(m.id)?.(m);
          pending.delete(m.id);
        } else for (const l of listeners) l(m);
      },
      onMessage: (cb) => void (deliver = cb),
    },
    o,
  );
  return {
    request(msg) {
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        deliver?.({ ...msg, id });
      });
    },
    onEvent(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    close: () => hosted.shutdown(),
  };
}
