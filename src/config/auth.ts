// Client authorization in the config: the top-level `authorization` key and the users,
// permissions and nkeys that accounts and cluster blocks read too. opts.go parseAuthorization,
// parseUsers, parseUserPermissions, parseVariablePermissions, parsePermSubjects,
// parseSubjectPermission, parseAllowResponses, parseAllowedConnectionTypes, the checks of
// processConfigFileLine's "authorization" case, and auth.go's validateAuth.
//
// nats-server walks Go maps (random order); tsnats walks keys in file order, which is one of
// the orders nats-server may take. Go's panic-and-recover (a wrong type stops the function that
// has the `defer convertPanicToErrorList`, which then returns nil values) is mirrored with
// try/catch at the same places. Every error text and position is nats-server's; a few of its
// errors carry no position at all (old-style permission lists), and those have none here.

import { ConfigError, goTypeName, type ConfMap, type ConfNode, type Position } from './conf.js';
import { isValidSubject } from '../subjects/subject.js';
import type {
  NkeyUser,
  Permissions,
  ResponsePermission,
  ServerOptions,
  SubjectPermission,
  UserEntry,
} from './types.js';
import {
  goQuote,
  goValueV,
  intValue,
  mapValue,
  parseGoDuration,
  recovering,
  secondsToMs,
  stringValue,
  type KeyContext,
  type OptionReader,
  type Report,
} from './values.js';

/** DEFAULT_ALLOW_RESPONSE_MAX_MSGS: `allow_responses: true` allows one reply... */
export const DEFAULT_ALLOW_RESPONSE_MAX_MSGS = 1;
/** ...within DEFAULT_ALLOW_RESPONSE_EXPIRATION (2 min). */
export const DEFAULT_ALLOW_RESPONSE_EXPIRES_MS = 120_000;

// strings.Fields: Go's unicode.IsSpace set (not JS's \s, which has U+FEFF and lacks U+0085).
const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;
function goFields(s: string): string[] {
  return s.split(GO_SPACE).filter((f) => f !== '');
}

/** checkPermSubjectArray: a subject, or "subject queue" (two fields, the first a subject). */
function checkPermSubjects(subjects: readonly string[]): string | undefined {
  for (const s of subjects) {
    if (isValidSubject(s)) continue;
    const fields = goFields(s);
    if (fields.length !== 2) return `subject ${goQuote(s)} is not a valid subject`;
    if (!isValidSubject(fields[0]!)) return `subject ${goQuote(fields[0]!)} is not a valid subject`;
  }
  return undefined;
}

/**
 * parsePermSubjects: a subject or a list of subjects. `pos` is where nats-server reports the
 * list-level errors: the `allow`/`deny` key, or nowhere for the old style (nats-server has lost
 * the token there). An empty list is Go's nil slice: null. undefined = error (reported).
 */
export function parsePermSubjects(v: ConfNode, pos: Position | undefined, report: Report): string[] | null | undefined {
  let subjects: string[] | null = null;
  if (v.kind === 'string') subjects = [v.value];
  else if (v.kind === 'array') {
    for (const el of v.value) {
      if (el.kind !== 'string') {
        report(new ConfigError('Subject in permissions array cannot be cast to string', el.pos));
        return undefined;
      }
      (subjects ??= []).push(el.value);
    }
  } else {
    report(
      new ConfigError(
        `Expected subject permissions to be a subject, or array of subjects, got ${goTypeName(v)}`,
        pos,
      ),
    );
    return undefined;
  }
  const bad = checkPermSubjects(subjects ?? []);
  if (bad !== undefined) {
    report(new ConfigError(bad, pos));
    return undefined;
  }
  return subjects;
}

