/**
 * The window's security settings and the sender check, as pure values and
 * functions so they are unit-tested without Electron.
 */
import type { WebPreferences } from 'electron';

/** Renderer isolation: no Node in the page, the preload in its own world, Chromium's sandbox on. */
export function secureWebPreferences(preload: string): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    spellcheck: false,
  };
}

/** CSP of the packaged app (file://): same as serve mode, without sockets (IPC needs none). */
export const ELECTRON_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * True only for frames showing our own renderer: the file URL of the built
 * index.html (any hash/query). Anything else (a navigated-away page, an
 * injected iframe) is an unknown sender and its messages are dropped.
 */
export function isTrustedSender(frameUrl: string | null | undefined, rendererIndexUrl: string): boolean {
  if (!frameUrl) return false;
  try {
    const u = new URL(frameUrl);
    const r = new URL(rendererIndexUrl);
    return u.protocol === 'file:' && r.protocol === 'file:' && u.pathname === r.pathname;
  } catch {
    return false;
  }
}
