/**
 * End to end: Debian's Chromium (playwright-core) against a real
 * `steerlab serve` on a temporary workspace. Opens the demo drive, trains a
 * small output-head comparison, compares it, and cancels a run; then runs two
 * lab studies (quick) from the Experiment presets and reads their conclusions
 * and charts. Screenshots of each view go to test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { spawnCli } from '../helpers/cli.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = process.env.STEERLAB_CHROMIUM ?? '/usr/bin/chromium';
const REQUIRED = process.env.STEERLAB_REQUIRE_E2E === '1';
const HAVE = existsSync(CHROMIUM);
const ART = join(ROOT, 'test-artifacts');
const DEMO_FRAMES = 480;

if (!HAVE && REQUIRED) throw new Error(`STEERLAB_REQUIRE_E2E=1 but Chromium is missing at ${CHROMIUM} (apt-get install chromium)`);

describe.skipIf(!HAVE)('Steering Lab in a real browser against steerlab serve', () => {
  let ws: string;
  let server: ChildProcess;
  let url: string;
  let browser: Browser;
  let page: Page;
  const stderr: string[] = [];
  /** Set once the Data set test opened the demo drive in this page. */
  let demoOpened = false;

  const shot = async (name: string): Promise<void> => {
    await page.screenshot({ path: join(ART, `${name}.png`), fullPage: true });
  };

  beforeAll(async () => {
    mkdirSync(ART, { recursive: true });
    ws = mkdtempSync(join(tmpdir(), 'steerlab-e2e-'));
    // The renderer was built from the current source by the slow lane's global setup (test/e2e/global-setup.ts).
    server = spawnCli(['serve', '--port', '0', '--workspace', ws], {
      cwd: ROOT,
      // A short demo drive (24 s: its first curve starts at about 15 s) and a 64x32 input keep the runs short.
      env: { STEERLAB_DEMO_FRAMES: String(DEMO_FRAMES), ...(process.env.STEERLAB_E2E_ENGINE ? { STEERLAB_ENGINE: process.env.STEERLAB_E2E_ENGINE } : {}) },
    });
    server.stderr?.on('data', (d) => stderr.push(String(d)));
    url = await new Promise<string>((resolve, reject) => {
      const rl = createInterface({ input: server.stdout! });
      rl.once('line', (l) => resolve(l.trim()));
      server.once('exit', (code) => reject(new Error(`steerlab serve exited ${code}: ${stderr.join('')}`)));
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.setDefaultTimeout(60_000);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      const gone = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
      if (server.exitCode === null) server.kill('SIGKILL');
    }
    if (ws) rmSync(ws, { recursive: true, force: true });
  });

  it('prints a loopback URL with a token first, and refuses requests without it', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
    const bare = await page.request.get(url.replace(/\?token=.*/, ''));
    expect(bare.status()).toBe(401);
  });

  it('opens the demo drive: frame scrubber with steering wheel, angle chart, histogram', async () => {
    await page.goto(url);
    await page.getByTestId('empty-state').waitFor();
    await shot('01-empty-state');
    await page.getByTestId('open-form').click();
    await page.getByTestId('input-width').fill('64');
    await page.getByTestId('input-height').fill('32');
    await page.getByTestId('try-demo').click();
    await page.getByTestId('frame-image').waitFor({ timeout: 90_000 });
    await page.getByTestId('angle-chart').waitFor();
    await page.getByTestId('histogram').waitFor();
    await expect.poll(() => page.getByTestId('crop-preview').locator('img').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    // The suggested crop: the demo drive's sky (above the horizon at 42% of 160 rows), its reason, and the button that fills the crop fields.
    const reason = await page.getByTestId('crop-suggestion-reason').textContent();
    const top = Number(/suggested --crop (\d+),0,0,0/.exec(reason ?? '')?.[1]);
    expect(top).toBeGreaterThanOrEqual(64);
    expect(top).toBeLessThanOrEqual(80);
    await page.getByTestId('use-suggested-crop').click();
    expect(await page.getByTestId('crop-top').inputValue()).toBe(String(top));
    expect(await page.getByTestId('open-source').inputValue()).toMatch(/synth\.mp4$/);
    const before = await page.getByTestId('steering-wheel').textContent();
    expect(before).toMatch(/\d+\.\d+°|0\.00°/);
    const range = page.getByTestId('scrubber-range');
    await range.focus();
    // Keyboard only: End jumps to the last frame, arrows step back into the bend the drive ends in.
    await page.keyboard.press('End');
    for (let i = 0; i < 20; i++) await page.keyboard.press('ArrowLeft');
    await expect.poll(() => page.getByTestId('scrubber').textContent()).toMatch(new RegExp(`Sample ${DEMO_FRAMES - 20} of ${DEMO_FRAMES}`));
    await expect.poll(() => page.getByTestId('steering-wheel').textContent()).not.toBe(before);
    await expect.poll(() => page.getByTestId('frame-image').getAttribute('alt')).not.toBe(null);
    expect(await page.getByTestId('video-card').textContent()).toMatch(new RegExp(`${DEMO_FRAMES}\\b`));
    await shot('02-dataset');
    demoOpened = true;
  }, 120_000);

  it('trains a small head comparison, charts update live, Compare shows every run with MAE in degrees', async () => {
    await page.getByTestId('nav-experiment').click();
    await page.getByTestId('preset').selectOption('output-head');
    await page.getByTestId('width-multiplier').fill('0.25');
    await page.getByTestId('epochs').fill('3');
    await page.getByTestId('max-steps').fill('8');
    await page.getByTestId('batch-size').fill('8');
    await page.getByTestId('log-every').fill('1');
    await expect.poll(() => page.getByTestId('grid-cells').locator('li').count()).toBe(4);
    await shot('03-experiment');
    // Sample the loss chart in the page every 100 ms while a run is shown as running: live updates leave several
    // distinct renders. (Two looks from the test process raced a fast machine, where all runs could finish between them.)
    await page.evaluate(() => {
      const w = window as unknown as { __lossRenders: Set<string>; __lossTimer: number };
      w.__lossRenders = new Set();
      w.__lossTimer = window.setInterval(() => {
        const c = document.querySelector('[data-testid="loss-chart"] canvas') as HTMLCanvasElement | null;
        const live = document.querySelector('[data-testid="live-runs"]')?.textContent ?? '';
        if (c && /running/.test(live)) w.__lossRenders.add(c.toDataURL());
      }, 100);
    });
    await page.getByTestId('start').click();
    await page.getByTestId('live-runs').waitFor();
    await page.getByTestId('loss-chart').waitFor();
    await expect.poll(() => page.locator('[data-testid="live-runs"] td').nth(2).textContent(), { timeout: 90_000 }).toMatch(/\d+ \(epoch/);
    await page.getByTestId('grad-heatmap').waitFor();
    await shot('04-live-training');
    await page.getByTestId('to-compare').waitFor({ timeout: 150_000 });
    const liveRenders = await page.evaluate(() => {
      const w = window as unknown as { __lossRenders: Set<string>; __lossTimer: number };
      window.clearInterval(w.__lossTimer);
      return w.__lossRenders.size;
    });
    // The loss chart was redrawn with new steps while the runs were still going.
    expect(liveRenders).toBeGreaterThanOrEqual(2);
    await shot('05-live-finished');
    // The selected run's diagnostics: activation statistics, dead/saturated fractions and its head's pre-activation histogram.
    await page.getByTestId('act-stats').waitFor();
    await page.getByTestId('dead-saturated').waitFor();
    await page.getByTestId('head-histogram').waitFor();
    const statuses = await page.getByTestId('run-status').allTextContents();
    expect(statuses).toHaveLength(4);

    await page.getByTestId('to-compare').click();
    await page.getByTestId('compare-table').waitFor();
    const rows = page.getByTestId('compare-table').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(4);
    const maes = await page.getByTestId('mae-cell').allTextContents();
    expect(maes).toHaveLength(4);
    for (const m of maes) expect(m).toMatch(/^-?\d+(\.\d+)?°$/);
    const header = await page.getByTestId('compare-table').locator('thead').textContent();
    expect(header).toMatch(/zero-predictor MAE/);
    await page.getByTestId('pred-vs-true').waitFor();
    await page.getByTestId('error-by-angle').waitFor();
    await page.getByTestId('export-html').click();
    await expect.poll(() => page.getByTestId('exported').textContent()).toMatch(/report\.html/);
    await shot('06-compare');

    await rows.first().locator('button').click();
    await page.getByTestId('run-summary').waitFor();
    expect(await page.getByTestId('run-summary').textContent()).toMatch(/val MAE\s*-?\d+(\.\d+)?°/);
    await shot('07-run-detail');
  }, 240_000);

  it('cancels a running experiment and records the run as cancelled', async () => {
    await page.getByTestId('nav-experiment').click();
    await page.getByTestId('preset').selectOption('single');
    await page.getByTestId('epochs').fill('200');
    await page.getByTestId('max-steps').fill('0');
    await page.getByTestId('start').click();
    await expect.poll(() => page.locator('[data-testid="live-runs"] td').nth(2).textContent(), { timeout: 90_000 }).toMatch(/\d+ \(epoch/);
    await page.getByTestId('cancel').click();
    await page.getByTestId('cancel-confirm').click();
    await expect.poll(() => page.getByTestId('run-status').first().textContent(), { timeout: 60_000 }).toMatch(/cancelled/);
    await page.getByTestId('to-compare').waitFor();
    await shot('08-cancelled');
  }, 120_000);

  /** Pixels of a canvas close to an RGB colour: a series drawn in that colour leaves many. */
  const pixelsOf = (testid: string, rgb: [number, number, number]) =>
    page.getByTestId(testid).locator('canvas').evaluate((c: HTMLCanvasElement, [r, g, b]) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 200 && Math.abs(d[i] - r) < 24 && Math.abs(d[i + 1] - g) < 24 && Math.abs(d[i + 2] - b) < 24) n++;
      return n;
    }, rgb);

  it('lists the lab studies among the Experiment presets and runs multi-loss (quick) to its conclusions and charts', async () => {
    // Studies bring their own data: no data set needs to be open (and the page may be fresh when run alone with -t).
    if (!page.url().startsWith('http')) await page.goto(url);
    await page.getByTestId('nav-experiment').click();
    const options = () => page.getByTestId('preset').locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    // The list arrives from study.list once the socket is open (slower while the backend is still starting its engine).
    await expect.poll(options, { timeout: 30_000 }).toEqual(expect.arrayContaining(['output-head', 'study:init-activation', 'study:relu-blowup', 'study:multi-loss', 'study:deep-cnn-gradients', 'study:output-head', 'study:backprop-vs-gd']));
    await page.getByTestId('preset').selectOption('study:multi-loss');
    expect(await page.getByTestId('study-description').textContent()).toMatch(/trunk/);
    await shot('09-study-preset');
    await page.getByTestId('study-run-quick').click();
    await page.getByTestId('study-heading').waitFor();
    await page.getByTestId('study-conclusions').waitFor({ timeout: 60_000 });
    const text = (await page.getByTestId('study-conclusions').textContent()) ?? '';
    // Conclusions quote this run's measured numbers: the additivity error (float32 rounding, e.g. 9.69e-8) and each head's share in %.
    expect(text).toMatch(/max \|difference\| \d(\.\d+)?e-\d+/);
    expect(text).toMatch(/steer \(weight 1[^)]*\) -?\d+(\.\d+)?%/);
    expect(await page.getByTestId('multi-loss-additivity').textContent()).toMatch(/\d(\.\d+)?e-\d+/);
    // The share bars are drawn in the palette's purple (#7c3aed).
    await expect.poll(() => pixelsOf('multi-loss-shares', [124, 58, 237]), { timeout: 15_000 }).toBeGreaterThan(200);
    await page.getByTestId('multi-loss-history').waitFor();
    expect(await page.getByTestId('study-phase').textContent()).toMatch(/finished, \d/);
    await shot('10-study-multi-loss');
  }, 90_000);

  it('runs init-activation (quick): conclusions, then activation std vs depth per activation with theory lines', async () => {
    await page.getByTestId('nav-experiment').click();
    await page.getByTestId('preset').selectOption('study:init-activation');
    await page.getByTestId('study-run-quick').click();
    await expect.poll(() => page.getByTestId('study-heading').textContent(), { timeout: 15_000 }).toMatch(/Initialisation/);
    await page.getByTestId('study-conclusions').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('study-conclusions').textContent()).toMatch(/relu/i);
    // He init (#2563eb) lines in the ReLU activation-std chart, and a table row per init x activation.
    await expect.poll(() => pixelsOf('ia-std-relu', [37, 99, 235]), { timeout: 15_000 }).toBeGreaterThan(100);
    await page.getByTestId('ia-grad-sigmoid').waitFor();
    expect(await page.getByTestId('init-activation-table').locator('tbody tr').count()).toBe(16);
    // The earlier multi-loss run stays reachable from the run picker.
    expect(await page.getByTestId('study-select').locator('option').count()).toBe(2);
    await shot('11-study-init-activation');
  }, 90_000);

  it('offers the open data set to the drive studies, and keeps finished studies across a reload', async () => {
    await page.getByTestId('nav-experiment').click();
    await page.getByTestId('preset').selectOption('study:output-head');
    const openChoice = page.getByTestId('study-data-open');
    // The demo drive opened in the Data set view (when this file runs whole) is offered by name; without one the choice is disabled.
    expect(await openChoice.isDisabled()).toBe(!demoOpened);
    if (demoOpened) expect(await page.getByTestId('study-data').textContent()).toMatch(new RegExp(`synth\\.mp4.*${DEMO_FRAMES} samples`));
    else expect(await page.getByTestId('study-data').textContent()).toMatch(/none is open/);
    expect(await page.getByTestId('study-data-demo').isChecked()).toBe(true);
    await shot('12-study-data-choice');

    // A reload starts a new page with empty state: the finished studies come back from the workspace.
    await page.reload();
    await page.getByTestId('nav-study').click();
    await expect.poll(() => page.getByTestId('study-select').locator('option').allTextContents(), { timeout: 30_000 })
      .toEqual([expect.stringMatching(/loss heads.*stored/), expect.stringMatching(/Initialisation.*stored/)]);
    // The newest one is shown, with its conclusions and charts.
    expect(await page.getByTestId('study-heading').textContent()).toMatch(/Initialisation/);
    expect(await page.getByTestId('study-phase').textContent()).toMatch(/finished, .*stored in the workspace/);
    expect(await page.getByTestId('study-conclusions').textContent()).toMatch(/relu/i);
    await expect.poll(() => pixelsOf('ia-std-relu', [37, 99, 235]), { timeout: 15_000 }).toBeGreaterThan(100);
    await page.getByTestId('study-select').selectOption({ index: 0 });
    await expect.poll(() => page.getByTestId('multi-loss-additivity').textContent()).toMatch(/\d(\.\d+)?e-\d+/);
    await shot('13-study-after-reload');
  }, 90_000);
  it('opens two drives, each with its own steering log, as one data set', async () => {
    if (!page.url().startsWith('http')) await page.goto(url);
    const { synthesizeDrive } = await import('../../src/synth/index.ts');
    const a = await synthesizeDrive(join(ws, 'drive-a'), { frames: 40, seed: 5, width: 64, height: 32, fps: 20 });
    const c = await synthesizeDrive(join(ws, 'drive-c'), { frames: 50, seed: 6, width: 64, height: 32, fps: 20 });
    await page.getByTestId('nav-dataset').click();
    const form = page.getByTestId('open-form');
    if (!(await page.getByTestId('open-source').isVisible())) await form.click();
    await page.getByTestId('open-source').fill(a.videoPath);
    // The demo test filled the crop fields with the demo drive's suggested crop (taller than these 32-row drives).
    await page.getByTestId('crop-top').fill('0');
    await page.getByLabel('Labels').fill(a.labelsPath);
    await page.getByTestId('add-video').click();
    await page.getByTestId('more-source').fill(c.videoPath);
    await page.getByTestId('more-labels').fill(c.labelsPath);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    const card = page.getByTestId('videos-card');
    await card.waitFor({ timeout: 60_000 });
    expect(await card.locator('h3').textContent()).toMatch(/^2 videos/);
    const rows = await card.locator('tbody tr').allTextContents();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/drive-a\/synth\.mp4\s*\S*drive-a\/labels\.csv\s*40\s*1–/);
    expect(rows[1]).toMatch(/drive-c\/synth\.mp4\s*\S*drive-c\/labels\.csv\s*50\s*\d+–90/);
    // No error banner: every request of the Data set view (frames, crop preview) found its video.
    await expect.poll(() => page.getByTestId('crop-preview').locator('img').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(await page.getByTestId('video-card').textContent()).toMatch(/2 videos, one after another.*frames\s*90 at/);
    await shot('14-two-videos');
  }, 90_000);
});
