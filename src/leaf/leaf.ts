// One leaf node connection (nats-server's client of kind LEAF), in either role: the leafnode ops'
// meaning (LS+/LS-, LMSG/HMSG, PING/PONG, INFO, CONNECT, -ERR), its remote interest, the interest
// it was told (nats-server's smap), keep-alive, the LMSG/HMSG frames it sends, its statistics and
// its close. The handshake decisions (authorization, account binding, registration, loops)
// belong to the LeafManager that owns every leaf connection.

import type net from 'node:net';
import type { Account, ClientLink, LeafRole, RouteLink, Subscription } from '../accounts/account.js';
import { ClosedState, type ClosedReason, ERR_AUTH_TIMEOUT, ERR_STALE_CONNECTION, ERR_UNKNOWN_PROTOCOL, skipsFlush } from '../client/errors.js';
import { Outbound } from '../client/outbound.js';
import { CompiledPermissions } from '../client/permissions.js';
import type { RemoteLeafOptions, ServerOptions, SubjectPermission } from '../config/types.js';
import { DEFAULT_RTT_MEASUREMENT_INTERVAL_MS, FIRST_PING_INTERVAL_MS } from '../config/defaults.js';
import { F_A0E, F_A0S, F_PAY, F_SIZE } from '../protocol/layout.js';
import { subjectHash } from '../subjects/hash.js';
import type { Flushable } from '../util/reactor.js';
import { MAX_QUEUE_WEIGHT } from '../cluster/interest.js';
import { endFrame, LEAF_MSG, recordPayloadStart, sameBytes, writeMsgLine, writeRecordLine } from '../cluster/msg-head.js';
import { decodeInfo, type RouteInfoDoc } from '../cluster/route-info.js';
import { type MsgArgs, RouteOp, type RouteOpCode, RouteParser, type RouteParserSink } from '../cluster/route-parser.js';
import type { LeafHost } from './host.js';
import { DENY_ALL_CLIENT_JS } from '../accounts/js-domain.js';

/** Close reasons of leaf connections only (nats-server's ClosedState strings). */
export const LeafClosed = {
  WrongPort: 'Incorrect Port',
  WrongGateway: 'Wrong Gateway',
  DuplicateRemoteLeafnodeConnection: 'Duplicate Remote LeafNode Connection',
  ClusterNamesIdentical: 'Cluster Names Identical',
  MissingAccount: 'Missing Account',
} as const;
export type LeafCloseReason = ClosedReason | (typeof LeafClosed)[keyof typeof LeafClosed];

/** nats-server's leafNodeLoopDetectionSubjectPrefix. */
export const LDS_PREFIX = '$LDS.';

const PING = Buffer.from('PING\r\n');
const PONG = Buffer.from('PONG\r\n');
const EMPTY = Buffer.alloc(0);

/** What a leaf connection needs from the manager that owns it. */
export interface LeafOwner {
  readonly host: LeafHost;
  /** An INFO arrived. */
  leafInfo(l: Leaf, info: RouteInfoDoc): void;
  /** A CONNECT arrived on an accepted connection. */
  leafConnect(l: Leaf, json: string): void;
  /** The subject of `acc`'s loop detection subscription (`$LDS.<id>`). */
  loopSubject(acc: Account): string;
  /** A loop was detected on `l` (`sendErr`: the other side is told). */
  loopDetected(l: Leaf, sendErr: boolean): void;
  /** The hub refused us for having its cluster name: the next connect waits. */
  clusterNameConflict(l: Leaf): void;
  /** The leaf closed (its remote interest is already gone). */
  leafClosed(l: Leaf): void;
  /** Output was queued on `l`: flush it at the end of the loop turn. */
  markDirty(l: Leaf): void;
}

/** One LS+ key of the leaf: its sublist entries (a queue interest of weight N is N entries). */
interface LeafSub {
  readonly subject: string;
  readonly queue: string | null;
  readonly entries: Subscription[];
  weight: number;
}

/** The prefixes of deny subjects `<prefix>.>` (the only form the JetStream deny lists take). */
export function denyPrefixes(subjects: readonly string[]): string[] {
  return subjects.map((s) => s.slice(0, -1));
}

