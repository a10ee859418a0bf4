/**
 * The `--workers N|auto` flag (src/cli/commands/_flags.ts) that train,
 * compare and demo hand to runExperiment's `workers` option.
 */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addTrainingOptions, parseWorkers } from '../../src/cli/commands/_flags.ts';
import { UserError } from '../../src/errors.ts';

describe('--workers', () => {
  it('parses a count or auto, and refuses anything else with a one-line UserError', () => {
    expect(parseWorkers(undefined)).toBeUndefined();
    expect(parseWorkers('auto')).toBe('auto');
    expect(parseWorkers('AUTO')).toBe('auto');
    expect(parseWorkers('1')).toBe(1);
    expect(parseWorkers('3')).toBe(3);
    for (const bad of ['0', '-2', '1.5', 'two', '']) expect(() => parseWorkers(bad)).toThrow(UserError);
  });

  it('is a training option of every command that adds them, checked before the action runs', async () => {
    let ran = false;
    const program = new Command().exitOverride();
    addTrainingOptions(program.command('t')).action(() => {
      ran = true;
    });
    await program.parseAsync(['t', '--workers', 'auto'], { from: 'user' });
    expect(ran).toBe(true);
    ran = false;
    await expect(program.parseAsync(['t', '--workers', 'zero'], { from: 'user' })).rejects.toThrow(/--workers must be/);
    expect(ran).toBe(false);
  });
});
