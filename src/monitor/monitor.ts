// The monitoring HTTP server (nats-server's `-m <port>`): routes, request counting, JSON/JSONP
// responses and errors as nats-server 2.9.10's startMonitoring, ServeMux and ResponseHandler.
// Every answer is a snapshot built by a pure function of this directory; nothing here writes to
// the server.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Logger } from '../server/logger.js';
import type { Server } from '../server/server.js';
import { listenTcp } from '../util/listen.js';
import { accountz, accstatz } from './accountz.js';
import { connz } from './connz.js';
import { dashboardAssets, dashz } from './dashboard.js';
import { marshal, marshalIndent } from './go-format.js';
import { healthz } from './healthz.js';
import { indexPage } from './index-page.js';
import { jsz, jszQuery } from './jsz.js';
import { METRICS_CONTENT_TYPE, metrics, startProcessMetrics } from './metrics.js';
import { MonitorError } from './monitor-error.js';
import { connzQuery, decodeBool, decodeSubs, healthzQuery, subszQuery } from './query.js';
import { countRequest } from './req-stats.js';
import { routez } from './routez.js';
import { leafz } from './leafz.js';
import { subsz, subszBody } from './subsz.js';
import { varz } from './varz.js';

export { accountz, accstatz, type Accountz, type AccountStatz } from './accountz.js';
export { connz, type ConnInfo, type Connz, type ConnzOptions, type ConnState } from './connz.js';
export { healthz, type HealthStatus } from './healthz.js';
export { metrics } from './metrics.js';
export { MonitorError } from './monitor-error.js';
export { routez, type Routez } from './routez.js';
export { leafz, type Leafz } from './leafz.js';
export { subsz, type Subsz, type SubszOptions, type SublistStatsJson } from './subsz.js';
export { varz, type Varz } from './varz.js';
export type { SubDetail } from './client-view.js';

export interface MonitorHandle {
  /** The host the monitor listens on (http_host, else the client host). */
  readonly host: string;
  /** The bound port (the real one when http_port was -1). */
  readonly port: number;
  /** Stops listening and closes open HTTP connections. */
  close(): Promise<void>;
}

/** nats-server's endpoint names (also the keys of /varz http_req_stats). */
const ROOT = '/';
const VARZ = '/varz';
const CONNZ = '/connz';
const ROUTEZ = '/routez';
const LEAFZ = '/leafz';
const SUBSZ = '/subsz';
const HEALTHZ = '/healthz';
const ACCOUNTZ = '/accountz';
const ACCSTATZ = '/accstatz';
const METRICS = '/metrics';
/** tsnats' own: the dashboard's page and its one JSON poll. */
const DASHBOARD = '/dashboard';
const DASHZ = '/dashz';
const JSZ = '/jsz';
/** Endpoints the dashboard shows when this server has what they report. */
const DASHBOARD_EXTRAS: Record<string, (s: Server) => boolean> = {
  [LEAFZ]: (s) => s.leafnodes !== null,
  [JSZ]: (s) => s.jetstream !== null,
};

interface Reply {
  status: number;
  type: string;
  body: string;
}

/** A reply now, or (for /metrics, which prom-client builds asynchronously) a promise of one. */
type Handler = (server: Server, q: URLSearchParams) => Reply | Promise<Reply>;

const TEXT = 'text/plain; charset=utf-8';

/** nats-server ResponseHandler: JSON, or JSONP when `callback` is given. */
function respond(q: URLSearchParams, json: string, status = 200): Reply {
  const callback = q.get('callback') ?? '';
  if (callback !== '') return { status, type: 'application/javascript', body: `${callback}(${json})` };
  return { status, type: 'application/json', body: json };
}

function badRequest(e: MonitorError): Reply {
  return { status: 400, type: TEXT, body: e.message };
}

/** nats-server's handlers: which decode first and which count first is theirs. */
const HANDLERS: Record<string, Handler> = {
  [VARZ]: (s, q) => {
    countRequest(s, VARZ);
    return respond(q, marshalIndent(varz(s)));
  },
  [CONNZ]: (s, q) => {
    const opts = connzQuery(q);
    countRequest(s, CONNZ);
    return respond(q, marshalIndent(connz(s, opts)));
  },
  [ROUTEZ]: (s, q) => {
    const subs = decodeSubs(q);
    countRequest(s, ROUTEZ);
    return respond(q, marshalIndent(routez(s, subs)));
  },
  [LEAFZ]: (s, q) => {
    const subs = decodeBool(q, 'subs');
    countRequest(s, LEAFZ);
    return respond(q, marshalIndent(leafz(s, { subs, account: q.get('acc') ?? '' })));
  },
  [SUBSZ]: (s, q) => {
    countRequest(s, SUBSZ);
    return respond(q, marshalIndent(subszBody(subsz(s, subszQuery(q)))));
  },
  '/subscriptionsz': (s, q) => HANDLERS[SUBSZ](s, q),
  [JSZ]: (s, q) => {
    countRequest(s, JSZ);
    return respond(q, jsz(s, jszQuery(q)));
  },
  [ACCOUNTZ]: (s, q) => {
    countRequest(s, ACCOUNTZ);
    return respond(q, marshalIndent(accountz(s, q.get('acc') ?? '')));
  },
  [ACCSTATZ]: (s, q) => {
    countRequest(s, ACCSTATZ);
    return respond(q, marshalIndent(accstatz(s, [], decodeBool(q, 'unused'))));
  },
  [HEALTHZ]: (s, q) => {
    countRequest(s, HEALTHZ);
    if (decodeBool(q, 'js-enabled')) s.logger.warn('Healthcheck: js-enabled deprecated, use js-enabled-only instead');
    healthzQuery(q);
    const h = healthz(s);
    return respond(q, marshal(h), h.error ? 503 : 200);
  },
  [METRICS]: async (s) => {
    countRequest(s, METRICS);
    return { status: 200, type: METRICS_CONTENT_TYPE, body: await metrics(s) };
  },
  [DASHZ]: (s, q) => {
    countRequest(s, DASHZ);
    const extras = Object.keys(DASHBOARD_EXTRAS).filter((p) => DASHBOARD_EXTRAS[p](s));
    return respond(q, marshal(dashz(s, q.get('sort') || undefined, extras)));
  },
};

