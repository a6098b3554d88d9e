// The RFC 3339 times JetStream writes (json.ts): writeRfc3339, which a direct get's
// Nats-Time-Stamp header uses, must write rfc3339's text byte for byte.
import { describe, expect, it } from 'vitest';
import { rfc3339, writeRfc3339, RFC3339_MAX } from '../src/jetstream/json.js';
import { prng } from './helpers/records.js';

function written(ms: number, at = 3): string {
  const b = Buffer.alloc(at + RFC3339_MAX + 8, 0x2a);
  const end = writeRfc3339(b, at, ms);
  expect(b.subarray(0, at).toString('latin1')).toBe('***');
  expect(b[end]).toBe(0x2a);
  return b.toString('latin1', at, end);
}

describe('writeRfc3339', () => {
  it('writes what rfc3339 returns: fractions trimmed, whole seconds without one', () => {
    const base = Date.UTC(2026, 11, 6, 6, 56, 14);
    for (const ms of [0, 1, 10, 100, 120, 123, 999, 1000, 59_999, 60_000]) expect(written(base + ms), String(ms)).toBe(rfc3339(base + ms));
    expect(written(base + 950)).toBe('2026-12-06T06:56:14.95Z');
    expect(written(base)).toBe('2026-12-06T06:56:14Z');
  });

  it('agrees with rfc3339 over minute, day and year boundaries, before 1970 and at random', () => {
    const rnd = prng(7);
    const times = [0, -1, -60_000, -60_001, Date.UTC(1999, 11, 31, 23, 59, 59, 999), Date.UTC(2000, 0, 1), Date.UTC(9999, 11, 31, 23, 59, 59, 999)];
    for (let i = 0; i < 20_000; i++) times.push(Math.floor(rnd() * 4e12) - 1e12);
    // Consecutive times in one minute reuse the minute's text; jumps make it anew.
    for (let i = 0; i < 2000; i++) times.push(Date.UTC(2026, 0, 1) + i * 37);
    for (const ms of times) expect(written(ms), String(ms)).toBe(rfc3339(ms));
  });

  it('takes rfc3339 whole for years past 9999 and fractions of a millisecond', () => {
    for (const ms of [Date.UTC(10000, 0, 1, 0, 0, 1, 5), 1.5, 1_700_000_000_000.25]) expect(written(ms), String(ms)).toBe(rfc3339(ms));
  });
});
