import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { encodePng, pngDataUrl } from '../../src/video/png.ts';

describe('encodePng', () => {
  it('round-trips through an independent decoder pixel for pixel', () => {
    const w = 7, h = 5;
    const rgb = new Uint8Array(w * h * 3);
    for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 37) % 256;
    const png = PNG.sync.read(encodePng(rgb, w, h));
    expect([png.width, png.height]).toEqual([w, h]);
    for (let p = 0; p < w * h; p++) {
      expect([png.data[p * 4], png.data[p * 4 + 1], png.data[p * 4 + 2], png.data[p * 4 + 3]]).toEqual([rgb[p * 3], rgb[p * 3 + 1], rgb[p * 3 + 2], 255]);
    }
  });
  it('rejects a buffer of the wrong size and makes a data URL', () => {
    expect(() => encodePng(new Uint8Array(10), 2, 2)).toThrow(/expected 12 bytes/);
    expect(pngDataUrl(new Uint8Array(12), 2, 2)).toMatch(/^data:image\/png;base64,iVBORw0KGgo/);
  });
});
