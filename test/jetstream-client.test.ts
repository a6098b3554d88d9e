// JetStream through the official clients (@nats-io/jetstream, @nats-io/kv, @nats-io/obj): streams, publish
// acks, deduplication, the expected-* checks and their errors, purge, get and delete, limits,
// interest retention without consumers, republish, accounts with and without JetStream, and a
// KV bucket's put/get/history/watch/keys, and an object store round trip.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import { createHash, randomBytes } from 'node:crypto';
import { errCode, jsServer, KINDS } from './helpers/jetstream.js';

describe.each(KINDS)('JetStream with @nats-io/jetstream on %s', (kind) => {
  let srv: { port: number; stop: () => Promise<void> };
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  beforeAll(async () => {
    srv = await jsServer(kind);
    nc = await connect({ port: srv.port });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    await nc?.close();
    await srv?.stop();
  });

  it('creates, lists, updates and deletes streams; account info counts them', async () => {
    const si = await jsm.streams.add({ name: 'ORDERS', subjects: ['orders.>'], storage: 'memory' as never });
    expect(si.config).toMatchObject({ name: 'ORDERS', subjects: ['orders.>'], retention: 'limits', duplicate_window: 120_000_000_000, num_replicas: 1 });
    expect(si.state).toMatchObject({ messages: 0, first_seq: 0, last_seq: 0, consumer_count: 0 });
    expect(await errCode(jsm.streams.add({ name: 'DUP', subjects: ['orders.new'] }))).toBe(10065);
    expect(await errCode(jsm.streams.add({ name: 'R3', subjects: ['r3'], num_replicas: 3 }))).toBe(10074);
    const up = await jsm.streams.update('ORDERS', { subjects: ['orders.>', 'returns.>'], max_msgs: 100 });
    expect(up.config).toMatchObject({ subjects: ['orders.>', 'returns.>'], max_msgs: 100 });
    expect(await errCode(jsm.streams.update('ORDERS', { storage: 'file' as never } as never))).toBe(10052);
    expect(await jsm.streams.names().next()).toContain('ORDERS');
    const infos = await jsm.streams.list().next();
    expect(infos.map((i) => i.config.name)).toContain('ORDERS');
    const ai = await jsm.getAccountInfo();
    expect(ai.streams).toBeGreaterThanOrEqual(1);
    expect(ai.api.total).toBeGreaterThan(0);
    expect(ai.api.errors).toBeGreaterThanOrEqual(3);
    expect(await jsm.streams.delete('ORDERS')).toBe(true);
    expect(await errCode(jsm.streams.info('ORDERS'))).toBe(10059);
  });

  it('publish acks, Nats-Msg-Id deduplication and the expected-* checks', async () => {
    await jsm.streams.add({ name: 'PUB', subjects: ['pub.*'], storage: 'memory' as never });
    const js = jetstream(nc);
    const a1 = await js.publish('pub.a', 'one', { msgID: 'id-1' });
    expect(a1).toMatchObject({ stream: 'PUB', seq: 1, duplicate: false });
    const again = await js.publish('pub.a', 'one', { msgID: 'id-1' });
    expect(again).toMatchObject({ stream: 'PUB', seq: 1, duplicate: true });
    expect((await js.publish('pub.b', 'two', { expect: { streamName: 'PUB', lastSequence: 1 } })).seq).toBe(2);
    expect(await errCode(js.publish('pub.b', 'x', { expect: { streamName: 'OTHER' } }))).toBe(10060);
    expect(await errCode(js.publish('pub.b', 'x', { expect: { lastSequence: 7 } }))).toBe(10071);
    expect(await errCode(js.publish('pub.a', 'x', { expect: { lastSubjectSequence: 2 } }))).toBe(10071);
    expect((await js.publish('pub.a', 'three', { expect: { lastSubjectSequence: 1 } })).seq).toBe(3);
    expect(await errCode(js.publish('pub.a', 'x', { expect: { lastMsgID: 'nope' } }))).toBe(10070);
    expect((await js.publish('pub.c', 'four', { msgID: 'id-4' })).seq).toBe(4);
    expect((await js.publish('pub.c', 'five', { expect: { lastMsgID: 'id-4' } })).seq).toBe(5);
    const si = await jsm.streams.info('PUB');
    // memory store accounting: subject + headers + payload + 16 per message.
    expect(si.state).toMatchObject({ messages: 5, first_seq: 1, last_seq: 5, num_subjects: 3 });
  });

  it('get by sequence and last by subject, delete (erase or not), purge with filter/keep/seq', async () => {
    await jsm.streams.add({ name: 'GET', subjects: ['get.>'], storage: 'memory' as never, allow_direct: true });
    const js = jetstream(nc);
    for (let i = 1; i <= 6; i++) await js.publish(`get.${i % 2 === 0 ? 'even' : 'odd'}`, `m${i}`);
    const m2 = await jsm.streams.getMessage('GET', { seq: 2 });
    expect(m2!.subject).toBe('get.even');
    expect(m2!.string()).toBe('m2');
    const last = await jsm.streams.getMessage('GET', { last_by_subj: 'get.odd' });
    expect(last!.seq).toBe(5);
    expect(await jsm.streams.deleteMessage('GET', 1)).toBe(true);
    expect(await jsm.streams.deleteMessage('GET', 3, false)).toBe(true);
    expect(await errCode(jsm.streams.deleteMessage('GET', 3))).toBe(10043);
    const si = await jsm.streams.info('GET', { deleted_details: true });
    expect(si.state).toMatchObject({ messages: 4, first_seq: 2, num_deleted: 1, deleted: [3] });
    expect((await jsm.streams.purge('GET', { filter: 'get.odd' })).purged).toBe(1);
    expect((await jsm.streams.purge('GET', { keep: 1 })).purged).toBe(2);
    expect((await jsm.streams.info('GET')).state).toMatchObject({ messages: 1, first_seq: 6, last_seq: 6 });
    expect((await jsm.streams.purge('GET', { seq: 10 })).purged).toBe(1);
    expect((await js.publish('get.odd', 'after')).seq).toBe(10);
    const direct = await jsm.direct.getMessage('GET', { seq: 10 });
    expect(direct!.string()).toBe('after');
  });

  it('limits through the store: max_msgs (discard old), max_bytes (discard new), max_msg_size, per-subject', async () => {
    const js = jetstream(nc);
    await jsm.streams.add({ name: 'LIM', subjects: ['lim.>'], storage: 'memory' as never, max_msgs: 2 });
    for (let i = 0; i < 5; i++) await js.publish('lim.a', String(i));
    expect((await jsm.streams.info('LIM')).state).toMatchObject({ messages: 2, first_seq: 4, last_seq: 5 });
    // 'new.x' (5) + '12345' (5) + 16 = 26 bytes a message.
    await jsm.streams.add({ name: 'NEW', subjects: ['new.>'], storage: 'memory' as never, max_bytes: 56, discard: 'new' as never, max_msg_size: 8 });
    await js.publish('new.x', '12345');
    await js.publish('new.x', '12345');
    expect(await errCode(js.publish('new.x', '12345'))).toBe(10077);
    expect(await errCode(js.publish('new.x', '123456789'))).toBe(10054);
    expect((await jsm.streams.info('NEW')).state).toMatchObject({ messages: 2, bytes: 52 });
    await jsm.streams.add({
      name: 'PER',
      subjects: ['per.>'],
      storage: 'memory' as never,
      max_msgs_per_subject: 1,
      discard: 'new' as never,
      discard_new_per_subject: true,
    });
    await js.publish('per.a', '1');
    expect(await errCode(js.publish('per.a', '2'))).toBe(10077);
    expect((await js.publish('per.b', '1')).seq).toBe(2);
  });

  it('interest retention without consumers acks without storing; republish; sealed', async () => {
    const js = jetstream(nc);
    await jsm.streams.add({ name: 'INT', subjects: ['int.>'], storage: 'memory' as never, retention: 'interest' as never });
    expect((await js.publish('int.a', 'x')).seq).toBe(1);
    expect((await js.publish('int.a', 'y')).seq).toBe(2);
    expect((await jsm.streams.info('INT')).state).toMatchObject({ messages: 0, first_seq: 3, last_seq: 2 });

    await jsm.streams.add({ name: 'REP', subjects: ['rep.*'], storage: 'memory' as never, republish: { src: 'rep.*', dest: 'out.$1' } as never });
    const sub = nc.subscribe('out.>', { max: 1 });
    const got = (async () => {
      for await (const m of sub) return m;
    })();
    await js.publish('rep.k', 'v');
    const m = (await got)!;
    expect(m.subject).toBe('out.k');
    expect(m.string()).toBe('v');
    expect(m.headers!.get('Nats-Stream')).toBe('REP');
    expect(m.headers!.get('Nats-Sequence')).toBe('1');

    await jsm.streams.update('REP', { subjects: ['rep.*'], republish: { src: 'rep.*', dest: 'out.$1' }, sealed: true } as never);
    expect(await errCode(js.publish('rep.k', 'no'))).toBe(10109);
  });

  it('pull consumers: fetch, next, acks (+ACK, -NAK, +WPI, +TERM), the 9-token ack subject, info counters', async () => {
    const js = jetstream(nc);
    await jsm.streams.add({ name: 'PULL', subjects: ['pull.>'], storage: 'memory' as never });
    for (let i = 1; i <= 5; i++) await js.publish(`pull.${i % 2 ? 'odd' : 'even'}`, `m${i}`);
    const ci = await jsm.consumers.add('PULL', { durable_name: 'work', ack_policy: 'explicit' as never, ack_wait: 500_000_000 });
    expect(ci.config).toMatchObject({ durable_name: 'work', ack_policy: 'explicit', ack_wait: 500_000_000, max_deliver: -1, max_waiting: 512, max_ack_pending: 1000 });
    expect(ci.num_pending).toBe(5);
    const c = await js.consumers.get('PULL', 'work');
    const batch = await c.fetch({ max_messages: 3, expires: 1000 });
    const got = [];
    for await (const m of batch) got.push(m);
    expect(got.map((m) => [m.subject, m.seq, m.string()])).toEqual([
      ['pull.odd', 1, 'm1'],
      ['pull.even', 2, 'm2'],
      ['pull.odd', 3, 'm3'],
    ]);
    const reply = (got[0] as unknown as { msg: { reply: string } }).msg.reply;
    expect(reply.split('.')).toHaveLength(9);
    expect(reply.startsWith('$JS.ACK.PULL.work.1.1.1.')).toBe(true);
    expect(got[0]!.info.pending).toBe(4);
    got[0]!.ack();
    got[1]!.nak();
    got[2]!.term();
    // nats-server handles acks on another goroutine: give them a moment before the next pull.
    await nc.flush();
    await new Promise((r) => setTimeout(r, 200));
    const again = await c.next({ expires: 2000 });
    expect([again!.seq, again!.redelivered, again!.info.deliveryCount]).toEqual([2, true, 2]);
    await again!.ackAck();
    const m4 = await c.next({ expires: 2000 });
    expect(m4!.seq).toBe(4);
    await m4!.ackAck();
    const m5 = await c.next({ expires: 2000 });
    expect(m5!.seq).toBe(5);
    m5!.working();
    // m5 is left unacked: redelivered after ack_wait (500 ms).
    const re = await c.next({ expires: 3000 });
    expect([re!.seq, re!.info.deliveryCount]).toEqual([5, 2]);
    await re!.ackAck();
    const info = await c.info();
    expect(info).toMatchObject({ num_pending: 0, num_ack_pending: 0, delivered: { consumer_seq: 7, stream_seq: 5 }, ack_floor: { consumer_seq: 7, stream_seq: 5 } });
    expect(await c.next({ expires: 1000 })).toBeNull();
    expect((await jsm.consumers.list('PULL').next()).map((x) => x.name)).toEqual(['work']);
    expect(await jsm.consumers.delete('PULL', 'work')).toBe(true);
    expect(await errCode(jsm.consumers.info('PULL', 'work'))).toBe(10014);
  });

  it('backoff sets ack_wait and spaces redeliveries; max_deliver must exceed its length (10116)', async () => {
    const js = jetstream(nc);
    await jsm.streams.add({ name: 'BO', subjects: ['bo'], storage: 'memory' as never });
    await js.publish('bo', 'x');
    expect(await errCode(jsm.consumers.add('BO', { durable_name: 'bad', ack_policy: 'explicit' as never, backoff: [100_000_000], max_deliver: 1 }))).toBe(10116);
    // A push consumer delivering into its own stream would loop: refused (10081).
    expect(await errCode(jsm.consumers.add('BO', { durable_name: 'loop', ack_policy: 'none' as never, deliver_subject: 'bo' }))).toBe(10081);
    const ci = await jsm.consumers.add('BO', { durable_name: 'bo', ack_policy: 'explicit' as never, backoff: [100_000_000, 200_000_000], max_deliver: 3 });
    expect(ci.config).toMatchObject({ ack_wait: 100_000_000, backoff: [100_000_000, 200_000_000], max_deliver: 3 });
    const c = await js.consumers.get('BO', 'bo');
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) counts.push((await c.next({ expires: 3000 }))!.info.deliveryCount);
    expect(counts).toEqual([1, 2, 3]);
    // max_deliver reached: no fourth delivery.
    expect(await c.next({ expires: 1000 })).toBeNull();
  });

  it('filtered and ephemeral consumers, deliver policies; a work queue drops acked messages', async () => {
    const js = jetstream(nc);
    await jsm.streams.add({ name: 'WQ', subjects: ['wq.>'], storage: 'memory' as never, retention: 'workqueue' as never });
    for (let i = 1; i <= 4; i++) await js.publish(`wq.${i % 2 ? 'a' : 'b'}`, `w${i}`);
    expect(await errCode(jsm.consumers.add('WQ', { durable_name: 'x', ack_policy: 'none' as never }))).toBe(10084);
    await jsm.consumers.add('WQ', { durable_name: 'wa', ack_policy: 'explicit' as never, filter_subject: 'wq.a' });
    const c = await js.consumers.get('WQ', 'wa');
    const msgs = await c.fetch({ max_messages: 10, expires: 1000 });
    const seqs: number[] = [];
    for await (const m of msgs) {
      seqs.push(m.seq);
      await m.ackAck();
    }
    expect(seqs).toEqual([1, 3]);
    expect((await jsm.streams.info('WQ')).state).toMatchObject({ messages: 2, first_seq: 2 });
    expect(await errCode(jsm.consumers.add('WQ', { ack_policy: 'explicit' as never, deliver_policy: 'last' as never, filter_subject: 'wq.b' }))).toBe(10101);
    const eph = await jsm.consumers.add('WQ', { ack_policy: 'explicit' as never, filter_subject: 'wq.b' });
    expect(eph.config.inactive_threshold).toBe(5_000_000_000);
    expect(eph.name).toMatch(/^[0-9A-Za-z]{8}$/);
    const e = await js.consumers.get('WQ', eph.name);
    expect((await e.next({ expires: 1000 }))!.seq).toBe(2);
    await jsm.streams.add({ name: 'LASTP', subjects: ['lp.*'], storage: 'memory' as never });
    for (const s of ['lp.a', 'lp.b', 'lp.a']) await js.publish(s, s);
    const lp = await jsm.consumers.add('LASTP', { durable_name: 'last', ack_policy: 'none' as never, deliver_policy: 'last' as never });
    expect(lp.num_pending).toBe(1);
    expect((await (await js.consumers.get('LASTP', 'last')).next({ expires: 1000 }))!.seq).toBe(3);
    const np = await jsm.consumers.add('LASTP', { durable_name: 'new', ack_policy: 'none' as never, deliver_policy: 'new' as never });
    expect(np.num_pending).toBe(0);
  });

  it('interest retention keeps a message until every consumer acked it; a purge drops pending acks', async () => {
    const js = jetstream(nc);
    await jsm.streams.add({ name: 'INTC', subjects: ['intc.>'], storage: 'memory' as never, retention: 'interest' as never });
    await jsm.consumers.add('INTC', { durable_name: 'a', ack_policy: 'explicit' as never });
    await jsm.consumers.add('INTC', { durable_name: 'b', ack_policy: 'explicit' as never });
    await js.publish('intc.x', '1');
    await js.publish('intc.x', '2');
    const a = await js.consumers.get('INTC', 'a');
    const b = await js.consumers.get('INTC', 'b');
    await (await a.next({ expires: 1000 }))!.ackAck();
    expect((await jsm.streams.info('INTC')).state.messages).toBe(2);
    await (await b.next({ expires: 1000 }))!.ackAck();
    expect((await jsm.streams.info('INTC')).state).toMatchObject({ messages: 1, first_seq: 2 });
    expect((await a.next({ expires: 1000 }))!.seq).toBe(2);
    expect((await a.info()).num_ack_pending).toBe(1);
    await jsm.streams.purge('INTC');
    await nc.flush();
    expect((await a.info()).num_ack_pending).toBe(0);
    await js.publish('intc.x', '3');
    expect((await a.next({ expires: 1000 }))!.seq).toBe(3);
    // A consumer without acks is done with a message once it got it.
    await jsm.streams.add({ name: 'INTN', subjects: ['intn'], storage: 'memory' as never, retention: 'interest' as never });
    await jsm.consumers.add('INTN', { durable_name: 'n', ack_policy: 'none' as never });
    await js.publish('intn', '1');
    expect((await jsm.streams.info('INTN')).state.messages).toBe(1);
    expect((await (await js.consumers.get('INTN', 'n')).next({ expires: 1000 }))!.seq).toBe(1);
    await nc.flush();
    await new Promise((r) => setTimeout(r, 100));
    expect((await jsm.streams.info('INTN')).state).toMatchObject({ messages: 0, first_seq: 2 });
  });

  it('a KV bucket: put, get, update with revision, history, delete (direct get and rollups)', async () => {
    const kvm = new Kvm(nc);
    const kv = await kvm.create('cfg', { history: 3 });
    expect(await kv.put('a', 'one')).toBe(1);
    expect(await kv.put('a', 'two')).toBe(2);
    expect((await kv.get('a'))!.string()).toBe('two');
    expect(await kv.update('a', 'three', 2)).toBe(3);
    await expect(kv.update('a', 'four', 2)).rejects.toThrow();
    expect(await kv.create('b', 'new')).toBe(4);
    await expect(kv.create('b', 'again')).rejects.toThrow();
    await kv.delete('b');
    expect((await kv.get('b'))!.operation).toBe('DEL');
    await kv.purge('a');
    expect((await kv.get('a'))!.operation).toBe('PURGE');
    const st = await kv.status();
    expect(st.history).toBe(3);
    // Values without headers around the direct get reply's copy bound (64 bytes) and past its first buffer.
    for (const n of [0, 64, 65, 5000]) {
      const v = randomBytes(n);
      await kv.put(`v${n}`, v);
      const e = await kv.get(`v${n}`);
      expect(Buffer.from(e!.value).equals(v)).toBe(true);
      expect(e!.key).toBe(`v${n}`);
    }
  });

  it('an object store: a 1 MiB object round trip with its digest, list, delete', async () => {
    const os = await new Objm(nc).create('files');
    const data = randomBytes(1024 * 1024);
    const info = await os.putBlob({ name: 'big.bin' }, data);
    expect(info).toMatchObject({ size: 1024 * 1024, chunks: 8 });
    // URL-safe base64 with its padding, as the client writes it.
    const digest = createHash('sha256').update(data).digest('base64').replace(/\+/g, '-').replace(/\//g, '_');
    expect(info.digest).toBe(`SHA-256=${digest}`);
    const back = await os.getBlob('big.bin');
    expect(Buffer.from(back!).equals(data)).toBe(true);
    expect((await os.list()).map((i) => i.name)).toEqual(['big.bin']);
    await os.delete('big.bin');
    expect((await os.info('big.bin'))!.deleted).toBe(true);
  });

  it('a KV bucket with a TTL: entries expire (max_age)', async () => {
    const kv = await new Kvm(nc).create('ttl', { ttl: 300 });
    await kv.put('k', 'v');
    expect((await kv.get('k'))!.string()).toBe('v');
    await new Promise((r) => setTimeout(r, 1000));
    expect(await kv.get('k')).toBeNull();
    expect((await jsm.streams.info('KV_ttl')).state).toMatchObject({ messages: 0, first_seq: 2, last_seq: 1 });
  });

  it('KV keys, history and watch (ordered push consumers, last_per_subject, idle heartbeats)', async () => {
    const kvm = new Kvm(nc);
    const kv = await kvm.create('watched', { history: 5 });
    await kv.put('k1', 'a');
    await kv.put('k2', 'b');
    await kv.put('k1', 'c');
    const keys: string[] = [];
    for await (const k of await kv.keys()) keys.push(k);
    expect(keys.sort()).toEqual(['k1', 'k2']);
    const hist: string[] = [];
    for await (const e of await kv.history({ key: 'k1' })) hist.push(e.string());
    expect(hist).toEqual(['a', 'c']);
    const w = await kv.watch({ key: 'k1' });
    const seen: string[] = [];
    const done = (async () => {
      for await (const e of w) {
        seen.push(`${e.key}=${e.string()}`);
        if (seen.length === 2) break;
      }
    })();
    await kv.put('k1', 'd');
    await done;
    expect(seen).toEqual(['k1=c', 'k1=d']);
  });
});

