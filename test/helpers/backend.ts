/**
 * The one backend fixture host tests share: the real backend in this process
 * on a fresh workspace in the temp folder, started before the file's tests
 * and closed (its workspace deleted) after them.
 *
 * `useBackend` registers the beforeAll/afterAll hooks, so call it at the top
 * level of a test file (or of a describe block); the link it returns forwards
 * to the backend once the hook has started it. `ok` is the check most host
 * tests make of a reply: it succeeded, and this is its result.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { startBackendInProcess } from '../../src/host/backend-process.ts';
import type { BackendLink } from '../../src/host/link.ts';

/** A backend link for a test file, and the workspace folder its backend writes. */
export interface TestBackend extends BackendLink {
  /** The workspace (a new folder under the OS temp folder; deleted after the file's tests). */
  readonly dir: string;
}

/** Starts the backend on a new workspace `<tmp>/<prefix>XXXXXX` before the tests, closes it and deletes the workspace after. */
export function useBackend(prefix: string): TestBackend {
  let dir: string | undefined;
  let link: BackendLink | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    link = await startBackendInProcess({ workspace: dir });
  });
  afterAll(async () => {
    await link?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const started = (): BackendLink => {
    if (!link) throw new Error('useBackend: the backend starts in beforeAll; use it inside a hook or a test');
    return link;
  };
  return {
    get dir() {
      if (!dir) throw new Error('useBackend: the workspace is made in beforeAll; use it inside a hook or a test');
      return dir;
    },
    request: (msg) => started().request(msg),
    onEvent: (cb) => started().onEvent(cb),
    close: () => started().close(),
  };
}

/** Checks that a backend reply succeeded and returns its result (typed by the caller). */
export function ok<T>(r: { ok: boolean }): T {
  expect(r).toMatchObject({ ok: true });
  return (r as unknown as { result: T }).result;
}
