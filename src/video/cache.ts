/**
 * The on-disk frame cache: decoded RGB frames at the model's input size, so
 * the second pass over a data set reads a file instead of decoding video.
 *
 * Layout (little-endian), written front to back while decoding, so no frame
 * count is needed up front and nothing is rewritten:
 *   frames      count * width*height*3 bytes (frame i at offset i*frameBytes)
 *   timestamps  count * float64, seconds
 *   meta        JSON (key, size, count, video info, image names)
 *   footer      u32 metaBytes, u32 format version, 8-byte magic "STEERFC1"
 * The file is written under a temporary name and renamed only after the
 * footer is on disk; an open checks the footer, the exact size and the key,
 * so a cancelled or crashed write is never trusted. Frames are read with
 * positioned reads: memory does not grow with the number of frames.
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, mkdirSync, openSync, readdirSync, readSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { explainWriteError } from '../disk-space.ts';
import { pidAlive } from '../run-lock.ts';
import { locateTool } from './ffmpeg.ts';
import { DECODER_VERSION, isImageSource } from './decode.ts';
import type { FrameGap } from './frame-gaps.ts';
import { imagesFingerprint, listImages } from './images.ts';
import type { Crop, FrameStore, VideoInfo } from './types.ts';

const MAGIC = Buffer.from('STEERFC1', 'ascii');
const FORMAT_VERSION = 1;
const FOOTER_BYTES = 16;

export interface CacheMeta {
  key: string;
  width: number;
  height: number;
  channels: 3;
  count: number;
  pixelFormat: 'rgb24';
  decoderVersion: number;
  ffmpegVersion: string;
  video: VideoInfo;
  /** Image-folder sources: the name of each decoded frame (natural order; an image that could not be decoded has no frame). */
  imageNames?: string[];
  /** Source frames the decode lost (absent when none, or only the last): which source frame each decoded frame is. */
  frameGap?: FrameGap;
  /** Problems found while decoding (count mismatch, variable rate), repeated on every load. */
  warnings?: string[];
}

export interface CacheKeyInput {
  source: string;
  width: number;
  height: number;
  crop?: Crop;
  maxFrames?: number;
  /** Hash the file's bytes instead of trusting size + modification time (slower: reads the whole video). */
  hashContent?: boolean;
}

