// hot path: no allocation per message, no I/O
//
// Stateful wrapper around a ScanFn (native or TS): one scan per socket read (plus rescans when
// the record array fills), records handed to a sink in order. Pure: no sockets, no timers.
//
// Ops split across reads:
//  - an op whose control line is not complete yet: only the unconsumed tail is kept (a copy).
//    On the next read the tail is joined with the new bytes up to the first LF only (never with
//    the whole read) and rescanned; the rest of the read is scanned in place. The tail is
//    bounded: the scanner fails a line over the control-line limit, bytes it marks as
//    droppable (PING/PONG/+OK junk, blanks after a verb) are cut once there are more than
//    COMPACT_MIN of them, and a run of blanks between a verb and its argument is kept as one.
//  - a PUB/HPUB whose control line is complete but whose payload is not: the partial record is
//    reported, twice when the read ends inside the payload (the sink can check max payload and
//    return false; then nothing is allocated), then ONE buffer of the op's full length is
//    allocated and filled by the following reads; when full it is scanned and the completed
//    record is reported. A wrong payload terminator is reported as soon as its byte arrives.
// After an OP_ERROR record, or when the sink returns false, parsing stops for good (feed does
// nothing) until reset().

import { E_PAYLOAD_CRLF, F_A0S, F_END, F_NARGS, F_OP, F_PAY, F_START, OP_ERROR, OP_MASK, OP_PARTIAL, REC_STRIDE } from './layout.js';
import type { ScanFn } from './scanner.js';

export type { ScanFn };

export interface ParserSink {
  /**
   * Called for every record in order: complete ops, OP_ERROR, and partial records. A PUB/HPUB
   * partial (control line complete) is reported when its control line is read and, when the
   * read ends inside its payload, once more (nats-server processes the control line again
   * then); when the op completes it is reported as a complete record, unless its payload
   * terminator is wrong (an OP_ERROR record then). A bare OP_PARTIAL may come on each read. `buf`/`recs` are only valid during the call. `rec` is the
   * int32 index of the record's first field in `recs`. Return false to stop parsing (the
   * connection is closing). Must not call back into this or any other Parser: all parsers
   * of a thread share one records array.
   */
  onRecord(buf: Buffer, recs: Int32Array, rec: number): boolean;
}

/** Records per scan call. */
export const PARSER_RECORDS = 512;
/** Droppable tail bytes are cut once there are more than this many. */
export const COMPACT_MIN = 256;

const LF = 10;
const CR = 13;
const SP = 32;
const TAB = 9;

/** Bytes of a verb: letters, and the signs of +OK and -ERR. */
function isVerbByte(c: number): boolean {
  return ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c === 0x2b || c === 0x2d;
}

/**
 * The scan records, shared by every Parser of this thread (32 KiB, not 32 KiB per connection):
 * a run() reports its records before it returns and no sink call feeds another parser.
 */
const RECORDS = new Int32Array(PARSER_RECORDS * REC_STRIDE);

export class Parser {
  /** Unconsumed bytes of an op whose control line is incomplete. */
  private tail: Buffer | null = null;
  /** A PUB/HPUB awaiting its payload, and how much of it is filled. */
  private big: Buffer | null = null;
  private bigFill = 0;
  private done = false;
  /** During onRecord: the field index just past the last record of the current scan. */
  batchEnd = 0;
  /** Record number the sink handled through (skipThrough), -1 = none. */
  private skip = -1;
  /** Paused by the sink (suspend()); `held` keeps the bytes until resume(). */
  private suspended = false;
  private held: Buffer[] = [];
  /** Bytes fed so far (stream offset of the next chunk). */
  private fed = 0;
  /**
   * Stream offset of byte 0 of the `buf` passed to the current onRecord call (bytes fed since
   * construction/reset), for diagnostics. Exact, except for the first bytes of an op whose
   * droppable tail bytes were cut (see COMPACT_MIN): those appear shifted by the cut amount.
   */
  bufferOffset = 0;

