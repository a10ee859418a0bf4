/**
 * `steerlab study <name> [--json] [--quick]`: runs one lab study and prints
 * the conclusions computed from what it measured (with --json: one JSON
 * object, the measurements plus `conclusions`, and nothing else on stdout).
 * Without a name, lists the studies.
 */
import type { Command } from 'commander';
import { UserError } from '../../errors.ts';
import { DEFAULT_WORKSPACE } from '../../lab/workspace.ts';
import { ENGINES } from './_flags.ts';

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** `key=value` pairs; values are parsed as JSON when they parse (numbers, arrays, booleans), else kept as strings. */
function parseSets(pairs: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new UserError(`--set expects key=value (got '${p}')`);
    const raw = p.slice(i + 1);
    let v: unknown = raw;
    try {
      v = JSON.parse(raw);
    } catch {
      /* a plain string */
    }
    out[p.slice(0, i)] = v;
  }
  return out;
}

/** Prints arrays of flat objects (runs, heads, layers) as aligned tables of their scalar fields. */
function printTables(m: Record<string, unknown>): void {
  for (const [key, val] of Object.entries(m)) {
    if (key === 'conclusions' || !Array.isArray(val) || val.length === 0 || typeof val[0] !== 'object' || val[0] === null) continue;
    const rows = val as Record<string, unknown>[];
    const cols = Object.keys(rows[0]).filter((c) => rows.every((r) => r[c] === null || ['number', 'string', 'boolean'].includes(typeof r[c])));
    if (cols.length === 0) continue;
    const cell = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : v.toFixed(4)) : String(v));
    const table = [cols, ...rows.map((r) => cols.map((c) => cell(r[c])))];
    const widths = cols.map((_, j) => Math.max(...table.map((r) => r[j].length)));
    process.stdout.write(`\n${key}:\n`);
    for (const r of table) process.stdout.write('  ' + r.map((c, j) => c.padEnd(widths[j])).join('  ') + '\n');
  }
}

type StudyFlags = { json?: boolean; quick?: boolean; seed?: string; engine?: string; video?: string; labels?: string; workspace?: string; set: string[] };
type Lab = import('../../lab/index.ts').Lab;
type StudyEntry = Lab['studies']['all'][number];

/** The study's options from the flags (--set, --seed, and the flags the study has); UserError naming a bad one. */
function studyOverrides(name: string, entry: StudyEntry, o: StudyFlags): Record<string, unknown> {
  if (o.labels && !o.video) throw new UserError('--labels needs --video (the video the labels belong to)');
  const overrides: Record<string, unknown> = { ...parseSets(o.set) };
  if (o.seed !== undefined) {
    const seed = Number(o.seed);
    if (!Number.isInteger(seed)) throw new UserError(`--seed must be an integer (got '${o.seed}')`);
    overrides.seed = seed;
  }
  for (const k of ['engine', 'video', 'labels', 'workspace'] as const) {
    if (o[k] === undefined) continue;
    if (!(k in entry.defaults) && !(entry.schema as unknown as { shape?: Record<string, unknown> }).shape?.[k]) throw new UserError(`study '${name}' has no --${k} option`);
    overrides[k] = o[k];
  }
  const parsed = entry.schema.safeParse({ ...(o.quick ? entry.quick : {}), ...overrides });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(`bad option for study '${name}': ${issue.path.join('.') || '(options)'}: ${issue.message}`);
  }
  return overrides;
}

/** Progress on stderr: a bar on a terminal, one line per stage otherwise. */
async function studyProgress(): Promise<{ onProgress(p: { stage: string; done: number; total: number }): void; stop(): void }> {
  const cliProgress = (await import('cli-progress')).default;
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: '{stage} [{bar}] {value}/{total}', hideCursor: false, clearOnComplete: true, noTTYOutput: false },
    cliProgress.Presets.shades_classic,
  );
  let stage = '';
  let started = false;
  return {
    onProgress(p) {
      if (!process.stderr.isTTY) {
        if (p.stage !== stage) process.stderr.write(`${p.stage}\n`);
        stage = p.stage;
        return;
      }
      if (!started || p.stage !== stage) bar.start(p.total, p.done, { stage: p.stage });
      else bar.update(p.done);
      started = true;
      stage = p.stage;
    },
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
}

/** Runs the study with progress and Ctrl-C, then prints its conclusions and tables (or one JSON object). */
async function runStudyCommand(lab: Lab, name: string, entry: StudyEntry, o: StudyFlags): Promise<void> {
  const overrides = studyOverrides(name, entry, o);
  const progress = await studyProgress();
  const ac = new AbortController();
  const onSig = (): void => ac.abort();
  process.once('SIGINT', onSig);
  const t0 = performance.now();
  try {
    const result = await lab.studies.run(name, overrides, { quick: o.quick, signal: ac.signal, onProgress: progress.onProgress });
    progress.stop();
    if (o.json) {
      process.stdout.write(JSON.stringify({ study: name, ...result }) + '\n');
      return;
    }
    process.stdout.write(`${entry.title} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n\n`);
    for (const c of result.conclusions) process.stdout.write(`- ${c}\n`);
    printTables(result);
    process.stdout.write('\nAll measurements: add --json.\n');
  } finally {
    progress.stop();
    process.off('SIGINT', onSig);
  }
}

export function register(program: Command): void {
  program
    .command('study')
    .description('run a lab study (init-activation, relu-blowup, multi-loss, deep-cnn-gradients, output-head, backprop-vs-gd); no name lists them')
    .argument('[name]', 'study name')
    .option('--json', 'print one JSON object (measurements + conclusions) on stdout')
    .option('--quick', 'small, fast settings (smoke test)')
    .option('--seed <n>', 'random seed')
    .option('--engine <name>', ENGINES.join(' | '))
    .option('--video <path>', 'your dashcam video (output-head, deep-cnn-gradients)')
    .option('--labels <path>', 'steering labels for --video')
    .option('--workspace <dir>', `where runs and the demo drive are written (default: STEERLAB_WORKSPACE, else ${DEFAULT_WORKSPACE} in this folder)`)
    .option('--set <key=value>', 'override a study option (repeatable; value parsed as JSON when it can be)', collect, [])
    .action(async (name: string | undefined, o: StudyFlags) => {
      const { createLab } = await import('../../lab/index.ts');
      const lab = createLab({ workspace: o.workspace });
      const { all: STUDIES, find: findStudy } = lab.studies;
      if (!name) {
        if (o.json) process.stdout.write(JSON.stringify(STUDIES.map(({ name, title, description, defaults, quick }) => ({ name, title, description, defaults, quick }))) + '\n');
        else for (const s of STUDIES) process.stdout.write(`${s.name.padEnd(20)} ${s.title}\n`);
        return;
      }
      const entry = findStudy(name);
      if (!entry) throw new UserError(`unknown study '${name}'; run \`steerlab study\` to list them (${STUDIES.map((s) => s.name).join(', ')})`);
      await runStudyCommand(lab, name, entry, o);
    });
}
