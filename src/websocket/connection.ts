// One WebSocket client connection after its upgrade: the ClientSocket its Client writes to and
// reads from, over the TCP (or TLS) socket. Outbound bytes are framed as nats-server's
// wsCollapsePtoNB frames them: everything one flush hands over (between cork and uncork) is one
// binary frame, compressed when the client negotiated permessage-deflate and it is over 64 bytes,
// and cut into 4 KiB frames for browsers. Inbound frames are unmasked in place and their bytes
// go to the Client's parser as they come, as a TCP socket's chunks would.

import type net from 'node:net';
import { constants as zc, deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Client, ClientSocket } from '../client/client.js';
import type { UnmaskFn } from '../protocol/unmask.js';
import { ClosedState, type ClosedReason } from '../client/errors.js';
import {
  CLOSE_ABNORMAL,
  CLOSE_GOING_AWAY,
  CLOSE_INTERNAL_ERROR,
  CLOSE_MESSAGE_TOO_BIG,
  CLOSE_NORMAL,
  CLOSE_POLICY_VIOLATION,
  CLOSE_PROTOCOL_ERROR,
  CLOSE_TLS_HANDSHAKE,
  closePayload,
  controlFrame,
  FrameReader,
  MAX_FRAME_HEADER,
  OP_BINARY,
  OP_CLOSE,
  OP_PONG,
  writeFrameHeader,
  type FrameSink,
} from './frames.js';

/** nats-server's wsCompressThreshold: flushes of at most this many bytes go uncompressed. */
export const COMPRESS_THRESHOLD = 64;
/** nats-server's wsFrameSizeForBrowsers: frame size limit for `Mozilla/` user agents. */
export const BROWSER_FRAME_SIZE = 4096;
/** How long a protocol error's close frame gets before the socket is destroyed, ms. */
const LINGER_MS = 1000;
/** The deflate tail that permessage-deflate leaves off (RFC 7692 §7.2.1). */
const DEFLATE_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** What the upgrade negotiated. */
export interface WsSettings {
  /** permessage-deflate, no context takeover either way. */
  compress: boolean;
  /** The client masks its frames (it did not ask for Nats-No-Masking). */
  maskRead: boolean;
  /** A browser (`Mozilla/` user agent): frames of at most 4 KiB. */
  browser: boolean;
  /** Safari: compressed messages are not fragmented. */
  noCompressFragments: boolean;
}

/** wsEnqueueCloseMessage: the close status nats-server sends for a close reason. */
export function closeStatus(reason: ClosedReason | ''): number {
  switch (reason) {
    case ClosedState.ClientClosed:
      return CLOSE_NORMAL;
    case ClosedState.AuthenticationTimeout:
    case ClosedState.AuthenticationViolation:
    case ClosedState.SlowConsumerPendingBytes:
    case ClosedState.SlowConsumerWriteDeadline:
    case ClosedState.MaxConnectionsExceeded:
    case ClosedState.MaxControlLineExceeded:
    case ClosedState.MaxSubscriptionsExceeded:
      return CLOSE_POLICY_VIOLATION;
    case ClosedState.TLSHandshakeError:
      return CLOSE_TLS_HANDSHAKE;
    case ClosedState.ParseError:
    case ClosedState.ProtocolViolation:
    case ClosedState.BadClientProtocolVersion:
      return CLOSE_PROTOCOL_ERROR;
    case ClosedState.MaxPayloadExceeded:
      return CLOSE_MESSAGE_TOO_BIG;
    case ClosedState.ServerShutdown:
      return CLOSE_GOING_AWAY;
    case ClosedState.WriteError:
    case ClosedState.ReadError:
    case ClosedState.StaleConnection:
      return CLOSE_ABNORMAL;
    default:
      return CLOSE_INTERNAL_ERROR;
  }
}

export class WsConnection implements ClientSocket, FrameSink {
  /** The client this connection carries; set right after the Client is made. */
  client: Client | null = null;
  private readonly reader: FrameReader;
  private corks = 0;
  /** Bytes written while corked: one frame at uncork. */
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** A write while corked answered "full" before the bytes reached the socket. */
  private predictedFull = false;
  private closeSent = false;
  /** A protocol error's close frame is on its way: destroy() ends instead. */
  private lingering = false;

  /** `unmask`: the live implementation's (Server.impl). */
  constructor(
    readonly raw: net.Socket,
    private readonly settings: WsSettings,
    unmask: UnmaskFn,
  ) {
    this.reader = new FrameReader(this, settings.maskRead, unmask);
  }

  /** Starts reading frames: the socket's events go to the client. */
  start(client: Client): void {
    this.client = client;
    const raw = this.raw;
    raw.on('data', (chunk: Buffer) => this.reader.feed(chunk));
    raw.on('drain', () => client.drained());
    raw.on('end', () => client.close(ClosedState.ClientClosed));
    raw.on('close', () => client.close(ClosedState.ClientClosed));
    raw.on('error', () => client.close(ClosedState.ReadError));
  }

  // ---- ClientSocket ----

  get writableLength(): number {
    return this.raw.writableLength + this.pendingBytes;
  }

  write(b: Uint8Array): boolean {
    if (this.corks > 0) {
      this.pending.push(b);
      this.pendingBytes += b.length;
      const full = this.raw.writableLength + this.pendingBytes >= this.raw.writableHighWaterMark;
      if (full) this.predictedFull = true;
      return !full;
    }
    this.pending.push(b);
    this.pendingBytes += b.length;
    return this.flushFrames();
  }

  cork(): void {
    this.corks++;
  }

