// An account: an isolated subject space (its own Sublist) with the imports and exports that
// connect it to other accounts. `$G` is the global account of everything not configured in
// an `accounts` block.
//
// Imports work as nats-server's do, with internal subscriptions (Subscription.internal):
// - a stream import of subject S from account A into B is a subscription on S in A that hands
//   each message to B's subscribers, under the prefixed or mapped subject. Every server of a
//   cluster has it and propagates it, so each one delivers to its own B subscribers.
// - a service import is a subscription in B on the local subject. A request is republished in A
//   on the exported subject, with its reply swapped for a fresh `_R_.xxxxxx.yyyyyy` subject of
//   A and a `Nats-Request-Info` header; A's one wildcard subscription on `_R_.xxxxxx.>` takes
//   the response and publishes it in B on the original reply. Requests are mapped by the
//   server the requester is on (the subscription is not propagated); responses come back
//   over routes to that server.

import { subjectHash } from '../subjects/hash.js';
import { Sublist } from '../subjects/sublist.js';
import type { SubjectMappings } from './mappings.js';

/**
 * A subscription as the registry and delivery see it. Exactly one of `client`, `route` and
 * `internal` is set: a local client's subscription, a route's interest (RS+; a queue interest of
 * weight N is N entries), or an internal subscription (an import) that takes the message itself.
 */
export interface Subscription {
  readonly subject: string; // latin1: one char per byte
  readonly queue: string | null;
  readonly sid: string;
  readonly sidBytes: Buffer;
  readonly client: ClientLink | null;
  readonly route: RouteLink | null;
  readonly internal: InternalHandler | null;
  /** Auto-unsubscribe limit, 0 = none. */
  max: number;
  /** Messages delivered. */
  nm: number;
  /** Removed or owner closed: never deliver again. */
  closed: boolean;
}

/** A connection whose pending output can stall the publishers feeding it (a client or a route). */
export interface Consumer {
  readonly closed: boolean;
  /** Publishers paused because of this connection's pending bytes: resumeReading() them when it drains or closes. */
  readonly stalledProducers: ClientLink[];
}

/**
 * nats-server's two leaf roles: `hub` for a leaf connection this server accepted (its
 * isHubLeafNode: the other side is our leaf), `spoke` for one it solicited (isSpokeLeafNode: the
 * other side is our hub).
 */
export type LeafRole = 'hub' | 'spoke';

/**
 * A route or a leaf connection as message delivery sees it (the cluster and the leaf modules
 * implement it). Their interest sits in the sublists as Subscriptions whose `route` is the link.
 */
export interface RouteLink extends Consumer {
  /** null for a route; a leaf connection's role. */
  readonly leaf: LeafRole | null;
  /**
   * Queues one RMSG (or HMSG when `hdrLen > 0` and the peer takes headers; headers are
   * stripped otherwise) for a message published on this server that is not a PUB record of a
   * client's read (it crossed an account import). `queues` names the queue groups for which this
   * route was picked (null or empty: only plain interest).
   */
  sendMsg(acc: Account, subject: Buffer, reply: Buffer | null, queues: readonly string[] | null, hdrLen: number, payload: Buffer): void;
  /**
   * sendMsg for a client's PUB/HPUB: the frame is written straight from the complete scan record
   * `rec` (field index) over `buf`, with its size tokens copied verbatim as nats-server does
   * (`PUB foo 007` goes out as `RMSG $G foo 007`). Hot path: no allocation. Returns the route's
   * pending bytes (queued and in the socket).
   */
  sendRecord(acc: Account, buf: Buffer, recs: Int32Array, rec: number, queues: readonly string[] | null): number;
}

