// MSG/HMSG frames from PUB/HPUB records (src/protocol/batcher.ts and native/batcher.cc).
// Expected bytes were recorded from nats-server 2.9.10 (SUB foo 77 / SUB foo q 88, then the PUBs).
import { describe, expect, it } from 'vitest';
import * as L from '../src/protocol/layout.js';
import { msgFrameLength, writeMsg } from '../src/protocol/batcher.js';
import { scan } from '../src/protocol/scanner.js';
import { nativeImplementation, tsImplementation } from '../src/native/load.js';
import { TWINS } from './helpers/twins.js';


const S = L.REC_STRIDE;
const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Scans `input` into complete records (must all be complete ops). */
function records(input: string | Buffer): { src: Buffer; recs: Int32Array; n: number } {
  const src = typeof input === 'string' ? b(input) : input;
  const recs = new Int32Array(256 * S);
  const n = scan(src, 0, src.length, 4096, recs);
  for (let i = 0; i < n; i++) expect(recs[i * S] & L.OP_PARTIAL, 'complete record').toBe(0);
  return { src, recs, n };
}

describe.each(TWINS)('batcher ($name)', (impl) => {
  /** All frames for the records of `input`, through writeMsgs of this twin. */
  function frames(input: string | Buffer, sid: string, headers: boolean): string {
    const { src, recs, n } = records(input);
    const dst = Buffer.alloc(1 << 20);
    const state = new Int32Array(1);
    expect(impl.writeMsgs(dst, 0, src, recs, 0, n, b(sid), headers, state)).toBe(n);
    return dst.toString('latin1', 0, state[0]);
  }

  it('PUB -> MSG with the size token verbatim, reply before the size', () => {
    expect(frames('PUB foo 000000002\r\nhi\r\n', '1', false)).toBe('MSG foo 1 000000002\r\nhi\r\n');
    expect(frames('PUB foo rep 2\r\nhi\r\n', '77', true)).toBe('MSG foo 77 rep 2\r\nhi\r\n');
    expect(frames('PUB\tfoo  \t rep\t0\r\n\r\n', 'x', false)).toBe('MSG foo x rep 0\r\n\r\n');
    expect(frames('PUB foo 4\r\n\r\n\r\n\r\n', '1', false)).toBe('MSG foo 1 4\r\n\r\n\r\n\r\n');
  });

  it('HPUB to a header subscriber -> HMSG with both tokens verbatim', () => {
    expect(frames('HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n', '1', true)).toBe('HMSG foo 1 12 14\r\nNATS/1.0\r\n\r\nhi\r\n');
    expect(frames('HPUB foo rep 00012 000000014\r\nNATS/1.0\r\n\r\nhi\r\n', '9', true)).toBe(
      'HMSG foo 9 rep 00012 000000014\r\nNATS/1.0\r\n\r\nhi\r\n',
    );
  });

  it('HPUB to a non-header subscriber -> MSG with the body only and a decimal size', () => {
    // nats-server: "MSG foo 77 rep 2\r\nhi\r\n" for HPUB foo rep 00012 000000014
    expect(frames('HPUB foo rep 00012 000000014\r\nNATS/1.0\r\n\r\nhi\r\n', '77', false)).toBe('MSG foo 77 rep 2\r\nhi\r\n');
    expect(frames('HPUB foo 3 3\r\nabc\r\n', '5', false)).toBe('MSG foo 5 0\r\n\r\n');
  });

  it('HPUB with header size 0 -> plain MSG with the total token verbatim (to anyone)', () => {
    // nats-server: "MSG foo 77 02\r\nhi\r\n" for HPUB foo 0 02
    expect(frames('HPUB foo 0 02\r\nhi\r\n', '77', true)).toBe('MSG foo 77 02\r\nhi\r\n');
    expect(frames('HPUB foo 0 02\r\nhi\r\n', '77', false)).toBe('MSG foo 77 02\r\nhi\r\n');
    expect(frames('HPUB foo r 00 0002\r\nhi\r\n', '1', true)).toBe('MSG foo 1 r 0002\r\nhi\r\n');
  });

  it('an empty sid is written without its separator (as msgHeader)', () => {
    expect(frames('PUB foo 2\r\nhi\r\n', '', false)).toBe('MSG foo 2\r\nhi\r\n');
  });

  it('several records in one call, large payloads included', () => {
    const big = 'z'.repeat(70_000);
    const input = `PUB a 1\r\nx\r\nHPUB b 3 6\r\nh\r\nyyy\r\nPUB c r ${big.length}\r\n${big}\r\nHPUB d 0 0\r\n\r\n`;
    expect(frames(input, 'sid', true)).toBe(`MSG a sid 1\r\nx\r\nHMSG b sid 3 6\r\nh\r\nyyy\r\nMSG c sid r 70000\r\n${big}\r\nMSG d sid 0\r\n\r\n`);
    expect(frames(input, 'sid', false)).toBe(`MSG a sid 1\r\nx\r\nMSG b sid 3\r\nyyy\r\nMSG c sid r 70000\r\n${big}\r\nMSG d sid 0\r\n\r\n`);
  });

  it('msgFrameLength is the exact frame size', () => {
    const input = 'PUB a 1\r\nx\r\nPUB a r 0001\r\nx\r\nHPUB bb 2 12\r\nhhxxxxxxxxxx\r\nHPUB bb r 0 1\r\nx\r\n';
    const { src, recs, n } = records(input);
    for (const headers of [true, false]) {
      for (const sid of ['', '1', '12345678901234567890']) {
        for (let i = 0; i < n; i++) {
          const dst = Buffer.alloc(1000);
          const state = new Int32Array(1);
          expect(impl.writeMsgs(dst, 3, src, recs, i, 1, b(sid), headers, state)).toBe(1);
          expect(state[0] - 3).toBe(msgFrameLength(recs, i * S, sid.length, headers));
        }
      }
    }
  });

  it('stops before the first frame that does not fit; bytes past the offset stay untouched', () => {
    const { src, recs, n } = records('PUB a 1\r\nx\r\nPUB bb 2\r\nyy\r\nPUB c 1\r\nz\r\n');
    expect(n).toBe(3);
    const f1 = 'MSG a 7 1\r\nx\r\n'.length;
    const f2 = 'MSG bb 7 2\r\nyy\r\n'.length;
    const cases: [number, number, number][] = [
      [10 + f1 + f2 - 1, 1, f1],
      [10 + f1 + f2, 2, f1 + f2],
      [10 + f1 - 1, 0, 0],
      [10, 0, 0],
    ];
    for (const [size, frames, used] of cases) {
      const dst = Buffer.alloc(size, 0xee);
      const state = new Int32Array(1);
      expect(impl.writeMsgs(dst, 10, src, recs, 0, 3, b('7'), false, state), `size ${size}`).toBe(frames);
      expect(state[0]).toBe(10 + used);
      expect(dst.subarray(0, 10).every((x) => x === 0xee)).toBe(true);
      expect(dst.subarray(10 + used).every((x) => x === 0xee)).toBe(true);
    }
  });

  it('stops at a record that is not a complete PUB/HPUB, and on bad arguments writes nothing', () => {
    const { src, recs } = records('PUB a 1\r\nx\r\nPING\r\nPUB b 1\r\ny\r\n');
    const dst = Buffer.alloc(100);
    const state = new Int32Array(1);
    expect(impl.writeMsgs(dst, 0, src, recs, 0, 3, b('1'), false, state)).toBe(1);
    expect(dst.toString('latin1', 0, state[0])).toBe('MSG a 1 1\r\nx\r\n');
    // A partial record, a corrupted range, a range past the records, a bad offset.
    const part = new Int32Array(S);
    scan(b('PUB a 5\r\nab'), 0, 11, 4096, part);
    expect(impl.writeMsgs(dst, 0, b('PUB a 5\r\nab'), part, 0, 1, b('1'), false, state)).toBe(0);
    const bad = recs.slice(0, S);
    bad[L.F_SIZE] = 1000;
    expect(impl.writeMsgs(dst, 0, src, bad, 0, 1, b('1'), false, state)).toBe(0);
    expect(state[0]).toBe(0);
    expect(impl.writeMsgs(dst, 0, src, recs, 256, 1, b('1'), false, state)).toBe(0);
    expect(impl.writeMsgs(dst, -1, src, recs, 0, 1, b('1'), false, state)).toBe(0);
    expect(impl.writeMsgs(dst, 101, src, recs, 0, 1, b('1'), false, state)).toBe(0);
    expect(impl.writeMsgs(dst, 0, src, recs, -1, 1, b('1'), false, state)).toBe(0);
    expect(impl.writeMsgs(dst, 0, src, recs, 0, 0, b('1'), false, state)).toBe(0);
    expect(impl.writeMsgs(dst, 0, src, recs, 0, 1, b('1'), false, new Int32Array(0))).toBe(0);
  });

  it('single-frame writeMsg agrees with writeMsgs and returns -1 when it does not fit', () => {
    const { src, recs } = records('HPUB foo r 2 4\r\nhhbb\r\n');
    const need = msgFrameLength(recs, 0, 2, true);
    const exact = Buffer.alloc(need + 5);
    expect(writeMsg(exact, 5, src, recs, 0, b('42'), true)).toBe(need + 5);
    expect(exact.toString('latin1', 5)).toBe('HMSG foo 42 r 2 4\r\nhhbb\r\n');
    expect(writeMsg(Buffer.alloc(need + 4), 5, src, recs, 0, b('42'), true)).toBe(-1);
    expect(writeMsg(exact, 0, src, recs, S, b('42'), true)).toBe(-1); // not a PUB record
  });
});