/** Whether a (literal or wildcard) subject starts with one of `prefixes`. */
function hasPrefix(prefixes: readonly string[], subject: string): boolean {
  for (let i = 0; i < prefixes.length; i++) if (subject.startsWith(prefixes[i]!)) return true;
  return false;
}

/** The same for subject bytes buf[s, e) (no allocation). */
function hasPrefixBytes(prefixes: readonly string[], buf: Buffer, s: number, e: number): boolean {
  for (let i = 0; i < prefixes.length; i++) {
    const p = prefixes[i]!;
    if (e - s < p.length) continue;
    let k = 0;
    while (k < p.length && buf[s + k] === p.charCodeAt(k)) k++;
    if (k === p.length) return true;
  }
  return false;
}

const CLIENT_JS_PREFIXES = denyPrefixes(DENY_ALL_CLIENT_JS);

export class Leaf implements RouteParserSink, RouteLink, Flushable {
  readonly out = new Outbound();
  readonly parser: RouteParser;
  readonly ip: string;
  readonly port: number;
  readonly start: number;
  last: number;
  /** RouteLink: nats-server's isHubLeafNode / isSpokeLeafNode (a remote may declare itself the hub). */
  leaf: LeafRole;
  /** The bound account (null until an accepted leaf's CONNECT is authorized). */
  acc: Account | null = null;
  /** The remote server's name (its INFO's or CONNECT's) and cluster. */
  remoteServer = '';
  remoteCluster = '';
  /** Headers go as HMSG (both sides support them). */
  headers = false;
  /** Solicited: the remote options and the URL dialed; the INFO nonce to sign. */
  readonly remote: RemoteLeafOptions | null;
  readonly url: URL | null;
  nonce = '';
  infoReceived = false;
  /** Solicited: the hub's INFO with `connect_info` (or none expected) finished the handshake. */
  connectFinished = false;
  /** Solicited: whether the hub's first INFO said `info_on_connect` (the `connect_info` INFO follows the CONNECT). */
  infoOnConnect = false;
  /** The connection runs over TLS (CONNECT `tls_required`). */
  tls = false;
  /**
   * The JetStream denies nats-server's addLeafNodeConnection merges into the connection's
   * permissions, as subject prefixes: `jsDeny` both ways (messages we send it, interest we send
   * it, messages we take from it), `jsDenyOut` for the messages we send it only (our own
   * domain's API when the two sides do not share a domain). Set at registration.
   */
  jsDeny: readonly string[] = CLIENT_JS_PREFIXES;
  jsDenyOut: readonly string[] = [];
  /** The JetStream domain of the other side (its INFO's or CONNECT's `domain`; '' = none). */
  remoteDomain = '';
  /**
   * What may cross (null: everything but the JetStream denies): publish = messages we send it, subscribe
   * = interest we send it and messages we take from it. A remote's deny_exports / deny_imports,
   * or the deny_pub of an accepted leaf's CONNECT.
   */
  perms: CompiledPermissions | null = null;
  /** Registered with the manager (interest exchanged). */
  registered = false;
  /** nats-server's smap: the interest this leaf was told, key → count. */
  readonly smap = new Map<string, number>();
  /** The leaf's interest (LS+), by key. */
  readonly subs = new Map<string, LeafSub>();

  pingDue: number;
  pingsOut = 0;
  lastPingIn = 0;
  rttStart = 0;
  private pingSentAt = 0;
  /** Round trip time in ms (0 until the first PONG). */
  rtt = 0;
  /** The CONNECT (accepted) or the hub's INFO (solicited) is due by then (0 = not waiting). */
  authDue = 0;
  blockedSince = 0;

  inMsgs = 0;
  inBytes = 0;
  outMsgs = 0;
  outBytes = 0;

  dirty = false;
  closed = false;
  readonly stalledProducers: ClientLink[] = [];
  /** Do not reconnect after close (shutdown). */
  noReconnect = false;
  private readonly label: string;
  private readonly opts: ServerOptions;
  private subject: Buffer = EMPTY;
  private subjectHash = subjectHash(EMPTY, 0, 0);
  private gotMsgs = false;
  private readonly queueViews: Buffer[] = [];

