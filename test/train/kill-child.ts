/** Child process for the kill-and-resume test: trains with checkpoints until it is killed. */
import { initEngine } from '../../src/engine/index.ts';
import { trainRun } from '../../src/train/trainer.ts';
import { linearTask } from './fixtures.ts';
import { killConfig } from './kill-config.ts';

await initEngine('cpu');
await trainRun({ config: killConfig, data: linearTask(), runDir: process.argv[2] });
