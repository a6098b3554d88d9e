// Leaf nodes end to end, in both roles, against real nats-server 2.9.10 processes and with the
// official client (@nats-io/transport-node): tsnats as the hub of a nats-server leaf, tsnats as
// the leaf of a nats-server hub, and tsnats on both sides. Pub/sub both ways, queue groups
// (local members first), request/reply, headers, leafnode authorization with account binding
// and isolation, a remote bound to a local account, a leaf user JWT's permissions, a hub
// restart, and raw leaf connections for the protocol rules (the hub's INFO, LMSG without a queue list, loop detection).

import { afterEach, describe, expect, it } from 'vitest';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { freePort, RawClient, spawnServer, type ServerKind, type SpawnedServer } from './helpers/index.js';
import { eventually, monitor } from './helpers/cluster.js';
import { Operator } from './helpers/operator.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { credsAuthenticator } from '@nats-io/transport-node';

let servers: SpawnedServer[] = [];
let conns: NatsConnection[] = [];
let raws: RawClient[] = [];

afterEach(async () => {
  await Promise.all(conns.map((nc) => (nc.isClosed() ? undefined : nc.close().catch(() => undefined))));
  for (const r of raws) await r.close();
  await Promise.all(servers.map((s) => s.stop()));
  conns = [];
  servers = [];
  raws = [];
});

/** A server of `kind` with a config file; its monitoring port is `http`. */
async function server(kind: ServerKind, config: string, http = 0): Promise<SpawnedServer> {
  const s = await spawnServer(kind, { config, args: http > 0 ? ['-m', String(http)] : [] });
  servers.push(s);
  return s;
}

async function client(s: SpawnedServer, o: { user?: string; pass?: string } = {}): Promise<NatsConnection> {
  const nc = await connect({ servers: `127.0.0.1:${s.port}`, user: o.user, pass: o.pass, reconnect: false });
  conns.push(nc);
  return nc;
}

/** A hub of `kind` listening for leaves on a free port. */
async function hub(kind: ServerKind, extra = '', http = 0): Promise<{ srv: SpawnedServer; leafPort: number }> {
  const leafPort = await freePort();
  const srv = await server(kind, `leafnodes { listen: "127.0.0.1:${leafPort}" ${extra} }\n`, http);
  return { srv, leafPort };
}

/** A leaf of `kind` soliciting `url`; `remote` is extra text in the remote, `config` outside the block. */
async function leaf(kind: ServerKind, url: string, remote = '', config = '', http = 0): Promise<SpawnedServer> {
  return server(kind, `${config}\nleafnodes { reconnect: 1, remotes: [ { url: "${url}" ${remote} } ] }\n`, http);
}

/** Waits until the server's log says a leaf connection is up (a nats-server logs the JetStream deny then). */
async function connected(s: SpawnedServer, n = 1): Promise<void> {
  await eventually(() => (s.output().match(/JetStream Not Extended|Adding deny/g) ?? []).length >= n, `leaf connection on ${s.kind}`, 15_000);
}

/** Waits until publishing on `subject` from `nc` reaches the interest at the other end (interest crossed the leaf). */
async function crossed(pub: NatsConnection, sub: NatsConnection, subject: string): Promise<void> {
  const probe = `${subject}-probe`;
  const s = sub.subscribe(probe);
  await sub.flush();
  let got = false;
  void (async () => {
    for await (const _m of s) {
      got = true;
      break;
    }
  })();
  await eventually(
    async () => {
      pub.publish(probe);
      await pub.flush();
      await new Promise((r) => setTimeout(r, 30));
      return got;
    },
    `interest on ${probe} across the leaf`,
    10_000,
  );
}

/** Collects the payloads of `subject` on `nc` (queue group optional). */
function collect(nc: NatsConnection, subject: string, queue?: string): string[] {
  const got: string[] = [];
  const sub = nc.subscribe(subject, { queue });
  void (async () => {
    for await (const m of sub) got.push(m.string());
  })();
  return got;
}

const settle = (ms = 300): Promise<void> => new Promise((r) => setTimeout(r, ms));

const ROLES: [string, ServerKind, ServerKind][] = [
  ['tsnats hub, nats-server leaf', 'tsnats', 'nats-server'],
  ['nats-server hub, tsnats leaf', 'nats-server', 'tsnats'],
  ['tsnats hub, tsnats leaf', 'tsnats', 'tsnats'],
];

