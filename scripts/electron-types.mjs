#!/usr/bin/env node
// Fetches Electron's own typings (electron.d.ts) for the version package.json
// pins into .types/electron/, for `npm run typecheck` (tsconfig.json maps the
// module 'electron' there). The electron package is an optionalDependency
// whose install script downloads a binary, so it is often absent; its npm
// tarball (`npm pack`, no install scripts, ~180 kB) carries the typings.
// A no-op when the typings of the pinned version are already in place.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, '.types', 'electron');
const outFile = join(outDir, 'electron.d.ts');
const stampFile = join(outDir, 'version');

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const version = pkg.optionalDependencies?.electron ?? pkg.devDependencies?.electron ?? pkg.dependencies?.electron;
if (typeof version !== 'string' || !/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(version)) {
  fail(`package.json must pin electron to an exact version (found ${JSON.stringify(version)})`);
}

if (existsSync(outFile) && existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === version) process.exit(0);

const started = Date.now();
let typings;
try {
  typings = installedTypings() ?? packedTypings();
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
mkdirSync(outDir, { recursive: true });
writeFileSync(`${outFile}.tmp`, typings);
renameSync(`${outFile}.tmp`, outFile);
writeFileSync(stampFile, `${version}\n`);
process.stderr.write(`electron-types: electron.d.ts of electron ${version} in .types/electron/ (${Date.now() - started} ms)\n`);

/** The typings of an installed electron of the pinned version (no download needed). */
function installedTypings() {
  const dir = join(root, 'node_modules', 'electron');
  try {
    if (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version !== version) return null;
    return readFileSync(join(dir, 'electron.d.ts'));
  } catch {
    return null;
  }
}

/** `npm pack electron@<version>` into a temporary folder, then package/electron.d.ts out of the tarball. */
function packedTypings() {
  const tmp = mkdtempSync(join(tmpdir(), 'steerlab-electron-types-'));
  try {
    // Under `npm run`, npm_execpath is npm's own CLI script: run it with this node (no shell, also on Windows).
    const cli = process.env.npm_execpath;
    const [cmd, pre] = cli && /npm-cli\.[cm]?js$/.test(cli) ? [process.execPath, [cli]] : ['npm', []];
    const r = spawnSync(cmd, [...pre, 'pack', `electron@${version}`, '--pack-destination', tmp, '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
    if (r.error) throw new Error(`could not run npm: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`npm pack electron@${version} failed (exit ${r.status}):\n${r.stderr}`);
    const [packed] = JSON.parse(r.stdout);
    const typings = tarEntry(gunzipSync(readFileSync(join(tmp, packed.filename))), 'package/electron.d.ts');
    if (!typings) throw new Error(`electron@${version}'s tarball has no package/electron.d.ts`);
    return typings;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** One regular file's bytes out of an uncompressed tar (ustar, with pax path headers), or null. */
function tarEntry(tar, wanted) {
  let paxPath = null;
  for (let off = 0; off + 512 <= tar.length;) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start, len) => header.subarray(start, start + len).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1) || '0';
    const prefix = field(345, 155);
    const name = paxPath ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    const body = tar.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1] ?? null;
      continue;
    }
    paxPath = null;
    if ((type === '0' || type === '7') && name === wanted) return Buffer.from(body);
  }
  return null;
}

function fail(message) {
  process.stderr.write(`electron-types: ${message}\n`);
  process.exit(1);
}
