// Monitoring HTTP endpoints (protocol.md §18): tsnats in-process with raw-socket traffic and
// exact counters, the pure snapshot functions, Go's value formats, and a differential run of the
// same traffic against nats-server 2.9.10 `-m` comparing field names, order, types and values.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect as natsConnect } from '@nats-io/transport-node';
import { type ServerHandle, startServer, type StartOptions } from '../src/index.js';
import { defaultOptions } from '../src/config/options.js';
import { tsImplementation } from '../src/native/load.js';
import { Logger } from '../src/server/logger.js';
import { Server } from '../src/server/server.js';
import {
  atoi,
  goDuration,
  goTime,
  goUptime,
  marshalIndent,
  parseBool,
  parseUint64,
} from '../src/monitor/go-format.js';
import { rttString } from '../src/monitor/connz.js';
import {
  type ConnInfo,
  type Connz,
  connz,
  healthz,
  metrics,
  MonitorError,
  type MonitorHandle,
  routez,
  startMonitor,
  type Subsz,
  subsz,
  type Varz,
  varz,
} from '../src/monitor/monitor.js';
import { RawClient } from './helpers/raw-client.js';
import { freePort, NATS_SERVER_BIN } from './helpers/spawn-server.js';

// ---- helpers ----

interface Res {
  status: number;
  type: string;
  location: string;
  body: string;
}

/** One GET on a fresh connection (no keep-alive pool left behind). */
function get(port: number, path: string): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: String(res.headers['content-type'] ?? ''),
          location: String(res.headers.location ?? ''),
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
  });
}

async function json<T = Record<string, unknown>>(port: number, path: string): Promise<T> {
  const r = await get(port, path);
  expect(r.status, `${path}: ${r.body}`).toBe(200);
  expect(r.type).toBe('application/json');
  return JSON.parse(r.body) as T;
}

