// hot path: no allocation per message, no I/O
//
// The TS twin of native/scanner.cc: bytes of the client protocol -> fixed-width op records.
// Both implementations follow this contract byte for byte (test/scanner-diff.test.ts).
//
// scan(buf, start, end, maxControlLine, out) scans buf[start..end) and writes records of
// REC_STRIDE int32 into `out` (capacity floor(out.length / REC_STRIDE)); returns the count.
// Pure (no state between calls), never throws. start/end/maxControlLine are ToInt32-converted;
// a range outside 0 <= start <= end <= buf.length returns 0; maxControlLine < 0 counts as 0.
// Buffers are limited to 1 GiB so that F_PAY + F_SIZE + 2 always fits an int32.
// It stops when `out` is full (rescan from the F_END of the last record), after an OP_ERROR
// record, or after a partial record. Every field of a written record is set; unused ones are -1.
//
// Records (offsets are into buf):
//  PING/PONG/+OK  F_START, F_END (past the LF), F_NARGS=0. Bytes between verb and LF ignored.
//  CONNECT/INFO/-ERR(OP_ERR)  F_NARGS=1, A0 = the argument (see "argument" below).
//  PUB    F_NARGS 2|3, A0 subject, [A1 reply], last = size token; F_PAY, F_SIZE, F_HDR=-1,
//         F_HASH = FNV-1a-32(subject) | 0, F_END = F_PAY + F_SIZE + 2.
//  HPUB   F_NARGS 3|4, A0 subject, [A1 reply], hdr token, total token; F_HDR, F_SIZE (total).
//  SUB    F_NARGS 2|3, A0 subject, [A1 queue], last = sid; F_HASH of the subject.
//  UNSUB  F_NARGS 1|2, A0 sid, [A1 max] (max not validated).
//  HMSG_IN (a client sending HMSG, parser.go OP_HMSG..HMSG_ARG): for a client nats-server does
//         no argument processing, then runs its payload states with the stale size 0, so the
//         byte after the line's LF must be CR and the next LF (else parse error), and the op is
//         an empty message with no subject. F_NARGS=1, A0 = the raw argument, F_PAY = LF+1,
//         F_SIZE = 0, F_HDR = 0, F_END = LF+3. (nats-server also fails this op with a parse
//         error when a socket read happens to end between the line's LF and that CRLF, because
//         clonePubArg re-runs processHeaderPub on empty args; we are split-independent and wait.)
//  OP_ERROR  F_START = start of the failing op, F_NARGS = E_* code, F_PAY = failing position:
//         E_UNKNOWN_OP the offending byte; E_PAYLOAD_CRLF the byte that should be CR or LF;
//         E_*_ARGS the LF ending the control line; E_CONTROL_LINE argStart + maxControlLine
//         (the first argument byte over the limit; split-independent).
//  Partial (buffer ends inside an op; always the last record):
//         PUB/HPUB whose control line is complete: the full record with OP_PARTIAL set and
//         F_END = F_PAY + F_SIZE + 2 (> end). Otherwise a bare OP_PARTIAL record: F_START =
//         F_END = -1, plus two tsnats additions for the parser: F_PAY = first byte of the
//         incomplete op, F_A0S = "keep" offset: bytes in [F_A0S, end) carry no information
//         (PING/PONG/+OK bytes after the verb, blanks after a verb's first separator) and may
//         be dropped by a caller that buffers the tail; F_A0S = end when nothing can be dropped.
//
// Byte rules (parser.go for a CLIENT connection):
//  - verbs are case-insensitive; the first byte must be one of P H S U C I + - (M, R, A, L,
//    blanks, CR, LF, anything else: E_UNKNOWN_OP at once). A byte that does not continue the
//    verb is E_UNKNOWN_OP at that byte, even before any LF ("PIN\r\n" fails at the CR).
//  - PUB/HPUB/SUB/UNSUB/-ERR/HMSG need a space or tab right after the verb; CONNECT/INFO don't.
//    Further blanks are skipped. PING/PONG/+OK ignore every byte up to the LF.
//  - argument: the first non-blank byte after the verb is the argument start `as` and is taken
//    as an argument byte whatever it is (even CR or LF: nats-server's *_SPC -> *_ARG
//    transition consumes it). The line ends at the first LF after `as`. If a CR occurs in
//    (as, LF) the byte before the LF is dropped (parser.go `drop`), so `...\r\n` strips the CR,
//    `a\rbc\n` yields `a\rb`. argument = [as, LF - drop).
//  - control line limit: argument length > maxControlLine is E_CONTROL_LINE, checked first at
//    the LF; also for an incomplete line at the end of the buffer (length counted the same way,
//    end - as - drop) for the ops that have an argument state (PUB HPUB SUB UNSUB CONNECT INFO
//    -ERR HMSG). Not for PING/PONG/+OK nor for blanks after a verb (not counted by nats-server).
//  - PUB/HPUB split the argument on space/tab only (client.go processPub/processHeaderPub);
//    SUB/UNSUB on space/tab/CR/LF (splitArg). Wrong argument count -> E_*_ARGS.
//  - sizes: parseSize, 1-9 ASCII digits; anything else -> E_PUB_ARGS/E_HPUB_ARGS, as is an HPUB
//    header size greater than the total. The size tokens stay available verbatim (A-fields).
//  - payload: exactly F_SIZE bytes (anything), then CR then LF, else E_PAYLOAD_CRLF as soon as
//    the wrong byte is seen.

