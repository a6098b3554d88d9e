// A stream (nats-server's stream.go for one server): its configuration, its store, the internal
// subscriptions on its subjects, and the publish path (processJetStreamMsg): the expected-*
// headers, deduplication by Nats-Msg-Id, rollups, limits through the store, republish and the
// publish acknowledgement written from a per-stream template.

import { internalSub, type Account, type InternalHandler, type Subscription } from '../accounts/account.js';
import { jsonTime, renderStreamConfig, goJSON, rfc3339, writeRfc3339, RFC3339_MAX, type StreamConfig, type StreamSource } from './json.js';
import {
  JSAccountResourcesExceededErr,
  JSInsufficientResourcesErr,
  JSStreamHeaderExceedsMaximumErr,
  JSStreamMessageExceedsMaximumErr,
  JSStreamNotMatchErr,
  JSStreamSealedErr,
  streamRollupFailed,
  streamStoreFailed,
  wrongLastMsgId,
  wrongLastSequence,
  type ApiError,
} from './errors.js';
import type { StoreLimits, StoreMsg, StreamStore } from './store/store.js';
import { HDR_OVERHEAD, MSG_OVERHEAD } from './store/file-format.js';
import { copyLatin1, copySpan } from '../protocol/batcher.js';
import { filterMatches, subjectIsLiteral, subjectIsSubsetMatch } from '../subjects/subject.js';
import { SubjectTransform } from '../subjects/transform.js';
import { HeldAcks } from './held-acks.js';

/**
 * A stream reading from an origin (a mirror or a source, sourcing.ts), in the origin's `readers`
 * while linked: told of each stored message and of the origin's end. It stands for nats-server's
 * internal AckNone consumer: interest and work-queue retention keep what it has not read.
 */
export interface OriginReader {
  /** Its filter subject ('' = all). */
  readonly filter: string;
  /** Whether it has still to read `seq` (on `subject`). */
  wants(seq: number, subject: string): boolean;
  signal(): void;
  originGone(): void;
}

/** A stream's mirror or sources (sourcing.ts implements it). */
export interface StreamSourcing {
  /** Links the mirror or every source (on the next turn). */
  start(): void;
  /** The config changed from `old` to `cfg`: sources added, removed or refiltered. */
  update(old: StreamConfig, cfg: StreamConfig): void;
  /** `,"mirror":{...}` or `,"sources":[...]` for stream info ('' for neither). */
  renderInfo(): string;
  stop(): void;
}

/** Who answers a mirror's or source's consumer create request (StreamOwner.lookupOrigin). */
export interface OriginLookup {
  /** The origin stream; null when the answering account has none or refuses (`error`). */
  stream: Stream | null;
  /** The API error of the answer (10059 when the stream is missing, 10039 without JetStream). */
  error: ApiError | null;
  /** Counts the request in the answering account's API counters. */
  countApi(error: boolean): void;
}

/** What a stream needs from its account's JetStream state (jetstream.ts implements it). */
export interface StreamOwner {
  readonly account: Account;
  /** The JetStream domain ('' = none). */
  readonly domain: string;
  /** The server's max_payload (a consumer's rate limit burst). */
  readonly maxPayload: number;
  /** Logs in nats-server's style (JetStreamHost.log). */
  log(level: 'INF' | 'ERR' | 'WRN' | 'DBG' | 'TRC', text: string): void;
  /** Publishes in the stream's account (replies, republish, deliveries; `frame` as JetStreamHost.publish). */
  publish(subject: Buffer, reply: Buffer | null, hdrLen: number, payload: Buffer, frame?: Buffer): void;
  /** Publishes a response on a request's reply subject (JetStreamHost.respond). */
  respond(reply: Buffer, hdrLen: number, payload: Buffer): void;
  addSub(sub: Subscription): void;
  removeSub(sub: Subscription): void;
  /**
   * The server's resource limit for this storage type is exceeded (10023 before storing a
   * message of at most `bytes`, as the stores count it).
   */
  serverLimitsExceeded(storage: 'file' | 'memory', bytes: number): boolean;
  /** The account's limit for this storage type is exceeded (10002 after storing a message of at most `bytes`). */
  accountLimitsExceeded(storage: 'file' | 'memory', bytes: number): boolean;
  /**
   * A file stream's purge by subject filter freed `bytes` that nats-server 2.9.10 leaves in the
   * account's storage usage (its file store's filtered PurgeEx skips the usage callback): the
   * account keeps counting them until a restart.
   */
  usageNotFreed(bytes: number): void;
  /**
   * Who answers the consumer create request of mirror or source `src`: this account, or for an
   * external one the account its API prefix reaches through this account's service imports;
   * 'remote' for an external prefix no import takes (the request goes out as a message: another
   * domain, across a leaf); null when nothing answers (deliveries that no stream import brings
   * back).
   */
  lookupOrigin(src: StreamSource): OriginLookup | 'remote' | null;
  /** The mirror or sources for `stream`'s config, not started; null when it has neither. */
  sourcing(stream: Stream): StreamSourcing | null;
}

const EMPTY = Buffer.alloc(0);
const MAX_HEADER = 65535;
const MSG_ID = 'Nats-Msg-Id';
const EXPECTED_STREAM = 'Nats-Expected-Stream';
const EXPECTED_LAST_SEQ = 'Nats-Expected-Last-Sequence';
const EXPECTED_LAST_SUBJ_SEQ = 'Nats-Expected-Last-Subject-Sequence';
const EXPECTED_LAST_MSG_ID = 'Nats-Expected-Last-Msg-Id';
const ROLLUP = 'Nats-Rollup';

