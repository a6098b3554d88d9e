// Mirrors and sources on one server (nats-server's stream.go: setupMirrorConsumer,
// processInboundMirrorMsg, setSourceConsumer, processInboundSourceMsg and the start-sequence
// scans). nats-server feeds a mirror or a source through an internal push consumer on the origin
// stream; here a link reads the origin's store in-process and is signalled by the origin on every
// stored message. What a client sees is the same: a mirror keeps the origin's sequences and times
// (gaps from a filter or deleted messages are skipped sequences), a source appends the messages
// with a `Nats-Stream-Source: <name> <origin seq>` header, and stream info shows each link's
// `lag`, `active` and `error`. The link is created as nats-server's consumer would be: not
// before the next turn, retried every 2 s (sourceConsumerRetryThreshold) while the origin is
// missing (10059 in the info), again 3 s after the origin went away (the missed heartbeats of
// processMirrorMsgs), and each attempt counts as an API request of the account that answers
// it, as nats-server's consumer create requests do. An external origin is found where the
// account's imports route the request (StreamOwner.lookupOrigin).

import { createHash } from 'node:crypto';
import { JSStreamNotFoundErr, type ApiError } from './errors.js';
import { goJSON, renderExternal, type StreamConfig, type StreamSource } from './json.js';
import { addHeader, getHeader, type OriginReader, type Stream, type StreamOwner, type StreamSourcing } from './stream.js';
import { filterMatches, isSubsetMatch } from '../subjects/subject.js';
import { internalSub, randomToken, type Subscription } from '../accounts/account.js';

/** nats-server's sourceConsumerRetryThreshold and sourceHealthCheckInterval (the consumer's idle heartbeat). */
const RETRY_MS = 2000;
const HEARTBEAT_MS = 1000;
/** processMirrorMsgs / processSourceMsgs: stalled after 3 heartbeats. */
const STALL_MS = 3 * HEARTBEAT_MS;
/** How long nats-server waits for a consumer create response before it asks again. */
const NO_ANSWER_MS = 5000;
/** Origin messages taken per turn before yielding to the loop. */
const BATCH = 4096;
/** nats-server's JSStreamSource header. */
export const STREAM_SOURCE_HDR = 'Nats-Stream-Source';
/** The consumer a remote origin feeds a link through: nats-server's ack wait (22 h) and max deliver. */
const REMOTE_ACK_WAIT_NS = 22 * 3600 * 1e9;
const NS = 1e6;
/** nats-server's isControlMsg: an empty body under a `NATS/1.0 100` status (heartbeat or flow control). */
const CONTROL_STATUS = Buffer.from('NATS/1.0 100', 'latin1');
const EMPTY = Buffer.alloc(0);

/**
 * A link's consumer on a remote origin (an external API prefix that leaves the account: another
 * domain, across a leaf node), as nats-server's setupMirrorConsumer / setSourceConsumer make it:
 * a push consumer (no acks, flow control, 1 s idle heartbeats) created by a request on
 * `<api>.CONSUMER.CREATE.<stream>`, delivering to `$JS.M.<token>` / `$JS.S.<token>` (or the
 * external `deliver` prefix).
 */
interface RemoteConsumer {
  readonly deliver: Subscription;
  readonly reply: Subscription;
  /** The create response came (the consumer exists). */
  created: boolean;
  /** The consumer's name, from the first delivery's ack reply. */
  cname: string;
  /** The last delivery sequence taken. */
  dseq: number;
  /** Messages pending at the origin after the last one taken. */
  lag: number;
}

/** nats-server's sourceInfo: one mirror or source of a stream. */
class Link implements OriginReader {
  readonly src: StreamSource;
  private readonly target: Stream;
  private readonly owner: StreamOwner;
  private readonly mirror: boolean;
  /** The origin while linked (nats-server: the consumer exists). */
  private origin: Stream | null = null;
  /** The next origin sequence to read. */
  private next = 0;
  /** The last origin sequence taken (sourceInfo.sseq). */
  sseq = 0;
  /** Sources: the target's last message time at start, the fallback start (sourceInfo.start). */
  start = 0;
  /** When the origin was last heard from (ms; 0: never). */
  private last = 0;
  private err: ApiError | null = null;
  /** When the last link attempt was made (sourceInfo.lreq). */
  private lreq = 0;
  private timer: NodeJS.Timeout | null = null;
  private scheduled = false;
  private stopped = false;
  /** A remote origin's consumer while linked that way. */
  private remote: RemoteConsumer | null = null;

