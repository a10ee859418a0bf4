/**
 * End to end, one truth across views (issue 13, item 3): Debian's Chromium
 * against a real `steerlab serve` trains a tiny output-head grid, then reads
 * each run's validation MAE and RMSE, its step count, its epoch numbering and
 * its findings in Live training, Compare and Run detail, and expects the same
 * text everywhere. Screenshots of the three views at 1440x900 and 1024x700 go
 * to test-artifacts/consistency-*.png; at 1024 px no view may scroll sideways.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ART, CHROMIUM, fillGrid, openDemoPage, serveAndBrowse, type Served } from './serve.ts';

const REQUIRED = process.env.STEERLAB_REQUIRE_E2E === '1';
const HAVE = existsSync(CHROMIUM);
if (!HAVE && REQUIRED) throw new Error(`STEERLAB_REQUIRE_E2E=1 but Chromium is missing at ${CHROMIUM} (apt-get install chromium)`);

/** Epochs per run: small, but more than one so that "best" and "last" epoch could differ. */
const EPOCHS = 2;

/** `steps`: how many steps the run trained (its last step's name + 1: steps are numbered from 0 in every view). */
interface LiveRow { name: string; steps: number; epoch: string; mae: string; findings: string; count: number }

describe.skipIf(!HAVE)('the same run shows the same numbers in every view', () => {
  let s: Served;
  let page: Page;
  const live = new Map<string, LiveRow>();
  const sizes = [{ width: 1440, height: 900 }, { width: 1024, height: 700 }];

  /** Screenshots at both sizes (after `check` at each); returns the widest document width seen at 1024 px (px). */
  const shots = async (view: string, check?: () => Promise<void>): Promise<number> => {
    let wide = 0;
    for (const v of sizes) {
      await page.setViewportSize(v);
      await page.waitForTimeout(300);
      await check?.();
      await page.screenshot({ path: join(ART, `consistency-${view}-${v.width}x${v.height}.png`), fullPage: true });
      if (v.width === 1024) wide = await page.evaluate(() => document.documentElement.scrollWidth);
    }
    await page.setViewportSize(sizes[0]);
    return wide;
  };

  /**
   * The gradient heatmap labels its step columns readably: every column, or every 2nd, 5th, 10th, … from the first
   * (never an irregular pick); with a dozen columns or fewer, every one.
   */
  const heatmapLabelsRegular = async (): Promise<void> => {
    const c = page.getByTestId('grad-heatmap').locator('canvas');
    await expect.poll(() => c.getAttribute('data-labelled')).toBeTruthy();
    const columns = (await c.getAttribute('data-columns'))!.split(',');
    const stride = Number(await c.getAttribute('data-stride'));
    expect([1, 2, 5, 10, 20, 50, 100]).toContain(stride);
    expect((await c.getAttribute('data-labelled'))!.split(',')).toEqual(columns.filter((_, i) => i % stride === 0));
    if (columns.length <= 12) expect(stride, `${columns.length} columns`).toBe(1);
  };
  /** The dead/saturated chart names each layer once (a tanh head's saturation sits in its own layer's bar). */
  const deadSaturatedLabels = async (): Promise<string[]> => {
    const labels = (await page.getByTestId('dead-saturated').getAttribute('data-labels'))!.split('|');
    const layers = labels.map((l) => l.replace(/ \(\w+ head\)$/, ''));
    expect(new Set(layers).size, labels.join(', ')).toBe(layers.length);
    return labels;
  };
  /** A predicted-vs-true chart's y axis covers the true and predicted angles with room beyond both ends (°). */
  const coversWithMargin = async (testid: string): Promise<void> => {
    const c = page.getByTestId(testid).locator('canvas');
    await expect.poll(() => c.getAttribute('data-y-max')).toBeTruthy();
    const [yMin, yMax, lo, hi] = await Promise.all(['data-y-min', 'data-y-max', 'data-data-min', 'data-data-max'].map(async (a) => Number(await c.getAttribute(a))));
    expect(lo).toBeLessThanOrEqual(hi);
    expect(yMax, `${testid}: top of the axis vs the largest angle`).toBeGreaterThan(hi);
    expect(yMin, `${testid}: bottom of the axis vs the smallest angle`).toBeLessThan(lo);
  };

  beforeAll(async () => {
    s = await serveAndBrowse(480);
    page = await openDemoPage(s, sizes[0]);
  }, 180_000);
  afterAll(async () => {
    await s?.stop();
  });

  it('Live training: 1-based epochs, "epoch N/N" at the end, steps named from 0 alike in the table, the diagnostics and the heatmap, MAE and RMSE of the last epoch', async () => {
    await fillGrid(page, { preset: 'output-head', epochs: EPOCHS, maxSteps: 4 });
    await page.getByTestId('start').click();
    await page.getByTestId('to-compare').waitFor({ timeout: 200_000 });
    const rows = page.getByTestId('live-runs').locator('tbody tr:not(.muted)');
    const n = await rows.count();
    expect(n).toBeGreaterThanOrEqual(2);
    for (let i = 0; i < n; i++) {
      const row = rows.nth(i);
      await row.locator('td').first().locator('button').click();
      const name = (await row.locator('td').first().textContent())!.trim();
      const step = (await row.getByTestId('live-step').textContent())!.trim();
      const m = /^(\d+) \(epoch (\d+)\/(\d+)\)$/.exec(step);
      expect(m, step).not.toBeNull();
      expect(m![2]).toBe(String(EPOCHS));
      expect(m![3]).toBe(String(EPOCHS));
      // The last step (a step is logged, with its diagnostics, every step) has one name: the table's, the heading's, the heatmap's last column.
      await expect.poll(async () => (await page.getByTestId('live-diag-title').textContent())?.trim()).toBe(`Diagnostics of ${name} at step ${m![1]}`);
      expect((await page.getByTestId('grad-heatmap').locator('canvas').getAttribute('data-columns'))!.split(',').at(-1), `${name}: heatmap's last column vs the table`).toBe(m![1]);
      const mae = (await row.getByTestId('live-mae').textContent())!.trim();
      await expect.poll(() => page.getByTestId('live-last-epoch').textContent()).toContain(name);
      expect((await page.getByTestId('live-sel-mae').textContent())!.trim()).toBe(mae);
      const rmse = (await page.getByTestId('live-sel-rmse').textContent())!.trim();
      const items = page.getByTestId('live-findings').locator('li');
      const findings = (await items.allTextContents()).join('\n');
      // The findings column counts the list shown below it.
      expect(await row.locator('td').last().textContent()).toBe(String(await items.count()));
      live.set(name, { name, steps: Number(m![1]) + 1, epoch: `${m![2]}/${m![3]}`, mae: `${mae}|${rmse}`, findings, count: await items.count() });
      await heatmapLabelsRegular();
      const bars = await deadSaturatedLabels();
      if (/head=tanh/.test(name)) expect(bars.some((l) => / \(tanh head\)$/.test(l)), bars.join(', ')).toBe(true);
    }
    expect(await shots('live', heatmapLabelsRegular)).toBeLessThanOrEqual(1024);
  }, 300_000);

  it('Compare and Run detail show the same MAE, RMSE, epochs, steps and findings as Live', async () => {
    await page.getByTestId('to-compare').click();
    await page.getByTestId('compare-table').waitFor();
    const rows = page.getByTestId('compare-table').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(live.size);
    expect(await shots('compare', () => coversWithMargin('pred-vs-true'))).toBeLessThanOrEqual(1024);
    const names = await rows.locator('td:first-child').allTextContents();
    for (let i = 0; i < names.length; i++) {
      const name = names[i].trim();
      const l = live.get(name)!;
      expect(l, name).toBeDefined();
      const row = rows.nth(i);
      const mae = (await row.getByTestId('mae-cell').textContent())!.trim();
      const rmse = (await row.getByTestId('rmse-cell').textContent())!.trim();
      expect(`${mae}|${rmse}`, `${name}: Live vs Compare`).toBe(l.mae);
      expect((await row.getByTestId('epochs-cell').textContent())!.trim()).toBe(String(EPOCHS));
      const cmpFindings = page.locator(`[data-testid="compare-findings"][data-run="${name}"] li`);
      const messages = (await cmpFindings.allTextContents()).map((t) => t.trim());
      for (const msg of messages) expect(l.findings, `${name}: Compare finding missing in Live`).toContain(msg);
      expect(l.count, `${name}: findings in Live vs Compare`).toBe(messages.length);

      await row.locator('td').first().locator('button').click();
      await page.getByTestId('run-summary').waitFor();
      const rd = `${(await page.getByTestId('run-mae').textContent())!.trim()}|${(await page.getByTestId('run-rmse').textContent())!.trim()}`;
      expect(rd, `${name}: Live vs Run detail`).toBe(l.mae);
      expect((await page.getByTestId('run-epochs-steps').textContent())!.trim()).toBe(`${EPOCHS} / ${l.steps}`);
      const rdFindings = (await page.getByTestId('run-findings').locator('li').allTextContents()).join('\n');
      expect(rdFindings, `${name}: findings (kinds, steps, messages) in Live vs Run detail`).toBe(l.findings);
      for (const msg of messages) expect(rdFindings, `${name}: Compare finding missing in Run detail`).toContain(msg);
      expect(await page.getByTestId('run-findings').locator('li').count(), `${name}: findings count`).toBe(messages.length);
      await coversWithMargin('run-pred-vs-true');
      if (i === 0) expect(await shots('run-detail')).toBeLessThanOrEqual(1024);
      await page.getByRole('button', { name: '← Compare' }).click();
      await page.getByTestId('compare-table').waitFor();
    }
  }, 240_000);
});