import {
  E_CONTROL_LINE,
  E_HPUB_ARGS,
  E_PAYLOAD_CRLF,
  E_PUB_ARGS,
  E_SUB_ARGS,
  E_UNKNOWN_OP,
  E_UNSUB_ARGS,
  F_A0E,
  F_A0S,
  F_END,
  F_HASH,
  F_HDR,
  F_NARGS,
  F_OP,
  F_PAY,
  F_SIZE,
  F_START,
  FNV_OFFSET,
  FNV_PRIME,
  OP_CONNECT,
  OP_ERR,
  OP_ERROR,
  OP_HMSG_IN,
  OP_HPUB,
  OP_INFO,
  OP_OK,
  OP_PARTIAL,
  OP_PING,
  OP_PONG,
  OP_PUB,
  OP_SUB,
  OP_UNSUB,
  REC_STRIDE,
} from './layout.js';

export type ScanFn = (
  buf: Uint8Array,
  start: number,
  end: number,
  maxControlLine: number,
  out: Int32Array,
) => number;

/** Largest buffer the scanner accepts (so that offsets + a 9-digit size stay in int32). */
export const SCAN_MAX_BUFFER = 0x40000000;

const LF = 10;
const CR = 13;
const SP = 32;
const TAB = 9;

function verbBytes(s: string): Uint8Array {
  const v = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) v[i] = s.charCodeAt(i);
  return v;
}
// Lower-case verbs; byte 0 is matched by the dispatch switch, the rest with `| 0x20` (letters only).
const V_PUB = verbBytes('pub');
const V_PING = verbBytes('ping');
const V_PONG = verbBytes('pong');
const V_HPUB = verbBytes('hpub');
const V_HMSG = verbBytes('hmsg');
const V_SUB = verbBytes('sub');
const V_UNSUB = verbBytes('unsub');
const V_CONNECT = verbBytes('connect');
const V_INFO = verbBytes('info');
const V_OK = verbBytes('+ok');
const V_ERR = verbBytes('-err');

// Byte classes for the argument loop: 0 token byte, 1 separator, 3 LF (line end), and CR:
// PUB/HPUB (processPub) split on space/tab only, so CR is a token byte that sets `drop`
// (4); SUB/UNSUB (splitArg) split on CR too (2: separator that sets `drop`).
function byteClasses(splitCr: boolean): Uint8Array {
  const t = new Uint8Array(256);
  t[SP] = 1;
  t[TAB] = 1;
  t[CR] = splitCr ? 2 : 4;
  t[LF] = 3;
  return t;
}
const CLS_PUB = byteClasses(false);
const CLS_SPLITARG = byteClasses(true);