  constructor(target: Stream, owner: StreamOwner, src: StreamSource, mirror: boolean) {
    this.target = target;
    this.owner = owner;
    this.src = src;
    this.mirror = mirror;
  }

  /** The indexed name (sourceInfo.iname): the stream name, with `:<hash of the API prefix>` when external. */
  get iname(): string {
    return indexName(this.src);
  }

  /**
   * setupMirrorConsumer / setSourceConsumer: links to the origin from `seq` (sources; a mirror
   * starts after its last sequence) or, for a source, from `startMs` when given and seq > 1.
   */
  link(seq: number, startMs: number): void {
    this.unlink();
    if (this.stopped) return;
    const now = Date.now();
    if (now - this.lreq < RETRY_MS) {
      this.retry(this.lreq + RETRY_MS - now + 10, seq, startMs);
      return;
    }
    this.lreq = now;
    const found = this.owner.lookupOrigin(this.src);
    if (found === 'remote') {
      this.linkRemote(seq, startMs);
      return;
    }
    if (found === null) {
      // No answer: nats-server gives up waiting after 5 s and asks again.
      this.retry(NO_ANSWER_MS, seq, startMs);
      return;
    }
    const origin = found.stream;
    if (origin === null) {
      const err = found.error ?? JSStreamNotFoundErr;
      this.err = err;
      found.countApi(true);
      this.owner.log('WRN', `JetStream error response for create ${this.mirror ? 'mirror' : 'source'} consumer: ${err.description} (${err.err_code})`);
      this.retry(RETRY_MS + 10, seq, startMs);
      return;
    }
    found.countApi(false);
    this.err = null;
    this.origin = origin;
    this.next = this.mirror ? this.mirrorStart(origin) : this.sourceStart(origin, seq, startMs);
    this.last = now;
    origin.readers.add(this);
    this.signal();
  }

  private mirrorStart(origin: Stream): number {
    const st = this.target.store.state();
    // Only a new mirror (nothing ever stored or skipped) uses the start options.
    if (st.msgs > 0 || st.lastSeq > 0) return st.lastSeq + 1;
    if (this.src.opt_start_seq > 0) return this.src.opt_start_seq;
    if (this.src.opt_start_time !== null) return origin.store.seqFromTime(Date.parse(this.src.opt_start_time));
    return 1;
  }

  private sourceStart(origin: Stream, seq: number, startMs: number): number {
    if (startMs > 0 && seq > 1) return origin.store.seqFromTime(startMs);
    if (seq > 1) return seq;
    if (this.src.opt_start_seq > 0) return this.src.opt_start_seq;
    if (this.src.opt_start_time !== null) return origin.store.seqFromTime(Math.max(Date.parse(this.src.opt_start_time), this.start));
    if (this.start > 0) return origin.store.seqFromTime(this.start);
    return 1;
  }

