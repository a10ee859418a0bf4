import { describe, expect, it, vi } from 'vitest';
import { createProgress } from '../../src/cli/commands/_progress.ts';

describe('progress on stderr', () => {
  it('prints the data set warnings as soon as the data set is ready', async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (written.push(String(s)), true));
    try {
      const p = await createProgress();
      p.onEvent({
        type: 'dataset-ready', cacheHit: false, engine: 'wasm',
        dataset: { source: 'd.mp4', labels: null, input: { width: 200, height: 66 }, frames: 10, samples: 9, trainSamples: 6, valSamples: 2, valBlocks: [], fps: 20, warnings: ['the labels cover only 50% of the video'] },
      });
      p.stop();
    } finally {
      spy.mockRestore();
    }
    expect(written.join('')).toContain('warning: the labels cover only 50% of the video');
  });
});
