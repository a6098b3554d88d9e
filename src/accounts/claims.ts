// Decoding NATS JWTs (operator, account, user, activation) with @nats-io/jwt, reporting failures
// with the texts of nats-server's jwt/v2 library (decoder.go, DecodeXClaims), which nats-server
// prints in config errors and debug lines. The library is loaded on first use (util/lazy).

import { natsJwt } from '../util/lazy.js';
import type { Account as AccountNats, Activation, ClaimsData, Operator, User } from '@nats-io/jwt';

export type OperatorClaims = ClaimsData<Operator>;
export type AccountClaims = ClaimsData<AccountNats>;
export type UserClaims = ClaimsData<User>;
export type ActivationClaims = ClaimsData<Activation>;

/** nats-server's jwtPrefix: every encoded JWT starts so. */
export const JWT_PREFIX = 'eyJ';

type Kind = 'operator' | 'account' | 'user' | 'activation';

/**
 * Decodes `token` and verifies its signature against its issuer; throws an Error with the jwt/v2
 * text ("expected 3 chunks", "claim failed V2 signature verification", "not operator claim").
 */
function decodeAs<T>(token: string, kind: Kind): ClaimsData<T> {
  if (token.split('.').length !== 3) throw new Error('expected 3 chunks');
  let claims: ClaimsData<T>;
  try {
    claims = natsJwt().decode<T>(token);
  } catch (e) {
    const text = (e as Error).message;
    throw new Error(text === 'sig verification failed' ? 'claim failed V2 signature verification' : text);
  }
  const type = (claims.nats as { type?: string } | undefined)?.type ?? claims.type;
  if (type !== kind) throw new Error(`not ${kind} claim`);
  return claims;
}

export const decodeOperatorClaims = (token: string): OperatorClaims => decodeAs<Operator>(token, 'operator');
export const decodeAccountClaims = (token: string): AccountClaims => decodeAs<AccountNats>(token, 'account');
export const decodeUserClaims = (token: string): UserClaims => decodeAs<User>(token, 'user');
export const decodeActivationClaims = (token: string): ActivationClaims => decodeAs<Activation>(token, 'activation');

/** jwt/v2 ClaimsData.Validate's time checks: '' when valid now, else the issue's text. */
export function timeIssue(c: { exp?: number; nbf?: number }, nowSec = Math.floor(Date.now() / 1000)): string {
  if (c.exp !== undefined && c.exp > 0 && nowSec > c.exp) return 'claim is expired';
  if (c.nbf !== undefined && c.nbf > 0 && c.nbf > nowSec) return 'claim is not yet valid';
  return '';
}

/** A signing key entry: a public key, or a scope `{ kind: "user_scope", key, role, template }`. */
export function signingKeyOf(k: string | { key: string }): string {
  return typeof k === 'string' ? k : k.key;
}

/**
 * jwt/v2 ParseDecoratedJWT: the JWT inside a creds or `nsc` file (between `-----BEGIN ... JWT-----`
 * lines), else the trimmed contents.
 */
export function parseDecoratedJwt(contents: string): string {
  const m = /-{3,}[^\n]*JWT[^\n]*-{3,}\r?\n([\s\S]*?)\r?\n\s*-{3,}/.exec(contents);
  return (m ? m[1]! : contents).trim();
}
