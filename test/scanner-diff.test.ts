// "Bindings match fallback": seeded random op streams (valid and corrupted, random limits, random
// ranges and capacities, random read chunking through Parser). The native and TS scanners must
// write identical records (and identical errors at identical positions), and the chunked parser
// must report the same ops as one scan of the whole stream.
import { describe, expect, it } from 'vitest';
import * as L from '../src/protocol/layout.js';
import { Parser, type ParserSink } from '../src/protocol/parser.js';
import { nativeImplementation, tsImplementation, type ScanFn } from '../src/native/load.js';
import { prng } from './helpers/records.js';

const S = L.REC_STRIDE;
const OFF = process.env.TSNATS_NATIVE === 'off';
// Otherwise the native twin must load (throws here if it does not: no silent skip).
const nativeScan: ScanFn | null = OFF ? null : nativeImplementation().scan;
const tsScan = tsImplementation.scan;


class Gen {
  constructor(readonly rnd: () => number) {}
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.rnd() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rnd() * xs.length)];
  }
  chance(p: number): boolean {
    return this.rnd() < p;
  }
  verb(v: string): string {
    let s = '';
    for (const c of v) s += this.chance(0.3) ? (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) : c;
    return s;
  }
  blank(): string {
    let s = '';
    const n = this.chance(0.8) ? 1 : this.int(1, 3);
    for (let i = 0; i < n; i++) s += this.chance(0.8) ? ' ' : '\t';
    return s;
  }
  token(): string {
    const alpha = 'abcdefghijklmnopqrstuvwxyz0123456789.*>_-$ABC\xe9\xff';
    let s = '';
    const n = this.int(1, 12);
    for (let i = 0; i < n; i++) s += this.chance(0.02) ? '\r' : alpha[this.int(0, alpha.length - 1)];
    return s;
  }
  eol(): string {
    const x = this.rnd();
    return x < 0.8 ? '\r\n' : x < 0.95 ? '\n' : x < 0.98 ? '\r\r\n' : '\rZ\n';
  }
  bytes(n: number): string {
    const pool = ['\r', '\n', '\r\n', ' ', '\0', 'PING\r\n', 'x', 'y', '\xff'];
    let s = '';
    while (s.length < n) s += this.pick(pool);
    return s.slice(0, n);
  }
  sizeToken(n: number): string {
    let s = String(n);
    if (this.chance(0.2)) s = s.padStart(this.int(s.length, 9), '0');
    else if (this.chance(0.03)) s = s.padStart(10, '0'); // too long for parseSize
    return s;
  }
  op(): string {
    const g = this;
    switch (g.int(0, 13)) {
      case 0:
      case 1: {
        const size = g.chance(0.1) ? 0 : g.int(0, 40);
        const reply = g.chance(0.3) ? g.blank() + g.token() : '';
        return g.verb('PUB') + g.blank() + g.token() + reply + g.blank() + g.sizeToken(size) + g.eol() + g.bytes(size) + '\r\n';
      }
      case 2: {
        const total = g.int(0, 40);
        const hdr = g.int(0, total);
        const reply = g.chance(0.3) ? g.blank() + g.token() : '';
        return g.verb('HPUB') + g.blank() + g.token() + reply + g.blank() + g.sizeToken(hdr) + g.blank() + g.sizeToken(total) + g.eol() + g.bytes(total) + '\r\n';
      }
      case 3:
      case 4:
        return g.verb('SUB') + g.blank() + g.token() + (g.chance(0.3) ? g.blank() + g.token() : '') + g.blank() + g.int(1, 999) + g.eol();
      case 5:
        return g.verb('UNSUB') + g.blank() + g.int(1, 999) + (g.chance(0.4) ? g.blank() + g.token() : '') + g.eol();
      case 6:
        return g.verb('CONNECT') + (g.chance(0.8) ? g.blank() : '') + '{"verbose":false,"name":"' + g.token() + '"}' + g.eol();
      case 7:
        return g.verb('INFO') + g.blank() + '{}' + (g.chance(0.5) ? ' ' : '') + g.eol();
      case 8:
      case 9:
        return g.verb('PING') + (g.chance(0.2) ? g.token() : '') + g.eol();
      case 10:
        return g.verb('PONG') + g.eol();
      case 11:
        return g.verb('+OK') + (g.chance(0.2) ? g.token() : '') + g.eol();
      case 12:
        return g.verb('HMSG') + g.blank() + g.token() + ' 1 2 2' + g.eol() + '\r\n';
      default:
        return g.verb('-ERR') + g.blank() + "'" + g.token() + "'" + g.eol();
    }
  }
  corrupt(s: string): string {
    const n = this.int(1, 3);
    for (let i = 0; i < n && s.length > 0; i++) {
      const at = this.int(0, s.length - 1);
      const x = this.rnd();
      const ch = this.pick(['\r', '\n', ' ', '\t', 'M', 'X', '0', '9', '\0', String.fromCharCode(this.int(0, 255))]);
      if (x < 0.4) s = s.slice(0, at) + ch + s.slice(at + 1);
      else if (x < 0.7) s = s.slice(0, at) + ch + s.slice(at);
      else s = s.slice(0, at) + s.slice(at + 1);
    }
    return s;
  }
  stream(): { buf: Buffer; mcl: number } {
    let s = '';
    const nops = this.int(1, 30);
    for (let i = 0; i < nops; i++) s += this.op();
    if (this.chance(0.5)) s = this.corrupt(s);
    if (this.chance(0.2)) s = s.slice(0, this.int(0, s.length));
    const x = this.rnd();
    const mcl = x < 0.7 ? 4096 : x < 0.95 ? this.int(4, 40) : this.int(-2, 3);
    return { buf: Buffer.from(s, 'latin1'), mcl };
  }
}

