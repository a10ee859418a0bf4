import { describe, expect, it } from 'vitest';
import { cropOutline, cropSide, sameCrop } from '../../renderer/src/lib/crop.ts';

describe('crop outline on the source frame', () => {
  const src = { width: 640, height: 480 };
  it('scales each of the four sides to the displayed image', () => {
    const o = cropOutline({ top: 100, bottom: 80, left: 40, right: 60 }, src, { width: 320, height: 240 });
    expect(o).toEqual({ left: 20, top: 50, width: 270, height: 150, valid: true, keptWidth: 540, keptHeight: 300 });
  });
  it('moves the matching edge when one side changes', () => {
    const a = cropOutline({ top: 0, bottom: 0, left: 0, right: 0 }, src, src);
    expect(a).toMatchObject({ left: 0, top: 0, width: 640, height: 480 });
    expect(cropOutline({ left: 10 }, src, src)).toMatchObject({ left: 10, width: 630 });
    expect(cropOutline({ right: 10 }, src, src)).toMatchObject({ left: 0, width: 630 });
    expect(cropOutline({ top: 10 }, src, src)).toMatchObject({ top: 10, height: 470 });
    expect(cropOutline({ bottom: 10 }, src, src)).toMatchObject({ top: 0, height: 470 });
  });
  it('treats empty, negative and fractional input as typed pixels, and flags a crop that leaves nothing', () => {
    expect(cropSide('')).toBe(0);
    expect(cropSide(-5)).toBe(0);
    expect(cropSide(null)).toBe(0);
    expect(cropSide(12.6)).toBe(13);
    const o = cropOutline({ top: 300, bottom: 300 }, src, src);
    expect(o.valid).toBe(false);
    expect(o.height).toBe(0);
    expect(o.top).toBe(300);
  });
  it('compares crops by the pixels they cut', () => {
    expect(sameCrop({ top: 0, bottom: 5, left: 0, right: 0 }, { bottom: 5 })).toBe(true);
    expect(sameCrop({ top: 1 }, { top: 0 })).toBe(false);
  });
});
