// The scanner contract (src/protocol/scanner.ts), run against both twins. Expected behaviour
// follows nats-server 2.9.10 parser.go/client.go; the quirky cases were checked against the real
// binary (PINGPONG, `PUB \nfoo`, CONNECT\n, HMSG, control-line counting, CR drop).
import { describe, expect, it } from 'vitest';
import * as L from '../src/protocol/layout.js';
import { TWINS } from './helpers/twins.js';
import { OP_NAMES, E_NAMES } from './helpers/records.js';


const S = L.REC_STRIDE;

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const str = (buf: Uint8Array, a: number, e: number): string => Buffer.from(buf.subarray(a, e)).toString('latin1');

function fnvRef(s: string | Buffer): number {
  const bytes = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  let h = 0x811c9dc5n;
  for (const x of bytes) h = ((h ^ BigInt(x)) * 0x01000193n) & 0xffffffffn;
  return Number(BigInt.asIntN(32, h));
}

/** One record as a short string: `PUB foo|2 "hi"`, `ERROR E_UNKNOWN_OP@3`, `PARTIAL@0`. */
function brief(buf: Uint8Array, out: Int32Array, r: number): string {
  const op = out[r + L.F_OP];
  if (op === L.OP_PARTIAL) return `PARTIAL@${out[r + L.F_PAY]}`;
  if (op === L.OP_ERROR) return `ERROR ${E_NAMES[out[r + L.F_NARGS]]}@${out[r + L.F_PAY]}`;
  const base = op & L.OP_MASK;
  let s = OP_NAMES[base] + ((op & L.OP_PARTIAL) !== 0 ? '+PARTIAL' : '');
  const nargs = out[r + L.F_NARGS];
  const args: string[] = [];
  for (let t = 0; t < Math.min(nargs, 4); t++) args.push(str(buf, out[r + L.F_A0S + 2 * t], out[r + L.F_A0E + 2 * t]));
  if (args.length) s += ' ' + args.join('|');
  if (base === L.OP_PUB || base === L.OP_HPUB) {
    const pay = out[r + L.F_PAY];
    s += ` "${str(buf, pay, Math.min(pay + out[r + L.F_SIZE], buf.length))}"`;
  }
  return s;
}