  constructor(
    private readonly scan: ScanFn,
    private readonly sink: ParserSink,
    /** Can change on a config reload; applies from the next scan. */
    public maxControlLine: number,
  ) {
    if (!Number.isInteger(maxControlLine) || maxControlLine < 0 || maxControlLine > 0x7fffffff) {
      throw new RangeError(`maxControlLine must be an int32 >= 0 (got ${maxControlLine})`);
    }
  }

  /** True once an error was reported or the sink returned false. */
  get stopped(): boolean {
    return this.done;
  }

  /** Bytes held for ops split across reads (tail or payload buffer). */
  get pendingBytes(): number {
    let n = this.big !== null ? this.big.length : this.tail !== null ? this.tail.length : 0;
    for (let i = 0; i < this.held.length; i++) n += this.held[i].length;
    return n;
  }

  /** Forgets everything (held bytes, stopped state, stream offset). */
  reset(): void {
    this.suspended = false;
    this.held = [];
    this.tail = null;
    this.big = null;
    this.bigFill = 0;
    this.done = false;
    this.fed = 0;
    this.bufferOffset = 0;
  }

  feed(chunk: Buffer): void {
    if (this.done) return;
    if (this.suspended) {
      if (chunk.length > 0) this.held.push(Buffer.from(chunk));
      return;
    }
    const len = chunk.length;
    const base = this.fed;
    this.fed += len;
    let pos = 0;
    while (pos < len) {
      if (this.big !== null) {
        pos = this.fillBig(chunk, pos, base);
        if (pos < 0) return;
      } else if (this.tail !== null) {
        const tail = this.tail;
        const tl = tail.length;
        const lf = chunk.indexOf(LF, pos);
        const cut = lf < 0 ? len : lf + 1;
        const joined = Buffer.allocUnsafe(tl + cut - pos);
        tail.copy(joined, 0);
        chunk.copy(joined, tl, pos, cut);
        this.tail = null;
        if (!this.run(joined, 0, base + pos - tl)) {
          if (this.suspended) this.hold(chunk, cut, len);
          return;
        }
        pos = cut;
      } else {
        this.run(chunk, pos, base);
        return;
      }
    }
  }

  /** Copies payload bytes into `big`; when complete, scans and reports it. New pos or -1 (stop). */
  private fillBig(chunk: Buffer, pos: number, base: number): number {
    const big = this.big as Buffer;
    const need = big.length - this.bigFill;
    const avail = chunk.length - pos;
    if (avail < need) {
      chunk.copy(big, this.bigFill, pos);
      this.bigFill += avail;
      const cr = big.length - 2;
      if (this.bigFill > cr && big[cr] !== CR) {
        // A wrong payload terminator is an error as soon as its byte arrives (nats-server).
        this.bufferOffset = base + chunk.length - this.bigFill;
        this.payloadError(big, cr);
        return -1;
      }
      return chunk.length;
    }
    chunk.copy(big, this.bigFill, pos, pos + need);
    this.big = null;
    this.bigFill = 0;
    const cr = big.length - 2;
    if (big[cr] !== CR || big[cr + 1] !== LF) {
      this.bufferOffset = base + pos + need - big.length;
      this.payloadError(big, big[cr] !== CR ? cr : cr + 1);
      return -1;
    }
    const next = pos + need;
    return this.run(big, 0, base + next - big.length) ? next : -1;
  }

