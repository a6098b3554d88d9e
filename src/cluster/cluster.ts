// The cluster: nats-server 2.9's route manager (route.go). It listens for routes, solicits the
// configured ones and reconnects to them, runs the route handshake (CONNECT and INFO checks,
// route to self, duplicate routes, cluster names, dynamic names), registers routes by remote
// server id, gossips new routes to the others and connects to servers it hears about, keeps
// the other servers' client URLs for the clients' INFO, and carries local interest to every
// route. Route output is flushed once per loop turn; one coarse timer runs every route's
// keep-alive.

import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { networkInterfaces } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Account, Subscription } from '../accounts/account.js';
import { ClosedState, goQuote } from '../client/errors.js';
import { newNonce } from '../client/auth.js';
import { CompiledPermissions } from '../client/permissions.js';
import {
  AUTH_TIMEOUT_MS,
  DEFAULT_CONNECT_ERROR_REPORTS,
  DEFAULT_ROUTE_CONNECT_MS,
  DEFAULT_ROUTE_DIAL_MS,
  DEFAULT_ROUTE_RECONNECT_MS,
  GO_VERSION,
  VERSION,
} from '../config/defaults.js';
import { goUrlParse } from '../config/cluster.js';
import type { ClusterOptions, SubjectPermission, TlsOptions } from '../config/types.js';
import type tls from 'node:tls';
import { joinHostPort } from '../util/host-port.js';
import { listenTcp } from '../util/listen.js';
import { Reactor } from '../util/reactor.js';
import type { Cluster, ClusterHost, RouteSnapshot } from './host.js';
import { type InterestEntry, type InterestSink, LocalInterest, subLine, unsubLine } from './interest.js';
import { connectLine, gossipLine, infoLine, type RouteConnectDoc, type RouteInfoDoc } from './route-info.js';
import { Route, RouteClosed, routeLabel, type RouteOwner, type RouteType } from './route.js';
import { linkTlsContext, linkTlsDescription, linkTlsHandshake } from '../util/tls-link.js';
import { TLS_TIMEOUT_MS } from '../config/defaults.js';
import { Dialer } from '../util/dialer.js';
import { waitForSockets } from '../util/sockets.js';

/** nats-server's RouteProtoV2 (route INFO `proto`). */
export const ROUTE_PROTO = 2;
/** How long shutdown waits for routes to flush before their sockets are destroyed. */
const SHUTDOWN_FLUSH_MS = 1000;
const MIN_TICK_MS = 10;
const MAX_TICK_MS = 250;

const NUID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A nuid-like dynamic cluster name (22 base62 characters, as nats-server's nuid.Next()). */
function dynamicName(): string {
  let s = '';
  for (const b of randomBytes(22)) s += NUID_ALPHABET[b % 62];
  return s;
}

/**
 * `host[:port]`, the port defaulting to `defPort` (as nats-server's parseHostPort for the
 * advertise address and a route URL's host). Not config/options' splitHostPort, which is Go's
 * net.SplitHostPort: that one requires a port and returns Go's error text.
 */
function parseHostPort(hp: string, defPort: number): [string, number] {
  const m = /^\[([^\]]*)\](?::(\d+))?$/.exec(hp);
  if (m) return [m[1], m[2] === undefined ? defPort : Number(m[2])];
  const i = hp.lastIndexOf(':');
  if (i < 0 || hp.indexOf(':') !== i) return [hp, defPort];
  return [hp.slice(0, i), Number(hp.slice(i + 1))];
}

/**
 * A configured route as a URL to dial. Go's url.Parse accepts more than WHATWG URL does (a
 * bare `host:port` is a scheme and an opaque part there): what has no host is null.
 */
function routeUrl(r: string): URL | null {
  const g = goUrlParse(r);
  if (typeof g === 'string' || g.host === '') return null;
  try {
    return new URL(r);
  } catch {
    return null;
  }
}

/**
 * An accepted route's URL, from its INFO's host and port (nats-server keeps it for a retry
 * should the route become an implicit one). Go's url.Parse takes an INFO without them
 * (`nats-route://:0/`) and the route goes on; here the URL is then left unset.
 */
function infoUrl(info: RouteInfoDoc): URL | null {
  try {
    return new URL(`nats-route://${joinHostPort(info.host, info.port)}/`);
  } catch {
    return null;
  }
}

/** Route permissions: import is what routes may send us (publish), export what we send (subscribe). */
function compilePermissions(c: ClusterOptions): CompiledPermissions | null {
  const p = c.permissions;
  return p === null ? null : new CompiledPermissions({ publish: p.import, subscribe: p.export, response: null });
}

