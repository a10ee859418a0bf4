import { copyFileSync, mkdirSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, UserError } from '../../src/errors.ts';
import { openFrameCache } from '../../src/video/cache.ts';
import { loadDataset } from '../../src/video/dataset.ts';
import { spawnCount } from '../../src/video/ffmpeg.ts';
import type { DatasetSpec } from '../../src/video/types.ts';
import { indexColour, meanRgb, tempDir, writeIndexVideo } from './fixtures.ts';

const dir = tempDir();
const video = join(dir, 'drive.mp4');
const labels = join(dir, 'labels.csv');
/** Steering of frame i: 10*i - 300 degrees (so a frame's label also identifies it). */
const deg = (i: number) => 10 * i - 300;

function labelCsv(from: number, to: number): string {
  const rows = ['frame_index,timestamp_s,steering_deg'];
  for (let i = from; i < to; i++) rows.push(`${i},${(i / 30).toFixed(6)},${deg(i)}`);
  return rows.join('\n') + '\n';
}

beforeAll(async () => {
  await writeIndexVideo(video);
  writeFileSync(labels, labelCsv(0, 60));
});

const spec = (o: Partial<DatasetSpec> = {}): DatasetSpec => ({ source: video, labels, input: { width: 32, height: 16 }, ...o });

describe('loadDataset', () => {
  it('decodes into the cache once; the second load is a cache hit that spawns no ffmpeg and reads the same pixels', async () => {
    const cacheDir = join(dir, 'cache-a');
    const progress: number[] = [];
    const a = await loadDataset(spec(), { cacheDir, onProgress: (p) => progress.push(p.done) });
    expect(a.cacheHit).toBe(false);
    expect(a.frames.count).toBe(60);
    expect(a.alignment.matched).toBe(60);
    expect(a.sampleFrame.length).toBe(60);
    expect(progress.at(-1)).toBe(60);
    for (const i of [0, 31, 59]) {
      expect(a.anglesDeg[i]).toBeCloseTo(deg(a.sampleFrame[i]), 4);
      const px = meanRgb(a.frames.read(i), 32, 0, 12, 0, 16);
      expect(Math.abs(px[0] - indexColour(i)[0])).toBeLessThan(4);
    }
    const frame17 = a.frames.read(17).slice();
    a.frames.close();

    const before = spawnCount();
    const b = await loadDataset(spec(), { cacheDir });
    expect(b.cacheHit).toBe(true);
    expect(spawnCount()).toBe(before);
    expect(b.frames.read(17)).toEqual(frame17);
    expect(Array.from(b.frames.timestampsS.slice(0, 3))).toEqual([0, 1 / 30, 2 / 30].map((t) => Math.round(t * 1e6) / 1e6));
    b.frames.close();
  });

  it('a different crop or size is a different cache entry', async () => {
    const cacheDir = join(dir, 'cache-b');
    (await loadDataset(spec(), { cacheDir })).frames.close();
    const c = await loadDataset(spec({ crop: { top: 0, bottom: 0, left: 0, right: 32 } }), { cacheDir });
    expect(c.cacheHit).toBe(false);
    c.frames.close();
    expect(readdirSync(cacheDir).filter((f) => f.endsWith('.slfc'))).toHaveLength(2);
  });

  it('cancelling mid-decode leaves no cache file and no temp file, and the next load decodes afresh', async () => {
    const cacheDir = join(dir, 'cache-c');
    const ac = new AbortController();
    await expect(
      loadDataset(spec(), { cacheDir, signal: ac.signal, onProgress: (p) => p.done >= 1 && ac.abort() }),
    ).rejects.toBeInstanceOf(CancelledError);
    expect(readdirSync(cacheDir)).toEqual([]);
    const again = await loadDataset(spec(), { cacheDir });
    expect(again.cacheHit).toBe(false);
    again.frames.close();
  });

  it('never trusts a damaged cache file: a truncated one is rejected and rebuilt', async () => {
    const cacheDir = join(dir, 'cache-d');
    const a = await loadDataset(spec(), { cacheDir });
    a.frames.close();
    truncateSync(a.cachePath, 1000);
    expect(openFrameCache(a.cachePath)).toBeNull();
    const b = await loadDataset(spec(), { cacheDir });
    expect(b.cacheHit).toBe(false);
    expect(b.frames.count).toBe(60);
    b.frames.close();
  });

  it('labels covering only part of the video: the covered frames are kept, with a warning naming the file and the fix', async () => {
    const partial = join(dir, 'partial.csv');
    // Time-keyed (no frame column) so matching is by timestamp.
    writeFileSync(partial, 'timestamp_s,steering_deg\n' + Array.from({ length: 30 }, (_, i) => `${(i / 30).toFixed(6)},${deg(i)}`).join('\n') + '\n');
    const d = await loadDataset(spec({ labels: partial }), { cacheDir: join(dir, 'cache-e') });
    expect(d.alignment.method).toBe('time');
    expect(d.alignment.matched).toBeGreaterThanOrEqual(30);
    expect(d.alignment.matched).toBeLessThan(40);
    const w = d.warnings.find((x) => x.includes('partial.csv') && x.includes('--offset-ms'));
    expect(w).toBeDefined();
    d.frames.close();
  });

  it('labels matching no frame are one UserError naming both files', async () => {
    const late = join(dir, 'late.csv');
    writeFileSync(late, 'timestamp_s,steering_deg\n100,1\n100.05,2\n100.1,3\n');
    const e = await loadDataset(spec({ labels: late }), { cacheDir: join(dir, 'cache-f') }).catch((x) => x);
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toMatch(/drive\.mp4/);
    expect(e.message).toMatch(/late\.csv/);
  });

  it('works with a path holding spaces and non-ASCII characters', async () => {
    const odd = join(dir, 'my drive ü 日本', "it's here");
    mkdirSync(odd, { recursive: true });
    const v = join(odd, 'vidéo 1.mp4');
    const l = join(odd, 'étiquettes.csv');
    copyFileSync(video, v);
    copyFileSync(labels, l);
    const d = await loadDataset({ source: v, labels: l, input: { width: 16, height: 8 } }, { cacheDir: join(odd, 'cache dir') });
    expect(d.frames.count).toBe(60);
    expect(d.alignment.matched).toBe(60);
    d.frames.close();
  });

  it('maxFrames decodes only the first N frames', async () => {
    const d = await loadDataset(spec({ maxFrames: 20 }), { cacheDir: join(dir, 'cache-g') });
    expect(d.frames.count).toBe(20);
    expect(d.alignment.matched).toBe(20);
    d.frames.close();
  });
});

