/**
 * `steerlab inspect <video|folder> [--labels FILE] [--crop T,B,L,R] [...] [--json]`:
 * what the lab sees in a data set: container facts from ffprobe (frame
 * times from packets, so variable frame rates are exact), the labels parsed
 * to degrees, how they match the frames, warnings, the crop given and a
 * suggested road crop from a small sample of decoded frames (_inspect-crop.ts).
 */
import type { Command } from 'commander';
import { addLabelFlags, labelOptionsFromFlags } from '../label-flags.ts';
import { UserError } from '../../errors.ts';
import type { AlignmentReport, LabelOptions, LabelSet } from '../../data/types.ts';
import type { Crop, VideoInfo } from '../../video/types.ts';
import { parseCrop } from './_flags.ts';
import { cropFacts } from './_inspect-crop.ts';

interface InspectFlags extends Record<string, unknown> {
  labels?: string[];
  offsetMs?: string;
  maxGapMs?: string;
  crop?: string;
  cropSuggestion?: boolean;
  preview?: string;
  lag?: boolean;
  json?: boolean;
}

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UserError(`${name} expects a number (got "${v}")`);
  return n;
}

/** --preview for source i of several: name.png, name-2.png, ... */
function previewPath(p: string | undefined, i: number): string | undefined {
  if (!p || i === 0) return p;
  return p.replace(/(\.png)?$/i, `-${i + 1}.png`);
}

function histogramLines(edges: number[], counts: number[]): string[] {
  const max = Math.max(1, ...counts);
  return counts.map((c, i) => `  ${edges[i].toFixed(0).padStart(6)} .. ${edges[i + 1].toFixed(0).padStart(6)} deg ${String(c).padStart(7)} ${'#'.repeat(Math.round((40 * c) / max))}`);
}