/**
 * nats-server's getHeader: the value of the first `key:` that starts a header line (after
 * `\r\n`), leading spaces skipped, up to `\r`; null when absent.
 */
export function getHeader(hdr: Buffer, key: string): string | null {
  return getHeaderAt(hdr, 0, hdr.length, key);
}

/** getHeader of the header block b[h0, h1) (the publish path reads it in place). */
export function getHeaderAt(b: Buffer, h0: number, h1: number, key: string): string | null {
  const i = indexOfKey(b, h0, h1, key);
  if (i - h0 < 2 || b[i - 1] !== 0x0a || b[i - 2] !== 0x0d) return null;
  let p = i + key.length;
  if (p >= h1 || b[p] !== 0x3a) return null;
  p++;
  while (p < h1 && b[p] === 0x20) p++;
  let end = p;
  while (end < h1 && b[end] !== 0x0d) end++;
  return b.toString('latin1', p, end);
}

/** Where the ASCII `key` first occurs whole in b[h0, h1), or -1 (a loop: header blocks are short). */
function indexOfKey(b: Buffer, h0: number, h1: number, key: string): number {
  const n = key.length;
  const k0 = key.charCodeAt(0);
  for (let i = h0; i <= h1 - n; i++) {
    if (b[i] !== k0) continue;
    let k = 1;
    while (k < n && b[i + k] === key.charCodeAt(k)) k++;
    if (k === n) return i;
  }
  return -1;
}

/** nats-server's genHeader: `key: value` appended before the header block's closing CRLF. */
export function addHeader(hdr: string, key: string, value: string): string {
  const head = hdr.length > 2 ? hdr.slice(0, -2) : 'NATS/1.0\r\n';
  return `${head}${key}: ${value}\r\n\r\n`;
}

/** A direct get reply's headers after the subject and after the sequence (directReplyPlain). */
const DG_SEQUENCE = Buffer.from('\r\nNats-Sequence: ', 'latin1');
const DG_TIME_STAMP = Buffer.from('\r\nNats-Time-Stamp: ', 'latin1');

/** Writes the non-negative integer `n` in decimal at `at`; returns the offset after it. */
export function writeDecimal(b: Buffer, at: number, n: number): number {
  let len = 1;
  for (let p = 10; p <= n; p *= 10) len++;
  let i = at + len;
  do {
    const q = Math.floor(n / 10);
    b[--i] = 0x30 + n - q * 10;
    n = q;
  } while (n > 0);
  return at + len;
}

/** parseInt64 of a header value: -1 when not a plain unsigned decimal (uint64(-1) never matches). */
function headerSeq(v: string): number {
  return /^\d+$/.test(v) ? Number(v) : -1;
}

/** A consumer as its stream sees it (consumer.ts implements it). */
export interface StreamConsumer {
  readonly name: string;
  readonly cfg: { readonly filter_subject: string };
  /** Message `seq` on `subject` was stored (or room was made): deliver what can be delivered. */
  signal(seq?: number, subject?: string): void;
  /** The store dropped `seq` by itself (limits, max_age). */
  removed(seq: number, subject: string): void;
  /** Message `seq` was deleted through the API (a pending delivery of it is terminated). */
  deleted(seq: number): void;
  /**
   * The stream was purged: `fseq` is its first sequence after (0: none of the purge's filter
   * left), `lseq` its last; `applies`: the purge concerns this consumer (else only its count of
   * pending messages changes); `oneByOne`: the store removed the messages one at a time, as
   * deletes (nats-server's memory store purging by subject).
   */
  purge(fseq: number, lseq: number, applies: boolean, oneByOne: boolean): void;
  /** Whether the consumer no longer needs `seq` (interest retention). */
  done(seq: number, subject: string): boolean;
  /** Stops; `deleted`: the consumer (or its stream) was deleted, not the server shut down. */
  stop(deleted: boolean): void;
}

interface DedupeEntry {
  id: string;
  seq: number;
  ts: number;
}

/** nats-server's dgetGroup (sysGroup): the queue group of the direct get subscriptions. */
const DIRECT_GET_GROUP = '_sys_';