describe.each(ROLES)('%s', (_name, hubKind, leafKind) => {
  it('pub/sub both ways, request/reply and headers', async () => {
    const h = await hub(hubKind);
    const l = await leaf(leafKind, `nats-leaf://127.0.0.1:${h.leafPort}`);
    await connected(h.srv);
    await connected(l);
    const hc = await client(h.srv);
    const lc = await client(l);
    const onLeaf = collect(lc, 'down.>');
    const onHub = collect(hc, 'up.>');
    await lc.flush();
    await hc.flush();
    await crossed(hc, lc, 'down');
    await crossed(lc, hc, 'up');
    for (let i = 0; i < 20; i++) hc.publish(`down.${i}`, `d${i}`);
    for (let i = 0; i < 20; i++) lc.publish(`up.${i}`, `u${i}`);
    await eventually(() => onLeaf.length >= 20 && onHub.length >= 20, 'messages both ways');
    await settle();
    expect(onLeaf).toEqual(Array.from({ length: 20 }, (_, i) => `d${i}`));
    expect(onHub).toEqual(Array.from({ length: 20 }, (_, i) => `u${i}`));

    // Request/reply both ways (the reply's interest crosses the leaf with the request).
    const svcHub = hc.subscribe('svc.hub');
    void (async () => {
      for await (const m of svcHub) m.respond(`hub:${m.string()}`);
    })();
    const svcLeaf = lc.subscribe('svc.leaf');
    void (async () => {
      for await (const m of svcLeaf) m.respond(`leaf:${m.string()}`, { headers: m.headers });
    })();
    await hc.flush();
    await lc.flush();
    await crossed(lc, hc, 'svc');
    await crossed(hc, lc, 'svc');
    expect((await lc.request('svc.hub', 'a', { timeout: 5000 })).string()).toBe('hub:a');
    const h1 = headers();
    h1.set('X-Leaf', 'yes');
    const r = await hc.request('svc.leaf', 'b', { timeout: 5000, headers: h1 });
    expect(r.string()).toBe('leaf:b');
    expect(r.headers?.get('X-Leaf')).toBe('yes');
  });

  it('queue groups: one delivery per group, local members first, a remote member when no local one is left', async () => {
    const h = await hub(hubKind);
    const l = await leaf(leafKind, `nats-leaf://127.0.0.1:${h.leafPort}`);
    await connected(h.srv);
    await connected(l);
    const hc = await client(h.srv);
    const lc = await client(l);
    const hubQ = collect(hc, 'work', 'q');
    const leafQ = collect(lc, 'work', 'q');
    // Only the leaf has members of group r: the hub's messages reach one of them across.
    const leafOnly = collect(lc, 'job', 'r');
    const leafOnly2 = collect(lc, 'job', 'r');
    await hc.flush();
    await lc.flush();
    await crossed(hc, lc, 'work');
    await crossed(lc, hc, 'work');
    await eventually(
      async () => {
        hc.publish('job', 'probe');
        await hc.flush();
        await settle(50);
        return leafOnly.length + leafOnly2.length > 0;
      },
      'queue interest across the leaf',
    );
    leafOnly.length = 0;
    leafOnly2.length = 0;
    for (let i = 0; i < 30; i++) hc.publish('work', `h${i}`);
    for (let i = 0; i < 30; i++) lc.publish('work', `l${i}`);
    for (let i = 0; i < 30; i++) hc.publish('job', `j${i}`);
    await hc.flush();
    await lc.flush();
    await eventually(() => hubQ.length + leafQ.length >= 60 && leafOnly.length + leafOnly2.length >= 30, 'queue deliveries');
    await settle();
    // Each side's messages stay with its local member, once each.
    expect(hubQ.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `h${i}`).sort());
    expect(leafQ.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `l${i}`).sort());
    expect([...leafOnly, ...leafOnly2].sort()).toEqual(Array.from({ length: 30 }, (_, i) => `j${i}`).sort());
  });
});