/** parseSubjectPermission: `{ allow, deny }`; an empty map is no permission at all (null). */
function parseSubjectPermission(m: ConfMap, report: Report): SubjectPermission | null {
  if (m.size === 0) return null;
  const p: SubjectPermission = { allow: null, deny: null };
  for (const [k, v] of m) {
    switch (k.toLowerCase()) {
      case 'allow': {
        const subjects = parsePermSubjects(v, v.pos, report);
        if (subjects !== undefined) p.allow = subjects;
        break;
      }
      case 'deny': {
        const subjects = parsePermSubjects(v, v.pos, report);
        if (subjects !== undefined) p.deny = subjects;
        break;
      }
      default:
        if (!v.usedAsVariable) {
          report(
            new ConfigError(
              `Unknown field name ${goQuote(k)} parsing subject permissions, only 'allow' or 'deny' are permitted`,
              v.pos,
            ),
          );
        }
    }
  }
  return p;
}

/** parseVariablePermissions: `{ allow, deny }`, or (old style) a subject or list = allow. */
function parseVariablePermissions(v: ConfNode, report: Report): SubjectPermission | null | undefined {
  if (v.kind === 'map') return parseSubjectPermission(v.value, report);
  const subjects = parsePermSubjects(v, undefined, report);
  if (subjects === undefined) return undefined;
  return { allow: subjects, deny: null };
}

/** parseAllowResponses: `{ max, expires }` (0 = the default; negative = unlimited). */
function parseAllowResponses(v: ConfNode, report: Report): ResponsePermission | null {
  if (v.kind !== 'map') {
    report(new ConfigError('error parsing response permissions, expected a boolean or a map', v.pos));
    return null;
  }
  return recovering(report, null, () => {
    const rp: ResponsePermission = {
      maxMsgs: DEFAULT_ALLOW_RESPONSE_MAX_MSGS,
      expiresMs: DEFAULT_ALLOW_RESPONSE_EXPIRES_MS,
    };
    for (const [k, mv] of v.value) {
      switch (k.toLowerCase()) {
        case 'max':
        case 'max_msgs':
        case 'max_messages':
        case 'max_responses': {
          const max = intValue(mv);
          if (max !== 0) rp.maxMsgs = max;
          break;
        }
        case 'expires':
        case 'expiration':
        case 'ttl': {
          if (mv.kind !== 'string') {
            report(new ConfigError('error parsing expires, not a duration string', mv.pos));
            return null;
          }
          let ns: bigint;
          try {
            ns = parseGoDuration(mv.value);
          } catch (e) {
            report(new ConfigError(`error parsing expires: ${(e as Error).message}`, mv.pos));
            return null;
          }
          if (ns !== 0n) rp.expiresMs = Number(ns) / 1e6;
          break;
        }
        default:
          if (!mv.usedAsVariable) report(new ConfigError(`Unknown field ${goQuote(k)} parsing permissions`, mv.pos));
      }
    }
    return rp;
  });
}

/**
 * parseUserPermissions: `{ publish, subscribe, allow_responses }`. undefined = error. `mapPos`
 * is where a value that is not a map is reported (null: nowhere, as for a cluster's
 * permissions, where nats-server passes the bare value).
 */
export function parseUserPermissions(v: ConfNode, report: Report, mapPos: Position | null = v.pos): Permissions | undefined {
  if (v.kind !== 'map') {
    report(new ConfigError(`Expected permissions to be a map/struct, got ${goValueV(v)}`, mapPos ?? undefined));
    return undefined;
  }
  const p: Permissions = { publish: null, subscribe: null, response: null };
  for (const [k, mv] of v.value) {
    switch (k.toLowerCase()) {
      // For routes: import is publish, export is subscribe.
      case 'pub':
      case 'publish':
      case 'import': {
        const perms = parseVariablePermissions(mv, report);
        if (perms !== undefined) p.publish = perms;
        break;
      }
      case 'sub':
      case 'subscribe':
      case 'export': {
        const perms = parseVariablePermissions(mv, report);
        if (perms !== undefined) p.subscribe = perms;
        break;
      }
      case 'publish_allow_responses':
      case 'allow_responses':
        if (mv.kind === 'bool') {
          if (mv.value) {
            p.response = { maxMsgs: DEFAULT_ALLOW_RESPONSE_MAX_MSGS, expiresMs: DEFAULT_ALLOW_RESPONSE_EXPIRES_MS };
          }
        } else p.response = parseAllowResponses(mv, report);
        break;
      default:
        if (!mv.usedAsVariable) report(new ConfigError(`Unknown field ${goQuote(k)} parsing permissions`, mv.pos));
    }
  }
  // With responses allowed, the blanket publish allow is turned off: publish.allow becomes []
  // unless given. (nats-server does this when it meets allow_responses, so a `publish` key
  // after it in its random map order can undo it; done last here, as the intent is.)
  if (p.response !== null) {
    p.publish ??= { allow: null, deny: null };
    p.publish.allow ??= [];
  }
  return p;
}

