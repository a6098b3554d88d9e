// /metrics: prom-client's exposition, accepted by `promtool check metrics` (Debian's prometheus
// package), with prometheus-nats-exporter's names (gnatsd_varz_*, gnatsd_connz_*,
// gnatsd_routez_*, gnatsd_subsz_*), our tsnats_* extras and prom-client's default Node metrics;
// its values agree with /varz, /connz, /subsz and /routez after real traffic from the official
// client over a real route.

import { execFileSync } from 'node:child_process';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { type ServerHandle, startServer, type StartOptions } from '../src/index.js';
import { durationSeconds } from '../src/monitor/metrics.js';
import { clusterOptions, eventually } from './helpers/cluster.js';
import { RawClient } from './helpers/raw-client.js';

const started: ServerHandle[] = [];
const clients: NatsConnection[] = [];
const raws: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const r of raws.splice(0)) await r.close();
  for (const h of started.splice(0)) await h.shutdown();
});

async function server(o: StartOptions): Promise<ServerHandle> {
  // Without the default $SYS account: its internal subscriptions would show in the exact counters.
  const h = await startServer({ host: '127.0.0.1', port: -1, httpPort: -1, log: () => undefined, noSystemAccount: true, ...o });
  started.push(h);
  return h;
}

async function client(h: ServerHandle, name: string): Promise<NatsConnection> {
  const nc = await connect({ servers: `127.0.0.1:${h.port}`, name, reconnect: false });
  clients.push(nc);
  return nc;
}

async function get(port: number, path: string): Promise<{ type: string; body: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  expect(r.status, path).toBe(200);
  return { type: r.headers.get('content-type') ?? '', body: await r.text() };
}

async function json<T = Record<string, unknown>>(port: number, path: string): Promise<T> {
  return JSON.parse((await get(port, path)).body) as T;
}

interface Scraped {
  text: string;
  /** sample (`name{labels}` as printed) → value */
  samples: Map<string, number>;
  /** metric name → its TYPE */
  types: Map<string, string>;
}

async function scrape(h: ServerHandle): Promise<Scraped> {
  const { type, body } = await get(h.httpPort, '/metrics');
  expect(type).toBe('text/plain; version=0.0.4; charset=utf-8');
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of body.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) types.set(t[1], t[2]);
    if (line === '' || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    samples.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return { text: body, samples, types };
}

/** The value of `name{server_id="<id>"}` (and more labels when given, in their printed order). */
function value(s: Scraped, h: ServerHandle, name: string, more = ''): number | undefined {
  return s.samples.get(`${name}{server_id="${h.server.id}"${more}}`);
}

/** promtool's verdict: '' when it accepts the text, else its complaints and exit code. */
function promtool(text: string): string {
  try {
    return execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    const x = e as { status: number; stdout: string; stderr: string };
    return `exit ${x.status}: ${x.stdout}${x.stderr}`;
  }
}

