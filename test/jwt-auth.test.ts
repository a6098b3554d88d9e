// The pure parts of operator mode's CONNECT checks (src/accounts/jwt-auth.ts): source networks
// (nats-server validateSrc), connect time windows (validateTimes), revocations (isRevoked) and
// permissions from a user JWT (buildPermissionsFromJwt with validateResponsePermissions).

import { describe, expect, it } from 'vitest';
import { permissionsFromJwt, srcAllowed, validateTimes } from '../src/accounts/jwt-auth.js';
import { isRevoked } from '../src/accounts/revocations.js';

describe('srcAllowed (validateSrc)', () => {
  it.each<[string[] | string | undefined, string, boolean]>([
    [undefined, '127.0.0.1', true],
    [[], '10.1.2.3', true],
    [['10.0.0.0/8'], '10.1.2.3', true],
    [['10.0.0.0/8'], '11.1.2.3', false],
    [['192.168.1.0/24', '127.0.0.1/32'], '127.0.0.1', true],
    ['10.0.0.0/8, 127.0.0.0/8', '127.0.0.5', true],
    [['::1/128'], '::1', true],
    [['::1/128'], '127.0.0.1', false],
    [['2001:db8::/32'], '2001:db8:1::5', true],
    [['2001:db8::/32'], '2001:db9::5', false],
    [['::ffff:10.0.0.0/104'], '10.2.3.4', true],
    [['bad'], '127.0.0.1', false],
    [['10.0.0.0/8'], '', false],
  ])('%j allows %s: %s', (src, host, want) => {
    expect(srcAllowed(src, host)).toBe(want);
  });
});

describe('validateTimes', () => {
  const at = (h: number, m = 0): Date => new Date(Date.UTC(2026, 0, 10, h, m, 0));
  it('no windows: always, with no end', () => {
    expect(validateTimes(undefined, 'UTC', at(3))).toEqual({ ok: true, validForMs: 0 });
  });
  it('inside a window: allowed until its end', () => {
    expect(validateTimes([{ start: '08:00:00', end: '17:00:00' }], 'UTC', at(16, 30))).toEqual({ ok: true, validForMs: 30 * 60_000 });
    expect(validateTimes([{ start: '08:00:00', end: '17:00:00' }], 'UTC', at(17, 30)).ok).toBe(false);
  });
  it('a window over midnight counts from its start today (as nats-server does)', () => {
    const w = [{ start: '22:00:00', end: '02:00:00' }];
    expect(validateTimes(w, 'UTC', at(23))).toEqual({ ok: true, validForMs: 3 * 3600_000 });
    expect(validateTimes(w, 'UTC', at(1)).ok).toBe(false);
  });
  it('the locale shifts the clock; an unknown zone or a bad time refuses', () => {
    expect(validateTimes([{ start: '08:00:00', end: '09:00:00' }], 'Asia/Tokyo', at(23, 30)).ok).toBe(true);
    expect(validateTimes([{ start: '08:00:00', end: '09:00:00' }], 'Nowhere/City', at(8, 30)).ok).toBe(false);
    expect(validateTimes([{ start: '8:00', end: '09:00:00' }], 'UTC', at(8, 30)).ok).toBe(false);
  });
});

describe('isRevoked', () => {
  it('a user entry or * at or after the JWT\'s iat revokes it', () => {
    expect(isRevoked({}, 'U1', 100)).toBe(false);
    expect(isRevoked({ U1: 100 }, 'U1', 100)).toBe(true);
    expect(isRevoked({ U1: 99 }, 'U1', 100)).toBe(false);
    expect(isRevoked({ '*': 150 }, 'U2', 100)).toBe(true);
    expect(isRevoked({ '*': 50, U1: 10 }, 'U1', 100)).toBe(false);
  });
});

describe('permissionsFromJwt', () => {
  it('none set is no permissions; lists become allow/deny', () => {
    expect(permissionsFromJwt(undefined)).toBeNull();
    expect(permissionsFromJwt({ pub: { allow: [], deny: [] }, sub: {} })).toBeNull();
    expect(permissionsFromJwt({ pub: { allow: ['a.>'] }, sub: { deny: ['b'] } })).toEqual({
      publish: { allow: ['a.>'], deny: null },
      subscribe: { allow: null, deny: ['b'] },
      response: null,
    });
  });
  it('resp turns off the blanket publish allowance, with nats-server\'s defaults for zero', () => {
    expect(permissionsFromJwt({ resp: { max: 0, ttl: 0 } })).toEqual({
      publish: { allow: [], deny: null },
      subscribe: null,
      response: { maxMsgs: 1, expiresMs: 120_000 },
    });
    expect(permissionsFromJwt({ resp: { max: 5, ttl: 3e9 } })?.response).toEqual({ maxMsgs: 5, expiresMs: 3000 });
  });
});
