// The cluster module against real nats-server 2.9.10 peers, without a tsnats server around it:
// a TestHost (real Accounts, hand-made local subscriptions) runs the route protocol with
// nats-server processes on loopback. Handshake, interest both ways (plain, queue weights,
// accounts), RMSG/HMSG both ways, gossip, reconnect, route to self, duplicate routes, names.

import { afterEach, describe, expect, it } from 'vitest';
import { freePort, RawClient } from './helpers/index.js';
import { eventually, monitor, natsNode, natsRoutes, type NatsNode, TestHost } from './helpers/cluster.js';

let hosts: TestHost[] = [];
let nodes: NatsNode[] = [];
let clients: RawClient[] = [];

afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(hosts.map((h) => h.cluster.shutdown()));
  await Promise.all(nodes.map((n) => n.stop()));
  hosts = [];
  nodes = [];
  clients = [];
});

async function node(o: Parameters<typeof natsNode>[0] = {}): Promise<NatsNode> {
  const n = await natsNode(o);
  nodes.push(n);
  return n;
}

async function host(...args: ConstructorParameters<typeof TestHost>): Promise<TestHost> {
  const h = new TestHost(...args);
  hosts.push(h);
  await h.cluster.start();
  return h;
}

async function client(n: NatsNode): Promise<RawClient> {
  const c = await RawClient.connect(n.srv.port);
  clients.push(c);
  await c.expect(/^INFO .*\r\n/);
  c.send('CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true,"protocol":1}\r\n');
  await c.ping();
  return c;
}

/** Waits until nats-server's /routez lists a route whose interest count satisfies `ok`. */
async function natsSeesSubs(n: NatsNode, ok: (subs: number) => boolean): Promise<void> {
  await eventually(async () => (await natsRoutes(n)).some((r) => ok(r.subscriptions)), 'nats-server route subscriptions');
}

describe('handshake with nats-server', () => {
  it('solicits a nats-server route and both sides register it', async () => {
    const n = await node();
    const h = await host({ routes: [`nats-route://127.0.0.1:${n.clusterPort}`] }, {}, ['127.0.0.1:14999']);
    await h.until(() => h.cluster.numRoutes === 1, 'route registered');
    const routes = await natsRoutes(n);
    expect(routes.map((r) => r.remote_id)).toEqual([h.serverId]);
    // nats-server's client URL reached our clients' INFO list.
    await h.until(() => h.urlChanges.length > 0, 'connect urls');
    expect(h.urlChanges.at(-1)).toEqual([`127.0.0.1:${n.srv.port}`]);
    const snap = h.cluster.routes();
    expect(snap).toHaveLength(1);
    expect(snap[0]).toMatchObject({ didSolicit: true, isConfigured: true, ip: '127.0.0.1', port: n.clusterPort });
    expect(h.logged(/127\.0\.0\.1:\d+ - rid:4 - Route connection created/)).toBe(true);
  });

  it('accepts a route solicited by nats-server', async () => {
    const h = await host();
    const n = await node({ routes: [h.cluster.port] });
    await h.until(() => h.cluster.numRoutes === 1, 'route registered');
    await eventually(async () => (await natsRoutes(n)).length === 1, 'nats-server route');
    const snap = h.cluster.routes();
    expect(snap[0]).toMatchObject({ didSolicit: false, isConfigured: false });
    expect(/Route connection created/.test(n.srv.output())).toBe(true);
  });

  it('a peer entering lame duck mode takes its client URLs out of our clients\' INFO', async () => {
    const n = await node();
    const h = await host({ routes: [`nats-route://127.0.0.1:${n.clusterPort}`] });
    await h.until(() => h.urlChanges.length === 1, 'connect urls');
    await client(n);
    n.srv.proc.kill('SIGUSR2');
    await h.until(() => h.urlChanges.length === 2, 'urls removed');
    expect(h.urlChanges[1]).toEqual([]);
    expect(h.cluster.numRoutes).toBe(1);
  });

  it('keeps the route alive with PING/PONG and measures the round trip', async () => {
    const h = await host({}, { pingIntervalMs: 300 });
    await node({ routes: [h.cluster.port] });
    await h.until(() => h.cluster.numRoutes === 1, 'route registered');
    await h.until(() => h.cluster.routes()[0].rtt > 0, 'rtt measured', 4000);
  });
});

