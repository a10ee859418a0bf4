import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/video/dataset.ts';
import { tempDir, writeIndexVideo } from './fixtures.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');

describe('a process killed while writing the cache', () => {
  it('leaves no file a later run trusts; the later run decodes afresh and removes the leftover', async () => {
    const dir = tempDir();
    const video = join(dir, 'long.mp4');
    await writeIndexVideo(video, { frames: 600, width: 320, height: 240 });
    const labels = join(dir, 'labels.csv');
    writeFileSync(labels, 'frame_index,steering_deg\n' + Array.from({ length: 600 }, (_, i) => `${i},${i % 50}`).join('\n') + '\n');
    const cacheDir = join(dir, 'cache');
    const script = join(dir, 'load.mts');
    writeFileSync(
      script,
      `import { loadDataset } from ${JSON.stringify(join(ROOT, 'src/video/dataset.ts'))};\n` +
        `await loadDataset({ source: ${JSON.stringify(video)}, labels: ${JSON.stringify(labels)}, input: { width: 160, height: 120 } }, { cacheDir: ${JSON.stringify(cacheDir)} });\n`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: 'ignore' });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    // Kill it (no chance to clean up) as soon as its temp file exists.
    let sawTemp = false;
    for (let i = 0; i < 1500 && !sawTemp; i++) {
      await new Promise((r) => setTimeout(r, 10));
      try {
        sawTemp = readdirSync(cacheDir).some((f) => f.endsWith('.tmp'));
      } catch {
        /* not created yet */
      }
    }
    expect(sawTemp).toBe(true);
    child.kill('SIGKILL');
    await exited;
    const left = readdirSync(cacheDir);
    expect(left.some((f) => f.endsWith('.slfc'))).toBe(false);

    const d = await loadDataset({ source: video, labels, input: { width: 160, height: 120 } }, { cacheDir });
    expect(d.cacheHit).toBe(false);
    expect(d.frames.count).toBe(600);
    d.frames.close();
    expect(readdirSync(cacheDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
