/** `steerlab train` argument and config-file errors: one line each, no training started. */
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliSync } from '../helpers/cli.ts';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'steerlab-cli-train-'));

const steerlab = (args: string[]) => runCliSync(args, { cwd: dir, timeoutMs: 60_000 });

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('steerlab train config errors', () => {
  it('names an unknown config field', () => {
    writeFileSync(join(dir, 'typo.json'), JSON.stringify({ epochs: 1, modle: { head: 'tanh' } }));
    const r = steerlab(['train', '--config', join(dir, 'typo.json'), '--video', join(dir, 'typo.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown field 'modle' (did you mean 'model'?)");
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('names the invalid value and its path', () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ model: { head: 'sigmoid' } }));
    const r = steerlab(['train', '--config', join(dir, 'bad.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("'model.head'");
  });

  it('asks for a video when none is given', () => {
    const r = steerlab(['train']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no video given');
  });

  it('rejects a malformed --crop before anything is decoded', () => {
    writeFileSync(join(dir, 'v.mp4'), '');
    const r = steerlab(['train', '--video', join(dir, 'v.mp4'), '--crop', '60,20']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--crop expects TOP,BOTTOM,LEFT,RIGHT');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('rejects a malformed --input', () => {
    writeFileSync(join(dir, 'v.mp4'), '');
    const r = steerlab(['train', '--video', join(dir, 'v.mp4'), '--input', '66by200']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--input expects HEIGHTxWIDTH');
  });
});