const open: RawClient[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

/** A raw client past INFO and CONNECT; `cid` is the INFO client_id. */
async function rawClient(
  port: number,
  connect: Record<string, unknown>,
  owner: RawClient[] = open,
): Promise<{ c: RawClient; cid: number }> {
  const c = await RawClient.connect(port);
  owner.push(c);
  const info = await c.expect(/^INFO (\{.*\}) \r\n/);
  const cid = (JSON.parse(info.slice(5, -3)) as { client_id: number }).client_id;
  c.send(`CONNECT ${JSON.stringify({ verbose: false, pedantic: false, ...connect })}\r\n`);
  await c.ping();
  return { c, cid };
}

interface Traffic {
  a: RawClient;
  aCid: number;
  aPort: number;
  b: RawClient;
  bCid: number;
  cCid: number;
}

/**
 * The traffic every test here uses. A subscribes (one plain, one queue, one UTF-8 subject with
 * an auto-unsubscribe limit; one removed again); B publishes (PUB, HPUB, a queue message, one to
 * nobody); C subscribes, publishes to itself and leaves. Sizes count headers (HPUB 17 bytes).
 *   in:  B 7 msgs / 37 bytes, C 1 / 2        → server 8 / 39
 *   out: A 6 msgs / 37 bytes, C 1 / 2        → server 7 / 39
 */
async function playTraffic(port: number, owner: RawClient[] = open): Promise<Traffic> {
  const { c: a, cid: aCid } = await rawClient(port, { name: 'A', lang: 'raw', version: '1.2.3', user: 'alice', headers: true }, owner);
  a.send('SUB foo 1\r\nSUB bar q 2\r\nSUB café 3\r\nSUB sub.* 4\r\nUNSUB 4\r\nUNSUB 3 10\r\n');
  await a.ping();
  await sleep(5); // B starts measurably later than A (sort=uptime)
  const { c: b, cid: bCid } = await rawClient(port, { name: 'B', headers: true }, owner);
  b.send('PUB foo 5\r\nhello\r\n'.repeat(3));
  b.send('HPUB foo 12 17\r\nNATS/1.0\r\n\r\nhello\r\n');
  b.send('PUB bar 2\r\nhi\r\nPUB café 3\r\nabc\r\nPUB nobody 0\r\n\r\n');
  await b.ping();
  await a.ping();
  const { c, cid: cCid } = await rawClient(port, { name: 'C' }, owner);
  c.send('SUB x 1\r\nPUB x 2\r\nhi\r\n');
  await c.expect('MSG x 1 2\r\nhi\r\n');
  await c.close();
  return { a, aCid, aPort: a.socket.localPort!, b, bCid, cCid };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until the server has closed connection `cid` (in-process: no HTTP request counted). */
async function waitClosed(h: ServerHandle, cid: number): Promise<void> {
  for (let i = 0; i < 500 && !h.server.closedClients.some((c) => c.cid === cid); i++) await sleep(5);
  expect(h.server.closedClients.map((c) => c.cid)).toContain(cid);
}

/** Polls /connz until `cid` is among the closed connections; returns the requests it made. */
async function closedSeen(port: number, cid: number): Promise<number> {
  for (let i = 1; i <= 200; i++) {
    const z = await json<Connz>(port, `/connz?state=closed&cid=${cid}`);
    if (z.num_connections === 1) return i;
    await sleep(10);
  }
  throw new Error(`cid ${cid} never closed`);
}

const GO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;
const GO_UTC_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;
const GO_DURATION = /^(0s|\d+ns|\d+(\.\d+)?(µs|ms)|(\d+h)?(\d+m)?\d+(\.\d+)?s)$/;
const UPTIME = /^(\d+y)?(\d+d)?(\d+h)?(\d+m)?\d+s$/;

const VARZ_KEYS = [
  'server_id', 'server_name', 'version', 'proto', 'go', 'host', 'port', 'max_connections', 'ping_interval',
  'ping_max', 'http_host', 'http_port', 'http_base_path', 'https_port', 'auth_timeout', 'max_control_line',
  'max_payload', 'max_pending', 'cluster', 'gateway', 'leaf', 'mqtt', 'websocket', 'jetstream', 'tls_timeout',
  'write_deadline', 'start', 'now', 'uptime', 'mem', 'cores', 'gomaxprocs', 'cpu', 'connections',
  'total_connections', 'routes', 'remotes', 'leafnodes', 'in_msgs', 'out_msgs', 'in_bytes', 'out_bytes',
  'slow_consumers', 'subscriptions', 'http_req_stats', 'config_load_time', 'parser',
];
const STATS_KEYS = [
  'num_subscriptions', 'num_cache', 'num_inserts', 'num_removes', 'num_matches', 'cache_hit_rate', 'max_fanout',
  'avg_fanout',
];
const CONN_KEYS = [
  'cid', 'kind', 'type', 'ip', 'port', 'start', 'last_activity', 'rtt', 'uptime', 'idle', 'pending_bytes',
  'in_msgs', 'out_msgs', 'in_bytes', 'out_bytes', 'subscriptions',
];

async function withMonitor(
  opts: StartOptions,
  fn: (h: ServerHandle, m: MonitorHandle) => Promise<void>,
): Promise<void> {
  // Without the default $SYS account: its internal subscriptions and events would show in the
  // exact counters these tests check (test/system-account.test.ts covers it).
  const h = await startServer({ host: '127.0.0.1', port: -1, httpPort: -1, noSystemAccount: true, ...opts });
  const m = await startMonitor(h.server);
  try {
    await fn(h, m);
  } finally {
    await m.close();
    await h.shutdown();
  }
}

// ---- Go formats ----

describe('Go value formats', () => {
  it('time.Duration.String', () => {
    expect(goDuration(0)).toBe('0s');
    expect(goDuration(512)).toBe('512ns');
    expect(goDuration(1500)).toBe('1.5µs');
    expect(goDuration(306_000)).toBe('306µs');
    expect(goDuration(1_148_136)).toBe('1.148136ms');
    expect(goDuration(2_000_000)).toBe('2ms');
    expect(goDuration(1e9)).toBe('1s');
    expect(goDuration(120e9)).toBe('2m0s');
    expect(goDuration(3723.5e9)).toBe('1h2m3.5s');
    expect(goDuration(-1500)).toBe('-1.5µs');
  });

  it('getRTT truncation: microseconds below a millisecond', () => {
    expect(rttString(0)).toBe('0s');
    expect(rttString(0.3061234)).toBe('306µs');
    expect(rttString(1e-6)).toBe('1ns');
    expect(rttString(3)).toBe('3ms');
  });

  it('myUptime', () => {
    expect(goUptime(0)).toBe('0s');
    expect(goUptime(999)).toBe('0s');
    expect(goUptime(62_000)).toBe('1m2s');
    expect(goUptime(3_600_000)).toBe('1h0m0s');
    expect(goUptime(90_061_000)).toBe('1d1h1m1s');
    expect(goUptime(366 * 86_400_000)).toBe('1y1d0h0m0s');
  });

  it('time.Time JSON: RFC 3339, trimmed fraction', () => {
    expect(goTime(Date.UTC(2024, 0, 2, 3, 4, 5, 120), true)).toBe('2024-01-02T03:04:05.12Z');
    expect(goTime(Date.UTC(2024, 0, 2, 3, 4, 5, 0), true)).toBe('2024-01-02T03:04:05Z');
    expect(goTime(Date.UTC(2024, 0, 2, 3, 4, 5, 7) + 0.5, true)).toBe('2024-01-02T03:04:05.0075Z');
    expect(goTime(Date.now())).toMatch(GO_TIME);
  });

  it('strconv parsers with Go error texts', () => {
    expect(parseBool('t')).toBe(true);
    expect(parseBool('FALSE')).toBe(false);
    expect(() => parseBool('yes')).toThrow('strconv.ParseBool: parsing "yes": invalid syntax');
    expect(atoi('+42')).toBe(42);
    expect(atoi('-3')).toBe(-3);
    expect(() => atoi('4x')).toThrow('strconv.Atoi: parsing "4x": invalid syntax');
    expect(() => atoi('99999999999999999999')).toThrow('strconv.Atoi: parsing "99999999999999999999": value out of range');
    expect(() => parseUint64('-1')).toThrow('strconv.ParseUint: parsing "-1": invalid syntax');
  });

  it('MarshalIndent: two spaces, Go HTML escaping, empty containers', () => {
    expect(marshalIndent({ a: '<&>', b: {}, c: [] })).toBe('{\n  "a": "\\u003c\\u0026\\u003e",\n  "b": {},\n  "c": []\n}');
  });
});

// ---- tsnats in-process ----

describe('monitoring endpoints', () => {
  it('/varz: fields in nats-server order, units, exact counters', async () => {
    await withMonitor({}, async (h, m) => {
      const v0 = await json<Varz>(m.port, '/varz');
      expect(Object.keys(v0)).toEqual(VARZ_KEYS);
      expect(v0).toMatchObject({
        server_id: h.server.id,
        server_name: h.server.name,
        version: '2.9.10',
        proto: 1,
        host: '127.0.0.1',
        port: h.port,
        max_connections: 65536,
        ping_interval: 120_000_000_000,
        ping_max: 2,
        http_host: '127.0.0.1',
        http_port: -1,
        http_base_path: '',
        https_port: 0,
        auth_timeout: 2,
        max_control_line: 4096,
        max_payload: 1048576,
        max_pending: 67108864,
        cluster: {},
        gateway: {},
        leaf: {},
        mqtt: {},
        websocket: {},
        jetstream: {},
        tls_timeout: 2,
        write_deadline: 10_000_000_000,
        connections: 0,
        total_connections: 0,
        routes: 0,
        remotes: 0,
        leafnodes: 0,
        in_msgs: 0,
        out_msgs: 0,
        in_bytes: 0,
        out_bytes: 0,
        slow_consumers: 0,
        subscriptions: 0,
        http_req_stats: { '/varz': 1 },
        parser: h.server.impl.name,
      });
      expect(v0.start).toMatch(GO_TIME);
      expect(v0.now).toMatch(GO_UTC_TIME);
      expect(v0.config_load_time).toBe(v0.start);
      expect(v0.uptime).toMatch(UPTIME);
      expect(v0.mem).toBeGreaterThan(1 << 20);
      expect(v0.cores).toBeGreaterThan(0);
      expect(v0.gomaxprocs).toBe(v0.cores);
      expect(typeof v0.cpu).toBe('number');

      const t = await playTraffic(h.port);
      await waitClosed(h, t.cCid);
      const v = await json<Varz>(m.port, '/varz');
      expect(v).toMatchObject({
        connections: 2,
        total_connections: 3,
        in_msgs: 8,
        in_bytes: 39,
        out_msgs: 7,
        out_bytes: 39,
        subscriptions: 3,
        http_req_stats: { '/varz': 2 },
      });
    });
  });

  it('/varz: auth_required, max_subscriptions and client_advertise as nats-server shows them', async () => {
    await withMonitor(
      { username: 'u', password: 'p', maxSubscriptions: 7, clientAdvertise: 'nats.example:4333', serverName: 'srv' },
      async (_h, m) => {
        const v = await json<Varz>(m.port, '/varz');
        const keys = Object.keys(v);
        expect(keys.indexOf('auth_required')).toBe(keys.indexOf('port') + 1);
        expect(keys.indexOf('max_subscriptions')).toBe(keys.indexOf('max_connections') + 1);
        expect(v).toMatchObject({ server_name: 'srv', host: 'nats.example', port: 4333, auth_required: true, max_subscriptions: 7 });
      },
    );
  });

  it('/connz: per-connection fields, counters, subscriptions, auth', async () => {
    await withMonitor({}, async (h, m) => {
      const t = await playTraffic(h.port);
      await waitClosed(h, t.cCid);
      const z = await json<Connz>(m.port, '/connz?subs=detail&auth=1');
      expect(Object.keys(z)).toEqual(['server_id', 'now', 'num_connections', 'total', 'offset', 'limit', 'connections']);
      expect(z).toMatchObject({ server_id: h.server.id, num_connections: 2, total: 2, offset: 0, limit: 1024 });
      const [a, b] = z.connections!;
      expect(Object.keys(a)).toEqual([...CONN_KEYS, 'name', 'lang', 'version', 'authorized_user', 'subscriptions_list_detail']);
      expect(a).toMatchObject({
        cid: t.aCid,
        kind: 'Client',
        type: 'nats',
        ip: '127.0.0.1',
        port: t.aPort,
        pending_bytes: 0,
        in_msgs: 0,
        in_bytes: 0,
        out_msgs: 6,
        out_bytes: 37,
        subscriptions: 3,
        name: 'A',
        lang: 'raw',
        version: '1.2.3',
        authorized_user: 'alice',
      });
      expect(a.subscriptions_list_detail).toEqual([
        { subject: 'foo', sid: '1', msgs: 4, cid: t.aCid },
        { subject: 'bar', qgroup: 'q', sid: '2', msgs: 1, cid: t.aCid },
        { subject: 'café', sid: '3', msgs: 1, max: 10, cid: t.aCid },
      ]);
      expect(a.start).toMatch(GO_TIME);
      expect(a.last_activity).toMatch(GO_TIME);
      expect(a.rtt).toMatch(GO_DURATION);
      expect(a.uptime).toMatch(UPTIME);
      expect(a.idle).toMatch(UPTIME);
      expect(Object.keys(b)).toEqual([...CONN_KEYS, 'name']);
      expect(b).toMatchObject({ cid: t.bCid, in_msgs: 7, in_bytes: 37, out_msgs: 0, out_bytes: 0, subscriptions: 0, name: 'B' });

      const plain = await json<Connz>(m.port, '/connz?subs=1');
      expect(plain.connections![0].subscriptions_list).toEqual(['foo', 'bar', 'café']);
      expect(plain.connections![0].authorized_user).toBeUndefined();
      const bare = await json<Connz>(m.port, '/connz');
      expect(bare.connections![0].subscriptions_list).toBeUndefined();
      expect(bare.connections![0].subscriptions_list_detail).toBeUndefined();
    });
  });

  it('/connz: sorting, paging, filters, closed connections', async () => {
    await withMonitor({}, async (h, m) => {
      const t = await playTraffic(h.port);
      await waitClosed(h, t.cCid);
      const cids = async (q: string): Promise<number[]> => (await json<Connz>(m.port, `/connz?${q}`)).connections!.map((c) => c.cid);
      expect(await cids('')).toEqual([t.aCid, t.bCid]);
      expect(await cids('sort=msgs_from')).toEqual([t.bCid, t.aCid]);
      expect(await cids('sort=bytes_from')).toEqual([t.bCid, t.aCid]);
      expect(await cids('sort=msgs_to')).toEqual([t.aCid, t.bCid]);
      expect(await cids('sort=bytes_to')).toEqual([t.aCid, t.bCid]);
      expect(await cids('sort=subs')).toEqual([t.aCid, t.bCid]);
      expect(await cids('sort=uptime')).toEqual([t.bCid, t.aCid]);
      expect(await cids('state=any')).toEqual([t.aCid, t.bCid, t.cCid]);

      const page = await json<Connz>(m.port, '/connz?offset=1&limit=1');
      expect(page).toMatchObject({ num_connections: 1, total: 2, offset: 1, limit: 1 });
      expect(page.connections![0].cid).toBe(t.bCid);
      expect(await json<Connz>(m.port, '/connz?offset=5')).toMatchObject({ num_connections: 0, total: 2, connections: [] });
      expect(await json<Connz>(m.port, `/connz?cid=${t.bCid}`)).toMatchObject({ num_connections: 1, total: 2, limit: 1 });
      expect(await cids('user=alice')).toEqual([t.aCid]);
      expect(await cids('acc=$G')).toEqual([t.aCid, t.bCid]);
      expect(await json<Connz>(m.port, '/connz?acc=nope')).toMatchObject({ server_id: '', total: 0, connections: null });

      const gone = await json<Connz>(m.port, '/connz?state=closed&subs=1&sort=stop');
      expect(gone).toMatchObject({ num_connections: 1, total: 1 });
      const c = gone.connections![0];
      expect(Object.keys(c)).toEqual([...CONN_KEYS.slice(0, 7), 'stop', 'reason', ...CONN_KEYS.slice(7), 'name', 'subscriptions_list']);
      expect(c).toMatchObject({
        cid: t.cCid,
        reason: 'Client Closed',
        in_msgs: 1,
        in_bytes: 2,
        out_msgs: 1,
        out_bytes: 2,
        subscriptions: 1,
        subscriptions_list: ['x'],
      });
      expect(c.stop).toMatch(GO_UTC_TIME);
      expect((await json<Connz>(m.port, '/connz?state=closed&sort=reason')).total).toBe(1);
      // Closed connections of the global account remember no account: nats-server's filter misses them.
      expect((await json<Connz>(m.port, '/connz?state=closed&acc=$G')).total).toBe(0);
      const detail = await json<Connz>(m.port, '/connz?state=closed&subs=detail');
      expect(detail.connections![0].subscriptions_list_detail).toEqual([{ account: '$G', subject: 'x', sid: '1', msgs: 1, cid: t.cCid }]);
    });
  });

  it('/connz: requests nats-server refuses get its 400 texts', async () => {
    await withMonitor({}, async (_h, m) => {
      const cases: [string, string][] = [
        ['/connz?sort=stop', 'sort by stop only valid on closed connections'],
        ['/connz?sort=reason&state=any', 'sort by reason only valid on closed connections'],
        ['/connz?sort=bogus', 'invalid sorting option: bogus'],
        ['/connz?auth=maybe', `Error decoding boolean for 'auth': strconv.ParseBool: parsing "maybe": invalid syntax`],
        ['/connz?subs=x', `Error decoding boolean for 'subs': strconv.ParseBool: parsing "x": invalid syntax`],
        ['/connz?limit=abc', `Error decoding int for 'limit': strconv.Atoi: parsing "abc": invalid syntax`],
        ['/connz?cid=-1', `Error decoding uint64 for 'cid': strconv.ParseUint: parsing "-1": invalid syntax`],
        ['/connz?state=foo', 'Error decoding state for foo'],
      ];
      for (const [path, text] of cases) {
        const r = await get(m.port, path);
        expect([r.status, r.body, r.type], path).toEqual([400, text, 'text/plain; charset=utf-8']);
      }
    });
  });

  it('/subsz and /subscriptionsz: statistics, listing, test subject, paging', async () => {
    await withMonitor({}, async (h, m) => {
      const t = await playTraffic(h.port);
      await waitClosed(h, t.cCid);
      const st = await json<Record<string, number>>(m.port, '/subsz');
      expect(Object.keys(st)).toEqual(STATS_KEYS);
      // 8 publishes matched (foo ×4, bar, café, nobody, x); foo missed once then hit 3 times.
      expect(st).toMatchObject({ num_subscriptions: 3, num_inserts: 5, num_removes: 2, num_matches: 8 });
      const s = h.server.globalAccount.sublist.stats();
      expect(st).toEqual({
        num_subscriptions: s.numSubscriptions,
        num_cache: s.numCache,
        num_inserts: s.numInserts,
        num_removes: s.numRemoves,
        num_matches: s.numMatches,
        cache_hit_rate: s.cacheHitRate,
        max_fanout: s.maxFanout,
        avg_fanout: s.avgFanout,
      });
      expect(st.cache_hit_rate).toBe(3 / 8);

      const list = await json<Subsz>(m.port, '/subsz?subs=1');
      expect(Object.keys(list)).toEqual(['server_id', 'now', ...STATS_KEYS, 'total', 'offset', 'limit', 'subscriptions_list']);
      expect(list).toMatchObject({ server_id: h.server.id, total: 3, offset: 0, limit: 1024 });
      const byS = [...list.subscriptions_list!].sort((x, y) => x.sid.localeCompare(y.sid));
      expect(byS).toEqual([
        { account: '$G', subject: 'foo', sid: '1', msgs: 4, cid: t.aCid },
        { account: '$G', subject: 'bar', qgroup: 'q', sid: '2', msgs: 1, cid: t.aCid },
        { account: '$G', subject: 'café', sid: '3', msgs: 1, max: 10, cid: t.aCid },
      ]);
      expect((await json<Subsz>(m.port, '/subsz?subs=1&test=caf%C3%A9')).subscriptions_list).toEqual([
        { account: '$G', subject: 'café', sid: '3', msgs: 1, max: 10, cid: t.aCid },
      ]);
      const paged = await json<Subsz>(m.port, '/subscriptionsz?subs=1&offset=1&limit=1');
      expect(paged).toMatchObject({ total: 1, offset: 1, limit: 1 });
      expect(paged.subscriptions_list).toHaveLength(1);
      // Nothing listed: only the statistics, as nats-server prints them.
      expect(Object.keys(await json(m.port, '/subsz?subs=1&test=nomatch'))).toEqual(STATS_KEYS);
      expect(await json(m.port, '/subsz?acc=nope')).toEqual(Object.fromEntries(STATS_KEYS.map((k) => [k, 0])));
      const bad = await get(m.port, '/subsz?subs=1&test=a.*');
      expect([bad.status, bad.body]).toEqual([400, 'invalid test subject, must be valid publish subject: a.*']);
      const v = await json<Varz>(m.port, '/varz');
      expect(v.http_req_stats['/subsz']).toBe(7);
    });
  });

  it('/routez, /healthz, JSONP, the index page and 404', async () => {
    await withMonitor({}, async (h, m) => {
      const rz = await json(m.port, '/routez');
      expect(Object.keys(rz)).toEqual(['server_id', 'now', 'num_routes', 'routes']);
      expect(rz).toMatchObject({ server_id: h.server.id, num_routes: 0, routes: [] });

      const hz = await get(m.port, '/healthz');
      expect([hz.status, hz.type, hz.body]).toEqual([200, 'application/json', '{"status":"ok"}']);
      const jp = await get(m.port, '/healthz?callback=cb');
      expect([jp.status, jp.type, jp.body]).toEqual([200, 'application/javascript', 'cb({"status":"ok"})']);
      const vp = await get(m.port, '/varz?callback=f');
      expect(vp.body).toMatch(/^f\(\{\n {2}"server_id": /);
      expect(vp.body.endsWith('\n})')).toBe(true);

      const root = await get(m.port, '/');
      expect(root.status).toBe(200);
      expect(root.type).toBe('text/html; charset=utf-8');
      for (const p of ['varz', 'connz', 'subsz', 'routez', 'healthz', 'metrics']) expect(root.body).toMatch(new RegExp(`href=\\./${p}[ >]`));

      const r301 = await get(m.port, '//varz?callback=x');
      expect([r301.status, r301.location]).toEqual([301, '/varz?callback=x']);
      const utf = await get(m.port, '/caf%C3%A9/../x//y');
      expect([utf.status, utf.location]).toEqual([301, '/x/y']);
      expect((await get(m.port, '/caf%C3%A9//y')).location).toBe('/caf%C3%A9/y');
      for (const p of ['/nope', '/varz/', '/connzz']) {
        const r = await get(m.port, p);
        expect([r.status, r.body], p).toEqual([404, '404 page not found\n']);
      }
      const v = await json<Varz>(m.port, '/varz');
      expect(v.http_req_stats).toEqual({ '/': 1, '/healthz': 2, '/routez': 1, '/varz': 2 });
    });
  });

  it('serves under http_base_path; unclean paths are redirected as Go does', async () => {
    await withMonitor({ httpBasePath: 'nats/' }, async (_h, m) => {
      expect((await get(m.port, '/nats')).status).toBe(200);
      expect((await get(m.port, '/nats')).body).toContain('href=./nats/varz>');
      expect((await json<Varz>(m.port, '/nats/varz')).http_base_path).toBe('nats/');
      expect((await get(m.port, '/varz')).status).toBe(404);
      expect((await get(m.port, '/')).status).toBe(404);
      expect((await get(m.port, '/nats/')).status).toBe(404);
      const r = await get(m.port, '/nats//connz?state=closed');
      expect([r.status, r.location]).toEqual([301, '/nats/connz?state=closed']);
    });
  });

  it('/metrics: Prometheus text with exact counters (names of prometheus-nats-exporter)', async () => {
    await withMonitor({}, async (h, m) => {
      const t = await playTraffic(h.port);
      await waitClosed(h, t.cCid);
      const r = await get(m.port, '/metrics');
      expect(r.status).toBe(200);
      expect(r.type).toBe('text/plain; version=0.0.4; charset=utf-8');
      const values: Record<string, string> = {};
      for (const line of r.body.split('\n')) {
        if (line === '' || line.startsWith('#')) continue;
        const sp = line.lastIndexOf(' ');
        values[line.slice(0, sp)] = line.slice(sp + 1);
      }
      const id = `server_id="${h.server.id}"`;
      expect(values).toMatchObject({
        [`gnatsd_varz_connections{${id}}`]: '2',
        [`gnatsd_varz_total_connections{${id}}`]: '3',
        [`gnatsd_varz_in_msgs{${id}}`]: '8',
        [`gnatsd_varz_out_msgs{${id}}`]: '7',
        [`gnatsd_varz_in_bytes{${id}}`]: '39',
        [`gnatsd_varz_out_bytes{${id}}`]: '39',
        [`gnatsd_varz_slow_consumers{${id}}`]: '0',
        [`gnatsd_varz_subscriptions{${id}}`]: '3',
        [`tsnats_parser_info{${id},path="${h.server.impl.name}"}`]: '1',
      });
      const ours = Object.keys(values).filter((k) => /^(gnatsd|tsnats)_/.test(k));
      for (const name of ours.map((k) => k.replace(/\{.*/, ''))) {
        expect(r.body).toContain(`# HELP ${name} `);
        expect(r.body).toMatch(new RegExp(`# TYPE ${name} (counter|gauge)\\n`));
      }
      expect(r.body.endsWith('\n')).toBe(true);
    });
  });

  it('the official client shows up with its name, lang and a measured RTT', async () => {
    await withMonitor({}, async (h, m) => {
      const nc = await natsConnect({ servers: `127.0.0.1:${h.port}`, name: 'official', reconnect: false });
      try {
        nc.subscribe('q.>', { queue: 'workers' });
        nc.publish('q.a', 'xyz');
        await nc.flush();
        const z = await json<Connz>(m.port, '/connz?subs=detail');
        const c = z.connections![0] as ConnInfo;
        expect(c).toMatchObject({ name: 'official', lang: 'nats.js', in_msgs: 1, in_bytes: 3, out_msgs: 1, out_bytes: 3, subscriptions: 1 });
        expect(c.version).toMatch(/^\d+\.\d+\.\d+/);
        expect(c.subscriptions_list_detail).toEqual([{ subject: 'q.>', qgroup: 'workers', sid: '1', msgs: 1, cid: c.cid }]);
        expect(c.rtt).not.toBe('0s');
      } finally {
        await nc.close();
      }
    });
  });

  it('snapshot functions work without HTTP and refuse what nats-server refuses', async () => {
    const h = await startServer({ host: '127.0.0.1', port: -1, noSystemAccount: true });
    try {
      const { c: a, cid: aCid } = await rawClient(h.port, { name: 'solo' });
      a.send('SUB s 1\r\nPUB s 1\r\nx\r\n');
      await a.expect('MSG s 1 1\r\nx\r\n');
      const v = varz(h.server);
      expect(v).toMatchObject({ connections: 1, in_msgs: 1, out_msgs: 1, subscriptions: 1, http_req_stats: {}, http_port: 0 });
      const z = connz(h.server, { subscriptionsDetail: true });
      expect(z.connections![0]).toMatchObject({ cid: aCid, name: 'solo', subscriptions: 1 });
      expect(subsz(h.server, { subscriptions: true }).subscriptions_list).toEqual([
        { account: '$G', subject: 's', sid: '1', msgs: 1, cid: aCid },
      ]);
      expect(routez(h.server).num_routes).toBe(0);
      expect(healthz(h.server)).toEqual({ status: 'ok' });
      expect(await metrics(h.server)).toContain(`gnatsd_varz_in_msgs{server_id="${h.server.id}"} 1\n`);
      expect(() => connz(h.server, { sort: 'stop' })).toThrow(MonitorError);
      expect(() => subsz(h.server, { test: 'a.>' })).toThrow('invalid test subject, must be valid publish subject: a.>');
    } finally {
      await h.shutdown();
    }
  });

  it('/healthz reports a server that is not listening', () => {
    const opts = defaultOptions();
    const s = new Server(opts, { impl: tsImplementation, implReason: 'test', logger: new Logger(opts, () => {}) });
    expect(healthz(s)).toEqual({ status: 'error', error: 'failed to be ready for connections after 1ms: server' });
  });

  it('close() frees the port; an occupied port is refused', async () => {
    const h = await startServer({ host: '127.0.0.1', port: -1, httpPort: -1 });
    try {
      const m = await startMonitor(h.server);
      expect(m.host).toBe('127.0.0.1');
      const port = m.port;
      await m.close();
      await expect(get(port, '/varz')).rejects.toThrow();
      const m1 = await startMonitor(h.server);
      const h2 = await startServer({ host: '127.0.0.1', port: -1 });
      try {
        h2.server.opts.httpPort = m1.port;
        await expect(startMonitor(h2.server)).rejects.toMatchObject({ code: 'EADDRINUSE' });
      } finally {
        await m1.close();
        await h2.shutdown();
      }
    } finally {
      await h.shutdown();
    }
  });
});

// ---- differential: the same traffic against nats-server 2.9.10 -m ----

/**
 * Shape of a JSON value: key order and value types, recursively (arrays by their first item;
 * subscription lists, which nats-server builds from a map in random order, by lowest sid).
 */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) {
    if (v.length === 0) return [];
    const bySid = v.every((x) => x !== null && typeof x === 'object' && 'sid' in x);
    const first = bySid ? [...(v as { sid: string }[])].sort((a, b) => a.sid.localeCompare(b.sid))[0] : v[0];
    return [shape(first)];
  }
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, shape(x)]));
  }
  return v === null ? 'null' : typeof v;
}
function keysOf(v: unknown): string[] {
  return JSON.stringify(shape(v), null, 1).split('\n');
}

