// hot path: no allocation per message, no I/O
//
// The route stream parser: nats-server 2.9's route protocol (parser.go for kind ROUTER) as a
// pure state machine. Bytes in, calls on a RouteParserSink out; no sockets, no timers, no
// meaning. Control lines are handed over as views into the read buffer (copied only when a line
// is split across reads); message payloads are skipped by length, never scanned, and handed over
// as views when the whole payload sits in one read.
//
// Contracts:
// - Views passed to the sink are valid only during the call.
// - The sink may call stop() (the connection closed); parse() then returns at once.
// - No control line limit, as nats-server does not apply max_control_line to routes; a line
//   longer than MAX_ROUTE_LINE is a protocol error (a memory bound, nothing more).

import { parseSize } from '../protocol/scanner.js';

/** Operations of the route protocol. */
export const RouteOp = {
  INFO: 1,
  CONNECT: 2,
  PING: 3,
  PONG: 4,
  OK: 5,
  ERR: 6,
  RS_SUB: 7,
  RS_UNSUB: 8,
  LS_SUB: 9,
  LS_UNSUB: 10,
  A_SUB: 11,
  A_UNSUB: 12,
  RMSG: 13,
  HMSG: 14,
  LMSG: 15,
} as const;
export type RouteOpCode = (typeof RouteOp)[keyof typeof RouteOp];

/** Bound on one control line (a memory bound only; nats-server has none for routes). */
export const MAX_ROUTE_LINE = 1024 * 1024;

/**
 * A message's arguments, as offsets into the control line: nats-server's processRoutedMsgArgs,
 * processRoutedHeaderMsgArgs and processRoutedOriginClusterMsgArgs. Reused for every message.
 */
export class MsgArgs {
  op: RouteOpCode = RouteOp.RMSG;
  /** The control line (op name included, CRLF excluded), for tracing. */
  lineStart = 0;
  lineEnd = 0;
  /** Route LMSG only: the origin cluster; -1 otherwise. */
  originStart = -1;
  originEnd = -1;
  /** The account; -1 on a leaf connection (its messages carry none). */
  accStart = 0;
  accEnd = 0;
  subjectStart = 0;
  subjectEnd = 0;
  /** -1 when there is no reply. */
  replyStart = -1;
  replyEnd = -1;
  /** Queue names as [start, end) pairs; `numQueues` pairs are valid. */
  readonly queues: number[] = [];
  numQueues = 0;
  /** Header length; -1 for RMSG. */
  hdr = -1;
  /** Total payload size (headers included). */
  size = 0;
}

export interface RouteParserSink {
  /**
   * A control op; line[argStart, argEnd) holds its argument text (trimmed), and
   * line[opStart, argEnd) the whole line (for tracing).
   */
  routeOp(op: RouteOpCode, line: Buffer, opStart: number, argStart: number, argEnd: number): void;
  /** A message: its arguments are offsets into `line`; the payload is payload[payStart, payStart + args.size). */
  routeMsg(args: MsgArgs, line: Buffer, payload: Buffer, payStart: number): void;
}

const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;

const ST_LINE = 0;
const ST_PAYLOAD = 1;

/**
 * A parse failure. `protoErr`: nats-server's parseErr path, which answers
 * `-ERR 'Unknown Protocol Operation'` before closing; other failures (bad message arguments)
 * close without a word.
 */
export interface RouteParseError {
  text: string;
  protoErr: boolean;
}

const ERR_UNKNOWN_OP: RouteParseError = { text: 'Unknown Protocol Operation', protoErr: true };
const ERR_PAYLOAD_CRLF: RouteParseError = { text: 'message payload not followed by CRLF', protoErr: true };
const ERR_LINE_TOO_LONG: RouteParseError = { text: 'control line too long', protoErr: false };

/** Control op names, upper case (the parser is case-insensitive, as nats-server's). */
const OPS: readonly [string, RouteOpCode][] = [
  ['RMSG', RouteOp.RMSG],
  ['HMSG', RouteOp.HMSG],
  ['LMSG', RouteOp.LMSG],
  ['RS+', RouteOp.RS_SUB],
  ['RS-', RouteOp.RS_UNSUB],
  ['LS+', RouteOp.LS_SUB],
  ['LS-', RouteOp.LS_UNSUB],
  ['PING', RouteOp.PING],
  ['PONG', RouteOp.PONG],
  ['INFO', RouteOp.INFO],
  ['CONNECT', RouteOp.CONNECT],
  ['+OK', RouteOp.OK],
  ['-ERR', RouteOp.ERR],
  ['A+', RouteOp.A_SUB],
  ['A-', RouteOp.A_UNSUB],
];

