import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { DEMO_DRIVE, labelsCsv, simulate, synthesizeDrive } from '../../src/synth/index.ts';
import { curvatureForWheel, wheelAngleDeg } from '../../src/synth/road.ts';
import { loadDataset } from '../../src/video/dataset.ts';
import { probeVideo } from '../../src/video/probe.ts';
import { tempDir } from '../video/fixtures.ts';

/** Spearman rank correlation (no ties expected in continuous features). */
function spearman(a: number[], b: number[]): number {
  const rank = (v: number[]) => {
    const r = new Array<number>(v.length);
    v.map((x, i) => [x, i] as const)
      .sort((p, q) => p[0] - q[0])
      .forEach(([, i], k) => (r[i] = k));
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  const m = (a.length - 1) / 2;
  let s = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < a.length; i++) {
    s += (ra[i] - m) * (rb[i] - m);
    sa += (ra[i] - m) ** 2;
    sb += (rb[i] - m) ** 2;
  }
  return s / Math.sqrt(sa * sb);
}

describe('road and steering model', () => {
  it('wheel angle is 15 x atan(2.7 m x curvature) and curvatureForWheel inverts it', () => {
    expect(wheelAngleDeg(0)).toBe(0);
    // A 10 m radius right turn: atan(0.27) = 15.11 deg at the wheels, x15 = 226.6 deg at the steering wheel.
    expect(wheelAngleDeg(0.1)).toBeCloseTo((15 * Math.atan(0.27) * 180) / Math.PI, 9);
    expect(wheelAngleDeg(0.1)).toBeCloseTo(226.65, 1);
    expect(wheelAngleDeg(-0.1)).toBeCloseTo(-226.65, 1);
    for (const deg of [5, 90, 300, 420]) expect(wheelAngleDeg(curvatureForWheel(deg))).toBeCloseTo(deg, 9);
  });

  it('same seed gives the same label bytes; another seed gives others', () => {
    const a = labelsCsv(simulate({ frames: 2000, fps: 20, seed: 7 }), 20);
    const b = labelsCsv(simulate({ frames: 2000, fps: 20, seed: 7 }), 20);
    const c = labelsCsv(simulate({ frames: 2000, fps: 20, seed: 8 }), 20);
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a.split('\n')[0]).toBe('frame_index,timestamp_s,steering_deg');
    expect(a.split('\n')[21]).toMatch(/^20,1\.000000,-?\d+\.\d{3}$/);
  });

  it('over long drives the wheel spans about -420..420 deg, straights dominate, sharp turns are rare, and the angle changes smoothly', () => {
    const all: number[] = [];
    let maxStep = 0;
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const s = simulate({ frames: 6000, fps: 20, seed }).map((x) => x.steeringDeg);
      for (let i = 1; i < s.length; i++) maxStep = Math.max(maxStep, Math.abs(s[i] - s[i - 1]));
      all.push(...s);
    }
    const min = Math.min(...all);
    const max = Math.max(...all);
    expect(min).toBeGreaterThanOrEqual(-430);
    expect(max).toBeLessThanOrEqual(430);
    expect(min).toBeLessThan(-380);
    expect(max).toBeGreaterThan(380);
    const near = all.filter((a) => Math.abs(a) < 30).length / all.length;
    const sharp = all.filter((a) => Math.abs(a) > 200).length / all.length;
    expect(near).toBeGreaterThan(0.4);
    expect(sharp).toBeLessThan(near / 3);
    // Left and right turns balance (mean within 40 deg of zero over 36,000 frames).
    expect(Math.abs(all.reduce((p, q) => p + q, 0) / all.length)).toBeLessThan(40);
    // Curvature ramps: at 20 Hz no frame-to-frame jump above 60 deg (a sharp turn's ramp takes >= 5 m).
    expect(maxStep).toBeLessThan(60);
  });
});

describe('synthesizeDrive', () => {
  it('writes an H.264 mp4 + labels.csv whose picture carries the steering signal (road position tracks the angle)', async () => {
    const dir = tempDir('steerlab-synth-');
    const r = await synthesizeDrive(join(dir, 'drive'), { frames: 2400, seed: 3, width: 64, height: 32, fps: 20 });
    const v = await probeVideo(r.videoPath);
    expect(v).toMatchObject({ frames: 2400, width: 64, height: 32, codec: 'h264' });
    expect(v.fps).toBeCloseTo(20, 6);
    const text = readFileSync(r.labelsPath, 'utf8');
    expect(text).toBe(labelsCsv(simulate({ frames: 2400, fps: 20, seed: 3 }), 20));

    const d = await loadDataset({ source: r.videoPath, labels: r.labelsPath, input: { width: 64, height: 32 } }, { cacheDir: join(dir, 'cache') });
    expect(d.alignment.matched).toBe(2400);
    // Road centroid in one near image row, from asphalt-grey pixels of the decoded (compressed) video.
    const buf = new Uint8Array(64 * 32 * 3);
    const centroid: number[] = [];
    for (let j = 0; j < d.sampleFrame.length; j++) {
      d.frames.read(d.sampleFrame[j], buf);
      let sx = 0;
      let n = 0;
      for (let x = 0; x < 64; x++) {
        const o = (22 * 64 + x) * 3;
        const [R, G, B] = [buf[o], buf[o + 1], buf[o + 2]];
        if (Math.abs(R - G) < 14 && Math.abs(G - B) < 16 && G < R + 10 && R > 30 && R < 170) {
          sx += x;
          n++;
        }
      }
      centroid.push(n ? sx / n : 32);
    }
    d.frames.close();
    // Positive (right) angles move the road right in the picture; measured 0.89 for this seed.
    expect(spearman(centroid, Array.from(d.anglesDeg))).toBeGreaterThan(0.8);
  });

  // Its speed (about 3 s on an idle 2-core machine) is a benchmark's business, not a test's.
  it('renders 300 frames of 160x320 px (15 s of driving)', async () => {
    const dir = tempDir('steerlab-synth-');
    const r = await synthesizeDrive(dir, { frames: 300, seed: 1, width: 320, height: 160, fps: 20 });
    expect(r.frames).toBe(300);
  });

  it('rejects odd sizes (H.264 needs even sides) with one UserError', async () => {
    await expect(synthesizeDrive(tempDir(), { ...DEMO_DRIVE, frames: 10, width: 65, height: 32 })).rejects.toThrow(UserError);
  });

  it('cancelling leaves neither video nor labels', async () => {
    const dir = tempDir('steerlab-synth-');
    const ac = new AbortController();
    await expect(
      synthesizeDrive(dir, { frames: 2000, seed: 1, width: 64, height: 32, fps: 20, signal: ac.signal, onProgress: (p) => p.done > 10 && ac.abort() }),
    ).rejects.toThrow(/cancel/);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(dir)).toEqual([]);
  });
});
