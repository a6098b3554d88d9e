// Differential tests of the route protocol: the same bytes sent to nats-server 2.9.10's route
// port and to the cluster module's, and what each answers compared byte for byte (after
// replacing ids, ports and nonces, and dropping nats-server's $SYS traffic). Also what each
// sends first when it solicits a route, what it gossips, and its lame duck INFO.

import { afterEach, describe, expect, it } from 'vitest';
import { RawClient } from './helpers/index.js';
import {
  Capture,
  clusterOptions,
  eventually,
  natsNode,
  type NatsNode,
  normalizeRouteInfo,
  RawRoute,
  routeLines,
  TestHost,
} from './helpers/cluster.js';
import { startServer } from '../src/index.js';
import type { ClusterOptions, ServerOptions } from '../src/config/types.js';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  const list = cleanups;
  cleanups = [];
  for (const f of list.reverse()) await f();
});

const PEER_ID = 'NDIFFPEER0000000000000000000000000000000000000000000000';
const PEER_ID2 = 'NDIFFPEER1111111111111111111111111111111111111111111111';

/** A route peer's INFO as nats-server would send it. */
function peerInfo(id: string, port: number, extra: Record<string, unknown> = {}): string {
  return `INFO ${JSON.stringify({
    server_id: id,
    server_name: id,
    version: '2.9.10',
    proto: 2,
    go: 'go1.19.8',
    host: '127.0.0.1',
    port,
    headers: true,
    max_payload: 1048576,
    cluster: 'C1',
    connect_urls: [`127.0.0.1:${port + 1}`],
    lnoc: true,
    ...extra,
  })} \r\n`;
}

const ROUTE_CONNECT = (id: string, extra = ''): string =>
  'CONNECT {"echo":true,"verbose":false,"pedantic":false,"tls_required":false,"headers":true,' +
  `"name":"${id}","cluster":"C1"${extra},"lnoc":true}\r\n`;

interface Side {
  kind: 'nats-server' | 'tsnats';
  /** The route port. */
  port: number;
  /** Adds a local subscription on the server. */
  sub(subject: string, queue?: string): Promise<void>;
  /** Publishes from a local client. */
  pub(subject: string, payload: string, reply?: string, hdr?: string): Promise<void>;
  /** Sends raw client protocol bytes (PUB/HPUB as written) from the local client; not on tsSide. */
  pubRaw?(text: string): Promise<void>;
  /** The local client that made the subscriptions goes away (all of them at once). */
  closeClient(): Promise<void>;
  /** Lame duck mode. */
  lameDuck(): Promise<void>;
  serverId: string;
}

/** One raw client (headers on) of the server at `clientPort`, made on first use. */
function localClient(clientPort: number): Pick<Side, 'sub' | 'pub' | 'pubRaw' | 'closeClient'> & { conn(): Promise<RawClient> } {
  let c: RawClient | null = null;
  const conn = async (): Promise<RawClient> => {
    if (c === null) {
      const fresh = await RawClient.connect(clientPort);
      cleanups.push(() => fresh.close());
      await fresh.expect(/^INFO .*\r\n/);
      fresh.send('CONNECT {"verbose":false,"headers":true}\r\n');
      await fresh.ping();
      c = fresh;
    }
    return c;
  };
  let sid = 0;
  return {
    conn,
    async sub(subject, queue) {
      const cl = await conn();
      cl.send(`SUB ${subject}${queue ? ' ' + queue : ''} ${++sid}\r\n`);
      await cl.ping();
    },
    async pub(subject, payload, reply, hdr) {
      const cl = await conn();
      const r = reply ? ' ' + reply : '';
      if (hdr !== undefined) cl.send(`HPUB ${subject}${r} ${hdr.length} ${hdr.length + payload.length}\r\n${hdr}${payload}\r\n`);
      else cl.send(`PUB ${subject}${r} ${payload.length}\r\n${payload}\r\n`);
      await cl.ping();
    },
    async pubRaw(text) {
      const cl = await conn();
      cl.send(text);
      await cl.ping();
    },
    async closeClient() {
      await (await conn()).close();
      c = null;
    },
  };
}