  uncork(): void {
    if (this.corks === 0 || --this.corks > 0) return;
    const predicted = this.predictedFull;
    this.predictedFull = false;
    const ok = this.flushFrames();
    // The Client waits for 'drain' after a false write; the socket sends one only if it said so.
    if (predicted && ok) queueMicrotask(() => this.client?.drained());
  }

  pause(): unknown {
    return this.raw.pause();
  }

  resume(): unknown {
    return this.raw.resume();
  }

  /** The Client closes: a close frame with the status of its reason, then FIN. */
  end(): void {
    this.sendClose(closeStatus(this.client?.closeReason ?? ''), this.client?.closeReason ?? '');
    this.raw.end();
  }

  /** Drops the connection; after a protocol error, its close frame goes out first. */
  destroy(): void {
    if (!this.lingering) {
      this.raw.destroy();
      return;
    }
    this.raw.end();
    setTimeout(() => this.raw.destroy(), LINGER_MS).unref();
  }

  // ---- frames out ----

  /** Frames what is pending (wsCollapsePtoNB) and writes it. */
  private flushFrames(): boolean {
    const bufs = this.pending;
    const total = this.pendingBytes;
    if (total === 0) return this.raw.writableLength < this.raw.writableHighWaterMark;
    this.pending = [];
    this.pendingBytes = 0;
    const s = this.settings;
    const raw = this.raw;
    let ok = true;
    raw.cork();
    if (s.compress && total > COMPRESS_THRESHOLD) {
      const input = bufs.length === 1 ? bufs[0] : Buffer.concat(bufs, total);
      const z = deflateRawSync(input, { level: zc.Z_BEST_SPEED, finishFlush: zc.Z_SYNC_FLUSH });
      const p = z.subarray(0, z.length - DEFLATE_TAIL.length);
      const mfs = s.browser && !s.noCompressFragments ? BROWSER_FRAME_SIZE : 0;
      if (mfs > 0 && p.length > mfs) {
        // One message in fragments: RSV1 on the first, continuations after, FIN on the last.
        for (let off = 0; off < p.length; off += mfs) {
          const end = Math.min(off + mfs, p.length);
          const h = Buffer.allocUnsafe(MAX_FRAME_HEADER);
          const n = writeFrameHeader(h, 0, off === 0 ? OP_BINARY : 0, off === 0, end - off);
          if (end < p.length) h[0] &= 0x7f;
          raw.write(h.subarray(0, n));
          ok = raw.write(p.subarray(off, end));
        }
      } else {
        const h = Buffer.allocUnsafe(MAX_FRAME_HEADER);
        raw.write(h.subarray(0, writeFrameHeader(h, 0, OP_BINARY, true, p.length)));
        ok = raw.write(p);
      }
    } else if (s.browser && total > BROWSER_FRAME_SIZE) {
      ok = this.writeLimited(bufs, BROWSER_FRAME_SIZE);
    } else {
      const h = Buffer.allocUnsafe(MAX_FRAME_HEADER);
      raw.write(h.subarray(0, writeFrameHeader(h, 0, OP_BINARY, false, total)));
      for (let i = 0; i < bufs.length; i++) ok = raw.write(bufs[i]);
    }
    raw.uncork();
    return ok;
  }

  /** Frames of at most `mfs` bytes, each a whole binary message (nats-server's browser framing). */
  private writeLimited(bufs: Uint8Array[], mfs: number): boolean {
    let ok = true;
    let frame: Uint8Array[] = [];
    let size = 0;
    const emit = (): void => {
      const h = Buffer.allocUnsafe(MAX_FRAME_HEADER);
      this.raw.write(h.subarray(0, writeFrameHeader(h, 0, OP_BINARY, false, size)));
      for (const b of frame) ok = this.raw.write(b);
      frame = [];
      size = 0;
    };
    for (let b of bufs) {
      while (b.length > 0) {
        const take = Math.min(b.length, mfs - size);
        frame.push(b.subarray(0, take));
        size += take;
        b = b.subarray(take);
        if (size === mfs) emit();
      }
    }
    if (size > 0) emit();
    return ok;
  }

  /** A close frame, once (nats-server's closeSent). */
  private sendClose(status: number, body: string): void {
    if (this.closeSent || this.raw.destroyed) return;
    this.closeSent = true;
    this.raw.write(controlFrame(OP_CLOSE, closePayload(status, body)));
  }

  // ---- FrameSink ----

  data(b: Buffer): void {
    this.client?.read(b);
  }

  compressed(parts: Buffer[]): void {
    let out: Buffer;
    try {
      out = inflateRawSync(Buffer.concat([...parts, DEFLATE_TAIL]), { finishFlush: zc.Z_SYNC_FLUSH });
    } catch (e) {
      this.protocolError((e as Error).message);
      return;
    }
    this.client?.read(out);
  }

  ping(payload: Buffer): void {
    if (!this.raw.destroyed) this.raw.write(controlFrame(OP_PONG, payload));
  }

  close(status: number, body: string): void {
    this.sendClose(status, body);
    this.client?.close(ClosedState.ClientClosed);
  }

  /**
   * wsHandleProtocolError: a 1002 close frame with the text, then the connection is closed for
   * a read error. (nats-server's read-error close races its writer: the frame gets out or not;
   * here it always does, then FIN.)
   */
  protocolError(text: string): void {
    const c = this.client;
    if (c === null) return;
    c.host.log('ERR', `${c} - read error: ${text}`);
    this.sendClose(CLOSE_PROTOCOL_ERROR, text);
    this.lingering = true;
    c.close(ClosedState.ReadError);
  }
}
