// hot path: no allocation per message, no I/O
// A client connection's protocol meaning: CONNECT options, PUB/HPUB/SUB/UNSUB semantics,
// verbose +OK, pedantic checks, echo, headers, auto-unsubscribe, no-responders, keep-alive
// state, error texts and close reasons. Bytes arrive as scanner records from the Parser; output
// goes into the connection's Outbound and the host is told the connection is dirty.

import {
  E_CONTROL_LINE,
  E_PAYLOAD_CRLF,
  E_UNKNOWN_OP,
  F_A0E,
  F_A0S,
  F_A1E,
  F_A1S,
  F_A2S,
  F_END,
  F_HASH,
  F_HDR,
  F_NARGS,
  F_OP,
  F_PAY,
  F_SIZE,
  F_START,
  OP_CONNECT,
  OP_ERR,
  OP_ERROR,
  OP_HMSG_IN,
  OP_HPUB,
  OP_INFO,
  OP_MASK,
  OP_OK,
  OP_PARTIAL,
  OP_PING,
  OP_PONG,
  OP_PUB,
  OP_SUB,
  OP_UNSUB,
  REC_STRIDE,
} from '../protocol/layout.js';
import { frameBound, partsBound, writeFrame, writeParts } from '../protocol/batcher.js';
import { Parser, type ParserSink } from '../protocol/parser.js';
import { parseSize } from '../protocol/scanner.js';
import { AUTH_TIMEOUT_MS, DEFAULT_RTT_MEASUREMENT_INTERVAL_MS } from '../config/defaults.js';
import type { NkeyUser, ServerOptions, UserEntry } from '../config/types.js';
import {
  type AuthDecision,
  type Authenticator,
  type AuthLog,
  type AuthRequest,
  authenticate,
  authRequired,
  findUser,
  newNonce,
  nonceRequired,
} from './auth.js';
import { isValidLiteralSubjectBytes } from '../subjects/subject.js';
import type { SublistResult } from '../subjects/sublist.js';
import type { TlsPeer } from './cert-map.js';
import { type ConnectOptions, decodeConnectInto, defaultConnectOptions } from './connect-options.js';
import {
  ClosedState,
  type ClosedReason,
  ERR_ACCOUNT_AUTH_EXPIRED,
  ERR_AUTH_EXPIRED,
  ERR_AUTH_REVOKED,
  ERR_AUTH_TIMEOUT,
  ERR_AUTH_VIOLATION,
  ERR_BAD_CLIENT_PROTOCOL,
  ERR_INVALID_PUBLISH_SUBJECT,
  ERR_INVALID_SUBJECT,
  ERR_MAX_ACCOUNT_CONNECTIONS,
  ERR_MAX_CONTROL_LINE,
  ERR_MAX_PAYLOAD,
  ERR_MAX_SUBSCRIPTIONS,
  ERR_NO_RESPONDERS_REQUIRES_HEADERS,
  ERR_STALE_CONNECTION,
  ERR_UNKNOWN_PROTOCOL,
  goQuote,
  pubPermissionViolation,
  replySubjectViolation,
  skipsFlush,
  subPermissionViolation,
} from './errors.js';
import { Outbound, type OutboundSink } from './outbound.js';
import { CompiledPermissions } from './permissions.js';
import { type Account, type ClientLink, type Consumer, type RouteLink, type Subscription, TO_ROUTES } from '../accounts/account.js';
import { DROPPED, type SubjectMappings } from '../accounts/mappings.js';
import type { JwtClient, JwtLog, JwtUser, OperatorMode } from '../accounts/jwt-auth.js';
import type { Implementation } from '../protocol/implementation.js';
import { joinHostPort } from '../util/host-port.js';

/** The socket as the client uses it. */
export interface ClientSocket extends OutboundSink {
  readonly writableLength: number;
  end(): void;
  destroy(): void;
  /** Stop / restart reading (producer stall). */
  pause(): unknown;
  resume(): unknown;
}

export interface Counters {
  inMsgs: number;
  inBytes: number;
  outMsgs: number;
  outBytes: number;
  slowConsumers: number;
  /** Producer stalls begun: a publisher that was being read stopped being read (see stallFor). */
  producerStalls: number;
}

/** What a client needs from the server that owns it. */
export interface ClientHost {
  readonly opts: ServerOptions;
  /** The global account ($G): clients start in it and stay unless their user names another. */
  readonly globalAccount: Account;
  /** The account by name; with `create`, made when missing (an embedder may name new ones). */
  lookupAccount(name: string, create: boolean): Account | null;
  /** Inserts a local subscription into `acc` (and tells the routes); false for a bad subject. */
  addSub(acc: Account, sub: Subscription): boolean;
  readonly impl: Implementation;
  readonly stats: Counters;
  /** The embedder's authenticate function (startServer), or null for the configured methods. */
  readonly authenticator: Authenticator | null;
  /** Operator mode (trusted operators configured): clients authenticate with user JWTs. */
  readonly operator: OperatorMode | null;
  /** Headers enabled on the server (not no_header_support). */
  readonly headersSupported: boolean;
  /** Queues the connection for the end-of-turn flush. */
  markDirty(c: Client): void;
  /** Removes a subscription from the registry (deferred while a delivery loop runs). */
  removeSub(acc: Account, sub: Subscription): void;
  /** Delivery loops run between these two calls; removals wait until `endDelivery`. */
  beginDelivery(): void;
  endDelivery(): void;
  /** The client authenticated (its CONNECT was accepted): the system's connect event. */
  clientConnected(c: Client): void;
  clientClosed(c: Client, reason: ClosedReason): void;
  /** Logs one line at nats-server's notice level ([INF]). */
  notice(text: string): void;
  /** Protocol tracing is on (-V): the client then calls `trace` for every op. */
  readonly tracing: boolean;
  /** Logs one trace line; `raw` lines are not wrapped in brackets. */
  trace(c: Client, dir: '<<-' | '->>', text: string, raw?: boolean): void;
  /** Logs one line as given (`DBG` only with debug on); a client puts its `${c} - ` prefix on its own. */
  log(level: 'ERR' | 'WRN' | 'DBG', text: string): void;
  /**
   * The first PONG after CONNECT was queued for a client that takes async INFO (protocol 1):
   * the server queues its INFO after it when the cluster's client URLs changed since the client
   * was accepted (nats-server processPing).
   */
  sentFirstPong(c: Client): void;
}

const RESERVED_REPLY_SERVICE = '_R_.';
const RESERVED_JS_ACK = '$JS.ACK.';
const GW_REPLY_PREFIX = '_GR_.';
/** nats-server's minReplyLen: replies longer than this trigger an RTT ping to a client without one. */
const MIN_REPLY_LEN = 15;
/** nats-server's maxNoRTTPingBeforeFirstPong. */
const MAX_NO_RTT_PING_BEFORE_FIRST_PONG_MS = 2000;
/** Counter for Client.runMark (one value per runnable() check). */
let runMarks = 0;
/** writeMsgs' out parameter (the offset after the last frame), shared: one call at a time. */
const RUN_STATE = new Int32Array(1);
/** The payload an internal subscription gets for an empty message (one buffer, not a view per message). */
const NO_PAYLOAD = Buffer.alloc(0);
/** nats-server's stallClientMinDuration and stallClientMaxDuration. */
const STALL_MIN_MS = 100;
const STALL_MAX_MS = 1000;
/** stallUntil of a client stalled by its own pending bytes: only its socket's drain resumes it. */
const SELF_STALL = Number.MAX_SAFE_INTEGER;
/** nats-server's defaultMaxSubLimitReportThreshold: one max-subscriptions log line per account per 2 s. */
const MAX_SUB_LIMIT_REPORT_MS = 2000;
/** nats-server's replyPermLimit: reply permissions kept before pruning. */
const MAX_REPLY_PERMS = 4096;

