/**
 * What the page keeps across a reload (localStorage): form values and the
 * open data set. Only plain JSON; a stored value is trusted no further than
 * the defaults' shape (same keys, same primitive types), so a stale or
 * hand-edited entry cannot put a string where a number belongs.
 */

/** Storage keys, versioned so an incompatible change starts from the defaults. */
export const KEYS = {
  datasetForm: 'steerlab.v1.datasetForm',
  dataset: 'steerlab.v1.dataset',
  experimentForm: 'steerlab.v1.experimentForm',
} as const;

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    // A sandboxed or privacy-mode page may refuse access: the app works without persistence.
    return null;
  }
}

/** Raw JSON value under key, or null (missing, unreadable or not JSON). */
export function readJson(key: string): unknown {
  const s = storage()?.getItem(key);
  if (!s) return null;
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return null;
  }
}

export function writeJson(key: string, value: unknown): void {
  try {
    storage()?.setItem(key, JSON.stringify(value));
  } catch {
    // Quota or access errors lose only the convenience of a restore.
  }
}

export function removeKey(key: string): void {
  storage()?.removeItem(key);
}

/**
 * `defaults` overlaid with the stored value's fields that have the same
 * type (recursing into plain objects; arrays and null are taken as stored
 * only where the default is also an array or null).
 */
export function mergeShape<T>(defaults: T, stored: unknown): T {
  if (stored === null || stored === undefined) return defaults;
  if (Array.isArray(defaults)) return (Array.isArray(stored) ? stored : defaults) as T;
  if (typeof defaults === 'object' && defaults !== null) {
    if (typeof stored !== 'object' || Array.isArray(stored)) return defaults;
    const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
    for (const [k, v] of Object.entries(defaults as Record<string, unknown>)) out[k] = mergeShape(v, (stored as Record<string, unknown>)[k]);
    return out as T;
  }
  if (defaults === null) return (typeof stored === 'number' ? stored : defaults) as T;
  if (typeof defaults === 'number') return (typeof stored === 'number' && Number.isFinite(stored) ? stored : defaults) as T;
  return (typeof stored === typeof defaults ? stored : defaults) as T;
}

/** The stored value under key shaped like defaults (the defaults when nothing usable is stored). */
export function restore<T>(key: string, defaults: T): T {
  return mergeShape(defaults, readJson(key));
}
