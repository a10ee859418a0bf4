/**
 * The experiment form's queue field (pure): the Redis URL experiment.start
 * takes (checked by the contract's own schema), and the URL as the page may
 * show it, never with its password.
 */
import { requests } from '../../../src/contract/index.ts';

/** `{ queue }` for experiment.start (nothing when the field is empty), or the reason the URL is refused. */
export function queueArg(field: string): { args: { queue?: string }; error: string | null } {
  const v = field.trim();
  if (!v) return { args: {}, error: null };
  const r = requests['experiment.start'].args.shape.queue.safeParse(v);
  if (!r.success) return { args: {}, error: `the queue must be a redis:// or rediss:// URL (e.g. redis://HOST:6379), at most 2048 characters` };
  return { args: { queue: v }, error: null };
}

/** The URL with any user and password replaced by *** (up to the last @, so a password holding one stays hidden), for text on the page. */
export function redactQueue(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)(.*@)?([^@]*)$/i.exec(url.trim());
  if (!m) return '***';
  return `${m[1]}${m[2] ? '***@' : ''}${m[3]}`;
}

/**
 * The URL as the form may keep it in localStorage: without user and password
 * (a secret never rests in the page's storage; the person types it again after a reload).
 */
export function queueToKeep(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)(.*@)?([^@]*)$/i.exec(url.trim());
  return m ? `${m[1]}${m[3]}` : '';
}
