import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A temp folder (with a space and non-ASCII in its name, as users have) and a writer into it. */
export function tempDir(): { dir: string; write(rel: string, text: string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'steerlab data é '));
  return {
    dir,
    write(rel, text) {
      const p = join(dir, rel);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, text);
      return p;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
