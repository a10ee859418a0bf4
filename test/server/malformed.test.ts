import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type Server } from 'node:net';
import WebSocket from 'ws';
import { startServer, type RunningServer } from '../../src/server/server.ts';
import { startBackendInProcess } from '../../src/host/backend-process.ts';
import type { BackendLink } from '../../src/host/link.ts';

/** True once `got` holds one whole HTTP response (head and Content-Length bytes of body). */
function oneResponse(got: Buffer): boolean {
  const at = got.indexOf('\r\n\r\n');
  if (at < 0) return false;
  const len = /\r\ncontent-length: *(\d+)/i.exec(got.subarray(0, at).toString('latin1'));
  return got.length >= at + 4 + Number(len?.[1] ?? 0);
}

/** Writes raw bytes to the port and collects what comes back until `until` holds or the server closes. */
function exchange(port: number, bytes: string | Buffer, until: (got: Buffer) => boolean = oneResponse): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = connect(port, '127.0.0.1', () => sock.write(bytes));
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1'))}`));
    }, 5000);
    const finish = () => {
      clearTimeout(timer);
      sock.destroy();
      resolve(Buffer.concat(chunks));
    };
    sock.on('data', (c) => {
      chunks.push(c);
      if (until(Buffer.concat(chunks))) finish();
    });
    sock.on('close', finish);
    sock.on('error', () => {}); // a reset after the answer is fine; 'close' follows
  });
}

function statusOf(reply: Buffer): number {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(reply.toString('latin1'));
  return m ? Number(m[1]) : 0;
}

/** Body and head of one raw HTTP response. */
function split(reply: Buffer): { head: string; body: Buffer } {
  const at = reply.indexOf('\r\n\r\n');
  return { head: reply.subarray(0, at).toString('latin1'), body: reply.subarray(at + 4) };
}

