// JetStream file streams across restarts of a spawned tsnats (the bin), through the official
// clients: a stream and a durable pull consumer come back after SIGTERM with the same figures and
// the consumer resumes from its ack floor; under async publishes killed with SIGKILL at random
// points, every acked message is there exactly once, in order; a KV bucket with file storage
// survives a restart; kill -9 under publishers and a pull consumer (nothing acked is lost to the
// consumer); a torn tail, flipped bytes and a deleted index file; a full disk (a tmpfs); the storage
// limits beside nats-server. The parser path follows TSNATS_NATIVE (run the file with require and off).

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, JetStreamApiError, jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { spawnServer, type SpawnedServer } from './helpers/spawn-server.js';
import { FileStore } from '../src/jetstream/store/file.js';
import { Reactor, type Flushable } from '../src/util/reactor.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function storeDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tsnats-jsfile-'));
  dirs.push(d);
  return d;
}

/** tsnats with JetStream on `dir`; the port is fixed across restarts so a client reconnects. */
async function start(dir: string, extra = ''): Promise<SpawnedServer> {
  return spawnServer('tsnats', { config: `jetstream { store_dir: "${dir}"${extra} }\n` });
}

/** A kill -9 and the wait for the process to be gone. */
async function kill9(s: SpawnedServer): Promise<void> {
  if (s.proc.exitCode !== null || s.proc.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => s.proc.once('exit', () => resolve()));
  s.proc.kill('SIGKILL');
  await gone;
}

