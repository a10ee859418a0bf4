/**
 * The per-launch access token of serve mode. Anyone who can reach the port
 * (other local users, a browser page doing DNS rebinding) still cannot drive
 * the lab without it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'steerlab_token';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a), bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

/** The request target as a URL, or null when it does not parse (`GET http://[/` is a valid HTTP request line). */
export function requestUrl(req: IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return null;
  }
}

/** The token a request carries: `?token=` query or the cookie set on the first visit. Never throws on malformed input. */
export function requestToken(req: IncomingMessage): string | null {
  const q = requestUrl(req)?.searchParams.get('token');
  if (q) return q;
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k !== TOKEN_COOKIE) continue;
    try {
      return decodeURIComponent(v.join('='));
    } catch {
      return null; // malformed percent-encoding: no token
    }
  }
  return null;
}

export function isAuthorized(req: IncomingMessage, token: string): boolean {
  const t = requestToken(req);
  return t !== null && safeEqual(t, token);
}