export function register(program: Command): void {
  const cmd = program
    .command('inspect')
    .description('show what the lab sees in a video or image folder and its steering labels (frames, fps, size, label match, angle range in degrees, warnings)')
    .argument('<source...>', 'video file, image folder, or numbered image sequence (e.g. frames/%05d.jpg); several for a data set of several videos')
    .option('--labels <file>', 'label file or folder (CSV/TSV, data.txt, driving_log.csv, Donkey tub); repeat, one per source, paired by order', (v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
  addLabelFlags(cmd)
    .option('--offset-ms <ms>', 'milliseconds added to label times before matching', '0')
    .option('--max-gap-ms <ms>', 'frames farther than this from a label are dropped (default: 2.5 label intervals, >= 200 ms)')
    .option('--crop <T,B,L,R>', 'source pixels cut off the top, bottom, left and right before resizing (sky, bonnet); shown against the suggested crop')
    .option('--no-crop-suggestion', 'skip the suggested crop (it decodes a sample of about 200 frames)')
    .option('--preview <file.png>', 'write a frame from the middle of the drive as the crop leaves it (PNG; with several sources, one file per source: name-2.png ...)')
    .option('--lag', 'also estimate the label-to-video offset from the picture (decodes every frame at 64x128; see `steerlab lag`)')
    .option('--json', 'print one JSON object on stdout')
    .action(async (sources: string[], o: InspectFlags) => {
      const labelList = o.labels ?? [];
      if (labelList.length > 0 && labelList.length !== sources.length) {
        throw new UserError(
          `got ${sources.length} source(s) and ${labelList.length} --labels; they are paired by order, so give one --labels per source: inspect a.mp4 b.mp4 --labels a.csv --labels b.csv`,
        );
      }
      const crop = parseCrop(o.crop);
      const shown: Awaited<ReturnType<typeof inspectOne>>[] = [];
      for (const [i, source] of sources.entries()) shown.push(await inspectOne(source, labelList[i], o, crop, previewPath(o.preview, i)));
      if (shown.length === 1) {
        process.stdout.write((o.json ? JSON.stringify(shown[0].out) : shown[0].lines.join('\n')) + '\n');
        return;
      }
      // Several videos: each as for one, plus totals over the data set they make together.
      const sum = (f: (x: (typeof shown)[number]['out']) => number): number => shown.reduce((n, x) => n + f(x.out), 0);
      const totals = {
        videos: shown.length,
        frames: sum((x) => x.video.frames),
        durationS: Number(sum((x) => x.video.durationS).toFixed(3)),
        matched: shown.every((x) => x.out.alignment) ? sum((x) => x.alignment?.matched ?? 0) : null,
      };
      if (o.json) {
        process.stdout.write(JSON.stringify({ sources, videos: shown.map((x) => x.out), totals }) + '\n');
        return;
      }
      const lines = shown.flatMap((x) => [...x.lines, '']);
      lines.push(`total      ${totals.videos} videos, ${totals.frames} frames, ${totals.durationS} s${totals.matched === null ? '' : `, ${totals.matched} frames matched to a label`}`);
      process.stdout.write(lines.join('\n') + '\n');
    });
}

/** Probes one source and matches its labels: the JSON object and the lines `inspect` prints for it. */
async function inspectOne(source: string, labelFile: string | undefined, o: InspectFlags, crop: Crop | undefined, preview: string | undefined) {
  const { isImageSource } = await import('../../video/decode.ts');
  // Parse the flags before touching any file, so a bad flag is the error shown.
  const opts = labelOptionsFromFlags(o);
  const offsetMs = num('--offset-ms', o.offsetMs) ?? 0;
  const images = isImageSource(source);
  const probed = await probeSource(source, images);
  const { video } = probed;
  const warnings = [...probed.warnings];
  const labelPath = labelFile ?? (images ? source : undefined);
  const matched = labelPath ? await matchLabels(source, labelPath, !labelFile, probed, { opts, offsetMs, maxGapMs: o.maxGapMs }, warnings) : null;
  const usable = matched?.usable ?? Array.from({ length: video.frames }, (_, f) => f);
  const cropped = await cropFacts(source, video, usable, { crop, suggest: o.cropSuggestion !== false, preview });
  const lag = o.lag ? await (await import('./lag.ts')).lagSection(source, matched ? labelPath : undefined, opts, crop) : null;
  const out = {
    source,
    video: {
      path: video.path,
      frames: video.frames,
      fps: Number(video.fps.toFixed(4)),
      width: video.width,
      height: video.height,
      durationS: Number(video.durationS.toFixed(3)),
      codec: video.codec,
      rotationDeg: video.rotationDeg,
      variableFrameRate: video.variableFrameRate,
    },
    labels: matched?.json ?? null,
    alignment: matched?.alignment ?? null,
    crop: cropped.json.crop,
    cropSuggestion: cropped.json.cropSuggestion,
    ...(lag && { lag: lag.json }),
    warnings,
  };
  const v = out.video;
  const lines = [
    `source     ${source}`,
    `video      ${v.frames} frames, ${v.fps} fps${v.variableFrameRate ? ' (variable)' : ''}, ${v.durationS} s, ${v.height}x${v.width} px (HxW), ${v.codec}${v.rotationDeg ? `, rotated ${v.rotationDeg} deg` : ''}`,
    ...(matched ? labelLines(matched.json) : ['labels     none (pass --labels FILE)']),
    ...cropped.lines,
    ...(lag?.lines ?? []),
    ...warnings.map((w) => `warning    ${w}`),
  ];
  return { out, lines };
}

/** What a source holds: its video facts, every frame's time in seconds, image names (image folders) and probe warnings. */
interface Probed {
  video: VideoInfo;
  frameTimesS: Float64Array;
  names?: string[];
  warnings: string[];
}

/** Probes a video with ffprobe (packet times, so variable frame rates are exact) or lists an image folder. */
async function probeSource(source: string, images: boolean): Promise<Probed> {
  const { statSync } = await import('node:fs');
  const { basename } = await import('node:path');
  if (images) {
    const { describeImages } = await import('../../video/dataset.ts');
    const d = await describeImages(source);
    return { video: d.video, names: d.names, frameTimesS: Float64Array.from(d.names, (_, i) => i / d.video.fps), warnings: [] };
  }
  try {
    statSync(source);
  } catch {
    throw new UserError(`"${source}": no such video or image folder; check the path (quote it if it has spaces)`);
  }
  const { probeVideoDetailed } = await import('../../video/probe.ts');
  const p = await probeVideoDetailed(source);
  const video = p.info;
  const warnings = [...p.warnings];
  if (video.variableFrameRate) warnings.push(`${basename(source)} has a variable frame rate (average ${video.fps.toFixed(2)} fps); frames are matched to labels by their own timestamps`);
  if (video.rotationDeg) warnings.push(`${basename(source)} is stored rotated by ${video.rotationDeg} deg; frames are turned upright when decoded (size shown upright)`);
  return { video, frameTimesS: p.frameTimesS, warnings };
}

/**
 * Reads the labels (the --labels file, or the image folder's own when
 * `optional`) and matches them to the frames; null when an optional label
 * file is missing or unreadable. `usable` lists the frames with a label: what
 * training sees, so what the crop suggestion samples. Pushes label and
 * alignment warnings onto `warnings`.
 */
async function matchLabels(
  source: string,
  labelPath: string,
  optional: boolean,
  probed: Probed,
  o: { opts: LabelOptions; offsetMs: number; maxGapMs: string | undefined },
  warnings: string[],
) {
  const { basename } = await import('node:path');
  const { defaultMaxGapMs, coverageWarning } = await import('../../video/dataset.ts');
  const { readLabels } = await import('../../data/read-labels.ts');
  const { alignByFrame, alignByImage, alignByTime, describeAlignment } = await import('../../data/align.ts');
  const { offsetMs } = o;
  let labels;
  try {
    labels = await readLabels(labelPath, o.opts);
  } catch (e) {
    // An image folder without a label file is still worth inspecting.
    if (optional && e instanceof UserError) return null;
    throw e;
  }
  const { video, frameTimesS, names } = probed;
  warnings.push(...labels.warnings);
  const maxGapMs = num('--max-gap-ms', o.maxGapMs) ?? defaultMaxGapMs(labels);
  let r;
  if (labels.key === 'time') r = alignByTime(frameTimesS, labels.rows, { offsetMs, maxGapMs });
  else if (labels.key === 'frame') r = alignByFrame(video.frames, labels.rows, { fps: video.fps });
  else if (names) r = alignByImage(names, labels.rows);
  else throw new UserError(`${labels.path} names images, but "${source}" is a video; inspect the image folder instead, or use labels with a time or frame column`);
  const usable: number[] = [];
  for (let f = 0; f < r.anglesDeg.length; f++) if (Number.isFinite(r.anglesDeg[f])) usable.push(f);
  warnings.push(...describeAlignment(r.report, video.frames).map((w) => `${basename(labels.path)}: ${w}`));
  const cover = coverageWarning(labels, frameTimesS, offsetMs, r.report.unmatchedFrames);
  if (cover) warnings.push(cover);
  return { json: await labelsJson(labels, r.report), alignment: r.report, usable };
}

/** The labels' JSON for inspect: rows, how they matched, units, sign and angle statistics in degrees. */
async function labelsJson(labels: LabelSet, report: AlignmentReport) {
  const { angleStats } = await import('../../data/stats.ts');
  const st = angleStats(labels.rows.map((row) => row.steeringDeg));
  const fin = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(3)) : null);
  return {
    path: labels.path,
    format: labels.format,
    key: labels.key,
    rows: labels.rows.length,
    matched: report.matched,
    unmatchedFrames: report.unmatchedFrames,
    unmatchedLabels: report.unmatchedLabels,
    units: labels.units,
    unitsInferred: labels.unitsInferred,
    sign: labels.sign,
    minDeg: fin(st.minDeg),
    maxDeg: fin(st.maxDeg),
    meanDeg: fin(st.meanDeg),
    stdDeg: fin(st.stdDeg),
    histogram: st.histogram,
    extras: [...new Set(labels.rows.flatMap((row) => Object.keys(row.extras)))],
  };
}

type LabelsJson = Awaited<ReturnType<typeof labelsJson>>;

/** The labels' lines of `inspect`: rows, matching, angle range in degrees and a histogram. */
function labelLines(l: LabelsJson): string[] {
  return [
    `labels     ${l.rows} rows from ${l.path} (${l.format}, matched by ${l.key}; units ${l.units}${l.unitsInferred ? ' (inferred)' : ''}, ${l.sign})`,
    `matched    ${l.matched} frames; ${l.unmatchedFrames} frames without a label; ${l.unmatchedLabels} labels without a frame`,
    `angle      ${l.minDeg} deg to ${l.maxDeg} deg, mean ${l.meanDeg} deg, std ${l.stdDeg} deg (steering wheel, positive = right)`,
    'histogram (label rows):',
    ...histogramLines(l.histogram.edgesDeg, l.histogram.counts),
  ];
}
