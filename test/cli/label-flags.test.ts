import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { addLabelFlags, labelOptionsFromFlags } from '../../src/cli/label-flags.ts';
import { UserError } from '../../src/errors.ts';

describe('label flags', () => {
  it('parses a command line into LabelOptions', () => {
    const cmd = addLabelFlags(new Command('inspect').exitOverride());
    cmd.parse(['--units', 'rad', '--full-scale', '420', '--sign', 'positive-left', '--time-column', 'ts', '--time-unit', 'ms', '--side-correction', '0', '--format', 'csv'], { from: 'user' });
    expect(labelOptionsFromFlags(cmd.opts())).toEqual({
      format: 'csv',
      units: 'radians',
      labelFullScaleDeg: 420,
      sign: 'positive-left',
      timeColumn: 'ts',
      timeUnit: 'ms',
      sideCameraCorrectionDeg: 0,
    });
    expect(labelOptionsFromFlags({})).toEqual({});
  });
  it('names the flag on a bad value', () => {
    expect(() => labelOptionsFromFlags({ units: 'grads' })).toThrow(UserError);
    expect(() => labelOptionsFromFlags({ units: 'grads' })).toThrow(/^--units "grads" is not one of: auto, degrees, radians, normalized$/);
    expect(() => labelOptionsFromFlags({ fullScale: '-3' })).toThrow(/^--full-scale "-3" must be a positive number/);
    expect(() => labelOptionsFromFlags({ sideCorrection: 'x' })).toThrow(/--side-correction/);
  });
});
