// hot path: no allocation per message, no I/O
//
// The TS twin of native/batcher.cc: outbound MSG/HMSG frames built straight from PUB/HPUB scan
// records and the bytes they were scanned from. Byte format = client.go msgHeader + deliverMsg:
//   PUB                          MSG <subject> <sid> [<reply> ]<size-token>\r\n<payload>\r\n
//   HPUB, hdr > 0, headers       HMSG <subject> <sid> [<reply> ]<hdr-token> <total-token>\r\n<hdr+body>\r\n
//   HPUB, hdr > 0, no headers    MSG <subject> <sid> [<reply> ]<total-hdr as decimal>\r\n<body>\r\n
//   HPUB, hdr = 0                MSG <subject> <sid> [<reply> ]<total-token>\r\n<payload>\r\n
// Size tokens are copied verbatim (`PUB foo 007` -> `MSG foo 1 007`), as is the sid; an empty
// sid is written without its separator (msgHeader skips it). Verified against nats-server 2.9.10.
//
// A record is usable when it is exactly OP_PUB or OP_HPUB (not partial) with a valid argument
// count and every range inside src; anything else is treated like "does not fit" (writeMsg -1,
// writeMsgs stops there), so neither twin ever reads or writes out of bounds.
//
// `rec` (writeMsg, msgFrameLength) is the int32 index of a record's first field (record number
// * REC_STRIDE, as handed to ParserSink.onRecord); `firstRec` (writeMsgs) is a record number.
//
// Which to call (measured, Node 20.20 x64, 16-256 byte payloads): for one frame the TS writeMsg
// is ~2x faster than a native writeMsgs call (N-API overhead); from ~3 frames per call the
// native writeMsgs wins, ~5x at 64 frames.

import {
  F_A0E,
  F_A0S,
  F_A1E,
  F_A1S,
  F_END,
  F_HDR,
  F_NARGS,
  F_OP,
  F_PAY,
  F_SIZE,
  F_START,
  OP_HPUB,
  OP_PUB,
  REC_STRIDE,
} from './layout.js';

/** The batch frame writer's signature, shared by the native twin. */
export type WriteMsgsFn = typeof writeMsgs;

const CR = 13;
const LF = 10;
const SP = 32;

/**
 * Spans shorter than this are copied with a byte loop, longer ones with TypedArray#set (which
 * needs a subarray view, the only allocation here, unless the span is all of `src`). Measured on Node 20.20 x64 (2 vCPU): loop
 * 24 ns vs set 64 ns at 16 bytes, 68 vs 60 ns at 48, 90 vs 61 ns at 64.
 */
const COPY_LOOP_MAX = 48;

function decimalLength(v: number): number {
  let l = 1;
  while (v >= 10) {
    v = (v / 10) | 0;
    l++;
  }
  return l;
}

function tokenOk(recs: Int32Array, f: number, srcLen: number): boolean {
  const a = recs[f];
  const b = recs[f + 1];
  return a >= 0 && a <= b && b <= srcLen;
}

/** Whether the record is usable (see the header). */
function check(recs: Int32Array, rec: number, srcLen: number): boolean {
  if (rec < 0 || rec + REC_STRIDE > recs.length) return false;
  const op = recs[rec + F_OP];
  const nargs = recs[rec + F_NARGS];
  const pay = recs[rec + F_PAY];
  const size = recs[rec + F_SIZE];
  if (pay < 0 || size < 0 || pay > srcLen || size > srcLen - pay) return false;
  if (op === OP_PUB) {
    if (nargs !== 2 && nargs !== 3) return false;
  } else if (op === OP_HPUB) {
    if (nargs !== 3 && nargs !== 4) return false;
    const hdr = recs[rec + F_HDR];
    if (hdr < 0 || hdr > size) return false;
  } else {
    return false;
  }
  for (let t = 0; t < nargs; t++) if (!tokenOk(recs, rec + F_A0S + 2 * t, srcLen)) return false;
  return true;
}

/** Bytes the frame for this record needs, or -1 if the record is unusable. */
export function msgFrameLength(recs: Int32Array, rec: number, sidLen: number, headers: boolean): number {
  return frameLength(recs, rec, sidLen, headers, 0x7fffffff);
}

