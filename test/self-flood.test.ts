// A connection that floods its own subscription (issue 10, item 1): the official client publishes
// 262,144 messages of 1 KiB to a subject it subscribes to, as fast as it can, as nats.js' own suite
// does. nats-server delivers every one with slow_consumers 0: the publisher is read only as fast as
// its own outbound drains. TSNATS_TARGET=nats-server runs it against the reference. The server is
// a spawned process, so the client and the server each have their own event loop, as in real use.

import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, spawnServer, targetKind, type SpawnedServer } from './helpers/index.js';

const COUNT = 262_144;

const servers: SpawnedServer[] = [];
const conns: NatsConnection[] = [];
afterEach(async () => {
  await Promise.all(conns.splice(0).map((nc) => (nc.isClosed() ? nc.closed() : nc.close())));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function server(): Promise<{ srv: SpawnedServer; varz: () => Promise<Record<string, number>> }> {
  const http = await freePort();
  const srv = await spawnServer(targetKind(), { args: ['-m', String(http)] });
  servers.push(srv);
  const varz = async (): Promise<Record<string, number>> => (await fetch(`http://127.0.0.1:${http}/varz`)).json() as Promise<Record<string, number>>;
  return { srv, varz };
}

async function client(port: number): Promise<NatsConnection> {
  const nc = await connect({ servers: `nats://127.0.0.1:${port}`, reconnect: false, timeout: 10_000 });
  conns.push(nc);
  return nc;
}

/** A 1 KiB payload carrying its index in the first 4 bytes (the client may keep it until flushed). */
function stamped(i: number): Uint8Array {
  const p = new Uint8Array(1024);
  new DataView(p.buffer).setUint32(0, i);
  return p;
}

/** Counts what a subscription gets, checking order; resolves at `want` messages. */
function counter(nc: NatsConnection, subject: string, want: number, slow = false): { done: Promise<number>; got: () => number } {
  let got = 0;
  let outOfOrder = -1;
  const sub = nc.subscribe(subject);
  const done = (async () => {
    for await (const m of sub) {
      const i = new DataView(m.data.buffer, m.data.byteOffset, 4).getUint32(0);
      if (i !== got && outOfOrder < 0) outOfOrder = got;
      got++;
      // the slow reader gives the loop away now and then, so the server sees it fall behind
      if (slow && got % 4096 === 0) await new Promise((r) => setTimeout(r, 5));
      if (got === want) break;
    }
    if (outOfOrder >= 0) throw new Error(`message ${outOfOrder} arrived out of order`);
    return got;
  })();
  return { done, got: () => got };
}

/** `p`, failing after `ms` or as soon as one of the connections is closed. */
function within<T>(p: Promise<T>, ms: number, conns: NatsConnection[], what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what()}`)), ms);
  });
  const closed = conns.map((nc) =>
    nc.closed().then((err) => {
      throw new Error(`connection closed (${err?.message ?? 'no error'}): ${what()}`);
    }),
  );
  // the close at the end of the test settles these too: they must not count as unhandled
  for (const c of closed) c.catch(() => undefined);
  return Promise.race([p, t, ...closed]).finally(() => clearTimeout(timer));
}

describe(`a connection flooding its own subscription (${process.env.TSNATS_NATIVE ?? 'auto'})`, () => {
  it('gets all 262,144 messages of 1 KiB in order, and no slow consumer is counted', async () => {
    const { srv, varz } = await server();
    const nc = await client(srv.port);
    const own = counter(nc, 'foo', COUNT);
    await nc.flush();
    for (let i = 0; i < COUNT; i++) nc.publish('foo', stamped(i));
    await within(own.done, 60_000, [nc], () => `${own.got()}/${COUNT} arrived; closed: ${nc.isClosed()}; server log: ${srv.output().slice(-2000)}`);
    expect(own.got()).toBe(COUNT);
    expect(nc.isClosed()).toBe(false);
    expect((await varz()).slow_consumers).toBe(0);
  }, 120_000);

  it('also feeds a second, slower subscriber in full', async () => {
    const { srv, varz } = await server();
    const pub = await client(srv.port);
    const other = await client(srv.port);
    const n = COUNT;
    const own = counter(pub, 'foo', n);
    const slow = counter(other, 'foo', n, true);
    await pub.flush();
    await other.flush();
    for (let i = 0; i < n; i++) pub.publish('foo', stamped(i));
    await within(Promise.all([own.done, slow.done]), 60_000, [pub, other], () => `own ${own.got()}/${n}, slow ${slow.got()}/${n}; server log: ${srv.output().slice(-2000)}`);
    expect([own.got(), slow.got()]).toEqual([n, n]);
    expect((await varz()).slow_consumers).toBe(0);
  }, 120_000);
});