describe.each(KINDS)('JetStream per account on %s', (kind) => {
  it('an account without jetstream gets 10039, limits are enforced (max_streams 10027, max_mem 10028)', async () => {
    const conf = `accounts {
      A { jetstream: enabled, users: [ { user: a, password: a } ] }
      B { users: [ { user: b, password: b } ] }
      C { jetstream { max_mem: 1000, max_streams: 1 }, users: [ { user: c, password: c } ] }
    }`;
    const srv = await jsServer(kind, conf);
    const conns: NatsConnection[] = [];
    try {
      const managers = async (user: string): Promise<JetStreamManager> => {
        const c = await connect({ port: srv.port, user, pass: user });
        conns.push(c);
        return jetstreamManager(c, { checkAPI: false });
      };
      const a = await managers('a');
      const b = await managers('b');
      const c = await managers('c');
      expect((await a.streams.add({ name: 'X', storage: 'memory' as never })).config.name).toBe('X');
      expect(await errCode(b.getAccountInfo())).toBe(10039);
      expect(await errCode(b.streams.add({ name: 'X', storage: 'memory' as never }))).toBe(10039);
      expect(await errCode(c.streams.add({ name: 'X', storage: 'memory' as never, max_bytes: 5000 }))).toBe(10028);
      expect((await c.streams.add({ name: 'X', storage: 'memory' as never })).config.name).toBe('X');
      expect(await errCode(c.streams.add({ name: 'Y', storage: 'memory' as never }))).toBe(10027);
      const info = await c.getAccountInfo();
      expect(info.limits).toMatchObject({ max_memory: 1000, max_streams: 1 });
      // The account's memory limit (1000 bytes) holds back what would pass it: 10002.
      const js = jetstream(conns[2]!);
      await js.publish('X', 'x'.repeat(500));
      expect(await errCode(js.publish('X', 'x'.repeat(600)))).toBe(10002);
    } finally {
      for (const c of conns) await c.close();
      await srv.stop();
    }
  });
});
