/**
 * Electron main process: adapters only. Each setupX(deps) wires one
 * concern; the window opens last. Bundled by main/start.mjs into
 * dist-electron/main/index.js.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, shell, type IpcMainInvokeEvent } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setupBackend } from './backend.ts';
import { setupIpc } from './ipc.ts';
import { setupDialogs } from './dialogs.ts';
import { menuTemplate } from './menu.ts';
import { describeWork, setupCloseGuard } from './close-guard.ts';
import { ELECTRON_CSP, isTrustedSender, secureWebPreferences } from './security.ts';
import { addRecent, readRecent, writeRecent } from './recent.ts';
import { readWorkspaceSetting, settingsFile, workspaceFor, writeWorkspaceSetting } from './workspace.ts';

// dist-electron/main/index.js -> dist-electron/, and the renderer build beside it.
const DIST = join(import.meta.dirname, '..');
const RENDERER_INDEX = join(DIST, '..', 'dist', 'renderer', 'index.html');
const RENDERER_URL = pathToFileURL(RENDERER_INDEX).href;

let win: BrowserWindow | null = null;

async function main(): Promise<void> {
  app.setName('Steering Lab');
  await app.whenReady();
  const userData = app.getPath('userData');
  const settings = settingsFile(userData);
  const workspace = workspaceFor(userData, process.env.STEERLAB_WORKSPACE || readWorkspaceSetting(settings));
  const recentFile = join(userData, 'recent-datasets.json');
  const trusted = (e: IpcMainInvokeEvent): boolean => isTrustedSender(e.senderFrame?.url, RENDERER_URL);

  const backend = setupBackend({ entry: join(DIST, 'backend.mjs'), workspace });
  setupIpc({
    ipcMain, backend, trusted, window: () => win,
    onDatasetOpened: (r) => {
      const s = r as { spec?: { source?: string; labels?: string } };
      if (!s.spec?.source) return;
      writeRecent(recentFile, addRecent(readRecent(recentFile), { source: s.spec.source, labels: s.spec.labels ?? null }));
      app.addRecentDocument(s.spec.source);
    },
  });
  setupDialogs({ ipcMain, dialog, shell, window: () => win, trusted, recent: () => readRecent(recentFile), workspace });
  // The backend owns one workspace for its lifetime (open data sets, frame cache, running work): a new one takes a restart.
  const chooseWorkspace = async (): Promise<void> => {
    if (!win) return;
    const r = await dialog.showOpenDialog(win, { title: 'Choose the workspace folder (runs, studies, frame cache)', defaultPath: workspace, properties: ['openDirectory', 'createDirectory'] });
    const dir = r.canceled ? null : (r.filePaths[0] ?? null);
    if (!dir || dir === workspace) return;
    writeWorkspaceSetting(settings, dir);
    const { response } = await dialog.showMessageBox(win, {
      type: 'question', buttons: ['Restart now', 'Later'], defaultId: 0, cancelId: 1,
      title: 'Workspace folder', message: `Steering Lab will use ${dir} from its next start.`,
      detail: process.env.STEERLAB_WORKSPACE ? 'STEERLAB_WORKSPACE is set in the environment and takes precedence while it is set.' : 'Runs in the current workspace stay where they are.',
    });
    if (response === 0) {
      app.relaunch();
      win?.close();
    }
  };
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate({
    isMac: process.platform === 'darwin', isDev: !app.isPackaged,
    onOpenWorkspace: () => void shell.openPath(workspace),
    onChooseWorkspace: () => void chooseWorkspace(),
  })));

  win = new BrowserWindow({
    width: 1400, height: 950, minWidth: 900, minHeight: 600, title: 'Steering Lab', show: false,
    icon: join(DIST, '..', 'main', 'assets', 'icon.png'),
    webPreferences: secureWebPreferences(join(DIST, 'preload.cjs')),
  });
  const w = win;
  // CSP on every response (file:// pages get it through the session too), no new windows, no navigation away.
  w.webContents.session.webRequest.onHeadersReceived((details, cb) => cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [ELECTRON_CSP] } }));
  w.webContents.session.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  w.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  w.webContents.on('will-navigate', (e, url) => {
    if (!isTrustedSender(url, RENDERER_URL)) e.preventDefault();
  });
  setupCloseGuard({
    win: w,
    running: () => backend.running(),
    cancel: async (w) => void (await backend.request(w.kind === 'experiment'
      ? { t: 'req', name: 'experiment.cancel', args: { experimentId: w.id } }
      : { t: 'req', name: 'study.cancel', args: { studyRunId: w.id } })),
    ask: async (bw, work) => (await dialog.showMessageBox(bw, {
      type: 'question', buttons: ['Cancel training and close', 'Keep training'], defaultId: 1, cancelId: 1,
      title: 'Training in progress', message: `${describeWork(work)} still training.`,
      detail: 'Closing cancels the current run cleanly; it is recorded as cancelled and finished runs and studies stay in the workspace.',
    })).response === 0,
  });
  w.on('closed', () => (win = null));
  app.on('window-all-closed', () => {
    void backend.close().finally(() => app.quit());
  });
  w.once('ready-to-show', () => w.show());
  await w.loadFile(RENDERER_INDEX);
}

void main();
