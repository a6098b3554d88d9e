// The `$JS.API` stream requests and the publish acks, byte for byte against `nats-server -js`:
// the same script runs against both, and every reply (headers and body) must be the same once
// times are normalised. Requests that nats-server leaves unanswered must time out on both.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, createInbox, headers, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import { startServer, type ServerHandle } from '../src/index.js';
import { spawnServer, type SpawnedServer } from './helpers/spawn-server.js';
import { clusterOptions } from './helpers/cluster.js';

const TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g;

type Step = [subject: string, body?: unknown, hdrs?: Record<string, string>];

/** The script: stream admin, publishes with every expected-* header, gets, deletes, purges. */
const SCRIPT: Step[] = [
  ['$JS.API.INFO'],
  ['$JS.API.STREAM.CREATE.S', { name: 'S', subjects: ['s.>'], storage: 'memory' }],
  ['$JS.API.STREAM.CREATE.S', { name: 'S', subjects: ['s.>'], storage: 'memory' }],
  ['$JS.API.STREAM.CREATE.S', { name: 'S', subjects: ['s.>', 'x'], storage: 'memory' }],
  ['$JS.API.STREAM.CREATE.T', { name: 'T', subjects: ['s.a'], storage: 'memory' }],
  ['$JS.API.STREAM.CREATE.X', { name: 'Y' }],
  ['$JS.API.STREAM.CREATE.R', { name: 'R', num_replicas: 3 }],
  ['$JS.API.STREAM.CREATE.B', 'not json'],
  ['$JS.API.STREAM.CREATE.V', { name: 'V', max_age: 50_000_000 }],
  ['$JS.API.STREAM.CREATE.W', { name: 'W', subjects: ['w.*', 'w.>'] }],
  ['$JS.API.STREAM.CREATE.J', { name: 'J', subjects: ['$JS.API.foo'] }],
  ['$JS.API.STREAM.CREATE.K', { name: 'K', sealed: true }],
  ['$JS.API.STREAM.CREATE.E', { name: 'E', discard_new_per_subject: true }],
  [
    '$JS.API.STREAM.CREATE.D',
    {
      name: 'D',
      storage: 'memory',
      max_age: 30e9,
      allow_direct: true,
      max_msgs_per_subject: 2,
      discard: 'new',
      discard_new_per_subject: true,
      allow_rollup_hdrs: true,
      republish: { dest: 'rp.>' },
    },
  ],
  ['$JS.API.STREAM.CREATE.NA', { name: 'NA', storage: 'memory', no_ack: true }],
  ['NA', 'not acked'],
  ['$JS.API.STREAM.CREATE.L', { name: 'L', subjects: ['l.*'], storage: 'memory', max_msgs: 3, max_msg_size: 10, deny_delete: true, deny_purge: true }],
  ['s.a', 'hello', { 'Nats-Msg-Id': 'a1' }],
  ['s.a', 'hello', { 'Nats-Msg-Id': 'a1' }],
  ['s.b', 'hello2'],
  ['s.c', 'x', { 'Nats-Expected-Stream': 'Z' }],
  ['s.c', 'x', { 'Nats-Expected-Stream': 'S' }],
  ['s.c', 'x', { 'Nats-Expected-Last-Sequence': '9' }],
  ['s.c', 'x', { 'Nats-Expected-Last-Sequence': '3' }],
  ['s.c', 'x', { 'Nats-Expected-Last-Subject-Sequence': '9' }],
  ['s.c', 'x', { 'Nats-Expected-Last-Subject-Sequence': '4' }],
  ['s.c', 'x', { 'Nats-Expected-Last-Msg-Id': 'zz' }],
  ['s.d', 'x', { 'Nats-Msg-Id': 'm2' }],
  ['s.d', 'x', { 'Nats-Expected-Last-Msg-Id': 'm2' }],
  ['s.c', 'x', { 'Nats-Rollup': 'all' }],
  ['l.a', '0123456789A'],
  ['l.a', '1'],
  ['l.b', '2'],
  ['l.c', '3'],
  ['l.d', '4'],
  ['D', 'd1'],
  ['D', 'd2', { 'Nats-Rollup': 'sub' }],
  ['D', 'd3'],
  ['D', 'd4'],
  ['$JS.API.STREAM.INFO.S'],
  ['$JS.API.STREAM.INFO.S', { subjects_filter: '>', deleted_details: true }],
  ['$JS.API.STREAM.INFO.S', { subjects_filter: 's.a' }],
  ['$JS.API.STREAM.INFO.D', {}, { 'Nats-Response-Type': 'create' }],
  ['$JS.API.STREAM.INFO.L'],
  ['$JS.API.STREAM.INFO.NOPE'],
  ['$JS.API.STREAM.NAMES'],
  ['$JS.API.STREAM.NAMES', { subject: 's.a' }],
  ['$JS.API.STREAM.NAMES', { offset: 1 }],
  ['$JS.API.STREAM.LIST'],
  ['$JS.API.STREAM.MSG.GET.S', { seq: 1 }],
  ['$JS.API.STREAM.MSG.GET.S', { seq: 99 }],
  ['$JS.API.STREAM.MSG.GET.S', { last_by_subj: 's.b' }],
  ['$JS.API.STREAM.MSG.GET.S', { next_by_subj: 's.*', seq: 2 }],
  ['$JS.API.STREAM.MSG.GET.S'],
  ['$JS.API.STREAM.MSG.GET.S', { seq: 1, last_by_subj: 's.a' }],
  ['$JS.API.STREAM.MSG.DELETE.S', { seq: 1 }],
  ['$JS.API.STREAM.MSG.DELETE.S', { seq: 1 }],
  ['$JS.API.STREAM.MSG.DELETE.S', { seq: 2, no_erase: true }],
  ['$JS.API.STREAM.MSG.DELETE.L', { seq: 2 }],
  ['$JS.API.STREAM.PURGE.L'],
  ['$JS.API.STREAM.INFO.S', { deleted_details: true }],
  ['$JS.API.DIRECT.GET.S', { seq: 2 }],
  ['$JS.API.DIRECT.GET.D', { seq: 1 }],
  ['$JS.API.DIRECT.GET.D', { seq: 9 }],
  ['$JS.API.DIRECT.GET.D', {}],
  ['$JS.API.DIRECT.GET.D', 'x'],
  ['$JS.API.DIRECT.GET.D', { last_by_subj: 'D' }],
  ['$JS.API.DIRECT.GET.D.D'],
  ['$JS.API.STREAM.PURGE.S', { filter: 's.d' }],
  ['$JS.API.STREAM.PURGE.S', { seq: 1, keep: 1 }],
  ['$JS.API.STREAM.PURGE.S', { keep: 1 }],
  ['$JS.API.STREAM.PURGE.S'],
  ['$JS.API.STREAM.UPDATE.S', { name: 'S', subjects: ['s.>', 'u'], storage: 'file' }],
  ['$JS.API.STREAM.UPDATE.S', { name: 'S', subjects: ['s.>', 'u'], storage: 'memory', max_msgs: 5 }],
  ['$JS.API.STREAM.UPDATE.S', { name: 'S', subjects: ['l.x'], storage: 'memory' }],
  ['$JS.API.STREAM.UPDATE.Q', { name: 'Q', storage: 'memory' }],
  ['u', 'via update'],
  ['$JS.API.STREAM.UPDATE.L', { name: 'L', subjects: ['l.*'], storage: 'memory', max_msgs: 3, max_msg_size: 10, deny_delete: true, deny_purge: true, sealed: true }],
  ['l.a', 'sealed'],
  ['$JS.API.STREAM.DELETE.S', { x: 1 }],
  ['$JS.API.STREAM.DELETE.S'],
  ['$JS.API.STREAM.DELETE.S'],
  ['$JS.API.STREAM.INFO'],
  ['$JS.API.STREAM.INFO.S.X'],
  ['$JS.API.STREAM.BOGUS.S'],
  ['$JS.API.INFO'],
];

