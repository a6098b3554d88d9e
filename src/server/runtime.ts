// The running server process around a Server: the startup banner and warnings, the pid file,
// the monitoring HTTP server, the client listener, the ports file; reload, lame duck mode, log
// reopening and shutdown. Shared by the command line (src/cli.ts) and the embedding API
// (src/index.ts), following the order of nats-server's Server.Start and Server.Shutdown.

import type { Authenticator } from '../client/auth.js';
import { ConfigError } from '../config/conf.js';
import { VERSION } from '../config/defaults.js';
import { validateOptions } from '../config/options.js';
import type { ServerOptions } from '../config/types.js';
import type { Implementation } from '../protocol/implementation.js';
import { goPathError, type Logger } from './logger.js';
import type { MonitorHandle } from '../monitor/monitor.js';
import type { WebsocketHandle } from '../websocket/listener.js';
import {
  deletePortsFile,
  formatURLs,
  joinHostPort,
  portsFilePath,
  programName,
  type Ports,
  writePidFile,
  writePortsFile,
} from './ports-file.js';
import { planReload } from './reload.js';
import { Server, goJSON } from './server.js';
import { resolve as resolvePath } from 'node:path';
import { nodeHash } from './server-id.js';
import type { SignalTarget } from './signals.js';

/** MAX_PAYLOAD_MAX_SIZE: nats-server warns above it (friendlyBytes prints "8.00 MB"). */
const MAX_PAYLOAD_MAX_SIZE = 8 * 1024 * 1024;

export interface RuntimeDeps {
  impl: Implementation;
  implReason: string;
  /** An embedder's authenticate function (startServer). */
  authenticator?: Authenticator;
  logger: Logger;
  /** Re-reads the options for a reload (config file + flags); absent = nothing to reload from. */
  load?: () => ServerOptions;
  /** The program name in the ports file name (default: the script's basename). */
  program?: string;
  /** tsnats's own version, for the banner. */
  tsnatsVersion?: string;
}

/** A failure to start, already logged as nats-server logs it (`[FTL] ...`). */
export class StartError extends Error {}

function bcrypted(p: string): boolean {
  return /^\$2[abxy]\$/.test(p);
}

export class Runtime implements SignalTarget {
  readonly server: Server;
  readonly logger: Logger;
  monitor: MonitorHandle | null = null;
  /** The WebSocket listener, when the config has a websocket block with a port. */
  websocket: WebsocketHandle | null = null;
  private readonly load: (() => ServerOptions) | undefined;
  private readonly program: string;
  private readonly tsnatsVersion: string;
  /** The ports file written, '' when none. */
  private portsFile = '';
  private finished: Promise<void> | null = null;
  private lameDuckDone: Promise<void> | null = null;

  constructor(opts: ServerOptions, deps: RuntimeDeps) {
    this.logger = deps.logger;
    this.load = deps.load;
    this.program = deps.program ?? programName();
    this.tsnatsVersion = deps.tsnatsVersion ?? '';
    this.server = new Server(opts, {
      impl: deps.impl,
      implReason: deps.implReason,
      logger: deps.logger,
      authenticator: deps.authenticator,
    });
  }

  get opts(): ServerOptions {
    return this.server.opts;
  }

  get isLameDuck(): boolean {
    return this.server.isLameDuck;
  }

  get isShuttingDown(): boolean {
    return this.server.isShuttingDown;
  }

  debug(text: string): void {
    this.logger.log('DBG', text);
  }

