// hot path: no allocation per message, no I/O
//
// FNV-1a 32-bit over subject bytes, returned as an int32. The scanner (native and TS twin)
// writes the same value into a record's F_HASH field; these constants must equal
// FNV_OFFSET / FNV_PRIME in src/protocol/layout.ts (not imported: subjects/ may not depend on
// protocol/). FNV-1a("") = 0x811c9dc5 | 0 = -2128831035.

export const FNV1A_32_OFFSET = 0x811c9dc5;
export const FNV1A_32_PRIME = 0x01000193;

/** FNV-1a 32 of buf[start, end), as an int32 (`| 0`). */
export function subjectHash(buf: Uint8Array, start: number, end: number): number {
  let h = FNV1A_32_OFFSET | 0;
  for (let i = start; i < end; i++) {
    h = Math.imul(h ^ buf[i], FNV1A_32_PRIME);
  }
  return h | 0;
}

/**
 * FNV-1a 32 of a byte string (one code unit per byte, latin1; see subject.ts), as an int32.
 * Equals `subjectHash` over the bytes the string stands for. Code units above 0xff are not
 * bytes; only their low 8 bits are hashed.
 */
export function subjectHashString(s: string): number {
  let h = FNV1A_32_OFFSET | 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    h = Math.imul(h ^ (s.charCodeAt(i) & 0xff), FNV1A_32_PRIME);
  }
  return h | 0;
}
