/**
 * DonkeyCar tub v2: `manifest.json` is JSON lines (inputs, types, metadata,
 * manifest metadata, then {paths, current_index, max_len, deleted_indexes});
 * each `catalog_N.catalog` is JSON lines of records such as
 * {"_index": 0, "_timestamp_ms": 1608..., "cam/image_array": "0_cam_image_array_.jpg",
 *  "user/angle": -0.25, "user/throttle": 0.3, "user/mode": "user"}.
 * user/angle is normalised to [-1, 1], positive = right; images live in images/.
 */
import type { LabelOptions, LabelSet } from './types.ts';
import { convertRawRows, type RawRow } from './convert-rows.ts';
import { lineError, shortName } from './problems.ts';

/**
 * Degrees assumed for user/angle = 1 when --full-scale is not given: a Donkey
 * car's angle drives a servo, not a wheel, so this is a stated guess (about
 * the front-wheel lock of a 1:10 car), announced in a warning.
 */
export const DONKEY_DEFAULT_FULL_SCALE_DEG = 25;

interface ManifestInfo {
  paths: string[];
  deleted: Set<number>;
}

/** Reads the manifest's JSON lines; the last object with `paths` wins. */
export function parseDonkeyManifest(text: string, file = 'manifest.json'): ManifestInfo {
  let info: ManifestInfo | null = null;
  for (const { value: v } of jsonLines(file, text, 'restore the tub manifest (each line is one JSON value)')) {
    if (v && typeof v === 'object' && Array.isArray((v as { paths?: unknown }).paths)) {
      const o = v as { paths: unknown[]; deleted_indexes?: unknown[] };
      info = {
        paths: o.paths.filter((p): p is string => typeof p === 'string'),
        deleted: new Set((o.deleted_indexes ?? []).filter((d): d is number => typeof d === 'number')),
      };
    }
  }
  if (!info) throw lineError(file, null, 'no line with "paths" (the catalog list) found', 'pass the manifest.json of a DonkeyCar tub v2');
  return info;
}

/** True when the text is JSON lines with a user/angle field (a catalog). */
export function looksLikeDonkeyCatalog(text: string): boolean {
  const first = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  return first.trim().startsWith('{') && first.includes('"user/angle"');
}

/** Records of one catalog file, each with its 1-based line. */
function catalogRecords(name: string, text: string): { rec: Record<string, unknown>; line: number }[] {
  return jsonLines(name, text, 'delete the broken record (a crash while recording can cut the last line)')
    .filter(({ value: v }) => v && typeof v === 'object' && !Array.isArray(v))
    .map(({ value, line }) => ({ rec: value as Record<string, unknown>, line }));
}

/** Parses JSON lines (blank lines skipped); a bad line is a UserError naming the file, the line and `fix`. */
function jsonLines(file: string, text: string, fix: string): { value: unknown; line: number }[] {
  const out: { value: unknown; line: number }[] = [];
  text.split(/\r?\n/).forEach((l, i) => {
    if (l.trim() === '') return;
    try {
      out.push({ value: JSON.parse(l), line: i + 1 });
    } catch {
      throw lineError(file, i + 1, 'is not valid JSON', fix);
    }
  });
  return out;
}

/**
 * Parses a tub from its manifest text and catalog texts (pure). Catalogs are
 * read in the manifest's order; records in deleted_indexes are skipped. When
 * manifestText is null the catalogs are read in the given order.
 */
export function parseDonkeyTub(
  manifestText: string | null,
  catalogTexts: { name: string; text: string }[],
  opts: LabelOptions,
  tubPath = 'tub',
): LabelSet {
  const warnings: string[] = [];
  const manifest = manifestText === null ? null : parseDonkeyManifest(manifestText);
  const byName = new Map(catalogTexts.map((c) => [shortName(c.name), c]));
  const order = manifest ? manifest.paths.map((p) => shortName(p)) : catalogTexts.map((c) => shortName(c.name));
  const rows: RawRow[] = [];
  let lastIndex = -Infinity;
  let lastWhere = '';
  for (const name of order) {
    const cat = byName.get(name);
    if (!cat) {
      warnings.push(`${shortName(tubPath)}: catalog ${name} is listed in manifest.json but missing; its records are skipped`);
      continue;
    }
    for (const { rec, line } of catalogRecords(name, cat.text)) {
      const index = typeof rec._index === 'number' ? rec._index : rows.length;
      if (manifest?.deleted.has(index)) continue;
      const angle = rec['user/angle'];
      if (typeof angle !== 'number' || !Number.isFinite(angle)) {
        throw lineError(name, line, `"user/angle" is ${angle === undefined ? 'missing' : JSON.stringify(angle)}, not a number`, 'fix or delete the record');
      }
      if (!(index > lastIndex)) {
        throw lineError(name, line, `_index ${index} is not after ${lastWhere} (${lastIndex})`, 'keep records in recording order without duplicates');
      }
      lastIndex = index;
      lastWhere = `${name} line ${line}`;
      const img = rec['cam/image_array'];
      const row: RawRow = { frameIndex: index, raw: angle, extras: {}, line };
      if (typeof img === 'string' && img !== '') row.image = `images/${img}`;
      if (typeof rec._timestamp_ms === 'number') row.timeS = rec._timestamp_ms;
      for (const [k, v] of Object.entries(rec)) {
        if (k.startsWith('_') || k === 'user/angle' || typeof v !== 'number' || !Number.isFinite(v)) continue;
        row.extras[k] = v;
      }
      rows.push(row);
    }
  }
  if (rows.length === 0) throw lineError(shortName(tubPath), null, 'the tub has no records', 'record a drive or pass another tub folder');
  // Milliseconds since the epoch -> seconds from the first record, when every record has one.
  if (rows.every((r) => r.timeS !== undefined)) {
    const t0 = rows[0].timeS as number;
    for (const r of rows) r.timeS = ((r.timeS as number) - t0) / 1000;
  } else for (const r of rows) delete r.timeS;
  return convertRawRows({
    path: tubPath,
    format: 'donkey',
    key: rows.every((r) => r.image !== undefined) ? 'image' : 'frame',
    rows,
    opts,
    defaults: { units: 'normalized', labelFullScaleDeg: DONKEY_DEFAULT_FULL_SCALE_DEG, labelFullScaleIsGuess: true, sign: 'positive-right' },
    warnings,
  });
}
