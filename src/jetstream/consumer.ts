// A consumer (nats-server's consumer.go for one server): its configuration and the delivery
// state (next stream sequence, delivered and ack floor sequences, pending acks, redeliveries),
// pull requests (`$JS.API.CONSUMER.MSG.NEXT`: batch, expires, no_wait, idle heartbeats and the
// 404/408/409 status messages) and push delivery, acks on the 9-token reply subject
// `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>` (+ACK, -NAK, +WPI,
// +TERM, +NXT) and redelivery after ack_wait; push flow control (`$JS.FC.<stream>.<consumer>.<n>`),
// replay original, rate limits, and the consumer advisories (max deliveries, nak, terminated,
// ack samples).

import { ASKED_IMPORT, HAS_INTEREST, exactInterest, internalSub, randomToken, type InternalHandler, type Subscription } from '../accounts/account.js';
import { goJSON, jsonTime, type ConsumerConfig } from './json.js';
import { goDurationString, parseGoDuration } from '../config/values.js';
import {
  ackMetric,
  consumerAction,
  CONSUMER_ACK_METRIC_PRE,
  CONSUMER_DELETED_PRE,
  CONSUMER_MAX_DELIVERIES_PRE,
  CONSUMER_MSG_NAKED_PRE,
  CONSUMER_MSG_TERMINATED_PRE,
  deliveryEvent,
  maxDeliver,
} from './advisories.js';
import { filterMatches } from '../subjects/subject.js';
import type { ConsumerStore, StoreMsg } from './store/store.js';
import { nextPending, StoredConsumerState } from './consumer-state.js';
import { writeDecimal, type Stream } from './stream.js';

/** A pull request waiting for messages (nats-server's waitingRequest). */
interface WaitingRequest {
  reply: Buffer;
  /** Messages still wanted. */
  n: number;
  /** Messages delivered to it. */
  d: number;
  /** max_bytes still allowed (0 = no byte limit). */
  b: number;
  noWait: boolean;
  /** ms since the epoch; 0 = never. */
  expires: number;
  /** Idle heartbeat period, ms (0 = none), and when the next one is due. */
  hb: number;
  hbNext: number;
}

/** ConsumerState's pending entry: the consumer persists its pending map as it is. */
interface Pending {
  consumerSeq: number;
  /** When it was (re)delivered, ms. */
  ts: number;
}

const NS = 1e6;
const EMPTY = Buffer.alloc(0);
/** How often the push consumers without interest look whether their account's subscriptions changed, ms. */
const INTEREST_CHECK_MS = 10;
const NO_MESSAGES = 'NATS/1.0 404 No Messages\r\n\r\n';
const EXCEEDED_MAX_WAITING = 'NATS/1.0 409 Exceeded MaxWaiting\r\n\r\n';
const CONSUMER_DELETED = 'NATS/1.0 409 Consumer Deleted\r\n\r\n';
const FLOW_CONTROL_REQUEST = Buffer.from('NATS/1.0 100 FlowControl Request\r\n\r\n', 'latin1');
/** nats-server's JsFlowControlMaxPending: the largest flow control window, bytes; the first is 1/16 of it. */
const FLOW_CONTROL_MAX_PENDING = 32 * 1024 * 1024;
/**
 * Messages deliver() sends in one event-loop turn; the rest goes on the next turn, so the
 * reactor writes a turn's deliveries to the socket (and the client reads them) while the next
 * are made, instead of a whole flow-control window in one turn.
 */
const DELIVER_TURN_MSGS = 1024;
/** nats-server's default max_payload: a rate limiter's burst when neither the stream nor the options set one. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/** The dots of an ack subject (Consumer.ack; one at a time). */
const ACK_DOTS = new Int32Array(8);

