/**
 * Entry of the backend child process (serve mode): `node --import tsx
 * backend-child.ts <workspace>`. Talks to its parent over the IPC channel.
 */
import { hostBackend, ControlMessage } from './backend-host.ts';

const workspace = process.argv[2];
if (!workspace || typeof process.send !== 'function') {
  process.stderr.write('backend-child: run me through fork() with the workspace as the first argument\n');
  process.exit(2);
}

const send = process.send.bind(process);
let onMsg: ((m: unknown) => void) | null = null;
const hosted = hostBackend(
  { post: (m) => void send(m), onMessage: (cb) => void (onMsg = cb) },
  { workspace },
);
process.on('message', (m: unknown) => {
  if (ControlMessage.safeParse(m).success) {
    void hosted.shutdown().finally(() => process.exit(0));
    return;
  }
  onMsg?.(m);
});
// The parent died (or closed the channel): stop work and leave, so no orphan keeps training.
process.on('disconnect', () => void hosted.shutdown().finally(() => process.exit(0)));