  /**
   * Scans buf[start..) to its end, reports every record, and keeps what an incomplete last op
   * needs (tail or big). Returns false when parsing stopped.
   */
  private run(buf: Buffer, start: number, bufBase: number): boolean {
    const out = RECORDS;
    const sink = this.sink;
    const end = buf.length;
    let p = start;
    this.bufferOffset = bufBase;
    for (;;) {
      const n = this.scan(buf, p, end, this.maxControlLine, out);
      this.batchEnd = n * REC_STRIDE;
      this.skip = -1;
      for (let i = 0; i < n; i++) {
        const r = i * REC_STRIDE;
        const op = out[r + F_OP];
        if ((op & OP_PARTIAL) !== 0) {
          if (!sink.onRecord(buf, out, r)) return this.stop();
          // A PUB/HPUB partial followed by its error record: the error comes next.
          if (i < n - 1) continue;
          if ((op & OP_MASK) !== 0) {
            // The read ends inside the payload: nats-server re-processes the control line
            // (clonePubArg), so the record is reported once more; then collect the op in one
            // buffer.
            if (!sink.onRecord(buf, out, r)) return this.stop();
            const s = out[r + F_START];
            const big = Buffer.allocUnsafe(out[r + F_END] - s);
            buf.copy(big, 0, s, end);
            this.big = big;
            this.bigFill = end - s;
          } else {
            const s = out[r + F_PAY];
            let keep = out[r + F_A0S];
            if (end - keep <= COMPACT_MIN) keep = end;
            // A long run of blanks between the verb and its argument means what one blank means
            // (short runs are kept, so positions stay exact).
            let v = s;
            while (v < keep && isVerbByte(buf[v])) v++;
            let a = v;
            while (a < keep && (buf[a] === SP || buf[a] === TAB)) a++;
            const cut = a - v > COMPACT_MIN ? a - v - 1 : 0;
            const tail = Buffer.allocUnsafe(keep - s - cut);
            if (cut === 0) {
              buf.copy(tail, 0, s, keep);
            } else {
              buf.copy(tail, 0, s, v + 1);
              buf.copy(tail, v + 1 - s, a, keep);
            }
            this.tail = tail;
          }
          return true;
        }
        if (!sink.onRecord(buf, out, r)) return this.stop();
        if (op === OP_ERROR) return this.stop();
        if (this.suspended) {
          this.hold(buf, out[r + F_END], end);
          return false;
        }
        if (this.skip > i) i = this.skip;
      }
      // Every record was complete: rescan from the last one's end (the records array was full,
      // or the scanner left an op it had no room to report).
      if (n === 0) return true;
      p = out[(n - 1) * REC_STRIDE + F_END];
      if (p >= end) return true;
    }
  }

  /** A wrong payload terminator in a collected op, reported as soon as its byte is here. */
  private payloadError(big: Buffer, pos: number): void {
    const out = RECORDS;
    out.fill(0, 0, REC_STRIDE);
    out[F_OP] = OP_ERROR;
    out[F_START] = 0;
    out[F_NARGS] = E_PAYLOAD_CRLF;
    out[F_PAY] = pos;
    this.sink.onRecord(big, out, 0);
    this.stop();
  }

  /**
   * During onRecord: the sink has also handled the complete records after this one, through
   * the record at field index `rec` (< batchEnd); the parser goes on after it. Lets a sink
   * treat a run of alike records in one go.
   */
  skipThrough(rec: number): void {
    this.skip = rec / REC_STRIDE;
  }

  /**
   * Called by the sink during onRecord: parsing pauses after this record (an asynchronous
   * decision, such as an embedder's authentication of a CONNECT). Bytes not parsed yet, and
   * every later feed, are held until resume().
   */
  suspend(): void {
    this.suspended = true;
  }

  /** Parses the bytes held since suspend(), then goes on with later feeds. */
  resume(): void {
    if (!this.suspended) return;
    this.suspended = false;
    const held = this.held;
    this.held = [];
    for (let i = 0; i < held.length; i++) {
      this.feed(held[i]);
      if (this.done) return;
      if (this.suspended) {
        this.held.push(...held.slice(i + 1));
        return;
      }
    }
  }

  /** Bytes held while suspended. */
  private hold(buf: Buffer, from: number, to: number): void {
    if (to <= from) return;
    this.held.push(Buffer.from(buf.subarray(from, to)));
    this.fed -= to - from; // counted again when resume() feeds them
  }

  private stop(): false {
    this.done = true;
    this.held = [];
    this.tail = null;
    this.big = null;
    this.bigFill = 0;
    return false;
  }
}
