// A route (or leaf connection) that does not keep up, as nats-server 2.9.10 treats it (client.go
// queueOutbound, flushOutbound, handleWriteTimeout): a route is never closed for its pending
// bytes (only clients are); its publishers stall, which keeps the server's memory bounded. On
// write_deadline a slow consumer is counted and logged, and the route or leaf connection is
// closed only when the kernel took nothing in that time; a peer that reads, however slowly, keeps
// its connection. The peer is a raw socket that completes the handshake and then reads little or
// nothing.

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

/** The peer got `n` frames of `size` bytes with `head` (counted once their bytes are all in). */
async function allArrived(peer: RawRoute, head: string, n: number, size: number, ms: number): Promise<void> {
  await eventually(() => peer.data.length >= n * (head.length + size + 2), `${n} frames`, ms);
  expect(peer.data.split(head).length - 1).toBe(n);
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
    await allArrived(route, `RMSG $G flood ${size}\r\n`, n, size, 60000);
    expect(cluster.numRoutes).toBe(1);
    await pub.ping(5000);
  });
});

/** The raw peer of a link kind: its handshake, its message head, its listener and counts. */
interface LinkKind {
  name: 'route' | 'leaf';
  /** The raw peer connected, its interest in `flood` given, and a PING answered. */
  connect(port: number): Promise<RawRoute>;
  head(size: number): string;
  config(port: number): string;
  listening: RegExp;
  /** Links of this kind in /varz. */
  count(v: Varz): number;
  closed: RegExp;
}

/** A raw accepted leaf into `port`: the handshake, interest in `flood`, then a PING answered. */
async function slowLeaf(port: number): Promise<RawRoute> {
  const leaf = await RawRoute.connect(port);
  cleanups.push(() => leaf.close());
  await leaf.waitFor(/^INFO .* \r\n/);
  leaf.send('CONNECT {"version":"2.9.10","tls_required":false,"server_id":"NSLOWLEAF","name":"slowleaf","headers":true}\r\n');
  await leaf.waitFor(/INFO \{[^\r]*"connect_info":true[^\r]*\} \r\n/);
  leaf.send('LS+ flood\r\nPING\r\n');
  await leaf.waitFor(/PONG\r\n/);
  return leaf;
}

const LINKS: LinkKind[] = [
  {
    name: 'route',
    connect: slowPeer,
    head: (size) => `RMSG $G flood ${size}\r\n`,
    config: (port) => `cluster {\n  listen: "127.0.0.1:${port}"\n  name: C1\n}`,
    listening: /Listening for route connections/,
    count: (v) => v.routes,
    closed: /rid:\d+ - Router connection closed: Slow Consumer \(Write Deadline\)/,
  },
  {
    name: 'leaf',
    connect: slowLeaf,
    head: (size) => `LMSG flood ${size}\r\n`,
    config: (port) => `leafnodes { listen: "127.0.0.1:${port}" }`,
    listening: /Listening for leafnode connections/,
    count: (v) => v.leafnodes,
    closed: /lid:\d+ - Leafnode connection closed: Slow Consumer \(Write Deadline\)/,
  },
];

/**
 * A server of `kind` with the listener of `link`; write_deadline 2s (a loaded test machine may
 * hold the slow reader's timer back for a second), max_payload 8 MiB.
 */
async function node(kind: ServerKind, link: LinkKind): Promise<{ srv: SpawnedServer; linkPort: number; httpPort: number }> {
  const linkPort = await freePort();
  const httpPort = await freePort();
  const config = ['write_deadline: "2s"', 'max_payload: 8388608', 'max_pending: 67108864', link.config(linkPort)].join('\n');
  const srv = await spawnServer(kind, { args: ['-m', String(httpPort)], config });
  cleanups.push(() => srv.stop());
  await eventually(() => link.listening.test(srv.output()), `${link.name} listener`);
  return { srv, linkPort, httpPort };
}

type Varz = { slow_consumers: number; routes: number; leafnodes: number };

// nats-server's handleWriteTimeout is the same for every connection that is not a client: a
// leaf connection is kept while it reads, as a route is.
describe.each(LINKS.flatMap((link) => (['tsnats', 'nats-server'] as ServerKind[]).map((kind) => [kind, link.name, link] as const)))(
  '%s: a %s connection past write_deadline',
  (kind, _name, link) => {
    it('is closed when its peer took nothing in that time, kept (and counted) while it reads slowly', { timeout: 90_000 }, async () => {
      const { srv, linkPort, httpPort } = await node(kind, link);
      const varz = (): Promise<Varz> => monitor<Varz>(httpPort, '/varz');
      // 1 MiB messages: each time the stalled publisher is read again, a whole message goes
      // out, faster than the slow peer reads (what it has, every 20 ms: about 2 MB/s, so that
      // each 2 s window sees the kernel's send buffer drain far enough for the writer to move on)
      const size = 1024 * 1024;
      const n = 40;

      const slow = await link.connect(linkPort);
      slow.socket.pause();
      const reader = setInterval(() => slow.socket.read(), 20);
      cleanups.push(() => clearInterval(reader));
      const pub = await publisher(srv.port);
      pub.send(frames(n, size));
      await eventually(async () => (await varz()).slow_consumers >= 2, 'two write deadlines with progress', 20000);
      expect(slow.closed).toBe(false);
      expect(link.count(await varz())).toBe(1);
      expect(srv.output()).toMatch(/Slow Consumer Detected: WriteDeadline of 2s exceeded with \d+ chunks of \d+ total bytes\./);
      clearInterval(reader);
      slow.socket.resume();
      await allArrived(slow, link.head(size), n, size, 30000);
      expect(slow.closed).toBe(false);
      await pub.close();
      slow.close();
      await eventually(async () => link.count(await varz()) === 0, `the slow ${link.name} gone`);

      // a peer that reads nothing: the kernel's buffers fill, then no byte moves for 2s
      const dead = await link.connect(linkPort);
      dead.socket.pause();
      const pub2 = await publisher(srv.port);
      pub2.send(frames(n, size));
      // (the peer, not reading, cannot see the FIN behind the bytes it left: the server tells)
      await eventually(async () => link.count(await varz()) === 0, `the dead ${link.name} closed`, 20000);
      expect(srv.output()).toMatch(link.closed);
      expect(srv.output().match(/connection closed: Slow Consumer/g)).toHaveLength(1);
      expect(srv.output()).not.toMatch(/MaxPending/);
    });
  },
);
