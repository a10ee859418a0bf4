/**
 * Experiment grids: a base run configuration and, per dotted config path,
 * the values to try. The cartesian product becomes one RunConfig per cell;
 * every cell keeps the base split (split.seed), and the base model seed unless
 * 'seed' is itself an axis (compare --seeds), so the cells differ only in the
 * fields on the axes.
 */
import { UserError } from '../errors.ts';
import { RunConfig, type RunConfigInput } from '../train/config.ts';
import { describeConfigIssues } from '../train/config-errors.ts';

/** Values per dotted path, e.g. `{ 'model.head': ['linear', 'tanh'], 'targets.kind': ['raw', 'normalized'] }`. */
export type GridAxes = Record<string, unknown[]>;

/** One cell of a grid: the value each axis takes, keyed by dotted path. */
export type GridCell = Record<string, unknown>;

/** Reads a dotted path (`a.b.c`) from a plain object; undefined when any part is missing. */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** Sets a dotted path on a plain object, creating intermediate objects as needed (mutates obj). */
export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let cur: Record<string, unknown> = obj;
  for (const key of keys.slice(0, -1)) {
    const next = cur[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]] = value;
}

/** Cartesian product of the axes, first axis outermost. No axes = one empty cell. */
export function gridCells(axes: GridAxes): GridCell[] {
  let cells: GridCell[] = [{}];
  for (const [path, values] of Object.entries(axes)) {
    if (!Array.isArray(values) || values.length === 0) {
      throw new UserError(`grid axis '${path}' has no values; give at least one`);
    }
    const next: GridCell[] = [];
    for (const cell of cells) for (const v of values) next.push({ ...cell, [path]: v });
    cells = next;
  }
  return cells;
}

/** A short, readable name for a cell: `head=linear targets=raw` (short path, value). */
export function cellName(cell: GridCell): string {
  const parts = Object.entries(cell).map(([path, v]) => `${shortKey(path)}=${formatValue(v)}`);
  return parts.join(' ');
}

/** Last path segment, or the parent for generic leaves: 'targets.kind' -> 'targets', 'model.head' -> 'head'. */
function shortKey(path: string): string {
  const parts = path.split('.');
  const last = parts[parts.length - 1];
  return (last === 'kind' || last === 'name') && parts.length > 1 ? parts[parts.length - 2] : last;
}

function formatValue(v: unknown): string {
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

/**
 * Expands a grid into validated run configs, one per cell, in the order of
 * gridCells(). Each config is named `<base name> <cell name>`.
 * Throws UserError for an unknown path (zod would silently drop it) or a
 * value the schema rejects.
 */
export function expandGrid(base: RunConfigInput, axes: GridAxes): RunConfig[] {
  return gridCells(axes).map((cell) => configForCell(base, cell));
}

/** The validated config of one grid cell. */
export function configForCell(base: RunConfigInput, cell: GridCell): RunConfig {
  const input = structuredClone(base) as Record<string, unknown>;
  for (const [path, v] of Object.entries(cell)) setPath(input, path, v);
  const name = Object.keys(cell).length > 0 ? `${base.name ?? 'run'} ${cellName(cell)}` : (base.name ?? 'run');
  input.name = name;
  const parsed = RunConfig.safeParse(input);
  if (!parsed.success) {
    const unknown = parsed.error.issues.some((i) => i.code === 'unrecognized_keys');
    const issue = parsed.error.issues[0];
    throw new UserError(
      unknown
        ? `config for grid cell '${cellName(cell)}': ${describeConfigIssues(RunConfig, parsed.error.issues)}`
        : `config for grid cell '${cellName(cell)}' is invalid at '${issue.path.join('.')}': ${issue.message}`,
    );
  }
  for (const [path, v] of Object.entries(cell)) {
    // An unknown key is stripped by zod; comparing the parsed value catches the typo.
    if (JSON.stringify(getPath(parsed.data, path)) !== JSON.stringify(v)) {
      throw new UserError(`'${path}' is not a run config field (check the spelling; e.g. 'model.head', 'targets.kind')`);
    }
  }
  return parsed.data;
}
