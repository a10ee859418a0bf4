/**
 * Bench pieces that run in seconds: the decode comparison on a tiny
 * generated video, the PyTorch probe, and the human report's units.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { measureDecode } from '../../bench/decode.ts';
import { formatReport, segmentRatio, type BenchReport } from '../../bench/index.ts';
import { findTorchPython, startPeer } from '../../bench/peer.ts';
import { resolveFfmpeg } from '../../src/video/ffmpeg.ts';

const dir = mkdtempSync(join(tmpdir(), 'steerlab-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench', () => {
  it('decodes the same frames through the lab pipeline and plain ffmpeg and reports both rates', async () => {
    const video = join(dir, 'tiny.mp4');
    const r = spawnSync(resolveFfmpeg().path, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=64x32:rate=20', '-frames:v', '60', '-pix_fmt', 'yuv420p', '-y', video]);
    expect(r.status).toBe(0);
    const d = await measureDecode(video, 32, 16, 1);
    expect(d.frames).toBe(60);
    expect(d.fps).toBeGreaterThan(0);
    expect(d.ffmpegFps).toBeGreaterThan(0);
    expect(d.ratio).toBeCloseTo(d.fps / d.ffmpegFps, 10);
  });

  // `import torch` alone takes 5-15 s on a busy 2-core machine.
  it('finds a Python with torch or says why not', { timeout: 180_000 }, () => {
    const py = findTorchPython();
    if ('python' in py) expect(py.python.length).toBeGreaterThan(0);
    else expect(py.reason).toMatch(/PyTorch/);
  });

  it('pairs engine and peer segments: median and range of the per-segment ratios', () => {
    // Segment 2 of the engine ran while the machine was slow, and so did the peer right after it.
    expect(segmentRatio([100, 60, 110], [200, 120, 200])).toEqual({ median: 0.5, range: [0.5, 0.55] });
    expect(segmentRatio([100, 90], [200, 100])).toEqual({ median: 0.7, range: [0.5, 0.9] });
    // Unpaired engine segments (the peer failed part-way) are left out; no pairs, no ratio.
    expect(segmentRatio([100, 100], [400])).toEqual({ median: 0.25, range: [0.25, 0.25] });
    expect(segmentRatio([100], [])).toBeNull();
  });

  it.runIf('python' in findTorchPython())('keeps a PyTorch peer process up and times training and forward segments on request', { timeout: 180_000 }, async () => {
    const py = findTorchPython() as { python: string };
    const peer = await startPeer(py.python, 1);
    try {
      expect(peer.info.params).toBe(252219); // the same PilotNet as the lab's
      const t = await peer.run('train', 0.2);
      const f = await peer.run('fwd', 0.1);
      for (const seg of [t, f]) {
        expect(seg.steps).toBeGreaterThanOrEqual(3);
        expect(seg.samplesPerS).toBeCloseTo((seg.steps * 32) / seg.seconds, 6);
      }
      expect(f.samplesPerS).toBeGreaterThan(t.samplesPerS); // a forward pass is cheaper than a training step
    } finally {
      peer.close();
    }
  });

  it('prints every number with its unit and marks unmeasured rows with a reason', () => {
    const report: BenchReport = {
      date: '2026-11-28T00:00:00.000Z',
      machine: { cpu: 'Test CPU', cores: 2, memoryGB: 24, node: 'v20', platform: 'linux-x64' },
      model: { name: 'PilotNet', input: [66, 200, 3], batch: 32, optimizer: 'Adam lr 1e-3' },
      engines: [
        { name: 'wasm (1 thread, in-process)', engine: 'wasm', workers: 1, trainSamplesPerS: 50, fwdSamplesPerS: 300, trainStepMs: 640, steps: 5, trainVsPeer: 0.25, fwdVsPeer: 0.5 },
        { name: 'cpu', engine: 'cpu', workers: 1, trainSamplesPerS: null, fwdSamplesPerS: null, trainStepMs: null, steps: 0, note: 'skipped: slow', trainVsPeer: null, fwdVsPeer: null },
      ],
      peer: { name: 'PyTorch', trainSamplesPerS: 200, fwdSamplesPerS: 600, threads: 2, params: 252219 },
      peerNote: null,
      decode: { frames: 10, width: 200, height: 66, fps: 90, ffmpegFps: 100, ratio: 0.9, ffmpeg: 'ffmpeg' },
      decodeNote: null,
      diagnosticsOverhead: { steps: 20, everyStep: 1.2, every10: 1.02, secondsOff: 10, secondsEvery10: 10.2, secondsEveryStep: 12 },
      peakRssMB: 700,
      loadAverage: { start: [1, 1, 1], end: [1, 1, 1] },
    };
    const text = formatReport(report);
    expect(text).toContain('train samples/s');
    expect(text).toContain('0.25x');
    expect(text).toContain('skipped: slow');
    expect(text).toContain('90.0 frames/s');
    expect(text).toContain('ratio 0.90');
    expect(text).toContain('every step 1.20x');
    expect(text).toContain('700 MB');
  });
});
