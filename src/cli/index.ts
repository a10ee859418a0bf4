/**
 * The `steerlab` command. Each sub-command lives in `commands/<name>.ts` and
 * exports `register(program)`; heavy modules (tfjs, ffmpeg) are imported
 * inside each action so `steerlab --help` stays fast.
 */
import { Command, CommanderError } from 'commander';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UserError } from '../errors.ts';

export interface CommandModule {
  register(program: Command): void;
}

export async function buildProgram(): Promise<Command> {
  const program = new Command('steerlab')
    .description('Steering Lab: train CNN steering-angle regressors from dashcam video and see why training works or fails')
    .exitOverride()
    .showHelpAfterError();
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'commands');
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.startsWith('_')).sort();
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as CommandModule;
    mod.register(program);
  }
  return program;
}

/** Runs the CLI; returns the process exit code. Known failures print one line, never a stack. */
export async function main(argv: string[]): Promise<number> {
  const program = await buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof UserError) {
      process.stderr.write(`steerlab: ${err.message}\n`);
      return err.exitCode;
    }
    const e = err as Error;
    process.stderr.write(`steerlab: internal error: ${e?.message ?? String(err)}\n`);
    if (process.env.STEERLAB_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
    return 70;
  }
}