/** Ops without arguments: nats-server ignores whatever follows them up to the line end. */
const BARE: readonly [string, RouteOpCode][] = [
  ['PING', RouteOp.PING],
  ['PONG', RouteOp.PONG],
  ['+OK', RouteOp.OK],
];

export class RouteParser {
  private state = ST_LINE;
  /** Part of a control line received in earlier reads. */
  private partial: Buffer[] = [];
  private partialLen = 0;
  /** A payload being collected across reads (size + CRLF), and the line that announced it. */
  private payload: Buffer | null = null;
  private payloadFill = 0;
  private payloadLine: Buffer | null = null;
  private readonly msg = new MsgArgs();
  /** Token [start, end) pairs of the message line being parsed; `numToks` pairs are valid. */
  private toks: Int32Array = new Int32Array(32);
  private numToks = 0;
  private stopped = false;

  /**
   * `leaf`: the leafnode protocol instead (nats-server's parser for kind LEAF): LMSG and HMSG
   * carry no account (`LMSG <subject> [reply | + reply queues | | queues] <size>`), and RMSG is
   * not an op.
   */
  constructor(
    private readonly sink: RouteParserSink,
    private readonly leaf = false,
  ) {}

  /** No more calls to the sink (the connection closed). */
  stop(): void {
    this.stopped = true;
  }

  /** Parses one read. Returns null, or why it failed (the connection must close). */
  parse(buf: Buffer): RouteParseError | null {
    let i = 0;
    const n = buf.length;
    while (i < n && !this.stopped) {
      if (this.state === ST_PAYLOAD) {
        const p = this.payload as Buffer;
        const take = Math.min(p.length - this.payloadFill, n - i);
        buf.copy(p, this.payloadFill, i, i + take);
        this.payloadFill += take;
        i += take;
        if (this.payloadFill < p.length) return null;
        const line = this.payloadLine as Buffer;
        this.payload = null;
        this.payloadLine = null;
        this.state = ST_LINE;
        if (!endsWithCrlf(p, this.msg.size)) return ERR_PAYLOAD_CRLF;
        this.sink.routeMsg(this.msg, line, p, 0);
        continue;
      }
      // Message lines whole in this read are split into tokens while looking for their LF.
      let fast = this.partialLen === 0 ? msgOp(buf, i, n) : 0;
      if (fast === RouteOp.RMSG && this.leaf) fast = 0;
      const nl = fast !== 0 ? this.tokenizeLine(buf, i + 4, n) : buf.indexOf(LF, i);
      if (nl < 0) {
        if (this.partialLen + n - i > MAX_ROUTE_LINE) return ERR_LINE_TOO_LONG;
        this.partial.push(buf.subarray(i));
        this.partialLen += n - i;
        return null;
      }
      let line = buf;
      let start = i;
      let end = nl;
      let op: RouteOpCode | 0 = fast;
      let a = i + 4;
      i = nl + 1;
      if (op === 0) {
        if (this.partialLen > 0) {
          this.partial.push(buf.subarray(start, nl));
          line = Buffer.concat(this.partial, this.partialLen + nl - start);
          this.partial.length = 0;
          this.partialLen = 0;
          start = 0;
          end = line.length;
        }
        if (end > start && line[end - 1] === CR) end--;
        while (start < end && isSpace(line[start])) start++;
        while (end > start && isSpace(line[end - 1])) end--;
        if (start === end) continue;
        let opEnd = start;
        while (opEnd < end && !isSpace(line[opEnd])) opEnd++;
        op =
          lookupOp(OPS, line, start, opEnd) ||
          lookupOp(BARE, line, start, Math.min(start + 4, end)) ||
          lookupOp(BARE, line, start, Math.min(start + 3, end));
        if (op === 0 || (op === RouteOp.RMSG && this.leaf)) return ERR_UNKNOWN_OP;
        a = opEnd;
        while (a < end && isSpace(line[a])) a++;
        if (op === RouteOp.PING || op === RouteOp.PONG || op === RouteOp.OK) {
          this.sink.routeOp(op, line, start, end, end);
          continue;
        }
        if (op !== RouteOp.RMSG && op !== RouteOp.HMSG && op !== RouteOp.LMSG) {
          this.sink.routeOp(op, line, start, a, end);
          continue;
        }
        this.tokenize(line, a, end);
      }
      let err = this.msgArgs(op, line, start);
      if (err !== null) return { text: err, protoErr: false };
      const need = this.msg.size + 2;
      if (n - i >= need) {
        if (!endsWithCrlf(buf, i + this.msg.size)) return ERR_PAYLOAD_CRLF;
        this.sink.routeMsg(this.msg, line, buf, i);
        i += need;
        continue;
      }
      // The payload continues in later reads: own the line, collect the payload.
      if (line === buf) {
        end = this.msg.lineEnd;
        line = Buffer.from(buf.subarray(start, end));
        this.tokenize(line, a - start, line.length);
        err = this.msgArgs(op, line, 0);
        if (err !== null) return { text: err, protoErr: false };
      }
      this.payloadLine = line;
      this.payload = Buffer.allocUnsafe(need);
      this.payloadFill = 0;
      this.state = ST_PAYLOAD;
    }
    return null;
  }