/** One whole-buffer scan (rescanning when out fills) -> normalized records, absolute positions. */
function normalize(buf: Uint8Array, recs: Int32Array, r: number, base: number): string {
  const op = recs[r + L.F_OP];
  if ((op & L.OP_PARTIAL) !== 0) return 'PARTIAL';
  if (op === L.OP_ERROR) return `ERROR ${recs[r + L.F_NARGS]}@${base + recs[r + L.F_PAY]} from ${base + recs[r + L.F_START]}`;
  const parts: (string | number)[] = [op];
  // PING/PONG/+OK: the start of an op whose ignorable bytes were cut is not exact (parser.ts).
  if (op !== L.OP_PING && op !== L.OP_PONG && op !== L.OP_OK) parts.push(base + recs[r + L.F_START]);
  parts.push(base + recs[r + L.F_END], recs[r + L.F_NARGS]);
  for (let t = 0; t < 4; t++) {
    const a = recs[r + L.F_A0S + 2 * t];
    parts.push(a < 0 ? '-' : JSON.stringify(Buffer.from(buf.subarray(a, recs[r + L.F_A0E + 2 * t])).toString('latin1')));
  }
  if (op === L.OP_PUB || op === L.OP_HPUB) {
    const pay = recs[r + L.F_PAY];
    parts.push(JSON.stringify(Buffer.from(buf.subarray(pay, pay + recs[r + L.F_SIZE])).toString('latin1')));
    parts.push(recs[r + L.F_SIZE], recs[r + L.F_HDR], recs[r + L.F_HASH]);
  }
  return parts.join(' ');
}

function scanWhole(scan: ScanFn, buf: Buffer, mcl: number): string[] {
  const out = new Int32Array(64 * S);
  const res: string[] = [];
  let p = 0;
  for (;;) {
    const n = scan(buf, p, buf.length, mcl, out);
    for (let i = 0; i < n; i++) res.push(normalize(buf, out, i * S, 0));
    if (n < 64) return res;
    p = out[(n - 1) * S + L.F_END];
  }
}

class Log implements ParserSink {
  raw: string[] = [];
  norm: string[] = [];
  parser!: Parser;
  onRecord(buf: Buffer, recs: Int32Array, rec: number): boolean {
    this.raw.push(`${this.parser.bufferOffset}:${Array.from(recs.subarray(rec, rec + S)).join(',')}`);
    const n = normalize(buf, recs, rec, this.parser.bufferOffset);
    if (n !== 'PARTIAL') this.norm.push(n);
    return true;
  }
}