export class Stream implements InternalHandler {
  readonly clusterWide = false;
  cfg: StreamConfig;
  readonly created: number;
  readonly store: StreamStore;
  readonly owner: StreamOwner;
  private subs: Subscription[] = [];
  private directSubs: Subscription[] = [];
  /** A mirror with mirror_direct, once caught up: its origin's direct get subjects (mirrorDirect). */
  private mirrorDirectSubs: Subscription[] = [];
  /** The last sequence (the store's, kept here for the publish path). */
  private lseq = 0;
  private lmsgId = '';
  private readonly ddmap = new Map<string, DedupeEntry>();
  private ddarr: DedupeEntry[] = [];
  private ddindex = 0;
  private ddtimer: NodeJS.Timeout | null = null;
  /** The ids of the stored messages in the window were read back (nats-server's ddloaded; a restored stream reads them on first need). */
  private ddloaded = false;
  /** `{"stream":"S", "seq":` (nats-server's pubAck template) and room for the sequence and `}`. */
  private ackBuf: Buffer = EMPTY;
  private ackLen = 0;
  /** Views of ackBuf by length, made once each: an ack is written in place and sent through one of them. */
  private ackViews: Buffer[] = [];
  /** A direct get reply without stored headers is written here: `NATS/1.0\r\nNats-Stream: <name>\r\nNats-Subject: ` first. */
  private dgBuf: Buffer = EMPTY;
  private dgHeadLen = 0;
  /** Views of dgBuf by length, made once each (as ackViews). */
  private dgViews: Buffer[] = [];
  /** The reply subject of the publish in progress, copied out of the read buffer (receiveAt). */
  private replyBuf = Buffer.alloc(128);
  /** Views of replyBuf by length, made once each (as ackViews). */
  private replyViews: Buffer[] = [];
  /** The last published subject as bytes and as a string: a run of one subject makes one string. */
  private subjBytes = Buffer.alloc(64);
  private subjLen = -1;
  private subjStr = '';
  private transform: SubjectTransform | null = null;
  /** The consumers on this stream, by name. */
  readonly consumers = new Map<string, StreamConsumer>();
  /** The mirrors and sourcing streams reading from this one (sourcing.ts). */
  readonly readers = new Set<OriginReader>();
  /** This stream's mirror or sources; null when it has neither. */
  private sourcing: StreamSourcing | null = null;
  private closed = false;
  /** File streams: acks (and consumer signals) held until the turn's records are written (held-acks.ts). */
  private readonly held = new HeldAcks();
  private readonly releaseTask = (): void => this.releaseHeld();

  constructor(owner: StreamOwner, cfg: StreamConfig, store: StreamStore, created = Date.now()) {
    this.owner = owner;
    this.cfg = cfg;
    this.store = store;
    this.created = created;
    this.store.setLimits(storeLimits(cfg));
    this.store.onRemoved((seq, subject) => {
      for (const c of this.consumers.values()) c.removed(seq, subject);
    });
    const st = store.state();
    this.lseq = st.lastSeq;
    this.ddloaded = st.msgs === 0;
    this.configure();
    this.sourcing = owner.sourcing(this);
    this.sourcing?.start();
  }

  get name(): string {
    return this.cfg.name;
  }

  /** Subscribes to the subjects (and direct get), builds the ack template and the republish transform. */
  private configure(): void {
    const cfg = this.cfg;
    const domain = this.owner.domain;
    const head = domain !== '' ? `{"stream":${goJSON(cfg.name)}, "domain":${goJSON(domain)}, "seq":` : `{"stream":${goJSON(cfg.name)}, "seq":`;
    this.ackLen = Buffer.byteLength(head);
    this.ackBuf = Buffer.alloc(this.ackLen + 40);
    this.ackBuf.write(head, 0);
    this.ackViews = [];
    const dgHead = `NATS/1.0\r\nNats-Stream: ${cfg.name}\r\nNats-Subject: `;
    this.dgHeadLen = Buffer.byteLength(dgHead, 'latin1');
    this.dgBuf = Buffer.alloc(this.dgHeadLen + 256);
    this.dgBuf.write(dgHead, 0, 'latin1');
    this.dgViews = [];
    this.transform = cfg.republish !== null ? new SubjectTransform(cfg.republish.src || '>', cfg.republish.dest) : null;
    for (const s of this.subs) this.owner.removeSub(s);
    this.subs = cfg.subjects.map((subject) => internalSub(subject, this));
    for (const s of this.subs) this.owner.addSub(s);
    this.setDirect(cfg.allow_direct);
  }

  private setDirect(on: boolean): void {
    if (on === this.directSubs.length > 0) return;
    if (!on) {
      for (const s of this.directSubs) this.owner.removeSub(s);
      this.directSubs = [];
      return;
    }
    this.directSubs = this.directGetSubs(this.cfg.name);
    for (const s of this.directSubs) this.owner.addSub(s);
  }

  /**
   * The subscriptions that answer direct gets for stream `name` from this stream's store: queue
   * members of DIRECT_GET_GROUP, as nats-server's (the origin and its mirrors share the requests).
   */
  private directGetSubs(name: string): Subscription[] {
    const byReq: InternalHandler = { clusterWide: false, receive: (_s, reply, hdrLen, payload) => this.directGet(reply, hdrLen, payload) };
    const bySubj: InternalHandler = { clusterWide: false, receive: (subject, reply, hdrLen, payload) => this.directGetLast(subject, reply, hdrLen, payload) };
    return [internalSub(`$JS.API.DIRECT.GET.${name}`, byReq, DIRECT_GET_GROUP), internalSub(`$JS.API.DIRECT.GET.${name}.>`, bySubj, DIRECT_GET_GROUP)];
  }

  /**
   * nats-server's subscribeToMirrorDirect (a mirror with mirror_direct that caught up with its
   * origin `origin` answers the origin's direct gets too) and, with null, its undoing when the
   * mirror's link is reset or stopped (cancelSourceInfo).
   */
  mirrorDirect(origin: string | null): void {
    if (origin === null || this.closed) {
      for (const s of this.mirrorDirectSubs) this.owner.removeSub(s);
      this.mirrorDirectSubs = [];
      return;
    }
    if (!this.cfg.mirror_direct || this.mirrorDirectSubs.length > 0) return;
    this.mirrorDirectSubs = this.directGetSubs(origin);
    for (const s of this.mirrorDirectSubs) this.owner.addSub(s);
  }

