// One route connection (nats-server's client of kind ROUTER): the route ops' meaning (RS+/RS-,
// RMSG/HMSG/LMSG, PING/PONG, -ERR, verbose +OK), its remote interest, keep-alive state, the
// RMSG/HMSG frames it sends, its statistics and its close. The handshake (CONNECT and INFO
// checks, registration, gossip) belongs to the cluster, which owns every route.

import type net from 'node:net';
import type { Account, ClientLink, RouteLink } from '../accounts/account.js';
import {
  ClosedState,
  type ClosedReason,
  ERR_AUTH_TIMEOUT,
  ERR_STALE_CONNECTION,
  ERR_UNKNOWN_PROTOCOL,
  skipsFlush,
} from '../client/errors.js';
import { Outbound } from '../client/outbound.js';
import type { ServerOptions } from '../config/types.js';
import { goDurationMs } from '../config/values.js';
import type { CompiledPermissions } from '../client/permissions.js';
import { DEFAULT_RTT_MEASUREMENT_INTERVAL_MS, FIRST_PING_INTERVAL_MS } from '../config/defaults.js';
import { F_PAY, F_SIZE } from '../protocol/layout.js';
import { subjectHash } from '../subjects/hash.js';
import type { Flushable } from '../util/reactor.js';
import type { ClusterHost } from './host.js';
import { RemoteInterest } from './interest.js';
import { endFrame, recordPayloadStart, ROUTE_MSG, sameBytes, writeMsgLine, writeRecordLine } from './msg-head.js';
import { decodeConnect, decodeInfo, type RouteConnectDoc, type RouteInfoDoc } from './route-info.js';
import { type MsgArgs, RouteOp, type RouteOpCode, RouteParser, type RouteParserSink } from './route-parser.js';

/** Close reasons of routes only (nats-server's ClosedState strings). */
export const RouteClosed = {
  DuplicateRoute: 'Duplicate Route',
  RouteRemoved: 'Route Removed',
  ClusterNameConflict: 'Cluster Name Conflict',
  DuplicateServerName: 'Duplicate Server Name',
  WrongPort: 'Incorrect Port',
  WrongGateway: 'Wrong Gateway',
} as const;
export type RouteCloseReason = ClosedReason | (typeof RouteClosed)[keyof typeof RouteClosed];

/** nats-server's RouteType: configured (explicit) or learned through gossip (implicit). */
export type RouteType = 'explicit' | 'implicit';

const PING = Buffer.from('PING\r\n');
const EMPTY = Buffer.alloc(0);
const PONG = Buffer.from('PONG\r\n');
const OK = Buffer.from('+OK\r\n');

/** What a route needs from the cluster that owns it. */
export interface RouteOwner {
  readonly host: ClusterHost;
  /** Route permissions (cluster `permissions`): import = what we take, export = what we give. */
  readonly perms: CompiledPermissions | null;
  /** A CONNECT arrived (after the route-level checks: JSON, authorization). */
  routeConnect(r: Route, c: RouteConnectDoc): void;
  /** An INFO arrived. */
  routeInfo(r: Route, info: RouteInfoDoc): void;
  /** The route closed (its remote interest is already gone). */
  routeClosed(r: Route): void;
  /** Output was queued on `r`: flush it at the end of the loop turn (the cluster's Reactor). */
  markDirty(r: Route): void;
}

/** How a route's log lines start: `127.0.0.1:6222 - rid:5`. */
export function routeLabel(socket: net.Socket, rid: number): string {
  const ip = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  return `${ip.includes(':') ? `[${ip}]` : ip}:${socket.remotePort ?? 0} - rid:${rid}`;
}

export class Route implements RouteParserSink, RouteLink, Flushable {
  /** RouteLink: a route, not a leaf connection. */
  readonly leaf = null;
  readonly out = new Outbound();
  readonly parser: RouteParser;
  readonly remote: RemoteInterest;
  /** Remote address. */
  readonly ip: string;
  readonly port: number;
  readonly start: number;
  /** Last message or interest change received (nats-server's `last`). */
  last: number;

