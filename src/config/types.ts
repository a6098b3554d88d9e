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
  maxSubTokens: number; // 0 = unlimited
  pingIntervalMs: number;
  pingMax: number;
  writeDeadlineMs: number;
  noHeaderSupport: boolean;
  debug: boolean;
  trace: boolean;
  logtime: boolean;
  /** The config file these options were read from, if any. */
  configFile: string;

  // Monitoring HTTP (nats-server's HTTPHost/HTTPPort/HTTPSPort/HTTPBasePath).
  httpHost: string; // '' = same as host
  httpPort: number; // 0 = off, -1 = random
  httpsPort: number; // accepted, not served (no monitoring over TLS yet)
  httpBasePath: string;
  /** Closed connections kept for /connz?state=closed. */
  maxClosedClients: number;

  // Operating the process (nats-server's PidFile, PortsFileDir, LogFile, LogSizeLimit,
  // MaxTracedMsgLen, LameDuckDuration, LameDuckGracePeriod).
  /** Write the pid here at start ('' = no pid file). */
  pidFile: string;
  /** Write `<program>_<pid>.ports` here once listening ('' = no ports file). */
  portsFileDir: string;
  /** Log to this file instead of stderr ('' = stderr). */
  logFile: string;
  /** Rotate the log file past this many bytes (0 = never). */
  logSizeLimit: number;
  /** Truncate traced payloads to this many bytes (0 = unlimited). */
  maxTracedMsgLen: number;
  /** Lame duck mode: spread client closes over this long (>= 30 s). */
  lameDuckDurationMs: number;
  /** Lame duck mode: wait this long before closing the first client (< duration). */
  lameDuckGracePeriodMs: number;

  // Client authentication (nats-server's Options names in camelCase).
  /** Single user (`authorization { user, password }`, `--user/--pass`). */
  username: string;
  password: string;
  /** Single token (`authorization { token }`, `--auth`). */
  authorization: string;
  /** `authorization { users: [...] }`; null when not configured. */
  users: UserEntry[] | null;
  /** The nkey entries of `users`; null when there are none. */
  nkeys: NkeyUser[] | null;
  /** User for CONNECTs without credentials. */
  noAuthUser: string;
  /** `authorization { timeout }` in ms; 0 = default. */
  authTimeoutMs: number;
  /** `authorization { permissions }` / `default_permissions`; null when not configured. */
  defaultPermissions: Permissions | null;

  // Client TLS (nats-server's TLSConfig, TLSTimeout, AllowNonTLS).
  /** `tls { }` / `--tls*`; null = no TLS. */
  tls: TlsOptions | null;
  /** `tls { timeout }` in ms; 0 = default (TLS_TIMEOUT_MS). */
  tlsTimeoutMs: number;
  /** `allow_non_tls`: TLS is offered, not required (INFO `tls_available`). */
  allowNonTls: boolean;
}

export interface TlsOptions {
  certFile: string;
  keyFile: string;
  caFile: string;
  /** Require and verify client certificates. */
  verify: boolean;
}

export interface SubjectPermission {
  allow: string[] | null;
  deny: string[] | null;
}

export interface ResponsePermission {
  maxMsgs: number;
  expiresMs: number;
}

export interface Permissions {
  publish: SubjectPermission | null;
  subscribe: SubjectPermission | null;
  response: ResponsePermission | null;
}

/** `authorization { users: [ { nkey: U... } ] }`: authenticates by signing the INFO nonce. */
export interface NkeyUser {
  /** The user's public nkey (`U...`). */
  nkey: string;
  permissions: Permissions | null;
  account: string;
  allowedConnectionTypes: string[] | null;
}

export interface UserEntry {
  user: string;
  /** Plain text or a bcrypt hash (`$2a$...`). */
  password: string;
  permissions: Permissions | null;
  /** Account name, when `accounts` are configured. */
  account: string;
  allowedConnectionTypes: string[] | null;
}
