/**
 * What the Electron preload exposes on window.steerlab: one named function
 * per contract request (derived from the request map, so a new request
 * appears without touching the preload), an event subscription, and a few
 * host-only helpers (native dialogs, file paths of dropped files).
 */
import type { ArgsIn, RequestName } from './api.ts';

export interface HostApi {
  /** Native open dialog; null when the person cancelled. */
  openDialog(kind: 'video' | 'labels' | 'folder'): Promise<string | null>;
  /** Absolute path of a dropped File (Electron only). */
  pathForFile(file: File): string | null;
  /** Opens a folder in the system file manager. */
  openPath(path: string): Promise<void>;
  recentDatasets(): Promise<{ source: string; labels: string | null }[]>;
}

export interface PreloadApi {
  /** Each returns the wire response envelope ({ ok, result } or { ok: false, error }). */
  requests: { [K in RequestName]: (args: ArgsIn<K>) => Promise<unknown> };
  onEvent(cb: (name: string, payload: unknown) => void): () => void;
  host: HostApi;
}

/** IPC channel of a request: one named channel per request, so main can allow-list them. */
export function requestChannel(name: RequestName): string {
  return `steerlab:req:${name}`;
}
export const EVENT_CHANNEL = 'steerlab:event';
export const HOST_CHANNELS = {
  openDialog: 'steerlab:host:openDialog',
  openPath: 'steerlab:host:openPath',
  recentDatasets: 'steerlab:host:recentDatasets',
} as const;
