// Bundles the Electron main process, the utility-process backend and the
// preload with esbuild (no TypeScript runtime inside the packaged app).
import { join } from 'node:path';

/** Native modules and binaries stay outside the bundles (resolved at run time, unpacked from the asar). */
export const EXTERNAL = ['electron', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-cpu', '@ffmpeg-installer/ffmpeg', '@ffprobe-installer/ffprobe', 'ffmpeg-static', 'ffprobe-static', 'ws', 'vite'];

export async function bundleMain(root, out) {
  const { build } = await import('esbuild');
  const common = { bundle: true, platform: 'node', target: 'node20', logLevel: 'warning' };
  // ESM bundles still meet CommonJS deps (zod is ESM; commander/csv-parse may not be): give them a require.
  const banner = { js: "import { createRequire as __steerlabCreateRequire } from 'node:module'; const require = __steerlabCreateRequire(import.meta.url);" };
  await build({ ...common, entryPoints: [join(root, 'main/index.ts')], outfile: join(out, 'main/index.js'), format: 'esm', external: EXTERNAL, banner });
  await build({ ...common, entryPoints: [join(root, 'main/backend-entry.ts')], outfile: join(out, 'backend.mjs'), format: 'esm', external: EXTERNAL, banner });
  // The sandboxed preload must be one CommonJS file that requires only 'electron'.
  await build({ ...common, entryPoints: [join(root, 'main/preload.ts')], outfile: join(out, 'preload.cjs'), format: 'cjs', external: ['electron'] });
  return { main: join(out, 'main/index.js'), backend: join(out, 'backend.mjs'), preload: join(out, 'preload.cjs') };
}
