/**
 * The renderer's transport: Electron's preload API when present
 * (window.steerlab), else a WebSocket back to the serve-mode origin. The
 * rest of the app sees only the typed contract client.
 */
import { createClient, type Client, type RequestMessage, type ServerMessage, type Transport } from '../../../src/contract/index.ts';
import type { PreloadApi } from '../../../src/contract/preload-api.ts';

declare global {
  interface Window {
    steerlab?: PreloadApi;
  }
}

function ipcTransport(api: PreloadApi): Transport {
  const subs = new Set<(m: ServerMessage) => void>();
  const deliver = (m: ServerMessage): void => subs.forEach((s) => s(m));
  api.onEvent((name, payload) => deliver({ t: 'event', name, payload }));
  return {
    ready: () => Promise.resolve(),
    send(msg: RequestMessage) {
      const fn = api.requests[msg.name as keyof PreloadApi['requests']] as ((a: unknown) => Promise<unknown>) | undefined;
      if (!fn) return deliver({ t: 'res', id: msg.id, ok: false, error: { code: 'unknown-request', message: msg.name } });
      // The preload returns the wire response envelope; the client validates it.
      void fn(msg.args).then((res) => deliver({ ...(res as object), id: msg.id } as ServerMessage));
    },
    onMessage(cb) {
      subs.add(cb);
      return () => subs.delete(cb);
    },
  };
}

/** WebSocket to /ws on this origin; the HttpOnly token cookie set by the page load authorises it. Reconnects. */
function wsTransport(onStatus: (s: 'connecting' | 'open' | 'closed') => void): Transport {
  const subs = new Set<(m: ServerMessage) => void>();
  const drops = new Set<() => void>();
  let ws: WebSocket | null = null;
  let opened: Promise<void> = Promise.resolve();
  let closed = false;
  const connect = (): void => {
    onStatus('connecting');
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    const sock = new WebSocket(url);
    ws = sock;
    opened = new Promise((resolve) => sock.addEventListener('open', () => resolve(), { once: true }));
    sock.addEventListener('open', () => onStatus('open'));
    sock.addEventListener('message', (e) => {
      let m: unknown;
      try {
        m = JSON.parse(String(e.data));
      } catch {
        return;
      }
      subs.forEach((s) => s(m as ServerMessage));
    });
    sock.addEventListener('close', () => {
      onStatus('closed');
      drops.forEach((d) => d());
      if (!closed) setTimeout(connect, 1500);
    });
  };
  connect();
  return {
    ready: () => opened,
    send: (msg) => ws?.send(JSON.stringify(msg)),
    onMessage(cb) {
      subs.add(cb);
      return () => subs.delete(cb);
    },
    onDisconnect: (cb) => void drops.add(cb),
    close() {
      closed = true;
      ws?.close();
    },
  };
}

export function connect(onStatus: (s: 'connecting' | 'open' | 'closed') => void): { client: Client; kind: 'ipc' | 'websocket'; host: PreloadApi['host'] | null } {
  if (window.steerlab) {
    onStatus('open');
    return { client: createClient(ipcTransport(window.steerlab)), kind: 'ipc', host: window.steerlab.host };
  }
  return { client: createClient(wsTransport(onStatus)), kind: 'websocket', host: null };
}
