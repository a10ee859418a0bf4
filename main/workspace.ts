/**
 * Where the desktop app keeps runs: STEERLAB_WORKSPACE, else the folder the
 * person chose (File > Choose workspace folder, saved in settings.json in the
 * user data folder), else <userData>/workspace. The app passes this folder
 * to the lab explicitly (the CLI's default, `.steerlab` in the current
 * folder, means nothing to an app started from a launcher; see src/lab/workspace.ts).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

export function workspaceFor(userData: string, override?: string | null): string {
  const dir = override && override.trim() ? (isAbsolute(override) ? override : resolve(override)) : join(userData, 'workspace');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The app's own settings file (only the chosen workspace so far). */
export function settingsFile(userData: string): string {
  return join(userData, 'settings.json');
}

/** The workspace saved in the settings file; null when none is saved or the file is unreadable. */
export function readWorkspaceSetting(file: string): string | null {
  if (!existsSync(file)) return null;
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as { workspace?: unknown };
    return typeof v?.workspace === 'string' && isAbsolute(v.workspace) ? v.workspace : null;
  } catch {
    return null;
  }
}

/** Saves the chosen workspace (an absolute folder), keeping any other settings. */
export function writeWorkspaceSetting(file: string, workspace: string): void {
  if (!isAbsolute(workspace)) throw new Error(`the workspace must be an absolute path: ${workspace}`);
  let prev: Record<string, unknown> = {};
  try {
    prev = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch { /* no settings yet */ }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ ...prev, workspace }, null, 2));
}