/** nats-server with equivalent options; `config` is nats-server config text for the extras. */
async function natsSide(o: { config?: string; cluster?: string; name?: string; routes?: string[] } = {}): Promise<Side> {
  const n: NatsNode = await natsNode(o);
  cleanups.push(() => n.stop());
  const client = localClient(n.srv.port);
  const id = /ID:\s+(N[A-Z0-9]{55})/.exec(n.srv.output())?.[1] ?? '';
  return {
    kind: 'nats-server',
    port: n.clusterPort,
    serverId: id,
    ...client,
    async lameDuck() {
      await client.conn();
      n.srv.proc.kill('SIGUSR2');
    },
  };
}

/** A whole tsnats server in this process: its clients' PUBs reach the routes as scan records. */
async function serverSide(): Promise<Side> {
  const handle = await startServer({ host: '127.0.0.1', port: -1, cluster: clusterOptions(), log: () => undefined });
  cleanups.push(() => handle.shutdown());
  return {
    kind: 'tsnats',
    port: handle.server.cluster!.port,
    serverId: handle.server.id,
    ...localClient(handle.port),
    lameDuck: () => handle.lameDuck(),
  };
}

async function tsSide(c: Partial<ClusterOptions> = {}, o: Partial<ServerOptions> = {}): Promise<Side> {
  const h = new TestHost(c, o);
  await h.cluster.start();
  cleanups.push(() => h.cluster.shutdown());
  const subs: ReturnType<TestHost['sub']>[] = [];
  return {
    kind: 'tsnats',
    port: h.cluster.port,
    serverId: h.serverId,
    async sub(subject, queue) {
      subs.push(h.sub(subject, queue ?? null));
    },
    async pub(subject, payload, reply, hdr) {
      h.publish(subject, payload, { reply, hdr });
    },
    async closeClient() {
      for (const s of subs.splice(0)) h.unsub(s);
    },
    async lameDuck() {
      h.cluster.lameDuck();
    },
  };
}

async function raw(side: Side): Promise<RawRoute> {
  const r = await RawRoute.connect(side.port);
  cleanups.push(() => r.close());
  await r.waitFor(/^INFO .* \r\n/);
  return r;
}

/** What a side answered, normalized: INFO JSON fields replaced, $SYS traffic dropped. */
function normalized(data: string): string[] {
  return routeLines(data).map((l) =>
    l.startsWith('INFO ') ? `INFO ${normalizeRouteInfo(l.slice(5).trimEnd())}${l.endsWith(' ') ? ' ' : ''}` : l,
  );
}

/** Runs `script` against both, waits for quiet, and returns both normalized transcripts. */
async function both(
  make: () => Promise<[Side, Side]>,
  script: (r: RawRoute, s: Side) => Promise<void>,
  settleMs = 300,
): Promise<{ nats: string[]; ts: string[]; closed: [boolean, boolean] }> {
  const [a, b] = await make();
  const ra = await raw(a);
  const rb = await raw(b);
  await Promise.all([script(ra, a), script(rb, b)]);
  await new Promise((r) => setTimeout(r, settleMs));
  return { nats: normalized(ra.data), ts: normalized(rb.data), closed: [ra.closed, rb.closed] };
}

