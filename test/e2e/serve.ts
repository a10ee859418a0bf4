/**
 * A real `steerlab serve` on a temporary workspace and Debian's Chromium
 * (playwright-core), for e2e files that need their own server (the state a
 * reload must survive lives in the backend and the workspace).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { beforeEach, expect } from 'vitest';
import { spawnCli } from '../helpers/cli.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM = process.env.STEERLAB_CHROMIUM ?? '/usr/bin/chromium';
export const ART = join(ROOT, 'test-artifacts');

export interface Served {
  /** The URL with the launch token, as `steerlab serve` prints it. */
  url: string;
  workspace: string;
  browser: Browser;
  stderr: string[];
  stop(): Promise<void>;
}

/** Starts the server (demo drive of `demoFrames` frames) and the browser; the renderer is built by global-setup.ts. */
export async function serveAndBrowse(demoFrames: number): Promise<Served> {
  mkdirSync(ART, { recursive: true });
  const workspace = mkdtempSync(join(tmpdir(), 'steerlab-e2e-'));
  // The renderer was built from the current source by the slow lane's global setup (test/e2e/global-setup.ts).
  const server: ChildProcess = spawnCli(['serve', '--port', '0', '--workspace', workspace], {
    cwd: ROOT,
    env: { STEERLAB_DEMO_FRAMES: String(demoFrames), ...(process.env.STEERLAB_E2E_ENGINE ? { STEERLAB_ENGINE: process.env.STEERLAB_E2E_ENGINE } : {}) },
  });
  const stderr: string[] = [];
  server.stderr?.on('data', (d) => stderr.push(String(d)));
  const url = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: server.stdout! });
    rl.once('line', (l) => resolve(l.trim()));
    server.once('exit', (code) => reject(new Error(`steerlab serve exited ${code}: ${stderr.join('')}`)));
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  return {
    url, workspace, browser, stderr,
    async stop() {
      await browser.close();
      if (server.exitCode === null) {
        const gone = new Promise((r) => server.once('exit', r));
        server.kill('SIGTERM');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
        if (server.exitCode === null) server.kill('SIGKILL');
      }
      rmSync(workspace, { recursive: true, force: true });
    },
  };
}

/** A page of the app with the demo drive open at 64x32 px (the set-up every e2e file that trains needs). */
export async function openDemoPage(s: Served, viewport: { width: number; height: number }): Promise<Page> {
  const page = await s.browser.newPage({ viewport });
  page.setDefaultTimeout(60_000);
  await page.goto(s.url);
  await page.getByTestId('empty-state').waitFor();
  await openDemo(page);
  return page;
}

/** Opens the demo drive at 64x32 px from the Data set view's Open form, on a page already showing the app. */
export async function openDemo(page: Page): Promise<void> {
  await page.getByTestId('open-form').click();
  await page.getByTestId('input-width').fill('64');
  await page.getByTestId('input-height').fill('32');
  await page.getByTestId('try-demo').click();
  await page.getByTestId('frame-image').waitFor({ timeout: 90_000 });
}

/** The Experiment form of a small grid: a quarter-width PilotNet, batch 8, a step logged every `logEvery` (default 1). */
export interface GridForm {
  preset: string;
  /** The run-name field (left as it is when unset). */
  name?: string;
  epochs: number;
  /** Steps per epoch (0: the whole training split). */
  maxSteps: number;
  logEvery?: number;
}

/** Opens Experiment and fills its form (Start is left to the test). */
export async function fillGrid(page: Page, o: GridForm): Promise<void> {
  await page.getByTestId('nav-experiment').click();
  await page.getByTestId('preset').selectOption(o.preset);
  if (o.name !== undefined) await page.getByTestId('run-name').fill(o.name);
  await page.getByTestId('width-multiplier').fill('0.25');
  await page.getByTestId('epochs').fill(String(o.epochs));
  await page.getByTestId('max-steps').fill(String(o.maxSteps));
  await page.getByTestId('batch-size').fill('8');
  await page.getByTestId('log-every').fill(String(o.logEvery ?? 1));
}

/** Starts the filled-in grid, waits for it to finish in Live training and opens Compare of it. */
export async function trainToCompare(page: Page, timeout = 150_000): Promise<void> {
  await page.getByTestId('start').click();
  await page.getByTestId('to-compare').waitFor({ timeout });
  await page.getByTestId('to-compare').click();
  await page.getByTestId('compare-table').waitFor();
}

/** From Compare, opens the Run detail of the table's first run. */
export async function openFirstRunDetail(page: Page): Promise<void> {
  await page.getByTestId('compare-table').locator('tbody tr').first().locator('button').click();
  await page.getByTestId('run-summary').waitFor();
}

/** The step cell of Live training's first run, e.g. "12 (epoch 1/200)" (null while the table is not shown). */
export const firstRunStep = (page: Page): Promise<string | null> => page.locator('[data-testid="live-runs"] td').nth(2).textContent();

/** Waits until Live training shows the first run's first logged step. */
export async function waitForFirstStep(page: Page, timeout = 90_000): Promise<void> {
  await expect.poll(() => firstRunStep(page), { timeout }).toMatch(/\d+ \(epoch/);
}

/** Clicks Live training's Cancel and confirms in the dialog it opens (the grid's end is left to the caller to await). */
export async function confirmCancel(page: Page): Promise<void> {
  await page.getByTestId('cancel').click();
  await page.getByTestId('cancel-confirm').click();
}

/** Waits until Live training's first run reads `status` (e.g. /running/, /cancelled/). */
export async function waitForFirstRunStatus(page: Page, status: RegExp, timeout = 120_000): Promise<void> {
  await expect.poll(() => page.getByTestId('run-status').first().textContent(), { timeout }).toMatch(status);
}

/** Live training's rows of runs not started yet: their names and their status ("waiting" or "skipped"). */
export async function notStartedRuns(page: Page): Promise<{ names: string[]; statuses: string[] }> {
  const rows = page.getByTestId('live-runs').locator('tbody tr.muted');
  return { names: (await rows.locator('td:first-child').allTextContents()).map((t) => t.trim()), statuses: await page.getByTestId('planned-status').allTextContents() };
}

/**
 * In a describe block: a failed test leaves a full-page screenshot at test-artifacts/<prefix>-failed-<test>.png and
 * prints the end of the server's stderr, to see why.
 */
export function keepFailures(prefix: string, get: () => { page?: Page; s?: Served }): void {
  beforeEach((ctx) => {
    ctx.onTestFailed(async () => {
      const { page, s } = get();
      await page?.screenshot({ path: join(ART, `${prefix}-failed-${ctx.task.name.slice(0, 24).replace(/\W+/g, '-')}.png`), fullPage: true }).catch(() => {});
      if (s?.stderr.length) console.error(s.stderr.join('').slice(-4000));
    });
  });
}
