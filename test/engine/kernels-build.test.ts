/**
 * The lab's wasm kernels ship as two builds of one source (plain SIMD, and fma
 * with relaxed SIMD) embedded in src/engine/kernels/wasm-binary.ts. These tests
 * check that the committed modules are what scripts/build-kernels.sh makes from
 * kernels/*.c (when Debian's clang-19, lld-19 and llvm are installed; CI installs them and sets
 * STEERLAB_REQUIRE_KERNEL_BUILD=1 so the check cannot be skipped there), and
 * that it can only touch the memory it is handed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KERNELS_BUILT_WITH, KERNELS_FMA_WASM_BASE64, KERNELS_WASM_BASE64 } from '../../src/engine/kernels/wasm-binary.ts';
import { fmaSupported } from '../../src/engine/wasm-module.ts';

const embedded = { plain: Buffer.from(KERNELS_WASM_BASE64, 'base64'), fma: Buffer.from(KERNELS_FMA_WASM_BASE64, 'base64') };
const haveTools = ['clang-19', 'wasm-ld-19', 'llvm-objdump'].every((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0);
const required = process.env.STEERLAB_REQUIRE_KERNEL_BUILD === '1';

describe('the lab\'s wasm kernel module', () => {
  it.each(['plain', 'fma'] as const)('%s: imports only a memory and exports the kernel entry points', (variant) => {
    if (variant === 'fma') expect(fmaSupported(), 'Node 20 compiles relaxed SIMD once its V8 flag is on').toBe(true);
    const mod = new WebAssembly.Module(embedded[variant]);
    expect(WebAssembly.Module.imports(mod)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    const names = WebAssembly.Module.exports(mod).filter((e) => e.kind === 'function').map((e) => e.name).sort();
    expect(names).toEqual(['adam_step', 'conv2d_dw', 'conv2d_dw_scratch', 'conv2d_dx', 'conv2d_dx_scratch', 'conv2d_fwd', 'conv2d_fwd_scratch', 'matmul', 'matmul_scratch', 'moments', 'pixel_pass', 'rows_op', 'sum_rows']);
  });

  it('the plain build has no relaxed-SIMD instruction (engines without relaxed SIMD compile it)', () => {
    // Relaxed-SIMD opcodes are 0xfd-prefixed 0x100-0x113, LEB128-encoded as 0xfd 0x80..0x93 0x02; a plain
    // module holding none of those byte triples cannot contain one (the converse is not claimed).
    const has = (b: Buffer) => b.some((v, i) => v === 0xfd && b[i + 1] >= 0x80 && b[i + 1] <= 0x93 && b[i + 2] === 0x02);
    expect(has(embedded.plain)).toBe(false);
    expect(has(embedded.fma)).toBe(true);
  });

  it.runIf(haveTools || required)('the build refuses a module that would use the shadow stack (memory that is not its own)', () => {
    expect(haveTools, 'clang-19, wasm-ld-19 and llvm-objdump are needed (apt-get install clang-19 lld-19 llvm)').toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'steerlab-kernels-'));
    try {
      // A struct passed by value to a function that is not inlined goes through the shadow stack.
      writeFileSync(join(dir, 'bad.c'), [
        'typedef struct { int a, b, c, d, e; } S;',
        '__attribute__((noinline)) static int f(S s) { return s.a * s.e; }',
        '__attribute__((visibility("default"))) int g(int x) { S s = {x, 1, 2, 3, x}; return f(s); }',
      ].join('\n'));
      execFileSync('clang-19', ['--target=wasm32', '-O2', '-nostdlib', '-Wl,--no-entry', '-Wl,--export-dynamic', '-Wl,--import-memory', '-o', join(dir, 'bad.wasm'), join(dir, 'bad.c')]);
      const check = (f: string) => spawnSync('bash', ['scripts/check-kernel-module.sh', f], { encoding: 'utf8' });
      const bad = check(join(dir, 'bad.wasm'));
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/uses a global \(shadow stack\)/);
      // The committed modules pass the same check.
      for (const [variant, bytes] of Object.entries(embedded)) {
        writeFileSync(join(dir, `${variant}.wasm`), bytes);
        expect(check(join(dir, `${variant}.wasm`)).status, variant).toBe(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(haveTools || required)('is exactly what scripts/build-kernels.sh builds from kernels/*.c (with the same clang)', () => {
    expect(haveTools, 'clang-19, wasm-ld-19 and llvm-objdump are needed (apt-get install clang-19 lld-19 llvm)').toBe(true);
    expect(fmaSupported()).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'steerlab-kernels-'));
    try {
      execFileSync('bash', ['scripts/build-kernels.sh', dir], { stdio: 'pipe' });
      const built = { plain: readFileSync(join(dir, 'kernels.wasm')), fma: readFileSync(join(dir, 'kernels-fma.wasm')) };
      // The script itself refuses data sections and globals, so a build that got here is safe to load.
      expect(new WebAssembly.Module(built.plain)).toBeInstanceOf(WebAssembly.Module);
      expect(new WebAssembly.Module(built.fma)).toBeInstanceOf(WebAssembly.Module);
      const clang = execFileSync('clang-19', ['--version'], { encoding: 'utf8' }).split('\n')[0];
      // Bytes are compared for the compiler that made the committed modules; another clang
      // release may order or encode the same code differently.
      if (clang === KERNELS_BUILT_WITH) {
        expect(built.plain.equals(embedded.plain), 'wasm-binary.ts is stale: run bash scripts/build-kernels.sh and commit it').toBe(true);
        expect(built.fma.equals(embedded.fma), 'wasm-binary.ts is stale: run bash scripts/build-kernels.sh and commit it').toBe(true);
      } else {
        console.warn(`wasm-binary.ts was built with "${KERNELS_BUILT_WITH}", this is "${clang}": bytes not compared`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
