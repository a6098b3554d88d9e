// /varz: server identity, limits and counters, field for field as nats-server 2.9.10's Varz
// (server/monitor.go), in its field order, units and omitempty rules. Reads, never writes.

import { infoAuthRequired } from '../client/auth.js';
import { goUrlParse } from '../config/cluster.js';
import { AUTH_TIMEOUT_MS, GO_VERSION, PROTO, TLS_TIMEOUT_MS, VERSION } from '../config/defaults.js';
import type { Server } from '../server/server.js';
import { goTime, goUptime } from './go-format.js';
import { jetstreamVarz } from './jsz.js';
import { numCores, processUsage } from './process-usage.js';
import { requestCounts } from './req-stats.js';

const NS_PER_MS = 1_000_000;

export interface Varz {
  server_id: string;
  server_name: string;
  version: string;
  proto: number;
  go: string;
  host: string;
  port: number;
  auth_required?: boolean;
  /** The cluster's client URLs, as in client INFO (absent while the server never had a route). */
  connect_urls?: string[];
  max_connections: number;
  max_subscriptions?: number;
  /** ns */
  ping_interval: number;
  ping_max: number;
  http_host: string;
  http_port: number;
  http_base_path: string;
  https_port: number;
  /** seconds */
  auth_timeout: number;
  max_control_line: number;
  max_payload: number;
  max_pending: number;
  cluster: ClusterOptsVarz;
  gateway: Record<string, never>;
  leaf: LeafNodeOptsVarz;
  mqtt: Record<string, never>;
  websocket: WebsocketOptsVarz;
  /** nats-server's JetStreamVarz: config and stats while JetStream runs (no meta: not clustered). */
  jetstream: ReturnType<typeof jetstreamVarz>;
  /** seconds */
  tls_timeout: number;
  /** ns */
  write_deadline: number;
  start: string;
  now: string;
  uptime: string;
  mem: number;
  cores: number;
  gomaxprocs: number;
  cpu: number;
  connections: number;
  total_connections: number;
  routes: number;
  remotes: number;
  leafnodes: number;
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
  slow_consumers: number;
  subscriptions: number;
  http_req_stats: Record<string, number>;
  config_load_time: string;
  trusted_operators_jwt?: string[];
  trusted_operators_claim?: Record<string, unknown>[];
  system_account?: string;
  /** tsnats only: which scanner is live, "native" or "ts". */
  parser: 'native' | 'ts';
}

/** nats-server's WebsocketOptsVarz (every field omitempty: `{}` without a websocket block). */
export interface WebsocketOptsVarz {
  host?: string;
  port?: number;
  advertise?: string;
  no_auth_user?: string;
  /** ns */
  handshake_timeout?: number;
  /** seconds */
  auth_timeout?: number;
  no_tls?: boolean;
  same_origin?: boolean;
  allowed_origins?: string[];
  compression?: boolean;
}

/** nats-server's LeafNodeOptsVarz (every field omitempty: `{}` without a leafnodes block). */
export interface LeafNodeOptsVarz {
  host?: string;
  port?: number;
  /** seconds */
  auth_timeout?: number;
  /** seconds */
  tls_timeout?: number;
  tls_required?: boolean;
  tls_verify?: boolean;
  remotes?: { local_account?: string; tls_timeout?: number; urls?: string[]; deny?: { exports?: string[]; imports?: string[] } }[];
}