describe('route INFO on accept', () => {
  const cases: [string, () => Promise<[Side, Side]>][] = [
    ['defaults', async () => [await natsSide(), await tsSide()]],
    [
      'cluster authorization',
      async () => [
        await natsSide({ cluster: 'authorization { user: u, password: p }' }),
        await tsSide({ username: 'u', password: 'p' }),
      ],
    ],
    [
      'cluster_advertise',
      async () => [await natsSide({ cluster: 'advertise: "10.1.2.3:7777"' }), await tsSide({ advertise: '10.1.2.3:7777' })],
    ],
    ['no_advertise', async () => [await natsSide({ cluster: 'no_advertise: true' }), await tsSide({ noAdvertise: true })]],
    ['dynamic name', async () => [await natsSide({ name: '' }), await tsSide({ name: '' })]],
    [
      'permissions',
      async () => [
        await natsSide({ cluster: 'permissions { import: { allow: ["a.>"] }, export: { deny: ["b.*", "c"] } }' }),
        await tsSide({ permissions: { import: { allow: ['a.>'], deny: null }, export: { allow: null, deny: ['b.*', 'c'] } } }),
      ],
    ],
    [
      'no_header_support, max_payload',
      async () => [
        await natsSide({ config: 'no_header_support: true\nmax_payload: 2048\n' }),
        await tsSide({}, { noHeaderSupport: true, maxPayload: 2048 }),
      ],
    ],
  ];
  for (const [name, make] of cases) {
    it(name, async () => {
      const [a, b] = await make();
      const ra = await raw(a);
      const rb = await raw(b);
      const na = normalized(ra.data)[0].replace(/"cluster":"[0-9A-Za-z]{22}"/, '"cluster":"<dynamic>"');
      const nb = normalized(rb.data)[0].replace(/"cluster":"[0-9A-Za-z]{22}"/, '"cluster":"<dynamic>"');
      expect(nb).toBe(na);
      expect(rb.data.endsWith('} \r\n')).toBe(true);
    });
  }
});

describe('handshake errors, byte for byte', () => {
  const AUTH = 'authorization { user: u, password: p }';
  const scripts: [string, string, Partial<ClusterOptions>, string?][] = [
    ['a client CONNECT on the route port', 'CONNECT {"verbose":false,"lang":"node","version":"3.0.0","protocol":1}\r\n', {}],
    ['another cluster name', ROUTE_CONNECT(PEER_ID).replace('"C1"', '"OTHER"'), {}],
    ['a gateway on the route port', `CONNECT {"echo":true,"name":"${PEER_ID}","cluster":"C1","gateway":"GW"}\r\n`, {}],
    [
      'a wrong route password',
      ROUTE_CONNECT(PEER_ID).replace('"pedantic":false', '"pedantic":false,"user":"u","pass":"x"'),
      { username: 'u', password: 'p' },
      AUTH,
    ],
    ['no CONNECT when authorization is required', 'PING\r\n', { username: 'u', password: 'p' }, AUTH],
    ['an unknown operation', 'FOO bar\r\n', {}],
    ['a bad RMSG', 'RMSG $G\r\n', {}],
    ['PING', 'PING\r\n', {}],
    ['PING with trailing text', 'PINGPONG\r\n', {}],
    ['a route -ERR', "-ERR 'something'\r\n", {}],
    ['an INFO without host or port (the route goes on)', `INFO {"server_id":"${PEER_ID}","cluster":"C1"}\r\nPING\r\n`, {}],
  ];
  for (const [name, text, copts, cluster] of scripts) {
    it(name, async () => {
      const r = await both(
        async () => [await natsSide({ cluster }), await tsSide(copts)],
        async (route) => route.send(text),
      );
      expect(r.ts).toEqual(r.nats);
      expect(r.closed[1]).toBe(r.closed[0]);
    });
  }

  it('route to self: the server closes silently', async () => {
    const r = await both(
      async () => [await natsSide(), await tsSide()],
      async (route, side) => route.send(ROUTE_CONNECT(side.serverId) + peerInfo(side.serverId, 1)),
    );
    expect(r.ts).toEqual(r.nats);
    expect(r.closed).toEqual([true, true]);
  });

  it('an accepted route with our server name is closed silently', async () => {
    const r = await both(
      async () => [await natsSide({ config: 'server_name: dup\n' }), await tsSide({}, { serverName: 'dup' })],
      async (route) => route.send(ROUTE_CONNECT(PEER_ID) + peerInfo(PEER_ID, 7001, { server_name: 'dup' })),
    );
    expect(r.ts).toEqual(r.nats);
    expect(r.closed).toEqual([true, true]);
  });

  it('no CONNECT within the cluster authorization timeout', async () => {
    const r = await both(
      async () => [
        await natsSide({ cluster: 'authorization { user: u, password: p, timeout: 0.3 }' }),
        await tsSide({ username: 'u', password: 'p', authTimeoutMs: 300 }),
      ],
      async () => undefined,
      800,
    );
    expect(r.ts).toEqual(r.nats);
    expect(r.ts.at(-1)).toBe("-ERR 'Authentication Timeout'");
    expect(r.closed).toEqual([true, true]);
  });

  it('duplicate route: the second connection is closed silently', async () => {
    const [a, b] = [await natsSide(), await tsSide()];
    const out: string[][] = [];
    const closed: boolean[] = [];
    for (const side of [a, b]) {
      const first = await raw(side);
      first.send(ROUTE_CONNECT(PEER_ID) + peerInfo(PEER_ID, 7001));
      await first.waitFor(/PING\r\n|RS\+/, 3000).catch(() => undefined);
      const second = await raw(side);
      second.send(ROUTE_CONNECT(PEER_ID) + peerInfo(PEER_ID, 7001));
      await second.waitClosed(3000);
      out.push(normalized(second.data));
      closed.push(first.closed);
    }
    expect(out[1]).toEqual(out[0]);
    expect(closed).toEqual([false, false]);
  });

  it('verbose route: +OK after RS+, RS- and RMSG', async () => {
    const r = await both(
      async () => [await natsSide(), await tsSide()],
      async (route) => {
        route.send(ROUTE_CONNECT(PEER_ID).replace('"verbose":false', '"verbose":true') + peerInfo(PEER_ID, 7001));
        route.send('RS+ $G foo\r\nRS- $G foo\r\nRMSG $G nothing 2\r\nhi\r\n');
      },
    );
    expect(r.ts).toEqual(r.nats);
  });
});

