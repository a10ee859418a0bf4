/**
 * Builds the renderer once for the slow lane, before any test file runs. Each
 * e2e file used to rebuild it at its start; with two files in parallel, one
 * file's build emptied dist/renderer while the other's server was serving it
 * ("the renderer is not built", seen in a clean-clone CI run).
 */
import { buildRenderer } from '../../src/server/index.ts';

export default async function setup(): Promise<void> {
  await buildRenderer();
}
