/** Where the desktop app keeps runs: STEERLAB_WORKSPACE, else <userData>/workspace. */
import { mkdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

export function workspaceFor(userData: string, override?: string): string {
  const dir = override && override.trim() ? (isAbsolute(override) ? override : resolve(override)) : join(userData, 'workspace');
  mkdirSync(dir, { recursive: true });
  return dir;
}
