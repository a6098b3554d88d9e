// A route that does not keep up, as nats-server 2.9.10 treats it (client.go queueOutbound,
// flushOutbound, handleWriteTimeout): a route is never closed for its pending bytes (only
// clients are); its publishers stall, which keeps the server's memory bounded. On write_deadline
// a slow consumer is counted and logged, and the route is closed only when the kernel took
// nothing in that time; a peer that reads, however slowly, keeps its route. The peer is a raw
// socket that completes the route handshake and then reads little or nothing.

import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type ServerHandle } from '../src/index.js';
import { RawClient, spawnServer, type ServerKind, type SpawnedServer, freePort } from './helpers/index.js';
import { clusterOptions, eventually, monitor, RawRoute } from './helpers/cluster.js';

const PEER = 'NSLOWPEER0000000000000000000000000000000000000000000000';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanups.reverse()) await f();
  cleanups = [];
});

/** A raw route into `port`: the handshake, interest in `flood`, then a PING answered. */
async function slowPeer(port: number): Promise<RawRoute> {
  const route = await RawRoute.connect(port);
  cleanups.push(() => route.close());
  await route.waitFor(/^INFO .* \r\n/);
  route.send(
    `CONNECT {"echo":true,"verbose":false,"pedantic":false,"tls_required":false,"headers":true,"name":"${PEER}","cluster":"C1"}\r\n` +
      `INFO {"server_id":"${PEER}","name":"${PEER}","version":"2.9.10","proto":2,"host":"127.0.0.1","port":7001,"headers":true,"max_payload":8388608,"cluster":"C1"} \r\n` +
      'RS+ $G flood\r\nPING\r\n',
  );
  await route.waitFor(/PONG\r\n/);
  return route;
}

async function publisher(port: number): Promise<RawClient> {
  const pub = await RawClient.connect(port);
  cleanups.push(() => pub.close());
  await pub.expect(/^INFO .*\r\n/);
  pub.send('CONNECT {"verbose":false}\r\n');
  await pub.ping();
  return pub;
}

/** The peer got `n` RMSG frames of `size` bytes (counted once their bytes are all in). */
async function allArrived(route: RawRoute, n: number, size: number, ms: number): Promise<void> {
  const head = `RMSG $G flood ${size}\r\n`;
  await eventually(() => route.data.length >= n * (head.length + size + 2), `${n} RMSG`, ms);
  expect(route.data.split(head).length - 1).toBe(n);
}

const frames = (n: number, size: number): Buffer => Buffer.from(`PUB flood ${size}\r\n${'x'.repeat(size)}\r\n`.repeat(n), 'latin1');

describe('a route whose peer stops reading', () => {
  it('is not closed for pending bytes past max_pending: its publisher stalls and the memory stays bounded', { timeout: 90_000 }, async () => {
    const maxPending = 256 * 1024;
    const logs: string[] = [];
    const handle: ServerHandle = await startServer({
      host: '127.0.0.1',
      port: -1,
      maxPending,
      writeDeadlineMs: 60_000,
      cluster: clusterOptions(),
      log: (l) => logs.push(l),
    });
    cleanups.push(() => handle.shutdown());
    const cluster = handle.server.cluster!;
    const route = await slowPeer(cluster.port);
    route.socket.pause();
    const pub = await publisher(handle.port);
    const n = 2048;
    const size = 16384;
    pub.send(frames(n, size));
    const pending = (): number => cluster.routes()[0]?.pendingBytes ?? 0;
    // nats-server's queueOutbound cuts only clients: the route goes past its max_pending and stays
    await eventually(() => pending() > maxPending || cluster.numRoutes === 0, 'the route past max_pending', 20000);
    expect(cluster.numRoutes).toBe(1);
    const stalled = (): boolean => [...handle.server.clients.values()].some((c) => c.stallUntil !== 0);
    await eventually(stalled, 'the publisher stalled', 10000);
    // for two more seconds the publisher is held back: the route's bytes grow by at most a read
    // per stall, far from the 32 MiB sent
    const before = pending();
    await new Promise((r) => setTimeout(r, 2000));
    expect(route.closed).toBe(false);
    expect(cluster.numRoutes).toBe(1);
    expect(pending() - before).toBeLessThan(2 * 1024 * 1024);
    expect(pending()).toBeLessThan(4 * 1024 * 1024);
    expect(handle.server.stats.inMsgs).toBeLessThan(n / 4);
    expect(handle.server.stats.slowConsumers).toBe(0);
    expect(logs.join('\n')).not.toMatch(/Slow Consumer|Router connection closed/);
    // the peer reads again: every message arrives, the route was never cut
    route.socket.resume();
    await allArrived(route, n, size, 60000);
    expect(cluster.numRoutes).toBe(1);
    await pub.ping(5000);
  });
});