describe('interest and message lines, byte for byte', () => {
  it('RS+ / RS- for plain and queue interest, and the full set for a new route', async () => {
    const r = await both(
      async () => [await natsSide(), await tsSide()],
      async (route, side) => {
        await side.sub('before');
        await side.sub('grp.before', 'q');
        route.send(ROUTE_CONNECT(PEER_ID) + peerInfo(PEER_ID, 7001));
        await route.waitFor(/RS\+ \$G grp\.before q 1\r\n/);
        await side.sub('foo');
        await side.sub('foo');
        await side.sub('bar.*', 'workers');
        await side.sub('bar.*', 'workers');
      },
    );
    const sortFirst = (l: string[]): string[] => [l[0], ...l.slice(1, 3).sort(), ...l.slice(3)];
    expect(sortFirst(r.ts)).toEqual(sortFirst(r.nats));
  });

  it('a closing client with several members sends one RS- per key', async () => {
    const r = await both(
      async () => [await natsSide(), await tsSide()],
      async (route, side) => {
        route.send(ROUTE_CONNECT(PEER_ID) + peerInfo(PEER_ID, 7001) + 'PING\r\n');
        await route.waitFor(/PONG\r\n/);
        await side.sub('x');
        await side.sub('x');
        await side.sub('y', 'q');
        await side.sub('y', 'q');
        await side.sub('y', 'q');
        await route.waitFor(/RS\+ \$G y q 3\r\n/);
        await side.closeClient();
      },
    );
    expect(r.ts).toEqual(r.nats);
    expect(r.ts.slice(-2).sort()).toEqual(['RS- $G x', 'RS- $G y q']);
  });

  it('RMSG with reply, with queue lists, and HMSG', async () => {
    const r = await both(
      async () => [await natsSide(), await tsSide()],
      async (route, side) => {
        route.send(ROUTE_CONNECT(PEER_ID) + peerInfo(PEER_ID, 7001));
        route.send('RS+ $G foo\r\nRS+ $G work q1 1\r\nRS+ $G work2 q2 3\r\nPING\r\n');
        await route.waitFor(/PONG\r\n/);
        await side.pub('foo', 'hello', 'reply.x');
        await side.pub('foo', 'plain');
        await side.pub('work', 'job', 'inbox.1');
        await side.pub('work2', 'job2');
        await side.pub('foo', 'body', undefined, 'NATS/1.0\r\nX: y\r\n\r\n');
      },
    );
    expect(r.ts).toEqual(r.nats);
  });

  it('HMSG to a route without header support is RMSG with the body only', async () => {
    const r = await both(
      async () => [await natsSide(), await tsSide()],
      async (route, side) => {
        route.send(ROUTE_CONNECT(PEER_ID).replace('"headers":true', '"headers":false') + peerInfo(PEER_ID, 7001, { headers: false }));
        route.send('RS+ $G foo\r\nPING\r\n');
        await route.waitFor(/PONG\r\n/);
        await side.pub('foo', 'body', undefined, 'NATS/1.0\r\nX: y\r\n\r\n');
      },
    );
    expect(r.ts).toEqual(r.nats);
  });
});

