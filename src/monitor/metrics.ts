// /metrics (tsnats only): Prometheus text exposition 0.0.4, built with prom-client.
//
// - gnatsd_varz_*, gnatsd_connz_*, gnatsd_routez_*, gnatsd_subsz_*: the names and label sets
//   prometheus-nats-exporter derives from the monitoring endpoints, so the usual NATS dashboards
//   read tsnats with no exporter sidecar. As the exporter's generic collector does, every number
//   at the top level of /varz and /subsz is a gauge `gnatsd_<endpoint>_<field>{server_id}`, and
//   the strings server_id, server_name and version are `{server_id, value}` gauges of 1. The
//   server_id label is this server's id (the exporter's -use_internal_server_id).
// - gnatsd_accstatz_*, gnatsd_leafz_*, jetstream_{server,stream,consumer}_*: the exporter's
//   hand-written accstatz, leafz and jsz collectors (-accstatz, -leafz, -jsz=all), with their
//   names, labels and help texts. The leafz and jsz families are registered at the first scrape
//   that finds the server with leaf nodes or JetStream: a server without one has none of them.
// - tsnats_*: figures of our own (parser path, match cache, producer stalls).
// - The default metrics of prom-client (process_*, nodejs_*: CPU, RSS, heap, GC, event-loop
//   lag), once per process, started with the first monitor (startProcessMetrics).
//
// Every value is computed on scrape, in prom-client collect() callbacks, from the snapshots
// /varz, /connz, /routez, /subsz, /accstatz, /leafz and /jsz answer with (each taken at most once
// per scrape): nothing here costs anything per message.

import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Server } from '../server/server.js';
import { accstatz, type AccountStatz } from './accountz.js';
import { connz, type Connz } from './connz.js';
import { goTime } from './go-format.js';
import { jszInfo } from './jsz.js';
import { leafz, type Leafz } from './leafz.js';
import { routez, type Routez } from './routez.js';
import { subsz, subszBody, type SublistStatsJson } from './subsz.js';
import { varz, type Varz } from './varz.js';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** The /varz strings the exporter turns into `{server_id, value}` gauges. */
const VARZ_LABELS = ['server_id', 'server_name', 'version'] as const;

/** The /subsz numbers (the statistics body HTTP /subsz prints), in nats-server's order. */
const SUBSZ_FIELDS: ReadonlyArray<keyof SublistStatsJson> = [
  'num_subscriptions',
  'num_cache',
  'num_inserts',
  'num_removes',
  'num_matches',
  'cache_hit_rate',
  'max_fanout',
  'avg_fanout',
];

/** The connz collector's sums over the connections of a default /connz page. */
const CONNZ_SUMS = ['pending_bytes', 'subscriptions', 'in_msgs', 'out_msgs', 'in_bytes', 'out_bytes'] as const;

/** The labels of gnatsd_routez_route_info; the other route figures carry server_id and rid. */
const ROUTE_INFO_LABELS = ['server_id', 'rid', 'remote_id', 'remote_name', 'account', 'ip', 'compression'];

/** The exporter's -jsz=all request: accounts, their streams and consumers, with configs. */
const JSZ_ALL = { account: '', accounts: true, streams: true, consumers: true, config: true, offset: 0, limit: 0 };

/** The parts of nats-server's JSInfo (as /jsz prints it) that the jsz collector reads. */
interface JsInfo {
  disabled?: boolean;
  config: { max_memory: number; max_storage: number; domain?: string };
  meta_cluster?: { name?: string; leader?: string };
  streams: number;
  consumers: number;
  messages: number;
  bytes: number;
  account_details?: Array<{ name: string; id: string; stream_detail?: JsStream[] }>;
}

interface JsStream {
  name: string;
  cluster?: { leader?: string };
  state: { messages: number; bytes: number; first_seq: number; last_seq: number; consumer_count: number };
  consumer_detail?: JsConsumer[];
}

interface JsConsumer {
  name: string;
  created: string;
  config?: { description?: string };
  cluster?: { leader?: string };
  delivered: { consumer_seq: number; stream_seq: number };
  ack_floor: { consumer_seq: number; stream_seq: number };
  num_ack_pending: number;
  num_redelivered: number;
  num_waiting: number;
  num_pending: number;
}

