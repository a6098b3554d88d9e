// Hostile input, seeded and bounded (CI; see docs/hostile-input.md). Extends scanner-diff.test.ts
// (random generated streams) with mutation fuzzing of valid scripts and three levels of checks:
//  1. parser: mutated op streams through Parser with both scan twins at random cut points: same
//     records and errors, no throw, bounded records and time, bounded held bytes (pendingBytes).
//  2. server: an in-process tsnats (the twin TSNATS_NATIVE selects, plus the TS twin) under
//     mutated streams over concurrent raw connections: each hostile connection ends answered
//     (PONG) or closed, a fresh client still gets PONG and pub/sub after every stream, and no
//     connection is leaked.
//  3. differential: a fixed sample of mutated streams against nats-server 2.9.10: the same
//     close/keep-open decision and the same -ERR lines.
// Everything is driven by fixed seeds; a failure prints the stream's bytes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeImplementation, tsImplementation } from '../src/native/load.js';
import { type ServerHandle, startServer } from '../src/index.js';
import type { Implementation } from '../src/protocol/implementation.js';
import * as L from '../src/protocol/layout.js';
import { COMPACT_MIN, Parser, type ParserSink } from '../src/protocol/parser.js';
import { RawClient, showBytes } from './helpers/raw-client.js';
import { spawnServer, type SpawnedServer } from './helpers/spawn-server.js';
import { E_NAMES, prng } from './helpers/records.js';

const S = L.REC_STRIDE;
const OFF = process.env.TSNATS_NATIVE === 'off';
// Otherwise the native twin must load (no silent skip), as in scanner-diff.test.ts.
const NATIVE: Implementation | null = OFF ? null : nativeImplementation();
const MAX_PAYLOAD = 1024 * 1024;
/** TSNATS_FUZZ_SCALE=n multiplies every stream count (deeper local runs); CI uses 1. */
const SCALE = Math.max(1, Number(process.env.TSNATS_FUZZ_SCALE ?? 1) || 1);
/** TSNATS_FUZZ_SEED=n shifts every seed (explore new streams locally; CI uses 0). */
const SEED = Number(process.env.TSNATS_FUZZ_SEED ?? 0) | 0;
const MCL = 4096;
const log = (line: string): void => {
  if (process.env.TSNATS_FUZZ_VERBOSE) process.stderr.write(`${line}\n`);
};
/** Longest verb plus its separator: "CONNECT " (bytes before the argument that are kept). */
const VERB_SLACK = 16;

// ---- seeded generator ----------------------------------------------------------------------


class Rng {
  private readonly r: () => number;
  constructor(seed: number) {
    this.r = prng(seed);
  }
  next(): number {
    return this.r();
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.r() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)]!;
  }
  chance(p: number): boolean {
    return this.r() < p;
  }
}

const SPECIAL = [0x0d, 0x0a, 0x20, 0x09, 0x00, 0xff] as const;
const HUGE_SIZES = ['999999999', '1000000000', '4294967296', '000000000', '-1', '1048577', '99999999999999999999'];

function subject(g: Rng): string {
  const toks = ['foo', 'bar', 'a', 'b', '*', '>', 'x.y', '_INBOX', 'q'];
  let s = g.pick(toks);
  for (let n = g.int(0, 2); n > 0; n--) s += '.' + g.pick(toks);
  return s;
}

function payload(g: Rng, n: number): string {
  const pool = ['x', 'y', '\r', '\n', '\r\n', ' ', '\0', 'PING\r\n', 'MSG a 1 1\r\n', '\xff'];
  let s = '';
  while (s.length < n) s += g.pick(pool);
  return s.slice(0, n);
}