async function contentHash(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * The cache key and file name for a source at a size. Uses the source's size
 * and mtime (or content hash), crop, size, pixel format, the decode pipeline
 * version and the ffmpeg binary's identity; it stats files, never runs ffmpeg.
 */
export async function cacheKey(k: CacheKeyInput, cacheDir: string): Promise<{ key: string; path: string }> {
  const ff = locateTool('ffmpeg');
  const ffStat = statSync(ff.path);
  let src: unknown;
  if (isImageSource(k.source)) {
    src = { images: createHash('sha256').update(imagesFingerprint(listImages(k.source))).digest('hex') };
  } else {
    const st = statSync(k.source);
    src = k.hashContent ? { sha256: await contentHash(k.source) } : { path: realpathSync(k.source), size: st.size, mtimeMs: Math.round(st.mtimeMs) };
  }
  const parts = {
    format: FORMAT_VERSION,
    decoder: DECODER_VERSION,
    ffmpeg: { path: ff.path, size: ffStat.size, mtimeMs: Math.round(ffStat.mtimeMs) },
    src,
    crop: k.crop ?? null,
    width: k.width,
    height: k.height,
    pixelFormat: 'rgb24',
    maxFrames: k.maxFrames ?? null,
  };
  const key = createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  const stem = basename(k.source.replace(/[\\/]+$/, '')).replace(/[^\w.-]+/g, '_').slice(0, 40) || 'source';
  return { key, path: join(cacheDir, `${stem}-${k.height}x${k.width}-${key.slice(0, 16)}.slfc`) };
}

/** A FrameStore over a complete cache file, plus its metadata. */
export interface CachedFrames extends FrameStore {
  readonly meta: CacheMeta;
  readonly path: string;
}

/** Opens a cache file if it is complete and (when given) has the expected key; null otherwise. */
export function openFrameCache(path: string, expectedKey?: string): CachedFrames | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const size = fstatSync(fd).size;
    if (size < FOOTER_BYTES) throw new Error('short');
    const foot = Buffer.alloc(FOOTER_BYTES);
    readSync(fd, foot, 0, FOOTER_BYTES, size - FOOTER_BYTES);
    if (!foot.subarray(8).equals(MAGIC) || foot.readUInt32LE(4) !== FORMAT_VERSION) throw new Error('footer');
    const metaBytes = foot.readUInt32LE(0);
    const metaBuf = Buffer.alloc(metaBytes);
    readSync(fd, metaBuf, 0, metaBytes, size - FOOTER_BYTES - metaBytes);
    const meta = JSON.parse(metaBuf.toString('utf8')) as CacheMeta;
    const frameBytes = meta.width * meta.height * 3;
    if (size !== meta.count * (frameBytes + 8) + metaBytes + FOOTER_BYTES) throw new Error('size');
    if (expectedKey && meta.key !== expectedKey) throw new Error('key');
    const tsBuf = Buffer.alloc(meta.count * 8);
    readSync(fd, tsBuf, 0, tsBuf.length, meta.count * frameBytes);
    const timestampsS = new Float64Array(meta.count);
    for (let i = 0; i < meta.count; i++) timestampsS[i] = tsBuf.readDoubleLE(i * 8);
    let open = true;
    return {
      meta,
      path,
      count: meta.count,
      width: meta.width,
      height: meta.height,
      channels: 3,
      timestampsS,
      read(i: number, out?: Uint8Array): Uint8Array {
        if (!open) throw new Error(`frame cache ${path} is closed`);
        if (!(Number.isInteger(i) && i >= 0 && i < meta.count)) throw new RangeError(`frame ${i} is outside 0..${meta.count - 1}`);
        const dst = out ?? new Uint8Array(frameBytes);
        if (dst.length < frameBytes) throw new RangeError(`output buffer holds ${dst.length} bytes, a frame needs ${frameBytes}`);
        readSync(fd, dst, 0, frameBytes, i * frameBytes);
        return dst;
      },
      close(): void {
        if (open) closeSync(fd);
        open = false;
      },
    };
  } catch {
    closeSync(fd);
    return null;
  }
}

/** Removes temp files of the same cache entry left by processes that died mid-write. */
function removeStaleTemps(finalPath: string): void {
  const dir = join(finalPath, '..');
  const base = basename(finalPath);
  for (const f of readdirSync(dir)) {
    const m = /^(.*)\.(\d+)\.[0-9a-f]+\.tmp$/.exec(f);
    if (m && m[1] === base && !pidAlive(Number(m[2]))) rmSync(join(dir, f), { force: true });
  }
}

/**
 * Streams frames into a temporary file next to the final path; commit()
 * renames it into place, abort() deletes it.
 */
export class FrameCacheWriter {
  #fh: FileHandle;
  #buf: Buffer;
  /** The other half of the double buffer: being written while #buf fills. */
  #spare: Buffer;
  #used = 0;
  /** The write in flight (at most one, so appends stay in order), and its failure if it failed. */
  #pending: Promise<void> | null = null;
  #writeError: unknown = null;
  #times: number[] = [];
  /** Frames the caller expects (for the space a full disk should have had); 0 = unknown. */
  expectedFrames = 0;
  readonly tmpPath: string;
  readonly frameBytes: number;

  private constructor(
    readonly finalPath: string,
    fh: FileHandle,
    tmpPath: string,
    readonly width: number,
    readonly height: number,
  ) {
    this.#fh = fh;
    this.tmpPath = tmpPath;
    this.frameBytes = width * height * 3;
    // Batch writes to ~4 MiB: one syscall per tiny frame would dominate at 64x32.
    // Two buffers, so decoding fills one while the other is written: awaiting
    // each write stalled the decoder (and ffmpeg behind it) 5-15 ms per 4 MiB.
    const bytes = Math.max(this.frameBytes, Math.floor((4 << 20) / this.frameBytes) * this.frameBytes);
    this.#buf = Buffer.allocUnsafe(bytes);
    this.#spare = Buffer.allocUnsafe(bytes);
  }

