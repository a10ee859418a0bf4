/**
 * Decode speed: the lab's decode pipeline against plain
 * `ffmpeg -i file -vf scale=W:H:flags=area -pix_fmt rgb24 -f rawvideo -`
 * on the same file, same ffmpeg binary, same output size and pixel format,
 * both reading the whole file from a warm page cache.
 *
 * "The lab's pipeline" is what loadDataset runs on a cache miss: ffprobe for
 * the frame times, running beside decodeFrames (managed ffmpeg child,
 * framing, per-frame times, back-pressure). It is timed twice: frames into memory
 * (like plain ffmpeg, which writes nowhere) and frames into the on-disk frame
 * cache (the same plus writing and syncing the cache file).
 *
 * The machine is shared, so each run also records CPU seconds: the ffmpeg
 * and ffprobe children (user+sys, from /proc/self/stat's waited-for children)
 * and this node process (process.cpuUsage). Runs go in A B C C B A order so
 * load drift biases no side, and the load average is reported.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFrameCache } from '../src/video/dataset.ts';
import { decodeFrames } from '../src/video/decode.ts';
import { resolveFfmpeg } from '../src/video/ffmpeg.ts';
import { probeVideoDetailed } from '../src/video/probe.ts';

export type DecodeKind = 'plain' | 'lab' | 'cache';

export interface DecodeRun {
  kind: DecodeKind;
  wallS: number;
  /** CPU seconds (user+sys) of the ffmpeg/ffprobe children of this run; null where /proc is missing. */
  childCpuS: number | null;
  /** CPU seconds (user+sys) of this node process during the run. */
  nodeCpuS: number;
}

export interface DecodeResult {
  frames: number;
  width: number;
  height: number;
  /** Lab pipeline into memory, frames per second (best wall time of the repeats). */
  fps: number;
  /** Plain ffmpeg to a pipe, frames per second (best of the repeats). */
  ffmpegFps: number;
  /** fps / ffmpegFps (target >= 0.9). */
  ratio: number;
  ffmpeg: string;
  // The fields below are always set by measureDecode; optional so reports
  // written before they existed still type-check.
  /** Lab pipeline into the on-disk frame cache (write + fsync included), frames per second (best). */
  cacheFps?: number;
  /** cacheFps / ffmpegFps. */
  cacheRatio?: number;
  /** Median CPU seconds per run (children + node) of each side; null where /proc is missing. */
  cpuS?: { plain: number | null; lab: number | null; cache: number | null };
  /** Frames per CPU second of the lab over those of plain ffmpeg (median runs): the ratio a busy machine cannot skew. */
  cpuRatio?: number | null;
  /** Where the lab's frame times came from: the container's packets (probe) or ffmpeg's showinfo filter. */
  timestamps?: 'packets' | 'showinfo';
  /** Run order, e.g. "ABCCBA" (A plain, B lab, C cache). */
  order?: string;
  runs?: DecodeRun[];
  loadAverage?: { start: number[]; end: number[] };
}

/** USER_HZ: the unit of /proc times, 100 on every Linux ABI node runs on. */
const CLOCK_TICKS = 100;

