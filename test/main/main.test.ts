import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { ELECTRON_CSP, isTrustedSender, secureWebPreferences } from '../../main/security.ts';
import { addRecent, MAX_RECENT, readRecent, writeRecent } from '../../main/recent.ts';
import { closeDecision, describeWork, trackWork, type Work } from '../../main/close-guard.ts';
import { menuTemplate } from '../../main/menu.ts';
import { readWorkspaceSetting, settingsFile, workspaceFor, writeWorkspaceSetting } from '../../main/workspace.ts';
import { setupIpc } from '../../main/ipc.ts';
import { REQUEST_NAMES, type RequestMessage, type ResponseMessage } from '../../src/contract/index.ts';
import { requestChannel } from '../../src/contract/preload-api.ts';
import type { BackendLink } from '../../src/host/link.ts';
import type { IpcMainInvokeEvent } from 'electron';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'steerlab-main-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('window security', () => {
  it('isolates the renderer: context isolation, sandbox, no Node', () => {
    const p = secureWebPreferences('/x/preload.cjs');
    expect(p).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInWorker: false, webSecurity: true, preload: '/x/preload.cjs' });
    expect(ELECTRON_CSP).toContain("script-src 'self'");
    expect(ELECTRON_CSP).not.toMatch(/unsafe-eval/);
  });
  it('trusts only frames showing our own index.html', () => {
    const own = 'file:///opt/Steering%20Lab/resources/app.asar/dist/renderer/index.html';
    expect(isTrustedSender(own, own)).toBe(true);
    expect(isTrustedSender(`${own}#/compare`, own)).toBe(true);
    expect(isTrustedSender('https://evil.example/index.html', own)).toBe(false);
    expect(isTrustedSender('file:///tmp/evil/index.html', own)).toBe(false);
    expect(isTrustedSender(null, own)).toBe(false);
    expect(isTrustedSender('not a url', own)).toBe(false);
  });
});

describe('IPC adapter', () => {
  it('registers one channel per contract request and drops unknown senders before the backend', async () => {
    const handlers = new Map<string, (e: IpcMainInvokeEvent, ...a: unknown[]) => unknown>();
    const seen: Omit<RequestMessage, 'id'>[] = [];
    const backend: BackendLink = {
      request: async (m) => (seen.push(m), { t: 'res', id: 0, ok: true, result: [] } as ResponseMessage),
      onEvent: () => () => {},
      close: async () => {},
    };
    setupIpc({ ipcMain: { handle: (c, l) => void handlers.set(c, l) }, backend, trusted: (e) => e.senderFrame?.url === 'file:///app/index.html', window: () => null });
    expect([...handlers.keys()].sort()).toEqual(REQUEST_NAMES.map(requestChannel).sort());
    const h = handlers.get(requestChannel('runs.list'))!;
    const bad = await h({ senderFrame: { url: 'https://evil.example' } } as IpcMainInvokeEvent, {});
    expect(bad).toBeUndefined();
    expect(seen).toHaveLength(0);
    const good = await h({ senderFrame: { url: 'file:///app/index.html' } } as IpcMainInvokeEvent, {});
    expect(good).toMatchObject({ ok: true, result: [] });
    expect(seen).toEqual([{ t: 'req', name: 'runs.list', args: {} }]);
  });
});

