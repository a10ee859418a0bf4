import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprintData, fingerprintMismatch } from '../../../src/lab/queue/fingerprint.ts';

const input = { width: 8, height: 4 };

describe('fingerprintData', () => {
  it('changes with any byte of a folder source or its labels, and names the missing path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fp-'));
    mkdirSync(join(dir, 'IMG'));
    writeFileSync(join(dir, 'IMG', 'a.jpg'), 'aaaa');
    writeFileSync(join(dir, 'IMG', 'b.jpg'), 'bbbb');
    writeFileSync(join(dir, 'log.csv'), 'x\n');
    const spec = { source: join(dir, 'IMG'), labels: join(dir, 'log.csv'), input };
    const a = await fingerprintData([spec]);
    expect(a).toMatchObject({ files: 3, bytes: 10 });
    expect(fingerprintMismatch(a, await fingerprintData([spec]))).toBeNull();
    writeFileSync(join(dir, 'IMG', 'b.jpg'), 'bbbc');
    const b = await fingerprintData([spec]);
    expect(fingerprintMismatch(a, b)).toMatch(/other contents here/);
    writeFileSync(join(dir, 'IMG', 'c.jpg'), 'c');
    expect(fingerprintMismatch(a, await fingerprintData([spec]))).toMatch(/has 4 files here, 3 on the coordinator/);
    await expect(fingerprintData([{ source: join(dir, 'nope.mp4'), input }])).rejects.toThrow(/nope\.mp4 does not exist on this machine/);
  });
});
