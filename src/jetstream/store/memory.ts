// The memory store (nats-server's memstore.go): a stream's messages in a flat array indexed by
// sequence, with per-subject counts. A message costs its StoreMsg (subject string shared with the
// per-subject entry, header and payload copied into one buffer) plus one array slot; its
// accounted size is nats-server's memStoreMsgSize: subject + headers + payload + 16.
//
// Limits are applied as memstore's storeRawMsg does: discard new refuses before storing, discard
// old removes the oldest after storing; max_age is swept by one timer set for the oldest message.

import { filterMatches, subjectIsLiteral } from '../../subjects/subject.js';
import { NO_LIMITS, type RemovedListener, type SimpleState, type StoreLimits, type StoreMsg, type StoreRefusal, type StreamState, type StreamStore } from './store.js';

const EMPTY = Buffer.alloc(0);
/** Per-message overhead nats-server counts in a memory store (seq + timestamp). */
export const MEM_MSG_OVERHEAD = 16;

export function memStoreMsgSize(subject: string, hdr: Buffer, msg: Buffer): number {
  return subject.length + hdr.length + msg.length + MEM_MSG_OVERHEAD;
}

export class MemoryStore implements StreamStore {
  readonly type = 'memory' as const;
  private limits: StoreLimits = NO_LIMITS;
  /** slots[i] holds sequence base + i (null: deleted). */
  private slots: (StoreMsg | null)[] = [];
  private base = 1;
  private msgs = 0;
  private bytes = 0;
  /** The first sequence; when empty lastSeq + 1, or 0 before anything happened. */
  private firstSeq = 0;
  private lastSeq = 0;
  private lastTs = 0;
  private readonly fss = new Map<string, SimpleState>();
  private readonly listeners: RemovedListener[] = [];
  private ageTimer: NodeJS.Timeout | null = null;
  private closed = false;

  setLimits(limits: StoreLimits): void {
    this.limits = { ...limits };
    if (limits.maxMsgsPer > 0) {
      for (const ss of [...this.fss.values()]) while (ss.msgs > limits.maxMsgsPer) this.removeInternal(ss.first, true);
    }
    this.enforceMsgLimit();
    this.enforceBytesLimit();
    this.scheduleAge();
  }

  store(subject: string, hdr: Buffer, msg: Buffer, ts: number): number | StoreRefusal {
    return this.storeAt(subject, hdr, 0, hdr.length, msg, 0, msg.length, ts);
  }

  storeAt(subject: string, hdr: Buffer, h0: number, h1: number, msg: Buffer, m0: number, m1: number, ts: number): number | StoreRefusal {
    const l = this.limits;
    const ss = this.fss.get(subject);
    const asl = ss !== undefined && l.maxMsgsPer > 0 && ss.msgs >= l.maxMsgsPer;
    const hdrLen = h1 - h0;
    const dataLen = hdrLen + m1 - m0;
    if (l.discard === 'new') {
      if (asl && l.discardNewPer) return 'maximum messages per subject exceeded';
      if (l.maxMsgs > 0 && this.msgs >= l.maxMsgs && !asl) return 'maximum messages exceeded';
      if (l.maxBytes > 0 && this.bytes + dataLen >= l.maxBytes) {
        if (!asl) return 'maximum bytes exceeded';
        const first = this.load(ss!.first);
        if (first === null || memStoreMsgSize(first.subject, first.hdr, first.msg) < dataLen) return 'maximum bytes exceeded';
      }
    }
    const seq = this.lastSeq + 1;
    const buf = Buffer.allocUnsafe(dataLen);
    hdr.copy(buf, 0, h0, h1);
    msg.copy(buf, hdrLen, m0, m1);
    const sm: StoreMsg = {
      subject: ss === undefined ? subject : this.subjectOf(ss, subject),
      hdr: hdrLen > 0 ? buf.subarray(0, hdrLen) : EMPTY,
      msg: buf.subarray(hdrLen),
      seq,
      ts,
    };
    if (this.msgs === 0) {
      // Empty: the array restarts at this sequence.
      this.slots.length = 0;
      this.base = seq;
      this.firstSeq = seq;
    }
    this.slots[seq - this.base] = sm;
    this.msgs++;
    this.bytes += memStoreMsgSize(subject, sm.hdr, sm.msg);
    this.lastSeq = seq;
    this.lastTs = ts;
    if (ss !== undefined) {
      ss.msgs++;
      ss.last = seq;
      if (l.maxMsgsPer > 0 && ss.msgs > l.maxMsgsPer) this.removeInternal(ss.first, true);
    } else this.fss.set(subject, { msgs: 1, first: seq, last: seq });
    this.enforceMsgLimit();
    this.enforceBytesLimit();
    if (this.ageTimer === null && l.maxAgeMs > 0) this.scheduleAge();
    return seq;
  }

  skip(): number {
    const seq = ++this.lastSeq;
    this.lastTs = Date.now();
    if (this.msgs === 0) {
      this.slots.length = 0;
      this.base = seq + 1;
      this.firstSeq = seq + 1;
    } else this.slots[seq - this.base] = null;
    return seq;
  }

