// The stateful Parser (src/protocol/parser.ts) over both scanner twins: reads split anywhere give
// the same ops, split PUBs are collected in one buffer, memory stays bounded, errors stop it.
import { describe, expect, it } from 'vitest';
import * as L from '../src/protocol/layout.js';
import { COMPACT_MIN, PARSER_RECORDS, Parser, type ParserSink } from '../src/protocol/parser.js';
import { TWINS } from './helpers/twins.js';
import { OP_NAMES } from './helpers/records.js';


const S = L.REC_STRIDE;
const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const str = (buf: Uint8Array, a: number, e: number): string => Buffer.from(buf.subarray(a, e)).toString('latin1');

/** A record with stream (absolute) positions: `PUB foo|2 "hi" 0-15`, `ERROR 1@7 start 5`, `PARTIAL`. */
function describeRec(buf: Buffer, recs: Int32Array, r: number, base: number): string {
  const op = recs[r + L.F_OP];
  if (op === L.OP_PARTIAL) return 'PARTIAL';
  if (op === L.OP_ERROR) return `ERROR ${recs[r + L.F_NARGS]}@${base + recs[r + L.F_PAY]} start ${base + recs[r + L.F_START]}`;
  const kind = op & L.OP_MASK;
  let s = OP_NAMES[kind] + ((op & L.OP_PARTIAL) !== 0 ? '+PARTIAL' : '');
  const nargs = recs[r + L.F_NARGS];
  const args: string[] = [];
  for (let t = 0; t < Math.min(nargs, 4); t++) args.push(str(buf, recs[r + L.F_A0S + 2 * t], recs[r + L.F_A0E + 2 * t]));
  if (args.length) s += ' ' + args.join('|');
  if ((kind === L.OP_PUB || kind === L.OP_HPUB) && (op & L.OP_PARTIAL) === 0) {
    s += ` "${str(buf, recs[r + L.F_PAY], recs[r + L.F_PAY] + recs[r + L.F_SIZE])}" hash ${recs[r + L.F_HASH]}`;
  }
  return `${s} ${base + recs[r + L.F_START]}-${base + recs[r + L.F_END]}`;
}

class Collector implements ParserSink {
  readonly log: string[] = [];
  parser!: Parser;
  /** Return false for the record whose description matches. */
  refuse: RegExp | null = null;
  onRecord(buf: Buffer, recs: Int32Array, rec: number): boolean {
    expect(rec % S).toBe(0);
    const d = describeRec(buf, recs, rec, this.parser.bufferOffset);
    this.log.push(d);
    return this.refuse === null || !this.refuse.test(d);
  }
  get complete(): string[] {
    return this.log.filter((s) => !s.includes('PARTIAL'));
  }
}

function withBlankRecords(n: number): string {
  return 'PING\r\n'.repeat(n);
}

const SCRIPT =
  'CONNECT {"verbose":false,"headers":true}\r\nSUB foo 1\r\nSUB foo q 2\r\nPUB foo 2\r\nhi\r\n' +
  'PUB foo r 000000005\r\nab\r\nc\r\nHPUB foo 8 10\r\nH: v\r\n\r\nhi\r\npub\tbar\t0\n\r\nUNSUB 1 3\r\n' +
  'PINGPONG\r\nPONG\r\n+OK\r\nINFO {} \r\nHMSG a\r\n\r\nSUB \nx 9\n-ERR bye\r\n';

