// The server's options after defaults, config file and flags are merged.
// Durations are in milliseconds, sizes in bytes.

export interface ServerOptions {
  host: string;
  port: number; // -1 = random
  serverName: string; // '' = use the server id
  clientAdvertise: string;
  maxPayload: number;
  maxPending: number;
  maxControlLine: number;
  maxConnections: number;
  maxSubscriptions: number; // 0 = unlimited
  pingIntervalMs: number;
  pingMax: number;
  writeDeadlineMs: number;
  noHeaderSupport: boolean;
  debug: boolean;
  trace: boolean;
  logtime: boolean;
  /** The config file these options were read from, if any. */
  configFile: string;
}
