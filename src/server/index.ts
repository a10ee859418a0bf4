/**
 * Serve mode in one call: start the backend child, build the renderer if
 * it is missing, start HTTP + WebSocket. Used by `steerlab serve` and the
 * end-to-end tests.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.ts';
import { startBackendInProcess, startBackendProcess } from '../host/backend-process.ts';
import { startServer, type RunningServer } from './server.ts';
import { RENDERER_DIR, rendererBuilt } from './static.ts';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/**
 * Builds renderer/ with vite into dist/renderer. Build output goes to
 * stderr: stdout's first line is reserved for the URL.
 */
export async function buildRenderer(): Promise<void> {
  const require = createRequire(import.meta.url);
  let viteBin: string;
  try {
    viteBin = join(dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
  } catch {
    throw new UserError(`the renderer is not built and vite is not installed; run \`npm ci && npm run build:renderer\` in ${ROOT}`);
  }
  await new Promise<void>((res, rej) => {
    const child = spawn(process.execPath, [viteBin, 'build', '--config', join(ROOT, 'renderer', 'vite.config.ts'), '--logLevel', 'warn'], {
      cwd: ROOT,
      stdio: ['ignore', process.stderr, process.stderr],
    });
    child.on('error', rej);
    child.on('exit', (code) => (code === 0 ? res() : rej(new UserError(`building the renderer failed (vite exit ${code})`))));
  });
}

export interface ServeConfig {
  port?: number;
  host?: string;
  workspace: string;
  /** Run the backend in this process (tests of the transport only). */
  inProcess?: boolean;
  token?: string;
}

export interface Serving extends RunningServer {
  workspace: string;
}

export async function serve(o: ServeConfig): Promise<Serving> {
  const workspace = resolve(o.workspace);
  mkdirSync(workspace, { recursive: true });
  if (!rendererBuilt()) {
    process.stderr.write(`steerlab serve: building the renderer into ${RENDERER_DIR} (first start) ...\n`);
    await buildRenderer();
  }
  const backend = o.inProcess ? await startBackendInProcess({ workspace }) : startBackendProcess({ workspace });
  let server: RunningServer;
  try {
    server = await startServer({ port: o.port, host: o.host, token: o.token, backend });
  } catch (err) {
    await backend.close();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new UserError(`port ${o.port} is already in use; pick another with --port or use --port 0`);
    if (e.code === 'EADDRNOTAVAIL') throw new UserError(`cannot bind ${o.host}: not an address of this machine`);
    throw err;
  }
  return {
    ...server,
    workspace,
    async close() {
      await server.close();
      await backend.close();
    },
  };
}
