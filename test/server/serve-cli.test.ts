import { describe, expect, it } from 'vitest';
import { runCliSync } from '../helpers/cli.ts';

describe('steerlab serve arguments', () => {
  it('refuses a non-loopback host unless asked twice, and a bad port, with one line and a non-zero exit', () => {
    const r = runCliSync(['serve', '--host', '0.0.0.0', '--workspace', '/tmp/never-created']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/expose the lab to the network.*--allow-remote/);
    const p = runCliSync(['serve', '--port', '70000']);
    expect(p.code).not.toBe(0);
    expect(p.stderr).toMatch(/--port 70000 is not a port number/);
  }, 30_000);
});