describe('interest from nats-server (RS+ / RS-)', () => {
  it('plain and queue interest, weights, unsubscribe and close', async () => {
    const h = await host();
    const n = await node({ routes: [h.cluster.port] });
    await h.until(() => h.cluster.numRoutes === 1, 'route registered');
    const c = await client(n);
    c.send('SUB foo 1\r\nSUB foo 2\r\nSUB bar.* q 3\r\nSUB bar.* q 4\r\nSUB bar.* q 5\r\n');
    await c.ping();
    await h.until(() => h.remoteInterest('bar.x').queues.q === 3, 'queue weight 3');
    expect(h.remoteInterest('foo')).toEqual({ plain: 1, queues: {} });
    c.send('UNSUB 3\r\n');
    await h.until(() => h.remoteInterest('bar.x').queues.q === 2, 'queue weight 2');
    c.send('UNSUB 1\r\n');
    await c.ping();
    // one of two local subscriptions left: still interest
    expect(h.remoteInterest('foo').plain).toBe(1);
    c.send('UNSUB 2\r\n');
    await h.until(() => h.remoteInterest('foo').plain === 0, 'RS- foo');
    await c.close();
    await h.until(() => h.remoteInterest('bar.x').queues.q === undefined, 'RS- queue on close');
  });

  it('all remote interest leaves the sublist when the route closes', async () => {
    const h = await host();
    const n = await node({ routes: [h.cluster.port] });
    await h.until(() => h.cluster.numRoutes === 1, 'route registered');
    const c = await client(n);
    c.send('SUB a 1\r\nSUB b q 2\r\n');
    await h.until(() => h.remoteInterest('b').queues.q === 1, 'interest');
    await n.stop();
    await h.until(() => h.cluster.numRoutes === 0, 'route gone');
    expect(h.remoteInterest('a')).toEqual({ plain: 0, queues: {} });
    expect(h.remoteInterest('b')).toEqual({ plain: 0, queues: {} });
    expect(h.g.sublist.count()).toBe(0);
  });
});

