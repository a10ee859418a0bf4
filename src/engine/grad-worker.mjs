// Bootstrap for gradient workers: worker threads do not inherit the parent's
// TypeScript loader (tsx, or vitest's), so register tsx here, then load the
// TypeScript worker body.
import { register } from 'tsx/esm/api';

register();
await import('./grad-worker.ts');