describe('RMSG / HMSG for client PUBs (scan records), byte for byte', () => {
  // Size tokens go out as the publisher wrote them (nats-server copies pa.szb / pa.hdb), except
  // the body size of an HPUB whose headers are stripped, which is written in decimal.
  const PUBS =
    'PUB foo 007\r\nhello12\r\n' +
    'PUB  foo\t reply.x  05\r\nhello\r\n' +
    'PUB work 3\r\njob\r\n' +
    'PUB work inbox.1 03\r\njob\r\n' +
    'PUB work2 0\r\n\r\n' +
    'HPUB foo 012 0017\r\nNATS/1.0\r\n\r\nworld\r\n' +
    'HPUB foo r.1 12 17\r\nNATS/1.0\r\n\r\nworld\r\n' +
    'HPUB work r.2 12 0012\r\nNATS/1.0\r\n\r\n\r\n' +
    'HPUB foo 0 05\r\nhello\r\n' +
    `PUB foo 300\r\n${'x'.repeat(300)}\r\n`;

  for (const headers of [true, false]) {
    it(`route ${headers ? 'with' : 'without'} header support`, async () => {
      const r = await both(
        async () => [await natsSide(), await serverSide()],
        async (route, side) => {
          const connect = ROUTE_CONNECT(PEER_ID);
          route.send(
            (headers ? connect : connect.replace('"headers":true', '"headers":false')) + peerInfo(PEER_ID, 7001, { headers }),
          );
          route.send('RS+ $G foo\r\nRS+ $G work q1 1\r\nRS+ $G work2 q2 2\r\nPING\r\n');
          await route.waitFor(/PONG\r\n/);
          await side.pubRaw!(PUBS);
        },
      );
      expect(r.ts).toEqual(r.nats);
      expect(r.ts.filter((l) => /^[RH]MSG /.test(l))).toHaveLength(10);
      expect(r.ts).toContain('RMSG $G foo 007');
    });
  }

  it('several queue groups: one RMSG names each (in any order, as nats-server)', async () => {
    const r = await both(
      async () => [await natsSide(), await serverSide()],
      async (route, side) => {
        route.send(ROUTE_CONNECT(PEER_ID) + peerInfo(PEER_ID, 7001));
        route.send('RS+ $G multi qa 1\r\nRS+ $G multi qb 2\r\nRS+ $G multi qc 1\r\nPING\r\n');
        await route.waitFor(/PONG\r\n/);
        await side.pubRaw!('PUB multi 2\r\nhi\r\nPUB multi r.9 02\r\nhi\r\n');
      },
    );
    const sorted = (l: string[]): string[] =>
      l.map((x) => {
        const m = /^(RMSG \$G multi (?:\| |\+ r\.9 ))(.*) (\d+)$/.exec(x);
        return m ? `${m[1]}${m[2].split(' ').sort().join(' ')} ${m[3]}` : x;
      });
    expect(sorted(r.ts)).toEqual(sorted(r.nats));
    expect(sorted(r.ts)).toContain('RMSG $G multi | qa qb qc 2');
    expect(sorted(r.ts)).toContain('RMSG $G multi + r.9 qa qb qc 02');
  });
});