describe('interest to nats-server', () => {
  it('sends the full interest set to a new route and updates afterwards', async () => {
    const h = await host();
    h.sub('early');
    h.sub('early');
    h.sub('grp', 'q');
    const n = await node({ routes: [h.cluster.port] });
    await h.until(() => h.cluster.numRoutes === 1, 'route registered');
    await natsSeesSubs(n, (s) => s === 2);
    const late = h.sub('late');
    await natsSeesSubs(n, (s) => s === 3);
    h.unsub(late);
    await natsSeesSubs(n, (s) => s === 2);
  });

  it('messages from nats-server reach routedMessage once, with queue names only when picked', async () => {
    const h = await host();
    const n = await node({ routes: [h.cluster.port] });
    await h.until(() => h.cluster.numRoutes === 1, 'route registered');
    h.sub('foo');
    h.sub('work', 'q');
    await natsSeesSubs(n, (s) => s === 2);
    const c = await client(n);
    c.send('PUB foo reply.1 5\r\nhello\r\nHPUB foo 12 17\r\nNATS/1.0\r\n\r\nworld\r\nPUB work 3\r\njob\r\nPUB foo 2\r\nhi\r\n');
    await h.until(() => h.routed.length === 4, 'four routed messages');
    expect(h.routed[0]).toEqual({ acc: '$G', subject: 'foo', reply: 'reply.1', queues: null, hdrLen: -1, payload: 'hello' });
    expect(h.routed[1]).toEqual({ acc: '$G', subject: 'foo', reply: null, queues: null, hdrLen: 12, payload: 'NATS/1.0\r\n\r\nworld' });
    expect(h.routed[2]).toEqual({ acc: '$G', subject: 'work', reply: null, queues: ['q'], hdrLen: -1, payload: 'job' });
    expect(h.routed[3]).toEqual({ acc: '$G', subject: 'foo', reply: null, queues: null, hdrLen: -1, payload: 'hi' });
    expect(h.badHashes).toBe(0);
  });

  it('messages to nats-server: RMSG and HMSG reach its subscribers, queue names pick its members', async () => {
    const h = await host();
    const n = await node({ routes: [h.cluster.port] });
    await h.until(() => h.cluster.numRoutes === 1, 'route registered');
    const c = await client(n);
    c.send('SUB foo 1\r\nSUB work q 2\r\n');
    await h.until(() => h.remoteInterest('work').queues.q === 1, 'interest');
    expect(h.publish('foo', 'hello', { reply: '_INBOX.1' })).toBe(1);
    expect(h.publish('foo', 'body', { hdr: 'NATS/1.0\r\nA: b\r\n\r\n' })).toBe(1);
    expect(h.publish('work', 'job')).toBe(1);
    await c.expect('MSG foo 1 _INBOX.1 5\r\nhello\r\n');
    await c.expect('HMSG foo 1 18 22\r\nNATS/1.0\r\nA: b\r\n\r\nbody\r\n');
    await c.expect('MSG work 2 3\r\njob\r\n');
    const snap = h.cluster.routes()[0];
    expect(snap.outMsgs).toBe(3);
    expect(snap.subscriptions.map((s) => s.sid).sort()).toEqual(['$G foo', '$G work q']);
  });

  it('accounts: interest and messages stay in their account', async () => {
    const config = 'accounts { A { users: [{user: a, password: a}] }, B { users: [{user: b, password: b}] } }\n';
    const h = await host();
    const n = await node({ routes: [h.cluster.port], config });
    await h.until(() => h.cluster.numRoutes === 1, 'route registered');
    const a = await RawClient.connect(n.srv.port);
    clients.push(a);
    await a.expect(/^INFO .*\r\n/);
    a.send('CONNECT {"user":"a","pass":"a","verbose":false}\r\nSUB x 1\r\n');
    await a.ping();
    const accA = h.accountsByName.get('A')!;
    const accB = h.accountsByName.get('B')!;
    await h.until(() => h.remoteInterest('x', accA).plain === 1, 'interest in A');
    expect(h.remoteInterest('x', accB).plain).toBe(0);
    expect(h.remoteInterest('x').plain).toBe(0);
    h.sub('y', null, accB);
    expect(h.publish('x', 'to-a', { acc: accA })).toBe(1);
    await a.expect('MSG x 1 4\r\nto-a\r\n');
    await eventually(async () => (await natsRoutes(n))[0].subscriptions >= 1, 'interest in B');
  });
});

describe('gossip, reconnect, self and duplicates', () => {
  it('learns a third server through gossip and connects to it', async () => {
    const a = await node({});
    const h = await host({ routes: [`nats-route://127.0.0.1:${a.clusterPort}`] });
    await h.until(() => h.cluster.numRoutes === 1, 'first route');
    const c = await node({ routes: [a.clusterPort] });
    await h.until(() => h.cluster.numRoutes === 2, 'route to the gossiped server');
    const snap = h.cluster.routes();
    expect(snap.filter((r) => r.isConfigured)).toHaveLength(1);
    await eventually(async () => (await natsRoutes(c)).length === 2, 'full mesh on c');
  });

  it('reconnects to a configured route that went away', async () => {
    const n = await node({});
    const h = await host({ routes: [`nats-route://127.0.0.1:${n.clusterPort}`] });
    await h.until(() => h.cluster.numRoutes === 1, 'route');
    const port = n.clusterPort;
    await n.stop();
    await h.until(() => h.cluster.numRoutes === 0, 'route gone');
    const again = await node({ clusterPort: port });
    await h.until(() => h.cluster.numRoutes === 1, 'route back', 10000);
    expect(h.cluster.routes()[0].remoteId).not.toBe('');
    await eventually(async () => (await natsRoutes(again)).length === 1, 'nats-server side');
  });

  it('a route to itself is dropped and not retried', async () => {
    const port = await freePort();
    const h = await host({ port, routes: [`nats-route://127.0.0.1:${port}`] });
    await h.until(() => h.logged(/Router connection closed: Duplicate Route/), 'route to self closed');
    await h.until(() => h.logged(/Detected route to self, ignoring/), 'no reconnect to self');
    await new Promise((r) => setTimeout(r, 1300));
    expect(h.logs.filter((l) => /Route connection created/.test(l))).toHaveLength(2);
    expect(h.cluster.numRoutes).toBe(0);
  });

  it('two servers soliciting each other end with one route', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const a = new TestHost({ port: pa, routes: [`nats-route://127.0.0.1:${pb}`] });
    const b = new TestHost({ port: pb, routes: [`nats-route://127.0.0.1:${pa}`] });
    hosts.push(a, b);
    await Promise.all([a.cluster.start(), b.cluster.start()]);
    // When each side keeps the connection the other dropped, both reconnect (nats-server's
    // retry flag, 1 s plus jitter): wait for one route each that lasts past a reconnect cycle.
    let since = 0;
    await a.until(
      () => {
        const one = a.cluster.numRoutes === 1 && b.cluster.numRoutes === 1;
        if (!one) since = 0;
        else if (since === 0) since = Date.now();
        return one && Date.now() - since > 1500;
      },
      'one lasting route each',
      15000,
    );
    expect(a.cluster.routes()[0].remoteId).toBe(b.serverId);
    // interest still flows on the surviving route
    b.sub('dup.check');
    await a.until(() => a.remoteInterest('dup.check').plain === 1, 'interest over the surviving route');
  });
});