/** The exporter's jsz labels: the server's, a stream's (after the server's), a consumer's (after the stream's). */
const JS_SERVER_LABELS = ['server_id', 'server_name', 'cluster', 'domain', 'meta_leader', 'is_meta_leader'];
const JS_STREAM_LABELS = [...JS_SERVER_LABELS, 'account', 'account_id', 'stream_name', 'stream_leader', 'is_stream_leader'];
const JS_CONSUMER_LABELS = [...JS_STREAM_LABELS, 'consumer_name', 'consumer_leader', 'is_consumer_leader', 'consumer_desc', 'consumer_created'];

/** The exporter's leafz and accstatz labels. */
const LEAF_LABELS = ['server_id', 'account', 'account_id', 'ip', 'port', 'name'];
const ACCOUNT_LABELS = ['server_id', 'account', 'account_id', 'account_name'];

/**
 * Go's `t.Local().Format(time.RFC3339)` of an RFC 3339 time as /jsz prints it: whole seconds, in
 * this process' time zone ('' when the text is no time).
 */
export function localRFC3339(text: string): string {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? '' : goTime(Math.floor(ms / 1000) * 1000);
}

const GO_UNITS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  μs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
  y: 365 * 86400,
};

/**
 * Seconds in a Go duration ("1.5ms") or a nats-server uptime ("1y2d3h4m5s"); NaN when the text
 * is neither.
 */
export function durationSeconds(text: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|μs|ms|s|m|h|d|y)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    total += Number(m[1]) * GO_UNITS[m[2]];
    end = re.lastIndex;
  }
  return text !== '' && end === text.length ? total : NaN;
}

/** The snapshots of one scrape, each taken when the first collect() asks for it. */
class Scrape {
  private v: Varz | null = null;
  private c: Connz | null = null;
  private r: Routez | null = null;
  private s: SublistStatsJson | null = null;
  private m: { hits: number; lookups: number } | null = null;
  private a: AccountStatz | null = null;
  private l: Leafz | null = null;
  private j: JsInfo | null = null;

  constructor(private readonly server: Server) {}

  /** Drops the previous scrape's snapshots. */
  reset(): void {
    this.v = this.c = this.r = this.s = null;
    this.m = null;
    this.a = null;
    this.l = null;
    this.j = null;
  }

  /** /accstatz?unused=1, what the exporter's accstatz collector reads: every account. */
  get accstatz(): AccountStatz {
    return (this.a ??= accstatz(this.server, [], true));
  }

  /** /leafz, what the exporter's leafz collector reads (no subscription lists). */
  get leafz(): Leafz {
    return (this.l ??= leafz(this.server));
  }

  /** /jsz?consumers=true&config=true, what the exporter's jsz collector reads with -jsz=all. */
  get jsz(): JsInfo {
    return (this.j ??= jszInfo(this.server, JSZ_ALL) as unknown as JsInfo);
  }

  get varz(): Varz {
    return (this.v ??= varz(this.server));
  }

  /** /connz with its defaults (open connections, the first 1024), what the exporter reads. */
  get connz(): Connz {
    return (this.c ??= connz(this.server));
  }

  get routez(): Routez {
    return (this.r ??= routez(this.server));
  }

  get subsz(): SublistStatsJson {
    return (this.s ??= subszBody(subsz(this.server)));
  }

  /** Match cache hits and lookups, summed over the accounts' subject registries. */
  get matchCache(): { hits: number; lookups: number } {
    if (this.m === null) {
      let hits = 0;
      let lookups = 0;
      for (const a of this.server.accounts.values()) {
        const st = a.sublist.stats();
        hits += st.cacheHits;
        lookups += st.numMatches;
      }
      this.m = { hits, lookups };
    }
    return this.m;
  }
}

/**
 * prom-client's default gauges that promtool refuses (a gauge named *_total). Their per-type
 * breakdowns (nodejs_active_handles{type} ...) stay; a sum over them gives the same figure.
 */
