// Floods and oversized input against a spawned tsnats (dist/cli.cjs, scanner per TSNATS_NATIVE),
// with the server's memory read from /proc/<pid>/status (VmRSS, sampled; VmHWM at the end):
//  (a) a subscriber that stops reading under a fast publisher costs about max_pending and is
//      cut as a slow consumer while the publisher goes on; so is a connection that publishes to
//      its own subscription and reads nothing (it is not read either while its outbound is full);
//  (b) hundreds of connections sending garbage or nothing neither take the server down nor grow
//      its memory past a stated bound;
//  (c) oversized control lines and huge declared payload sizes are refused before they are
//      buffered.
// Numbers measured on the reference machine: docs/hostile-input.md.
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RawClient } from './helpers/raw-client.js';
import { spawnServer, type SpawnedServer } from './helpers/spawn-server.js';

const MiB = 1024 * 1024;
const LINUX = process.platform === 'linux';

const servers: SpawnedServer[] = [];
const clients: RawClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function server(config?: string, args: string[] = []): Promise<SpawnedServer> {
  const s = await spawnServer('tsnats', { config, args });
  servers.push(s);
  return s;
}

/** VmRSS (or another /proc/PID/status field) in bytes. */
function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/** Samples the server's RSS every 10 ms until stopped; `peak` is the highest sample. */
function sampler(pid: number): { stop(): number; readonly peak: number } {
  let peak = procStatus(pid, 'VmRSS');
  const t = setInterval(() => {
    try {
      peak = Math.max(peak, procStatus(pid, 'VmRSS'));
    } catch {
      /* process gone: the test's own checks report it */
    }
  }, 10);
  return {
    stop() {
      clearInterval(t);
      return peak;
    },
    get peak() {
      return peak;
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function client(port: number, connect: string | null = 'CONNECT {"verbose":false}\r\n'): Promise<RawClient> {
  const c = await RawClient.connect(port);
  clients.push(c);
  await c.expect(/^INFO \{.*\} \r\n/);
  if (connect !== null) c.send(connect);
  return c;
}

/** A fresh client can still ping and deliver a message to itself. */
async function healthy(port: number, tag: string): Promise<void> {
  const c = await client(port);
  c.send(`SUB health.${tag} 1\r\nPUB health.${tag} 2\r\nok\r\nPING\r\n`);
  await c.expect(`MSG health.${tag} 1 2\r\nok\r\nPONG\r\n`, 5000);
  await c.close();
}

/** Writes respecting the socket's backpressure (the test process must not buffer the flood). */
async function write(c: RawClient, b: Buffer): Promise<boolean> {
  if (c.isClosed || c.socket.destroyed) return false;
  if (!c.socket.write(b)) await Promise.race([once(c.socket, 'drain'), c.closed()]);
  return !c.isClosed;
}

const log = (s: string): void => {
  if (process.env.TSNATS_FLOOD_VERBOSE) console.log(s);
};

describe.runIf(LINUX)('flood (spawned tsnats, memory from /proc)', () => {
  // (a) ----------------------------------------------------------------------------------------
  const MAX_PENDING = 16 * MiB;
  const FLOOD = 256 * MiB; // 16x max_pending
  /**
   * Allowed RSS growth while a non-reading subscriber is flooded: max_pending plus runtime slack
   * (the socket reads' buffers not yet collected: 46-58 MiB of growth in quiet runs on both
   * paths, 64.8 MiB once under CI's parallel files). Without the cut it would be the flood's.
   */
  const SLOW_BOUND = MAX_PENDING + 64 * MiB;

  it(`a non-reading subscriber under a ${FLOOD / MiB} MiB flood costs about max_pending (${MAX_PENDING / MiB} MiB) and is cut; the publisher goes on`, async () => {
    const s = await server(`max_pending: ${MAX_PENDING}\nwrite_deadline: "1s"\n`, ['-D']);
    const pid = s.proc.pid!;
    const sub = await client(s.port);
    sub.send('SUB flood 1\r\n');
    await sub.ping();
    const pub = await client(s.port);
    await pub.ping();
    sub.socket.pause(); // stops reading: the kernel buffers fill, then the server's queue
    await sleep(50);
    const base = procStatus(pid, 'VmRSS');
    const mem = sampler(pid);
    const frame = Buffer.from(`PUB flood 65536\r\n${'f'.repeat(65536)}\r\n`);
    const t0 = performance.now();
    let sent = 0;
    let cutAfter = -1;
    while (sent < FLOOD && performance.now() - t0 < 15000) {
      expect(await write(pub, frame), 'publisher connection closed').toBe(true);
      sent += 65536;
      if (cutAfter < 0 && /Slow Consumer/.test(s.output())) cutAfter = sent;
    }
    expect(await pub.ping(10000)).toMatch(/PONG\r\n$/); // the publisher is still served (a keep-alive PING may come first)
    const peak = mem.stop();
    const hwm = procStatus(pid, 'VmHWM');
    sub.socket.resume();
    await sub.closed();
    const ms = Math.round(performance.now() - t0);
    const reason = /Slow Consumer \([^)]*\)/.exec(s.output())?.[0];
    log(`(a) base ${(base / MiB).toFixed(1)} MiB, peak ${(peak / MiB).toFixed(1)} MiB (+${((peak - base) / MiB).toFixed(1)}), HWM ${(hwm / MiB).toFixed(1)} MiB, sent ${sent / MiB} MiB in ${ms} ms, ${reason} after ${(cutAfter / MiB).toFixed(1)} MiB`);
    expect(sent).toBe(FLOOD);
    expect(s.output()).toMatch(/Slow Consumer \((Write Deadline|Pending Bytes)\)/);
    expect(s.output()).toMatch(/\[INF\] 127\.0\.0\.1:\d+ - cid:\d+ - (?:"[^"]*" - )?Slow Consumer Detected: (WriteDeadline of 1s exceeded|MaxPending of 16777216 Exceeded)/);
    expect(cutAfter, 'the subscriber was cut while the flood went on').toBeGreaterThan(0);
    expect(cutAfter).toBeLessThan(FLOOD);
    expect(peak - base, `RSS growth ${((peak - base) / MiB).toFixed(1)} MiB`).toBeLessThan(SLOW_BOUND);
    // the subscriber got no more than what was flushed before it stopped reading plus max_pending
    expect(sub.received().length).toBeLessThan(FLOOD / 2);
    await healthy(s.port, 'a');
    expect(s.proc.exitCode).toBe(null);
  });

  it(`a connection that publishes to its own subscription and reads nothing is stalled, then cut with nats-server's log line`, async () => {
    const s = await server(`max_pending: ${MAX_PENDING}\nwrite_deadline: "1s"\n`, ['-D']);
    const pid = s.proc.pid!;
    const c = await client(s.port);
    c.send('SUB self 1\r\n');
    await c.ping();
    c.socket.pause(); // never reads again
    await sleep(50);
    const base = procStatus(pid, 'VmRSS');
    const mem = sampler(pid);
    const frame = Buffer.from(`PUB self 65536\r\n${'s'.repeat(65536)}\r\n`);
    const t0 = performance.now();
    let sent = 0;
    // the server stops reading this client, so our writes block too: time-bounded, not flood-bounded
    while (!c.isClosed && !c.socket.destroyed && sent < FLOOD && performance.now() - t0 < 15000) {
      c.socket.write(frame);
      sent += 65536;
      // once() rejects on the reset the cut brings: that ends the loop like a close
      if (c.socket.writableLength > 4 * MiB) await Promise.race([once(c.socket, 'drain').catch(() => undefined), c.closed(), sleep(200)]);
    }
    await c.closedWithin(10000);
    const peak = mem.stop();
    log(`(a2) base ${(base / MiB).toFixed(1)} MiB, peak +${((peak - base) / MiB).toFixed(1)} MiB, wrote ${(sent / MiB).toFixed(1)} MiB in ${Math.round(performance.now() - t0)} ms`);
    expect(c.isClosed, 'the client that reads nothing is cut').toBe(true);
    // the server's log reaches us through a pipe, after the socket's reset
    for (let i = 0; i < 100 && !/Client connection closed: Slow/.test(s.output()); i++) await sleep(20);
    expect(s.output()).toMatch(/\[INF\] 127\.0\.0\.1:\d+ - cid:\d+ - (?:"[^"]*" - )?Slow Consumer Detected: WriteDeadline of 1s exceeded with \d+ chunks of \d+ total bytes\./);
    expect(s.output()).toMatch(/Client connection closed: Slow Consumer \(Write Deadline\)/);
    expect(peak - base, `RSS growth ${((peak - base) / MiB).toFixed(1)} MiB`).toBeLessThan(SLOW_BOUND);
    await healthy(s.port, 'self');
  });

  it('a subscriber that reads steadily but slower than its publisher is slowed down, not cut: each write drains within write_deadline', async () => {
    // nats-server's write deadline bounds one write of what is pending when it starts; here the
    // socket never drains (the publisher is only stalled, 100 ms to 1 s at a time) but every
    // write completes in about half the deadline, so nothing is cut and nothing is lost.
    const PENDING = 8 * MiB;
    const s = await server(`max_pending: ${PENDING}\nwrite_deadline: "3s"\n`);
    const size = 65536;
    const count = 768; // 48 MiB
    const frameOut = `MSG slow 1 ${size}\r\n`.length + size + 2;
    const sock = net.connect(s.port, '127.0.0.1');
    let got = 0;
    let head = '';
    let windowBytes = 0;
    const budget = (8 * MiB) / 10; // per 100 ms: 8 MiB/s, so a max_pending/2 backlog drains in 0.5 s
    sock.on('data', (b: Buffer) => {
      if (head.length < 4096 && !head.includes('PONG\r\n')) head += b.toString('latin1');
      else got += b.length;
      windowBytes += b.length;
      if (windowBytes >= budget) sock.pause();
    });
    const pacer = setInterval(() => {
      windowBytes = 0;
      sock.resume();
    }, 100);
    try {
      sock.write('CONNECT {"verbose":false}\r\nSUB slow 1\r\nPING\r\n');
      for (let i = 0; i < 200 && !head.includes('PONG\r\n'); i++) await sleep(10);
      expect(head).toContain('PONG\r\n');
      const pub = await client(s.port);
      const frame = Buffer.from(`PUB slow ${size}\r\n${'w'.repeat(size)}\r\n`);
      for (let i = 0; i < count; i++) expect(await write(pub, frame), 'publisher connection closed').toBe(true);
      const t0 = performance.now();
      while (got < count * frameOut && !sock.destroyed && performance.now() - t0 < 60000) await sleep(50);
      expect(/Slow Consumer/.test(s.output()), s.output().slice(-600)).toBe(false);
      expect(sock.destroyed, 'the subscriber was cut').toBe(false);
      // everything arrived; the rest is the server's keep-alive PINGs (6 bytes each)
      expect(got).toBeGreaterThanOrEqual(count * frameOut);
      expect((got - count * frameOut) % 6).toBe(0);
    } finally {
      clearInterval(pacer);
      sock.destroy();
    }
  }, 90_000);

  // (b) ----------------------------------------------------------------------------------------
  const CONNS = 300;
  /** Allowed RSS growth for CONNS hostile connections (about 200 KiB each). */
  const MANY_BOUND = 64 * MiB;

  it(`${CONNS} connections sending garbage or nothing: server up, RSS growth < ${MANY_BOUND / MiB} MiB`, async () => {
    const s = await server();
    const pid = s.proc.pid!;
    await healthy(s.port, 'warm');
    await sleep(100);
    const base = procStatus(pid, 'VmRSS');
    const mem = sampler(pid);
    let seed = 7;
    const rnd = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 4294967296;
    };
    const junk = (n: number): Buffer => {
      const b = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * 256);
      return b;
    };
    // what each connection does, round robin; all of them stay open unless noted
    const kinds = [
      'silent', // INFO received, nothing sent
      'slowloris', // a SUB control line just under the limit, never finished
      'ping-junk', // PING followed by 64 KiB of junk without LF (no limit for PING)
      'blanks', // a verb, 60000 blanks, one argument byte (the widest held tail)
      'partial-pub', // a PUB line with a 64 KiB payload, 1 KiB of it sent
      'garbage', // random bytes: closed with -ERR, reconnects and sends more (3 rounds)
    ] as const;
    const counts: Record<string, number> = {};
    const t0 = performance.now();
    const conns = await Promise.all(
      Array.from({ length: CONNS }, async (_, i) => {
        const kind = kinds[i % kinds.length]!;
        const c = await client(s.port, null);
        switch (kind) {
          case 'silent':
            break;
          case 'slowloris':
            c.send(`SUB ${'s'.repeat(4090)}`);
            break;
          case 'ping-junk':
            c.send(Buffer.concat([Buffer.from('PING '), Buffer.alloc(65536, 0x6a)]));
            break;
          case 'blanks':
            c.send(Buffer.concat([Buffer.from('SUB'), Buffer.alloc(60000, 0x09), Buffer.from('x')]));
            break;
          case 'partial-pub':
            c.send(Buffer.concat([Buffer.from('PUB p 65536\r\n'), Buffer.alloc(1024, 0x70)]));
            break;
          case 'garbage': {
            let g = c;
            for (let round = 0; round < 3; round++) {
              g.send(junk(Math.floor(rnd() * 8192)));
              await g.closedWithin(2000);
              counts.garbageClosed = (counts.garbageClosed ?? 0) + (g.isClosed ? 1 : 0);
              if (round < 2) g = await client(s.port, null);
            }
            return g;
          }
        }
        return c;
      }),
    );
    await sleep(300);
    const during = procStatus(pid, 'VmRSS');
    const open = conns.filter((c) => !c.isClosed).length;
    await healthy(s.port, 'b'); // served while the hostile connections are open
    const peak = mem.stop();
    log(`(b) base ${(base / MiB).toFixed(1)} MiB, with ${open} open hostile connections ${(during / MiB).toFixed(1)} MiB, peak +${((peak - base) / MiB).toFixed(1)} MiB, ${Math.round(performance.now() - t0)} ms, garbage closed ${counts.garbageClosed}`);
    expect(open).toBeGreaterThanOrEqual((CONNS * 5) / 6 - 5); // all but the garbage senders stay open
    expect(counts.garbageClosed).toBeGreaterThan(CONNS / 6); // garbage gets connections closed
    expect(peak - base, `RSS growth ${((peak - base) / MiB).toFixed(1)} MiB`).toBeLessThan(MANY_BOUND);
    await Promise.all(conns.map((c) => c.close()));
    await healthy(s.port, 'b2');
    expect(s.proc.exitCode).toBe(null);
  });

  // (c) ----------------------------------------------------------------------------------------
  it('a huge declared payload size is refused at its control line, before any payload is buffered', async () => {
    const s = await server();
    const pid = s.proc.pid!;
    await healthy(s.port, 'warm');
    const base = procStatus(pid, 'VmRSS');
    const mem = sampler(pid);
    for (const line of ['PUB foo 999999999\r\n', 'HPUB foo 10 999999999\r\n', 'PUB foo 1048577\r\n']) {
      const c = await client(s.port, line.startsWith('H') ? 'CONNECT {"verbose":false,"headers":true}\r\n' : undefined);
      c.send(line);
      // then keep streaming payload bytes as fast as the connection takes them
      const chunk = Buffer.alloc(65536, 0x78);
      let streamed = 0;
      while (streamed < 32 * MiB && !c.isClosed && !c.ended) {
        if (!c.socket.write(chunk)) await Promise.race([once(c.socket, 'drain'), c.closed(), sleep(200)]);
        streamed += chunk.length;
      }
      await c.closed();
      // The server closes with our streamed bytes unread, so its kernel may answer with a
      // reset that discards the -ERR before we read it (nats-server alike): either is a refusal.
      const got = c.received().toString('latin1');
      if (c.errorCode !== 'ECONNRESET') expect(got).toMatch(/\r\n-ERR 'Maximum Payload Violation'\r\n$/);
      else expect(got).toMatch(/^INFO .*\r\n(-ERR 'Maximum Payload Violation'\r\n)?$/s);
      log(`(c) ${JSON.stringify(line)}: closed after ${streamed / 1024} KiB written by the client`);
    }
    const peak = mem.stop();
    log(`(c) RSS base ${(base / MiB).toFixed(1)} MiB, peak +${((peak - base) / MiB).toFixed(1)} MiB`);
    expect(peak - base).toBeLessThan(32 * MiB); // nothing near the declared sizes (1 GB) was allocated
    await healthy(s.port, 'c');
  });

  it.each([
    ['PUB ', true],
    ['SUB ', true],
    ['CONNECT ', true],
    ['PING ', false],
  ] as const)('a 1 MiB line without LF after %j: %s', async (verb, limited) => {
    const s = await server();
    const pid = s.proc.pid!;
    await healthy(s.port, 'warm');
    const base = procStatus(pid, 'VmRSS');
    const c = await client(s.port);
    await c.ping();
    c.send(verb);
    const PIECE = 512;
    const piece = Buffer.alloc(PIECE, 0x61);
    let sent = 0;
    let errAt = -1;
    while (sent < MiB && !c.isClosed) {
      c.send(piece);
      sent += PIECE;
      const before = c.received().length;
      // limited lines: wait for a reply to each piece so we know when the server gave up
      if (limited && sent >= 3584) await Promise.race([c.closed(), sleep(25)]);
      else if (sent % (64 * 1024) === 0) await sleep(1);
      if (errAt < 0 && c.received().length > before && c.received().includes("-ERR 'maximum control line exceeded'")) errAt = sent;
      if (errAt >= 0) break;
    }
    if (limited) {
      await c.closed();
      // A reset (our unread bytes at the server's close) may discard the -ERR: see above.
      if (c.errorCode !== 'ECONNRESET') expect(c.received().toString('latin1')).toMatch(/-ERR 'maximum control line exceeded'\r\n$/);
      // closed once the argument passed 4096 bytes: within one piece (+1 for a reply in flight)
      expect(errAt).toBeGreaterThan(4096);
      expect(errAt).toBeLessThanOrEqual(4096 + 2 * PIECE);
    } else {
      // PING ignores everything up to LF (nats-server too): the line is skipped, not buffered
      c.send('\r\n');
      await c.expect('PONG\r\n', 5000);
      expect(procStatus(pid, 'VmRSS') - base).toBeLessThan(32 * MiB);
    }
    log(`(c) ${JSON.stringify(verb)} line: ${limited ? `-ERR after ${errAt} bytes` : `${sent} bytes skipped`}`);
    await healthy(s.port, 'c');
  });
});
