// nats-server's command line (server/opts.go ConfigureOptions, main.go usage), parsed the way
// Go's `flag` package parses it: `-name`, `--name`, `-name=value`, `-name value` (a value is
// taken even when it starts with '-'), booleans only as `-name` or `-name=<bool>`, `--` ends the
// flags, and the first non-flag argument stops parsing. Multi-letter short flags (`-DV`, `-sl`,
// `-ms`, `-js`, `-sd`) are flags of their own, as in nats-server.

import { ConfigError } from './conf.js';
import type { ClusterOptions, ServerOptions } from './types.js';
import { defaultClusterOptions, overrideCluster } from './cluster.js';
import { genTlsCheck } from './tls.js';

export type FlagKind = 'bool' | 'int' | 'string';

export interface FlagDef {
  names: readonly string[];
  kind: FlagKind;
  /** Where the value lands in ParsedFlags.values. */
  key: string;
}

/** Every flag nats-server 2.9.10 defines, plus tsnats's `--native`. */
export const FLAGS: readonly FlagDef[] = [
  { names: ['h', 'help'], kind: 'bool', key: 'help' },
  { names: ['port', 'p'], kind: 'int', key: 'port' },
  { names: ['n', 'name', 'server_name'], kind: 'string', key: 'serverName' },
  { names: ['addr', 'a', 'net'], kind: 'string', key: 'host' },
  { names: ['client_advertise'], kind: 'string', key: 'clientAdvertise' },
  { names: ['D', 'debug'], kind: 'bool', key: 'debug' },
  { names: ['V', 'trace'], kind: 'bool', key: 'trace' },
  { names: ['VV'], kind: 'bool', key: 'VV' },
  { names: ['DV'], kind: 'bool', key: 'DV' },
  { names: ['DVV'], kind: 'bool', key: 'DVV' },
  { names: ['T', 'logtime'], kind: 'bool', key: 'logtime' },
  { names: ['user'], kind: 'string', key: 'username' },
  { names: ['pass'], kind: 'string', key: 'password' },
  { names: ['auth'], kind: 'string', key: 'authorization' },
  { names: ['m', 'http_port'], kind: 'int', key: 'httpPort' },
  { names: ['ms', 'https_port'], kind: 'int', key: 'httpsPort' },
  { names: ['c', 'config'], kind: 'string', key: 'config' },
  { names: ['t'], kind: 'bool', key: 'checkConfig' },
  { names: ['sl', 'signal'], kind: 'string', key: 'signal' },
  { names: ['P', 'pid'], kind: 'string', key: 'pidFile' },
  { names: ['ports_file_dir'], kind: 'string', key: 'portsFileDir' },
  { names: ['l', 'log'], kind: 'string', key: 'logFile' },
  { names: ['log_size_limit'], kind: 'int', key: 'logSizeLimit' },
  { names: ['s', 'syslog'], kind: 'bool', key: 'syslog' },
  { names: ['r', 'remote_syslog'], kind: 'string', key: 'remoteSyslog' },
  { names: ['version', 'v'], kind: 'bool', key: 'version' },
  { names: ['profile'], kind: 'int', key: 'profile' },
  { names: ['routes'], kind: 'string', key: 'routes' },
  { names: ['cluster', 'cluster_listen'], kind: 'string', key: 'cluster' },
  { names: ['cluster_advertise'], kind: 'string', key: 'clusterAdvertise' },
  { names: ['no_advertise'], kind: 'bool', key: 'noAdvertise' },
  { names: ['connect_retries'], kind: 'int', key: 'connectRetries' },
  { names: ['cluster_name'], kind: 'string', key: 'clusterName' },
  { names: ['help_tls'], kind: 'bool', key: 'helpTls' },
  { names: ['tls'], kind: 'bool', key: 'tls' },
  { names: ['tlsverify'], kind: 'bool', key: 'tlsVerify' },
  { names: ['tlscert'], kind: 'string', key: 'tlsCert' },
  { names: ['tlskey'], kind: 'string', key: 'tlsKey' },
  { names: ['tlscacert'], kind: 'string', key: 'tlsCaCert' },
  { names: ['max_traced_msg_len'], kind: 'int', key: 'maxTracedMsgLen' },
  { names: ['js', 'jetstream'], kind: 'bool', key: 'jetstream' },
  { names: ['sd', 'store_dir'], kind: 'string', key: 'storeDir' },
  { names: ['native'], kind: 'string', key: 'native' },
];

const BY_NAME: ReadonlyMap<string, FlagDef> = new Map(FLAGS.flatMap((f) => f.names.map((n): [string, FlagDef] => [n, f])));

export type FlagValue = boolean | number | string;

export interface ParsedFlags {
  /** The last value given for each flag key. */
  values: Map<string, FlagValue>;
  /** The flags as given, in order (name as written, without dashes). */
  given: Array<{ name: string; key: string; value: FlagValue }>;
  /** Arguments after the flags. */
  args: string[];
}

