#!/usr/bin/env node
// The tsnats command line: nats-server's flags turned into options; no server logic here.

import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { VERSION } from './config/defaults.js';
import { defaultOptions, optionsFromConfig, setBaselineOptions, validateOptions } from './config/options.js';
import { ConfigError, parseConfigFile } from './config/conf.js';
import type { ServerOptions } from './config/types.js';
import { loadImplementation, type NativeMode } from './native/load.js';
import { Logger } from './server/logger.js';
import { Server } from './server/server.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

interface Flags {
  port?: string;
  addr?: string;
  net?: string;
  config?: string;
  serverName?: string;
  debug?: boolean;
  trace?: boolean;
  logtime?: boolean;
  native?: NativeMode;
  user?: string;
  pass?: string;
  auth?: string;
}

function parseArgs(argv: string[]): Flags {
  const program = new Command('tsnats')
    .description('A NATS server (nats-server 2.9.10 protocol) in TypeScript')
    .helpOption('-h, --help', 'Show this message')
    .version(`tsnats ${pkg.version} (nats-server ${VERSION} protocol)`, '-v, --version', 'Show version')
    .option('-a, --addr <host>', 'Bind to host address (default: 0.0.0.0)')
    .option('--net <host>', 'Bind to host address (same as --addr)')
    .option('-p, --port <port>', 'Use port for clients (default: 4222, -1 for random)')
    .option('-n, --server_name <name>', 'Server name (default: the server id)')
    .option('-c, --config <file>', 'Configuration file')
    .option('-D, --debug', 'Enable debugging output')
    .option('-V, --trace', 'Trace the raw protocol')
    .option('-T, --logtime [bool]', 'Timestamp log entries (default: true)')
    .option('--user <user>', 'User required for connections')
    .option('--pass <password>', 'Password required for connections')
    .option('--auth <token>', 'Authorization token required for connections')
    .addOption(
      new Option('--native <mode>', 'Native scanner: off, auto or require (default: $TSNATS_NATIVE or auto)').choices([
        'off',
        'auto',
        'require',
      ]),
    )
    .allowExcessArguments(false);
  program.parse(argv);
  const o = program.opts<Record<string, unknown>>();
  return {
    port: o.port as string | undefined,
    addr: o.addr as string | undefined,
    net: o.net as string | undefined,
    config: o.config as string | undefined,
    serverName: o.server_name as string | undefined,
    debug: o.debug as boolean | undefined,
    trace: o.trace as boolean | undefined,
    logtime: o.logtime === undefined ? undefined : o.logtime !== 'false',
    native: o.native as NativeMode | undefined,
    user: o.user as string | undefined,
    pass: o.pass as string | undefined,
    auth: o.auth as string | undefined,
  };
}

function buildOptions(flags: Flags, warnings: ConfigError[]): ServerOptions {
  let opts = defaultOptions();
  if (flags.config) opts = optionsFromConfig(parseConfigFile(flags.config), opts, { warnings });
  const host = flags.addr ?? flags.net;
  if (host !== undefined) opts.host = host;
  if (flags.port !== undefined) {
    const port = Number(flags.port);
    if (!Number.isInteger(port) || port < -1 || port > 65535) throw new ConfigError(`invalid port: ${flags.port}`);
    opts.port = port;
  }
  if (flags.serverName !== undefined) opts.serverName = flags.serverName;
  if (flags.debug) opts.debug = true;
  if (flags.trace) opts.trace = true;
  if (flags.logtime !== undefined) opts.logtime = flags.logtime;
  if (flags.user !== undefined) opts.username = flags.user;
  if (flags.pass !== undefined) opts.password = flags.pass;
  if (flags.auth !== undefined) opts.authorization = flags.auth;
  setBaselineOptions(opts);
  validateOptions(opts);
  return opts;
}

async function main(): Promise<void> {
  const flags = parseArgs(process.argv);
  let opts: ServerOptions;
  const warnings: ConfigError[] = [];
  try {
    opts = buildOptions(flags, warnings);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tsnats: ${err.natsText}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = new Logger(opts);
  for (const w of warnings) logger.warn(w.message);
  const loaded = loadImplementation(flags.native);
  const server = new Server(opts, { impl: loaded.impl, implReason: loaded.reason, logger });
  logger.info(`Starting tsnats ${pkg.version}`);
  logger.info(`  Version:  ${VERSION} (protocol of nats-server)`);
  logger.info(`  Parser:   ${loaded.impl.name} (${loaded.reason})`);
  logger.info(`  Name:     ${server.name}`);
  logger.info(`  ID:       ${server.id}`);
  if (opts.configFile) logger.info(`Using configuration file: ${opts.configFile}`);
  try {
    await server.listen();
  } catch (err) {
    logger.log('FTL', `Error listening on port: ${opts.host}:${opts.port}, "${(err as Error).message}"`);
    process.exit(1);
  }
  logger.info(`Listening for client connections on ${opts.host}:${server.port}`);
  logger.info('Server is ready');

  const stop = (signal: string, code: number) => {
    logger.info(`Trapped "${signal}" signal`);
    void server.shutdown().then(() => {
      logger.info('Server Exiting..');
      process.exit(code);
    });
  };
  process.on('SIGINT', () => stop('interrupt', 0));
  process.on('SIGTERM', () => stop('terminated', 1));
}

void main();