  constructor(
    private readonly owner: LeafOwner,
    /** The connection's socket: the TCP socket, then the TLS socket over it once secured. */
    public socket: net.Socket,
    readonly cid: number,
    remote: RemoteLeafOptions | null,
    url: URL | null,
    now: number,
  ) {
    this.opts = owner.host.opts;
    this.parser = new RouteParser(this, true);
    this.ip = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    this.port = socket.remotePort ?? 0;
    this.label = `${this.ip.includes(':') ? `[${this.ip}]` : this.ip}:${this.port} - lid:${cid}`;
    this.remote = remote;
    this.url = url;
    this.leaf = remote !== null && !remote.hub ? 'spoke' : 'hub';
    if (remote !== null) this.setDenies(remote.denyExports, remote.denyImports);
    this.start = now;
    this.last = now;
    this.pingDue = Infinity;
  }

  /** Deny lists: `pub` for the messages we send, `sub` for the interest we send and the messages we take. */
  setDenies(pub: readonly string[], sub: readonly string[]): void {
    this.setPermissions(null, pub, null, sub);
  }

  /**
   * The connection's permissions (nats-server's setPermissions and mergeDenyPermissions):
   * `pub` (allow and deny) and `pubDeny` for the messages we send, `sub` and `subDeny` for the
   * interest we send and the messages we take. None at all: null.
   */
  setPermissions(pub: SubjectPermission | null, pubDeny: readonly string[], sub: SubjectPermission | null, subDeny: readonly string[]): void {
    const merge = (p: SubjectPermission | null, deny: readonly string[]): SubjectPermission | null => {
      const d = [...(p?.deny ?? []), ...deny];
      if (p === null && d.length === 0) return null;
      return { allow: p?.allow ?? null, deny: d.length > 0 ? d : null };
    };
    const publish = merge(pub, pubDeny);
    const subscribe = merge(sub, subDeny);
    this.perms = publish === null && subscribe === null ? null : new CompiledPermissions({ publish, subscribe, response: null });
  }

  toString(): string {
    return this.label;
  }

  /** Whether the JetStream denies keep interest in `subject` from this leaf (nats-server's canSubscribe). */
  jsDenied(subject: string): boolean {
    return subject.charCodeAt(0) === 0x24 && hasPrefix(this.jsDeny, subject);
  }

  /** Whether they keep a message on `subject` from going to this leaf (nats-server's pubAllowed). */
  private jsDeniedOut(subject: string): boolean {
    return subject.charCodeAt(0) === 0x24 && (hasPrefix(this.jsDeny, subject) || hasPrefix(this.jsDenyOut, subject));
  }

  /** The same for subject bytes buf[s, e) (no allocation). */
  private jsDeniedOutBytes(buf: Buffer, s: number, e: number): boolean {
    return buf[s] === 0x24 && (hasPrefixBytes(this.jsDeny, buf, s, e) || hasPrefixBytes(this.jsDenyOut, buf, s, e));
  }

  /** Solicited: this connection dialed its hub. */
  get solicited(): boolean {
    return this.remote !== null;
  }

  private get host(): LeafHost {
    return this.owner.host;
  }

  log(level: 'INF' | 'ERR' | 'WRN' | 'DBG' | 'TRC', text: string): void {
    this.host.log(level, `${this.label} - ${text}`);
  }

  private trace(dir: '<<-' | '->>', text: string): void {
    if (this.opts.trace) this.log('TRC', `${dir} [${text}]`);
  }

  /** The keep-alive starts (nats-server's setFirstPingTimer, after the handshake). */
  startPings(now: number): void {
    const d = Math.min(this.opts.pingIntervalMs, FIRST_PING_INTERVAL_MS);
    this.pingDue = now + d + Math.floor((Math.random() * d) / 5);
  }

  // ---- input ----

