// The server: the client listener, the connection registry, INFO, the reactor, and one coarse
// timer for keep-alive and write deadlines of all connections.

import net from 'node:net';
import { type Client as ClientT, Client, type ClientHost, type Counters, type Subscription } from '../client/client.js';
import { infoAuthRequired } from '../client/auth.js';
import { ClosedState, type ClosedReason, ERR_MAX_CONNECTIONS } from '../client/errors.js';
import type { ServerOptions } from '../config/types.js';
import { AUTH_TIMEOUT_MS, PROTO, VERSION } from '../config/defaults.js';
import type { Implementation } from '../protocol/implementation.js';
import { Sublist } from '../subjects/sublist.js';
import { Logger } from './logger.js';
import { Reactor } from './reactor.js';
import { newServerId } from './server-id.js';

/** The Go runtime nats-server 2.9.10 reports in INFO (Debian build); clients only display it. */
const GO_VERSION = 'go1.19.8';
/** nats-server's first client gets cid 4: cids 1 to 3 belong to its internal $SYS clients. */
const FIRST_CID = 4;
/** Coarse timer resolution bounds, ms. */
const MIN_TICK_MS = 10;
const MAX_TICK_MS = 250;

export interface ServerDeps {
  impl: Implementation;
  /** Why this implementation is live (for the banner). */
  implReason: string;
  logger: Logger;
}

export class Server implements ClientHost {
  readonly opts: ServerOptions;
  readonly sublist = new Sublist<Subscription>();
  readonly impl: Implementation;
  readonly implReason: string;
  readonly stats: Counters = { inMsgs: 0, inBytes: 0, outMsgs: 0, outBytes: 0, slowConsumers: 0 };
  readonly headersSupported: boolean;
  readonly id = newServerId();
  readonly name: string;
  readonly logger: Logger;
  readonly clients = new Map<number, Client>();
  /** The most recent closed connections, oldest first (for /connz?state=closed). */
  readonly closedClients: Client[] = [];
  readonly start = new Date();
  totalConnections = 0;
  private nextCid = FIRST_CID;
  private listener: net.Server | null = null;
  private boundPort = 0;
  private readonly reactor = new Reactor<Client>();
  private timer: NodeJS.Timeout | null = null;
  private delivering = 0;
  private readonly removals: Subscription[] = [];
  private infoHead = '';
  private shuttingDown = false;

  constructor(opts: ServerOptions, deps: ServerDeps) {
    this.opts = opts;
    this.impl = deps.impl;
    this.implReason = deps.implReason;
    this.logger = deps.logger;
    this.headersSupported = !opts.noHeaderSupport;
    this.name = opts.serverName || this.id;
  }

  /** The bound client port (after `listen`). */
  get port(): number {
    return this.boundPort;
  }

  /** Starts the client listener; resolves once it accepts connections. */
  async listen(): Promise<void> {
    const server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.listener = server;
    const port = this.opts.port === -1 ? 0 : this.opts.port;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.opts.host, port, backlog: 1024 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.boundPort = (server.address() as net.AddressInfo).port;
    this.infoHead = this.buildInfoHead();
    const o = this.opts;
    const shortest = Math.min(o.pingIntervalMs, o.writeDeadlineMs, o.authTimeoutMs || AUTH_TIMEOUT_MS);
    const tick = Math.max(MIN_TICK_MS, Math.min(MAX_TICK_MS, Math.floor(shortest / 20)));
    this.timer = setInterval(() => this.tick(), tick);
    this.timer.unref();
  }

  /** INFO up to (not including) client_id, as nats-server orders the fields. */
  private buildInfoHead(): string {
    const o = this.opts;
    let host = o.host;
    let port = this.boundPort;
    if (o.clientAdvertise) {
      const [h, p] = splitHostPort(o.clientAdvertise, port);
      host = h;
      port = p;
    }
    const info: Record<string, unknown> = {
      server_id: this.id,
      server_name: this.name,
      version: VERSION,
      proto: PROTO,
      go: GO_VERSION,
      host,
      port,
      headers: this.headersSupported,
      ...(infoAuthRequired(o) ? { auth_required: true } : {}),
      max_payload: o.maxPayload,
    };
    const json = goJSON(info);
    return 'INFO ' + json.slice(0, -1);
  }

  private infoFor(c: Client): string {
    return `${this.infoHead},"client_id":${c.cid},"client_ip":${goJSON(c.ip)}} \r\n`;
  }