/** The leafnodes block as /varz shows it: the bound port once listening, each remote's hosts. */
function leafVarz(server: Server): LeafNodeOptsVarz {
  const ln = server.opts.leafnode;
  if (ln === null) return {};
  const port = server.leafnodes !== null && server.leafnodes.port !== 0 ? server.leafnodes.port : ln.port;
  const remotes = ln.remotes.map((r) => {
    const hosts: string[] = [];
    for (const u of r.urls) {
      try {
        hosts.push(new URL(u).host);
      } catch {
        hosts.push('');
      }
    }
    const deny = r.denyImports.length > 0 || r.denyExports.length > 0;
    return {
      ...(r.account !== '' ? { local_account: r.account } : {}),
      ...(r.tls !== null ? { tls_timeout: 2 } : {}),
      ...(hosts.length > 0 ? { urls: hosts } : {}),
      ...(deny
        ? { deny: { ...(r.denyExports.length > 0 ? { exports: r.denyExports } : {}), ...(r.denyImports.length > 0 ? { imports: r.denyImports } : {}) } }
        : {}),
    };
  });
  return {
    ...(ln.host !== '' ? { host: ln.host } : {}),
    ...(port !== 0 ? { port } : {}),
    ...(ln.authTimeoutMs !== 0 ? { auth_timeout: ln.authTimeoutMs / 1000 } : {}),
    ...(ln.tlsTimeoutMs !== 0 ? { tls_timeout: ln.tlsTimeoutMs / 1000 } : {}),
    ...(ln.tls !== null ? { tls_required: true } : {}),
    ...(ln.tls !== null && ln.tls.verify ? { tls_verify: true } : {}),
    ...(remotes.length > 0 ? { remotes } : {}),
  };
}

/** The websocket block as /varz shows it: the bound port once listening, as nats-server does. */
function websocketVarz(server: Server): WebsocketOptsVarz {
  const ws = server.opts.websocket;
  if (ws === null) return {};
  const port = server.websocketPort !== 0 ? server.websocketPort : ws.port;
  return {
    ...(ws.host !== '' ? { host: ws.host } : {}),
    ...(port !== 0 ? { port } : {}),
    ...(ws.advertise !== '' ? { advertise: ws.advertise } : {}),
    ...(ws.noAuthUser !== '' ? { no_auth_user: ws.noAuthUser } : {}),
    ...(ws.handshakeTimeoutMs !== 0 ? { handshake_timeout: ws.handshakeTimeoutMs * NS_PER_MS } : {}),
    ...(ws.authTimeoutMs !== 0 ? { auth_timeout: ws.authTimeoutMs / 1000 } : {}),
    ...(ws.noTls ? { no_tls: true } : {}),
    ...(ws.sameOrigin ? { same_origin: true } : {}),
    ...(ws.allowedOrigins.length > 0 ? { allowed_origins: [...ws.allowedOrigins] } : {}),
    ...(ws.compression ? { compression: true } : {}),
  };
}

/** nats-server's ClusterOptsVarz (every field omitempty: `{}` without a cluster). */
export interface ClusterOptsVarz {
  name?: string;
  addr?: string;
  cluster_port?: number;
  /** seconds */
  auth_timeout?: number;
  urls?: string[];
  /** seconds */
  tls_timeout?: number;
  tls_required?: boolean;
  tls_verify?: boolean;
}

/** The /varz `cluster` block: the live cluster name, the bound route port, the configured routes. */
function clusterVarz(server: Server): ClusterOptsVarz {
  const c = server.opts.cluster;
  const cl = server.cluster;
  if (c === null || cl === null) return {};
  const urls = c.routes.map((r) => {
    const u = goUrlParse(r);
    return typeof u === 'string' ? '' : u.host;
  });
  return {
    name: cl.name,
    ...(c.host ? { addr: c.host } : {}),
    ...(cl.port ? { cluster_port: cl.port } : {}),
    auth_timeout: (c.authTimeoutMs || AUTH_TIMEOUT_MS) / 1000,
    ...(urls.length > 0 ? { urls } : {}),
    tls_timeout: (c.tlsTimeoutMs || TLS_TIMEOUT_MS) / 1000,
    // Route TLS always verifies (nats-server sets both from its TLS config).
    ...((c.tls ?? null) !== null ? { tls_required: true, tls_verify: true } : {}),
  };
}

/** The host and port clients are told about (INFO): client_advertise when set. */
export function advertisedHostPort(server: Server): [string, number] {
  const o = server.opts;
  const port = server.port;
  const adv = o.clientAdvertise;
  if (!adv) return [o.host, port];
  const i = adv.lastIndexOf(':');
  if (i < 0 || adv.endsWith(']')) return [adv.replace(/^\[|\]$/g, ''), port];
  return [adv.slice(0, i).replace(/^\[|\]$/g, ''), Number(adv.slice(i + 1))];
}