  /**
   * Splits line[a, b) into blank-separated tokens (this.toks, this.numToks); b must be past
   * any trailing blanks or CR already trimmed by the caller.
   */
  private tokenize(line: Buffer, a: number, b: number): void {
    let nt = 0;
    let s = -1;
    for (let k = a; k < b; k++) {
      const c = line[k];
      if (c === SPACE || c === TAB) {
        if (s >= 0) {
          this.setTok(nt++, s, k);
          s = -1;
        }
      } else if (s < 0) s = k;
    }
    if (s >= 0) this.setTok(nt++, s, b);
    this.numToks = nt;
  }

  /**
   * tokenize() for a message line in buf from `a` on, up to its LF (searched up to n): the same
   * tokens as trimming the line (a CR right before the LF dropped) and then tokenizing. Returns
   * the LF's offset, or -1 when the line does not end in this read.
   */
  private tokenizeLine(buf: Buffer, a: number, n: number): number {
    let nt = 0;
    let s = -1;
    let k = a;
    for (; k < n; k++) {
      const c = buf[k];
      if (c === LF) break;
      if (c === SPACE || c === TAB) {
        if (s >= 0) {
          this.setTok(nt++, s, k);
          s = -1;
        }
      } else if (s < 0) s = k;
    }
    if (k === n) return -1;
    if (s >= 0) {
      const e = buf[k - 1] === CR ? k - 1 : k;
      if (e > s) this.setTok(nt++, s, e);
    }
    this.numToks = nt;
    return k;
  }

  /** Token `i` is [s, e); the array doubles when a line has more tokens than ever before. */
  private setTok(i: number, s: number, e: number): void {
    let t = this.toks;
    if (2 * i + 2 > t.length) {
      t = new Int32Array(t.length * 2);
      t.set(this.toks);
      this.toks = t;
    }
    t[2 * i] = s;
    t[2 * i + 1] = e;
  }

