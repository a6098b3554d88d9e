// A raw TCP client for black-box protocol tests: write exact bytes, wait for exact bytes.
// Everything received is kept (`received()`), and a read cursor lets `expect` consume it in order.

import { connect as netConnect, type Socket } from 'node:net';
import { EventEmitter } from 'node:events';

export type Pattern = string | RegExp;

export interface RawClientOptions {
  host?: string;
  connectTimeoutMs?: number;
}

/** Render bytes readably: CR/LF and non-printables escaped, a real newline after each LF. */
export function showBytes(data: Buffer | string): string {
  const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  let s = '';
  for (const b of buf) {
    if (b === 0x0d) s += '\\r';
    else if (b === 0x0a) s += '\\n\n';
    else if (b === 0x09) s += '\\t';
    else if (b === 0x5c) s += '\\\\';
    else if (b < 0x20 || b > 0x7e) s += `\\x${b.toString(16).padStart(2, '0')}`;
    else s += String.fromCharCode(b);
  }
  return s;
}

export class RawClient {
  readonly socket: Socket;
  private chunks: Buffer[] = [];
  private total = 0;
  private cursor = 0; // bytes consumed by expect()/readUntilQuiet()
  private flat: Buffer | null = Buffer.alloc(0);
  private readonly ev = new EventEmitter();
  private closedP: Promise<void>;
  /** Set when the socket is gone (either side). */
  isClosed = false;
  /** True if the server ended/reset the connection (we did not call close/destroy first). */
  closedByServer = false;
  /** The server's FIN arrived. */
  ended = false;
  /** Socket error code if any (ECONNRESET, EPIPE...). */
  errorCode: string | undefined;
  /** Monotonic ms of the last byte received (or of connect). */
  lastDataAt = performance.now();
  private closing = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.ev.setMaxListeners(0);
    socket.setNoDelay(true);
    socket.on('data', (b: Buffer) => {
      this.chunks.push(b);
      this.total += b.length;
      this.flat = null;
      this.lastDataAt = performance.now();
      this.ev.emit('change');
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      this.errorCode = e.code ?? String(e);
    });
    socket.on('end', () => {
      this.ended = true;
      if (!this.closing) this.closedByServer = true;
    });
    this.closedP = new Promise((resolve) => {
      socket.once('close', () => {
        if (!this.closing) this.closedByServer = true;
        this.isClosed = true;
        this.ev.emit('change');
        resolve();
      });
    });
  }

  static connect(port: number, opts: RawClientOptions = {}): Promise<RawClient> {
    const host = opts.host ?? '127.0.0.1';
    return new Promise((resolve, reject) => {
      const s = netConnect({ host, port });
      const t = setTimeout(() => {
        s.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, opts.connectTimeoutMs ?? 5000);
      s.once('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
      s.once('connect', () => {
        clearTimeout(t);
        s.removeAllListeners('error');
        resolve(new RawClient(s));
      });
    });
  }

  /** All bytes received so far. */
  received(): Buffer {
    if (!this.flat) {
      this.flat = Buffer.concat(this.chunks, this.total);
      this.chunks = [this.flat];
    }
    return this.flat;
  }

  /** Bytes received and not yet consumed by expect()/readUntilQuiet()/take(). */
  unread(): Buffer {
    return this.received().subarray(this.cursor);
  }

  /** Consume and return everything unread. */
  take(): Buffer {
    const b = this.unread();
    this.cursor = this.total;
    return Buffer.from(b);
  }

  /** Write bytes (strings are UTF-8). Writes after the server closed are dropped. */
  send(data: string | Buffer): void {
    if (this.ended || this.isClosed || this.socket.destroyed || this.socket.writableEnded) return;
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  }

  /**
   * Write in the given pieces, so that the server sees separate reads. Between pieces we wait
   * until nothing arrived for `quietMs`, and we stop once the server has closed: writing into a
   * connection the server already closed draws a TCP RST, which can make the kernel discard
   * bytes (an -ERR) we have not read yet.
   */
  async sendPieces(pieces: Buffer[], quietMs = 3): Promise<void> {
    for (let i = 0; i < pieces.length; i++) {
      if (i > 0) await waitQuiet([this], quietMs, 1000);
      if (this.ended || this.isClosed) return;
      this.send(pieces[i]!);
    }
  }

  /** Resolves after the next 'data' or close, or after ms. */
  private waitChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.ev.off('change', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.ev.on('change', done);
    });
  }

  /**
   * Wait until the unread bytes match `pattern` (a string must appear, a RegExp must match the
   * latin1 text); consume through the end of the match and return the consumed text.
   */
  async expect(pattern: Pattern, timeoutMs = 2000): Promise<string> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const text = this.unread().toString('latin1');
      let end = -1;
      if (typeof pattern === 'string') {
        const i = text.indexOf(pattern);
        if (i >= 0) end = i + pattern.length;
      } else {
        const m = pattern.exec(text);
        if (m) end = m.index + m[0].length;
      }
      if (end >= 0) {
        this.cursor += end;
        return text.slice(0, end);
      }
      const left = deadline - performance.now();
      if (left <= 0 || (this.isClosed && this.unread().length === text.length)) {
        throw new Error(
          `expected ${String(pattern)} ${this.isClosed ? '(connection closed)' : `within ${timeoutMs} ms`}; unread:\n${showBytes(text)}`,
        );
      }
      await this.waitChange(left);
    }
  }

  /** Wait until no byte has arrived for `quietMs` (or the socket closed); consume and return the unread bytes. */
  async readUntilQuiet(quietMs = 50, maxMs = 5000): Promise<Buffer> {
    await waitQuiet([this], quietMs, maxMs);
    return this.take();
  }

  /** Resolves when the socket is closed (by either side). */
  closed(): Promise<void> {
    return this.closedP;
  }

  /** Resolves true if the server closes the connection within ms, else false. */
  async closedWithin(ms: number): Promise<boolean> {
    if (this.isClosed) return true;
    let t: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      this.closedP.then(() => true),
      new Promise<boolean>((res) => {
        t = setTimeout(() => res(false), ms);
      }),
    ]);
    clearTimeout(t);
    return r;
  }

  /** Send PING and wait for the next PONG (consumes through it). */
  async ping(timeoutMs = 2000): Promise<string> {
    this.send('PING\r\n');
    return this.expect('PONG\r\n', timeoutMs);
  }

  /** Close our side and wait for the socket to be fully closed. */
  async close(): Promise<void> {
    this.closing = !this.isClosed;
    if (!this.isClosed) this.socket.destroy();
    await this.closedP;
  }
}

/**
 * Wait until none of the clients received a byte for `quietMs` (closed clients count as quiet).
 * After the timer fires we also let one poll phase pass (setImmediate) so that data already
 * sitting in the socket is seen even when the event loop was busy.
 */
export async function waitQuiet(clients: RawClient[], quietMs: number, maxMs = 5000): Promise<void> {
  const start = performance.now();
  for (;;) {
    const open = clients.filter((c) => !c.isClosed);
    if (open.length === 0) return;
    const last = Math.max(start, ...open.map((c) => c.lastDataAt));
    const now = performance.now();
    if (now - start >= maxMs) return;
    const due = last + quietMs - now;
    if (due <= 0) {
      const before = open.map((c) => c.lastDataAt);
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      if (open.every((c, i) => c.lastDataAt === before[i])) return;
      continue;
    }
    await new Promise((r) => setTimeout(r, Math.min(due, maxMs)));
  }
}