/** One valid op (nats-server would accept it), sometimes near a limit. */
function validOp(g: Rng, mcl: number): string {
  const sp = (): string => (g.chance(0.9) ? ' ' : g.pick(['\t', '  ', ' \t']));
  const eol = (): string => (g.chance(0.85) ? '\r\n' : '\n');
  switch (g.int(0, 13)) {
    case 0: {
      const opts = ['"verbose":false', '"verbose":true', '"pedantic":true', '"headers":true', '"echo":false', '"protocol":1', '"name":"f"', '"no_responders":true'];
      const fields = Array.from({ length: g.int(0, 4) }, () => g.pick(opts));
      if (g.chance(0.6)) fields.unshift('"verbose":false');
      return `CONNECT${g.chance(0.9) ? ' ' : ''}{${fields.join(',')}}${eol()}`;
    }
    case 1:
    case 2: {
      const n = g.chance(0.1) ? g.int(100, 3000) : g.int(0, 24);
      let size = String(n);
      if (g.chance(0.15)) size = size.padStart(9, '0'); // 9-digit size token
      const reply = g.chance(0.3) ? sp() + '_INBOX.' + g.int(1, 99) : '';
      return `PUB${sp()}${subject(g)}${reply}${sp()}${size}${eol()}${payload(g, n)}\r\n`;
    }
    case 3: {
      const hdr = 'NATS/1.0\r\nK: v\r\n\r\n';
      const body = payload(g, g.int(0, 16));
      const total = hdr.length + body.length;
      return `HPUB${sp()}${subject(g)}${sp()}${hdr.length}${sp()}${total}${eol()}${hdr}${body}\r\n`;
    }
    case 4:
    case 5:
      return `SUB${sp()}${subject(g)}${g.chance(0.3) ? sp() + 'grp' : ''}${sp()}${g.int(1, 20)}${eol()}`;
    case 6:
      return `UNSUB${sp()}${g.int(1, 20)}${g.chance(0.4) ? sp() + g.int(0, 3) : ''}${eol()}`;
    case 7:
    case 8:
      return `${g.pick(['PING', 'ping', 'PiNg'])}${g.chance(0.1) ? ' junk' : ''}${eol()}`;
    case 9:
      return `${g.pick(['PONG', '+OK'])}${eol()}`;
    case 10:
      return `INFO {}${eol()}`;
    case 11: {
      // a control line whose argument is just under, at or just over the limit
      const len = mcl + g.int(-3, 2);
      const subj = 'n'.repeat(Math.max(1, len - 2));
      return `SUB ${subj} 1${eol()}`;
    }
    case 12:
      return `PUB foo ${g.pick(HUGE_SIZES)}${eol()}`;
    default:
      return `PUB${sp()}${subject(g)}${sp()}5${eol()}hello\r\n`;
  }
}

/** A valid script, then 0..5 mutations: byte flips, inserted CR/LF/SP/TAB/NUL/0xff, deletions, truncation, duplication, huge sizes, long runs. */
function mutatedStream(g: Rng, mcl: number, maxOps = 10): Buffer {
  let s = '';
  for (let n = g.int(1, maxOps); n > 0; n--) s += validOp(g, mcl);
  let b = Buffer.from(s, 'latin1');
  const muts = g.chance(0.15) ? 0 : g.int(1, 5);
  for (let m = 0; m < muts && b.length > 0; m++) {
    const at = g.int(0, b.length - 1);
    switch (g.int(0, 9)) {
      case 0:
        b[at] ^= 1 << g.int(0, 7);
        break;
      case 1:
        b[at] = g.pick(SPECIAL);
        break;
      case 2:
      case 3:
        b = Buffer.concat([b.subarray(0, at), Buffer.from([g.chance(0.8) ? g.pick(SPECIAL) : g.int(0, 255)]), b.subarray(at)]);
        break;
      case 4:
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + g.int(1, 8)))]);
        break;
      case 5:
        b = b.subarray(0, at);
        break;
      case 6: {
        const end = Math.min(b.length, at + g.int(1, 64));
        b = Buffer.concat([b.subarray(0, end), b.subarray(at, end), b.subarray(end)]);
        break;
      }
      case 7: {
        // replace a run of digits by a huge or odd size token
        const t = b.toString('latin1');
        const runs = [...t.matchAll(/\d+/g)];
        if (runs.length > 0) {
          const r = g.pick(runs);
          b = Buffer.from(t.slice(0, r.index) + g.pick(HUGE_SIZES) + t.slice(r.index + r[0].length), 'latin1');
        }
        break;
      }
      case 8: {
        // a run that makes a control line land near the limit (or a PING line very long)
        const run = Buffer.alloc(mcl + g.int(-4, 4), g.pick([0x61, 0x20, 0x09, 0x0d]));
        b = Buffer.concat([b.subarray(0, at), run, b.subarray(at)]);
        break;
      }
      default:
        b[at] = g.int(0, 255);
    }
  }
  return Buffer.from(b);
}

