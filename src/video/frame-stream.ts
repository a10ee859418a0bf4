/**
 * The two halves of a decode that arrive separately from ffmpeg: frame
 * bytes on stdout (FrameAssembler cuts them into frames) and frame times
 * (FrameTimes: showinfo lines on stderr, or times the caller gives, possibly
 * later as a promise). decodeFrames (decode.ts) pairs them up.
 */
import type { DecodeProgress } from './types.ts';

/** ffmpeg output more frames than the caller's frame times: those times do not describe this decode. */
export class FrameCountMismatchError extends Error {
  constructor(readonly source: string, readonly times: number) {
    super(`"${source}" decoded to more frames than the ${times} frame times probed from its packets`);
    this.name = 'FrameCountMismatchError';
  }
}

/** The promised frame times resolved to null: the caller must decode again with showinfo times. */
export class FrameTimesUnavailableError extends Error {
  constructor(readonly source: string) {
    super(`"${source}" has no packet times usable as frame times`);
    this.name = 'FrameTimesUnavailableError';
  }
}

/** What DecodeOptions.frameTimesS may be: times now, later, or from a function called once ffmpeg runs. */
export type TimesInput = ArrayLike<number> | Promise<ArrayLike<number> | null> | (() => Promise<ArrayLike<number> | null>);

/**
 * Cuts stdout chunks into frames of frameBytes. Whole frames inside a chunk
 * are handed out as views, not copies: node allocates each pipe read (up to
 * 64 KiB) afresh and keeps no reference, so a view is as much the caller's
 * own as a copy would be. Frames straddling two chunks are assembled in
 * buffers that a lending consumer gives back for reuse.
 */
export class FrameAssembler {
  readonly ready: Uint8Array[] = [];
  #spare: Uint8Array[] = [];
  /** Assembled buffers, so views into pipe chunks are never pooled. */
  #assembled = new WeakSet<Uint8Array>();
  /** The frame being assembled across chunks (null between frames). */
  #cur: Uint8Array | null = null;
  #filled = 0;

  constructor(readonly frameBytes: number, readonly lend: boolean) {}

  push(b: Buffer): void {
    const fb = this.frameBytes;
    let off = 0;
    if (this.#cur) {
      const n = Math.min(fb - this.#filled, b.length);
      this.#cur.set(b.subarray(0, n), this.#filled);
      this.#filled += n;
      off = n;
      if (this.#filled === fb) {
        this.ready.push(this.#cur);
        this.#cur = null;
      }
    }
    while (b.length - off >= fb) {
      this.ready.push(new Uint8Array(b.buffer, b.byteOffset + off, fb));
      off += fb;
    }
    if (off < b.length) {
      // Not zero-filled (every byte is overwritten) and never from Buffer's shared pool.
      this.#cur = this.#spare.pop() ?? Buffer.allocUnsafeSlow(fb);
      if (this.lend) this.#assembled.add(this.#cur);
      this.#cur.set(b.subarray(off));
      this.#filled = b.length - off;
    }
  }

  /** The consumer asked for the next frame: a lent assembled buffer is ours again. */
  giveBack(rgb: Uint8Array): void {
    if (this.lend && this.#assembled.has(rgb)) this.#spare.push(rgb);
  }
}

const SHOWINFO = /Parsed_showinfo.*?\bn:\s*(\d+)\s+pts:\s*(-?\d+)/;

/**
 * Frame times: from showinfo (microseconds after settb=AVTB), or given by
 * the caller, at once or as a promise. `onChange` is called whenever a time
 * or the promised list arrives.
 */
export class FrameTimes {
  readonly showinfo: boolean;
  /** Set once the given times are known (at once unless they are a promise). */
  given: ArrayLike<number> | null = null;
  /** Why promised times cannot be had (thrown by the consumer loop). */
  failed: { error: unknown } | null = null;
  readonly pending: boolean;
  #us: number[] = [];

  /** `fromShowinfo` maps a showinfo time (s) to the frame's time (image folders renumber theirs). */
  constructor(
    readonly source: string,
    readonly input: TimesInput | undefined,
    readonly onChange: () => void,
    readonly fromShowinfo: (s: number) => number = (s) => s,
  ) {
    this.showinfo = input === undefined;
    this.pending = typeof input === 'function' || (input !== undefined && 'then' in input);
    if (input !== undefined && !this.pending) this.given = input as ArrayLike<number>;
  }

  /** Consumes a showinfo line (true) or leaves it for ffmpeg's error tail (false). */
  onStderrLine(line: string): boolean {
    const m = SHOWINFO.exec(line);
    if (m) {
      this.#us[Number(m[1])] = Number(m[2]);
      this.onChange();
      return true;
    }
    // showinfo's second line per frame (colour info, side data) is noise for errors.
    return /Parsed_showinfo/.test(line);
  }

  /** Starts waiting for promised times (call once ffmpeg is spawned); `onCount` gets their number. */
  await(onCount: (n: number) => void): void {
    if (!this.pending) return;
    let promised: Promise<ArrayLike<number> | null>;
    try {
      const t = this.input;
      promised = typeof t === 'function' ? t() : (t as Promise<ArrayLike<number> | null>);
    } catch (e) {
      promised = Promise.reject(e);
    }
    promised.then(
      (t) => {
        if (t) {
          this.given = t;
          onCount(t.length);
        } else this.failed = { error: new FrameTimesUnavailableError(this.source) };
        this.onChange();
      },
      (e: unknown) => {
        this.failed = { error: e };
        this.onChange();
      },
    );
  }

  /** True when frame `index` may be handed out (its time is known, or will never come). */
  known(index: number, giveUp: boolean): boolean {
    return this.showinfo ? this.#us[index] !== undefined || giveUp : this.given !== null;
  }

  /** Time (s) of frame `index`; the nominal rate when showinfo printed none for it. */
  timeOf(index: number, fps: number): number {
    if (this.given) {
      if (index >= this.given.length) throw new FrameCountMismatchError(this.source, this.given.length);
      return this.given[index];
    }
    const us = this.#us[index];
    return us !== undefined ? this.fromShowinfo(us / 1e6) : index / fps;
  }
}

/** Reports progress at most every 200 ms and at the expected end. */
export function progressReporter(onProgress: ((p: DecodeProgress) => void) | undefined, total: () => number): (done: number) => void {
  const t0 = performance.now();
  let last = 0;
  return (done) => {
    const now = performance.now();
    const n = total();
    if (!onProgress || !(now - last > 200 || done === n)) return;
    last = now;
    const rate = done / ((now - t0) / 1000);
    onProgress({ done, total: Math.max(n, done), etaS: n > done && rate > 0 ? (n - done) / rate : n ? 0 : null });
  };
}
