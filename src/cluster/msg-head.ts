// The control line of a message sent to a route or a leaf (nats-server's msgHeaderForRouteOrLeaf):
// `RMSG <account> <subject> ` on a route, `LMSG <subject> ` on a leaf (HMSG for either with
// headers), then the reply and queue list. Shared by cluster/route.ts and leaf/leaf.ts.

import { copySpan } from '../protocol/batcher.js';

const SP = 0x20;
/** Digits of the largest size a frame carries (payloads are int32-sized). */
export const MAX_SIZE_DIGITS = 10;
export const ROUTE_MSG = 0x52; // R
export const LEAF_MSG = 0x4c; // L

/** Room writeHead needs beyond the subject and the reply: op, account, separators, queues. */
export function headBound(account: Buffer | null, subjectLen: number, replyLen: number, queues: readonly string[] | null): number {
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
export function writeHead(
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