/** `connect_urls` when the client INFO has it (nats-server copies info.ClientConnectURLs when not empty). */
function connectUrls(server: Server): { connect_urls?: string[] } {
  const urls = server.clientConnectUrls;
  return urls !== null && urls.length > 0 ? { connect_urls: [...urls] } : {};
}

/**
 * An operator JWT's claims as nats-server marshals jwt.OperatorClaims: ClaimsData's fields, then
 * `nats` (its Operator fields, then the generic tags, type and version), empty ones left out.
 */
function operatorClaim(jwt: string): Record<string, unknown> {
  const c = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  const n = (c.nats ?? {}) as Record<string, unknown>;
  const pick = (o: Record<string, unknown>, keys: string[], always: string[] = []): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      const v = o[k];
      const empty = v === undefined || v === null || v === '' || v === 0 || v === false || (Array.isArray(v) && v.length === 0);
      if (!empty || always.includes(k)) out[k] = v ?? (k === 'iat' || k === 'version' ? 0 : '');
    }
    return out;
  };
  return {
    ...pick(c, ['aud', 'exp', 'jti', 'iat', 'iss', 'name', 'nbf', 'sub'], ['jti', 'iat', 'iss', 'name', 'sub']),
    nats: pick(n, ['signing_keys', 'account_server_url', 'operator_service_urls', 'system_account', 'assert_server_version', 'strict_signing_key_usage', 'tags', 'type', 'version'], ['type', 'version']),
  };
}

/** A /varz snapshot. */
export function varz(server: Server): Varz {
  const o = server.opts;
  const now = Date.now();
  const usage = processUsage();
  const cores = numCores();
  const [host, port] = advertisedHostPort(server);
  const st = server.stats;
  return {
    server_id: server.id,
    server_name: server.name,
    version: VERSION,
    proto: PROTO,
    go: GO_VERSION,
    host,
    port,
    ...(infoAuthRequired(o) ? { auth_required: true } : {}),
    ...connectUrls(server),
    max_connections: o.maxConnections,
    ...(o.maxSubscriptions > 0 ? { max_subscriptions: o.maxSubscriptions } : {}),
    ping_interval: o.pingIntervalMs * NS_PER_MS,
    ping_max: o.pingMax,
    http_host: o.httpHost || o.host,
    http_port: o.httpPort,
    http_base_path: o.httpBasePath,
    https_port: o.httpsPort,
    auth_timeout: (o.authTimeoutMs || AUTH_TIMEOUT_MS) / 1000,
    max_control_line: o.maxControlLine,
    max_payload: o.maxPayload,
    max_pending: o.maxPending,
    cluster: clusterVarz(server),
    gateway: {},
    leaf: leafVarz(server),
    mqtt: {},
    websocket: websocketVarz(server),
    jetstream: jetstreamVarz(server),
    tls_timeout: TLS_TIMEOUT_MS / 1000,
    write_deadline: o.writeDeadlineMs * NS_PER_MS,
    start: goTime(server.start.getTime()),
    now: goTime(now, true),
    uptime: goUptime(now - server.start.getTime()),
    mem: usage.rss,
    cores,
    gomaxprocs: cores,
    cpu: usage.cpu,
    connections: server.clients.size,
    total_connections: server.totalConnections,
    routes: server.cluster?.numRoutes ?? 0,
    remotes: server.cluster?.numRoutes ?? 0,
    leafnodes: server.leafnodes?.numLeafs ?? 0,
    in_msgs: st.inMsgs,
    out_msgs: st.outMsgs,
    in_bytes: st.inBytes,
    out_bytes: st.outBytes,
    slow_consumers: st.slowConsumers,
    subscriptions: server.numSubscriptions(),
    http_req_stats: requestCounts(server),
    // No configuration reload yet: the configuration was loaded when the server started.
    config_load_time: goTime(server.start.getTime()),
    ...(o.trustedOperators.length > 0
      ? { trusted_operators_jwt: o.trustedOperators.map((t) => t.jwt), trusted_operators_claim: o.trustedOperators.map((t) => operatorClaim(t.jwt)) }
      : {}),
    ...(server.systemAccount !== null ? { system_account: server.systemAccount.name } : {}),
    parser: server.impl.name,
  };
}
