/**
 * `steerlab serve`: the app in a browser. Prints the URL (with the
 * per-launch token) as the first stdout line, then serves until Ctrl-C.
 */
import type { Command } from 'commander';
import { UserError } from '../../errors.ts';
import { DEFAULT_WORKSPACE, resolveWorkspace } from '../../lab/workspace.ts';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the app to a browser over HTTP + WebSocket (127.0.0.1, per-launch token)')
    .option('--port <n>', 'TCP port (0 = any free port)', '8765')
    .option('--host <addr>', 'address to bind; anything but loopback exposes the lab to the network', '127.0.0.1')
    .option('--workspace <dir>', `where runs, experiments and the frame cache are stored (default: STEERLAB_WORKSPACE, else ${DEFAULT_WORKSPACE} in this folder, as for compare and train)`)
    .option('--allow-remote', 'allow a non-loopback --host (the token still guards it)', false)
    .action(async (opts: { port: string; host: string; workspace?: string; allowRemote: boolean }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port ${opts.port} is not a port number (0-65535)`);
      // Security: a lab that trains on private drives stays on loopback unless asked twice.
      if (!LOOPBACK.has(opts.host) && !opts.allowRemote) {
        throw new UserError(`--host ${opts.host} would expose the lab to the network; use an SSH tunnel to 127.0.0.1, or add --allow-remote`);
      }
      const { serve } = await import('../../server/index.ts');
      const s = await serve({ port, host: opts.host === 'localhost' ? '127.0.0.1' : opts.host, workspace: resolveWorkspace(opts.workspace) });
      process.stdout.write(`${s.url}\n`);
      process.stderr.write(`steerlab serve: workspace ${s.workspace}; open the URL above (Ctrl-C stops)\n`);
      await new Promise<void>((resolve) => {
        let closing = false;
        const stop = (): void => {
          if (closing) return;
          closing = true;
          process.stderr.write('steerlab serve: stopping (cancelling running work) ...\n');
          void s.close().then(resolve, resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