/**
 * A server of `kind` with a route listener; write_deadline 2s (a loaded test machine may hold the
 * slow reader's 100 ms timer back for a second), max_payload 8 MiB.
 */
async function node(kind: ServerKind): Promise<{ srv: SpawnedServer; clusterPort: number; httpPort: number }> {
  const clusterPort = await freePort();
  const httpPort = await freePort();
  const config = [
    'write_deadline: "2s"',
    'max_payload: 8388608',
    'max_pending: 67108864',
    'cluster {',
    `  listen: "127.0.0.1:${clusterPort}"`,
    '  name: C1',
    '}',
  ].join('\n');
  const srv = await spawnServer(kind, { args: ['-m', String(httpPort)], config });
  cleanups.push(() => srv.stop());
  await eventually(() => /Listening for route connections/.test(srv.output()), 'route listener');
  return { srv, clusterPort, httpPort };
}

type Varz = { slow_consumers: number; routes: number };

describe.each(['tsnats', 'nats-server'] as ServerKind[])('%s: a route past write_deadline', (kind) => {
  it('is closed when its peer took nothing in that time, kept (and counted) while it reads slowly', { timeout: 90_000 }, async () => {
    const { srv, clusterPort, httpPort } = await node(kind);
    const varz = (): Promise<Varz> => monitor<Varz>(httpPort, '/varz');
    // 1 MiB messages: each time the stalled publisher is read again, a whole message goes out,
    // faster than the slow peer reads (what it has, every 100 ms)
    const size = 1024 * 1024;
    const n = 40;

    const slow = await slowPeer(clusterPort);
    slow.socket.pause();
    const reader = setInterval(() => slow.socket.read(), 100);
    cleanups.push(() => clearInterval(reader));
    const pub = await publisher(srv.port);
    pub.send(frames(n, size));
    await eventually(async () => (await varz()).slow_consumers >= 2, 'two write deadlines with progress', 20000);
    expect(slow.closed).toBe(false);
    expect((await varz()).routes).toBe(1);
    clearInterval(reader);
    slow.socket.resume();
    await allArrived(slow, n, size, 30000);
    expect(slow.closed).toBe(false);
    await pub.close();
    slow.close();
    await eventually(async () => (await varz()).routes === 0, 'the slow route gone');

    // a peer that reads nothing: the kernel's buffers fill, then no byte moves for 2s
    const dead = await slowPeer(clusterPort);
    dead.socket.pause();
    const pub2 = await publisher(srv.port);
    pub2.send(frames(n, size));
    // (the peer, not reading, cannot see the FIN behind the bytes it left: the server tells)
    await eventually(async () => (await varz()).routes === 0, 'the dead route closed', 20000);
    await eventually(() => /Slow Consumer Detected: WriteDeadline of 2s exceeded/.test(srv.output()), 'the slow consumer log');
    expect(srv.output()).toMatch(/rid:\d+ - Router connection closed: Slow Consumer \(Write Deadline\)/);
    expect(srv.output().match(/Router connection closed: Slow Consumer/g)).toHaveLength(1);
    expect(srv.output()).not.toMatch(/MaxPending/);
  });
});