  private retry(delayMs: number, seq: number, startMs: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.link(this.mirror ? 0 : seq, startMs);
    }, delayMs);
    this.timer.unref();
  }

  /**
   * The consumer on a remote origin: its deliveries' and its create response's subscriptions
   * first, then the request. No response within 5 s, an error response, or 3 s without a
   * message or heartbeat ask again (from the next sequence wanted).
   */
  private linkRemote(seq: number, startMs: number): void {
    const x = this.src.external!;
    const token = randomToken(8);
    const pre = this.mirror ? 'M' : 'S';
    const deliverSubject = x.deliver !== '' ? `${x.deliver}.${pre}.${token}`.replaceAll('..', '.') : `$JS.${pre}.${token}`;
    const cfg: Record<string, unknown> = {
      deliver_subject: deliverSubject,
      ack_policy: 'none',
      ack_wait: REMOTE_ACK_WAIT_NS,
      max_deliver: 1,
      idle_heartbeat: HEARTBEAT_MS * NS,
      flow_control: true,
      direct: true,
    };
    Object.assign(cfg, this.mirror ? this.remoteMirrorStart() : this.remoteSourceStart(seq, startMs));
    let subject = `${x.api}.CONSUMER.CREATE.${this.src.name}`;
    if (this.src.filter_subject !== '') {
      cfg.name = `${this.mirror ? 'mirror' : 'src'}-${randomToken(8)}`;
      cfg.filter_subject = this.src.filter_subject;
      subject = `${x.api}.CONSUMER.CREATE.${this.src.name}.${cfg.name as string}.${this.src.filter_subject}`;
    }
    const rc: RemoteConsumer = {
      deliver: internalSub(deliverSubject, { clusterWide: true, receive: (_s, reply, hdrLen, payload, _src, frame) => this.remoteMsg(rc, reply, hdrLen, payload, frame) }),
      reply: internalSub(`$JSC.R.${token}`, { clusterWide: true, receive: (_s, _r, hdrLen, payload) => this.remoteCreated(rc, hdrLen, payload) }),
      created: false,
      cname: '',
      dseq: 0,
      lag: 0,
    };
    this.remote = rc;
    if (this.mirror) this.sseq = this.target.store.state().lastSeq;
    this.owner.addSub(rc.deliver);
    this.owner.addSub(rc.reply);
    const body = Buffer.from(JSON.stringify({ stream_name: this.src.name, config: cfg }));
    this.owner.publish(Buffer.from(subject.replaceAll('..', '.'), 'latin1'), Buffer.from(rc.reply.subject, 'latin1'), -1, body);
    this.watchRemote(rc, Date.now() + NO_ANSWER_MS);
  }

  /** setupMirrorConsumer's start: after the last sequence, or the mirror's start options when it is new. */
  private remoteMirrorStart(): Record<string, unknown> {
    const st = this.target.store.state();
    if (st.msgs > 0 || st.lastSeq > 0) return { deliver_policy: 'by_start_sequence', opt_start_seq: st.lastSeq + 1 };
    if (this.src.opt_start_seq > 0) return { deliver_policy: 'by_start_sequence', opt_start_seq: this.src.opt_start_seq };
    if (this.src.opt_start_time !== null) return { deliver_policy: 'by_start_time', opt_start_time: this.src.opt_start_time };
    return { deliver_policy: 'all' };
  }

  /** setSourceConsumer's start. */
  private remoteSourceStart(seq: number, startMs: number): Record<string, unknown> {
    if (startMs > 0 && seq > 1) return { deliver_policy: 'by_start_time', opt_start_time: new Date(startMs).toISOString() };
    if (seq > 1) return { deliver_policy: 'by_start_sequence', opt_start_seq: seq };
    if (this.src.opt_start_seq > 0) return { deliver_policy: 'by_start_sequence', opt_start_seq: this.src.opt_start_seq };
    if (this.src.opt_start_time !== null) {
      const t = Date.parse(this.src.opt_start_time);
      return { deliver_policy: 'by_start_time', opt_start_time: t < this.start ? new Date(this.start).toISOString() : this.src.opt_start_time };
    }
    if (this.start > 0) return { deliver_policy: 'by_start_time', opt_start_time: new Date(this.start).toISOString() };
    return { deliver_policy: 'all' };
  }

  /** Asks again when the consumer is not created by `due`, or goes quiet for STALL_MS once it is. */
  private watchRemote(rc: RemoteConsumer, due: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.remote !== rc) return;
      const now = Date.now();
      if (rc.created ? now - this.last <= STALL_MS : now < due) {
        this.watchRemote(rc, due);
        return;
      }
      this.relinkRemote();
    }, HEARTBEAT_MS);
    this.timer.unref();
  }

  /** A new consumer from the next sequence wanted (nats-server's retryMirrorConsumer / retrySourceConsumerAtSeq). */
  private relinkRemote(): void {
    this.unlink();
    this.link(this.mirror ? 0 : this.sseq + 1, 0);
  }

  /** The consumer create response. */
  private remoteCreated(rc: RemoteConsumer, hdrLen: number, payload: Buffer): void {
    if (this.remote !== rc || rc.created) return;
    let r: { error?: ApiError; name?: string };
    try {
      r = JSON.parse(payload.toString('utf8', hdrLen > 0 ? hdrLen : 0)) as { error?: ApiError; name?: string };
    } catch {
      return;
    }
    if (r.error !== undefined || typeof r.name !== 'string') {
      this.err = r.error ?? null;
      this.owner.log('WRN', `JetStream error response for create ${this.mirror ? 'mirror' : 'source'} consumer: ${r.error?.description ?? ''} (${r.error?.err_code ?? 0})`);
      const seq = this.sseq + 1;
      this.unlink();
      this.retry(RETRY_MS + 10, this.mirror ? 0 : seq, 0);
      return;
    }
    this.err = null;
    rc.created = true;
    this.last = Date.now();
  }

  /** processInboundMirrorMsg / processInboundSourceMsg for a remote origin's delivery. */
  private remoteMsg(rc: RemoteConsumer, reply: Buffer | null, hdrLen: number, payload: Buffer, frame: Buffer | undefined): void {
    if (this.remote !== rc || this.stopped) return;
    const hdr = hdrLen > 0 ? payload.subarray(0, hdrLen) : EMPTY;
    const body = hdrLen > 0 ? payload.subarray(hdrLen) : payload;
    if (body.length === 0 && hdr.length >= CONTROL_STATUS.length && hdr.compare(CONTROL_STATUS, 0, CONTROL_STATUS.length, 0, CONTROL_STATUS.length) === 0) {
      this.last = Date.now();
      // Flow control asks for a reply; a heartbeat may say we were thought stalled.
      if (reply !== null) this.owner.publish(Buffer.from(reply), null, -1, EMPTY);
      else {
        const last = getHeader(hdr, 'Nats-Last-Consumer');
        if (last !== null && Number(last) > 0 && Number(last) !== rc.dseq) return this.relinkRemote();
        const stalled = getHeader(hdr, 'Nats-Consumer-Stalled');
        if (stalled !== null && stalled !== '') this.owner.publish(Buffer.from(stalled, 'latin1'), null, -1, EMPTY);
      }
      return;
    }
    const info = reply === null ? null : ackInfo(reply.toString('latin1'));
    if (info === null || info.dc > 1) return;
    this.last = Date.now();
    if (this.mirror) {
      if (info.sseq !== this.sseq + 1) {
        if (info.sseq <= this.sseq) return;
        // A gap the consumer skipped (deleted or expired at the origin) is skipped here too.
        if (rc.cname !== '' && info.dseq !== rc.dseq + 1) return this.relinkRemote();
      }
    } else if (info.dseq !== rc.dseq + 1) {
      if (info.dseq <= rc.dseq) return;
      if (rc.cname !== '') return this.relinkRemote();
    }
    rc.cname = info.cname;
    rc.dseq = info.dseq;
    rc.lag = info.pending > 0 ? info.pending - 1 : 0;
    const subject = (frame ?? EMPTY).toString('latin1');
    const err = this.mirror
      ? this.target.storeMirrored({ subject, hdr: Buffer.from(hdr), msg: Buffer.from(body), seq: info.sseq, ts: Math.floor(info.ts / NS) })
      : this.target.ingest(subject, this.sourceHeader(hdr, info.sseq), Buffer.from(body), 0);
    if (err !== null) return this.refused(err);
    this.sseq = info.sseq;
    if (this.mirror && rc.lag === 0) this.target.mirrorDirect(this.src.name);
  }

  /** The target refused a message (`err`): logged as nats-server logs it, and retried from that message, as its consumer is. */
  private refused(err: string): void {
    const what = this.mirror ? 'inbound mirror message' : `inbound source ${goJSON(this.iname)}`;
    this.owner.log('WRN', `Error processing ${what} for '${this.target.owner.account.name}' > '${this.target.name}': ${err}`);
    this.unlink();
    this.retry(RETRY_MS + 10, this.sseq + 1, 0);
  }

  private unlink(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const rc = this.remote;
    if (rc !== null) {
      this.remote = null;
      this.owner.removeSub(rc.deliver);
      this.owner.removeSub(rc.reply);
    }
    if (this.origin !== null) this.origin.readers.delete(this);
    this.origin = null;
    if (this.mirror) this.target.mirrorDirect(null);
  }

  /** The origin stored a message (or the link is new): read what is there on the next turn. */
  signal(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.pump());
  }

  /** The origin was deleted or stopped: the consumer is gone, noticed as a stall. */
  originGone(): void {
    this.unlink();
    if (this.stopped) return;
    const seq = this.sseq + 1;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.link(seq, 0);
    }, STALL_MS);
    this.timer.unref();
  }

  /** Takes up to BATCH messages from the origin, then yields to the loop when there are more. */
  private pump(): void {
    this.scheduled = false;
    const origin = this.origin;
    if (origin === null || this.stopped) return;
    const filter = this.src.filter_subject;
    let n = 0;
    for (; n < BATCH; n++) {
      const sm = origin.store.loadNext(filter, this.next);
      if (sm === null) break;
      const err = this.mirror ? this.target.storeMirrored(sm) : this.target.ingest(sm.subject, this.sourceHeader(sm.hdr, sm.seq), sm.msg, 0);
      if (err !== null) return this.refused(err);
      this.next = sm.seq + 1;
      this.sseq = sm.seq;
      origin.readerTook(this, sm.seq);
    }
    if (n > 0) this.last = Date.now();
    if (n === BATCH) this.signal();
    // processInboundMirrorMsg: a mirror that took messages and caught up answers its origin's direct gets.
    else if (n > 0 && this.mirror) this.target.mirrorDirect(this.src.name);
  }

  /** A message's headers with `Nats-Stream-Source: <iname> <seq>` (an older one removed: daisy chains). */
  private sourceHeader(msgHdr: Buffer, seq: number): Buffer {
    const hdr = msgHdr.length > 0 ? removeHeader(msgHdr.toString('latin1'), STREAM_SOURCE_HDR) : '';
    return Buffer.from(addHeader(hdr, STREAM_SOURCE_HDR, `${this.iname} ${seq}`), 'latin1');
  }

  /** nats-server's StreamSourceInfo JSON. */
  renderInfo(): string {
    const now = Date.now();
    let active = -1;
    // Linked: the consumer's idle heartbeats come every second after the last message.
    if (this.last > 0) active = (this.origin !== null ? (now - this.last) % HEARTBEAT_MS : now - this.last) * 1e6;
    const lag = this.origin !== null ? this.origin.store.filteredState(this.next, this.src.filter_subject).msgs : (this.remote?.lag ?? 0);
    let s = `{"name":${goJSON(this.src.name)}`;
    if (this.src.external !== null) s += `,"external":${renderExternal(this.src.external)}`;
    s += `,"lag":${lag},"active":${active}`;
    if (this.err !== null) s += `,"error":${goJSON(this.err)}`;
    return s + '}';
  }

  /** Continues `old` (the same source with a new filter): its position, last contact and last request. */
  takeOver(old: Link): void {
    this.sseq = old.sseq;
    this.last = old.last;
    this.lreq = old.lreq;
  }

  get filter(): string {
    return this.src.filter_subject;
  }

  wants(seq: number, subject: string): boolean {
    return seq >= this.next && (this.src.filter_subject === '' || filterMatches(this.src.filter_subject, subject));
  }

  stop(): void {
    this.stopped = true;
    this.unlink();
  }
}