describe('recent data sets, close guard, menu, workspace', () => {
  it('keeps recent data sets newest first without duplicates, at most MAX_RECENT, and survives a bad file', () => {
    let l = addRecent([], { source: '/a.mp4', labels: '/a.csv' });
    l = addRecent(l, { source: '/b.mp4', labels: null });
    l = addRecent(l, { source: '/a.mp4', labels: '/a.csv' });
    expect(l.map((r) => r.source)).toEqual(['/a.mp4', '/b.mp4']);
    for (let i = 0; i < 20; i++) l = addRecent(l, { source: `/v${i}.mp4`, labels: null });
    expect(l).toHaveLength(MAX_RECENT);
    const f = join(tmp, 'recent.json');
    writeRecent(f, l);
    expect(readRecent(f)).toEqual(l);
    writeRecent(f, [{ source: 3 } as never]);
    expect(readRecent(f)).toEqual([]);
    expect(readRecent(join(tmp, 'missing.json'))).toEqual([]);
  });
  it('asks before closing only while something trains', () => {
    expect(closeDecision(0)).toBe('close');
    expect(closeDecision(1)).toBe('ask');
  });
  it('counts experiments and lab studies as training, from their first event to their last', () => {
    let a = new Map<string, Work>();
    const ev = (name: string, payload: unknown) => (a = trackWork(a, name, payload));
    ev('run.started', { experimentId: 'e1', runId: 'r1' });
    ev('run.started', { experimentId: 'e1', runId: 'r2' });
    ev('study.progress', { studyRunId: 's1', stage: 'starting', done: 0, total: 1 });
    ev('progress', { task: 'decode', experimentId: null });
    expect([...a.values()]).toEqual([{ kind: 'experiment', id: 'e1' }, { kind: 'study', id: 's1' }]);
    expect(describeWork([...a.values()])).toBe('1 experiment and 1 study are');
    ev('experiment.finished', { experimentId: 'e1', status: 'cancelled' });
    expect(describeWork([...a.values()])).toBe('1 study is');
    ev('study.progress', { studyRunId: 's2', stage: 'starting', done: 0, total: 1 });
    expect(describeWork([...a.values()])).toBe('2 studies are');
    ev('study.failed', { studyRunId: 's1', cancelled: true });
    ev('study.finished', { studyRunId: 's2' });
    expect(a.size).toBe(0);
    expect(closeDecision(a.size)).toBe('close');
  });
  it('menu has File/View with quit, dev tools only in development', () => {
    const prod = JSON.stringify(menuTemplate({ isMac: false, isDev: false, onOpenWorkspace: () => {} }));
    expect(prod).toContain('"quit"');
    expect(prod).not.toContain('toggleDevTools');
    expect(JSON.stringify(menuTemplate({ isMac: true, isDev: true, onOpenWorkspace: () => {} }))).toContain('toggleDevTools');
  });
  it('saves the chosen workspace in settings.json, keeps other settings, and ignores a bad file', () => {
    const f = settingsFile(join(tmp, 'ud2'));
    expect(readWorkspaceSetting(f)).toBeNull();
    writeWorkspaceSetting(f, join(tmp, 'chosen'));
    expect(readWorkspaceSetting(f)).toBe(join(tmp, 'chosen'));
    writeFileSync(f, JSON.stringify({ theme: 'dark', workspace: join(tmp, 'chosen') }));
    writeWorkspaceSetting(f, join(tmp, 'other'));
    expect(JSON.parse(readFileSync(f, 'utf8'))).toEqual({ theme: 'dark', workspace: join(tmp, 'other') });
    expect(() => writeWorkspaceSetting(f, 'relative/dir')).toThrow(/absolute/);
    writeFileSync(f, '{ not json');
    expect(readWorkspaceSetting(f)).toBeNull();
    writeFileSync(f, JSON.stringify({ workspace: 'relative' }));
    expect(readWorkspaceSetting(f)).toBeNull();
    expect(JSON.stringify(menuTemplate({ isMac: false, isDev: false, onOpenWorkspace: () => {}, onChooseWorkspace: () => {} }))).toContain('Choose workspace folder');
  });
  it('puts the workspace in the user data folder unless overridden', () => {
    expect(workspaceFor(join(tmp, 'ud'))).toBe(join(tmp, 'ud', 'workspace'));
    expect(existsSync(join(tmp, 'ud', 'workspace'))).toBe(true);
    expect(workspaceFor(join(tmp, 'ud'), join(tmp, 'elsewhere'))).toBe(join(tmp, 'elsewhere'));
  });
});

describe('packaging', () => {
  it('bundles main, backend and a preload that requires nothing but electron', async () => {
    const { bundleMain } = (await import(join(ROOT, 'main/bundle.mjs'))) as { bundleMain(root: string, out: string): Promise<{ preload: string; main: string; backend: string }> };
    const out = await bundleMain(ROOT, join(tmp, 'dist-electron'));
    const preload = readFileSync(out.preload, 'utf8');
    const requires = [...preload.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
    expect([...new Set(requires)]).toEqual(['electron']);
    expect(preload).toContain('exposeInMainWorld');
    expect(existsSync(out.main) && existsSync(out.backend)).toBe(true);
  }, 60_000);
  it('npm start without Electron explains itself and exits non-zero', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'main/start.mjs')], { encoding: 'utf8' });
    if (r.status === 0) return; // Electron is installed on this machine: nothing to check here
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/Electron is not installed/);
    expect(r.stderr).toMatch(/steerlab serve/);
  });
});