  /** A validated new configuration (update): limits, subjects, direct get and the ack template follow it. */
  update(cfg: StreamConfig): void {
    const old = this.cfg;
    this.cfg = cfg;
    if (cfg.duplicate_window !== old.duplicate_window) this.purgeMsgIds();
    this.store.setLimits(storeLimits(cfg));
    this.configure();
    this.sourcing ??= this.owner.sourcing(this);
    this.sourcing?.update(old, cfg);
  }

  /** Stops taking messages; `remove` deletes the stored data too. */
  async stop(remove: boolean): Promise<void> {
    // Publishes taken before the stop (a delete request in the same read) are written and acked.
    if (!this.closed) this.releaseHeld();
    this.closed = true;
    this.sourcing?.stop();
    for (const r of [...this.readers]) r.originGone();
    this.readers.clear();
    for (const c of this.consumers.values()) c.stop(remove);
    this.consumers.clear();
    for (const s of [...this.subs, ...this.directSubs, ...this.mirrorDirectSubs]) this.owner.removeSub(s);
    this.subs = [];
    this.directSubs = [];
    this.mirrorDirectSubs = [];
    if (this.ddtimer !== null) clearTimeout(this.ddtimer);
    this.ddtimer = null;
    await (remove ? this.store.delete() : this.store.stop());
  }

  // ---- the publish path ----

  /** A message on one of the stream's subjects (InternalHandler). */
  receive(subjectBuf: Buffer, replyBuf: Buffer | null, hdrLen: number, payload: Buffer): void {
    if (this.closed) return;
    const canRespond = !this.cfg.no_ack && replyBuf !== null && replyBuf.length > 0;
    const h1 = hdrLen > 0 ? hdrLen : 0;
    this.process(this.subjectOf(subjectBuf, 0, subjectBuf.length), canRespond ? replyBuf : null, payload, 0, h1, payload, h1, payload.length, 0);
  }

  /**
   * A client's publish on one of the stream's subjects, by offsets into its read buffer
   * (InternalHandler.receiveAt): checked and stored in place, no view made. What outlives the
   * call is copied: the subject into a string, the reply into replyBuf, the message by the store.
   */
  receiveAt(buf: Buffer, s0: number, s1: number, r0: number, r1: number, hdrLen: number, p0: number, p1: number): void {
    if (this.closed) return;
    const reply = !this.cfg.no_ack && r1 > r0 ? this.replyOf(buf, r0, r1) : null;
    const h1 = hdrLen > 0 ? p0 + hdrLen : p0;
    this.process(this.subjectOf(buf, s0, s1), reply, buf, p0, h1, buf, h1, p1, 0);
  }

  /** b[s0, s1) as a string: the last one's string again when the bytes are the same. */
  private subjectOf(b: Buffer, s0: number, s1: number): string {
    const n = s1 - s0;
    const last = this.subjBytes;
    if (n === this.subjLen) {
      let i = 0;
      while (i < n && last[i] === b[s0 + i]) i++;
      if (i === n) return this.subjStr;
    }
    const s = b.toString('latin1', s0, s1);
    if (n > last.length) this.subjBytes = Buffer.alloc(Math.max(n, last.length * 2));
    b.copy(this.subjBytes, 0, s0, s1);
    this.subjLen = n;
    this.subjStr = s;
    return s;
  }

  /** b[r0, r1) copied into replyBuf, as a view valid until the next publish. */
  private replyOf(b: Buffer, r0: number, r1: number): Buffer {
    const n = r1 - r0;
    if (n > this.replyBuf.length) {
      this.replyBuf = Buffer.alloc(Math.max(n, this.replyBuf.length * 2));
      this.replyViews = [];
    }
    copySpan(this.replyBuf, 0, b, r0, r1);
    return (this.replyViews[n] ??= this.replyBuf.subarray(0, n));
  }

  /**
   * A sourced message (sourcing.ts): processed as a publish without a reply, stored at the next
   * sequence at `ts` (0: now). Returns null when taken (stored, or dropped as a duplicate or
   * without interest), else why it was refused.
   */
  ingest(subject: string, hdr: Buffer, msg: Buffer, ts: number): string | null {
    if (this.closed) return 'stream closed';
    return this.process(subject, null, hdr, 0, hdr.length, msg, 0, msg.length, ts);
  }

  /**
   * A mirrored message, stored at its origin's sequence and time (processInboundMirrorMsg):
   * older ones are ignored, gaps are skipped sequences, and a new mirror starts at the first
   * sequence it gets (the store's Compact). Returns null or why it was refused.
   */
  storeMirrored(sm: StoreMsg): string | null {
    if (this.closed) return 'stream closed';
    if (sm.seq <= this.lseq) return null;
    if (sm.seq > this.lseq + 1) {
      const st = this.store.state();
      if (st.msgs === 0 && st.lastSeq === 0) {
        this.store.purge({ seq: sm.seq });
        this.lseq = sm.seq - 1;
      } else {
        while (this.lseq < sm.seq - 1) this.lseq = this.store.skip();
      }
    }
    return this.process(sm.subject, null, sm.hdr, 0, sm.hdr.length, sm.msg, 0, sm.msg.length, sm.ts);
  }

