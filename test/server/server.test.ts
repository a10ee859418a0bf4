import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import WebSocket from 'ws';
import { startServer, type RunningServer } from '../../src/server/server.ts';
import { startBackendInProcess } from '../../src/host/backend-process.ts';
import type { BackendLink } from '../../src/host/link.ts';

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

function wsOpen(url: string, headers: Record<string, string> = {}): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(-1));
  });
}

describe('serve mode HTTP + WebSocket', () => {
  let dir: string;
  let backend: BackendLink;
  let s: RunningServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'steerlab-server-'));
    const www = join(dir, 'www');
    mkdirSync(join(www, 'assets'), { recursive: true });
    writeFileSync(join(www, 'index.html'), '<!doctype html><title>lab</title>');
    writeFileSync(join(www, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(dir, 'secret.txt'), 'do not serve');
    backend = await startBackendInProcess({ workspace: join(dir, 'ws') });
    s = await startServer({ port: 0, backend, rendererDir: www });
  });
  afterAll(async () => {
    await s?.close();
    await backend?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('binds 127.0.0.1 by default and prints a URL carrying the token', () => {
    const addr = s.http.address();
    expect(typeof addr === 'object' && addr?.address).toBe('127.0.0.1');
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    expect(s.token.length).toBeGreaterThanOrEqual(24);
  });

  it('answers 401 without the token or with a wrong one, 200 with it (query or cookie)', async () => {
    const base = `http://127.0.0.1:${s.port}`;
    expect((await get(`${base}/`)).status).toBe(401);
    expect((await get(`${base}/?token=wrong`)).status).toBe(401);
    expect((await get(`${base}/assets/app.js`)).status).toBe(401);
    const ok = await get(s.url);
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('<title>lab</title>');
    expect(String(ok.headers['content-security-policy'])).toContain("script-src 'self'");
    const cookie = String(ok.headers['set-cookie']).split(';')[0];
    expect(String(ok.headers['set-cookie'])).toContain('HttpOnly');
    const js = await get(`${base}/assets/app.js`, { cookie });
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toContain('javascript');
  });

  it('never serves files outside the renderer folder', async () => {
    const r = await get(`http://127.0.0.1:${s.port}/..%2Fsecret.txt?token=${encodeURIComponent(s.token)}`);
    expect(r.body).not.toContain('do not serve');
  });

  it('refuses the WebSocket without the token or from another origin, and speaks the contract with it', async () => {
    const wsUrl = `ws://127.0.0.1:${s.port}/ws`;
    expect(await wsOpen(wsUrl)).toBe(401);
    expect(await wsOpen(`${wsUrl}?token=nope`)).toBe(401);
    expect(await wsOpen(`${wsUrl}?token=${encodeURIComponent(s.token)}`, { origin: 'http://evil.example' })).toBe(401);
    const ws = await wsOpen(`${wsUrl}?token=${encodeURIComponent(s.token)}`);
    expect(ws).toBeInstanceOf(WebSocket);
    const sock = ws as WebSocket;
    const replies: unknown[] = [];
    const got = new Promise<void>((resolve) => sock.on('message', (d) => { replies.push(JSON.parse(String(d))); if (replies.length === 3) resolve(); }));
    sock.send(JSON.stringify({ t: 'req', id: 1, name: 'experiment.presets', args: {} }));
    sock.send(JSON.stringify({ t: 'req', id: 2, name: 'runs.list', args: {} }));
    sock.send('not json');
    sock.send(JSON.stringify({ t: 'req', id: 3, name: 'runs.get', args: { runId: '../../etc' } }));
    await got;
    sock.close();
    const byId = new Map((replies as { id: number }[]).map((r) => [r.id, r]));
    expect(byId.get(1)).toMatchObject({ ok: true, result: expect.arrayContaining([expect.objectContaining({ id: 'output-head' })]) });
    expect(byId.get(2)).toEqual({ t: 'res', id: 2, ok: true, result: [] });
    expect(byId.get(3)).toMatchObject({ ok: false, error: { code: 'invalid' } });
  });
});
