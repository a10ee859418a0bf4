/**
 * Draws the app icon (a steering wheel, 512x512) into main/assets/icon.png.
 * Run: npx tsx main/assets/make-icon.ts. Kept so the icon can be regenerated.
 */
import { writeFileSync } from 'node:fs';
import { encodePng } from '../../src/video/png.ts';

const N = 512;
const rgb = new Uint8Array(N * N * 3);
const c = N / 2;
for (let y = 0; y < N; y++) {
  for (let x = 0; x < N; x++) {
    const dx = x - c + 0.5, dy = y - c + 0.5;
    const r = Math.hypot(dx, dy);
    // rounded-square background
    const inset = Math.max(Math.abs(dx), Math.abs(dy));
    let col: [number, number, number] = inset < 240 ? [30, 64, 175] : [255, 255, 255];
    const ring = r > 150 && r < 190;
    const hub = r < 42;
    const spokeH = Math.abs(dy - 10) < 16 && r < 160 && r > 30;
    const spokeV = dy > 0 && Math.abs(dx) < 16 && r < 160;
    if (ring || hub || spokeH || spokeV) col = [248, 250, 252];
    const mark = Math.abs(dx) < 12 && dy < -150 && dy > -192;
    if (mark) col = [239, 68, 68];
    rgb.set(col, (y * N + x) * 3);
  }
}
writeFileSync(new URL('./icon.png', import.meta.url), encodePng(rgb, N, N));
