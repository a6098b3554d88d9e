// Operator mode (decentralized auth): accounts are resolved from their JWTs, and a client
// authenticates with a user JWT plus the INFO nonce signed by the user's nkey (or a bearer JWT).
// Mirrors nats-server 2.9.10 auth.go processClientOrLeafAuthentication (the JWT branch, in its
// order and with its debug lines), server.go lookupAccount/fetchAccount/verifyAccountClaims and
// accounts.go UpdateAccountClaims (limits, signing keys, revocations, bearer).

import { isIP } from 'node:net';
import type { AccountConfig, Permissions, ResponsePermission, ServerOptions, SubjectPermission } from '../config/types.js';
import { trustedKeys } from '../config/operator.js';
import { goDurationString } from '../config/values.js';
import { natsNkeys } from '../util/lazy.js';
import type { Account, AccountHost } from './account.js';
import { wireImports, subjectCovers } from './imports.js';
import { accountConfig, accountIssues, activationValid } from './jwt-imports.js';
import { decodeAccountClaims, decodeUserClaims, timeIssue, type AccountClaims, type UserClaims } from './claims.js';
import { type AccountResolver, newResolver } from './resolver.js';
import { isRevoked } from './revocations.js';
import { type JwtMappings, SubjectMappings } from './mappings.js';

/** nats-server ErrAccountValidation. */
const ERR_ACCOUNT_VALIDATION = 'account validation failed';
/** jwt.NoLimit. */
export const NO_LIMIT = -1;
/** nats-server's DEFAULT_ALLOW_RESPONSE_MAX_MSGS and ..._EXPIRATION. */
const DEFAULT_RESPONSE_MAX_MSGS = 1;
const DEFAULT_RESPONSE_EXPIRES_MS = 120_000;
/** Connection types nats-server 2.9.10 knows (jwt.ConnectionType*). */
const KNOWN_CONNECTION_TYPES = new Set(['STANDARD', 'WEBSOCKET', 'LEAFNODE', 'LEAFNODE_WS', 'MQTT', 'MQTT_WS']);

/** Where operator mode logs while it decides (the client adds its prefix to both). */
export interface JwtLog {
  debug(text: string): void;
  error(text: string): void;
}

/**
 * A client of an account as operator mode sees it when the account's JWT changes (nats-server
 * UpdateAccountClaims walks the account's clients): implemented by the client, never imported.
 */
export interface JwtClient {
  /** The user JWT it authenticated with. */
  readonly jwtUser: JwtUser | null;
  /** Accept time, ms. */
  readonly start: number;
  readonly closed: boolean;
  /** Recomputes its payload and subscription limits from the account's (applyAccountLimits). */
  accountLimitsChanged(): void;
  /** `-ERR 'maximum account active connections exceeded'` and a close. */
  maxAccountConnExceeded(): void;
  /** `-ERR 'User Authentication Revoked'` and a close. */
  revoked(): void;
  /** `-ERR 'Authorization Violation'` and a close. */
  authViolation(): void;
  /** Closed without a word (Authentication Failure): its signing key left the account. */
  signerRemoved(): void;
}

/** What operator mode needs from the server. */
export interface OperatorHost extends AccountHost {
  /** The clients registered in `acc`. */
  clientsOf(acc: Account): JwtClient[];
  /** Every account by name (JWT accounts are named by their public key). */
  readonly accounts: ReadonlyMap<string, Account>;
  /** The account object of this name, made when missing. */
  account(name: string): Account;
  log(level: 'ERR' | 'WRN' | 'INF' | 'DBG', text: string): void;
  /** This server's cluster name ('' without one), for cluster-scoped mappings. */
  clusterName?(): string;
}

/** A user template of an account's scoped signing key (jwt.UserScope). */
interface UserScope {
  template: UserClaims['nats'];
}