  /** Runs for every accepted socket: INFO first, then the limits. */
  private accept(socket: net.Socket): void {
    if (this.shuttingDown) {
      socket.destroy();
      return;
    }
    const now = Date.now();
    const ip = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const c = new Client(this, this.nextCid++, socket, ip, socket.remotePort ?? 0, now);
    c.out.appendLatin1(this.infoFor(c));
    CLIENT_OF.set(socket, c);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    if (this.opts.maxConnections > 0 && this.clients.size >= this.opts.maxConnections) {
      c.sendErr(ERR_MAX_CONNECTIONS);
      c.close(ClosedState.MaxConnectionsExceeded);
      return;
    }
    this.clients.set(c.cid, c);
    this.totalConnections++;
    c.pingDue = now + this.opts.pingIntervalMs;
    socket.on('data', onSocketData);
    socket.on('end', onSocketClose);
    socket.on('drain', onSocketDrain);
    this.logger.log('DBG', `${c} - Client connection created`);
    this.markDirty(c);
  }

  /** The coarse timer: keep-alive pings and write deadlines of every connection. */
  private tick(): void {
    const now = Date.now();
    const deadline = this.opts.writeDeadlineMs;
    for (const c of this.clients.values()) {
      if (c.blockedSince !== 0 && now - c.blockedSince > deadline) {
        this.stats.slowConsumers++;
        c.close(ClosedState.SlowConsumerWriteDeadline);
        continue;
      }
      if (c.stallUntil !== 0 && now >= c.stallUntil) c.resumeReading();
      if (c.authDue !== 0 && now >= c.authDue) {
        c.authTimeout();
        continue;
      }
      if (now >= c.pingDue) c.pingTimer(now);
    }
  }

  // ---- ClientHost ----

  markDirty(c: ClientT): void {
    this.reactor.markDirty(c);
  }

  beginDelivery(): void {
    this.delivering++;
  }

  endDelivery(): void {
    if (--this.delivering === 0 && this.removals.length > 0) {
      for (const sub of this.removals) this.sublist.remove(sub);
      this.removals.length = 0;
    }
  }

  removeSub(sub: Subscription): void {
    if (this.delivering > 0) this.removals.push(sub);
    else this.sublist.remove(sub);
  }

  clientClosed(c: ClientT, reason: ClosedReason): void {
    if (!this.clients.delete(c.cid)) return;
    this.logger.log('DBG', `${c} - Client connection closed: ${reason}`);
    const ring = this.closedClients;
    if (this.opts.maxClosedClients <= 0) return;
    if (ring.length >= this.opts.maxClosedClients) ring.shift();
    ring.push(c);
  }

  get tracing(): boolean {
    return this.logger.trace;
  }

  trace(c: ClientT, dir: '<<-' | '->>', text: string, raw = false): void {
    if (this.logger.trace) this.logger.log('TRC', `${c} - ${dir} ${raw ? text : `[${text}]`}`);
  }

  /** Stops accepting, closes every connection (flushing what is pending) and the timer. */
  async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    if (this.timer) clearInterval(this.timer);
    const closed = this.listener ? new Promise<void>((r) => this.listener!.close(() => r())) : Promise.resolve();
    for (const c of [...this.clients.values()]) c.close(ClosedState.ServerShutdown);
    await closed;
  }
}

// Socket event handlers shared by all connections (no closures per connection).
const CLIENT_OF = new WeakMap<net.Socket, Client>();
function onSocketData(this: net.Socket, chunk: Buffer): void {
  CLIENT_OF.get(this)!.read(chunk);
}
function onSocketDrain(this: net.Socket): void {
  CLIENT_OF.get(this)!.drained();
}
function onSocketClose(this: net.Socket): void {
  CLIENT_OF.get(this)!.close(ClosedState.ClientClosed);
}
function onSocketError(this: net.Socket): void {
  CLIENT_OF.get(this)!.close(ClosedState.ReadError);
}

/** Go encoding/json string escaping: also escapes <, >, & and U+2028/2029. */
export function goJSON(v: unknown): string {
  return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'));
}

function splitHostPort(hp: string, defPort: number): [string, number] {
  const i = hp.lastIndexOf(':');
  if (i < 0 || hp.endsWith(']')) return [hp.replace(/^\[|\]$/g, ''), defPort];
  return [hp.slice(0, i).replace(/^\[|\]$/g, ''), Number(hp.slice(i + 1))];
}