/** CPU seconds of this process's waited-for children (fields cutime + cstime of /proc/self/stat), or null. */
function childCpuS(): number | null {
  try {
    const s = readFileSync('/proc/self/stat', 'utf8');
    // Fields after "(comm)": state is field 3, so cutime (16) and cstime (17) sit at 13 and 14.
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[13]) + Number(f[14])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

async function timed(kind: DecodeKind, fn: () => Promise<number>): Promise<DecodeRun & { frames: number }> {
  const c0 = childCpuS();
  const n0 = process.cpuUsage();
  const t0 = performance.now();
  const frames = await fn();
  const wallS = (performance.now() - t0) / 1000;
  const n = process.cpuUsage(n0);
  const c1 = childCpuS();
  return { kind, frames, wallS, childCpuS: c0 === null || c1 === null ? null : c1 - c0, nodeCpuS: (n.user + n.system) / 1e6 };
}

/**
 * Probe + decodeFrames into memory, as loadDataset runs them on a cache miss:
 * the packet-time probe started once ffmpeg is spawned, frames waiting for
 * its times, lent frames (the cache writer copies each before the next).
 */
async function labDecode(path: string, width: number, height: number): Promise<number> {
  // An object, so TypeScript sees the assignment made inside the callback.
  const probe: { times: Promise<Float64Array | null> | null } = { times: null };
  const startProbe = (): Promise<Float64Array | null> => (probe.times = probeVideoDetailed(path).then((p) => (p.packetTimes ? p.frameTimesS : null)));
  let frames = 0;
  for await (const f of decodeFrames(path, { width, height }, { frameTimesS: startProbe, lend: true })) {
    if (f.rgb.length !== width * height * 3) throw new Error('decoder returned a frame of the wrong size');
    frames++;
  }
  const known = await probe.times;
  if (known && frames !== known.length) throw new Error(`the lab decoded ${frames} frames but the file has ${known.length} packets`);
  return frames;
}

async function cacheDecode(path: string, width: number, height: number, dir: string): Promise<number> {
  rmSync(dir, { recursive: true, force: true });
  const c = await buildFrameCache({ source: path, input: { width, height } }, { cacheDir: dir });
  const n = c.count;
  c.close();
  return n;
}

function plainDecode(ffmpeg: string, path: string, width: number, height: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', path, '-vf', `scale=${width}:${height}:flags=area`, '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1'];
    const child = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let err = '';
    child.stdout.on('data', (b: Buffer) => (bytes += b.length));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`ffmpeg exited with ${code}: ${err.trim().split('\n').pop()}`));
      resolve(bytes / (width * height * 3));
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const loadAvg = (): number[] => loadavg().map((v) => Math.round(v * 100) / 100);

/**
 * Times plain ffmpeg (A), the lab into memory (B) and the lab into the
 * cache (C) in `repeats` rounds of A B C / C B A, after one untimed warm-up
 * of each (page cache, JIT). Speeds use each side's best wall time.
 */
export async function measureDecode(path: string, width = 200, height = 66, repeats = 3): Promise<DecodeResult> {
  const ff = resolveFfmpeg();
  const loadStart = loadAvg();
  const dir = mkdtempSync(join(tmpdir(), 'steerlab-bench-cache-'));
  try {
    const probe = await probeVideoDetailed(path);
    const run: Record<DecodeKind, () => Promise<number>> = {
      plain: () => plainDecode(ff.path, path, width, height),
      lab: () => labDecode(path, width, height),
      cache: () => cacheDecode(path, width, height, join(dir, 'cache')),
    };
    const kinds: DecodeKind[] = ['plain', 'lab', 'cache'];
    for (const k of kinds) await run[k]();
    const runs: (DecodeRun & { frames: number })[] = [];
    for (let r = 0; r < repeats; r++) {
      for (const k of r % 2 ? [...kinds].reverse() : kinds) runs.push(await timed(k, run[k]));
    }
    const frames = runs[0].frames;
    const bad = runs.find((x) => x.frames !== frames);
    if (bad) throw new Error(`the ${bad.kind} decode gave ${bad.frames} frames, plain ffmpeg ${frames}`);
    const of = (k: DecodeKind) => runs.filter((x) => x.kind === k);
    const bestFps = (k: DecodeKind) => frames / Math.min(...of(k).map((x) => x.wallS));
    const cpu = (k: DecodeKind): number | null => (of(k).some((x) => x.childCpuS === null) ? null : median(of(k).map((x) => x.childCpuS! + x.nodeCpuS)));
    const fps = bestFps('lab');
    const ffmpegFps = bestFps('plain');
    const cacheFps = bestFps('cache');
    const cpuS = { plain: cpu('plain'), lab: cpu('lab'), cache: cpu('cache') };
    return {
      frames,
      width,
      height,
      fps,
      ffmpegFps,
      ratio: fps / ffmpegFps,
      cacheFps,
      cacheRatio: cacheFps / ffmpegFps,
      cpuS,
      cpuRatio: cpuS.plain !== null && cpuS.lab ? cpuS.plain / cpuS.lab : null,
      timestamps: probe.packetTimes ? 'packets' : 'showinfo',
      order: runs.map((x) => ({ plain: 'A', lab: 'B', cache: 'C' })[x.kind]).join(''),
      runs: runs.map(({ frames: _f, ...x }) => x),
      loadAverage: { start: loadStart, end: loadAvg() },
      ffmpeg: `${ff.path} (${ff.version})`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