if (process.env.TSNATS_NATIVE !== 'off') {
  describe('batcher: native and TS write identical bytes', () => {
    it('for random records, sids, header modes and destination sizes', () => {
      const native = nativeImplementation();
      let seed = 12345;
      const rnd = (): number => {
        seed = (Math.imul(seed, 1103515245) + 12345) | 0;
        return ((seed >>> 8) & 0xffffff) / 0x1000000;
      };
      const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
      const tok = (): string => 'abcXYZ09.*>_\xe9'.slice(int(0, 5), int(6, 13));
      for (let round = 0; round < 300; round++) {
        let input = '';
        const nops = int(1, 12);
        for (let i = 0; i < nops; i++) {
          const reply = rnd() < 0.4 ? ` ${tok()}` : '';
          const total = rnd() < 0.05 ? int(100, 3000) : int(0, 30);
          const body = 'p\r\n\0'.repeat(total).slice(0, total);
          if (rnd() < 0.5) input += `PUB ${tok()}${reply} ${String(total).padStart(int(1, 9), '0')}\r\n${body}\r\n`;
          else {
            const hdr = int(0, total);
            input += `HPUB ${tok()}${reply} ${String(hdr).padStart(int(1, 4), '0')} ${total}\r\n${body}\r\n`;
          }
        }
        const { src, recs, n } = records(input);
        expect(n).toBe(nops);
        const sid = b('s'.repeat(int(0, 12)));
        const headers = rnd() < 0.5;
        const size = int(0, 4000);
        const off = int(0, 20);
        const first = int(0, n - 1);
        const count = int(0, n - first + 1);
        const d1 = Buffer.alloc(size + off, 0xab);
        const d2 = Buffer.alloc(size + off, 0xab);
        const s1 = new Int32Array(1);
        const s2 = new Int32Array(1);
        const n1 = tsImplementation.writeMsgs(d1, off, src, recs, first, count, sid, headers, s1);
        const n2 = native.writeMsgs(d2, off, src, recs, first, count, sid, headers, s2);
        expect(n2, `round ${round}`).toBe(n1);
        expect(s2[0]).toBe(s1[0]);
        expect(d2.equals(d1), `round ${round}`).toBe(true);
      }
    });
  });
}
