/**
 * The import graph flows one way (README "Architecture"): a module imports
 * only modules of its own layer or the layers below it. A layer is a folder
 * of src/, except the lab service's front door (lab/index.ts, lab/studies.ts),
 * which sits above the studies it runs (the output-head study itself runs lab
 * experiments). Type-only imports count too: they couple the code as much.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const LAYERS = [
  ['.', 'math'], ['data'], ['video'], ['synth'], ['model'], ['targets'], ['diagnostics'], ['engine'], ['train'], ['experiments'],
  ['lab'], ['reference'], ['studies'], ['lab-service'], ['saliency', 'render'], ['contract'], ['host'], ['server'], ['cli'],
];
/** Known edges against the flow, each with its reason. */
const ALLOWED = new Map([
  // The gradient worker thread computes the training step's loss and gradients: the engine's thread runs train's math.
  ['src/engine/grad-worker.ts -> src/train/step.ts', true],
]);

function layerOf(file: string): number {
  const rel = relative(join(ROOT, 'src'), file).split(/[\\/]/);
  const top = rel.length === 1 ? '.' : rel[0];
  const name = top === 'lab' && (rel[1] === 'index.ts' || rel[1] === 'studies.ts') ? 'lab-service' : top;
  return LAYERS.findIndex((l) => l.includes(name));
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.(ts|mts)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : []);
}

describe('architecture', () => {
  it('every folder of src/ has a layer', () => {
    const unknown = sources(join(ROOT, 'src')).filter((f) => layerOf(f) < 0).map((f) => relative(ROOT, f));
    expect(unknown).toEqual([]);
  });

  it('imports flow down the layers (no edge against the flow but the listed ones)', () => {
    const against: string[] = [];
    for (const f of sources(join(ROOT, 'src'))) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/(?:from|import\()\s*'(\.[^']+)'/g)) {
        const target = resolve(dirname(f), m[1]);
        if (!relative(ROOT, target).startsWith('src')) continue;
        const edge = `${relative(ROOT, f)} -> ${relative(ROOT, target)}`;
        if (layerOf(target) > layerOf(f) && !ALLOWED.has(edge)) against.push(edge);
      }
    }
    expect(against).toEqual([]);
  });

  it('the renderer reaches src/ only through the contract', () => {
    const files = sources(join(ROOT, 'renderer', 'src')).concat(
      readdirSync(join(ROOT, 'renderer', 'src'), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && e.name.endsWith('.svelte')).map((e) => join(e.parentPath, e.name)),
    );
    const outside = files.flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/from\s*'(\.[^']+)'/g)]
        .map((m) => relative(ROOT, resolve(dirname(f), m[1])))
        .filter((t) => t.startsWith('src') && !t.startsWith(join('src', 'contract')))
        .map((t) => `${relative(ROOT, f)} -> ${t}`));
    expect(outside).toEqual([]);
  });
});