/** A peer's export permission (its INFO `export`) as a checker: what it takes RS+ for. */
function exportPermissions(p: SubjectPermission | null): CompiledPermissions | null {
  return p === null ? null : new CompiledPermissions({ publish: null, subscribe: p, response: null });
}

/** nats-server's canImport for a route: we take messages on `subject` (no permissions: all). */
function canImport(p: CompiledPermissions | null, subject: string): boolean {
  return p === null || p.pubAllowed(subject);
}

/** nats-server's canExport for a route: we take RS+ on `subject` (no permissions: all). */
function canExport(p: CompiledPermissions | null, subject: string): boolean {
  return p === null || p.canSubscribe(subject, null);
}

/** Go's url.Redacted: the password shown as `xxxxx`. */
function redacted(u: URL): string {
  if (u.password === '') return u.toString();
  const c = new URL(u.toString());
  c.password = 'xxxxx';
  return c.toString();
}

export class ClusterManager implements Cluster, RouteOwner, InterestSink {
  perms: CompiledPermissions | null;
  private copts: ClusterOptions;
  private clusterName: string;
  private isDynamic: boolean;
  private listener: net.Server | null = null;
  private boundPort = 0;
  /** Registered routes by rid, and by remote server id. */
  private readonly byRid = new Map<number, Route>();
  private readonly remotes = new Map<string, Route>();
  /** Routes not registered yet (handshake in progress). */
  private readonly pending = new Set<Route>();
  /** The other servers' client URLs, reference counted (nats-server's clientConnectURLsMap). */
  private readonly urls = new Map<string, number>();
  private readonly interest: LocalInterest;
  /** The configured route URLs. */
  private configured: URL[];
  /** `ip:port` addresses of this server's route listener (nats-server's routesToSelf). */
  private readonly selfAddrs = new Set<string>();
  /**
   * Route output is flushed once per loop turn, after the turn's interest removals are
   * announced. No early flush at a high-water mark (a route is bounded by the stall of its
   * publishers past half of max_pending).
   */
  private readonly reactor = new Reactor<Route>({
    beforeFlush: () => {
      if (this.interest.hasPending) this.interest.flushRemovals();
    },
    highWater: Infinity,
  });
  private timer: NodeJS.Timeout | null = null;
  /** Dials, route TLS handshakes and reconnect waits in progress, all ended at shutdown. */
  private readonly dialer = new Dialer(DEFAULT_ROUTE_DIAL_MS);
  /** The route TLS context, made for the cluster's current `tls` options (null: plain routes). */
  private tls: { opts: TlsOptions; context: tls.SecureContext } | null = null;
  /**
   * nats-server's routeTLSName: the host name of a configured route, checked in the certificate
   * of a route solicited by IP (gossiped routes are).
   */
  private tlsName = '';
  private running = false;
  private stopping = false;

  constructor(readonly host: ClusterHost) {
    const c = host.opts.cluster;
    if (c === null) throw new Error('cluster: no cluster options');
    this.copts = c;
    this.isDynamic = c.name === '';
    this.clusterName = c.name || dynamicName();
    this.interest = new LocalInterest(this);
    this.configured = this.routeUrls(c.routes);
    this.perms = compilePermissions(c);
  }

  /** The configured routes as URLs to dial; one without a host is logged and left out. */
  private routeUrls(routes: readonly string[]): URL[] {
    const urls: URL[] = [];
    for (const r of routes) {
      const u = routeUrl(r);
      if (u !== null) urls.push(u);
      else this.host.log('ERR', `Route URL ${JSON.stringify(r)} has no host to connect to: ignored`);
    }
    return urls;
  }

  /**
   * A config reload changed the cluster block (nats-server's clusterOption; host and port cannot
   * change): authorization, advertise, no_advertise and permissions apply from now on, and a
   * configured name replaces the current one.
   */
  reconfigure(next: ClusterOptions): void {
    const permsChanged = JSON.stringify(this.copts.permissions) !== JSON.stringify(next.permissions);
    const old = this.perms;
    this.copts = next;
    this.perms = compilePermissions(next);
    if (next.name !== '' && next.name !== this.clusterName) {
      this.isDynamic = false;
      this.setClusterName(next.name);
    }
    if (permsChanged) this.reloadPermissions(old);
  }

