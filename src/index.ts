// tsnats as a library: start a NATS server inside a Node process.
//   const s = await startServer({ port: -1 }); ... await s.shutdown();

import { defaultOptions } from './config/options.js';
import type { ServerOptions } from './config/types.js';
import { loadImplementation, type NativeMode } from './native/load.js';
import { Logger } from './server/logger.js';
import { Server } from './server/server.js';

export type { ServerOptions } from './config/types.js';
export { Server } from './server/server.js';

export interface StartOptions extends Partial<ServerOptions> {
  /** Which scanner to use: off (TypeScript), auto (native if it loads), require (native or fail). */
  native?: NativeMode;
  /** Log lines go here (default: nothing for embedded servers). */
  log?: (line: string) => void;
}

export interface ServerHandle {
  readonly server: Server;
  readonly host: string;
  readonly port: number;
  shutdown(): Promise<void>;
}

export async function startServer(options: StartOptions = {}): Promise<ServerHandle> {
  const { native, log, ...rest } = options;
  const opts: ServerOptions = { ...defaultOptions(), ...rest };
  const loaded = loadImplementation(native);
  const logger = new Logger(opts, log ?? (() => {}));
  const server = new Server(opts, { impl: loaded.impl, implReason: loaded.reason, logger });
  await server.listen();
  return {
    server,
    host: opts.host,
    port: server.port,
    shutdown: () => server.shutdown(),
  };
}