  /** Everything nats-server's Start does, in its order. Throws StartError (logged) on failure. */
  async start(): Promise<void> {
    const o = this.opts;
    const log = this.logger;
    const s = this.server;
    log.info('Starting nats-server');
    log.info(`  Version:  ${VERSION}`);
    log.info('  Git:      [not set]');
    if (s.cluster !== null) log.info(`  Cluster:  ${s.cluster.name}`);
    log.info(`  tsnats:   ${this.tsnatsVersion ? this.tsnatsVersion + ' ' : ''}(node ${process.version})`);
    log.info(`  Parser:   ${s.impl.name} (${s.implReason})`);
    log.info(`  Name:     ${s.name}`);
    if (o.jetstream) log.info(`  Node:     ${nodeHash(s.name)}`);
    log.info(`  ID:       ${s.id}`);
    if (o.configFile) log.info(`Using configuration file: ${o.configFile}`);
    if (o.trustedOperators.length > 0) log.info('Trusted Operators');
    for (const op of o.trustedOperators) {
      log.info(`  System  : ${goJSON(op.audience)}`);
      log.info(`  Operator: ${goJSON(op.name)}`);
      log.info(`  Issued  : ${goTime(op.issuedAt)}`);
      log.info(`  Expires : ${op.expires === 0 ? 'Never' : goTime(op.expires)}`);
    }
    if (o.trustedOperators.length > 0 && o.systemAccount === '') log.warn('Trusted Operators should utilize a System Account');
    this.checkAuthForWarnings();
    if (o.maxPayload > MAX_PAYLOAD_MAX_SIZE) {
      log.warn('Maximum payloads over 8.00 MB are generally discouraged and could lead to poor performance');
    }
    if (Object.keys(o.jsAccDefaultDomain).length > 0) log.warn('The option `default_js_domain` is a temporary backwards compatibility measure and will be removed');
    if (o.pidFile !== '') {
      try {
        writePidFile(o.pidFile);
      } catch (e) {
        this.fail(`Could not write pidfile: ${goPathError(e, 'open', o.pidFile)}`);
      }
    }
    if (o.httpPort !== 0) await this.startMonitoring();
    if (o.trustedOperators.length > 0 && o.resolver?.type === 'full') {
      log.info(`Managing all jwt in exclusive directory ${resolvePath(o.resolver.dir)}`);
    }
    s.startResolver();
    // The system account's eventing (after the resolver, which may bootstrap the account).
    const { systemViews } = await import('../monitor/system-views.js');
    await s.startSystem(systemViews(s));
    try {
      await s.startJetStream();
    } catch (e) {
      await this.monitor?.close();
      this.monitor = null;
      this.fail(`Can't start JetStream: ${(e as Error).message}`);
    }
    if (o.websocket !== null && o.websocket.port !== 0) await this.startWebsocket();
    // nats-server's order: the leafnode listener and the remotes before the client listener.
    try {
      await s.startLeafNodes();
    } catch (e) {
      this.stopWebsocket();
      await s.shutdown();
      await this.monitor?.close();
      this.monitor = null;
      this.fail(`Error listening on leafnode port: ${o.leafnode!.port} - ${listenError(e, o.leafnode!.host, o.leafnode!.port)}`);
    }
    try {
      await s.listen();
    } catch (e) {
      this.stopWebsocket();
      await this.monitor?.close();
      this.monitor = null;
      this.fail(`Error listening on port: ${joinHostPort(o.host, o.port === -1 ? 0 : o.port)}, "${listenError(e, o.host, o.port)}"`);
    }
    log.info(`Listening for client connections on ${joinHostPort(o.host, s.port)}`);
    if (o.tls !== null) log.info('TLS required for client connections');
    log.info('Server is ready');
    try {
      await s.startCluster();
    } catch (e) {
      this.stopWebsocket();
      await s.shutdown();
      await this.monitor?.close();
      this.monitor = null;
      this.fail(`Error listening on router port: ${o.cluster!.port} - ${listenError(e, o.cluster!.host, o.cluster!.port)}`);
    }
    // nats-server writes it from a goroutine once the listeners are up: after "Server is ready".
    this.writePorts();
  }

  private fail(text: string): never {
    this.logger.fatal(text);
    throw new StartError(text);
  }

