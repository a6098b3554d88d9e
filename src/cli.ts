#!/usr/bin/env node
// The tsnats command line: nats-server's flags (Go flag syntax) and config file turned into
// options, then the runtime started and the signals wired. The behaviour follows nats-server's
// main.go and server/opts.go ConfigureOptions; what runs is in src/server/runtime.ts.

import { readFileSync } from 'node:fs';
import { loadCluster } from './cluster/index.js';
import { loadLeafNodes } from './leaf/index.js';
import { ConfigError, parseConfigFile } from './config/conf.js';
import { VERSION } from './config/defaults.js';
import { applyFlags, FlagError, parseFlags, type ParsedFlags } from './config/flags.js';
import { checkConfigFile, defaultOptions, optionsFromConfig, setBaselineOptions, validateOptions } from './config/options.js';
import type { ServerOptions } from './config/types.js';
import { loadImplementation, type NativeMode } from './native/load.js';
import { goPathError, Logger } from './server/logger.js';
import { programName } from './server/ports-file.js';
import { Runtime, StartError } from './server/runtime.js';
import { handleSignals, sendSignal } from './server/signals.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

/** The process name: `nats-server` through a symlink or wrapper of that name, else `tsnats`. */
function processTitle(): string {
  const base = programName().replace(/\.[cm]?js$/, '');
  return base === 'cli' || base === '' ? 'tsnats' : base;
}

const EXE = processTitle();

function usage(): string {
  return `
Usage: ${EXE} [options]

Server Options:
    -a, --addr, --net <host>         Bind to host address (default: 0.0.0.0)
    -p, --port <port>                Use port for clients (default: 4222)
    -n, --name
        --server_name <server_name>  Server name (default: auto)
    -P, --pid <file>                 File to store PID
    -m, --http_port <port>           Use port for http monitoring
    -ms,--https_port <port>          Use port for https monitoring
    -c, --config <file>              Configuration file
    -t                               Test configuration and exit
    -sl,--signal <signal>[=<pid>]    Send signal to ${EXE} process (ldm, stop, quit, term, reopen, reload)
                                     pid> can be either a PID (e.g. 1) or the path to a PID file (e.g. /var/run/${EXE}.pid)
        --client_advertise <string>  Client URL to advertise to other servers
        --ports_file_dir <dir>       Creates a ports file in the specified directory (<executable_name>_<pid>.ports).

Logging Options:
    -l, --log <file>                 File to redirect log output
    -T, --logtime                    Timestamp log entries (default: true)
    -s, --syslog                     Log to syslog or windows event log
    -r, --remote_syslog <addr>       Syslog server addr (udp://localhost:514)
    -D, --debug                      Enable debugging output
    -V, --trace                      Trace the raw protocol
    -VV                              Verbose trace (traces system account as well)
    -DV                              Debug and trace
    -DVV                             Debug and verbose trace (traces system account as well)
        --log_size_limit <limit>     Logfile size limit (default: auto)
        --max_traced_msg_len <len>   Maximum printable length for traced messages (default: unlimited)

JetStream Options:
    -js, --jetstream                 Enable JetStream functionality
    -sd, --store_dir <dir>           Set the storage directory

Authorization Options:
        --user <user>                User required for connections
        --pass <password>            Password required for connections
        --auth <token>               Authorization token required for connections

TLS Options:
        --tls                        Enable TLS, do not verify clients (default: false)
        --tlscert <file>             Server certificate file
        --tlskey <file>              Private key for server certificate
        --tlsverify                  Enable TLS, verify client certificates
        --tlscacert <file>           Client certificate CA for verification

Cluster Options:
        --routes <rurl-1, rurl-2>    Routes to solicit and connect
        --cluster <cluster-url>      Cluster URL for solicited routes
        --cluster_name <string>      Cluster Name, if not set one will be dynamically generated
        --no_advertise <bool>        Do not advertise known cluster information to clients
        --cluster_advertise <string> Cluster URL to advertise to other servers
        --connect_retries <number>   For implicit routes, number of connect retries
        --cluster_listen <url>       Cluster url from which members can solicit routes

Profiling Options:
        --profile <port>             Profiling HTTP port

tsnats Options:
        --native <off|auto|require>  Native scanner (default: $TSNATS_NATIVE or auto)

Common Options:
    -h, --help                       Show this message
    -v, --version                    Show version
        --help_tls                   TLS help

tsnats ${pkg.version} speaks the nats-server ${VERSION} protocol. JetStream runs on this server only
(no clustered JetStream); syslog and profiling options are accepted and ignored (with a warning).
`;
}

/** nats-server's PrintAndDie: the message on stderr, exit 1. */
function die(msg: string): never {
  process.stderr.write(`${EXE}: ${msg}\n`);
  process.exit(1);
}