describe('leafnode authorization and accounts', () => {
  const ACCOUNTS = `accounts { A: { users: [ { user: a, password: a } ] }, B: { users: [ { user: b, password: b } ] } }`;

  it.each([['tsnats' as ServerKind], ['nats-server' as ServerKind]])(
    '%s hub: leafnodes users bind leaves to accounts; a wrong password is refused; accounts stay apart',
    async (hubKind) => {
      const leafPort = await freePort();
      const hubSrv = await server(
        hubKind,
        `${ACCOUNTS}\nleafnodes { listen: "127.0.0.1:${leafPort}", authorization { users: [ { user: la, password: pa, account: A }, { user: lb, password: pb, account: B } ] } }\n`,
      );
      const other = hubKind === 'tsnats' ? 'nats-server' : 'tsnats';
      const leafA = await leaf(other, `nats-leaf://la:pa@127.0.0.1:${leafPort}`);
      const bad = await leaf(other, `nats-leaf://lb:wrong@127.0.0.1:${leafPort}`);
      await connected(leafA);
      await eventually(() => /Authorization Violation/.test(bad.output()), 'the refused leaf hears why', 10_000);
      expect(bad.output()).not.toMatch(/JetStream Not Extended|Adding deny/);
      const a = await client(hubSrv, { user: 'a', pass: 'a' });
      const b = await client(hubSrv, { user: 'b', pass: 'b' });
      const lc = await client(leafA);
      const inA = collect(a, 'iso.>');
      const inB = collect(b, 'iso.>');
      const onLeaf = collect(lc, 'back');
      await a.flush();
      await b.flush();
      await lc.flush();
      await crossed(lc, a, 'iso');
      await crossed(a, lc, 'back');
      lc.publish('iso.x', 'to-A');
      b.publish('back', 'from-B');
      a.publish('back', 'from-A');
      await eventually(() => inA.includes('to-A') && onLeaf.includes('from-A'), 'account A traffic');
      await settle();
      expect(inB.filter((s) => s === 'to-A')).toEqual([]);
      expect(onLeaf).toEqual(['from-A']);
    },
  );

  it.each([['tsnats' as ServerKind], ['nats-server' as ServerKind]])(
    '%s leaf: a remote with `account` binds its local account (others do not cross)',
    async (leafKind) => {
      const h = await hub(leafKind === 'tsnats' ? 'nats-server' : 'tsnats');
      const l = await leaf(leafKind, `nats-leaf://127.0.0.1:${h.leafPort}`, ', account: A', ACCOUNTS);
      await connected(l);
      const hc = await client(h.srv);
      const a = await client(l, { user: 'a', pass: 'a' });
      const b = await client(l, { user: 'b', pass: 'b' });
      const gotA = collect(a, 'bound');
      const gotB = collect(b, 'bound');
      const onHub = collect(hc, 'from.>');
      await a.flush();
      await b.flush();
      await hc.flush();
      await crossed(hc, a, 'bound');
      await crossed(a, hc, 'from');
      hc.publish('bound', 'x');
      a.publish('from.a', 'A');
      b.publish('from.b', 'B');
      await eventually(() => gotA.length === 1 && onHub.includes('A'), 'bound account traffic');
      await settle();
      expect(gotB).toEqual([]);
      expect(onHub).toEqual(['A']);
    },
  );
});

describe('reconnect', () => {
  it.each([['tsnats' as ServerKind, 'nats-server' as ServerKind], ['nats-server' as ServerKind, 'tsnats' as ServerKind]])(
    'a %s leaf reconnects to a restarted %s hub every `reconnect` interval, and traffic resumes',
    async (leafKind, hubKind) => {
      const leafPort = await freePort();
      const hubConf = `leafnodes { listen: "127.0.0.1:${leafPort}" }\n`;
      const first = await server(hubKind, hubConf);
      const l = await leaf(leafKind, `nats-leaf://127.0.0.1:${leafPort}`);
      await connected(l);
      await first.stop();
      await eventually(() => /Leafnode connection closed/.test(l.output()), 'the leaf sees its hub go', 10_000);
      await settle(1500);
      const again = await server(hubKind, hubConf);
      await connected(l, 2);
      const hc = await client(again);
      const lc = await client(l);
      const got = collect(lc, 'after');
      await lc.flush();
      await crossed(hc, lc, 'after');
      hc.publish('after', 'ok');
      await eventually(() => got.length === 1, 'traffic after the restart');
      if (leafKind === 'tsnats') expect(l.output()).toMatch(/Error trying to connect as leafnode to remote server "127\.0\.0\.1:\d+" \(attempt 1\): dial tcp 127\.0\.0\.1:\d+: connect: connection refused/);
    },
  );
});