const UNLINTED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

let processRegistry: Registry | null = null;

/**
 * prom-client's default metrics (process CPU, memory, file descriptors, heap, GC, event-loop
 * lag), registered once per process. Their event-loop delay monitor and GC observer start here:
 * the monitor calls this as it starts, so a server without one never runs them.
 */
export function startProcessMetrics(): Registry {
  if (processRegistry === null) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
    for (const name of UNLINTED_DEFAULTS) processRegistry.removeSingleMetric(name);
  }
  return processRegistry;
}

interface Exposition {
  registry: Registry;
  scrape: Scrape;
  /** The leafz and jsz families, registered at the first scrape that finds the subsystem. */
  leafz: Registry | null;
  jsz: Registry | null;
}

const expositions = new WeakMap<Server, Exposition>();

/** A gauge whose samples are all set anew by `fill` at each scrape. */
function gauge(reg: Registry, name: string, help: string, labelNames: readonly string[], fill: (g: Gauge) => void): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers: [reg],
    collect(this: Gauge) {
      this.reset();
      fill(this);
    },
  });
}

/** A counter set at each scrape to the server's running total. */
function counter(reg: Registry, name: string, help: string, labelNames: readonly string[], value: () => [Record<string, string>, number]): void {
  new Counter({
    name,
    help,
    labelNames,
    registers: [reg],
    collect(this: Counter) {
      this.reset();
      const [labels, v] = value();
      this.inc(labels, v);
    },
  });
}

