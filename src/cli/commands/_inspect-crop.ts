/**
 * The crop part of `steerlab inspect`: the crop given with --crop (checked
 * against the picture, and written as a preview PNG on request) and the
 * suggested road crop computed from a sample of the drive's frames.
 */
import { writeFileSync } from 'node:fs';
import { UserError } from '../../errors.ts';
import type { CropSuggestion } from '../../video/crop-suggest.ts';
import type { Crop, VideoInfo } from '../../video/types.ts';

const BARS = '▁▂▃▄▅▆▇█';
const PAD = '           ';

/** Row scores as a one-line bar chart of at most `width` characters (each the mean of its rows). */
export function sparkline(scores: readonly number[], width = 40): string {
  const n = Math.min(width, scores.length);
  const max = Math.max(1e-9, ...scores);
  let out = '';
  for (let i = 0; i < n; i++) {
    const group = scores.slice(Math.floor((i * scores.length) / n), Math.floor(((i + 1) * scores.length) / n));
    const mean = group.reduce((a, b) => a + b, 0) / Math.max(1, group.length);
    out += BARS[Math.min(BARS.length - 1, Math.floor((mean / max) * BARS.length))];
  }
  return out;
}

function checkCrop(c: Crop, video: VideoInfo, source: string): void {
  if (c.left + c.right >= video.width || c.top + c.bottom >= video.height) {
    throw new UserError(`--crop ${c.top},${c.bottom},${c.left},${c.right} leaves nothing of the ${video.height}x${video.width} px picture of "${source}"; use a smaller crop`);
  }
}

/** What the crop leaves, in words: rows and columns kept, in source pixels (sizes height x width, as everywhere). */
function keptText(c: Crop, video: VideoInfo): string {
  const w = video.width - c.left - c.right;
  const h = video.height - c.top - c.bottom;
  return `rows ${c.top}-${video.height - c.bottom - 1} and columns ${c.left}-${video.width - c.right - 1} (${h}x${w} of ${video.height}x${video.width} px) reach the model, resized to its input size`;
}

/** Writes the usable frame in the middle of the drive as the crop leaves it, at most 640 px wide. */
async function writePreview(path: string, source: string, frame: number, video: VideoInfo, crop: Crop | undefined): Promise<string> {
  const { sampleFrames } = await import('../../video/sample.ts');
  const { encodePng } = await import('../../video/png.ts');
  const c = crop ?? { top: 0, bottom: 0, left: 0, right: 0 };
  const w = video.width - c.left - c.right;
  const h = video.height - c.top - c.bottom;
  const scale = Math.min(1, 640 / w);
  const size = { width: Math.max(2, Math.round((w * scale) / 2) * 2), height: Math.max(2, Math.round((h * scale) / 2) * 2), ...(crop && { crop }) };
  const [rgb] = await sampleFrames(source, [frame], size);
  try {
    writeFileSync(path, encodePng(rgb, size.width, size.height));
  } catch (e) {
    throw new UserError(`cannot write the preview "${path}" (${(e as Error).message}); check the folder exists and is writable`);
  }
  return `preview    wrote ${path}: frame ${frame} as the crop leaves it (${size.height}x${size.width} px)`;
}

/** The suggestion's lines: the crop, why, the row profile, and how a given crop differs. */
function suggestionLines(s: CropSuggestion, video: VideoInfo, given: Crop | undefined): string[] {
  const c = s.crop;
  const lines = [
    `suggested  ${s.found ? `--crop ${c.top},${c.bottom},${c.left},${c.right}` : 'no crop'} (a suggestion from ${s.frames} sampled frames; check it with --preview or in the app's Data set view)`,
    `${PAD}${s.reason}`,
  ];
  if (s.rowScores.length) lines.push(`${PAD}row variation, top (row 0) to bottom (row ${video.height - 1}): ${sparkline(s.rowScores)} (max ${Math.max(...s.rowScores).toFixed(1)} grey levels)`);
  if (given && s.found) {
    const diff = (g: number, x: number, where: string) => (g === x ? null : `${Math.abs(g - x)} px ${g > x ? 'more' : 'less'} at the ${where}`);
    const d = [diff(given.top, c.top, 'top'), diff(given.bottom, c.bottom, 'bottom')].filter((x) => x !== null);
    lines.push(`${PAD}${d.length ? `the given crop cuts ${d.join(' and ')} than suggested` : 'the given crop is the suggested one'}`);
  }
  return lines;
}

/**
 * The crop facts of one source for `inspect`: JSON fields and lines.
 * `usable`: frame indices with a label (or every frame), where the
 * suggestion samples and the preview frame comes from.
 */
export async function cropFacts(
  source: string,
  video: VideoInfo,
  usable: readonly number[],
  o: { crop?: Crop; suggest: boolean; preview?: string },
): Promise<{ json: { crop: Crop | null; cropSuggestion: CropSuggestion | null }; lines: string[] }> {
  const lines: string[] = [];
  if (o.crop) {
    checkCrop(o.crop, video, source);
    lines.push(`crop       --crop ${o.crop.top},${o.crop.bottom},${o.crop.left},${o.crop.right} given: ${keptText(o.crop, video)}`);
  }
  if (o.preview) {
    const frame = usable.length ? usable[Math.floor(usable.length / 2)] : 0;
    lines.push(await writePreview(o.preview, source, frame, video, o.crop));
  }
  let suggestion: CropSuggestion | null = null;
  if (o.suggest && usable.length > 0) {
    const { suggestDriveCrop } = await import('../../video/sample.ts');
    suggestion = await suggestDriveCrop([{ source, frames: usable, durationS: video.durationS }], video);
    lines.push(...suggestionLines(suggestion, video, o.crop));
  }
  return { json: { crop: o.crop ?? null, cropSuggestion: suggestion }, lines };
}
