// CRC-32 (IEEE 802.3, the polynomial of zlib, gzip and PNG) over a byte range, for the file
// store's per-record checksum. crc32Ts is the TS twin of the addon's crc32 (native/crc32.cc);
// crc32 is the TS path's choice: short ranges in the TS table loop (no view, no call into C++),
// long ones through zlib.crc32 (Node >= 20.15), many times faster per byte. All give the same
// value (test/crc32.test.ts); the native path's choice is in src/native/load.ts.
import { nodeZlib } from './lazy.js';

// Slice-by-8 tables: T[k * 256 + n] is the CRC of byte n followed by k zero bytes.
const T = new Int32Array(8 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  T[n] = c;
}
for (let n = 0; n < 256; n++) {
  for (let k = 1; k < 8; k++) T[k * 256 + n] = T[(T[(k - 1) * 256 + n] & 0xff)] ^ (T[(k - 1) * 256 + n] >>> 8);
}

/**
 * A checksum over buf[start, end): the CRC-32 as an unsigned number, or -1 unless
 * 0 <= start <= end <= buf.length.
 */
export type Crc32Fn = (buf: Uint8Array, start: number, end: number) => number;

/** The TS loop (slice-by-8): CRC-32 of buf[start, end) (Crc32Fn). Allocates nothing. */
export function crc32Ts(buf: Uint8Array, start: number, end: number): number {
  if (!(start >= 0 && start <= end && end <= buf.length)) return -1;
  let c = -1;
  let i = start;
  for (const e8 = end - 8; i <= e8; i += 8) {
    c ^= buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24);
    c =
      T[1792 + (c & 0xff)] ^
      T[1536 + ((c >>> 8) & 0xff)] ^
      T[1280 + ((c >>> 16) & 0xff)] ^
      T[1024 + (c >>> 24)] ^
      T[768 + buf[i + 4]] ^
      T[512 + buf[i + 5]] ^
      T[256 + buf[i + 6]] ^
      T[buf[i + 7]];
  }
  for (; i < end; i++) c = T[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

type ZlibCrc = (data: Uint8Array, value?: number) => number;
/** zlib.crc32: undefined until the first long range (a plain start does not load node:zlib), null when this Node has none. */
let zcrc: ZlibCrc | null | undefined;

/** Ranges at least this long go to zlib (measured: below it the TS loop wins, the call and the view cost). */
const NATIVE_FROM = 256;

/** CRC-32 of buf[start, end), unsigned (Crc32Fn). */
export function crc32(buf: Uint8Array, start: number, end: number): number {
  if (end - start < NATIVE_FROM || !(start >= 0 && end <= buf.length)) return crc32Ts(buf, start, end);
  if (zcrc === undefined) zcrc = (nodeZlib() as unknown as { crc32?: ZlibCrc }).crc32 ?? null;
  return zcrc === null ? crc32Ts(buf, start, end) : zcrc(buf.subarray(start, end), 0) >>> 0;
}
