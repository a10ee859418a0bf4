/**
 * Preload (bundled to CommonJS, runs sandboxed with contextIsolation): one
 * named function per contract request, an event subscription and the host
 * helpers. No ipcRenderer, no Node objects reach the page.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { REQUEST_NAMES, type RequestName } from '../src/contract/api.ts';
import { EVENT_CHANNEL, HOST_CHANNELS, requestChannel, type PreloadApi } from '../src/contract/preload-api.ts';

const requests = Object.fromEntries(
  REQUEST_NAMES.map((name: RequestName) => [name, (args: unknown) => ipcRenderer.invoke(requestChannel(name), args)]),
) as PreloadApi['requests'];

const api: PreloadApi = {
  requests,
  onEvent(cb) {
    const l = (_e: unknown, ...a: unknown[]): void => {
      if (typeof a[0] === 'string') cb(a[0], a[1]);
    };
    ipcRenderer.on(EVENT_CHANNEL, l);
    return () => ipcRenderer.removeListener(EVENT_CHANNEL, l);
  },
  host: {
    openDialog: (kind) => ipcRenderer.invoke(HOST_CHANNELS.openDialog, kind) as Promise<string | null>,
    pathForFile: (file) => {
      try {
        return webUtils.getPathForFile(file) || null;
      } catch {
        return null;
      }
    },
    openPath: (p) => ipcRenderer.invoke(HOST_CHANNELS.openPath, p) as Promise<void>,
    recentDatasets: () => ipcRenderer.invoke(HOST_CHANNELS.recentDatasets) as Promise<{ source: string; labels: string | null }[]>,
  },
};

contextBridge.exposeInMainWorld('steerlab', api);