  /** nats-server's checkAuthforWarnings (users without a password are fine with verify_and_map). */
  private checkAuthForWarnings(): void {
    const o = this.opts;
    const plain =
      (o.password !== '' && !bcrypted(o.password)) ||
      (o.users ?? []).some((u) => !(u.password === '' && o.tlsMap) && !bcrypted(u.password));
    if (plain) this.logger.warn('Plaintext passwords detected, use nkeys or bcrypt');
  }

  /** nats-server's StartMonitoring. The monitor's code (and node:http) loads only here. */
  private async startMonitoring(): Promise<void> {
    const o = this.opts;
    const { startMonitor } = await import('../monitor/monitor.js');
    try {
      this.monitor = await startMonitor(this.server, this.logger);
    } catch (e) {
      const host = o.httpHost || o.host;
      this.fail(`Can't start monitoring: can't listen to the monitor port: ${listenError(e, host, o.httpPort)}`);
    }
    this.logger.info(`Starting http monitor on ${joinHostPort(this.monitor.host, this.monitor.port)}`);
  }

  /**
   * nats-server's startWebsocketServer (before the client listener, as nats-server logs it). The
   * WebSocket code loads only here.
   */
  private async startWebsocket(): Promise<void> {
    const wo = this.opts.websocket!;
    const { startWebsocket } = await import('../websocket/listener.js');
    try {
      this.websocket = await startWebsocket(this.server, this.logger);
    } catch (e) {
      await this.monitor?.close();
      this.monitor = null;
      this.fail(`Unable to listen for websocket connections: ${listenError(e, wo.host, wo.port)}`);
    }
  }

  /** Stops accepting WebSocket connections. */
  private stopWebsocket(): void {
    this.websocket?.close();
    this.websocket = null;
  }

  /** The URLs the ports file lists (nats-server's PortsInfo). */
  ports(): Ports {
    const p: Ports = { nats: formatURLs('nats', this.opts.host, this.server.port) };
    const cl = this.opts.cluster;
    if (this.server.cluster !== null && cl !== null && this.server.cluster.port > 0) {
      p.cluster = formatURLs('nats', cl.host, this.server.cluster.port);
    }
    if (this.monitor) p.monitoring = formatURLs('http', this.monitor.host, this.monitor.port);
    if (this.websocket) p.websocket = formatURLs(this.websocket.scheme, this.websocket.host, this.websocket.port);
    const ln = this.opts.leafnode;
    if (this.server.leafnodes !== null && ln !== null && this.server.leafnodes.port > 0) {
      p.leafnode = formatURLs('nats-leaf', ln.host, this.server.leafnodes.port);
    }
    return p;
  }

  /** logPorts: `<ports_file_dir>/<program>_<pid>.ports`, once the listeners are bound. */
  private writePorts(): void {
    const file = portsFilePath(this.opts.portsFileDir, this.program);
    if (file === '') return;
    try {
      writePortsFile(file, this.ports());
      this.portsFile = file;
    } catch (e) {
      this.logger.error(`Error writing ports file (${file}): ${goPathError(e, 'open', file)}`);
    }
  }

  private removePorts(): void {
    if (this.portsFile === '') return;
    const err = deletePortsFile(this.portsFile);
    if (err !== '') this.logger.error(`Error cleaning up ports file ${this.portsFile}: ${err}`);
    this.portsFile = '';
  }

  // ---- reload (SIGHUP) ----

  /** SIGHUP: re-read the configuration and apply it; failures are logged, the old options kept. */
  reload(): void {
    try {
      if (!this.load) throw new Error('can only reload config when a file is provided using -c or --config');
      this.reloadOptions(this.load());
    } catch (e) {
      const text = e instanceof ConfigError ? e.natsText.replace(/\n$/, '') : (e as Error).message;
      this.logger.error(`Failed to reload server configuration: ${text}`);
    }
  }