const compiled = new WeakMap<UserEntry | NkeyUser, CompiledPermissions>();
function compiledPermissions(u: UserEntry | NkeyUser): CompiledPermissions {
  let p = compiled.get(u);
  if (p === undefined) {
    p = new CompiledPermissions(u.permissions!);
    compiled.set(u, p);
  }
  return p;
}

const PING_BYTES = Buffer.from('PING\r\n');
const PONG_BYTES = Buffer.from('PONG\r\n');
const OK_BYTES = Buffer.from('+OK\r\n');

export class Client implements ParserSink, ClientLink, JwtClient {
  readonly cid: number;
  readonly host: ClientHost;
  /** The connection's socket; the server swaps in the TLS socket once the handshake completes. */
  socket: ClientSocket;
  readonly ip: string;
  readonly port: number;
  /** Accept time, ms since the epoch. */
  readonly start: number;
  /** Accept time on the performance clock (RTT is measured on it, sub-millisecond). */
  readonly startPerf = performance.now();
  readonly out = new Outbound();
  readonly parser: Parser;
  readonly subs = new Map<string, Subscription>();
  /** The account this client lives in (its subject space). */
  acc: Account;
  opts: ConnectOptions = defaultConnectOptions();
  connectReceived = false;
  /** Headers negotiated (client asked and server supports). */
  headers = false;
  echo = true;
  /** The mapping a trace of the current PUB picked (undefined: none traced yet). */
  private tracedMapping: Buffer | null | undefined = undefined;

  inMsgs = 0;
  inBytes = 0;
  outMsgs = 0;
  outBytes = 0;

  /** Last client activity (messages, subscription changes, deliveries), ms. */
  last: number;
  /** Last PING received from the client, ms (0 = never). */
  lastPingIn = 0;
  pingsOut = 0;
  /** Round-trip time in ms (fractional); 0 = not measured yet. */
  rtt = 0;
  /** When the last PING was sent, on the performance clock (0 = never). */
  rttStart = 0;
  firstPongSent = false;
  /** When the keep-alive timer next fires, ms. */
  pingDue = 0;
  /** Since when the socket refuses writes (0 = it does not). */
  blockedSince = 0;
  /** out.handed when the socket began refusing writes: the bytes the running deadline covers. */
  private blockedMark = 0;
  /** Writes handed to the socket since it last refused one (nats-server's pending chunks). */
  blockedWrites = 0;
  /** In the reactor's dirty set. */
  dirty = false;
  /** How often the PUB/HPUB in progress was reported partial (its control line checked). */
  private pubReports = 0;
  /** Scratch for runnable(): the last check that saw one of this client's subscriptions. */
  runMark = 0;
  /** Reading is paused until then (producer stall), ms; 0 = not stalled. */
  stallUntil = 0;
  /** Publishers paused because of this client's pending bytes. */
  readonly stalledProducers: Client[] = [];
  /** Got messages since the last flush (counts as activity for keep-alive). */
  private gotMsgs = false;
  /**
   * The views of the PUB record processMsg is delivering, made by deliverInternal for its first
   * internal subscription and handed to the others too (null: none made yet for this record).
   */
  private ivSubject: Buffer | null = null;
  private ivReply: Buffer | null = null;
  private ivPayload: Buffer | null = null;
  /** What kind of connection carries this client (/connz `type`): a TCP socket or a WebSocket. */
  kind: 'client' | 'websocket' = 'client';
  closed = false;
  closeReason: ClosedReason | '' = '';
  stop = 0;
  /** Auth is configured and no CONNECT has authenticated this client yet. */
  authPending: boolean;
  /** When the auth timer fires, ms (0 = not armed). */
  authDue = 0;
  /** The configured user this client authenticated as, if any. */
  user: UserEntry | NkeyUser | null = null;
  /** What the log prefix names after the CONNECT (see setLogTag). */
  private logTag = '';
  /** The nonce sent in this client's INFO ('' when nkeys are not configured). */
  readonly nonce: string;
  /** What the TLS handshake left (the client certificate); null on a plain connection. */
  tlsPeer: TlsPeer | null = null;
  /** The user's permissions, null when unrestricted. */
  perms: CompiledPermissions | null = null;
  /** Operator mode: the user JWT this client authenticated with, null otherwise. */
  jwtUser: JwtUser | null = null;
  /** Counted in its account's numClients (operator mode). */
  private registered = false;
  /**
   * The user's and account's payload and subscription limits (nats-server's mpay, msubs after
   * applyAccountLimits): -1 = none beyond the server's max_payload and max_subscriptions.
   */
  maxPayload = -1;
  maxSubs = -1;
  /** When the user's JWT expires, ms (0 = never): the server's timer closes the client then. */
  expiresAt = 0;
  /** Reply subjects this client may answer (allow_responses), with when and how often. */
  private replies: Map<string, { t: number; n: number }> | null = null;
  private activity = false;

  /**
   * The options this client authenticates against: the server's (live), or for a WebSocket
   * client with its own `authorization` block, those with the block's user, token and timeout.
   */
  readonly authOpts: ServerOptions;

  constructor(
    host: ClientHost,
    cid: number,
    socket: ClientSocket,
    ip: string,
    port: number,
    now: number,
    authOpts: ServerOptions = host.opts,
  ) {
    this.host = host;
    this.authOpts = authOpts;
    this.cid = cid;
    this.socket = socket;
    this.ip = ip;
    this.port = port;
    this.start = now;
    this.last = now;
    this.acc = host.globalAccount;
    this.parser = new Parser(host.impl.scan, this, host.opts.maxControlLine);
    this.nonce = host.operator !== null || nonceRequired(authOpts) ? newNonce() : '';
    this.authPending = host.authenticator !== null || authRequired(authOpts);
    if (this.authPending) this.authDue = now + (authOpts.authTimeoutMs || AUTH_TIMEOUT_MS);
  }

  /** Bytes waiting to be written: ours plus what the socket still holds. */
  pendingBytes(): number {
    return this.out.queued + this.socket.writableLength;
  }

  /** Called by the server for every socket read. */
  read(chunk: Buffer): void {
    if (this.closed) return;
    this.activity = false;
    this.host.beginDelivery();
    try {
      this.parser.feed(chunk);
    } finally {
      this.host.endDelivery();
    }
    if (this.activity) this.last = Date.now();
    if (!this.closed) this.host.markDirty(this);
  }

  // ---- ParserSink ----

  onRecord(buf: Buffer, recs: Int32Array, rec: number): boolean {
    if (this.closed) return false;
    const op = recs[rec + F_OP];
    // A bare partial record has no F_START: F_PAY holds where its op begins.
    const first = buf[recs[rec + (op === OP_PARTIAL ? F_PAY : F_START)]];
    if (this.authPending && (first | 0x20) !== 0x63 && !this.registerNoAuthUser()) {
      this.authViolation();
      return false;
    }
    if (this.host.tracing && (op & OP_PARTIAL) === 0) this.traceIn(buf, recs, rec);
    switch (op & OP_MASK) {
      case OP_PUB:
      case OP_HPUB:
        // The control-line checks run for each report of a partial op (nats-server processes
        // a split PUB's arguments twice: a pedantic error is sent twice), not again when the
        // op completes.
        if ((op & OP_PARTIAL) !== 0) {
          if (this.pubReports < 2) {
            if (!this.checkPubLine(buf, recs, rec)) return false;
            this.pubReports++;
          }
          return true;
        }
        if (this.pubReports === 0 && !this.checkPubLine(buf, recs, rec)) return false;
        this.pubReports = 0;
        this.processMsg(buf, recs, rec);
        return !this.closed;
      case OP_SUB:
        this.processSub(buf, recs, rec);
        return !this.closed;
      case OP_UNSUB:
        this.processUnsub(buf, recs, rec);
        return true;
      case OP_PING:
        this.processPing();
        return true;
      case OP_PONG:
        this.pingsOut = 0;
        this.rtt = Math.max(performance.now() - this.rttStart, 1e-6);
        return true;
      case OP_CONNECT:
        return this.processConnect(buf.toString('utf8', recs[rec + F_A0S], recs[rec + F_A0E]));
      case OP_INFO:
        try {
          JSON.parse(buf.toString('utf8', recs[rec + F_A0S], recs[rec + F_A0E]));
          return true;
        } catch {
          this.close(ClosedState.ProtocolViolation);
          return false;
        }
      case OP_OK:
        return true;
      case OP_HMSG_IN:
        if (this.opts.verbose) this.sendOK();
        return true;
      case OP_ERR:
        this.close(ClosedState.ParseError);
        return false;
      case OP_ERROR:
        this.parseError(recs[rec + F_NARGS]);
        return false;
      default:
        // A bare OP_PARTIAL: the op continues in the next read.
        return true;
    }
  }

