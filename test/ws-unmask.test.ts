// "Bindings match fallback" for WebSocket unmasking (issue 14): the native unmask and its TS twin
// (src/protocol/unmask.ts) against a byte-by-byte reference on seeded random ranges (lengths,
// offsets, masks, unaligned starts in a larger backing buffer), and FrameReader fed the same
// random masked frame streams, cut into random chunks at random alignments, with either twin:
// both must hand on the same plaintext, in the same pieces.
import { describe, expect, it } from 'vitest';
import { unmask as tsUnmask } from '../src/protocol/unmask.js';
import type { UnmaskFn } from '../src/protocol/unmask.js';
import { FrameReader, NATIVE_UNMASK_MIN, type FrameSink } from '../src/websocket/frames.js';
import { prng } from './helpers/records.js';
import { NATIVE_OFF, TWINS } from './helpers/twins.js';

/** The RFC's loop: byte i XOR byte (i & 3) of the key, the key's first byte being mask's low one. */
function reference(buf: Uint8Array, offset: number, length: number, mask: number): void {
  for (let i = 0; i < length; i++) buf[offset + i] ^= (mask >>> ((i & 3) * 8)) & 0xff;
}

const SIZES = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 1000, 4096, 4099, 65536 + 13];

function randomBytes(rnd: () => number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (rnd() * 256) | 0;
  return b;
}

describe('unmask twins', () => {
  it('the native twin is live unless TSNATS_NATIVE=off', () => {
    expect(TWINS.map((t) => t.name)).toEqual(NATIVE_OFF ? ['ts'] : ['ts', 'native']);
  });

  it.each(TWINS.map((t) => [t.name, t.unmask] as const))('%s: matches the reference on random ranges at every alignment', (_name, unmask) => {
    const rnd = prng(1414);
    for (let iter = 0; iter < 1500; iter++) {
      const length = iter < SIZES.length * 8 ? SIZES[iter % SIZES.length] : rnd() < 0.8 ? (rnd() * 300) | 0 : (rnd() * 20000) | 0;
      const shift = (rnd() * 16) | 0; // the view's start in its ArrayBuffer: unaligned starts
      const before = (rnd() * 9) | 0;
      const after = (rnd() * 9) | 0;
      const backing = randomBytes(rnd, shift + before + length + after);
      const view = new Uint8Array(backing.buffer, backing.byteOffset + shift, before + length + after);
      // Masks as the reader makes them: any 32-bit pattern, negative int32s included.
      const mask = rnd() < 0.5 ? (rnd() * 2 ** 32) >>> 0 : (rnd() * 2 ** 32) | 0;
      const want = Buffer.from(backing);
      reference(new Uint8Array(want.buffer, want.byteOffset + shift, view.length), before, length, mask);
      unmask(view, before, length, mask);
      expect(Buffer.compare(backing, want), `length ${length} shift ${shift} offset ${before} mask ${mask}`).toBe(0);
    }
  });

  it.each(TWINS.map((t) => [t.name, t.unmask] as const))('%s: unmasking twice gives the bytes back', (_name, unmask) => {
    const rnd = prng(7);
    const b = randomBytes(rnd, 5000);
    const orig = Buffer.from(b);
    unmask(b, 3, 4990, 0xdeadbeef);
    expect(b.equals(orig)).toBe(false);
    unmask(b, 3, 4990, 0xdeadbeef | 0);
    expect(b.equals(orig)).toBe(true);
  });

  it.each(TWINS.map((t) => [t.name, t.unmask] as const))('%s: leaves the buffer alone for a range outside it', (_name, unmask) => {
    const b = Buffer.alloc(64, 0x55);
    for (const [off, len] of [[-1, 4], [0, -1], [60, 5], [65, 0], [0, 65]]) {
      unmask(b, off, len, 0x01020304);
      expect(b.equals(Buffer.alloc(64, 0x55)), `offset ${off} length ${len}`).toBe(true);
    }
  });
});

class Collect implements FrameSink {
  out: string[] = [];
  data(b: Buffer): void {
    this.out.push('d:' + b.toString('hex'));
  }
  compressed(parts: Buffer[]): void {
    this.out.push('z:' + Buffer.concat(parts).toString('hex'));
  }
  ping(p: Buffer): void {
    this.out.push('ping:' + p.toString('hex'));
  }
  close(status: number, body: string): void {
    this.out.push(`close:${status}:${body}`);
  }
  protocolError(text: string): void {
    this.out.push('err:' + text);
  }
}

/** A masked client frame with a random key. */
function frame(rnd: () => number, first: number, payload: Buffer): Buffer {
  const len = payload.length;
  const hl = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const f = Buffer.alloc(hl + 4 + len);
  f[0] = first;
  if (hl === 2) f[1] = 0x80 | len;
  else if (hl === 4) {
    f[1] = 0x80 | 126;
    f.writeUInt16BE(len, 2);
  } else {
    f[1] = 0x80 | 127;
    f.writeBigUInt64BE(BigInt(len), 2);
  }
  const key = randomBytes(rnd, 4);
  key.copy(f, hl);
  for (let i = 0; i < len; i++) f[hl + 4 + i] = payload[i] ^ key[i & 3];
  return f;
}

