/** setupMenu: the application menu (File with the workspace folder and quit, View with reload and dev tools in development). */
import type { MenuItemConstructorOptions } from 'electron';

export function menuTemplate(o: { isMac: boolean; isDev: boolean; onOpenWorkspace(): void; onChooseWorkspace?(): void }): MenuItemConstructorOptions[] {
  const file: MenuItemConstructorOptions = {
    label: 'File',
    submenu: [
      { label: 'Open workspace folder', accelerator: 'CmdOrCtrl+Shift+O', click: o.onOpenWorkspace },
      ...(o.onChooseWorkspace ? [{ label: 'Choose workspace folder…', click: o.onChooseWorkspace }] : []),
      { type: 'separator' },
      { role: o.isMac ? 'close' : 'quit' },
    ],
  };
  const devTools: MenuItemConstructorOptions[] = o.isDev ? [{ type: 'separator' }, { role: 'reload' }, { role: 'toggleDevTools' }] : [];
  const view: MenuItemConstructorOptions = {
    label: 'View',
    submenu: [
      { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' },
      ...devTools,
    ],
  };
  const appMenu: MenuItemConstructorOptions[] = o.isMac ? [{ role: 'appMenu' }] : [];
  return [...appMenu, file, { role: 'editMenu' }, view, { role: 'windowMenu' }];
}