/** Bytes as a JSON string, runs of 16+ equal bytes written «"x"×N» (exact, but readable). */
function show(b: Buffer): string {
  return JSON.stringify(b.toString('latin1')).replace(/(\\u[0-9a-f]{4}|\\.|[^\\])\1{15,}/g, (run, ch: string) => `«${ch}×${run.length / ch.length}»`);
}

function randomCuts(g: Rng, len: number): number[] {
  const mode = g.int(0, 4);
  const cuts: number[] = [];
  if (mode === 0 && len <= 600) for (let i = 1; i < len; i++) cuts.push(i); // byte at a time
  else {
    const k = mode <= 2 ? g.int(1, 4) : g.int(1, Math.max(1, len >> 3));
    for (let i = 0; i < k; i++) cuts.push(g.int(0, len));
    cuts.sort((a, b) => a - b);
  }
  return cuts;
}

// ---- 1. parser level -----------------------------------------------------------------------

/**
 * A sink like the client's: refuses a PUB/HPUB whose size exceeds max payload (so nothing is
 * allocated for it) and, to exercise the stop path, refuses the record number `refuseAt`.
 * Checks every record's offsets on the way.
 */
class FuzzSink implements ParserSink {
  readonly log: string[] = [];
  parser!: Parser;
  records = 0;
  /** Declared length (F_END - F_START) of the PUB/HPUB whose payload is being collected. */
  opLength = -1;
  badRecord: string | null = null;
  constructor(private readonly refuseAt: number) {}
  onRecord(buf: Buffer, recs: Int32Array, r: number): boolean {
    this.records++;
    const f = Array.from(recs.subarray(r, r + S));
    this.log.push(`${this.parser.bufferOffset}:${f.join(',')}`);
    const op = f[L.F_OP]!;
    const kind = op & L.OP_MASK;
    const len = buf.length;
    const within = (a: number, b: number): boolean => a >= 0 && a <= b && b <= len;
    if (op === L.OP_ERROR) {
      if (!(f[L.F_START]! >= 0 && f[L.F_START]! <= f[L.F_PAY]! && f[L.F_PAY]! < len)) this.badRecord ??= `error position ${f.join(',')} len ${len}`;
    } else if (op === L.OP_PARTIAL) {
      if (!within(f[L.F_PAY]!, len) || f[L.F_A0S]! < f[L.F_PAY]! || f[L.F_A0S]! > len) this.badRecord ??= `bare partial ${f.join(',')} len ${len}`;
    } else {
      const partial = (op & L.OP_PARTIAL) !== 0;
      const end = f[L.F_END]!;
      // A partial op ends past the buffer, or inside it when its payload terminator is wrong.
      if (!(f[L.F_START]! >= 0 && f[L.F_START]! < end && (partial || end <= len))) this.badRecord ??= `op range ${f.join(',')} len ${len}`;
      for (let t = 0; t < Math.min(f[L.F_NARGS]!, 4); t++) {
        const a = f[L.F_A0S + 2 * t]!;
        const e = f[L.F_A0E + 2 * t]!;
        if (!(a >= f[L.F_START]! && a <= e && e <= Math.min(end, len))) this.badRecord ??= `arg ${t} ${f.join(',')} len ${len}`;
      }
      if (kind === L.OP_PUB || kind === L.OP_HPUB) {
        if (f[L.F_PAY]! + f[L.F_SIZE]! + 2 !== end || f[L.F_SIZE]! < 0) this.badRecord ??= `payload ${f.join(',')}`;
      }
    }
    if ((op & L.OP_PARTIAL) !== 0 && kind !== 0) {
      if (f[L.F_SIZE]! > MAX_PAYLOAD) return false; // Maximum Payload Violation: nothing allocated
      this.opLength = f[L.F_END]! - f[L.F_START]!;
    } else if (op !== L.OP_PARTIAL) {
      this.opLength = -1;
    }
    return this.records !== this.refuseAt;
  }
}

interface ParseRun {
  log: string[];
  stopped: boolean;
  pending: number[];
  maxPending: number;
  records: number;
  ms: number;
}