describe('serve mode survives malformed requests and frames', () => {
  let dir: string;
  let backend: BackendLink;
  let s: RunningServer;
  let q: string;
  let unix: Server;

  const handshake = (path: string, extra = '') =>
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;
  const get = (path: string, headers = '') => exchange(s.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${headers}\r\n`);

  /** The server still serves the page and answers a contract request on a new socket. */
  async function alive(): Promise<void> {
    expect(statusOf(await get(`/${q}`))).toBe(200);
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/ws${q}`);
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
    const reply = new Promise<{ id: number; ok: boolean }>((r) => ws.once('message', (d) => r(JSON.parse(String(d)))));
    ws.send(JSON.stringify({ t: 'req', id: 7, name: 'runs.list', args: {} }));
    expect(await reply).toMatchObject({ id: 7, ok: true });
    ws.close();
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'steerlab-malformed-'));
    const www = join(dir, 'www');
    mkdirSync(join(www, 'assets'), { recursive: true });
    writeFileSync(join(www, 'index.html'), '<!doctype html><title>lab</title>');
    writeFileSync(join(www, 'assets', 'app.js'), '0123456789');
    writeFileSync(join(dir, 'secret.txt'), 'do not serve');
    // A file the server sees but cannot open (ENXIO): a Unix socket in the renderer folder.
    unix = createServer();
    await new Promise<void>((r) => unix.listen(join(www, 'assets', 'live.sock'), r));
    backend = await startBackendInProcess({ workspace: join(dir, 'ws') });
    s = await startServer({ port: 0, backend, rendererDir: www });
    q = `?token=${encodeURIComponent(s.token)}`;
  });
  afterAll(async () => {
    await s?.close();
    await backend?.close();
    unix?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 400 to a request target that is not a URL, without the token, on HTTP and on the upgrade', async () => {
    expect(statusOf(await exchange(s.port, 'GET http://[/ HTTP/1.1\r\nHost: x\r\n\r\n'))).toBe(400);
    expect(statusOf(await exchange(s.port, handshake('http://[/')))).toBe(400);
    expect(statusOf(await exchange(s.port, handshake(`http://[/${q}`)))).toBe(400);
    await alive();
  });

  it('answers 401 to a malformed token cookie, on HTTP and on the upgrade', async () => {
    expect(statusOf(await get('/', 'Cookie: steerlab_token=%E0%A4%A\r\n'))).toBe(401);
    expect(statusOf(await exchange(s.port, handshake('/ws', 'Cookie: steerlab_token=%\r\n')))).toBe(401);
    await alive();
  });

  it('answers 400 to malformed percent-encoding and to paths that leave the renderer folder, with the token', async () => {
    for (const path of ['/%', '/%zz', '/%E0%A4%A', '/assets/%', '/..%2Fsecret.txt', '/assets/..%2F..%2Fsecret.txt', '/%00']) {
      const r = await get(path + q);
      expect(statusOf(r), path).toBe(400);
      expect(split(r).head).toMatch(/content-security-policy: default-src 'self'/i);
      expect(split(r).body.toString()).not.toContain('do not serve');
    }
    // dot segments are resolved before the lookup: still inside the folder, and not there
    const dots = await get(`/%2e%2e/%2e%2e/secret.txt${q}`);
    expect(statusOf(dots)).toBe(404);
    expect(split(dots).body.toString()).not.toContain('do not serve');
    await alive();
  });

  it('serves the page with its headers, 404 for a missing asset, and survives odd Range headers', async () => {
    const page = await get(`/runs/3${q}`); // one-page app: a route gets index.html
    expect(statusOf(page)).toBe(200);
    expect(split(page).head).toMatch(/content-security-policy: default-src 'self'; script-src 'self'/i);
    expect(split(page).head).toMatch(/x-content-type-options: nosniff/i);
    expect(split(page).head).toMatch(/set-cookie: steerlab_token=.*HttpOnly; SameSite=Strict/i);
    expect(split(page).body.toString()).toContain('<title>lab</title>');
    expect(statusOf(await get(`/assets/missing.js${q}`))).toBe(404);
    const part = await get(`/assets/app.js${q}`, 'Range: bytes=2-5\r\n');
    expect(statusOf(part)).toBe(206);
    expect(split(part).body.toString()).toBe('2345');
    for (const range of ['bytes=5-2', 'bytes=0-99999999999999999999', 'bytes=-3', 'bytes=0-1,4-5', 'items=1-2']) {
      const r = await get(`/assets/app.js${q}`, `Range: ${range}\r\n`);
      expect(statusOf(r), range).toBe(200);
      expect(split(r).body.toString(), range).toBe('0123456789');
    }
    expect(statusOf(await get(`/assets/app.js${q}`, 'Range: bytes=50-\r\n'))).toBe(416);
    expect(statusOf(await exchange(s.port, `POST /${q} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`))).toBe(405);
    await alive();
  });

  it('cuts the response to a file that cannot be read, and keeps serving', async () => {
    const r = await exchange(s.port, `GET /assets/live.sock${q} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(split(r).body.length).toBe(0);
    await alive();
  });

  it('closes a WebSocket that sends a message over 1 MiB with 1009, and keeps serving', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/ws${q}`);
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.on('error', () => {});
    ws.send(Buffer.alloc((1 << 20) + 1, 0x20));
    expect(await closed).toBe(1009);
    await alive();
  });

  it('closes a WebSocket that sends an unmasked frame with 1002 (raw TCP), and keeps serving', async () => {
    const unmasked = Buffer.from([0x81, 0x02, 0x68, 0x69]); // FIN + text, no MASK bit, "hi"
    const closeFrameIn = (got: Buffer) => {
      const at = got.indexOf('\r\n\r\n');
      return at >= 0 && got.length >= at + 4 + 4;
    };
    const reply = await exchange(s.port, Buffer.concat([Buffer.from(handshake(`/ws${q}`)), unmasked]), closeFrameIn);
    expect(statusOf(reply)).toBe(101);
    const frame = split(reply).body;
    expect(frame[0]).toBe(0x88); // FIN + close
    expect(frame.readUInt16BE(2)).toBe(1002);
    await alive();
  });

  it('answers 400 to a broken upgrade with the token, and survives a client that resets mid-upgrade', async () => {
    const noKey = `GET /ws${q} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    expect(statusOf(await exchange(s.port, noKey))).toBe(400);
    await new Promise<void>((resolve) => {
      const sock = connect(s.port, '127.0.0.1', () => {
        sock.write(handshake('/ws'));
        sock.resetAndDestroy();
      });
      sock.on('error', () => {});
      sock.on('close', () => resolve());
    });
    await alive();
  });
});