/** nats-server's getHash: sha256 of `name`, its first 8 bytes as base-62 digits. */
function getHash(name: string): string {
  const b = createHash('sha256').update(name).digest();
  let s = '';
  for (let i = 0; i < 8; i++) s += HASH_DIGITS[b[i]! % 62];
  return s;
}
const HASH_DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** StreamSource.setIndexName: the name, or `name:<hash of the API prefix>` for an external source. */
function indexName(src: StreamSource): string {
  return src.external !== null ? `${src.name}:${getHash(src.external.api)}` : src.name;
}

/** nats-server's removeHeaderIfPresent on a header block as latin1 text ('' when nothing is left). */
function removeHeader(hdr: string, key: string): string {
  const start = hdr.indexOf(key);
  if (start < 1 || hdr[start - 1] !== '\n' || hdr[start + key.length] !== ':') return hdr;
  const end = hdr.indexOf('\r\n', start);
  if (end < 0) return hdr;
  const out = hdr.slice(0, start) + hdr.slice(end + 2);
  return out.length <= 'NATS/1.0\r\n\r\n'.length ? '' : out;
}

/**
 * nats-server's replyInfo: what a JetStream delivery's ack reply says (the 9-token form, or the
 * 11+-token form with domain and account hash); null when it is not one.
 */