function parseFuzz(impl: Implementation, buf: Buffer, mcl: number, cuts: number[], refuseAt: number): ParseRun {
  const sink = new FuzzSink(refuseAt);
  const p = new Parser(impl.scan, sink, mcl);
  sink.parser = p;
  const pending: number[] = [];
  let maxPending = 0;
  const t0 = performance.now();
  let prev = 0;
  for (const c of [...cuts, buf.length]) {
    p.feed(buf.subarray(prev, c));
    prev = c;
    const held = p.pendingBytes;
    pending.push(held);
    maxPending = Math.max(maxPending, held);
    if (sink.badRecord !== null) throw new Error(`${impl.name}: bad record: ${sink.badRecord}`);
    // Held bytes: a PUB/HPUB collecting its payload holds exactly its declared op length;
    // anything else is an incomplete control line: at most the limit plus verb and droppable bytes.
    if (p.stopped) expect(held).toBe(0);
    else if (sink.opLength >= 0) {
      expect(held, `${impl.name} payload buffer`).toBe(sink.opLength);
      expect(held).toBeLessThanOrEqual(mcl + VERB_SLACK + MAX_PAYLOAD + 2);
    } else expect(held, `${impl.name} control line tail`).toBeLessThanOrEqual(mcl + 1 + VERB_SLACK + COMPACT_MIN);
  }
  return { log: sink.log, stopped: p.stopped, pending, maxPending, records: sink.records, ms: performance.now() - t0 };
}

const PARSER_STREAMS = 1500 * SCALE;

describe('fuzz: parser with mutated streams', () => {
  it(`${PARSER_STREAMS} mutated streams at random cut points: ${NATIVE ? 'native and TS agree' : 'TS only (TSNATS_NATIVE=off)'}, bounded`, () => {
    const g = new Rng(0xf022 + SEED);
    let errors = 0;
    let collected = 0;
    let worstMs = 0;
    for (let i = 0; i < PARSER_STREAMS; i++) {
      const mcl = g.chance(0.8) ? MCL : g.pick([0, 1, 8, 40, 300]);
      const buf = mutatedStream(g, Math.max(mcl, 16));
      const cuts = randomCuts(g, buf.length);
      const refuseAt = g.chance(0.1) ? g.int(1, 8) : -1;
      const what = (): string => `stream ${i} mcl ${mcl} cuts [${cuts.join(',')}] refuseAt ${refuseAt}\n${show(buf)}`;
      let a: ParseRun;
      let b: ParseRun | undefined;
      try {
        a = parseFuzz(tsImplementation, buf, mcl, cuts, refuseAt);
        if (NATIVE) b = parseFuzz(NATIVE, buf, mcl, cuts, refuseAt);
      } catch (e) {
        throw new Error(`${String(e)}\n${what()}`);
      }
      // No loops: every record but one bare partial per scan consumes bytes.
      expect(a.records, what()).toBeLessThanOrEqual(buf.length + 2 * (cuts.length + 1) + 1);
      if (b) {
        expect(b.log, what()).toEqual(a.log);
        expect([b.stopped, b.pending], what()).toEqual([a.stopped, a.pending]);
      }
      if (a.log.some((l) => l.split(':')[1]!.startsWith(`${L.OP_ERROR},`))) errors++;
      if (a.maxPending > 0) collected++;
      worstMs = Math.max(worstMs, a.ms, b?.ms ?? 0);
    }
    log(`parser: ${PARSER_STREAMS} streams, ${errors} with a scan error, ${collected} holding bytes between reads, slowest ${worstMs.toFixed(1)} ms`);
    // the mutations must reach both the error paths and the split-op paths
    expect(errors).toBeGreaterThan(PARSER_STREAMS / 4);
    expect(collected).toBeGreaterThan(PARSER_STREAMS / 10);
    expect(worstMs).toBeLessThan(1000);
  }, 20_000 * SCALE);

  // Hand-made worst cases for the held-bytes bound, each in reads of the given sizes.
  const SHAPES: [string, Buffer, number][] = [
    ['blanks after a verb, then an argument, in one read', Buffer.concat([Buffer.from('SUB'), Buffer.alloc(60000, 0x09), Buffer.from('x'), Buffer.alloc(5000, 0x79)]), 60004],
    ['PING and 1 MiB of junk without LF', Buffer.concat([Buffer.from('PING'), Buffer.alloc(1 << 20, 0x41)]), 65536],
    ['CONNECT and 1 MiB without LF', Buffer.concat([Buffer.from('CONNECT '), Buffer.alloc(1 << 20, 0x7b)]), 1024],
    ['a huge declared size, then payload bytes', Buffer.concat([Buffer.from('PUB foo 999999999\r\n'), Buffer.alloc(1 << 20, 0x78)]), 4096],
    ['a max-size payload that never completes', Buffer.concat([Buffer.from('PUB foo 1048576\r\n'), Buffer.alloc(1 << 19, 0x78)]), 65536],
    ['blanks between every argument', Buffer.from(`PUB ${'\t'.repeat(2000)}foo${' '.repeat(2000)}5${' '.repeat(200)}`), 7],
  ];
  it.each(SHAPES)('held bytes stay bounded: %s', (_name, buf, read) => {
    const cuts: number[] = [];
    for (let at = read; at < buf.length; at += read) cuts.push(at);
    const a = parseFuzz(tsImplementation, buf, MCL, cuts, -1);
    if (NATIVE) expect(parseFuzz(NATIVE, buf, MCL, cuts, -1).pending).toEqual(a.pending);
  });

  it('a stream refused at every record stops cleanly on both twins', () => {
    const g = new Rng(0xf023 + SEED);
    for (let i = 0; i < 100; i++) {
      const buf = mutatedStream(g, MCL, 6);
      for (let refuseAt = 1; refuseAt <= 6; refuseAt++) {
        const cuts = randomCuts(g, buf.length);
        const a = parseFuzz(tsImplementation, buf, MCL, cuts, refuseAt);
        if (NATIVE) expect(parseFuzz(NATIVE, buf, MCL, cuts, refuseAt).log).toEqual(a.log);
        if (a.records >= refuseAt) expect(a.stopped).toBe(true);
      }
    }
  });
});

