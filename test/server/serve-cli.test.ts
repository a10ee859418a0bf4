import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/steerlab.mjs', import.meta.url));

describe('steerlab serve arguments', () => {
  it('refuses a non-loopback host unless asked twice, and a bad port, with one line and a non-zero exit', () => {
    const r = spawnSync(process.execPath, [BIN, 'serve', '--host', '0.0.0.0', '--workspace', '/tmp/never-created'], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/expose the lab to the network.*--allow-remote/);
    const p = spawnSync(process.execPath, [BIN, 'serve', '--port', '70000'], { encoding: 'utf8' });
    expect(p.status).not.toBe(0);
    expect(p.stderr).toMatch(/--port 70000 is not a port number/);
  }, 30_000);
});