  /**
   * nats-server's reloadClusterPermissions: every route drops the interest it holds that we may
   * no longer export to, and gets our new INFO (so that it re-sends what we now export to) and
   * RS+ / RS- for the local interest we may now import / no longer import. (nats-server 2.9
   * re-sends the global account's interest only; tsnats every account's, as a new route gets.)
   */
  private reloadPermissions(old: CompiledPermissions | null): void {
    if (this.byRid.size === 0) return;
    this.interest.flushRemovals();
    const perms = this.perms;
    let subs = '';
    let unsubs = '';
    for (const e of this.interest.entries()) {
      const then = canImport(old, e.subject);
      const now = canImport(perms, e.subject);
      if (now && !then) subs += subLine(e, e.sent);
      else if (!now && then) unsubs += unsubLine(e);
    }
    const info = infoLine(this.ownInfo());
    for (const r of this.byRid.values()) {
      if (perms !== null) r.remote.removeWhere((rs) => !perms.canSubscribe(rs.subject, null));
      r.sendProto(info, true);
      if (subs !== '') r.sendProto(subs);
      if (unsubs !== '') r.sendProto(unsubs);
    }
  }

  /**
   * A config reload changed the routes (nats-server's routesOption): routes to URLs no longer
   * configured are closed (`Route Removed`, not reconnected), new ones are solicited.
   */
  reloadRoutes(routes: readonly string[]): void {
    const next = this.routeUrls(routes);
    const key = (u: URL): string => u.toString();
    const removed = this.configured.filter((u) => !next.some((n) => key(n) === key(u)));
    const added = next.filter((u) => !this.configured.some((o) => key(o) === key(u)));
    this.configured = next;
    this.saveRouteTlsName(added);
    for (const u of removed) {
      for (const r of [...this.byRid.values(), ...this.pending]) {
        if (r.url === null || key(r.url) !== key(u)) continue;
        r.noReconnect = true;
        r.close(RouteClosed.RouteRemoved);
        this.host.log('INF', `Removed route ${redacted(u)}`);
      }
    }
    if (this.running) for (const u of added) void this.connectToRoute(u, true, true);
  }

  get port(): number {
    return this.boundPort;
  }

  get numRoutes(): number {
    return this.byRid.size;
  }

  get name(): string {
    return this.clusterName;
  }

  get dynamic(): boolean {
    return this.isDynamic;
  }

  // ---- start and stop ----

  /** nats-server's startRouteAcceptLoop: listen (when a port is set), then solicit the routes. */
  async start(): Promise<void> {
    const log = this.host.log.bind(this.host);
    log('INF', `Cluster name is ${this.clusterName}`);
    if (this.isDynamic) log('WRN', 'Cluster name was dynamically generated, consider setting one');
    const c = this.copts;
    if (c.port !== 0) {
      const server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
      await listenTcp(server, c.host, c.port === -1 ? 0 : c.port, 1024);
      this.listener = server;
      this.boundPort = (server.address() as net.AddressInfo).port;
      log('INF', `Listening for route connections on ${joinHostPort(c.host, this.boundPort)}`);
      for (const list of Object.values(networkInterfaces())) {
        for (const a of list ?? []) this.selfAddrs.add(joinHostPort(a.address, this.boundPort));
      }
    }
    this.running = true;
    const o = this.host.opts;
    const shortest = Math.min(o.pingIntervalMs, o.writeDeadlineMs, c.authTimeoutMs || AUTH_TIMEOUT_MS);
    this.timer = setInterval(() => this.tick(), Math.max(MIN_TICK_MS, Math.min(MAX_TICK_MS, Math.floor(shortest / 20))));
    this.timer.unref();
    this.saveRouteTlsName(this.configured);
    for (const u of this.configured) void this.connectToRoute(u, true, true);
  }

  /** nats-server's saveRouteTLSName: the first host name (not an IP) among `routes`. */
  private saveRouteTlsName(routes: readonly URL[]): void {
    for (const u of routes) {
      const host = parseHostPort(u.host, 0)[0];
      if (this.tlsName === '' && net.isIP(host) === 0) this.tlsName = host;
    }
  }

  /** Closes the listener and every route, stops reconnecting; resolves when the sockets are gone. */
  async shutdown(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.listener?.close();
    this.listener = null;
    this.dialer.stop();
    const all = [...this.byRid.values(), ...this.pending];
    for (const r of all) {
      r.noReconnect = true;
      r.close(ClosedState.ServerShutdown);
    }
    const sockets = all.map((r) => r.socket).filter((s) => !s.destroyed);
    await waitForSockets(sockets, ['close'], SHUTDOWN_FLUSH_MS);
    for (const s of sockets) s.destroy();
  }

