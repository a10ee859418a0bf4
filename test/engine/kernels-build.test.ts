/**
 * The lab's wasm kernels ship as one module embedded in
 * src/engine/kernels/wasm-binary.ts. These tests check that the committed module
 * is what scripts/build-kernels.sh makes from kernels/*.c (when Debian's clang, lld
 * and llvm are installed; CI installs them and sets
 * STEERLAB_REQUIRE_KERNEL_BUILD=1 so the check cannot be skipped there), and
 * that it can only touch the memory it is handed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KERNELS_BUILT_WITH, KERNELS_WASM_BASE64 } from '../../src/engine/kernels/wasm-binary.ts';

const embedded = Buffer.from(KERNELS_WASM_BASE64, 'base64');
const haveTools = ['clang', 'wasm-ld', 'llvm-objdump'].every((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0);
const required = process.env.STEERLAB_REQUIRE_KERNEL_BUILD === '1';

describe('the lab\'s wasm kernel module', () => {
  it('imports only a memory and exports the kernel entry points', () => {
    const mod = new WebAssembly.Module(embedded);
    expect(WebAssembly.Module.imports(mod)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    const names = WebAssembly.Module.exports(mod).filter((e) => e.kind === 'function').map((e) => e.name).sort();
    expect(names).toEqual(['adam_step', 'conv2d_dw', 'conv2d_dw_scratch', 'conv2d_dx', 'conv2d_dx_scratch', 'conv2d_fwd', 'conv2d_fwd_scratch', 'matmul', 'matmul_scratch', 'moments', 'sum_rows']);
  });

  it.runIf(haveTools || required)('is exactly what scripts/build-kernels.sh builds from kernels/*.c (with the same clang)', () => {
    expect(haveTools, 'clang, wasm-ld and llvm-objdump are needed (apt-get install clang lld llvm)').toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'steerlab-kernels-'));
    try {
      const out = join(dir, 'kernels.wasm');
      execFileSync('bash', ['scripts/build-kernels.sh', out], { stdio: 'pipe' });
      const built = readFileSync(out);
      // The script itself refuses data sections and globals, so a build that got here is safe to load.
      expect(new WebAssembly.Module(built)).toBeInstanceOf(WebAssembly.Module);
      const clang = execFileSync('clang', ['--version'], { encoding: 'utf8' }).split('\n')[0];
      // Bytes are compared for the compiler that made the committed module; another clang
      // release may order or encode the same code differently.
      if (clang === KERNELS_BUILT_WITH) {
        expect(built.equals(embedded), 'wasm-binary.ts is stale: run bash scripts/build-kernels.sh and commit it').toBe(true);
      } else {
        console.warn(`wasm-binary.ts was built with "${KERNELS_BUILT_WITH}", this is "${clang}": bytes not compared`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
