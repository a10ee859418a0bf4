/**
 * End to end, frame inspection and the crop in Debian's Chromium against a
 * real `steerlab serve`: the scrubbed sample's source frame with the crop
 * outlined beside the model input; all four crop sides edited with the
 * outline following each keystroke (nothing decoded until Apply); and the
 * demo drive still one click away with a data set open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ART, CHROMIUM, fillGrid, openDemoPage, openFirstRunDetail, serveAndBrowse, trainToCompare, type Served } from './serve.ts';

const REQUIRED = process.env.STEERLAB_REQUIRE_E2E === '1';
const HAVE = existsSync(CHROMIUM);
if (!HAVE && REQUIRED) throw new Error(`STEERLAB_REQUIRE_E2E=1 but Chromium is missing at ${CHROMIUM} (apt-get install chromium)`);

describe.skipIf(!HAVE)('source frames and the crop in a real browser', () => {
  let s: Served;
  let page: Page;
  const shot = (name: string) => page.screenshot({ path: join(ART, `${name}.png`), fullPage: true });
  /** The outline's box in fractions of the source frame it is drawn on (typing may scroll the page or resize the image). */
  const outline = async () => {
    const o = (await page.getByTestId('crop-outline').boundingBox())!;
    const img = (await page.getByTestId('source-frame').boundingBox())!;
    return { x: (o.x - img.x) / img.width, y: (o.y - img.y) / img.height, width: o.width / img.width, height: o.height / img.height };
  };
  const sourceAlt = () => page.getByTestId('source-frame').getAttribute('alt');

  beforeAll(async () => {
    s = await serveAndBrowse(240);
    page = await openDemoPage(s, { width: 1440, height: 900 });
  }, 180_000);
  afterAll(async () => {
    await s?.stop();
  });

  it('shows the scrubbed source frame with the crop outlined beside the model input, and follows the scrubber', async () => {
    await expect.poll(sourceAlt, { timeout: 30_000 }).toMatch(/^source frame \d+ at/);
    await page.getByTestId('source-frame-view').waitFor();
    const before = await sourceAlt();
    await page.getByTestId('scrubber-range').focus();
    await page.keyboard.press('PageDown');
    await expect.poll(sourceAlt, { timeout: 30_000 }).not.toBe(before);
    await shot('crop-source-frame');
  });

  it('edits all four crop sides with a live outline, decodes nothing until Apply', async () => {
    const model = await page.getByTestId('frame-image').getAttribute('src');
    await expect.poll(async () => (await outline()).width).toBeGreaterThan(0.9);
    const o0 = await outline();
    await page.getByTestId('crop-edit-top').fill('20');
    await expect.poll(async () => (await outline()).y).toBeGreaterThan(o0.y + 0.05);
    const o1 = await outline();
    expect(o1.height).toBeLessThan(o0.height - 0.05);
    await page.getByTestId('crop-edit-bottom').fill('20');
    await expect.poll(async () => (await outline()).height).toBeLessThan(o1.height - 0.05);
    expect((await outline()).y).toBeCloseTo(o1.y, 2);
    await page.getByTestId('crop-edit-left').fill('30');
    await expect.poll(async () => (await outline()).x).toBeGreaterThan(o0.x + 0.05);
    const o3 = await outline();
    expect(o3.width).toBeLessThan(o0.width - 0.05);
    await page.getByTestId('crop-edit-right').fill('30');
    await expect.poll(async () => (await outline()).width).toBeLessThan(o3.width - 0.05);
    expect((await outline()).x).toBeCloseTo(o3.x, 2);
    // The Open form's fields are the same crop.
    expect(await page.getByTestId('crop-left').inputValue()).toBe('30');
    // Typing decoded nothing: the model input is still the one cut with the old crop.
    expect(await page.getByTestId('frame-image').getAttribute('src')).toBe(model);
    await shot('crop-typed');
    await page.getByTestId('apply-crop').click();
    await expect.poll(() => page.getByTestId('apply-crop').isDisabled(), { timeout: 90_000 }).toBe(true);
    await expect.poll(() => page.getByTestId('frame-image').getAttribute('src'), { timeout: 90_000 }).not.toBe(model);
  });

  it('keeps "Try the demo drive" reachable with a data set open', async () => {
    const demo = page.getByTestId('try-demo');
    await expect.poll(() => demo.isVisible()).toBe(true);
    expect(await demo.isEnabled()).toBe(true);
    await demo.click();
    await expect.poll(() => page.getByTestId('apply-crop').isEnabled(), { timeout: 90_000 }).toBe(true); // the demo has no crop; the fields still hold 20/20/30/30
    expect(await page.getByTestId('try-demo').isVisible()).toBe(true);
    const errors = await page.locator('[role=alert]').count();
    expect(errors).toBe(0);
  });

  it('Run detail: a picked point shows the source frame with its crop beside the model input, with true and predicted wheels', async () => {
    await fillGrid(page, { preset: 'single', epochs: 1, maxSteps: 4 });
    await trainToCompare(page);
    await openFirstRunDetail(page);
    await page.getByTestId('run-pred-vs-true').locator('canvas').click();
    await page.getByTestId('peek-image').waitFor();
    await page.getByTestId('peek-source').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('peek-source').locator('img').getAttribute('alt')).toMatch(/^source frame \d+ at .* with the model's crop outlined/);
    expect(await page.getByTestId('peek-wheels').getByTestId('steering-wheel').count()).toBeGreaterThanOrEqual(2);
    await page.getByTestId('frame-peek').screenshot({ path: join(ART, 'crop-peek.png') });
  }, 240_000);
});
