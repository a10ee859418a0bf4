/**
 * The prediction video of a trained run (like DonkeyCar's `makemovie`, for
 * any run of the lab): the drive's frames, decoded whole at a viewing size,
 * with the recorded and predicted steering wheels, an error bar and
 * optionally the saliency map, encoded by ffmpeg to H.264 at the source's
 * frame rate, so the video has exactly the range's frames and duration.
 *
 * Streamed: ffmpeg decodes, the model predicts 16 frames at a time, frames
 * are composed into one reused buffer and piped to the encoder; memory
 * holds a batch, never the drive.
 */
import { rmSync } from 'node:fs';
import { CancelledError, UserError } from '../errors.ts';
import { decodeFrames } from '../video/decode.ts';
import { encodeRawVideo } from '../video/encode.ts';
import type { DatasetPart } from '../video/multi.ts';
import { computeSaliency } from '../saliency/compute.ts';
import type { Picture } from '../saliency/draw.ts';
import { frameView } from '../saliency/frames.ts';
import type { SaliencyMethod } from '../saliency/maps.ts';
import { framePixels, openRunData, sourceFrame, type RunData } from '../saliency/run-data.ts';
import { openRunModel, type RunModel } from '../saliency/run-model.ts';
import { composeFrame, panelHeight } from './dashboard.ts';

export interface RenderOptions {
  /** Output file; the container follows its extension (.mp4 recommended). */
  out: string;
  /** Range on the data set's time axis in seconds: frames with from <= t < to. Default: the whole drive (its first video when there are several). */
  fromS?: number;
  toS?: number;
  /** Draw this saliency map over each frame (null: none). */
  saliency?: SaliencyMethod | null;
  signal?: AbortSignal;
  onProgress?(p: { done: number; total: number; etaS: number | null }): void;
}

export interface RenderResult {
  out: string;
  frames: number;
  fps: number;
  /** frames / fps, in seconds. */
  durationS: number;
  fromS: number;
  toS: number;
  width: number;
  height: number;
  engine: string;
  saliency: SaliencyMethod | null;
  wallS: number;
  msPerFrame: number;
}

/** Frames a batch predicts together: enough to amortise a tfjs call, few enough to keep memory small. */
const BATCH = 16;

/** The data set frames [first, end) of the range, all in one video; UserError naming the drive's span otherwise. */
export function rangeFrames(d: RunData, fromS: number | undefined, toS: number | undefined): { part: DatasetPart; first: number; end: number } {
  const ts = d.ds.frames.timestampsS;
  const n = ts.length;
  const span = `the drive runs from ${ts[0].toFixed(2)} s to ${ts[n - 1].toFixed(2)} s`;
  if (fromS !== undefined && toS !== undefined && !(toS > fromS)) throw new UserError(`--to ${toS} s is not after --from ${fromS} s; give a range with to > from`);
  const startPart = sourceFrame(d.parts, fromS === undefined ? 0 : Math.max(0, ts.findIndex((t) => t >= fromS))).part;
  const lo = fromS ?? ts[startPart.firstFrame];
  // Default end: the end of the video the range starts in, so a range never straddles two videos unasked.
  const hi = toS ?? (d.parts.length > 1 ? ts[startPart.firstFrame + startPart.frames - 1] + 1e-9 : Infinity);
  let first = -1;
  let end = -1;
  for (let g = 0; g < n; g++) {
    if (ts[g] >= lo && ts[g] < hi) {
      if (first < 0) first = g;
      end = g + 1;
    }
  }
  if (first < 0) throw new UserError(`no frame ${toS === undefined ? `from ${lo} s on` : `between ${lo} s and ${hi} s`}: ${span}; pick --from/--to within it`);
  const a = sourceFrame(d.parts, first).part;
  const b = sourceFrame(d.parts, end - 1).part;
  if (a !== b) throw new UserError(`the range ${lo} s to ${hi} s spans two videos of the data set (the next starts at ${ts[b.firstFrame].toFixed(2)} s); render one video at a time with --from/--to`);
  return { part: a, first, end };
}