  /** Lame duck mode: every route gets our INFO with `"ldm":true` (nats-server's sendLDMToRoutes). */
  lameDuck(): void {
    const line = infoLine({ ...this.ownInfo(), ldm: true });
    for (const r of this.byRid.values()) r.sendProto(line, true);
  }

  // ---- the route INFO ----

  /** This server's route INFO (nats-server's routeInfo), without a nonce. */
  private ownInfo(): RouteInfoDoc {
    const c = this.copts;
    const o = this.host.opts;
    let host = c.host;
    let port = this.boundPort;
    let ip = '';
    if (c.advertise !== '') {
      [host, port] = parseHostPort(c.advertise, this.boundPort);
      ip = `nats-route://${joinHostPort(host, port)}/`;
    }
    return {
      server_id: this.host.serverId,
      server_name: this.host.serverName,
      version: VERSION,
      proto: ROUTE_PROTO,
      go: GO_VERSION,
      host,
      port,
      headers: !o.noHeaderSupport,
      auth_required: c.username !== '',
      tls_required: (c.tls ?? null) !== null,
      tls_verify: (c.tls ?? null) !== null,
      max_payload: o.maxPayload,
      ip,
      cluster: this.clusterName,
      cluster_dynamic: this.isDynamic,
      connect_urls: c.noAdvertise ? undefined : this.host.clientConnectUrls(),
      import: c.permissions?.import ?? null,
      export: c.permissions?.export ?? null,
      lnoc: true,
    };
  }

  // ---- connections ----

  /** The TLS context for routes now, or null without TLS (made again when the options changed). */
  private tlsContext(): tls.SecureContext | null {
    const t = this.copts.tls ?? null;
    if (t === null) return (this.tls = null);
    if (this.tls?.opts !== t) this.tls = { opts: t, context: linkTlsContext(t) };
    return this.tls.context;
  }

  /**
   * With cluster TLS, the handshake comes first (nats-server's doTLSHandshake, no plain-text
   * INFO): `then` gets the TLS socket and the rid once it is done. A failure is logged as
   * nats-server logs it and the connection closed as `TLS Handshake Failure`; a solicited route
   * is then retried. Without TLS, `then` at once.
   */
  private withTls(raw: net.Socket, url: URL | null, then: (socket: net.Socket, rid: number) => void): void {
    const rid = this.host.nextCid();
    const context = this.tlsContext();
    if (context === null) return then(raw, rid);
    const label = routeLabel(raw, rid);
    const log = (level: 'INF' | 'ERR' | 'DBG', text: string): void => this.host.log(level, `${label} - ${text}`);
    let host = '';
    if (url !== null) {
      host = parseHostPort(url.host, 0)[0];
      if (this.tlsName !== '' && net.isIP(host) !== 0) host = this.tlsName;
    }
    // Go's read deadline error names both ends: `read tcp 127.0.0.1:6222->127.0.0.1:50764`.
    const addr = (ip: string | undefined, port: number | undefined): string => joinHostPort((ip ?? '').replace(/^::ffff:/, ''), port ?? 0);
    const ends = `${addr(raw.localAddress, raw.localPort)}->${addr(raw.remoteAddress, raw.remotePort)}`;
    log('DBG', `Starting TLS route ${url === null ? 'server' : 'client'} handshake`);
    this.dialer.track(raw);
    const timeoutMs = this.copts.tlsTimeoutMs || TLS_TIMEOUT_MS;
    linkTlsHandshake(raw, context, url === null ? { server: true } : { server: false, host }, timeoutMs, (err, socket, timedOut) => {
      this.dialer.untrack(raw);
      if (err === null && !this.stopping) {
        then(socket!, rid);
        return;
      }
      if (err === null) {
        socket!.destroy();
        return;
      }
      // Timed out: nats-server's read deadline and its timer fire together, the deadline first.
      log('ERR', `TLS route handshake error: ${timedOut ? `read tcp ${ends}: i/o timeout` : err}`);
      // nats-server forgets the name when the certificate did not have it (its issue 1256).
      if (host === this.tlsName && err.startsWith('x509: certificate is valid for')) this.tlsName = '';
      log('INF', `Router connection closed: ${ClosedState.TLSHandshakeError}`);
      if (timedOut) log('ERR', 'TLS handshake timeout');
      if (url === null || !this.running) return;
      this.host.log('DBG', `Attempting reconnect for solicited route ${quote(redacted(url))}`);
      void this.reconnectToRoute(url, this.isConfigured(url) ? 'explicit' : 'implicit');
    });
  }

