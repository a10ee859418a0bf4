/** setupDialogs: native open dialogs, open-folder, recent data sets (host helpers outside the contract). */
import type { BrowserWindow, IpcMainInvokeEvent } from 'electron';
import { HOST_CHANNELS } from '../src/contract/preload-api.ts';
import type { RecentDataset } from './recent.ts';

export interface DialogDeps {
  ipcMain: { handle(channel: string, l: (e: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void };
  dialog: { showOpenDialog(w: BrowserWindow, o: { title?: string; properties?: ('openFile' | 'openDirectory')[]; filters?: { name: string; extensions: string[] }[] }): Promise<{ canceled: boolean; filePaths: string[] }> };
  shell: { openPath(p: string): Promise<string> };
  window(): BrowserWindow | null;
  trusted(e: IpcMainInvokeEvent): boolean;
  recent(): RecentDataset[];
  /** Only folders the lab wrote (the workspace) may be opened from the renderer. */
  workspace: string;
}

export const VIDEO_EXTENSIONS = ['mp4', 'mkv', 'mov', 'avi', 'webm', 'h264', 'hevc', 'm4v'];
export const LABEL_EXTENSIONS = ['csv', 'txt', 'json', 'tsv'];

export function setupDialogs(d: DialogDeps): void {
  d.ipcMain.handle(HOST_CHANNELS.openDialog, async (e, kind) => {
    const w = d.window();
    if (!d.trusted(e) || !w) return null;
    const o = kind === 'folder'
      ? { title: 'Open an image folder or Donkey tub', properties: ['openDirectory' as const] }
      : kind === 'labels'
        ? { title: 'Open the steering log', properties: ['openFile' as const], filters: [{ name: 'Steering logs', extensions: LABEL_EXTENSIONS }] }
        : { title: 'Open a dashcam video', properties: ['openFile' as const], filters: [{ name: 'Videos', extensions: VIDEO_EXTENSIONS }] };
    const r = await d.dialog.showOpenDialog(w, o);
    return r.canceled ? null : (r.filePaths[0] ?? null);
  });
  d.ipcMain.handle(HOST_CHANNELS.openPath, async (e, p) => {
    if (!d.trusted(e) || typeof p !== 'string' || !p.startsWith(d.workspace)) return;
    await d.shell.openPath(p);
  });
  d.ipcMain.handle(HOST_CHANNELS.recentDatasets, async (e) => (d.trusted(e) ? d.recent() : []));
}