  // Identity and handshake state.
  /** The URL this route was solicited with, or built from the peer's INFO. */
  url: URL | null;
  didSolicit: boolean;
  routeType: RouteType = 'implicit';
  /** Reconnect even though implicit (set when a duplicate solicited route was dropped for this one). */
  retry = false;
  remoteId = '';
  /** The peer's server name, from its INFO (nats-server's route.remoteName). */
  remoteName = '';
  /** Headers go as HMSG (both sides support them). */
  headers = false;
  verbose = false;
  infoReceived = false;
  /** Registered in the cluster (INFO accepted). */
  registered = false;
  /** The peer's client URLs (its INFO connect_urls), as added to our clients' INFO. */
  connectUrls: string[] = [];
  /** The peer's route permissions from its INFO (shown in /routez). */
  import: RouteInfoDoc['import'] = null;
  export: RouteInfoDoc['export'] = null;

  // Keep-alive and timers (run by the cluster's coarse timer).
  pingDue: number;
  pingsOut = 0;
  lastPingIn = 0;
  /** When the last PING went out (Date.now() for the schedule, performance.now() to measure). */
  rttStart = 0;
  private pingSentAt = 0;
  /** Round trip time in ms (0 until the first PONG). */
  rtt = 0;
  /** Accepted with cluster authorization: the CONNECT is due by then (0 = not waiting). */
  authDue = 0;
  /**
   * The socket refused a write at this time (0 = not blocked); reset when it drains, and moved
   * on at each write deadline the socket made progress in.
   */
  blockedSince = 0;
  /** kernelBytes() of the socket when blockedSince was set. */
  private blockedSent = 0;

  // Statistics (nats-server's route client counters).
  inMsgs = 0;
  inBytes = 0;
  outMsgs = 0;
  outBytes = 0;

  dirty = false;
  closed = false;
  /** Publishers paused because this route is past half its max_pending (RouteLink). */
  readonly stalledProducers: ClientLink[] = [];
  /** Do not reconnect after close (shutdown). */
  noReconnect = false;
  private readonly label: string;
  /** The server's options (changed in place by a reload, never replaced). */
  private readonly opts: ServerOptions;
  /** The account of the last routed message (most traffic is on one account). */
  private lastAcc: Account | null = null;
  /**
   * The subject of the last routed message (an own copy, reused while messages keep coming on
   * it) and its hash.
   */
  private subject: Buffer = EMPTY;
  private subjectHash = subjectHash(EMPTY, 0, 0);
  /** A message arrived in the current read (activity: `last` is set once per read). */
  private gotMsgs = false;
  /** Reused for each routed message's queue names (the host must not keep it). */
  private readonly queueViews: Buffer[] = [];

  constructor(
    private readonly owner: RouteOwner,
    readonly socket: net.Socket,
    readonly rid: number,
    url: URL | null,
    now: number,
  ) {
    this.opts = owner.host.opts;
    this.parser = new RouteParser(this);
    this.remote = new RemoteInterest(this, owner.host.routeInterestChanged ?? null);
    this.ip = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    this.port = socket.remotePort ?? 0;
    this.label = routeLabel(socket, rid);
    this.url = url;
    this.didSolicit = url !== null;
    this.start = now;
    this.last = now;
    this.pingDue = now + firstPingDelay(this.opts.pingIntervalMs);
  }

  toString(): string {
    return this.label;
  }

  private get host(): ClusterHost {
    return this.owner.host;
  }

  log(level: 'INF' | 'ERR' | 'WRN' | 'DBG' | 'TRC', text: string): void {
    this.host.log(level, `${this.label} - ${text}`);
  }

  private trace(dir: '<<-' | '->>', text: string): void {
    if (this.opts.trace) this.log('TRC', `${dir} [${text}]`);
  }

  // ---- input ----

