// `connect_urls` as nats-server 2.9.10 keeps it, side by side: the node under test is tsnats or
// nats-server (as a process), its peers likewise. /varz lists the cluster's client URLs as the
// client INFO does (and omits them on a server that never had a route); a server that lost all
// its routes still lists its own URL (async INFO, INFO of new connections, /varz), so clients
// prune the servers that went away; a protocol-1 client that has not sent its first PING when
// the URLs change gets `PONG` and then an INFO with the current URLs.

import { afterEach, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { freePort, parseInfo, RawClient, spawnServer, type ServerKind, type SpawnedServer } from './helpers/index.js';
import { eventually, monitor } from './helpers/cluster.js';

const KINDS: ServerKind[] = ['tsnats', 'nats-server'];

interface Node {
  kind: ServerKind;
  srv: SpawnedServer;
  clusterPort: number;
  httpPort: number;
  /** The client URL the cluster advertises for this node. */
  url: string;
  stop(): Promise<void>;
}

let nodes: Node[] = [];
let conns: NatsConnection[] = [];
let raws: RawClient[] = [];

afterEach(async () => {
  await Promise.all(conns.map((nc) => (nc.isClosed() ? undefined : nc.close().catch(() => undefined))));
  await Promise.all(raws.map((r) => r.close()));
  await Promise.all(nodes.map((n) => n.stop()));
  nodes = [];
  conns = [];
  raws = [];
});

/** A cluster member (`cluster` false: none), its cluster block in a config file, monitoring on. */
async function node(kind: ServerKind, name: string, routes: number[] = [], cluster = true): Promise<Node> {
  const clusterPort = await freePort();
  const httpPort = await freePort();
  const lines = [`server_name: ${name}`];
  if (cluster) {
    lines.push('cluster {', `  listen: "127.0.0.1:${clusterPort}"`, '  name: C1');
    if (routes.length) lines.push(`  routes: [${routes.map((p) => `"nats-route://127.0.0.1:${p}"`).join(', ')}]`);
    lines.push('}');
  }
  const srv = await spawnServer(kind, { args: ['-m', String(httpPort)], config: lines.join('\n') });
  if (cluster) await eventually(() => /Listening for route connections/.test(srv.output()), 'route listener');
  const n = { kind, srv, clusterPort, httpPort, url: `127.0.0.1:${srv.port}`, stop: () => srv.stop() };
  nodes.push(n);
  return n;
}

type Varz = Record<string, unknown> & { connect_urls?: string[]; routes: number };
const varz = (n: Node): Promise<Varz> => monitor<Varz>(n.httpPort, '/varz');

async function routes(n: Node, want: number): Promise<void> {
  await eventually(async () => (await varz(n)).routes === want, `${n.kind} ${n.url}: ${want} routes`, 10000);
}

async function raw(n: Node): Promise<{ c: RawClient; info: Record<string, unknown> }> {
  const c = await RawClient.connect(n.srv.port);
  raws.push(c);
  const info = parseInfo(await c.expect(/^INFO .*\r\n/));
  return { c, info };
}

const sorted = (a: readonly string[] | undefined): string[] => [...(a ?? [])].sort();

describe('/varz connect_urls', () => {
  it('has the cluster’s client URLs where nats-server has them, in its place; absent without a route', async () => {
    const byKind: Record<string, unknown> = {};
    for (const kind of KINDS) {
      const alone = await node(kind, `alone-${kind}`, [], false);
      const never = await node(kind, `never-${kind}`);
      const a = await node(kind, `a-${kind}`);
      const b = await node(kind, `b-${kind}`, [a.clusterPort]);
      await routes(a, 1);
      await eventually(async () => (await varz(a)).connect_urls?.length === 2, `${kind}: /varz connect_urls of two`);
      const [va, vb, vAlone, vNever] = await Promise.all([a, b, alone, never].map(varz));
      const keys = Object.keys(va);
      byKind[kind] = {
        a: sorted(va.connect_urls),
        b: sorted(vb.connect_urls),
        // connect_urls sits between port/auth_required and max_connections, as in Varz
        before: keys[keys.indexOf('connect_urls') - 1],
        after: keys[keys.indexOf('connect_urls') + 1],
        alone: 'connect_urls' in vAlone,
        never: 'connect_urls' in vNever,
      };
      expect(byKind[kind]).toEqual({
        a: sorted([a.url, b.url]),
        b: sorted([a.url, b.url]),
        before: 'port',
        after: 'max_connections',
        alone: false,
        never: false,
      });
      await Promise.all([alone, never, a, b].map((n) => n.stop()));
    }
  });

  it('a tsnats node in a cluster with nats-server lists the same URLs nats-server does', async () => {
    const n = await node('nats-server', 'n');
    const t = await node('tsnats', 't', [n.clusterPort]);
    await routes(t, 1);
    await routes(n, 1);
    await eventually(async () => (await varz(t)).connect_urls?.length === 2, 'tsnats /varz connect_urls');
    await eventually(async () => (await varz(n)).connect_urls?.length === 2, 'nats-server /varz connect_urls');
    const [vn, vt] = await Promise.all([varz(n), varz(t)]);
    expect(sorted(vt.connect_urls)).toEqual(sorted(vn.connect_urls));
    expect(vt.connect_urls![0]).toBe(t.url); // the server's own URL first
    expect(vn.connect_urls![0]).toBe(n.url);
  });
});

describe.each(KINDS)('a %s node that lost all its routes', (kind) => {
  it('still tells clients its own URL: async INFO, the INFO of new connections and /varz', async () => {
    const a = await node(kind, 'a');
    const b = await node(kind === 'tsnats' ? 'nats-server' : 'tsnats', 'b', [a.clusterPort]);
    const nc = await connect({ servers: `nats://${a.url}`, reconnect: false, timeout: 5000 });
    conns.push(nc);
    await eventually(() => (nc.info?.connect_urls?.length ?? 0) === 2, 'the client learns b');
    expect(sorted(nc.info?.connect_urls)).toEqual(sorted([a.url, b.url]));
    await b.stop();
    await routes(a, 0);
    // the official client replaces its view (and prunes its pool) only when the field is there
    await eventually(() => (nc.info?.connect_urls?.length ?? 0) === 1, 'async INFO with a alone');
    expect(nc.info?.connect_urls).toEqual([a.url]);
    const fresh = await raw(a);
    expect(fresh.info.connect_urls).toEqual([a.url]);
    expect((await varz(a)).connect_urls).toEqual([a.url]);
  });
});

describe.each(KINDS)('%s: a protocol-1 client whose first PING comes after the URLs changed', (kind) => {
  it('gets PONG then an INFO with the current connect_urls; others get the PONG only', async () => {
    const a = await node(kind, 'a');
    const early = await raw(a);
    expect(early.info.connect_urls).toBeUndefined();
    early.c.send('CONNECT {"verbose":false,"protocol":1}\r\n');
    const old = await raw(a);
    old.c.send('CONNECT {"verbose":false,"protocol":0}\r\n');
    const pinged = await raw(a);
    pinged.c.send('CONNECT {"verbose":false,"protocol":1}\r\n');
    await pinged.c.ping();
    const b = await node(kind, 'b', [a.clusterPort]);
    await routes(a, 1);
    // the client already past its first PONG gets the async INFO, the others nothing yet
    const asyncInfo = parseInfo(await pinged.c.expect(/^INFO .*\r\n/, 5000));
    expect(sorted(asyncInfo.connect_urls as string[])).toEqual(sorted([a.url, b.url]));
    expect((await early.c.readUntilQuiet(200)).toString('latin1')).toBe('');
    early.c.send('PING\r\n');
    const reply = await early.c.expect(/^PONG\r\nINFO .*\r\n/, 5000);
    const info = parseInfo(reply.slice('PONG\r\n'.length));
    expect(sorted(info.connect_urls as string[])).toEqual(sorted([a.url, b.url]));
    expect(info.client_id).toBe(early.info.client_id);
    expect(info.nonce).toBeUndefined();
    // one INFO only: the second PING is a plain PONG
    expect((await early.c.ping()).toString()).toBe('PONG\r\n');
    // protocol 0: no INFO ever
    old.c.send('PING\r\n');
    expect((await old.c.readUntilQuiet(200)).toString('latin1')).toBe('PONG\r\n');
    // a client accepted after the change has the URLs in its first INFO: its first PONG is alone
    const late = await raw(a);
    expect(sorted(late.info.connect_urls as string[])).toEqual(sorted([a.url, b.url]));
    late.c.send('CONNECT {"verbose":false,"protocol":1}\r\nPING\r\n');
    expect((await late.c.readUntilQuiet(200)).toString('latin1')).toBe('PONG\r\n');
  });
});

describe.each(KINDS)('%s in lame duck mode', (kind) => {
  it('tells its clients only the other servers’ URLs', async () => {
    const a = await node(kind, 'a');
    const b = await node(kind, 'b', [a.clusterPort]);
    await routes(a, 1);
    const { c } = await raw(a);
    c.send('CONNECT {"verbose":false,"protocol":1}\r\n');
    await c.ping();
    await eventually(async () => (await varz(a)).connect_urls?.length === 2, 'a knows b');
    a.srv.proc.kill('SIGUSR2');
    const info = parseInfo(await c.expect(/^INFO .*"ldm":true.*\r\n/, 5000));
    expect(info.connect_urls).toEqual([b.url]);
  });
});