describe('/metrics', () => {
  it('passes promtool and agrees with /varz, /connz, /subsz and /routez after real traffic over a route', async () => {
    const a = await server({ serverName: 'A', cluster: clusterOptions() });
    const b = await server({ serverName: 'B', cluster: clusterOptions({ routes: [`nats://127.0.0.1:${a.server.cluster!.port}`] }) });
    await eventually(() => a.server.cluster!.numRoutes === 1 && b.server.cluster!.numRoutes === 1, 'the route', 10_000);

    const sub = await client(a, 'sub');
    const pub = await client(a, 'pub');
    const remote = await client(b, 'remote');
    const n = 50;
    const got = sub.subscribe('m.>', { max: n });
    sub.subscribe('m.*', { queue: 'q' });
    const far = remote.subscribe('m.x', { max: n });
    await sub.flush();
    await remote.flush();
    await eventually(() => a.server.cluster!.routes()[0].subscriptions.length === 1, 'B interest on A', 10_000);
    for (let i = 0; i < n; i++) pub.publish('m.x', `payload ${i}`);
    await pub.flush();
    let seen = 0;
    for await (const _m of got) seen++;
    for await (const _m of far) seen++;
    expect(seen).toBe(2 * n);

    const s = await scrape(a);
    const v = await json<Record<string, number | string>>(a.httpPort, '/varz');
    expect(promtool(s.text)).toBe('');

    // gnatsd_varz_*: every number of /varz, as the exporter names it, all gauges.
    expect(v.in_msgs).toBe(n);
    expect(v.out_msgs).toBeGreaterThanOrEqual(2 * n); // m.> and the queue group, at least
    expect(v.connections).toBe(2);
    expect(v.routes).toBe(1);
    for (const key of ['connections', 'total_connections', 'subscriptions', 'slow_consumers', 'in_msgs', 'out_msgs', 'in_bytes', 'out_bytes', 'routes', 'remotes', 'leafnodes', 'max_payload']) {
      expect(value(s, a, `gnatsd_varz_${key}`), key).toBe(v[key]);
      expect(s.types.get(`gnatsd_varz_${key}`), key).toBe('gauge');
    }
    expect(value(s, a, 'gnatsd_varz_mem')).toBeGreaterThan(0);
    expect(value(s, a, 'gnatsd_varz_cpu')).toBeGreaterThanOrEqual(0);
    expect(value(s, a, 'gnatsd_varz_server_id', `,value="${a.server.id}"`)).toBe(1);
    expect(value(s, a, 'gnatsd_varz_server_name', ',value="A"')).toBe(1);
    expect(value(s, a, 'gnatsd_varz_version', `,value="${v.version}"`)).toBe(1);

    // gnatsd_connz_*: the default page's counts and sums.
    const z = await json<{ num_connections: number; limit: number; connections: Array<Record<string, number>> }>(a.httpPort, '/connz');
    expect(value(s, a, 'gnatsd_connz_num_connections')).toBe(z.num_connections);
    expect(value(s, a, 'gnatsd_connz_limit')).toBe(z.limit);
    for (const key of ['subscriptions', 'in_msgs', 'out_msgs', 'in_bytes', 'out_bytes']) {
      expect(value(s, a, `gnatsd_connz_${key}`), key).toBe(z.connections.reduce((t, c) => t + c[key], 0));
    }
    expect(value(s, a, 'gnatsd_connz_in_msgs')).toBe(n);

    // gnatsd_subsz_*
    const sz = await json<Record<string, number>>(a.httpPort, '/subsz');
    for (const key of ['num_subscriptions', 'num_inserts', 'num_removes', 'num_matches', 'cache_hit_rate', 'max_fanout']) {
      expect(value(s, a, `gnatsd_subsz_${key}`), key).toBe(sz[key]);
    }

    // gnatsd_routez_*: the route to B.
    const rz = await json<{ num_routes: number; routes: Array<Record<string, number | string>> }>(a.httpPort, '/routez');
    const r = rz.routes[0];
    expect(value(s, a, 'gnatsd_routez_num_routes')).toBe(1);
    expect(value(s, a, 'gnatsd_routez_route_info', `,rid="${r.rid}",remote_id="${b.server.id}",remote_name="",account="",ip="${r.ip}",compression=""`)).toBe(1);
    const rid = `,rid="${r.rid}"`;
    expect(value(s, a, 'gnatsd_routez_route_out_msgs', rid)).toBe(n);
    expect(value(s, a, 'gnatsd_routez_route_out_bytes', rid)).toBe(r.out_bytes);
    expect(value(s, a, 'gnatsd_routez_route_subscriptions', rid)).toBe(r.subscriptions);
    expect(value(s, a, 'gnatsd_routez_route_uptime_seconds', rid)).toBeGreaterThanOrEqual(0);

    // tsnats_*: ours.
    const mode = process.env.TSNATS_NATIVE;
    const path = mode === 'off' ? 'ts' : mode === 'require' ? 'native' : a.server.impl.name;
    expect(value(s, a, 'tsnats_parser_info', `,path="${path}"`)).toBe(1);
    expect(s.types.get('tsnats_match_cache_hits_total')).toBe('counter');
    expect(value(s, a, 'tsnats_match_cache_lookups_total')).toBe(sz.num_matches);
    expect(value(s, a, 'tsnats_match_cache_hit_ratio')).toBe(sz.cache_hit_rate);
    expect(value(s, a, 'tsnats_producer_stalls_total')).toBe(0);

    // prom-client's default Node metrics.
    for (const [name, type] of [
      ['process_cpu_seconds_total', 'counter'],
      ['process_resident_memory_bytes', 'gauge'],
      ['nodejs_heap_size_used_bytes', 'gauge'],
      ['nodejs_gc_duration_seconds', 'histogram'],
      ['nodejs_eventloop_lag_seconds', 'gauge'],
      ['nodejs_eventloop_lag_p99_seconds', 'gauge'],
    ]) {
      expect(s.types.get(name), name).toBe(type);
    }
    expect(s.samples.get('process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('values follow the server between scrapes (computed on scrape, not cached)', async () => {
    const h = await server({});
    const before = await scrape(h);
    expect(value(before, h, 'gnatsd_varz_connections')).toBe(0);
    const nc = await client(h, 'late');
    nc.subscribe('late.>');
    nc.publish('late.a', 'x');
    await nc.flush();
    const after = await scrape(h);
    expect(value(after, h, 'gnatsd_varz_connections')).toBe(1);
    expect(value(after, h, 'gnatsd_varz_total_connections')).toBe(1);
    expect(value(after, h, 'gnatsd_varz_subscriptions')).toBe(1);
    expect(value(after, h, 'gnatsd_varz_in_msgs')).toBe(1);
    expect(value(after, h, 'gnatsd_connz_num_connections')).toBe(1);
    expect(value(after, h, 'gnatsd_subsz_num_subscriptions')).toBe(1);
  });

  it('counts producer stalls and shows the publishers stalled now', async () => {
    // A publisher that is its own subscriber and reads nothing: past half max_pending it is not
    // read until its socket drains (nats-server's producer stall on itself).
    const h = await server({ maxPending: 512 * 1024 });
    const c = await RawClient.connect(h.port);
    raws.push(c);
    await c.expect(/^INFO .*\r\n/);
    c.send('CONNECT {"verbose":false}\r\nSUB self 1\r\n');
    await c.ping();
    c.socket.pause();
    const frame = Buffer.from(`PUB self 16384\r\n${'x'.repeat(16384)}\r\n`, 'latin1');
    for (let i = 0; i < 1024; i++) c.send(frame);
    const stalled = (): boolean => [...h.server.clients.values()].some((x) => x.stallUntil !== 0);
    await eventually(stalled, 'the publisher stalled', 10_000);
    const during = await scrape(h);
    expect(value(during, h, 'tsnats_producer_stalls_total')).toBeGreaterThanOrEqual(1);
    expect(value(during, h, 'tsnats_stalled_producers')).toBe(1);
    expect(promtool(during.text)).toBe('');
    c.socket.resume();
    await eventually(() => !stalled() && h.server.stats.outMsgs === 1024, 'all 1024 delivered', 20_000);
    const after = await scrape(h);
    expect(value(after, h, 'tsnats_stalled_producers')).toBe(0);
    expect(value(after, h, 'tsnats_producer_stalls_total')).toBe(h.server.stats.producerStalls);
  });

  it('reads Go durations and nats-server uptimes as seconds', () => {
    expect(durationSeconds('1.5ms')).toBeCloseTo(0.0015, 9);
    expect(durationSeconds('250µs')).toBeCloseTo(0.00025, 9);
    expect(durationSeconds('1y2d3h4m5s')).toBe(365 * 86400 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5);
    expect(durationSeconds('0s')).toBe(0);
    expect(durationSeconds('')).toBeNaN();
    expect(durationSeconds('5 s')).toBeNaN();
  });
});