/** The server's registry: the exporter's names, then ours. */
function build(server: Server): Exposition {
  const reg = new Registry();
  const scrape = new Scrape(server);
  const id = { server_id: server.id };

  // gnatsd_varz_*: the numbers at the top level of /varz, as the first snapshot has them.
  const first = scrape.varz;
  for (const key of VARZ_LABELS) {
    gauge(reg, `gnatsd_varz_${key}`, key, ['server_id', 'value'], (g) => g.set({ ...id, value: scrape.varz[key] }, 1));
  }
  for (const [key, v] of Object.entries(first)) {
    if (typeof v !== 'number') continue;
    gauge(reg, `gnatsd_varz_${key}`, key, ['server_id'], (g) => {
      const now = (scrape.varz as unknown as Record<string, unknown>)[key];
      if (typeof now === 'number') g.set(id, now);
    });
  }

  // gnatsd_connz_*: the page's counts, and sums over its connections. All gauges: promtool
  // wants a counter named *_total, and the exporter's names must stay as they are.
  // (gnatsd_connz_total is left out: promtool refuses a gauge named *_total.)
  gauge(reg, 'gnatsd_connz_num_connections', 'num_connections', ['server_id'], (g) => g.set(id, scrape.connz.num_connections));
  gauge(reg, 'gnatsd_connz_offset', 'offset', ['server_id'], (g) => g.set(id, scrape.connz.offset));
  gauge(reg, 'gnatsd_connz_limit', 'limit', ['server_id'], (g) => g.set(id, scrape.connz.limit));
  for (const key of CONNZ_SUMS) {
    gauge(reg, `gnatsd_connz_${key}`, key, ['server_id'], (g) => {
      let sum = 0;
      for (const c of scrape.connz.connections ?? []) sum += c[key];
      g.set(id, sum);
    });
  }

  // gnatsd_routez_*: the route count, and per route its identity and figures.
  gauge(reg, 'gnatsd_routez_server_id', 'server_id', ['server_id', 'value'], (g) => g.set({ ...id, value: scrape.routez.server_id }, 1));
  gauge(reg, 'gnatsd_routez_server_name', 'server_name', ['server_id', 'value'], (g) => g.set({ ...id, value: server.name }, 1));
  gauge(reg, 'gnatsd_routez_num_routes', 'num_routes', ['server_id'], (g) => g.set(id, scrape.routez.num_routes));
  gauge(reg, 'gnatsd_routez_route_info', 'route_info', ROUTE_INFO_LABELS, (g) => {
    for (const r of scrape.routez.routes) {
      g.set({ ...id, rid: String(r.rid), remote_id: r.remote_id, remote_name: '', account: '', ip: r.ip, compression: '' }, 1);
    }
  });
  const perRoute: Array<[string, string, (r: Routez['routes'][number]) => number]> = [
    ['route_rtt_seconds', 'rtt_seconds', (r) => durationSeconds(r.rtt ?? '')],
    ['route_subscriptions', 'subscriptions', (r) => r.subscriptions],
    ['route_uptime_seconds', 'uptime_seconds', (r) => durationSeconds(r.uptime)],
    ['route_in_msgs', 'in_msgs', (r) => r.in_msgs],
    ['route_out_msgs', 'out_msgs', (r) => r.out_msgs],
    ['route_in_bytes', 'in_bytes', (r) => r.in_bytes],
    ['route_out_bytes', 'out_bytes', (r) => r.out_bytes],
  ];
  for (const [name, help, value] of perRoute) {
    gauge(reg, `gnatsd_routez_${name}`, help, ['server_id', 'rid'], (g) => {
      for (const r of scrape.routez.routes) {
        const v = value(r);
        if (!Number.isNaN(v)) g.set({ ...id, rid: String(r.rid) }, v);
      }
    });
  }

  // gnatsd_subsz_*: the subject registry statistics.
  for (const key of SUBSZ_FIELDS) {
    gauge(reg, `gnatsd_subsz_${key}`, key, ['server_id'], (g) => g.set(id, scrape.subsz[key]));
  }

  // gnatsd_accstatz_*: per account, every account (the exporter reads /accstatz?unused=1).
  // 2.9.10's AccountStat has no `name` and no `num_subscriptions`: account_name is '' (the
  // exporter reads '' from such a server), subscriptions the account's count (as /accountz has
  // it, and as newer servers' num_subscriptions).
  const perAccount: Array<[string, (a: AccountStatz['account_statz'][number]) => number]> = [
    ['current_connections', (a) => a.conns],
    ['total_connections', (a) => a.total_conns],
    ['subscriptions', (a) => server.accounts.get(a.acc)?.sublist.count() ?? 0],
    ['leaf_nodes', (a) => a.leafnodes],
    ['sent_messages', (a) => a.sent.msgs],
    ['sent_bytes', (a) => a.sent.bytes],
    ['received_messages', (a) => a.received.msgs],
    ['received_bytes', (a) => a.received.bytes],
    ['slow_consumers', (a) => a.slow_consumers],
  ];
  for (const [name, value] of perAccount) {
    gauge(reg, `gnatsd_accstatz_${name}`, name, ACCOUNT_LABELS, (g) => {
      for (const a of scrape.accstatz.account_statz) g.set({ ...id, account: a.acc, account_id: a.acc, account_name: '' }, value(a));
    });
  }

  // tsnats_*: ours.
  gauge(reg, 'tsnats_parser_info', 'The protocol scanner in use: the native addon or TypeScript.', ['server_id', 'path'], (g) =>
    g.set({ ...id, path: server.impl.name }, 1),
  );
  const cache = (): { hits: number; lookups: number } => scrape.matchCache;
  counter(reg, 'tsnats_match_cache_lookups_total', 'Subject matches asked of the subject registries (all accounts).', ['server_id'], () => [id, cache().lookups]);
  counter(reg, 'tsnats_match_cache_hits_total', 'Subject matches answered from the match cache (all accounts).', ['server_id'], () => [id, cache().hits]);
  gauge(reg, 'tsnats_match_cache_hit_ratio', 'Match cache hits over matches since the start (0 before any match).', ['server_id'], (g) => {
    const { hits, lookups } = cache();
    g.set(id, lookups > 0 ? hits / lookups : 0);
  });
  counter(reg, 'tsnats_producer_stalls_total', 'Publishers stopped being read because a consumer was past half its max_pending.', ['server_id'], () => [
    id,
    server.stats.producerStalls,
  ]);
  gauge(reg, 'tsnats_stalled_producers', 'Publishers not being read at this moment (producer stall).', ['server_id'], (g) => {
    let n = 0;
    for (const c of server.clients.values()) if (c.stallUntil !== 0) n++;
    g.set(id, n);
  });

  return { registry: reg, scrape, leafz: null, jsz: null };
}

