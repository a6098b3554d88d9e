// A parsed configuration turned into ServerOptions, following nats-server's
// server/opts.go (processConfigFileLine, parseDuration, parseListen, setBaselineOptions) and
// server/server.go (validateOptions), with nats-server's error texts.
//
// To support a new top-level key, add a handler to CONFIG_KEYS (lower-case key → handler).
// Keys without a handler are reported as `unknown field "<key>"` at the key's position, unless
// the entry was used as a `$variable` elsewhere (nats-server's rule).
//
// The `accounts` / `system_account` and `cluster` keys are parsed in accounts.ts and cluster.ts,
// which import the helpers exported here; this module imports their handlers back. The cycle is
// harmless: those modules use nothing from here while loading, and the handlers CONFIG_KEYS is
// built from are function declarations, in place before any module body runs.

import {
  ConfigError,
  ConfMap,
  goTypeName,
  parseConfigFile,
  type ConfNode,
  type MapNode,
  type Position,
} from './conf.js';
import {
  DEFAULT_HOST,
  DEFAULT_LAME_DUCK_DURATION_MS,
  DEFAULT_LAME_DUCK_GRACE_PERIOD_MS,
  DEFAULT_MAX_CLOSED_CLIENTS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_PING_INTERVAL_MS,
  DEFAULT_PING_MAX_OUT,
  DEFAULT_PORT,
  DEFAULT_WRITE_DEADLINE_MS,
  MAX_CONTROL_LINE_SIZE,
  TLS_TIMEOUT_MS,
  MAX_PAYLOAD_SIZE,
  MAX_PENDING_SIZE,
} from './defaults.js';
import { isValidSubject } from '../subjects/subject.js';
import type {
  NkeyUser,
  Permissions,
  ResponsePermission,
  ServerOptions,
  SubjectPermission,
  TlsOptions,
  UserEntry,
} from './types.js';
import { checkTlsFiles } from '../server/tls.js';
import { accountsKey, configureSystemAccount, DEFAULT_SYSTEM_ACCOUNT, GLOBAL_ACCOUNT_NAME } from './accounts.js';
import { clusterKey } from './cluster.js';

const MAX_INT32 = 2 ** 31 - 1;

/** nats-server's defaults (server/const.go, setBaselineOptions). */
export function defaultOptions(): ServerOptions {
  return {
    host: DEFAULT_HOST,
    port: DEFAULT_PORT,
    serverName: '',
    clientAdvertise: '',
    maxPayload: MAX_PAYLOAD_SIZE,
    maxPending: MAX_PENDING_SIZE,
    maxControlLine: MAX_CONTROL_LINE_SIZE,
    maxConnections: DEFAULT_MAX_CONNECTIONS,
    maxSubscriptions: 0,
    maxSubTokens: 0,
    httpHost: '',
    httpPort: 0,
    httpsPort: 0,
    httpBasePath: '',
    maxClosedClients: DEFAULT_MAX_CLOSED_CLIENTS,
    pidFile: '',
    portsFileDir: '',
    logFile: '',
    logSizeLimit: 0,
    maxTracedMsgLen: 0,
    lameDuckDurationMs: DEFAULT_LAME_DUCK_DURATION_MS,
    lameDuckGracePeriodMs: DEFAULT_LAME_DUCK_GRACE_PERIOD_MS,
    pingIntervalMs: DEFAULT_PING_INTERVAL_MS,
    pingMax: DEFAULT_PING_MAX_OUT,
    writeDeadlineMs: DEFAULT_WRITE_DEADLINE_MS,
    noHeaderSupport: false,
    debug: false,
    trace: false,
    logtime: true,
    configFile: '',
    username: '',
    password: '',
    authorization: '',
    users: null,
    nkeys: null,
    noAuthUser: '',
    authTimeoutMs: 0,
    defaultPermissions: null,
    tls: null,
    tlsTimeoutMs: 0,
    allowNonTls: false,
    tlsMap: false,
    accounts: [],
    systemAccount: '',
    cluster: null,
  };
}

/** nats-server's AUTH_TIMEOUT (2 s): the auth timeout setBaselineOptions gives 0 (no TLS). */
export const DEFAULT_AUTH_TIMEOUT_MS = 2_000;
/** DEFAULT_ALLOW_RESPONSE_MAX_MSGS: `allow_responses: true` allows one reply... */
export const DEFAULT_ALLOW_RESPONSE_MAX_MSGS = 1;
/** ...within DEFAULT_ALLOW_RESPONSE_EXPIRATION (2 min). */
export const DEFAULT_ALLOW_RESPONSE_EXPIRES_MS = 120_000;

// ---------------------------------------------------------------------------------------------
// Go formatting helpers

const NOT_PRINTABLE = /^[\p{C}\p{Z}]$/u; // strconv.IsPrint is false for these (but ' ')