  /** A read from the socket. */
  read(chunk: Buffer): void {
    if (this.closed) return;
    const err = this.parser.parse(chunk);
    if (this.gotMsgs) {
      this.gotMsgs = false;
      this.last = Date.now();
    }
    if (err === null || this.closed) return;
    if (err.protoErr) this.sendErr(ERR_UNKNOWN_PROTOCOL);
    this.log('ERR', `Route parser ERROR: ${err.text}`);
    this.close(ClosedState.ProtocolViolation);
  }

  routeOp(op: RouteOpCode, line: Buffer, start: number, a: number, b: number): void {
    if (this.authDue !== 0 && op !== RouteOp.CONNECT) {
      this.authViolation();
      return;
    }
    switch (op) {
      case RouteOp.PING:
        this.trace('<<-', 'PING');
        this.lastPingIn = Date.now();
        this.queueBytes(PONG);
        this.trace('->>', 'PONG');
        return;
      case RouteOp.PONG:
        this.trace('<<-', 'PONG');
        this.pingsOut = 0;
        if (this.pingSentAt > 0) this.rtt = Math.max(performance.now() - this.pingSentAt, 0.001);
        return;
      case RouteOp.RS_SUB:
      case RouteOp.LS_SUB:
        this.trace('<<-', line.toString('latin1', start, b));
        this.remoteSub(line, a, b, op === RouteOp.LS_SUB);
        return;
      case RouteOp.RS_UNSUB:
      case RouteOp.LS_UNSUB:
        this.trace('<<-', line.toString('latin1', start, b));
        this.remoteUnsub(line, a, b);
        return;
      case RouteOp.INFO: {
        const json = line.toString('utf8', a, b);
        this.trace('<<-', `INFO ${json}`);
        const info = decodeInfo(json);
        if (info === null) {
          this.protocolError(`Bad INFO: ${json}`);
          return;
        }
        this.owner.routeInfo(this, info);
        return;
      }
      case RouteOp.CONNECT: {
        const json = line.toString('utf8', a, b);
        this.trace('<<-', `CONNECT ${json.replace(/"pass":"(?:[^"\\]|\\.)*"/, '"pass":"[REDACTED]"')}`);
        this.processConnect(json);
        return;
      }
      case RouteOp.ERR:
        this.log('ERR', `Route Error ${line.toString('utf8', a, b)}`);
        this.close(ClosedState.ParseError);
        return;
      case RouteOp.OK:
      case RouteOp.A_SUB:
      case RouteOp.A_UNSUB:
        return;
    }
  }

  private processConnect(json: string): void {
    this.authDue = 0;
    const c = decodeConnect(json);
    if (c === null) {
      this.protocolError(`Bad CONNECT: ${json}`);
      return;
    }
    this.verbose = c.verbose;
    const o = this.opts.cluster;
    if (o !== null && o.username !== '' && (c.user !== o.username || c.pass !== o.password)) {
      this.authViolation();
      return;
    }
    this.owner.routeConnect(this, c);
  }

  /** nats-server's authViolation for a route. */
  private authViolation(): void {
    this.log('ERR', 'authentication error');
    this.sendErr('Authorization Violation');
    this.close(ClosedState.AuthenticationViolation);
  }

  private protocolError(text: string): void {
    this.log('ERR', text);
    this.close(ClosedState.ProtocolViolation);
  }

  /** The account named line[s, e), or null (logged) when this server does not have it. */
  private account(line: Buffer, s: number, e: number): Account | null {
    const last = this.lastAcc;
    if (last !== null && sameBytes(last.nameBytes, line, s, e)) return last;
    const acc = this.host.account(line.toString('latin1', s, e));
    if (acc !== null) this.lastAcc = acc;
    return acc;
  }

