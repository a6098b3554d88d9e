// Accounts: isolated subject spaces, stream and service imports/exports, `$G`, and the
// embedder's authenticate naming an account. The official client against tsnats, and raw byte
// transcripts compared with nats-server 2.9.10 running the same config.
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigString } from '../src/config/conf.js';
import { optionsFromConfig } from '../src/config/options.js';
import { type ServerHandle, startServer, type StartOptions } from '../src/index.js';
import { RawClient, spawnServer, type ServerKind, type SpawnedServer } from './helpers/index.js';

const started: ServerHandle[] = [];
const spawned: SpawnedServer[] = [];
const conns: NatsConnection[] = [];
const raws: RawClient[] = [];
afterEach(async () => {
  await Promise.all(raws.splice(0).map((c) => c.close()));
  await Promise.all(conns.splice(0).map((c) => c.close().catch(() => {})));
  await Promise.all(started.splice(0).map((s) => s.shutdown()));
  await Promise.all(spawned.splice(0).map((s) => s.stop()));
});

const CONF = `
accounts {
  A {
    users [{user: a, password: a}]
    exports [
      {stream: "feed.>"}
      {service: "svc.echo"}
      {service: "svc.*.x"}
      {stream: "private.>", accounts: [C]}
      {service: "multi", response_type: stream}
    ]
  }
  B {
    users [{user: b, password: b}]
    imports [
      {stream: {account: A, subject: "feed.>"}, prefix: "a"}
      {service: {account: A, subject: "svc.echo"}, to: "echo"}
      {service: {account: A, subject: "svc.*.x"}}
      {service: {account: A, subject: "multi"}}
    ]
  }
  C {
    users [{user: c, password: c}]
    imports [{stream: {account: A, subject: "private.>"}, to: "mine.>"}]
  }
}
authorization { users [{user: g, password: g}] }
`;

async function server(text: string, extra: StartOptions = {}): Promise<ServerHandle> {
  const opts = optionsFromConfig(parseConfigString(text, 'accounts.conf'));
  const s = await startServer({ ...opts, host: '127.0.0.1', port: -1, ...extra });
  started.push(s);
  return s;
}

async function client(port: number, user: string): Promise<NatsConnection> {
  const nc = await connect({ port, user, pass: user });
  conns.push(nc);
  return nc;
}

/** Collects what `subject` receives on `nc` until `ms` of quiet. */
async function collect(nc: NatsConnection, subject: string, act: () => Promise<void>, ms = 150): Promise<string[]> {
  const got: string[] = [];
  const sub = nc.subscribe(subject, {
    callback: (_e, m) => {
      got.push(`${m.subject} ${m.string()}`);
    },
  });
  await nc.flush();
  await act();
  await new Promise((r) => setTimeout(r, ms));
  sub.unsubscribe();
  return got;
}

