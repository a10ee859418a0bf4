/**
 * Frames lost while decoding (damaged data mid-file, an unreadable image in
 * a folder). ffmpeg drops a frame it cannot decode and goes on, so the n-th
 * decoded frame is then not the source's n-th frame: labels keyed by frame
 * index or image name must be matched through each frame's own time, which
 * says which source frame it is, never through its decode position.
 */
import { fmt } from '../data/units.ts';

/** Which source frames a decode lost. Stored in the frame cache's metadata. */
export interface FrameGap {
  /** Frames the source holds (packets in the container, or image files). */
  expected: number;
  /** Frames decoded. */
  decoded: number;
  /**
   * Source frame number (0-based) of each decoded frame, ascending; null when
   * the frames' times do not tell (then frame-index labels cannot be matched
   * safely).
   */
  numbers: number[] | null;
  /** Runs of lost source frames, first..last inclusive (empty when numbers is null). */
  runs: { first: number; last: number }[];
}

/**
 * The source frame number of each decoded frame: the index of the nearest
 * source frame time, accepted when within half the spacing of its
 * neighbours. Null when a frame matches no source frame or two frames match
 * the same one (times that do not identify frames).
 */
export function sourceFrameNumbers(decodedS: ArrayLike<number>, timelineS: ArrayLike<number>): number[] | null {
  const m = timelineS.length;
  const out: number[] = [];
  for (let i = 0; i < decodedS.length; i++) {
    const t = decodedS[i];
    let lo = 0;
    let hi = m;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (timelineS[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    // Nearest of timeline[lo-1] and timeline[lo].
    let k = lo;
    if (k >= m || (k > 0 && t - timelineS[k - 1] <= timelineS[k] - t)) k--;
    if (k < 0) return null;
    const prev = k > 0 ? timelineS[k] - timelineS[k - 1] : Infinity;
    const next = k < m - 1 ? timelineS[k + 1] - timelineS[k] : Infinity;
    const tol = Math.min(prev, next) / 2;
    if (!(Math.abs(t - timelineS[k]) <= (Number.isFinite(tol) ? tol : Infinity))) return null;
    if (out.length > 0 && k <= out[out.length - 1]) return null;
    out.push(k);
  }
  return out;
}

/**
 * Compares a decode with the source's frame times (all of them; `limit` =
 * the decode asked for only that many frames). Null when nothing was lost,
 * or only the last frame (a cut-off final packet is common and shifts
 * nothing), or when the count matches and the times cannot tell.
 */
export function findFrameGap(decodedS: ArrayLike<number>, timelineS: ArrayLike<number>, limit?: number): FrameGap | null {
  const m = timelineS.length;
  const want = limit ? Math.min(limit, m) : m;
  const decoded = decodedS.length;
  // More frames than the source lists (a decoder that splits frames): nothing lost.
  if (decoded === 0 || decoded > want) return null;
  // The usual case: as many frames as asked for, the last one where it belongs.
  const last = decodedS[decoded - 1];
  const spacing = decoded > 1 ? timelineS[decoded - 1] - timelineS[decoded - 2] : Infinity;
  if (decoded === want && !(Math.abs(last - timelineS[decoded - 1]) > spacing / 2)) return null;
  const numbers = sourceFrameNumbers(decodedS, timelineS);
  if (!numbers) return decoded === want ? null : { expected: want, decoded, numbers: null, runs: [] };
  // A capped decode that lost frames ran on past `want` source frames.
  const expected = decoded === want ? numbers[decoded - 1] + 1 : want;
  const runs: FrameGap['runs'] = [];
  let next = 0;
  for (const n of [...numbers, expected]) {
    if (n > next) runs.push({ first: next, last: n - 1 });
    next = n + 1;
  }
  if (runs.length === 0 || (runs.length === 1 && runs[0].first === expected - 1)) return null;
  return { expected, decoded, numbers, runs };
}

/** True when the lost frames are all at the end: decode positions are then the source's frame numbers. */
export function onlyTailLost(gap: FrameGap): boolean {
  return gap.numbers !== null && gap.runs.length === 1 && gap.runs[0].last === gap.expected - 1;
}

function where(gap: FrameGap, timelineS: ArrayLike<number>, names?: string[]): string {
  const shown = gap.runs.slice(0, 3).map((r) => {
    if (names) return r.first === r.last ? names[r.first] : `${names[r.first]} to ${names[r.last]}`;
    const span = r.first === r.last ? `frame ${r.first}` : `frames ${r.first}-${r.last}`;
    return `${span} (${fmt(timelineS[r.first])}-${fmt(timelineS[r.last])} s)`;
  });
  const more = gap.runs.length > 3 ? ` and ${gap.runs.length - 3} more gaps` : '';
  return shown.join(', ') + more;
}

/**
 * The data warning for a gap: how many frames are missing and where (image
 * names for a folder), and what that means for labels.
 */
export function describeFrameGap(source: string, gap: FrameGap, timelineS: ArrayLike<number>, names?: string[]): string {
  const lost = gap.expected - gap.decoded;
  const what = names ? 'images' : 'frames';
  if (!gap.numbers) {
    return `"${source}" decoded to ${gap.decoded} of ${gap.expected} ${what} and their times do not say which are missing; frame-index labels cannot be matched safely`;
  }
  if (onlyTailLost(gap)) {
    return `"${source}" decoded to ${gap.decoded} of ${gap.expected} ${what}: ${where(gap, timelineS, names)} could not be decoded; the file may be truncated or damaged at the end`;
  }
  return (
    `"${source}": ${lost} of ${gap.expected} ${what} could not be decoded (damaged data): ${where(gap, timelineS, names)}; ` +
    `they are left out and every other ${names ? 'image' : 'frame'} keeps its own label`
  );
}