  read(chunk: Buffer): void {
    if (this.closed) return;
    const err = this.parser.parse(chunk);
    if (this.gotMsgs) {
      this.gotMsgs = false;
      this.last = Date.now();
    }
    if (err === null || this.closed) return;
    if (err.protoErr) this.sendErr(ERR_UNKNOWN_PROTOCOL);
    this.log('ERR', `Leafnode parser ERROR: ${err.text}`);
    this.close(ClosedState.ProtocolViolation);
  }

  routeOp(op: RouteOpCode, line: Buffer, start: number, a: number, b: number): void {
    // An accepted leaf says CONNECT first; a solicited one hears INFO first.
    if (this.authDue !== 0 && !this.solicited && op !== RouteOp.CONNECT) {
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
      case RouteOp.LS_SUB:
        this.trace('<<-', line.toString('latin1', start, b));
        this.leafSub(line.toString('latin1', a, b));
        return;
      case RouteOp.LS_UNSUB:
        this.trace('<<-', line.toString('latin1', start, b));
        this.leafUnsub(line.toString('latin1', a, b));
        return;
      case RouteOp.INFO: {
        const json = line.toString('utf8', a, b);
        this.trace('<<-', `INFO ${json}`);
        const info = decodeInfo(json);
        if (info === null) {
          this.protocolError(`Bad INFO: ${json}`);
          return;
        }
        this.owner.leafInfo(this, info);
        return;
      }
      case RouteOp.CONNECT: {
        const json = line.toString('utf8', a, b);
        this.trace('<<-', `CONNECT ${json.replace(/"pass":"(?:[^"\\]|\\.)*"/, '"pass":"[REDACTED]"')}`);
        this.authDue = 0;
        this.owner.leafConnect(this, json);
        return;
      }
      case RouteOp.ERR: {
        const text = line.toString('utf8', a, b);
        this.log('ERR', `Leafnode Error ${text}`);
        if (text.includes('Loop detected')) {
          this.owner.loopDetected(this, false);
          return;
        }
        if (text.includes('remote leafnode has same cluster name')) this.owner.clusterNameConflict(this);
        this.close(ClosedState.ParseError);
        return;
      }
      case RouteOp.OK:
        return;
      default:
        // RS+/RS-/A+/A- are route ops: unknown on a leaf connection.
        this.sendErr(ERR_UNKNOWN_PROTOCOL);
        this.log('ERR', `Leafnode parser ERROR: ${ERR_UNKNOWN_PROTOCOL}`);
        this.close(ClosedState.ProtocolViolation);
    }
  }

  /** nats-server's authViolation for a leaf. */
  authViolation(): void {
    this.log('ERR', 'authentication error');
    this.sendErr('Authorization Violation');
    this.close(ClosedState.AuthenticationViolation);
  }

  protocolError(text: string): void {
    this.log('ERR', text);
    this.close(ClosedState.ProtocolViolation);
  }

  /** LS+ (nats-server's processLeafSub). */
  private leafSub(arg: string): void {
    const acc = this.acc;
    if (acc === null || !this.registered) return;
    const args = arg.split(/[ \t]+/);
    if (args.length !== 1 && args.length !== 3) {
      this.protocolError(`processLeafSub Parse Error: '${arg}'`);
      return;
    }
    const subject = args[0]!;
    const queue = args.length === 3 ? args[1]! : null;
    const weight = queue === null ? 1 : Math.max(0, Number.parseInt(args[2]!, 10) || 0);
    this.last = Date.now();
    const lds = subject.startsWith(LDS_PREFIX);
    if (lds && subject === this.owner.loopSubject(acc)) {
      this.owner.loopDetected(this, true);
      return;
    }
    const checkPerms = !(lds || subject.startsWith('$GR.') || subject.startsWith('_GR_.'));
    if (checkPerms && !/[*>]/.test(subject) && (this.jsDeniedOut(subject) || (this.perms !== null && !this.perms.pubAllowed(subject)))) {
      if (this.leaf === 'spoke') return;
      this.sendErr(`Permissions Violation for Subscription to ${JSON.stringify(subject)}`);
      this.log('ERR', `Subscription Violation on ${JSON.stringify(subject)} - Check other side configuration`);
      this.close(ClosedState.ProtocolViolation);
      return;
    }
    const key = queue === null ? subject : `${subject} ${queue}`;
    const old = this.subs.get(key);
    if (old !== undefined) {
      if (queue !== null) this.reweigh(acc, old, weight);
      return;
    }
    const ls: LeafSub = { subject, queue, entries: [], weight: 0 };
    const first = this.entry(subject, queue, key);
    if (!this.host.addSub(acc, first)) {
      this.log('ERR', 'Could not insert subscription: invalid subject');
      this.sendErr('Invalid Subscription');
      return;
    }
    ls.entries.push(first);
    ls.weight = 1;
    this.subs.set(key, ls);
    if (queue !== null) this.reweigh(acc, ls, weight);
  }

