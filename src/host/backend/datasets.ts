/**
 * Data-set requests over the lab's open data sets (lab/datasets.ts): the
 * request shapes in, decode and synthesis progress out as push events,
 * frames out as PNG data URLs for the page.
 */
import type { Args, CropPreview, DatasetOverview, FrameImage, HandlerContext, LagCheck, SourceFrame } from '../../contract/index.ts';
import { CancelledError, UserError } from '../../errors.ts';
import type { Lab } from '../../lab/index.ts';
import type { OpenDataset } from '../../lab/datasets.ts';
import { demoFrames } from '../../lab/workspace.ts';
import { suggestedOffsetMs } from '../../data/lag.ts';
import type { LagReport } from '../../video/lag-doctor.ts';
import type { DecodeProgress } from '../../video/types.ts';
import { pngDataUrl } from '../../video/png.ts';

export interface Datasets {
  open(args: Args<'dataset.open'>): Promise<DatasetOverview>;
  demo(args: Args<'dataset.demo'>): Promise<DatasetOverview>;
  frame(datasetId: string, sample: number): Promise<FrameImage>;
  preview(datasetId: string): Promise<CropPreview>;
  sourceFrame(datasetId: string, sample: number): Promise<SourceFrame>;
  /** The label-lag doctor on an open data set (one check per data set at a time). */
  lag(datasetId: string): Promise<LagCheck>;
  /** Stops a running lag check (it then fails with a CancelledError); false when none runs. */
  cancelLag(datasetId: string): Promise<boolean>;
  get(datasetId: string): OpenDataset;
  closeAll(): void;
}

/**
 * The report as `steerlab lag --json` gives it, with the suggestion spelled
 * out: in step means keep 0 (a car's yaw trails its wheel by about 0.1 s, so
 * correctly timed labels measure a little above 0). Scores that are not
 * numbers (an offset with no samples) become null, as JSON would carry them.
 */
export function lagCheck(r: LagReport): LagCheck {
  const suggested = suggestedOffsetMs(r);
  const num = (v: number | null): number | null => (v !== null && Number.isFinite(v) ? v : null);
  return {
    ...r,
    peakScore: num(r.peakScore),
    warnings: [...r.warnings],
    suggestedOffsetMs: suggested,
    suggestedFlag: suggested === null ? null : `--offset-ms ${suggested}`,
    curve: r.curve.map((p) => ({ offsetMs: p.offsetMs, score: num(p.score) })),
  };
}

export function createDatasets(o: { lab: Lab; emit: HandlerContext['emit'] }): Datasets {
  const ds = o.lab.datasets;
  const onDecode = (p: DecodeProgress): void =>
    o.emit('progress', { task: 'decode', experimentId: null, done: p.done, total: p.total, etaS: p.etaS, message: `decoding ${p.done}/${p.total} frames` });
  const lagRuns = new Map<string, { ac: AbortController; done: Promise<unknown> }>();
  return {
    get: (id) => ds.get(id),
    async lag(id) {
      ds.get(id);
      // One check per data set: a second click while it decodes would decode the same drive twice on the same cores.
      if (lagRuns.has(id)) throw new UserError('the label timing of this data set is already being checked; wait for it or cancel it');
      const ac = new AbortController();
      const onDecode = (p: DecodeProgress): void =>
        o.emit('progress', { task: 'decode', experimentId: null, done: p.done, total: p.total, etaS: p.etaS, message: `checking label timing: decoding ${p.done}/${p.total} frames` });
      const job = ds.lag(id, { signal: ac.signal, onDecode });
      lagRuns.set(id, { ac, done: job.catch(() => {}) });
      try {
        const r = await job;
        // A cache hit never looks at the signal: a cancel that came in during the measurement still wins.
        if (ac.signal.aborted) throw new CancelledError('label timing check cancelled');
        return lagCheck(r);
      } catch (e) {
        if (ac.signal.aborted && !(e instanceof CancelledError)) throw new CancelledError('label timing check cancelled');
        throw e;
      } finally {
        lagRuns.delete(id);
      }
    },
    async cancelLag(id) {
      const r = lagRuns.get(id);
      if (!r) return false;
      r.ac.abort();
      await r.done;
      return true;
    },
    open: ({ more, ...first }) => ds.open([first, ...(more ?? []).map((m) => ({ ...first, source: m.source, labels: m.labels }))], { onDecode }),
    demo(args) {
      const frames = demoFrames(args.frames);
      return ds.demo({
        frames, input: args.input, onDecode,
        onSynth: () => o.emit('progress', { task: 'synth', experimentId: null, done: 0, total: frames, etaS: null, message: `synthesising the demo drive (${frames} frames)` }),
        onSynthProgress: (p) => o.emit('progress', { task: 'synth', experimentId: null, done: p.done, total: p.total, etaS: null, message: `synthesising the demo drive ${p.done}/${p.total}` }),
      });
    },
    async frame(id, sample) {
      const { rgb, ...f } = ds.frame(id, sample);
      return { ...f, dataUrl: pngDataUrl(rgb, f.width, f.height) };
    },
    async preview(id) {
      const { rgb, ...p } = await ds.preview(id);
      return { ...p, dataUrl: pngDataUrl(rgb, p.width, p.height) };
    },
    async sourceFrame(id, sample) {
      const { rgb, ...f } = await ds.sourceFrame(id, sample);
      return { ...f, dataUrl: pngDataUrl(rgb, f.width, f.height) };
    },
    closeAll: () => {
      for (const r of lagRuns.values()) r.ac.abort();
      ds.closeAll();
    },
  };
}
