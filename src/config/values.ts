// Reading config values as nats-server does, for every subsystem's option reader: Go's typed
// getters (with the texts of their interface-conversion panics), durations, host:port, the
// `%q` / `%v` / Duration.String formatting nats-server's messages use, and the context a key
// handler gets. Knows no keys: each subsystem's keys are in its own reader (see OptionReader).

import { ConfigError, goTypeName, type ConfMap, type ConfNode, type Position } from './conf.js';
import type { ServerOptions } from './types.js';

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

/** Where a reader records an error and keeps going. */
export type Report = (err: ConfigError) => void;

/** A block's `listen` into its host and port; a bad value is reported and changes nothing. */
export function readListen(node: ConfNode, report: Report, into: { host: string; port: number }): void {
  try {
    const hp = listenValue(node);
    into.host = hp.host;
    into.port = hp.port;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    report(e);
  }
}

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

export function notSupported(key: string, instead = ''): string {
  return `${key} is not supported by tsnats yet: ignored${instead ? `, ${instead}` : ''}`;
}

/** Go's secondsToDuration, in ms: the float seconds × 1e9, truncated to whole nanoseconds. */
export function secondsToMs(seconds: number): number {
  return Math.trunc(seconds * 1e9) / 1e6;
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

/**
 * A subsystem's option reader: the top-level keys it owns, and its parts of the passes
 * optionsFromConfig, setBaselineOptions and validateOptions make. options.ts calls the readers
 * registered in its one table, in the table's order.
 */
export interface OptionReader {
  /** Top-level keys (lower-case; aliases together) and their handler. */
  readonly keys: ReadonlyArray<readonly [readonly string[], KeyHandler]>;
  /** Runs over the whole file before any key is read (e.g. a key other keys depend on). */
  readonly prepare?: (map: ConfMap, opts: ServerOptions, problems: ConfigError[]) => void;
  /** Its part of setBaselineOptions: zero values become defaults. */
  readonly baseline?: (opts: ServerOptions) => void;
  /** Its part of validateOptions: throws ConfigError (kind 'validation'). */
  readonly validate?: (opts: ServerOptions) => void;
}