/** parseAllowedConnectionTypes (parseStringArray + convertAllowedConnectionTypes): the valid
 * types, upper-cased and deduplicated; [] = all types; null when not a string or list. */
function parseAllowedConnectionTypes(v: ConfNode, report: Report): string[] | null {
  const field = 'allowed connection types';
  let cts: string[];
  if (v.kind === 'string') cts = [v.value];
  else if (v.kind === 'array') {
    cts = [];
    for (const el of v.value) {
      if (el.kind === 'string') cts.push(el.value);
      else report(new ConfigError(`error parsing ${field}: unsupported type in array ${goTypeName(el)}`, el.pos));
    }
  } else {
    report(new ConfigError(`error parsing ${field}: unsupported type ${goTypeName(v)}`, v.pos));
    return null;
  }
  const valid: string[] = [];
  const unknown: string[] = [];
  for (const ct of cts) {
    const u = ct.toUpperCase();
    if (!CONNECTION_TYPES.has(u)) unknown.push(u);
    else if (!valid.includes(u)) valid.push(u);
  }
  if (unknown.length > 0) {
    report(new ConfigError(`invalid connection types [${unknown.map(goQuote).join(' ')}]`, v.pos));
  }
  return valid;
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** nkeys' prefix bytes: users "U...", accounts "A...". */
const NKEY_PREFIX_USER = 20 << 3;
const NKEY_PREFIX_ACCOUNT = 0;

/** nkeys.IsValidPublicUserKey. */
export function isValidPublicUserKey(key: string): boolean {
  return isValidPublicKey(key, NKEY_PREFIX_USER);
}

/** nkeys.IsValidPublicAccountKey. */
export function isValidPublicAccountKey(key: string): boolean {
  return isValidPublicKey(key, NKEY_PREFIX_ACCOUNT);
}

/** A public nkey: unpadded base32, CRC16 (XMODEM, little-endian) over the rest, first byte
 * the type's prefix. */
function isValidPublicKey(key: string, prefix: number): boolean {
  const text = key.replace(/[\r\n]/g, ''); // Go's base32 decoder skips CR and LF
  if ([1, 3, 6].includes(text.length % 8)) return false;
  const raw: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const ch of text) {
    const v = B32.indexOf(ch);
    if (v < 0) return false;
    acc = ((acc << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      raw.push((acc >> bits) & 0xff);
    }
  }
  if (raw.length < 4) return false;
  const data = raw.slice(0, -2);
  let crc = 0;
  for (const b of data) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  if (crc !== (raw[raw.length - 2]! | (raw[raw.length - 1]! << 8))) return false;
  return data[0] === prefix;
}

/**
 * parseUsers: the `users` list; its nkey entries go to `nkeys`. null when a wrong type stopped
 * it (nats-server's recovered panic), undefined after an error that discards the list ("User
 * entry requires a user"...). `listPos` is where a list that is not a list is reported (null:
 * nowhere, as for an account's users, where nats-server passes the bare value).
 */
export function parseUsers(
  v: ConfNode,
  report: Report,
  nkeys: NkeyUser[],
  listPos: Position | null = v.pos,
): UserEntry[] | null | undefined {
  if (v.kind !== 'array') {
    report(new ConfigError(`Expected users field to be an array, got ${goValueV(v)}`, listPos ?? undefined));
    return undefined;
  }
  return recovering<UserEntry[] | null | undefined>(report, null, () => {
    const users: UserEntry[] = [];
    for (const entry of v.value) {
      if (entry.kind !== 'map') {
        report(new ConfigError(`Expected user entry to be a map/struct, got ${goValueV(entry)}`, entry.pos));
        continue;
      }
      const user: UserEntry = { user: '', password: '', permissions: null, account: '', allowedConnectionTypes: null };
      let nkey = '';
      let perms: Permissions | null = null;
      let last: ConfNode = entry; // nats-server reports the entry's checks at its last token
      for (const [k, mv] of entry.value) {
        last = mv;
        switch (k.toLowerCase()) {
          case 'nkey':
            nkey = stringValue(mv);
            break;
          case 'user':
          case 'username':
            user.user = stringValue(mv);
            break;
          case 'pass':
          case 'password':
            user.password = stringValue(mv);
            break;
          case 'permission':
          case 'permissions':
          case 'authorization':
            perms = parseUserPermissions(mv, report) ?? null;
            break;
          case 'allowed_connection_types':
          case 'connection_types':
          case 'clients':
            user.allowedConnectionTypes = parseAllowedConnectionTypes(mv, report);
            break;
          default:
            if (!mv.usedAsVariable) report(new ConfigError(`unknown field ${goQuote(k)}`, mv.pos));
        }
      }
      if (nkey === '' && user.user === '') {
        report(new ConfigError('User entry requires a user', last.pos));
        return undefined;
      }
      if (nkey !== '') {
        if (!isValidPublicUserKey(nkey)) {
          report(new ConfigError('Not a valid public nkey for a user', last.pos));
          return undefined;
        }
        if (user.user !== '' || user.password !== '') {
          report(new ConfigError('Nkey users do not take usernames or passwords', last.pos));
          return undefined;
        }
        nkeys.push({ nkey, permissions: perms, account: '', allowedConnectionTypes: user.allowedConnectionTypes });
        continue;
      }
      user.permissions = perms;
      users.push(user);
    }
    return users;
  });
}

interface AuthorizationBlock {
  user: string;
  pass: string;
  token: string;
  /** Seconds, as nats-server's float64 AuthTimeout. */
  timeout: number;
  users: UserEntry[] | null;
  nkeys: NkeyUser[];
  defaultPermissions: Permissions | null;
}

export function clonePermissions(p: Permissions): Permissions {
  const subj = (s: SubjectPermission | null): SubjectPermission | null =>
    s && { allow: s.allow && [...s.allow], deny: s.deny && [...s.deny] };
  return { publish: subj(p.publish), subscribe: subj(p.subscribe), response: p.response && { ...p.response } };
}

/** parseAuthorization. undefined when a wrong type stopped it (nats-server then returns nil). */
export function parseAuthorization(v: ConfNode, report: Report): AuthorizationBlock | undefined {
  return recovering<AuthorizationBlock | undefined>(report, undefined, () => {
    const am = mapValue(v);
    const auth: AuthorizationBlock = {
      user: '',
      pass: '',
      token: '',
      timeout: 0,
      users: null,
      nkeys: [],
      defaultPermissions: null,
    };
    for (const [k, mv] of am) {
      switch (k.toLowerCase()) {
        case 'user':
        case 'username':
          auth.user = stringValue(mv);
          break;
        case 'pass':
        case 'password':
          auth.pass = stringValue(mv);
          break;
        case 'token':
          auth.token = stringValue(mv);
          break;
        case 'timeout':
          // Seconds, int or float; any other type silently means 1 second.
          auth.timeout = mv.kind === 'int' || mv.kind === 'float' ? mv.value : 1;
          break;
        case 'users': {
          const users = parseUsers(mv, report, auth.nkeys);
          if (users !== undefined) auth.users = users;
          break;
        }
        case 'default_permission':
        case 'default_permissions':
        case 'permissions': {
          const perms = parseUserPermissions(mv, report);
          if (perms !== undefined) auth.defaultPermissions = perms;
          break;
        }
        default:
          if (!mv.usedAsVariable) report(new ConfigError(`unknown field ${goQuote(k)}`, mv.pos));
      }
    }
    // applyDefaultPermissions: users without their own permissions get the block's.
    const dp = auth.defaultPermissions;
    if (dp) for (const u of [...(auth.users ?? []), ...auth.nkeys]) u.permissions ??= clonePermissions(dp);
    return auth;
  });
}

/** setupUsersAndNKeysDuplicateCheckMap: the user names and nkeys configured so far. */
export function usersAndNkeys(opts: ServerOptions): Set<string> {
  return new Set([...(opts.users ?? []).map((u) => u.user), ...(opts.nkeys ?? []).map((n) => n.nkey)]);
}

/** The top-level `authorization` key (processConfigFileLine). */
function authorizationKey(v: ConfNode, c: KeyContext): void {
  const auth = parseAuthorization(v, c.report);
  if (auth === undefined) {
    // nats-server goes on with a nil result and dereferences it.
    c.error('runtime error: invalid memory address or nil pointer dereference');
    return;
  }
  c.opts.username = auth.user;
  c.opts.password = auth.pass;
  c.opts.authorization = auth.token;
  c.opts.authTimeoutMs = secondsToMs(auth.timeout);
  c.opts.defaultPermissions = auth.defaultPermissions;
  if ((auth.user !== '' || auth.pass !== '') && auth.token !== '') {
    c.error('Cannot have a user/pass and token');
    return;
  }
  const names = usersAndNkeys(c.opts);
  // `users: []` counts as a users array here, but adds no users (opts.users stays null).
  if (auth.users !== null || names.size > 0) {
    if (auth.user !== '') {
      c.error('Can not have a single user/pass and a users array');
      return;
    }
    if (auth.token !== '') {
      c.error('Can not have a token and a users array');
      return;
    }
    if (auth.users !== null && auth.users.length > 0) {
      for (const u of auth.users) {
        if (names.has(u.user)) {
          c.error(`Duplicate user ${goQuote(u.user)} detected`);
          return;
        }
        names.add(u.user);
      }
      c.opts.users = [...(c.opts.users ?? []), ...auth.users];
    }
  }
  if (auth.nkeys.length > 0) {
    for (const u of auth.nkeys) {
      if (names.has(u.nkey)) {
        c.error(`Duplicate nkey ${goQuote(u.nkey)} detected`);
        return;
      }
      names.add(u.nkey);
    }
    c.opts.nkeys = [...(c.opts.nkeys ?? []), ...auth.nkeys];
  }
}

const CONNECTION_TYPES: ReadonlySet<string> = new Set([
  'STANDARD',
  'WEBSOCKET',
  'LEAFNODE',
  'LEAFNODE_WS',
  'MQTT',
  'MQTT_WS',
]);

/** auth.go validateAuth (the parts without TLS and nkeys) and validateNoAuthUser. */
function validateAuth(opts: ServerOptions): void {
  for (const u of opts.users ?? []) {
    for (const ct of u.allowedConnectionTypes ?? []) {
      if (!CONNECTION_TYPES.has(ct.toUpperCase())) {
        throw new ConfigError(`unknown connection type ${goQuote(ct)}`, undefined, 'validation');
      }
    }
  }
  const name = opts.noAuthUser;
  if (name === '') return;
  if (opts.users === null) {
    throw new ConfigError(`no_auth_user: "${name}" present, but users are not defined`, undefined, 'validation');
  }
  if (!opts.users.some((u) => u.user === name)) {
    throw new ConfigError(
      `no_auth_user: "${name}" not present as user in authorization block or account configuration`,
      undefined,
      'validation',
    );
  }
}

/** The `authorization` key, and validateAuth. */
export const AUTH_READER: OptionReader = {
  keys: [[['authorization'], authorizationKey]],
  validate: validateAuth,
};
