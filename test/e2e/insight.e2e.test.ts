/**
 * End to end, the insight features in Debian's Chromium against a real
 * `steerlab serve`: the Data set view's "Check label timing" draws the lag
 * curve with its verdict; the experiment form's queue field is a password
 * input whose URL is shown masked; and in Run detail, the saliency toggle
 * on the frame viewer shows what a freshly trained run looks at, and so does
 * the Data set view's "Saliency of run" for the scrubbed sample.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ART, CHROMIUM, fillGrid, openDemoPage, openFirstRunDetail, serveAndBrowse, trainToCompare, type Served } from './serve.ts';

const REQUIRED = process.env.STEERLAB_REQUIRE_E2E === '1';
const HAVE = existsSync(CHROMIUM);
if (!HAVE && REQUIRED) throw new Error(`STEERLAB_REQUIRE_E2E=1 but Chromium is missing at ${CHROMIUM} (apt-get install chromium)`);

describe.skipIf(!HAVE)('insight features in a real browser', () => {
  let s: Served;
  let page: Page;
  const shot = (name: string) => page.screenshot({ path: join(ART, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    s = await serveAndBrowse(480);
    page = await openDemoPage(s, { width: 1400, height: 1000 });
  }, 180_000);
  afterAll(async () => {
    await s?.stop();
  });

  it('"Check label timing" plots the score per offset with its verdict', async () => {
    await page.getByTestId('lag-check').click();
    await page.getByTestId('lag-result').waitFor({ timeout: 90_000 });
    expect(await page.getByTestId('lag-verdict').textContent()).toMatch(/^(No evidence: |In step: |The labels are out of step: add -?\d+ ms)/);
    // The curve is drawn in blue (#2563eb) over the shaded in-step band.
    const blue = await page.getByTestId('lag-chart').locator('canvas').evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 200 && Math.abs(d[i] - 37) < 30 && Math.abs(d[i + 1] - 99) < 30 && Math.abs(d[i + 2] - 235) < 30) n++;
      return n;
    });
    expect(blue).toBeGreaterThan(50);
    await page.getByTestId('lag-card').screenshot({ path: join(ART, 'insight-01-lag.png') });
  }, 120_000);

  it('the queue field is a password input, shown masked, checked before Start', async () => {
    await page.getByTestId('nav-experiment').click();
    await page.getByTestId('preset').selectOption('single');
    const q = page.getByTestId('queue');
    expect(await q.getAttribute('type')).toBe('password');
    await q.fill('rediss://lab:s3cret@redis.example:6380/0');
    expect(await page.getByTestId('queue-note').textContent()).toMatch(/rediss:\/\/\*\*\*@redis\.example:6380\/0/);
    expect(await page.locator('body').textContent()).not.toMatch(/s3cret/);
    await q.fill('http://redis.example');
    await page.getByTestId('queue-error').waitFor();
    expect(await page.getByTestId('start').isDisabled()).toBe(true);
    await q.fill('');
  });

  it('Run detail: the saliency toggle shows what the trained run looks at in the picked frame', async () => {
    await fillGrid(page, { preset: 'single', epochs: 1, maxSteps: 4 });
    await trainToCompare(page);
    await openFirstRunDetail(page);
    await page.getByTestId('run-pred-vs-true').locator('canvas').click();
    await page.getByTestId('frame-peek').waitFor();
    // The open demo drive is the run's drive: its frame by the run's sample index.
    await page.getByTestId('peek-image').waitFor();
    await page.getByTestId('saliency-gradcam').check();
    const img = page.getByTestId('saliency-image');
    await img.waitFor({ timeout: 90_000 });
    expect(await img.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    expect(await img.getAttribute('alt')).toMatch(/^Grad-CAM saliency of sample \d+/);
    await page.getByTestId('saliency-visualbackprop').check();
    await expect.poll(() => img.getAttribute('alt'), { timeout: 60_000 }).toMatch(/^VisualBackProp saliency/);
    await shot('insight-02-saliency');
    await page.getByTestId('saliency-off').check();
    await page.getByTestId('peek-image').waitFor();
    expect(s.stderr.join('')).not.toMatch(/internal error/i);
  }, 240_000);

  it('Data set: "Saliency of run" shows what the trained run looks at in the scrubbed sample', async () => {
    await page.getByTestId('nav-dataset').click();
    // The open demo drive is the run's drive, so the finished run is listed.
    const pick = page.getByTestId('dataset-saliency-run');
    await expect.poll(() => pick.locator('option').count(), { timeout: 30_000 }).toBeGreaterThan(1);
    await page.getByTestId('dataset-saliency-method').selectOption('gradcam');
    await pick.selectOption({ index: 1 });
    const img = page.getByTestId('dataset-saliency').getByTestId('saliency-image');
    await img.waitFor({ timeout: 90_000 });
    expect(await img.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    const sample = Number(await page.getByTestId('scrubber-range').inputValue());
    expect(await img.getAttribute('alt')).toMatch(new RegExp(`^Grad-CAM saliency of sample ${sample + 1}:`));
    await page.getByTestId('dataset-saliency').screenshot({ path: join(ART, 'insight-03-dataset-saliency.png') });
    expect(s.stderr.join('')).not.toMatch(/internal error/i);
  }, 180_000);
});
