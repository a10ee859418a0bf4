import { describe, it, expect, beforeAll } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initEngine } from '../../src/engine/index.ts';
import { trainRun } from '../../src/train/trainer.ts';
import { linearTask } from './fixtures.ts';
import { killConfig } from './kill-config.ts';

const here = dirname(fileURLToPath(import.meta.url));

beforeAll(async () => {
  await initEngine('cpu');
});

describe('kill and resume', () => {
  it('a training process killed with SIGKILL resumes from its last checkpoint to the same result as an uninterrupted run', { timeout: 150_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'core-kill-'));
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'kill-child.ts'), dir], { stdio: 'ignore', env: { ...process.env, STEERLAB_ENGINE: 'cpu' } });
    const ckpt = join(dir, 'checkpoints', 'checkpoint.json');
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const deadline = Date.now() + 120_000;
    while (!existsSync(ckpt) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await exited;
    const killedAt = JSON.parse(await readFile(ckpt, 'utf8')).epoch as number;
    expect(killedAt).toBeLessThan(3); // it really was interrupted before the end

    const resumed = await trainRun({ config: killConfig, data: linearTask(), runDir: dir, resume: true });
    const full = await trainRun({ config: killConfig, data: linearTask() });
    expect(resumed.result.status).toBe('completed');
    expect(resumed.history.epochs.map((e) => [e.epoch, e.trainLoss, e.valLoss])).toEqual(full.history.epochs.map((e) => [e.epoch, e.trainLoss, e.valLoss]));
    expect(resumed.model.getWeights()).toEqual(full.model.getWeights());
    expect(resumed.result.val).toEqual(full.result.val);
    resumed.model.dispose();
    full.model.dispose();
  });
});
