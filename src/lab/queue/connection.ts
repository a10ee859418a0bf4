/**
 * The Redis connection a queue coordinator or worker uses, from one URL:
 * redis://[user:password@]host:port[/db] or rediss://... (TLS). Nothing here
 * listens: both sides are Redis clients. BullMQ needs maxRetriesPerRequest
 * null on blocking connections, so the lab sets it for every connection.
 */
import type { RedisOptions } from 'bullmq';
import { UserError } from '../../errors.ts';

/** Connection options for BullMQ's Queue, Worker, QueueEvents and Relay, parsed from a redis:// or rediss:// URL. */
export function redisOptions(url: string): RedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`--queue '${url}' is not a URL; give redis://HOST:PORT (or rediss://HOST:PORT for TLS)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new UserError(`--queue '${redactUrl(url)}' uses ${u.protocol}; the queue needs redis:// or rediss:// (TLS)`);
  }
  if (!u.hostname) throw new UserError(`--queue '${redactUrl(url)}' names no host; give redis://HOST:PORT`);
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw new UserError(`--queue '${redactUrl(url)}': the path must be a database number (e.g. /0), not '${db}'`);
  const opts: RedisOptions = {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : 6379,
    maxRetriesPerRequest: null,
    // A coordinator or worker outlives a Redis restart: keep retrying, at most every 2 s.
    retryStrategy: (times) => Math.min(times * 200, 2000),
  };
  if (u.username) opts.username = decodeURIComponent(u.username);
  if (u.password) opts.password = decodeURIComponent(u.password);
  if (db !== '') opts.db = Number(db);
  if (u.protocol === 'rediss:') opts.tls = { servername: opts.host };
  return opts;
}

/** The URL with its password replaced by ***, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}
