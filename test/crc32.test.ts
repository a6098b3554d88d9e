// "Bindings match fallback" for the file store's checksum: the native crc32 (native/crc32.cc:
// carry-less multiply folding for 64 bytes and more where the CPU has it, slice-by-16 tables
// otherwise) and its TS twin (crc32Ts, slice-by-8) against a bit-by-bit reference and zlib on
// seeded random ranges (lengths around every folding boundary, unaligned starts in a larger
// buffer), and both leave -1 for a range outside the buffer.
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, crc32Ts } from '../src/util/crc32.js';
import { prng } from './helpers/records.js';
import { NATIVE_OFF, TWINS } from './helpers/twins.js';

/** The CRC-32 bit by bit (reflected polynomial 0xedb88320). */
function reference(buf: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) {
    c ^= buf[i];
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

const SIZES = [0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 79, 80, 81, 127, 128, 129, 191, 192, 255, 256, 257, 1000, 1024, 1043, 4096, 65536 + 13];

function randomBytes(rnd: () => number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (rnd() * 256) | 0;
  return b;
}

const FNS = [...TWINS.map((t) => [t.name, t.crc32] as const), ['crc32Ts', crc32Ts] as const, ['TS path choice', crc32] as const];

describe('crc32 twins', () => {
  it('the native twin is live unless TSNATS_NATIVE=off', () => {
    expect(TWINS.map((t) => t.name)).toEqual(NATIVE_OFF ? ['ts'] : ['ts', 'native']);
  });

  it.each(FNS)('%s: matches the reference and zlib on random ranges at every alignment', (_name, fn) => {
    const rnd = prng(3232);
    for (let iter = 0; iter < 1200; iter++) {
      const length = iter < SIZES.length * 4 ? SIZES[iter % SIZES.length] : rnd() < 0.8 ? (rnd() * 400) | 0 : (rnd() * 20000) | 0;
      const shift = (rnd() * 16) | 0;
      const before = (rnd() * 9) | 0;
      const backing = randomBytes(rnd, shift + before + length + ((rnd() * 9) | 0));
      const view = backing.subarray(shift);
      const want = reference(view, before, before + length);
      expect(fn(view, before, before + length), `length ${length} shift ${shift} start ${before}`).toBe(want);
      expect(zlib.crc32(view.subarray(before, before + length))).toBe(want);
    }
  });

  it.each(FNS)('%s: -1 for a range outside the buffer', (_name, fn) => {
    const b = Buffer.alloc(100, 1);
    expect(fn(b, -1, 10)).toBe(-1);
    expect(fn(b, 10, 9)).toBe(-1);
    expect(fn(b, 0, 101)).toBe(-1);
    expect(fn(b.subarray(10), 0, 91)).toBe(-1);
    expect(fn(b, 100, 100)).toBe(0);
  });
});