  /** RS+ / LS+ (nats-server's processRemoteSub). */
  private remoteSub(line: Buffer, a: number, b: number, hasOrigin: boolean): void {
    const args = line.toString('latin1', a, b).split(/[ \t]+/);
    const off = hasOrigin ? 1 : 0;
    if (args.length !== 2 + off && args.length !== 4 + off) {
      this.protocolError(`processRemoteSub Parse Error: '${args.join(' ')}'`);
      return;
    }
    const accName = args[off];
    const subject = args[off + 1];
    const queue = args.length === 4 + off ? args[off + 2] : null;
    let weight = 1;
    if (queue !== null) {
      weight = /^[0-9]{1,9}$/.test(args[off + 3]) ? Number(args[off + 3]) : -1;
      if (weight < 0) {
        this.protocolError(`processRemoteSub Parse Error: '${args.join(' ')}'`);
        return;
      }
    }
    this.last = Date.now();
    const acc = this.host.account(accName);
    if (acc === null) {
      this.log('DBG', `Unknown account "${accName}" for remote subject "${subject}"`);
      return;
    }
    const perms = this.owner.perms;
    if (perms !== null && !perms.canSubscribe(subject, null)) {
      this.log('DBG', `Can not export "${subject}", ignoring remote subscription request`);
      return;
    }
    const key = queue === null ? `${accName} ${subject}` : `${accName} ${subject} ${queue}`;
    if (!this.remote.add(acc, key, subject, queue, weight)) {
      this.log('ERR', 'Could not insert subscription: invalid subject');
      this.sendErr('Invalid Subscription');
      return;
    }
    if (this.verbose) this.queueBytes(OK);
  }

  /** RS- / LS- (nats-server's processRemoteUnsub: the key is the argument itself). */
  private remoteUnsub(line: Buffer, a: number, b: number): void {
    const args = line.toString('latin1', a, b).split(/[ \t]+/);
    if (args.length !== 2 && args.length !== 3) {
      this.protocolError(`processRemoteUnsub parse error: '${args.join(' ')}'`);
      return;
    }
    this.last = Date.now();
    if (this.host.account(args[0]) === null) {
      this.log('DBG', `Unknown account "${args[0]}" for subject "${args[1]}"`);
      return;
    }
    this.remote.remove(args.join(' '));
    if (this.verbose) this.queueBytes(OK);
  }

  /** RMSG / HMSG / LMSG (nats-server's processInboundRoutedMsg). */
  routeMsg(m: MsgArgs, line: Buffer, payload: Buffer, payStart: number): void {
    if (this.authDue !== 0) {
      this.authViolation();
      return;
    }
    this.inMsgs++;
    this.inBytes += m.size;
    this.gotMsgs = true;
    if (this.opts.trace) this.trace('<<-', line.toString('latin1', m.lineStart, m.lineEnd));
    if (this.verbose) this.queueBytes(OK);
    const acc = this.account(line, m.accStart, m.accEnd);
    if (acc === null) {
      const name = line.toString('latin1', m.accStart, m.accEnd);
      const subject = line.toString('latin1', m.subjectStart, m.subjectEnd);
      this.log('DBG', `Unknown account "${name}" for routed message on subject: "${subject}"`);
      return;
    }
    const s0 = m.subjectStart;
    const s1 = m.subjectEnd;
    if (!sameBytes(this.subject, line, s0, s1)) {
      this.subject = Buffer.from(line.subarray(s0, s1));
      this.subjectHash = subjectHash(line, s0, s1);
    }
    let queues: Buffer[] | null = null;
    const nq = m.numQueues;
    if (nq > 0) {
      queues = this.queueViews;
      if (queues.length !== nq) queues.length = nq;
      for (let k = 0; k < nq; k++) queues[k] = line.subarray(m.queues[2 * k], m.queues[2 * k + 1]);
    }
    this.host.routedMessage(
      acc,
      this.subject,
      this.subjectHash,
      m.replyStart >= 0 ? line.subarray(m.replyStart, m.replyEnd) : null,
      queues,
      m.hdr > 0 ? m.hdr : -1,
      payload.subarray(payStart, payStart + m.size),
    );
  }

  // ---- output ----

