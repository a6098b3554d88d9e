// Black-box server tests over loopback with raw bytes (nats-server test/ style: send, expect).
// Behaviours that need timing or limits; byte-for-byte comparisons with nats-server live in
// diff-nats-server.test.ts. The parser path comes from TSNATS_NATIVE, as for the whole suite.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ServerHandle, startServer, type StartOptions } from '../src/index.js';
import { RawClient } from './helpers/raw-client.js';

const open: RawClient[] = [];
async function client(port: number, connect = 'CONNECT {"verbose":false}\r\n'): Promise<RawClient> {
  const c = await RawClient.connect(port);
  open.push(c);
  await c.expect(/^INFO \{.*\} \r\n/);
  if (connect) c.send(connect);
  return c;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

async function withServer(opts: StartOptions, fn: (s: ServerHandle) => Promise<void>): Promise<void> {
  const s = await startServer({ host: '127.0.0.1', port: -1, ...opts });
  try {
    await fn(s);
  } finally {
    await s.shutdown();
  }
}

describe('default server', () => {
  let s: ServerHandle;
  beforeAll(async () => {
    s = await startServer({ host: '127.0.0.1', port: -1 });
  });
  afterAll(() => s.shutdown());

  it('plays the telnet session of the seed', async () => {
    const c = await client(s.port, '');
    c.send('CONNECT {}\r\n');
    await c.expect('+OK\r\n');
    c.send('PING\r\n');
    await c.expect('PONG\r\n');
    c.send('SUB CC 10\r\n');
    await c.expect('+OK\r\n');
    c.send('PUB CC 4\r\nJOHN\r\n');
    await c.expect('+OK\r\nMSG CC 10 4\r\nJOHN\r\n');
    c.send('UNSUB 10\r\n');
    await c.expect('+OK\r\n');
    c.send('PUB CC 4\r\nJOHN\r\nPING\r\n');
    expect(await c.expect(/PONG\r\n/)).toBe('+OK\r\nPONG\r\n');
  });

  it('sends INFO with the fields nats-server sends, in its order', async () => {
    const c = await RawClient.connect(s.port);
    open.push(c);
    const line = await c.expect(/^INFO \{.*\} \r\n/);
    const info = JSON.parse(line.slice(5, -3)) as Record<string, unknown>;
    expect(Object.keys(info)).toEqual([
      'server_id', 'server_name', 'version', 'proto', 'go', 'host', 'port', 'headers', 'max_payload', 'client_id', 'client_ip',
    ]);
    expect(info.server_id).toMatch(/^N[A-Z2-7]{55}$/);
    expect(info.server_name).toBe(info.server_id);
    expect(info).toMatchObject({ version: '2.9.10', proto: 1, port: s.port, headers: true, max_payload: 1048576, client_ip: '127.0.0.1' });
  });

  it('delivers across connections, with queue groups to one member each', async () => {
    const subs = await Promise.all([client(s.port), client(s.port), client(s.port)]);
    subs[0].send('SUB q.> 1\r\n');
    subs[1].send('SUB q.* grp 2\r\n');
    subs[2].send('SUB q.x grp 3\r\n');
    await Promise.all(subs.map((c) => c.ping()));
    const pub = await client(s.port);
    let script = '';
    for (let i = 0; i < 50; i++) script += 'PUB q.x 2\r\nhi\r\n';
    pub.send(script);
    await pub.ping();
    await Promise.all(subs.map((c) => c.ping()));
    const count = (c: RawClient) => (c.received().toString('latin1').match(/MSG q\.x/g) ?? []).length;
    expect(count(subs[0])).toBe(50);
    expect(count(subs[1]) + count(subs[2])).toBe(50);
  });

  it('delivers runs of publishes on one subject exactly as one by one (order, sids, echo)', async () => {
    const sub = await client(s.port);
    sub.send('SUB run.a 1\r\nSUB run.* 2\r\nSUB > 3\r\n');
    await sub.ping();

    const pub = await client(s.port, 'CONNECT {"verbose":false,"pedantic":false}\r\nSUB run.a 9\r\n');
    await pub.ping();
    let script = '';
    let want = '';
    let echo = '';
    for (let i = 0; i < 300; i++) {
      const subj = i % 50 === 49 ? 'run.b' : 'run.a';
      const body = `m${i}`;
      script += `PUB ${subj} ${body.length}\r\n${body}\r\n`;
      for (const sid of subj === 'run.a' ? [1, 2, 3] : [2, 3]) want += `MSG ${subj} ${sid} ${body.length}\r\n${body}\r\n`;
      if (subj === 'run.a') echo += `MSG run.a 9 ${body.length}\r\n${body}\r\n`;
    }
    pub.send(script);
    expect(await pub.ping()).toBe(`${echo}PONG\r\n`);
    await sub.ping();
    // Per message the three subscriptions of one connection may come in any order.
    const frames = (t: string) =>
      t
        .replaceAll('PONG\r\n', '')
        .split(/(?=MSG )/)
        .filter((f) => f.startsWith('MSG'));
    const got = frames(sub.received().toString('latin1'));
    const exp = frames(want);
    expect(got.length).toBe(exp.length);
    const bodyOf = (f: string) => f.split('\r\n')[1];
    expect(got.map(bodyOf)).toEqual(exp.map(bodyOf));
    expect([...got].sort()).toEqual([...exp].sort());

    // One subscription per connection (the publisher's own included, echo on): these go out
    // as runs, and each connection must still see the exact bytes, in order.
    const other = await client(s.port);
    other.send('SUB solo.x 7\r\n');
    await other.ping();
    pub.send('SUB solo.x 8\r\n');
    let solo = '';
    let soloWant = '';
    for (let i = 0; i < 2000; i++) {
      const body = `s${i}`;
      solo += `PUB solo.x ${body.length}\r\n${body}\r\n`;
      soloWant += `MSG solo.x 7 ${body.length}\r\n${body}\r\n`;
    }
    pub.send(solo);
    expect(await pub.ping()).toBe(`${soloWant.replaceAll(' 7 ', ' 8 ')}PONG\r\n`);
    expect(await other.ping()).toBe(`${soloWant}PONG\r\n`);
  });

  it('keeps a big payload split across many reads intact', async () => {
    const sub = await client(s.port);
    sub.send('SUB big 1\r\n');
    await sub.ping();
    const pub = await client(s.port);
    const body = Buffer.alloc(900_000);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 0xff;
    const frame = Buffer.concat([Buffer.from(`PUB big ${body.length}\r\n`), body, Buffer.from('\r\n')]);
    const pieces: Buffer[] = [];
    for (let off = 0; off < frame.length; off += 7919) pieces.push(frame.subarray(off, off + 7919));
    await pub.sendPieces(pieces, 0);
    await sub.expect(/MSG big 1 900000\r\n/);
    await sub.ping(5000);
    const got = sub.received();
    const start = got.indexOf('MSG big 1 900000\r\n') + 'MSG big 1 900000\r\n'.length;
    expect(Buffer.compare(got.subarray(start, start + body.length), body)).toBe(0);
  });
});

describe('limits', () => {
  it('closes a slow consumer without -ERR and without flushing; the publisher goes on', async () => {
    await withServer({ maxPayload: 1024, maxPending: 1024 }, async (s) => {
      const sub = await client(s.port);
      sub.send('SUB slow 1\r\n');
      await sub.ping();
      const pub = await client(s.port);
      pub.send(`PUB slow 1024\r\n${'x'.repeat(1024)}\r\n`);
      expect(await pub.ping()).toBe('PONG\r\n');
      await sub.closed();
      expect(sub.unread().toString()).toBe('');
      pub.send('PUB slow 2\r\nok\r\n');
      expect(await pub.ping()).toBe('PONG\r\n');
    });
  });

  it('cuts a subscriber that stops reading (write deadline or max_pending), and nothing else', async () => {
    await withServer({ maxPending: 4 * 1024 * 1024, writeDeadlineMs: 300 }, async (s) => {
      const sub = await client(s.port);
      sub.send('SUB flood 1\r\n');
      await sub.ping();
      sub.socket.pause();
      const pub = await client(s.port);
      const frame = Buffer.from(`PUB flood 65536\r\n${'y'.repeat(65536)}\r\n`);
      for (let i = 0; i < 200 && !sub.isClosed; i++) {
        pub.send(frame);
        if (i % 20 === 19) await pub.ping(5000);
      }
      expect(await pub.ping(5000)).toBe('PONG\r\n');
      sub.socket.resume();
      await sub.closed();
      expect(s.server.stats.slowConsumers).toBe(1);
    });
  });

  it('slows a publisher down for a subscriber that reads slowly, instead of cutting it', async () => {
    await withServer({ maxPending: 512 * 1024 }, async (s) => {
      const sub = await client(s.port);
      sub.send('SUB slow 1\r\n');
      await sub.ping();
      // A reader that takes a break every few reads: it falls behind a full-speed publisher.
      let reads = 0;
      sub.socket.on('data', () => {
        if (++reads % 4 === 0) {
          sub.socket.pause();
          setTimeout(() => sub.socket.resume(), 5);
        }
      });
      const pub = await client(s.port);
      const frame = Buffer.from(`PUB slow 1024\r\n${'z'.repeat(1024)}\r\n`);
      const burst = Buffer.concat(Array.from({ length: 256 }, () => frame));
      for (let i = 0; i < 16; i++) pub.send(burst); // 4 MiB, 8x max_pending
      expect(await pub.ping(20000)).toBe('PONG\r\n');
      await sub.ping(20000);
      expect(sub.isClosed).toBe(false);
      expect((sub.received().toString('latin1').match(/MSG slow 1 1024\r\n/g) ?? []).length).toBe(16 * 256);
      expect(s.server.stats.slowConsumers).toBe(0);
    });
  });

  it('refuses connections past max_connections after sending INFO', async () => {
    await withServer({ maxConnections: 1 }, async (s) => {
      await client(s.port);
      const c = await RawClient.connect(s.port);
      open.push(c);
      await c.expect(/^INFO .*\r\n-ERR 'maximum connections exceeded'\r\n$/s);
      await c.closed();
    });
  });

  it('sends two PINGs to a silent client, then Stale Connection', async () => {
    await withServer({ pingIntervalMs: 150, pingMax: 2 }, async (s) => {
      const c = await client(s.port);
      await c.closed();
      expect(c.received().toString()).toMatch(/^INFO .*\r\nPING\r\nPING\r\n-ERR 'Stale Connection'\r\n$/s);
    });
  });

  it('keeps a client that answers PINGs', async () => {
    await withServer({ pingIntervalMs: 100, pingMax: 1 }, async (s) => {
      const c = await client(s.port);
      c.socket.on('data', (d) => {
        if (d.includes('PING\r\n')) c.send('PONG\r\n');
      });
      await new Promise((r) => setTimeout(r, 700));
      expect(c.isClosed).toBe(false);
      const seen = await c.ping();
      expect(seen).toMatch(/^(PING\r\n){3,}PONG\r\n$/);
    });
  });
});
