// hot path: no allocation per message, no I/O
//
// The TS twin of native/mask.cc: WebSocket unmasking (RFC 6455 §5.3) in place, the loop that ws
// hands to bufferutil. Both twins leave identical bytes (test/ws-unmask.test.ts).
//
// unmask(buf, offset, length, mask) XORs buf[offset .. offset+length) with the masking key as it
// falls from buf[offset]: byte i of the range with byte (i & 3) of `mask`, byte 0 being the low
// byte (mask = k0 | k1 << 8 | k2 << 16 | k3 << 24, as a signed or unsigned 32-bit number, for a
// key k0 k1 k2 k3 that starts at buf[offset]). It leaves buf alone unless 0 <= offset,
// 0 <= length and offset + length <= buf.length.

export type UnmaskFn = (buf: Uint8Array, offset: number, length: number, mask: number) => void;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
if (!LITTLE_ENDIAN) throw new Error('tsnats websocket unmasking assumes a little-endian machine');

/** Below this many aligned words the byte loop is as quick as making a word view. */
const MIN_WORDS = 8;

// The word view of the last ArrayBuffer unmasked: the frames of one socket read share their
// chunk's memory, so one view serves them all (it keeps that one buffer alive until the next).
let lastBuffer: ArrayBufferLike | null = null;
let lastWords: Uint32Array<ArrayBufferLike> = new Uint32Array(0);

export function unmask(buf: Uint8Array, offset: number, length: number, mask: number): void {
  if (!(offset >= 0 && length >= 0 && offset + length <= buf.length)) return;
  let i = offset;
  const end = offset + length;
  let m = mask | 0;
  // Byte by byte up to a 4-byte boundary of the underlying memory.
  while (i < end && ((buf.byteOffset + i) & 3) !== 0) {
    buf[i++] ^= m;
    m = (m >>> 8) | (m << 24);
  }
  const words = (end - i) >>> 2;
  if (words >= MIN_WORDS) {
    const ab = buf.buffer;
    if (ab !== lastBuffer) {
      lastWords = new Uint32Array(ab, 0, ab.byteLength >>> 2);
      lastBuffer = ab;
    }
    const view = lastWords;
    // Little-endian: the key's first byte is the word's low byte, as in `m`.
    const w0 = (buf.byteOffset + i) >>> 2;
    const w1 = w0 + words;
    for (let w = w0; w < w1; w++) view[w] ^= m;
    i += words << 2;
  }
  while (i < end) {
    buf[i++] ^= m;
    m = (m >>> 8) | (m << 24);
  }
}