  /** Logs how the TLS handshake of a new route went (nats-server's debug lines). */
  private tlsDone(r: Route): void {
    if (this.tls === null) return;
    r.log('DBG', 'TLS handshake complete');
    r.log('DBG', linkTlsDescription(r.socket as tls.TLSSocket));
  }

  /** An accepted route connection (nats-server's createRoute with no URL). */
  private accept(raw: net.Socket): void {
    if (this.stopping) {
      raw.destroy();
      return;
    }
    this.withTls(raw, null, (socket, rid) => this.accepted(socket, rid));
  }

  private accepted(socket: net.Socket, rid: number): void {
    const r = this.createRoute(socket, null, rid);
    this.tlsDone(r);
    if (this.copts.username !== '') r.authDue = r.start + (this.copts.authTimeoutMs || AUTH_TIMEOUT_MS);
    r.sendProto(infoLine({ ...this.ownInfo(), nonce: newNonce() }), true);
  }

  /** A solicited route connection: CONNECT, then our INFO, without waiting for the peer. */
  private solicited(raw: net.Socket, url: URL): void {
    this.withTls(raw, url, (socket, rid) => this.connected(socket, url, rid));
  }

  private connected(socket: net.Socket, url: URL, rid: number): void {
    const r = this.createRoute(socket, url, rid);
    r.routeType = this.isConfigured(url) ? 'explicit' : 'implicit';
    this.tlsDone(r);
    r.log('DBG', 'Route connect msg sent');
    r.sendProto(
      connectLine({
        user: decodeURIComponent(url.username),
        pass: decodeURIComponent(url.password),
        tlsRequired: this.tls !== null,
        headers: !this.host.opts.noHeaderSupport,
        name: this.host.serverId,
        cluster: this.clusterName,
        dynamic: this.isDynamic,
      }),
      true,
    );
    r.sendProto(infoLine({ ...this.ownInfo(), nonce: newNonce() }), true);
  }

  private createRoute(socket: net.Socket, url: URL | null, rid: number): Route {
    const r = new Route(this, socket, rid, url, Date.now());
    ROUTE_OF.set(socket, r);
    socket.setNoDelay(true);
    socket.on('data', onSocketData);
    socket.on('drain', onSocketDrain);
    socket.on('end', onSocketClose);
    socket.on('close', onSocketClose);
    socket.on('error', onSocketError);
    this.pending.add(r);
    r.log('INF', 'Route connection created');
    return r;
  }

  private isConfigured(url: URL): boolean {
    const h = url.host.toLowerCase();
    return this.configured.some((u) => u.host.toLowerCase() === h);
  }

  /**
   * nats-server's connectToRoute: dial `url` (1 s timeout); on failure retry every second,
   * forever for a configured route, else up to connect_retries times.
   */
  private async connectToRoute(url: URL, tryForever: boolean, firstConnect: boolean): Promise<void> {
    let attempts = 0;
    while (this.running) {
      let socket: net.Socket;
      try {
        const address = await this.routeAddress(url);
        if (address === null || !this.running) return;
        this.host.log('DBG', `Trying to connect to route on ${url.host} (${address})`);
        socket = await this.dialer.dial(address);
      } catch (e) {
        if (!this.running) return;
        attempts++;
        const text = `Error trying to connect to route (attempt ${attempts}): ${e instanceof Error ? e.message : String(e)}`;
        const report = attempts === 1 || !firstConnect || attempts % DEFAULT_CONNECT_ERROR_REPORTS === 0;
        this.host.log(report ? 'ERR' : 'DBG', text);
        if (!tryForever && (this.copts.connectRetries <= 0 || attempts > this.copts.connectRetries)) return;
        if (tryForever && !this.isConfigured(url)) return;
        if (!(await this.dialer.sleep(DEFAULT_ROUTE_CONNECT_MS))) return;
        continue;
      }
      if (!this.running) {
        socket.destroy();
        return;
      }
      this.solicited(socket, url);
      return;
    }
  }