/**
 * A random stream of client frames: whole and fragmented binary messages (some compressed, RSV1),
 * pings between fragments, a close at the end; and the plaintext of its uncompressed data.
 */
function stream(rnd: () => number): { bytes: Buffer; plain: Buffer } {
  const frames: Buffer[] = [];
  const plain: Buffer[] = [];
  const n = 1 + ((rnd() * 12) | 0);
  for (let m = 0; m < n; m++) {
    const size = rnd() < 0.6 ? (rnd() * 300) | 0 : rnd() < 0.8 ? (rnd() * 9000) | 0 : 65536 + ((rnd() * 3000) | 0);
    const msg = randomBytes(rnd, size);
    const compressed = rnd() < 0.15;
    if (!compressed) plain.push(msg);
    const pieces = rnd() < 0.3 ? 2 + ((rnd() * 3) | 0) : 1;
    for (let p = 0, off = 0; p < pieces; p++) {
      const end = p === pieces - 1 ? size : off + ((rnd() * (size - off + 1)) | 0);
      const fin = p === pieces - 1 ? 0x80 : 0;
      const op = p === 0 ? 0x02 | (compressed ? 0x40 : 0) : 0x00;
      frames.push(frame(rnd, fin | op, msg.subarray(off, end)));
      if (!fin && rnd() < 0.3) frames.push(frame(rnd, 0x89, randomBytes(rnd, (rnd() * 126) | 0)));
      off = end;
    }
  }
  frames.push(frame(rnd, 0x88, Buffer.from([3, 232])));
  return { bytes: Buffer.concat(frames), plain: Buffer.concat(plain) };
}

/** Feeds `bytes` to a FrameReader with `unmask`, in the chunks `cuts` give, each copied to `shifts`' alignment. */
function read(unmask: UnmaskFn, bytes: Buffer, cuts: number[], shifts: number[]): string[] {
  const c = new Collect();
  const r = new FrameReader(c, true, unmask);
  let at = 0;
  cuts.forEach((end, k) => {
    const len = end - at;
    const backing = Buffer.alloc(len + shifts[k] + 3);
    const chunk = backing.subarray(shifts[k], shifts[k] + len);
    bytes.copy(chunk, 0, at, end);
    r.feed(chunk);
    at = end;
  });
  return c.out;
}

describe('FrameReader with either unmask twin', () => {
  it('random masked streams in random chunks: the same pieces from both, and the plaintext', () => {
    const rnd = prng(2026);
    for (let iter = 0; iter < 150; iter++) {
      const { bytes, plain } = stream(rnd);
      const cuts: number[] = [];
      const shifts: number[] = [];
      for (let at = 0; at < bytes.length; ) {
        const x = rnd();
        at = Math.min(bytes.length, at + 1 + (x < 0.2 ? (rnd() * 8) | 0 : x < 0.7 ? (rnd() * 2000) | 0 : (rnd() * 70000) | 0));
        cuts.push(at);
        shifts.push((rnd() * 8) | 0);
      }
      const results = TWINS.map((t) => read(t.unmask, bytes, cuts, shifts));
      const ts = results[0];
      expect(ts.at(-1)).toBe('close:1000:');
      const data = Buffer.from(ts.filter((s) => s.startsWith('d:')).map((s) => s.slice(2)).join(''), 'hex');
      expect(data.equals(plain), `iteration ${iter}`).toBe(true);
      for (const other of results.slice(1)) expect(other).toEqual(ts);
    }
  });

  it(`pieces of ${NATIVE_UNMASK_MIN} bytes and more go to the live twin, smaller ones to the TS loop`, () => {
    const calls: number[] = [];
    const counting: UnmaskFn = (buf, offset, length, mask) => {
      calls.push(length);
      tsUnmask(buf, offset, length, mask);
    };
    const rnd = prng(3);
    const c = new Collect();
    const r = new FrameReader(c, true, counting);
    r.feed(Buffer.concat([frame(rnd, 0x82, Buffer.alloc(NATIVE_UNMASK_MIN - 1, 1)), frame(rnd, 0x82, Buffer.alloc(NATIVE_UNMASK_MIN, 2)), frame(rnd, 0x82, Buffer.alloc(5000, 3))]));
    expect(calls).toEqual([NATIVE_UNMASK_MIN, 5000]);
    expect(c.out).toEqual(['d:' + '01'.repeat(NATIVE_UNMASK_MIN - 1), 'd:' + '02'.repeat(NATIVE_UNMASK_MIN), 'd:' + '03'.repeat(5000)]);
  });
});
