/**
 * Static files of the built renderer, served by sirv, with the security
 * headers that go with them. Malformed paths and paths that try to leave
 * the root get 400; nothing here throws on a request.
 */
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';

/** Where `npm run build:renderer` writes the app. */
export const RENDERER_DIR = resolve(fileURLToPath(new URL('../../dist/renderer', import.meta.url)));

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

/** Headers of every response, files and refusals alike. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** A short plain-text answer (refusals and errors). */
export function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
  res.end(text + '\n');
}

/** The decoded path, or null when it is malformed (`/%`, `/%zz`, a cut UTF-8 sequence) or names a parent folder. */
export function safePath(pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.split(/[\\/]/).includes('..')) return null;
  return decoded;
}

/**
 * Serves the whole file for any Range but one plain `bytes=start-[end]`
 * (RFC 9110 lets a server ignore Range): sirv 3.0.2 writes the head and
 * then throws on `bytes=5-2` or an end past 2^53.
 */
function dropOddRange(req: IncomingMessage): void {
  const range = req.headers.range;
  if (range === undefined) return;
  const m = /^bytes=(\d+)-(\d*)$/.exec(range);
  const start = Number(m?.[1]);
  const end = m?.[2] ? Number(m[2]) : start;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) delete req.headers.range;
}

export type StaticHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

/** Handler of an authorised GET/HEAD for `url` (already parsed, dot segments resolved). */
export function staticFiles(root: string): StaticHandler {
  // dev: look files up on disk per request, so a rebuild while serving is picked up; sirv keeps lookups under root.
  // single: a path without an extension gets index.html (one-page app); a missing asset gets 404.
  const serve = sirv(root, { dev: true, single: true, onNoMatch: (_req, res) => sendText(res, 404, 'not found') });
  return (req, res, url) => {
    if (safePath(url.pathname) === null) return sendText(res, 400, 'bad request: malformed or escaping path');
    if (!rendererBuilt(root)) return sendText(res, 503, `the renderer is not built (${root}); run \`npm run build:renderer\``);
    dropOddRange(req);
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    // sirv pipes a file stream into res without an 'error' listener; an unreadable file must not end the process.
    res.once('pipe', (src) =>
      src.once('error', (err: Error) => {
        process.stderr.write(`steerlab serve: reading ${url.pathname}: ${err.message}\n`);
        res.destroy();
      }),
    );
    req.url = url.pathname; // origin-form; the query (the token) is none of sirv's business
    serve(req, res);
  };
}

export function rendererBuilt(root = RENDERER_DIR): boolean {
  return existsSync(join(root, 'index.html'));
}
