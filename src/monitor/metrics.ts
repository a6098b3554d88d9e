// /metrics (tsnats only): Prometheus text exposition 0.0.4, built with prom-client.
//
// - gnatsd_varz_*, gnatsd_connz_*, gnatsd_routez_*, gnatsd_subsz_*: the names and label sets
//   prometheus-nats-exporter derives from the monitoring endpoints, so the usual NATS dashboards
//   read tsnats with no exporter sidecar. As the exporter's generic collector does, every number
//   at the top level of /varz and /subsz is a gauge `gnatsd_<endpoint>_<field>{server_id}`, and
//   the strings server_id, server_name and version are `{server_id, value}` gauges of 1. The
//   server_id label is this server's id (the exporter's -use_internal_server_id).
// - tsnats_*: figures of our own (parser path, match cache, producer stalls).
// - The default metrics of prom-client (process_*, nodejs_*: CPU, RSS, heap, GC, event-loop
//   lag), once per process, started with the first monitor (startProcessMetrics).
//
// Every value is computed on scrape, in prom-client collect() callbacks, from the snapshots
// /varz, /connz, /routez and /subsz answer with (each taken at most once per scrape): nothing
// here costs anything per message.

import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Server } from '../server/server.js';
import { connz, type Connz } from './connz.js';
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

  constructor(private readonly server: Server) {}

  /** Drops the previous scrape's snapshots. */
  reset(): void {
    this.v = this.c = this.r = this.s = null;
    this.m = null;
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

  return { registry: reg, scrape };
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
  const own = await e.registry.metrics();
  return (await proc.metrics()) + own;
}
