/**
 * Serve mode: HTTP for the built renderer plus a WebSocket that speaks the
 * contract, on 127.0.0.1 by default, guarded by a per-launch token.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { RequestMessage, type ResponseMessage } from '../contract/index.ts';
import type { BackendLink } from '../host/link.ts';
import { RENDERER_DIR, sendText, staticFiles } from './static.ts';
import { TOKEN_COOKIE, isAuthorized, newToken, requestUrl } from './token.ts';

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

/** Answers a request whose handler failed: 500 if nothing was sent yet, else the connection is cut. */
function fail(res: ServerResponse, req: IncomingMessage, err: unknown): void {
  process.stderr.write(`steerlab serve: ${req.method} ${JSON.stringify(req.url)}: ${(err as Error)?.message ?? err}\n`);
  if (res.headersSent) res.destroy();
  else sendText(res, 500, 'internal error');
}

/** Refuses an upgrade on the raw socket (the HTTP server has handed it over) and closes it once written. */
function refuseUpgrade(socket: Duplex, status: string): void {
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
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

/** The HTTP side: token check, then the renderer's static files (GET/HEAD only); a bad request gets a 4xx. */
function httpHandler(token: string, files: ReturnType<typeof staticFiles>) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    res.on('error', (err) => {
      process.stderr.write(`steerlab serve: ${req.method} ${JSON.stringify(req.url)}: ${err.message}\n`);
      res.destroy();
    });
    try {
      const url = requestUrl(req);
      if (!url) return sendText(res, 400, 'bad request: the request target is not a URL');
      if (!isAuthorized(req, token)) return sendText(res, 401, 'Steering Lab: missing or wrong token. Open the URL that `steerlab serve` printed.');
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'method not allowed');
      // HttpOnly: page scripts never see the token; the browser sends it with the WebSocket upgrade.
      res.setHeader('set-cookie', `${TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`);
      files(req, res, url);
    } catch (err) {
      fail(res, req, err);
    }
  };
}

/** One WebSocket: requests (validated; anything else dropped) go to the backend, answers come back with their id. */
function serveSocket(ws: WebSocket, backend: ServeOptions['backend'], sockets: Set<WebSocket>): void {
  sockets.add(ws);
  ws.on('error', () => {}); // ws has already closed the socket with the right code; nothing else to do
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
    void backend
      .request({ t: 'req', name, args })
      .catch((err: unknown): ResponseMessage => ({ t: 'res', id, ok: false, error: { code: 'internal', message: (err as Error).message } }))
      .then((res) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ ...res, id }));
      });
  });
}

/** Upgrades to WebSocket only with the token and from the page's own origin. */
function upgradeHandler(wss: WebSocketServer, token: string) {
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // The HTTP server no longer watches this socket: a reset by the client must not become an uncaught error.
    socket.on('error', () => socket.destroy());
    try {
      if (!requestUrl(req)) return refuseUpgrade(socket, '400 Bad Request');
      if (!isAuthorized(req, token) || !sameOrigin(req)) return refuseUpgrade(socket, '401 Unauthorized');
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    } catch (err) {
      process.stderr.write(`steerlab serve: upgrade ${JSON.stringify(req.url)}: ${(err as Error).message}\n`);
      socket.destroy();
    }
  };
}

export async function startServer(o: ServeOptions): Promise<RunningServer> {
  const host = o.host ?? '127.0.0.1';
  const token = o.token ?? newToken();
  const sockets = new Set<WebSocket>();
  const conns = new Set<Socket>();

  const http = createServer(httpHandler(token, staticFiles(o.rendererDir ?? RENDERER_DIR)));
  http.on('connection', (s) => {
    conns.add(s);
    s.on('close', () => conns.delete(s));
  });
  // maxPayload: a larger message closes that socket with 1009; protocol errors (an unmasked frame) close it with
  // 1002. ws reports both as 'error' on the socket, which must have a listener or the process ends.
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD });
  http.on('upgrade', upgradeHandler(wss, token));
  wss.on('connection', (ws: WebSocket) => serveSocket(ws, o.backend, sockets));
  // Events go to every connected window (one person's lab; several tabs see the same runs).
  const offEvents = o.backend.onEvent((ev) => {
    const text = JSON.stringify(ev);
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(o.port ?? 0, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  // After listening, an error (EMFILE on accept) concerns one connection: say so and keep serving.
  http.on('error', (err) => process.stderr.write(`steerlab serve: ${err.message}\n`));
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