  /**
   * Applies new options to the running server (nats-server's ReloadOptions): all or nothing.
   * Throws ReloadError (a change that cannot be reloaded) or ConfigError (invalid options).
   */
  reloadOptions(next: ServerOptions): void {
    const cur = this.opts;
    const changes = planReload(cur, next);
    if (changes.length > 0) validateOptions(next);
    const old = { ...cur };
    this.server.applyOptions(next);
    let logging = false;
    for (const ch of changes) {
      switch (ch.effect) {
        case 'logging':
          logging = true;
          break;
        case 'maxConnections': {
          const closed = this.server.closeOverMaxConnections(next.maxConnections);
          if (closed > 0) this.logger.info(`Closed ${closed} connections to fall within max_connections`);
          break;
        }
        case 'pidFile':
          if (next.pidFile !== '') {
            try {
              writePidFile(next.pidFile);
            } catch (e) {
              this.logger.error(`Failed to write pidfile: ${goPathError(e, 'open', next.pidFile)}`);
            }
          }
          break;
        case 'portsFileDir':
          if (old.portsFileDir !== '') this.removePorts();
          this.writePorts();
          break;
        case 'cluster':
          this.server.cluster?.reconfigure(next.cluster!);
          break;
        case 'routes':
          this.server.cluster?.reloadRoutes(next.cluster!.routes);
          break;
        case 'none':
          break;
      }
      if (ch.log !== '') this.logger.info(ch.log);
    }
    if (logging) {
      try {
        this.logger.configure(this.opts);
      } catch (e) {
        this.logger.error(`error opening file: ${goPathError(e, 'open', this.opts.logFile)}`);
      }
    }
    // nats-server reloads authorization on every reload (users always count as changed).
    this.server.recheckAuthorization();
    this.logger.info('Reloaded server configuration');
  }

  // ---- SIGUSR1, SIGUSR2, shutdown ----

  reopenLog(): void {
    try {
      if (this.logger.reopen()) this.logger.info('File log re-opened');
      else this.logger.info('File log re-open ignored, not a file logger');
    } catch (e) {
      this.logger.error(`error opening file: ${goPathError(e, 'open', this.logger.logFile)}`);
    }
  }

  /** SIGUSR2: lame duck mode, then the rest of the shutdown. Resolves when all is closed. */
  lameDuck(): Promise<void> {
    this.lameDuckDone ??= (async () => {
      this.stopWebsocket();
      await this.server.lameDuckMode();
      await this.finish();
    })();
    return this.lameDuckDone;
  }

  /** Graceful shutdown: connections, monitor, ports file. Idempotent. */
  async shutdown(): Promise<void> {
    this.stopWebsocket();
    await this.server.shutdown();
    await this.finish();
  }

  /** The end of nats-server's Shutdown, after the connections are closed. */
  private finish(): Promise<void> {
    this.finished ??= (async () => {
      await this.server.shutdown();
      const m = this.monitor;
      this.monitor = null;
      if (m) await m.close().catch(() => {});
      this.removePorts();
      this.logger.info('Server Exiting..');
    })();
    return this.finished;
  }
}

/** A listen error as Go prints it: `listen tcp 127.0.0.1:4222: bind: address already in use`. */
function listenError(e: unknown, host: string, port: number): string {
  const err = e as NodeJS.ErrnoException;
  const hp = joinHostPort(host, port === -1 ? 0 : port);
  if (err.code === 'EADDRINUSE') return `listen tcp ${hp}: bind: address already in use`;
  if (err.code === 'EACCES') return `listen tcp ${hp}: bind: permission denied`;
  if (err.code === 'EADDRNOTAVAIL') return `listen tcp ${hp}: bind: cannot assign requested address`;
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return `listen tcp: lookup ${host}: no such host`;
  return err.message;
}

/** Go's time.Time %v of a Unix time (seconds), in local time: `2026-12-06 06:54:49 +0000 UTC`. */
function goTime(sec: number): string {
  const d = new Date(sec * 1000);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  const zone = `${off < 0 ? '-' : '+'}${p2(Math.floor(Math.abs(off) / 60))}${p2(Math.abs(off) % 60)}`;
  const date = `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
  return `${date} ${zone} ${off === 0 ? 'UTC' : zone}`;
}