  /** `<<- [OP args]` and `<<- MSG_PAYLOAD: ["..."]` lines, as nats-server traces with -V. */
  private traceIn(buf: Buffer, recs: Int32Array, rec: number): void {
    const op = recs[rec + F_OP];
    if (op === OP_ERROR) return;
    const start = recs[rec + F_START];
    const lf = buf.indexOf(0x0a, start);
    const line = buf.toString('utf8', start, lf > 0 && buf[lf - 1] === 0x0d ? lf - 1 : lf).trim();
    this.host.trace(this, '<<-', line);
    if (op === OP_PUB || op === OP_HPUB) {
      const mappings = this.acc.mappings;
      if (mappings !== null) {
        const s0 = recs[rec + F_A0S];
        const s1 = recs[rec + F_A0E];
        const mapped = mappings.select(buf, s0, s1, recs[rec + F_HASH]);
        this.tracedMapping = mapped;
        if (mapped !== null) this.host.trace(this, '<<-', `MAPPING ${buf.toString('latin1', s0, s1)} -> ${mapped.toString('latin1')}`);
      }
      const pay = recs[rec + F_PAY];
      this.host.trace(this, '<<-', `MSG_PAYLOAD: [${JSON.stringify(buf.toString('utf8', pay, pay + recs[rec + F_SIZE]))}]`, true);
    }
  }

  // ---- ops ----

  /** Control-line checks of PUB/HPUB done before the payload (nats-server processPub). */
  private checkPubLine(buf: Buffer, recs: Int32Array, rec: number): boolean {
    if ((recs[rec + F_OP] & OP_MASK) === OP_HPUB && !this.headers) {
      this.close(ClosedState.ProtocolViolation);
      return false;
    }
    const size = recs[rec + F_SIZE];
    if (size > this.host.opts.maxPayload || (this.maxPayload >= 0 && size > this.maxPayload)) {
      this.sendErr(ERR_MAX_PAYLOAD);
      this.close(ClosedState.MaxPayloadExceeded);
      return false;
    }
    if (this.opts.pedantic && !isValidLiteralSubjectBytes(buf, recs[rec + F_A0S], recs[rec + F_A0E])) {
      this.sendErr(ERR_INVALID_PUBLISH_SUBJECT);
    }
    return true;
  }

  private processMsg(buf: Buffer, recs: Int32Array, rec: number): void {
    const size = recs[rec + F_SIZE];
    const host = this.host;
    this.inMsgs++;
    this.inBytes += size;
    host.stats.inMsgs++;
    host.stats.inBytes += size;
    this.acc.inMsgs++;
    this.acc.inBytes += size;
    this.activity = true;

    const s0 = recs[rec + F_A0S];
    const s1 = recs[rec + F_A0E];
    const nargs = recs[rec + F_NARGS];
    const hasReply = (recs[rec + F_HDR] < 0 ? nargs === 3 : nargs === 4);
    const acc = this.acc;
    if (acc.mappings !== null) {
      const mapped = this.mapPub(acc.mappings, buf, recs, rec);
      if (mapped !== null) {
        this.processMappedMsg(mapped, buf, recs, rec, hasReply);
        return;
      }
    }
    if (s1 - s0 > GW_REPLY_PREFIX.length && startsWith(buf, s0, s1, GW_REPLY_PREFIX)) {
      this.pubViolation(buf.subarray(s0, s1));
      return;
    }
    if (this.perms !== null && !this.pubAllowed(buf.toString('latin1', s0, s1))) {
      this.pubViolation(buf.subarray(s0, s1));
      return;
    }
    let r0 = 0;
    let r1 = 0;
    if (hasReply) {
      r0 = recs[rec + F_A1S];
      r1 = recs[rec + F_A1E];
      if (isReservedReply(buf, r0, r1)) {
        this.replyViolation(buf.subarray(r0, r1));
        return;
      }
    }
    if (this.opts.verbose) this.sendOK();

    const result = acc.sublist.matchBytes(buf, s0, s1, recs[rec + F_HASH]);
    this.ivSubject = null;
    if (!hasReply && recs[rec + F_OP] === OP_PUB && this.runnable(result, buf, s0, s1)) {
      const k = this.runLength(buf, recs, rec, s0, s1);
      if (k > 1) {
        this.deliverRun(result.plain, buf, recs, rec, k);
        return;
      }
    }
    let delivered = 0;
    const plain = result.plain;
    for (let i = 0; i < plain.length; i++) {
      const sub = plain[i];
      if (sub.client !== null) {
        if (this.deliver(sub, buf, recs, rec, r1 - r0)) delivered++;
      } else if (sub.route !== null) {
        addRouteTarget(sub.route, null);
        delivered++;
      } else if (this.deliverInternal(sub, buf, recs, rec, hasReply)) {
        delivered++;
      }
    }
    const queues = result.queues;
    for (let g = 0; g < queues.length; g++) {
      const group = queues[g];
      const n = group.length;
      const first = (Math.random() * n) | 0;
      // A leaf member takes the message only when no local or routed member did (nats-server
      // prefers local queue subscribers over leaf ones for a client's message).
      let leaf: Subscription | null = null;
      let k = 0;
      for (; k < n; k++) {
        const sub = group[(first + k) % n];
        if (sub.route !== null) {
          if (sub.route.leaf !== null) {
            leaf ??= sub;
            continue;
          }
          addRouteTarget(sub.route, sub.queue);
          delivered++;
          break;
        }
        if (sub.client !== null ? this.deliver(sub, buf, recs, rec, r1 - r0) : this.deliverInternal(sub, buf, recs, rec, hasReply)) {
          delivered++;
          break;
        }
      }
      if (k === n && leaf !== null) {
        addRouteTarget(leaf.route!, leaf.queue);
        delivered++;
      }
    }
    this.ivSubject = this.ivReply = this.ivPayload = null;
    if (numRouteTargets > 0) this.sendToRoutes(acc, buf, recs, rec);
    if (delivered === 0 && hasReply && this.opts.no_responders) {
      this.sendNoResponders(buf.toString('latin1', r0, r1));
    }
  }

  /**
   * The subject the account's mappings send the PUB record `rec` to (null: not mapped), picked
   * once per message: by the trace of the op when tracing (which logs it), else here.
   */
  private mapPub(mappings: SubjectMappings, buf: Buffer, recs: Int32Array, rec: number): Buffer | null {
    const traced = this.tracedMapping;
    if (traced !== undefined) {
      this.tracedMapping = undefined;
      return traced;
    }
    return mappings.select(buf, recs[rec + F_A0S], recs[rec + F_A0E], recs[rec + F_HASH]);
  }

