/**
 * `steerlab doctor [--json]`: which ffmpeg/ffprobe the lab will run (path,
 * version, where it was found), which TensorFlow.js engines are available,
 * the Node and Electron versions, and what is missing with how to get it.
 * Exits 0 when the lab can work (ffmpeg + ffprobe + one engine), 1 otherwise.
 */
import type { Command } from 'commander';
import { UserError } from '../../errors.ts';

interface ToolReport {
  path: string | null;
  version: string | null;
  source: string | null;
  error?: string;
}

export function register(program: Command): void {
  program
    .command('doctor')
    .description('check ffmpeg, ffprobe, TensorFlow.js engines, Node and Electron, and say how to get what is missing')
    .option('--json', 'print one JSON object on stdout')
    .action(async (o: { json?: boolean }) => {
      const { createRequire } = await import('node:module');
      const { resolveFfmpeg, resolveFfprobe } = await import('../../video/ffmpeg.ts');
      const { probeEngines } = await import('../../engine/index.ts');
      const require = createRequire(import.meta.url);

      const tool = (f: () => { path: string; version: string; source: string }): ToolReport => {
        try {
          const t = f();
          return { path: t.path, version: t.version, source: t.source };
        } catch (e) {
          if (!(e instanceof UserError)) throw e;
          return { path: null, version: null, source: null, error: e.message };
        }
      };
      const ffmpeg = tool(resolveFfmpeg);
      const ffprobe = tool(resolveFfprobe);
      const engines = probeEngines();

      // Electron: the running version inside the app, else the installed package's version, else absent.
      let electron: string | null = process.versions.electron ?? null;
      if (!electron) {
        try {
          electron = (require('electron/package.json') as { version: string }).version;
        } catch {
          electron = null;
        }
      }
      let ffmpegStatic: boolean;
      try {
        require.resolve('ffmpeg-static');
        ffmpegStatic = true;
      } catch {
        ffmpegStatic = false;
      }

      const missing: { part: string; how: string }[] = [];
      if (ffmpeg.error) missing.push({ part: 'ffmpeg', how: ffmpeg.error });
      if (ffprobe.error) missing.push({ part: 'ffprobe', how: ffprobe.error });
      for (const e of engines) if (!e.available) missing.push({ part: `engine ${e.name}`, how: e.reason });
      if (!electron) {
        missing.push({ part: 'electron', how: 'the desktop app needs Electron: `npm install electron` on a machine with internet access (its install downloads the binary); the CLI and `steerlab serve` work without it' });
      }
      if (!ffmpegStatic && !ffmpeg.error && ffmpeg.source !== 'env') {
        missing.push({ part: 'ffmpeg-static', how: `optional; ${ffmpeg.source} is used instead (\`npm install ffmpeg-static\` online for a newer ffmpeg)` });
      }
      const ok = !ffmpeg.error && !ffprobe.error && engines.some((e) => e.available);
      const report = {
        ok,
        ffmpeg,
        ffprobe,
        engines,
        node: process.versions.node,
        electron,
        platform: `${process.platform}-${process.arch}`,
        missing,
      };
      if (o.json) process.stdout.write(JSON.stringify(report) + '\n');
      else {
        const line = (name: string, t: ToolReport) => (t.error ? `${name.padEnd(9)}MISSING: ${t.error}` : `${name.padEnd(9)}${t.version} at ${t.path} (from ${t.source})`);
        const out = [
          line('ffmpeg', ffmpeg),
          line('ffprobe', ffprobe),
          `node     ${report.node} (${report.platform})`,
          `electron ${electron ?? 'not installed'}`,
          'engines (best first):',
          ...engines.map((e) => `  ${e.available ? 'yes' : 'no '} ${e.name.padEnd(15)} ${e.reason}`),
        ];
        if (missing.length) out.push('missing:', ...missing.map((m) => `  ${m.part}: ${m.how}`));
        out.push(ok ? 'ready: the lab can decode video and train here' : 'NOT ready: fix the missing parts above');
        process.stdout.write(out.join('\n') + '\n');
      }
      if (!ok) process.exitCode = 1;
    });
}