// ---- what a server sends back --------------------------------------------------------------

interface Frames {
  pongs: number;
  pings: number;
  oks: number;
  msgs: number;
  errs: string[];
  /** Bytes that are not a server frame (would be a server bug). */
  junk: string | null;
}

/** Splits server output into frames (INFO, MSG/HMSG with payloads skipped, PING, PONG, +OK, -ERR). */
function frames(buf: Buffer): Frames {
  const f: Frames = { pongs: 0, pings: 0, oks: 0, msgs: 0, errs: [], junk: null };
  let p = 0;
  while (p < buf.length) {
    const lf = buf.indexOf(0x0a, p);
    if (lf < 0) break;
    const line = buf.toString('latin1', p, lf > p && buf[lf - 1] === 0x0d ? lf - 1 : lf);
    let next = lf + 1;
    if (line === 'PING') f.pings++;
    else if (line === 'PONG') f.pongs++;
    else if (line === '+OK') f.oks++;
    else if (line.startsWith('-ERR ')) f.errs.push(line);
    else if (line.startsWith('INFO ')) {
      /* skip */
    } else if (/^H?MSG /.test(line)) {
      const size = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (!Number.isInteger(size)) {
        f.junk = line;
        break;
      }
      if (lf + 1 + size + 2 > buf.length) break;
      next = lf + 1 + size + 2;
      f.msgs++;
    } else {
      f.junk = line;
      break;
    }
    p = next;
  }
  return f;
}

/**
 * What the server's parser makes of `sent` (a TS parser with the server's max-payload rule):
 * 'error' = it must close; 'partial' = it waits for more bytes (`remaining` of a payload, or
 * the rest of a control line); 'complete' = every op was read. `pings` counts PING ops.
 */