  /**
   * processMsg for a publish the account's mappings sent to `subject` (nats-server checks
   * permissions and reserved subjects on the mapped subject, and delivers it as published
   * there, to local subscribers and routes alike). DROPPED (no destination picked) has no
   * interest.
   */
  private processMappedMsg(subject: Buffer, buf: Buffer, recs: Int32Array, rec: number, hasReply: boolean): void {
    if (subject.length > GW_REPLY_PREFIX.length && startsWith(subject, 0, subject.length, GW_REPLY_PREFIX)) {
      this.pubViolation(subject);
      return;
    }
    if (this.perms !== null && !this.pubAllowed(subject.toString('latin1'))) {
      this.pubViolation(subject);
      return;
    }
    let reply: Buffer | null = null;
    if (hasReply) {
      reply = buf.subarray(recs[rec + F_A1S], recs[rec + F_A1E]);
      if (isReservedReply(reply, 0, reply.length)) {
        this.replyViolation(reply);
        return;
      }
    }
    if (this.opts.verbose) this.sendOK();
    let delivered = 0;
    if (subject !== DROPPED) {
      const pay = recs[rec + F_PAY];
      const hdrLen = recs[rec + F_OP] === OP_HPUB ? recs[rec + F_HDR] : -1;
      delivered = this.acc.deliver(subject, reply, hdrLen, buf.subarray(pay, pay + recs[rec + F_SIZE]), TO_ROUTES, null, this);
    }
    if (delivered === 0 && reply !== null && this.opts.no_responders) this.sendNoResponders(reply.toString('latin1'));
  }

  /**
   * Whether the PUBs that follow this one on the same subject can be delivered as one run: the
   * wire must look exactly as message by message, so nothing may be interleaved (+OK, pedantic
   * errors, traces), and every subscriber takes every message (no queues, auto-unsubscribe,
   * permissions or echo to skip).
   */
  private runnable(result: SublistResult<Subscription>, buf: Buffer, s0: number, s1: number): boolean {
    if (result.queues.length > 0 || this.opts.verbose || this.perms !== null || this.host.tracing) return false;
    if (this.opts.pedantic && !isValidLiteralSubjectBytes(buf, s0, s1)) return false;
    const plain = result.plain;
    // Two subscriptions of one connection would get the run one after the other, not message
    // by message interleaved: only one subscription per connection.
    const mark = ++runMarks;
    for (let i = 0; i < plain.length; i++) {
      const sub = plain[i];
      // Client is the only ClientLink: a subscription's client is a Client (see ClientLink).
      const c = sub.client as Client | null;
      if (c === null || sub.max !== 0 || sub.closed || c.perms !== null || (c === this && !this.echo) || c.runMark === mark) {
        return false;
      }
      c.runMark = mark;
    }
    return true;
  }

  /** How many complete PUBs from `rec` on have the same subject and no reply (at least 1). */
  private runLength(buf: Buffer, recs: Int32Array, rec: number, s0: number, s1: number): number {
    const end = this.parser.batchEnd;
    const hash = recs[rec + F_HASH];
    const len = s1 - s0;
    const maxPayload = this.maxPayload >= 0 ? Math.min(this.maxPayload, this.host.opts.maxPayload) : this.host.opts.maxPayload;
    let k = 1;
    for (let j = rec + REC_STRIDE; j < end; j += REC_STRIDE) {
      if (recs[j + F_OP] !== OP_PUB || recs[j + F_NARGS] !== 2 || recs[j + F_HASH] !== hash) break;
      if (recs[j + F_SIZE] > maxPayload) break;
      const a = recs[j + F_A0S];
      if (recs[j + F_A0E] - a !== len) break;
      let same = true;
      for (let b = 0; b < len; b++) {
        if (buf[a + b] !== buf[s0 + b]) {
          same = false;
          break;
        }
      }
      if (!same) break;
      k++;
    }
    return k;
  }

  /**
   * Delivers `k` PUBs (records rec.. on one subject, all to every sub in `plain`) with one frame
   * batch per subscriber: the native batcher writes them in one call. Counts as k deliveries.
   */
  private deliverRun(plain: readonly Subscription[], buf: Buffer, recs: Int32Array, rec: number, k: number): void {
    const last = rec + (k - 1) * REC_STRIDE;
    let bytes = 0;
    for (let j = rec; j <= last; j += REC_STRIDE) bytes += recs[j + F_SIZE];
    const stats = this.host.stats;
    this.acc.sublist.countRepeats(k - 1);
    const more = bytes - recs[rec + F_SIZE];
    this.inMsgs += k - 1;
    this.inBytes += more;
    stats.inMsgs += k - 1;
    stats.inBytes += more;
    const acc = this.acc;
    acc.inMsgs += k - 1;
    acc.inBytes += more;
    const impl = this.host.impl;
    const span = recs[last + F_END] - recs[rec + F_START];
    const half = this.host.opts.maxPending >> 1;
    for (let i = 0; i < plain.length; i++) {
      const sub = plain[i];
      const c = sub.client as Client;
      if (sub.closed) continue;
      const ob = c.out;
      ob.reserve(span + k * (sub.sidBytes.length + 2));
      if (impl.name === 'native') {
        impl.writeMsgs(ob.buf, ob.off, buf, recs, rec / REC_STRIDE, k, sub.sidBytes, c.headers, RUN_STATE);
        ob.off = RUN_STATE[0];
      } else {
        for (let j = rec; j <= last; j += REC_STRIDE) ob.off = writeFrame(ob.buf, ob.off, buf, recs, j, sub.sidBytes, c.headers);
      }
      sub.nm += k;
      c.outMsgs += k;
      c.outBytes += bytes;
      c.gotMsgs = true;
      stats.outMsgs += k;
      stats.outBytes += bytes;
      acc.outMsgs += k;
      acc.outBytes += bytes;
      const pending = c.queued();
      if (pending > half) this.stallFor(c, pending);
    }
    this.parser.skipThrough(last);
  }

  /** nats-server deliverMsg: one MSG/HMSG frame for `sub`, from the PUB record `rec`. */
  private deliver(sub: Subscription, buf: Buffer, recs: Int32Array, rec: number, replyLen: number): boolean {
    const c = sub.client as Client;
    if ((c === this && !c.echo) || sub.closed || !c.countDelivery(sub)) return false;
    const perms = c.perms;
    if (perms !== null) {
      if (perms.filtersDeliveries && perms.deliveryDenied(buf.toString('latin1', recs[rec + F_A0S], recs[rec + F_A0E]))) {
        return false;
      }
      if (perms.response !== null && replyLen > 0) c.allowReply(buf.toString('latin1', recs[rec + F_A1S], recs[rec + F_A1E]));
    }
    if (replyLen > MIN_REPLY_LEN && c.rtt === 0) c.sendRttPing();
    const hdrs = c.headers;
    const ob = c.out;
    ob.reserve(frameBound(recs, rec, sub.sidBytes.length));
    ob.off = writeFrame(ob.buf, ob.off, buf, recs, rec, sub.sidBytes, hdrs);
    // The connection counts what it got (headers stripped or not); the server counts the
    // message as published, as nats-server does.
    const size = recs[rec + F_SIZE];
    const hdr = recs[rec + F_HDR];
    c.outMsgs++;
    c.outBytes += hdr > 0 && !hdrs ? size - hdr : size;
    c.gotMsgs = true;
    const stats = this.host.stats;
    stats.outMsgs++;
    stats.outBytes += size;
    this.acc.outMsgs++;
    this.acc.outBytes += size;
    const pending = c.queued();
    if (pending > this.host.opts.maxPending >> 1) this.stallFor(c, pending);
    return true;
  }

  /**
   * One RMSG per route target for the PUB record `rec`; clears the targets. A route past half
   * its max_pending stalls this publisher, as a subscriber does (nats-server's deliverMsg).
   */
  private sendToRoutes(acc: Account, buf: Buffer, recs: Int32Array, rec: number): void {
    const n = numRouteTargets;
    numRouteTargets = 0;
    for (let i = 0; i < n; i++) {
      const route = routeTargets[i]!;
      const queues = routeQueues[i];
      routeTargets[i] = null;
      routeQueues[i] = null;
      const pending = route.sendRecord(acc, buf, recs, rec, queues);
      if (pending > this.host.opts.maxPending >> 1) this.stallFor(route, pending);
    }
  }

