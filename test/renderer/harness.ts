/** Shared by the renderer state tests: a client over an in-memory Router, and the state modules' paths. */
import { fileURLToPath } from 'node:url';
import { createClient, eventMessage, type Client, type Payload, type Router, type ServerMessage, type Transport } from '../../src/contract/index.ts';

/** Path of a renderer state module (for loadRunes). */
export const stateSrc = (p: string): string => fileURLToPath(new URL(`../../renderer/src/lib/state/${p}`, import.meta.url));

export type Push = <E extends Parameters<typeof eventMessage>[0]>(name: E, p: Payload<E>) => void;

/** A client over a Router in memory, with a hook to push events as the backend would. */
export function harness(router: Router): { client: Client; push: Push } {
  const subs = new Set<(m: ServerMessage) => void>();
  const transport: Transport = {
    ready: async () => {},
    send: (m) => void router.dispatch(m, { emit: () => {} }).then((r) => subs.forEach((s) => s(r))),
    onMessage: (cb) => (subs.add(cb), () => subs.delete(cb)),
  };
  return { client: createClient(transport), push: (name, p) => subs.forEach((s) => s(eventMessage(name, p))) };
}