function ackInfo(reply: string): { cname: string; dc: number; sseq: number; dseq: number; ts: number; pending: number } | null {
  const t = reply.split('.');
  if (t[0] !== '$JS' || t[1] !== 'ACK') return null;
  const at = t.length === 9 ? 3 : t.length >= 11 ? 5 : -1;
  if (at < 0) return null;
  const n = (i: number): number => Number(t[at + i]);
  return { cname: t[at]!, dc: n(1), sseq: n(2), dseq: n(3), ts: n(4), pending: n(5) };
}

/** streamAndSeq: the indexed name and sequence of a Nats-Stream-Source value (also the older ack-reply form). */
function streamAndSeq(v: string): [string, number] {
  if (v.startsWith('$JS.ACK.')) {
    const t = v.split('.');
    return t.length === 9 ? [t[2]!, Number(t[5])] : ['', 0];
  }
  const f = v.trim().split(/\s+/);
  return f.length === 2 && /^\d+$/.test(f[1]!) ? [f[0]!, Number(f[1])] : ['', 0];
}

/** Whether two filters overlap (isSubsetMatchTokenized either way; an empty filter overlaps all). */
function filtersOverlap(a: string, b: string): boolean {
  if (a === '' || b === '') return true;
  return isSubsetMatch(a.split('.'), b) || isSubsetMatch(b.split('.'), a);
}

