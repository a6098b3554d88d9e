// The control line of a message sent to a route or a leaf (nats-server's msgHeaderForRouteOrLeaf):
// `RMSG <account> <subject> ` on a route, `LMSG <subject> ` on a leaf (HMSG for either with
// headers), then the reply and queue list, the sizes, and the payload. Shared by
// cluster/route.ts and leaf/leaf.ts.

import type { Outbound } from '../client/outbound.js';
import { copySpan, writeDecimal } from '../protocol/batcher.js';
import { F_A0E, F_A0S, F_A1E, F_A1S, F_END, F_HDR, F_NARGS, F_OP, F_PAY, F_SIZE, F_START, OP_HPUB } from '../protocol/layout.js';

const SP = 0x20;
const CR = 0x0d;
const LF = 0x0a;
/** Digits of the largest size a frame carries (payloads are int32-sized). */
const MAX_SIZE_DIGITS = 10;
export const ROUTE_MSG = 0x52; // R
export const LEAF_MSG = 0x4c; // L

/** Room writeHead needs beyond the subject and the reply: op, account, separators, queues. */
function headBound(account: Buffer | null, subjectLen: number, replyLen: number, queues: readonly string[] | null): number {
  let n = 5 + (account === null ? 0 : account.length + 1) + subjectLen + 1 + 2 + replyLen + 1;
  if (queues !== null) for (let k = 0; k < queues.length; k++) n += queues[k]!.length + 1;
  return n;
}

/**
 * `<op>MSG [<account> ]<subject> ` (`HMSG` when `hmsg`; `op` ROUTE_MSG or LEAF_MSG, `account`
 * null on a leaf) then, with queues, `+ <reply> ` or `| ` and each queue name followed by a
 * space, else `<reply> ` when there is one: the control line up to the sizes. Returns the
 * offset after it.
 */
function writeHead(
  dst: Buffer,
  off: number,
  hmsg: boolean,
  op: number,
  account: Buffer | null,
  subject: Buffer,
  s0: number,
  s1: number,
  reply: Buffer | null,
  r0: number,
  r1: number,
  queues: readonly string[] | null,
): number {
  let o = off;
  dst[o++] = hmsg ? 0x48 /* H */ : op;
  dst[o++] = 0x4d; // M
  dst[o++] = 0x53; // S
  dst[o++] = 0x47; // G
  dst[o++] = SP;
  if (account !== null) {
    o = copySpan(dst, o, account, 0, account.length);
    dst[o++] = SP;
  }
  o = copySpan(dst, o, subject, s0, s1);
  dst[o++] = SP;
  const hasReply = reply !== null && r1 > r0;
  if (queues !== null && queues.length > 0) {
    if (hasReply) {
      dst[o++] = 0x2b; // +
      dst[o++] = SP;
      o = copySpan(dst, o, reply, r0, r1);
      dst[o++] = SP;
    } else {
      dst[o++] = 0x7c; // |
      dst[o++] = SP;
    }
    for (let k = 0; k < queues.length; k++) {
      const q = queues[k]!;
      for (let j = 0; j < q.length; j++) dst[o++] = q.charCodeAt(j);
      dst[o++] = SP;
    }
  } else if (hasReply) {
    o = copySpan(dst, o, reply, r0, r1);
    dst[o++] = SP;
  }
  return o;
}

/** a equals b[s, e). */
export function sameBytes(a: Buffer, b: Buffer, s: number, e: number): boolean {
  if (a.length !== e - s) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[s + k]) return false;
  return true;
}

/**
 * The control line of a message for a peer that takes headers when `headers` (else they are
 * left out, as nats-server sends a message to a peer without them), up to its sizes, written at
 * out.off with room reserved for the whole frame. Returns the offset after the sizes; the
 * payload to send starts at hdrLen when the headers are left out (hdrLen > 0), else at 0.
 */
export function writeMsgLine(
  ob: Outbound,
  headers: boolean,
  op: number,
  account: Buffer | null,
  subject: Buffer,
  reply: Buffer | null,
  queues: readonly string[] | null,
  hdrLen: number,
  payload: Buffer,
): number {
  const hmsg = hdrLen > 0 && headers;
  const a = hdrLen > 0 && !headers ? hdrLen : 0;
  const replyLen = reply === null ? 0 : reply.length;
  ob.reserve(headBound(account, subject.length, replyLen, queues) + 2 * MAX_SIZE_DIGITS + 1 + payload.length + 4);
  const dst = ob.buf;
  let o = writeHead(dst, ob.off, hmsg, op, account, subject, 0, subject.length, reply, 0, replyLen, queues);
  if (hmsg) {
    o = writeDecimal(dst, o, hdrLen);
    dst[o++] = SP;
  }
  return writeDecimal(dst, o, payload.length - a);
}

/**
 * The same for the PUB/HPUB record `rec` of a client's read in `buf`, its sizes copied verbatim
 * (the size without headers for a peer that takes none). Returns the offset after the sizes.
 */
export function writeRecordLine(
  ob: Outbound,
  headers: boolean,
  op: number,
  account: Buffer | null,
  buf: Buffer,
  recs: Int32Array,
  rec: number,
  queues: readonly string[] | null,
): number {
  const hpub = recs[rec + F_OP] === OP_HPUB;
  const nargs = recs[rec + F_NARGS];
  const hdr = hpub ? recs[rec + F_HDR] : 0;
  const hasReply = nargs === (hpub ? 4 : 3);
  // The PUB/HPUB op's own bytes bound everything but the op's extra letter, the account and
  // the queue list.
  ob.reserve(recs[rec + F_END] - recs[rec + F_START] + headBound(account, 0, 0, queues));
  const dst = ob.buf;
  let o = writeHead(
    dst,
    ob.off,
    hdr > 0 && headers,
    op,
    account,
    buf,
    recs[rec + F_A0S],
    recs[rec + F_A0E],
    hasReply ? buf : null,
    recs[rec + F_A1S],
    recs[rec + F_A1E],
    queues,
  );
  const last = rec + F_A0S + 2 * (nargs - 1); // the size (PUB) / total size (HPUB) token
  if (hdr > 0 && !headers) return writeDecimal(dst, o, recs[rec + F_SIZE] - hdr);
  if (hdr > 0) {
    o = copySpan(dst, o, buf, recs[last - 2], recs[last - 1]);
    dst[o++] = SP;
  }
  return copySpan(dst, o, buf, recs[last], recs[last + 1]);
}

/** Where a record's payload to send starts in its read: after its headers for a peer that takes none. */
export function recordPayloadStart(recs: Int32Array, rec: number, headers: boolean): number {
  const pay = recs[rec + F_PAY];
  return !headers && recs[rec + F_OP] === OP_HPUB && recs[rec + F_HDR] > 0 ? pay + recs[rec + F_HDR] : pay;
}

/**
 * Ends the frame whose control line is out.buf[out.off, o): CRLF, payload[a, b), CRLF, and
 * moves out.off past it.
 */
export function endFrame(ob: Outbound, o: number, payload: Buffer, a: number, b: number): void {
  const dst = ob.buf;
  dst[o++] = CR;
  dst[o++] = LF;
  o = copySpan(dst, o, payload, a, b);
  dst[o++] = CR;
  dst[o++] = LF;
  ob.off = o;
}