/** The output frames of the range, composed batch by batch while ffmpeg decodes. */
async function* videoFrames(m: RunModel, d: RunData, r: ReturnType<typeof rangeFrames>, o: RenderOptions, out: Picture): AsyncGenerator<Uint8Array> {
  const { part, first, end } = r;
  const view = frameView(part.video, part.spec.crop);
  const fullScaleDeg = Math.max(1, ...Array.from(d.ds.anglesDeg, (a) => (Number.isFinite(a) ? Math.abs(a) : 0)));
  const method = o.saliency ?? null;
  const local0 = first - part.firstFrame;
  let batch: { g: number; pic: Picture }[] = [];
  const flush = function* (): Generator<Uint8Array> {
    const s = computeSaliency(m.net, framePixels(d.ds, batch.map((b) => b.g)), batch.length, method);
    const per = m.net.input.height * m.net.input.width;
    for (const [j, { g, pic }] of batch.entries()) {
      const k = d.sampleOfFrame[g];
      composeFrame(out, pic, view.crop, {
        trueDeg: k >= 0 ? d.ds.anglesDeg[k] : NaN, predDeg: m.toDeg(s.outputs[j]), timeS: d.ds.frames.timestampsS[g], frame: g,
        fullScaleDeg, map: method ? s.maps.subarray(j * per, (j + 1) * per) : null, mapSize: m.net.input,
      });
      yield out.rgb;
    }
    batch = [];
  };
  for await (const f of decodeFrames(part.spec.source, { width: view.width, height: view.height }, { signal: o.signal, maxFrames: end - part.firstFrame, fps: part.video.fps })) {
    if (f.index < local0) continue;
    batch.push({ g: part.firstFrame + f.index, pic: { rgb: f.rgb, width: view.width, height: view.height } });
    if (batch.length === BATCH) yield* flush();
  }
  if (batch.length) yield* flush();
}

/**
 * Renders a run's prediction video to o.out. Throws UserError for a run
 * without a model or a range outside the drive, CancelledError when the
 * signal aborts (no file is left behind).
 */
export async function renderDrive(runDir: string, o: RenderOptions): Promise<RenderResult> {
  const t0 = performance.now();
  const m = await openRunModel(runDir);
  let d: RunData | null = null;
  try {
    d = await openRunData(m.run, runDir, { signal: o.signal });
    const r = rangeFrames(d, o.fromS, o.toS);
    const view = frameView(r.part.video, r.part.spec.crop);
    const height = view.height + panelHeight(view.width);
    const out: Picture = { rgb: new Uint8Array(view.width * height * 3), width: view.width, height };
    const total = r.end - r.first;
    let done = 0;
    const counted = async function* (src: AsyncGenerator<Uint8Array>): AsyncGenerator<Uint8Array> {
      const tStart = performance.now();
      for await (const f of src) {
        yield f;
        done++;
        const perFrame = (performance.now() - tStart) / done / 1000;
        o.onProgress?.({ done, total, etaS: done > 2 ? perFrame * (total - done) : null });
      }
    };
    const fps = r.part.video.fps;
    const n = await encodeRawVideo(o.out, counted(videoFrames(m, d, r, o, out)), { width: view.width, height, fps, signal: o.signal });
    if (o.signal?.aborted) throw new CancelledError('render cancelled');
    if (n !== total) {
      rmSync(o.out, { force: true });
      throw new UserError(`${r.part.spec.source} gave ${n} of the ${total} frames of the range; the video may have been changed since training, retrain or re-open it`);
    }
    const ts = d.ds.frames.timestampsS;
    const wallS = (performance.now() - t0) / 1000;
    return {
      out: o.out, frames: n, fps, durationS: n / fps, fromS: ts[r.first], toS: ts[r.end - 1] + 1 / fps, width: view.width, height,
      engine: m.engine.name, saliency: o.saliency ?? null, wallS, msPerFrame: (1000 * wallS) / Math.max(1, n),
    };
  } finally {
    d?.close();
    m.dispose();
  }
}