/** An account resolved from its JWT, with the claims applied (nats-server's *Account fields). */
export interface JwtAccount {
  readonly acc: Account;
  readonly jwt: string;
  readonly claims: AccountClaims;
  /** The operator key that signed the account JWT. */
  readonly issuer: string;
  /** Keys that may sign the account's users: its own key (null scope) and its signing keys. */
  readonly signingKeys: ReadonlyMap<string, UserScope | null>;
  /** `revocations`: user key (or `*`) → revoked for JWTs issued at or before (s). */
  readonly revocations: Readonly<Record<string, number>>;
  readonly disallowBearer: boolean;
  /** `default_permissions`, for users whose JWT has none. */
  readonly defaultPermissions: Permissions | null;
  /** The account JWT's expiry (s since the epoch, 0 = never). */
  readonly expires: number;
}

/** The user a client authenticated as. */
export interface JwtUser {
  /** The user's public nkey (the JWT's subject). */
  readonly pubKey: string;
  readonly name: string;
  readonly claims: UserClaims;
  readonly permissions: Permissions | null;
  /** The user's payload and subscription limits (-1 = none; a missing limit is 0, as in jwt/v2). */
  readonly maxPayload: number;
  readonly maxSubscriptions: number;
  /** When the client must go (JWT expiry or the end of its connect time window), ms; 0 = never. */
  readonly expiresAt: number;
}

export type JwtOutcome = { ok: true; account: JwtAccount; user: JwtUser } | { ok: false };

/** A limit as jwt/v2 decodes it: a missing field is Go's zero value. */
function limit(v: number | undefined): number {
  return typeof v === 'number' ? v : 0;
}

function subjectPermission(p: { allow?: string[]; deny?: string[] } | undefined): SubjectPermission | null {
  const allow = p?.allow ?? [];
  const deny = p?.deny ?? [];
  if (allow.length === 0 && deny.length === 0) return null;
  return { allow: allow.length > 0 ? allow : null, deny: deny.length > 0 ? deny : null };
}

/** nats-server buildPermissionsFromJwt (with validateResponsePermissions). */
export function permissionsFromJwt(p: { pub?: { allow?: string[]; deny?: string[] }; sub?: { allow?: string[]; deny?: string[] }; resp?: { max?: number; ttl?: number } } | undefined): Permissions | null {
  if (p === undefined) return null;
  let publish = subjectPermission(p.pub);
  const subscribe = subjectPermission(p.sub);
  let response: ResponsePermission | null = null;
  if (p.resp !== undefined && p.resp !== null) {
    response = {
      maxMsgs: p.resp.max || DEFAULT_RESPONSE_MAX_MSGS,
      // A Go time.Duration: nanoseconds.
      expiresMs: p.resp.ttl ? p.resp.ttl / 1e6 : DEFAULT_RESPONSE_EXPIRES_MS,
    };
    // The blanket publish allowance is turned off.
    publish = { allow: publish?.allow ?? [], deny: publish?.deny ?? null };
  }
  if (publish === null && subscribe === null && response === null) return null;
  return { publish, subscribe, response };
}

/** nats-server validateSrc: the client's address must be in one of the user's CIDRs. */
export function srcAllowed(src: string[] | string | undefined, host: string): boolean {
  const list = (typeof src === 'string' ? src.split(',') : (src ?? [])).map((s) => s.trim()).filter((s) => s !== '');
  if (list.length === 0) return true;
  if (host === '' || isIP(host) === 0) return false;
  for (const cidr of list) {
    const m = /^(.+)\/(\d+)$/.exec(cidr);
    if (m === null || isIP(m[1]!) === 0) return false;
    if (cidrContains(m[1]!, Number(m[2]), host)) return true;
  }
  return false;
}

function ipBytes(ip: string): number[] {
  if (isIP(ip) === 4) return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...ip.split('.').map(Number)];
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const words = (s: string | undefined): string[] => (s === undefined || s === '' ? [] : s.split(':'));
  let h = words(head);
  let t = words(tail);
  const v4 = (t.length > 0 ? t : h).at(-1);
  const extra: number[] = [];
  if (v4 !== undefined && v4.includes('.')) {
    if (t.length > 0) t = t.slice(0, -1);
    else h = h.slice(0, -1);
    extra.push(...v4.split('.').map(Number));
  }
  const fill = 8 - h.length - t.length - extra.length / 2;
  const all = [...h, ...Array<string>(tail === undefined ? 0 : fill).fill('0'), ...t].map((w) => parseInt(w, 16));
  return [...all.flatMap((w) => [w >> 8, w & 0xff]), ...extra];
}

