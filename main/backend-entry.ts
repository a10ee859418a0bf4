/**
 * Entry of the Electron utility process: the same hosted backend as serve
 * mode's child, talking over process.parentPort.
 */
import type { ParentPort } from 'electron';
import { hostBackend, ControlMessage } from '../src/host/backend-host.ts';

// Electron sets process.parentPort only inside a utility process.
const parentPort: ParentPort | undefined = process.parentPort;
const workspace = process.argv[2];
if (!parentPort || !workspace) {
  process.stderr.write('backend-entry: start me with utilityProcess.fork(entry, [workspace])\n');
  process.exit(2);
}
let deliver: ((m: unknown) => void) | null = null;
const hosted = hostBackend({ post: (m) => parentPort.postMessage(m), onMessage: (cb) => void (deliver = cb) }, { workspace });
parentPort.on('message', (e) => {
  if (ControlMessage.safeParse(e.data).success) {
    void hosted.shutdown().finally(() => process.exit(0));
    return;
  }
  deliver?.(e.data);
});