describe('accounts with the official client', () => {
  it('keep subject spaces apart: $G, A, B and C never see each other', async () => {
    const s = await server(CONF);
    const all = await Promise.all(['a', 'b', 'c', 'g'].map((u) => client(s.port, u)));
    const seen: string[][] = all.map(() => []);
    all.forEach((nc, i) =>
      nc.subscribe('iso.>', {
        callback: (_e, m) => {
          seen[i]!.push(`${m.subject} ${m.string()}`);
        },
      }),
    );
    await Promise.all(all.map((nc) => nc.flush()));
    all.forEach((nc, i) => nc.publish(`iso.${i}`, 'x'));
    await Promise.all(all.map((nc) => nc.flush()));
    await new Promise((r) => setTimeout(r, 150));
    expect(seen).toEqual([['iso.0 x'], ['iso.1 x'], ['iso.2 x'], ['iso.3 x']]);
    expect((s.connz({ auth: true }).connections ?? []).map((x) => x.account ?? '$G')).toEqual(['A', 'B', 'C', '$G']);
  });

  it('stream import with a prefix: A publishes feed.x, B receives a.feed.x and not feed.x', async () => {
    const s = await server(CONF);
    const a = await client(s.port, 'a');
    const b = await client(s.port, 'b');
    const plain = await collect(b, 'feed.>', async () => {
      const got = await collect(b, 'a.feed.>', async () => {
        a.publish('feed.x', 'one');
        a.publish('feed.y.z', 'two');
        a.publish('other', 'no');
        await a.flush();
      });
      expect(got).toEqual(['a.feed.x one', 'a.feed.y.z two']);
    });
    expect(plain).toEqual([]);
  });

  it('a stream exported to C only reaches C (mapped with to), not B', async () => {
    const s = await server(CONF);
    const a = await client(s.port, 'a');
    const b = await client(s.port, 'b');
    const c = await client(s.port, 'c');
    const [gotB, gotC] = await Promise.all([
      collect(b, '>', async () => {
        await new Promise((r) => setTimeout(r, 20));
        a.publish('private.k', 'secret');
        await a.flush();
      }),
      collect(c, 'mine.>', async () => {
        await new Promise((r) => setTimeout(r, 20));
      }),
    ]);
    expect(gotC).toEqual(['mine.k secret']);
    expect(gotB.filter((m) => m.includes('secret'))).toEqual([]);
  });

  it('service import: B requests echo, A answers on svc.echo, the reply is routed back', async () => {
    const s = await server(CONF);
    const a = await client(s.port, 'a');
    const b = await client(s.port, 'b');
    const seen: { subject: string; reply: string; info: string }[] = [];
    a.subscribe('svc.echo', {
      callback: (_e, m) => {
        seen.push({ subject: m.subject, reply: m.reply ?? '', info: m.headers?.get('Nats-Request-Info') ?? '' });
        m.respond(`echo:${m.string()}`);
      },
    });
    await a.flush();
    const r = await b.request('echo', 'hi', { timeout: 2000 });
    expect(r.string()).toBe('echo:hi');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.subject).toBe('svc.echo');
    expect(seen[0]!.reply).toMatch(/^_R_\.[0-9A-Za-z]{6}\.[0-9A-Za-z]{6}$/);
    expect(JSON.parse(seen[0]!.info)).toMatchObject({ acc: 'B' });
  });

  it('service import of a wildcard export; headers of the request survive', async () => {
    const s = await server(CONF);
    const a = await client(s.port, 'a');
    const b = await client(s.port, 'b');
    a.subscribe('svc.*.x', {
      callback: (_e, m) => void m.respond(`${m.subject}:${m.headers?.get('X-Trace') ?? ''}`),
    });
    await a.flush();
    const h = headers();
    h.set('X-Trace', 't1');
    const r = await b.request('svc.q.x', 'hi', { timeout: 2000, headers: h });
    expect(r.string()).toBe('svc.q.x:t1');
  });

  it('a singleton service answers once; a stream service may answer many times', async () => {
    const s = await server(CONF);
    const a = await client(s.port, 'a');
    const b = await client(s.port, 'b');
    a.subscribe('svc.echo', {
      callback: (_e, m) => {
        m.respond('1');
        m.respond('2');
      },
    });
    a.subscribe('multi', {
      callback: (_e, m) => {
        m.respond('1');
        m.respond('2');
      },
    });
    await a.flush();
    const inbox = 'reply.in.b';
    const once = await collect(b, inbox, async () => b.publish('echo', 'q', { reply: inbox }));
    expect(once).toEqual([`${inbox} 1`]);
    const many = await collect(b, inbox, async () => b.publish('multi', 'q', { reply: inbox }));
    expect(many).toEqual([`${inbox} 1`, `${inbox} 2`]);
  });

  it('no responders through an account without the import: 503 for B in its own space', async () => {
    const s = await server(CONF);
    const b = await client(s.port, 'b');
    await expect(b.request('nobody.here', 'x', { timeout: 1000 })).rejects.toThrow(/no responders/i);
  });

  it('/subsz filters by account and /connz reports the account', async () => {
    const s = await server(CONF);
    const a = await client(s.port, 'a');
    a.subscribe('only.in.a');
    await a.flush();
    const list = (acc: string): string[] => (s.subsz({ subscriptions: true, account: acc }).subscriptions_list ?? []).map((x) => x.subject);
    expect(list('A')).toEqual(['only.in.a']);
    expect(list('B')).toEqual([]);
    expect((s.connz({ auth: true, account: 'A' }).connections ?? []).map((c) => c.account)).toEqual(['A']);
  });
});