  /**
   * processJetStreamMsg: the checks, the store and the ack (`reply` null: none is sent). The
   * headers are hb[h0, h1), the body mb[m0, m1) (for a publish, both in the read buffer: read in
   * place, copied only by the store). Returns null when the message was taken, else the refusal's
   * description.
   */
  private process(subject: string, reply: Buffer | null, hb: Buffer, h0: number, h1: number, mb: Buffer, m0: number, m1: number, ts: number): string | null {
    const cfg = this.cfg;
    if (cfg.sealed) return this.refuse(reply, JSStreamSealedErr);
    let msgId = '';
    let rollup = '';
    const hdrLen = h1 - h0;
    if (hdrLen > 0) {
      const sname = getHeaderAt(hb, h0, h1, EXPECTED_STREAM);
      if (sname !== null && sname !== '' && sname !== cfg.name) return this.refuse(reply, JSStreamNotMatchErr);
      msgId = getHeaderAt(hb, h0, h1, MSG_ID) ?? '';
      if (msgId !== '') {
        const dde = this.checkMsgId(msgId);
        if (dde !== null) {
          // A duplicate of a message not yet written waits with it (and fails with it).
          if (this.store.type === 'file' && dde.seq > this.store.writtenThrough()) {
            if (this.held.push(reply, dde.seq, subject, '', true)) queueMicrotask(this.releaseTask);
          } else if (reply !== null) this.ack(reply, dde.seq, true);
          return null;
        }
      }
      const lss = getHeaderAt(hb, h0, h1, EXPECTED_LAST_SUBJ_SEQ);
      if (lss !== null) {
        const want = headerSeq(lss);
        const last = this.store.loadLast(subject);
        const fseq = last === null ? 0 : last.seq;
        if (fseq !== want) return this.refuse(reply, wrongLastSequence(fseq));
      }
      const ls = getHeaderAt(hb, h0, h1, EXPECTED_LAST_SEQ);
      if (ls !== null && headerSeq(ls) !== this.lseq) return this.refuse(reply, wrongLastSequence(this.lseq));
      const lmid = getHeaderAt(hb, h0, h1, EXPECTED_LAST_MSG_ID);
      if (lmid !== null && lmid !== '' && this.lmsgId === '' && !this.ddloaded) this.rebuildDedupe();
      if (lmid !== null && lmid !== '' && lmid !== this.lmsgId) return this.refuse(reply, wrongLastMsgId(this.lmsgId));
      rollup = getHeaderAt(hb, h0, h1, ROLLUP) ?? '';
      if (rollup !== '') {
        if (!cfg.allow_rollup_hdrs || cfg.deny_purge) return this.refuse(reply, streamRollupFailed('rollup not permitted'));
        // An unknown rollup value is dropped without a reply (nats-server returns an error).
        if (rollup !== 'sub' && rollup !== 'all') return `rollup value invalid: ${goJSON(rollup)}`;
      }
    }
    if (cfg.max_msg_size >= 0 && hdrLen + m1 - m0 > cfg.max_msg_size) return this.refuse(reply, JSStreamMessageExceedsMaximumErr);
    if (hdrLen > MAX_HEADER) return this.refuse(reply, JSStreamHeaderExceedsMaximumErr);
    // What either store counts for the message, at most (the file store's size is the larger).
    const bytes = subject.length + hdrLen + (m1 - m0) + MSG_OVERHEAD + HDR_OVERHEAD;
    if (this.owner.serverLimitsExceeded(cfg.storage, bytes)) return this.refuse(reply, JSInsufficientResourcesErr);
    if (ts === 0) ts = Date.now();
    if (cfg.retention === 'interest' && !this.hasInterest(subject)) {
      // No interest: the sequence is used up without storing (nats-server's SkipMsg).
      this.lseq = this.store.skip();
      this.lmsgId = msgId;
      if (msgId !== '') this.storeMsgId({ id: msgId, seq: 0, ts });
      if (reply !== null) this.ack(reply, this.lseq, false);
      return null;
    }
    let tlseq = 0;
    if (this.transform !== null) tlseq = this.store.loadLast(subject)?.seq ?? 0;
    const seq = this.store.storeAt(subject, hb, h0, h1, mb, m0, m1, ts);
    if (typeof seq !== 'number') {
      this.lseq = this.store.state().lastSeq;
      return this.refuse(reply, seq === 'insufficient resources' ? JSInsufficientResourcesErr : streamStoreFailed(seq));
    }
    if (this.owner.accountLimitsExceeded(cfg.storage, bytes)) {
      this.store.remove(seq, false);
      this.lseq = this.store.state().lastSeq;
      return this.refuse(reply, JSAccountResourcesExceededErr);
    }
    this.lseq = seq;
    this.lmsgId = msgId;
    if (msgId !== '') this.storeMsgId({ id: msgId, seq, ts });
    if (rollup === 'sub') this.purge({ filter: subject, keep: 1 });
    else if (rollup === 'all') this.purge({ keep: 1 });
    if (this.transform !== null) this.republish(subject, hdrLen > 0 ? hb.subarray(h0, h1) : EMPTY, mb.subarray(m0, m1), seq, tlseq);
    if (this.store.type === 'file') {
      if (this.held.push(reply, seq, subject, msgId)) queueMicrotask(this.releaseTask);
      return null;
    }
    if (reply !== null) this.ack(reply, seq, false);
    for (const c of this.consumers.values()) c.signal(seq, subject);
    for (const r of this.readers) r.signal();
    return null;
  }

  /** A refused message: the error ack when there is a reply; returns the description. */
  private refuse(reply: Buffer | null, err: ApiError): string {
    if (reply !== null) this.ackError(reply, err);
    return err.description;
  }

