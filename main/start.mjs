#!/usr/bin/env node
// `npm start`: bundle main/ and the preload, build the renderer, launch Electron.
// `npm run dist`: the same, then electron-builder (installers for this OS).
// Electron is an optionalDependency whose install downloads a binary; when it
// is absent, say so and point at serve mode.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const dist = process.argv.includes('--dist');

function electronBinary() {
  try {
    // The electron package's main export is the path of its binary.
    const p = require('electron');
    return typeof p === 'string' ? p : null;
  } catch {
    return null;
  }
}

const bin = electronBinary();
if (!bin && !dist) {
  process.stderr.write(
    'steerlab: Electron is not installed here (its npm install downloads a binary, which needs internet).\n' +
    '  Install it where downloads work:  npm install electron   then  npm start\n' +
    '  Or use the same app in a browser: npx steerlab serve   (prints a http://127.0.0.1 URL with a token)\n',
  );
  process.exit(3);
}

const { bundleMain } = await import('./bundle.mjs');
await bundleMain(root, join(root, 'dist-electron'));
const r = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(root, 'renderer/vite.config.ts'), '--logLevel', 'warn'], { stdio: 'inherit', cwd: root });
if (r.status !== 0) process.exit(r.status ?? 1);

if (dist) {
  const b = spawnSync(process.execPath, [join(root, 'node_modules/electron-builder/cli.js'), '--config', join(root, 'electron-builder.yml')], { stdio: 'inherit', cwd: root });
  process.exit(b.status ?? 1);
}
const child = spawn(bin, [root], { stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 0));
