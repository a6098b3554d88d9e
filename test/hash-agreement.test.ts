// The scanner's subject hash (F_HASH, both twins) is the registry's subjectHash: the registry
// stores and patches cached results under it, so the two must never disagree.
import { describe, expect, it } from 'vitest';
import { F_HASH, F_OP, FNV_OFFSET, FNV_PRIME, OP_PUB, OP_SUB, REC_STRIDE } from '../src/protocol/layout.js';
import { FNV1A_32_OFFSET, FNV1A_32_PRIME, subjectHash, subjectHashString } from '../src/subjects/hash.js';
import { TWINS } from './helpers/twins.js';


function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomSubject(r: () => number): Buffer {
  const tokens = 1 + Math.floor(r() * 6);
  const parts: Buffer[] = [];
  for (let t = 0; t < tokens; t++) {
    const len = 1 + Math.floor(r() * 12);
    const tok = Buffer.alloc(len);
    // Any byte but separators: ASCII, UTF-8 lead/continuation bytes, DEL.
    for (let i = 0; i < len; i++) {
      let b: number;
      do b = 0x21 + Math.floor(r() * 0xde);
      while (b === 0x2e);
      tok[i] = b;
    }
    parts.push(tok);
  }
  return Buffer.concat(parts.flatMap((p, i) => (i === 0 ? [p] : [Buffer.from('.'), p])));
}

describe('subject hash agreement', () => {
  it('layout.ts and hash.ts use the same FNV-1a parameters', () => {
    expect([FNV_OFFSET, FNV_PRIME]).toEqual([FNV1A_32_OFFSET, FNV1A_32_PRIME]);
  });

  describe.each(TWINS.map((t) => [t.name, t] as const))('%s scanner', (_name, impl) => {
    it('F_HASH of PUB and SUB equals subjectHash of the subject bytes', () => {
      const r = rng(7);
      const out = new Int32Array(4 * REC_STRIDE);
      for (let k = 0; k < 2000; k++) {
        const subj = randomSubject(r);
        const buf = Buffer.concat([Buffer.from('PUB '), subj, Buffer.from(' 2\r\nhi\r\nSUB '), subj, Buffer.from(' 1\r\n')]);
        expect(impl.scan(buf, 0, buf.length, 4096, out)).toBe(2);
        expect(out[F_OP]).toBe(OP_PUB);
        expect(out[REC_STRIDE + F_OP]).toBe(OP_SUB);
        const want = subjectHash(subj, 0, subj.length);
        expect(out[F_HASH]).toBe(want);
        expect(out[REC_STRIDE + F_HASH]).toBe(want);
        expect(subjectHashString(subj.toString('latin1'))).toBe(want);
      }
    });
  });
});
