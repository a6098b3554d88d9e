// What a route and a leaf connection share: both are nats-server clients of a server-to-server
// kind. The parts written once here are the connection's identity and statistics, keep-alive
// (PING/PONG, the ping timer, the round trip time), the outbound side (queue, flush, the write
// deadline, stalled producers), the inbound message's subject and queue views, and the parser
// error close. What the ops mean, the handshake and the close reasons stay with route.ts and
// leaf/leaf.ts.

import type net from 'node:net';
import type { ClientLink } from '../accounts/account.js';
import { ClosedState, type ClosedReason, ERR_STALE_CONNECTION, ERR_UNKNOWN_PROTOCOL, skipsFlush } from '../client/errors.js';
import { Outbound } from '../client/outbound.js';
import type { ServerOptions } from '../config/types.js';
import { goDurationMs } from '../config/values.js';
import { DEFAULT_RTT_MEASUREMENT_INTERVAL_MS, FIRST_PING_INTERVAL_MS } from '../config/defaults.js';
import { subjectHash } from '../subjects/hash.js';
import type { Flushable } from '../util/reactor.js';
import { endFrame, sameBytes } from './msg-head.js';
import type { MsgArgs, RouteParser } from './route-parser.js';

/** What a link needs from the server side that runs it (the cluster's or the leaf manager's host). */
export interface LinkHost {
  readonly opts: ServerOptions;
  log(level: LogLevel, text: string): void;
  /** A slow consumer was detected (nats-server's slowConsumers counter). */
  slowConsumer(): void;
}

export type LogLevel = 'INF' | 'ERR' | 'WRN' | 'DBG' | 'TRC';

const PING = Buffer.from('PING\r\n');
const PONG = Buffer.from('PONG\r\n');
const EMPTY = Buffer.alloc(0);

/** A connection's label in log lines: `127.0.0.1:6222 - rid:5` (`kind` rid or lid). */
export function linkLabel(socket: net.Socket, kind: string, id: number): string {
  const ip = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  return `${ip.includes(':') ? `[${ip}]` : ip}:${socket.remotePort ?? 0} - ${kind}:${id}`;
}

/** nats-server's setFirstPingTimer: min(ping_interval, 1 s) plus up to 20%. */
export function firstPingDelay(pingIntervalMs: number): number {
  const d = Math.min(pingIntervalMs, FIRST_PING_INTERVAL_MS);
  return d + Math.floor((Math.random() * d) / 5);
}

export abstract class Link<H extends LinkHost = LinkHost> implements Flushable {
  readonly out = new Outbound();
  /** Remote address. */
  readonly ip: string;
  readonly port: number;
  readonly start: number;
  /** Last message or interest change received (nats-server's `last`). */
  last: number;
  /** Headers go as HMSG (both sides support them). */
  headers = false;
  infoReceived = false;

  // Keep-alive (run by the owner's coarse timer through tick).
  pingDue: number;
  pingsOut = 0;
  lastPingIn = 0;
  /** When the last PING went out (Date.now() for the schedule, performance.now() to measure). */
  rttStart = 0;
  private pingSentAt = 0;
  /** Round trip time in ms (0 until the first PONG). */
  rtt = 0;
  /** The handshake's next step is due by then (0 = not waiting). */
  authDue = 0;
  /**
   * The socket refused a write at this time (0 = not blocked); reset when it drains, and moved
   * on at each write deadline the socket made progress in.
   */
  blockedSince = 0;
  /** kernelBytes() of the socket when blockedSince was set. */
  private blockedSent = 0;

  // Statistics (nats-server's client counters).
  inMsgs = 0;
  inBytes = 0;
  outMsgs = 0;
  outBytes = 0;

  dirty = false;
  closed = false;
  /** Publishers paused because this link is past half its max_pending (RouteLink). */
  readonly stalledProducers: ClientLink[] = [];
  /** Do not reconnect after close (shutdown). */
  noReconnect = false;
  /** The server's options (changed in place by a reload, never replaced). */
  protected readonly opts: ServerOptions;
  /** A message arrived in the current read (activity: `last` is set once per read). */
  protected gotMsgs = false;
  /**
   * The subject of the last message received (an own copy, reused while messages keep coming
   * on it) and its hash: set by inboundSubject.
   */
  protected subject: Buffer = EMPTY;
  protected subjectHash = subjectHash(EMPTY, 0, 0);
  /** Reused for each received message's queue names (the host must not keep it). */
  private readonly queueViews: Buffer[] = [];

  constructor(
    protected readonly host: H,
    /** The connection's socket (a leaf's is replaced by the TLS socket over it once secured). */
    public socket: net.Socket,
    private readonly label: string,
    now: number,
  ) {
    this.opts = host.opts;
    this.ip = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    this.port = socket.remotePort ?? 0;
    this.start = now;
    this.last = now;
    this.pingDue = now + firstPingDelay(this.opts.pingIntervalMs);
  }

  /** Output was queued: the owner flushes this link at the end of the loop turn. */
  protected abstract markDirty(): void;
  abstract readonly parser: RouteParser;
  /** The kind in a parser error's log line: `Route` or `Leafnode`. */
  protected abstract readonly kindName: string;
  abstract close(reason: ClosedReason): void;