describe('image folders', () => {
  it("loads a Sully-style folder (N.jpg + data.txt) in natural order, labels matched by image name", async () => {
    const { PNG } = await import('pngjs');
    const folder = join(dir, 'sully set');
    mkdirSync(folder);
    const lines: string[] = [];
    for (let i = 0; i < 12; i++) {
      const png = new PNG({ width: 16, height: 8 });
      const [r, g, b] = indexColour(i);
      for (let p = 0; p < 16 * 8; p++) png.data.set([r, g, b, 255], p * 4);
      writeFileSync(join(folder, `${i}.png`), PNG.sync.write(png));
      lines.push(`${i}.png ${deg(i)}`);
    }
    writeFileSync(join(folder, 'data.txt'), lines.join('\n') + '\n');
    const d = await loadDataset({ source: folder, input: { width: 8, height: 4 } }, { cacheDir: join(dir, 'cache-img') });
    expect(d.labels.format).toBe('sully');
    expect(d.alignment.method).toBe('image');
    expect(d.alignment.matched).toBe(12);
    expect(d.video).toMatchObject({ frames: 12, width: 16, height: 8 });
    // Frame 10 (after 2, not after 1) carries the label of 10.png and its colour.
    expect(d.anglesDeg[10]).toBe(deg(10));
    expect(Math.round(d.frames.read(10)[0] / 4)).toBe(10);
    d.frames.close();
    const again = await loadDataset({ source: folder, input: { width: 8, height: 4 } }, { cacheDir: join(dir, 'cache-img') });
    expect(again.cacheHit).toBe(true);
    again.frames.close();
  });

  it('orders samples by the label rows (time), not by image name, so a block split cannot interleave moments', async () => {
    const { PNG } = await import('pngjs');
    const folder = join(dir, 'reverse named');
    mkdirSync(folder);
    const lines: string[] = [];
    // Label row k (time order) names image "<letter>.png" with letters descending: name order is the reverse of time.
    for (let k = 0; k < 6; k++) {
      const png = new PNG({ width: 16, height: 8 });
      const [r, g, b] = indexColour(k);
      for (let p = 0; p < 16 * 8; p++) png.data.set([r, g, b, 255], p * 4);
      const name = `${String.fromCharCode(102 - k)}.png`;
      writeFileSync(join(folder, name), PNG.sync.write(png));
      lines.push(`${name} ${deg(k)}`);
    }
    writeFileSync(join(folder, 'data.txt'), lines.join('\n') + '\n');
    const d = await loadDataset({ source: folder, input: { width: 8, height: 4 } }, { cacheDir: join(dir, 'cache-rev') });
    expect(Array.from(d.anglesDeg)).toEqual([0, 1, 2, 3, 4, 5].map(deg));
    // Sample k's frame is the image of moment k (its colour encodes k).
    for (let k = 0; k < 6; k++) expect(Math.round(d.frames.read(d.sampleFrame[k])[0] / 4)).toBe(k);
    expect(Array.from(d.sampleFrame)).toEqual([5, 4, 3, 2, 1, 0]);
    d.frames.close();
  });
});

describe('crash safety', () => {
  it('a temp file left by a killed process is never read and is cleaned up by the next write', async () => {
    const cacheDir = join(dir, 'cache-crash');
    const first = await loadDataset(spec(), { cacheDir });
    first.frames.close();
    const { rmSync } = await import('node:fs');
    rmSync(first.cachePath);
    // What a SIGKILLed writer leaves: "<final>.<pid>.<random>.tmp" with some frames and no footer (pid 2^22+1 is never alive on Linux).
    const stale = `${first.cachePath}.${4194305}.abc123.tmp`;
    writeFileSync(stale, Buffer.alloc(32 * 16 * 3 * 5, 7));
    const again = await loadDataset(spec(), { cacheDir });
    expect(again.cacheHit).toBe(false);
    expect(again.frames.count).toBe(60);
    again.frames.close();
    expect(readdirSync(cacheDir).sort()).toEqual([first.cachePath.split('/').pop()]);
  });
});
