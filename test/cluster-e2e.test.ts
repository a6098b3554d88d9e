// Clusters on loopback, end to end, with the official client (@nats-io/transport-node):
// three tsnats nodes, and mixed clusters with nats-server 2.9.10 as a member. Every message
// reaches each plain subscriber on every node exactly once, a queue group exactly once
// cluster-wide; request/reply, headers and unsubscribes cross the routes; a killed node comes
// back and the mesh heals by itself; clients learn the other servers (connect_urls) and fail
// over to them. tsnats runs in-process (startServer) or as the CLI (dist/cli.cjs) where a
// process must be killed.

import { afterEach, describe, expect, it } from 'vitest';
import { connect, headers, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { startServer, type ServerHandle } from '../src/index.js';
import type { ClusterOptions } from '../src/config/types.js';
import { freePort, RawClient, TSNATS_CLI } from './helpers/index.js';
import { run, type Child } from './helpers/child-server.js';
import { clusterOptions, eventually, monitor, natsNode, RawRoute } from './helpers/cluster.js';

interface RouteView {
  remote_id: string;
  subscriptions_list?: string[];
}

/** A cluster member as the tests see it, whatever runs it. */
interface Member {
  kind: 'tsnats' | 'nats-server';
  name: string;
  clientPort: number;
  clusterPort: number;
  httpPort: number;
  url: string;
  /** The member's routes, with their interest subjects (its /routez?subs=1). */
  routes(): Promise<RouteView[]>;
  stop(): Promise<void>;
}

let members: Member[] = [];
let conns: NatsConnection[] = [];

afterEach(async () => {
  await Promise.all(conns.map((nc) => (nc.isClosed() ? undefined : nc.close().catch(() => undefined))));
  await Promise.all(members.map((m) => m.stop()));
  conns = [];
  members = [];
});

const routeUrls = (ports: number[]): string[] => ports.map((p) => `nats-route://127.0.0.1:${p}`);

/** A tsnats member in this process. */
async function tsnats(name: string, o: Partial<ClusterOptions> = {}): Promise<Member & { handle: ServerHandle }> {
  const clusterPort = await freePort();
  const handle = await startServer({
    host: '127.0.0.1',
    port: -1,
    httpPort: -1,
    serverName: name,
    cluster: clusterOptions({ ...o, port: clusterPort }),
    log: process.env.CLUSTER_TEST_LOG ? (l) => process.stderr.write(`${name} ${l}\n`) : () => undefined,
  });
  let stopped: Promise<void> | null = null;
  const m = {
    kind: 'tsnats' as const,
    name,
    handle,
    clientPort: handle.port,
    clusterPort,
    httpPort: handle.httpPort,
    url: `nats://127.0.0.1:${handle.port}`,
    routes: async () =>
      (handle.server.cluster?.routes() ?? []).map((r) => ({
        remote_id: r.remoteId,
        subscriptions_list: r.subscriptions.map((x) => x.subject),
      })),
    stop: () => (stopped ??= handle.shutdown()),
  };
  members.push(m);
  return m;
}

/** A nats-server member. */
async function natsMember(name: string, o: { routes?: number[]; clusterPort?: number } = {}): Promise<Member> {
  const n = await natsNode({ routes: o.routes, clusterPort: o.clusterPort, config: `server_name: ${name}\n` });
  const m: Member = {
    kind: 'nats-server',
    name,
    clientPort: n.srv.port,
    clusterPort: n.clusterPort,
    httpPort: n.httpPort,
    url: `nats://127.0.0.1:${n.srv.port}`,
    routes: async () => monitor<{ routes: RouteView[] }>(n.httpPort, '/routez?subs=1').then((r) => r.routes),
    stop: () => n.stop(),
  };
  members.push(m);
  return m;
}

/** A tsnats member as a process (dist/cli.cjs), so that it can be killed. */
async function tsnatsProcess(name: string, clusterPort: number, routes: number[], clientPort?: number): Promise<Member & { child: Child }> {
  const port = clientPort ?? (await freePort());
  const httpPort = await freePort();
  const args = ['-a', '127.0.0.1', '-p', String(port), '-m', String(httpPort), '-n', name];
  args.push('--cluster', `nats://127.0.0.1:${clusterPort}`, '--cluster_name', 'C1');
  if (routes.length) args.push('--routes', routes.map((p) => `nats://127.0.0.1:${p}`).join(','));
  const child = run(process.execPath, [TSNATS_CLI, ...args]);
  await child.waitFor(/Server is ready/, 10000);
  const m = {
    kind: 'tsnats' as const,
    name,
    child,
    clientPort: port,
    clusterPort,
    httpPort,
    url: `nats://127.0.0.1:${port}`,
    routes: async () => monitor<{ routes: RouteView[] }>(httpPort, '/routez?subs=1').then((r) => r.routes),
    stop: async () => {
      child.kill('SIGTERM');
      await child.waitExit(5000).catch(() => child.kill('SIGKILL'));
    },
  };
  members.push(m);
  return m;
}

async function client(m: Member, o: Parameters<typeof connect>[0] = {}): Promise<NatsConnection> {
  const nc = await connect({ servers: m.url, reconnect: false, timeout: 5000, ...o });
  conns.push(nc);
  return nc;
}

/** Every member has `n` routes. */
async function mesh(list: Member[], n = list.length - 1, ms = 10000): Promise<void> {
  const all = async (): Promise<boolean> => (await Promise.all(list.map((m) => m.routes()))).every((r) => r.length === n);
  await eventually(all, `full mesh of ${list.length}`, ms);
}

/** `m` sees interest in `subject` on `n` of its routes. */
async function interest(m: Member, subject: string, n: number): Promise<void> {
  const seen = async (): Promise<boolean> => (await m.routes()).filter((r) => r.subscriptions_list?.includes(subject)).length === n;
  await eventually(seen, `${m.name}: interest in ${subject} on ${n} routes`);
}

/** Collects messages of `sub` until `quietMs` without one. */
async function drain(sub: Subscription, expected: number, ms = 5000, quietMs = 300): Promise<Msg[]> {
  const got: Msg[] = [];
  const deadline = Date.now() + ms;
  const it = sub[Symbol.asyncIterator]();
  for (;;) {
    const wait = got.length >= expected ? quietMs : Math.max(10, deadline - Date.now());
    const r = await Promise.race([it.next(), new Promise<null>((res) => setTimeout(() => res(null), wait))]);
    if (r === null || r.done) break;
    got.push(r.value);
    if (Date.now() > deadline + quietMs) break;
  }
  return got;
}

/** Plain subscribers on every member get every message from every member exactly once. */
async function everyoneGetsEverything(list: Member[], subject: string, perNode = 40): Promise<void> {
  const ncs = await Promise.all(list.map((m) => client(m)));
  const subs = ncs.map((nc) => nc.subscribe(subject));
  await Promise.all(ncs.map((nc) => nc.flush()));
  for (const m of list) await interest(m, subject, list.length - 1);
  ncs.forEach((nc, i) => {
    for (let k = 0; k < perNode; k++) nc.publish(subject, `${list[i].name}-${k}`);
  });
  const total = perNode * list.length;
  const results = await Promise.all(subs.map((s) => drain(s, total)));
  for (const got of results) {
    const payloads = got.map((m) => m.string());
    expect(payloads).toHaveLength(total);
    expect(new Set(payloads).size).toBe(total);
  }
}

/** A queue group with members on every node takes each message exactly once, cluster-wide. */
async function queueExactlyOnce(list: Member[], subject: string, n = 300): Promise<void> {
  const ncs = await Promise.all(list.map((m) => client(m)));
  const subs = ncs.flatMap((nc) => [nc.subscribe(subject, { queue: 'workers' }), nc.subscribe(subject, { queue: 'workers' })]);
  await Promise.all(ncs.map((nc) => nc.flush()));
  for (const m of list) await interest(m, subject, list.length - 1);
  for (let k = 0; k < n; k++) ncs[k % ncs.length].publish(subject, `job-${k}`);
  const results = await Promise.all(subs.map((s) => drain(s, 0, 3000, 600)));
  const all = results.flat().map((m) => m.string());
  expect(all).toHaveLength(n);
  expect(new Set(all).size).toBe(n);
  const perNode = list.map((_, i) => results[2 * i].length + results[2 * i + 1].length);
  expect(perNode.filter((c) => c > 0).length).toBeGreaterThan(1);
}

async function requestReply(from: Member, to: Member, subject: string): Promise<void> {
  const rep = await client(to);
  rep.subscribe(subject, {
    callback: (_e, m) => {
      m.respond(`re:${m.string()}`, { headers: m.headers });
    },
  });
  await rep.flush();
  await interest(from, subject, 1);
  const req = await client(from);
  const h = headers();
  h.set('X-Trace', 'abc');
  const r = await req.request(subject, 'ping', { timeout: 3000, headers: h });
  expect(r.string()).toBe('re:ping');
  expect(r.headers?.get('X-Trace')).toBe('abc');
  await expect(req.request(`${subject}.nobody`, 'x', { timeout: 3000 })).rejects.toThrow(/no responders|503/i);
}

describe('three tsnats nodes', () => {
  async function three(): Promise<Member[]> {
    const a = await tsnats('a');
    const b = await tsnats('b', { routes: routeUrls([a.clusterPort]) });
    const c = await tsnats('c', { routes: routeUrls([a.clusterPort]) });
    await mesh([a, b, c]);
    return [a, b, c];
  }

  it('form a full mesh from one seed (gossip) and deliver to every plain subscriber exactly once', async () => {
    const list = await three();
    await everyoneGetsEverything(list, 'e2e.plain');
  });

  it('deliver to a queue group exactly once cluster-wide', async () => {
    await queueExactlyOnce(await three(), 'e2e.queue');
  });

  it('request/reply with headers across nodes; no responders only when nobody is there', async () => {
    const [a, , c] = await three();
    await requestReply(a, c, 'e2e.svc');
  });

  it('unsubscribe is propagated', async () => {
    const [a, b] = await three();
    const nb = await client(b);
    const sub = nb.subscribe('e2e.unsub');
    await nb.flush();
    await interest(a, 'e2e.unsub', 1);
    sub.unsubscribe();
    await nb.flush();
    await interest(a, 'e2e.unsub', 0);
    const na = await client(a);
    await expect(na.request('e2e.unsub', 'x', { timeout: 2000 })).rejects.toThrow(/no responders|503/i);
  });

  it('clients learn the other servers and fail over to them', async () => {
    const [a, b, c] = await three();
    const nc = await client(a, { reconnect: true, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
    await eventually(() => (nc.info?.connect_urls?.length ?? 0) === 3, 'connect_urls of three servers');
    expect([...(nc.info?.connect_urls ?? [])].sort()).toEqual([a, b, c].map((m) => `127.0.0.1:${m.clientPort}`).sort());
    // a fourth member joins: an async INFO tells the connected client
    const d = await tsnats('d', { routes: routeUrls([b.clusterPort]) });
    await eventually(() => (nc.info?.connect_urls?.length ?? 0) === 4, 'async INFO with the fourth server');
    const sub = nc.subscribe('e2e.failover');
    await nc.flush();
    await a.stop();
    await eventually(() => nc.info !== undefined && nc.info.port !== a.clientPort && !nc.isClosed(), 'reconnected elsewhere', 10000);
    const other = members.find((m) => m.kind === 'tsnats' && m !== a && m.clientPort !== nc.info!.port) ?? d;
    await interest(other, 'e2e.failover', 1);
    const pub = await client(other);
    pub.publish('e2e.failover', 'after');
    const got = await drain(sub, 1);
    expect(got.map((m) => m.string())).toEqual(['after']);
  });

  it('a killed node comes back and the mesh heals by itself', async () => {
    const [pa, pb, pc] = [await freePort(), await freePort(), await freePort()];
    const a = await tsnatsProcess('a', pa, [pb, pc]);
    const b = await tsnatsProcess('b', pb, [pa, pc]);
    await tsnatsProcess('c', pc, [pa, pb]);
    await mesh(members);
    const clientPort = b.clientPort;
    b.child.kill('SIGKILL');
    await b.child.waitExit();
    members.splice(members.indexOf(b), 1);
    await eventually(async () => (await a.routes()).length === 1, 'a lost b');
    await tsnatsProcess('b', pb, [pa, pc], clientPort);
    await mesh(members, 2, 15000);
    await everyoneGetsEverything(members, 'e2e.healed', 10);
  });
});

describe('mixed clusters with nats-server', () => {
  async function mixed(): Promise<Member[]> {
    const n = await natsMember('n');
    const b = await tsnats('b', { routes: routeUrls([n.clusterPort]) });
    const c = await tsnats('c', { routes: routeUrls([n.clusterPort]) });
    await mesh([n, b, c]);
    return [n, b, c];
  }

  it('plain subscribers on every node get every message exactly once', async () => {
    await everyoneGetsEverything(await mixed(), 'mixed.plain');
  });

  it('queue groups exactly once cluster-wide', async () => {
    await queueExactlyOnce(await mixed(), 'mixed.queue');
  });

  it('request/reply and headers between nats-server and tsnats, both ways', async () => {
    const [n, b, c] = await mixed();
    await requestReply(n, b, 'mixed.svc1');
    await requestReply(c, n, 'mixed.svc2');
  });

  it('a tsnats node joined only through gossip', async () => {
    const n = await natsMember('n');
    const b = await tsnats('b', { routes: routeUrls([n.clusterPort]) });
    // c knows only b; it learns n from b's gossip, and n learns c by its own connection.
    const c = await tsnats('c', { routes: routeUrls([b.clusterPort]) });
    await mesh([n, b, c]);
    await everyoneGetsEverything([n, b, c], 'mixed.gossip');
    await requestReply(n, c, 'mixed.gossip.svc');
  });

  it('nats-server restarted: the tsnats nodes reconnect and the mesh heals', async () => {
    const np = await freePort();
    const n = await natsMember('n', { clusterPort: np });
    const b = await tsnats('b', { routes: routeUrls([np]) });
    const c = await tsnats('c', { routes: routeUrls([np]) });
    await mesh([n, b, c]);
    await n.stop();
    members.splice(members.indexOf(n), 1);
    await eventually(async () => (await b.routes()).length === 1, 'b lost n');
    await natsMember('n2', { clusterPort: np });
    await mesh(members, 2, 15000);
    await everyoneGetsEverything(members, 'mixed.healed', 10);
  });

  it('/routez and /varz of a tsnats node have nats-server’s fields', async () => {
    const [n, b] = await mixed();
    for (const m of [n, b]) {
      const nc = await client(m);
      nc.subscribe('mon.x');
      nc.subscribe('mon.q', { queue: 'g' });
      await nc.flush();
    }
    await interest(n, 'mon.q', 1);
    await interest(b, 'mon.q', 1);
    type Json = Record<string, unknown>;
    const [nr, br] = await Promise.all([n, b].map((m) => monitor<Json & { routes: Json[] }>(m.httpPort, '/routez')));
    expect(Object.keys(br)).toEqual(Object.keys(nr));
    expect(br.num_routes).toBe(2);
    const natsRoute = nr.routes.find((r) => r.remote_id !== '')!;
    for (const r of br.routes) expect(Object.keys(r)).toEqual(Object.keys(natsRoute));
    const fromN = br.routes.find((r) => r.did_solicit === true)!;
    expect(fromN).toMatchObject({ is_configured: true, ip: '127.0.0.1', port: n.clusterPort });
    expect(fromN.subscriptions).toBeGreaterThanOrEqual(2);
    const detail = await monitor<{ routes: Json[] }>(b.httpPort, '/routez?subs=detail');
    const natsDetail = await monitor<{ routes: Json[] }>(n.httpPort, '/routez?subs=detail');
    // Routes carry the $SYS accounts' interest too: the entry looked for is mon.q's, on any route.
    const sample = (list: Json[]): Json => list.flatMap((r) => (r.subscriptions_list_detail as Json[] | undefined) ?? []).find((d) => d.subject === 'mon.q')!;
    expect(Object.keys(sample(detail.routes))).toEqual(Object.keys(sample(natsDetail.routes)));
    expect(sample(detail.routes)).toMatchObject({ subject: 'mon.q', qgroup: 'g', sid: '$G mon.q g' });
    type Varz = { cluster: Json; routes: number; remotes: number };
    const [nv, bv] = await Promise.all([n, b].map((m) => monitor<Varz>(m.httpPort, '/varz')));
    expect(bv.routes).toBe(nv.routes);
    expect(bv.remotes).toBe(nv.remotes);
    // nats-server n has no configured routes, so no `urls`; the order is ClusterOptsVarz's
    expect(Object.keys(nv.cluster)).toEqual(['name', 'addr', 'cluster_port', 'auth_timeout', 'tls_timeout']);
    expect(bv.cluster).toEqual({
      name: 'C1',
      addr: '127.0.0.1',
      cluster_port: b.clusterPort,
      auth_timeout: 2,
      urls: [`127.0.0.1:${n.clusterPort}`],
      tls_timeout: 2,
    });
  });
});

describe('a route that does not keep up', () => {
  it('stalls its publishers past half its max_pending instead of piling up (nats-server deliverMsg); nothing is lost', async () => {
    const maxPending = 1024 * 1024;
    const handle = await startServer({ host: '127.0.0.1', port: -1, maxPending, cluster: clusterOptions(), log: () => undefined });
    const cluster = handle.server.cluster!;
    const route = await RawRoute.connect(cluster.port);
    const pub = await RawClient.connect(handle.port);
    try {
      await route.waitFor(/^INFO .* \r\n/);
      const id = 'NSLOWPEER0000000000000000000000000000000000000000000000';
      route.send(
        `CONNECT {"echo":true,"verbose":false,"pedantic":false,"tls_required":false,"headers":true,"name":"${id}","cluster":"C1"}\r\n` +
          `INFO {"server_id":"${id}","name":"${id}","version":"2.9.10","proto":2,"host":"127.0.0.1","port":7001,"headers":true,"max_payload":1048576,"cluster":"C1"} \r\n` +
          'RS+ $G flood\r\nPING\r\n',
      );
      await route.waitFor(/PONG\r\n/);
      route.socket.pause();
      await pub.expect(/^INFO .*\r\n/);
      pub.send('CONNECT {"verbose":false}\r\n');
      await pub.ping();
      const n = 1024;
      const frame = `PUB flood 16384\r\n${'x'.repeat(16384)}\r\n`;
      pub.send(Buffer.from(frame.repeat(n), 'latin1'));
      const stalled = (): boolean => [...handle.server.clients.values()].some((c) => c.stallUntil !== 0);
      await eventually(stalled, 'the publisher stalled', 10000);
      expect(cluster.numRoutes).toBe(1);
      expect(cluster.routes()[0].pendingBytes).toBeLessThan(maxPending);
      route.socket.resume();
      const head = 'RMSG $G flood 16384\r\n';
      const count = (): number => route.data.split(head).length - 1;
      await eventually(() => count() === n, `${n} RMSG`, 20000);
      expect(cluster.numRoutes).toBe(1);
      await pub.ping();
    } finally {
      route.close();
      await pub.close();
      await handle.shutdown();
    }
  });
});