/** Number() of the token b[s, e): digits are read in place, anything else as Number of its text. */
function tokenNumber(b: Buffer, s: number, e: number): number {
  if (e - s > 0 && e - s <= 15) {
    let v = 0;
    let i = s;
    for (; i < e; i++) {
      const d = b[i]! - 0x30;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    if (i === e) return v;
  }
  return Number(b.toString('latin1', s, e));
}

/** Whether b[at, ...) starts with the ASCII `prefix`. */
function startsWith(b: Buffer, at: number, prefix: string): boolean {
  if (b.length - at < prefix.length) return false;
  for (let k = 0; k < prefix.length; k++) if (b[at + k] !== prefix.charCodeAt(k)) return false;
  return true;
}

/**
 * The push consumers without interest in their deliver subject. nats-server's sublist tells a
 * consumer at once when a subscription on it comes (registerNotification); here one timer looks
 * at each one's account generation every INTEREST_CHECK_MS while there are any (a comparison
 * when nothing changed), so a client that subscribes after creating the consumer (the ordered
 * consumers and KV watchers do) gets its messages at once.
 */
const unbound = new Set<Consumer>();
let interestTimer: NodeJS.Timeout | null = null;

function watchInterest(c: Consumer, unboundNow: boolean): void {
  if (unboundNow) unbound.add(c);
  else unbound.delete(c);
  if (unbound.size > 0 && interestTimer === null) {
    interestTimer = setInterval(() => {
      for (const u of unbound) u.recheckInterest();
    }, INTEREST_CHECK_MS);
    interestTimer.unref();
  } else if (unbound.size === 0 && interestTimer !== null) {
    clearInterval(interestTimer);
    interestTimer = null;
  }
}

export class Consumer {
  readonly stream: Stream;
  readonly name: string;
  cfg: ConsumerConfig;
  readonly created: number;
  /**
   * nats-server's sseq: the next stream sequence to look at (delivered.stream_seq is sseq - 1,
   * also before the first delivery); while last_per_subject's list is delivered, the one after
   * the last delivered from it.
   */
  private sseq: number;
  /** Last consumer sequence delivered (dseq - 1 in nats-server's terms). */
  private dseq = 0;
  private lastActive = 0;
  private adflr = 0;
  private asflr = 0;
  private ackActive = 0;
  /** Pending acks by stream sequence; an entry keeps its first delivery's consumer sequence (nats-server's trackPending). */
  private readonly pending = new Map<number, Pending>();
  /** A deliver() continuation is queued for the next turn (DELIVER_TURN_MSGS). */
  private resumeQueued = false;
  private readonly resume = (): void => {
    this.resumeQueued = false;
    this.deliver();
  };
  private readonly rdc = new Map<number, number>();
  /** Stream sequences to redeliver, oldest first. */
  private rdq: number[] = [];
  /** deliver_policy last_per_subject: the last message of each subject, delivered first. */
  private lps: number[] = [];
  /** The stream's last sequence when the lps list was made (nats-server's lss.resume): sseq once the list is delivered. */
  private lpsResume = 0;
  /** Whether nextMessage()'s last message came from the last_per_subject list, and sseq before it. */
  private lastFromLps = false;
  private prevSseq = 0;
  /** Messages matching the filter at or after sseq (num_pending without lps), kept as messages come and go; -1: to count. */
  private np = -1;
  /**
   * last_per_subject: nats-server's npc and npcm, the pending count its ack subjects carry: the
   * subjects whose last message is at or after sseq, counted when asked for consumer info (or
   * when npcm is 0), then one less for each first delivery and one more for each new message
   * past npcm, the last sequence counted.
   */
  private lpc = 0;
  private lpcm = 0;
  /** Push consumers: when the last message or heartbeat went out (idle heartbeats follow it). */
  private lastSent = Date.now();
  private readonly waiting: WaitingRequest[] = [];
  private readonly ackSub: Subscription;
  /** pushBound()'s answer, for the account's sublist generation and the config it was found for. */
  private bound = false;
  private boundGen = -1;
  private boundCfg: ConsumerConfig | null = null;
  /**
   * Flow control of a `flow_control` push consumer (nats-server's maxpb, pblimit, pbytes, fcsz,
   * fcid): delivery stops once pbytes, the bytes sent since the client last answered, pass the
   * window maxpb; a request goes out past half of it, and its answer frees the bytes sent
   * before it and doubles the window up to pblimit. maxpb 0: no flow control.
   */
  private maxpb = 0;
  private pblimit = 0;
  private pbytes = 0;
  private fcsz = 0;
  /** The outstanding flow control request's reply subject ('' = none). */
  private fcid = '';
  private readonly fcSub: Subscription | null = null;
  /** replay_policy original: replaying (up to the stream's last sequence at the start) with the messages' original gaps. */
  private replay: boolean;
  private readonly replayLseq: number;
  /** The time of the last message delivered (replay original), ms. */
  private lts = 0;
  /** The next message waits until then (replay original's gap, the rate limit), ms; 0: no wait. */
  private holdUntil = 0;
  /** rate_limit_bps as nats-server's rate.Limiter: a bucket of `burst` bytes refilled at `rate` bytes/ms (0: no limit). */
  private rate = 0;
  private burst = 0;
  private tokens = 0;
  private tokensAt = Date.now();
  /** sample_freq as a percentage (0: no ack samples). */
  private sfreq = 0;
  private timer: NodeJS.Timeout | null = null;
  /** When the timer fires (schedule()'s next), ms. */
  private timerAt = Infinity;
  /** `$JS.ACK.<stream>.<consumer>.`, then the rest of a delivery's ack subject, written in place (ackSubject()). */
  private readonly ackBuf: Buffer;
  private readonly ackHead: number;
  /** Views of ackBuf by length, made once each. */
  private readonly ackViews: Buffer[] = [];
  /** The ack subject's timestamp token (ns digits) of the message time `tsFor`, ms: consecutive messages mostly share it. */
  private readonly tsDigits = Buffer.alloc(40);
  private tsLen = 0;
  private tsFor = -1;
  /** The subject of the last message delivered, as a string and as bytes (the frame's subject). */
  private frameSubj = '';
  private frameBuf: Buffer = EMPTY;
  /** The push deliver subject as bytes (for the config it was made for). */
  private deliverBuf: Buffer = EMPTY;
  private deliverFor = '';
  /** The waiting request whose reply subject had interest at sublist generation interestGen. */
  private interestFor: WaitingRequest | null = null;
  private interestGen = -1;
  private closed = false;
  /** A consumer with inactive_threshold (every ephemeral; durables that set it): deleted after it without interest (pull: without requests). */
  private inactiveSince = Date.now();
  /** Where the state persists (a file stream's consumer), or null (kept in memory only). */
  private readonly cstore: ConsumerStore | null;
  /** The state the consumer store persists, kept by nats-server's consumer file store rules (consumer-state.ts). */
  private readonly stored: StoredConsumerState;

  /**
   * `cstore`: the consumer's store; its saved config is (re)written, and a saved state (a
   * restart) is resumed as nats-server's applyState does: delivery goes on after the last
   * delivered sequence, pending messages are redelivered after their ack wait.
   */
  constructor(stream: Stream, name: string, cfg: ConsumerConfig, created = Date.now(), cstore: ConsumerStore | null = null) {
    this.stream = stream;
    this.name = name;
    this.cfg = cfg;
    this.created = created;
    this.cstore = cstore;
    this.stored = new StoredConsumerState(() => this.cfg.ack_policy);
    const saved = cstore !== null ? cstore.load() : null;
    if (saved !== null) {
      // applyState, then checkRedelivered: delivery counts below the ack floor or past the stream's end are dropped.
      this.stored.load(saved);
      this.dseq = saved.delivered.consumerSeq;
      this.sseq = saved.delivered.streamSeq + 1;
      this.adflr = saved.ackFloor.consumerSeq;
      this.asflr = saved.ackFloor.streamSeq;
      for (const [seq, p] of saved.pending) this.pending.set(seq, { consumerSeq: p.consumerSeq, ts: p.ts });
      const lseq = stream.store.state().lastSeq;
      for (const [seq, n] of saved.redelivered) if (seq >= this.asflr && seq <= lseq) this.rdc.set(seq, n);
    } else {
      // The ack floor stays 0: nats-server's consumer re-reads its new store's state as it starts.
      this.sseq = this.startSequence();
      this.stored.setStarting(this.sseq - 1);
    }
    if (cstore !== null) cstore.saveConfig({ name, created, config: cfg });
    const head = Buffer.from(`$JS.ACK.${stream.name}.${name}.`, 'latin1');
    this.ackHead = head.length;
    this.ackBuf = Buffer.alloc(head.length + 128);
    head.copy(this.ackBuf);
    const handler: InternalHandler = { clusterWide: false, receive: (subject, reply, hdrLen, payload) => this.ack(subject, reply, hdrLen, payload) };
    this.ackSub = internalSub(`$JS.ACK.${stream.name}.${name}.>`, handler);
    stream.owner.addSub(this.ackSub);
    if (cfg.flow_control && !this.isPull) {
      // nats-server's setMaxPendingBytes(JsFlowControlMaxPending) and its `$JS.FC.<stream>.<consumer>.*` subscription.
      this.pblimit = FLOW_CONTROL_MAX_PENDING;
      this.maxpb = FLOW_CONTROL_MAX_PENDING / 16;
      this.fcSub = internalSub(`$JS.FC.${stream.name}.${name}.*`, { clusterWide: false, receive: (subject) => this.flowControlReply(subject) });
      stream.owner.addSub(this.fcSub);
    }
    this.replay = cfg.replay_policy === 'original';
    this.replayLseq = this.replay ? stream.store.state().lastSeq : 0;
    this.setRateAndSampling();
    this.schedule();
  }

  /** rate_limit_bps and sample_freq from the config (nats-server's setRateLimit and sfreq). */
  private setRateAndSampling(): void {
    const c = this.cfg;
    this.rate = c.rate_limit_bps > 0 ? c.rate_limit_bps / 8 / 1000 : 0;
    // The burst: the stream's max_msg_size, else the server's max_payload; the bucket starts full.
    const maxPayload = this.stream.owner.maxPayload > 0 ? this.stream.owner.maxPayload : DEFAULT_MAX_PAYLOAD;
    this.burst = this.stream.cfg.max_msg_size > 0 ? this.stream.cfg.max_msg_size : maxPayload;
    this.tokens = this.burst;
    this.tokensAt = Date.now();
    // Checked by the API: an integer, with or without a trailing '%'.
    const freq = Number(c.sample_freq.endsWith('%') ? c.sample_freq.slice(0, -1) : c.sample_freq);
    this.sfreq = Number.isInteger(freq) && freq > 0 ? freq : 0;
  }

  /**
   * A checked new configuration for this consumer (nats-server's updateConfig; the API checked
   * what may change): saved, and what depends on it follows. A new deliver subject gets every
   * pending message again.
   */
  update(cfg: ConsumerConfig): void {
    const old = this.cfg;
    this.cfg = cfg;
    if (this.cstore !== null) this.cstore.saveConfig({ name: this.name, created: this.created, config: cfg });
    if (cfg.deliver_subject !== old.deliver_subject) {
      for (const seq of [...this.pending.keys()].sort((a, b) => a - b)) if (!this.rdq.includes(seq)) this.rdq.push(seq);
    }
    if (cfg.filter_subject !== old.filter_subject) this.np = -1;
    if (cfg.rate_limit_bps !== old.rate_limit_bps || cfg.sample_freq !== old.sample_freq) this.setRateAndSampling();
    if (cfg.inactive_threshold !== old.inactive_threshold) this.inactiveSince = Date.now();
    this.deliver();
    this.schedule();
  }

  get isPull(): boolean {
    return this.cfg.deliver_subject === '';
  }

  /** nats-server's selectStartingSeqNo: the first stream sequence to deliver, kept within the stream. */
  private startSequence(): number {
    const store = this.stream.store;
    const st = store.state();
    const c = this.cfg;
    let seq: number;
    if (c.opt_start_seq > 0) seq = c.opt_start_seq;
    else {
      switch (c.deliver_policy) {
        case 'all':
          seq = st.firstSeq;
          break;
        case 'last':
          seq = c.filter_subject !== '' ? store.filteredState(1, c.filter_subject).last : st.lastSeq;
          break;
        case 'last_per_subject': {
          const lasts = [...store.subjectsState(c.filter_subject).values()].map((ss) => ss.last);
          this.lps = lasts.sort((a, b) => a - b);
          this.lpsResume = st.lastSeq;
          seq = this.lps.length > 0 ? this.lps[0]! : st.lastSeq;
          break;
        }
        case 'by_start_time':
          seq = store.seqFromTime(Date.parse(c.opt_start_time!));
          break;
        default:
          seq = st.lastSeq + 1;
      }
    }
    if (st.firstSeq === 0) return 1;
    if (seq < st.firstSeq) return st.firstSeq;
    return seq > st.lastSeq ? st.lastSeq + 1 : seq;
  }

  /** Where the scan of the stream goes on: after the stream's end as the lps list was made, while it is delivered. */
  private scanStart(): number {
    return this.lps.length > 0 ? this.lpsResume + 1 : this.sseq;
  }

  // ---- delivery ----

  /** A pull request (MSG.NEXT): body empty, a batch count, or the JSON request. */
  nextRequest(reply: Buffer | null, body: Buffer): void {
    if (reply === null || reply.length === 0 || this.closed) return;
    if (!this.isPull) return this.status(reply, 'NATS/1.0 409 Consumer is push based\r\n\r\n');
    const text = body.toString('utf8').trim();
    let batch = 1;
    let expiresNs = 0;
    let noWait = false;
    let hbNs = 0;
    let maxBytes = 0;
    if (text.startsWith('{')) {
      let req: { batch?: number; expires?: number; no_wait?: boolean; idle_heartbeat?: number; max_bytes?: number };
      try {
        req = JSON.parse(text);
      } catch (e) {
        return this.status(reply, `NATS/1.0 400 Bad Request - ${(e as Error).message}\r\n\r\n`);
      }
      batch = req.batch ?? 0;
      expiresNs = req.expires ?? 0;
      noWait = req.no_wait === true;
      hbNs = req.idle_heartbeat ?? 0;
      maxBytes = req.max_bytes ?? 0;
      if (hbNs > 0 && hbNs * 2 > expiresNs) return this.status(reply, 'NATS/1.0 400 Bad Request - heartbeat value too large\r\n\r\n');
    } else if (/^-?\d+$/.test(text)) batch = Number(text);
    if (batch <= 0) batch = 1;
    const c = this.cfg;
    if (c.max_batch > 0 && batch > c.max_batch) return this.status(reply, `NATS/1.0 409 Exceeded MaxRequestBatch of ${c.max_batch}\r\n\r\n`);
    if (expiresNs > 0 && c.max_expires > 0 && expiresNs > c.max_expires) {
      return this.status(reply, `NATS/1.0 409 Exceeded MaxRequestExpires of ${goDurationString(BigInt(c.max_expires))}\r\n\r\n`);
    }
    if (maxBytes > 0 && c.max_bytes > 0 && maxBytes > c.max_bytes) return this.status(reply, `NATS/1.0 409 Exceeded MaxRequestMaxBytes of ${c.max_bytes}\r\n\r\n`);
    const now = Date.now();
    this.expireWaiting(now);
    if (noWait) {
      const avail = this.numPending() + this.rdq.length;
      if (avail === 0 && expiresNs === 0) return this.status(reply, NO_MESSAGES);
      // Fewer messages than the waiting requests still want: this one would get none.
      let wanted = 0;
      for (const w of this.waiting) wanted += w.n;
      if (avail > 0 && avail < wanted) return this.status(reply, 'NATS/1.0 408 Requests Pending\r\n\r\n');
    }
    if (this.waiting.length >= c.max_waiting) return this.status(reply, EXCEEDED_MAX_WAITING);
    const hb = hbNs / NS;
    const w: WaitingRequest = {
      reply: Buffer.from(reply),
      n: batch,
      d: 0,
      b: maxBytes,
      noWait,
      expires: expiresNs > 0 ? now + expiresNs / NS : 0,
      hb,
      hbNext: hb > 0 ? now + hb : 0,
    };
    this.waiting.push(w);
    this.inactiveSince = now;
    this.deliver();
    // The timer by the request's expiry and heartbeat (the rest of schedule() got no earlier).
    if (w.expires > 0) this.armBy(w.expires);
    if (w.hbNext > 0) this.armBy(w.hbNext);
  }

  /** Messages the stream holds past what was delivered, matching the filter (num_pending). */
  numPending(): number {
    if (this.np < 0) {
      const st = this.stream.store.state();
      const from = this.scanStart();
      this.np = from > st.lastSeq ? 0 : this.stream.store.filteredState(from, this.cfg.filter_subject).msgs;
    }
    return this.lps.length + this.np;
  }

  /**
   * num_pending in consumer info (nats-server's streamNumPending): the messages matching the
   * filter from sseq on; for last_per_subject, the subjects whose last message is there.
   */
  private infoNumPending(): number {
    return this.cfg.deliver_policy === 'last_per_subject' ? this.lpsCount() : this.numPending();
  }

  /** last_per_subject: counts lpc and lpcm again (nats-server's streamNumPending). */
  private lpsCount(): number {
    let n = 0;
    let m = 0;
    for (const ss of this.stream.store.subjectsState(this.cfg.filter_subject).values()) {
      if (this.sseq > ss.last) continue;
      n++;
      if (ss.last > m) m = ss.last;
    }
    this.lpc = n;
    this.lpcm = m;
    return n;
  }

  /** The pending count of the next delivery's ack subject. */
  private ackPending(): number {
    if (this.cfg.deliver_policy !== 'last_per_subject') return this.numPending();
    if (this.lpcm === 0) this.lpsCount();
    return Math.max(0, this.lpc);
  }

  /** The stream stored message `seq` on `subject` (or acks freed room, seq 0): deliver what can be delivered. */
  signal(seq = 0, subject = ''): void {
    if (this.closed) return;
    if (seq > 0 && filterMatches(this.cfg.filter_subject, subject)) {
      if (seq >= this.scanStart() && this.np >= 0) this.np++;
      if (seq > this.lpcm) this.lpc++;
    }
    this.deliver();
  }

  /** The store dropped `seq` by itself (limits, max_age): not to be delivered, and terminated when pending (as deleted()). */
  removed(seq: number, subject: string): void {
    if (this.closed) return;
    const p = this.pending.get(seq);
    if (p !== undefined) this.terminate(seq, p.consumerSeq, this.rdc.get(seq) ?? 1);
    if (filterMatches(this.cfg.filter_subject, subject)) {
      if (seq >= this.scanStart() && this.np > 0) this.np--;
      if (seq > this.lpcm && seq >= this.sseq) this.lpc--;
    }
  }

  /**
   * Message `seq` was deleted (nats-server's decStreamPending): when it was pending, it is
   * terminated, acked as by `+TERM` and advised.
   */
  deleted(seq: number): void {
    if (this.closed) return;
    this.np = -1;
    const p = this.pending.get(seq);
    if (p !== undefined) this.terminate(seq, p.consumerSeq, this.rdc.get(seq) ?? 1);
    this.deliver();
  }

  /** nats-server's processTerm for a message the stream removed: acked as by `+TERM` (`dseq`: its pending delivery), and advised. */
  private terminate(seq: number, dseq: number, dc: number): void {
    this.acked(seq, Date.now(), dseq, dc, false);
    const subject = `${CONSUMER_MSG_TERMINATED_PRE}.${this.stream.name}.${this.name}`;
    this.advise(subject, () => deliveryEvent('terminated', this.stream.name, this.name, dseq, seq, dc, this.stream.owner.domain));
  }

  /**
   * The stream was purged (nats-server's consumer.purge): `fseq` is the stream's first sequence
   * after it (0: none left of the purge's filter, then past `lseq`, the last). A consumer the
   * purge `applies` to moves on to it, its ack floor up to it, and every pending ack is dropped
   * (delivery counts are kept); the others keep theirs. `oneByOne`: the store removed the
   * messages one at a time (nats-server's memory store, by subject), and each pending one is
   * terminated after that, as deleted().
   */
  purge(fseq: number, lseq: number, applies: boolean, oneByOne: boolean): void {
    if (this.closed) return;
    this.np = -1;
    const gone: number[] = [];
    if (oneByOne) {
      for (const [seq, p] of this.pending) if (this.stream.store.load(seq) === null) gone.push(seq, p.consumerSeq, this.rdc.get(seq) ?? 1);
    }
    if (applies) this.moveOn(fseq, lseq);
    for (let i = 0; i < gone.length; i += 3) this.terminate(gone[i]!, gone[i + 1]!, gone[i + 2]!);
    this.deliver();
  }

  /** consumer.purge: on to `fseq` (0: past `lseq`). */
  private moveOn(fseq: number, lseq: number): void {
    if (fseq === 0) fseq = lseq + 1;
    if (this.sseq < fseq) this.sseq = fseq;
    if (this.asflr < fseq) {
      this.asflr = fseq - 1;
      this.adflr = this.dseq;
    }
    this.pending.clear();
    this.rdq = this.rdq.filter((seq) => seq >= this.sseq);
    this.stored.replace({
      delivered: { consumerSeq: this.dseq, streamSeq: this.sseq - 1 },
      ackFloor: { consumerSeq: this.adflr, streamSeq: this.asflr },
      pending: this.pending,
      redelivered: this.rdc,
    });
    if (this.cstore !== null) this.cstore.update(this.stored);
  }

  /** Delivers while there is a target (a waiting request, or the push subject) and a message. */
  private deliver(): void {
    if (this.closed) return;
    const c = this.cfg;
    const sublist = this.stream.owner.account.sublist;
    if (!this.isPull && !this.pushBound()) {
      watchInterest(this, true);
      return;
    }
    let turn = 0;
    for (;;) {
      if (turn >= DELIVER_TURN_MSGS) {
        // The rest on a later turn: the socket writes what this turn made while the next is made.
        if (!this.resumeQueued) {
          this.resumeQueued = true;
          setImmediate(this.resume);
        }
        return;
      }
      let target: WaitingRequest | null = null;
      if (this.isPull) {
        if (this.waiting.length === 0) return;
        target = this.waiting[0]!;
        // A request whose requester is gone (no interest in its reply subject) is dropped, as
        // nats-server does; looked up again only when the account's subscriptions changed.
        if (target !== this.interestFor || sublist.generation !== this.interestGen) {
          if (!sublist.hasInterest(target.reply.toString('latin1'))) {
            this.waiting.shift();
            continue;
          }
          this.interestFor = target;
          this.interestGen = sublist.generation;
        }
      } else if (this.maxpb > 0 && this.pbytes > this.maxpb) return; // stalled until the client answers flow control
      if (this.holdUntil > 0 && this.holdUntil > Date.now()) return; // the timer delivers it
      // Replay original ends once what the stream held at the start was delivered.
      if (this.replay && this.sseq > this.replayLseq) this.replay = false;
      const sm = this.nextMessage();
      if (sm === null) {
        if (this.atMaxAckPending()) return; // stalled until an ack frees room
        // Nothing more now: a no_wait request ends here.
        if (target !== null && target.noWait) {
          this.waiting.shift();
          this.status(target.reply, target.d === 0 ? NO_MESSAGES : this.timeoutStatus(target));
          continue;
        }
        return;
      }
      if (this.mustHold(sm)) {
        this.unread(sm);
        this.schedule();
        return;
      }
      if (target !== null && target.b > 0) {
        // nats-server's size: subject + ack reply + headers + payload (the ack reply's length is close enough to count as that of its tokens).
        const sz = sm.subject.length + this.ackSubjectLength(sm) + sm.hdr.length + (c.headers_only ? 0 : sm.msg.length);
        if (sz > target.b) {
          this.waiting.shift();
          this.status(target.reply, `NATS/1.0 409 Message Size Exceeds MaxBytes\r\nNats-Pending-Messages: ${target.n}\r\nNats-Pending-Bytes: ${target.b}\r\n\r\n`);
          this.unread(sm);
          continue;
        }
        target.b -= sz;
        if (target.b === 0) target.n = 1;
      }
      const to = target !== null ? target.reply : this.deliverSubject();
      this.send(to, sm);
      turn++;
      if (target !== null) {
        target.d++;
        if (target.hb > 0) target.hbNext = Date.now() + target.hb;
        if (--target.n === 0) this.waiting.shift();
      }
    }
  }

  /** The push deliver subject as bytes, made once per subject. */
  private deliverSubject(): Buffer {
    const d = this.cfg.deliver_subject;
    if (d !== this.deliverFor) {
      this.deliverBuf = Buffer.from(d, 'latin1');
      this.deliverFor = d;
    }
    return this.deliverBuf;
  }

  /**
   * replay_policy original and rate_limit_bps (nats-server's loopAndGatherMsgs): whether `sm`
   * must wait (holdUntil is set); the message that waited goes when it is due.
   */
  private mustHold(sm: StoreMsg): boolean {
    if (!this.replay && this.rate === 0 && this.holdUntil === 0) return false;
    const now = Date.now();
    if (this.holdUntil > 0) {
      this.holdUntil = 0;
      this.lts = sm.ts;
      return false;
    }
    let wait = 0;
    // Replaying: the gap to the previous message, when more than 1 ms.
    if (this.replay && this.lts > 0 && sm.ts - this.lts > 1) wait = sm.ts - this.lts;
    if (this.rate > 0) {
      // ReserveN: the bytes are taken now (the bucket may go below zero); the wait pays the debt back.
      this.tokens = Math.min(this.burst, this.tokens + (now - this.tokensAt) * this.rate);
      this.tokensAt = now;
      this.tokens -= sm.subject.length + this.ackSubjectLength(sm) + sm.hdr.length + (this.cfg.headers_only ? 0 : sm.msg.length);
      if (this.tokens < 0) wait = Math.max(wait, Math.ceil(-this.tokens / this.rate));
    }
    if (wait <= 0) {
      this.lts = sm.ts;
      return false;
    }
    this.holdUntil = now + wait;
    return true;
  }

  /** Whether max_ack_pending messages await their acks (new messages wait; redeliveries don't). */
  private atMaxAckPending(): boolean {
    const c = this.cfg;
    return c.ack_policy !== 'none' && c.max_ack_pending > 0 && this.pending.size >= c.max_ack_pending;
  }

  /** Puts back the message nextMessage() just gave (it was not sent). */
  private unread(sm: StoreMsg): void {
    if (this.pending.has(sm.seq)) this.rdq.unshift(sm.seq);
    else if (this.lastFromLps) {
      this.lps.unshift(sm.seq);
      this.sseq = this.prevSseq;
    } else {
      this.sseq = sm.seq;
      if (this.np >= 0) this.np++;
    }
  }

  /** The length of the ack subject send() would write for `sm`. */
  private ackSubjectLength(sm: StoreMsg): number {
    const dc = this.pending.has(sm.seq) ? (this.rdc.get(sm.seq) ?? 1) + 1 : 1;
    return `$JS.ACK.${this.stream.name}.${this.name}.${dc}.${sm.seq}.${this.dseq + 1}.${BigInt(sm.ts) * 1_000_000n}.${this.ackPending()}`.length;
  }

  /** The next message to deliver: a redelivery first, then the next stored one matching the filter. */
  private nextMessage(): StoreMsg | null {
    const maxdc = this.cfg.max_deliver;
    while (this.rdq.length > 0) {
      const seq = this.rdq.shift()!;
      if (!this.pending.has(seq)) continue;
      const dc = (this.rdc.get(seq) ?? 1) + 1;
      if (maxdc > 0 && dc > maxdc) {
        // Delivered max_deliver times: no longer pending, and the advisory goes out once (nats-server's getNextMsg).
        this.rdc.set(seq, dc);
        this.pending.delete(seq);
        if (dc === maxdc + 1) {
          const subject = `${CONSUMER_MAX_DELIVERIES_PRE}.${this.stream.name}.${this.name}`;
          this.advise(subject, () => maxDeliver(this.stream.name, this.name, seq, dc - 1, this.stream.owner.domain));
        }
        continue;
      }
      const sm = this.stream.store.load(seq);
      if (sm !== null) return sm;
      this.pending.delete(seq);
    }
    this.lastFromLps = false;
    // At max_ack_pending only redeliveries go out (nats-server's getNextMsg stalls after them).
    if (this.atMaxAckPending()) return null;
    this.prevSseq = this.sseq;
    while (this.lps.length > 0) {
      // nats-server's getNextMsg: the list's last one sets sseq to the stream's end when the list was made.
      const sm = this.stream.store.load(this.lps.shift()!);
      if (this.lps.length === 0) this.sseq = this.lpsResume;
      if (sm !== null) {
        this.lastFromLps = true;
        if (sm.seq >= this.sseq) this.sseq = sm.seq + 1;
        return sm;
      }
    }
    const sm = this.stream.store.loadNext(this.cfg.filter_subject, this.sseq);
    if (sm === null) {
      this.sseq = Math.max(this.sseq, this.stream.store.state().lastSeq + 1);
      this.np = 0;
      return null;
    }
    this.sseq = sm.seq + 1;
    if (this.np > 0) this.np--;
    return sm;
  }

  /**
   * A push consumer delivers only while its deliver subject has interest (push_bound), as
   * nats-server's registerNotification sees it: a subscription on exactly that subject, a plain
   * one, or with `deliver_group` one in that queue group.
   */
  pushBound(): boolean {
    if (this.isPull) return false;
    const sublist = this.stream.owner.account.sublist;
    // Known while the account's subscriptions did not change (and the config did not).
    if (sublist.generation === this.boundGen && this.cfg === this.boundCfg) return this.bound;
    this.boundGen = sublist.generation;
    this.boundCfg = this.cfg;
    const found = exactInterest(sublist, this.cfg.deliver_subject, this.cfg.deliver_group);
    // An import's answer changes with another account's subscriptions: not kept.
    if ((found & ASKED_IMPORT) !== 0) this.boundGen = -1;
    this.bound = (found & HAS_INTEREST) !== 0;
    return this.bound;
  }

  /**
   * The interest timer's look at an unbound consumer (see watchInterest): a subscriber may have
   * come. pushBound() answers from its cache while the account's subscriptions did not change;
   * the cache may already say bound (a consumer info or list asked first), so its answer is what
   * counts, not whether it changed.
   */
  recheckInterest(): void {
    if (this.closed || !this.pushBound()) return;
    watchInterest(this, false);
    this.inactiveSince = Date.now();
    this.deliver();
    this.schedule();
  }

  /** Publishes an advisory built by `build` in the stream's account, when someone listens. */
  private advise(subject: string, build: () => string): void {
    if (!this.stream.owner.account.sublist.hasInterest(subject)) return;
    this.stream.owner.publish(Buffer.from(subject, 'latin1'), null, -1, Buffer.from(build()));
  }

  // ---- flow control (nats-server's needFlowControl, sendFlowControl, processFlowControl) ----

  /** Whether to ask for flow control after a message of `sz` bytes: past half the window with none outstanding. */
  private needFlowControl(sz: number): boolean {
    if (this.fcid === '' && this.pbytes > this.maxpb / 2) return true;
    // An outstanding request's answer will cover the bytes sent past a full window too.
    if (this.fcid !== '' && this.pbytes - this.fcsz >= this.maxpb) this.fcsz += sz;
    return false;
  }

  /** `NATS/1.0 100 FlowControl Request` on the deliver subject, its reply `$JS.FC.<stream>.<consumer>.<4 base-62 digits>`. */
  private sendFlowControl(): void {
    this.fcid = `$JS.FC.${this.stream.name}.${this.name}.${randomToken(4)}`;
    this.fcsz = this.pbytes;
    const b = FLOW_CONTROL_REQUEST;
    this.stream.owner.publish(Buffer.from(this.cfg.deliver_subject, 'latin1'), Buffer.from(this.fcid, 'latin1'), b.length, b);
  }

  /** The client answered flow control: only the latest request counts; the window grows for a slow start. */
  private flowControlReply(subject: Buffer): void {
    if (this.closed || this.fcid === '' || subject.toString('latin1') !== this.fcid) return;
    if (this.maxpb < this.pblimit) this.maxpb = Math.min(this.maxpb * 2, this.pblimit);
    this.pbytes = Math.max(0, this.pbytes - this.fcsz);
    this.fcid = '';
    this.fcsz = 0;
    this.deliver();
    this.schedule();
  }

  private send(to: Buffer, sm: StoreMsg): void {
    const c = this.cfg;
    const now = Date.now();
    this.lastSent = now;
    const seq = sm.seq;
    const redelivery = this.pending.has(seq);
    const dc = redelivery ? (this.rdc.get(seq) ?? 1) + 1 : 1;
    if (redelivery) this.rdc.set(seq, dc);
    this.dseq++;
    this.lastActive = now;
    if (c.ack_policy === 'none') {
      this.adflr = this.dseq;
      this.asflr = seq;
    } else {
      this.pendingSet(seq, this.dseq, now);
      this.armBy(now + this.deadline(seq));
    }
    if (!redelivery && this.lpcm > 0) this.lpc--;
    const ack = this.ackSubject(dc, seq, sm.ts, this.ackPending());
    let hdr = sm.hdr;
    let msg = sm.msg;
    if (c.headers_only) {
      const base = hdr.length > 0 ? hdr.toString('latin1').slice(0, -2) : 'NATS/1.0\r\n';
      hdr = Buffer.from(`${base}Nats-Msg-Size: ${msg.length}\r\n\r\n`, 'latin1');
      msg = Buffer.alloc(0);
    }
    const payload = hdr.length > 0 ? Buffer.concat([hdr, msg]) : msg;
    if (this.cstore !== null) {
      this.stored.updateDelivered(this.dseq, seq, dc, now, this.pending.get(seq) ?? null);
      this.cstore.update(this.stored);
    }
    if (sm.subject !== this.frameSubj) {
      this.frameBuf = Buffer.from(sm.subject, 'latin1');
      this.frameSubj = sm.subject;
    }
    this.stream.owner.publish(to, ack, hdr.length > 0 ? hdr.length : -1, payload, this.frameBuf);
    if (this.maxpb > 0) {
      // nats-server's jsPubMsg size: deliver subject, ack reply, headers and payload.
      const psz = to.length + ack.length + payload.length;
      this.pbytes += psz;
      if (this.needFlowControl(psz)) this.sendFlowControl();
    }
    // Without acks a delivered message is done for this consumer (interest retention may drop it).
    if (c.ack_policy === 'none') this.stream.consumerAcked(this, seq);
  }

  /**
   * `$JS.ACK.<stream>.<consumer>.<dc>.<seq>.<dseq>.<ts ns>.<pending>` written into ackBuf: a
   * view of it, valid until the next call.
   */
  private ackSubject(dc: number, seq: number, ts: number, pending: number): Buffer {
    const b = this.ackBuf;
    let off = writeDecimal(b, this.ackHead, dc);
    b[off++] = 0x2e;
    off = writeDecimal(b, off, seq);
    b[off++] = 0x2e;
    off = writeDecimal(b, off, this.dseq);
    b[off++] = 0x2e;
    if (ts !== this.tsFor) this.timestampToken(ts);
    const t = this.tsDigits;
    for (let k = 0; k < this.tsLen; k++) b[off + k] = t[k]!;
    off += this.tsLen;
    b[off++] = 0x2e;
    off = writeDecimal(b, off, pending);
    return (this.ackViews[off] ??= b.subarray(0, off));
  }

  /** Writes the ack subject's timestamp token of message time `ts` (ms) into tsDigits: nanoseconds. */
  private timestampToken(ts: number): void {
    const t = this.tsDigits;
    if (Number.isSafeInteger(ts) && ts >= 0) {
      // ms to ns: the digits of the ms, then six zeros (ns past 2^53 are not exact as a double).
      let n = writeDecimal(t, 0, ts);
      if (ts > 0) for (let k = 0; k < 6; k++) t[n++] = 0x30;
      this.tsLen = n;
    } else this.tsLen = t.write(String(BigInt(Math.round(ts * 1e6))), 0, 'latin1');
    this.tsFor = ts;
  }

  private status(reply: Buffer, hdr: string): void {
    const b = Buffer.from(hdr, 'latin1');
    this.stream.owner.publish(reply, null, b.length, b);
  }

  private timeoutStatus(w: WaitingRequest): string {
    return `NATS/1.0 408 Request Timeout\r\nNats-Pending-Messages: ${w.n}\r\nNats-Pending-Bytes: 0\r\n\r\n`;
  }

  /** Ends the waiting requests that expired (408). */
  private expireWaiting(now: number): void {
    for (let i = 0; i < this.waiting.length; ) {
      const w = this.waiting[i]!;
      if (w.expires > 0 && w.expires <= now) {
        this.waiting.splice(i, 1);
        this.status(w.reply, this.timeoutStatus(w));
      } else i++;
    }
  }

  // ---- acks ----

  /** A message on `$JS.ACK.<stream>.<consumer>.>`. */
  private ack(subject: Buffer, reply: Buffer | null, hdrLen: number, payload: Buffer): void {
    if (this.closed) return;
    // The 9 tokens: the 5th, 6th and 7th (after the 4th, 5th and 6th dots) are dc, seq and dseq.
    const dots = ACK_DOTS;
    let n = 0;
    for (let i = 0; i < subject.length; i++) {
      if (subject[i] !== 0x2e) continue;
      if (n === 8) return;
      dots[n++] = i;
    }
    if (n !== 8) return;
    const dc = tokenNumber(subject, dots[3]! + 1, dots[4]!);
    const seq = tokenNumber(subject, dots[4]! + 1, dots[5]!);
    const dseq = tokenNumber(subject, dots[5]! + 1, dots[6]!);
    const b0 = hdrLen > 0 ? hdrLen : 0;
    const now = Date.now();
    let ackReply = reply !== null && reply.length > 0;
    if (b0 === payload.length || startsWith(payload, b0, '+ACK')) {
      this.acked(seq, now, dseq, dc, true);
      if (ackReply) this.stream.owner.publish(reply!, null, -1, EMPTY);
      this.deliver();
      this.rearm();
      return;
    }
    const body = payload.toString('latin1', b0);
    if (body.startsWith('+NXT')) {
      // Acked, and a pull request for the ack's reply subject (the rest of the body is its batch or JSON).
      this.acked(seq, now, dseq, dc, true);
      if (ackReply) this.nextRequest(reply, payload.subarray(Math.max(hdrLen, 0) + 4));
      ackReply = false;
    } else if (body.startsWith('+TERM')) {
      // Acked without a sample, then the advisory (nats-server's processTerm sends it for any +TERM).
      this.acked(seq, now, dseq, dc, false);
      const subject = `${CONSUMER_MSG_TERMINATED_PRE}.${this.stream.name}.${this.name}`;
      this.advise(subject, () => deliveryEvent('terminated', this.stream.name, this.name, dseq, seq, dc, this.stream.owner.domain));
    } else if (body.startsWith('-NAK')) this.nak(seq, dseq, dc, body.slice(4).trim(), now);
    else if (body.startsWith('+WPI')) {
      const p = this.pending.get(seq);
      if (p !== undefined) p.ts = now;
    }
    // An ack with a reply (the clients' ackAck) is confirmed with an empty message.
    if (ackReply) this.stream.owner.publish(reply!, null, -1, EMPTY);
    this.deliver();
    this.schedule();
  }

  /**
   * After an ack or a new request: what schedule() would do that can have changed (a push
   * consumer's interest). The timer needs no earlier time: acks only take deadlines away, and
   * send() arms it for each new delivery (armBy).
   */
  private rearm(): void {
    if (!this.isPull) watchInterest(this, !this.pushBound());
  }

  /** Makes sure the timer fires by `at` (ms): schedule() when it would fire later or is not set. */
  private armBy(at: number): void {
    if (this.closed || (this.timer !== null && this.timerAt <= at)) return;
    this.schedule();
  }

  /**
   * nats-server's processNak: a pending message in range is advised and redelivered at once, or
   * after the delay of `-NAK {"delay":ns}` / `-NAK <Go duration>` (counted from now).
   */
  private nak(seq: number, dseq: number, dc: number, arg: string, now: number): void {
    const p = this.pending.get(seq);
    if (p === undefined || dseq <= this.adflr || dseq > this.dseq) return;
    const subject = `${CONSUMER_MSG_NAKED_PRE}.${this.stream.name}.${this.name}`;
    this.advise(subject, () => deliveryEvent('nak', this.stream.name, this.name, dseq, seq, dc, this.stream.owner.domain));
    if (arg !== '') {
      let delay: number | null = null;
      try {
        delay = arg.startsWith('{') ? Number(JSON.parse(arg).delay ?? 0) / NS : Number(parseGoDuration(arg)) / NS;
      } catch {
        const acc = this.stream.owner.account.name;
        this.stream.owner.log('WRN', `JetStream consumer '${acc} > ${this.stream.name} > ${this.name}' bad NAK delay value: ${goJSON(arg)}`);
      }
      if (delay !== null && Number.isFinite(delay)) {
        // ack_wait ago is due now: the delay counts from there.
        const i = this.rdq.indexOf(seq);
        if (i >= 0) this.rdq.splice(i, 1);
        p.ts = now - this.ackWait() + delay;
        return;
      }
    }
    if (!this.rdq.includes(seq)) this.rdq.push(seq);
  }

  /** An ack of `seq` (delivered as `dseq`, `dc` times); `sample`: an ack metric may be sampled (sample_freq). */
  private acked(seq: number, now: number, dseq: number, dc: number, sample: boolean): void {
    const c = this.cfg;
    if (c.ack_policy === 'none') return;
    if (sample && this.sfreq > 0 && c.ack_policy === 'explicit' && (this.sfreq >= 100 || Math.floor(Math.random() * 100) <= this.sfreq)) {
      const p = this.pending.get(seq);
      if (p !== undefined) {
        const subject = `${CONSUMER_ACK_METRIC_PRE}.${this.stream.name}.${this.name}`;
        this.advise(subject, () => ackMetric(this.stream.name, this.name, dseq, seq, (now - p.ts) * NS, dc, this.stream.owner.domain));
      }
    }
    // nats-server's processAckMsg: the ack floor moves only with an ack of the consumer sequence
    // just above it, then up to below the next pending message; with nothing pending, to what
    // was delivered.
    if (c.ack_policy === 'all') {
      if (dseq <= this.adflr || seq <= this.asflr) return;
      this.adflr = dseq;
      this.asflr = seq;
      for (const s of [...this.pending.keys()]) {
        if (s > seq) continue;
        this.pending.delete(s);
        this.rdc.delete(s);
        this.stream.consumerAcked(this, s);
      }
    } else {
      const p = this.pending.get(seq);
      if (p !== undefined) {
        this.pending.delete(seq);
        dseq = p.consumerSeq;
      }
      if (this.pending.size === 0) {
        this.adflr = this.dseq;
        this.asflr = this.sseq - 1;
      } else if (dseq === this.adflr + 1) {
        this.adflr = dseq;
        this.asflr = seq;
        const next = nextPending(this.pending, seq, this.sseq);
        if (next > 0 && this.pending.get(next)!.consumerSeq > 0) {
          this.adflr = this.pending.get(next)!.consumerSeq - 1;
          this.asflr = next - 1;
        }
      }
      this.rdc.delete(seq);
      if (p === undefined) return;
      this.stream.consumerAcked(this, seq);
    }
    this.ackActive = now;
    if (this.cstore !== null) {
      this.stored.updateAcks(dseq, seq);
      this.cstore.update(this.stored);
    }
  }

  /** Pending `seq` delivered now as consumer sequence `dseq` (a redelivery keeps its first consumer sequence). */
  private pendingSet(seq: number, dseq: number, now: number): void {
    const p = this.pending.get(seq);
    if (p !== undefined) p.ts = now;
    else this.pending.set(seq, { consumerSeq: dseq, ts: now });
  }

  /** Whether this consumer no longer needs `seq` (interest retention). */
  done(seq: number, subject: string): boolean {
    if (!filterMatches(this.cfg.filter_subject, subject)) return true;
    return seq < this.sseq && !this.pending.has(seq);
  }

  private ackWait(): number {
    return this.cfg.ack_wait > 0 ? this.cfg.ack_wait / NS : 30_000;
  }

  /** How long `seq` may stay unacked: ack_wait, or the backoff step for its delivery count (as nats-server indexes it). */
  private deadline(seq: number): number {
    const bo = this.cfg.backoff;
    if (bo.length === 0) return this.ackWait();
    return bo[Math.min(this.rdc.get(seq) ?? 0, bo.length - 1)]! / NS;
  }

  // ---- timers: redelivery, expiry, heartbeats, inactivity ----

  /** One timer for the next thing due: an ack_wait expiry, a request's expiry or heartbeat. */
  private schedule(): void {
    if (this.closed) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    let next = Infinity;
    for (const [seq, p] of this.pending) next = Math.min(next, p.ts + this.deadline(seq));
    for (const w of this.waiting) {
      if (w.expires > 0) next = Math.min(next, w.expires);
      if (w.hbNext > 0) next = Math.min(next, w.hbNext);
    }
    if (this.cfg.inactive_threshold > 0) next = Math.min(next, this.inactiveSince + this.cfg.inactive_threshold / NS);
    if (!this.isPull && this.cfg.idle_heartbeat > 0) next = Math.min(next, this.lastSent + this.cfg.idle_heartbeat / NS);
    // A push consumer without interest looks again for a subscriber on its deliver subject.
    if (!this.isPull) watchInterest(this, !this.pushBound());
    if (this.holdUntil > 0) next = Math.min(next, this.holdUntil);
    this.timerAt = next;
    if (next === Infinity) return;
    this.timer = setTimeout(() => this.tick(), Math.max(1, next - Date.now()));
    this.timer.unref();
  }

  private tick(): void {
    this.timer = null;
    if (this.closed) return;
    const now = Date.now();
    const due: number[] = [];
    for (const [seq, p] of this.pending) {
      if (this.stream.store.load(seq) === null) {
        this.pending.delete(seq);
        this.rdc.delete(seq);
        continue;
      }
      if (p.ts + this.deadline(seq) > now || this.rdq.includes(seq)) continue;
      p.ts = now;
      due.push(seq);
    }
    this.rdq.push(...due.sort((a, b) => a - b));
    this.expireWaiting(now);
    for (const w of this.waiting) {
      if (w.hbNext > 0 && w.hbNext <= now) {
        this.status(w.reply, this.heartbeat());
        w.hbNext = now + w.hb;
      }
    }
    const hb = this.cfg.idle_heartbeat / NS;
    if (!this.isPull && hb > 0 && now - this.lastSent >= hb) {
      this.lastSent = now;
      if (this.pushBound()) this.status(Buffer.from(this.cfg.deliver_subject, 'latin1'), this.heartbeat());
    }
    if (this.waiting.length > 0 || this.pushBound()) this.inactiveSince = now;
    if (this.cfg.inactive_threshold > 0 && now - this.inactiveSince >= this.cfg.inactive_threshold / NS) {
      void this.stream.deleteConsumer(this);
      return;
    }
    this.deliver();
    this.schedule();
  }

  /** nats-server's sendIdleHeartbeat: the last consumer and stream sequences delivered. */
  private heartbeat(): string {
    const h = `NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: ${this.dseq}\r\nNats-Last-Stream: ${Math.max(0, this.sseq - 1)}\r\n`;
    // Stalled on flow control: the client can answer the outstanding request from here.
    return this.fcid !== '' ? `${h}Nats-Consumer-Stalled: ${this.fcid}\r\n\r\n` : h + '\r\n';
  }

  /** Stops; `deleted` (not a shutdown): waiting requests get 409 Consumer Deleted. */
  stop(deleted: boolean): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    watchInterest(this, false);
    this.stream.owner.removeSub(this.ackSub);
    if (this.fcSub !== null) this.stream.owner.removeSub(this.fcSub);
    if (this.cstore !== null) void (deleted ? this.cstore.delete() : this.cstore.stop());
    const waiting = this.waiting.splice(0);
    if (!deleted) return;
    for (const w of waiting) this.status(w.reply, CONSUMER_DELETED);
    const subject = `${CONSUMER_DELETED_PRE}.${this.stream.name}.${this.name}`;
    this.advise(subject, () => consumerAction(this.stream.name, this.name, 'delete', this.stream.owner.domain));
  }

  // ---- info ----

  /** nats-server's ConsumerInfo JSON fields (without the response type). */
  renderInfo(): string {
    const seqInfo = (d: number, s: number, last: number): string =>
      `{"consumer_seq":${d},"stream_seq":${s}${last > 0 ? `,"last_active":${jsonTime(last)}` : ''}}`;
    let s = `"stream_name":${goJSON(this.stream.name)},"name":${goJSON(this.name)},"created":${jsonTime(this.created)}`;
    s += `,"config":${renderConsumerConfig(this.cfg)}`;
    s += `,"delivered":${seqInfo(this.dseq, this.sseq - 1, this.lastActive)}`;
    s += `,"ack_floor":${seqInfo(this.adflr, this.asflr, this.ackActive)}`;
    s += `,"num_ack_pending":${this.pending.size},"num_redelivered":${this.rdc.size},"num_waiting":${this.waiting.length}`;
    s += `,"num_pending":${this.infoNumPending()}`;
    return this.pushBound() ? s + ',"push_bound":true' : s;
  }
}