/** An internal subscription (an account import) takes the messages delivered to it. */
export interface InternalHandler {
  /**
   * Propagated to routes and fed by messages from routes (stream imports, service responses);
   * false: this server only (a service import's requests, which every server maps itself).
   */
  readonly clusterWide: boolean;
  /**
   * A message for this subscription (`hdrLen` -1 without headers; `payload` = headers + body;
   * `src` the publishing client, null when it came over a route or from another import; `frame`,
   * when given, the subject its MSG frames carry, as Account.deliver's `frame`).
   */
  receive(subject: Buffer, reply: Buffer | null, hdrLen: number, payload: Buffer, src: ClientLink | null, frame?: Buffer): void;
  /**
   * Optional: receive() for a client's PUB/HPUB, given as offsets into the read buffer `buf` so
   * the delivery makes no Buffer views: the subject is buf[s0, s1), the reply buf[r0, r1) (none
   * when r0 === r1), the payload buf[p0, p1) (headers + body, `hdrLen` -1 without headers). The
   * bytes are valid only during the call: a handler that keeps any copies them before it returns.
   * When present, a client's publish comes here and never to receive().
   */
  readonly receiveAt?: (buf: Buffer, s0: number, s1: number, r0: number, r1: number, hdrLen: number, p0: number, p1: number) => void;
  /**
   * A stream import's answer to exactInterest() for the literal `subject` it covers: whether the
   * importing account has a subscription exactly on the mapped subject (in `queue` when not '').
   * nats-server makes a shadow subscription in the exporting account for each subscription of
   * the importer; this asks the importer instead.
   */
  readonly exactInterest?: (subject: string, queue: string) => boolean;
}

/** exactInterest()'s answer, two flags: a subscription was found; an import was asked (so the answer can change with another account's subscriptions). */
export const HAS_INTEREST = 1;
export const ASKED_IMPORT = 2;

/**
 * nats-server's registerNotification test: is there a subscription on exactly the literal
 * `subject` (a queue subscription in group `queue` when `queue` is not ''), wildcards not
 * counted? A stream import's subscription counts when its importer has one.
 */
export function exactInterest(sl: Sublist<Subscription>, subject: string, queue: string): number {
  const r = sl.match(subject);
  let flags = 0;
  for (const sub of r.plain) {
    if (sub.closed) continue;
    const probe = sub.internal?.exactInterest;
    if (probe !== undefined) {
      flags |= ASKED_IMPORT;
      if (probe(subject, queue)) return flags | HAS_INTEREST;
    } else if (queue === '' && sub.subject === subject) {
      return flags | HAS_INTEREST;
    }
  }
  if (queue === '') return flags;
  for (const members of r.queues) {
    if (members[0]!.queue !== queue) continue;
    for (const sub of members) if (sub.subject === subject && !sub.closed) return flags | HAS_INTEREST;
  }
  return flags;
}

/**
 * A client connection as message delivery sees it (client/ implements it): the delivery seam an
 * Account uses, so that accounts never import client/. Client is the only implementation, and
 * client/ and monitor/ take a subscription's `client` back as a Client (a type assertion: no
 * cost on the hot path).
 */
export interface ClientLink {
  /** Whether the client gets its own messages (CONNECT `echo`). */
  readonly echo: boolean;
  /** Round-trip time in seconds (0 until measured): a service import's `Nats-Request-Info` carries it. */
  readonly rtt: number;
  /**
   * One MSG/HMSG frame for `sub` (a subscription of this client) of a message that is not a PUB
   * record of a client's read (it came over a route or crossed an import). Whether it was sent.
   */
  deliverParts(sub: Subscription, subject: Buffer, reply: Buffer | null, hdrLen: number, payload: Buffer): boolean;
  /** Reads from this client again after a producer stall (see Consumer). */
  resumeReading(): void;
}

/** nats-server's global account. */
export const GLOBAL_ACCOUNT = '$G';

/**
 * deliver() flags: the message came over a route / may go on to routes and leaves with interest /
 * came over a leaf connection (deliver's `from`).
 */
export const FROM_ROUTE = 1;
export const TO_ROUTES = 2;
export const FROM_LEAF = 4;
/** With FROM_LEAF and no queue list: queue groups take it too (nats-server's pmrIgnoreEmptyQueueFilter, for a mapped message). */
export const ANY_QUEUE = 8;
/**
 * The subject is a reply subject, used once (a response to a request): matched without the
 * account's match cache (Sublist.matchBytesOnce); `hash` is not read.
 */
export const REPLY = 16;

