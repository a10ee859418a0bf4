/**
 * `steerlab study <name> [--json] [--quick]`: runs one lab study and prints
 * the conclusions computed from what it measured (with --json: one JSON
 * object, the measurements plus `conclusions`, and nothing else on stdout).
 * Without a name, lists the studies.
 */
import type { Command } from 'commander';
import { UserError } from '../../errors.ts';

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

export function register(program: Command): void {
  program
    .command('study')
    .description('run a lab study (init-activation, relu-blowup, multi-loss, deep-cnn-gradients, output-head, backprop-vs-gd); no name lists them')
    .argument('[name]', 'study name')
    .option('--json', 'print one JSON object (measurements + conclusions) on stdout')
    .option('--quick', 'small, fast settings (smoke test)')
    .option('--seed <n>', 'random seed')
    .option('--engine <name>', 'auto | wasm | cpu | tensorflow | tensorflow-gpu')
    .option('--video <path>', 'your dashcam video (output-head, deep-cnn-gradients)')
    .option('--labels <path>', 'steering labels for --video')
    .option('--workspace <dir>', 'where runs and the demo drive are written (default: a temporary folder)')
    .option('--set <key=value>', 'override a study option (repeatable; value parsed as JSON when it can be)', collect, [])
    .action(async (name: string | undefined, o: { json?: boolean; quick?: boolean; seed?: string; engine?: string; video?: string; labels?: string; workspace?: string; set: string[] }) => {
      const { STUDIES, findStudy, runStudy } = await import('../../studies/index.ts');
      if (!name) {
        if (o.json) process.stdout.write(JSON.stringify(STUDIES.map(({ name, title, description, defaults, quick }) => ({ name, title, description, defaults, quick }))) + '\n');
        else for (const s of STUDIES) process.stdout.write(`${s.name.padEnd(20)} ${s.title}\n`);
        return;
      }
      const entry = findStudy(name);
      if (!entry) throw new UserError(`unknown study '${name}'; run \`steerlab study\` to list them (${STUDIES.map((s) => s.name).join(', ')})`);
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

      const cliProgress = (await import('cli-progress')).default;
      const bar = new cliProgress.SingleBar(
        { stream: process.stderr, format: '{stage} [{bar}] {value}/{total}', hideCursor: false, clearOnComplete: true, noTTYOutput: false },
        cliProgress.Presets.shades_classic,
      );
      let stage = '';
      let started = false;
      const ac = new AbortController();
      const onSig = () => ac.abort();
      process.once('SIGINT', onSig);
      const t0 = performance.now();
      try {
        const result = await runStudy(name, overrides, {
          quick: o.quick,
          signal: ac.signal,
          onProgress: (p) => {
            if (!process.stderr.isTTY) {
              if (p.stage !== stage) process.stderr.write(`${p.stage}\n`);
              stage = p.stage;
              return;
            }
            if (!started) {
              bar.start(p.total, p.done, { stage: p.stage });
              started = true;
            } else if (p.stage !== stage) bar.start(p.total, p.done, { stage: p.stage });
            else bar.update(p.done);
            stage = p.stage;
          },
        });
        if (started) bar.stop();
        if (o.json) {
          process.stdout.write(JSON.stringify({ study: name, ...result }) + '\n');
          return;
        }
        process.stdout.write(`${entry.title} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n\n`);
        for (const c of result.conclusions) process.stdout.write(`- ${c}\n`);
        printTables(result);
        process.stdout.write('\nAll measurements: add --json.\n');
      } finally {
        if (started) bar.stop();
        process.off('SIGINT', onSig);
      }
    });
}
