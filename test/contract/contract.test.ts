import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import {
  ContractError, Router, createClient, eventMessage, events, requests, REQUEST_NAMES, EVENT_NAMES,
  type HandlerContext, type RequestMessage, type ServerMessage, type Transport,
} from '../../src/contract/index.ts';
import { PRESETS } from '../../src/contract/presets.ts';

const finding = { kind: 'healthy', severity: 'info', message: 'gradient norms 0.1 to 0.3 at step 10', step: 10, layer: null, evidence: { minGrad: 0.1 } } as const;
const metrics = { n: 4, maeDeg: 1, rmseDeg: 1.5, maxErrDeg: 3, bins: [{ name: 'straight', loDeg: 0, hiDeg: 5, n: 4, maeDeg: 1, rmseDeg: 1.5 }] };

describe('contract schemas', () => {
  it('every request has an args and a result schema, every event a payload schema', () => {
    expect(REQUEST_NAMES.length).toBeGreaterThanOrEqual(12);
    for (const n of REQUEST_NAMES) {
      expect(typeof requests[n].args.safeParse).toBe('function');
      expect(typeof requests[n].result.safeParse).toBe('function');
    }
    expect(EVENT_NAMES).toEqual(expect.arrayContaining(['progress', 'run.started', 'run.step', 'run.diagnostics', 'run.finding', 'run.epoch', 'run.finished', 'experiment.finished']));
    // One event per way a run ends would re-type the lab's statuses: run.finished carries its result, whatever the status.
    expect(EVENT_NAMES).not.toContain('run.failed');
    expect(EVENT_NAMES).not.toContain('run.cancelled');
  });

  it('rejects bad request arguments', () => {
    expect(requests['dataset.open'].args.safeParse({}).success).toBe(false); // no source
    expect(requests['dataset.open'].args.safeParse({ source: 'a.mp4', input: { width: 2, height: 66 } }).success).toBe(false); // too small
    expect(requests['dataset.open'].args.safeParse({ source: 'a.mp4', evil: 1 }).success).toBe(false); // unknown key
    expect(requests['dataset.open'].args.safeParse({ source: 'a.mp4', labelOptions: { units: 'furlongs' } }).success).toBe(false);
    expect(requests['dataset.frame'].args.safeParse({ datasetId: '../etc', sample: 1 }).success).toBe(false); // path-like id
    expect(requests['dataset.frame'].args.safeParse({ datasetId: 'abc', sample: -1 }).success).toBe(false);
    expect(requests['runs.get'].args.safeParse({ runId: '../../secret' }).success).toBe(false);
    expect(requests['experiment.start'].args.safeParse({ datasetId: 'a', base: { epochs: 0 }, axes: {} }).success).toBe(false);
    expect(requests['experiment.start'].args.safeParse({ datasetId: 'a', base: {}, axes: { 'model.head': [] } }).success).toBe(false); // empty axis
    expect(requests['experiment.start'].args.safeParse({ datasetId: 'a', base: {}, axes: { 'model.head': [{ x: 1 }] } }).success).toBe(false);
    expect(requests['report.export'].args.safeParse({ experimentId: 'a', format: 'pdf' }).success).toBe(false);
  });

  it('fills defaults on good arguments', () => {
    const a = requests['dataset.open'].args.parse({ source: 'drive.mp4' });
    expect(a.input).toEqual({ width: 200, height: 66 });
    const s = requests['experiment.start'].args.parse({ datasetId: 'ab12', base: { epochs: 2 }, axes: { 'model.head': ['linear', 'tanh'] } });
    expect(s.base.epochs).toBe(2);
    expect(s.base.model.head).toBe('linear');
  });

  it('rejects bad event payloads', () => {
    expect(events['run.step'].safeParse({ experimentId: 'e', runId: 'r', step: { type: 'step', step: 1 } }).success).toBe(false);
    expect(events['run.finding'].safeParse({ experimentId: 'e', runId: 'r', finding: { ...finding, severity: 'catastrophic' } }).success).toBe(false);
    expect(events['run.finding'].safeParse({ experimentId: 'e', runId: 'r', finding }).success).toBe(true);
    expect(events['run.epoch'].safeParse({ experimentId: 'e', runId: 'r', epoch: { type: 'epoch', epoch: 0, trainLoss: 1, valLoss: 1, val: { model: metrics, zero: metrics, mean: metrics }, elapsedS: 1 } }).success).toBe(true);
    expect(events['run.epoch'].safeParse({ experimentId: 'e', runId: 'r', epoch: { type: 'epoch', epoch: 0, trainLoss: 1, valLoss: 1, val: { model: metrics }, elapsedS: 1 } }).success).toBe(false);
    expect(() => eventMessage('progress', { task: 'nap', experimentId: null, done: 0, total: 1, etaS: null, message: '' } as never)).toThrow(ContractError);
  });

  it('presets name real config paths with non-empty value lists', () => {
    const ids = new Set<string>();
    for (const p of PRESETS) {
      expect(ids.has(p.id)).toBe(false);
      ids.add(p.id);
      for (const [k, vs] of Object.entries(p.axes)) {
        expect(k).toMatch(/^[a-zA-Z]+(\.[a-zA-Z]+)*$/);
        expect(vs.length).toBeGreaterThan(0);
      }
    }
    expect(PRESETS.find((p) => p.id === 'output-head')?.axes).toEqual({ 'model.head': ['linear', 'tanh'], 'targets.kind': ['raw', 'normalized'] });
  });
});

