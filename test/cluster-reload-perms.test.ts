// SIGHUP changing a cluster's import/export permissions, side by side with nats-server 2.9.10
// (reload.go reloadClusterPermissions, route.go updateRemoteRoutePerms): the reloading node
// drops the routes' interest it may no longer export to, sends its routes a new INFO and RS+ /
// RS- for the local interest it may now / no longer import; a peer getting that INFO re-sends
// the interest the new export lets through. The node N that reloads and its peer P are each
// tsnats or nats-server; clients are the official ones.

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { type Child, killAllChildren, natsServer, tempDir, tsnats } from './helpers/child-server.js';
import { freePort, type ServerKind } from './helpers/index.js';
import { eventually, monitor } from './helpers/cluster.js';

let conns: NatsConnection[] = [];
let dirs: string[] = [];
afterEach(async () => {
  await Promise.all(conns.map((nc) => nc.close().catch(() => undefined)));
  conns = [];
  killAllChildren();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

interface Node {
  child: Child;
  port: number;
  httpPort: number;
  clusterPort: number;
  file: string;
}

async function start(kind: ServerKind, name: string, cluster: (clusterPort: number) => string): Promise<Node> {
  const dir = tempDir('tsnats-reload-perms-');
  dirs.push(dir);
  const [port, httpPort, clusterPort] = [await freePort(), await freePort(), await freePort()];
  const file = join(dir, 'n.conf');
  const head = `host: 127.0.0.1\nport: ${port}\nhttp: "127.0.0.1:${httpPort}"\nserver_name: ${name}\n`;
  const write = (): void => writeFileSync(file, head + cluster(clusterPort));
  write();
  const child = kind === 'tsnats' ? tsnats(['-c', file], { cwd: dir }) : natsServer(['-c', file], { cwd: dir });
  await child.waitFor(/Listening for route connections/, 15000);
  return { child, port, httpPort, clusterPort, file };
}

/** The [abc].* subjects of the interest `n` holds for its route (its /routez), sorted. */
async function held(n: Node): Promise<string[]> {
  const r = await monitor<{ routes: { subscriptions_list?: string[] }[] }>(n.httpPort, '/routez?subs=1');
  return (r.routes[0]?.subscriptions_list ?? []).filter((s) => /^[abc]\./.test(s)).sort();
}

async function client(n: Node): Promise<NatsConnection> {
  const nc = await connect({ servers: `127.0.0.1:${n.port}`, reconnect: false });
  conns.push(nc);
  return nc;
}

/** Messages `sub` got within `ms`. */
async function got(sub: Subscription, ms = 500): Promise<string[]> {
  const out: string[] = [];
  const it = sub[Symbol.asyncIterator]();
  for (;;) {
    const r = await Promise.race([it.next(), new Promise<null>((res) => setTimeout(() => res(null), ms))]);
    if (r === null || r.done) return out;
    out.push(r.value.string());
  }
}

const PAIRS: [ServerKind, ServerKind][] = [
  ['tsnats', 'nats-server'],
  ['nats-server', 'tsnats'],
  ['tsnats', 'tsnats'],
  ['nats-server', 'nats-server'],
];

describe.each(PAIRS)('N %s reloads its cluster permissions, peer P %s', (nKind, pKind) => {
  it('N re-sends its interest and drops what it may not export; P re-sends what N now exports to', async () => {
    const perms = (imp: string, exp: string): string => `  permissions { import: ["${imp}"], export: ["${exp}"] }\n`;
    let nPerms = perms('a.>', 'a.>');
    const n = await start(nKind, 'N', (cp) => `cluster {\n  name: C1\n  listen: "127.0.0.1:${cp}"\n${nPerms}}\n`);
    const p = await start(pKind, 'P', (cp) => `cluster {\n  name: C1\n  listen: "127.0.0.1:${cp}"\n  routes: ["nats-route://127.0.0.1:${n.clusterPort}"]\n}\n`);
    const [cn, cp] = [await client(n), await client(p)];
    const onN = { a: cn.subscribe('a.n'), b: cn.subscribe('b.n') };
    const onP = { a: cp.subscribe('a.p'), c: cp.subscribe('c.p') };
    await Promise.all([cn.flush(), cp.flush()]);
    // N imports a.> only (tells P about a.n only) and exports a.> only (takes a.p only)
    await eventually(async () => (await held(p)).join() === 'a.n', 'P holds a.n');
    await eventually(async () => (await held(n)).join() === 'a.p', 'N holds a.p');

    nPerms = perms('b.>', 'c.>');
    writeFileSync(n.file, `host: 127.0.0.1\nport: ${n.port}\nhttp: "127.0.0.1:${n.httpPort}"\nserver_name: N\ncluster {\n  name: C1\n  listen: "127.0.0.1:${n.clusterPort}"\n${nPerms}}\n`);
    n.child.kill('SIGHUP');
    await n.child.waitFor(/Reloaded server configuration/, 10000);
    await eventually(async () => (await held(p)).join() === 'b.n', 'P holds b.n only', 5000);
    await eventually(async () => (await held(n)).join() === 'c.p', 'N holds c.p only', 5000);

    // messages follow: b.n from P reaches N, c.p from N reaches P; a.* no longer crosses
    for (const s of ['a.n', 'b.n']) cp.publish(s, `from-P ${s}`);
    for (const s of ['a.p', 'c.p']) cn.publish(s, `from-N ${s}`);
    await Promise.all([cn.flush(), cp.flush()]);
    const [na, nb, pa, pc] = await Promise.all([got(onN.a), got(onN.b), got(onP.a), got(onP.c)]);
    expect({ na, nb, pa, pc }).toEqual({ na: [], nb: ['from-P b.n'], pa: [], pc: ['from-N c.p'] });
  });
});
