// Mirrors and sources (src/jetstream/sourcing.ts) against `nats-server -js`: the same script of
// stream requests, publishes and pauses runs against both, and every reply must be the same once
// times and `active` durations are normalised. Then the official client's view, and a restart of
// file-backed mirrors and sources that resume where they were.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { startServer, type ServerHandle } from '../src/index.js';
import { spawnServer, type SpawnedServer } from './helpers/spawn-server.js';

const STAMP = /"(created|first_ts|last_ts|time)":"[^"]*"/g;

/** A request (subject, body), a plain publish (`pub`), or a pause for the links to catch up. */
/** A request and its reply; a pause; or a wait until a stream holds `msgs` messages (at most 15 s, not recorded). */
type Step = [subject: string, body?: unknown] | ['sleep', number] | ['wait', stream: string, msgs: number];

const mem = { storage: 'memory' };
const SCRIPT: Step[] = [
  ['$JS.API.STREAM.CREATE.O', { name: 'O', subjects: ['o.>'], max_msg_size: 100, ...mem }],
  ['o.a', 'a1'],
  ['o.b', 'b1'],
  ['o.a', 'a2'],
  ['o.b', 'b2'],
  ['o.a', 'a3'],
  // The checks nats-server makes.
  ['$JS.API.STREAM.CREATE.E1', { name: 'E1', mirror: { name: 'O' }, subjects: ['x'], ...mem }],
  ['$JS.API.STREAM.CREATE.E2', { name: 'E2', mirror: { name: 'O' }, sources: [{ name: 'O' }], ...mem }],
  ['$JS.API.STREAM.CREATE.E3', { name: 'E3', mirror: { name: 'O' }, max_msg_size: 10, ...mem }],
  ['$JS.API.STREAM.CREATE.E4', { name: 'E4', sources: [{ name: 'O' }], max_msg_size: 10, ...mem }],
  ['$JS.API.STREAM.CREATE.E5', { name: 'E5', mirror: { name: 'O', filter_subject: 'x.y' }, ...mem }],
  ['$JS.API.STREAM.CREATE.E6', { name: 'E6', sources: [{ name: 'O', filter_subject: 'x.y' }], ...mem }],
  ['$JS.API.STREAM.CREATE.E7', { name: 'E7', sources: [{ name: 'Z', external: { api: '$JS.hub.API', deliver: 'd.*' } }], ...mem }],
  ['$JS.API.STREAM.CREATE.E8', { name: 'E8', sources: [{ name: 'Z', external: { api: '$JS.API', deliver: '' } }], ...mem }],
  ['$JS.API.STREAM.CREATE.E9', { name: 'E9', sources: [{ name: 'Z', external: { api: 'a.*', deliver: '' } }], ...mem }],
  ['$JS.API.STREAM.CREATE.E10', { name: 'E10', mirror: { name: 'O', opt_start_time: 'yesterday' }, ...mem }],
  ['$JS.API.STREAM.CREATE.E11', { name: 'E11', mirror_direct: true, ...mem }],
  ['$JS.API.STREAM.CREATE.CA', { name: 'CA', sources: [{ name: 'CB' }], ...mem }],
  ['$JS.API.STREAM.CREATE.CB', { name: 'CB', sources: [{ name: 'CA' }], ...mem }],
  ['$JS.API.STREAM.DELETE.CA'],
  // Mirrors and sources that work.
  ['$JS.API.STREAM.CREATE.M', { name: 'M', mirror: { name: 'O' }, ...mem }],
  ['$JS.API.STREAM.CREATE.MF', { name: 'MF', mirror: { name: 'O', filter_subject: 'o.a' }, ...mem }],
  ['$JS.API.STREAM.CREATE.MS', { name: 'MS', mirror: { name: 'O', opt_start_seq: 3 }, ...mem }],
  // Start times, as Go re-marshals them: a future one takes only what comes after the link.
  ['$JS.API.STREAM.CREATE.MT', { name: 'MT', mirror: { name: 'O', opt_start_time: '2099-01-01T00:00:00+00:00' }, ...mem }],
  ['$JS.API.STREAM.CREATE.ST', { name: 'ST', sources: [{ name: 'O', opt_start_time: '2000-01-01T00:00:00.500000000Z' }], ...mem }],
  ['$JS.API.STREAM.CREATE.S', { name: 'S', subjects: ['s'], sources: [{ name: 'O', filter_subject: 'o.b' }, { name: 'X' }], ...mem }],
  ['sleep', 600],
  ['$JS.API.INFO'],
  ['$JS.API.STREAM.INFO.M'],
  ['$JS.API.STREAM.INFO.MF'],
  ['$JS.API.STREAM.INFO.MS'],
  ['$JS.API.STREAM.INFO.S'],
  ['$JS.API.STREAM.MSG.GET.MF', { seq: 3 }],
  ['$JS.API.STREAM.MSG.GET.S', { seq: 2 }],
  ['s', 'own'],
  ['o.b', 'b3'],
  ['o.a', 'a4'],
  // A source of a sourcing stream: the header names the nearest origin.
  // (One source each: two sources of one stream interleave in no fixed order.)
  ['$JS.API.STREAM.CREATE.T', { name: 'T', sources: [{ name: 'S' }], ...mem }],
  ['$JS.API.STREAM.CREATE.T2', { name: 'T2', sources: [{ name: 'M', opt_start_seq: 6 }], ...mem }],
  ['sleep', 300],
  ['$JS.API.STREAM.INFO.M'],
  ['$JS.API.STREAM.INFO.MF', { deleted_details: true }],
  ['$JS.API.STREAM.INFO.S'],
  ['$JS.API.STREAM.INFO.MT'],
  ['$JS.API.STREAM.INFO.ST'],
  ['$JS.API.STREAM.MSG.GET.T', { seq: 1 }],
  ['$JS.API.STREAM.MSG.GET.T', { seq: 3 }],
  ['$JS.API.STREAM.MSG.GET.T2', { seq: 1 }],
  ['$JS.API.STREAM.INFO.T'],
  ['$JS.API.STREAM.INFO.T2'],
  ['$JS.API.STREAM.LIST'],
  // Updates: a mirror's config is fixed; sources can be added, changed and removed.
  ['$JS.API.STREAM.UPDATE.M', { name: 'M', mirror: { name: 'O', filter_subject: 'o.b' }, ...mem }],
  ['$JS.API.STREAM.UPDATE.M', { name: 'M', mirror: { name: 'O' }, subjects: ['m'], ...mem }],
  ['$JS.API.STREAM.UPDATE.M', { name: 'M', mirror: { name: 'O' }, max_msgs: 100, ...mem }],
  ['$JS.API.STREAM.UPDATE.S', { name: 'S', subjects: ['s'], sources: [{ name: 'O', filter_subject: 'o.a' }], ...mem }],
  ['$JS.API.STREAM.CREATE.U', { name: 'U', subjects: ['u'], ...mem }],
  ['u', 'u1'],
  ['$JS.API.STREAM.UPDATE.T', { name: 'T', sources: [{ name: 'U' }], ...mem }],
  ['sleep', 300],
  ['$JS.API.STREAM.INFO.S'],
  ['$JS.API.STREAM.INFO.T'],
  ['$JS.API.STREAM.MSG.GET.T', { last_by_subj: 'u' }],
  // A stream that had no sources gets one.
  ['$JS.API.STREAM.UPDATE.U', { name: 'U', subjects: ['u'], sources: [{ name: 'O', filter_subject: 'o.a' }], ...mem }],
  ['sleep', 300],
  ['$JS.API.STREAM.INFO.U'],
  // Interest and work-queue origins: a mirror's or source's internal consumer is interest; an
  // interest origin drops what every reader took, a work queue keeps it for its consumer.
  ['$JS.API.STREAM.CREATE.IO', { name: 'IO', subjects: ['io.*'], retention: 'interest', ...mem }],
  ['$JS.API.STREAM.CREATE.IM', { name: 'IM', mirror: { name: 'IO' }, ...mem }],
  ['$JS.API.STREAM.CREATE.IS', { name: 'IS', sources: [{ name: 'IO', filter_subject: 'io.b' }], ...mem }],
  ['$JS.API.STREAM.CREATE.WQ', { name: 'WQ', subjects: ['wq'], retention: 'workqueue', ...mem }],
  ['$JS.API.STREAM.CREATE.WM', { name: 'WM', mirror: { name: 'WQ' }, ...mem }],
  ['sleep', 300],
  ['io.a', 'i1'],
  ['io.b', 'i2'],
  ['wq', 'w1'],
  ['sleep', 300],
  ['$JS.API.STREAM.INFO.IO'],
  ['$JS.API.STREAM.INFO.IM'],
  ['$JS.API.STREAM.INFO.IS'],
  ['$JS.API.STREAM.INFO.WQ'],
  ['$JS.API.STREAM.INFO.WM'],
  // Deleting the origin: the mirror keeps what it has.
  ['$JS.API.STREAM.DELETE.O'],
  ['$JS.API.STREAM.INFO.M'],
];

