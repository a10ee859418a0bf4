/**
 * Typed request routing and a typed client over any transport. The wire
 * format is the same for WebSocket, Electron IPC and the backend child
 * process: JSON-safe objects, validated with zod on both sides.
 */
import { z } from 'zod';
import { CancelledError, UserError } from '../errors.ts';
import {
  events, requests, isEventName, isRequestName,
  type Args, type ArgsIn, type EventName, type Payload, type RequestName, type Result,
} from './api.ts';

export const ErrorCode = z.enum(['user', 'invalid', 'cancelled', 'internal', 'unknown-request']);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** Client -> server. Args stay `unknown` here; they are validated against the request's own schema. */
export const RequestMessage = z.object({ t: z.literal('req'), id: z.number().int().nonnegative(), name: z.string(), args: z.unknown() });
export const ResponseMessage = z.discriminatedUnion('ok', [
  z.object({ t: z.literal('res'), id: z.number().int(), ok: z.literal(true), result: z.unknown() }),
  z.object({ t: z.literal('res'), id: z.number().int(), ok: z.literal(false), error: z.object({ code: ErrorCode, message: z.string() }) }),
]);
export const EventMessage = z.object({ t: z.literal('event'), name: z.string(), payload: z.unknown() });
export const ServerMessage = z.union([ResponseMessage, EventMessage]);
export type RequestMessage = z.infer<typeof RequestMessage>;
export type ResponseMessage = z.infer<typeof ResponseMessage>;
export type EventMessage = z.infer<typeof EventMessage>;
export type ServerMessage = z.infer<typeof ServerMessage>;

/** A failure with a code the client can act on and a one-line message for people. */
export class ContractError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
    this.name = 'ContractError';
  }
}

