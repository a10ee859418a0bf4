/**
 * Closing the window while training: ask, then cancel cleanly (the backend
 * stops ffmpeg and the trainer and records the run as cancelled) before the
 * window goes away.
 */
import type { BrowserWindow } from 'electron';

export type CloseDecision = 'close' | 'ask';

/** Pure: close at once when nothing runs, otherwise ask. */
export function closeDecision(runningExperiments: number): CloseDecision {
  return runningExperiments > 0 ? 'ask' : 'close';
}

export interface CloseGuardDeps {
  win: BrowserWindow;
  running(): string[];
  cancel(experimentId: string): Promise<void>;
  ask(win: BrowserWindow, count: number): Promise<boolean>;
}

export function setupCloseGuard(d: CloseGuardDeps): void {
  let closing = false;
  d.win.on('close', (e) => {
    if (closing || closeDecision(d.running().length) === 'close') return;
    e.preventDefault();
    void d.ask(d.win, d.running().length).then(async (yes) => {
      if (!yes) return;
      closing = true;
      await Promise.allSettled(d.running().map((id) => d.cancel(id)));
      if (!d.win.isDestroyed()) d.win.close();
    });
  });
}