/** Stream info `sources` sorted by name (nats-server lists them from a Go map: in no fixed order). */
function sortSourceInfos(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortSourceInfos);
  if (typeof v !== 'object' || v === null) return v;
  const o = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sortSourceInfos(x)]));
  const list = o.sources;
  if (Array.isArray(list) && list.every((x) => typeof x === 'object' && x !== null && 'lag' in x)) {
    list.sort((x: { name: string }, y: { name: string }) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  }
  return o;
}

/** Replies of the script, times and `active` durations normalised. */
async function run(nc: NatsConnection): Promise<string[]> {
  const out: string[] = [];
  for (const step of SCRIPT) {
    if (step[0] === 'sleep') {
      await new Promise((r) => setTimeout(r, step[1] as number));
      continue;
    }
    const [subject, body] = step;
    const data = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    try {
      const m = await nc.request(subject, data, { timeout: 1000 });
      const reply = m.string().startsWith('{') ? (sortSourceInfos(JSON.parse(m.string())) as Record<string, unknown>) : null;
      // A create reply's state for a stream with a mirror or sources: what it already copied
      // races its own sourcing (nats-server's too); the infos after the pauses compare it.
      const copies = typeof body === 'object' && body !== null && ('mirror' in body || 'sources' in body);
      if (copies && subject.includes('.CREATE.') && reply?.state !== undefined) reply.state = 'COPYING';
      const text = reply !== null ? JSON.stringify(reply) : m.string();
      // Times the servers stamp are replaced; configured ones (opt_start_time) stay.
      out.push(`${subject} ${text}`.replace(STAMP, '"$1":"TIME"').replace(/"active":\d+/g, '"active":A'));
    } catch (e) {
      out.push(`${subject} ${(e as Error).message}`);
    }
  }
  return out;
}

