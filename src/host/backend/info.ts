/** app.info: what this installation runs on (engine, ffmpeg, versions). */
import { createRequire } from 'node:module';
import type { AppInfo } from '../../contract/index.ts';
import { engineReady } from './engine.ts';

const require = createRequire(import.meta.url);

function pkgVersion(name: string): string | null {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

export async function appInfo(workspace: string): Promise<AppInfo> {
  const { probeEngines } = await import('../../engine/index.ts');
  const engine = await engineReady();
  let ffmpeg: AppInfo['ffmpeg'] = null;
  let ffmpegError: string | null = null;
  try {
    const { resolveFfmpeg } = await import('../../video/ffmpeg.ts');
    const f = resolveFfmpeg();
    ffmpeg = { path: f.path, version: f.version, source: f.source };
  } catch (err) {
    ffmpegError = (err as Error).message;
  }
  const versions: Record<string, string> = {};
  for (const name of ['@tensorflow/tfjs-core', 'zod', 'ws']) {
    const v = pkgVersion(name);
    if (v) versions[name] = v;
  }
  return {
    version: (require('../../../package.json') as { version: string }).version,
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`,
    workspace,
    transport: 'websocket',
    engine: { name: engine.name, detail: engine.detail, available: probeEngines() },
    ffmpeg,
    ffmpegError,
    versions,
  };
}
