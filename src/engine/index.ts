/**
 * Engine resolution: which TensorFlow.js backend trains here.
 *
 * Order (best first): tensorflow-gpu (@tensorflow/tfjs-node-gpu, CUDA),
 * tensorflow (@tensorflow/tfjs-node, native CPU), wasm (XNNPACK plus the lab's
 * own SIMD convolution kernels, always installed), cpu (pure JS, always
 * installed, very slow for CNNs).
 * The native packages are optionalDependencies: their install downloads a
 * binary and fails offline, so we resolve what is present at run time.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core's node bundle registers no gradient functions; tfjs-layers' bundle
// registers all of them (as @tensorflow/tfjs does), so tf.grads works everywhere.
import '@tensorflow/tfjs-layers';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ENGINE_NAMES, type EngineChoice, type EngineName } from './names.ts';
import { kernelVariant, type KernelVariant } from './wasm-module.ts';

export { ENGINE_NAMES, EngineChoice, type EngineName } from './names.ts';

const require = createRequire(import.meta.url);

/** Resolution order of 'auto': ENGINE_NAMES, best first. */
export const ENGINE_ORDER: readonly EngineName[] = ENGINE_NAMES;

export interface EngineStatus {
  name: EngineName;
  available: boolean;
  /** Why it is (un)available, and how to get it when it is not. */
  reason: string;
}

export interface EngineInfo {
  name: EngineName;
  /** tfjs backend name as registered with tfjs-core. */
  backend: string;
  tfjsVersion: string;
  detail: string;
  /** wasm only: which build of the lab's kernels runs (wasm-module.ts). */
  kernels?: KernelVariant;
}

const NATIVE_PACKAGE: Partial<Record<EngineName, string>> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

function tryResolve(pkg: string): string | null {
  try {
    return require.resolve(pkg);
  } catch {
    return null;
  }
}

/** Which engines could be used here, without initialising any of them. */
export function probeEngines(): EngineStatus[] {
  return ENGINE_ORDER.map((name): EngineStatus => {
    const pkg = NATIVE_PACKAGE[name];
    if (pkg) {
      const path = tryResolve(pkg);
      return path
        ? { name, available: true, reason: `${pkg} found at ${dirname(path)}` }
        : {
            name,
            available: false,
            reason: `${pkg} is not installed (its install downloads libtensorflow; run \`npm install ${pkg}\` on a machine with internet access${name === 'tensorflow-gpu' ? ', with CUDA and cuDNN present' : ''})`,
          };
    }
    if (name === 'wasm') return { name, available: true, reason: '@tensorflow/tfjs-backend-wasm (XNNPACK) is always installed; the lab adds its own SIMD convolution kernels' };
    return { name, available: true, reason: 'pure-JavaScript reference backend; very slow for CNNs' };
  });
}

let wasmPathsSet = false;

async function activate(name: EngineName): Promise<string> {
  const pkg = NATIVE_PACKAGE[name];
  if (pkg) {
    // Loading the native package registers the 'tensorflow' backend on the shared tfjs-core.
    require(pkg);
    if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} loaded but its backend did not initialise`);
    return 'tensorflow';
  }
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (!wasmPathsSet) {
      const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
      wasm.setWasmPaths(join(dir, 'dist') + '/');
      wasmPathsSet = true;
    }
    const { registerWasmGradientKernels } = await import('./register-kernels.ts');
    registerWasmGradientKernels();
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
    return 'wasm';
  }
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not initialise');
  return 'cpu';
}

let current: EngineInfo | null = null;
/** Activations run one at a time: two overlapping ones could leave tfjs on a half-switched backend. */
let queue: Promise<unknown> = Promise.resolve();

/**
 * Activates the best available engine (or the one asked for) and returns
 * what it is. `STEERLAB_ENGINE` overrides `prefer` when set. Concurrent
 * calls are serialised, so a second caller waits for the first switch.
 */
export function initEngine(prefer: EngineChoice = 'auto'): Promise<EngineInfo> {
  const next = queue.then(() => activateBest(prefer));
  queue = next.catch(() => undefined);
  return next;
}

async function activateBest(prefer: EngineChoice): Promise<EngineInfo> {
  // Silences tfjs' console banners ("looks like you are running TensorFlow.js in Node.js"):
  // they would land in the CLI's output. PROD changes nothing but logging in tfjs-core 4.22.
  tf.env().set('PROD', true);
  const wanted = (process.env.STEERLAB_ENGINE as EngineChoice | undefined) ?? prefer;
  // The cached engine only while tfjs still runs on it: code that calls tf.setBackend itself (tests, tools)
  // would otherwise leave callers told 'wasm' while tfjs computes on 'cpu'.
  if (current && (wanted === 'auto' || wanted === current.name) && tf.getBackend() === current.backend) return current;
  const candidates = wanted === 'auto' ? probeEngines().filter((e) => e.available).map((e) => e.name) : [wanted];
  const failures: string[] = [];
  for (const name of candidates) {
    try {
      const backend = await activate(name);
      current = {
        name, backend, tfjsVersion: tf.version_core, detail: describe(name),
        // Read when asked: tests and benches switch builds within one process (useKernelVariant).
        get kernels() {
          return name === 'wasm' ? kernelVariant() : undefined;
        },
      };
      return current;
    } catch (err) {
      failures.push(`${name}: ${(err as Error).message}`);
    }
  }
  throw new Error(`no TensorFlow.js engine could start (${failures.join('; ')})`);
}

function describe(name: EngineName): string {
  switch (name) {
    case 'tensorflow-gpu':
      return 'native TensorFlow with CUDA (tfjs-node-gpu)';
    case 'tensorflow':
      return 'native TensorFlow on the CPU (tfjs-node)';
    case 'wasm':
      return `WebAssembly: XNNPACK plus the lab's SIMD convolution and Adam kernels (${kernelVariant() === 'fma' ? 'fma build: relaxed-SIMD fused multiply-adds' : 'plain SIMD build'})`;
    case 'cpu':
      return 'pure-JavaScript cpu backend';
  }
}

export { tf };