  /**
   * The end of a turn of a file stream's publishes: the store writes what it buffers, then each
   * held message is acked and signalled to the consumers, or, when the write failed and the store
   * took it back, answered with 503/10023 and forgotten (its Nats-Msg-Id too, so a retry stores it).
   */
  private releaseHeld(): void {
    const h = this.held;
    if (this.closed) return h.clear();
    this.store.writePending();
    const through = this.store.writtenThrough();
    const signal = this.consumers.size > 0;
    let lost = false;
    for (let i = 0; i < h.count; i++) {
      const seq = h.seqs[i]!;
      const reply = h.reply(i);
      const dup = h.dups[i]!;
      if (seq <= through) {
        if (reply !== null) this.ack(reply, seq, dup);
        if (signal && !dup) for (const c of this.consumers.values()) c.signal(seq, h.subjects[i]);
        continue;
      }
      lost = true;
      if (reply !== null) this.ackError(reply, JSInsufficientResourcesErr);
      const id = h.msgIds[i]!;
      if (id !== '' && this.ddmap.get(id)?.seq === seq) this.ddmap.delete(id);
    }
    const written = h.count > 0 && h.seqs[0]! <= through;
    h.clear();
    if (written) for (const r of this.readers) r.signal();
    if (lost) {
      this.lseq = this.store.state().lastSeq;
      this.lmsgId = '';
    }
  }

  /**
   * Purges through the store (nats-server's PurgeEx; throws its errors) and moves the consumers
   * on as nats-server's stream purge does: with a request (`req` not null, even one without a
   * filter), only the consumers whose filter takes the request's filter subject.
   */
  purge(req: { filter?: string; seq?: number; keep?: number } | null): number {
    const f = req?.filter ?? '';
    const filtered = this.store.type === 'file' && f !== '' && f !== '>';
    const before = filtered ? this.store.storedBytes() : 0;
    const n = this.store.purge(req ?? {});
    if (filtered) this.owner.usageNotFreed(before - this.store.storedBytes());
    const st = this.store.state();
    const fseq = f !== '' ? this.store.filteredState(st.firstSeq, f).first : st.firstSeq;
    const oneByOne = this.store.type === 'memory' && f !== '' && f !== '>';
    for (const c of this.consumers.values()) {
      // isFilteredMatch: no filter takes all; a literal filter that subject only; a wildcard one its subsets.
      const cf = c.cfg.filter_subject;
      const applies = req === null || cf === '' || (subjectIsLiteral(cf) ? f === cf : subjectIsSubsetMatch(f, cf));
      c.purge(fseq, st.lastSeq, applies, oneByOne);
    }
    return n;
  }

  /** Deletes one message (erasing it or not) and tells the consumers; false when it was not there. */
  removeMsg(seq: number, erase: boolean): boolean {
    if (!this.store.remove(seq, erase)) return false;
    for (const c of this.consumers.values()) c.deleted(seq);
    return true;
  }

  /** Interest retention: whether a consumer's filter takes `subject`. */
  private hasInterest(subject: string): boolean {
    for (const c of this.consumers.values()) {
      const f = c.cfg.filter_subject;
      if (f === '' || filterMatches(f, subject)) return true;
    }
    // The internal consumers of mirrors and sources count, as nats-server's direct consumers.
    for (const r of this.readers) if (r.filter === '' || filterMatches(r.filter, subject)) return true;
    return false;
  }

  /** A consumer acked `seq`: a work queue drops it, interest retention once no consumer needs it. */
  consumerAcked(_consumer: StreamConsumer, seq: number): void {
    const r = this.cfg.retention;
    if (r === 'limits') return;
    const sm = this.store.load(seq);
    if (sm === null) return;
    if (r === 'interest') {
      for (const c of this.consumers.values()) if (!c.done(seq, sm.subject)) return;
    }
    for (const rd of this.readers) if (rd.wants(seq, sm.subject)) return;
    this.store.remove(seq, false);
  }

  /** A mirror or source read `seq`: its AckNone consumer acked on delivery (interest and work-queue retention). */
  readerTook(reader: OriginReader, seq: number): void {
    if (this.cfg.retention === 'limits') return;
    const sm = this.store.load(seq);
    if (sm === null) return;
    for (const c of this.consumers.values()) if (!c.done(seq, sm.subject)) return;
    for (const rd of this.readers) if (rd !== reader && rd.wants(seq, sm.subject)) return;
    this.store.remove(seq, false);
  }

  /** Removes a consumer (API delete, or an ephemeral one gone inactive). */
  async deleteConsumer(c: StreamConsumer): Promise<void> {
    if (this.consumers.get(c.name) !== c) return;
    this.consumers.delete(c.name);
    c.stop(true);
  }

  /** The PubAck from the template: `{"stream":"S", "seq":N}` (or `,"duplicate": true}`), written in place. */
  private ack(reply: Buffer, seq: number, duplicate: boolean): void {
    const b = this.ackBuf;
    let off = writeDecimal(b, this.ackLen, seq);
    if (duplicate) off += b.write(',"duplicate": true}', off, 'latin1');
    else b[off++] = 0x7d;
    const view = (this.ackViews[off] ??= b.subarray(0, off));
    this.owner.respond(reply, -1, view);
  }