  /** RouteLink: one RMSG/HMSG for a message published here (nats-server's msgHeaderForRouteOrLeaf). */
  sendMsg(
    acc: Account,
    subject: Buffer,
    reply: Buffer | null,
    queues: readonly string[] | null,
    hdrLen: number,
    payload: Buffer,
  ): void {
    if (this.closed) return;
    const o = writeMsgLine(this.out, this.headers, ROUTE_MSG, acc.nameBytes, subject, reply, queues, hdrLen, payload);
    this.endFrame(o, payload, hdrLen > 0 && !this.headers ? hdrLen : 0, payload.length);
  }

  /** RouteLink: sendMsg for the PUB/HPUB record `rec` of a client's read, sizes copied verbatim. */
  sendRecord(acc: Account, buf: Buffer, recs: Int32Array, rec: number, queues: readonly string[] | null): number {
    if (this.closed) return 0;
    const o = writeRecordLine(this.out, this.headers, ROUTE_MSG, acc.nameBytes, buf, recs, rec, queues);
    return this.endFrame(o, buf, recordPayloadStart(recs, rec, this.headers), recs[rec + F_PAY] + recs[rec + F_SIZE]);
  }

  /** Ends the frame whose control line is out.buf[out.off, o) (msg-head.ts endFrame), then counts and queues it. Returns the pending bytes. */
  private endFrame(o: number, payload: Buffer, a: number, b: number): number {
    if (this.opts.trace) this.trace('->>', this.out.buf.toString('latin1', this.out.off, o));
    endFrame(this.out, o, payload, a, b);
    this.outMsgs++;
    this.outBytes += b - a;
    return this.queued();
  }

  /** Queues a protocol line (INFO, CONNECT, RS+/RS-); `utf8` for JSON documents. */
  sendProto(text: string, utf8 = false): void {
    if (this.closed) return;
    if (utf8) this.out.appendBytes(Buffer.from(text, 'utf8'));
    else this.out.appendLatin1(text);
    this.trace('->>', text.slice(0, -2).trimEnd());
    this.queued();
  }

  sendErr(text: string): void {
    this.sendProto(`-ERR '${text}'\r\n`, true);
  }

  private queueBytes(b: Buffer): void {
    if (this.closed) return;
    this.out.appendBytes(b);
    this.queued();
  }

  /**
   * Bytes were queued: flush at the end of the turn. Returns the pending bytes. A route is never
   * closed for its pending bytes (nats-server's queueOutbound cuts only clients): past half of
   * max_pending the publishers feeding it stall (Client.stallFor), which bounds its memory.
   */
  private queued(): number {
    if (this.closed) return 0;
    this.owner.markDirty(this);
    return this.out.queued + this.socket.writableLength;
  }

  /** Hands queued bytes to the socket; called once per loop turn. */
  flush(): void {
    if (this.closed || this.out.queued === 0) return;
    // A write deadline counts what the write that blocked took in (Go's n of that write).
    const sent = this.blockedSince === 0 ? kernelBytes(this.socket) : 0;
    if (!this.out.flushTo(this.socket) && this.blockedSince === 0) {
      this.blockedSince = Date.now();
      this.blockedSent = sent;
    }
  }

  /** The socket drained its buffer. */
  drained(): void {
    this.blockedSince = 0;
    this.releaseProducers();
  }

  private releaseProducers(): void {
    const list = this.stalledProducers;
    for (let i = 0; i < list.length; i++) list[i].resumeReading();
    list.length = 0;
  }

  /** Bytes queued here, not yet handed to the socket (the reactor's Flushable). */
  queuedBytes(): number {
    return this.out.queued;
  }

  /** Pending bytes (queued here and in the socket). */
  pendingBytes(): number {
    return this.out.queued + this.socket.writableLength;
  }

  // ---- timers (the cluster's coarse timer) ----