// The dashboard's page and static assets (uPlot, script, style, favicon); the page is counted.
for (const [p, asset] of Object.entries(dashboardAssets())) {
  HANDLERS[p] = (s) => {
    if (p === DASHBOARD) countRequest(s, DASHBOARD);
    const a = asset();
    return { status: 200, type: a.type, body: a.body };
  };
}

/**
 * The decoded path and the raw query (with its '?') of a request target. Not WHATWG URL
 * parsing: that would read `//varz` as a host name, where Go sees the path `//varz`.
 */
function splitTarget(target: string): { path: string; search: string } {
  if (/^https?:\/\//i.test(target)) {
    const u = new URL(target);
    target = u.pathname + u.search;
  }
  const qi = target.indexOf('?');
  const raw = qi < 0 ? target : target.slice(0, qi);
  const search = qi < 0 ? '' : target.slice(qi);
  try {
    return { path: decodeURIComponent(raw), search };
  } catch {
    return { path: raw, search };
  }
}

/** nats-server normalizeBasePath: '' → '/', a leading '/' added, cleaned. */
export function normalizeBasePath(p: string): string {
  if (p === '') return '/';
  if (p[0] !== '/') p = '/' + p;
  return cleanPath(p);
}

/** Go path.Clean for absolute paths. */
function cleanPath(p: string): string {
  const n = path.posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** Go ServeMux cleanPath: path.Clean, keeping a trailing slash. */
function muxCleanPath(p: string): string {
  if (p === '') return '/';
  if (p[0] !== '/') p = '/' + p;
  let np = cleanPath(p);
  if (p.endsWith('/') && np !== '/') np += '/';
  return np;
}

/**
 * Starts the monitoring HTTP server on `opts.httpHost || opts.host`, port `opts.httpPort`
 * (-1, or 0, = a random port), under `opts.httpBasePath`. Resolves once it listens; rejects
 * with Node's listen error (EADDRINUSE...). Logs nothing on success: the caller prints
 * nats-server's "Starting http monitor on host:port" line. `logger` (default: the server's)
 * receives errors of the HTTP server.
 */
export async function startMonitor(server: Server, logger?: Logger): Promise<MonitorHandle> {
  const log = logger ?? server.logger;
  const o = server.opts;
  const host = o.httpHost || o.host;
  const base = normalizeBasePath(o.httpBasePath);
  const at = (p: string): string => cleanPath(path.posix.join(base, p)); // Go's path.Join
  const routes = new Map<string, Handler>();
  for (const [p, h] of Object.entries(HANDLERS)) routes.set(at(p), h);
  const page = indexPage(at);
  // prom-client's event-loop delay monitor and GC observer run from here on, not before.
  startProcessMetrics();
  routes.set(at(ROOT), (s) => {
    countRequest(s, ROOT);
    return { status: 200, type: 'text/html; charset=utf-8', body: page };
  });

  /** A handler's error: 400 with its text for a MonitorError, else logged and 500. */
  const failed = (p: string, e: unknown): Reply => {
    if (e instanceof MonitorError) return badRequest(e);
    log.error(`Error serving monitoring request ${p}: ${String(e)}`);
    return { status: 500, type: TEXT, body: 'Internal Server Error' };
  };
  const send = (res: http.ServerResponse, reply: Reply): void => {
    res.writeHead(reply.status, { 'Content-Type': reply.type, 'Content-Length': Buffer.byteLength(reply.body) });
    res.end(reply.body);
  };

  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const { path: p, search } = splitTarget(req.url ?? '/');
    const clean = muxCleanPath(p);
    if (clean !== p) {
      const location = encodeURI(clean) + search;
      res.writeHead(301, { Location: location, 'Content-Type': 'text/html; charset=utf-8' });
      res.end(`<a href="${location.replace(/"/g, '%22')}">Moved Permanently</a>.\n\n`);
      return;
    }
    const h = routes.get(p);
    if (h === undefined) {
      const body = '404 page not found\n';
      res.writeHead(404, { 'Content-Type': TEXT, 'X-Content-Type-Options': 'nosniff', 'Content-Length': body.length });
      res.end(body);
      return;
    }
    let reply: Reply | Promise<Reply>;
    try {
      reply = h(server, new URLSearchParams(search));
    } catch (e) {
      reply = failed(p, e);
    }
    if (reply instanceof Promise) {
      reply.then(
        (r) => send(res, r),
        (e: unknown) => send(res, failed(p, e)),
      );
    } else {
      send(res, reply);
    }
  };

  const http1 = http.createServer((req, res) => {
    try {
      handle(req, res);
    } catch (e) {
      // Never let one request take the server down.
      log.error(`Error serving monitoring request: ${String(e)}`);
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': TEXT });
      res.end();
    }
  });
  // The listen error as Node reports it (its `code` says why); the caller words the failure.
  await listenTcp(http1, host, o.httpPort === -1 ? 0 : o.httpPort);
  const port = (http1.address() as AddressInfo).port;
  http1.on('error', (e) => log.error(`monitoring: ${e.message}`));

  let closed: Promise<void> | null = null;
  return {
    host,
    port,
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve) => {
        http1.close(() => resolve());
        http1.closeAllConnections();
      });
      return closed;
    },
  };
}