  toString(): string {
    return this.label;
  }

  log(level: LogLevel, text: string): void {
    this.host.log(level, `${this.label} - ${text}`);
  }

  protected trace(dir: '<<-' | '->>', text: string): void {
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
    this.log('ERR', `${this.kindName} parser ERROR: ${err.text}`);
    this.close(ClosedState.ProtocolViolation);
  }

  /** PING: answered with PONG. */
  protected gotPing(): void {
    this.trace('<<-', 'PING');
    this.lastPingIn = Date.now();
    this.queueBytes(PONG);
    this.trace('->>', 'PONG');
  }

  /** PONG: the keep-alive is satisfied and the round trip measured. */
  protected gotPong(): void {
    this.trace('<<-', 'PONG');
    this.pingsOut = 0;
    if (this.pingSentAt > 0) this.rtt = Math.max(performance.now() - this.pingSentAt, 0.001);
  }

  /** An inbound message `m` of `line` is counted (statistics, activity, trace). */
  protected countInbound(m: MsgArgs, line: Buffer): void {
    this.inMsgs++;
    this.inBytes += m.size;
    this.gotMsgs = true;
    if (this.opts.trace) this.trace('<<-', line.toString('latin1', m.lineStart, m.lineEnd));
  }

  /** Sets `subject` and `subjectHash` to the inbound message's subject (copied only when it changed). */
  protected inboundSubject(line: Buffer, m: MsgArgs): void {
    const s0 = m.subjectStart;
    const s1 = m.subjectEnd;
    if (!sameBytes(this.subject, line, s0, s1)) {
      this.subject = Buffer.from(line.subarray(s0, s1));
      this.subjectHash = subjectHash(line, s0, s1);
    }
  }

  /** The inbound message's queue names as views of `line` (a reused array), or null without any. */
  protected inboundQueues(line: Buffer, m: MsgArgs): Buffer[] | null {
    const nq = m.numQueues;
    if (nq === 0) return null;
    const queues = this.queueViews;
    if (queues.length !== nq) queues.length = nq;
    for (let k = 0; k < nq; k++) queues[k] = line.subarray(m.queues[2 * k], m.queues[2 * k + 1]);
    return queues;
  }

  // ---- output ----

  /** Ends the frame whose control line is out.buf[out.off, o) (msg-head.ts endFrame), then counts and queues it. Returns the pending bytes. */
  protected endFrame(o: number, payload: Buffer, a: number, b: number): number {
    if (this.opts.trace) this.trace('->>', this.out.buf.toString('latin1', this.out.off, o));
    endFrame(this.out, o, payload, a, b);
    this.outMsgs++;
    this.outBytes += b - a;
    return this.queued();
  }

  /** Queues a protocol text (INFO, CONNECT, subscription lines); `utf8` for JSON documents. */
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

  protected queueBytes(b: Buffer): void {
    if (this.closed) return;
    this.out.appendBytes(b);
    this.queued();
  }

  /**
   * Bytes were queued: flush at the end of the turn. Returns the pending bytes. A link is never
   * closed for its pending bytes (nats-server's queueOutbound cuts only clients): past half of
   * max_pending the publishers feeding it stall (Client.stallFor), which bounds its memory.
   */
  protected queued(): number {
    if (this.closed) return 0;
    this.markDirty();
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

  /** The socket drained its buffer: stalled publishers resume. */
  drained(): void {
    this.blockedSince = 0;
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

  /**
   * The close both kinds share (nats-server's closeConnection): the queued bytes are flushed
   * unless `reason` skips that, `text` is logged, the socket ends and stalled publishers resume.
   * False when the link was already closed.
   */
  protected shut(reason: ClosedReason, text: string): boolean {
    if (this.closed) return false;
    const socket = this.socket;
    const flush = !skipsFlush(reason) && !socket.destroyed;
    if (flush) this.flush();
    this.closed = true;
    this.parser.stop();
    this.log('INF', text);
    if (flush) socket.end(() => socket.destroy());
    else socket.destroy();
    this.out.discard();
    this.drained();
    return true;
  }

  // ---- timers (the owner's coarse timer) ----

  /**
   * The socket stayed blocked for write_deadline (nats-server's handleWriteTimeout for a route or
   * leaf): a slow consumer is counted and logged; the link is closed only when the kernel took no
   * byte in that time, else a new deadline starts. Returns true when closed.
   */
  protected writeDeadline(now: number): boolean {
    if (this.blockedSince === 0 || now - this.blockedSince <= this.opts.writeDeadlineMs) return false;
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

  /** The ping timer (nats-server's processPingTimer): a PING when due, or a stale close. */
  protected keepAlive(now: number): void {
    if (now < this.pingDue) return;
    const interval = this.opts.pingIntervalMs;
    this.pingDue = now + interval;
    const needRtt = this.rtt === 0 || now - this.rttStart > DEFAULT_RTT_MEASUREMENT_INTERVAL_MS;
    if (!needRtt && (now - this.last < interval || now - this.lastPingIn < interval)) return;
    if (this.pingsOut + 1 > this.opts.pingMax) {
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
