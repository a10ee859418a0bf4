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