/** strconv.Quote, as `%q` prints a string. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else if (c !== 0x20 && NOT_PRINTABLE.test(ch)) {
      out += c < 0x10000 ? '\\u' + c.toString(16).padStart(4, '0') : '\\U' + c.toString(16).padStart(8, '0');
    } else out += ch;
  }
  return out + '"';
}

/** The time package's quote(): non-ASCII and control bytes as \xNN. */
function goTimeQuote(bytes: Uint8Array): string {
  let out = '"';
  for (const b of bytes) {
    if (b >= 0x80 || b < 0x20) out += '\\x' + b.toString(16).padStart(2, '0');
    else {
      if (b === 0x22 || b === 0x5c) out += '\\';
      out += String.fromCharCode(b);
    }
  }
  return out + '"';
}

const NS_PER: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  'µs': 1000n, // U+00B5 micro sign
  'μs': 1000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
export const TWO63 = 1n << 63n;

/**
 * Go's time.ParseDuration, returning nanoseconds. Throws an Error with Go's text, e.g.
 * `time: unknown unit "x" in duration "2x"`.
 */
export function parseGoDuration(text: string): bigint {
  const orig = Buffer.from(text, 'utf8');
  const bad = (): Error => new Error(`time: invalid duration ${goTimeQuote(orig)}`);
  let i = 0;
  let neg = false;
  if (orig.length > 0 && (orig[0] === 0x2d || orig[0] === 0x2b)) {
    neg = orig[0] === 0x2d;
    i = 1;
  }
  if (orig.length - i === 1 && orig[i] === 0x30) return 0n;
  if (i === orig.length) throw bad();
  const isDig = (b: number | undefined): boolean => b !== undefined && b >= 0x30 && b <= 0x39;
  let d = 0n;
  while (i < orig.length) {
    if (!(orig[i] === 0x2e || isDig(orig[i]))) throw bad();
    // leadingInt
    let v = 0n;
    const pl = i;
    while (isDig(orig[i])) {
      if (v > TWO63 / 10n) throw bad();
      v = v * 10n + BigInt(orig[i]! - 0x30);
      if (v > TWO63) throw bad();
      i++;
    }
    const pre = i !== pl;
    // leadingFraction
    let f = 0n;
    let scale = 1;
    let post = false;
    if (orig[i] === 0x2e) {
      i++;
      const fl = i;
      let overflow = false;
      while (isDig(orig[i])) {
        if (!overflow) {
          if (f > (TWO63 - 1n) / 10n) overflow = true;
          else {
            const y = f * 10n + BigInt(orig[i]! - 0x30);
            if (y > TWO63) overflow = true;
            else {
              f = y;
              scale *= 10;
            }
          }
        }
        i++;
      }
      post = i !== fl;
    }
    if (!pre && !post) throw bad();
    const us = i;
    while (i < orig.length && !(orig[i] === 0x2e || isDig(orig[i]))) i++;
    if (i === us) throw new Error(`time: missing unit in duration ${goTimeQuote(orig)}`);
    const uBytes = orig.subarray(us, i);
    const unit = NS_PER[uBytes.toString('utf8')];
    if (unit === undefined || Buffer.from(uBytes.toString('utf8'), 'utf8').length !== uBytes.length) {
      throw new Error(`time: unknown unit ${goTimeQuote(uBytes)} in duration ${goTimeQuote(orig)}`);
    }
    if (v > TWO63 / unit) throw bad();
    v *= unit;
    if (f > 0n) {
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > TWO63) throw bad();
    }
    d += v;
    if (d > TWO63) throw bad();
  }
  if (neg) return -d;
  if (d > TWO63 - 1n) throw bad();
  return d;
}

/** net.SplitHostPort: [host, port], or the text of Go's *net.AddrError. */
export function splitHostPort(hp: string): [string, string] | string {
  const addrErr = (why: string): string => (hp === '' ? why : `address ${hp}: ${why}`);
  const i = hp.lastIndexOf(':');
  if (i < 0) return addrErr('missing port in address');
  let host: string;
  let j = 0;
  let k = 0;
  if (hp[0] === '[') {
    const end = hp.indexOf(']');
    if (end < 0) return addrErr("missing ']' in address");
    if (end + 1 === hp.length) return addrErr('missing port in address');
    if (end + 1 !== i) return addrErr(hp[end + 1] === ':' ? 'too many colons in address' : 'missing port in address');
    host = hp.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hp.slice(0, i);
    if (host.includes(':')) return addrErr('too many colons in address');
  }
  if (hp.slice(j).includes('[')) return addrErr("unexpected '[' in address");
  if (hp.slice(k).includes(']')) return addrErr("unexpected ']' in address");
  return [host, hp.slice(i + 1)];
}