/** A command line Go's flag package refuses; `message` is its text (e.g. `flag provided but not defined: -x`). */
export class FlagError extends Error {}

/** strconv.ParseBool */
export function parseGoBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

const INT_SYNTAX =
  /^[+-]?(?:0[xX]_?[0-9a-fA-F]+(?:_[0-9a-fA-F]+)*|0[oO]_?[0-7]+(?:_[0-7]+)*|0[bB]_?[01]+(?:_[01]+)*|0(?:_?[0-7]+)*|[1-9][0-9]*(?:_[0-9]+)*)$/;

/** strconv.ParseInt(s, 0, 64): a number, or Go's flag error text ("parse error", "value out of range"). */
export function parseGoInt(s: string): number | string {
  if (!INT_SYNTAX.test(s)) return 'parse error';
  let t = s.replace(/_/g, '');
  const neg = t.startsWith('-');
  if (t[0] === '-' || t[0] === '+') t = t.slice(1);
  let n: bigint;
  if (/^0[xX]/.test(t)) n = BigInt('0x' + t.slice(2));
  else if (/^0[oO]/.test(t)) n = BigInt('0o' + t.slice(2));
  else if (/^0[bB]/.test(t)) n = BigInt('0b' + t.slice(2));
  else if (t.length > 1 && t[0] === '0') n = BigInt('0o' + t.slice(1));
  else n = BigInt(t);
  if (neg) n = -n;
  if (n > (1n << 63n) - 1n || n < -(1n << 63n)) return 'value out of range';
  return Number(n);
}

/**
 * Go's flag.FlagSet.Parse (parseOne, flag by flag) over nats-server's flags. `-name` and `--name`
 * are the same; `-name=value`; a value flag otherwise takes the next argument, even one starting
 * with '-'; a boolean takes a value only as `-name=<bool>`. `--` ends the flags and is dropped;
 * the first argument that is not a flag ends them and is kept. Throws FlagError with Go's text at
 * the first error.
 */
export function parseFlags(argv: readonly string[]): ParsedFlags {
  const values = new Map<string, FlagValue>();
  const given: ParsedFlags['given'] = [];
  let i = 0;
  while (i < argv.length) {
    const s = argv[i]!;
    if (s.length < 2 || s[0] !== '-') break;
    if (s === '--') {
      i++;
      break;
    }
    const body = s.slice(s[1] === '-' ? 2 : 1);
    if (body === '' || body[0] === '-' || body[0] === '=') throw new FlagError(`bad flag syntax: ${s}`);
    i++;
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const def = BY_NAME.get(name);
    if (!def) throw new FlagError(`flag provided but not defined: -${name}`);
    let value: FlagValue;
    if (def.kind === 'bool') {
      if (eq < 0) value = true;
      else {
        const text = body.slice(eq + 1);
        const b = parseGoBool(text);
        if (b === undefined) throw new FlagError(`invalid boolean value ${JSON.stringify(text)} for -${name}: parse error`);
        value = b;
      }
    } else {
      let text: string;
      if (eq >= 0) text = body.slice(eq + 1);
      else if (i < argv.length) text = argv[i++]!;
      else throw new FlagError(`flag needs an argument: -${name}`);
      if (def.kind === 'int') {
        const n = parseGoInt(text);
        if (typeof n === 'string') throw new FlagError(`invalid value ${JSON.stringify(text)} for flag -${name}: ${n}`);
        value = n;
      } else value = text;
    }
    values.set(def.key, value);
    given.push({ name, key: def.key, value });
  }
  return { values, given, args: argv.slice(i) };
}

/** Flags that tsnats accepts and ignores (with a warning). */
const IGNORED: Record<string, string> = {
  syslog: 'syslog',
  remoteSyslog: 'syslog',
  profile: 'the profiling port',
};

/** Option fields a flag sets directly. */
const DIRECT: Record<string, keyof ServerOptions> = {
  port: 'port',
  serverName: 'serverName',
  host: 'host',
  clientAdvertise: 'clientAdvertise',
  username: 'username',
  password: 'password',
  authorization: 'authorization',
  httpPort: 'httpPort',
  httpsPort: 'httpsPort',
  pidFile: 'pidFile',
  portsFileDir: 'portsFileDir',
  logFile: 'logFile',
  logSizeLimit: 'logSizeLimit',
  maxTracedMsgLen: 'maxTracedMsgLen',
  debug: 'debug',
  trace: 'trace',
  logtime: 'logtime',
  jetstream: 'jetstream',
  storeDir: 'storeDir',
};

/** Cluster option fields a flag sets directly. */
const CLUSTER_DIRECT: Record<string, keyof ClusterOptions> = {
  clusterName: 'name',
  clusterAdvertise: 'advertise',
  noAdvertise: 'noAdvertise',
  connectRetries: 'connectRetries',
};