/**
 * gnatsd_leafz_*: per leaf connection, as the exporter's leafz collector. Its two gauges named
 * *_total, which promtool refuses, are left out: conn_nodes_total is gnatsd_varz_leafnodes, and
 * conn_subscriptions_total is tsnats_leafz_conn_subscriptions. (conn_subscriptions, one sample per
 * subject, needs /leafz?subs=1, which the exporter does not ask for: it has none either.)
 */
function buildLeafz(server: Server, scrape: Scrape): Registry {
  const reg = new Registry();
  type Leaf = Leafz['leafs'][number];
  const labels = (l: Leaf): Record<string, string> => ({ server_id: server.id, account: l.account, account_id: l.account, ip: l.ip, port: String(l.port), name: '' });
  const perLeaf: Array<[string, string, (l: Leaf) => number]> = [
    ['gnatsd_leafz_info', 'info', () => 1],
    // The exporter parses the Go duration and keeps 0 when it cannot.
    ['gnatsd_leafz_conn_rtt', 'rtt', (l) => durationSeconds(l.rtt ?? '') || 0],
    ['gnatsd_leafz_conn_in_msgs', 'in_msgs', (l) => l.in_msgs],
    ['gnatsd_leafz_conn_out_msgs', 'out_msgs', (l) => l.out_msgs],
    ['gnatsd_leafz_conn_in_bytes', 'in_bytes', (l) => l.in_bytes],
    ['gnatsd_leafz_conn_out_bytes', 'out_bytes', (l) => l.out_bytes],
    ['tsnats_leafz_conn_subscriptions', 'Subscriptions the leaf connection carries (the exporter\'s gnatsd_leafz_conn_subscriptions_total).', (l) => l.subscriptions],
  ];
  for (const [name, help, value] of perLeaf) {
    gauge(reg, name, help, LEAF_LABELS, (g) => {
      for (const l of scrape.leafz.leafs) g.set(labels(l), value(l));
    });
  }
  return reg;
}

/**
 * jetstream_{server,stream,consumer}_*: the exporter's jsz collector with -jsz=all, over /jsz's
 * snapshot. Its jetstream_stream_consumer_count, which promtool refuses, is
 * tsnats_jetstream_stream_consumers.
 */