/** strconv.Atoi on a 64-bit platform. */
export function atoi(s: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  if (n < -TWO63 || n > TWO63 - 1n) return undefined;
  return Number(n);
}

// ---------------------------------------------------------------------------------------------
// Handlers

/** What a key handler gets: the key as written, the options being built, and reporters. */
export interface KeyContext {
  /** The key as written in the file (nats-server uses this spelling in some messages). */
  readonly key: string;
  readonly opts: ServerOptions;
  /** Record an error at `pos` (default: the key's position) and keep going. */
  error(reason: string, pos?: Position): void;
  /** Record nats-server's `invalid use of field "<field>": <reason>` warning. */
  warn(field: string, reason: string, pos?: Position): void;
  /** Record an error as built (e.g. one without a position, as nats-server has some). */
  report(err: ConfigError): void;
  /**
   * Record a tsnats notice (a key nats-server accepts and tsnats ignores): a warning that is
   * logged but, unlike nats-server's own warnings, never fails `-t`.
   */
  notice(text: string, pos?: Position): void;
  /** Whether any error (not warning) has been recorded so far, for any key. */
  hasErrors(): boolean;
}

/** A handler may also throw ConfigError (e.g. from the typed getters) to record an error. */
export type KeyHandler = (node: ConfNode, ctx: KeyContext) => void;

function conversion(node: ConfNode, want: string): ConfigError {
  return new ConfigError(`interface conversion: interface {} is ${goTypeName(node)}, not ${want}`, node.pos);
}

/** The value as Go's `v.(int64)`: anything else is nats-server's interface-conversion error. */
export function intValue(node: ConfNode): number {
  if (node.kind !== 'int') throw conversion(node, 'int64');
  return node.value;
}
export function stringValue(node: ConfNode): string {
  if (node.kind !== 'string') throw conversion(node, 'string');
  return node.value;
}
export function boolValue(node: ConfNode): boolean {
  if (node.kind !== 'bool') throw conversion(node, 'bool');
  return node.value;
}
export function mapValue(node: ConfNode): ConfMap {
  if (node.kind !== 'map') throw conversion(node, 'map[string]interface {}');
  return node.value;
}
export function arrayValue(node: ConfNode): ConfNode[] {
  if (node.kind !== 'array') throw conversion(node, '[]interface {}');
  return node.value;
}

/** Go's int32(x) conversion. */
function toInt32(n: number): number {
  return Number(BigInt.asIntN(32, BigInt(Math.trunc(n))));
}

/**
 * nats-server's parseDuration: a duration string ("2m", "300ms"), or (deprecated, with a
 * warning) an integer number of seconds. Returns milliseconds (may be fractional).
 */
export function durationValue(field: string, node: ConfNode, ctx: KeyContext): number {
  if (node.kind === 'string') {
    try {
      return Number(parseGoDuration(node.value)) / 1e6;
    } catch (e) {
      ctx.error(`error parsing ${field}: ${(e as Error).message}`);
      return 0;
    }
  }
  ctx.warn(field, `${field} should be converted to a duration`);
  return intValue(node) * 1000;
}

/** parseListen: a port number or "host:port". */
export function listenValue(node: ConfNode): { host: string; port: number } {
  if (node.kind === 'int') return { host: '', port: node.value };
  if (node.kind !== 'string') {
    throw new ConfigError(`expected port or host:port, got ${goTypeName(node)}`, node.pos);
  }
  const hp = splitHostPort(node.value);
  if (typeof hp === 'string') throw new ConfigError(`could not parse address string ${goQuote(node.value)}`, node.pos);
  const port = atoi(hp[1]);
  if (port === undefined) throw new ConfigError(`could not parse port ${goQuote(hp[1])}`, node.pos);
  return { host: hp[0], port };
}

function int32Limited(node: ConfNode, ctx: KeyContext): number | undefined {
  const v = intValue(node);
  if (v > MAX_INT32) {
    ctx.error(`${ctx.key} value is too big`);
    return undefined;
  }
  return toInt32(v);
}

// ---------------------------------------------------------------------------------------------
// Client authorization: opts.go parseAuthorization, parseUsers, parseUserPermissions,
// parseVariablePermissions, parsePermSubjects, parseSubjectPermission, parseAllowResponses,
// parseAllowedConnectionTypes, and the checks of processConfigFileLine's "authorization" case.
//
// nats-server walks Go maps (random order); tsnats walks keys in file order, which is one of
// the orders nats-server may take. Go's panic-and-recover (a wrong type stops the function that
// has the `defer convertPanicToErrorList`, which then returns nil values) is mirrored with
// try/catch at the same places. Every error text and position is nats-server's; a few of its
// errors carry no position at all (old-style permission lists), and those have none here.

type Report = (err: ConfigError) => void;