  static async create(finalPath: string, width: number, height: number): Promise<FrameCacheWriter> {
    mkdirSync(join(finalPath, '..'), { recursive: true });
    removeStaleTemps(finalPath);
    const tmp = `${finalPath}.${process.pid}.${Math.floor(Math.random() * 0xffffffff).toString(16)}.tmp`;
    const fh = await open(tmp, 'w');
    return new FrameCacheWriter(finalPath, fh, tmp, width, height);
  }

  get count(): number {
    return this.#times.length;
  }

  /** Presentation times (s) of the frames appended so far. */
  get times(): readonly number[] {
    return this.#times;
  }

  async append(rgb: Uint8Array, ptsS: number): Promise<void> {
    if (rgb.length !== this.frameBytes) throw new Error(`frame has ${rgb.length} bytes, expected ${this.frameBytes}`);
    if (this.#used + this.frameBytes > this.#buf.length) await this.#flush();
    this.#buf.set(rgb, this.#used);
    this.#used += this.frameBytes;
    this.#times.push(ptsS);
  }

  /** Starts writing the filled buffer (after the previous write finished) and swaps buffers. */
  async #flush(): Promise<void> {
    await this.#drain();
    if (this.#used === 0) return;
    const buf = this.#buf;
    // Each batch is also flushed to disk while decoding goes on, so commit()'s
    // fsync finds only the last batch dirty: syncing 40 MiB at the end took
    // 72-88 ms here, a fifth of the decode of those frames.
    const fh = this.#fh;
    this.#pending = fh.write(buf, 0, this.#used).then(
      () => fh.datasync(),
    ).then(
      () => {},
      (e: unknown) => {
        this.#writeError = e;
      },
    );
    this.#buf = this.#spare;
    this.#spare = buf;
    this.#used = 0;
  }

  /** Waits for the write in flight; rethrows its error. */
  async #drain(): Promise<void> {
    if (this.#pending) await this.#pending;
    this.#pending = null;
    if (this.#writeError) throw explainWriteError(this.#writeError, this.finalPath, this.#neededBytes());
  }

  /** Bytes the whole file needs: the expected frames (or those so far) and their times. */
  #neededBytes(): number {
    return Math.max(this.expectedFrames, this.#times.length) * (this.frameBytes + 8);
  }

  /** Writes timestamps, metadata and footer, syncs, renames into place; returns the opened cache. */
  async commit(meta: Omit<CacheMeta, 'count' | 'width' | 'height' | 'channels' | 'pixelFormat'>): Promise<CachedFrames> {
    await this.#flush();
    await this.#drain();
    const n = this.#times.length;
    const ts = Buffer.alloc(n * 8);
    for (let i = 0; i < n; i++) ts.writeDoubleLE(this.#times[i], i * 8);
    const full: CacheMeta = { ...meta, count: n, width: this.width, height: this.height, channels: 3, pixelFormat: 'rgb24' };
    const metaBuf = Buffer.from(JSON.stringify(full), 'utf8');
    const foot = Buffer.alloc(FOOTER_BYTES);
    foot.writeUInt32LE(metaBuf.length, 0);
    foot.writeUInt32LE(FORMAT_VERSION, 4);
    MAGIC.copy(foot, 8);
    try {
      await this.#fh.write(Buffer.concat([ts, metaBuf, foot]));
      // Sync before rename: after a power cut the name must not point at unwritten blocks.
      await this.#fh.sync();
    } catch (e) {
      throw explainWriteError(e, this.finalPath, this.#neededBytes() + metaBuf.length + FOOTER_BYTES);
    }
    await this.#fh.close();
    renameSync(this.tmpPath, this.finalPath);
    const opened = openFrameCache(this.finalPath, meta.key);
    if (!opened) throw new Error(`frame cache ${this.finalPath} failed its own check after writing`);
    return opened;
  }

  /** Deletes the temporary file (cancel or error). */
  async abort(): Promise<void> {
    await this.#pending;
    await this.#fh.close().catch(() => {});
    rmSync(this.tmpPath, { force: true });
  }
}