describe.each(TWINS)('parser ($name)', (impl) => {
  function make(mcl = 4096): { p: Parser; c: Collector } {
    const c = new Collector();
    const p = new Parser(impl.scan, c, mcl);
    c.parser = p;
    return { p, c };
  }
  function feedAll(chunks: Buffer[], mcl = 4096): Collector {
    const { p, c } = make(mcl);
    for (const ch of chunks) p.feed(ch);
    return c;
  }
  const whole = feedAll([b(SCRIPT)]);

  it('reports every op of a pipelined script in one read', () => {
    expect(whole.log).toHaveLength(15);
    expect(whole.log[0]).toBe('CONNECT {"verbose":false,"headers":true} 0-42');
    expect(whole.log.slice(1, 4).map((s) => s.split(' hash')[0])).toEqual(['SUB foo|1 42-53', 'SUB foo|q|2 53-66', 'PUB foo|2 "hi"']);
    expect(whole.log.filter((s) => s.includes('ERROR') || s.includes('PARTIAL'))).toEqual([]);
    expect(whole.log.at(-1)).toMatch(/^ERR bye /);
  });

  it('one byte at a time gives the same ops', () => {
    const bytes = b(SCRIPT);
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i++) chunks.push(bytes.subarray(i, i + 1));
    expect(feedAll(chunks).complete).toEqual(whole.log);
  });

  it('a split at every offset gives the same ops; a split payload reports its PUB partial twice', () => {
    const bytes = b(SCRIPT);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const c = feedAll([bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(c.complete, `cut ${cut}`).toEqual(whole.log);
      const pubPartials = c.log.filter((s) => /^H?PUB\+PARTIAL/.test(s));
      // Reported when its control line is read and again as the read ends inside the payload.
      expect([0, 2], `cut ${cut}`).toContain(pubPartials.length);
    }
  });

  it('three-way splits at every pair of offsets give the same ops', () => {
    const bytes = b('SUB a 1\r\nPUB a 3\r\nx\ry\r\nPING\r\nHPUB a 1 2\r\nxy\r\nHMSG z\r\n\r\n');
    const ref = feedAll([bytes]).log;
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i; j <= bytes.length; j++) {
        const c = feedAll([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)]);
        expect(c.complete, `${i}/${j}`).toEqual(ref);
      }
    }
  });

  it('collects a split payload in one buffer of the op length, partial reported twice', () => {
    const payload = Buffer.alloc(100_000, 0x41);
    payload.write('\r\n', 500, 'latin1');
    const op = Buffer.concat([b('PUB big.subj reply 100000\r\n'), payload, b('\r\n')]);
    const stream = Buffer.concat([b('PING\r\n'), op, b('PONG\r\n')]);
    const { p, c } = make();
    const pending: number[] = [];
    for (let i = 0; i < stream.length; i += 1000) {
      p.feed(stream.subarray(i, i + 1000));
      pending.push(p.pendingBytes);
    }
    const partial = `PUB+PARTIAL big.subj|reply|100000 6-${6 + op.length}`;
    expect(c.log.filter((s) => s.startsWith('PUB+PARTIAL'))).toEqual([partial, partial]);
    expect(c.complete.map((s) => s.replace(/"A+\r\nA+"/, '"payload"'))).toEqual([
      'PING 0-6',
      expect.stringMatching(new RegExp(`^PUB big.subj\\|reply\\|100000 "payload" hash -?\\d+ 6-${6 + op.length}$`)),
      `PONG ${6 + op.length}-${12 + op.length}`,
    ]);
    // While the payload is arriving exactly one buffer of the op's length is held.
    expect(new Set(pending.filter((x) => x > 1000))).toEqual(new Set([op.length]));
    expect(p.pendingBytes).toBe(0);
  });

  it('does not allocate when the sink refuses the partial PUB (max payload)', () => {
    const { p, c } = make();
    c.refuse = /^PUB\+PARTIAL/;
    p.feed(b('PING\r\nPUB foo 50000\r\nabc'));
    expect(c.log).toEqual(['PING 0-6', 'PUB+PARTIAL foo|50000 6-50023']);
    expect(p.stopped).toBe(true);
    expect(p.pendingBytes).toBe(0);
    p.feed(b('PING\r\n'));
    expect(c.log).toHaveLength(2);
  });

  it('stops when the sink returns false for a complete op', () => {
    const { p, c } = make();
    c.refuse = /^SUB/;
    p.feed(b('PING\r\nSUB a 1\r\nPING\r\n'));
    p.feed(b('PING\r\n'));
    expect(c.log).toEqual(['PING 0-6', 'SUB a|1 6-15']);
    expect(p.stopped).toBe(true);
  });

  it('stops for good after an error; stream positions are absolute', () => {
    const { p, c } = make();
    p.feed(b('PING\r\n'));
    p.feed(b('PONG\r\nPX'));
    p.feed(b('PING\r\n'));
    expect(c.log).toEqual(['PING 0-6', 'PONG 6-12', `ERROR ${L.E_UNKNOWN_OP}@13 start 12`]);
    expect(p.stopped).toBe(true);
    expect(p.pendingBytes).toBe(0);
    p.reset();
    expect(p.stopped).toBe(false);
    p.feed(b('PING\r\n'));
    expect(c.log.at(-1)).toBe('PING 0-6');
  });

  it('payload CRLF errors are found in the collected buffer too', () => {
    const { p, c } = make();
    p.feed(b('PUB a 3\r\nab'));
    p.feed(b('cXPING\r\n'));
    expect(c.log).toEqual(['PUB+PARTIAL a|3 0-14', 'PUB+PARTIAL a|3 0-14', `ERROR ${L.E_PAYLOAD_CRLF}@12 start 0`]);
    expect(p.stopped).toBe(true);
  });

  it('a bare partial is reported on each read until the control line completes', () => {
    const { p, c } = make();
    p.feed(b('SUB fo'));
    p.feed(b('o 1'));
    p.feed(b('\r'));
    p.feed(b('\nPING\r\n'));
    expect(c.log).toEqual(['PARTIAL', 'PARTIAL', 'PARTIAL', 'SUB foo|1 0-11', 'PING 11-17']);
  });

  it('rescans when the record array fills', () => {
    const n = PARSER_RECORDS * 3 + 7;
    const c = feedAll([b(withBlankRecords(n) + 'SUB a 1\r\n')]);
    expect(c.log).toHaveLength(n + 1);
    expect(c.log[n]).toBe(`SUB a|1 ${6 * n}-${6 * n + 9}`);
  });

  describe('control line limit across reads', () => {
    it('4096 argument bytes over many reads are fine, 4097 fail at the end of a read', () => {
      const ok = b(`PUB ${'a'.repeat(4094)} 1\r\nx\r\n`);
      const chunks = (buf: Buffer, size: number): Buffer[] => {
        const res: Buffer[] = [];
        for (let i = 0; i < buf.length; i += size) res.push(buf.subarray(i, i + size));
        return res;
      };
      expect(feedAll(chunks(ok, 100)).complete).toEqual([expect.stringMatching(/^PUB a+\|1 "x" hash -?\d+ 0-4105$/)]);
      const bad = feedAll(chunks(b(`PUB ${'a'.repeat(5000)}`), 100));
      expect(bad.log.at(-1)).toBe(`ERROR ${L.E_CONTROL_LINE}@${4 + 4096} start 0`);
      expect(bad.parser.stopped).toBe(true);
    });
    it('the held tail never grows past the limit', () => {
      const { p, c } = make();
      p.feed(b('CONNECT '));
      let max = 0;
      for (let i = 0; i < 100 && !p.stopped; i++) {
        p.feed(b('x'.repeat(100)));
        max = Math.max(max, p.pendingBytes);
      }
      expect(c.log.at(-1)).toBe(`ERROR ${L.E_CONTROL_LINE}@${8 + 4096} start 0`);
      expect(max).toBeLessThanOrEqual(4096 + 8 + 2);
    });
  });

  describe('bounded memory for bytes nats-server ignores', () => {
    it('PING followed by endless junk keeps only a small tail', () => {
      const { p, c } = make();
      p.feed(b('PING'));
      let max = 0;
      for (let i = 0; i < 64; i++) {
        p.feed(Buffer.alloc(16384, 0x6a));
        max = Math.max(max, p.pendingBytes);
      }
      expect(max).toBeLessThanOrEqual(4);
      p.feed(b('\r\nPONG\r\n'));
      expect(c.complete.map((s) => s.split(' ')[0])).toEqual(['PING', 'PONG']);
    });
    it('blanks after a verb are dropped from the tail', () => {
      const { p, c } = make();
      p.feed(b('PUB'));
      let max = 0;
      for (let i = 0; i < 64; i++) {
        p.feed(Buffer.alloc(16384, 0x20));
        max = Math.max(max, p.pendingBytes);
      }
      expect(max).toBeLessThanOrEqual(4);
      p.feed(b('foo 2\r\nhi\r\n'));
      expect(c.complete).toHaveLength(1);
      expect(c.complete[0]).toMatch(/^PUB foo\|2 "hi" hash/);
    });
    it('small runs of droppable bytes are kept, so positions stay exact', () => {
      const junk = 'j'.repeat(COMPACT_MIN);
      const c = feedAll([b(`SUB a 1\r\nPING${junk}`), b(`\r\nPONG\r\n`)]);
      expect(c.complete).toEqual(['SUB a|1 0-9', `PING 9-${15 + COMPACT_MIN}`, `PONG ${15 + COMPACT_MIN}-${21 + COMPACT_MIN}`]);
    });
  });

  it('client HMSG split between its line and its CRLF waits for the CRLF', () => {
    const c = feedAll([b('HMSG foo\r\n'), b('\r'), b('\nPING\r\n')]);
    expect(c.complete).toEqual(['HMSG_IN foo 0-12', 'PING 12-18']);
  });

  it('suspend() holds everything after the record until resume(), at every split', () => {
    const bytes = b(SCRIPT);
    for (let cut = 0; cut <= bytes.length; cut += 7) {
      const c = new (class extends Collector {
        override onRecord(buf: Buffer, recs: Int32Array, rec: number): boolean {
          const ok = super.onRecord(buf, recs, rec);
          if (this.log.at(-1)!.startsWith('CONNECT')) this.parser.suspend();
          return ok;
        }
      })();
      const p = new Parser(impl.scan, c, 4096);
      c.parser = p;
      p.feed(bytes.subarray(0, cut));
      p.feed(bytes.subarray(cut));
      const atSuspend = c.complete.length;
      expect(c.complete.slice(0, atSuspend).at(-1) ?? '', `cut ${cut}`).toMatch(cut >= 42 || atSuspend > 0 ? /^CONNECT/ : /^$/);
      p.resume();
      expect(c.complete.map((x) => x.replace(/ \d+-\d+$/, '')), `cut ${cut}`).toEqual(whole.complete.map((x) => x.replace(/ \d+-\d+$/, '')));
      expect(p.pendingBytes).toBe(0);
    }
  });

  it('empty reads are harmless', () => {
    const c = feedAll([b(''), b('PI'), b(''), b('NG\r\n'), b('')]);
    expect(c.complete).toEqual(['PING 0-6']);
  });

  it('rejects a bad maxControlLine', () => {
    expect(() => new Parser(impl.scan, new Collector(), -1)).toThrow(RangeError);
    expect(() => new Parser(impl.scan, new Collector(), 1.5)).toThrow(RangeError);
  });
});
