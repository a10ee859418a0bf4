import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { lastErrorLine, locateTool, parseVersion, resolveFfmpeg, resolveFfprobe, spawnTool, unpackAsar } from '../../src/video/ffmpeg.ts';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe('ffmpeg resolution', () => {
  it('uses the bundled @ffmpeg-installer binaries when nothing overrides them, and reads their versions', () => {
    delete process.env.STEERLAB_FFMPEG;
    delete process.env.STEERLAB_FFPROBE;
    const f = resolveFfmpeg();
    expect(f.source).toBe('@ffmpeg-installer/ffmpeg');
    expect(f.path).toMatch(/@ffmpeg-installer/);
    expect(f.version.length).toBeGreaterThan(3);
    expect(resolveFfprobe().source).toBe('@ffprobe-installer/ffprobe');
  });

  it('prefers STEERLAB_FFMPEG (here the Debian ffmpeg) and reports source env', () => {
    process.env.STEERLAB_FFMPEG = '/usr/bin/ffmpeg';
    const f = resolveFfmpeg();
    expect(f).toMatchObject({ path: '/usr/bin/ffmpeg', source: 'env' });
    expect(f.version).toMatch(/^\d+\.\d+/);
  });

  it('a STEERLAB_FFMPEG that points nowhere is one UserError naming the variable and the path', () => {
    process.env.STEERLAB_FFMPEG = '/no/such/ffmpeg';
    expect(() => locateTool('ffmpeg')).toThrow(UserError);
    expect(() => resolveFfmpeg()).toThrow(/STEERLAB_FFMPEG.*\/no\/such\/ffmpeg/);
  });

  it('parses version lines of release and nightly builds', () => {
    expect(parseVersion('ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026')).toBe('5.1.9-0+deb12u1');
    expect(parseVersion('ffprobe version N-66595-gc2b38619c0-static https://johnvansickle.com')).toBe('N-66595-gc2b38619c0-static');
    expect(parseVersion('bash: ffmpeg: not found')).toBeNull();
  });

  it('rewrites app.asar to app.asar.unpacked (Electron packaging)', () => {
    expect(unpackAsar('/opt/Lab/resources/app.asar/node_modules/x/ffmpeg')).toBe('/opt/Lab/resources/app.asar.unpacked/node_modules/x/ffmpeg');
    expect(unpackAsar('C:\\Lab\\resources\\app.asar\\ffmpeg.exe')).toBe('C:\\Lab\\resources\\app.asar.unpacked\\ffmpeg.exe');
    expect(unpackAsar('/usr/bin/ffmpeg')).toBe('/usr/bin/ffmpeg');
  });

  it('picks the error line out of ffmpeg stderr', () => {
    expect(lastErrorLine('ffmpeg version x\n  built with gcc\n[mov,mp4 @ 0x1] moov atom not found\nfoo.mp4: Invalid data found when processing input\n')).toBe(
      'foo.mp4: Invalid data found when processing input',
    );
  });
});

describe('managed child', () => {
  it('cancels a never-ending ffmpeg through the AbortSignal and reports cancelled', async () => {
    const ac = new AbortController();
    const c = spawnTool('ffmpeg', ['-hide_banner', '-nostdin', '-re', '-f', 'lavfi', '-i', 'testsrc=size=32x16:rate=10', '-f', 'null', '-'], { signal: ac.signal, graceMs: 500 });
    setTimeout(() => ac.abort(), 300);
    const t0 = Date.now();
    const r = await c.done;
    expect(r.status).toBe('cancelled');
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(() => process.kill(c.pid!, 0)).toThrow();
  });

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    // A stopped process (SIGSTOP) cannot act on SIGTERM once ffmpeg has installed its handler (it has by the time it
    // prints its output mapping); only the SIGKILL after the grace period ends it.
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const c = spawnTool('ffmpeg', ['-hide_banner', '-nostdin', '-re', '-f', 'lavfi', '-i', 'testsrc=size=32x16:rate=10', '-f', 'null', '-'], {
      graceMs: 300,
      onStderrLine: (l) => {
        if (/Output #0|Stream mapping/.test(l)) started();
      },
    });
    await running;
    process.kill(c.pid!, 'SIGSTOP');
    const t0 = Date.now();
    c.kill();
    const r = await c.done;
    expect(r.status).toBe('cancelled');
    expect(r.status === 'cancelled' && r.signal).toBe('SIGKILL');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });

  it('a failing run is a typed failure with the stderr tail', async () => {
    const c = spawnTool('ffmpeg', ['-hide_banner', '-i', 'file:/no/such/input.mp4', '-f', 'null', '-']);
    c.stdin.end();
    const r = await c.done;
    expect(r.status).toBe('failed');
    expect(r.stderrTail).toMatch(/No such file/);
  });
});
