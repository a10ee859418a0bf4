/**
 * `steerlab worker --queue redis://HOST:PORT`: trains cells that `compare
 * --queue` (or the app) put on the queue, with the same code as a local run.
 * It only connects out to Redis; nothing listens. Ctrl-C stops taking cells
 * and hands running ones back to the queue (another worker resumes them from
 * their last checkpoint when the workspace is shared).
 */
import type { Command } from 'commander';
import { DEFAULT_WORKSPACE, resolveWorkspace } from '../../lab/workspace.ts';
import { parseEngine, parseIntOpt } from './_flags.ts';

export function register(program: Command): void {
  program
    .command('worker')
    .description('train queued experiment cells from a Redis queue (BullMQ); see compare --queue')
    .requiredOption('--queue <url>', 'redis://[user:password@]HOST:PORT[/db], or rediss:// for TLS')
    .option('--workspace <dir>', `this machine's workspace: frame cache, and runs when the coordinator's workspace is not visible here (default: STEERLAB_WORKSPACE, else ${DEFAULT_WORKSPACE})`)
    .option('--engine <name>', 'engine for cells whose config says auto')
    .option('--concurrency <n>', 'cells trained at once on this machine (one cell already uses every core)', '1')
    .option('--stall-timeout-s <s>', 'seconds after which a silent worker\'s cell goes to another worker', '30')
    .action(async (o: { queue: string; workspace?: string; engine?: string; concurrency: string; stallTimeoutS: string }) => {
      const { startQueueWorker } = await import('../../lab/queue/worker.ts');
      const { redactUrl } = await import('../../lab/queue/connection.ts');
      const log = (line: string): void => void process.stderr.write(`steerlab worker: ${line}\n`);
      const w = await startQueueWorker({
        url: o.queue, workspace: resolveWorkspace(o.workspace), engine: parseEngine(o.engine),
        concurrency: parseIntOpt(o.concurrency, 'concurrency', 1), stallTimeoutS: parseIntOpt(o.stallTimeoutS, 'stall-timeout-s', 1), log,
      });
      log(`${w.name} waiting for cells on ${redactUrl(o.queue)} (Ctrl-C stops)`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          log('stopping: running cells go back to the queue ...');
          void w.close().then(resolve, resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