  load(seq: number): StoreMsg | null {
    const i = seq - this.base;
    return i >= 0 && i < this.slots.length ? (this.slots[i] ?? null) : null;
  }

  loadNext(filter: string, start: number): StoreMsg | null {
    if (this.msgs === 0) return null;
    if (subjectIsLiteral(filter) && filter !== '') {
      const ss = this.fss.get(filter);
      if (ss === undefined || ss.last < start) return null;
      start = Math.max(start, ss.first);
    }
    for (let seq = Math.max(start, this.firstSeq); seq <= this.lastSeq; seq++) {
      const sm = this.load(seq);
      if (sm !== null && filterMatches(filter, sm.subject)) return sm;
    }
    return null;
  }

  loadLast(subject: string): StoreMsg | null {
    if (subjectIsLiteral(subject)) {
      const ss = this.fss.get(subject);
      return ss === undefined ? null : this.load(ss.last);
    }
    for (let seq = this.lastSeq; seq >= this.firstSeq && seq > 0; seq--) {
      const sm = this.load(seq);
      if (sm !== null && filterMatches(subject, sm.subject)) return sm;
    }
    return null;
  }

  remove(seq: number, erase: boolean): boolean {
    const sm = this.load(seq);
    if (sm === null) return false;
    if (erase) {
      // memstore's EraseMsg overwrites the payload with random bytes before dropping it.
      for (const b of [sm.hdr, sm.msg]) for (let i = 0; i < b.length; i++) b[i] = (Math.random() * 256) | 0;
    }
    this.removeInternal(seq, false);
    return true;
  }

  purge(opts: { filter?: string; seq?: number; keep?: number }): number {
    const filter = opts.filter ?? '';
    const seq = opts.seq ?? 0;
    const keep = opts.keep ?? 0;
    if (seq > 1 && keep > 0) throw new Error('sequence and keep can not both be set');
    if (filter === '' || filter === '>') {
      if (keep === 0 && seq <= 1) return this.purgeAll();
      if (seq > 1) return this.compact(seq);
      if (keep >= this.msgs) return 0;
      return this.compact(this.lastSeq - keep + 1);
    }
    const ss = this.filteredState(1, filter);
    if (ss.msgs === 0) return 0;
    let target = ss.msgs;
    if (keep > 0) {
      if (keep >= ss.msgs) return 0;
      target -= keep;
    }
    const last = seq > 1 ? seq - 1 : ss.last;
    let purged = 0;
    for (let s = ss.first; s <= last && purged < target; s++) {
      const sm = this.load(s);
      if (sm !== null && filterMatches(filter, sm.subject) && this.removeInternal(s, false)) purged++;
    }
    return purged;
  }

  /** Removes everything; the next message gets lastSeq + 1. */
  private purgeAll(): number {
    const purged = this.msgs;
    this.slots.length = 0;
    this.fss.clear();
    this.msgs = 0;
    this.bytes = 0;
    this.base = this.lastSeq + 1;
    this.firstSeq = this.lastSeq + 1;
    return purged;
  }

  /**
   * nats-server's Compact: removes every message below `seq`, which must be stored (else
   * 'no message found'); past the last sequence it empties the store so that the next message
   * gets `seq`.
   */
  private compact(seq: number): number {
    if (seq > this.lastSeq) {
      const purged = this.purgeAll();
      this.lastSeq = seq - 1;
      this.base = seq;
      this.firstSeq = seq;
      return purged;
    }
    if (this.load(seq) === null) throw new Error('no message found');
    let purged = 0;
    for (let s = this.firstSeq; s < seq; s++) if (this.load(s) !== null && this.removeInternal(s, false)) purged++;
    return purged;
  }

  seqFromTime(ts: number): number {
    for (let s = this.firstSeq; s <= this.lastSeq; s++) {
      const sm = this.load(s);
      if (sm !== null && sm.ts >= ts) return s;
    }
    return this.lastSeq + 1;
  }

  filteredState(seq: number, filter: string): SimpleState {
    const out: SimpleState = { msgs: 0, first: 0, last: 0 };
    if ((filter === '' || filter === '>') && this.msgs > 0 && this.lastSeq - this.firstSeq + 1 === this.msgs) {
      // No interior deletes: the count is the span.
      const first = Math.max(seq, this.firstSeq);
      return first > this.lastSeq ? out : { msgs: this.lastSeq - first + 1, first, last: this.lastSeq };
    }
    if (subjectIsLiteral(filter) && filter !== '' && seq <= this.firstSeq) {
      const ss = this.fss.get(filter);
      return ss === undefined ? out : { msgs: ss.msgs, first: ss.first, last: ss.last };
    }
    for (let s = Math.max(seq, this.firstSeq); s <= this.lastSeq; s++) {
      const sm = this.load(s);
      if (sm === null || !filterMatches(filter, sm.subject)) continue;
      if (out.msgs++ === 0) out.first = s;
      out.last = s;
    }
    return out;
  }

