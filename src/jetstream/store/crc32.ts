// CRC-32 (IEEE 802.3, the polynomial of zlib, gzip and PNG) over a byte range, for the file
// store's per-record checksum. Short ranges use the TS table loop (no view, no call into C++);
// long ones use zlib.crc32 (Node >= 20.15), which is many times faster per byte. Both give the
// same value: the TS loop is the twin a native path can be checked against.
import * as zlib from 'node:zlib';

const TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c;
}

/** The TS loop: CRC-32 of buf[start, end). Allocates nothing. */
export function crc32Ts(buf: Uint8Array, start: number, end: number): number {
  let c = -1;
  for (let i = start; i < end; i++) c = TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

const zcrc = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** Ranges at least this long go to zlib (measured: the call and the view cost ~ a 64-byte loop). */
const NATIVE_FROM = 64;

/** CRC-32 of buf[start, end), unsigned. */
export function crc32(buf: Uint8Array, start: number, end: number): number {
  if (zcrc === undefined || end - start < NATIVE_FROM) return crc32Ts(buf, start, end);
  return zcrc(buf.subarray(start, end), 0) >>> 0;
}