/** A ConsumerConfig as nats-server marshals it (field order and omitempty of consumer.go). */
export function renderConsumerConfig(c: ConsumerConfig): string {
  let s = '{';
  const add = (field: string): void => {
    s += (s.length > 1 ? ',' : '') + field;
  };
  if (c.durable_name !== '') add(`"durable_name":${goJSON(c.durable_name)}`);
  if (c.name !== '') add(`"name":${goJSON(c.name)}`);
  if (c.description !== '') add(`"description":${goJSON(c.description)}`);
  add(`"deliver_policy":"${c.deliver_policy}"`);
  if (c.opt_start_seq > 0) add(`"opt_start_seq":${c.opt_start_seq}`);
  if (c.opt_start_time !== null) add(`"opt_start_time":${goJSON(c.opt_start_time)}`);
  add(`"ack_policy":"${c.ack_policy}"`);
  if (c.ack_wait !== 0) add(`"ack_wait":${c.ack_wait}`);
  if (c.max_deliver !== 0) add(`"max_deliver":${c.max_deliver}`);
  if (c.backoff.length > 0) add(`"backoff":[${c.backoff.join(',')}]`);
  if (c.filter_subject !== '') add(`"filter_subject":${goJSON(c.filter_subject)}`);
  add(`"replay_policy":"${c.replay_policy}"`);
  if (c.rate_limit_bps > 0) add(`"rate_limit_bps":${c.rate_limit_bps}`);
  if (c.sample_freq !== '') add(`"sample_freq":${goJSON(c.sample_freq)}`);
  if (c.max_waiting !== 0) add(`"max_waiting":${c.max_waiting}`);
  if (c.max_ack_pending !== 0) add(`"max_ack_pending":${c.max_ack_pending}`);
  if (c.idle_heartbeat !== 0) add(`"idle_heartbeat":${c.idle_heartbeat}`);
  if (c.flow_control) add('"flow_control":true');
  if (c.headers_only) add('"headers_only":true');
  if (c.max_batch !== 0) add(`"max_batch":${c.max_batch}`);
  if (c.max_expires !== 0) add(`"max_expires":${c.max_expires}`);
  if (c.max_bytes !== 0) add(`"max_bytes":${c.max_bytes}`);
  if (c.deliver_subject !== '') add(`"deliver_subject":${goJSON(c.deliver_subject)}`);
  if (c.deliver_group !== '') add(`"deliver_group":${goJSON(c.deliver_group)}`);
  if (c.inactive_threshold !== 0) add(`"inactive_threshold":${c.inactive_threshold}`);
  add(`"num_replicas":${c.num_replicas}`);
  if (c.mem_storage) add('"mem_storage":true');
  if (c.direct) add('"direct":true');
  return s + '}';
}