describe('mirrors and sources match nats-server -js', () => {
  let dirA: string;
  let dirB: string;
  let ours: ServerHandle;
  let theirs: SpawnedServer;
  beforeAll(async () => {
    dirA = mkdtempSync(join(tmpdir(), 'tsnats-jss-'));
    dirB = mkdtempSync(join(tmpdir(), 'tsnats-jss-ref-'));
    ours = await startServer({ host: '127.0.0.1', port: -1, jetstream: true, storeDir: dirA });
    theirs = await spawnServer('nats-server', { args: ['-js', '-sd', dirB] });
  });
  afterAll(async () => {
    await ours?.shutdown();
    await theirs?.stop();
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirB, { recursive: true, force: true });
  });

  it('the same replies, step by step', async () => {
    const a = await connect({ port: ours.port });
    const b = await connect({ port: theirs.port });
    try {
      const [got, want] = await Promise.all([run(a), run(b)]);
      for (let i = 0; i < want.length; i++) expect(got[i], `reply ${i}`).toBe(want[i]);
      expect(got.length).toBe(want.length);
      // The script must reach what it names: errors, mirror and source info, the source header.
      expect(want.filter((w) => w.includes('"error"')).length).toBeGreaterThan(12);
      expect(want.some((w) => w.includes('"mirror":{"name":"O","lag":0,"active":A}'))).toBe(true);
      expect(want.some((w) => w.includes('"err_code":10059'))).toBe(true);
      expect(want.some((w) => w.startsWith('$JS.API.STREAM.INFO.MT ') && w.includes('"messages":2,"bytes":42,"first_seq":6'))).toBe(true);
      expect(want.some((w) => w.includes('"opt_start_time":"2000-01-01T00:00:00.5Z"'))).toBe(true);
      const hdrs = want.map((w) => /"hdrs":"([^"]+)"/.exec(w)?.[1]).flatMap((h) => (h ? [Buffer.from(h, 'base64').toString()] : []));
      expect(hdrs).toContain('NATS/1.0\r\nNats-Stream-Source: S 1\r\n\r\n');
    } finally {
      await a.close();
      await b.close();
    }
  }, 60_000);
});