// Op classes after the verb.
const K_LINE = 0; // PING/PONG/+OK: skip to LF
const K_SEP = 1; // needs a blank separator, then an argument (PUB HPUB SUB UNSUB -ERR HMSG)
const K_OPT = 2; // optional blanks, then an argument (CONNECT INFO)

function clearRec(out: Int32Array, r: number): void {
  out[r + 1] = -1;
  out[r + 2] = -1;
  out[r + 3] = -1;
  out[r + 4] = -1;
  out[r + 5] = -1;
  out[r + 6] = -1;
  out[r + 7] = -1;
  out[r + 8] = -1;
  out[r + 9] = -1;
  out[r + 10] = -1;
  out[r + 11] = -1;
  out[r + 12] = -1;
  out[r + 13] = -1;
  out[r + 14] = -1;
  out[r + 15] = -1;
}

function errRec(out: Int32Array, r: number, opStart: number, code: number, pos: number): void {
  clearRec(out, r);
  out[r + F_OP] = OP_ERROR;
  out[r + F_START] = opStart;
  out[r + F_NARGS] = code;
  out[r + F_PAY] = pos;
}

function partialRec(out: Int32Array, r: number, opStart: number, keep: number): void {
  clearRec(out, r);
  out[r + F_OP] = OP_PARTIAL;
  out[r + F_PAY] = opStart;
  out[r + F_A0S] = keep;
}