function model(sent: Buffer): { state: 'error' | 'partial' | 'complete'; pings: number; remaining: number } {
  let pings = 0;
  let error = false;
  let partial = false;
  let bigEnd = -1;
  const sink: ParserSink = {
    onRecord(_buf, recs, r) {
      const op = recs[r + L.F_OP]!;
      const kind = op & L.OP_MASK;
      partial = (op & L.OP_PARTIAL) !== 0;
      if ((kind === L.OP_PUB || kind === L.OP_HPUB) && recs[r + L.F_SIZE]! > MAX_PAYLOAD) {
        error = true;
        return false;
      }
      if (partial && kind !== 0) bigEnd = parser.bufferOffset + recs[r + L.F_END]!;
      if (op === L.OP_PING) pings++;
      if (op === L.OP_ERROR || op === L.OP_ERR) error = true;
      return !error;
    },
  };
  const parser = new Parser(tsImplementation.scan, sink, MCL);
  parser.feed(sent);
  if (error) return { state: 'error', pings, remaining: 0 };
  if (partial) return { state: 'partial', pings, remaining: bigEnd >= 0 ? bigEnd - sent.length : 0 };
  return { state: 'complete', pings, remaining: 0 };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits until `done()` or the deadline; resolves to whether done() became true. */
async function until(c: RawClient, done: () => boolean, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await Promise.race([c.closed(), sleep(5)]);
  }
  return true;
}

const ANSWER_MS = 3000;

/**
 * Plays one hostile stream and drives the connection to an end: after the stream, PING; if the
 * server (per the model) waits for more bytes, complete the pending op and PING again. Every
 * PING the server parsed must be answered unless it closes; an 'error' must close. Returns how
 * the connection ended.
 */
async function hostile(port: number, stream: Buffer, g: Rng): Promise<{ ended: 'closed' | 'answered'; frames: Frames }> {
  const c = await RawClient.connect(port);
  try {
    await c.expect(/^INFO \{.*\} \r\n/);
    let sent = Buffer.alloc(0);
    const send = (b: Buffer): void => {
      sent = Buffer.concat([sent, b]);
      c.send(b);
    };
    // the stream in random pieces
    let prev = 0;
    for (const cut of [...randomCuts(g, stream.length).filter(() => g.chance(0.3)), stream.length]) {
      if (cut <= prev) continue;
      send(stream.subarray(prev, cut));
      prev = cut;
      if (g.chance(0.3)) await new Promise((r) => setImmediate(r));
    }
    for (let round = 0; round < 6; round++) {
      send(Buffer.from('PING\r\n'));
      const m = model(sent);
      const what = `round ${round} model ${m.state}\nsent: ${show(sent)}\nreceived:\n${showBytes(c.received())}`;
      if (m.state === 'error') {
        expect(await c.closedWithin(ANSWER_MS), `server did not close: ${what}`).toBe(true);
        break;
      }
      if (m.state === 'complete') {
        const ok = await until(c, () => c.isClosed || frames(c.received()).pongs >= m.pings, ANSWER_MS);
        expect(ok, `no PONG within ${ANSWER_MS} ms: ${what}`).toBe(true);
        break;
      }
      // partial: finish the pending payload (filler + CRLF) or the pending control line
      await until(c, () => c.isClosed, 20);
      if (c.isClosed) break;
      if (m.remaining > 0) send(Buffer.concat([Buffer.alloc(Math.max(0, m.remaining - 2), 0x78), Buffer.from('\r\n'.slice(Math.max(0, 2 - m.remaining)))]));
      else send(Buffer.from('\r\n'));
      if (round === 5) throw new Error(`connection neither answered nor closed: ${what}`);
    }
    const f = frames(c.received());
    expect(f.junk, `server sent bytes that are no frame: ${showBytes(c.received())}`).toBe(null);
    return { ended: c.isClosed ? 'closed' : 'answered', frames: f };
  } finally {
    await c.close();
  }
}

/** A fresh, well-behaved client: PONG and a message to itself. */
async function probe(port: number, n: number): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    await c.expect(/^INFO \{.*\} \r\n/);
    c.send(`CONNECT {"verbose":false}\r\nSUB probe.${n} 1\r\nPUB probe.${n} 2\r\nok\r\nPING\r\n`);
    await c.expect(`MSG probe.${n} 1 2\r\nok\r\nPONG\r\n`, ANSWER_MS);
  } finally {
    await c.close();
  }
}

// ---- 2. server level -----------------------------------------------------------------------

const SERVER_STREAMS = 120 * SCALE;
const WORKERS = 6;