describe('what a server sends when it solicits', () => {
  it('CONNECT then INFO, without waiting', async () => {
    const ca = await Capture.listen();
    const cb = await Capture.listen();
    cleanups.push(() => ca.close(), () => cb.close());
    await natsSide({ routes: [`nats-route://127.0.0.1:${ca.port}`] });
    const h = new TestHost({ routes: [`nats-route://127.0.0.1:${cb.port}`] });
    await h.cluster.start();
    cleanups.push(() => h.cluster.shutdown());
    await eventually(() => (ca.data[0] ?? '').includes(' \r\n') && (cb.data[0] ?? '').includes(' \r\n'), 'CONNECT and INFO');
    const norm = (d: string): string[] =>
      d
        .split('\r\n')
        .filter((l) => l !== '')
        .map((l) => {
          const sp = l.indexOf(' ');
          return `${l.slice(0, sp)} ${normalizeRouteInfo(l.slice(sp + 1).trimEnd())}`;
        });
    expect(norm(cb.data[0])).toEqual(norm(ca.data[0]));
    expect(cb.data[0]).toMatch(/^CONNECT \{[^\r]*\}\r\nINFO \{[^\r]*\} \r\n$/);
  });

  it('credentials from the route URL go into CONNECT', async () => {
    const ca = await Capture.listen();
    const cb = await Capture.listen();
    cleanups.push(() => ca.close(), () => cb.close());
    await natsSide({ routes: [`nats-route://us%40r:p%3Ass@127.0.0.1:${ca.port}`] });
    const h = new TestHost({ routes: [`nats-route://us%40r:p%3Ass@127.0.0.1:${cb.port}`] });
    await h.cluster.start();
    cleanups.push(() => h.cluster.shutdown());
    await eventually(() => (ca.data[0] ?? '').includes('\r\n') && (cb.data[0] ?? '').includes('\r\n'), 'CONNECT');
    const connect = (d: string): string => normalizeRouteInfo(d.slice(8, d.indexOf('\r\n')));
    expect(connect(cb.data[0])).toBe(connect(ca.data[0]));
    expect(cb.data[0]).toContain('"user":"us@r","pass":"p:ss"');
  });
});

describe('gossip and lame duck INFO, byte for byte', () => {
  it('lame duck mode: our INFO with "ldm":true to every route', async () => {
    const r = await both(
      async () => [await natsSide(), await tsSide()],
      async (route, side) => {
        route.send(ROUTE_CONNECT(PEER_ID) + peerInfo(PEER_ID, 7001) + 'PING\r\n');
        await route.waitFor(/PONG\r\n/);
        await side.lameDuck();
        await route.waitFor(/"ldm":true/);
      },
    );
    const ldm = (l: string[]): string[] => l.filter((x) => x.includes('"ldm":true'));
    expect(ldm(r.ts)).toEqual(ldm(r.nats));
    expect(ldm(r.ts)).toHaveLength(1);
  });

  it('a new route is announced to the others as INFO with ip and without nonce', async () => {
    const [a, b] = [await natsSide(), await tsSide()];
    const out: string[][] = [];
    for (const side of [a, b]) {
      const first = await raw(side);
      first.send(ROUTE_CONNECT(PEER_ID) + peerInfo(PEER_ID, 7001));
      first.send('PING\r\n');
      await first.waitFor(/PONG\r\n/);
      const second = await raw(side);
      second.send(ROUTE_CONNECT(PEER_ID2) + peerInfo(PEER_ID2, 7003, { nonce: 'abcdefghijklmno' }));
      await first.waitFor(/INFO \{"server_id":"NDIFFPEER1111/);
      out.push(routeLines(first.data).filter((l) => l.includes(PEER_ID2)));
    }
    expect(out[1]).toEqual(out[0]);
    expect(out[1][0]).toContain('"ip":"nats-route://127.0.0.1:7003/"');
    expect(out[1][0]).not.toContain('nonce');
  });
});
