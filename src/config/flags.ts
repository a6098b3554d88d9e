// nats-server's command line (server/opts.go ConfigureOptions, main.go usage), parsed by commander
// the way Go's `flag` package parses it: `-name`, `--name`, `-name=value`, `-name value` (a value is
// taken even when it starts with '-'), booleans only as `-name` or `-name=<bool>`, `--` ends the
// flags, and the first non-flag argument stops parsing. Multi-letter short flags (`-DV`, `-sl`,
// `-ms`, `-js`, `-sd`) are flags of their own, as in nats-server.

import { Command, CommanderError, Option } from 'commander';
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

/** The flag's commander long name: its first multi-letter name, else its only name (`-t` is `--t`). */
function longName(def: FlagDef): string {
  return def.names.find((n) => n.length > 1) ?? def.names[0]!;
}

/**
 * Why this exists: nats-server takes Go `flag` syntax, which commander reads differently (`-port`
 * as `-p ort`, `-DV` as `-D -V`, no `-D=false`, options after operands). So each recognised flag
 * is rewritten to `--<long>`, a value flag's value following as its own argument (commander takes
 * it even when it starts with '-'), a boolean's explicit value as `--<long>=<value>`; Go stops at
 * `--` or the first non-flag, so `--` and the rest follow. An unknown flag is passed on as
 * `--<name>` for commander to refuse, and ends the rewrite, as Go stops at the first error.
 * `written` is each flag's name as given, in order; `bad`, a token Go refuses as `bad flag syntax`
 * (commander has no such error), is reported once the flags before it parsed.
 */
function normalise(argv: readonly string[]): { tokens: string[]; written: string[]; bad?: string } {
  const tokens: string[] = [];
  const written: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const s = argv[i]!;
    if (s === '--') {
      i++;
      break;
    }
    if (s.length < 2 || s[0] !== '-') break;
    const body = s.slice(s[1] === '-' ? 2 : 1);
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    if (name === '' || name[0] === '-') return { tokens, written, bad: s };
    written.push(name);
    const def = BY_NAME.get(name);
    if (!def) return { tokens: [...tokens, `--${name}`], written };
    const long = `--${longName(def)}`;
    if (def.kind === 'bool') tokens.push(eq < 0 ? long : `${long}=${body.slice(eq + 1)}`);
    else if (eq >= 0) tokens.push(long, body.slice(eq + 1));
    else if (i + 1 < argv.length) tokens.push(long, argv[++i]!);
    else return { tokens: [...tokens, long], written }; // commander: missing argument
  }
  return { tokens: [...tokens, '--', ...argv.slice(i)], written };
}

/** Go's flag.FlagSet.Parse over nats-server's flags, with commander as the engine. Throws FlagError. */
export function parseFlags(argv: readonly string[]): ParsedFlags {
  const { tokens, written, bad } = normalise(argv);
  const given: ParsedFlags['given'] = [];
  // The flag being parsed: commander handles them one at a time, in `written`'s order.
  const current = (): string => written[given.length]!;
  const cmd = new Command()
    .helpOption(false) // -h is an ordinary flag: -v wins over it, and so does a later flag error
    .allowExcessArguments()
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} });
  const options = FLAGS.map((def): [FlagDef, Option] => {
    const long = longName(def);
    const short = def.names.find((n) => n.length === 1 && n !== long);
    const opt = new Option(`${short ? `-${short}, ` : ''}--${long} ${def.kind === 'bool' ? '[bool]' : '<value>'}`);
    if (def.kind === 'bool') {
      opt.argParser((s) => {
        const b = parseGoBool(s);
        if (b === undefined) throw new FlagError(`invalid boolean value ${JSON.stringify(s)} for -${current()}: parse error`);
        return b;
      });
    } else if (def.kind === 'int') {
      opt.argParser((s) => {
        const n = parseGoInt(s);
        if (typeof n === 'string') throw new FlagError(`invalid value ${JSON.stringify(s)} for flag -${current()}: ${n}`);
        return n;
      });
    }
    cmd.addOption(opt);
    // After commander's own listener (added by addOption), so the value is stored and parsed.
    cmd.on(`option:${opt.name()}`, () => {
      given.push({ name: current(), key: def.key, value: cmd.getOptionValue(opt.attributeName()) as FlagValue });
    });
    return [def, opt];
  });
  try {
    cmd.parse(tokens, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError && e.code === 'commander.unknownOption') {
      throw new FlagError(`flag provided but not defined: -${current()}`);
    }
    if (e instanceof CommanderError && e.code === 'commander.optionMissingArgument') {
      throw new FlagError(`flag needs an argument: -${current()}`);
    }
    throw e;
  }
  if (bad !== undefined) throw new FlagError(`bad flag syntax: ${bad}`);
  const values = new Map<string, FlagValue>();
  for (const [def, opt] of options) {
    const v = cmd.getOptionValue(opt.attributeName()) as FlagValue | undefined;
    if (v !== undefined) values.set(def.key, v);
  }
  return { values, given, args: cmd.args };
}

/** Flags that tsnats accepts and ignores (with a warning), as a `jetstream` block in a file. */
const IGNORED: Record<string, string> = {
  jetstream: 'JetStream',
  storeDir: 'JetStream',
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
