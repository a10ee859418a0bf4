/**
 * A throwaway redis-server on a free loopback port for the queue tests, with
 * append-only persistence in a temp folder (so a restart keeps the queue).
 * Skipped when redis-server is missing, unless STEERLAB_REQUIRE_REDIS=1 (CI).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const redisAvailable = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
if (!redisAvailable && process.env.STEERLAB_REQUIRE_REDIS === '1') throw new Error('redis-server is required (STEERLAB_REQUIRE_REDIS=1): apt-get install redis-server');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const c = connect(port, '127.0.0.1', () => { c.end(); r(true); });
      c.once('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`redis-server did not open port ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface TestRedis {
  port: number;
  url: string;
  dir: string;
  /** Stops the server (SIGTERM, so the append-only file is flushed). */
  stop(): Promise<void>;
  /** Starts it again on the same port and folder. */
  start(): Promise<void>;
}

export async function startRedis(password?: string): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'steerlab-redis-'));
  let child: ChildProcess | null = null;
  const r: TestRedis = {
    port, dir,
    url: password ? `redis://:${password}@127.0.0.1:${port}` : `redis://127.0.0.1:${port}`,
    async start() {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''];
      if (password) args.push('--requirepass', password);
      child = spawn('redis-server', args, { stdio: 'ignore' });
      await waitForPort(port);
    },
    async stop() {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null) return;
      await new Promise<void>((res) => { c.once('exit', () => res()); c.kill('SIGTERM'); });
    },
  };
  await r.start();
  return r;
}