describe.each(TWINS)('scanner ($name)', (impl) => {
  function run(input: string | Buffer, mcl = 4096, cap = 64, start = 0, end?: number): { buf: Buffer; out: Int32Array; n: number } {
    const buf = typeof input === 'string' ? b(input) : input;
    const out = new Int32Array(cap * S).fill(0x5a5a5a5a);
    const n = impl.scan(buf, start, end ?? buf.length, mcl, out);
    return { buf, out, n };
  }
  function ops(input: string | Buffer, mcl = 4096): string[] {
    const { buf, out, n } = run(input, mcl);
    const res: string[] = [];
    for (let i = 0; i < n; i++) res.push(brief(buf, out, i * S));
    return res;
  }
  function rec(input: string | Buffer, i = 0, mcl = 4096): number[] {
    const { out, n } = run(input, mcl);
    expect(n).toBeGreaterThan(i);
    return Array.from(out.subarray(i * S, i * S + S));
  }
  /** A full expected record: unspecified fields are -1. */
  function full(fields: Partial<Record<keyof typeof L, number>>): number[] {
    const r = new Array<number>(S).fill(-1);
    for (const [k, v] of Object.entries(fields)) r[(L as unknown as Record<string, number>)[k]] = v as number;
    return r;
  }

  describe('records per op', () => {
    it('PUB without and with reply', () => {
      expect(rec('PUB foo 2\r\nhi\r\n')).toEqual(
        full({ F_OP: L.OP_PUB, F_START: 0, F_END: 15, F_NARGS: 2, F_A0S: 4, F_A0E: 7, F_A1S: 8, F_A1E: 9, F_PAY: 11, F_SIZE: 2, F_HDR: -1, F_HASH: fnvRef('foo') }),
      );
      expect(rec('PUB foo bar 2\r\nhi\r\n')).toEqual(
        full({ F_OP: L.OP_PUB, F_START: 0, F_END: 19, F_NARGS: 3, F_A0S: 4, F_A0E: 7, F_A1S: 8, F_A1E: 11, F_A2S: 12, F_A2E: 13, F_PAY: 15, F_SIZE: 2, F_HDR: -1, F_HASH: fnvRef('foo') }),
      );
    });
    it('HPUB without and with reply', () => {
      expect(rec('HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n')).toEqual(
        full({ F_OP: L.OP_HPUB, F_START: 0, F_END: 32, F_NARGS: 3, F_A0S: 5, F_A0E: 8, F_A1S: 9, F_A1E: 11, F_A2S: 12, F_A2E: 14, F_PAY: 16, F_SIZE: 14, F_HDR: 12, F_HASH: fnvRef('foo') }),
      );
      expect(rec('HPUB a r 0 2\r\nhi\r\n')).toEqual(
        full({ F_OP: L.OP_HPUB, F_START: 0, F_END: 18, F_NARGS: 4, F_A0S: 5, F_A0E: 6, F_A1S: 7, F_A1E: 8, F_A2S: 9, F_A2E: 10, F_A3S: 11, F_A3E: 12, F_PAY: 14, F_SIZE: 2, F_HDR: 0, F_HASH: fnvRef('a') }),
      );
    });
    it('SUB with and without queue', () => {
      expect(rec('SUB foo.* 12\r\n')).toEqual(
        full({ F_OP: L.OP_SUB, F_START: 0, F_END: 14, F_NARGS: 2, F_A0S: 4, F_A0E: 9, F_A1S: 10, F_A1E: 12, F_HASH: fnvRef('foo.*') }),
      );
      expect(rec('SUB foo q 1\r\n')).toEqual(
        full({ F_OP: L.OP_SUB, F_START: 0, F_END: 13, F_NARGS: 3, F_A0S: 4, F_A0E: 7, F_A1S: 8, F_A1E: 9, F_A2S: 10, F_A2E: 11, F_HASH: fnvRef('foo') }),
      );
    });
    it('UNSUB with and without max (max not validated)', () => {
      expect(rec('UNSUB 1\r\n')).toEqual(full({ F_OP: L.OP_UNSUB, F_START: 0, F_END: 9, F_NARGS: 1, F_A0S: 6, F_A0E: 7 }));
      expect(ops('UNSUB 1 5\r\nUNSUB 2 abc\r\nUNSUB 3 -1\r\n')).toEqual(['UNSUB 1|5', 'UNSUB 2|abc', 'UNSUB 3|-1']);
    });
    it('CONNECT / INFO / -ERR carry the raw argument', () => {
      expect(rec('CONNECT {"verbose":false}\r\n')).toEqual(full({ F_OP: L.OP_CONNECT, F_START: 0, F_END: 27, F_NARGS: 1, F_A0S: 8, F_A0E: 25 }));
      expect(ops('INFO {"a":1} \r\n-ERR \'x y\'\r\n')).toEqual(['INFO {"a":1} ', "ERR 'x y'"]);
      expect(ops('CONNECT{}\r\nINFO{}\r\nCONNECT \t {} \r\n')).toEqual(['CONNECT {}', 'INFO {}', 'CONNECT {} ']);
    });
    it('PING / PONG / +OK', () => {
      expect(rec('PING\r\n')).toEqual(full({ F_OP: L.OP_PING, F_START: 0, F_END: 6, F_NARGS: 0 }));
      expect(ops('PONG\r\n+OK\r\nPING\n')).toEqual(['PONG', 'OK', 'PING']);
    });
    it('subject hash is FNV-1a 32 of A0 (PUB, HPUB, SUB), including non-ASCII bytes', () => {
      const subj = Buffer.from('ünïcode.subject.é', 'utf8');
      for (const [pre, post] of [['PUB ', ' 0\r\n\r\n'], ['HPUB ', ' 0 0\r\n\r\n'], ['SUB ', ' 1\r\n']]) {
        const buf = Buffer.concat([b(pre), subj, b(post)]);
        expect(rec(buf)[L.F_HASH]).toBe(fnvRef(subj));
      }
    });
  });

  describe('verbs and separators', () => {
    it('verbs are case-insensitive in every letter', () => {
      expect(ops('pUb a 1\r\nx\r\nhpUB a 0 1\r\nx\r\nsUb a 1\r\nUnSuB 1\r\ncOnNeCt {}\r\niNfO {}\r\npInG\r\nPoNg\r\n+oK\r\n-eRr x\r\n')).toEqual([
        'PUB a|1 "x"',
        'HPUB a|0|1 "x"',
        'SUB a|1',
        'UNSUB 1',
        'CONNECT {}',
        'INFO {}',
        'PING',
        'PONG',
        'OK',
        'ERR x',
      ]);
      expect(ops('hmSg x\r\n\r\n')).toEqual(['HMSG_IN x']);
    });
    it('tabs work as separators and blanks are collapsed', () => {
      expect(ops('PUB\tfoo\t \tr\t2\r\nhi\r\nSUB\t\tfoo \t q\t1\r\nUNSUB\t \t1\r\n')).toEqual(['PUB foo|r|2 "hi"', 'SUB foo|q|1', 'UNSUB 1']);
      expect(ops('SUB foo 1   \r\n')).toEqual(['SUB foo|1']);
    });
    it('PING/PONG/+OK ignore everything up to the LF', () => {
      expect(ops('PINGPONG\r\nPING foo\r\nPONG\tbar\n+OKwhatever\r\nPING\r\r\r\n')).toEqual(['PING', 'PING', 'PONG', 'OK', 'PING']);
      expect(rec('PINGPONG\r\n')).toEqual(full({ F_OP: L.OP_PING, F_START: 0, F_END: 10, F_NARGS: 0 }));
    });
    it('CR is optional on control lines', () => {
      expect(ops('PING\nSUB foo 1\nPUB foo 2\nhi\r\nCONNECT {}\nUNSUB 1\n')).toEqual(['PING', 'SUB foo|1', 'PUB foo|2 "hi"', 'CONNECT {}', 'UNSUB 1']);
    });
    it('PUB/HPUB/SUB/UNSUB/-ERR/HMSG need a blank right after the verb', () => {
      expect(ops('SUB\r\n')).toEqual(['ERROR E_UNKNOWN_OP@3']);
      expect(ops('PUBfoo 1\r\n')).toEqual(['ERROR E_UNKNOWN_OP@3']);
      expect(ops('HPUB\n')).toEqual(['ERROR E_UNKNOWN_OP@4']);
      expect(ops('UNSUB1\r\n')).toEqual(['ERROR E_UNKNOWN_OP@5']);
      expect(ops('-ERR\r\n')).toEqual(['ERROR E_UNKNOWN_OP@4']);
      expect(ops('HMSG\r\n')).toEqual(['ERROR E_UNKNOWN_OP@4']);
    });
    it('unknown first bytes are E_UNKNOWN_OP at once (M, R, A, L, blanks, empty line, ...)', () => {
      for (const s of ['MSG foo 1 1\r\n', 'RS+ $G foo\r\n', 'A+ x\r\n', 'LS+ x\r\n', 'RMSG', ' PING\r\n', '\tPING\r\n', '\r\n', '\n', 'x', 'G', '\0', '\xff', '*', '.']) {
        const { buf, out, n } = run(s);
        expect(n, JSON.stringify(s)).toBe(1);
        expect(Array.from(out.subarray(0, S))).toEqual(full({ F_OP: L.OP_ERROR, F_START: 0, F_NARGS: L.E_UNKNOWN_OP, F_PAY: 0 }));
        expect(buf.length).toBeGreaterThan(0);
      }
      expect(ops('PING\r\nXPING\r\n')).toEqual(['PING', 'ERROR E_UNKNOWN_OP@6']);
      expect(rec('PING\r\nPING\r\n\r\n', 2)).toEqual(full({ F_OP: L.OP_ERROR, F_START: 12, F_NARGS: L.E_UNKNOWN_OP, F_PAY: 12 }));
    });
    it('a byte that does not continue the verb fails at that byte, LF or not', () => {
      const cases: [string, number][] = [
        ['PIN\r\n', 3],
        ['PX', 1],
        ['PUX', 2],
        ['PONX', 3],
        ['CX', 1],
        ['CONNEX {}', 5],
        ['HX', 1],
        ['HPX', 2],
        ['HMX', 2],
        ['HMSX', 3],
        ['SX', 1],
        ['UX', 1],
        ['UNSUX', 4],
        ['IX', 1],
        ['INFX', 3],
        ['+X', 1],
        ['+OX', 2],
        ['-X', 1],
        ['-ERX', 3],
        ['P\n', 1],
        ['PUB\n', 3],
      ];
      for (const [s, at] of cases) expect(ops(s), s).toEqual([`ERROR E_UNKNOWN_OP@${at}`]);
      expect(rec('PING\r\nCONNEX', 1)).toEqual(full({ F_OP: L.OP_ERROR, F_START: 6, F_NARGS: L.E_UNKNOWN_OP, F_PAY: 11 }));
    });
  });

  describe('argument bytes (parser.go drop rule, first argument byte)', () => {
    it('a CR inside the argument drops the byte before the LF', () => {
      expect(ops('SUB foo\r2\r\n')).toEqual(['SUB foo|2']); // splitArg also splits on CR
      expect(ops('SUB foo 2\rx\n')).toEqual(['SUB foo|2']); // "x" dropped, "\r" separates
      expect(ops('PUB foo 2\rx\n')).toEqual(['ERROR E_PUB_ARGS@11']); // size token "2\r"
      expect(ops('CONNECT a\rbc\n')).toEqual(['CONNECT a\rb']);
      expect(ops('UNSUB 1\r\r\n')).toEqual(['UNSUB 1']);
      expect(ops('-ERR x\r\n')).toEqual(['ERR x']);
    });
    it('PUB/HPUB split only on blanks; SUB/UNSUB also on CR/LF', () => {
      expect(ops('PUB fo\ro 1\r\nx\r\n')).toEqual(['PUB fo\ro|1 "x"']);
      expect(ops('SUB fo\ro 1\r\n')).toEqual(['SUB fo|o|1']);
      expect(ops('HPUB a\rb 0 1\r\nx\r\n')).toEqual(['HPUB a\rb|0|1 "x"']);
    });
    it('the first byte after the blanks is an argument byte even when it is CR or LF', () => {
      // Verified with nats-server: `PUB \nfoo 2\n` publishes to subject "\nfoo".
      expect(ops('PUB \nfoo 2\nhi\r\n')).toEqual(['PUB \nfoo|2 "hi"']);
      expect(ops('CONNECT\r\n')).toEqual(['CONNECT \r']);
      expect(ops('CONNECT \n{}\r\n')).toEqual(['CONNECT \n{}']);
      expect(ops('CONNECT\n{}\n')).toEqual(['CONNECT \n{}']);
      expect(ops('SUB \nfoo 1\n')).toEqual(['SUB foo|1']);
      expect(ops('UNSUB \r\n')).toEqual(['ERROR E_UNSUB_ARGS@7']);
      expect(ops('INFO\r\n')).toEqual(['INFO \r']);
    });
  });

  describe('argument errors (silent close), detected at the LF', () => {
    it('wrong argument counts', () => {
      expect(ops('PUB foo\r\n')).toEqual(['ERROR E_PUB_ARGS@8']);
      expect(ops('PUB a b c 1\r\n')).toEqual(['ERROR E_PUB_ARGS@12']);
      expect(ops('HPUB a 1\r\n')).toEqual(['ERROR E_HPUB_ARGS@9']);
      expect(ops('HPUB a b c d 1\r\n')).toEqual(['ERROR E_HPUB_ARGS@15']);
      expect(ops('SUB foo\r\n')).toEqual(['ERROR E_SUB_ARGS@8']);
      expect(ops('SUB a b c d\r\n')).toEqual(['ERROR E_SUB_ARGS@12']);
      expect(ops('UNSUB 1 2 3\r\n')).toEqual(['ERROR E_UNSUB_ARGS@12']);
      expect(rec('PING\r\nSUB x\n', 1)).toEqual(full({ F_OP: L.OP_ERROR, F_START: 6, F_NARGS: L.E_SUB_ARGS, F_PAY: 11 }));
    });
    it('argument errors wait for the LF (the line may still be partial)', () => {
      expect(ops('PUB a b c 1')).toEqual(['PARTIAL@0']);
      expect(ops('PUB foo 1234567890')).toEqual(['PARTIAL@0']);
    });
    it('sizes: 1-9 ASCII digits, token kept verbatim', () => {
      expect(ops('PUB foo 000000002\r\nhi\r\n')).toEqual(['PUB foo|000000002 "hi"']);
      expect(rec('PUB foo 000000002\r\nhi\r\n')[L.F_SIZE]).toBe(2);
      expect(ops('PUB foo 1234567890\r\n')).toEqual(['ERROR E_PUB_ARGS@19']);
      expect(ops('PUB foo 0000000000\r\n\r\n')).toEqual(['ERROR E_PUB_ARGS@19']);
      for (const bad of ['-1', '+1', '1a', '0x1', 'a', '1.0', '１']) {
        expect(ops(`PUB foo ${bad}\r\nx\r\n`)[0], bad).toMatch(/^ERROR E_PUB_ARGS@/);
        expect(ops(`HPUB foo ${bad} 1\r\nx\r\n`)[0], bad).toMatch(/^ERROR E_HPUB_ARGS@/);
        expect(ops(`HPUB foo 1 ${bad}\r\nx\r\n`)[0], bad).toMatch(/^ERROR E_HPUB_ARGS@/);
      }
      const big = rec('PUB foo 999999999\r\n');
      expect(big[L.F_OP]).toBe(L.OP_PUB | L.OP_PARTIAL);
      expect(big[L.F_SIZE]).toBe(999999999);
      expect(big[L.F_END]).toBe(19 + 999999999 + 2);
    });
    it('HPUB header size must not exceed the total', () => {
      expect(ops('HPUB foo 3 2\r\nhi\r\n')).toEqual(['ERROR E_HPUB_ARGS@13']);
      expect(ops('HPUB foo 2 2\r\nhi\r\n')).toEqual(['HPUB foo|2|2 "hi"']);
      expect(ops('HPUB foo 0 0\r\n\r\n')).toEqual(['HPUB foo|0|0 ""']);
      expect(ops('HPUB foo 1234567890 1\r\n')).toEqual(['ERROR E_HPUB_ARGS@22']);
    });
  });

  describe('payloads', () => {
    it('are skipped by length: any bytes, including CR, LF and NUL', () => {
      expect(ops('PUB foo 4\r\n\r\n\r\n\r\nPUB foo 3\r\n\0\n\r\r\nPUB foo 0\r\n\r\nPING\r\n')).toEqual([
        'PUB foo|4 "\r\n\r\n"',
        'PUB foo|3 "\0\n\r"',
        'PUB foo|0 ""',
        'PING',
      ]);
      expect(ops('PUB foo 8\r\nPING\r\nPI\r\n')).toEqual(['PUB foo|8 "PING\r\nPI"']);
    });
    it('must be followed by exactly CR LF, checked as soon as the byte is there', () => {
      // The op comes first as a partial record (its control line is processed, as nats-server
      // does before it meets the terminator), then the error.
      expect(ops('PUB foo 1\r\nxx\r\n')).toEqual(['PUB+PARTIAL foo|1 "x"', 'ERROR E_PAYLOAD_CRLF@12']);
      expect(ops('PUB foo 1\r\nxy')).toEqual(['PUB+PARTIAL foo|1 "x"', 'ERROR E_PAYLOAD_CRLF@12']);
      expect(ops('PUB foo 1\r\nx\rx')).toEqual(['PUB+PARTIAL foo|1 "x"', 'ERROR E_PAYLOAD_CRLF@13']);
      expect(ops('PUB foo 1\r\nx\r\r')).toEqual(['PUB+PARTIAL foo|1 "x"', 'ERROR E_PAYLOAD_CRLF@13']);
      expect(ops('PUB foo 1\r\nx\n')).toEqual(['PUB+PARTIAL foo|1 "x"', 'ERROR E_PAYLOAD_CRLF@12']);
      expect(ops('HPUB foo 0 1\r\nxPING\r\n')).toEqual(['HPUB+PARTIAL foo|0|1 "x"', 'ERROR E_PAYLOAD_CRLF@15']);
      expect(rec('PING\r\nPUB a 0\r\nX')[L.F_OP]).toBe(L.OP_PING);
      expect(rec('PING\r\nPUB a 0\r\nX', 1)[L.F_OP]).toBe(L.OP_PUB | L.OP_PARTIAL);
      expect(rec('PING\r\nPUB a 0\r\nX', 2)).toEqual(full({ F_OP: L.OP_ERROR, F_START: 6, F_NARGS: L.E_PAYLOAD_CRLF, F_PAY: 15 }));
    });
    it('leaves an op with a bad terminator for the next call when only one record slot is left', () => {
      const { n, out } = run('PING\r\nPUB a 0\r\nX', 4096, 2);
      expect(n).toBe(1);
      expect(out[L.F_OP]).toBe(L.OP_PING);
      expect(out[L.F_END]).toBe(6);
    });
  });

  describe('client HMSG (OP_HMSG_IN)', () => {
    it('is an empty message: the line, then exactly CR LF', () => {
      expect(rec('HMSG foo 1 2 2\r\n\r\n')).toEqual(
        full({ F_OP: L.OP_HMSG_IN, F_START: 0, F_END: 18, F_NARGS: 1, F_A0S: 5, F_A0E: 14, F_PAY: 16, F_SIZE: 0, F_HDR: 0 }),
      );
      expect(ops('HMSG foo\r\n\r\nPING\r\n')).toEqual(['HMSG_IN foo', 'PING']);
      expect(ops('HMSG x y z\n\r\n')).toEqual(['HMSG_IN x y z']);
    });
    it('anything else after the line is a framing error (verified with nats-server)', () => {
      expect(ops('HMSG foo 1 2 2\r\nPING\r\n')).toEqual(['ERROR E_PAYLOAD_CRLF@16']);
      expect(ops('HMSG foo\r\n\rX')).toEqual(['ERROR E_PAYLOAD_CRLF@11']);
    });
    it('waits (partial) until the CR LF is there, and its line is limited', () => {
      expect(ops('HMSG foo\r\n')).toEqual(['PARTIAL@0']);
      expect(ops('HMSG foo\r\n\r')).toEqual(['PARTIAL@0']);
      expect(ops('HMSG 12345678901\r\n\r\n', 10)).toEqual(['ERROR E_CONTROL_LINE@15']);
    });
  });

  describe('control line limit', () => {
    const subj = (n: number): string => 'a'.repeat(n);
    it('counts the argument bytes after verb and separator, without the CR: 4096 ok, 4097 fails', () => {
      // argument = subject + " 1"
      expect(ops(`PUB ${subj(4094)} 1\r\nx\r\n`)).toEqual([`PUB ${subj(4094)}|1 "x"`]);
      expect(ops(`PUB ${subj(4095)} 1\r\nx\r\n`)).toEqual([`ERROR E_CONTROL_LINE@${4 + 4096}`]);
      expect(ops(`PUB ${subj(4095)} 1\nx\r\n`)).toEqual([`ERROR E_CONTROL_LINE@${4 + 4096}`]);
      expect(ops(`SUB    ${subj(4094)} 1\r\n`)).toEqual([`SUB ${subj(4094)}|1`]);
      expect(ops(`SUB    ${subj(4095)} 1\r\n`)).toEqual([`ERROR E_CONTROL_LINE@${7 + 4096}`]);
      expect(ops(`CONNECT {${' '.repeat(4094)}}\r\n`)).toHaveLength(1);
      expect(ops(`CONNECT {${' '.repeat(4094)}}\r\n`)[0]).toMatch(/^CONNECT /);
      expect(ops(`CONNECT {${' '.repeat(4095)}}\r\n`)).toEqual([`ERROR E_CONTROL_LINE@${8 + 4096}`]);
    });
    it('applies to every op with an argument state, checked before the arguments', () => {
      const mcl = 8;
      expect(ops('PUB a b c d e\r\n', mcl)).toEqual(['ERROR E_CONTROL_LINE@12']);
      expect(ops('HPUB a 1 23456\r\n', mcl)).toEqual(['ERROR E_CONTROL_LINE@13']);
      expect(ops('UNSUB 123456789\r\n', mcl)).toEqual(['ERROR E_CONTROL_LINE@14']);
      expect(ops('INFO 123456789\r\n', mcl)).toEqual(['ERROR E_CONTROL_LINE@13']);
      expect(ops('-ERR 123456789\r\n', mcl)).toEqual(['ERROR E_CONTROL_LINE@13']);
      expect(ops('UNSUB 12345678\r\n', mcl)).toEqual(['UNSUB 12345678']);
    });
    it('does not apply to PING/PONG/+OK or to blanks after the verb (as nats-server)', () => {
      expect(ops(`PING${'j'.repeat(10000)}\r\n+OK${'k'.repeat(10000)}\r\n`)).toEqual(['PING', 'OK']);
      expect(ops(`PUB${' '.repeat(10000)}foo 1\r\nx\r\n`)).toEqual(['PUB foo|1 "x"']);
    });
    it('a CR in the middle of the argument is not counted (drop)', () => {
      // 4097 bytes between argument start and LF, one of them a CR: length 4096, then bad size.
      expect(ops(`PUB ${subj(4093)} 1\rx\nx\r\n`)).toEqual(['ERROR E_PUB_ARGS@4101']);
    });
    it('is also checked on an incomplete line at the end of the buffer', () => {
      expect(ops(`PUB ${subj(4096)}`)).toEqual(['PARTIAL@0']);
      expect(ops(`PUB ${subj(4097)}`)).toEqual([`ERROR E_CONTROL_LINE@${4 + 4096}`]);
      expect(ops(`PUB ${subj(4096)}\r`)).toEqual(['PARTIAL@0']); // trailing CR not counted
      expect(ops(`PING\r\nCONNECT ${subj(5000)}`)).toEqual(['PING', `ERROR E_CONTROL_LINE@${6 + 8 + 4096}`]);
      expect(ops(`PING${'j'.repeat(5000)}`)).toEqual(['PARTIAL@0']);
    });
    it('gives up early on a huge line without LF', () => {
      const buf = Buffer.alloc(8 << 20, 0x61);
      buf.write('PUB ', 0, 'latin1');
      expect(ops(buf)).toEqual([`ERROR E_CONTROL_LINE@${4 + 4096}`]);
    });
    it('maxControlLine 0 and negative (treated as 0)', () => {
      expect(ops('PUB a 1\r\nx\r\n', 0)).toEqual(['ERROR E_CONTROL_LINE@4']);
      expect(ops('PUB a 1\r\nx\r\n', -5)).toEqual(['ERROR E_CONTROL_LINE@4']);
      expect(ops('PING\r\n', 0)).toEqual(['PING']);
    });
  });

  describe('partial records', () => {
    it('a PUB/HPUB with its control line complete is the full record with OP_PARTIAL', () => {
      expect(rec('PUB foo 5\r\nab')).toEqual(
        full({ F_OP: L.OP_PUB | L.OP_PARTIAL, F_START: 0, F_END: 18, F_NARGS: 2, F_A0S: 4, F_A0E: 7, F_A1S: 8, F_A1E: 9, F_PAY: 11, F_SIZE: 5, F_HDR: -1, F_HASH: fnvRef('foo') }),
      );
      expect(ops('PING\r\nHPUB foo 1 3\r\n')).toEqual(['PING', 'HPUB+PARTIAL foo|1|3 ""']);
      expect(ops('PUB foo 2\r\nhi')).toEqual(['PUB+PARTIAL foo|2 "hi"']);
      expect(ops('PUB foo 2\r\nhi\r')).toEqual(['PUB+PARTIAL foo|2 "hi"']);
    });
    it('otherwise a bare OP_PARTIAL at the op start, with the droppable-bytes offset', () => {
      const bare = (at: number, keep: number): number[] => full({ F_OP: L.OP_PARTIAL, F_PAY: at, F_A0S: keep });
      expect(rec('P')).toEqual(bare(0, 1));
      expect(rec('PING\r\nPU', 1)).toEqual(bare(6, 8));
      expect(rec('PUB')).toEqual(bare(0, 3));
      expect(rec('PUB   ')).toEqual(bare(0, 4)); // verb + first blank kept
      expect(rec('CONNECT  ')).toEqual(bare(0, 7));
      expect(rec('PING junk')).toEqual(bare(0, 4));
      expect(rec('+OK junk')).toEqual(bare(0, 3));
      expect(rec('PUB foo 2')).toEqual(bare(0, 9));
      expect(rec('PUB foo 2\r')).toEqual(bare(0, 10));
      expect(rec('SUB foo 1')).toEqual(bare(0, 9));
      expect(rec('HMSG x\r\n')).toEqual(bare(0, 8));
    });
    it('every proper prefix of an op is partial (never an error)', () => {
      const script = 'PUB foo r 5\r\nhello\r\nHPUB a 2 4\r\nab\nc\r\nSUB foo q 1\r\nUNSUB 1 2\r\nCONNECT {}\r\nINFO {}\r\n-ERR x\r\nPING\r\nPONG\r\n+OK\r\nHMSG a\r\n\r\n';
      const full1 = ops(script);
      expect(full1).toHaveLength(11);
      for (let cut = 0; cut < script.length; cut++) {
        const got = ops(script.slice(0, cut));
        expect(got.filter((s) => s.startsWith('ERROR')), `cut ${cut}`).toEqual([]);
        const complete = got.filter((s) => !s.includes('PARTIAL'));
        expect(complete, `cut ${cut}`).toEqual(full1.slice(0, complete.length));
      }
    });
  });

  describe('buffer range and capacity', () => {
    it('stops when out is full; rescanning from the last F_END continues', () => {
      const input = 'PING\r\nPONG\r\nSUB a 1\r\nPUB a 1\r\nx\r\n+OK\r\n';
      const got: string[] = [];
      let p = 0;
      for (let guard = 0; guard < 10; guard++) {
        const { buf, out, n } = run(input, 4096, 2, p);
        if (n === 0) break;
        expect(n).toBeLessThanOrEqual(2);
        for (let i = 0; i < n; i++) got.push(brief(buf, out, i * S));
        p = out[(n - 1) * S + L.F_END];
      }
      expect(got).toEqual(['PING', 'PONG', 'SUB a|1', 'PUB a|1 "x"', 'OK']);
    });
    it('capacity is floor(out.length / REC_STRIDE) and nothing past it is written', () => {
      const buf = b('PING\r\nPING\r\nPING\r\n');
      const out = new Int32Array(S * 2 + 5).fill(7);
      expect(impl.scan(buf, 0, buf.length, 4096, out)).toBe(2);
      expect(Array.from(out.subarray(2 * S))).toEqual([7, 7, 7, 7, 7]);
      expect(impl.scan(buf, 0, buf.length, 4096, new Int32Array(S - 1))).toBe(0);
      expect(impl.scan(buf, 0, buf.length, 4096, new Int32Array(0))).toBe(0);
    });
    it('scans only [start, end) and reports offsets into the whole buffer', () => {
      const buf = b('xxPING\r\nSUB a 1\r\nyy');
      const { out, n } = run(buf, 4096, 8, 2, 17);
      expect(n).toBe(2);
      expect(Array.from(out.subarray(0, 3))).toEqual([L.OP_PING, 2, 8]);
      expect(Array.from(out.subarray(S, S + 3))).toEqual([L.OP_SUB, 8, 17]);
      expect(run(buf, 4096, 8, 2, 10).out[S]).toBe(L.OP_PARTIAL);
      expect(run(buf, 4096, 8, 5, 5).n).toBe(0);
    });
    it('a range outside the buffer yields no records', () => {
      const buf = b('PING\r\n');
      for (const [s, e] of [[-1, 6], [0, 7], [4, 3], [7, 7]]) expect(run(buf, 4096, 4, s, e).n).toBe(0);
      expect(impl.scan(new Uint8Array(0), 0, 0, 4096, new Int32Array(S))).toBe(0);
    });
    it('works on Uint8Array views with a byte offset', () => {
      const backing = b('zzzzPUB a 1\r\nx\r\n');
      const view = new Uint8Array(backing.buffer, backing.byteOffset + 4, backing.length - 4);
      const out = new Int32Array(S);
      expect(impl.scan(view, 0, view.length, 4096, out)).toBe(1);
      expect(brief(view, out, 0)).toBe('PUB a|1 "x"');
    });
  });

  it('a pipelined stream of every op', () => {
    const script =
      'CONNECT {"verbose":false}\r\nSUB foo 1\r\nSUB foo q 2\r\nPUB foo 2\r\nhi\r\nPUB foo r 000\r\n\r\n' +
      'HPUB foo 8 10\r\nH: v\r\n\r\nhi\r\nUNSUB 1\r\nPING\r\nPONG\r\n+OK\r\nINFO {}\r\nHMSG x\r\n\r\n-ERR bye\r\n';
    expect(ops(script)).toEqual([
      'CONNECT {"verbose":false}',
      'SUB foo|1',
      'SUB foo|q|2',
      'PUB foo|2 "hi"',
      'PUB foo|r|000 ""',
      'HPUB foo|8|10 "H: v\r\n\r\nhi"',
      'UNSUB 1',
      'PING',
      'PONG',
      'OK',
      'INFO {}',
      'HMSG_IN x',
      'ERR bye',
    ]);
  });
});
