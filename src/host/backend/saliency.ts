/**
 * run.saliency: what a trained run's model looks at in one frame of its
 * drive (src/saliency), as a PNG the frame viewer shows. Opening a run costs
 * a model load and a frame-cache open, and a person steps through frames of
 * the same run, so the last run's model and data stay open; asking for
 * another run closes them first (one model in memory at a time).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Args, HandlerContext, SaliencyImage } from '../../contract/index.ts';
import { UserError } from '../../errors.ts';
import { workspacePaths } from '../../experiments/store.ts';
import type { RunData } from '../../saliency/run-data.ts';
import type { RunModel } from '../../saliency/run-model.ts';
import { pngDataUrl } from '../../video/png.ts';
import { engineReady } from './engine.ts';

export interface Saliency {
  picture(args: Args<'run.saliency'>): Promise<SaliencyImage>;
  /** Frees the cached model and data (backend shutdown). */
  close(): Promise<void>;
}

interface OpenRun {
  runId: string;
  m: RunModel;
  d: RunData;
}

export function createSaliency(o: { workspace: string; emit: HandlerContext['emit'] }): Saliency {
  const runs = workspacePaths(o.workspace).runs;
  let cached: OpenRun | null = null;
  // Requests run one after another: a second run's request must not dispose the model the first is still using.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => {});
    return next;
  };

  function release(): void {
    cached?.d.close();
    cached?.m.dispose();
    cached = null;
  }

  async function openRun(runId: string): Promise<OpenRun> {
    if (cached?.runId === runId) return cached;
    release();
    // The contract allows dots in ids: '.' and '..' would name the runs folder or the workspace.
    const dir = join(runs, runId);
    if (/^\.+$/.test(runId) || !existsSync(dir)) throw new UserError(`run ${runId} is not in the workspace ${o.workspace}`);
    await engineReady();
    const { openRunModel } = await import('../../saliency/run-model.ts');
    const { openRunData } = await import('../../saliency/run-data.ts');
    const m = await openRunModel(dir);
    try {
      const d = await openRunData(m.run, dir, {
        onProgress: (p) => o.emit('progress', { task: 'decode', experimentId: null, done: p.done, total: p.total, etaS: p.etaS, message: `opening the run's drive: decoding ${p.done}/${p.total} frames` }),
      });
      cached = { runId, m, d };
      return cached;
    } catch (e) {
      m.dispose();
      throw e;
    }
  }

  return {
    picture: (args) => serial(async () => {
      const { m, d } = await openRun(args.runId);
      const { pickSamples, sampleOverlays } = await import('../../saliency/index.ts');
      const [sample] = pickSamples({ indices: [args.sample] }, d.ds.anglesDeg.length);
      const [v] = await sampleOverlays(m, d, [sample], args.method);
      const { rgb, width, height } = v.picture;
      return { runId: args.runId, sample, method: args.method, trueDeg: v.trueDeg, predDeg: v.predDeg, width, height, dataUrl: pngDataUrl(rgb, width, height) };
    }),
    close: () => serial(async () => release()),
  };
}