  /** A publish refused: `{"error":{...},"stream":"S","seq":0}`. */
  private ackError(reply: Buffer, err: ApiError): void {
    this.owner.respond(reply, -1, Buffer.from(`{"error":${goJSON(err)},"stream":${goJSON(this.cfg.name)},"seq":0}`));
  }

  private republish(subject: string, hdr: Buffer, msg: Buffer, seq: number, tlseq: number): void {
    const tsubj = this.transform!.match(subject);
    if (tsubj === null) return;
    const rp = this.cfg.republish!;
    const name = this.cfg.name;
    let h: string;
    if (hdr.length === 0) {
      h = `NATS/1.0\r\nNats-Stream: ${name}\r\nNats-Subject: ${subject}\r\nNats-Sequence: ${seq}\r\nNats-Last-Sequence: ${tlseq}\r\n`;
      if (rp.headers_only) h += `Nats-Msg-Size: ${msg.length}\r\n`;
      h += '\r\n';
    } else {
      h = addHeader(hdr.toString('latin1'), 'Nats-Stream', name);
      h = addHeader(h, 'Nats-Subject', subject);
      h = addHeader(h, 'Nats-Sequence', String(seq));
      h = addHeader(h, 'Nats-Last-Sequence', String(tlseq));
      if (rp.headers_only) h = addHeader(h, 'Nats-Msg-Size', String(msg.length));
    }
    const hb = Buffer.from(h, 'latin1');
    const payload = rp.headers_only ? hb : Buffer.concat([hb, msg]);
    this.owner.publish(Buffer.from(tsubj, 'latin1'), null, hb.length, payload);
  }

  // ---- deduplication (nats-server's ddmap / ddarr) ----

  private checkMsgId(id: string): DedupeEntry | null {
    if (!this.ddloaded) this.rebuildDedupe();
    return this.ddmap.get(id) ?? null;
  }

  /** nats-server's rebuildDedupe: the Nats-Msg-Id of every stored message in the window, and the last message's as lmsgId. */
  private rebuildDedupe(): void {
    this.ddloaded = true;
    const window = this.cfg.duplicate_window / 1e6;
    const last = this.store.state().lastSeq;
    for (let seq = this.store.seqFromTime(Date.now() - window); seq <= last; seq++) {
      const sm = this.store.load(seq);
      if (sm === null) continue;
      const id = sm.hdr.length > 0 ? (getHeader(sm.hdr, MSG_ID) ?? '') : '';
      if (id !== '') this.storeMsgId({ id, seq, ts: sm.ts });
      if (seq === last) this.lmsgId = id;
    }
  }

  private storeMsgId(dde: DedupeEntry): void {
    // No window (a mirror's): nothing is remembered (nats-server's timer purges it at once).
    if (this.cfg.duplicate_window <= 0) return;
    this.ddmap.set(dde.id, dde);
    this.ddarr.push(dde);
    if (this.ddtimer === null && this.cfg.duplicate_window > 0) {
      this.ddtimer = setTimeout(() => this.purgeMsgIds(), this.cfg.duplicate_window / 1e6);
      this.ddtimer.unref();
    }
  }

  /** Drops the ids past the window; re-arms the timer for the next one to expire. */
  private purgeMsgIds(): void {
    if (this.ddtimer !== null) clearTimeout(this.ddtimer);
    this.ddtimer = null;
    const now = Date.now();
    const window = this.cfg.duplicate_window / 1e6;
    while (this.ddindex < this.ddarr.length) {
      const dde = this.ddarr[this.ddindex]!;
      if (now - dde.ts < window) break;
      if (this.ddmap.get(dde.id) === dde) this.ddmap.delete(dde.id);
      this.ddindex++;
    }
    if (this.ddindex * 3 > this.ddarr.length * 2 || this.ddindex === this.ddarr.length) {
      this.ddarr = this.ddarr.slice(this.ddindex);
      this.ddindex = 0;
    }
    if (this.ddarr.length > 0 && !this.closed) {
      const next = this.ddarr[this.ddindex]!;
      this.ddtimer = setTimeout(() => this.purgeMsgIds(), Math.max(1, window - (now - next.ts)));
      this.ddtimer.unref();
    }
  }

  // ---- direct get (stream.go processDirectGetRequest / getDirectRequest) ----

  private directGet(reply: Buffer | null, hdrLen: number, payload: Buffer): void {
    if (reply === null || reply.length === 0) return;
    const body = hdrLen > 0 ? payload.subarray(hdrLen) : payload;
    if (body.length === 0) return this.directStatus(reply, '408 Empty Request');
    let req: { seq?: unknown; last_by_subj?: unknown; next_by_subj?: unknown };
    try {
      req = JSON.parse(body.toString('utf8'));
      if (typeof req !== 'object' || req === null) throw new Error();
    } catch {
      return this.directStatus(reply, '408 Malformed Request');
    }
    const seq = typeof req.seq === 'number' ? req.seq : 0;
    const last = typeof req.last_by_subj === 'string' ? req.last_by_subj : '';
    const next = typeof req.next_by_subj === 'string' ? req.next_by_subj : '';
    if (seq === 0 && last === '' && next === '') return this.directStatus(reply, '408 Empty Request');
    if ((seq > 0 && last !== '') || (last !== '' && next !== '')) return this.directStatus(reply, '408 Bad Request');
    this.directReply(reply, seq, last, next);
  }

