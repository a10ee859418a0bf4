/**
 * `steerlab saliency RUN_DIR --frames N|i,j,k --out DIR [--method visualbackprop|gradcam] [--json]`:
 * what a trained run's model looks at, as PNG overlays (the whole frame, the
 * crop outlined, the saliency map over it, true and predicted angle in the
 * corner) plus saliency.json. The work is in src/saliency.
 */
import type { Command } from 'commander';
import { CancelledError, UserError } from '../../errors.ts';
import { cancelOnSigint } from './_progress.ts';

interface SaliencyOptions {
  frames: string;
  out: string;
  method: string;
  json?: boolean;
}

const METHODS = ['visualbackprop', 'gradcam'] as const;

/** `12` = 12 frames spread over the drive; `3,40,120` (or `40,` for one) = those sample indices. */
export function parseFrames(v: string): { count: number } | { indices: number[] } {
  const s = v.trim();
  const bad = () => new UserError(`--frames expects a count (e.g. 8) or sample indices separated by commas (e.g. 3,40,120; \`40,\` for one), got '${v}'`);
  if (!s.includes(',')) {
    if (!/^\d+$/.test(s) || Number(s) < 1) throw bad();
    return { count: Number(s) };
  }
  const parts = s.split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p))) throw bad();
  return { indices: parts.map(Number) };
}

export function register(program: Command): void {
  program
    .command('saliency')
    .description('draw what a trained run looks at (VisualBackProp or Grad-CAM) over chosen frames, as PNG files and saliency.json')
    .argument('<run-dir>', 'a trained run folder (runs/<id>, with model/ exported)')
    .requiredOption('--frames <N|i,j,k>', 'how many frames spread over the drive, or sample indices (0-based, as val-predictions.json numbers them)')
    .requiredOption('--out <dir>', 'folder for the PNG files and saliency.json (created if missing)')
    .option('--method <name>', `saliency method: ${METHODS.join(' or ')}`, 'visualbackprop')
    .option('--json', 'print the summary (method, frames with index, trueDeg, predDeg, file) as one JSON object')
    .action(async (runDir: string, o: SaliencyOptions) => {
      const method = o.method.toLowerCase().replace(/[-_]/g, '');
      if (!(METHODS as readonly string[]).includes(method)) throw new UserError(`unknown --method '${o.method}'; use ${METHODS.join(' or ')}`);
      const frames = parseFrames(o.frames);
      const { writeSaliency } = await import('../../saliency/index.ts');
      const cancel = cancelOnSigint();
      try {
        const s = await writeSaliency(runDir, { frames, method: method as (typeof METHODS)[number], outDir: o.out, signal: cancel.signal });
        if (o.json) process.stdout.write(JSON.stringify(s) + '\n');
        else {
          for (const f of s.frames) process.stdout.write(`frame ${f.index}: true ${f.trueDeg.toFixed(1)}°, predicted ${f.predDeg.toFixed(1)}° -> ${f.file}\n`);
          process.stdout.write(`${s.frames.length} ${method} pictures and saliency.json in ${s.dir} (engine ${s.engine})\n`);
        }
      } catch (e) {
        if (!(e instanceof CancelledError)) throw e;
        process.stderr.write('steerlab: saliency cancelled; the pictures written so far are in the folder\n');
        process.exitCode = 130;
      } finally {
        cancel.dispose();
      }
    });
}
