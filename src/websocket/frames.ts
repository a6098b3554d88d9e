// WebSocket frames (RFC 6455 §5) as nats-server's websocket.go reads and writes them: wsRead's
// checks and texts, wsFillFrameHeader, wsCreateCloseMessage, and the in-place unmasking.
// hot path: a data frame's payload is unmasked where it lies and handed on as a view of the
// socket's chunk (no copy); only compressed messages and split control frames are copied.
// The unmasking loop is the live implementation's (native addon or its TS twin,
// src/protocol/unmask.ts), as ws hands it to bufferutil.

import { unmask as tsUnmask, type UnmaskFn } from '../protocol/unmask.js';

export const OP_CONTINUATION = 0;
export const OP_TEXT = 1;
export const OP_BINARY = 2;
export const OP_CLOSE = 8;
export const OP_PING = 9;
export const OP_PONG = 10;

const FINAL_BIT = 0x80;
const RSV1_BIT = 0x40;
const MASK_BIT = 0x80;
const MAX_CONTROL_PAYLOAD = 125;
/** The largest frame header: 2 bytes, an 8-byte length and a 4-byte mask key. */
export const MAX_FRAME_HEADER = 14;

export const CLOSE_NORMAL = 1000;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_PROTOCOL_ERROR = 1002;
export const CLOSE_NO_STATUS = 1005;
export const CLOSE_ABNORMAL = 1006;
export const CLOSE_INVALID_PAYLOAD = 1007;
export const CLOSE_POLICY_VIOLATION = 1008;
export const CLOSE_MESSAGE_TOO_BIG = 1009;
export const CLOSE_INTERNAL_ERROR = 1011;
export const CLOSE_TLS_HANDSHAKE = 1015;

/** What the reader hands on. */
export interface FrameSink {
  /** Unmasked bytes of an uncompressed data message, in order (a frame may come in pieces). */
  data(b: Buffer): void;
  /** A whole compressed message (its frames' payloads, unmasked), to inflate. */
  compressed(parts: Buffer[]): void;
  ping(payload: Buffer): void;
  /** A close frame: its status (1005 when it has none) and body. */
  close(status: number, body: string): void;
  /** A frame that breaks the protocol: nats-server's text for the 1002 close. */
  protocolError(text: string): void;
}

/**
 * Writes a frame header at `off` in `buf` (room for MAX_FRAME_HEADER bytes): a final frame of
 * `op`, unmasked (a server's frames), RSV1 set when `compressed`. Returns its length.
 */
export function writeFrameHeader(buf: Uint8Array, off: number, op: number, compressed: boolean, len: number): number {
  buf[off] = FINAL_BIT | op | (compressed ? RSV1_BIT : 0);
  if (len <= 125) {
    buf[off + 1] = len;
    return 2;
  }
  if (len < 65536) {
    buf[off + 1] = 126;
    buf[off + 2] = len >>> 8;
    buf[off + 3] = len & 0xff;
    return 4;
  }
  buf[off + 1] = 127;
  const hi = Math.floor(len / 2 ** 32);
  const lo = len >>> 0;
  buf[off + 2] = hi >>> 24;
  buf[off + 3] = (hi >>> 16) & 0xff;
  buf[off + 4] = (hi >>> 8) & 0xff;
  buf[off + 5] = hi & 0xff;
  buf[off + 6] = lo >>> 24;
  buf[off + 7] = (lo >>> 16) & 0xff;
  buf[off + 8] = (lo >>> 8) & 0xff;
  buf[off + 9] = lo & 0xff;
  return 10;
}

/** A whole control frame (close, ping, pong) with `payload` (at most 125 bytes). */
export function controlFrame(op: number, payload: Uint8Array): Buffer {
  const f = Buffer.allocUnsafe(2 + payload.length);
  f[0] = FINAL_BIT | op;
  f[1] = payload.length;
  f.set(payload, 2);
  return f;
}

/**
 * wsCreateCloseMessage: the status as 2 bytes, then the body, cut to fit a control frame
 * (122 bytes and "...").
 */
export function closePayload(status: number, body: string): Buffer {
  let b = Buffer.from(body, 'utf8');
  if (b.length > MAX_CONTROL_PAYLOAD - 2) b = Buffer.concat([b.subarray(0, MAX_CONTROL_PAYLOAD - 5), Buffer.from('...')]);
  const p = Buffer.allocUnsafe(2 + b.length);
  p.writeUInt16BE(status, 0);
  p.set(b, 2);
  return p;
}

/**
 * Below this many bytes a frame piece is unmasked by the TS twin even when the native one is
 * live: the N-API call costs more than the loop. Measured (Node 20.20 x64, 2-core VM, ns per
 * call, TS / native): 16 B 56 / 81, 32 B 71 / 83, 64 B 91 / 83, 128 B 108 / 86, 1 KiB 318 / 105,
 * 16 KiB 3771 / 491 (0.23 / 0.03 ns a byte).
 */
export const NATIVE_UNMASK_MIN = 64;

/**
 * Reads the frames of one connection from its socket chunks, across chunk boundaries: wsRead's
 * state machine. `mask` says whether frames must be masked (always for clients, unless they
 * asked for Nats-No-Masking); `unmask` is the live implementation's.
 */
export class FrameReader {
  /** The header being read (it may arrive in pieces). */
  private readonly hdr = Buffer.alloc(MAX_FRAME_HEADER);
  private hdrLen = 0;
  /** The header's first two bytes have been checked. */
  private checked = false;
  /** Payload bytes left in the current frame; -1 while reading a header. */
  private rem = -1;
  /** The current frame's opcode. */
  private op = 0;
  /** The last frame of the current data message has been seen (a new message may start). */
  private ff = true;
  /** The current data message is compressed (RSV1 on its first frame). */
  private fc = false;
  /** The masking key as a word (its first byte the low one), and where the next byte falls in it. */
  private key = 0;
  private kpos = 0;
  private masked = false;
  /** A control frame's payload, gathered when it spans chunks. */
  private ctrl: Buffer[] = [];
  private parts: Buffer[] = [];
  /** Stopped after a protocol error or a close frame. */
  private done = false;

