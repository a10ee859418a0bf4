/** An input size that cannot fit is refused up front with the estimate, instead of paging for ever. */
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { ModelConfig } from '../../src/model/config.ts';
import { assertTrainingFits, estimateTrainingMemory } from '../../src/train/memory-fit.ts';

const GiB = 2 ** 30;
const model = (height: number, width: number) => ModelConfig.parse({ input: { height, width } });

describe('memory fit', () => {
  it('refuses --input 4096x4096 with the estimate and the fix', () => {
    const run = () => assertTrainingFits(model(4096, 4096), 32, { frameCacheBytes: 512 * 2 ** 20, frames: 400, availableBytes: 16 * GiB });
    expect(run).toThrow(UserError);
    expect(run).toThrow(
      'input 4096x4096 (HxW) at batch size 32 needs about 102.3 GiB of memory (activations 65.5 GiB, model 24.3 GiB, batches 12.0 GiB, frame cache 512.0 MiB) but this machine has 16.0 GiB to give; use a smaller --input (e.g. 66x200) or --batch-size',
    );
  });

  it('lets the default 66x200 run through on a small machine, and grows with the input', () => {
    expect(() => assertTrainingFits(model(66, 200), 32, { frameCacheBytes: 512 * 2 ** 20, frames: 3000, availableBytes: 1 * GiB })).not.toThrow();
    const a = estimateTrainingMemory(model(66, 200), 32, { frameCacheBytes: 0 }).total;
    const b = estimateTrainingMemory(model(132, 400), 32, { frameCacheBytes: 0 }).total;
    expect(b).toBeGreaterThan(3 * a);
  });
});
