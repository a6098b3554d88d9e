// hot path: no allocation per message, no I/O
//
// Stateful wrapper around a ScanFn (native or TS): one scan per socket read (plus rescans when
// the record array fills), records handed to a sink in order. Pure: no sockets, no timers.
//
// Ops split across reads:
//  - an op whose control line is not complete yet: only the unconsumed tail is kept (a copy).
//    On the next read the tail is joined with the new bytes up to the first LF only (never with
//    the whole read) and rescanned; the rest of the read is scanned in place. The tail is
//    bounded: the scanner fails a line over the control-line limit, and bytes it marks as
//    droppable (PING/PONG/+OK junk, blanks after a verb) are cut once there are more than
//    COMPACT_MIN of them.
//  - a PUB/HPUB whose control line is complete but whose payload is not: the partial record is
//    reported once (the sink can check max payload and return false; then nothing is
//    allocated), then ONE buffer of the op's full length is allocated and filled by the
//    following reads; when full it is scanned and the completed record is reported.
// After an OP_ERROR record, or when the sink returns false, parsing stops for good (feed does
// nothing) until reset().

import { F_A0S, F_END, F_OP, F_PAY, F_START, OP_ERROR, OP_MASK, OP_PARTIAL, REC_STRIDE } from './layout.js';
import type { ScanFn } from './scanner.js';

export type { ScanFn };

export interface ParserSink {
  /**
   * Called for every record in order: complete ops, OP_ERROR, and partial records (a PUB/HPUB
   * partial with its control line complete is reported exactly once per op; a bare OP_PARTIAL
   * may be reported on each read). `buf`/`recs` are only valid during the call. `rec` is the
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
    return this.big !== null ? this.big.length : this.tail !== null ? this.tail.length : 0;
  }

  /** Forgets everything (held bytes, stopped state, stream offset). */
  reset(): void {
    this.tail = null;
    this.big = null;
    this.bigFill = 0;
    this.done = false;
    this.fed = 0;
    this.bufferOffset = 0;
  }

  feed(chunk: Buffer): void {
    if (this.done) return;
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
        if (!this.run(joined, 0, base + pos - tl)) return;
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
        const part = big.subarray(0, this.bigFill);
        this.big = null;
        this.bigFill = 0;
        this.run(part, 0, base + chunk.length - part.length);
        return -1;
      }
      return chunk.length;
    }
    chunk.copy(big, this.bigFill, pos, pos + need);
    this.big = null;
    this.bigFill = 0;
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
      for (let i = 0; i < n; i++) {
        const r = i * REC_STRIDE;
        const op = out[r + F_OP];
        if ((op & OP_PARTIAL) !== 0) {
          if (!sink.onRecord(buf, out, r)) return this.stop();
          if ((op & OP_MASK) !== 0) {
            // PUB/HPUB with its control line complete: collect the op in one buffer.
            const s = out[r + F_START];
            const big = Buffer.allocUnsafe(out[r + F_END] - s);
            buf.copy(big, 0, s, end);
            this.big = big;
            this.bigFill = end - s;
          } else {
            const s = out[r + F_PAY];
            let keep = out[r + F_A0S];
            if (end - keep <= COMPACT_MIN) keep = end;
            const tail = Buffer.allocUnsafe(keep - s);
            buf.copy(tail, 0, s, keep);
            this.tail = tail;
          }
          return true;
        }
        if (!sink.onRecord(buf, out, r)) return this.stop();
        if (op === OP_ERROR) return this.stop();
      }
      if (n < PARSER_RECORDS) return true;
      p = out[(n - 1) * REC_STRIDE + F_END];
    }
  }

  private stop(): false {
    this.done = true;
    this.tail = null;
    this.big = null;
    this.bigFill = 0;
    return false;
  }
}