  constructor(
    private readonly sink: FrameSink,
    private readonly mask: boolean,
    private readonly unmask: UnmaskFn,
  ) {}

  /** Reads a socket chunk (unmasking it in place). */
  feed(chunk: Buffer): void {
    const max = chunk.length;
    let pos = 0;
    while (pos < max && !this.done) {
      if (this.rem < 0) {
        pos = this.readHeader(chunk, pos);
        continue;
      }
      const n = Math.min(this.rem, max - pos);
      const b = chunk.subarray(pos, pos + n);
      pos += n;
      this.rem -= n;
      if (this.masked && n > 0) {
        // The key rotated to start at kpos.
        const k = this.kpos === 0 ? this.key : (this.key >>> (this.kpos << 3)) | (this.key << (32 - (this.kpos << 3)));
        if (n < NATIVE_UNMASK_MIN) tsUnmask(chunk, pos - n, n, k);
        else this.unmask(chunk, pos - n, n, k);
        this.kpos = (this.kpos + n) & 3;
      }
      if (this.op >= OP_CLOSE) {
        this.ctrl.push(b);
        if (this.rem === 0) this.control();
      } else if (this.fc) {
        this.parts.push(b);
        if (this.ff && this.rem === 0) {
          const parts = this.parts;
          this.parts = [];
          this.fc = false;
          this.sink.compressed(parts);
        }
      } else if (n > 0) this.sink.data(b);
      if (this.rem === 0) this.rem = -1;
    }
  }

  /** Gathers header bytes from `pos`; once whole, checks it and starts its payload. */
  private readHeader(chunk: Buffer, pos: number): number {
    const h = this.hdr;
    while (this.hdrLen < 2 && pos < chunk.length) h[this.hdrLen++] = chunk[pos++];
    if (this.hdrLen < 2) return pos;
    if (!this.checked) {
      if (!this.checkStart()) return chunk.length;
      this.checked = true;
    }
    const len7 = h[1] & 0x7f;
    const need = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (this.masked ? 4 : 0);
    while (this.hdrLen < need && pos < chunk.length) h[this.hdrLen++] = chunk[pos++];
    if (this.hdrLen < need) return pos;
    let off = 2;
    let len = len7;
    if (len7 === 126) {
      len = h.readUInt16BE(2);
      off = 4;
    } else if (len7 === 127) {
      len = h.readUInt32BE(2) * 2 ** 32 + h.readUInt32BE(6);
      off = 10;
    }
    if (this.masked) {
      this.key = h[off] | (h[off + 1] << 8) | (h[off + 2] << 16) | (h[off + 3] << 24);
      this.kpos = 0;
    }
    this.hdrLen = 0;
    this.checked = false;
    this.rem = len;
    if (len === 0) {
      this.rem = -1;
      if (this.op >= OP_CLOSE) this.control();
      else if (this.fc && this.ff) {
        const parts = this.parts;
        this.parts = [];
        this.fc = false;
        this.sink.compressed(parts);
      }
    }
    return pos;
  }

  /** wsRead's checks on the first two header bytes, in its order. */
  private checkStart(): boolean {
    const b0 = this.hdr[0];
    const b1 = this.hdr[1];
    const op = b0 & 0x0f;
    const final = (b0 & FINAL_BIT) !== 0;
    const compressed = (b0 & RSV1_BIT) !== 0;
    this.masked = (b1 & MASK_BIT) !== 0;
    if (this.mask && !this.masked) return this.fail('mask bit missing');
    const len7 = b1 & 0x7f;
    switch (op) {
      case OP_PING:
      case OP_PONG:
      case OP_CLOSE:
        if (len7 > MAX_CONTROL_PAYLOAD) {
          return this.fail(`control frame length bigger than maximum allowed of ${MAX_CONTROL_PAYLOAD} bytes`);
        }
        if (!final) return this.fail('control frame does not have final bit set');
        break;
      case OP_TEXT:
      case OP_BINARY:
        if (!this.ff) return this.fail('new message started before final frame for previous message was received');
        this.ff = final;
        this.fc = compressed;
        break;
      case OP_CONTINUATION:
        if (this.ff || compressed) return this.fail('invalid continuation frame');
        this.ff = final;
        break;
      default:
        return this.fail(`unknown opcode ${op}`);
    }
    this.op = op;
    return true;
  }

  private fail(text: string): false {
    this.done = true;
    this.sink.protocolError(text);
    return false;
  }

  /** A whole control frame (wsHandleControlFrame). */
  private control(): void {
    const payload = this.ctrl.length === 1 ? this.ctrl[0] : Buffer.concat(this.ctrl);
    this.ctrl = [];
    if (this.op === OP_PING) this.sink.ping(payload);
    else if (this.op === OP_CLOSE) {
      this.done = true;
      let status = CLOSE_NO_STATUS;
      let body = '';
      if (payload.length >= 2) {
        status = payload.readUInt16BE(0);
        if (payload.length > 2) {
          const raw = payload.subarray(2);
          body = raw.toString('utf8');
          if (!Buffer.from(body, 'utf8').equals(raw)) {
            status = CLOSE_INVALID_PAYLOAD;
            body = 'invalid utf8 body in close frame';
          }
        }
      }
      this.sink.close(status, body);
    }
  }
}