describe('JetStream file storage across restarts', () => {
  it('a stream and a durable pull consumer are back after SIGTERM, the consumer resumes from its ack floor, duplicates are still known', async () => {
    const dir = storeDir();
    let srv = await start(dir);
    let nc: NatsConnection = await connect({ port: srv.port });
    let jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'ORDERS', subjects: ['orders.>'], storage: StorageType.File });
    await jsm.consumers.add('ORDERS', { durable_name: 'proc', ack_policy: AckPolicy.Explicit, ack_wait: 1_000_000_000 });
    let js = jetstream(nc);
    for (let i = 1; i <= 20; i++) await js.publish(`orders.${i % 3}`, `order ${i}`, { msgID: `m${i}` });
    const c = await js.consumers.get('ORDERS', 'proc');
    const batch = await c.fetch({ max_messages: 8, expires: 2000 });
    const got: number[] = [];
    for await (const m of batch) {
      got.push(m.seq);
      // Acks 1-5; 6-8 stay pending (delivered, not acked).
      if (m.seq <= 5) await m.ackAck();
    }
    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // The consumer's state reaches its file within about 100 ms (nats-server's flush loop), not at stop only.
    const stateFile = join(dir, 'jetstream', '$G', 'streams', 'ORDERS', 'obs', 'proc', 'state.json');
    const until = Date.now() + 5000;
    const onDisk = (): number => (existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, 'utf8')).ack_floor.stream_seq : -1);
    while (onDisk() !== 5 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(onDisk()).toBe(5);
    const si1 = await jsm.streams.info('ORDERS');
    const ci1 = await jsm.consumers.info('ORDERS', 'proc');
    await nc.close();
    await srv.stop();
    const sdir = join(dir, 'jetstream', '$G', 'streams', 'ORDERS');
    expect(existsSync(join(sdir, 'meta.inf'))).toBe(true);
    expect(existsSync(join(sdir, 'obs', 'proc', 'meta.inf'))).toBe(true);

    srv = await start(dir);
    expect(srv.output()).toContain("Starting restore for stream '$G > ORDERS'");
    expect(srv.output()).toContain("Restored 20 messages for stream '$G > ORDERS'");
    expect(srv.output()).toContain("Recovering 1 consumers for stream - '$G > ORDERS'");
    nc = await connect({ port: srv.port });
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
    const si2 = await jsm.streams.info('ORDERS');
    expect(si2.config).toEqual(si1.config);
    expect(si2.created).toBe(si1.created);
    expect(si2.state).toEqual(si1.state);
    expect(si2.state.messages).toBe(20);
    expect(si2.state.first_seq).toBe(1);
    expect(si2.state.last_seq).toBe(20);
    const ci2 = await jsm.consumers.info('ORDERS', 'proc');
    expect(ci2.created).toBe(ci1.created);
    expect(ci2.config).toEqual(ci1.config);
    expect(ci2.delivered.stream_seq).toBe(8);
    expect(ci2.delivered.consumer_seq).toBe(8);
    expect(ci2.ack_floor.stream_seq).toBe(5);
    expect(ci2.ack_floor.consumer_seq).toBe(5);
    expect(ci2.num_ack_pending).toBe(3);
    expect(ci2.num_pending).toBe(12);
    // Deduplication reads the ids of the window back (nats-server's rebuildDedupe).
    const dup = await js.publish('orders.x', 'again', { msgID: 'm20' });
    expect(dup.duplicate).toBe(true);
    expect(dup.seq).toBe(20);
    // The stream takes new messages after its last sequence.
    const pa = await js.publish('orders.x', 'after restart');
    expect(pa.seq).toBe(21);
    // Fetch goes on from the ack floor: 6-8 again (their ack wait passed), then 9-21, none lost.
    const c2 = await js.consumers.get('ORDERS', 'proc');
    const seen = new Set<number>();
    const deadline = Date.now() + 10_000;
    while (seen.size < 16 && Date.now() < deadline) {
      const b = await c2.fetch({ max_messages: 16, expires: 1500 });
      for await (const m of b) {
        seen.add(m.seq);
        await m.ackAck();
      }
    }
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i + 6));
    const ci3 = await jsm.consumers.info('ORDERS', 'proc');
    expect(ci3.ack_floor.stream_seq).toBe(21);
    expect(ci3.num_pending).toBe(0);
    // Deletes remove the files.
    await jsm.consumers.delete('ORDERS', 'proc');
    expect(existsSync(join(sdir, 'obs', 'proc'))).toBe(false);
    await jsm.streams.delete('ORDERS');
    expect(existsSync(sdir)).toBe(false);
    await nc.close();
    await srv.stop();
  }, 30_000);

  it('after kill -9 under async publishes, every acked message is there exactly once, in order; retries with their Nats-Msg-Id are deduplicated', async () => {
    const dir = storeDir();
    let srv = await start(dir);
    let nc = await connect({ port: srv.port });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'LOAD', subjects: ['load.>'], storage: StorageType.File });
    await nc.close();
    const acked: number[] = [];
    const retried = new Set<number>();
    let unacked: number[] = [];
    let next = 0;
    for (let round = 0; round < 4; round++) {
      nc = await connect({ port: srv.port, reconnect: false });
      const js = jetstream(nc);
      // The client retries what the crash left unanswered, with the same Nats-Msg-Id: a message
      // that was stored before the kill is found in the window (read back after the restart).
      for (const id of unacked) {
        await js.publish(`load.${id % 7}`, String(id), { msgID: `id-${id}` });
        retried.add(id);
      }
      unacked = [];
      // Windows of 50 outstanding publishes; the kill comes right as a random ack arrives, so
      // messages whose acks are in the same read are at risk if a record were written after its ack.
      const killAfter = 100 + Math.floor(Math.random() * 500);
      let n = 0;
      let dead = false;
      const late: Promise<unknown>[] = [];
      const send = (id: number): Promise<unknown> =>
        js.publish(`load.${id % 7}`, String(id), { msgID: `id-${id}` }).then(
          () => onAck(id),
          (e) => {
            unacked.push(id);
            throw e;
          },
        );
      const onAck = (id: number): void => {
        acked.push(id);
        if (++n === killAfter) {
          // 20 more publishes race the kill (0-3 ms later): some are stored and acked, some
          // stored but not acked (the retry finds their id), some never read.
          dead = true;
          for (let k = 0; k < 20; k++) late.push(send(next++));
          setTimeout(() => srv.proc.kill('SIGKILL'), Math.random() * 3);
        }
      };
      while (!dead && n < 2_000) {
        const window: Promise<unknown>[] = [];
        for (let k = 0; k < 50; k++) window.push(send(next++));
        const res = await Promise.allSettled(window);
        if (res.some((r) => r.status === 'rejected')) break;
      }
      await Promise.allSettled(late);
      await kill9(srv);
      await nc.close().catch(() => undefined);
      srv = await start(dir);
    }
    nc = await connect({ port: srv.port });
    const jsm2 = await jetstreamManager(nc);
    // A client retrying acked messages after the crash gets duplicate acks (the ids of the window
    // are read back from the store): nothing is stored twice.
    const js2 = jetstream(nc);
    for (const id of acked.slice(-20)) expect((await js2.publish(`load.${id % 7}`, String(id), { msgID: `id-${id}` })).duplicate).toBe(true);
    const si = await jsm2.streams.info('LOAD');
    expect(acked.length).toBeGreaterThan(0);
    const ids: number[] = [];
    for (let seq = si.state.first_seq; seq <= si.state.last_seq; seq++) {
      const m = await jsm2.streams.getMessage('LOAD', { seq }).catch(() => null);
      if (m !== null) ids.push(Number(m.string()));
    }
    expect(ids.length).toBe(si.state.messages);
    // Exactly once, retries included; the messages acked without a retry in publish order (one
    // published but not acked may be there too; a retried one is stored at its retry).
    expect(new Set(ids).size).toBe(ids.length);
    const flow = ids.filter((id) => !retried.has(id));
    for (let i = 1; i < flow.length; i++) expect(flow[i]!).toBeGreaterThan(flow[i - 1]!);
    const have = new Set(ids);
    expect(acked.filter((id) => !have.has(id))).toEqual([]);
    expect([...retried].filter((id) => !have.has(id))).toEqual([]);
    await nc.close();
    await srv.stop();
  }, 60_000);

  it('kill -9 at random points while publishers and a durable pull consumer run: every acked message reaches the consumer (redelivery allowed, loss never)', async () => {
    const dir = storeDir();
    let srv = await start(dir);
    let nc = await connect({ port: srv.port });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'WORK', subjects: ['work.>'], storage: StorageType.File });
    await jsm.consumers.add('WORK', { durable_name: 'w', ack_policy: AckPolicy.Explicit, ack_wait: 500_000_000, max_ack_pending: 10_000 });
    await nc.close();
    const pubAcked = new Set<number>();
    const consumed = new Set<number>();
    let next = 0;
    for (let round = 0; round < 3; round++) {
      nc = await connect({ port: srv.port, reconnect: false });
      const js = jetstream(nc);
      const c = await js.consumers.get('WORK', 'w');
      let dead = false;
      const killAfter = pubAcked.size + 300 + Math.floor(Math.random() * 700);
      const publisher = (async () => {
        while (!dead) {
          const window: Promise<unknown>[] = [];
          for (let k = 0; k < 50; k++) {
            const id = next++;
            window.push(
              js.publish(`work.${id % 3}`, String(id)).then(() => {
                pubAcked.add(id);
                if (pubAcked.size >= killAfter && !dead) {
                  dead = true;
                  srv.proc.kill('SIGKILL');
                }
              }),
            );
          }
          const res = await Promise.allSettled(window);
          if (res.some((r) => r.status === 'rejected')) break;
        }
      })();
      const consumer = (async () => {
        while (!dead) {
          try {
            const batch = await c.fetch({ max_messages: 100, expires: 1000 });
            for await (const m of batch) {
              consumed.add(Number(m.string()));
              m.ack();
            }
          } catch {
            break;
          }
        }
      })();
      await publisher;
      await kill9(srv);
      await consumer;
      await nc.close().catch(() => undefined);
      srv = await start(dir);
    }
    // After the last restart the consumer resumes from its ack floor: what it had not acked (or
    // whose ack state had not reached the disk) comes again after ack_wait, nothing acked is skipped.
    nc = await connect({ port: srv.port });
    const js = jetstream(nc);
    const c = await js.consumers.get('WORK', 'w');
    const deadline = Date.now() + 20_000;
    let idle = 0;
    while (idle < 2 && Date.now() < deadline) {
      const batch = await c.fetch({ max_messages: 500, expires: 1000 });
      let n = 0;
      for await (const m of batch) {
        consumed.add(Number(m.string()));
        await m.ackAck();
        n++;
      }
      idle = n === 0 ? idle + 1 : 0;
    }
    expect(pubAcked.size).toBeGreaterThan(900);
    expect([...pubAcked].filter((id) => !consumed.has(id))).toEqual([]);
    const ci = await (await jetstreamManager(nc)).consumers.info('WORK', 'w');
    expect(ci.num_pending).toBe(0);
    expect(ci.num_ack_pending).toBe(0);
    await nc.close();
    await srv.stop();
  }, 90_000);

  it('a torn tail, flipped bytes in an older block and a deleted index file: the server starts, logs each, serves only good messages', async () => {
    const dir = storeDir();
    let srv = await start(dir);
    let nc = await connect({ port: srv.port });
    let jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'BIG', subjects: ['big'], storage: StorageType.File });
    const js = jetstream(nc);
    const payload = (i: number): Buffer => Buffer.alloc(1000, i & 0xff);
    // 9,000 records of 1,035 bytes: two blocks (8 MiB each at most).
    const N = 9000;
    for (let i = 1; i <= N; i += 500) {
      await Promise.all(Array.from({ length: Math.min(500, N - i + 1) }, (_, k) => js.publish('big', payload(i + k))));
    }
    await nc.close();
    await srv.stop();
    const msgs = join(dir, 'jetstream', '$G', 'streams', 'BIG', 'msgs');
    expect(existsSync(join(msgs, '2.blk'))).toBe(true);
    // A record is 27 + 3 + 1000 bytes after a 16-byte block header: message 1234 is in block 1.
    const REC = 27 + 3 + 1000;
    const bad = 1234;
    const blk1 = join(msgs, '1.blk');
    const b1 = readFileSync(blk1);
    b1[16 + (bad - 1) * REC + 27 + 3 + 500] ^= 0xff;
    writeFileSync(blk1, b1);
    const blk2 = join(msgs, '2.blk');
    writeFileSync(blk2, readFileSync(blk2).subarray(0, statSync(blk2).size - 100)); // message N torn
    rmSync(join(dir, 'jetstream', '$G', 'streams', 'BIG', 'index.db'));
    srv = await start(dir);
    const log = srv.output();
    expect(log).toMatch(/torn tail at offset \d+ \(\d+ bytes cut\)/);
    expect(log).toContain(`1.blk: corrupt record at offset ${16 + (bad - 1) * REC} (checksum mismatch; it says message ${bad}), record skipped`);
    nc = await connect({ port: srv.port });
    jsm = await jetstreamManager(nc);
    const si = await jsm.streams.info('BIG');
    expect(si.state).toMatchObject({ messages: N - 2, first_seq: 1, last_seq: N - 1, num_deleted: 1 });
    expect(await jsm.streams.getMessage('BIG', { seq: bad })).toBeNull(); // the client's form of 404 no message found
    for (const seq of [1, bad - 1, bad + 1, 5000, N - 1]) expect(Buffer.from((await jsm.streams.getMessage('BIG', { seq }))!.data)).toEqual(payload(seq));
    expect((await jetstream(nc).publish('big', payload(N))).seq).toBe(N);
    await nc.close();
    await srv.stop();
  }, 60_000);

  it('kill -9 after an index file written at a sync: publishes, deletes, purges and per-subject removals since come back from the blocks written since; every acked message once, in order; nothing removed comes back', async () => {
    const dir = storeDir();
    const SYNC_MS = 1000;
    let srv = await start(dir, `, sync_interval: "${SYNC_MS}ms"`);
    let nc = await connect({ port: srv.port });
    let jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'CK', subjects: ['ck.>'], storage: StorageType.File, max_msgs_per_subject: 3 });
    const js = jetstream(nc);
    // The model: what the stream must hold (seq -> subject, payload tag), per-subject limit applied.
    const model = new Map<number, [string, number]>();
    const bySubject = new Map<string, number[]>();
    const payload = (tag: number): Buffer => Buffer.alloc(1000, tag & 0xff);
    let tag = 0;
    const publish = async (subjects: string[]): Promise<void> => {
      const tags = subjects.map(() => ++tag);
      const acks = await Promise.all(subjects.map((s, k) => js.publish(s, payload(tags[k]))));
      acks.forEach((a, k) => {
        model.set(a.seq, [subjects[k], tags[k]]);
        const mine = bySubject.get(subjects[k]) ?? [];
        mine.push(a.seq);
        bySubject.set(subjects[k], mine);
        while (mine.length > 3) model.delete(mine.shift()!);
      });
    };
    const subjectOf = (i: number): string => (i % 100 === 0 ? `ck.k.${(i / 100) % 5}` : i % 97 === 0 ? `ck.p.${i % 3}` : `ck.a.${i}`);
    // 9,000 records of about 1 KB: two blocks of 8 MiB at most.
    for (let i = 1; i <= 9000; i += 500) await publish(Array.from({ length: Math.min(500, 9001 - i) }, (_, k) => subjectOf(i + k)));
    const sdir = join(dir, 'jetstream', '$G', 'streams', 'CK');
    const index = join(sdir, 'index.db');
    // Wait for a sync to write the index file with every publish in it (its last sequence).
    const lastAcked = Math.max(...model.keys());
    const indexLast = (): number => {
      try {
        // Format 3 (docs/jetstream-store.md): its JSON at 32.
        const f = readFileSync(index);
        return (JSON.parse(f.toString('utf8', 32, 32 + f.readUInt32LE(8))) as { lastSeq: number }).lastSeq;
      } catch {
        return 0;
      }
    };
    const t0 = Date.now();
    while (indexLast() !== lastAcked && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
    expect(indexLast()).toBe(lastAcked);
    const synced = statSync(index).mtimeMs;
    // After it: publishes (the per-subject limit removes older ck.k messages, some in block 1),
    // deletes in both blocks and in the new tail, a purge by subject across both blocks.
    await publish(Array.from({ length: 120 }, (_, k) => (k % 10 === 0 ? `ck.k.${k % 5}` : `ck.b.${k}`)));
    const last = Math.max(...model.keys());
    const pick = (near: number): number => [...model.keys()].filter((q) => q >= near && /^ck\.[ab]\./.test(model.get(q)![0])).sort((a, b) => a - b)[0];
    for (const q of [pick(5), pick(4000), pick(8800), pick(last - 10)]) {
      expect(await jsm.streams.deleteMessage('CK', q, false)).toBe(true);
      model.delete(q);
    }
    expect((await jsm.streams.purge('CK', { filter: 'ck.p.>' })).purged).toBe([...model.values()].filter((v) => v[0].startsWith('ck.p.')).length);
    for (const [q, v] of [...model]) if (v[0].startsWith('ck.p.')) model.delete(q);
    await publish(['ck.z.last']);
    const beforeKill = Date.now();
    await nc.close();
    await kill9(srv);

    srv = await start(dir);
    const log = srv.output();
    const m = /recovered \S+ from its index file: (\d+) block\(s\) taken from it, (\d+) block\(s\) written or changed since scanned \((\d+) bytes\), (\d+) gone since/.exec(log);
    // Unless the machine was so slow that a second sync wrote the index file again before the kill
    // (then nothing is scanned and nothing logged), block 1 comes from the index file, block 2 (the
    // write block, grown since) is scanned.
    if (beforeKill - synced < SYNC_MS * 0.8 || m !== null) {
      expect(m, log).not.toBeNull();
      expect([Number(m![1]), Number(m![2]), Number(m![4])]).toEqual([1, 1, 0]);
    }
    expect(log).not.toMatch(/corrupt|torn|rebuilding/);
    nc = await connect({ port: srv.port });
    jsm = await jetstreamManager(nc);
    const want = [...model.keys()].sort((a, b) => a - b);
    const si = await jsm.streams.info('CK');
    expect(si.state).toMatchObject({ messages: want.length, first_seq: want[0], last_seq: want[want.length - 1] });
    // Every message, in order, once: an ordered consumer reads them all.
    const got: number[] = [];
    const wrong: number[] = [];
    const oc = await jetstream(nc).consumers.get('CK');
    const it = await oc.consume({ max_messages: 1000 });
    for await (const msg of it) {
      const v = model.get(msg.seq);
      if (v === undefined || msg.subject !== v[0] || !Buffer.from(msg.data).equals(payload(v[1]))) wrong.push(msg.seq);
      got.push(msg.seq);
      if (msg.seq === want[want.length - 1]) break;
    }
    expect(wrong).toEqual([]);
    expect(got).toEqual(want);
    await nc.close();
    await srv.stop();
  }, 90_000);

  it('a stream deleted by a server that crashed before its directory was removed is not restored: the renamed directory is removed at start', async () => {
    const dir = storeDir();
    let srv = await start(dir);
    let nc = await connect({ port: srv.port });
    let jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'DL', subjects: ['dl.>'], storage: StorageType.File });
    await jsm.streams.add({ name: 'KEEP', subjects: ['keep.>'], storage: StorageType.File });
    const js = jetstream(nc);
    for (let i = 1; i <= 10; i++) await js.publish(`dl.${i}`, `d${i}`);
    await js.publish('keep.1', 'k');
    await nc.close();
    await srv.stop();
    // What a kill -9 between the delete's rename and the end of its removal leaves.
    const streams = join(dir, 'jetstream', '$G', 'streams');
    const leftover = join(streams, 'DL.4242-1.deleted');
    renameSync(join(streams, 'DL'), leftover);
    srv = await start(dir);
    nc = await connect({ port: srv.port });
    jsm = await jetstreamManager(nc);
    const names: string[] = [];
    for await (const si of jsm.streams.list()) names.push(si.config.name);
    expect(names).toEqual(['KEEP']);
    expect(existsSync(leftover)).toBe(false);
    expect(srv.output()).not.toContain("stream '$G > DL'");
    // A stream of the same name starts empty.
    await jsm.streams.add({ name: 'DL', subjects: ['dl.>'], storage: StorageType.File });
    expect((await jsm.streams.info('DL')).state.messages).toBe(0);
    await nc.close();
    await srv.stop();
  });

  it('a KV bucket with file storage survives a restart', async () => {
    const dir = storeDir();
    let srv = await start(dir);
    let nc = await connect({ port: srv.port });
    let kv = await new Kvm(nc).create('config', { storage: StorageType.File, history: 3 });
    await kv.put('a', 'one');
    await kv.put('a', 'two');
    await kv.put('b', 'bee');
    await kv.delete('b');
    await nc.close();
    await srv.stop();
    srv = await start(dir);
    nc = await connect({ port: srv.port });
    kv = await new Kvm(nc).open('config');
    expect((await kv.get('a'))?.string()).toBe('two');
    expect((await kv.get('b'))?.operation).toBe('DEL');
    const hist: string[] = [];
    for await (const e of await kv.history({ key: 'a' })) hist.push(e.string());
    expect(hist).toEqual(['one', 'two']);
    const st = await kv.status();
    expect(st.values).toBe(4);
    await kv.put('c', 'sea');
    expect((await kv.get('c'))?.revision).toBe(5);
    const meta = JSON.parse(readFileSync(join(dir, 'jetstream', '$G', 'streams', 'KV_config', 'meta.inf'), 'utf8'));
    expect(meta.config.name).toBe('KV_config');
    expect(meta.config.storage).toBe('file');
    await nc.close();
    await srv.stop();
  }, 30_000);

  it('a connection flushed past the high-water mark mid-read has the stores write out first (no ack ahead of its record)', async () => {
    const dir = storeDir();
    const store = FileStore.openSync(join(dir, 'S'), { log: () => undefined });
    const blk = join(dir, 'S', 'msgs', '1.blk');
    // The server's wiring: the reactor's early flush asks the stores to write what they buffer.
    const reactor = new Reactor<Flushable & { sizeAtFlush: number }>({ highWater: 100, beforeEarlyFlush: () => store.writePending() });
    const conn = { dirty: false, queued: 0, sizeAtFlush: -1, flush() { this.sizeAtFlush = statSync(blk).size; }, queuedBytes() { return this.queued; } };
    const before = statSync(blk).size;
    expect(store.store('orders.1', Buffer.alloc(0), Buffer.from('hello'), Date.now())).toBe(1);
    // In the same turn: the PubAck is queued, then more output passes the high-water mark.
    reactor.markDirty(conn);
    conn.queued = 1000;
    reactor.markDirty(conn);
    expect(conn.sizeAtFlush).toBeGreaterThan(before);
    // the reactor's end-of-turn flush of the same connection runs before the store goes
    await new Promise((r) => setImmediate(r));
    await store.stop();
  });
});