describe('mirrors and sources through @nats-io/jetstream', () => {
  it('a mirror keeps the origin sequences and times; a source adds the header; lag and active', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsnats-jss-c-'));
    const srv = await startServer({ host: '127.0.0.1', port: -1, jetstream: true, storeDir: dir });
    const nc = await connect({ port: srv.port });
    try {
      const jsm = await jetstreamManager(nc);
      const js = jetstream(nc);
      await jsm.streams.add({ name: 'ORDERS', subjects: ['orders.*'] });
      for (let i = 0; i < 20; i++) await js.publish(`orders.${i % 2 ? 'eu' : 'us'}`, `o${i}`);
      await jsm.streams.add({ name: 'BACKUP', mirror: { name: 'ORDERS' } });
      await jsm.streams.add({ name: 'EU', sources: [{ name: 'ORDERS', filter_subject: 'orders.eu' }] });
      // Direct publishes to the origin after the links exist reach them too.
      for (let i = 20; i < 30; i++) await js.publish('orders.eu', `o${i}`);
      const until = async (name: string, n: number): Promise<void> => {
        for (let i = 0; i < 100 && (await jsm.streams.info(name)).state.messages < n; i++) await new Promise((r) => setTimeout(r, 20));
      };
      await until('BACKUP', 30);
      await until('EU', 20);
      const backup = await jsm.streams.info('BACKUP');
      expect(backup.state.messages).toBe(30);
      expect(backup.mirror?.name).toBe('ORDERS');
      expect(backup.mirror?.lag).toBe(0);
      expect(backup.mirror?.active).toBeGreaterThanOrEqual(0);
      expect(backup.mirror?.active).toBeLessThan(1e9);
      const o = (await jsm.streams.getMessage('ORDERS', { seq: 7 }))!;
      const m = (await jsm.streams.getMessage('BACKUP', { seq: 7 }))!;
      expect(m.subject).toBe(o.subject);
      expect(m.time.getTime()).toBe(o.time.getTime());
      const eu = await jsm.streams.info('EU');
      expect(eu.state.messages).toBe(20);
      expect(eu.sources?.map((s) => [s.name, s.lag])).toEqual([['ORDERS', 0]]);
      const first = (await jsm.streams.getMessage('EU', { seq: 1 }))!;
      expect(first.header.get('Nats-Stream-Source')).toBe('ORDERS 2');
      // Account info counts the two internal consumers, as nats-server's.
      expect((await jsm.getAccountInfo()).consumers).toBe(2);
      // A consumer on the mirror reads it like any stream.
      await jsm.consumers.add('BACKUP', { durable_name: 'C', ack_policy: 'explicit' });
      const c = await js.consumers.get('BACKUP', 'C');
      const got = await c.next();
      expect(got?.seq).toBe(1);
      expect(got?.string()).toBe('o0');
    } finally {
      await nc.close();
      await srv.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('file-backed mirrors and sources resume where they were after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsnats-jss-f-'));
    let srv = await startServer({ host: '127.0.0.1', port: -1, jetstream: true, storeDir: dir });
    try {
      let nc = await connect({ port: srv.port });
      let jsm = await jetstreamManager(nc);
      let js = jetstream(nc);
      await jsm.streams.add({ name: 'O', subjects: ['o.>'] });
      await jsm.streams.add({ name: 'M', mirror: { name: 'O' } });
      await jsm.streams.add({ name: 'S', subjects: ['s'], sources: [{ name: 'O' }] });
      for (let i = 0; i < 10; i++) await js.publish('o.x', `${i}`);
      const until = async (name: string, n: number): Promise<number> => {
        let msgs = 0;
        for (let i = 0; i < 150; i++) {
          msgs = (await jsm.streams.info(name)).state.messages;
          if (msgs >= n) break;
          await new Promise((r) => setTimeout(r, 20));
        }
        return msgs;
      };
      expect(await until('M', 10)).toBe(10);
      expect(await until('S', 10)).toBe(10);
      await nc.close();
      await srv.shutdown();
      srv = await startServer({ host: '127.0.0.1', port: -1, jetstream: true, storeDir: dir });
      nc = await connect({ port: srv.port });
      jsm = await jetstreamManager(nc);
      js = jetstream(nc);
      for (let i = 10; i < 15; i++) await js.publish('o.x', `${i}`);
      // Nothing is taken twice: the mirror goes on after its last sequence, the source after the
      // last message its header names.
      expect(await until('M', 15)).toBe(15);
      expect(await until('S', 15)).toBe(15);
      await new Promise((r) => setTimeout(r, 200));
      expect((await jsm.streams.info('M')).state.last_seq).toBe(15);
      const s = await jsm.streams.info('S');
      expect(s.state.messages).toBe(15);
      expect((await jsm.streams.getMessage('S', { seq: 15 }))!.header.get('Nats-Stream-Source')).toBe('O 15');
      await nc.close();
    } finally {
      await srv.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('failed links and refused messages are logged and retried every 2 s, as nats-server logs them', async () => {
    const warnings = async (kind: 'tsnats' | 'nats-server'): Promise<string[]> => {
      const dir = mkdtempSync(join(tmpdir(), `tsnats-jss-log-${kind}-`));
      const srv = await spawnServer(kind, { args: ['-js', '-sd', dir] });
      try {
        const nc = await connect({ port: srv.port });
        const req = (s: string, b: unknown): Promise<unknown> => nc.request(s, JSON.stringify(b), { timeout: 2000 });
        await req('$JS.API.STREAM.CREATE.M', { name: 'M', mirror: { name: 'NOPE' }, storage: 'memory' });
        await req('$JS.API.STREAM.CREATE.S', { name: 'S', sources: [{ name: 'NOPE' }], storage: 'memory' });
        await req('$JS.API.STREAM.CREATE.O', { name: 'O', subjects: ['o'], storage: 'memory' });
        await req('$JS.API.STREAM.CREATE.L', { name: 'L', sources: [{ name: 'O' }], storage: 'memory', max_msgs: 1, discard: 'new' });
        await nc.request('o', 'a', { timeout: 2000 });
        await nc.request('o', 'b', { timeout: 2000 });
        await new Promise((r) => setTimeout(r, 3200));
        await nc.close();
        return srv
          .output()
          .split('\n')
          .flatMap((l) => (/\[WRN\] (JetStream error|Error processing)/.test(l) ? [l.slice(l.indexOf('[WRN]'))] : []));
      } finally {
        await srv.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    };
    const [got, want] = await Promise.all([warnings('tsnats'), warnings('nats-server')]);
    const count = (lines: string[]): Map<string, number> => {
      const m = new Map<string, number>();
      for (const l of lines) m.set(l, (m.get(l) ?? 0) + 1);
      return m;
    };
    expect([...count(got).keys()].sort()).toEqual([...count(want).keys()].sort());
    expect(want).toContain(`[WRN] JetStream error response for create mirror consumer: stream not found (10059)`);
    expect(want).toContain(`[WRN] Error processing inbound source "O" for '$G' > 'L': maximum messages exceeded`);
    // Each failure again after 2 s.
    for (const [line, n] of count(got)) expect(n, line).toBeGreaterThanOrEqual(2);
  }, 20_000);

  it('after a restart both servers go on from the same place', async () => {
    const play = async (kind: 'tsnats' | 'nats-server'): Promise<string[]> => {
      const dir = mkdtempSync(join(tmpdir(), `tsnats-jss-rs-${kind}-`));
      const out: string[] = [];
      const session = async (steps: Step[]): Promise<void> => {
        const srv = await spawnServer(kind, { args: ['-js', '-sd', dir] });
        try {
          const nc = await connect({ port: srv.port });
          for (const step of steps) {
            if (step[0] === 'sleep') {
              await new Promise((r) => setTimeout(r, step[1] as number));
              continue;
            }
            if (step[0] === 'wait') {
              const [, stream, msgs] = step as ['wait', string, number];
              const until = Date.now() + 15_000;
              for (;;) {
                const info = JSON.parse((await nc.request(`$JS.API.STREAM.INFO.${stream}`, '', { timeout: 2000 })).string());
                if (info.state?.messages === msgs || Date.now() > until) break;
                await new Promise((r) => setTimeout(r, 50));
              }
              continue;
            }
            const [subject, body] = step as [string, unknown];
            const m = await nc.request(subject, typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body), { timeout: 2000 });
            // A create reply is compared by its outcome only (test/jetstream-parity.test.ts
            // compares the file store's figures: first_seq, bytes with headers).
            const text = subject.includes('.CREATE.') ? String(m.string().includes('"error"')) : m.string();
            out.push(`${subject} ${text}`.replace(STAMP, '"$1":"TIME"').replace(/"active":\d+/g, '"active":A'));
          }
          await nc.close();
        } finally {
          await srv.stop();
        }
      };
      try {
        await session([
          ['$JS.API.STREAM.CREATE.O', { name: 'O', subjects: ['o.*'] }],
          ['$JS.API.STREAM.CREATE.M', { name: 'M', mirror: { name: 'O' } }],
          ['$JS.API.STREAM.CREATE.S', { name: 'S', subjects: ['s'], sources: [{ name: 'O', filter_subject: 'o.b' }] }],
          ['$JS.API.STREAM.CREATE.MS', { name: 'MS', mirror: { name: 'O', opt_start_seq: 2 } }],
          ['o.a', '1'],
          ['o.b', '2'],
          ['wait', 'S', 1],
          ['s', '3'],
          ['o.b', '4'],
          ['wait', 'S', 3],
          ['wait', 'M', 3],
          ['$JS.API.STREAM.INFO.S'],
        ]);
        await session([
          ['sleep', 300],
          ['o.b', '5'],
          ['o.a', '6'],
          // nats-server may restore a mirror before its origin: its consumer create then fails
          // and is retried 2 s later.
          ['wait', 'M', 5],
          ['wait', 'S', 4],
          ['$JS.API.STREAM.INFO.M'],
          ['$JS.API.STREAM.INFO.S'],
          ['$JS.API.STREAM.MSG.GET.S', { seq: 4 }],
          ['$JS.API.STREAM.MSG.GET.M', { seq: 6 }],
          ['$JS.API.STREAM.INFO.MS'],
        ]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      return out;
    };
    const [got, want] = await Promise.all([play('tsnats'), play('nats-server')]);
    // The last reply (MS, mirrored from opt_start_seq 2) is not compared: when nats-server
    // restores MS before O, its retried mirror consumer sometimes starts over at sequence 1
    // (5 messages, first_seq 1), sometimes not. tsnats keeps the configured start.
    const last = got.length - 1;
    for (let i = 0; i < last; i++) expect(got[i], `reply ${i}`).toBe(want[i]);
    expect(got.length).toBe(want.length);
    expect(got[last]).toMatch(/^\$JS\.API\.STREAM\.INFO\.MS .*"state":\{"messages":4,"bytes":\d+,"first_seq":2,/);
    expect(want.some((w) => w.startsWith('$JS.API.STREAM.INFO.S ') && w.includes('"messages":4,'))).toBe(true);
  }, 60_000);
});