  /**
   * Hands the PUB record processMsg is delivering to an internal subscription: by offsets when
   * the handler takes them (receiveAt: a JetStream stream), else as views (an import).
   */
  private deliverInternal(sub: Subscription, buf: Buffer, recs: Int32Array, rec: number, hasReply: boolean): boolean {
    if (sub.closed) return false;
    const h = sub.internal!;
    if (h.receiveAt !== undefined) {
      const pay = recs[rec + F_PAY];
      const r0 = hasReply ? recs[rec + F_A1S] : 0;
      h.receiveAt(buf, recs[rec + F_A0S], recs[rec + F_A0E], r0, hasReply ? recs[rec + F_A1E] : r0, recs[rec + F_OP] === OP_HPUB ? recs[rec + F_HDR] : -1, pay, pay + recs[rec + F_SIZE]);
      return true;
    }
    if (this.ivSubject === null) {
      const pay = recs[rec + F_PAY];
      this.ivSubject = buf.subarray(recs[rec + F_A0S], recs[rec + F_A0E]);
      this.ivReply = hasReply ? buf.subarray(recs[rec + F_A1S], recs[rec + F_A1E]) : null;
      this.ivPayload = recs[rec + F_SIZE] > 0 ? buf.subarray(pay, pay + recs[rec + F_SIZE]) : NO_PAYLOAD;
    }
    h.receive(this.ivSubject, this.ivReply, recs[rec + F_OP] === OP_HPUB ? recs[rec + F_HDR] : -1, this.ivPayload!, this);
    return true;
  }

  /**
   * Counts a delivery to `sub`, one of this client's subscriptions, against its auto-unsubscribe
   * limit: the last allowed message removes it; past the limit nothing is delivered.
   */
  private countDelivery(sub: Subscription): boolean {
    sub.nm++;
    if (sub.max > 0) {
      if (sub.nm > sub.max) {
        this.host.log('DBG', `${this} - Auto-unsubscribe limit [${sub.max}] exceeded`);
        this.removeSub(sub);
        return false;
      }
      if (sub.nm === sub.max) {
        this.host.log('DBG', `${this} - Auto-unsubscribe limit of ${sub.max} reached for sid '${sub.sidBytes.toString('latin1')}'`);
        this.removeSub(sub);
      }
    }
    return true;
  }

  /**
   * deliver() for a message that is not a PUB record of this read (it came over a route or
   * crossed an account import): one MSG/HMSG frame for `sub`, a subscription of this client.
   */
  deliverParts(sub: Subscription, subject: Buffer, reply: Buffer | null, hdrLen: number, payload: Buffer): boolean {
    if (sub.closed || this.closed || !this.countDelivery(sub)) return false;
    const replyLen = reply === null ? 0 : reply.length;
    const perms = this.perms;
    if (perms !== null) {
      if (perms.filtersDeliveries && perms.deliveryDenied(subject.toString('latin1'))) return false;
      if (perms.response !== null && replyLen > 0) this.allowReply(reply!.toString('latin1'));
    }
    if (replyLen > MIN_REPLY_LEN && this.rtt === 0) this.sendRttPing();
    const ob = this.out;
    ob.reserve(partsBound(subject.length, sub.sidBytes.length, replyLen, payload.length));
    ob.off = writeParts(ob.buf, ob.off, subject, sub.sidBytes, reply, hdrLen, payload, this.headers);
    const size = payload.length;
    this.outMsgs++;
    this.outBytes += hdrLen > 0 && !this.headers ? size - hdrLen : size;
    this.gotMsgs = true;
    const stats = this.host.stats;
    stats.outMsgs++;
    stats.outBytes += size;
    this.acc.outMsgs++;
    this.acc.outBytes += size;
    this.queued();
    return true;
  }

  /**
   * nats-server's producer stall: a publisher feeding a subscriber (or a route) past half its
   * max_pending stops being read for 100 ms to 1 s (longer the fuller the consumer), or until
   * the consumer's socket drains, so a slow reader is slowed down rather than cut. A publisher
   * that is its own consumer stops being read until its own socket drains, with no time limit:
   * nats-server flushes it from its own read loop, so a client that reads as it publishes never
   * passes max_pending; one that reads nothing is cut by write_deadline.
   */
  private stallFor(c: Consumer, pending: number): void {
    if (c.closed) return;
    if (c === this) {
      if (this.stallUntil === 0) {
        this.socket.pause();
        this.host.stats.producerStalls++;
      }
      if (this.stallUntil !== SELF_STALL) {
        this.stallUntil = SELF_STALL;
        this.stalledProducers.push(this);
      }
      return;
    }
    const until = Date.now() + stallDuration(pending, this.host.opts.maxPending);
    if (this.stallUntil === 0) {
      this.socket.pause();
      this.host.stats.producerStalls++;
      c.stalledProducers.push(this);
    }
    if (until > this.stallUntil) this.stallUntil = until;
  }

  /** Reads from this client again after a stall (its consumer drained, or the stall ran out). */
  resumeReading(): void {
    if (this.stallUntil === 0) return;
    this.stallUntil = 0;
    if (!this.closed) this.socket.resume();
  }

  private releaseProducers(): void {
    const list = this.stalledProducers;
    for (let i = 0; i < list.length; i++) list[i].resumeReading();
    list.length = 0;
  }

  private sendNoResponders(reply: string): void {
    const r = this.acc.sublist.match(reply);
    for (let i = 0; i < r.plain.length; i++) {
      const sub = r.plain[i];
      if (sub.client === this) {
        this.out.appendLatin1(`HMSG ${reply} ${sub.sid} 16 16\r\nNATS/1.0 503\r\n\r\n\r\n`);
        return;
      }
    }
  }

  private processSub(buf: Buffer, recs: Int32Array, rec: number): void {
    this.activity = true;
    const nargs = recs[rec + F_NARGS];
    const subject = buf.toString('latin1', recs[rec + F_A0S], recs[rec + F_A0E]);
    let queue: string | null = null;
    let s0 = F_A1S;
    if (nargs === 3) {
      queue = buf.toString('latin1', recs[rec + F_A1S], recs[rec + F_A1E]);
      s0 = F_A2S;
    }
    const sid = buf.toString('latin1', recs[rec + s0], recs[rec + s0 + 1]);
    if (queue === '_sys_' || (this.perms !== null && !this.perms.canSubscribe(subject, queue))) {
      const subj = Buffer.from(subject, 'latin1');
      const q = queue === null ? null : Buffer.from(queue, 'latin1');
      this.sendErr(subPermissionViolation(subj, q));
      const logQ = q === null ? '' : `, Queue: ${goQuote(q)}`;
      this.host.log('ERR', `${this} - Subscription Violation - ${this.authUser()}, Subject ${goQuote(subj)}${logQ}, SID ${sid}`);
      return;
    }
    const maxTokens = this.host.opts.maxSubTokens;
    if (maxTokens > 0 && subject.split('.').length > maxTokens) {
      const subj = Buffer.from(subject, 'latin1');
      this.sendErr(`${subPermissionViolation(subj, null)}, too many tokens`);
      this.host.log('ERR', `${this} - Subscription Violation Too Many Tokens - ${this.authUser()}, Subject ${goQuote(subj)}, SID ${sid}`);
      return;
    }
    const maxSubs = this.host.opts.maxSubscriptions;
    if ((maxSubs > 0 && this.subs.size >= maxSubs) || (this.maxSubs >= 0 && this.subs.size >= this.maxSubs)) {
      this.maxSubsExceeded();
      return;
    }
    if (!this.subs.has(sid)) {
      const sub: Subscription = {
        subject,
        queue,
        sid,
        sidBytes: Buffer.from(sid, 'latin1'),
        client: this,
        route: null,
        internal: null,
        max: 0,
        nm: 0,
        closed: false,
      };
      if (!this.host.addSub(this.acc, sub)) {
        this.sendErr(ERR_INVALID_SUBJECT);
        return;
      }
      this.subs.set(sid, sub);
    }
    if (this.opts.verbose) this.sendOK();
  }