  /** LS- (nats-server's processLeafUnsub: the argument is the key). */
  private leafUnsub(arg: string): void {
    const acc = this.acc;
    if (acc === null) return;
    this.last = Date.now();
    const key = arg.split(/[ \t]+/).join(' ');
    const ls = this.subs.get(key);
    if (ls === undefined) return;
    this.subs.delete(key);
    for (const sub of ls.entries) {
      sub.closed = true;
      this.host.removeSub(acc, sub);
    }
  }

  /** A queue interest's new weight: as many sublist entries (capped at MAX_QUEUE_WEIGHT). */
  private reweigh(acc: Account, ls: LeafSub, weight: number): void {
    ls.weight = weight;
    const want = Math.max(1, Math.min(weight, MAX_QUEUE_WEIGHT));
    const entries = ls.entries;
    while (entries.length < want) {
      const sub = this.entry(ls.subject, ls.queue, entries[0]!.sid);
      this.host.addSub(acc, sub);
      entries.push(sub);
    }
    if (entries.length > want) {
      for (const sub of entries.splice(want)) {
        sub.closed = true;
        this.host.removeSub(acc, sub);
      }
    }
  }

  private entry(subject: string, queue: string | null, key: string): Subscription {
    return {
      subject,
      queue,
      sid: key,
      sidBytes: Buffer.from(key, 'latin1'),
      client: null,
      route: this,
      internal: null,
      max: 0,
      nm: 0,
      closed: false,
    };
  }

  /** The leaf's interest leaves the sublists (the connection closed). */
  private clearSubs(): void {
    const acc = this.acc;
    if (acc === null) return;
    for (const ls of this.subs.values()) {
      for (const sub of ls.entries) {
        sub.closed = true;
        this.host.removeSub(acc, sub);
      }
    }
    this.subs.clear();
  }