interface NatsServerProc {
  proc: ChildProcess;
  port: number;
  mport: number;
  stop(): Promise<void>;
}

/**
 * nats-server with monitoring, ready when it logs "Server is ready". (The shared spawn helper
 * probes the client port with a TCP connect, which nats-server would count as a connection and
 * list as closed; the counters compared here must see only the test's own clients.)
 */
async function spawnNatsServer(): Promise<NatsServerProc> {
  let out = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const mport = await freePort();
    const proc = spawn(NATS_SERVER_BIN, ['-a', '127.0.0.1', '-p', String(port), '-m', String(mport)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const killOnExit = (): void => void proc.kill('SIGKILL');
    process.once('exit', killOnExit);
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    out = '';
    const ready = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 10_000);
      const onData = (b: Buffer): void => {
        out += b.toString();
        if (out.includes('Server is ready')) {
          clearTimeout(t);
          resolve(true);
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      void exited.then(() => {
        clearTimeout(t);
        resolve(false);
      });
    });
    const stop = async (): Promise<void> => {
      process.off('exit', killOnExit);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    };
    if (ready) return { proc, port, mport, stop };
    await stop();
    if (!/address already in use/i.test(out)) break;
  }
  throw new Error(`nats-server did not start:\n${out}`);
}

describe.skipIf(!existsSync(NATS_SERVER_BIN))('monitoring compared with nats-server 2.9.10', () => {
  let ns: NatsServerProc;
  let nsMon = 0;
  let ts: ServerHandle;
  let tsMonH: MonitorHandle;
  let tsMon = 0;
  let nsT: Traffic;
  let tsT: Traffic;
  let nsBaseSubs = 0;
  let tsBaseSubs = 0;
  /** /connz requests each side needed to see C closed (they differ legitimately). */
  let nsPolls = 0;
  let tsPolls = 0;
  const diffClients: RawClient[] = [];

  /** The same request to both monitors, in the same order (so http_req_stats agree). */
  async function both(path: string): Promise<[Res, Res]> {
    return [await get(nsMon, path), await get(tsMon, path)];
  }
  async function bothJson<T>(path: string): Promise<[T, T]> {
    const [a, b] = await both(path);
    expect(a.status, `nats-server ${path}: ${a.body}`).toBe(200);
    expect(b.status, `tsnats ${path}: ${b.body}`).toBe(200);
    return [JSON.parse(a.body) as T, JSON.parse(b.body) as T];
  }

  beforeAll(async () => {
    ns = await spawnNatsServer();
    nsMon = ns.mport;
    ts = await startServer({ host: '127.0.0.1', port: -1, httpPort: -1 });
    tsMonH = await startMonitor(ts.server);
    tsMon = tsMonH.port;
    // The $SYS accounts hold internal subscriptions before any client connects.
    const [v, tv] = await bothJson<Varz>('/varz');
    nsBaseSubs = v.subscriptions;
    tsBaseSubs = tv.subscriptions;
    nsT = await playTraffic(ns.port, diffClients);
    tsT = await playTraffic(ts.port, diffClients);
    nsPolls = await closedSeen(nsMon, nsT.cCid);
    tsPolls = await closedSeen(tsMon, tsT.cCid);
  });
  afterAll(async () => {
    await Promise.all(diffClients.splice(0).map((c) => c.close()));
    await tsMonH?.close();
    await ts?.shutdown();
    await ns?.stop();
  });

  it('the clients get the same cids (nats-server starts at 4 as tsnats does)', () => {
    expect([tsT.aCid, tsT.bCid, tsT.cCid]).toEqual([nsT.aCid, nsT.bCid, nsT.cCid]);
  });

  it('/varz: same fields, order and types; same configuration and counters', async () => {
    const [n, t] = await bothJson<Varz & { system_account?: string }>('/varz');
    // tsnats' parser field is the only legitimate difference; both have the default $SYS.
    const nRest = n;
    const { parser, ...tRest } = t;
    expect([n.system_account, t.system_account]).toEqual(['$SYS', '$SYS']);
    expect(parser).toBe(ts.server.impl.name);
    expect(keysOf(tRest)).toEqual(keysOf(nRest));
    for (const k of [
      'version', 'proto', 'go', 'host', 'max_connections', 'ping_interval', 'ping_max', 'http_host', 'http_base_path',
      'https_port', 'auth_timeout', 'max_control_line', 'max_payload', 'max_pending', 'cluster', 'gateway', 'leaf',
      'mqtt', 'websocket', 'jetstream', 'tls_timeout', 'write_deadline', 'connections', 'total_connections', 'routes',
      'remotes', 'leafnodes', 'in_msgs', 'out_msgs', 'in_bytes', 'out_bytes', 'slow_consumers',
    ] as const) {
      expect(t[k], k).toEqual(n[k]);
    }
    expect(t.in_msgs).toBe(8);
    expect(t.subscriptions - tsBaseSubs).toBe(n.subscriptions - nsBaseSubs);
    for (const k of ['start', 'config_load_time'] as const) expect(t[k]).toMatch(GO_TIME);
    expect(n.now).toMatch(GO_UTC_TIME);
    expect(t.now).toMatch(GO_UTC_TIME);
  });

  it('/connz: the same entries, field for field', async () => {
    const [n, t] = await bothJson<Connz>('/connz?subs=detail&auth=true');
    expect(keysOf(t)).toEqual(keysOf(n));
    expect([t.num_connections, t.total, t.offset, t.limit]).toEqual([n.num_connections, n.total, n.offset, n.limit]);
    for (let i = 0; i < n.connections!.length; i++) {
      const a = n.connections![i];
      const b = t.connections![i];
      expect(Object.keys(b)).toEqual(Object.keys(a));
      const volatile = new Set(['port', 'start', 'last_activity', 'rtt', 'uptime', 'idle', 'subscriptions_list_detail']);
      for (const k of Object.keys(a) as (keyof ConnInfo)[]) if (!volatile.has(k)) expect(b[k], `${a.cid}.${k}`).toEqual(a[k]);
      const bySid = (l: ConnInfo['subscriptions_list_detail']) => [...(l ?? [])].sort((x, y) => x.sid.localeCompare(y.sid));
      expect(bySid(b.subscriptions_list_detail)).toEqual(bySid(a.subscriptions_list_detail));
      for (const k of ['start', 'last_activity'] as const) expect(b[k]).toMatch(GO_TIME);
      expect(b.rtt).toMatch(GO_DURATION);
      expect(b.uptime).toMatch(UPTIME);
    }
  });

  it('/connz: closed connections, filters and paging agree', async () => {
    const queries = [
      '/connz?state=closed&subs=1&auth=1',
      // Not `subs=detail` alone: nats-server then writes the list into its stored closed
      // connection (needCopy ignores subs=detail) and shows it in every later closed listing.
      '/connz?state=closed&subs=detail&auth=1',
      '/connz?state=any&sort=msgs_from',
      '/connz?sort=bytes_to&offset=1&limit=1',
      `/connz?cid=${nsT.bCid}`,
      `/connz?state=any&cid=${nsT.cCid}`,
      '/connz?user=alice&auth=1',
      '/connz?acc=$G&state=any',
      '/connz?acc=nope',
    ];
    for (const q of queries) {
      const [n, t] = await bothJson<Connz>(q);
      expect(keysOf(t), q).toEqual(keysOf(n));
      expect([t.server_id === '', t.num_connections, t.total, t.offset, t.limit], q).toEqual([
        n.server_id === '', n.num_connections, n.total, n.offset, n.limit,
      ]);
      // Times vary; so does what nats-server had still queued for a connection when it closed
      // (its pending_bytes at close: tsnats reports 0 for closed connections).
      const strip = (z: Connz) =>
        z.connections?.map(({ port: _p, start: _s, last_activity: _l, stop, rtt: _r, uptime: _u, idle: _i, pending_bytes, ...rest }) => ({
          ...rest,
          pending_bytes: stop === undefined ? pending_bytes : 0,
        })) ?? null;
      expect(strip(t), q).toEqual(strip(n));
    }
  });

  it('/subsz: statistics shape; the client subscriptions listed identically', async () => {
    const [n, t] = await bothJson<Record<string, number>>('/subsz');
    expect(Object.keys(t)).toEqual(Object.keys(n));
    expect(t.num_subscriptions - tsBaseSubs).toBe(n.num_subscriptions - nsBaseSubs);
    for (const q of ['/subsz?subs=1&test=foo', '/subsz?subs=1&test=caf%C3%A9', '/subscriptionsz?subs=1&test=bar']) {
      const [ln, lt] = await bothJson<Subsz>(q);
      expect(keysOf(lt), q).toEqual(keysOf(ln));
      expect([lt.total, lt.offset, lt.limit, lt.subscriptions_list], q).toEqual([ln.total, ln.offset, ln.limit, ln.subscriptions_list]);
    }
    const [en, et] = await bothJson<Record<string, number>>('/subsz?subs=1&test=nomatch');
    expect(Object.keys(et)).toEqual(Object.keys(en));
  });

  it('/routez, /healthz, JSONP, 404 and the 400 texts agree', async () => {
    const [rn, rt] = await bothJson('/routez');
    expect(keysOf(rt)).toEqual(keysOf(rn));
    for (const p of [
      '/healthz',
      '/healthz?callback=cb',
      '/nope',
      '/connz?sort=stop',
      '/connz?sort=reason&state=open',
      '/connz?sort=bogus',
      '/connz?subs=x',
      '/connz?limit=abc',
      '/connz?offset=99999999999999999999',
      '/connz?cid=-1',
      '/connz?state=foo',
      '/subsz?subs=1&test=a.*',
      '/subsz?limit=z',
      '/routez?subs=2',
      '/healthz?js-enabled-only=x',
    ]) {
      const [n, t] = await both(p);
      expect([t.status, t.type, t.body], p).toEqual([n.status, n.type, n.body]);
    }
    const [jn, jt] = await both('/routez?callback=fn');
    expect(jt.type).toBe(jn.type);
    expect(jt.body.replace(/"(server_id|now)": "[^"]*"/g, '')).toBe(jn.body.replace(/"(server_id|now)": "[^"]*"/g, ''));
  });

  // KNOWN BUG (src/client/client.ts, Client.deliver): for a subscriber without headers,
  // nats-server strips the headers but adds the whole message size (headers included) to the
  // server's out_bytes (processMsgResults' updateStats); the connection's own out_bytes counts
  // the stripped size. tsnats adds the stripped size to both. Flip to it() once fixed.
  it('/varz out_bytes counts stripped headers as nats-server does', async () => {
    const [n0, t0] = await bothJson<Varz>('/varz');
    for (const port of [ns.port, ts.port]) {
      const { c: d } = await rawClient(port, { name: 'D' }, diffClients);
      d.send('SUB h 1\r\n');
      await d.ping();
      const { c: e } = await rawClient(port, { name: 'E', headers: true }, diffClients);
      e.send('HPUB h 12 17\r\nNATS/1.0\r\n\r\nhello\r\n');
      await d.expect('MSG h 1 5\r\nhello\r\n');
    }
    const [n1, t1] = await bothJson<Varz>('/varz');
    expect(n1.out_bytes - n0.out_bytes).toBe(17);
    expect(t1.out_bytes - t0.out_bytes).toBe(n1.out_bytes - n0.out_bytes);
  });

  it('http_req_stats count the same requests the same way (last: it sees all the others)', async () => {
    const [n, t] = await bothJson<Varz>('/varz');
    expect(t.http_req_stats).toEqual({ ...n.http_req_stats, '/connz': n.http_req_stats['/connz'] - nsPolls + tsPolls });
  });
});