/** Imports that feed imports: deeper chains are dropped (nats-server detects cycles). */
const MAX_IMPORT_DEPTH = 8;
let depth = 0;

/** nats-server's service reply alphabet (accounts.go digits, base 62). */
const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Responses in flight are swept for expiry every this many new ones. */
const SWEEP_EVERY = 256;
const EMPTY = Buffer.alloc(0);

/** `n` random base-62 digits (nats-server's service reply tokens and ephemeral consumer names). */
export function randomToken(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += DIGITS[(Math.random() * 62) | 0];
  return s;
}

/** Where a service response goes: the requesting account, under the requester's reply. */
interface PendingResponse {
  readonly acc: Account;
  readonly reply: Buffer;
  readonly singleton: boolean;
  readonly expires: number;
}

/** What an account needs from the server to wire imports. */
export interface AccountHost {
  addSub(acc: Account, sub: Subscription): boolean;
  removeSub(acc: Account, sub: Subscription): void;
}

/** An internal subscription; with `queue`, a member of that queue group (one member of a group takes each message). */
export function internalSub(subject: string, handler: InternalHandler, queue: string | null = null): Subscription {
  return { subject, queue, sid: '', sidBytes: EMPTY, client: null, route: null, internal: handler, max: 0, nm: 0, closed: false };
}

/** nats-server's jsAckPre: replies that may carry a delivery's subject after `@` between servers. */
const JS_ACK_PRE = Buffer.from('$JS.ACK.', 'latin1');
const AT = 0x40;
/** `reply@frame` for routes and leaves, reused: sendMsg copies it before the next delivery. */
let atReply = Buffer.allocUnsafe(256);

/** `reply@frame` in the reused buffer (a view valid until the next call). */
function replyAt(reply: Buffer, frame: Buffer): Buffer {
  const n = reply.length + 1 + frame.length;
  if (atReply.length < n) atReply = Buffer.allocUnsafe(Math.max(n, 2 * atReply.length));
  reply.copy(atReply, 0);
  atReply[reply.length] = AT;
  frame.copy(atReply, reply.length + 1);
  return atReply.subarray(0, n);
}

/** The `@` in a route's or leaf's `$JS.ACK.` reply that a delivery subject follows (-1: none). */
function deliverAt(reply: Buffer): number {
  if (reply.length <= JS_ACK_PRE.length || reply[0] !== 0x24 || reply.compare(JS_ACK_PRE, 0, JS_ACK_PRE.length, 0, JS_ACK_PRE.length) !== 0) return -1;
  const at = reply.lastIndexOf(AT);
  return at < reply.length - 1 ? at : -1;
}

/** The routes and leaves a delivery goes on to, with the queue groups each was picked for. */
interface Targets {
  readonly links: RouteLink[];
  readonly queues: (string[] | null)[];
}

/** Adds `link` (once) to the targets, made on first use, with `queue` when it was picked for one. */
function addTarget(t: Targets | null, link: RouteLink, queue: string | null): Targets {
  t ??= { links: [], queues: [] };
  let i = t.links.indexOf(link);
  if (i < 0) {
    i = t.links.push(link) - 1;
    t.queues.push(null);
  }
  if (queue !== null) (t.queues[i] ??= []).push(queue);
  return t;
}

/** Whether `queue` is one of the queue names `queues` (bytes, latin1). */
function named(queues: readonly Buffer[] | null, queue: string): boolean {
  if (queues === null) return false;
  for (let i = 0; i < queues.length; i++) {
    const q = queues[i]!;
    if (q.length !== queue.length) continue;
    let k = 0;
    while (k < q.length && q[k] === queue.charCodeAt(k)) k++;
    if (k === q.length) return true;
  }
  return false;
}

