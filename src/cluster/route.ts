// One route connection (nats-server's client of kind ROUTER): the route ops' meaning (RS+/RS-,
// RMSG/HMSG/LMSG, PING/PONG, -ERR, verbose +OK), its remote interest, keep-alive state, the
// RMSG/HMSG frames it sends, its statistics and its close. The handshake (CONNECT and INFO
// checks, registration, gossip) belongs to the cluster, which owns every route.

import type net from 'node:net';
import type { Account, RouteLink } from '../accounts/account.js';
import { ClosedState, type ClosedReason, ERR_AUTH_TIMEOUT } from '../client/errors.js';
import type { CompiledPermissions } from '../client/permissions.js';
import { F_PAY, F_SIZE } from '../protocol/layout.js';
import type { ClusterHost } from './host.js';
import { RemoteInterest } from './interest.js';
import { Link, linkLabel } from './link.js';
import { recordPayloadStart, ROUTE_MSG, sameBytes, writeMsgLine, writeRecordLine } from './msg-head.js';
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
  return linkLabel(socket, 'rid', rid);
}

export class Route extends Link<ClusterHost> implements RouteParserSink, RouteLink {
  /** RouteLink: a route, not a leaf connection. */
  readonly leaf = null;
  readonly parser: RouteParser;
  readonly remote: RemoteInterest;
  protected readonly kindName = 'Route';

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
  verbose = false;
  /** Registered in the cluster (INFO accepted). */
  registered = false;
  /** The peer's client URLs (its INFO connect_urls), as added to our clients' INFO. */
  connectUrls: string[] = [];
  /** The peer's route permissions from its INFO (shown in /routez). */
  import: RouteInfoDoc['import'] = null;
  export: RouteInfoDoc['export'] = null;
  /** The account of the last routed message (most traffic is on one account). */
  private lastAcc: Account | null = null;

  constructor(
    private readonly owner: RouteOwner,
    socket: net.Socket,
    readonly rid: number,
    url: URL | null,
    now: number,
  ) {
    super(owner.host, socket, routeLabel(socket, rid), now);
    this.parser = new RouteParser(this);
    this.remote = new RemoteInterest(this, owner.host.routeInterestChanged ?? null);
    this.url = url;
    this.didSolicit = url !== null;
  }

  protected markDirty(): void {
    this.owner.markDirty(this);
  }

  routeOp(op: RouteOpCode, line: Buffer, start: number, a: number, b: number): void {
    if (this.authDue !== 0 && op !== RouteOp.CONNECT) {
      this.authViolation();
      return;
    }
    switch (op) {
      case RouteOp.PING:
        this.gotPing();
        return;
      case RouteOp.PONG:
        this.gotPong();
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
    this.countInbound(m, line);
    if (this.verbose) this.queueBytes(OK);
    const acc = this.account(line, m.accStart, m.accEnd);
    if (acc === null) {
      const name = line.toString('latin1', m.accStart, m.accEnd);
      const subject = line.toString('latin1', m.subjectStart, m.subjectEnd);
      this.log('DBG', `Unknown account "${name}" for routed message on subject: "${subject}"`);
      return;
    }
    this.inboundSubject(line, m);
    this.host.routedMessage(
      acc,
      this.subject,
      this.subjectHash,
      m.replyStart >= 0 ? line.subarray(m.replyStart, m.replyEnd) : null,
      this.inboundQueues(line, m),
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

  // ---- timers (the cluster's coarse timer) ----

  /** Keep-alive, auth timeout and write deadline (nats-server's processPingTimer and friends). */
  tick(now: number): void {
    if (this.writeDeadline(now)) return;
    if (this.authDue !== 0 && now >= this.authDue) {
      this.sendErr(ERR_AUTH_TIMEOUT);
      this.log('DBG', ERR_AUTH_TIMEOUT);
      this.close(ClosedState.AuthenticationTimeout);
      return;
    }
    this.keepAlive(now);
  }

  // ---- close ----

  /** Closes the connection (nats-server's closeConnection for a route). Idempotent. */
  close(reason: RouteCloseReason): void {
    if (!this.shut(reason as ClosedReason, `Router connection closed: ${reason}`)) return;
    this.remote.clear();
    this.owner.routeClosed(this);
  }
}