  private processUnsub(buf: Buffer, recs: Int32Array, rec: number): void {
    this.activity = true;
    const sid = buf.toString('latin1', recs[rec + F_A0S], recs[rec + F_A0E]);
    const max = recs[rec + F_NARGS] === 2 ? parseSize(buf, recs[rec + F_A1S], recs[rec + F_A1E]) : -1;
    const sub = this.subs.get(sid);
    if (sub !== undefined) {
      if (max > 0 && max > sub.nm) sub.max = max;
      else this.removeSub(sub);
    }
    if (this.opts.verbose) this.sendOK();
  }

  private processPing(): void {
    this.out.appendBytes(PONG_BYTES);
    this.host.trace(this, '->>', 'PONG');
    this.lastPingIn = Date.now();
    if (!this.connectReceived || this.firstPongSent) return;
    this.firstPongSent = true;
    if (this.opts.protocol >= 1) this.host.sentFirstPong(this);
  }

  private processConnect(json: string): boolean {
    const now = Date.now();
    this.last = now;
    this.rtt = Math.max(performance.now() - this.startPerf, 1e-6);
    this.pingDue = now + firstPingDelay(this.host.opts.pingIntervalMs);
    if (!decodeConnectInto(this.opts, json)) {
      this.close(ClosedState.ProtocolViolation);
      return false;
    }
    this.setLogTag();
    this.connectReceived = true;
    this.echo = this.opts.echo;
    this.headers = this.host.headersSupported && this.opts.headers;
    if (this.host.authenticator !== null) {
      this.authenticateAsync(this.host.authenticator);
      return true;
    }
    if (this.host.operator !== null) return this.connectJwt(this.host.operator);
    const auth = authenticate(this.authOpts, this.opts, this.nonce, this.tlsPeer, this.authLog());
    if (!auth.ok) {
      this.authViolation();
      return false;
    }
    this.setUser(auth.user);
    return this.connectAuthorized();
  }

  /**
   * The embedder decides this CONNECT: parsing and reading pause until it answers (the auth
   * timer still runs); then the CONNECT is finished and the held bytes are parsed.
   */
  private authenticateAsync(authenticator: Authenticator): void {
    this.parser.suspend();
    this.socket.pause();
    const req: AuthRequest = { connect: { ...this.opts }, remoteAddress: this.ip, remotePort: this.port };
    Promise.resolve()
      .then(() => authenticator(req))
      .then(
        (d) => this.authDecided(d),
        () => this.authDecided({ allow: false }),
      );
  }

  private authDecided(d: AuthDecision): void {
    if (this.closed) return;
    if (!d.allow) {
      this.authViolation();
      return;
    }
    const permissions = d.permissions ?? null;
    const account = d.account ?? '';
    this.setUser(
      permissions === null && account === ''
        ? null
        : { user: this.opts.user, password: '', permissions, account, allowedConnectionTypes: null },
    );
    if (!this.connectAuthorized()) return;
    if (this.stallUntil === 0) this.socket.resume();
    this.host.beginDelivery();
    try {
      this.parser.resume();
    } finally {
      this.host.endDelivery();
    }
    if (!this.closed) this.host.markDirty(this);
  }

  /**
   * Operator mode's CONNECT: the user JWT and nonce signature are checked, then the client joins
   * the user's account (nats-server RegisterNkeyUser, registerWithAccount, applyAccountLimits).
   */
  private connectJwt(op: OperatorMode): boolean {
    const r = op.authenticate(this.opts.jwt, this.opts.sig, this.nonce, this.ip, this.jwtLog());
    if (!r.ok) {
      this.authViolation();
      return false;
    }
    const acc = r.account.acc;
    const u = r.user;
    this.acc = acc;
    this.jwtUser = u;
    this.user = null;
    this.perms = u.permissions === null ? null : new CompiledPermissions(u.permissions);
    this.replies = this.perms?.response ? new Map() : null;
    this.authPending = false;
    this.authDue = 0;
    // registerWithAccount: the limits apply before the connection limit is checked.
    const atSubsLimit = this.applyAccountLimits();
    if (acc.maxConnections !== -1 && acc.numClients >= acc.maxConnections) {
      this.maxAccountConnExceeded();
      // processConnect's error, logged again by nats-server's read loop; then the (asynchronous)
      // subscription limit report of applyAccountLimits, whose -ERR finds the connection closed.
      this.host.log('ERR', `${this} - ${ERR_MAX_ACCOUNT_CONNECTIONS}`);
      if (atSubsLimit) this.maxSubsExceeded();
      return false;
    }
    acc.numClients++;
    this.registered = true;
    if (atSubsLimit) {
      this.maxSubsExceeded();
      this.close(ClosedState.MaxSubscriptionsExceeded);
      return false;
    }
    this.expiresAt = u.expiresAt;
    const name = u.name;
    this.host.log(
      'DBG',
      `${this} - Authenticated JWT: Client ${goQuote(Buffer.from(u.pubKey))} (claim-name: ${goQuote(Buffer.from(name))}, ` +
        `claim-tags: []) signed with ${goQuote(Buffer.from(u.claims.iss))} by Account ${goQuote(Buffer.from(acc.name))}`,
    );
    if (this.closed) return false;
    return this.connectAuthorized();
  }

  /**
   * nats-server applyAccountLimits: the user's payload and subscription limits, lowered to the
   * account's and the server's. Returns whether the client is at its subscription limit already
   * (the caller tells it and closes it).
   */
  private applyAccountLimits(): boolean {
    const u = this.jwtUser;
    if (u === null) return false;
    const o = this.host.opts;
    const min = (v: number, lim: number): number => (v === -1 ? lim : lim === -1 ? v : Math.min(v, lim));
    let pay = min(u.maxPayload, this.acc.maxPayload);
    const wasUnlimitedPay = pay === -1;
    const serverPay = o.maxPayload === 0 ? -1 : o.maxPayload;
    const newPay = min(pay, serverPay);
    if (newPay !== pay && !wasUnlimitedPay) {
      this.host.log('ERR', `${this} - Max Payload set to ${o.maxPayload} from server overrides account or user config`);
    }
    pay = newPay;
    let subs = min(u.maxSubscriptions, this.acc.maxSubscriptions);
    const serverSubs = o.maxSubscriptions === 0 ? -1 : o.maxSubscriptions;
    const newSubs = min(subs, serverSubs);
    if (newSubs !== subs && subs !== -1) {
      this.host.log('ERR', `${this} - Max Subscriptions set to ${o.maxSubscriptions} from server overrides account or user config`);
    }
    subs = newSubs;
    this.maxPayload = pay;
    this.maxSubs = subs;
    return subs !== -1 && this.subs.size >= subs;
  }

  /**
   * nats-server maxSubsExceeded: the error is sent (unless closed), and logged at most once per
   * account every MAX_SUB_LIMIT_REPORT_MS (shouldLogMaxSubErr); the client stays.
   */
  private maxSubsExceeded(): void {
    const now = Date.now();
    if (now - this.acc.lastMaxSubsLog >= MAX_SUB_LIMIT_REPORT_MS) {
      this.acc.lastMaxSubsLog = now;
      this.host.log('ERR', `${this} - ${ERR_MAX_SUBSCRIPTIONS}`);
    }
    if (!this.closed) this.sendErr(ERR_MAX_SUBSCRIPTIONS);
  }

  /** The account's JWT changed: its limits apply from now on (nats-server applyAccountLimits). */
  accountLimitsChanged(): void {
    if (!this.applyAccountLimits()) return;
    this.maxSubsExceeded();
    this.close(ClosedState.MaxSubscriptionsExceeded);
  }

  /** nats-server maxAccountConnExceeded. */
  maxAccountConnExceeded(): void {
    this.host.log('ERR', `${this} - ${ERR_MAX_ACCOUNT_CONNECTIONS}`);
    this.sendErr(ERR_MAX_ACCOUNT_CONNECTIONS);
    this.close(ClosedState.MaxAccountConnectionsExceeded);
  }