/** nats-server parseSize: 1-9 ASCII digits, else -1 (also UNSUB's max in the client). */
export function parseSize(buf: Uint8Array, a: number, b: number): number {
  const l = b - a;
  if (l < 1 || l > 9) return -1;
  let n = 0;
  for (let k = a; k < b; k++) {
    const d = buf[k] - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function fnv1a(buf: Uint8Array, a: number, b: number): number {
  let h = FNV_OFFSET | 0;
  for (let k = a; k < b; k++) h = Math.imul(h ^ buf[k], FNV_PRIME);
  return h | 0;
}

export function scan(buf: Uint8Array, start: number, end: number, maxControlLine: number, out: Int32Array): number {
  start |= 0;
  end |= 0;
  let mcl = maxControlLine | 0;
  if (mcl < 0) mcl = 0;
  if (start < 0 || start > end || end > buf.length || end > SCAN_MAX_BUFFER) return 0;
  const cap = (out.length / REC_STRIDE) | 0;
  let n = 0;
  let p = start;
  while (p < end && n < cap) {
    const r = n * REC_STRIDE;
    n++;
    const s = p;
    // ---- verb ----
    let v: Uint8Array;
    let op: number;
    let kind: number;
    const c0 = buf[p];
    switch (c0) {
      case 0x50: // P
      case 0x70: {
        if (p + 1 >= end) {
          partialRec(out, r, s, end);
          return n;
        }
        const c1 = buf[p + 1] | 0x20;
        if (c1 === 0x75) {
          v = V_PUB;
          op = OP_PUB;
          kind = K_SEP;
        } else if (c1 === 0x69) {
          v = V_PING;
          op = OP_PING;
          kind = K_LINE;
        } else if (c1 === 0x6f) {
          v = V_PONG;
          op = OP_PONG;
          kind = K_LINE;
        } else {
          errRec(out, r, s, E_UNKNOWN_OP, p + 1);
          return n;
        }
        break;
      }
      case 0x48: // H
      case 0x68: {
        if (p + 1 >= end) {
          partialRec(out, r, s, end);
          return n;
        }
        const c1 = buf[p + 1] | 0x20;
        if (c1 === 0x70) {
          v = V_HPUB;
          op = OP_HPUB;
        } else if (c1 === 0x6d) {
          v = V_HMSG;
          op = OP_HMSG_IN;
        } else {
          errRec(out, r, s, E_UNKNOWN_OP, p + 1);
          return n;
        }
        kind = K_SEP;
        break;
      }
      case 0x53: // S
      case 0x73:
        v = V_SUB;
        op = OP_SUB;
        kind = K_SEP;
        break;
      case 0x55: // U
      case 0x75:
        v = V_UNSUB;
        op = OP_UNSUB;
        kind = K_SEP;
        break;
      case 0x43: // C
      case 0x63:
        v = V_CONNECT;
        op = OP_CONNECT;
        kind = K_OPT;
        break;
      case 0x49: // I
      case 0x69:
        v = V_INFO;
        op = OP_INFO;
        kind = K_OPT;
        break;
      case 0x2b: // +
        v = V_OK;
        op = OP_OK;
        kind = K_LINE;
        break;
      case 0x2d: // -
        v = V_ERR;
        op = OP_ERR;
        kind = K_SEP;
        break;
      default:
        errRec(out, r, s, E_UNKNOWN_OP, p);
        return n;
    }
    const vl = v.length;
    let q = p + 1;
    for (let i = 1; i < vl; i++, q++) {
      if (q >= end) {
        partialRec(out, r, s, end);
        return n;
      }
      if ((buf[q] | 0x20) !== v[i]) {
        errRec(out, r, s, E_UNKNOWN_OP, q);
        return n;
      }
    }
    // q = first byte after the verb.

    if (kind === K_LINE) {
      while (q < end && buf[q] !== LF) q++;
      if (q >= end) {
        partialRec(out, r, s, p + vl);
        return n;
      }
      clearRec(out, r);
      out[r + F_OP] = op;
      out[r + F_START] = s;
      out[r + F_END] = q + 1;
      out[r + F_NARGS] = 0;
      p = q + 1;
      continue;
    }

    // ---- separator and blanks ----
    let keep = q;
    if (kind === K_SEP) {
      if (q >= end) {
        partialRec(out, r, s, end);
        return n;
      }
      const c = buf[q];
      if (c !== SP && c !== TAB) {
        errRec(out, r, s, E_UNKNOWN_OP, q);
        return n;
      }
      q++;
      keep = q;
    }
    while (q < end) {
      const c = buf[q];
      if (c !== SP && c !== TAB) break;
      q++;
    }
    if (q >= end) {
      partialRec(out, r, s, keep);
      return n;
    }

    // ---- argument line ----
    // One pass: find the LF (and whether a CR occurs, for `drop`) and, for the ops with
    // arguments, split tokens on the way; the drop then trims the token open at the LF.
    const as = q;
    const lim = as + mcl + 2 < end ? as + mcl + 2 : end;
    let drop = 0;
    let k = as + 1;
    let nt = 0;
    clearRec(out, r);
    if (kind === K_OPT || op === OP_ERR || op === OP_HMSG_IN) {
      while (k < lim) {
        const c = buf[k];
        if (c === LF) break;
        if (c === CR) drop = 1;
        k++;
      }
    } else {
      const cls = op === OP_SUB || op === OP_UNSUB ? CLS_SPLITARG : CLS_PUB;
      // buf[as] is never a blank; for PUB/HPUB it is a token byte even when CR or LF.
      let ts = cls === CLS_PUB || cls[buf[as]] === 0 ? as : -1;
      while (k < lim) {
        const x = cls[buf[k]];
        if (x === 0) {
          if (ts < 0) ts = k;
        } else if (x === 3) {
          break;
        } else if (x === 4) {
          drop = 1;
          if (ts < 0) ts = k;
        } else {
          if (x === 2) drop = 1;
          if (ts >= 0) {
            if (nt < 4) {
              out[r + F_A0S + 2 * nt] = ts;
              out[r + F_A0E + 2 * nt] = k;
            }
            nt++;
            ts = -1;
          }
        }
        k++;
      }
      if (k < lim && ts >= 0 && k - drop > ts) {
        if (nt < 4) {
          out[r + F_A0S + 2 * nt] = ts;
          out[r + F_A0E + 2 * nt] = k - drop;
        }
        nt++;
      }
    }
    if (k >= lim) {
      // No LF yet: an error is certain once more than mcl + 1 bytes follow `as`.
      if (k - as - drop > mcl) {
        errRec(out, r, s, E_CONTROL_LINE, as + mcl);
      } else {
        partialRec(out, r, s, end);
      }
      return n;
    }
    const lf = k;
    const ae = lf - drop;
    if (ae - as > mcl) {
      errRec(out, r, s, E_CONTROL_LINE, as + mcl);
      return n;
    }

    if (op === OP_PUB || op === OP_HPUB) {
      let size: number;
      let hdr = -1;
      if (op === OP_PUB) {
        if (nt !== 2 && nt !== 3) {
          errRec(out, r, s, E_PUB_ARGS, lf);
          return n;
        }
        const t = r + F_A0S + 2 * (nt - 1);
        size = parseSize(buf, out[t], out[t + 1]);
        if (size < 0) {
          errRec(out, r, s, E_PUB_ARGS, lf);
          return n;
        }
      } else {
        if (nt !== 3 && nt !== 4) {
          errRec(out, r, s, E_HPUB_ARGS, lf);
          return n;
        }
        const t = r + F_A0S + 2 * (nt - 2);
        hdr = parseSize(buf, out[t], out[t + 1]);
        size = parseSize(buf, out[t + 2], out[t + 3]);
        if (hdr < 0 || size < 0 || hdr > size) {
          errRec(out, r, s, E_HPUB_ARGS, lf);
          return n;
        }
      }
      const pay = lf + 1;
      const pe = pay + size;
      out[r + F_START] = s;
      out[r + F_NARGS] = nt;
      out[r + F_PAY] = pay;
      out[r + F_SIZE] = size;
      out[r + F_HDR] = hdr;
      out[r + F_HASH] = fnv1a(buf, out[r + F_A0S], out[r + F_A0E]);
      out[r + F_END] = pe + 2;
      const bad = pe < end && buf[pe] !== CR ? pe : pe + 1 < end && buf[pe + 1] !== LF ? pe + 1 : -1;
      if (bad >= 0) {
        // nats-server processes the control line before it meets the bad terminator: the op
        // is reported as a partial record (its checks run), then the error.
        if (n === cap) return n - 1; // no room for both: rescan from this op
        out[r + F_OP] = op | OP_PARTIAL;
        errRec(out, r + REC_STRIDE, s, E_PAYLOAD_CRLF, bad);
        return n + 1;
      }
      if (pe + 2 > end) {
        out[r + F_OP] = op | OP_PARTIAL;
        return n;
      }
      out[r + F_OP] = op;
      p = pe + 2;
      continue;
    }

    if (op === OP_SUB) {
      if (nt !== 2 && nt !== 3) {
        errRec(out, r, s, E_SUB_ARGS, lf);
        return n;
      }
      out[r + F_OP] = OP_SUB;
      out[r + F_START] = s;
      out[r + F_END] = lf + 1;
      out[r + F_NARGS] = nt;
      out[r + F_HASH] = fnv1a(buf, out[r + F_A0S], out[r + F_A0E]);
      p = lf + 1;
      continue;
    }

    if (op === OP_UNSUB) {
      if (nt !== 1 && nt !== 2) {
        errRec(out, r, s, E_UNSUB_ARGS, lf);
        return n;
      }
      out[r + F_OP] = OP_UNSUB;
      out[r + F_START] = s;
      out[r + F_END] = lf + 1;
      out[r + F_NARGS] = nt;
      p = lf + 1;
      continue;
    }

    // CONNECT / INFO / -ERR / HMSG: one raw argument.
    out[r + F_START] = s;
    out[r + F_NARGS] = 1;
    out[r + F_A0S] = as;
    out[r + F_A0E] = ae;
    if (op === OP_HMSG_IN) {
      const pe = lf + 1;
      if (pe < end && buf[pe] !== CR) {
        errRec(out, r, s, E_PAYLOAD_CRLF, pe);
        return n;
      }
      if (pe + 1 < end && buf[pe + 1] !== LF) {
        errRec(out, r, s, E_PAYLOAD_CRLF, pe + 1);
        return n;
      }
      if (pe + 2 > end) {
        partialRec(out, r, s, end);
        return n;
      }
      out[r + F_OP] = OP_HMSG_IN;
      out[r + F_END] = pe + 2;
      out[r + F_PAY] = pe;
      out[r + F_SIZE] = 0;
      out[r + F_HDR] = 0;
      p = pe + 2;
      continue;
    }
    out[r + F_OP] = op;
    out[r + F_END] = lf + 1;
    p = lf + 1;
  }
  return n;
}
