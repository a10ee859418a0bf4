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

/** Builds the renderer, starts the server (demo drive of `demoFrames` frames) and the browser. */
export async function serveAndBrowse(demoFrames: number): Promise<Served> {
  mkdirSync(ART, { recursive: true });
  const workspace = mkdtempSync(join(tmpdir(), 'steerlab-e2e-'));
  // Always rebuild so the test sees the current renderer source.
  const { buildRenderer } = await import('../../src/server/index.ts');
  await buildRenderer();
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
  await page.getByTestId('open-form').click();
  await page.getByTestId('input-width').fill('64');
  await page.getByTestId('input-height').fill('32');
  await page.getByTestId('try-demo').click();
  await page.getByTestId('frame-image').waitFor({ timeout: 90_000 });
  return page;
}
