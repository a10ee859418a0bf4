/**
 * Runs the contract handlers behind a message port: validates every
 * incoming request, answers with its validated result, and forwards push
 * events. Used by the Node child (serve mode), the Electron utility process
 * and, in tests, in process.
 */
import { z } from 'zod';
import { RequestMessage, Router, eventMessage, type HandlerContext } from '../contract/index.ts';
import type { BackendPort } from './link.ts';
import { createHandlers, type BackendOptions } from './backend/handlers.ts';

/** Control messages from the front that are not contract requests. */
export const ControlMessage = z.object({ t: z.literal('shutdown') });

export interface HostedBackend {
  router: Router;
  /** Cancels running work and releases caches. */
  shutdown(): Promise<void>;
}

export function hostBackend(port: BackendPort, opts: Omit<BackendOptions, 'emit'>): HostedBackend {
  const ctx: HandlerContext = {
    emit(name, payload) {
      try {
        port.post(eventMessage(name, payload));
      } catch (err) {
        // An event that fails its own schema is a bug; log it rather than send it unchecked.
        process.stderr.write(`steerlab backend: dropped event ${name}: ${(err as Error).message}\n`);
      }
    },
  };
  const backend = createHandlers({ ...opts, emit: ctx.emit });
  const router = new Router().handleAll(backend.handlers);
  port.onMessage((raw) => {
    const req = RequestMessage.safeParse(raw);
    if (!req.success) return; // anything else on this port is dropped
    void router.dispatch(req.data, ctx).then((res) => port.post(res));
  });
  return { router, shutdown: backend.shutdown };
}