describe('the hub protocol on a raw leaf connection (tsnats and nats-server alike)', () => {
  /** A raw leaf connection through the handshake; returns it and the hub's first INFO. */
  async function rawLeaf(port: number): Promise<{ raw: RawClient; info: Record<string, unknown>; second: string }> {
    const raw = await RawClient.connect(port);
    raws.push(raw);
    const line = await raw.expect(/^INFO (\{.*\}) \r\n/);
    const info = JSON.parse(/^INFO (\{.*\}) \r\n/.exec(line)![1]!) as Record<string, unknown>;
    raw.send('CONNECT {"version":"2.9.10","tls_required":false,"server_id":"NRAWLEAF","name":"rawleaf","headers":true}\r\n');
    const second = await raw.expect(/INFO \{[^\r]*"connect_info":true[^\r]*\} \r\n/);
    return { raw, info, second };
  }

  it.each([['tsnats' as ServerKind], ['nats-server' as ServerKind]])('%s: INFO, connect_info INFO, then LS+ $LDS.', async (kind) => {
    const h = await hub(kind);
    const { raw, info, second } = await rawLeaf(h.leafPort);
    expect(second).toMatch(/"remote_account":"\$G"/);
    expect(info.client_id).toBeGreaterThan(0);
    expect(info.auth_required).toBe(true);
    expect(info.info_on_connect).toBe(true);
    expect(typeof info.nonce).toBe('string');
    expect(info.leafnode_urls).toEqual([`127.0.0.1:${h.leafPort}`]);
    await raw.expect(/LS\+ \$LDS\.[A-Za-z0-9]{22}\r\n/);
  });

  it.each([['tsnats' as ServerKind], ['nats-server' as ServerKind]])(
    '%s: an LMSG without a queue list reaches plain subscribers, never queue subscribers',
    async (kind) => {
      const h = await hub(kind);
      const { raw } = await rawLeaf(h.leafPort);
      await raw.expect(/LS\+ \$LDS\./);
      const nc = await client(h.srv);
      const plain = collect(nc, 'lm');
      const queued = collect(nc, 'lm', 'g');
      await nc.flush();
      await raw.expect(/LS\+ lm\r\n/);
      await raw.expect(/LS\+ lm g 1\r\n/);
      raw.send('LMSG lm 5\r\nplain\r\nLMSG lm | g 6\r\nqueued\r\nLMSG lm + r.1 g 4\r\nboth\r\nPING\r\n');
      await raw.expect(/PONG\r\n/);
      await eventually(() => plain.length === 3 && queued.length === 2, 'deliveries');
      await settle();
      expect(plain).toEqual(['plain', 'queued', 'both']);
      expect(queued).toEqual(['queued', 'both']);
    },
  );

  it.each([['tsnats' as ServerKind], ['nats-server' as ServerKind]])('%s: its own $LDS. subject coming back is a loop', async (kind) => {
    const h = await hub(kind);
    const { raw } = await rawLeaf(h.leafPort);
    const lds = /LS\+ (\$LDS\.[A-Za-z0-9]{22})\r\n/.exec(await raw.expect(/LS\+ \$LDS\.[A-Za-z0-9]{22}\r\n/))![1]!;
    raw.send(`LS+ ${lds}\r\n`);
    await raw.expect(/-ERR 'Loop detected for leafnode account="\$G"\. Delaying attempt to reconnect for 30s'\r\n/);
    expect(await raw.closedWithin(3000)).toBe(true);
  });
});

