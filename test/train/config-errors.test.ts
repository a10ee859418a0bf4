import { describe, expect, it } from 'vitest';
import { DataSectionSchema } from '../../src/cli/commands/_data-section.ts';
import { closest, describeConfigIssues, knownFields } from '../../src/train/config-errors.ts';
import { RunConfig } from '../../src/train/config.ts';

describe('strict configs with errors that name the field', () => {
  it('every nested object refuses unknown fields, each named with its dotted path and the closest known field', () => {
    const r = RunConfig.safeParse({ model: { activaton: 'relu', input: { height: 66, width: 200, chanels: 3 } }, optimizer: { learningrate: 5 }, split: { sed: 2 } });
    expect(r.success).toBe(false);
    const msg = describeConfigIssues(RunConfig, r.error!.issues);
    expect(msg).toContain("unknown field 'model.activaton' (did you mean 'model.activation'?)");
    expect(msg).toContain("unknown field 'optimizer.learningrate' (did you mean 'optimizer.learningRate'?)");
    expect(msg).toContain("unknown field 'model.input.chanels' (did you mean 'model.input.channels'?)");
    expect(msg).toContain("unknown field 'split.sed' (did you mean 'split.seed'?)");
  });
  it('the data section of a config file is strict too, its paths prefixed with data', () => {
    const d = DataSectionSchema.safeParse({ maxFrmes: 10, crop: { top: 1, bottom: 0, left: 0, right: 0, rigth: 3 } });
    const msg = describeConfigIssues(DataSectionSchema, d.error!.issues, ['data']);
    expect(msg).toContain("unknown field 'data.maxFrmes' (did you mean 'data.maxFrames'?)");
    expect(msg).toContain("unknown field 'data.crop.rigth' (did you mean 'data.crop.right'?)");
  });
  it('a wrong type names the path; a far-off name gets no guess', () => {
    const r = RunConfig.safeParse({ epochs: 'ten' });
    expect(describeConfigIssues(RunConfig, r.error!.issues)).toMatch(/^'epochs' /);
    expect(closest('zzzzzzzz', knownFields(RunConfig, ['model']))).toBeNull();
    expect(knownFields(RunConfig, ['optimizer'])).toContain('clipNorm');
    expect(knownFields(RunConfig, ['nope'])).toEqual([]);
  });
});