describe('cluster names', () => {
  it('rejects a nats-server with another cluster name, with its error text', async () => {
    const h = await host({ name: 'ALPHA' });
    await node({ name: 'BETA', routes: [h.cluster.port] });
    await h.until(() => h.logged(/Rejecting connection, cluster name "BETA" does not match "ALPHA"/), 'rejection');
    expect(h.logged(/Router connection closed: Cluster Name Conflict/)).toBe(true);
    // then, as nats-server's read loop logs the error the CONNECT returned:
    await h.until(() => h.logged(/\[ERR\] .* - rid:\d+ - cluster name from remote server conflicts$/), 'the returned error');
    const i = h.logs.findIndex((l) => /Router connection closed: Cluster Name Conflict/.test(l));
    expect(h.logs.findIndex((l) => /cluster name from remote server conflicts/.test(l))).toBeGreaterThan(i);
    expect(h.cluster.numRoutes).toBe(0);
  });

  it('a dynamic name gives way to a configured one', async () => {
    const n = await node({ name: 'FIXED' });
    const h = await host({ name: '', routes: [`nats-route://127.0.0.1:${n.clusterPort}`] });
    expect(h.cluster.dynamic).toBe(true);
    expect(h.cluster.name).toMatch(/^[0-9A-Za-z]{22}$/);
    await h.until(() => h.cluster.numRoutes === 1, 'route');
    expect(h.cluster.name).toBe('FIXED');
    expect(h.nameChanges).toEqual(['FIXED']);
  });

  it('two dynamic names settle on one', async () => {
    const n = await node({ name: '' });
    const h = await host({ name: '', routes: [`nats-route://127.0.0.1:${n.clusterPort}`] });
    await h.until(() => h.cluster.numRoutes === 1, 'route', 10000);
    const natsName = async (): Promise<string> => (await monitor<{ cluster: { name: string } }>(n.httpPort, '/varz')).cluster.name;
    await eventually(async () => (await natsName()) === h.cluster.name, 'same name');
    expect(h.cluster.name).toMatch(/^[0-9A-Za-z]{22}$/);
    expect(h.cluster.dynamic).toBe(true);
  });
});

describe('route authorization', () => {
  it('user and password from the route URL; a wrong password is refused', async () => {
    const h = await host({ username: 'ru', password: 'rp' });
    await node({ routes: [`nats-route://ru:wrong@127.0.0.1:${h.cluster.port}`] });
    await h.until(() => h.logged(/Router connection closed: Authentication Failure/), 'refused');
    await node({ routes: [`nats-route://ru:rp@127.0.0.1:${h.cluster.port}`] });
    await h.until(() => h.cluster.numRoutes === 1, 'authorized route');
  });

  it('solicits with credentials from the URL', async () => {
    const n = await node({ cluster: 'authorization { user: ru, password: rp }' });
    const h = await host({ routes: [`nats-route://ru:rp@127.0.0.1:${n.clusterPort}`] });
    await h.until(() => h.cluster.numRoutes === 1, 'route');
  });
});
