/**
 * End to end: what survives a reload. Routes open the same view (Compare of
 * one experiment, one run's detail); the open data set and the forms come
 * back; a reload during training re-attaches to the running grid (Live
 * shows it, Start stays disabled, Cancel works) and a second page follows
 * the same experiment. Also the charts of issue 13: per-epoch error in
 * degrees for every run, loss per run, predicted vs true over time with a
 * click that shows the frame. Screenshots go to test-artifacts/reload-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ART, CHROMIUM, confirmCancel, fillGrid, firstRunStep, keepFailures, notStartedRuns, openDemo, openFirstRunDetail, serveAndBrowse, trainToCompare, waitForFirstRunStatus, waitForFirstStep, type Served } from './serve.ts';

const REQUIRED = process.env.STEERLAB_REQUIRE_E2E === '1';
const HAVE = existsSync(CHROMIUM);
const DEMO_FRAMES = 480;

if (!HAVE && REQUIRED) throw new Error(`STEERLAB_REQUIRE_E2E=1 but Chromium is missing at ${CHROMIUM} (apt-get install chromium)`);

describe.skipIf(!HAVE)('reloads, routes and re-attaching to a running experiment', () => {
  let s: Served;
  let page: Page;

  const shot = (name: string, p: Page = page) => p.screenshot({ path: join(ART, `reload-${name}.png`), fullPage: true });
  const hash = (p: Page = page) => p.evaluate(() => location.hash);
  /** Clicks a chart's plot at a fraction of its width (the point nearest in x is picked). */
  const clickChart = async (testid: string, fx = 0.12, p: Page = page): Promise<void> => {
    const canvas = p.getByTestId(testid).locator('canvas');
    await canvas.scrollIntoViewIfNeeded();
    const box = await canvas.boundingBox();
    if (!box) throw new Error(`${testid} has no canvas`);
    await canvas.click({ position: { x: box.width * fx, y: box.height * 0.4 } });
  };

  beforeAll(async () => {
    s = await serveAndBrowse(DEMO_FRAMES);
    page = await s.browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.setDefaultTimeout(60_000);
  }, 120_000);

  afterAll(async () => {
    await s?.stop();
  });

  keepFailures('reload', () => ({ page, s }));

  it('keeps the open data set and the forms across a reload, and the route names the view', async () => {
    await page.goto(s.url);
    await page.getByTestId('empty-state').waitFor();
    expect(await hash()).toBe('#/data');
    await openDemo(page);
    await fillGrid(page, { preset: 'single', name: 'quick', epochs: 2, maxSteps: 4 });
    expect(await hash()).toBe('#/experiment');

    await page.reload();
    // Same view, same form, and the demo drive reopened (the form with Start shows only with a data set open).
    await page.getByTestId('start').waitFor({ timeout: 60_000 });
    expect(await hash()).toBe('#/experiment');
    expect(await page.getByTestId('run-name').inputValue()).toBe('quick');
    expect(await page.getByTestId('epochs').inputValue()).toBe('2');
    expect(await page.getByTestId('preset').inputValue()).toBe('single');
    await page.getByTestId('nav-dataset').click();
    await page.getByTestId('frame-image').waitFor();
    expect(await page.getByTestId('video-card').textContent()).toMatch(/model input\s*(64×32|32×64) px \(from cache\)/);
    if (!(await page.getByTestId('input-width').isVisible())) await page.getByTestId('open-form').click();
    expect(await page.getByTestId('input-width').inputValue()).toBe('64');
  }, 180_000);

  it('Compare: error in degrees per epoch for every run, loss per run, predicted vs true over time with the frame of a clicked point; routes survive a reload', async () => {
    await page.getByTestId('nav-experiment').click();
    await trainToCompare(page);
    const experimentId = await page.getByTestId('experiment-select').inputValue();
    expect(experimentId).not.toBe('');
    await expect.poll(() => hash()).toBe(`#/compare/${experimentId}`);
    await page.getByTestId('compare-val-mae').waitFor();
    await page.getByTestId('compare-val-rmse').waitFor();
    await page.getByTestId('compare-loss-0').waitFor();
    await page.getByTestId('pred-vs-true').waitFor();
    await clickChart('pred-vs-true');
    await page.getByTestId('peek-image').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('frame-peek').textContent()).toMatch(/true angle/);
    await shot('compare-1440');
    await page.setViewportSize({ width: 1024, height: 700 });
    await shot('compare-1024');
    await page.setViewportSize({ width: 1440, height: 900 });

    await page.reload();
    await page.getByTestId('compare-table').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('experiment-select').inputValue()).toBe(experimentId);

    await openFirstRunDetail(page);
    const runHash = await hash();
    expect(runHash).toMatch(/^#\/run\/[\w.-]+$/);
    await page.reload();
    await page.getByTestId('run-summary').waitFor({ timeout: 60_000 });
    expect(await hash()).toBe(runHash);
    await page.getByTestId('run-val-error').waitFor();
    await page.getByTestId('run-loss').waitFor();
    await page.getByTestId('run-pred-vs-true').waitFor();
    // The reopened demo drive is this run's drive: a click shows the frame at that time.
    await clickChart('run-pred-vs-true');
    await page.getByTestId('peek-image').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('peek-time').textContent()).toMatch(/^\d+\.\d\d s/);
    await shot('run-detail-1440');
    await page.setViewportSize({ width: 1024, height: 700 });
    await shot('run-detail-1024');
    await page.setViewportSize({ width: 1440, height: 900 });
    // Back returns to Compare of the same experiment.
    await page.goBack();
    await page.getByTestId('compare-table').waitFor();
  }, 240_000);

  it('re-attaches after a reload during training: Live shows the run and the runs not started, Start stays disabled, Cancel works, another page follows', async () => {
    // Four runs: the first trains for long, the other three wait (and must still be listed after the reload).
    await fillGrid(page, { preset: 'output-head', name: 'long', epochs: 200, maxSteps: 0 });
    await page.getByTestId('start').click();
    const stepCell = () => firstRunStep(page);
    await waitForFirstStep(page);
    const waiting = await notStartedRuns(page);
    expect(waiting.statuses).toEqual(['waiting', 'waiting', 'waiting']);
    expect(waiting.names.every((n) => n.startsWith('long'))).toBe(true);
    // A second page, opened on Compare while the grid runs: it is told when the experiment ends.
    const other = await s.browser.newPage({ viewport: { width: 1440, height: 900 } });
    await other.goto(`${s.url}#/compare`);
    await other.getByTestId('compare-table').waitFor({ timeout: 60_000 });

    await page.reload();
    expect(await hash()).toBe('#/live');
    await waitForFirstRunStatus(page, /running/, 30_000);
    await expect.poll(() => page.getByTestId('live-runs').textContent()).toMatch(/long/);
    // The runs not started are listed as before the reload: same names, same order, waiting.
    await expect.poll(() => notStartedRuns(page)).toEqual(waiting);
    expect(await page.getByTestId('live-progress').textContent()).toMatch(/of 4 runs/);
    // Steps logged before the reload are read back from the workspace, later ones arrive live.
    const firstStep = Number(/^(\d+)/.exec((await stepCell()) ?? '')?.[1] ?? NaN);
    await expect.poll(async () => Number(/^(\d+)/.exec((await stepCell()) ?? '')?.[1] ?? NaN), { timeout: 30_000 }).toBeGreaterThan(Number.isNaN(firstStep) ? 0 : firstStep);
    await shot('live-reattached');
    await page.getByTestId('nav-experiment').click();
    await page.getByTestId('start').waitFor();
    expect(await page.getByTestId('start').isDisabled()).toBe(true);
    expect(await page.getByTestId('experiment-running-note').textContent()).toMatch(/running/);
    await page.getByTestId('nav-live').click();
    const t0 = Date.now();
    await confirmCancel(page);
    // Cancelling… until the backend answers; on an idle machine the answer can come first and the button goes away.
    const cancelState = async (): Promise<string> => ((await page.getByTestId('cancel').count()) === 0 ? 'gone' : ((await page.getByTestId('cancel').textContent({ timeout: 1_000 }).catch(() => 'gone')) ?? ''));
    await expect.poll(cancelState, { timeout: 5_000 }).toMatch(/Cancelling|gone/);
    await waitForFirstRunStatus(page, /cancelled/);
    await expect.poll(async () => (await notStartedRuns(page)).statuses).toEqual(['skipped', 'skipped', 'skipped']);
    // The page keeps up with a run logging every step: Cancel's answer is not queued behind minutes of redraws.
    expect(Date.now() - t0).toBeLessThan(30_000);
    await page.getByTestId('to-compare').waitFor();
    await page.getByTestId('nav-experiment').click();
    // Enabled again once the presets are listed.
    await expect.poll(() => page.getByTestId('start').isDisabled(), { timeout: 15_000 }).toBe(false);

    // The other page's experiment list shows the grid as ended without a Refresh.
    const options = () => other.getByTestId('experiment-select').locator('option').allTextContents();
    await expect.poll(async () => (await options()).join('\n'), { timeout: 30_000 }).toMatch(/cancel/i);
    expect((await options()).join('\n')).not.toMatch(/running/);
    await other.close();
  }, 240_000);
});
