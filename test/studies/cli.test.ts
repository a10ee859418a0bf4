import { describe, expect, it } from 'vitest';
import { runCliSync } from '../helpers/cli.ts';

const cli = (args: string[]) => runCliSync(['study', ...args], { timeoutMs: 90_000 });

describe('steerlab study', () => {
  it('--json prints exactly one JSON object with the issue keys and conclusions', () => {
    const r = cli(['backprop-vs-gd', '--quick', '--json', '--set', 'gdSteps=300', '--set', 'hidden=[4]']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const j = JSON.parse(lines[0]);
    for (const k of ['gradRelError', 'backpropMs', 'finiteDiffMs', 'linearNetVsOlsMaxCoefDiff', 'reluVsLinearValMse', 'conclusions']) expect(j).toHaveProperty(k);
    expect(j.reluVsLinearValMse).toHaveProperty('ols');
  }, 90_000);

  it('lists studies, and rejects unknown names and options in one line', () => {
    const list = cli([]);
    expect(list.stdout).toContain('output-head');
    const bad = cli(['nope']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain("unknown study 'nope'");
    const opt = cli(['backprop-vs-gd', '--engine', 'cpu']);
    expect(opt.code).not.toBe(0);
    expect(opt.stderr).toContain('has no --engine option');
    const val = cli(['multi-loss', '--set', 'lossWeights=[1]']);
    expect(val.code).not.toBe(0);
    expect(val.stderr).toContain('lossWeights');
  }, 90_000);
});