describe('monitoring', () => {
  interface Leafz {
    server_id: string;
    now: string;
    leafnodes: number;
    leafs: Record<string, unknown>[];
  }

  /** A hub of `kind` with a nats-server leaf whose client subscribes mon.x; the hub published one message to it. */
  async function scene(kind: ServerKind): Promise<{ http: number; leafPort: number }> {
    const http = await freePort();
    const h = await hub(kind, '', http);
    const l = await leaf('nats-server', `nats-leaf://127.0.0.1:${h.leafPort}`);
    await connected(h.srv);
    const lc = await client(l);
    const hc = await client(h.srv);
    collect(lc, 'mon.x');
    await lc.flush();
    await crossed(hc, lc, 'mon');
    hc.publish('mon.x', 'hello');
    await hc.flush();
    await eventually(async () => ((await monitor<Leafz>(http, '/leafz')).leafs[0]?.out_msgs as number) >= 2, '/leafz out_msgs');
    return { http, leafPort: h.leafPort };
  }

  it('/leafz and the /varz leaf blocks of a tsnats hub agree with nats-server', async () => {
    const ts = await scene('tsnats');
    const ns = await scene('nats-server');
    const [zt, zn] = [await monitor<Leafz>(ts.http, '/leafz?subs=1'), await monitor<Leafz>(ns.http, '/leafz?subs=1')];
    expect(Object.keys(zt)).toEqual(Object.keys(zn));
    expect(zt.leafnodes).toBe(1);
    expect(zn.leafnodes).toBe(1);
    const [t, n] = [zt.leafs[0]!, zn.leafs[0]!];
    expect(Object.keys(t)).toEqual(Object.keys(n));
    expect(t.account).toBe('$G');
    expect(t.ip).toBe('127.0.0.1');
    expect(t.port).toBeGreaterThan(0);
    expect(t.rtt).toMatch(/s$/);
    // The leaf's interest: its client's subscriptions and the $SYS imports a nats-server leaf has.
    const subs = (z: Record<string, unknown>): string[] => (z.subscriptions_list as string[]).filter((x) => !x.startsWith('$LDS.')).sort();
    expect(subs(t)).toEqual(subs(n));
    expect(subs(t)).toContain('mon.x');
    expect(t.out_msgs).toBe(n.out_msgs);
    expect(t.out_bytes).toBe(n.out_bytes);
    expect((await monitor<Leafz>(ts.http, '/leafz?acc=NONE')).leafnodes).toBe(0);
    type Varz = { leafnodes: number; leaf: Record<string, unknown> };
    const [vt, vn] = [await monitor<Varz>(ts.http, '/varz'), await monitor<Varz>(ns.http, '/varz')];
    expect(vt.leafnodes).toBe(1);
    expect(vn.leafnodes).toBe(1);
    expect(vt.leaf).toEqual({ ...vn.leaf, port: ts.leafPort });
    expect(vn.leaf.port).toBe(ns.leafPort);
  });
});