/** One-line summary of a zod failure, naming the field. */
export function describeZodError(err: z.ZodError): string {
  return err.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

export interface HandlerContext {
  /** Pushes an event to the caller's window/socket (validated before it leaves). */
  emit<E extends EventName>(name: E, payload: Payload<E>): void;
}

export type Handler<K extends RequestName> = (args: Args<K>, ctx: HandlerContext) => Promise<Result<K>>;
export type Handlers = { [K in RequestName]: Handler<K> };

/**
 * Registry of handlers. `handle(name, fn)` registers one; `dispatch` validates
 * the raw args, runs the handler, and validates its result, so nothing
 * unchecked crosses the boundary in either direction.
 */
export class Router {
  #handlers = new Map<RequestName, (args: unknown, ctx: HandlerContext) => Promise<unknown>>();

  handle<K extends RequestName>(name: K, fn: Handler<K>): this {
    this.#handlers.set(name, fn as (args: unknown, ctx: HandlerContext) => Promise<unknown>);
    return this;
  }

  handleAll(handlers: Handlers): this {
    for (const name of Object.keys(handlers) as RequestName[]) this.#handlers.set(name, handlers[name] as (args: unknown, ctx: HandlerContext) => Promise<unknown>);
    return this;
  }

  /** Names with no handler (a complete app has none). */
  missing(): RequestName[] {
    return (Object.keys(requests) as RequestName[]).filter((n) => !this.#handlers.has(n));
  }

  async dispatch(msg: RequestMessage, ctx: HandlerContext): Promise<ResponseMessage> {
    try {
      const result = await this.call(msg.name, msg.args, ctx);
      return { t: 'res', id: msg.id, ok: true, result };
    } catch (err) {
      return { t: 'res', id: msg.id, ok: false, error: toWireError(err) };
    }
  }

  /** Validates args, runs the handler, validates the result. Throws ContractError on bad input. */
  async call(name: string, rawArgs: unknown, ctx: HandlerContext): Promise<unknown> {
    if (!isRequestName(name)) throw new ContractError('unknown-request', `unknown request '${name}'`);
    const fn = this.#handlers.get(name);
    if (!fn) throw new ContractError('unknown-request', `no handler for '${name}'`);
    const parsed = requests[name].args.safeParse(rawArgs ?? {});
    if (!parsed.success) throw new ContractError('invalid', `bad arguments for ${name}: ${describeZodError(parsed.error)}`);
    const out = await fn(parsed.data, ctx);
    const checked = requests[name].result.safeParse(out);
    if (!checked.success) throw new ContractError('internal', `${name} produced an invalid result: ${describeZodError(checked.error)}`);
    return checked.data;
  }
}

/**
 * Maps any thrown value to the wire error by its class: ContractError keeps
 * its code, UserError is 'user' (a message for people), CancelledError and
 * an aborted signal's AbortError are 'cancelled', anything else 'internal'.
 */
export function toWireError(err: unknown): { code: ErrorCode; message: string } {
  if (err instanceof ContractError) return { code: err.code, message: err.message };
  if (err instanceof UserError) return { code: 'user', message: err.message };
  // AbortSignal.throwIfAborted() throws a DOMException whose name is its standard code.
  if (err instanceof CancelledError || (err instanceof DOMException && err.name === 'AbortError')) return { code: 'cancelled', message: err.message || 'cancelled' };
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}

/** Validates an outgoing event payload and wraps it for the wire. */
export function eventMessage<E extends EventName>(name: E, payload: Payload<E>): EventMessage {
  const parsed = events[name].safeParse(payload);
  if (!parsed.success) throw new ContractError('internal', `event ${name} has an invalid payload: ${describeZodError(parsed.error)}`);
  return { t: 'event', name, payload: parsed.data };
}

/** A transport moves wire messages; the client does not know which one it has. */
export interface Transport {
  send(msg: RequestMessage): void;
  onMessage(cb: (msg: ServerMessage) => void): () => void;
  /** Resolves once the transport can send. */
  ready(): Promise<void>;
  /** Called when the connection drops: requests in flight will never be answered. */
  onDisconnect?(cb: () => void): void;
  close?(): void;
}

export type EventListener<E extends EventName> = (payload: Payload<E>) => void;

export interface Client {
  request<K extends RequestName>(name: K, args: ArgsIn<K>): Promise<Result<K>>;
  on<E extends EventName>(name: E, cb: EventListener<E>): () => void;
  close(): void;
}

/** A typed client: requests return validated results, events arrive validated. */
export function createClient(transport: Transport): Client {
  let nextId = 1;
  const pending = new Map<number, { name: RequestName; resolve(v: unknown): void; reject(e: Error): void }>();
  const listeners = new Map<EventName, Set<(p: unknown) => void>>();
  const off = transport.onMessage((raw) => {
    const msg = ServerMessage.safeParse(raw);
    if (!msg.success) return; // a malformed frame is dropped, never trusted
    const m = msg.data;
    if (m.t === 'res') {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (!m.ok) return p.reject(new ContractError(m.error.code, m.error.message));
      const r = requests[p.name].result.safeParse(m.result);
      if (r.success) p.resolve(r.data);
      else p.reject(new ContractError('internal', `invalid ${p.name} result: ${describeZodError(r.error)}`));
    } else {
      if (!isEventName(m.name)) return;
      const r = events[m.name].safeParse(m.payload);
      if (!r.success) return;
      for (const cb of listeners.get(m.name) ?? []) cb(r.data);
    }
  });
  transport.onDisconnect?.(() => {
    for (const p of pending.values()) p.reject(new ContractError('internal', 'the connection to the lab dropped; reconnecting, try again'));
    pending.clear();
  });
  return {
    async request(name, args) {
      const parsed = requests[name].args.safeParse(args);
      if (!parsed.success) throw new ContractError('invalid', `bad arguments for ${name}: ${describeZodError(parsed.error)}`);
      await transport.ready();
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { name, resolve: resolve as (v: unknown) => void, reject });
        transport.send({ t: 'req', id, name, args: parsed.data });
      });
    },
    on(name, cb) {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      const f = cb as (p: unknown) => void;
      set.add(f);
      return () => set.delete(f);
    },
    close() {
      off();
      for (const p of pending.values()) p.reject(new ContractError('cancelled', 'connection closed'));
      pending.clear();
      transport.close?.();
    },
  };
}
