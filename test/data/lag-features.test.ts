import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/rng.ts';
import { createRenderer, type RenderOptions } from '../../src/synth/render.ts';
import { simulateDrive } from '../../src/synth/road.ts';
import { motionSeries, sideShift } from '../../src/video/lag-features.ts';
import type { FrameStore } from '../../src/video/types.ts';

const FPS = 20;
const [W, H] = [128, 64];

/** The synthetic drive rendered straight into memory (no ffmpeg) as a FrameStore. */
function renderDrive(frames: number, opts?: RenderOptions) {
  const { profile, states } = simulateDrive(frames, FPS, 1);
  const r = createRenderer(W, H, FPS, profile, createRng(1 ^ 0x5eed), opts);
  const all = states.map((s, i) => {
    const buf = new Uint8Array(W * H * 3);
    r.render(i, s, buf);
    return buf;
  });
  const store: FrameStore = {
    count: frames,
    width: W,
    height: H,
    channels: 3,
    timestampsS: Float64Array.from(states, (_, i) => i / FPS),
    read: (i, out) => {
      const o = out ?? new Uint8Array(W * H * 3);
      o.set(all[i]);
      return o;
    },
    close: () => undefined,
  };
  return { store, states, all };
}

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let [sa, sb, saa, sbb, sab] = [0, 0, 0, 0, 0];
  for (let i = 0; i < n; i++) {
    sa += a[i];
    sb += b[i];
    saa += a[i] * a[i];
    sbb += b[i] * b[i];
    sab += a[i] * b[i];
  }
  return (sab - (sa * sb) / n) / Math.sqrt((saa - (sa * sa) / n) * (sbb - (sb * sb) / n));
}

describe('synthetic scenery (render option, off by default)', () => {
  it('leaves the default drive byte-identical', () => {
    const hash = (opts?: RenderOptions) => {
      const h = createHash('sha256');
      for (const f of renderDrive(30, opts).all) h.update(f);
      return h.digest('hex');
    };
    // Pinned before the scenery option existed: the default picture must not change.
    expect(hash()).toBe('719cc511acce8a6888a7b3e942dd8f5f3436b78044fc15de51277ece9228b738');
    expect(hash({ scenery: false })).toBe(hash());
    expect(hash({ scenery: true })).not.toBe(hash());
  });

  it('slides sideways by the yaw: the measured slide follows focal length x speed x curvature per frame', () => {
    const { store, states } = renderDrive(500, { scenery: true });
    const m = motionSeries(store);
    const f = W / 2 / Math.tan((35 * Math.PI) / 180);
    const truth = Array.from(m.leftPx, (_, j) => (f * 0.5 * (states[j].speedMps * states[j].curvature + states[j + 1].speedMps * states[j + 1].curvature)) / FPS);
    expect(pearson(m.leftPx, truth)).toBeGreaterThan(0.98);
    // The drive bends left here: the scene slides right (negative leftPx) by a few pixels a frame.
    expect(Math.min(...m.leftPx)).toBeLessThan(-2);
  });

  it('shows no yaw without scenery (flat sky, striped grass): the slide does not follow the turn', () => {
    const { store, states } = renderDrive(500);
    const m = motionSeries(store);
    const truth = Array.from(m.leftPx, (_, j) => states[j].speedMps * states[j].curvature);
    expect(Math.abs(pearson(m.leftPx, truth))).toBeLessThan(0.3);
  });
});

describe('sideShift', () => {
  it('recovers a known sub-pixel slide of a textured band, both ways', () => {
    const width = 96;
    const rows = 4;
    const tex = (x: number, y: number) => 40 * Math.sin(x * 0.37 + y) + 25 * Math.sin(x * 0.11 + 2 * y);
    const band = (dx: number) => Float32Array.from({ length: rows * width }, (_, k) => tex((k % width) - dx, Math.floor(k / width)));
    expect(sideShift(band(0), band(2.3), width, rows, 8)).toBeCloseTo(2.3, 0);
    expect(sideShift(band(0), band(-3.6), width, rows, 8)).toBeCloseTo(-3.6, 0);
  });
});