  /** Checks the RMSG / HMSG / LMSG tokens (this.toks) of the line starting at `start` into `this.msg`. */
  private msgArgs(op: RouteOpCode, line: Buffer, start: number): string | null {
    const t = this.toks;
    const n = this.numToks;
    const m = this.msg;
    m.op = op;
    m.lineStart = start;
    m.lineEnd = n > 0 ? t[2 * n - 1] : start;
    m.originStart = -1;
    m.originEnd = -1;
    m.replyStart = -1;
    m.replyEnd = -1;
    m.numQueues = 0;
    m.hdr = -1;
    // Leading fixed arguments: [origin] account subject (a leaf's: the subject).
    const leaf = this.leaf;
    const lead = leaf ? 1 : op === RouteOp.LMSG ? 3 : 2;
    // Trailing sizes: [hdr] size.
    const tail = op === RouteOp.RMSG || (leaf && op === RouteOp.LMSG) ? 1 : 2;
    const name = leaf ? LEAF_ARGS_FUNC[op] : ARGS_FUNC[op];
    if (n < lead + tail) return `${name} Parse Error`;
    let k = 0;
    if (leaf) {
      m.accStart = -1;
      m.accEnd = -1;
      m.subjectStart = t[0];
      m.subjectEnd = t[1];
    } else {
      if (op === RouteOp.LMSG) {
        m.originStart = t[0];
        m.originEnd = t[1];
        k = 1;
      }
      m.accStart = t[2 * k];
      m.accEnd = t[2 * k + 1];
      m.subjectStart = t[2 * k + 2];
      m.subjectEnd = t[2 * k + 3];
    }
    const mid = n - lead - tail;
    if (mid === 1) {
      m.replyStart = t[2 * lead];
      m.replyEnd = t[2 * lead + 1];
    } else if (mid > 1) {
      const is = t[2 * lead];
      if (t[2 * lead + 1] - is !== 1) return `${name} Bad or Missing Reply Indicator`;
      let q = lead + 1;
      if (line[is] === 0x2b /* + */) {
        m.replyStart = t[2 * q];
        m.replyEnd = t[2 * q + 1];
        q++;
      } else if (line[is] !== 0x7c /* | */) {
        return `${name} Bad or Missing Reply Indicator`;
      }
      const qs = m.queues;
      let nq = 0;
      for (; q < n - tail; q++) {
        qs[2 * nq] = t[2 * q];
        qs[2 * nq + 1] = t[2 * q + 1];
        nq++;
      }
      m.numQueues = nq;
    }
    m.size = parseSize(line, t[2 * n - 2], t[2 * n - 1]);
    if (tail === 2) m.hdr = parseSize(line, t[2 * n - 4], t[2 * n - 3]);
    if (tail === 2 && m.hdr < 0) return `${name} Bad or Missing Header Size`;
    if (m.size < 0) return `${name} Bad or Missing Size`;
    if (m.hdr > m.size) return `${name} Header Size larger then TotalSize`;
    return null;
  }
}

/** nats-server's argument parser for each message op (its error texts start with the name). */
const ARGS_FUNC: Partial<Record<RouteOpCode, string>> = {
  [RouteOp.RMSG]: 'processRoutedMsgArgs',
  [RouteOp.HMSG]: 'processRoutedHeaderMsgArgs',
  [RouteOp.LMSG]: 'processRoutedOriginClusterMsgArgs',
};

/** The same for a leaf connection's messages. */
const LEAF_ARGS_FUNC: Partial<Record<RouteOpCode, string>> = {
  [RouteOp.LMSG]: 'processLeafMsgArgs',
  [RouteOp.HMSG]: 'processLeafHeaderMsgArgs',
};

function isSpace(c: number): boolean {
  return c === SPACE || c === TAB;
}

/**
 * RMSG / HMSG / LMSG (any case) followed by a blank at buf[i]: the op, else 0 (then the line
 * takes the general path, which finds these ops too).
 */
function msgOp(buf: Buffer, i: number, n: number): RouteOpCode | 0 {
  if (i + 4 >= n) return 0;
  const c4 = buf[i + 4];
  if (c4 !== SPACE && c4 !== TAB) return 0;
  if ((buf[i + 1] | 0x20) !== 0x6d || (buf[i + 2] | 0x20) !== 0x73 || (buf[i + 3] | 0x20) !== 0x67) return 0; // m s g
  const c0 = buf[i] | 0x20;
  return c0 === 0x72 ? RouteOp.RMSG : c0 === 0x68 ? RouteOp.HMSG : c0 === 0x6c ? RouteOp.LMSG : 0; // r h l
}

function endsWithCrlf(b: Buffer, at: number): boolean {
  return b[at] === CR && b[at + 1] === LF;
}

function lookupOp(ops: readonly [string, RouteOpCode][], line: Buffer, s: number, e: number): RouteOpCode | 0 {
  const len = e - s;
  for (const [name, op] of ops) {
    if (name.length !== len) continue;
    let k = 0;
    for (; k < len; k++) {
      let c = line[s + k];
      if (c >= 0x61 && c <= 0x7a) c -= 0x20;
      if (c !== name.charCodeAt(k)) break;
    }
    if (k === len) return op;
  }
  return 0;
}