  /**
   * nats-server's getRandomIP: an IP literal as is; a name resolved, without the addresses of
   * this server's own route listener (null: nothing left, do not connect). Throws when the
   * name does not resolve.
   */
  private async routeAddress(url: URL): Promise<string | null> {
    const [host, port] = parseHostPort(url.host, 0);
    if (net.isIP(host) !== 0) return joinHostPort(host, port);
    let ips: string[];
    try {
      ips = (await lookup(host, { all: true })).map((a) => a.address);
    } catch (e) {
      throw new Error(`lookup for host ${quote(host)}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const left = ips.map((ip) => joinHostPort(ip, port)).filter((a) => !this.selfAddrs.has(a));
    if (left.length === 0) return null;
    return left[Math.floor(Math.random() * left.length)];
  }

  // ---- the handshake (RouteOwner) ----

  /** nats-server's processRouteConnect. */
  routeConnect(r: Route, c: RouteConnectDoc): void {
    if (c.lang !== '') {
      const text = 'attempted to connect to route port';
      r.sendErr(text);
      r.log('ERR', text);
      r.close(RouteClosed.WrongPort);
      return;
    }
    if (c.gateway !== '') {
      const text = `Rejecting connection from gateway ${quote(c.gateway)} on the Route port`;
      r.log('ERR', text);
      r.sendErr(text);
      r.close(RouteClosed.WrongGateway);
      return;
    }
    if (c.cluster !== this.clusterName) {
      if (this.isDynamic && (!c.cluster_dynamic || this.clusterName < c.cluster)) {
        this.setClusterName(c.cluster);
        if (!c.cluster_dynamic) this.isDynamic = false;
        this.removeAllRoutesExcept(r);
      } else {
        const text = `Rejecting connection, cluster name ${quote(c.cluster)} does not match ${quote(this.clusterName)}`;
        r.log('ERR', text);
        r.sendErr(text);
        r.close(RouteClosed.ClusterNameConflict);
        // nats-server's read loop then logs the error processRouteConnect returned.
        r.log('ERR', 'cluster name from remote server conflicts');
        return;
      }
    }
    r.remoteId = c.name;
    r.headers = !this.host.opts.noHeaderSupport && c.headers;
  }

  /** nats-server's processRouteInfo. */
  routeInfo(r: Route, info: RouteInfoDoc): void {
    if (r.closed) return;
    if (info.server_id === this.host.serverId) {
      r.remoteId = info.server_id;
      r.close(RouteClosed.DuplicateRoute);
      return;
    }
    const cluster = info.cluster ?? '';
    if (cluster !== '' && cluster !== this.clusterName) {
      if (this.isDynamic && (!info.cluster_dynamic || this.clusterName < cluster)) {
        this.setClusterName(cluster);
        this.removeAllRoutesExcept(r);
      } else {
        r.close(RouteClosed.ClusterNameConflict);
        return;
      }
    }
    if (r.infoReceived) {
      if (r.remoteId !== '' && r.remoteId !== info.server_id) {
        this.processImplicitRoute(info);
        return;
      }
      if (info.ldm) {
        if (r.connectUrls.length > 0 && !this.copts.noAdvertise) this.removeConnectUrls(r.connectUrls);
        r.connectUrls = [];
      } else {
        this.updateRemoteRoutePerms(r, info);
      }
      return;
    }
    if (!r.didSolicit && info.server_name === this.host.serverName) {
      r.log('ERR', `Remote server has a duplicate name: ${quote(info.server_name)}`);
      r.close(RouteClosed.DuplicateServerName);
      return;
    }
    r.infoReceived = true;
    r.headers = !this.host.opts.noHeaderSupport && info.headers;
    r.remoteId = info.server_id;
    r.remoteName = info.server_name;
    r.import = info.import ?? null;
    r.export = info.export ?? null;
    if (r.url === null) r.url = infoUrl(info);
    // Removals still waiting would reach the new route after its full interest set.
    this.interest.flushRemovals();
    const registered = this.addRoute(r, info);
    if (registered === null) {
      r.log('DBG', `Detected duplicate remote route ${quote(info.server_id)}`);
      r.close(RouteClosed.DuplicateRoute);
      return;
    }
    r.log('DBG', `Registering remote route ${quote(info.server_id)}`);
    this.sendSubsToRoute(r);
    if (registered) {
      if (!info.ip) info.ip = `nats-route://${joinHostPort(r.ip, info.port)}/`;
      this.forwardNewRouteInfoToKnownServers(info);
    }
    if (!this.copts.noAdvertise && r.connectUrls.length > 0) this.addConnectUrls(r.connectUrls);
  }

  /**
   * nats-server's addRoute. Returns null when a route to that server exists already (the
   * existing one takes over this one's URL if this one was solicited), else whether other
   * routes exist (the new one is then gossiped to them).
   */
  private addRoute(r: Route, info: RouteInfoDoc): boolean | null {
    if (!this.running) return null;
    const existing = this.remotes.get(r.remoteId);
    if (existing === undefined) {
      this.pending.delete(r);
      this.byRid.set(r.rid, r);
      this.remotes.set(r.remoteId, r);
      r.registered = true;
      r.connectUrls = info.connect_urls ?? [];
      return this.byRid.size > 1;
    }
    if (r.didSolicit) {
      existing.url = r.url;
      existing.didSolicit = true;
      existing.routeType = r.routeType;
    }
    existing.retry = true;
    return null;
  }

  /**
   * nats-server's updateRemoteRoutePerms: an INFO from a registered route (its config was
   * reloaded) takes its new permissions; the local interest that its export now lets through,
   * and did not before, and that we may import, goes to it as RS+.
   */
  private updateRemoteRoutePerms(r: Route, info: RouteInfoDoc): void {
    const before = exportPermissions(r.export ?? null);
    const after = exportPermissions(info.export ?? null);
    r.import = info.import ?? null;
    r.export = info.export ?? null;
    let text = '';
    for (const e of this.interest.entries()) {
      if (canExport(after, e.subject) && !canExport(before, e.subject) && canImport(this.perms, e.subject)) text += subLine(e, e.sent);
    }
    if (text !== '') r.sendProto(text);
  }

  /** nats-server's sendSubsToRoute: our whole interest, one RS+ per key. */
  private sendSubsToRoute(r: Route): void {
    let text = '';
    for (const e of this.interest.entries()) {
      if (canImport(this.perms, e.subject)) text += subLine(e, e.sent);
    }
    if (text !== '') r.sendProto(text);
    r.log('DBG', 'Sent local subscriptions to route');
  }

  /** nats-server's forwardNewRouteInfoToKnownServers (gossip): `INFO {...}\r\n`, no nonce. */
  private forwardNewRouteInfoToKnownServers(info: RouteInfoDoc): void {
    const line = gossipLine({ ...info, nonce: '' });
    for (const r of this.byRid.values()) if (r.remoteId !== info.server_id) r.sendProto(line, true);
  }

  /** nats-server's processImplicitRoute: connect to a server we heard about, once. */
  private processImplicitRoute(info: RouteInfoDoc): void {
    const id = info.server_id;
    if (id === this.host.serverId || this.remotes.has(id)) return;
    const hp = joinHostPort(info.host, info.port).toLowerCase();
    if (this.configured.some((u) => u.host.toLowerCase() === hp)) return;
    let url: URL;
    try {
      url = new URL(info.ip ?? '');
    } catch (e) {
      this.host.log('ERR', `Error parsing URL from INFO: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    if (info.auth_required) {
      url.username = encodeURIComponent(this.copts.username);
      url.password = encodeURIComponent(this.copts.password);
    }
    void this.connectToRoute(url, false, true);
  }

  private setClusterName(name: string): void {
    this.clusterName = name;
    this.host.log('INF', `Cluster name updated to ${name}`);
    this.host.clusterNameChanged(name);
  }

  private removeAllRoutesExcept(keep: Route): void {
    for (const r of [...this.byRid.values()]) if (r !== keep) r.close(RouteClosed.ClusterNameConflict);
  }

  /** A route closed: unregister it, drop its client URLs, and reconnect if nats-server would. */
  routeClosed(r: Route): void {
    this.pending.delete(r);
    if (r.registered) {
      this.byRid.delete(r.rid);
      if (this.remotes.get(r.remoteId) === r) this.remotes.delete(r.remoteId);
      if (r.connectUrls.length > 0 && !this.copts.noAdvertise) this.removeConnectUrls(r.connectUrls);
    }
    if (r.noReconnect || !this.running) return;
    this.reconnect(r);
  }

  /** nats-server's client.reconnect for a route. */
  private reconnect(r: Route): void {
    const retryImplicit = r.retry || (r.didSolicit && r.routeType === 'implicit');
    if ((!r.didSolicit && !retryImplicit) || r.url === null) return;
    const url = r.url;
    if (r.remoteId !== '' && this.remotes.has(r.remoteId)) {
      this.host.log('DBG', `Not attempting reconnect for solicited route, already connected to ${quote(r.remoteId)}`);
      return;
    }
    if (r.remoteId === this.host.serverId) {
      this.host.log('DBG', `Detected route to self, ignoring ${quote(redacted(url))}`);
      return;
    }
    if (r.routeType === 'implicit' && !retryImplicit) return;
    this.host.log('DBG', `Attempting reconnect for solicited route ${quote(redacted(url))}`);
    void this.reconnectToRoute(url, r.routeType);
  }

  /** nats-server's reConnectToRoute: a random pause (plus 1 s for a configured route), then connect. */
  private async reconnectToRoute(url: URL, type: RouteType): Promise<void> {
    const explicit = type === 'explicit';
    const delay = Math.floor(Math.random() * 100) + (explicit ? DEFAULT_ROUTE_RECONNECT_MS : 0);
    if (!(await this.dialer.sleep(delay))) return;
    await this.connectToRoute(url, explicit, false);
  }

  // ---- client URLs ----

  private addConnectUrls(urls: readonly string[]): void {
    let changed = false;
    for (const u of urls) {
      const n = this.urls.get(u) ?? 0;
      this.urls.set(u, n + 1);
      if (n === 0) changed = true;
    }
    if (changed) this.host.connectUrlsChanged([...this.urls.keys()]);
  }

  private removeConnectUrls(urls: readonly string[]): void {
    let changed = false;
    for (const u of urls) {
      const n = this.urls.get(u);
      if (n === undefined) continue;
      if (n > 1) this.urls.set(u, n - 1);
      else {
        this.urls.delete(u);
        changed = true;
      }
    }
    if (changed) this.host.connectUrlsChanged([...this.urls.keys()]);
  }

  // ---- interest ----

  /** Local interest: clients', internal, and our leaves' (not a route's, nor our hub's). */
  subAdded(acc: Account, sub: Subscription): void {
    if (sub.route !== null && sub.route.leaf !== 'hub') return;
    this.interest.add(acc, sub);
  }

  subRemoved(acc: Account, sub: Subscription): void {
    if (sub.route !== null && sub.route.leaf !== 'hub') return;
    this.interest.remove(acc, sub);
    this.reactor.schedule();
  }

  /** InterestSink: an RS+/RS- line for every route that may import the subject. */
  announce(e: InterestEntry, line: string): void {
    if (!canImport(this.perms, e.subject)) return;
    for (const r of this.byRid.values()) r.sendProto(line);
  }

  // ---- the loop turn and the timer ----

  /** RouteOwner: output was queued on `r` (flushed at the end of the loop turn). */
  markDirty(r: Route): void {
    this.reactor.markDirty(r);
  }

  /** The coarse timer: keep-alive, auth timeouts and write deadlines of every route. */
  private tick(): void {
    const now = Date.now();
    for (const r of [...this.byRid.values(), ...this.pending]) r.tick(now);
  }

  // ---- monitoring ----

  routes(): RouteSnapshot[] {
    const out: RouteSnapshot[] = [];
    for (const r of this.byRid.values()) {
      out.push({
        rid: r.rid,
        remoteId: r.remoteId,
        remoteName: r.remoteName,
        didSolicit: r.didSolicit,
        isConfigured: r.routeType === 'explicit',
        ip: r.ip,
        port: r.port,
        start: r.start,
        lastActivity: r.last,
        rtt: r.rtt,
        import: r.import ?? null,
        export: r.export ?? null,
        pendingBytes: r.pendingBytes(),
        inMsgs: r.inMsgs,
        outMsgs: r.outMsgs,
        inBytes: r.inBytes,
        outBytes: r.outBytes,
        subscriptions: [...r.remote.subs.values()].map((rs) => ({
          subject: rs.subject,
          queue: rs.queue,
          sid: rs.key,
          msgs: rs.entries.reduce((n, s) => n + s.nm, 0),
        })),
      });
    }
    return out;
  }
}

/** Go's %q for the texts nats-server formats with it. */
function quote(s: string): string {
  return goQuote(Buffer.from(s, 'utf8'));
}

// Socket event handlers shared by all routes (no closures per connection).
const ROUTE_OF = new WeakMap<net.Socket, Route>();
function onSocketData(this: net.Socket, chunk: Buffer): void {
  ROUTE_OF.get(this)?.read(chunk);
}
function onSocketDrain(this: net.Socket): void {
  ROUTE_OF.get(this)?.drained();
}
function onSocketClose(this: net.Socket): void {
  ROUTE_OF.get(this)?.close(ClosedState.ClientClosed);
}
function onSocketError(this: net.Socket): void {
  ROUTE_OF.get(this)?.close(ClosedState.ReadError);
}
