// One leaf node connection (nats-server's client of kind LEAF), in either role: the leafnode ops'
// meaning (LS+/LS-, LMSG/HMSG, PING/PONG, INFO, CONNECT, -ERR), its remote interest, the interest
// it was told (nats-server's smap), keep-alive, the LMSG/HMSG frames it sends, its statistics and
// its close. The handshake decisions (authorization, account binding, registration, loops)
// belong to the LeafManager that owns every leaf connection.

import type net from 'node:net';
import type { Account, LeafRole, RouteLink, Subscription } from '../accounts/account.js';
import { ClosedState, type ClosedReason, ERR_AUTH_TIMEOUT, ERR_UNKNOWN_PROTOCOL } from '../client/errors.js';
import { CompiledPermissions } from '../client/permissions.js';
import type { RemoteLeafOptions, SubjectPermission } from '../config/types.js';
import { F_A0E, F_A0S, F_PAY, F_SIZE } from '../protocol/layout.js';
import { MAX_QUEUE_WEIGHT } from '../cluster/interest.js';
import { firstPingDelay, Link, linkLabel } from '../cluster/link.js';
import { LEAF_MSG, recordPayloadStart, writeMsgLine, writeRecordLine } from '../cluster/msg-head.js';
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

export class Leaf extends Link<LeafHost> implements RouteParserSink, RouteLink {
  readonly parser: RouteParser;
  protected readonly kindName = 'Leafnode';
  /** RouteLink: nats-server's isHubLeafNode / isSpokeLeafNode (a remote may declare itself the hub). */
  leaf: LeafRole;
  /** The bound account (null until an accepted leaf's CONNECT is authorized). */
  acc: Account | null = null;
  /** The remote server's name (its INFO's or CONNECT's) and cluster. */
  remoteServer = '';
  remoteCluster = '';
  /** Solicited: the remote options and the URL dialed; the INFO nonce to sign. */
  readonly remote: RemoteLeafOptions | null;
  readonly url: URL | null;
  nonce = '';
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

  constructor(
    private readonly owner: LeafOwner,
    socket: net.Socket,
    readonly cid: number,
    remote: RemoteLeafOptions | null,
    url: URL | null,
    now: number,
  ) {
    super(owner.host, socket, linkLabel(socket, 'lid', cid), now);
    this.parser = new RouteParser(this, true);
    this.remote = remote;
    this.url = url;
    this.leaf = remote !== null && !remote.hub ? 'spoke' : 'hub';
    if (remote !== null) this.setDenies(remote.denyExports, remote.denyImports);
    this.pingDue = Infinity;
  }

  protected markDirty(): void {
    this.owner.markDirty(this);
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

  /** The keep-alive starts (nats-server's setFirstPingTimer, after the handshake). */
  startPings(now: number): void {
    this.pingDue = now + firstPingDelay(this.opts.pingIntervalMs);
  }

  routeOp(op: RouteOpCode, line: Buffer, start: number, a: number, b: number): void {
    // An accepted leaf says CONNECT first; a solicited one hears INFO first.
    if (this.authDue !== 0 && !this.solicited && op !== RouteOp.CONNECT) {
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
    this.countInbound(m, line);
    const s0 = m.subjectStart;
    const s1 = m.subjectEnd;
    if (line[s0] === 0x24 && hasPrefixBytes(this.jsDeny, line, s0, s1)) return;
    if (this.perms !== null && this.perms.deliveryDenied(line.toString('latin1', s0, s1))) return;
    this.inboundSubject(line, m);
    this.host.leafMessage(
      this,
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

  // ---- timers (the manager's coarse timer) ----

  /** Keep-alive, handshake timeout and write deadline. */
  tick(now: number): void {
    if (this.writeDeadline(now)) return;
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
    this.keepAlive(now);
  }

  // ---- close ----

  /** Closes the connection (nats-server's closeConnection for a leaf). Idempotent. */
  close(reason: LeafCloseReason): void {
    const acc = this.acc === null ? '' : ` account: ${this.acc.name}`;
    if (!this.shut(reason as ClosedReason, `Leafnode connection closed: ${reason}${acc}`)) return;
    this.clearSubs();
    this.owner.leafClosed(this);
  }
}
