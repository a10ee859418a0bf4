/**
 * setupIpc: one ipcMain handler per contract request (named channels from
 * the contract), each dropping unknown senders before anything reaches the
 * backend; push events go to the window. The backend validates arguments
 * and results against the contract schemas.
 */
import type { BrowserWindow, IpcMainInvokeEvent } from 'electron';
import { REQUEST_NAMES, RequestMessage } from '../src/contract/index.ts';
import { EVENT_CHANNEL, requestChannel } from '../src/contract/preload-api.ts';
import type { BackendLink } from '../src/host/link.ts';

export interface IpcDeps {
  ipcMain: { handle(channel: string, l: (e: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void };
  backend: BackendLink;
  trusted(e: IpcMainInvokeEvent): boolean;
  window(): BrowserWindow | null;
  /** Called after a data set opened fine (recent list). */
  onDatasetOpened?(args: unknown): void;
}

export function setupIpc(d: IpcDeps): () => void {
  for (const name of REQUEST_NAMES) {
    d.ipcMain.handle(requestChannel(name), async (e, args) => {
      // Unknown senders are dropped (an injected frame learns nothing, not even that it was refused):
      // the invoke resolves to undefined without touching the backend.
      if (!d.trusted(e)) return undefined;
      const msg = RequestMessage.safeParse({ t: 'req', id: 0, name, args });
      if (!msg.success) return { t: 'res', id: 0, ok: false, error: { code: 'invalid', message: 'malformed request' } };
      const res = await d.backend.request({ t: 'req', name, args: msg.data.args });
      if (res.ok && (name === 'dataset.open' || name === 'dataset.demo')) d.onDatasetOpened?.(res.result);
      return res;
    });
  }
  return d.backend.onEvent((ev) => {
    const w = d.window();
    if (w && !w.isDestroyed()) w.webContents.send(EVENT_CHANNEL, ev.name, ev.payload);
  });
}
