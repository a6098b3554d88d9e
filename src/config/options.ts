// A parsed configuration turned into ServerOptions, following nats-server's
// server/opts.go (processConfigFileLine, parseDuration, parseListen, setBaselineOptions) and
// server/server.go (validateOptions), with nats-server's error texts.
//
// Each subsystem owns the reader of its top-level keys (an OptionReader: auth.ts, tls.ts,
// accounts.ts, cluster.ts, websocket.ts, leafnode.ts; the server's own keys are here), and READERS is the one table they
// are registered in. To support a new top-level key, add a handler to its subsystem's reader
// (lower-case key → handler), or register a new subsystem's reader in READERS. Keys without a
// handler are reported as `unknown field "<key>"` at the key's position, unless the entry was
// used as a `$variable` elsewhere (nats-server's rule). Readers import values.ts (and each
// other's parsers), never this module: the conf grammar (conf.ts) knows no keys, and this
// module knows only the readers' tables.

import {
  ConfigError,
  ConfMap,
  goTypeName,
  parseConfigFile,
  type ConfNode,
  type MapNode,
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
import type { ServerOptions } from './types.js';
import {
  boolValue,
  durationValue,
  goDurationMs,
  goDurationString,
  goQuote,
  intValue,
  listenValue,
  notSupported,
  parseGoDuration,
  stringValue,
  type KeyContext,
  type KeyHandler,
  type OptionReader,
} from './values.js';
import { AUTH_READER } from './auth.js';
import { TLS_READER } from './tls.js';
import { ACCOUNTS_READER } from './accounts.js';
import { CLUSTER_READER } from './cluster.js';
import { OPERATOR_READER } from './operator.js';
import { JETSTREAM_READER } from './jetstream.js';
import { WEBSOCKET_READER } from './websocket.js';
import { MAPPINGS_READER } from './mappings.js';
import { LEAFNODE_READER } from './leafnode.js';

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
    noSystemAccount: false,
    mappings: [],
    trustedOperators: [],
    resolver: null,
    resolverPreload: {},
    cluster: null,
    jetstream: false,
    storeDir: '',
    jetStreamMaxMemory: null,
    jetStreamMaxStore: null,
    jetStreamDomain: '',
    jsAccDefaultDomain: {},
    jetStreamSyncIntervalMs: 0,
    websocket: null,
    leafnode: null,
  };
}

/** nats-server's AUTH_TIMEOUT (2 s): the auth timeout setBaselineOptions gives 0 (no TLS). */
export const DEFAULT_AUTH_TIMEOUT_MS = 2_000;

/** Go's int32(x) conversion. */
function toInt32(n: number): number {
  return Number(BigInt.asIntN(32, BigInt(Math.trunc(n))));
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
// The server's own top-level keys (those of a subsystem are in its reader)

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
  [['no_auth_user'], (v, c) => (c.opts.noAuthUser = stringValue(v))],

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
  [['no_system_account', 'no_system', 'no_sys_acc'], (v, c) => (c.opts.noSystemAccount = boolValue(v))],
  [['allow_non_tls'], (v, c) => (c.opts.allowNonTls = boolValue(v))],
  [['connect_error_reports', 'reconnect_error_reports'], (v) => void intValue(v)],

  // Subsystems tsnats does not have yet: client test launchers write these blocks, so they are
  // accepted with one notice each rather than refused.
  [['gateway'], (_v, c) => c.notice(notSupported(c.key))],
  [['mqtt'], (_v, c) => c.notice(notSupported(c.key))],
  [['server_tags'], serverTagsKey],
];

const HTTPS_NOTICE = 'monitoring over https is not supported by tsnats yet: https port ignored';

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

/**
 * The one table of option readers: the server's own keys, then each subsystem's. Their
 * prepare, baseline and validate parts run in this order.
 */
const READERS: readonly OptionReader[] = [{ keys: entries }, AUTH_READER, TLS_READER, OPERATOR_READER, ACCOUNTS_READER, CLUSTER_READER, JETSTREAM_READER, WEBSOCKET_READER, MAPPINGS_READER, LEAFNODE_READER];

/** Top-level keys tsnats understands, by lower-case name. Everything else is unknown. */
export const CONFIG_KEYS: ReadonlyMap<string, KeyHandler> = new Map(
  READERS.flatMap((r) => r.keys).flatMap(([names, h]) => names.map((n): [string, KeyHandler] => [n, h])),
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
  for (const r of READERS) r.prepare?.(map, opts, problems);
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
  for (const r of READERS) r.baseline?.(opts);
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
  for (const r of READERS) r.validate?.(opts);
}

/**
 * `nats-server -t -c <file>`: parse and process the file, treating warnings as errors, without
 * baseline or validation. Returns the options on success; throws ConfigError otherwise
 * (`err.natsText` is what nats-server would print after "nats-server: ").
 */
export function checkConfigFile(file: string, base: ServerOptions = defaultOptions()): ServerOptions {
  return optionsFromConfig(parseConfigFile(file), base, { checkOnly: true });
}
