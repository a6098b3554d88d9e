// hot path: no allocation per message, no I/O
// Per-connection outbound bytes. Frames are written straight into the current chunk; a flush
// hands the written part [start, off) to the socket as one write (zero copy) and keeps writing
// after it in the same chunk, so a chunk is only replaced when it fills up. Chunks start small
// (idle connections cost little) and grow for busy ones.

export const MIN_CHUNK = 1024;
export const MAX_CHUNK = 64 * 1024;

export interface OutboundSink {
  /** Writes bytes to the socket; returns false when the kernel buffer is full (wait for drain). */
  write(b: Uint8Array): boolean;
  cork(): void;
  uncork(): void;
}

export class Outbound {
  /** Current chunk: bytes [start, off) are queued, [off, buf.length) are free. */
  buf: Buffer;
  off = 0;
  private start = 0;
  /** Full chunks waiting for the next flush. */
  private sealed: Buffer[] = [];
  private sealedBytes = 0;
  private nextChunk = MIN_CHUNK;
  /** Bytes handed to the sink since the start (the write deadline measures progress with it). */
  handed = 0;

  constructor() {
    this.buf = EMPTY;
  }

  /** Bytes queued here and not yet handed to the socket. */
  get queued(): number {
    return this.sealedBytes + this.off - this.start;
  }

  /** Makes room for n contiguous bytes at `off`. Call before writing into `buf`. */
  reserve(n: number): void {
    if (this.buf.length - this.off >= n) return;
    if (this.off > this.start) {
      // A chunk filled up within one loop turn: this connection is busy, give it bigger ones.
      this.sealed.push(this.buf.subarray(this.start, this.off));
      this.sealedBytes += this.off - this.start;
      if (this.nextChunk < MAX_CHUNK) this.nextChunk *= 2;
    }
    this.buf = Buffer.allocUnsafe(Math.max(n, this.nextChunk));
    this.start = 0;
    this.off = 0;
  }

  appendLatin1(s: string): void {
    this.reserve(s.length);
    this.off += this.buf.write(s, this.off, 'latin1');
  }

  appendBytes(b: Uint8Array, from = 0, to = b.length): void {
    const n = to - from;
    this.reserve(n);
    this.buf.set(b.subarray(from, to), this.off);
    this.off += n;
  }

  /** Hands everything queued to the sink. Returns the sink's last write() result. */
  flushTo(sink: OutboundSink): boolean {
    let ok = true;
    this.handed += this.queued;
    const n = this.sealed.length;
    if (n > 0) {
      sink.cork();
      for (let i = 0; i < n; i++) ok = sink.write(this.sealed[i]);
      this.sealed.length = 0;
      this.sealedBytes = 0;
      if (this.off > this.start) ok = sink.write(this.buf.subarray(this.start, this.off));
      sink.uncork();
    } else if (this.off > this.start) {
      ok = sink.write(this.buf.subarray(this.start, this.off));
    }
    this.start = this.off;
    // A quiet connection does not keep its small chunk between writes (idle memory).
    if (this.buf.length <= MIN_CHUNK) this.release();
    return ok;
  }

  private release(): void {
    this.buf = EMPTY;
    this.start = 0;
    this.off = 0;
  }

  /** Drops everything queued (slow consumer: nothing is flushed). */
  discard(): void {
    this.sealed.length = 0;
    this.sealedBytes = 0;
    this.release();
  }
}

const EMPTY = Buffer.alloc(0);