function cidrContains(net: string, bits: number, ip: string): boolean {
  const a = ipBytes(net);
  const b = ipBytes(ip);
  // Go's ParseCIDR of an IPv4 network keeps a 4-byte mask: count its bits from byte 12.
  const total = isIP(net) === 4 ? bits + 96 : bits;
  for (let i = 0; i < 16; i++) {
    const take = Math.max(0, Math.min(8, total - i * 8));
    const mask = take === 0 ? 0 : (0xff << (8 - take)) & 0xff;
    if ((a[i]! & mask) !== (b[i]! & mask)) return false;
  }
  return true;
}

/** Seconds since midnight of `d` in `zone` ('' = the process's local time). */
function secondsOfDay(d: Date, zone: string): number {
  if (zone === '') return d.getHours() * 3600 + d.getMinutes() * 60 + d.getSeconds();
  const fmt = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour12: false, hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const parts = fmt.formatToParts(d);
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? 0);
  // en-GB may print midnight as 24.
  return (get('hour') % 24) * 3600 + get('minute') * 60 + get('second');
}

function clock(s: string | undefined): number | null {
  const m = /^(\d{2}):(\d{2}):(\d{2})$/.exec(s ?? '');
  return m === null ? null : Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

/**
 * nats-server validateTimes: whether now is inside one of the user's connect time windows, and
 * for how long still (ms; 0 = no windows). A window whose start is after its end runs over
 * midnight, counted from its start today (as nats-server does).
 */
export function validateTimes(times: { start?: string; end?: string }[] | undefined, locale: string, now = new Date()): { ok: boolean; validForMs: number } {
  if (times === undefined || times.length === 0) return { ok: true, validForMs: 0 };
  const zone = locale;
  if (zone !== '') {
    try {
      new Intl.DateTimeFormat('en-GB', { timeZone: zone });
    } catch {
      return { ok: false, validForMs: 0 };
    }
  }
  const sec = secondsOfDay(now, zone) + (now.getMilliseconds() / 1000);
  for (const r of times) {
    const start = clock(r.start);
    let end = clock(r.end);
    if (start === null || end === null) return { ok: false, validForMs: 0 };
    if (start > end) end += 86_400;
    if (start < sec && end > sec) return { ok: true, validForMs: Math.round((end - sec) * 1000) };
  }
  return { ok: false, validForMs: 0 };
}

/**
 * jwt/v2 HasEmptyPermissions: the user JWT sets no permission or limit (a field present as an
 * array, even empty, counts as set, as Go's DeepEqual against the zero value sees it).
 */
function hasEmptyPermissions(n: UserClaims['nats']): boolean {
  const r = n as Record<string, unknown>;
  const list = (v: unknown): boolean => Array.isArray(v) || (typeof v === 'string' && v !== '');
  const perm = (v: unknown): boolean => typeof v === 'object' && v !== null && (list((v as Record<string, unknown>).allow) || list((v as Record<string, unknown>).deny));
  if (perm(r.pub) || perm(r.sub)) return false;
  if (r.resp !== undefined && r.resp !== null) return false;
  if (list(r.src) || Array.isArray(r.times) || (typeof r.times_location === 'string' && r.times_location !== '')) return false;
  if ([r.subs, r.payload, r.data].some((v) => typeof v === 'number' && v !== 0)) return false;
  return r.bearer_token !== true && !Array.isArray(r.allowed_connection_types);
}

/** Replaces the `{{name()}}`-style template functions nats-server expands in scoped permissions. */
function expandTemplate(list: string[] | undefined, u: UserClaims, acc: JwtAccount): string[] | undefined {
  if (list === undefined) return undefined;
  const values: Record<string, string> = {
    'name()': u.name ?? '',
    'subject()': u.sub,
    'account-name()': acc.claims.name ?? '',
    'account-subject()': u.nats.issuer_account ?? '',
  };
  return list.map((s) => s.replace(/\{\{\s*([a-z-]+\(\))\s*\}\}/g, (all, fn: string) => values[fn] ?? all));
}

export class OperatorMode {
  readonly resolver: AccountResolver;
  /** The operators' keys and signing keys (nats-server's trustedKeys). */
  private readonly trusted: Set<string>;
  /** Signing keys of operators with strict_signing_key_usage (nats-server strictSigningKeyUsage). */
  private readonly strict = new Set<string>();
  /** Accounts resolved so far, by public key. */
  readonly accounts = new Map<string, JwtAccount>();
  /** rewire() is running (accounts it resolves do not start another). */
  private wiring = false;

  constructor(
    opts: ServerOptions,
    private readonly host: OperatorHost,
  ) {
    this.trusted = trustedKeys(opts);
    for (const op of opts.trustedOperators) if (op.strictSigningKeyUsage) for (const k of op.signingKeys) this.strict.add(k);
    this.resolver = newResolver(opts.resolver!, opts.resolverPreload);
  }

  isTrustedIssuer(issuer: string): boolean {
    return this.trusted.has(issuer);
  }

  /** nats-server verifyAccountClaims: decoded, signed by a trusted operator key, not expired. */
  private verifyAccountClaims(jwt: string): AccountClaims {
    const claims = decodeAccountClaims(jwt);
    if (!this.isTrustedIssuer(claims.iss)) throw new Error(ERR_ACCOUNT_VALIDATION);
    if (timeIssue(claims) !== '' || accountIssues(claims).length > 0) throw new Error(ERR_ACCOUNT_VALIDATION);
    return claims;
  }

  /**
   * nats-server lookupAccount: the account if resolved and not expired, else fetched from the
   * resolver, verified and registered. Throws Error with nats-server's text.
   */
  lookup(pub: string): JwtAccount {
    const known = this.accounts.get(pub);
    if (known !== undefined && (known.expires === 0 || known.expires > Date.now() / 1000)) return known;
    if (known !== undefined && known.jwt === '') return known;
    if (!isPublicAccountKey(pub)) throw new Error('will only fetch valid account keys');
    let jwt: string;
    const t0 = performance.now();
    let failure: Error | null = null;
    try {
      jwt = this.resolver.fetch(pub);
    } catch (e) {
      failure = e as Error;
      jwt = '';
    }
    // nats-server fetchRawAccountClaims: how long the fetch took, then why it failed.
    const ns = Math.round((performance.now() - t0) * 1e6);
    this.host.log(ns > 1e9 ? 'WRN' : 'DBG', `Account [${pub}] fetch took ${goDurationString(BigInt(ns))}`);
    if (failure !== null) {
      this.host.log('WRN', `Account fetch failed: ${failure.message}`);
      throw failure;
    }
    if (known !== undefined && known.jwt === jwt) throw new Error('account expired');
    const claims = this.verifyAccountClaims(jwt);
    if (claims.sub !== pub) throw new Error(ERR_ACCOUNT_VALIDATION);
    return this.apply(pub, jwt, claims);
  }

  /**
   * An account JWT was stored (the full resolver's update requests): a resolved account takes
   * the new claims at once (nats-server updateAccountWithClaimJWT), its clients re-checked.
   * Throws Error with nats-server's text when the claims do not verify.
   */
  updated(pub: string, jwt: string): void {
    const known = this.accounts.get(pub);
    if (known === undefined || known.jwt === jwt) return;
    const claims = this.verifyAccountClaims(jwt);
    if (claims.sub !== pub) throw new Error(ERR_ACCOUNT_VALIDATION);
    const ja = this.apply(pub, jwt, claims);
    this.recheckClients(ja, known.signingKeys);
  }

  /**
   * The clients of an account whose claims changed (nats-server UpdateAccountClaims): the oldest
   * over the connection limit go, the rest take the new limits, and users now revoked, bearers
   * the account now refuses, and users of a signing key removed or re-scoped are closed.
   */
  private recheckClients(ja: JwtAccount, oldSigners: ReadonlyMap<string, UserScope | null>): void {
    const acc = ja.acc;
    const clients = this.host.clientsOf(acc).filter((c) => !c.closed);
    // Newest first: the oldest connections over the limit go (as nats-server sorts them).
    if (acc.maxConnections !== NO_LIMIT && clients.length > acc.maxConnections) clients.sort((a, b) => b.start - a.start);
    for (let i = 0; i < clients.length; i++) {
      const c = clients[i]!;
      if (acc.maxConnections !== NO_LIMIT && i >= acc.maxConnections) {
        c.maxAccountConnExceeded();
        continue;
      }
      c.accountLimitsChanged();
      const u = c.jwtUser;
      if (u === null || c.closed) continue;
      if (u.claims.nats.bearer_token === true && ja.disallowBearer) {
        this.host.log('DBG', 'Bearer User JWT not allowed');
        c.authViolation();
      } else if (isRevoked(ja.revocations, u.pubKey, u.claims.iat)) {
        c.revoked();
      }
    }
    // Users signed by a signing key the account no longer has, or whose scope changed, go.
    for (const c of clients) {
      const u = c.jwtUser;
      if (c.closed || u === null || !u.claims.nats.issuer_account) continue;
      const sk = u.claims.iss;
      const now = ja.signingKeys.get(sk);
      if (now === undefined || JSON.stringify(now) !== JSON.stringify(oldSigners.get(sk))) c.signerRemoved();
    }
  }

  /**
   * nats-server's bootstrapping system account: with a full resolver that does not have the
   * system account's JWT yet, users signed by the system account's own key may connect to it.
   */
  bootstrapSystemAccount(sys: string, operator: string): void {
    if (this.accounts.has(sys)) return;
    try {
      this.resolver.fetch(sys);
      return;
    } catch {
      // not stored: bootstrap it
    }
    this.host.log('INF', 'Using bootstrapping system account');
    const acc = this.host.account(sys);
    const claims = { sub: sys, iss: operator, name: sys, iat: 0, jti: '', aud: '', nats: { limits: { conn: -1, subs: -1, payload: -1 } } };
    acc.maxConnections = NO_LIMIT;
    acc.maxSubscriptions = NO_LIMIT;
    acc.maxPayload = NO_LIMIT;
    this.accounts.set(sys, {
      acc,
      jwt: '',
      claims: claims as unknown as AccountClaims,
      issuer: operator,
      signingKeys: new Map([[sys, null]]),
      revocations: {},
      disallowBearer: false,
      defaultPermissions: null,
      expires: 0,
    });
  }

  /** nats-server UpdateAccountClaims: the claims' limits, keys, revocations and bearer rule. */
  private apply(pub: string, jwt: string, claims: AccountClaims): JwtAccount {
    this.host.log('DBG', `Updating account claims: ${pub}/${claims.name ?? ''}`);
    const acc = this.host.account(pub);
    const nats = claims.nats;
    const lim = nats.limits ?? {};
    acc.maxConnections = limit(lim.conn);
    acc.maxSubscriptions = limit(lim.subs);
    acc.maxPayload = limit(lim.payload);
    acc.mappings = jwtMappings(nats, () => this.host.clusterName?.() ?? '');
    // nats-server checkExpiration: the account's clients go when its JWT expires.
    acc.expiresAt = claims.exp !== undefined && claims.exp > 0 ? claims.exp * 1000 : 0;
    const signingKeys = new Map<string, UserScope | null>();
    for (const k of nats.signing_keys ?? []) {
      if (typeof k === 'string') signingKeys.set(k, null);
      else signingKeys.set(k.key, { template: k.template as UserClaims['nats'] });
    }
    // An account issued by a strict operator signing key signs no users with its own key.
    if (!this.strict.has(claims.iss)) signingKeys.set(pub, null);
    const ja: JwtAccount = {
      acc,
      jwt,
      claims,
      issuer: claims.iss,
      signingKeys,
      revocations: nats.revocations ?? {},
      disallowBearer: lim.disallow_bearer === true || nats.disallow_bearer === true,
      defaultPermissions: permissionsFromJwt(nats.default_permissions as Parameters<typeof permissionsFromJwt>[0]),
      expires: claims.exp ?? 0,
    };
    this.accounts.set(pub, ja);
    this.rewire();
    return ja;
  }

  /**
   * Rebuilds the account graph of every resolved account's exports and imports (resolving the
   * exporters they name), as the config accounts' graph is built: a private export (`token_req`)
   * is open to an importer whose activation token is valid.
   */
  private rewire(): void {
    if (this.wiring) return;
    this.wiring = true;
    try {
      const configs = new Map<string, AccountConfig>();
      // Accounts resolved on the way (exporters) are added to the map and visited too.
      for (const [pub, ja] of this.accounts) {
        if (!configs.has(pub)) configs.set(pub, accountConfig(pub, ja.claims));
        for (const i of ja.claims.nats.imports ?? []) {
          let exporter: JwtAccount;
          try {
            exporter = this.lookup(i.account);
          } catch (e) {
            this.host.log('ERR', `Can't locate account [${i.account}] for import of [${i.subject}] ${i.type} (err=${(e as Error).message})`);
            continue;
          }
          let ec = configs.get(i.account);
          if (ec === undefined) {
            ec = accountConfig(i.account, exporter.claims);
            configs.set(i.account, ec);
          }
          const target = ec.exports.find((e) => e.kind === i.type && subjectCovers(e.subject, i.subject));
          if (target?.accounts && !target.accounts.includes(pub) && activationValid(i, pub, exporter.claims, exporter.signingKeys)) {
            target.accounts.push(pub);
          }
        }
      }
      for (const w of wireImports(this.host, this.host.accounts, [...configs.values()])) this.host.log('DBG', w);
    } finally {
      this.wiring = false;
    }
  }

  /**
   * processClientOrLeafAuthentication with trusted keys: the CONNECT's user JWT and nonce
   * signature (`sig`), checked in nats-server's order. `ip` is the client's address; `type` the
   * connection type the user's allowed_connection_types must include (a leaf's is LEAFNODE).
   */
  authenticate(userJwt: string, sig: string, nonce: string, ip: string, log: JwtLog, type = 'STANDARD'): JwtOutcome {
    const deny: JwtOutcome = { ok: false };
    if (userJwt === '') {
      log.debug('Authentication requires a user JWT');
      return deny;
    }
    let juc: UserClaims;
    try {
      juc = decodeUserClaims(userJwt);
    } catch (e) {
      log.debug(`User JWT not valid: ${(e as Error).message}`);
      return deny;
    }
    const issue = timeIssue(juc);
    if (issue !== '') {
      // Go's %+v of the *ValidationResults.
      log.debug(`User JWT no longer valid: &{Issues:[${issue}]}`);
      return deny;
    }
    const nats = juc.nats;
    const types = nats.allowed_connection_types ?? [];
    if (types.length > 0) {
      const known = types.filter((t) => KNOWN_CONNECTION_TYPES.has(t));
      if (known.length !== types.length) {
        const unknown = types.filter((t) => !KNOWN_CONNECTION_TYPES.has(t));
        log.debug(`invalid connection types ${JSON.stringify(unknown)}`);
      }
      if (known.length === 0) return deny;
      if (!known.some((t) => t === type)) {
        log.debug('Connection type not allowed');
        return deny;
      }
    }
    const issuer = nats.issuer_account || juc.iss;
    let acc: JwtAccount;
    try {
      acc = this.lookup(issuer);
    } catch (e) {
      log.debug(`Account JWT lookup error: ${(e as Error).message}`);
      return deny;
    }
    if (!this.isTrustedIssuer(acc.issuer)) {
      log.debug('Account JWT not signed by trusted operator');
      return deny;
    }
    if (!acc.signingKeys.has(juc.iss)) {
      log.debug('User JWT issuer is not known');
      return deny;
    }
    const scope = acc.signingKeys.get(juc.iss) ?? null;
    let granted: UserClaims['nats'] = nats;
    if (scope !== null && !hasEmptyPermissions(nats)) {
      log.debug('User JWT is not valid: scoped users require no permissions or limits set');
      return deny;
    }
    if (scope !== null) {
      const t = scope.template ?? {};
      granted = {
        ...t,
        pub: { allow: expandTemplate(t.pub?.allow, juc, acc), deny: expandTemplate(t.pub?.deny, juc, acc) },
        sub: { allow: expandTemplate(t.sub?.allow, juc, acc), deny: expandTemplate(t.sub?.deny, juc, acc) },
      };
    }
    if (acc.expires !== 0 && acc.expires <= Date.now() / 1000) {
      log.debug('Account JWT has expired');
      return deny;
    }
    // A scoped signer's template replaces the user's permissions and limits, bearer included.
    const bearer = granted.bearer_token === true;
    if (bearer && acc.disallowBearer) {
      log.debug('Account does not allow bearer token');
      return deny;
    }
    if (!bearer) {
      if (sig === '') {
        log.debug('Signature missing');
        return deny;
      }
      const sigBytes = decodeSig(sig);
      if (sigBytes === null) {
        log.debug('Signature not valid base64');
        return deny;
      }
      let verified = false;
      try {
        verified = natsNkeys().fromPublic(juc.sub).verify(Buffer.from(nonce, 'latin1'), sigBytes);
      } catch (e) {
        log.debug(`User nkey not valid: ${(e as Error).message}`);
        return deny;
      }
      if (!verified) {
        log.debug('Signature not verified');
        return deny;
      }
    }
    if (isRevoked(acc.revocations, juc.sub, juc.iat)) {
      log.debug('User authentication revoked');
      return deny;
    }
    if (!srcAllowed(granted.src as string[] | string | undefined, ip)) {
      log.error(`Bad src Ip ${ip}`);
      return deny;
    }
    const times = validateTimes(granted.times, (granted as { times_location?: string }).times_location ?? '');
    if (!times.ok) {
      log.error('Outside connect times');
      return deny;
    }
    let permissions = permissionsFromJwt(granted as Parameters<typeof permissionsFromJwt>[0]);
    if (permissions === null && acc.defaultPermissions !== null) permissions = acc.defaultPermissions;
    // nats-server setExpiration: the JWT's expiry, or the end of the time window if sooner.
    const exp = juc.exp !== undefined && juc.exp > 0 ? juc.exp * 1000 : 0;
    const windowEnd = times.validForMs > 0 ? Date.now() + times.validForMs : 0;
    const expiresAt = exp === 0 ? windowEnd : windowEnd !== 0 && windowEnd < exp ? windowEnd : exp;
    return {
      ok: true,
      account: acc,
      user: {
        pubKey: juc.sub,
        name: juc.name ?? '',
        claims: juc,
        permissions,
        maxPayload: limit(granted.payload),
        maxSubscriptions: limit(granted.subs),
        expiresAt,
      },
    };
  }
}

/** nkeys.IsValidPublicAccountKey. */
function isPublicAccountKey(pub: string): boolean {
  if (!pub.startsWith('A')) return false;
  try {
    natsNkeys().fromPublic(pub);
    return true;
  } catch {
    return false;
  }
}

/** The nonce signature: base64url without padding, or standard base64 (nats-server's fallback). */
function decodeSig(sig: string): Buffer | null {
  if (/^[A-Za-z0-9_-]*$/.test(sig)) return Buffer.from(sig, 'base64url');
  if (/^[A-Za-z0-9+/]*={0,2}$/.test(sig) && sig.length % 4 === 0) return Buffer.from(sig, 'base64');
  return null;
}

/**
 * The claims' `mappings` (jwt/v2 Mapping: a weight of 0 is 100), as nats-server applies them
 * with AddWeightedMappings: one it refuses is left out. Null when there are none.
 */
function jwtMappings(nats: AccountClaims['nats'], clusterName: () => string): SubjectMappings | null {
  const maps = (nats as { mappings?: JwtMappings }).mappings;
  if (maps === undefined || maps === null || Object.keys(maps).length === 0) return null;
  const m = new SubjectMappings(clusterName);
  for (const [src, list] of Object.entries(maps)) {
    try {
      m.add(src, (list ?? []).map((d) => ({ subject: d.subject, weight: d.weight || 100, cluster: d.cluster ?? '' })));
    } catch {
      // nats-server ignores AddWeightedMappings' error here.
    }
  }
  return m.size > 0 ? m : null;
}