describe.each(OFF ? (['off'] as const) : (['env', 'off'] as const))('fuzz: in-process server (native=%s)', (native) => {
  let s: ServerHandle;
  beforeAll(async () => {
    s = await startServer({ host: '127.0.0.1', port: -1, ...(native === 'off' ? { native: 'off' as const } : {}) });
  });
  afterAll(() => s?.shutdown());

  it(`survives ${SERVER_STREAMS} mutated streams over ${WORKERS} concurrent connections; every connection is answered or closed`, async () => {
    expect(s.server.impl.name).toBe(native === 'off' ? 'ts' : NATIVE ? 'native' : 'ts');
    const ends = { closed: 0, answered: 0 };
    let next = 0;
    await Promise.all(
      Array.from({ length: WORKERS }, async (_, w) => {
        const g = new Rng(0x5e7 + SEED * 16 + w);
        for (let i = next++; i < SERVER_STREAMS; i = next++) {
          const stream = mutatedStream(g, MCL, 8);
          const r = await hostile(s.port, stream, g);
          ends[r.ended]++;
          await probe(s.port, i);
        }
      }),
    );
    log(`server (${native}): ${SERVER_STREAMS} streams, ${ends.closed} closed, ${ends.answered} answered`);
    // both outcomes must occur, or the mutations are too weak/too strong to mean anything
    expect(ends.closed).toBeGreaterThan(SERVER_STREAMS / 10);
    expect(ends.answered).toBeGreaterThan(SERVER_STREAMS / 10);
    // every connection is gone from the server's registry once the sockets are closed
    const deadline = performance.now() + 3000;
    while (s.server.clients.size > 0 && performance.now() < deadline) await sleep(10);
    expect(s.server.clients.size).toBe(0);
  }, 20_000 * SCALE);
});

// ---- 3. differential with nats-server ------------------------------------------------------

/** Fixed seeds: one stream each. */
const DIFF_SEEDS = Array.from({ length: 80 * SCALE }, (_, i) => 0xd1ff00 + SEED + i);


/**
 * Where nats-server 2.9.10's reads of a stream written at once end: its read buffer starts at
 * 512 bytes (startBufSize) and doubles after every full read, up to 64 KiB. The differential
 * writes each stream in exactly these pieces (waiting in between), so both servers see the
 * same reads and nats-server's split-dependent behaviour is reproducible.
 */
function natsReadCuts(len: number): number[] {
  const cuts: number[] = [];
  for (let at = 512, size = 1024; at < len; at += size, size = Math.min(size * 2, 65536)) cuts.push(at);
  return cuts;
}

/**
 * nats-server's handling of a CR inside a control line depends on where a read splits the line
 * (parser.go: once a line is split, later CR bytes are not appended to argBuf and the "drop the
 * byte before LF" rule no longer applies); tsnats implements the unsplit rule for every split
 * (src/protocol/scanner.ts). A stream with a stray CR (not followed by LF) in a control line
 * that crosses a read boundary compares that design choice, not the parsers: such streams are
 * left out of the differential (docs/hostile-input.md).
 */
function strayCrAcrossRead(stream: Buffer, cuts: number[]): boolean {
  if (cuts.length === 0) return false;
  const out = new Int32Array(64 * S);
  let p = 0;
  for (;;) {
    const n = tsImplementation.scan(stream, p, stream.length, MCL, out);
    for (let i = 0; i < n; i++) {
      const r = i * S;
      const op = out[r + L.F_OP]!;
      const start = out[r + (op === L.OP_PARTIAL ? L.F_PAY : L.F_START)]!;
      const lf = stream.indexOf(0x0a, start);
      const end = lf < 0 ? stream.length : lf;
      if (!cuts.some((c) => c > start && c <= end)) continue;
      for (let k = stream.indexOf(0x0d, start); k >= 0 && k < end; k = stream.indexOf(0x0d, k + 1)) if (k !== end - 1) return true;
    }
    if (n < 64) return false;
    p = out[(n - 1) * S + L.F_END]!;
  }
}


/** The scanner's first error in a stream (triage hint for a disagreement). */
function firstScanError(stream: Buffer): string {
  const out = new Int32Array(64 * S);
  let p = 0;
  for (;;) {
    const n = tsImplementation.scan(stream, p, stream.length, MCL, out);
    for (let i = 0; i < n; i++) {
      const r = i * S;
      if (out[r + L.F_OP] === L.OP_ERROR) return `${E_NAMES[out[r + L.F_NARGS]!]}@${out[r + L.F_PAY]} (op at ${out[r + L.F_START]})`;
    }
    if (n < 64) return 'no scan error';
    p = out[(n - 1) * S + L.F_END]!;
  }
}

