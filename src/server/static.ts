/**
 * Static files of the built renderer, with the security headers that go
 * with them. Paths are resolved inside the root only.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm run build:renderer` writes the app. */
export const RENDERER_DIR = resolve(fileURLToPath(new URL('../../dist/renderer', import.meta.url)));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/**
 * Content-Security-Policy of the app: scripts only from this origin (no
 * inline, no eval), images from here or data: URLs (frames), sockets back to
 * this origin only. Inline styles are allowed because Svelte sets style
 * attributes for dynamic sizes.
 */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface StaticFile {
  body: Buffer;
  type: string;
}

/** Reads `urlPath` under root; unknown paths fall back to index.html (one-page app). Null when the build is missing. */
export function readStatic(root: string, urlPath: string): StaticFile | null {
  const clean = normalize(decodeURIComponent(urlPath)).replace(/^([\\/]|\.\.)+/, '');
  let file = join(root, clean);
  if (!file.startsWith(root + sep) && file !== root) return null;
  if (!existsSync(file) || statSync(file).isDirectory()) file = join(root, 'index.html');
  if (!existsSync(file)) return null;
  return { body: readFileSync(file), type: TYPES[extname(file)] ?? 'application/octet-stream' };
}

export function rendererBuilt(root = RENDERER_DIR): boolean {
  return existsSync(join(root, 'index.html'));
}