/** Run `fn` as a Go function with `defer convertPanicToErrorList`: a thrown ConfigError (the
 * typed getters' "interface conversion" panic) is recorded and `fallback` returned. */
export function recovering<T>(report: Report, fallback: T, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    report(e);
    return fallback;
  }
}

/** Go's `%v` of a float64: strconv's shortest 'g', which switches to the exponent form below
 * 1e-4 and from 1e6 on ("1e-05", "1.23456789125e+08"). */
function goFloatV(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mant, e] = Math.abs(x).toExponential().split('e') as [string, string];
  const exp = Number(e);
  const sign = x < 0 ? '-' : '';
  if (exp < -4 || exp >= 6) {
    return `${sign}${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return sign + Math.abs(x).toString(); // JS prints plain decimals in this range too
}

/** A Go time.Time (UTC) as `%v` prints it: "2016-05-04 18:53:41 +0000 UTC". */
function goTimeV(d: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  let s = `${p(d.getUTCFullYear(), 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} `;
  s += `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
  const ms = d.getUTCMilliseconds();
  if (ms !== 0) s += '.' + p(ms, 3).replace(/0+$/, '');
  return s + ' +0000 UTC';
}

/**
 * Go's `%v` of a config value, as nats-server prints it in "got %v" messages. Array elements
 * and map values are token pointers there, printed as (varying) addresses: a fixed
 * placeholder stands in for them.
 */
export function goValueV(node: ConfNode): string {
  const ptr = '0xc000000000';
  switch (node.kind) {
    case 'string':
      return node.value;
    case 'int':
      return String(node.value);
    case 'float':
      return goFloatV(node.value);
    case 'bool':
      return String(node.value);
    case 'datetime':
      return goTimeV(node.value);
    case 'array':
      return '[' + node.value.map(() => ptr).join(' ') + ']';
    case 'map':
      return 'map[' + [...node.value.keys()].sort().map((k) => `${k}:${ptr}`).join(' ') + ']';
  }
}

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
function parsePermSubjects(v: ConfNode, pos: Position | undefined, report: Report): string[] | null | undefined {
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

/** Go's secondsToDuration, in ms: the float seconds × 1e9, truncated to whole nanoseconds. */
export function secondsToMs(seconds: number): number {
  return Math.trunc(seconds * 1e9) / 1e6;
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

// ---------------------------------------------------------------------------------------------
// Top-level keys: the table CONFIG_KEYS is built from, and the handlers with no section of their
// own (those of `accounts` and `cluster` are in accounts.ts and cluster.ts)

const entries: Array<[string[], KeyHandler]> = [
  [
    ['listen'],
    (v, c) => {
      const hp = listenValue(v);
      c.opts.host = hp.host;
      c.opts.port = hp.port;
    },
  ],
  [['client_advertise'], (v, c) => (c.opts.clientAdvertise = stringValue(v))],
  [['port'], (v, c) => (c.opts.port = intValue(v))],
  [['server_name'], (v, c) => (c.opts.serverName = stringValue(v))],
  [['host', 'net'], (v, c) => (c.opts.host = stringValue(v))],
  [['debug'], (v, c) => (c.opts.debug = boolValue(v))],
  [['trace'], (v, c) => (c.opts.trace = boolValue(v))],
  [['logtime'], (v, c) => (c.opts.logtime = boolValue(v))],
  [
    ['max_control_line'],
    (v, c) => {
      const n = int32Limited(v, c);
      if (n !== undefined) c.opts.maxControlLine = n;
    },
  ],
  [
    ['max_payload'],
    (v, c) => {
      const n = int32Limited(v, c);
      if (n !== undefined) c.opts.maxPayload = n;
    },
  ],
  [['max_pending'], (v, c) => (c.opts.maxPending = intValue(v))],
  [['max_connections', 'max_conn'], (v, c) => (c.opts.maxConnections = intValue(v))],
  [['max_subscriptions', 'max_subs'], (v, c) => (c.opts.maxSubscriptions = intValue(v))],
  [
    ['max_sub_tokens', 'max_subscription_tokens'],
    (v, c) => {
      const n = intValue(v);
      if (n > 255) c.error(`${c.key} value is too big`);
      else if (n <= 0) c.error(`${c.key} value can not be negative`);
      else c.opts.maxSubTokens = n;
    },
  ],
  [['ping_interval'], (v, c) => (c.opts.pingIntervalMs = durationValue('ping_interval', v, c))],
  [['ping_max'], (v, c) => (c.opts.pingMax = intValue(v))],
  [['write_deadline'], (v, c) => (c.opts.writeDeadlineMs = durationValue('write_deadline', v, c))],
  [['no_header_support'], (v, c) => (c.opts.noHeaderSupport = boolValue(v))],
  [['authorization'], authorizationKey],
  [['no_auth_user'], (v, c) => (c.opts.noAuthUser = stringValue(v))],
  [['accounts'], accountsKey],
  // Read before every other key (configureSystemAccount, in optionsFromConfig).
  [['system_account', 'system'], () => undefined],
  [['cluster'], clusterKey],

  // Monitoring.
  [
    ['http'],
    (v, c) => {
      const hp = listenValue(v);
      c.opts.httpHost = hp.host;
      c.opts.httpPort = hp.port;
    },
  ],
  [
    ['https'],
    (v, c) => {
      const hp = listenValue(v);
      c.opts.httpHost = hp.host;
      c.opts.httpsPort = hp.port;
      c.notice(HTTPS_NOTICE);
    },
  ],
  [['http_port', 'monitor_port'], (v, c) => (c.opts.httpPort = intValue(v))],
  [
    ['https_port'],
    (v, c) => {
      c.opts.httpsPort = intValue(v);
      c.notice(HTTPS_NOTICE);
    },
  ],
  [['http_base_path'], (v, c) => (c.opts.httpBasePath = stringValue(v))],

  // Operating the process.
  [['pidfile', 'pid_file'], (v, c) => (c.opts.pidFile = stringValue(v))],
  [['ports_file_dir'], (v, c) => (c.opts.portsFileDir = stringValue(v))],
  [['logfile', 'log_file'], (v, c) => (c.opts.logFile = stringValue(v))],
  [['logfile_size_limit', 'log_size_limit'], (v, c) => (c.opts.logSizeLimit = intValue(v))],
  [['max_traced_msg_len'], (v, c) => (c.opts.maxTracedMsgLen = intValue(v))],
  [['trace_verbose'], (v, c) => (c.opts.trace = boolValue(v))],
  [
    ['syslog'],
    (v, c) => {
      if (boolValue(v)) c.notice(notSupported(c.key, 'logging to stderr or log_file'));
    },
  ],
  [
    ['remote_syslog'],
    (v, c) => {
      if (stringValue(v) !== '') c.notice(notSupported(c.key, 'logging to stderr or log_file'));
    },
  ],
  [['lame_duck_duration'], (v, c) => lameDuckKey(v, c, 'lameDuckDurationMs')],
  [['lame_duck_grace_period'], (v, c) => lameDuckKey(v, c, 'lameDuckGracePeriodMs')],
  [
    ['prof_port'],
    (v, c) => {
      if (intValue(v) !== 0) c.notice(notSupported(c.key));
    },
  ],
  // Knobs with nothing to act on in tsnats: checked for their type, then ignored quietly.
  [['disable_sublist_cache', 'no_sublist_cache'], (v) => void boolValue(v)],
  [['no_system_account', 'no_system', 'no_sys_acc'], (v) => void boolValue(v)],
  [['allow_non_tls'], (v, c) => (c.opts.allowNonTls = boolValue(v))],
  [['tls'], tlsKey],
  [['connect_error_reports', 'reconnect_error_reports'], (v) => void intValue(v)],

  // Subsystems tsnats does not have yet: client test launchers write these blocks, so they are
  // accepted with one notice each rather than refused.
  [['jetstream'], (v, c) => (jetStreamDisabled(v) ? undefined : c.notice(notSupported(c.key)))],
  [
    ['store_dir', 'storedir'],
    (v, c) => {
      stringValue(v);
      c.notice(notSupported(c.key));
    },
  ],
  [['leafnodes', 'leaf'], (_v, c) => c.notice(notSupported(c.key))],
  [['websocket', 'ws'], (_v, c) => c.notice(notSupported(c.key))],
  [['gateway'], (_v, c) => c.notice(notSupported(c.key))],
  [['mqtt'], (_v, c) => c.notice(notSupported(c.key))],
  [['server_tags'], serverTagsKey],
];

/** TLS keys nats-server knows that tsnats accepts and ignores (with a notice). */
const TLS_IGNORED_KEYS: ReadonlySet<string> = new Set([
  'insecure',
  'cipher_suites',
  'curve_preferences',
  'connection_rate_limit',
  'pinned_certs',
]);

/** The top-level `tls` key. */
function tlsKey(v: ConfNode, c: KeyContext): void {
  const parsed = parseTls(v, c, true);
  if (parsed === undefined) return;
  c.opts.tls = parsed.tls;
  c.opts.tlsTimeoutMs = parsed.timeoutMs;
  c.opts.tlsMap = parsed.map;
}

/** A parsed `tls` block (`map`: verify_and_map, `checkKnownUrls`: verify_cert_and_check_known_urls). */
export interface ParsedTls {
  tls: TlsOptions;
  timeoutMs: number;
  map: boolean;
  checkKnownUrls: boolean;
}

/**
 * `tls { cert_file, key_file, ca_file, verify, verify_and_map, verify_cert_and_check_known_urls,
 * timeout }`: nats-server's parseTLS (stops at the first error, with its texts; `clientCtx` is
 * its isClientCtx: the client listener's block, where verify_cert_and_check_known_urls is an
 * error) then GenTLSConfig (cert without key and the like, files loaded), whose error is
 * reported at the block. Either verify_* key set to true implies `verify`. undefined after an
 * error.
 */
export function parseTls(v: ConfNode, c: KeyContext, clientCtx: boolean): ParsedTls | undefined {
  const m = mapValue(v);
  const t: TlsOptions = { certFile: '', keyFile: '', caFile: '', verify: false };
  const parsed: ParsedTls = { tls: t, timeoutMs: 0, map: false, checkKnownUrls: false };
  for (const [key, node] of m) {
    const lk = key.toLowerCase();
    const fail = (reason: string): undefined => void c.error(`error parsing tls config, ${reason}`, node.pos);
    switch (lk) {
      case 'cert_file':
      case 'key_file':
      case 'ca_file':
        if (node.kind !== 'string') return fail(`expected '${lk}' to be filename`);
        if (lk === 'cert_file') t.certFile = node.value;
        else if (lk === 'key_file') t.keyFile = node.value;
        else t.caFile = node.value;
        break;
      case 'verify':
        if (node.kind !== 'bool') return fail(`expected '${lk}' to be a boolean`);
        t.verify = node.value;
        break;
      case 'verify_and_map':
        if (node.kind !== 'bool') return fail(`expected '${lk}' to be a boolean`);
        if (node.value) t.verify = true;
        parsed.map = node.value;
        break;
      case 'verify_cert_and_check_known_urls':
        if (node.kind !== 'bool') return fail(`expected '${lk}' to be a boolean`);
        if (node.value && clientCtx) return void c.error(`${lk} not supported in this context`, node.pos);
        if (node.value) t.verify = true;
        parsed.checkKnownUrls = node.value;
        break;
      case 'timeout':
        if (node.kind === 'int' || node.kind === 'float') parsed.timeoutMs = node.value * 1000;
        else if (node.kind === 'string') {
          try {
            parsed.timeoutMs = Number(parseGoDuration(node.value)) / 1e6;
          } catch (e) {
            return fail(`'timeout' ${(e as Error).message}`);
          }
        } else return fail(`'timeout' wrong type`);
        break;
      default:
        if (TLS_IGNORED_KEYS.has(lk)) c.notice(`tls ${lk} is not supported by tsnats yet: ignored`, node.pos);
        else return fail(`unknown field [${goQuote(key)}]`);
    }
  }
  const err = genTlsCheck(t);
  if (err !== null) return void c.error(err, v.pos);
  return parsed;
}

/** GenTLSConfig's checks: null when the TLS options are usable, else nats-server's error text. */
export function genTlsCheck(t: TlsOptions): string | null {
  if (t.certFile !== '' && t.keyFile === '') return "missing 'key_file' in TLS configuration";
  if (t.certFile === '' && t.keyFile !== '') return "missing 'cert_file' in TLS configuration";
  return checkTlsFiles(t);
}

const HTTPS_NOTICE = 'monitoring over https is not supported by tsnats yet: https port ignored';

export function notSupported(key: string, instead = ''): string {
  return `${key} is not supported by tsnats yet: ignored${instead ? `, ${instead}` : ''}`;
}

/** `jetstream: false`, `jetstream: disabled` (nats-server's parseJetStream spellings). */
export function jetStreamDisabled(v: ConfNode): boolean {
  if (v.kind === 'bool') return !v.value;
  if (v.kind === 'string') return ['disabled', 'disable', 'false', 'off', 'no'].includes(v.value.toLowerCase());
  return false;
}

/** server_tags: a string or a list of strings (opts.go's "server_tags" case), then a notice. */
function serverTagsKey(v: ConfNode, c: KeyContext): void {
  if (v.kind === 'array') {
    if (v.value.some((t) => t.kind !== 'string')) {
      c.error('error parsing tags: unsupported type *conf.token where string is expected');
      return;
    }
  } else if (v.kind !== 'string') {
    c.error(`error parsing tags: unsupported type ${goTypeName(v)}`);
    return;
  }
  c.notice(notSupported(c.key));
}

/** lame_duck_duration / lame_duck_grace_period: Go duration strings only (no integer seconds). */
function lameDuckKey(v: ConfNode, c: KeyContext, field: 'lameDuckDurationMs' | 'lameDuckGracePeriodMs'): void {
  const text = stringValue(v);
  const name = c.key.toLowerCase();
  let ns: bigint;
  try {
    ns = parseGoDuration(text);
  } catch (e) {
    c.error(`error parsing ${name}: ${(e as Error).message}`);
    return;
  }
  if (field === 'lameDuckDurationMs' && ns < 30_000_000_000n) {
    c.error(`invalid lame_duck_duration of ${goDurationString(ns)}, minimum is 30 seconds`);
    return;
  }
  if (field === 'lameDuckGracePeriodMs' && ns < 0n) {
    c.error('invalid lame_duck_grace_period, needs to be positive');
    return;
  }
  c.opts[field] = Number(ns) / 1e6;
}

/** Go's time.Duration.String: "1h2m3.5s", "2m0s", "300ms", "1.5µs", "0s". */
export function goDurationString(ns: bigint): string {
  if (ns === 0n) return '0s';
  const sign = ns < 0n ? '-' : '';
  let u = ns < 0n ? -ns : ns;
  const frac = (v: bigint, unit: bigint, width: number): string => {
    const whole = v / unit;
    const rest = v % unit;
    if (rest === 0n) return String(whole);
    return `${whole}.${String(rest).padStart(width, '0').replace(/0+$/, '')}`;
  };
  if (u < 1000n) return `${sign}${u}ns`;
  if (u < 1_000_000n) return `${sign}${frac(u, 1000n, 3)}µs`;
  if (u < 1_000_000_000n) return `${sign}${frac(u, 1_000_000n, 6)}ms`;
  const h = u / 3_600_000_000_000n;
  u %= 3_600_000_000_000n;
  const m = u / 60_000_000_000n;
  u %= 60_000_000_000n;
  const sec = `${frac(u, 1_000_000_000n, 9)}s`;
  if (h > 0n) return `${sign}${h}h${m}m${sec}`;
  if (m > 0n) return `${sign}${m}m${sec}`;
  return sign + sec;
}

/** A duration held in ms (possibly fractional), as Go prints a time.Duration. */
export function goDurationMs(ms: number): string {
  return goDurationString(BigInt(Math.round(ms * 1e6)));
}

/** Top-level keys tsnats understands, by lower-case name. Everything else is unknown. */
export const CONFIG_KEYS: ReadonlyMap<string, KeyHandler> = new Map(
  entries.flatMap(([names, h]) => names.map((n): [string, KeyHandler] => [n, h])),
);

// ---------------------------------------------------------------------------------------------
// Entry points

export interface OptionsFromConfigSettings {
  /** Receives warnings (e.g. a plain integer used as a duration); nats-server prints them. */
  warnings?: ConfigError[];
  /**
   * Receives tsnats's notices (keys accepted and ignored, e.g. a `jetstream` block). Without
   * it they go to `warnings`. Notices never fail a load, even with `checkOnly`.
   */
  notices?: ConfigError[];
  /**
   * `nats-server -t` semantics: warnings are errors too, and neither setBaselineOptions nor
   * validateOptions runs (nats-server's -t does not run them).
   */
  checkOnly?: boolean;
}

/**
 * Apply a parsed configuration over `base` (default: defaultOptions()) and return new options.
 * Like nats-server, every key is processed and all errors are reported together: the thrown
 * ConfigError lists them in `details` and its message has one `<file>:<line>:<col>: <reason>`
 * line per problem. Unless `checkOnly`, the result then gets setBaselineOptions() and
 * validateOptions() (which runs at server start in nats-server); run both again after
 * applying command-line flags.
 */
export function optionsFromConfig(
  conf: MapNode | ConfMap,
  base: ServerOptions = defaultOptions(),
  settings: OptionsFromConfigSettings = {},
): ServerOptions {
  const opts: ServerOptions = { ...base };
  let map: ConfMap;
  if (conf instanceof ConfMap) map = conf;
  else {
    map = conf.value;
    opts.configFile = conf.pos.file;
  }
  const problems: ConfigError[] = [];
  const notices: ConfigError[] = [];
  configureSystemAccount(map, opts, problems);
  for (const [key, node] of map) {
    const handler = CONFIG_KEYS.get(key.toLowerCase());
    if (!handler) {
      if (!node.usedAsVariable) problems.push(new ConfigError(`unknown field ${goQuote(key)}`, node.pos));
      continue;
    }
    const ctx: KeyContext = {
      key,
      opts,
      error: (reason, pos = node.pos) => problems.push(new ConfigError(reason, pos)),
      warn: (field, reason, pos = node.pos) =>
        problems.push(new ConfigError(`invalid use of field ${goQuote(field)}: ${reason}`, pos, 'warning')),
      report: (err) => problems.push(err),
      notice: (text, pos = node.pos) => notices.push(new ConfigError(text, pos, 'warning')),
      hasErrors: () => problems.some((p) => p.kind !== 'warning'),
    };
    try {
      handler(node, ctx);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems.push(e);
    }
  }
  const warnings = problems.filter((p) => p.kind === 'warning');
  const hasErrors = problems.length > warnings.length;
  if (hasErrors || (settings.checkOnly && warnings.length > 0)) throw ConfigError.aggregate(problems);
  if (settings.notices) {
    settings.warnings?.push(...warnings);
    settings.notices.push(...notices);
  } else settings.warnings?.push(...warnings, ...notices);
  if (settings.checkOnly) return opts;
  setBaselineOptions(opts);
  validateOptions(opts);
  return opts;
}

/**
 * nats-server's setBaselineOptions for the options tsnats has: zero values mean "default".
 * (Unlike nats-server, port -1 stays -1, meaning random.) Mutates and returns `opts`.
 */
export function setBaselineOptions(opts: ServerOptions): ServerOptions {
  if (opts.host === '') opts.host = DEFAULT_HOST;
  if (opts.port === 0) opts.port = DEFAULT_PORT;
  if (opts.maxConnections === 0) opts.maxConnections = DEFAULT_MAX_CONNECTIONS;
  if (opts.pingIntervalMs === 0) opts.pingIntervalMs = DEFAULT_PING_INTERVAL_MS;
  if (opts.pingMax === 0) opts.pingMax = DEFAULT_PING_MAX_OUT;
  if (opts.maxControlLine === 0) opts.maxControlLine = MAX_CONTROL_LINE_SIZE;
  if (opts.maxPayload === 0) opts.maxPayload = MAX_PAYLOAD_SIZE;
  if (opts.maxPending === 0) opts.maxPending = MAX_PENDING_SIZE;
  if (opts.writeDeadlineMs === 0) opts.writeDeadlineMs = DEFAULT_WRITE_DEADLINE_MS;
  if (opts.lameDuckDurationMs === 0) opts.lameDuckDurationMs = DEFAULT_LAME_DUCK_DURATION_MS;
  if (opts.lameDuckGracePeriodMs === 0) opts.lameDuckGracePeriodMs = DEFAULT_LAME_DUCK_GRACE_PERIOD_MS;
  // getDefaultAuthTimeout: TLS timeout + 1 s with TLS, else AUTH_TIMEOUT.
  if (opts.authTimeoutMs === 0) opts.authTimeoutMs = opts.tls ? (opts.tlsTimeoutMs || TLS_TIMEOUT_MS) + 1000 : DEFAULT_AUTH_TIMEOUT_MS;
  // A listening cluster binds DEFAULT_HOST unless told, and its auth timeout is AUTH_TIMEOUT
  // (getDefaultAuthTimeout without TLS: a cluster `tls` block is ignored).
  const cl = opts.cluster;
  if (cl !== null && cl.port !== 0) {
    opts.cluster = {
      ...cl,
      host: cl.host === '' ? DEFAULT_HOST : cl.host,
      authTimeoutMs: cl.authTimeoutMs === 0 ? DEFAULT_AUTH_TIMEOUT_MS : cl.authTimeoutMs,
    };
  }
  // configureAccounts: an account named $SYS is the system account when none is set.
  if (opts.systemAccount === '' && opts.accounts.some((a) => a.name === DEFAULT_SYSTEM_ACCOUNT)) {
    opts.systemAccount = DEFAULT_SYSTEM_ACCOUNT;
  }
  return opts;
}

/** nats-server's validateOptions (the checks that apply to tsnats's options). */
export function validateOptions(opts: ServerOptions): void {
  if (opts.lameDuckDurationMs > 0 && opts.lameDuckGracePeriodMs >= opts.lameDuckDurationMs) {
    throw new ConfigError(
      `lame duck grace period (${goDurationMs(opts.lameDuckGracePeriodMs)}) should be strictly lower than ` +
        `lame duck duration (${goDurationMs(opts.lameDuckDurationMs)})`,
      undefined,
      'validation',
    );
  }
  if (opts.maxPayload > opts.maxPending) {
    throw new ConfigError(
      `max_payload (${opts.maxPayload}) cannot be higher than max_pending (${opts.maxPending})`,
      undefined,
      'validation',
    );
  }
  validateAuth(opts);
  // configureAccounts (at server start): the system account must be one of the accounts.
  const sys = opts.systemAccount;
  if (sys !== '' && sys !== GLOBAL_ACCOUNT_NAME && !opts.accounts.some((a) => a.name === sys)) {
    throw new ConfigError('error resolving system account: account missing', undefined, 'validation');
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

/**
 * `nats-server -t -c <file>`: parse and process the file, treating warnings as errors, without
 * baseline or validation. Returns the options on success; throws ConfigError otherwise
 * (`err.natsText` is what nats-server would print after "nats-server: ").
 */
export function checkConfigFile(file: string, base: ServerOptions = defaultOptions()): ServerOptions {
  return optionsFromConfig(parseConfigFile(file), base, { checkOnly: true });
}