/** Runs the script; each reply as `headers|body` (times replaced), or TIMEOUT. */
async function run(nc: NatsConnection): Promise<string[]> {
  const out: string[] = [];
  for (const [subject, body, hdrs] of SCRIPT) {
    let h: MsgHdrs | undefined;
    if (hdrs !== undefined) {
      h = headers();
      for (const [k, v] of Object.entries(hdrs)) h.set(k, v);
    }
    const data = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    try {
      const m = await nc.request(subject, data, { timeout: 300, headers: h });
      const head = m.headers ? `${m.headers.code} ${m.headers.description} ${[...m.headers].map(([k, v]) => `${k}=${v.join(',')}`).join(';')}` : '';
      out.push(`${subject} ${head}|${m.string()}`.replace(TIME, 'TIME'));
    } catch (e) {
      out.push(`${subject} ${(e as Error).message}`);
    }
  }
  return out;
}

describe('JetStream API replies match nats-server -js', () => {
  let dirA: string;
  let dirB: string;
  let ours: ServerHandle;
  let theirs: SpawnedServer;
  beforeAll(async () => {
    dirA = mkdtempSync(join(tmpdir(), 'tsnats-js-'));
    dirB = mkdtempSync(join(tmpdir(), 'tsnats-js-ref-'));
    ours = await startServer({ host: '127.0.0.1', port: -1, jetstream: true, storeDir: dirA });
    theirs = await spawnServer('nats-server', { args: ['-js', '-sd', dirB] });
  });
  afterAll(async () => {
    await ours?.shutdown();
    await theirs?.stop();
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirB, { recursive: true, force: true });
  });

  it('the same replies, reply by reply', async () => {
    const a = await connect({ port: ours.port });
    const b = await connect({ port: theirs.port });
    try {
      const [got, want] = await Promise.all([run(a), run(b)]);
      for (let i = 0; i < want.length; i++) expect(got[i], `step ${i}: ${SCRIPT[i]![0]}`).toBe(want[i]);
      // The script must exercise the paths it names: errors, successes and silence.
      expect(want.filter((w) => w.includes('"error"')).length).toBeGreaterThan(20);
      expect(want.filter((w) => /timeout/i.test(w)).length).toBeGreaterThan(3);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('INFO says "jetstream":true, as nats-server does', async () => {
    const read = async (port: number): Promise<Record<string, unknown>> => {
      const nc = await connect({ port });
      const info = nc.info as unknown as Record<string, unknown>;
      await nc.close();
      return info;
    };
    expect((await read(ours.port)).jetstream).toBe(true);
    expect((await read(theirs.port)).jetstream).toBe(true);
  });
});

describe('JetStream with a domain matches nats-server', () => {
  it('PubAck, duplicate, account info and stream info carry the domain', async () => {
    const dirA = mkdtempSync(join(tmpdir(), 'tsnats-jsd-'));
    const dirB = mkdtempSync(join(tmpdir(), 'tsnats-jsd-ref-'));
    const ours = await startServer({ host: '127.0.0.1', port: -1, jetstream: true, storeDir: dirA, jetStreamDomain: 'hub' });
    const theirs = await spawnServer('nats-server', { config: `jetstream { store_dir: "${dirB}", domain: hub }` });
    const script: Step[] = [
      ['$JS.API.STREAM.CREATE.S', { name: 'S', storage: 'memory' }],
      ['S', 'one', { 'Nats-Msg-Id': 'x' }],
      ['S', 'one', { 'Nats-Msg-Id': 'x' }],
      ['S', 'two', { 'Nats-Expected-Stream': 'T' }],
      ['$JS.API.STREAM.INFO.S'],
      ['$JS.API.STREAM.LIST'],
      ['$JS.API.STREAM.UPDATE.S', { name: 'S', storage: 'memory', max_msgs: 10 }],
      ['$JS.API.INFO'],
    ];
    const play = async (port: number): Promise<string[]> => {
      const nc = await connect({ port });
      const out: string[] = [];
      for (const [subject, body, hdrs] of script) {
        let h: MsgHdrs | undefined;
        if (hdrs !== undefined) {
          h = headers();
          for (const [k, v] of Object.entries(hdrs)) h.set(k, v);
        }
        const m = await nc.request(subject, typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body), { timeout: 500, headers: h });
        out.push(m.string().replace(TIME, 'TIME'));
      }
      await nc.close();
      return out;
    };
    try {
      const [got, want] = await Promise.all([play(ours.port), play(theirs.port)]);
      expect(got).toEqual(want);
      expect(want[1]).toBe('{"stream":"S", "domain":"hub", "seq":1}');
    } finally {
      await ours.shutdown();
      await theirs.stop();
      rmSync(dirA, { recursive: true, force: true });
      rmSync(dirB, { recursive: true, force: true });
    }
  });
});

describe('JetStream beside a cluster', () => {
  it('starts standalone with a warning, answers replicas > 1 with 10074, and core routing still works', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsnats-jscl-'));
    const lines: string[] = [];
    const a = await startServer({ host: '127.0.0.1', port: -1, jetstream: true, storeDir: dir, cluster: clusterOptions(), log: (l) => lines.push(l) });
    const b = await startServer({ host: '127.0.0.1', port: -1, cluster: clusterOptions({ routes: [`nats-route://127.0.0.1:${a.server.cluster!.port}`] }) });
    const ca = await connect({ port: a.port });
    const cb = await connect({ port: b.port });
    try {
      expect(lines.some((l) => l.includes('[WRN] JetStream runs standalone on this server: clustered JetStream is not supported'))).toBe(true);
      const r = await ca.request('$JS.API.STREAM.CREATE.R3', JSON.stringify({ name: 'R3', num_replicas: 3 }));
      expect(JSON.parse(r.string()).error).toEqual({ code: 500, err_code: 10074, description: 'replicas > 1 not supported in non-clustered mode' });
      const sub = cb.subscribe('core.x', { max: 1 });
      const got = (async () => {
        for await (const m of sub) return m.string();
      })();
      await cb.flush();
      // Until the route and the interest are up: publish every 50 ms (bounded).
      let done = false;
      void got.then(() => (done = true));
      for (let i = 0; i < 200 && !done; i++) {
        ca.publish('core.x', 'routed');
        await new Promise((res) => setTimeout(res, 50));
      }
      expect(await got).toBe('routed');
    } finally {
      await ca.close();
      await cb.close();
      await b.shutdown();
      await a.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The consumer API and pull delivery: a script of requests and pulls, replies collected in order. */
async function consumerScript(nc: NatsConnection): Promise<string[]> {
  const out: string[] = [];
  const show = (m: { subject: string; reply?: string; headers?: MsgHdrs; string(): string }): string => {
    const h = m.headers !== undefined ? `[${m.headers.code} ${m.headers.description} ${[...m.headers].map(([k, v]) => `${k}=${v.join(',')}`).join(';')}]` : '';
    return `${m.subject} ${m.reply ?? ''} ${h} ${m.string()}`;
  };
  const req = async (subject: string, body?: unknown): Promise<void> => {
    try {
      const m = await nc.request(subject, body === undefined ? '' : JSON.stringify(body), { timeout: 300 });
      out.push(`${subject} ${m.string()}`);
    } catch (e) {
      out.push(`${subject} ${(e as Error).message}`);
    }
  };
  await req('$JS.API.STREAM.CREATE.S', { name: 'S', subjects: ['s.>'], storage: 'memory' });
  for (const s of ['s.a', 's.b', 's.a']) await nc.request(s, `m-${s}`, { timeout: 500 });
  await req('$JS.API.CONSUMER.DURABLE.CREATE.S.D', { stream_name: 'S', config: { durable_name: 'D', ack_policy: 'explicit', ack_wait: 1e9 } });
  await req('$JS.API.CONSUMER.DURABLE.CREATE.S.D', { stream_name: 'S', config: { durable_name: 'E', ack_policy: 'explicit' } });
  await req('$JS.API.CONSUMER.DURABLE.CREATE.S.D', { stream_name: 'X', config: { durable_name: 'D' } });
  await req('$JS.API.CONSUMER.CREATE.S.N.s.a', { stream_name: 'S', config: { name: 'N', ack_policy: 'explicit', filter_subject: 's.a' } });
  await req('$JS.API.CONSUMER.CREATE.S', { stream_name: 'S', config: { ack_policy: 'none' } });
  await req('$JS.API.CONSUMER.CREATE.S.N2', { stream_name: 'S', config: { name: 'N3' } });
  await req('$JS.API.CONSUMER.CREATE.S.N4.s.b', { stream_name: 'S', config: { name: 'N4', filter_subject: 's.a' } });
  await req('$JS.API.CONSUMER.CREATE.S', { stream_name: 'S', config: { durable_name: 'P', deliver_subject: 'push.x' } });
  await req('$JS.API.CONSUMER.CREATE.S.F', { stream_name: 'S', config: { filter_subject: 'x.y' } });
  await req('$JS.API.CONSUMER.CREATE.NOPE.F', { stream_name: 'NOPE', config: {} });
  await req('$JS.API.CONSUMER.INFO.S.D');
  await req('$JS.API.CONSUMER.INFO.S.ZZ');
  await req('$JS.API.CONSUMER.NAMES.S');
  await req('$JS.API.CONSUMER.LIST.S');
  const inbox = createInbox();
  const pulled: string[] = [];
  const sub = nc.subscribe(inbox, {
    callback: (_e, m) => {
      pulled.push(show(m));
    },
  });
  const pull = async (body: unknown, wait: number): Promise<void> => {
    nc.publish('$JS.API.CONSUMER.MSG.NEXT.S.D', JSON.stringify(body), { reply: inbox });
    await new Promise((r) => setTimeout(r, wait));
    out.push(...pulled.splice(0).map((p) => `PULL ${JSON.stringify(body)} ${p}`));
  };
  await pull({ batch: 2 }, 150);
  await pull({ batch: 5, no_wait: true }, 150);
  await pull({ batch: 5, no_wait: true }, 150);
  await pull({ batch: 5, expires: 200e6 }, 600);
  await req('$JS.API.CONSUMER.INFO.S.D');
  // max_bytes: a first message too large ends the request (409); else messages until the bytes run out.
  await req('$JS.API.CONSUMER.DURABLE.CREATE.S.MB', { stream_name: 'S', config: { durable_name: 'MB', ack_policy: 'explicit' } });
  const pullMB = async (body: unknown, wait: number): Promise<void> => {
    nc.publish('$JS.API.CONSUMER.MSG.NEXT.S.MB', JSON.stringify(body), { reply: inbox });
    await new Promise((r) => setTimeout(r, wait));
    out.push(...pulled.splice(0).map((p) => `PULL-MB ${JSON.stringify(body)} ${p}`));
  };
  await pullMB({ batch: 10, max_bytes: 10, expires: 200e6 }, 150);
  await pullMB({ batch: 10, max_bytes: 140, expires: 200e6 }, 600);
  // Redelivery after ack_wait (1 s).
  await pull({ batch: 1, expires: 2000e6 }, 1600);
  await req('$JS.API.CONSUMER.INFO.S.D');
  sub.unsubscribe();
  await req('$JS.API.CONSUMER.DELETE.S.N');
  await req('$JS.API.CONSUMER.DELETE.S.N');
  await req('$JS.API.STREAM.INFO.S');
  await req('$JS.API.INFO');
  // The ephemeral consumer's random name: EPH, and name lists sorted again after the rename.
  const known = new Set(['D', 'N', 'N2', 'MB']);
  const eph = (n: string): string => (known.has(n) ? n : 'EPH');
  const byName = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  const renamed = out.map((l) => {
    const i = l.indexOf(' {');
    if (!/CONSUMER\.(NAMES|LIST)\.S /.test(l) || i < 0) return l;
    const o = JSON.parse(l.slice(i + 1)) as { consumers: (string | { name: string })[] };
    const list = o.consumers.map((c) => (typeof c === 'string' ? eph(c) : { ...c, name: eph(c.name) }));
    o.consumers = list.sort((x, y) => byName(typeof x === 'string' ? x : x.name, typeof y === 'string' ? y : y.name));
    return `${l.slice(0, i)} ${JSON.stringify(o)}`;
  });
  return renamed.map((l) =>
    l
      .replace(TIME, 'TIME')
      .replace(/_INBOX\.[A-Za-z0-9]+/g, 'INBOX')
      .replace(/\.\d{19}\./g, '.TS.')
      .replace(/"name":"[A-Za-z0-9]{8}"/g, '"name":"EPH"'),
  );
}

describe('JetStream consumer API and pulls match nats-server -js', () => {
  it('the same replies and deliveries, in order', async () => {
    const dirA = mkdtempSync(join(tmpdir(), 'tsnats-jsc-'));
    const dirB = mkdtempSync(join(tmpdir(), 'tsnats-jsc-ref-'));
    const ours = await startServer({ host: '127.0.0.1', port: -1, jetstream: true, storeDir: dirA });
    const theirs = await spawnServer('nats-server', { args: ['-js', '-sd', dirB] });
    const a = await connect({ port: ours.port });
    const b = await connect({ port: theirs.port });
    try {
      const [got, want] = await Promise.all([consumerScript(a), consumerScript(b)]);
      expect(got.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) expect(got[i], `line ${i}`).toBe(want[i]);
      expect(want.filter((w) => w.startsWith('PULL')).length).toBeGreaterThan(5);
    } finally {
      await a.close();
      await b.close();
      await ours.shutdown();
      await theirs.stop();
      rmSync(dirA, { recursive: true, force: true });
      rmSync(dirB, { recursive: true, force: true });
    }
  });
});