interface Outcome {
  closed: boolean;
  errs: string[];
}

/**
 * Writes the stream and a PING in nats-server's read pieces, waits for an end (close, every
 * PONG, or quiet for a partial op).
 */
async function outcome(port: number, stream: Buffer): Promise<Outcome> {
  const c = await RawClient.connect(port);
  try {
    await c.expect(/^INFO \{.*\} \r\n/);
    const sent = Buffer.concat([stream, Buffer.from('PING\r\n')]);
    const pieces: Buffer[] = [];
    let prev = 0;
    for (const cut of [...natsReadCuts(stream.length), sent.length]) {
      pieces.push(sent.subarray(prev, cut));
      prev = cut;
    }
    await c.sendPieces(pieces, 10);
    const m = model(sent);
    if (m.state === 'complete') await until(c, () => c.isClosed || frames(c.received()).pongs >= m.pings, ANSWER_MS);
    else await until(c, () => c.isClosed, m.state === 'error' ? ANSWER_MS : 150);
    await sleep(20); // a close right after the last frame
    const f = frames(c.received());
    return { closed: c.isClosed, errs: f.errs };
  } finally {
    await c.close();
  }
}

describe('fuzz: differential with nats-server 2.9.10', () => {
  let ref: SpawnedServer;
  let s: ServerHandle;
  beforeAll(async () => {
    [ref, s] = await Promise.all([spawnServer('nats-server'), startServer({ host: '127.0.0.1', port: -1 })]);
  });
  afterAll(async () => {
    await Promise.all([ref?.stop(), s?.shutdown()]);
  });

  it(`${DIFF_SEEDS.length} seeded mutated streams: same close decision and -ERR lines`, async () => {
    const diffs: string[] = [];
    let closed = 0;
    let skipped = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = next++; i < DIFF_SEEDS.length; i = next++) {
          const stream = mutatedStream(new Rng(DIFF_SEEDS[i]!), MCL, 8);
          if (strayCrAcrossRead(stream, natsReadCuts(stream.length))) {
            skipped++;
            continue;
          }
          const [a, b] = await Promise.all([outcome(ref.port, stream), outcome(s.port, stream)]);
          if (a.closed) closed++;
          if (JSON.stringify(a) !== JSON.stringify(b)) {
            diffs.push(`seed 0x${DIFF_SEEDS[i]!.toString(16)}: nats-server ${JSON.stringify(a)} tsnats ${JSON.stringify(b)} [${firstScanError(Buffer.concat([stream, Buffer.from('PING\r\n')]))}]\n  ${show(stream)}`);
          }
        }
      }),
    );
    log(`differential: ${DIFF_SEEDS.length} seeds, ${skipped} skipped (stray CR across a read), ${closed} closed by nats-server, ${diffs.length} disagreements`);
    expect(diffs, diffs.join('\n')).toEqual([]);
    expect(closed).toBeGreaterThan(DIFF_SEEDS.length / 10);
    expect(skipped).toBeLessThan(DIFF_SEEDS.length / 4);
    expect(ref.proc.exitCode).toBe(null);
  }, 20_000 * SCALE);

  // Minimal forms of the disagreements the seeded streams found (docs/hostile-input.md): the
  // control-line checks of a PUB/HPUB must happen before its payload is looked at.
  it.each([
    ['HPUB without headers, wrong payload end in the same read', 'HPUB foo 2 4\r\nabcdXX'],
    ['pedantic subject, wrong payload end in the same read', 'CONNECT {"pedantic":true,"verbose":false}\r\nPUB foo.* 1\r\nxYY'],
    ['pedantic subject, payload never completes', 'CONNECT {"pedantic":true,"verbose":false}\r\nPUB foo.* 10\r\nxy'],
  ])('same outcome as nats-server: %s', async (_name, bytes) => {
    const stream = Buffer.from(bytes, 'latin1');
    const [a, b] = await Promise.all([outcome(ref.port, stream), outcome(s.port, stream)]);
    expect(b, `tsnats vs nats-server for ${show(stream)}`).toEqual(a);
  });
});