export class Account {
  readonly name: string;
  /** The name as bytes (route RS+/RMSG lines carry it). */
  readonly nameBytes: Buffer;
  /**
   * Local client subscriptions, internal (import) subscriptions and remote (route) interest.
   * JetStream's ack subjects, each published once, are matched without filling its cache.
   */
  readonly sublist = new Sublist<Subscription>({ uncachedPrefix: '$JS.ACK.', uncachedGroupTokens: 4 });
  /** The internal subscriptions made for imports (removed when imports are rewired). */
  readonly importSubs: { acc: Account; sub: Subscription }[] = [];
  /** `_R_.xxxxxx.`: this account's service reply prefix ('' until the first request). */
  private replyPrefix = '';
  private readonly responses = new Map<string, PendingResponse>();
  private added = 0;
  /** Limits from the account's JWT in operator mode (nats-server's mconns, msubs, mpay): -1 = none. */
  maxConnections = -1;
  maxSubscriptions = -1;
  maxPayload = -1;
  /** Client connections registered in the account (counted against maxConnections). */
  numClients = 0;
  /** When the account's JWT expires, ms (0 = never): its clients are closed then. */
  expiresAt = 0;
  /** When a client of the account last logged `maximum subscriptions exceeded`, ms. */
  lastMaxSubsLog = 0;
  /** When the account was made, ms (nats-server's `updated`, /accountz update_time). */
  readonly updated = Date.now();
  /** Messages its clients published, and deliveries they caused (nats-server's account stats). */
  inMsgs = 0;
  inBytes = 0;
  outMsgs = 0;
  outBytes = 0;
  slowConsumers = 0;
  /** Subject mappings; null when the account has none (a publish then pays nothing for them). */
  mappings: SubjectMappings | null = null;

  constructor(name: string) {
    this.name = name;
    this.nameBytes = Buffer.from(name, 'latin1');
  }

  /**
   * Delivers a message that is not a PUB of a client's read: it came over a route (FROM_ROUTE:
   * local subscribers and our leaves, queue groups only those named in `queues`, and one local
   * member, a leaf member when no local one is left), over the leaf connection `from`
   * (FROM_LEAF: local subscribers, routes when `from` is our leaf, other leaves; queue groups only
   * those named, a local or routed member before a leaf one), or crossed an import (TO_ROUTES:
   * remote interest gets it too). nats-server's processMsgResults for those sources. `hash` is
   * the subject's FNV-1a when the caller has it. `frame`, when given, is the subject the MSG
   * frames to local clients carry instead of `subject` (nats-server's pa.deliver: a JetStream
   * delivery matches the pull request's inbox and shows the message's own subject). Between
   * servers it travels after the reply, `$JS.ACK...@<subject>`, as nats-server sends it to
   * routes and leaves and takes it from them. Returns the deliveries.
   */
  deliver(
    subject: Buffer,
    reply: Buffer | null,
    hdrLen: number,
    payload: Buffer,
    flags: number,
    queues: readonly Buffer[] | null,
    src: ClientLink | null,
    hash: number = subjectHash(subject, 0, subject.length),
    frame: Buffer = subject,
    from: RouteLink | null = null,
  ): number {
    if (depth >= MAX_IMPORT_DEPTH) return 0;
    if ((flags & (FROM_ROUTE | FROM_LEAF)) !== 0 && reply !== null) {
      const at = deliverAt(reply);
      if (at >= 0) {
        frame = reply.subarray(at + 1);
        reply = reply.subarray(0, at);
      }
    }
    depth++;
    try {
      const r = (flags & REPLY) !== 0 ? this.sublist.matchBytesOnce(subject, 0, subject.length) : this.sublist.matchBytes(subject, 0, subject.length, hash);
      const fromRoute = (flags & FROM_ROUTE) !== 0;
      const fromLeaf = (flags & FROM_LEAF) !== 0;
      const toRoutes = (flags & TO_ROUTES) !== 0;
      // Routes take a leaf's message only from our own leaves (not from our hub).
      const leafToRoutes = fromLeaf && from !== null && from.leaf === 'hub';
      // Route and leaf targets, made only when there are some.
      let t: Targets | null = null;
      let delivered = 0;
      const plain = r.plain;
      for (let j = 0; j < plain.length; j++) {
        const sub = plain[j]!;
        if (sub.client !== null) {
          if (sub.client === src && !src.echo) continue;
          if (sub.client.deliverParts(sub, frame, reply, hdrLen, payload)) delivered++;
        } else if (sub.route !== null) {
          const link = sub.route;
          const send =
            link.leaf === null ? toRoutes || leafToRoutes : link !== from && (toRoutes || fromLeaf || (fromRoute && link.leaf === 'hub'));
          if (send && (t === null || !t.links.includes(link))) {
            t = addTarget(t, link, null);
            delivered++;
          }
        } else if (!sub.closed && (!fromRoute || sub.internal!.clusterWide)) {
          sub.internal!.receive(subject, reply, hdrLen, payload, src, frame);
          delivered++;
        }
      }
      for (const group of r.queues) {
        if ((fromRoute || fromLeaf) && !named(queues, group[0]!.queue!) && (queues !== null || (flags & ANY_QUEUE) === 0)) continue;
        const n = group.length;
        const first = (Math.random() * n) | 0;
        let fallback: RouteLink | null = null;
        let done = false;
        for (let k = 0; k < n; k++) {
          const sub = group[(first + k) % n]!;
          const link = sub.route;
          if (link !== null) {
            if (link === from) continue;
            if (fromRoute || (fromLeaf && link.leaf !== null)) {
              if (link.leaf !== null) fallback ??= link;
              continue;
            }
            if (!toRoutes && !fromLeaf) continue;
            t = addTarget(t, link, sub.queue);
            delivered++;
            done = true;
            break;
          }
          if (sub.client !== null && (sub.client !== src || src.echo) && sub.client.deliverParts(sub, frame, reply, hdrLen, payload)) {
            delivered++;
            done = true;
            break;
          }
          if (sub.internal !== null && !sub.closed && (!fromRoute || sub.internal.clusterWide)) {
            sub.internal.receive(subject, reply, hdrLen, payload, src, frame);
            delivered++;
            done = true;
            break;
          }
        }
        if (!done && fallback !== null) {
          t = addTarget(t, fallback, group[0]!.queue);
          delivered++;
        }
      }
      if (t !== null) {
        const linkReply = frame !== subject && reply !== null ? replyAt(reply, frame) : reply;
        for (let i = 0; i < t.links.length; i++) t.links[i]!.sendMsg(this, subject, linkReply, t.queues[i]!, hdrLen, payload);
      }
      return delivered;
    } finally {
      depth--;
    }
  }

