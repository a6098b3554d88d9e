// Client authentication as nats-server's processClientOrLeafAuthentication does it for the
// methods tsnats has: a users list (plain or bcrypt passwords, no_auth_user, or the user a TLS
// client certificate maps to), a single token, a single user/password.

import { randomBytes } from 'node:crypto';
import type { NkeyUser, Permissions, ServerOptions, UserEntry } from '../config/types.js';
import { checkCertSubject, type Dn, dnEqual, dnRdnsMatch, parseDn, type TlsPeer } from './cert-map.js';
import type { ConnectOptions } from './connect-options.js';
import { goQuote } from './errors.js';
import { bcryptjs } from '../util/lazy.js';
import { verifySignature } from '../util/nkey.js';

/** What an embedder's authenticate function is told about a CONNECT. */
export interface AuthRequest {
  /** The client's CONNECT options (credentials included). */
  readonly connect: Readonly<ConnectOptions>;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/**
 * An embedder's decision: allow (optionally with permissions, and with the account the client
 * lives in: an account that is not configured is made on first use) or deny.
 */
export type AuthDecision = { allow: true; permissions?: Permissions | null; account?: string } | { allow: false };

/**
 * `startServer({ authenticate })`: decides every CONNECT instead of the configured methods, so
 * a Node application can do auth without running an auth callout service. May be async.
 */
export type Authenticator = (req: AuthRequest) => AuthDecision | Promise<AuthDecision>;

/** Auth is configured: every client must authenticate (or be the no_auth_user). */
export function authRequired(o: ServerOptions): boolean {
  return o.trustedOperators.length > 0 || o.users !== null || o.nkeys !== null || o.username !== '' || o.authorization !== '';
}

/** nats-server sends a nonce in INFO when nkey users exist (nonceRequired). */
export function nonceRequired(o: ServerOptions): boolean {
  return o.nkeys !== null && o.nkeys.length > 0;
}

/** 11 random bytes, base64url without padding: 15 characters, as nats-server's generateNonce. */
export function newNonce(): string {
  return randomBytes(11).toString('base64url');
}

/** INFO's auth_required: false when a no_auth_user lets credential-less clients in. */
export function infoAuthRequired(o: ServerOptions): boolean {
  return authRequired(o) && !(o.noAuthUser !== '' && findUser(o, o.noAuthUser) !== undefined);
}

export function findUser(o: ServerOptions, name: string): UserEntry | undefined {
  return o.users?.find((u) => u.user === name);
}

/** Bcrypt hashes start with `$2a$`, `$2b$`, `$2x$` or `$2y$` (nats-server isBcrypt). */
function isBcrypt(p: string): boolean {
  return /^\$2[abxy]\$/.test(p);
}

const verified = new Map<string, string>();

/** nats-server comparePasswords; bcrypt results are remembered so reconnects stay cheap. */
export function comparePasswords(server: string, client: string): boolean {
  if (!isBcrypt(server)) return server === client;
  if (verified.get(server) === client) return true;
  if (!bcryptjs().compareSync(client, server)) return false;
  if (verified.size > 1024) verified.clear();
  verified.set(server, client);
  return true;
}

function connectionTypeAllowed(u: UserEntry | NkeyUser): boolean {
  return u.allowedConnectionTypes === null || u.allowedConnectionTypes.length === 0 || u.allowedConnectionTypes.includes('STANDARD');
}

export interface AuthOutcome {
  ok: boolean;
  /** The user entry the client authenticated as (users list or nkey), else null. */
  user: UserEntry | NkeyUser | null;
}

/** Verifies an nkey CONNECT: `sig` is the Ed25519 signature of the INFO nonce (base64url or std). */
function verifyNkey(u: NkeyUser, c: ConnectOptions, nonce: string): boolean {
  if (c.sig === '' || !connectionTypeAllowed(u)) return false;
  const std = /[+/=]/.test(c.sig);
  const sig = Buffer.from(c.sig, std ? 'base64' : 'base64url');
  return verifySignature(c.nkey, Buffer.from(nonce, 'latin1'), sig);
}

/** Where authenticate's log lines go (nats-server logs them while it decides). */
export interface AuthLog {
  /** A client debug line (the caller adds the client prefix). */
  debug(text: string): void;
  /** A server warning. */
  warn(text: string): void;
}

const NO_LOG: AuthLog = { debug: () => {}, warn: () => {} };

/**
 * The user a client certificate maps to (nats-server's tlsMap lookup): a name from the
 * certificate is a user name as written; the certificate's DN is compared with every user name
 * that parses as a DN, same RDNs in the same order first, then in any order. Users whose
 * allowed_connection_types leave out STANDARD are not candidates.
 */
function certUser(o: ServerOptions, users: UserEntry[], peer: TlsPeer | null, log: AuthLog): UserEntry | undefined {
  let found: UserEntry | undefined;
  const take = (u: UserEntry): string => {
    found = u;
    return u.user;
  };
  checkCertSubject(
    peer,
    (name, certDn) => {
      if (name !== '') {
        const u = findUser(o, name);
        return u === undefined || !connectionTypeAllowed(u) ? null : take(u);
      }
      if (certDn === null) return null;
      const reordered: [UserEntry, Dn][] = [];
      for (const u of users) {
        if (!connectionTypeAllowed(u)) continue;
        const dn = parseDn(u.user);
        if (dn === null) continue;
        if (dnEqual(dn, certDn)) return take(u);
        reordered.push([u, dn]);
      }
      for (const [u, dn] of reordered) if (dnRdnsMatch(dn, certDn)) return take(u);
      return null;
    },
    log.debug,
  );
  return found;
}

/**
 * Checks a CONNECT's credentials. With no_auth_user and no credentials in CONNECT, the
 * client becomes that user (nats-server fills username and password from the entry). With
 * `tlsMap` and a users list, the user is the one `peer`'s certificate maps to (no_auth_user
 * plays no part), `c.user` is set to its name, and a password configured for it must still
 * match CONNECT's. `peer` is the connection's TLS state, null without TLS.
 */
export function authenticate(
  o: ServerOptions,
  c: ConnectOptions,
  nonce: string,
  peer: TlsPeer | null = null,
  log: AuthLog = NO_LOG,
): AuthOutcome {
  if (!authRequired(o)) return { ok: true, user: null };
  if (o.nkeys !== null && c.nkey !== '') {
    const u = o.nkeys.find((k) => k.nkey === c.nkey);
    if (u === undefined) return { ok: false, user: null };
    return { ok: verifyNkey(u, c, nonce), user: u };
  }
  if (o.users !== null && o.users.length > 0 && o.tlsMap) {
    const u = certUser(o, o.users, peer, log);
    if (u === undefined) return { ok: false, user: null };
    if (c.user !== '') log.warn(`User ${goQuote(Buffer.from(c.user, 'utf8'))} found in connect proto, but user required from cert`);
    c.user = u.user;
    return { ok: comparePasswords(u.password, c.pass), user: u };
  }
  if (o.users !== null && o.users.length > 0) {
    let name = c.user;
    let pass = c.pass;
    if (o.noAuthUser !== '' && c.user === '' && c.pass === '' && c.auth_token === '') {
      const u = findUser(o, o.noAuthUser);
      if (u !== undefined) {
        name = u.user;
        pass = u.password;
      }
    }
    if (name !== '') {
      const u = findUser(o, name);
      if (u === undefined || !connectionTypeAllowed(u)) return { ok: false, user: null };
      return { ok: comparePasswords(u.password, pass), user: u };
    }
  }
  if (o.authorization !== '') return { ok: comparePasswords(o.authorization, c.auth_token), user: null };
  if (o.username !== '') {
    return { ok: o.username === c.user && comparePasswords(o.password, c.pass), user: null };
  }
  return { ok: false, user: null };
}