/**
 * Applies the flags given on the command line over `opts` (flags override the config file),
 * as nats-server's second fs.Parse and its fs.Visit pass do: plain flags first, then (Go visits
 * flags in lexical order) `-cluster`/`-cluster_listen` and `-routes`, the TLS flags, and last
 * `-DV`, `-DVV`, `-VV`. Returns warnings for ignored flags; throws ConfigError (nats-server's
 * text) for flags it refuses.
 */
export function applyFlags(opts: ServerOptions, flags: ParsedFlags): string[] {
  const warnings: string[] = [];
  const reported = new Set<string>();
  for (const { name, key, value } of flags.given) {
    const ignored = IGNORED[key];
    if (ignored && value !== '' && value !== false && value !== 0 && !reported.has(ignored)) {
      reported.add(ignored);
      warnings.push(`-${name}: ${ignored} is not supported by tsnats yet: ignored`);
    }
    if (key === 'httpsPort' && value !== 0) warnings.push(`-${name}: monitoring over https is not supported by tsnats yet: ignored`);
    const field = DIRECT[key];
    if (field) (opts as unknown as Record<string, FlagValue>)[field] = value;
    const clusterField = CLUSTER_DIRECT[key];
    if (clusterField) (clusterOf(opts) as unknown as Record<string, FlagValue>)[clusterField] = value;
  }
  applyClusterFlags(opts, flags);
  applyTlsFlags(opts, flags);
  // Checked after the TLS flags: solicited routes need a cluster (a listen address) to belong to.
  const routes = flags.values.get('routes');
  if (routes && !flags.values.get('cluster') && opts.cluster!.host === '' && opts.cluster!.port === 0) {
    throw new ConfigError('solicited routes require cluster capabilities, e.g. --cluster', undefined, 'validation');
  }
  for (const combo of ['DV', 'DVV', 'VV']) {
    const v = flags.values.get(combo);
    if (v === undefined) continue;
    if (combo !== 'VV') opts.debug = v as boolean;
    opts.trace = v as boolean;
  }
  return warnings;
}

/** The cluster options a flag changes: a copy of the file's, or new ones. */
function clusterOf(opts: ServerOptions): ClusterOptions {
  opts.cluster = { ...(opts.cluster ?? defaultClusterOptions()) };
  return opts.cluster;
}

/**
 * ConfigureOptions' fs.Visit for `-cluster`/`-cluster_listen` (overrideCluster: host, port and
 * route credentials from the URL; "" turns the listener off) and `-routes` (comma separated,
 * each trimmed; "" clears them).
 */
function applyClusterFlags(opts: ServerOptions, flags: ParsedFlags): void {
  const listen = flags.values.get('cluster') as string | undefined;
  if (listen !== undefined) {
    const err = overrideCluster(clusterOf(opts), listen);
    if (err !== undefined) throw new ConfigError(err, undefined, 'validation');
  }
  const routes = flags.values.get('routes') as string | undefined;
  if (routes !== undefined) clusterOf(opts).routes = routes === '' ? [] : routes.split(',').map((r) => r.trim());
}

const TLS_FLAGS = ['tls', 'tlscacert', 'tlscert', 'tlskey', 'tlsverify'] as const;
const TLS_FLAG_KEY: Record<(typeof TLS_FLAGS)[number], string> = {
  tls: 'tls',
  tlscacert: 'tlsCaCert',
  tlscert: 'tlsCert',
  tlskey: 'tlsKey',
  tlsverify: 'tlsVerify',
};

/**
 * ConfigureOptions' TLS flags: visited in lexical order, `-tls=false` drops the TLS config
 * (and later tls* flags are then ignored); any other tls flag (`--tlsverify` alone too) replaces
 * the file's TLS config with one built from the flags (overrideTLS: cert and key required).
 */
function applyTlsFlags(opts: ServerOptions, flags: ParsedFlags): void {
  let disabled = false;
  let override = false;
  for (const name of TLS_FLAGS) {
    const v = flags.values.get(TLS_FLAG_KEY[name]);
    if (v === undefined) continue;
    if (name === 'tls') {
      if (v === false) {
        opts.tls = null;
        disabled = true;
        override = false;
        continue;
      }
      override = true;
    } else if (!disabled) override = true;
  }
  if (!override) return;
  const str = (k: string): string => (flags.values.get(k) as string | undefined) ?? '';
  const cert = str('tlsCert');
  const key = str('tlsKey');
  if (cert === '') throw new ConfigError('TLS Server certificate must be present and valid', undefined, 'validation');
  if (key === '') throw new ConfigError('TLS Server private key must be present and valid', undefined, 'validation');
  const t = { certFile: cert, keyFile: key, caFile: str('tlsCaCert'), verify: flags.values.get('tlsVerify') === true };
  const err = genTlsCheck(t);
  if (err !== null) throw new ConfigError(err, undefined, 'validation');
  opts.tls = t;
}