function buildJsz(server: Server, scrape: Scrape): Registry {
  const reg = new Registry();
  /** The server labels: not clustered, so no meta group: cluster and meta_leader '', is_meta_leader "true". */
  const serverLabels = (j: JsInfo): Record<string, string> => ({
    server_id: server.id,
    server_name: server.name,
    cluster: j.meta_cluster?.name ?? '',
    domain: j.config.domain ?? '',
    meta_leader: j.meta_cluster?.leader ?? '',
    is_meta_leader: j.meta_cluster === undefined || j.meta_cluster.leader === server.name ? 'true' : 'false',
  });
  const leader = (l: string | undefined): string => (l === undefined || l === server.name ? 'true' : 'false');
  const perServer: Array<[string, string, (j: JsInfo) => number]> = [
    ['jetstream_server_jetstream_disabled', 'JetStream disabled or not', (j) => (j.disabled === true ? 1 : 0)],
    ['jetstream_server_total_streams', 'Total number of streams in JetStream', (j) => j.streams],
    ['jetstream_server_total_consumers', 'Total number of consumers in JetStream', (j) => j.consumers],
    ['jetstream_server_total_messages', 'Total number of stored messages in JetStream', (j) => j.messages],
    ['jetstream_server_total_message_bytes', 'Total number of bytes stored in JetStream', (j) => j.bytes],
    ['jetstream_server_max_memory', 'JetStream Max Memory', (j) => j.config.max_memory],
    ['jetstream_server_max_storage', 'JetStream Max Storage', (j) => j.config.max_storage],
  ];
  for (const [name, help, value] of perServer) {
    gauge(reg, name, help, JS_SERVER_LABELS, (g) => g.set(serverLabels(scrape.jsz), value(scrape.jsz)));
  }
  /** Each stream with its labels, in /jsz's order. */
  const streams = function* (): Generator<[Record<string, string>, JsStream]> {
    const j = scrape.jsz;
    const base = serverLabels(j);
    for (const acc of j.account_details ?? []) {
      for (const st of acc.stream_detail ?? []) {
        const l = st.cluster?.leader;
        yield [{ ...base, account: acc.name, account_id: acc.id, stream_name: st.name, stream_leader: l ?? '', is_stream_leader: leader(l) }, st];
      }
    }
  };
  const perStream: Array<[string, string, (s: JsStream) => number]> = [
    ['jetstream_stream_total_messages', 'Total number of messages from a stream', (s) => s.state.messages],
    ['jetstream_stream_total_bytes', 'Total stored bytes from a stream', (s) => s.state.bytes],
    ['jetstream_stream_first_seq', 'First sequence from a stream', (s) => s.state.first_seq],
    ['jetstream_stream_last_seq', 'Last sequence from a stream', (s) => s.state.last_seq],
    // The exporter's jetstream_stream_consumer_count, which promtool refuses (a gauge named *_count).
    ['tsnats_jetstream_stream_consumers', 'Consumers of a stream (the exporter\'s jetstream_stream_consumer_count).', (s) => s.state.consumer_count],
  ];
  for (const [name, help, value] of perStream) {
    gauge(reg, name, help, JS_STREAM_LABELS, (g) => {
      for (const [labels, st] of streams()) g.set(labels, value(st));
    });
  }
  const perConsumer: Array<[string, string, (c: JsConsumer) => number]> = [
    ['jetstream_consumer_delivered_consumer_seq', 'Latest sequence number of a stream consumer', (c) => c.delivered.consumer_seq],
    ['jetstream_consumer_delivered_stream_seq', 'Latest sequence number of a stream', (c) => c.delivered.stream_seq],
    ['jetstream_consumer_num_ack_pending', 'Number of pending acks from a consumer', (c) => c.num_ack_pending],
    ['jetstream_consumer_num_redelivered', 'Number of redelivered messages from a consumer', (c) => c.num_redelivered],
    ['jetstream_consumer_num_waiting', 'Number of inflight fetch requests from a pull consumer', (c) => c.num_waiting],
    ['jetstream_consumer_num_pending', 'Number of pending messages from a consumer', (c) => c.num_pending],
    ['jetstream_consumer_ack_floor_stream_seq', 'Number of ack floor stream seq from a consumer', (c) => c.ack_floor.stream_seq],
    ['jetstream_consumer_ack_floor_consumer_seq', 'Number of ack floor consumer seq from a consumer', (c) => c.ack_floor.consumer_seq],
  ];
  for (const [name, help, value] of perConsumer) {
    gauge(reg, name, help, JS_CONSUMER_LABELS, (g) => {
      for (const [labels, st] of streams()) {
        for (const c of st.consumer_detail ?? []) {
          const l = c.cluster?.leader;
          g.set(
            { ...labels, consumer_name: c.name, consumer_leader: l ?? '', is_consumer_leader: leader(l), consumer_desc: c.config?.description ?? '', consumer_created: localRFC3339(c.created) },
            value(c),
          );
        }
      }
    });
  }
  return reg;
}

/**
 * The exposition text: the process' default metrics, then the server's. Registers the server's
 * metrics at its first scrape (and the default ones with them when no monitor did).
 */
export async function metrics(server: Server): Promise<string> {
  const proc = startProcessMetrics();
  let e = expositions.get(server);
  if (e === undefined) {
    e = build(server);
    expositions.set(server, e);
  }
  e.scrape.reset();
  if (e.leafz === null && server.leafnodes !== null) e.leafz = buildLeafz(server, e.scrape);
  if (e.jsz === null && server.jetstream !== null) e.jsz = buildJsz(server, e.scrape);
  let own = await e.registry.metrics();
  if (e.leafz !== null && server.leafnodes !== null) own += await e.leafz.metrics();
  if (e.jsz !== null && server.jetstream !== null) own += await e.jsz.metrics();
  return (await proc.metrics()) + own;
}