function frameLength(recs: Int32Array, rec: number, sidLen: number, headers: boolean, srcLen: number): number {
  if (!check(recs, rec, srcLen)) return -1;
  const op = recs[rec + F_OP];
  const nargs = recs[rec + F_NARGS];
  const size = recs[rec + F_SIZE];
  let len = recs[rec + F_A0E] - recs[rec + F_A0S] + 1; // subject + SP
  if (sidLen > 0) len += sidLen + 1;
  const last = rec + F_A0S + 2 * (nargs - 1); // last token (size / total)
  if (op === OP_PUB) {
    if (nargs === 3) len += recs[rec + F_A1E] - recs[rec + F_A1S] + 1;
    return 4 + len + recs[last + 1] - recs[last] + 2 + size + 2;
  }
  if (nargs === 4) len += recs[rec + F_A1E] - recs[rec + F_A1S] + 1;
  const hdr = recs[rec + F_HDR];
  if (hdr > 0) {
    if (headers) return 5 + len + recs[last - 1] - recs[last - 2] + 1 + recs[last + 1] - recs[last] + 2 + size + 2;
    const body = size - hdr;
    return 4 + len + decimalLength(body) + 2 + body + 2;
  }
  return 4 + len + recs[last + 1] - recs[last] + 2 + size + 2;
}

/** Copies src[a, b) to dst at `off` (a byte loop for short spans); returns the offset after it. */
export function copySpan(dst: Uint8Array, off: number, src: Uint8Array, a: number, b: number): number {
  const n = b - a;
  if (n < COPY_LOOP_MAX) {
    for (let k = 0; k < n; k++) dst[off + k] = src[a + k];
  } else if (a === 0 && b === src.length) {
    dst.set(src, off); // the whole of src: no view to make
  } else {
    dst.set(src.subarray(a, b), off);
  }
  return off + n;
}

/** Writes the byte string `s` (code units < 256) to dst at `off` (a loop for short ones); returns the offset after it. */
export function copyLatin1(dst: Buffer, off: number, s: string): number {
  const n = s.length;
  if (n > 32) return off + dst.write(s, off, 'latin1');
  for (let k = 0; k < n; k++) dst[off + k] = s.charCodeAt(k);
  return off + n;
}

function copyToken(dst: Uint8Array, off: number, src: Uint8Array, recs: Int32Array, f: number): number {
  return copySpan(dst, off, src, recs[f], recs[f + 1]);
}

/** Writes v (a non-negative integer) in decimal at `off`; returns the offset after it. */
export function writeDecimal(dst: Uint8Array, off: number, v: number): number {
  const l = decimalLength(v);
  let k = off + l;
  do {
    dst[--k] = 48 + (v % 10);
    v = (v / 10) | 0;
  } while (v > 0);
  return off + l;
}

/** `MSG ` or `HMSG ` at `off`; returns the offset after it. */
function msgOp(dst: Uint8Array, off: number, hmsg: boolean): number {
  let o = off;
  if (hmsg) dst[o++] = 0x48; // H
  dst[o++] = 0x4d; // M
  dst[o++] = 0x53; // S
  dst[o++] = 0x47; // G
  dst[o++] = SP;
  return o;
}

/**
 * Writes the frame for record `rec` (field index) of `recs` over `src` into dst at `off` for a
 * subscriber with sid bytes `sid`. Returns the offset after the frame, or -1 if it does not fit
 * in dst (or the record is unusable); nothing is written then.
 */
export function writeMsg(
  dst: Uint8Array,
  off: number,
  src: Uint8Array,
  recs: Int32Array,
  rec: number,
  sid: Uint8Array,
  headers: boolean,
): number {
  const need = frameLength(recs, rec, sid.length, headers, src.length);
  const cap = dst.length < 0x7fffffff ? dst.length : 0x7fffffff; // offsets are int32
  if (need < 0 || off < 0 || need > cap - off) return -1;
  return writeFrame(dst, off, src, recs, rec, sid, headers);
}

/**
 * Room a frame for complete record `rec` needs at most: the PUB/HPUB op's own length plus the
 * sid and its separator, plus one for the `H` of HMSG. Cheaper than msgFrameLength.
 */
export function frameBound(recs: Int32Array, rec: number, sidLen: number): number {
  return recs[rec + F_END] - recs[rec + F_START] + sidLen + 2;
}

/**
 * writeMsg for the hot path: trusts that `rec` is a complete PUB/HPUB record the scanner made
 * over `src` and that dst has frameBound() bytes free at `off`. Returns the new offset.
 */