  /** Keep-alive, auth timeout and write deadline (nats-server's processPingTimer and friends). */
  tick(now: number): void {
    const opts = this.opts;
    if (this.blockedSince !== 0 && now - this.blockedSince > opts.writeDeadlineMs && this.writeTimeout(now)) return;
    if (this.authDue !== 0 && now >= this.authDue) {
      this.sendErr(ERR_AUTH_TIMEOUT);
      this.log('DBG', ERR_AUTH_TIMEOUT);
      this.close(ClosedState.AuthenticationTimeout);
      return;
    }
    if (now < this.pingDue) return;
    const interval = opts.pingIntervalMs;
    this.pingDue = now + interval;
    const needRtt = this.rtt === 0 || now - this.rttStart > DEFAULT_RTT_MEASUREMENT_INTERVAL_MS;
    if (!needRtt && (now - this.last < interval || now - this.lastPingIn < interval)) return;
    if (this.pingsOut + 1 > opts.pingMax) {
      this.log('DBG', 'Stale Client Connection - Closing');
      this.sendErr(ERR_STALE_CONNECTION);
      this.close(ClosedState.StaleConnection);
      return;
    }
    this.rttStart = now;
    this.pingSentAt = performance.now();
    this.pingsOut++;
    this.queueBytes(PING);
    this.trace('->>', 'PING');
  }

  /**
   * The socket stayed blocked for write_deadline (nats-server's handleWriteTimeout for a route):
   * a slow consumer is counted and logged; the route is closed only when the kernel took no
   * byte in that time, else a new deadline starts. Returns true when closed.
   */
  private writeTimeout(now: number): boolean {
    this.host.slowConsumer();
    const s = this.socket;
    const chunks = ((s as unknown as SocketProgress).writableBuffer?.length ?? 0) + (s.writableLength > 0 ? 1 : 0);
    const total = this.out.queued + s.writableLength;
    this.log(
      'INF',
      `Slow Consumer Detected: WriteDeadline of ${goDurationMs(this.opts.writeDeadlineMs)} exceeded with ${chunks} chunks of ${total} total bytes.`,
    );
    const sent = kernelBytes(s);
    if (sent === this.blockedSent) {
      this.close(ClosedState.SlowConsumerWriteDeadline);
      return true;
    }
    this.blockedSince = now;
    this.blockedSent = sent;
    return false;
  }

  // ---- close ----

  /** Closes the connection (nats-server's closeConnection for a route). Idempotent. */
  close(reason: RouteCloseReason): void {
    if (this.closed) return;
    const socket = this.socket;
    const flush = !skipsFlush(reason as ClosedReason) && !socket.destroyed;
    if (flush) this.flush();
    this.closed = true;
    this.parser.stop();
    this.log('INF', `Router connection closed: ${reason}`);
    if (flush) socket.end(() => socket.destroy());
    else socket.destroy();
    this.out.discard();
    this.releaseProducers();
    this.remote.clear();
    this.owner.routeClosed(this);
  }
}


/** Node's socket internals that tell how far a write in progress got (and its buffered writes). */
interface SocketProgress {
  writableBuffer?: unknown[];
  _bytesDispatched?: number;
  _handle?: { writeQueueSize?: number } | null;
}

/**
 * Bytes the kernel has taken from `s` so far (sent, or in its send buffer): the bytes handed to
 * libuv less what libuv still holds, so a large write that is partly through counts what went
 * (Go's `n` of a write cut by its deadline). Without those internals: the completed writes.
 */
function kernelBytes(s: net.Socket): number {
  const p = s as unknown as SocketProgress;
  const wqs = p._handle?.writeQueueSize;
  if (typeof p._bytesDispatched === 'number' && typeof wqs === 'number') return p._bytesDispatched - wqs;
  return s.bytesWritten - s.writableLength;
}

/** nats-server's setFirstPingTimer for a route: min(ping_interval, 1 s) plus up to 20%. */
function firstPingDelay(pingIntervalMs: number): number {
  const d = Math.min(pingIntervalMs, FIRST_PING_INTERVAL_MS);
  return d + Math.floor((Math.random() * d) / 5);
}
