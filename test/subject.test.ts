import { describe, expect, it } from 'vitest';
import {
  bytesToSubject,
  isValidLiteralSubject,
  isValidLiteralSubjectBytes,
  isValidPublishSubject,
  isValidSubject,
  isValidSubjectBytes,
  matchLiteral,
  subjectEqualsBytes,
  subjectIsLiteral,
} from '../src/subjects/subject.js';
import { subjectHash, subjectHashString } from '../src/subjects/hash.js';

const enc = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** Check the byte version at an offset inside a larger buffer, with junk around it. */
function bytesAt(fn: (b: Uint8Array, s: number, e: number) => boolean, s: string): boolean {
  const b = enc(`xx.${s}. y`);
  return fn(b, 3, 3 + s.length);
}

// Ported from sublist_test.go TestSublistValidSubjects, plus whitespace and empty cases.
const validSubjects: [string, boolean][] = [
  ['', false],
  ['.', false],
  ['.foo', false],
  ['foo.', false],
  ['foo..bar', false],
  ['>.bar', false],
  ['foo.>.bar', false],
  ['foo', true],
  ['foo.bar.*', true],
  ['foo.bar.>', true],
  ['*', true],
  ['>', true],
  ['*.>', true],
  ['*.*.*', true],
  ['foo*', true],
  ['foo**', true],
  ['foo.**', true],
  ['foo*bar', true],
  ['foo.*bar', true],
  ['foo*.bar', true],
  ['*bar', true],
  ['foo>', true],
  ['foo.>>', true],
  ['foo>bar', true],
  ['foo.>bar', true],
  ['foo>.bar', true],
  ['>bar', true],
  ['$SYS.x#y', true],
  ['caf\u00c3\u00a9', true], // UTF-8 bytes of "café" as a byte string
  // whitespace (Go: "\t\n\f\r " refused in any token; \v is not in the list)
  ['foo bar', false],
  [' ', false],
  ['foo.\t', false],
  ['foo.\n.bar', false],
  ['a\rb', false],
  ['a\fb', false],
  ['a\vb', true],
];

// Ported from TestSublistValidLiteralSubjects.
const validLiteral: [string, boolean][] = [
  ['', false],
  ['foo', true],
  ['.foo', false],
  ['foo.', false],
  ['foo..bar', false],
  ['foo.bar.*', false],
  ['foo.bar.>', false],
  ['*', false],
  ['>', false],
  ['foo.*.bar', false],
  ['foo*', true],
  ['foo**', true],
  ['foo.**', true],
  ['foo*bar', true],
  ['foo.*bar', true],
  ['foo*.bar', true],
  ['*bar', true],
  ['foo>', true],
  ['foo>>', true],
  ['foo.>>', true],
  ['foo>bar', true],
  ['foo.>bar', true],
  ['foo>.bar', true],
  ['>bar', true],
  // Go's IsValidLiteralSubject does not look at whitespace (the parser split on it already)
  ['foo bar', true],
];

describe('isValidSubject (Go IsValidSubject)', () => {
  it.each(validSubjects)('%j -> %s', (s, want) => {
    expect(isValidSubject(s)).toBe(want);
    expect(bytesAt(isValidSubjectBytes, s)).toBe(want);
  });
});

describe('isValidLiteralSubject (Go IsValidLiteralSubject)', () => {
  it.each(validLiteral)('%j -> %s', (s, want) => {
    expect(isValidLiteralSubject(s)).toBe(want);
    expect(bytesAt(isValidLiteralSubjectBytes, s)).toBe(want);
  });

  it('isValidPublishSubject = valid + literal (with whitespace check)', () => {
    expect(isValidPublishSubject('foo.bar')).toBe(true);
    expect(isValidPublishSubject('foo bar')).toBe(false);
    expect(isValidPublishSubject('foo.*')).toBe(false);
    expect(isValidPublishSubject('foo..bar')).toBe(false);
  });
});