export function writeFrame(
  dst: Uint8Array,
  off: number,
  src: Uint8Array,
  recs: Int32Array,
  rec: number,
  sid: Uint8Array,
  headers: boolean,
): number {
  const sidLen = sid.length;
  const op = recs[rec + F_OP];
  const nargs = recs[rec + F_NARGS];
  const pay = recs[rec + F_PAY];
  const size = recs[rec + F_SIZE];
  const hdr = op === OP_HPUB ? recs[rec + F_HDR] : 0;
  const hmsg = hdr > 0 && headers;
  let o = msgOp(dst, off, hmsg);
  o = copyToken(dst, o, src, recs, rec + F_A0S);
  dst[o++] = SP;
  if (sidLen > 0) {
    o = copySpan(dst, o, sid, 0, sidLen);
    dst[o++] = SP;
  }
  if ((op === OP_PUB && nargs === 3) || (op === OP_HPUB && nargs === 4)) {
    o = copyToken(dst, o, src, recs, rec + F_A1S);
    dst[o++] = SP;
  }
  const last = rec + F_A0S + 2 * (nargs - 1);
  let a = pay;
  if (hdr > 0 && !headers) {
    o = writeDecimal(dst, o, size - hdr);
    a = pay + hdr;
  } else {
    if (hmsg) {
      o = copyToken(dst, o, src, recs, last - 2);
      dst[o++] = SP;
    }
    o = copyToken(dst, o, src, recs, last);
  }
  dst[o++] = CR;
  dst[o++] = LF;
  o = copySpan(dst, o, src, a, pay + size);
  dst[o++] = CR;
  dst[o++] = LF;
  return o;
}

/** Room writeParts needs for a frame: op, subject, sid, reply, two sizes, CRLFs, payload. */
export function partsBound(subjectLen: number, sidLen: number, replyLen: number, payloadLen: number): number {
  return 5 + subjectLen + 1 + sidLen + 1 + replyLen + 1 + 22 + 2 + payloadLen + 2;
}

/**
 * A MSG/HMSG frame from separate parts rather than a PUB record: for messages that arrive over
 * a route or cross an account import. `hdrLen` is -1 without headers (0 counts as none, as
 * HPUB with an empty header does); `payload` holds headers and body. A subscriber without
 * headers gets the body only. dst must have partsBound() bytes free at `off`.
 */
export function writeParts(
  dst: Uint8Array,
  off: number,
  subject: Uint8Array,
  sid: Uint8Array,
  reply: Uint8Array | null,
  hdrLen: number,
  payload: Uint8Array,
  headers: boolean,
): number {
  const hmsg = hdrLen > 0 && headers;
  let o = msgOp(dst, off, hmsg);
  o = copySpan(dst, o, subject, 0, subject.length);
  dst[o++] = SP;
  if (sid.length > 0) {
    o = copySpan(dst, o, sid, 0, sid.length);
    dst[o++] = SP;
  }
  if (reply !== null && reply.length > 0) {
    o = copySpan(dst, o, reply, 0, reply.length);
    dst[o++] = SP;
  }
  const a = hdrLen > 0 && !headers ? hdrLen : 0;
  if (hmsg) {
    o = writeDecimal(dst, o, hdrLen);
    dst[o++] = SP;
  }
  o = writeDecimal(dst, o, payload.length - a);
  dst[o++] = CR;
  dst[o++] = LF;
  o = copySpan(dst, o, payload, a, payload.length);
  dst[o++] = CR;
  dst[o++] = LF;
  return o;
}

/**
 * Writes frames for `count` consecutive records starting at record number `firstRec`, all for
 * the same subscriber. Returns the number of frames written (stops at the first frame that does
 * not fit or record that is unusable); state[0] = dst offset after the last frame written.
 * Arguments are ToInt32-converted; out-of-range firstRec/dstOff write nothing.
 */
export function writeMsgs(
  dst: Uint8Array,
  dstOff: number,
  src: Uint8Array,
  recs: Int32Array,
  firstRec: number,
  count: number,
  sid: Uint8Array,
  headers: boolean,
  state: Int32Array,
): number {
  if (state.length < 1) return 0;
  dstOff |= 0;
  firstRec |= 0;
  count |= 0;
  state[0] = dstOff;
  if (dstOff < 0 || dstOff > dst.length || firstRec < 0 || count <= 0) return 0;
  const nrecs = (recs.length / REC_STRIDE) | 0;
  if (firstRec >= nrecs) return 0;
  if (count > nrecs - firstRec) count = nrecs - firstRec;
  let o = dstOff;
  let i = 0;
  for (; i < count; i++) {
    const next = writeMsg(dst, o, src, recs, (firstRec + i) * REC_STRIDE, sid, headers);
    if (next < 0) break;
    o = next;
  }
  state[0] = o;
  return i;
}
