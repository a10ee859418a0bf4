/**
 * Config errors people can act on: the field's dotted path, and for an
 * unknown field the known one it most likely meant ("did you mean ...").
 * Every nested config object is strict, so a typo is an error instead of a
 * silent default.
 */
import type { z } from 'zod';

/** The object schema inside defaults, optionals and nullables, or null. */
function objectShape(schema: z.ZodType): Record<string, z.ZodType> | null {
  let s: { def?: { type?: string; innerType?: z.ZodType; shape?: Record<string, z.ZodType> } } = schema as never;
  while (s?.def && (s.def.type === 'default' || s.def.type === 'optional' || s.def.type === 'nullable' || s.def.type === 'prefault')) s = s.def.innerType as never;
  return s?.def?.type === 'object' ? (s.def.shape as Record<string, z.ZodType>) : null;
}

/** The field names allowed at a path of an object schema (empty when the path is not an object). */
export function knownFields(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let shape = objectShape(schema);
  for (const key of path) {
    if (!shape) return [];
    const next: z.ZodType | undefined = shape[String(key)];
    shape = next ? objectShape(next) : null;
  }
  return shape ? Object.keys(shape) : [];
}

/** Levenshtein distance (small strings: field names). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      prev = t;
    }
  }
  return d[b.length];
}

/** The known name closest to `name` within 3 edits (case-insensitive), or null. */
export function closest(name: string, known: string[]): string | null {
  let best: string | null = null;
  let bestD = 4;
  for (const k of known) {
    const dist = distance(name, k);
    if (dist < bestD) [best, bestD] = [k, dist];
  }
  return best;
}

/** One sentence for the first issue of a failed parse: the dotted path, what is wrong, and a suggestion. */
export function describeConfigIssue(schema: z.ZodType, issue: z.core.$ZodIssue, prefix: readonly PropertyKey[] = []): string {
  const at = (p: readonly PropertyKey[]) => [...prefix, ...p].map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const known = knownFields(schema, issue.path);
    return issue.keys
      .map((k) => {
        const guess = closest(k, known);
        const field = at([...issue.path, k]);
        return `unknown field '${field}'${guess ? ` (did you mean '${at([...issue.path, guess])}'?)` : ''}; known at ${at(issue.path) || 'the top level'}: ${known.join(', ')}`;
      })
      .join('; ');
  }
  return `'${at(issue.path)}' ${issue.message}`;
}

/** Every unknown field (a typo explains the rest) or, when there is none, the first other issue. */
export function describeConfigIssues(schema: z.ZodType, issues: z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): string {
  const unknown = issues.filter((i) => i.code === 'unrecognized_keys');
  return (unknown.length ? unknown : issues.slice(0, 1)).map((i) => describeConfigIssue(schema, i, prefix)).join('; ');
}
