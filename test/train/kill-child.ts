/** Child process for the kill-and-resume test: trains with checkpoints until it is killed. */
import { initEngine } from '../../src/engine/index.ts';
import { trainRun } from '../../src/train/trainer.ts';
import type { SampleSource } from '../../src/train/data.ts';
import { linearTask } from './fixtures.ts';
import { killConfig } from './kill-config.ts';

await initEngine('cpu');
const data = linearTask();
// Slow reads (40 ms a batch) give the parent time to kill us mid-run; they do not change any number.
const base: SampleSource = data.train;
const slow: SampleSource = { size: base.size, anglesDeg: base.anglesDeg, batch: async (idx, rng) => { await new Promise((r) => setTimeout(r, 40)); return base.batch(idx, rng); } };
await trainRun({ config: killConfig, data: { ...data, train: slow }, runDir: process.argv[2] });
