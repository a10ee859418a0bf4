/**
 * Matching a label set to the frames of a frame cache: by time, by frame
 * index, or by image name. Frames carry their own identity (time, source
 * frame number, image name), so a frame lost while decoding never shifts
 * the labels of the frames after it; where that identity is unknown,
 * frame-index and image matching across the gap is refused unless asked.
 */
import { alignByFrame, alignByImage, alignByTime, type AlignResult } from '../data/align.ts';
import type { LabelSet } from '../data/types.ts';
import { UserError } from '../errors.ts';
import type { CachedFrames } from './cache.ts';

export interface MatchOptions {
  source: string;
  offsetMs: number;
  maxGapMs: number;
  /**
   * Match frame-index (or image) labels by decode position even when frames
   * were lost and their times do not say which (CLI: --allow-frame-gaps).
   */
  allowFrameGaps?: boolean;
}

/** One line refusing positional matching across a gap, naming the files and the two ways out. */
function gapError(o: MatchOptions, labels: LabelSet, lost: number, expected: number): UserError {
  return new UserError(
    `"${o.source}" lost ${lost} of ${expected} frames while decoding and their times do not say which, so ${labels.path}'s ` +
      `${labels.key === 'image' ? 'image' : 'frame-index'} labels would land on the wrong frames after the gap; ` +
      'use labels with a time column, repair the source, or pass --allow-frame-gaps to match by decode order anyway',
  );
}

/** Aligns labels to the cached frames (see the module comment); throws UserError when that is unsafe or impossible. */
export function matchLabels(store: CachedFrames, labels: LabelSet, o: MatchOptions): AlignResult {
  const meta = store.meta;
  const gap = meta.frameGap;
  const unknown = gap !== undefined && gap.numbers === null;
  if (labels.key === 'time') return alignByTime(store.timestampsS, labels.rows, { offsetMs: o.offsetMs, maxGapMs: o.maxGapMs });
  if (unknown && !o.allowFrameGaps) throw gapError(o, labels, gap.expected - gap.decoded, gap.expected);
  if (labels.key === 'frame') {
    return alignByFrame(store.count, labels.rows, { fps: meta.video.fps, frameNumbers: gap?.numbers ?? undefined });
  }
  if (!meta.imageNames) {
    throw new UserError(`${labels.path} names images, but "${o.source}" is a video; give the image folder as the source, or labels with a time or frame column`);
  }
  // Names are per decoded frame, except when the lost images are unknown (then decode order, as allowed above).
  return alignByImage(meta.imageNames.slice(0, store.count), labels.rows);
}