describe('a hub in a cluster', () => {
  it.each([['tsnats' as ServerKind], ['nats-server' as ServerKind]])(
    'a tsnats hub routed to a %s node: the leaf hears the other node’s interest and its messages, and the other node hears the leaf’s',
    async (otherKind) => {
      const [rA, rB, leafPort] = [await freePort(), await freePort(), await freePort()];
      const route = (p: number): string => `nats-route://127.0.0.1:${p}`;
      await server('tsnats', `cluster { name: C, listen: "127.0.0.1:${rA}", routes: ["${route(rB)}"] }\nleafnodes { listen: "127.0.0.1:${leafPort}" }\n`);
      const b = await server(otherKind, `cluster { name: C, listen: "127.0.0.1:${rB}", routes: ["${route(rA)}"] }\n`);
      const l = await leaf('nats-server', `nats-leaf://127.0.0.1:${leafPort}`);
      await connected(l);
      const bc = await client(b);
      const lc = await client(l);
      const onB = collect(bc, 'c.x');
      const onLeaf = collect(lc, 'c.y');
      await bc.flush();
      await lc.flush();
      await crossed(lc, bc, 'c.x');
      await crossed(bc, lc, 'c.y');
      lc.publish('c.x', 'leaf-to-b');
      bc.publish('c.y', 'b-to-leaf');
      await eventually(() => onB.includes('leaf-to-b') && onLeaf.includes('b-to-leaf'), 'messages across route and leaf');
      await settle();
      expect(onB).toEqual(['leaf-to-b']);
      expect(onLeaf).toEqual(['b-to-leaf']);
      // A queue group with members only on the other node: the leaf's messages reach one of them once.
      const q1 = collect(bc, 'c.q', 'g');
      const q2 = collect(bc, 'c.q', 'g');
      await bc.flush();
      await eventually(
        async () => {
          lc.publish('c.q', 'probe');
          await lc.flush();
          await settle(50);
          return q1.length + q2.length > 0;
        },
        'queue interest across route and leaf',
      );
      q1.length = 0;
      q2.length = 0;
      for (let i = 0; i < 10; i++) lc.publish('c.q', `m${i}`);
      await lc.flush();
      await eventually(() => q1.length + q2.length >= 10, 'queue deliveries');
      await settle();
      expect([...q1, ...q2].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`).sort());
    },
  );
});

describe('credentials', () => {
  it('a tsnats leaf signs the nonce of an operator-mode nats-server hub with a creds file, and is bound to the user’s account', async () => {
    const op = await new Operator().init();
    const acc = await op.account('A', { limits: { conn: -1, subs: -1, payload: -1, data: -1, leaf: -1 } });
    const leafUser = await Operator.user(acc);
    const hubUser = await Operator.user(acc);
    const creds = (u: { kp: { getSeed(): Uint8Array }; jwt: string }): string =>
      `-----BEGIN NATS USER JWT-----\n${u.jwt}\n------END NATS USER JWT------\n\n************************* IMPORTANT *************************\n\n-----BEGIN USER NKEY SEED-----\n${new TextDecoder().decode(u.kp.getSeed())}\n------END USER NKEY SEED------\n`;
    const file = join(op.dir, 'leaf.creds');
    writeFileSync(file, creds(leafUser));
    const leafPort = await freePort();
    const hubSrv = await server('nats-server', op.config(`leafnodes { listen: "127.0.0.1:${leafPort}" }`));
    const l = await leaf('tsnats', `nats-leaf://127.0.0.1:${leafPort}`, `, credentials: "${file}"`);
    await connected(l);
    await eventually(() => hubSrv.output().includes(`for account "${acc.pub}"`), 'the hub binds the leaf to A', 10_000);
    const hc = await connect({ servers: `127.0.0.1:${hubSrv.port}`, authenticator: credsAuthenticator(new TextEncoder().encode(creds(hubUser))), reconnect: false });
    conns.push(hc);
    const lc = await client(l);
    const onLeaf = collect(lc, 'cr.down');
    const onHub = collect(hc, 'cr.up');
    await lc.flush();
    await hc.flush();
    await crossed(hc, lc, 'cr.down');
    await crossed(lc, hc, 'cr.up');
    hc.publish('cr.down', 'd');
    lc.publish('cr.up', 'u');
    await eventually(() => onLeaf.length === 1 && onHub.length === 1, 'messages both ways');

    // A creds file the hub does not trust: refused, and the leaf keeps trying.
    const other = await new Operator().init();
    const stranger = await Operator.user(await other.account('X', {}));
    const bad = join(op.dir, 'bad.creds');
    writeFileSync(bad, creds(stranger));
    const refused = await leaf('tsnats', `nats-leaf://127.0.0.1:${leafPort}`, `, credentials: "${bad}"`);
    await eventually(() => (refused.output().match(/Authorization Violation/g) ?? []).length >= 2, 'refused, then refused again', 10_000);
  });
});

describe('leafnode TLS', () => {
  let dir = '';
  const f = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore', timeout: 10_000 });
  /** A CA `name` and a certificate for 127.0.0.1 signed by it. */
  function ca(name: string): void {
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f(`${name}-ca-key.pem`), '-out', f(`${name}-ca.pem`), '-days', '2', '-subj', `/CN=${name} CA`);
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f(`${name}-key.pem`), '-out', f(`${name}.csr`), '-subj', '/CN=127.0.0.1');
    writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    openssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f(`${name}-ca.pem`), '-CAkey', f(`${name}-ca-key.pem`), '-CAcreateserial', '-out', f(`${name}.pem`), '-days', '2', '-extfile', f('san.ext'));
  }
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsnats-leaftls-'));
    ca('good');
    ca('rogue');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['tsnats' as ServerKind, 'nats-server' as ServerKind],
    ['nats-server' as ServerKind, 'tsnats' as ServerKind],
    ['tsnats' as ServerKind, 'tsnats' as ServerKind],
  ])('a %s hub with leafnode TLS and a %s leaf trusting its CA: INFO in clear, then TLS; traffic both ways', async (hubKind, leafKind) => {
    const h = await hub(hubKind, `, tls { cert_file: "${f('good.pem')}", key_file: "${f('good-key.pem')}" }`);
    const l = await leaf(leafKind, `nats-leaf://127.0.0.1:${h.leafPort}`, `, tls { ca_file: "${f('good-ca.pem')}" }`);
    await connected(h.srv);
    await connected(l);
    const hc = await client(h.srv);
    const lc = await client(l);
    const down = collect(lc, 'tls.down');
    const up = collect(hc, 'tls.up');
    await lc.flush();
    await hc.flush();
    await crossed(hc, lc, 'tls.down');
    await crossed(lc, hc, 'tls.up');
    hc.publish('tls.down', 'd');
    lc.publish('tls.up', 'u');
    await eventually(() => down.length === 1 && up.length === 1, 'messages over TLS');
    // The hub's first INFO says TLS is required.
    const raw = await RawClient.connect(h.leafPort);
    raws.push(raw);
    await raw.expect(/^INFO \{[^\r]*"tls_required":true[^\r]*\} \r\n/);
  });

  it.each([['tsnats' as ServerKind], ['nats-server' as ServerKind]])(
    'a tsnats leaf refuses a %s hub whose certificate its CA did not sign (TLS Handshake Failure), and keeps trying',
    async (hubKind) => {
      const h = await hub(hubKind, `, tls { cert_file: "${f('rogue.pem')}", key_file: "${f('rogue-key.pem')}" }`);
      const l = await leaf('tsnats', `nats-leaf://127.0.0.1:${h.leafPort}`, `, tls { ca_file: "${f('good-ca.pem')}" }`);
      await eventually(() => (l.output().match(/Leafnode connection closed: TLS Handshake Failure/g) ?? []).length >= 2, 'refused twice', 10_000);
      expect(l.output()).toMatch(/\[ERR\] 127\.0\.0\.1:\d+ - lid:\d+ - TLS leafnode handshake error: /);
      expect(l.output()).not.toMatch(/JetStream Not Extended|Adding deny/);
    },
  );
});