/** The API error a refused publish came back with (`{code, err_code, description}`), or the error's text. */
function apiErrorOf(e: unknown): unknown {
  return e instanceof JetStreamApiError ? e.apiError() : String(e);
}

// A real full disk under a running server: the store directory on a small tmpfs (the suite runs as
// root). nats-server 2.9 disables JetStream on such a write error; tsnats keeps the stream
// read-only and takes writes again once space is freed.
describe('JetStream on a full disk (store_dir on a 2 MiB tmpfs)', () => {
  let mnt = '';
  beforeAll(() => {
    mnt = mkdtempSync(join(tmpdir(), 'tsnats-jsfull-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]);
  });
  afterAll(() => {
    if (mnt === '') return;
    execFileSync('umount', ['-l', mnt]); // lazy: a server a failed test left running must not keep it
    rmSync(mnt, { recursive: true, force: true });
  });

  it('a publish that cannot be written gets 503/10023, never an ack; core NATS and reads go on; writes resume once space is freed', async () => {
    const filler = join(mnt, 'filler');
    writeFileSync(filler, Buffer.alloc(512 * 1024));
    const dir = join(mnt, 'data');
    // Above the disk's size (the default, 75% of the free space, would refuse first: a limit).
    const big = ', max_file_store: 1G';
    let srv = await start(dir, big);
    let nc = await connect({ port: srv.port });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'FULL', subjects: ['full.>'], storage: StorageType.File });
    const js = jetstream(nc);
    const payload = (id: number): Buffer => {
      const b = Buffer.alloc(1024, id & 0xff);
      b.writeUInt32BE(id, 0);
      return b;
    };
    const acked = new Map<number, number>(); // stream seq -> id
    const errors: unknown[] = [];
    let next = 0;
    // Async publishes in windows of 100 until the disk is full (~1.4 MiB for 1 KiB messages).
    // Each is sent twice with one Nats-Msg-Id: the copy (in the same read) is acked as a duplicate
    // only if its message was written, and fails with it otherwise.
    const dupSeqs = new Set<number>();
    while (errors.length === 0 && next < 5000) {
      const window: Promise<unknown>[] = [];
      for (let k = 0; k < 50; k++) {
        const id = next++;
        for (let copy = 0; copy < 2; copy++) {
          window.push(
            js.publish(`full.${id % 5}`, payload(id), { msgID: `m${id}` }).then(
              (a) => {
                if (a.duplicate) dupSeqs.add(a.seq);
                else acked.set(a.seq, id);
              },
              (e) => void errors.push(apiErrorOf(e)),
            ),
          );
        }
      }
      await Promise.all(window);
    }
    const insufficient = { code: 503, err_code: 10023, description: 'insufficient resources' };
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e).toEqual(insufficient);
    expect(acked.size).toBeGreaterThan(500);
    // Read-only now: refused again, with the same error.
    expect(await js.publish('full.x', payload(next++)).then(() => 'acked', apiErrorOf)).toEqual(insufficient);
    expect(srv.output()).toMatch(/no space left on device.*read-only until a write succeeds again/i);
    // Core NATS and stream reads go on.
    const sub = nc.subscribe('core.ping', { max: 1 });
    const got = (async () => {
      for await (const m of sub) return m.string();
      return null;
    })();
    nc.publish('core.ping', 'pong');
    expect(await got).toBe('pong');
    const si = await jsm.streams.info('FULL');
    expect(si.state.messages).toBe(acked.size);
    expect(dupSeqs.size).toBeGreaterThan(0);
    expect([...dupSeqs].filter((seq) => !acked.has(seq))).toEqual([]);
    const seqs = [...acked.keys()].sort((a, b) => a - b);
    for (const seq of seqs.filter((_, i) => i % 50 === 0)) expect(Buffer.from((await jsm.streams.getMessage('FULL', { seq }))!.data)).toEqual(payload(acked.get(seq)!));
    // Space is freed: within a retry period or two the stream takes messages again.
    rmSync(filler);
    const t0 = Date.now();
    let after: unknown = null;
    while (Date.now() - t0 < 5000) {
      const id = next++;
      after = await js.publish('full.after', payload(id)).then((a) => {
        acked.set(a.seq, id);
        return a.seq;
      }, apiErrorOf);
      if (typeof after === 'number') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(after).toBe(seqs[seqs.length - 1]! + 1);
    expect(srv.output()).toMatch(/writes to .* resumed/);
    // kill -9 and restart: every acked message is there, once, at its sequence.
    await nc.close();
    await kill9(srv);
    srv = await start(dir, big);
    nc = await connect({ port: srv.port });
    const jsm2 = await jetstreamManager(nc);
    expect((await jsm2.streams.info('FULL')).state.messages).toBe(acked.size);
    for (const [seq, id] of acked) if (seq % 25 === 0 || seq === after) expect(Buffer.from((await jsm2.streams.getMessage('FULL', { seq }))!.data)).toEqual(payload(id));
    await nc.close();
    await srv.stop();
  }, 60_000);
});

