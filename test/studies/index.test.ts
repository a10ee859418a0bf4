import { describe, expect, it } from 'vitest';
import { findStudy, runStudy, STUDIES } from '../../src/studies/index.ts';

describe('study registry', () => {
  it('lists the six studies with defaults and valid quick options', () => {
    expect(STUDIES.map((s) => s.name)).toEqual(['init-activation', 'relu-blowup', 'multi-loss', 'deep-cnn-gradients', 'output-head', 'backprop-vs-gd']);
    for (const s of STUDIES) {
      expect(s.title.length).toBeGreaterThan(5);
      expect(s.schema.parse({ ...s.quick })).toMatchObject(s.quick);
      expect(s.defaults).toEqual(s.schema.parse({}));
    }
    expect(findStudy('nope')).toBeUndefined();
  });

  it('runStudy returns the issue keys plus conclusions', async () => {
    const r = await runStudy('backprop-vs-gd', { gdSteps: 300, samples: 40, valSamples: 40, hidden: [4] }, { quick: true });
    for (const k of findStudy('backprop-vs-gd')!.keys) expect(r).toHaveProperty(k);
    expect(r.conclusions.length).toBeGreaterThan(3);
    await expect(runStudy('nope', {})).rejects.toThrow(/unknown study/);
  });
});