/**
 * Defaults, then the config file, then the flags (flags override the file), then nats-server's
 * baseline and validation. `warnings` receives nats-server's config warnings; `notices` the
 * keys and flags tsnats accepts and ignores.
 */
function buildOptions(flags: ParsedFlags, warnings: ConfigError[], notices: string[]): ServerOptions {
  const config = flags.values.get('config') as string | undefined;
  let opts = defaultOptions();
  if (config) {
    const confNotices: ConfigError[] = [];
    opts = optionsFromConfig(parseConfigFile(config), opts, { warnings, notices: confNotices });
    notices.push(...confNotices.map((n) => n.message));
  }
  notices.push(...applyFlags(opts, flags));
  setBaselineOptions(opts);
  validateOptions(opts);
  return opts;
}

function goStdTime(d = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

async function main(argv: string[]): Promise<void> {
  let flags: ParsedFlags;
  try {
    flags = parseFlags(argv);
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    // Go's flag package: the error on stderr, then the usage, whose handler exits 0.
    process.stderr.write(`${e.message}\n`);
    process.stdout.write(usage() + '\n');
    process.exit(0);
  }
  const v = flags.values;
  const printVersion = (): never => {
    process.stdout.write(`${EXE}: v${VERSION} (tsnats ${pkg.version})\n`);
    process.exit(0);
  };
  const printHelp = (): never => {
    process.stdout.write(usage() + '\n');
    process.exit(0);
  };
  if (v.get('version') === true) printVersion();
  if (v.get('help') === true) printHelp();
  if (v.get('helpTls') === true) {
    process.stdout.write('TLS is not supported by tsnats yet.\n');
    process.exit(0);
  }
  if (flags.args.length > 0) {
    const arg = flags.args[0]!;
    if (arg.toLowerCase() === 'version') printVersion();
    if (arg.toLowerCase() === 'help') printHelp();
    die(`unrecognized command: ${JSON.stringify(arg)}`);
  }

  const signal = v.get('signal') as string | undefined;
  if (signal !== undefined && signal !== '') {
    try {
      sendSignal(signal, EXE);
    } catch (e) {
      die((e as Error).message);
    }
    process.exit(0);
  }

  const config = v.get('config') as string | undefined;
  if (v.get('checkConfig') === true) {
    if (!config) die('must specify [-c, --config] option to check configuration file syntax');
    try {
      checkConfigFile(config);
    } catch (e) {
      if (e instanceof ConfigError) die(e.natsText);
      throw e;
    }
    process.stderr.write(`${EXE}: configuration file ${config} is valid\n`);
    process.exit(0);
  }

  const native = v.get('native') as string | undefined;
  if (native !== undefined && !['off', 'auto', 'require'].includes(native)) {
    die(`invalid value ${JSON.stringify(native)} for --native: want off, auto or require`);
  }

  const warnings: ConfigError[] = [];
  const notices: string[] = [];
  let opts: ServerOptions;
  try {
    opts = buildOptions(flags, warnings, notices);
  } catch (e) {
    if (e instanceof ConfigError) die(e.natsText);
    throw e;
  }

  let logger: Logger;
  try {
    logger = Logger.forOptions(opts);
  } catch (e) {
    // Go's log.Fatalf from NewFileLogger.
    process.stderr.write(`${goStdTime()} error opening file: ${goPathError(e, 'open', opts.logFile)}\n`);
    process.exit(1);
  }
  for (const w of warnings) logger.warn(w.message);
  for (const n of notices) logger.warn(n);

  let loaded: ReturnType<typeof loadImplementation>;
  try {
    loaded = loadImplementation(native as NativeMode | undefined);
  } catch (e) {
    logger.fatal((e as Error).message);
    process.exit(1);
  }

  process.title = EXE;
  if (opts.cluster !== null) await loadCluster();
  if (opts.leafnode !== null) await loadLeafNodes();
  const load = config
    ? (): ServerOptions => {
        // nats-server's Reload refuses a file with warnings too.
        const w: ConfigError[] = [];
        const next = buildOptions(flags, w, []);
        if (w.length > 0) throw ConfigError.aggregate(w);
        return next;
      }
    : undefined;
  const runtime = new Runtime(opts, {
    impl: loaded.impl,
    implReason: loaded.reason,
    logger,
    load,
    tsnatsVersion: pkg.version,
  });
  const exit = (code: number): void => {
    logger.close();
    process.exit(code);
  };
  // Signals are handled from the start: a SIGTERM during startup still shuts down cleanly.
  handleSignals(runtime, exit);
  try {
    await runtime.start();
  } catch (e) {
    // Already logged as [FTL]; nats-server's Fatalf exits at once.
    if (e instanceof StartError) exit(1);
    throw e;
  }
}

void main(process.argv.slice(2));
