/**
 * The engine names, in one place and free of tfjs, so configs, flags, the
 * contract and the renderer can validate an engine choice without loading
 * a backend.
 */
import { z } from 'zod';

/** Every engine the lab knows, best first (also the order 'auto' tries them in). */
export const ENGINE_NAMES = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** An engine a config or flag may ask for: one of ENGINE_NAMES, or 'auto' for the best available. */
export const EngineChoice = z.enum(['auto', ...ENGINE_NAMES]);
export type EngineChoice = z.infer<typeof EngineChoice>;