describe('subjectIsLiteral (TestSubjectIsLiteral)', () => {
  it.each([
    ['foo', true],
    ['foo.bar', true],
    ['foo*.bar', true],
    ['*', false],
    ['>', false],
    ['foo.*', false],
    ['foo.>', false],
    ['foo.*.>', false],
    ['foo.*.bar', false],
    ['foo.bar.>', false],
  ] as [string, boolean][])('%j -> %s', (s, want) => {
    expect(subjectIsLiteral(s)).toBe(want);
  });
});

describe('matchLiteral (TestSublistMatchLiterals)', () => {
  it.each([
    ['foo', 'foo', true],
    ['foo', 'bar', false],
    ['foo', '*', true],
    ['foo', '>', true],
    ['foo.bar', '>', true],
    ['foo.bar', 'foo.>', true],
    ['foo.bar', 'bar.>', false],
    ['stats.test.22', 'stats.>', true],
    ['stats.test.22', 'stats.*.*', true],
    ['foo.bar', 'foo', false],
    ['stats.test.foos', 'stats.test.foos', true],
    ['stats.test.foos', 'stats.test.foo', false],
    ['stats.test', 'stats.test.*', false],
    ['stats.test.foos', 'stats.*', false],
    ['stats.test.foos', 'stats.*.*.foos', false],
    ['foo', 'foo.>', false],
    ['*bar', '*bar', true],
    ['foo*', 'foo*', true],
    ['foo*bar', 'foo*bar', true],
    ['foo.***.bar', 'foo.***.bar', true],
    ['>bar', '>bar', true],
    ['foo>', 'foo>', true],
    ['foo>bar', 'foo>bar', true],
    ['foo.>>>.bar', 'foo.>>>.bar', true],
    // published wildcard tokens: only pattern wildcards match them
    ['foo.*', 'foo.*', true],
    ['foo.*', 'foo.>', true],
    ['foo.*', 'foo.bar', false],
    ['foo.>', '*.*', true],
    ['foo.*x', 'foo.*', true],
    ['foo.*', 'foo.*x', false],
  ] as [string, string, boolean][])('literal %j pattern %j -> %s', (lit, pat, want) => {
    expect(matchLiteral(lit, pat)).toBe(want);
  });
});

describe('subjectHash (FNV-1a 32, int32)', () => {
  // Reference vectors for FNV-1a 32 (isthe.com test suite), as int32.
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ] as [string, number][])('%j', (s, u32) => {
    expect(subjectHash(enc(s), 0, s.length)).toBe(u32 | 0);
    expect(subjectHashString(s)).toBe(u32 | 0);
  });

  it('byte and string versions agree, including bytes >= 0x80 and offsets', () => {
    const bytes = new Uint8Array(300);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 37 + 11) & 0xff;
    for (let start = 0; start < 40; start += 7) {
      for (let end = start; end < 300; end += 31) {
        const s = bytesToSubject(bytes, start, end);
        expect(s.length).toBe(end - start);
        expect(subjectHashString(s)).toBe(subjectHash(bytes, start, end));
        expect(subjectEqualsBytes(s, bytes, start, end)).toBe(true);
        const h = subjectHash(bytes, start, end);
        expect(h).toBe(h | 0);
      }
    }
  });
});

describe('bytesToSubject', () => {
  it('is a lossless latin1 decode, also beyond its chunk size', () => {
    const big = new Uint8Array(20000);
    for (let i = 0; i < big.length; i++) big[i] = i & 0xff;
    const s = bytesToSubject(big, 5, 19999);
    expect(s.length).toBe(19994);
    for (let i = 0; i < s.length; i++) expect(s.charCodeAt(i)).toBe((i + 5) & 0xff);
    expect(bytesToSubject(big, 3, 3)).toBe('');
  });

  it('subjectEqualsBytes rejects different length or bytes', () => {
    const b = enc('foo.bar');
    expect(subjectEqualsBytes('foo.bar', b, 0, 7)).toBe(true);
    expect(subjectEqualsBytes('foo.ba', b, 0, 7)).toBe(false);
    expect(subjectEqualsBytes('foo.baz', b, 0, 7)).toBe(false);
    expect(subjectEqualsBytes('bar', b, 4, 7)).toBe(true);
  });
});
