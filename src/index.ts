// tsnats as a library: start a NATS server inside a Node process.
//   const s = await startServer({ port: -1 }); ... await s.shutdown();

import type { Authenticator } from './client/auth.js';
import { loadCluster } from './cluster/index.js';
import { loadLeafNodes } from './leaf/index.js';
import { defaultOptions } from './config/options.js';
import type { ServerOptions } from './config/types.js';
import { loadImplementation, type NativeMode } from './native/load.js';
import { Logger } from './server/logger.js';
// The snapshots only: the HTTP monitor (src/monitor/monitor.ts) loads when a monitor port is set.
import { connz, type Connz, type ConnzOptions } from './monitor/connz.js';
import { subsz, type Subsz, type SubszOptions } from './monitor/subsz.js';
import { varz, type Varz } from './monitor/varz.js';
import type { Ports } from './server/ports-file.js';
import { Runtime } from './server/runtime.js';
import type { Server } from './server/server.js';

export type { ServerOptions } from './config/types.js';
export { Server } from './server/server.js';
export type { Ports } from './server/ports-file.js';
export type { Connz, ConnzOptions, Subsz, SubszOptions, Varz } from './monitor/monitor.js';
export type { AuthDecision, Authenticator, AuthRequest } from './client/auth.js';

export interface StartOptions extends Partial<ServerOptions> {
  /** Which scanner to use: off (TypeScript), auto (native if it loads), require (native or fail). */
  native?: NativeMode;
  /** Log lines go here (default: nothing, unless `logFile` is set). */
  log?: (line: string) => void;
  /**
   * Decides every CONNECT (credentials, name, address) instead of the configured auth methods:
   * return `{ allow: true, permissions? }` or `{ allow: false }`, or a promise of either.
   * INFO then says auth_required; a deny or a throw is `-ERR 'Authorization Violation'`.
   */
  authenticate?: Authenticator;
}

export interface ServerHandle {
  readonly server: Server;
  /** The client listener's bind host and bound port. */
  readonly host: string;
  readonly port: number;
  /** The monitoring HTTP port (0 when monitoring is off). */
  readonly httpPort: number;
  /** The URLs a ports file would list (`nats`, `monitoring`). */
  ports(): Ports;
  /** Monitoring snapshots: what `/varz`, `/connz`, `/subsz` answer, as objects (with or without `-m`). */
  varz(): Varz;
  connz(opts?: ConnzOptions): Connz;
  subsz(opts?: SubszOptions): Subsz;
  /**
   * Applies changed options to the running server, as a config reload does (limits, logging,
   * auth for new connections). Throws when a change cannot be reloaded; nothing is changed then.
   */
  reload(changes: Partial<ServerOptions>): void;
  /** Lame duck mode: stop accepting, close clients over lame_duck_duration, then shut down. */
  lameDuck(): Promise<void>;
  shutdown(): Promise<void>;
}

export async function startServer(options: StartOptions = {}): Promise<ServerHandle> {
  const { native, log, authenticate, ...rest } = options;
  // Taken as given (no baseline, no validation), so that tests can set any combination.
  const opts: ServerOptions = { ...defaultOptions(), ...rest };
  const loaded = loadImplementation(native);
  if (opts.cluster !== null) await loadCluster();
  if (opts.leafnode !== null) await loadLeafNodes();
  const logger = log !== undefined || opts.logFile === '' ? new Logger(opts, log ?? (() => {})) : Logger.forOptions(opts);
  const rt = new Runtime(opts, { impl: loaded.impl, implReason: loaded.reason, logger, authenticator: authenticate });
  try {
    await rt.start();
  } catch (e) {
    logger.close();
    throw e;
  }
  return {
    server: rt.server,
    host: opts.host,
    port: rt.server.port,
    httpPort: rt.monitor?.port ?? 0,
    ports: () => rt.ports(),
    varz: () => varz(rt.server),
    connz: (o) => connz(rt.server, o),
    subsz: (o) => subsz(rt.server, o),
    reload: (changes) => rt.reloadOptions({ ...rt.server.opts, ...changes }),
    lameDuck: () => rt.lameDuck(),
    shutdown: async () => {
      await rt.shutdown();
      if (log === undefined && opts.logFile !== '') logger.close();
    },
  };
}
