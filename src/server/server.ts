/**
 * Serve mode: HTTP for the built renderer plus a WebSocket that speaks the
 * contract, on 127.0.0.1 by default, guarded by a per-launch token.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { RequestMessage, type ResponseMessage } from '../contract/index.ts';
import type { BackendLink } from './link.ts';
import { CSP, RENDERER_DIR, readStatic } from './static.ts';
import { TOKEN_COOKIE, isAuthorized, newToken } from './token.ts';

export interface ServeOptions {
  port?: number;
  host?: string;
  /** Defaults to a fresh random token. */
  token?: string;
  rendererDir?: string;
  backend: BackendLink;
}

export interface RunningServer {
  url: string;
  token: string;
  host: string;
  port: number;
  http: Server;
  close(): Promise<void>;
}

/** Largest WebSocket message accepted from the browser (requests are small JSON). */
const MAX_PAYLOAD = 1 << 20;

function deny(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text + '\n');
}

/** Same-origin check for the upgrade: a page on another origin must not open our socket even with a cookie. */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin) return true; // non-browser clients (tests, tools) still need the token
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export async function startServer(o: ServeOptions): Promise<RunningServer> {
  const host = o.host ?? '127.0.0.1';
  const token = o.token ?? newToken();
  const root = o.rendererDir ?? RENDERER_DIR;
  const sockets = new Set<WebSocket>();
  const conns = new Set<Socket>();

  const http = createServer((req, res) => {
    if (!isAuthorized(req, token)) return deny(res, 401, 'Steering Lab: missing or wrong token. Open the URL that `steerlab serve` printed.');
    if (req.method !== 'GET' && req.method !== 'HEAD') return deny(res, 405, 'method not allowed');
    const url = new URL(req.url ?? '/', 'http://localhost');
    const file = readStatic(root, url.pathname);
    if (!file) return deny(res, 503, `the renderer is not built (${root}); run \`npm run build:renderer\``);
    res.writeHead(200, {
      'content-type': file.type,
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
      // HttpOnly: page scripts never see the token; the browser sends it with the WebSocket upgrade.
      'set-cookie': `${TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`,
    });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  });
  http.on('connection', (s) => {
    conns.add(s);
    s.on('close', () => conns.delete(s));
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD });
  http.on('upgrade', (req, socket, head) => {
    if (!isAuthorized(req, token) || !sameOrigin(req)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  wss.on('connection', (ws: WebSocket) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('message', (data) => {
      let raw: unknown;
      try {
        raw = JSON.parse(data.toString());
      } catch {
        return; // not JSON: dropped
      }
      const msg = RequestMessage.safeParse(raw);
      if (!msg.success) return;
      const { id, name, args } = msg.data;
      void o.backend.request({ t: 'req', name, args }).then((res: ResponseMessage) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ ...res, id }));
      });
    });
  });
  // Events go to every connected window (one person's lab; several tabs see the same runs).
  const offEvents = o.backend.onEvent((ev) => {
    const text = JSON.stringify(ev);
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(o.port ?? 0, host, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/?token=${encodeURIComponent(token)}`,
    token,
    host,
    port,
    http,
    async close() {
      offEvents();
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((r) => {
        http.close(() => r());
        for (const s of conns) s.destroy();
      });
    },
  };
}