  private directGetLast(subject: Buffer, reply: Buffer | null, hdrLen: number, payload: Buffer): void {
    if (reply === null || reply.length === 0) return;
    if (payload.length - Math.max(0, hdrLen) !== 0) return this.directStatus(reply, '408 Bad Request');
    // The key: everything after the 5th token ($JS.API.DIRECT.GET.<stream>.<key>).
    let n = 0;
    let key = '';
    for (let i = 0; i < subject.length; i++) {
      if (subject[i] !== 0x2e) continue;
      if (n === 4) {
        key = subject.toString('latin1', i + 1);
        break;
      }
      n++;
    }
    if (key === '') return this.directStatus(reply, '408 Bad Request');
    this.directReply(reply, 0, key, '');
  }

  private directStatus(reply: Buffer, status: string): void {
    const h = Buffer.from(`NATS/1.0 ${status}\r\n\r\n`, 'latin1');
    this.owner.respond(reply, h.length, h);
  }

  private directReply(reply: Buffer, seq: number, last: string, next: string): void {
    const sm = seq > 0 && next === '' ? this.store.load(seq) : next !== '' ? this.store.loadNext(next, seq) : this.store.loadLast(last);
    if (sm === null) return this.directStatus(reply, '404 Message Not Found');
    if (sm.hdr.length === 0) return this.directReplyPlain(reply, sm);
    const name = this.cfg.name;
    let h = addHeader(sm.hdr.toString('latin1'), 'Nats-Stream', name);
    h = addHeader(h, 'Nats-Subject', sm.subject);
    h = addHeader(h, 'Nats-Sequence', String(sm.seq));
    h = addHeader(h, 'Nats-Time-Stamp', rfc3339(sm.ts));
    const hb = Buffer.from(h, 'latin1');
    this.owner.respond(reply, hb.length, Buffer.concat([hb, sm.msg]));
  }

  /**
   * The reply to a direct get of a message stored without headers, written into dgBuf after its
   * stream name: `...Nats-Subject: <subject>\r\nNats-Sequence: <seq>\r\nNats-Time-Stamp: <time>\r\n\r\n<msg>`.
   */
  private directReplyPlain(reply: Buffer, sm: StoreMsg): void {
    const subject = sm.subject;
    const need = this.dgHeadLen + subject.length + 64 + RFC3339_MAX + sm.msg.length;
    let b = this.dgBuf;
    if (need > b.length) {
      const nb = Buffer.alloc(Math.max(need, b.length * 2));
      b.copy(nb, 0, 0, this.dgHeadLen);
      this.dgBuf = b = nb;
      this.dgViews = [];
    }
    let w = copyLatin1(b, this.dgHeadLen, subject);
    w = copySpan(b, w, DG_SEQUENCE, 0, DG_SEQUENCE.length);
    w = writeDecimal(b, w, sm.seq);
    w = copySpan(b, w, DG_TIME_STAMP, 0, DG_TIME_STAMP.length);
    w = writeRfc3339(b, w, sm.ts);
    b[w++] = 0x0d;
    b[w++] = 0x0a;
    b[w++] = 0x0d;
    b[w++] = 0x0a;
    const hdrLen = w;
    w = copySpan(b, w, sm.msg, 0, sm.msg.length);
    const view = (this.dgViews[w] ??= b.subarray(0, w));
    this.owner.respond(reply, hdrLen, view);
  }

  // ---- info ----

  /** The `state` object of stream info (nats-server's StreamState JSON). */
  renderState(details: boolean, subjects: Map<string, number> | null): string {
    const st = this.store.state();
    let s = `{"messages":${st.msgs},"bytes":${st.bytes},"first_seq":${st.firstSeq},"first_ts":${jsonTime(st.firstTs)}`;
    s += `,"last_seq":${st.lastSeq},"last_ts":${jsonTime(st.lastTs)}`;
    if (st.numSubjects > 0) s += `,"num_subjects":${st.numSubjects}`;
    if (subjects !== null && subjects.size > 0) {
      s += ',"subjects":{' + [...subjects].map(([k, v]) => `${goJSON(k)}:${v}`).join(',') + '}';
    }
    if (st.numDeleted > 0) {
      s += `,"num_deleted":${st.numDeleted}`;
      if (details) s += `,"deleted":[${this.store.deleted().join(',')}]`;
    }
    return s + `,"consumer_count":${this.consumers.size}}`;
  }

  /** `"config":...,"created":...,"state":...` (the StreamInfo fields, without braces). */
  renderInfoFields(details = false, subjects: Map<string, number> | null = null): string {
    return `"config":${renderStreamConfig(this.cfg)},"created":${jsonTime(this.created)},"state":${this.renderState(details, subjects)}`;
  }

  /** `,"mirror":{...}` or `,"sources":[...]`: the StreamInfo fields after the domain ('' for neither). */
  renderSourcing(): string {
    return this.sourcing?.renderInfo() ?? '';
  }

  /** The stored size (bytes) for account usage. */
  get bytes(): number {
    return this.store.storedBytes();
  }
}

/** The limits a store applies, from a stream config. */
export function storeLimits(cfg: StreamConfig): StoreLimits {
  return {
    maxMsgs: cfg.max_msgs,
    maxBytes: cfg.max_bytes,
    maxAgeMs: cfg.max_age / 1e6,
    maxMsgsPer: cfg.max_msgs_per_subject,
    maxMsgSize: cfg.max_msg_size,
    discard: cfg.discard,
    discardNewPer: cfg.discard_new_per_subject,
  };
}
