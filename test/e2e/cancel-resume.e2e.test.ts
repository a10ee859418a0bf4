/**
 * End to end (issue 13, item 9): Export downloads the file in the browser;
 * Cancel asks first (in the page); a cancelled grid's runs that never
 * started read "skipped"; Compare offers Resume for an experiment with cells
 * without a result, and Live training follows the resumed grid.
 * Item 10: a label file without a recognised steering column offers its
 * columns in the Data set form. Screenshots go to test-artifacts/cancel-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ART, CHROMIUM, confirmCancel, fillGrid, keepFailures, notStartedRuns, openDemo, serveAndBrowse, trainToCompare, waitForFirstRunStatus, waitForFirstStep, type Served } from './serve.ts';

const REQUIRED = process.env.STEERLAB_REQUIRE_E2E === '1';
const HAVE = existsSync(CHROMIUM);

if (!HAVE && REQUIRED) throw new Error(`STEERLAB_REQUIRE_E2E=1 but Chromium is missing at ${CHROMIUM} (apt-get install chromium)`);

describe.skipIf(!HAVE)('cancel with confirmation, resume and export download', () => {
  let s: Served;
  let page: Page;
  const shot = (name: string) => page.screenshot({ path: join(ART, `cancel-${name}.png`), fullPage: true });

  beforeAll(async () => {
    s = await serveAndBrowse(240);
    page = await s.browser.newPage({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    page.setDefaultTimeout(60_000);
  }, 120_000);

  afterAll(async () => {
    await s?.stop();
  });

  keepFailures('cancel', () => ({ page, s }));

  it('downloads an exported report in the browser', async () => {
    await page.goto(s.url);
    await openDemo(page);
    await fillGrid(page, { preset: 'single', epochs: 1, maxSteps: 3 });
    await trainToCompare(page);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-html').click()]);
    expect(download.suggestedFilename()).toMatch(/-report\.html$/);
    const saved = await download.path();
    expect(readFileSync(saved, 'utf8')).toMatch(/<html/i);
    await expect.poll(() => page.getByTestId('exported').textContent()).toMatch(/Downloaded .*report\.html \(\d+\.\d KiB\)/);
    // A finished grid has nothing to resume.
    expect(await page.getByTestId('resume').count()).toBe(0);
  }, 240_000);

  it('asks before cancelling, marks the runs never started as skipped, and resumes them from Compare', async () => {
    await fillGrid(page, { preset: 'output-head', epochs: 200, maxSteps: 0 });
    await page.getByTestId('start').click();
    await waitForFirstStep(page);
    // Cancel asks in the page; "Keep training" leaves the grid running.
    await page.getByTestId('cancel').click();
    await page.getByTestId('cancel-dialog').waitFor();
    await shot('confirm');
    await page.getByTestId('cancel-keep').click();
    expect(await page.getByTestId('cancel-dialog').count()).toBe(0);
    expect(await page.getByTestId('run-status').first().textContent()).toMatch(/running/);
    await confirmCancel(page);
    await waitForFirstRunStatus(page, /cancelled/);
    await expect.poll(async () => (await notStartedRuns(page)).statuses).toEqual(['skipped', 'skipped', 'skipped']);
    await shot('skipped');

    await page.getByTestId('to-compare').click();
    await page.getByTestId('resume').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('resume').textContent()).toMatch(/Resume \(4 runs left\)/);
    await page.getByTestId('resume').click();
    // Live training follows the resumed grid, which can be cancelled again.
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/live');
    await waitForFirstRunStatus(page, /running/, 60_000);
    // The resumed grid's cells not started yet are listed as waiting (the page re-attached: their names come from the backend).
    await expect.poll(async () => (await notStartedRuns(page)).statuses).toEqual(['waiting', 'waiting', 'waiting']);
    await shot('resumed');
    await confirmCancel(page);
    await waitForFirstRunStatus(page, /cancelled/);
  }, 300_000);

  it('offers the columns of a label file without a recognised steering column, and opens it with the chosen one', async () => {
    // The demo drive's video, with its labels' steering column renamed to a name the lab does not recognise.
    const files = readdirSync(s.workspace, { recursive: true, encoding: 'utf8' });
    const video = files.find((f) => f.endsWith('synth.mp4'));
    const labels = files.find((f) => f.endsWith('labels.csv') && f.startsWith(video!.slice(0, -'synth.mp4'.length)));
    expect(video && labels).toBeTruthy();
    const renamed = join(s.workspace, 'renamed-labels.csv');
    writeFileSync(renamed, readFileSync(join(s.workspace, labels!), 'utf8').replace('steering_deg', 'wheel_pos'));
    await page.getByTestId('nav-dataset').click();
    if (!(await page.getByTestId('open-source').isVisible())) await page.getByTestId('open-form').click();
    await page.getByTestId('open-source').fill(join(s.workspace, video!));
    await page.getByPlaceholder('/path/to/steering.csv (optional for folders)').fill(renamed);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await page.getByTestId('steering-column').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('steering-column').locator('option').allTextContents()).toEqual(expect.arrayContaining(['frame_index', 'timestamp_s', 'wheel_pos']));
    await shot('steering-column');
    await page.getByTestId('steering-column').selectOption('wheel_pos');
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await expect.poll(() => page.getByTestId('labels-card').textContent(), { timeout: 90_000 }).toMatch(/renamed-labels\.csv/);
  }, 180_000);
});
