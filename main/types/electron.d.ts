/**
 * The subset of Electron's API that main/ uses, declared here because the
 * electron package (an optionalDependency whose install downloads a binary)
 * is absent on machines without internet; typecheck must pass without it.
 * Signatures follow Electron 38's own typings.
 */
declare module 'electron' {
  export interface WebPreferences {
    preload?: string;
    contextIsolation?: boolean;
    sandbox?: boolean;
    nodeIntegration?: boolean;
    nodeIntegrationInWorker?: boolean;
    webSecurity?: boolean;
    allowRunningInsecureContent?: boolean;
    spellcheck?: boolean;
  }
  export interface WebFrameMain {
    url: string;
  }
  export interface IpcMainInvokeEvent {
    senderFrame: WebFrameMain | null;
    sender: WebContents;
  }
  export interface WebContents {
    id: number;
    send(channel: string, ...args: unknown[]): void;
    setWindowOpenHandler(h: (d: { url: string }) => { action: 'deny' | 'allow' }): void;
    on(event: 'will-navigate', listener: (e: { preventDefault(): void }, url: string) => void): this;
    session: Session;
    isDestroyed(): boolean;
  }
  export interface Session {
    webRequest: {
      onHeadersReceived(listener: (details: { responseHeaders?: Record<string, string[]> }, cb: (r: { responseHeaders?: Record<string, string[]> }) => void) => void): void;
    };
    setPermissionRequestHandler(h: (wc: WebContents, permission: string, cb: (granted: boolean) => void) => void): void;
  }
  export class BrowserWindow {
    constructor(opts: { width?: number; height?: number; minWidth?: number; minHeight?: number; title?: string; icon?: string; show?: boolean; webPreferences?: WebPreferences });
    webContents: WebContents;
    loadFile(path: string): Promise<void>;
    once(event: 'ready-to-show', listener: () => void): this;
    on(event: 'close', listener: (e: { preventDefault(): void }) => void): this;
    on(event: 'closed', listener: () => void): this;
    show(): void;
    close(): void;
    destroy(): void;
    isDestroyed(): boolean;
    static getAllWindows(): BrowserWindow[];
  }
  export const app: {
    whenReady(): Promise<void>;
    getPath(name: 'userData' | 'home' | 'documents'): string;
    getVersion(): string;
    getName(): string;
    isPackaged: boolean;
    quit(): void;
    /** Starts a new instance when this one quits. */
    relaunch(): void;
    on(event: 'window-all-closed' | 'activate' | 'before-quit', listener: (e: { preventDefault(): void }) => void): void;
    setName(name: string): void;
    addRecentDocument(path: string): void;
  };
  export const ipcMain: {
    handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown> | unknown): void;
    removeHandler(channel: string): void;
  };
  export const ipcRenderer: {
    invoke(channel: string, ...args: unknown[]): Promise<unknown>;
    on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): void;
    removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): void;
  };
  export const contextBridge: { exposeInMainWorld(key: string, api: unknown): void };
  export const webUtils: { getPathForFile(file: File): string };
  export interface OpenDialogOptions {
    title?: string;
    defaultPath?: string;
    properties?: ('openFile' | 'openDirectory' | 'multiSelections' | 'createDirectory')[];
    filters?: { name: string; extensions: string[] }[];
  }
  export const dialog: {
    showOpenDialog(win: BrowserWindow, o: OpenDialogOptions): Promise<{ canceled: boolean; filePaths: string[] }>;
    showMessageBox(win: BrowserWindow, o: { type?: 'question' | 'warning' | 'info'; buttons: string[]; defaultId?: number; cancelId?: number; title?: string; message: string; detail?: string }): Promise<{ response: number }>;
  };
  export const shell: { openPath(path: string): Promise<string>; openExternal(url: string): Promise<void> };
  export interface MenuItemConstructorOptions {
    label?: string;
    role?: string;
    type?: 'separator' | 'normal' | 'submenu';
    accelerator?: string;
    click?: () => void;
    submenu?: MenuItemConstructorOptions[];
  }
  export class Menu {
    static buildFromTemplate(t: MenuItemConstructorOptions[]): Menu;
    static setApplicationMenu(m: Menu | null): void;
  }
  export interface UtilityProcess {
    postMessage(msg: unknown): void;
    on(event: 'message', listener: (msg: unknown) => void): this;
    on(event: 'exit', listener: (code: number) => void): this;
    once(event: 'exit', listener: (code: number) => void): this;
    kill(): boolean;
    pid: number | undefined;
  }
  export const utilityProcess: {
    fork(modulePath: string, args?: string[], options?: { serviceName?: string; stdio?: 'inherit' | 'pipe'; env?: Record<string, string | undefined> }): UtilityProcess;
  };
}