function parseChunked(scan: ScanFn, buf: Buffer, mcl: number, cuts: number[]): Log {
  const log = new Log();
  const p = new Parser(scan, log, Math.max(mcl, 0));
  log.parser = p;
  let prev = 0;
  for (const c of [...cuts, buf.length]) {
    p.feed(buf.subarray(prev, c));
    prev = c;
  }
  return log;
}

function randomCuts(g: Gen, len: number): number[] {
  const cuts: number[] = [];
  const mode = g.int(0, 3);
  if (mode === 0) for (let i = 1; i < len; i++) cuts.push(i); // byte at a time
  else {
    const k = mode === 1 ? g.int(1, 3) : g.int(1, Math.max(1, len >> 2));
    for (let i = 0; i < k; i++) cuts.push(g.int(0, len));
    cuts.sort((a, b) => a - b);
  }
  return cuts;
}

const STREAMS = 400;

describe('scanner differential (seeded random streams)', () => {
  if (!OFF) it('native and TS write identical records for random streams, ranges and capacities', () => {
    const g = new Gen(prng(0x5eed1));
    let records = 0;
    let errors = 0;
    for (let i = 0; i < STREAMS; i++) {
      const { buf, mcl } = g.stream();
      for (let k = 0; k < 4; k++) {
        const start = k === 0 ? 0 : g.int(0, buf.length);
        const end = k < 2 ? buf.length : g.int(start, buf.length);
        const cap = g.pick([1, 2, 3, 64]);
        const a = new Int32Array(cap * S + 3).fill(-7);
        const b = new Int32Array(cap * S + 3).fill(-7);
        const na = tsScan(buf, start, end, mcl, a);
        const nb = (nativeScan as ScanFn)(buf, start, end, mcl, b);
        expect(nb, `stream ${i} [${start},${end}) cap ${cap}`).toBe(na);
        if (!Buffer.from(a.buffer).equals(Buffer.from(b.buffer))) {
          expect(Array.from(b), `stream ${i} [${start},${end}) ${JSON.stringify(buf.toString('latin1'))}`).toEqual(Array.from(a));
        }
        records += na;
        for (let r = 0; r < na; r++) if (a[r * S] === L.OP_ERROR) errors++;
      }
    }
    // The generator must exercise both valid ops and errors.
    expect(records).toBeGreaterThan(STREAMS * 5);
    expect(errors).toBeGreaterThan(STREAMS / 4);
  });

  if (!OFF) it('native and TS parsers report identical record sequences under random chunking', () => {
    const g = new Gen(prng(0x5eed2));
    for (let i = 0; i < STREAMS; i++) {
      const { buf, mcl } = g.stream();
      const cuts = randomCuts(g, buf.length);
      const a = parseChunked(tsScan, buf, mcl, cuts);
      const b = parseChunked(nativeScan as ScanFn, buf, mcl, cuts);
      expect(b.raw, `stream ${i}`).toEqual(a.raw);
    }
  });

  it.each(OFF ? [['ts', tsScan] as const] : [['ts', tsScan] as const, ['native', nativeScan as ScanFn] as const])(
    '%s: chunked parsing reports the same ops as one scan of the whole stream',
    (_name, scan) => {
      const g = new Gen(prng(0x5eed3));
      let ops = 0;
      for (let i = 0; i < STREAMS; i++) {
        const { buf, mcl } = g.stream();
        const whole = scanWhole(scan, buf, Math.max(mcl, 0)).filter((s) => s !== 'PARTIAL');
        const cuts = randomCuts(g, buf.length);
        const log = parseChunked(scan, buf, mcl, cuts);
        expect(log.norm, `stream ${i} cuts ${cuts.length} ${JSON.stringify(buf.toString('latin1'))}`).toEqual(whole);
        ops += whole.length;
      }
      expect(ops).toBeGreaterThan(STREAMS * 3);
    },
  );
});
