// A parsed configuration turned into ServerOptions, following nats-server's
// server/opts.go (processConfigFileLine, parseDuration, parseListen, setBaselineOptions) and
// server/server.go (validateOptions), with nats-server's error texts.
//
// To support a new top-level key, add a handler to CONFIG_KEYS (lower-case key → handler).
// Keys without a handler are reported as `unknown field "<key>"` at the key's position, unless
// the entry was used as a `$variable` elsewhere (nats-server's rule).

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
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_PING_INTERVAL_MS,
  DEFAULT_PING_MAX_OUT,
  DEFAULT_PORT,
  DEFAULT_WRITE_DEADLINE_MS,
  MAX_CONTROL_LINE_SIZE,
  MAX_PAYLOAD_SIZE,
  MAX_PENDING_SIZE,
} from './defaults.js';
import type { ServerOptions } from './types.js';

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
    pingIntervalMs: DEFAULT_PING_INTERVAL_MS,
    pingMax: DEFAULT_PING_MAX_OUT,
    writeDeadlineMs: DEFAULT_WRITE_DEADLINE_MS,
    noHeaderSupport: false,
    debug: false,
    trace: false,
    logtime: true,
    configFile: '',
  };
}

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
const TWO63 = 1n << 63n;

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

/** net.SplitHostPort */
function splitHostPort(hp: string): [string, string] | undefined {
  const i = hp.lastIndexOf(':');
  if (i < 0) return undefined;
  let host: string;
  let j = 0;
  let k = 0;
  if (hp[0] === '[') {
    const end = hp.indexOf(']');
    if (end < 0) return undefined;
    if (end + 1 === hp.length) return undefined;
    if (end + 1 !== i) return undefined;
    host = hp.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hp.slice(0, i);
    if (host.includes(':')) return undefined;
  }
  if (hp.slice(j).includes('[')) return undefined;
  if (hp.slice(k).includes(']')) return undefined;
  return [host, hp.slice(i + 1)];
}

/** strconv.Atoi on a 64-bit platform. */
function atoi(s: string): number | undefined {
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
  if (!hp) throw new ConfigError(`could not parse address string ${goQuote(node.value)}`, node.pos);
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
  [['ping_interval'], (v, c) => (c.opts.pingIntervalMs = durationValue('ping_interval', v, c))],
  [['ping_max'], (v, c) => (c.opts.pingMax = intValue(v))],
  [['write_deadline'], (v, c) => (c.opts.writeDeadlineMs = durationValue('write_deadline', v, c))],
  [['no_header_support'], (v, c) => (c.opts.noHeaderSupport = boolValue(v))],
];

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
  settings.warnings?.push(...warnings);
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
  return opts;
}

/** nats-server's validateOptions (the checks that apply to tsnats's options). */
export function validateOptions(opts: ServerOptions): void {
  if (opts.maxPayload > opts.maxPending) {
    throw new ConfigError(
      `max_payload (${opts.maxPayload}) cannot be higher than max_pending (${opts.maxPending})`,
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
