import { describe, expect, it } from 'vitest';
import { runStudy } from '../../src/studies/index.ts';
import type { ReluRun } from '../../src/studies/relu-blowup.ts';

// The quick preset is what the app's "quick" button and `--quick` run: it must still show the effect the study is
// about (ReLU fails where tanh trains), not only finish.
describe('relu-blowup quick preset', () => {
  it('shows ReLU failing where tanh still trains, in a few seconds', async () => {
    const t0 = performance.now();
    const r = await runStudy('relu-blowup', {}, { quick: true });
    const seconds = (performance.now() - t0) / 1000;
    const text = r.conclusions.join('\n');
    expect(text).toContain('ReLU failed where tanh trained');
    expect(text).not.toContain('Wherever ReLU failed, tanh failed too');
    const sweep = (r.runs as ReluRun[]).filter((x) => x.role === 'sweep');
    const at = (act: string, lr: number) => sweep.find((x) => x.activation === act && x.lr === lr)!;
    const lrs = [...new Set(sweep.map((x) => x.lr))];
    // Some learning rate where tanh trains and ReLU does not, and one where both train (the contrast is the rate).
    expect(lrs.some((lr) => at('tanh', lr).failure === null && at('relu', lr).failure !== null)).toBe(true);
    expect(lrs.some((lr) => at('tanh', lr).failure === null && at('relu', lr).failure === null)).toBe(true);
    expect(seconds).toBeLessThan(30);
  }, 60_000);
});