  /** The signing key of this client's user left its account (nats-server: a silent close). */
  signerRemoved(): void {
    this.close(ClosedState.AuthenticationViolation);
  }

  /** The account revoked this client's user (nats-server: sendErrAndDebug, close Revocation). */
  revoked(): void {
    this.host.log('DBG', `${this} - ${ERR_AUTH_REVOKED}`);
    this.sendErr(ERR_AUTH_REVOKED);
    this.close(ClosedState.Revocation);
  }

  /** The user JWT expired while connected (nats-server authExpired). */
  authExpired(): void {
    this.expiresAt = 0;
    this.host.log('DBG', `${this} - User Authentication Expired`);
    this.sendErr(ERR_AUTH_EXPIRED);
    this.close(ClosedState.AuthenticationExpired);
  }

  /** The account's JWT expired while connected (nats-server accountAuthExpired). */
  accountAuthExpired(): void {
    this.host.log('DBG', `${this} - ${ERR_ACCOUNT_AUTH_EXPIRED}`);
    this.sendErr(ERR_ACCOUNT_AUTH_EXPIRED);
    this.close(ClosedState.AuthenticationExpired);
  }

  /** Where operator mode logs for this client. */
  private jwtLog(): JwtLog {
    return {
      debug: (text) => this.host.log('DBG', `${this} - ${text}`),
      error: (text) => this.host.log('ERR', `${this} - ${text}`),
    };
  }

  /** The rest of CONNECT once the client is authenticated (nats-server processConnect). */
  private connectAuthorized(): boolean {
    this.authPending = false;
    this.authDue = 0;
    if (this.opts.account !== '' || this.opts.new_account) {
      this.authViolation();
      return false;
    }
    const proto = this.opts.protocol;
    if (proto < 0 || proto > 1) {
      this.sendErr(ERR_BAD_CLIENT_PROTOCOL);
      this.close(ClosedState.BadClientProtocolVersion);
      return false;
    }
    if (this.opts.no_responders && !this.headers) {
      this.sendErr(ERR_NO_RESPONDERS_REQUIRES_HEADERS);
      this.close(ClosedState.NoRespondersRequiresHeaders);
      return false;
    }
    this.host.clientConnected(this);
    if (this.opts.verbose) this.sendOK();
    return true;
  }

  private parseError(code: number): void {
    if (code === E_CONTROL_LINE) {
      this.sendErr(ERR_MAX_CONTROL_LINE);
      this.close(ClosedState.MaxControlLineExceeded);
    } else if (code === E_UNKNOWN_OP || code === E_PAYLOAD_CRLF) {
      this.sendErr(ERR_UNKNOWN_PROTOCOL);
      this.close(ClosedState.ProtocolViolation);
    } else {
      // Malformed arguments: nats-server closes without an -ERR.
      this.close(ClosedState.ProtocolViolation);
    }
  }

  private setUser(u: UserEntry | NkeyUser | null): void {
    this.user = u;
    const name = u?.account ?? '';
    this.acc = name === '' ? this.host.globalAccount : (this.host.lookupAccount(name, true) as Account);
    this.perms = u !== null && u.permissions !== null ? compiledPermissions(u) : null;
    this.replies = this.perms?.response ? new Map() : null;
  }

  /**
   * A config reload re-authenticated this client: it takes the user's new permissions, and
   * subscriptions they no longer allow are removed, each with an -ERR to the client and an
   * [INF] line (nats-server processSubsOnConfigReload).
   */
  reauthorized(u: UserEntry | NkeyUser | null): void {
    this.setUser(u);
    const perms = this.perms;
    if (perms === null) return;
    for (const sub of [...this.subs.values()]) {
      if (perms.canSubscribe(sub.subject, null)) continue;
      if (sub.queue !== null && perms.canSubscribe(sub.subject, sub.queue)) continue;
      this.removeSub(sub);
      const subject = goQuote(Buffer.from(sub.subject, 'latin1'));
      this.sendErr(`Permissions Violation for Subscription to ${subject} (sid ${goQuote(sub.sidBytes)})`);
      this.host.notice(`Removed sub ${subject} (sid ${goQuote(sub.sidBytes)}) for ${this.authUser()} - not authorized`);
    }
  }

  /** Publish permission, with allow_responses: replies to requests this client received. */
  private pubAllowed(subject: string): boolean {
    const perms = this.perms as CompiledPermissions;
    if (perms.pubAllowed(subject)) return true;
    const resp = perms.response;
    const r = this.replies?.get(subject);
    if (resp === null || r === undefined) return false;
    r.n++;
    if ((resp.maxMsgs > 0 && r.n > resp.maxMsgs) || (resp.expiresMs > 0 && Date.now() - r.t > resp.expiresMs)) {
      this.replies!.delete(subject);
      return false;
    }
    return true;
  }

  private allowReply(reply: string): void {
    const replies = this.replies as Map<string, { t: number; n: number }>;
    replies.set(reply, { t: Date.now(), n: 0 });
    if (replies.size > MAX_REPLY_PERMS) this.pruneReplies();
  }

  /** nats-server pruneReplyPerms: drop used-up and expired reply permissions. */
  private pruneReplies(): void {
    const resp = this.perms!.response!;
    const now = Date.now();
    for (const [k, r] of this.replies!) {
      if ((resp.maxMsgs > 0 && r.n >= resp.maxMsgs) || (resp.expiresMs > 0 && now - r.t > resp.expiresMs)) {
        this.replies!.delete(k);
      }
    }
  }

  /** nats-server lets a first op other than CONNECT in as the no_auth_user, when there is one. */
  private registerNoAuthUser(): boolean {
    const o = this.host.opts;
    const u = o.noAuthUser === '' ? undefined : findUser(o, o.noAuthUser);
    if (u === undefined) return false;
    this.setUser(u);
    this.authPending = false;
    this.authDue = 0;
    this.connectReceived = true;
    return true;
  }

  /** The auth timer fired before a CONNECT authenticated the client. */
  authTimeout(): void {
    this.sendErr(ERR_AUTH_TIMEOUT);
    this.close(ClosedState.AuthenticationTimeout);
  }

  /** Where authenticate logs for this client (its debug lines carry the client prefix). */
  authLog(): AuthLog {
    return {
      debug: (text) => this.host.log('DBG', `${this} - ${text}`),
      warn: (text) => this.host.log('WRN', text),
    };
  }

  /** nats-server getAuthUser: whom a violation's log line names. */
  private authUser(): string {
    const o = this.opts;
    if (o.nkey !== '') return `Nkey ${goQuote(Buffer.from(o.nkey, 'utf8'))}`;
    if (o.user !== '') return `User ${goQuote(Buffer.from(o.user, 'utf8'))}`;
    if (o.jwt !== '' && this.jwtUser !== null) return `JWT User ${goQuote(Buffer.from(this.jwtUser.pubKey, 'utf8'))}`;
    return 'User "N/A"';
  }

  /** nats-server pubPermissionViolation: -ERR to the client and an [ERR] log line. */
  private pubViolation(subject: Uint8Array): void {
    this.sendErr(pubPermissionViolation(subject));
    this.host.log('ERR', `${this} - Publish Violation - ${this.authUser()}, Subject ${goQuote(subject)}`);
  }

  /** nats-server replySubjectViolation: a reserved reply subject, -ERR and an [ERR] log line. */
  private replyViolation(reply: Uint8Array): void {
    this.sendErr(replySubjectViolation(reply));
    this.host.log('ERR', `${this} - Publish Violation - ${this.authUser()}, Reply ${goQuote(reply)}`);
  }

  /** nats-server authViolation: the error log line (naming the CONNECT's nkey or user), -ERR, close. */
  authViolation(): void {
    const o = this.host.opts;
    const who =
      this.host.operator !== null
        ? ''
        : o.nkeys !== null
        ? ` - Nkey ${goQuote(Buffer.from(this.opts.nkey, 'utf8'))}`
        : o.users !== null
          ? ` - User ${goQuote(Buffer.from(this.opts.user, 'utf8'))}`
          : '';
    this.host.log('ERR', `${this} - authentication error${who}`);
    this.sendErr(ERR_AUTH_VIOLATION);
    this.close(ClosedState.AuthenticationViolation);
  }