  /**
   * A request crossing a service import into this (the exporting) account: remembers where the
   * response goes and returns the reply subject to use here, `_R_.xxxxxx.yyyyyy`. The first
   * call subscribes this account to its reply wildcard.
   */
  newServiceReply(host: AccountHost, to: Account, reply: Buffer, singleton: boolean, thresholdMs: number): Buffer {
    if (this.replyPrefix === '') {
      this.replyPrefix = `_R_.${randomToken(6)}.`;
      const sub = internalSub(`${this.replyPrefix}>`, {
        clusterWide: true,
        receive: (subject, _reply, hdrLen, payload) => this.response(subject, hdrLen, payload),
      });
      host.addSub(this, sub);
      this.importSubs.push({ acc: this, sub });
    }
    const now = Date.now();
    if (++this.added % SWEEP_EVERY === 0) {
      for (const [k, p] of this.responses) if (p.expires <= now) this.responses.delete(k);
    }
    const subject = this.replyPrefix + randomToken(6);
    this.responses.set(subject, { acc: to, reply: Buffer.from(reply), singleton, expires: now + thresholdMs });
    return Buffer.from(subject, 'latin1');
  }

  /** A response to a mapped request: on to the requesting account, under the original reply. */
  private response(subject: Buffer, hdrLen: number, payload: Buffer): void {
    const key = subject.toString('latin1');
    const p = this.responses.get(key);
    if (p === undefined) return;
    if (p.singleton || p.expires <= Date.now()) this.responses.delete(key);
    if (p.expires <= Date.now()) return;
    p.acc.deliver(p.reply, null, hdrLen, payload, TO_ROUTES, null, null);
  }

  /** Service responses waiting (for monitoring and tests). */
  get pendingResponses(): number {
    return this.responses.size;
  }
}