describe('deny_imports and deny_exports', () => {
  it.each([
    ['tsnats' as ServerKind, 'nats-server' as ServerKind],
    ['tsnats' as ServerKind, 'tsnats' as ServerKind],
    ['nats-server' as ServerKind, 'tsnats' as ServerKind],
  ])('a %s leaf with deny lists on its remote to a %s hub: denied subjects do not cross, others do', async (leafKind, hubKind) => {
    const h = await hub(hubKind);
    const l = await leaf(leafKind, `nats-leaf://127.0.0.1:${h.leafPort}`, ', deny_exports: ["secret.>"], deny_imports: ["private.>"]');
    await connected(l);
    const hc = await client(h.srv);
    const lc = await client(l);
    const onHub = collect(hc, '*.up');
    const onLeaf = collect(lc, '*.down');
    await hc.flush();
    await lc.flush();
    await crossed(hc, lc, 'open.down');
    await crossed(lc, hc, 'open.up');
    lc.publish('secret.up', 'no');
    lc.publish('open.up', 'yes');
    hc.publish('private.down', 'no');
    hc.publish('open.down', 'yes');
    await eventually(() => onHub.length >= 1 && onLeaf.length >= 1, 'allowed messages');
    await settle(500);
    expect(onHub).toEqual(['yes']);
    expect(onLeaf).toEqual(['yes']);
  });
});

describe('an operator-mode tsnats hub', () => {
  it.each([['tsnats' as ServerKind], ['nats-server' as ServerKind]])(
    'takes a %s leaf with a creds file into the user’s account; a user not allowed LEAFNODE connections and an untrusted one are refused',
    async (leafKind) => {
      const op = await new Operator().init();
      const acc = await op.account('A', { limits: { conn: -1, subs: -1, payload: -1, data: -1, leaf: -1 } });
      const other = await op.account('B', { limits: { conn: -1, subs: -1, payload: -1, data: -1, leaf: -1 } });
      const creds = (u: { kp: { getSeed(): Uint8Array }; jwt: string }): string =>
        `-----BEGIN NATS USER JWT-----\n${u.jwt}\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${new TextDecoder().decode(u.kp.getSeed())}\n------END USER NKEY SEED------\n`;
      const write = (name: string, u: { kp: { getSeed(): Uint8Array }; jwt: string }): string => {
        const file = join(op.dir, name);
        writeFileSync(file, creds(u));
        return file;
      };
      const good = write('leaf.creds', await Operator.user(acc));
      const clientOnly = write('std.creds', await Operator.user(acc, { allowed_connection_types: ['STANDARD'] }));
      const stranger = write('x.creds', await Operator.user(await (await new Operator().init()).account('X', {})));
      const leafPort = await freePort();
      const hubSrv = await server('tsnats', op.config(`leafnodes { listen: "127.0.0.1:${leafPort}" }`));
      const l = await leaf(leafKind, `nats-leaf://127.0.0.1:${leafPort}`, `, credentials: "${good}"`);
      await connected(l);
      await eventually(() => hubSrv.output().includes(`for account "${acc.pub}"`), 'the hub binds the leaf to A', 10_000);
      const inA = await connect({ servers: `127.0.0.1:${hubSrv.port}`, authenticator: credsAuthenticator(new TextEncoder().encode(creds(await Operator.user(acc)))), reconnect: false });
      const inB = await connect({ servers: `127.0.0.1:${hubSrv.port}`, authenticator: credsAuthenticator(new TextEncoder().encode(creds(await Operator.user(other)))), reconnect: false });
      conns.push(inA, inB);
      const lc = await client(l);
      const gotA = collect(inA, 'op.up');
      const gotB = collect(inB, 'op.up');
      await inA.flush();
      await inB.flush();
      await crossed(lc, inA, 'op.up');
      lc.publish('op.up', 'x');
      await eventually(() => gotA.length === 1, 'the leaf reaches account A');
      await settle();
      expect(gotB).toEqual([]);
      for (const file of [clientOnly, stranger]) {
        const refused = await leaf(leafKind, `nats-leaf://127.0.0.1:${leafPort}`, `, credentials: "${file}"`);
        await eventually(() => /Authorization Violation/.test(refused.output()), `refused: ${file}`, 10_000);
        expect(refused.output()).not.toMatch(/JetStream Not Extended|Adding deny/);
      }
    },
  );
});