  // ---- keep-alive (called from the server's coarse timer) ----

  /** nats-server processPingTimer. */
  pingTimer(now: number): void {
    const interval = this.host.opts.pingIntervalMs;
    const needRtt = this.rtt === 0 || this.rttStart === 0 || performance.now() - this.rttStart > DEFAULT_RTT_MEASUREMENT_INTERVAL_MS;
    const quiet = needRtt || (now - this.last >= interval && now - this.lastPingIn >= interval);
    if (quiet) {
      if (this.pingsOut + 1 > this.host.opts.pingMax) {
        this.sendErr(ERR_STALE_CONNECTION);
        this.close(ClosedState.StaleConnection);
        return;
      }
      this.sendPing();
    }
    this.pingDue = now + interval;
  }

  private sendPing(): void {
    this.rttStart = performance.now();
    this.pingsOut++;
    this.out.appendBytes(PING_BYTES);
    this.host.trace(this, '->>', 'PING');
    this.host.markDirty(this);
  }

  /** nats-server sendRTTPingLocked. */
  private sendRttPing(): void {
    if (this.firstPongSent || Date.now() - this.start > MAX_NO_RTT_PING_BEFORE_FIRST_PONG_MS) this.sendPing();
  }

  // ---- output ----

  sendOK(): void {
    this.out.appendBytes(OK_BYTES);
  }

  sendErr(text: string): void {
    this.out.appendBytes(Buffer.from(`-ERR '${text}'\r\n`, 'utf8'));
    this.host.trace(this, '->>', `-ERR '${text}'`);
    this.host.markDirty(this);
  }

  /**
   * Bytes were queued by another connection's delivery: slow-consumer check, then mark dirty.
   * Returns the pending bytes.
   */
  queued(): number {
    const pending = this.pendingBytes();
    if (pending > this.host.opts.maxPending) {
      this.slowConsumer(ClosedState.SlowConsumerPendingBytes, `MaxPending of ${this.host.opts.maxPending} Exceeded`);
      return 0;
    }
    this.host.markDirty(this);
    return pending;
  }

  /** Hands queued bytes to the socket; called once per loop turn by the reactor. */
  flush(): void {
    if (this.closed || this.out.queued === 0) return;
    if (this.gotMsgs) {
      this.gotMsgs = false;
      this.last = Date.now();
    }
    const ok = this.out.flushTo(this.socket);
    if (ok && this.blockedSince === 0) return;
    this.blockedWrites++;
    if (this.blockedSince === 0) {
      this.blockedSince = Date.now();
      this.blockedMark = this.out.handed;
    }
  }

  /**
   * The write deadline, called by the coarse timer while the socket refuses writes. As in
   * nats-server, the deadline bounds one write of what was pending when it began, not a busy
   * connection's whole backlog: once the socket has taken every byte handed to it when it
   * blocked, a new window starts for what is pending then. True when `deadlineMs` passed first.
   */
  writeDeadlinePassed(now: number, deadlineMs: number): boolean {
    if (this.out.handed - this.socket.writableLength >= this.blockedMark) {
      this.blockedSince = now;
      this.blockedMark = this.out.handed;
      this.blockedWrites = 0;
      return false;
    }
    return now - this.blockedSince > deadlineMs;
  }

  /** Cuts this client as a slow consumer: counted, and logged as nats-server's Noticef does. */
  slowConsumer(reason: ClosedReason, detail: string): void {
    this.host.stats.slowConsumers++;
    this.acc.slowConsumers++;
    this.host.notice(`${this} - Slow Consumer Detected: ${detail}`);
    this.close(reason);
  }

  queuedBytes(): number {
    return this.out.queued;
  }

  /** The socket drained its buffer. */
  drained(): void {
    this.blockedSince = 0;
    this.blockedWrites = 0;
    if (this.stalledProducers.length > 0) this.releaseProducers();
  }

  // ---- subscriptions and close ----

  removeSub(sub: Subscription): void {
    if (sub.closed) return;
    sub.closed = true;
    this.subs.delete(sub.sid);
    this.host.removeSub(this.acc, sub);
  }

  close(reason: ClosedReason): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.stop = Date.now();
    if (this.registered) {
      this.registered = false;
      this.acc.numClients--;
    }
    if (this.stalledProducers.length > 0) this.releaseProducers();
    for (const sub of this.subs.values()) {
      sub.closed = true;
      this.host.removeSub(this.acc, sub);
    }
    if (skipsFlush(reason)) {
      this.out.discard();
      this.socket.destroy();
    } else {
      this.out.flushTo(this.socket);
      this.socket.end();
    }
    this.host.clientClosed(this, reason);
  }

  /**
   * `<ip>:<port> - cid:<n>` as nats-server logs connections (an IPv6 ip in brackets); `wid:<n>`
   * for a WebSocket client.
   */
  toString(): string {
    return `${joinHostPort(this.ip, this.port)} - ${this.kind === 'websocket' ? 'wid' : 'cid'}:${this.cid}${this.logTag}`;
  }

  /**
   * nats-server's processConnect: from the CONNECT on, the log prefix also names the client's
   * `v<version>:<lang>:<name>` (each part only when sent), Go-quoted.
   */
  private setLogTag(): void {
    const { version, lang, name } = this.opts;
    let ncs = version !== '' ? `v${version}` : '';
    if (lang !== '') ncs = version === '' ? lang : `${ncs}:${lang}`;
    if (name !== '') ncs = version === '' && lang === '' ? name : `${ncs}:${name}`;
    this.logTag = ncs === '' ? '' : ` - ${goQuote(Buffer.from(ncs, 'utf8'))}`;
  }
}

/**
 * The routes a local publish goes to, collected while matching (one entry per route): entries
 * [0, numRouteTargets) are valid; the arrays are reused (no length changes per message).
 */
const routeTargets: (RouteLink | null)[] = [];
/** For each route target, the queue groups it was picked for (null: plain interest only). */
const routeQueues: (string[] | null)[] = [];
let numRouteTargets = 0;

function addRouteTarget(route: RouteLink, queue: string | null): void {
  let i = 0;
  while (i < numRouteTargets && routeTargets[i] !== route) i++;
  if (i === numRouteTargets) {
    routeTargets[i] = route;
    routeQueues[i] = null;
    numRouteTargets++;
  }
  if (queue !== null) (routeQueues[i] ??= []).push(queue);
}

/** nats-server setFirstPingTimer: min(interval, 2 s) plus up to 20% random. */
export function firstPingDelay(intervalMs: number): number {
  const d = Math.min(intervalMs, 2000);
  return d + Math.floor(Math.random() * (d / 5));
}

/** nats-server stallDuration: 100 ms past half of max_pending, growing to 1 s when full. */
export function stallDuration(pending: number, maxPending: number): number {
  if (pending >= maxPending) return STALL_MAX_MS;
  const half = maxPending / 2;
  const step = half / 10;
  return Math.min(STALL_MAX_MS, STALL_MIN_MS * (1 + Math.floor((pending - half) / step)));
}

function startsWith(buf: Uint8Array, start: number, end: number, prefix: string): boolean {
  if (end - start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[start + i] !== prefix.charCodeAt(i)) return false;
  return true;
}

/** nats-server isReservedReply: `_R_.`, `$JS.ACK.` and `_GR_.` prefixes. */
function isReservedReply(buf: Uint8Array, start: number, end: number): boolean {
  const n = end - start;
  if (n > 3 && startsWith(buf, start, end, RESERVED_REPLY_SERVICE)) return true;
  if (n > RESERVED_JS_ACK.length && startsWith(buf, start, end, RESERVED_JS_ACK)) return true;
  return n > GW_REPLY_PREFIX.length && startsWith(buf, start, end, GW_REPLY_PREFIX);
}