// The server's max_file_store / max_memory_store and an account's max_file / max_mem refuse a
// publish before the disk or the memory runs out, with nats-server's replies and log lines: the
// same script against both servers.
describe('JetStream storage limits, side by side with nats-server', () => {
  /** Publishes 100 B messages until one is refused; returns how many were acked, the refusal and the raw reply after it. */
  async function fill(nc: NatsConnection, storage: StorageType, name: string): Promise<unknown> {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name, subjects: [`${name}.>`], storage });
    const js = jetstream(nc);
    let n = 0;
    let refusal: unknown = null;
    while (refusal === null && n < 100) {
      await js.publish(`${name}.a`, new Uint8Array(100)).then(
        () => n++,
        (e) => (refusal = apiErrorOf(e)),
      );
    }
    const raw = (await nc.request(`${name}.a`, new Uint8Array(100))).string();
    const info = await jsm.streams.info(name);
    return { acked: n, refusal, raw, messages: info.state.messages };
  }

  async function both(config: (dir: string) => string, opts: { user?: string; pass?: string }): Promise<{ results: unknown[]; logs: string[] }> {
    const results: unknown[] = [];
    const logs: string[] = [];
    for (const kind of ['nats-server', 'tsnats'] as const) {
      const srv = await spawnServer(kind, { config: config(storeDir()) });
      const nc = await connect({ port: srv.port, ...opts });
      results.push([await fill(nc, StorageType.File, 'F'), await fill(nc, StorageType.Memory, 'M')]);
      await nc.close();
      logs.push(srv.output());
      await srv.stop();
    }
    return { results, logs };
  }

  // 100 B on 'F.a' take 133 bytes on file, on 'M.a' 119 in memory: the server checks its use before
  // storing (16 and 18 fit under 2048), the account after (the 16th and 18th are taken back).
  it('max_file_store and max_memory_store: 503/10023 once the server is past its limit', async () => {
    const { results, logs } = await both((dir) => `jetstream { store_dir: "${dir}", max_file_store: 2048, max_memory_store: 2048 }\n`, {});
    expect(results[1]).toEqual(results[0]);
    expect(results[0]).toMatchObject([
      { acked: 16, refusal: { code: 503, err_code: 10023, description: 'insufficient resources' }, messages: 16 },
      { acked: 18, refusal: { code: 503, err_code: 10023 }, messages: 18 },
    ]);
    for (const log of logs) expect(log).toMatch(/\[ERR\] JetStream resource limits exceeded for server/);
  }, 30_000);

  // The usage counts every stream of the server and of the account: a second stream is refused at
  // once when the first took the room, and takes it after the first is purged.
  it('the limits count the other streams: a second stream is refused until the first is purged', async () => {
    const config = (dir: string): string =>
      `jetstream { store_dir: "${dir}", max_file_store: 4096 }\naccounts { A { jetstream { max_file: 2048 }, users [{user: a, password: a}] }, B { jetstream: enabled, users [{user: b, password: b}] } }\n`;
    const results: unknown[] = [];
    for (const kind of ['nats-server', 'tsnats'] as const) {
      const srv = await spawnServer(kind, { config: config(storeDir()) });
      const a = await connect({ port: srv.port, user: 'a', pass: 'a' });
      const b = await connect({ port: srv.port, user: 'b', pass: 'b' });
      const r: unknown[] = [await fill(a, StorageType.File, 'F'), await fill(a, StorageType.File, 'G'), await fill(b, StorageType.File, 'H')];
      await (await jetstreamManager(a)).streams.purge('F');
      r.push(await fill(a, StorageType.File, 'I'), await fill(b, StorageType.File, 'J'));
      await (await jetstreamManager(b)).streams.purge('H');
      r.push(await fill(b, StorageType.File, 'K'));
      results.push(r);
      await a.close();
      await b.close();
      await srv.stop();
    }
    expect(results[1]).toEqual(results[0]);
    expect((results[0] as { acked: number }[]).map((x) => x.acked)).toEqual([15, 0, 16, 15, 0, 16]);
  }, 30_000);

  it("an account's max_file and max_mem: 400/10002 once the account is past its limit", async () => {
    const cfg = (dir: string): string =>
      `jetstream { store_dir: "${dir}" }\naccounts { A { jetstream { max_file: 2048, max_mem: 2048 }, users [{user: a, password: a}] } }\n`;
    const { results, logs } = await both(cfg, { user: 'a', pass: 'a' });
    expect(results[1]).toEqual(results[0]);
    expect(results[0]).toMatchObject([
      { acked: 15, refusal: { code: 400, err_code: 10002, description: 'resource limits exceeded for account' }, messages: 15 },
      { acked: 17, refusal: { code: 400, err_code: 10002 }, messages: 17 },
    ]);
    for (const log of logs) expect(log).toMatch(/\[WRN\] JetStream resource limits exceeded for account: "A"/);
  }, 30_000);
});