describe('a leaf user JWT’s permissions (operator-mode hub)', () => {
  it.each([
    ['tsnats' as ServerKind, 'nats-server' as ServerKind],
    ['nats-server' as ServerKind, 'tsnats' as ServerKind],
    ['tsnats' as ServerKind, 'tsnats' as ServerKind],
  ])('%s hub, %s leaf: the leaf publishes and subscribes only where its user may, and stays connected', async (hubKind, leafKind) => {
    const op = await new Operator().init();
    const acc = await op.account('A', { limits: { conn: -1, subs: -1, payload: -1, data: -1, leaf: -1 } });
    const creds = (u: { kp: { getSeed(): Uint8Array }; jwt: string }): string =>
      `-----BEGIN NATS USER JWT-----\n${u.jwt}\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${new TextDecoder().decode(u.kp.getSeed())}\n------END USER NKEY SEED------\n`;
    const file = join(op.dir, 'leaf.creds');
    writeFileSync(file, creds(await Operator.user(acc, { pub: { allow: ['up.>'] }, sub: { allow: ['down.>'] } })));
    const leafPort = await freePort();
    const hubSrv = await server(hubKind, op.config(`leafnodes { listen: "127.0.0.1:${leafPort}" }`));
    const l = await leaf(leafKind, `nats-leaf://127.0.0.1:${leafPort}`, `, credentials: "${file}"`);
    await connected(l);
    const hc = await connect({ servers: `127.0.0.1:${hubSrv.port}`, authenticator: credsAuthenticator(new TextEncoder().encode(creds(await Operator.user(acc)))), reconnect: false });
    conns.push(hc);
    const lc = await client(l);
    const onHub = collect(hc, 'up.>');
    const notOnHub = collect(hc, 'other.>');
    const onLeaf = collect(lc, 'down.>');
    const notOnLeaf = collect(lc, 'nope.>');
    const literal = collect(lc, 'nope.x');
    await hc.flush();
    await lc.flush();
    await crossed(lc, hc, 'up.p');
    await crossed(hc, lc, 'down.p');
    await settle();
    onHub.length = 0;
    onLeaf.length = 0;
    lc.publish('up.1', 'u');
    lc.publish('other.1', 'o');
    hc.publish('down.1', 'd');
    hc.publish('nope.x', 'n');
    await lc.flush();
    await hc.flush();
    await eventually(() => onHub.length >= 1 && onLeaf.length >= 1, 'the allowed messages');
    await settle();
    expect(onHub).toEqual(['u']);
    expect(onLeaf).toEqual(['d']);
    expect([...notOnHub, ...notOnLeaf, ...literal]).toEqual([]);
    // The hub never saw interest it does not allow: no violation, the connection is the first one.
    for (const s of [hubSrv, l]) expect(s.output()).not.toMatch(/Permissions Violation|Leafnode connection closed/);
  });
});