/** The mirror or the sources of one stream. */
export class Sourcing implements StreamSourcing {
  private readonly target: Stream;
  private readonly owner: StreamOwner;
  private mirror: Link | null = null;
  private readonly sources = new Map<string, Link>();

  constructor(target: Stream) {
    this.target = target;
    this.owner = target.owner;
  }

  /** Whether `cfg` mirrors or sources. */
  static wanted(cfg: StreamConfig): boolean {
    return cfg.mirror !== null || (cfg.sources !== null && cfg.sources.length > 0);
  }

  /**
   * subscribeToStream's setup, on the next turn (the stream create reply, and every stream
   * restored at start, come first): the mirror after its last sequence; each source after the
   * last message it brought (a backward scan for its Nats-Stream-Source header).
   */
  start(): void {
    const cfg = this.target.cfg;
    if (cfg.mirror !== null) {
      const m = new Link(this.target, this.owner, cfg.mirror, true);
      this.mirror = m;
      setImmediate(() => m.link(0, 0));
      return;
    }
    for (const src of cfg.sources ?? []) this.sources.set(indexName(src), new Link(this.target, this.owner, src, false));
    this.startingSequences([...this.sources.values()]);
    const links = [...this.sources.values()];
    setImmediate(() => {
      for (const l of links) l.link(l.sseq + 1, 0);
    });
  }

  /** startingSequenceForSources: each link's last origin sequence from the stored headers, the fallback start time. */
  private startingSequences(links: Link[]): void {
    const st = this.target.store.state();
    if (st.lastTs > 0) for (const l of links) l.start = st.lastTs;
    if (st.msgs === 0) return;
    const want = new Map(links.map((l) => [l.iname, l]));
    for (let seq = st.lastSeq; seq >= st.firstSeq && want.size > 0; seq--) {
      const sm = this.target.store.load(seq);
      if (sm === null || sm.hdr.length === 0) continue;
      const ss = getHeader(sm.hdr, STREAM_SOURCE_HDR);
      if (ss === null || ss === '') continue;
      const [name, sseq] = streamAndSeq(ss);
      const l = want.get(name);
      if (l === undefined) continue;
      if (sseq > 0) l.sseq = sseq;
      want.delete(name);
    }
  }

  /**
   * An update: new sources start, removed ones stop, a changed filter restarts (from now when
   * the filters do not overlap); the links are made on the next turn, after the update's reply.
   */
  update(old: StreamConfig, cfg: StreamConfig): void {
    const oldFilters = new Map((old.sources ?? []).map((s) => [indexName(s), s.filter_subject]));
    for (const src of cfg.sources ?? []) {
      const iname = indexName(src);
      const prev = oldFilters.get(iname);
      oldFilters.delete(iname);
      if (prev === undefined) {
        const l = new Link(this.target, this.owner, src, false);
        this.sources.set(iname, l);
        this.startingSequences([l]);
        l.start = 0;
        setImmediate(() => l.link(l.sseq + 1, 0));
      } else if (prev !== src.filter_subject) {
        const old = this.sources.get(iname);
        if (old === undefined) continue;
        old.stop();
        const l = new Link(this.target, this.owner, src, false);
        l.takeOver(old);
        this.sources.set(iname, l);
        const startMs = filtersOverlap(prev, src.filter_subject) ? 0 : Date.now();
        setImmediate(() => l.link(l.sseq + 1, startMs));
      }
    }
    for (const iname of oldFilters.keys()) {
      this.sources.get(iname)?.stop();
      this.sources.delete(iname);
    }
  }

  /** `,"mirror":{...}` or `,"sources":[...]` for stream info ('' when neither). */
  renderInfo(): string {
    if (this.mirror !== null) return `,"mirror":${this.mirror.renderInfo()}`;
    if (this.sources.size === 0) return '';
    return `,"sources":[${[...this.sources.values()].map((l) => l.renderInfo()).join(',')}]`;
  }

  stop(): void {
    this.mirror?.stop();
    for (const l of this.sources.values()) l.stop();
    this.sources.clear();
  }
}
