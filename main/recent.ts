/** Recently opened data sets, newest first, stored as JSON in the user's data folder. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface RecentDataset {
  source: string;
  labels: string | null;
}

export const MAX_RECENT = 10;

/** Puts `item` first, drops duplicates of the same source+labels, keeps MAX_RECENT. */
export function addRecent(list: RecentDataset[], item: RecentDataset): RecentDataset[] {
  return [item, ...list.filter((r) => r.source !== item.source || r.labels !== item.labels)].slice(0, MAX_RECENT);
}

export function readRecent(file: string): RecentDataset[] {
  if (!existsSync(file)) return [];
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (!Array.isArray(v)) return [];
    return v.filter((r): r is RecentDataset => typeof r?.source === 'string' && (r.labels === null || typeof r.labels === 'string')).slice(0, MAX_RECENT);
  } catch {
    return [];
  }
}

export function writeRecent(file: string, list: RecentDataset[]): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(list, null, 2));
}