  subjectsState(filter: string): Map<string, SimpleState> {
    const out = new Map<string, SimpleState>();
    for (const [subject, ss] of this.fss) {
      if (filterMatches(filter, subject)) out.set(subject, { msgs: ss.msgs, first: ss.first, last: ss.last });
    }
    return out;
  }

  deleted(): number[] {
    const out: number[] = [];
    if (this.msgs === 0) return out;
    for (let s = this.firstSeq; s <= this.lastSeq; s++) if (this.load(s) === null) out.push(s);
    return out;
  }

  state(): StreamState {
    const first = this.msgs > 0 ? this.load(this.firstSeq) : null;
    const span = this.msgs > 0 ? this.lastSeq - this.firstSeq + 1 : 0;
    return {
      msgs: this.msgs,
      bytes: this.bytes,
      // 0 for a store that never held a message (memstore's zero state), else lastSeq + 1 when empty.
      firstSeq: this.firstSeq,
      firstTs: first?.ts ?? 0,
      lastSeq: this.lastSeq,
      lastTs: this.lastTs,
      numSubjects: this.fss.size,
      numDeleted: span - this.msgs,
    };
  }

  onRemoved(listener: RemovedListener): void {
    this.listeners.push(listener);
  }

  writePending(): void {}

  storedBytes(): number {
    return this.bytes;
  }

  writtenThrough(): number {
    return this.lastSeq;
  }

  consumerStore(_name: string): null {
    return null;
  }

  async flush(): Promise<void> {}

  async stop(): Promise<void> {
    this.closed = true;
    if (this.ageTimer !== null) clearTimeout(this.ageTimer);
    this.ageTimer = null;
  }

  async delete(): Promise<void> {
    await this.stop();
    this.purgeAll();
  }

  // ---- internals ----

  /** The subject string already held by the per-subject entry (one copy per subject). */
  private subjectOf(ss: SimpleState, subject: string): string {
    return this.load(ss.last)?.subject ?? subject;
  }

  /** Removes `seq`; `notify` tells the listeners (removals the store decided on). */
  private removeInternal(seq: number, notify: boolean): boolean {
    const i = seq - this.base;
    const sm = i >= 0 && i < this.slots.length ? this.slots[i] : null;
    if (sm === null || sm === undefined) return false;
    this.slots[i] = null;
    this.msgs--;
    this.bytes -= memStoreMsgSize(sm.subject, sm.hdr, sm.msg);
    const ss = this.fss.get(sm.subject)!;
    if (--ss.msgs === 0) this.fss.delete(sm.subject);
    else if (seq === ss.first && ss.msgs === 1 && this.load(ss.last)?.subject === sm.subject) {
      // One left and `last` holds it (a KV bucket's history 1): no scan. (`last` is not moved
      // when the last message is removed, as nats-server's memstore: it may name a removed one.)
      ss.first = ss.last;
    } else if (seq === ss.first) {
      let s = seq + 1;
      while (s <= ss.last && this.load(s)?.subject !== sm.subject) s++;
      ss.first = s;
    }
    if (this.msgs === 0) {
      this.slots.length = 0;
      this.base = this.lastSeq + 1;
      this.firstSeq = this.lastSeq + 1;
    } else if (seq === this.firstSeq) {
      let s = seq + 1;
      while (this.load(s) === null) s++;
      this.firstSeq = s;
      // Drop the leading holes once they are half the array.
      const lead = s - this.base;
      if (lead > 1024 && lead * 2 > this.slots.length) {
        this.slots.splice(0, lead);
        this.base = s;
      }
    }
    if (notify) for (const l of this.listeners) l(seq, sm.subject);
    return true;
  }

  private enforceMsgLimit(): void {
    const max = this.limits.maxMsgs;
    if (max <= 0 || this.limits.discard !== 'old') return;
    while (this.msgs > max) this.removeInternal(this.firstSeq, true);
  }

  private enforceBytesLimit(): void {
    const max = this.limits.maxBytes;
    if (max <= 0 || this.limits.discard !== 'old') return;
    while (this.bytes > max && this.msgs > 0) this.removeInternal(this.firstSeq, true);
  }

  /** One timer for the oldest message's expiry (nats-server's expireMsgs). */
  private scheduleAge(): void {
    if (this.ageTimer !== null) clearTimeout(this.ageTimer);
    this.ageTimer = null;
    const maxAge = this.limits.maxAgeMs;
    if (this.closed || maxAge <= 0 || this.msgs === 0) return;
    const first = this.load(this.firstSeq)!;
    const wait = Math.max(1, first.ts + maxAge - Date.now());
    this.ageTimer = setTimeout(() => {
      this.ageTimer = null;
      const cutoff = Date.now() - this.limits.maxAgeMs;
      while (this.msgs > 0 && this.load(this.firstSeq)!.ts <= cutoff) this.removeInternal(this.firstSeq, true);
      this.scheduleAge();
    }, wait);
    this.ageTimer.unref();
  }
}
