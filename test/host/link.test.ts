/** createLinkCore: request ids, responses to the right caller, events to listeners, and a backend that ends. */
import { describe, expect, it } from 'vitest';
import type { RequestMessage } from '../../src/contract/index.ts';
import { createLinkCore } from '../../src/host/link.ts';

describe('createLinkCore', () => {
  it('numbers requests, answers each caller, relays events, and fails pending and later requests once ended', async () => {
    const sent: RequestMessage[] = [];
    const link = createLinkCore((m) => sent.push(m));
    const events: string[] = [];
    const off = link.onEvent((e) => events.push(e.name));
    const a = link.request({ t: 'req', name: 'app.info', args: {} });
    const b = link.request({ t: 'req', name: 'experiment.presets', args: {} });
    expect(sent.map((m) => [m.id, m.name])).toEqual([[1, 'app.info'], [2, 'experiment.presets']]);
    link.receive({ t: 'res', id: 2, ok: true, result: 'second' });
    link.receive({ t: 'event', name: 'progress', payload: {} });
    off();
    link.receive({ t: 'event', name: 'progress', payload: {} });
    await expect(b).resolves.toMatchObject({ id: 2, ok: true, result: 'second' });
    expect(events).toEqual(['progress']);
    expect(link.ended).toBe(false);
    link.end('the backend process ended (1)');
    expect(link.ended).toBe(true);
    await expect(a).resolves.toMatchObject({ id: 1, ok: false, error: { code: 'internal', message: 'the backend process ended (1)' } });
    await expect(link.request({ t: 'req', name: 'app.info', args: {} })).resolves.toMatchObject({ ok: false, error: { message: /has ended/ } });
    expect(sent).toHaveLength(2);
  });
});
