/**
 * The link between the front (WebSocket server or Electron main) and the
 * backend that does the heavy work. Both sides speak contract wire
 * messages; the backend normally lives in a child process so decoding and
 * training never block the process that talks to the UI.
 */
import type { EventMessage, RequestMessage, ResponseMessage } from '../contract/index.ts';

/** Front-side view of a backend. */
export interface BackendLink {
  /** Sends one request; resolves with its response (ids are rewritten by the link, never trusted from clients). */
  request(msg: Omit<RequestMessage, 'id'>): Promise<ResponseMessage>;
  onEvent(cb: (msg: EventMessage) => void): () => void;
  /** Stops the backend: running experiments are cancelled first, then the process ends. */
  close(): Promise<void>;
}

/** Backend-side message port (process.send in a Node child, parentPort in an Electron utility process). */
export interface BackendPort {
  post(msg: ResponseMessage | EventMessage): void;
  onMessage(cb: (msg: unknown) => void): void;
}

/**
 * The bookkeeping every front-side link shares, whatever carries the
 * messages (a Node child's IPC, an Electron utility process, a call in this
 * process): request ids, the pending requests, event listeners, and failing
 * every pending and later request once the backend is gone.
 */
export interface LinkCore {
  /** Routes one validated message from the backend to its request or to the event listeners. */
  receive(m: ResponseMessage | EventMessage): void;
  request(msg: Omit<RequestMessage, 'id'>): Promise<ResponseMessage>;
  onEvent(cb: (msg: EventMessage) => void): () => void;
  /** The backend is gone: pending requests fail with this message, later ones at once. */
  end(message: string): void;
  readonly ended: boolean;
}

export function createLinkCore(send: (msg: RequestMessage) => void): LinkCore {
  let nextId = 1;
  let ended = false;
  const pending = new Map<number, (r: ResponseMessage) => void>();
  const listeners = new Set<(m: EventMessage) => void>();
  const failure = (id: number, message: string): ResponseMessage => ({ t: 'res', id, ok: false, error: { code: 'internal', message } });
  return {
    receive(m) {
      if (m.t === 'res') {
        const cb = pending.get(m.id);
        pending.delete(m.id);
        cb?.(m);
      } else {
        for (const l of listeners) l(m);
      }
    },
    request(msg) {
      if (ended) return Promise.resolve(failure(0, 'the backend process has ended'));
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        send({ ...msg, id } as RequestMessage);
      });
    },
    onEvent(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    end(message) {
      ended = true;
      for (const [id, cb] of pending) cb(failure(id, message));
      pending.clear();
    },
    get ended() {
      return ended;
    },
  };
}
