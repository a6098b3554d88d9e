// /metrics: prom-client's exposition, accepted by `promtool check metrics` (Debian's prometheus
// package), with prometheus-nats-exporter's names (gnatsd_varz_*, gnatsd_connz_*,
// gnatsd_routez_*, gnatsd_subsz_*), our tsnats_* extras and prom-client's default Node metrics;
// its values agree with /varz, /connz, /subsz and /routez after real traffic from the official
// client over a real route; the exporter's jsz, leafz and accstatz families agree with /jsz,
// /leafz and /accstatz after JetStream traffic (a stream, a pull consumer) and traffic over a
// real leaf connection, and are absent from a server without JetStream and leaf nodes.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigString } from '../src/config/conf.js';
import { optionsFromConfig } from '../src/config/options.js';
import { type ServerHandle, startServer, type StartOptions } from '../src/index.js';
import { durationSeconds, localRFC3339 } from '../src/monitor/metrics.js';
import { clusterOptions, eventually } from './helpers/cluster.js';
import { RawClient } from './helpers/raw-client.js';

const started: ServerHandle[] = [];
const clients: NatsConnection[] = [];
const raws: RawClient[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const r of raws.splice(0)) await r.close();
  for (const h of started.splice(0)) await h.shutdown();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
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

    // No JetStream, no leaf nodes: none of their families, not even their HELP lines.
    expect(s.text).not.toMatch(/^# (HELP|TYPE) (jetstream_|gnatsd_leafz_|tsnats_leafz_|tsnats_jetstream_)/m);
    expect(value(s, a, 'gnatsd_accstatz_current_connections', ',account="$G",account_id="$G",account_name=""')).toBe(2);
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

  it('exports the exporter\'s jsz, leafz and accstatz families, agreeing with /jsz, /leafz and /accstatz', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsnats-metrics-'));
    dirs.push(dir);
    const hubOpts = optionsFromConfig(parseConfigString(`leafnodes { listen: "127.0.0.1:-1" }`, 'hub.conf'));
    const hub = await server({ serverName: 'HUB', jetstream: true, storeDir: dir, leafnode: hubOpts.leafnode });
    const leafOpts = optionsFromConfig(parseConfigString(`leafnodes { reconnect: 1, remotes: [ { url: "nats://127.0.0.1:${hub.server.leafnodes!.port}" } ] }`, 'leaf.conf'));
    const spoke = await server({ serverName: 'SPOKE', leafnode: leafOpts.leafnode });
    await eventually(() => hub.server.leafnodes!.numLeafs === 1 && spoke.server.leafnodes!.numLeafs === 1, 'the leaf connection', 15_000);

    // JetStream: a stream with 7 messages, a pull consumer that got 5 and acked 3.
    const nc = await client(hub, 'js');
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'ORDERS', subjects: ['orders.>'] });
    const js = jetstream(nc);
    for (let i = 0; i < 7; i++) await js.publish(`orders.${i}`, `order ${i}`);
    await jsm.consumers.add('ORDERS', { durable_name: 'work', ack_policy: 'explicit' as never, description: 'the workers' });
    const c = await js.consumers.get('ORDERS', 'work');
    const batch = await c.fetch({ max_messages: 5, expires: 2000 });
    let got = 0;
    for await (const m of batch) {
      if (got < 3) await m.ackAck();
      if (++got === 5) break;
    }
    expect(got).toBe(5);

    // Leaf traffic: interest on the spoke, 4 messages from the hub's client.
    const far = await client(spoke, 'far');
    const recv = far.subscribe('leaf.x', { max: 4 });
    await far.flush();
    const hasInterest = (): boolean => hub.server.leafnodes!.leafs()[0]!.subscriptions.some((x) => x.split(' ')[0] === 'leaf.x');
    await eventually(hasInterest, 'interest over the leaf', 10_000);
    for (let i = 0; i < 4; i++) nc.publish('leaf.x', 'hello');
    await nc.flush();
    let seen = 0;
    for await (const _m of recv) seen++;
    expect(seen).toBe(4);

    const s = await scrape(hub);
    expect(promtool(s.text)).toBe('');
    const jz = await json<JszJson>(hub.httpPort, '/jsz?consumers=true&config=true');
    const lz = await json<{ leafnodes: number; leafs: LeafJson[] }>(hub.httpPort, '/leafz');
    const az = await json<{ account_statz: AccountStatJson[] }>(hub.httpPort, '/accstatz?unused=1');

    // The exporter's names, types and help texts, and nothing else under its prefixes.
    const families = new Map<string, string>();
    for (const m of s.text.matchAll(/^# HELP (\S+) (.*)$/gm)) families.set(m[1]!, m[2]!);
    const ours = [...families.keys()].filter((n) => /^(jetstream_|gnatsd_leafz_|gnatsd_accstatz_|tsnats_leafz_|tsnats_jetstream_)/.test(n)).sort();
    const extras = ['tsnats_leafz_conn_subscriptions', 'tsnats_jetstream_stream_consumers'];
    expect(ours).toEqual([...[...EXPORTER_JSZ, ...EXPORTER_LEAFZ, ...EXPORTER_ACCSTATZ].map(([n]) => n), ...extras].sort());
    for (const [name, help] of [...EXPORTER_JSZ, ...EXPORTER_LEAFZ, ...EXPORTER_ACCSTATZ]) {
      expect(families.get(name), name).toBe(help);
      expect(s.types.get(name), name).toBe('gauge');
    }

    // jetstream_server_*: /jsz's totals and config; not clustered, so is_meta_leader="true".
    const srv = `,server_name="HUB",cluster="",domain="",meta_leader="",is_meta_leader="true"`;
    expect(jz.streams).toBe(1);
    expect(jz.messages).toBe(7);
    expect(value(s, hub, 'jetstream_server_jetstream_disabled', srv)).toBe(0);
    expect(value(s, hub, 'jetstream_server_total_streams', srv)).toBe(jz.streams);
    expect(value(s, hub, 'jetstream_server_total_consumers', srv)).toBe(jz.consumers);
    expect(value(s, hub, 'jetstream_server_total_messages', srv)).toBe(jz.messages);
    expect(value(s, hub, 'jetstream_server_total_message_bytes', srv)).toBe(jz.bytes);
    expect(value(s, hub, 'jetstream_server_max_memory', srv)).toBe(jz.config.max_memory);
    expect(value(s, hub, 'jetstream_server_max_storage', srv)).toBe(jz.config.max_storage);

    // jetstream_stream_*: ORDERS, led by this server.
    const acc = jz.account_details[0]!;
    const st = acc.stream_detail[0]!;
    const stream = `${srv},account="${acc.name}",account_id="${acc.id}",stream_name="ORDERS",stream_leader="HUB",is_stream_leader="true"`;
    expect(value(s, hub, 'jetstream_stream_total_messages', stream)).toBe(7);
    expect(value(s, hub, 'jetstream_stream_total_bytes', stream)).toBe(st.state.bytes);
    expect(value(s, hub, 'jetstream_stream_first_seq', stream)).toBe(1);
    expect(value(s, hub, 'jetstream_stream_last_seq', stream)).toBe(7);
    expect(value(s, hub, 'tsnats_jetstream_stream_consumers', stream)).toBe(1);

    // jetstream_consumer_*: work, after 5 delivered and 3 acked.
    const ci = st.consumer_detail[0]!;
    const created = localRFC3339(ci.created);
    expect(created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
    // The exporter reads the consumer's cluster leader ('' when its info has no cluster block).
    const consumer = `${stream},consumer_name="work",consumer_leader="${ci.cluster?.leader ?? ''}",is_consumer_leader="true",consumer_desc="the workers",consumer_created="${created}"`;
    expect(ci.delivered.consumer_seq).toBe(5);
    expect(ci.num_ack_pending).toBe(2);
    expect(value(s, hub, 'jetstream_consumer_delivered_consumer_seq', consumer)).toBe(ci.delivered.consumer_seq);
    expect(value(s, hub, 'jetstream_consumer_delivered_stream_seq', consumer)).toBe(ci.delivered.stream_seq);
    expect(value(s, hub, 'jetstream_consumer_num_ack_pending', consumer)).toBe(ci.num_ack_pending);
    expect(value(s, hub, 'jetstream_consumer_num_redelivered', consumer)).toBe(ci.num_redelivered);
    expect(value(s, hub, 'jetstream_consumer_num_waiting', consumer)).toBe(ci.num_waiting);
    expect(value(s, hub, 'jetstream_consumer_num_pending', consumer)).toBe(2);
    expect(value(s, hub, 'jetstream_consumer_ack_floor_stream_seq', consumer)).toBe(ci.ack_floor.stream_seq);
    expect(value(s, hub, 'jetstream_consumer_ack_floor_consumer_seq', consumer)).toBe(3);

    // gnatsd_leafz_*: the spoke's connection, as /leafz shows it.
    expect(lz.leafnodes).toBe(1);
    const lf = lz.leafs[0]!;
    const leaf = `,account="${lf.account}",account_id="${lf.account}",ip="${lf.ip}",port="${lf.port}",name=""`;
    expect(value(s, hub, 'gnatsd_leafz_info', leaf)).toBe(1);
    expect(value(s, hub, 'gnatsd_leafz_conn_out_msgs', leaf)).toBe(lf.out_msgs);
    expect(lf.out_msgs).toBeGreaterThanOrEqual(4);
    expect(value(s, hub, 'gnatsd_leafz_conn_in_msgs', leaf)).toBe(lf.in_msgs);
    expect(value(s, hub, 'gnatsd_leafz_conn_out_bytes', leaf)).toBe(lf.out_bytes);
    expect(value(s, hub, 'gnatsd_leafz_conn_in_bytes', leaf)).toBe(lf.in_bytes);
    expect(value(s, hub, 'gnatsd_leafz_conn_rtt', leaf)).toBe(durationSeconds(lf.rtt ?? '') || 0);
    expect(value(s, hub, 'tsnats_leafz_conn_subscriptions', leaf)).toBe(lf.subscriptions);
    expect(lf.subscriptions).toBeGreaterThanOrEqual(1);
    expect(value(s, hub, 'gnatsd_varz_leafnodes')).toBe(lz.leafnodes);

    // gnatsd_accstatz_*: every account, as /accstatz?unused=1 shows it.
    expect(az.account_statz.length).toBeGreaterThan(0);
    for (const a of az.account_statz) {
      const l = `,account="${a.acc}",account_id="${a.acc}",account_name=""`;
      expect(value(s, hub, 'gnatsd_accstatz_current_connections', l), a.acc).toBe(a.conns);
      expect(value(s, hub, 'gnatsd_accstatz_total_connections', l), a.acc).toBe(a.total_conns);
      expect(value(s, hub, 'gnatsd_accstatz_leaf_nodes', l), a.acc).toBe(a.leafnodes);
      expect(value(s, hub, 'gnatsd_accstatz_sent_messages', l), a.acc).toBe(a.sent.msgs);
      expect(value(s, hub, 'gnatsd_accstatz_sent_bytes', l), a.acc).toBe(a.sent.bytes);
      expect(value(s, hub, 'gnatsd_accstatz_received_messages', l), a.acc).toBe(a.received.msgs);
      expect(value(s, hub, 'gnatsd_accstatz_received_bytes', l), a.acc).toBe(a.received.bytes);
      expect(value(s, hub, 'gnatsd_accstatz_slow_consumers', l), a.acc).toBe(a.slow_consumers);
      const detail = await json<{ account_detail: { subscriptions: number } }>(hub.httpPort, `/accountz?acc=${encodeURIComponent(a.acc)}`);
      expect(value(s, hub, 'gnatsd_accstatz_subscriptions', l), a.acc).toBe(detail.account_detail.subscriptions);
    }
    const g = az.account_statz.find((a) => a.acc === '$G')!;
    expect(g.conns).toBe(1);
    // The leaf connection is bound to $G: nats-server's statz counts it in leafnodes and total_conns.
    expect(g.leafnodes).toBe(1);
    expect(g.total_conns).toBe(2);
    const gd = await json<{ account_detail: { leafnode_connections: number; client_connections: number } }>(hub.httpPort, '/accountz?acc=$G');
    expect(gd.account_detail.leafnode_connections).toBe(1);
    expect(gd.account_detail.client_connections).toBe(1);
    expect(g.received.msgs).toBeGreaterThanOrEqual(4);

    // The spoke has leaf nodes and no JetStream: its leafz families, no jsz ones.
    const sp = await scrape(spoke);
    expect(promtool(sp.text)).toBe('');
    expect(sp.text).not.toMatch(/^# (HELP|TYPE) (jetstream_|tsnats_jetstream_)/m);
    expect(sp.text).toMatch(/^gnatsd_leafz_info\{/m);
  });

  it('formats a consumer\'s created time as Go\'s Local().Format(time.RFC3339)', () => {
    const t = '2026-03-04T05:06:07.123456789Z';
    const got = localRFC3339(t);
    expect(got).toMatch(/^2026-03-0[345]T\d\d:\d\d:07(Z|[+-]\d\d:\d\d)$/);
    expect(Date.parse(got)).toBe(Date.parse('2026-03-04T05:06:07Z'));
    expect(localRFC3339('not a time')).toBe('');
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

/** The parts of /jsz?consumers=true&config=true the test reads. */
interface JszJson {
  streams: number;
  consumers: number;
  messages: number;
  bytes: number;
  config: { max_memory: number; max_storage: number };
  account_details: Array<{
    name: string;
    id: string;
    stream_detail: Array<{
      state: { bytes: number };
      consumer_detail: Array<{
        created: string;
        cluster?: { leader?: string };
        delivered: { consumer_seq: number; stream_seq: number };
        ack_floor: { consumer_seq: number; stream_seq: number };
        num_ack_pending: number;
        num_redelivered: number;
        num_waiting: number;
      }>;
    }>;
  }>;
}

interface LeafJson {
  account: string;
  ip: string;
  port: number;
  rtt?: string;
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
  subscriptions: number;
}

interface AccountStatJson {
  acc: string;
  conns: number;
  leafnodes: number;
  total_conns: number;
  sent: { msgs: number; bytes: number };
  received: { msgs: number; bytes: number };
  slow_consumers: number;
}

/**
 * prometheus-nats-exporter's jsz collector (collector/jsz.go): name and help text, without
 * jetstream_stream_consumer_count, which promtool refuses (a gauge named *_count).
 */
const EXPORTER_JSZ: Array<[string, string]> = [
  ['jetstream_server_jetstream_disabled', 'JetStream disabled or not'],
  ['jetstream_server_total_streams', 'Total number of streams in JetStream'],
  ['jetstream_server_total_consumers', 'Total number of consumers in JetStream'],
  ['jetstream_server_total_messages', 'Total number of stored messages in JetStream'],
  ['jetstream_server_total_message_bytes', 'Total number of bytes stored in JetStream'],
  ['jetstream_server_max_memory', 'JetStream Max Memory'],
  ['jetstream_server_max_storage', 'JetStream Max Storage'],
  ['jetstream_stream_total_messages', 'Total number of messages from a stream'],
  ['jetstream_stream_total_bytes', 'Total stored bytes from a stream'],
  ['jetstream_stream_first_seq', 'First sequence from a stream'],
  ['jetstream_stream_last_seq', 'Last sequence from a stream'],
  ['jetstream_consumer_delivered_consumer_seq', 'Latest sequence number of a stream consumer'],
  ['jetstream_consumer_delivered_stream_seq', 'Latest sequence number of a stream'],
  ['jetstream_consumer_num_ack_pending', 'Number of pending acks from a consumer'],
  ['jetstream_consumer_num_redelivered', 'Number of redelivered messages from a consumer'],
  ['jetstream_consumer_num_waiting', 'Number of inflight fetch requests from a pull consumer'],
  ['jetstream_consumer_num_pending', 'Number of pending messages from a consumer'],
  ['jetstream_consumer_ack_floor_stream_seq', 'Number of ack floor stream seq from a consumer'],
  ['jetstream_consumer_ack_floor_consumer_seq', 'Number of ack floor consumer seq from a consumer'],
];

/**
 * The exporter's leafz collector (collector/leafz.go), without its two gauges named *_total that
 * promtool refuses (conn_nodes_total, conn_subscriptions_total) and conn_subscriptions, which
 * needs /leafz?subs=1 (the exporter reads /leafz).
 */
const EXPORTER_LEAFZ: Array<[string, string]> = [
  ['gnatsd_leafz_info', 'info'],
  ['gnatsd_leafz_conn_rtt', 'rtt'],
  ['gnatsd_leafz_conn_in_msgs', 'in_msgs'],
  ['gnatsd_leafz_conn_out_msgs', 'out_msgs'],
  ['gnatsd_leafz_conn_in_bytes', 'in_bytes'],
  ['gnatsd_leafz_conn_out_bytes', 'out_bytes'],
];

/** The exporter's accstatz collector (collector/accstatz.go). */
const EXPORTER_ACCSTATZ: Array<[string, string]> = [
  ['gnatsd_accstatz_current_connections', 'current_connections'],
  ['gnatsd_accstatz_total_connections', 'total_connections'],
  ['gnatsd_accstatz_subscriptions', 'subscriptions'],
  ['gnatsd_accstatz_leaf_nodes', 'leaf_nodes'],
  ['gnatsd_accstatz_sent_messages', 'sent_messages'],
  ['gnatsd_accstatz_sent_bytes', 'sent_bytes'],
  ['gnatsd_accstatz_received_messages', 'received_messages'],
  ['gnatsd_accstatz_received_bytes', 'received_bytes'],
  ['gnatsd_accstatz_slow_consumers', 'slow_consumers'],
];
