/**
 * Loads a renderer `.svelte.ts` runes module in Node for unit tests: strip
 * the types (esbuild), compile the runes (svelte/compiler compileModule),
 * point relative imports at the source folder, and import the result.
 */
import { transform } from 'esbuild';
import { compileModule } from 'svelte/compiler';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// One folder per test process: test files run in parallel forks, and one file's cleanCompiled()
// must not delete the modules another is still importing (that failed a run here).
const OUT = join(fileURLToPath(new URL('./.compiled/', import.meta.url)), String(process.pid));

export async function loadRunes<T>(path: string): Promise<T> {
  const abs = resolve(path);
  const ts = readFileSync(abs, 'utf8');
  const js = (await transform(ts, { loader: 'ts', format: 'esm', target: 'es2022' })).code;
  let code = compileModule(js, { filename: basename(abs), generate: 'client', dev: false }).js.code;
  code = code.replace(/from\s+['"](\.{1,2}\/[^'"]+)['"]/g, (_m, rel: string) => `from '${pathToFileURL(join(dirname(abs), rel)).href}'`);
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, `${basename(abs).replace(/\W/g, '_')}.mjs`);
  writeFileSync(file, code);
  return (await import(pathToFileURL(file).href)) as T;
}

export function cleanCompiled(): void {
  rmSync(OUT, { recursive: true, force: true });
}