  /** LMSG / HMSG (nats-server's processInboundLeafMsg). */
  routeMsg(m: MsgArgs, line: Buffer, payload: Buffer, payStart: number): void {
    const acc = this.acc;
    if (acc === null || !this.registered) {
      if (!this.solicited) this.authViolation();
      return;
    }
    this.inMsgs++;
    this.inBytes += m.size;
    this.gotMsgs = true;
    if (this.opts.trace) this.trace('<<-', line.toString('latin1', m.lineStart, m.lineEnd));
    const s0 = m.subjectStart;
    const s1 = m.subjectEnd;
    if (line[s0] === 0x24 && hasPrefixBytes(this.jsDeny, line, s0, s1)) return;
    if (this.perms !== null && this.perms.deliveryDenied(line.toString('latin1', s0, s1))) return;
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
    this.host.leafMessage(
      this,
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

  /** RouteLink: one LMSG/HMSG for a message (nats-server's msgHeaderForRouteOrLeaf for a leaf). */
  sendMsg(_acc: Account, subject: Buffer, reply: Buffer | null, queues: readonly string[] | null, hdrLen: number, payload: Buffer): void {
    if (this.closed || this.jsDeniedOutBytes(subject, 0, subject.length)) return;
    if (this.perms !== null && !this.perms.pubAllowed(subject.toString('latin1'))) return;
    const o = writeMsgLine(this.out, this.headers, LEAF_MSG, null, subject, reply, queues, hdrLen, payload);
    this.endFrame(o, payload, hdrLen > 0 && !this.headers ? hdrLen : 0, payload.length);
  }

  /** RouteLink: sendMsg for the PUB/HPUB record `rec` of a client's read, sizes copied verbatim. */
  sendRecord(_acc: Account, buf: Buffer, recs: Int32Array, rec: number, queues: readonly string[] | null): number {
    if (this.closed) return 0;
    if (this.jsDeniedOutBytes(buf, recs[rec + F_A0S], recs[rec + F_A0E])) return this.queued();
    if (this.perms !== null && !this.perms.pubAllowed(buf.toString('latin1', recs[rec + F_A0S], recs[rec + F_A0E]))) return this.queued();
    const o = writeRecordLine(this.out, this.headers, LEAF_MSG, null, buf, recs, rec, queues);
    return this.endFrame(o, buf, recordPayloadStart(recs, rec, this.headers), recs[rec + F_PAY] + recs[rec + F_SIZE]);
  }

  private endFrame(o: number, payload: Buffer, a: number, b: number): number {
    if (this.opts.trace) this.trace('->>', this.out.buf.toString('latin1', this.out.off, o));
    endFrame(this.out, o, payload, a, b);
    this.outMsgs++;
    this.outBytes += b - a;
    return this.queued();
  }

  /** Queues a protocol line (INFO, CONNECT, LS+/LS-); `utf8` for JSON documents. */
  sendProto(text: string, utf8 = false): void {
    if (this.closed) return;
    if (utf8) this.out.appendBytes(Buffer.from(text, 'utf8'));
    else this.out.appendLatin1(text);
    if (this.opts.trace) for (const l of text.split('\r\n')) if (l !== '') this.trace('->>', l.trimEnd());
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

  /** Bytes were queued: flush at the end of the turn. Returns the pending bytes. */
  private queued(): number {
    if (this.closed) return 0;
    this.owner.markDirty(this);
    return this.out.queued + this.socket.writableLength;
  }

  /** Hands queued bytes to the socket; called once per loop turn. */
  flush(): void {
    if (this.closed || this.out.queued === 0) return;
    if (!this.out.flushTo(this.socket) && this.blockedSince === 0) this.blockedSince = Date.now();
  }

  drained(): void {
    this.blockedSince = 0;
    const list = this.stalledProducers;
    for (let i = 0; i < list.length; i++) list[i]!.resumeReading();
    list.length = 0;
  }

  queuedBytes(): number {
    return this.out.queued;
  }

  pendingBytes(): number {
    return this.out.queued + this.socket.writableLength;
  }

  // ---- timers (the manager's coarse timer) ----

  /** Keep-alive, handshake timeout and write deadline. */
  tick(now: number): void {
    const opts = this.opts;
    if (this.blockedSince !== 0 && now - this.blockedSince > opts.writeDeadlineMs) {
      this.host.slowConsumer();
      this.log('INF', 'Slow Consumer Detected: WriteDeadline exceeded');
      this.close(ClosedState.SlowConsumerWriteDeadline);
      return;
    }
    if (this.authDue !== 0 && now >= this.authDue) {
      if (this.solicited) {
        this.log('ERR', 'Stale Leaf Node Connection - Closing');
        this.close(ClosedState.StaleConnection);
        return;
      }
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

  // ---- close ----

  /** Closes the connection (nats-server's closeConnection for a leaf). Idempotent. */
  close(reason: LeafCloseReason): void {
    if (this.closed) return;
    const socket = this.socket;
    const flush = !skipsFlush(reason as ClosedReason) && !socket.destroyed;
    if (flush) this.flush();
    this.closed = true;
    this.parser.stop();
    const acc = this.acc === null ? '' : ` account: ${this.acc.name}`;
    this.log('INF', `Leafnode connection closed: ${reason}${acc}`);
    if (flush) socket.end(() => socket.destroy());
    else socket.destroy();
    this.out.discard();
    this.drained();
    this.clearSubs();
    this.owner.leafClosed(this);
  }
}