describe('accounts on reload', () => {
  it('a client whose user left or changed account is closed without a word; the others stay', async () => {
    const conf = (users: string): string => `accounts { A { users [${users}] }, B { } }`;
    const s = await server(conf('{user: a, password: a}, {user: m, password: m}, {user: d, password: d}'));
    const open = async (user: string): Promise<RawClient> => {
      const c = await RawClient.connect(s.port);
      raws.push(c);
      c.send(`CONNECT {"verbose":false,"user":"${user}","pass":"${user}"}\r\nPING\r\n`);
      await c.expect('PONG\r\n');
      return c;
    };
    const [a, m, d] = [await open('a'), await open('m'), await open('d')];
    const next = optionsFromConfig(parseConfigString(`accounts { A { users [{user: a, password: a}] }, B { users [{user: m, password: m}] } }`, 'r.conf'));
    s.reload({ users: next.users, accounts: next.accounts });
    expect(await m.closedWithin(1000)).toBe(true);
    expect(await d.closedWithin(1000)).toBe(true);
    expect(m.received().toString()).not.toContain('-ERR');
    expect(d.received().toString()).not.toContain('-ERR');
    a.send('PING\r\n');
    await a.expect('PONG\r\n');
    await open('m');
    expect((s.connz({ auth: true }).connections ?? []).map((c) => [c.authorized_user, c.account])).toEqual([
      ['a', 'A'],
      ['m', 'B'],
    ]);
  });
});

describe('accounts from an embedder', () => {
  it('authenticate may put a client in a named account, made on first use', async () => {
    const s = await server('', {
      authenticate: (req) => ({ allow: true, account: req.connect.user === 'x' ? 'X' : undefined }),
    });
    const x = await connect({ port: s.port, user: 'x', pass: '' });
    const y = await connect({ port: s.port, user: 'y', pass: '' });
    conns.push(x, y);
    const gotX = await collect(x, 'e.>', async () => {
      y.publish('e.1', 'from-y');
      x.publish('e.2', 'from-x');
      await Promise.all([x.flush(), y.flush()]);
    });
    expect(gotX).toEqual(['e.2 from-x']);
  });
});

/** Raw byte scripts against nats-server and tsnats with the same config: same transcripts. */
describe('accounts on the wire, compared with nats-server', () => {
  const normalize = (s: string): string =>
    s
      .replace(/^INFO .*\r\n/gm, 'INFO\r\n')
      .replace(/_R_\.[0-9A-Za-z]{6}\.[0-9A-Za-z]{6}/g, '_R_.X.Y')
      .replace(/"rtt":\d+/g, '"rtt":N')
      // The rtt's digits change the header size: keep the body size only.
      .replace(/^(HMSG \S+ \S+ _R_\.X\.Y) (\d+) (\d+)\r\n/gm, (_, head: string, hdr: string, total: string) => `${head} H+${Number(total) - Number(hdr)}\r\n`);

  async function transcript(kind: ServerKind): Promise<string[]> {
    const srv = await spawnServer(kind, { config: CONF });
    spawned.push(srv);
    const open = async (user: string, script: string): Promise<RawClient> => {
      const c = await RawClient.connect(srv.port);
      raws.push(c);
      c.send(`CONNECT {"verbose":false,"user":"${user}","pass":"${user}","headers":true}\r\n${script}PING\r\n`);
      await c.expect('PONG\r\n');
      return c;
    };
    const a = await open('a', 'SUB svc.echo 1\r\nSUB feed.> 2\r\n');
    const b = await open('b', 'SUB a.feed.> 1\r\nSUB feed.> 2\r\nSUB in.> 3\r\n');
    const c = await open('c', 'SUB mine.> 1\r\nSUB private.> 2\r\n');
    const p = await open('a', 'PUB feed.x 2\r\nhi\r\nHPUB private.k 12 14\r\nNATS/1.0\r\n\r\nok\r\n');
    await a.expect(/MSG feed\.x 2 2\r\nhi\r\n/);
    await b.expect(/hi\r\n/);
    await c.expect(/ok\r\n/);
    b.send('PUB echo in.r1 4\r\nreq1\r\nPING\r\n');
    await a.expect(/req1\r\n/);
    const req = a.received().toString('latin1');
    const reply = /(_R_\.\w+\.\w+)/.exec(req)![1];
    a.send(`PUB ${reply} 4\r\nresp\r\nPING\r\n`);
    await b.expect(/resp\r\n/);
    // That PING's PONG first: the final round below must wait for its own PONG.
    await a.expect('PONG\r\n');
    await Promise.all([a, b, c, p].map((x) => x.send('PING\r\n')));
    await Promise.all([a, b, c].map((x) => x.expect(/PONG\r\n$/)));
    return [a, b, c].map((x) => normalize(x.received().toString('latin1')));
  }

  it('stream imports (prefix and to), a service request with its header, and the response', async () => {
    const [ours, theirs] = await Promise.all([transcript('tsnats'), transcript('nats-server')]);
    expect(ours).toEqual(theirs);
  });
});