/** An in-memory transport wired straight to a Router (what the server does over a socket). */
function loopback(router: Router, ctx: HandlerContext, sink: ((m: ServerMessage) => void)[]): Transport {
  return {
    ready: async () => {},
    send(msg: RequestMessage) {
      void router.dispatch(msg, ctx).then((res) => sink.forEach((s) => s(res)));
    },
    onMessage(cb) {
      sink.push(cb);
      return () => sink.splice(sink.indexOf(cb), 1);
    },
  };
}

describe('Router and client', () => {
  it('validates arguments before the handler and results after it', async () => {
    const sink: ((m: ServerMessage) => void)[] = [];
    const ctx: HandlerContext = { emit: (name, payload) => sink.forEach((s) => s(eventMessage(name, payload))) };
    let called = 0;
    const router = new Router()
      .handle('experiment.presets', async () => PRESETS)
      .handle('experiment.cancel', async () => ({ cancelled: 'yes' }) as never)
      .handle('runs.get', async () => {
        called++;
        throw new UserError('run r1 is not in the workspace');
      });
    const client = createClient(loopback(router, ctx, sink));
    expect((await client.request('experiment.presets', {})).map((p) => p.id)).toContain('output-head');
    // bad result from a handler: an internal error, never an unchecked value
    await expect(client.request('experiment.cancel', { experimentId: 'e1' })).rejects.toMatchObject({ code: 'internal' });
    // user errors keep their message
    await expect(client.request('runs.get', { runId: 'r1' })).rejects.toMatchObject({ code: 'user', message: 'run r1 is not in the workspace' });
    // the client refuses bad args before sending; the router refuses them too
    await expect(client.request('runs.get', { runId: '../x' })).rejects.toMatchObject({ code: 'invalid' });
    const res = await router.dispatch({ t: 'req', id: 9, name: 'runs.get', args: { runId: 7 } }, ctx);
    expect(res).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect(called).toBe(1);
    const unknown = await router.dispatch({ t: 'req', id: 10, name: 'shell.exec', args: {} }, ctx);
    expect(unknown).toMatchObject({ ok: false, error: { code: 'unknown-request' } });
    expect(router.missing()).toContain('dataset.open');
  });

  it('delivers valid events and drops malformed ones', async () => {
    const sink: ((m: ServerMessage) => void)[] = [];
    const router = new Router();
    const client = createClient(loopback(router, { emit: () => {} }, sink));
    const got: string[] = [];
    client.on('run.finding', (p) => got.push(p.finding.message));
    sink.forEach((s) => s({ t: 'event', name: 'run.finding', payload: { experimentId: 'e', runId: 'r', finding } }));
    sink.forEach((s) => s({ t: 'event', name: 'run.finding', payload: { experimentId: 'e', runId: 'r', finding: { message: 'forged' } } }));
    sink.forEach((s) => s({ t: 'event', name: 'no.such.event', payload: {} }));
    expect(got).toEqual([finding.message]);
  });
});

describe('client on a dropped connection', () => {
  it('fails requests in flight instead of leaving them pending forever', async () => {
    let drop: () => void = () => {};
    const transport: Transport = { ready: async () => {}, send: () => {}, onMessage: () => () => {}, onDisconnect: (cb) => void (drop = cb) };
    const client = createClient(transport);
    const p = client.request('runs.list', {});
    await Promise.resolve();
    drop();
    await expect(p).rejects.toThrow(/connection to the lab dropped/);
  });
});
