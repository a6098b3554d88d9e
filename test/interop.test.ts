// Interop with the official client (@nats-io/transport-node 3.x) against an in-process tsnats.
// TSNATS_TARGET=nats-server runs the same tests against nats-server 2.9.10 (reference check).

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, headers, Empty, RequestError, type NatsConnection, type Msg, type Subscription } from '@nats-io/transport-node';
import { startTarget, targetKind, type Target } from './helpers/target.js';

const KIND = targetKind();
const enc = new TextEncoder();
const dec = new TextDecoder();

let conns: NatsConnection[] = [];
async function client(target: Target, opts: Parameters<typeof connect>[0] = {}): Promise<NatsConnection> {
  const nc = await connect({ servers: target.url, reconnect: false, timeout: 5000, ...opts });
  conns.push(nc);
  return nc;
}
afterEach(async () => {
  const list = conns;
  conns = [];
  await Promise.all(list.map((nc) => (nc.isClosed() ? nc.closed() : nc.close())));
});

/** Collect `n` messages from a subscription (fails after timeoutMs). */
async function take(sub: Subscription, n: number, timeoutMs = 5000): Promise<Msg[]> {
  const got: Msg[] = [];
  if (n === 0) return got;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out with ${got.length}/${n} messages on ${sub.getSubject()}`)), timeoutMs);
  });
  const loop = (async () => {
    for await (const m of sub) {
      got.push(m);
      if (got.length >= n) break;
    }
    return got;
  })();
  try {
    return await Promise.race([loop, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe(`interop with @nats-io/transport-node against ${KIND}`, () => {
  let target: Target;
  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('connects and sees a 2.9.10-style INFO', async () => {
    const nc = await client(target);
    const info = nc.info!;
    expect(info.version).toBe('2.9.10');
    expect(info.proto).toBe(1);
    expect(info.headers).toBe(true);
    expect(info.max_payload).toBe(1048576);
    expect(info.server_id).toMatch(/^N[A-Z2-7]{55}$/);
    expect(info.client_id).toBeGreaterThan(0);
    expect(info.auth_required).toBeUndefined();
  });

  it('publish / subscribe', async () => {
    const nc = await client(target);
    const sub = nc.subscribe('greet');
    const p = take(sub, 3);
    nc.publish('greet', 'hello');
    nc.publish('greet', enc.encode('world'));
    nc.publish('greet', Empty);
    const msgs = await p;
    expect(msgs.map((m) => m.string())).toEqual(['hello', 'world', '']);
    expect(msgs.every((m) => m.subject === 'greet' && m.sid === sub.getID())).toBe(true);
  });

  it('delivers across connections, with reply subject', async () => {
    const a = await client(target);
    const b = await client(target);
    const sub = b.subscribe('x.y');
    await b.flush();
    a.publish('x.y', 'data', { reply: 'the.reply' });
    const [m] = await take(sub, 1);
    expect(m!.string()).toBe('data');
    expect(m!.reply).toBe('the.reply');
  });

  it('wildcards * and >', async () => {
    const nc = await client(target);
    const pwc = nc.subscribe('a.*');
    const fwc = nc.subscribe('a.>');
    const all = nc.subscribe('>');
    await nc.flush();
    for (const s of ['a', 'a.b', 'a.b.c', 'b.c', 'a.x']) nc.publish(s, s);
    await nc.flush();
    expect((await take(pwc, 2)).map((m) => m.subject)).toEqual(['a.b', 'a.x']);
    expect((await take(fwc, 3)).map((m) => m.subject)).toEqual(['a.b', 'a.b.c', 'a.x']);
    expect((await take(all, 5)).map((m) => m.subject)).toEqual(['a', 'a.b', 'a.b.c', 'b.c', 'a.x']);
    // nothing beyond the expected ones
    await nc.flush();
    expect(pwc.getProcessed()).toBe(2);
    expect(fwc.getProcessed()).toBe(3);
  });

  it('queue group: each message to exactly one member; plain subscriber gets all', async () => {
    const N = 300;
    const members = await Promise.all([client(target), client(target), client(target)]);
    const counts = [0, 0, 0];
    const seen = new Map<string, number>();
    members.forEach((nc, i) =>
      nc.subscribe('jobs', {
        queue: 'workers',
        callback: (_err, m) => {
          counts[i]!++;
          seen.set(m.string(), (seen.get(m.string()) ?? 0) + 1);
        },
      }),
    );
    const watcher = await client(target);
    const plain = watcher.subscribe('jobs');
    await Promise.all([...members, watcher].map((nc) => nc.flush()));
    const pubc = await client(target);
    for (let i = 0; i < N; i++) pubc.publish('jobs', String(i));
    await pubc.flush();
    const all = await take(plain, N);
    expect(all.length).toBe(N);
    await Promise.all(members.map((nc) => nc.flush()));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(N);
    expect(seen.size).toBe(N);
    expect([...seen.values()].every((v) => v === 1)).toBe(true);
    // random choice: with 300 messages every member gets some
    expect(counts.every((c) => c > 0)).toBe(true);
  });

  it('request / reply', async () => {
    const svc = await client(target);
    svc.subscribe('svc.upper', {
      callback: (_e, m) => {
        m.respond(m.string().toUpperCase());
      },
    });
    await svc.flush();
    const nc = await client(target);
    const r = await nc.request('svc.upper', 'hello', { timeout: 2000 });
    expect(r.string()).toBe('HELLO');
    const many = await Promise.all(Array.from({ length: 50 }, (_, i) => nc.request('svc.upper', `m${i}`, { timeout: 2000 })));
    expect(many.map((m) => m.string())).toEqual(Array.from({ length: 50 }, (_, i) => `M${i}`));
  });

  it('headers round-trip', async () => {
    const nc = await client(target);
    const sub = nc.subscribe('hdrs');
    await nc.flush();
    const h = headers();
    h.set('X-Single', 'one');
    h.append('X-Multi', 'a');
    h.append('X-Multi', 'b');
    h.set('X-Spaces', 'v with spaces');
    nc.publish('hdrs', 'body', { headers: h });
    nc.publish('hdrs', Empty, { headers: h });
    const [m1, m2] = await take(sub, 2);
    expect(m1!.string()).toBe('body');
    expect(m1!.headers?.get('X-Single')).toBe('one');
    expect(m1!.headers?.values('X-Multi')).toEqual(['a', 'b']);
    expect(m1!.headers?.get('X-Spaces')).toBe('v with spaces');
    expect(m2!.data.length).toBe(0);
    expect(m2!.headers?.get('X-Single')).toBe('one');

    // and a request/reply with headers both ways
    const svc = await client(target);
    svc.subscribe('hdr.svc', {
      callback: (_e, m) => {
        const rh = headers();
        rh.set('X-Echo', m.headers?.get('X-Req') ?? 'missing');
        m.respond(Empty, { headers: rh });
      },
    });
    await svc.flush();
    const rq = headers();
    rq.set('X-Req', 'ping');
    const r = await nc.request('hdr.svc', Empty, { headers: rq, timeout: 2000 });
    expect(r.headers?.get('X-Echo')).toBe('ping');
  });

  it('header message to a subscriber without header support arrives as body only', async () => {
    const plain = await client(target, { ignoreClusterUpdates: true });
    // a raw-protocol view is in the differential test; here: the official client with headers off is not
    // possible (it always negotiates headers), so check the body survives the trip to a normal subscriber
    const sub = plain.subscribe('hb');
    await plain.flush();
    const pubc = await client(target);
    const h = headers();
    h.set('K', 'V');
    pubc.publish('hb', 'payload', { headers: h });
    const [m] = await take(sub, 1);
    expect(m!.string()).toBe('payload');
    expect(m!.headers?.get('K')).toBe('V');
  });

  it('request with no subscribers fails fast with no responders', async () => {
    const nc = await client(target);
    const t0 = performance.now();
    const err = await nc.request('nobody.home', Empty, { timeout: 3000 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RequestError);
    expect((err as RequestError).isNoResponders()).toBe(true);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('auto-unsubscribe after max messages (server stops delivering)', async () => {
    const nc = await client(target);
    const sub = nc.subscribe('auto', { max: 3 });
    await nc.flush();
    const other = await client(target);
    for (let i = 0; i < 6; i++) other.publish('auto', String(i));
    await other.flush();
    const got: string[] = [];
    for await (const m of sub) got.push(m.string()); // ends after max
    expect(got).toEqual(['0', '1', '2']);
    expect(sub.isClosed()).toBe(true);
    await nc.flush();
    // the client sent UNSUB <sid> 3 first: the server delivered exactly 3
    expect(nc.stats().inMsgs).toBe(3);
    // the server forgot the subscription: a new one on the same subject gets new messages only
    const again = nc.subscribe('auto');
    await nc.flush();
    other.publish('auto', 'later');
    expect((await take(again, 1))[0]!.string()).toBe('later');
  });

  it('unsubscribe stops delivery', async () => {
    const nc = await client(target);
    const sub = nc.subscribe('unsub.me');
    const keep = nc.subscribe('unsub.me');
    await nc.flush();
    nc.publish('unsub.me', '1');
    await nc.flush();
    sub.unsubscribe();
    nc.publish('unsub.me', '2');
    await nc.flush();
    expect((await take(keep, 2)).map((m) => m.string())).toEqual(['1', '2']);
    expect(sub.getReceived()).toBe(1);
  });

  it('echo: false suppresses own messages', async () => {
    const nc = await client(target, { noEcho: true });
    const sub = nc.subscribe('echo');
    await nc.flush();
    nc.publish('echo', 'self');
    const other = await client(target);
    other.publish('echo', 'other');
    await other.flush();
    const [m] = await take(sub, 1);
    expect(m!.string()).toBe('other');
    await nc.flush();
    expect(sub.getReceived()).toBe(1);
  });

  it('flush and rtt', async () => {
    const nc = await client(target);
    await nc.flush();
    const rtt = await nc.rtt();
    expect(rtt).toBeGreaterThanOrEqual(0);
    expect(rtt).toBeLessThan(1000);
  });

  it('drain: pending messages are processed, then the connection closes', async () => {
    const nc = await client(target);
    const got: string[] = [];
    nc.subscribe('drain.me', {
      callback: (_e, m) => {
        got.push(m.string());
      },
    });
    await nc.flush();
    const pubc = await client(target);
    for (let i = 0; i < 200; i++) pubc.publish('drain.me', String(i));
    await pubc.flush();
    await nc.drain();
    expect(nc.isClosed()).toBe(true);
    expect(got.length).toBe(200);
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => String(i)));
  });

  it('subscription drain', async () => {
    const nc = await client(target);
    const sub = nc.subscribe('sdrain');
    await nc.flush();
    for (let i = 0; i < 10; i++) nc.publish('sdrain', String(i));
    await nc.flush();
    const drained = sub.drain();
    const got: string[] = [];
    for await (const m of sub) got.push(m.string()); // ends when the drain completes
    await drained;
    expect(got).toEqual(Array.from({ length: 10 }, (_, i) => String(i)));
    expect(sub.isClosed()).toBe(true);
  });

  it('20k messages arrive complete and in order', async () => {
    const N = 20_000;
    const sc = await client(target);
    const sub = sc.subscribe('bulk');
    await sc.flush();
    const pc = await client(target);
    const done = (async () => {
      let next = 0;
      for await (const m of sub) {
        const v = Number(dec.decode(m.data));
        if (v !== next) throw new Error(`out of order: got ${v}, expected ${next}`);
        next++;
        if (next === N) break;
      }
      return next;
    })();
    for (let i = 0; i < N; i++) pc.publish('bulk', String(i));
    await pc.flush();
    let timer: NodeJS.Timeout | undefined;
    const n = await Promise.race([
      done,
      new Promise<never>((_, rej) => {
        timer = setTimeout(() => rej(new Error('timeout waiting for 20k messages')), 15000);
      }),
    ]);
    clearTimeout(timer);
    expect(n).toBe(N);
  }, 30000);

  it('many subscriptions each receive', async () => {
    const nc = await client(target);
    const subs = Array.from({ length: 500 }, (_, i) => nc.subscribe(`many.${i}`));
    await nc.flush();
    const pc = await client(target);
    for (let i = 0; i < 500; i++) pc.publish(`many.${i}`, String(i));
    await pc.flush();
    const got = await Promise.all(subs.map((s) => take(s, 1)));
    expect(got.map((m) => m[0]!.string())).toEqual(Array.from({ length: 500 }, (_, i) => String(i)));
  });

  it('payload of exactly max_payload (1 MiB) round-trips', async () => {
    const nc = await client(target);
    const max = nc.info!.max_payload;
    const sub = nc.subscribe('big');
    await nc.flush();
    const payload = new Uint8Array(max);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + 3) & 0xff;
    nc.publish('big', payload);
    const [m] = await take(sub, 1, 10000);
    expect(m!.data.length).toBe(max);
    expect(Buffer.compare(Buffer.from(m!.data), Buffer.from(payload))).toBe(0);
  });
});

describe(`interop: max_payload limits against ${KIND}`, () => {
  const MAX = 64 * 1024;
  let target: Target;
  beforeAll(async () => {
    target = await startTarget({ maxPayload: MAX });
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('INFO advertises the configured max_payload', async () => {
    const nc = await client(target);
    expect(nc.info!.max_payload).toBe(MAX);
  });

  it('payload and headers summing to max_payload are accepted', async () => {
    const nc = await client(target);
    const sub = nc.subscribe('near');
    await nc.flush();
    nc.publish('near', new Uint8Array(MAX - 1).fill(1));
    const h = headers();
    h.set('X', 'y');
    // header block "NATS/1.0\r\nX: y\r\n\r\n" is 18 bytes
    nc.publish('near', new Uint8Array(MAX - 18).fill(2), { headers: h });
    const [a, b] = await take(sub, 2);
    expect(a!.data.length).toBe(MAX - 1);
    expect(b!.data.length).toBe(MAX - 18);
    expect(b!.headers?.get('X')).toBe('y');
  });

  it('client refuses a payload over max_payload before sending', async () => {
    const nc = await client(target);
    expect(() => nc.publish('over', new Uint8Array(MAX + 1))).toThrow(/max_payload/i);
    // the connection is still fine
    await nc.flush();
    expect(nc.isClosed()).toBe(false);
  });

});

describe(`interop: server-side max_payload violation against ${KIND}`, () => {
  // small enough that the whole oversized PUB arrives in one read: the server then closes with
  // FIN (not RST, as it would with unread bytes) and the client reliably reads the -ERR
  const MAX = 100;
  let target: Target;
  beforeAll(async () => {
    target = await startTarget({ maxPayload: MAX });
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('-ERR Maximum Payload Violation reaches the client and closes it; nothing is delivered', async () => {
    const nc = await client(target);
    const watcher = await client(target);
    const wsub = watcher.subscribe('over');
    await watcher.flush();
    const errors: string[] = [];
    void (async () => {
      for await (const s of nc.status()) if (s.type === 'error') errors.push(String(s.error.message));
    })();
    // bypass the client-side check so the server's limit is what trips
    (nc.info as { max_payload: number }).max_payload = MAX * 4;
    nc.publish('over', new Uint8Array(MAX + 1));
    const err = await nc.closed();
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toMatch(/maximum payload violation/i);
    expect(errors.join('|')).toMatch(/maximum payload violation/i);
    // nothing was delivered, the watcher is unaffected
    await watcher.flush();
    expect(wsub.getReceived()).toBe(0);
  });
});
