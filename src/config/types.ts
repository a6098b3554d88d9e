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
  /**
   * `tls { verify_and_map: true }` (nats-server's TLSMap): clients of the users list are the user
   * their certificate names (email SAN, DNS SAN, URI SAN, then the subject DN) instead of the
   * one in CONNECT. Kept apart from `tls` as nats-server does: the `--tls*` flags replace the
   * TLS block but leave this.
   */
  tlsMap: boolean;

  // Accounts (nats-server's Accounts, SystemAccount).
  /**
   * `accounts { NAME { users, exports, imports } }`, in file order; empty without the block.
   * The users of every account are also in `users` / `nkeys` with their `account` set, as
   * nats-server merges them.
   */
  accounts: AccountConfig[];
  /** `system_account`; '' = none configured. */
  systemAccount: string;
  /** `no_system_account`: no default `$SYS` system account when none is configured. */
  noSystemAccount: boolean;
  /** Top-level `mappings` (those of the global account $G), in file order. */
  mappings: MappingConfig[];

  // Operator mode (nats-server's TrustedOperators, AccountResolver, resolverPreloads).
  /** `operator`: the trusted operators (their JWTs decoded); empty = not in operator mode. */
  trustedOperators: TrustedOperator[];
  /** `resolver`: where account JWTs come from; null = none configured. */
  resolver: ResolverConfig | null;
  /** `resolver_preload { <account public key>: <account JWT> }`. */
  resolverPreload: Record<string, string>;

  // Clustering (nats-server's Cluster options and Routes).
  /** `cluster { }` / `--cluster`; null = not clustered. */
  cluster: ClusterOptions | null;

  // JetStream (nats-server's JetStream, StoreDir, JetStreamMaxMemory, JetStreamMaxStore,
  // JetStreamDomain).
  /** `jetstream: enabled` / `jetstream { }` / `-js`. */
  jetstream: boolean;
  /** `store_dir` (top level or in the block) / `-sd`; '' = `<tmp>/nats`. JetStream keeps its data in `<storeDir>/jetstream`. */
  storeDir: string;
  /** `max_memory_store`; null = not set (75% of the machine's memory). */
  jetStreamMaxMemory: number | null;
  /** `max_file_store`; null = not set (75% of the disk space available in the store directory). */
  jetStreamMaxStore: number | null;
  /** `domain`; '' = none. */
  jetStreamDomain: string;
  /** `default_js_domain`: account name → the domain its `$JS.API` goes to ('' = its own server). */
  jsAccDefaultDomain: Record<string, string>;
  /** `sync_interval` (a tsnats extension: nats-server 2.9.10 fixes it at 2 min per stream), ms; 0 = default. */
  jetStreamSyncIntervalMs: number;

  // WebSocket clients (nats-server's Websocket options).
  /** `websocket { }`; null = no block (no listener). */
  websocket: WebsocketOptions | null;

  // Leaf nodes (nats-server's LeafNode options).
  /** `leafnodes { }`; null = no block (no listener, no remotes). */
  leafnode: LeafNodeOptions | null;
}

/**
 * `leafnodes { host, port, advertise, no_advertise, authorization, tls, remotes, reconnect,
 * min_version }` (nats-server's LeafNodeOpts).
 */
export interface LeafNodeOptions {
  /** Listener host and port (-1 = random, 0 = no listener: remotes only). */
  host: string;
  port: number;
  advertise: string;
  noAdvertise: boolean;
  /** `authorization { user, password, account, timeout }`: one user bound to `account`. */
  username: string;
  password: string;
  account: string;
  /** `authorization { users: [...] }`: users each bound to an account ('' = the global one). */
  users: LeafUser[] | null;
  /** ms; 0 = default. */
  authTimeoutMs: number;
  tls: TlsOptions | null;
  tlsTimeoutMs: number;
  /** `reconnect`: the wait between two attempts of a remote, ms (0 = the 1 s default). */
  reconnectMs: number;
  minVersion: string;
  remotes: RemoteLeafOptions[];
}

export interface LeafUser {
  user: string;
  password: string;
  /** '' = the global account. */
  account: string;
}

/** One `remotes` entry (nats-server's RemoteLeafOpts). */
export interface RemoteLeafOptions {
  /** `url` / `urls`, each with a port (7422 when the URL has none, after the baseline). */
  urls: string[];
  /** `account`: the local account the connection binds ('' = the global one). */
  account: string;
  /** `credentials`: a creds file (user JWT and seed) signing the hub's nonce. */
  credentials: string;
  tls: TlsOptions | null;
  hub: boolean;
  noRandomize: boolean;
  denyImports: string[];
  denyExports: string[];
}

/**
 * `websocket { host, port, advertise, no_tls, tls, compression, same_origin, allowed_origins,
 * handshake_timeout, authorization, no_auth_user }` (nats-server's WebsocketOpts).
 */
export interface WebsocketOptions {
  /** Listener host ('' = every interface, as Go's `:port`) and port (-1 = random, 0 = none). */
  host: string;
  port: number;
  /** `advertise`: host:port WebSocket clients should use ('' = the listen address). */
  advertise: string;
  /** Run without TLS (nats-server refuses a listener with neither `tls` nor `no_tls`). */
  noTls: boolean;
  /** `tls { }`: the listener serves wss://; null = plain ws://. */
  tls: TlsOptions | null;
  /** permessage-deflate (no context takeover) for the clients that offer it. */
  compression: boolean;
  /** Refuse (403) an Origin whose host and port are not the request's Host. */
  sameOrigin: boolean;
  /** Refuse (403) an Origin whose scheme, host and port are not in this list (empty = any). */
  allowedOrigins: string[];
  /** The whole HTTP request must arrive within this long, ms (0 = no limit). */
  handshakeTimeoutMs: number;
  /** `authorization { user, password, token, timeout }`: overrides the server's for WS clients. */
  username: string;
  password: string;
  token: string;
  /** `authorization { timeout }`, ms (0 = the server's auth timeout). */
  authTimeoutMs: number;
  /** `no_auth_user` for WS clients (must be in the users list). */
  noAuthUser: string;
}

/** A trusted operator: its JWT and the claims the server uses. */
export interface TrustedOperator {
  jwt: string;
  /** The operator's public key (the JWT's subject). */
  subject: string;
  name: string;
  /** The JWT's audience ("System" in nats-server's banner), issued at and expiry (s, 0 = never). */
  audience: string;
  issuedAt: number;
  expires: number;
  /** The operator's signing keys (public operator nkeys). */
  signingKeys: string[];
  /** `strict_signing_key_usage`: the operator key itself signs no accounts. */
  strictSigningKeyUsage: boolean;
  /** The system account named in the operator JWT ('' = none). */
  systemAccount: string;
}

/**
 * `resolver: MEMORY` (accounts from `resolver_preload` only), or `resolver { type: full, dir,
 * allow_delete, interval, limit }` (every account JWT kept as `<dir>/<public key>.jwt`).
 */
export type ResolverConfig =
  | { type: 'memory' }
  | { type: 'full'; dir: string; allowDelete: boolean; intervalMs: number; limit: number };

/** One account of the `accounts` block. */
export interface AccountConfig {
  name: string;
  exports: ExportConfig[];
  imports: ImportConfig[];
  /** `jetstream: enabled` or `jetstream { max_mem, max_file, max_streams, max_consumers }`; null = not enabled. */
  jetstream?: JetStreamAccountLimits | null;
  /** `mappings { src: dest | [{ destination, weight, cluster }] }`, in file order. */
  mappings?: MappingConfig[];
}

/** One subject mapping: published on `src` (a subject, wildcards allowed), delivered on a destination. */
export interface MappingConfig {
  src: string;
  /** As written (weights in percent, not cumulative); none = `src` itself. */
  dests: { subject: string; weight: number; cluster: string }[];
}

/** nats-server's JetStreamAccountLimits: -1 = unlimited (within the server's limits). */
export interface JetStreamAccountLimits {
  maxMemory: number;
  maxStore: number;
  maxStreams: number;
  maxConsumers: number;
  maxAckPending: number;
  memoryMaxStreamBytes: number;
  storeMaxStreamBytes: number;
  maxBytesRequired: boolean;
}

/** `exports [ { stream: subj } | { service: subj, response_type, response_threshold }, accounts: [..] ]`. */
export interface ExportConfig {
  kind: 'stream' | 'service';
  subject: string;
  /** Only these accounts may import it; null = public. */
  accounts: string[] | null;
  /** Service exports: how many responses a request may get (nats-server's default Singleton). */
  responseType: 'singleton' | 'stream' | 'chunked';
  /** Service exports: how long a response mapping lives, ms (nats-server default 2 min). */
  responseThresholdMs: number;
}

/** `imports [ { stream: { account, subject }, prefix | to } | { service: { account, subject }, to } ]`. */
export interface ImportConfig {
  kind: 'stream' | 'service';
  /** The exporting account. */
  account: string;
  /** The subject as exported (may hold wildcards for streams). */
  subject: string;
  /**
   * Where the import appears locally. Streams: the delivered subject is `to` when set, else
   * `prefix.subject` when a prefix is set, else the subject. Services: the local subject that
   * requesters publish to ('' = the exported subject).
   */
  to: string;
  /** Streams only: `prefix` ('' = none). */
  prefix: string;
}

/** `cluster { name, listen, routes, authorization, advertise, no_advertise, connect_retries }`. */
export interface ClusterOptions {
  /** Cluster name; '' = dynamic (nats-server generates one and adopts a peer's). */
  name: string;
  /**
   * Route listener host and port (port -1 = random). Port 0 means no clustering at all, as in
   * nats-server: no listener and no routes solicited (the name still goes in INFO).
   */
  host: string;
  port: number;
  /** `advertise` / `--cluster_advertise`: host:port other servers should use ('' = listen address). */
  advertise: string;
  /** `no_advertise`: do not tell clients about other servers' client URLs. */
  noAdvertise: boolean;
  /** `connect_retries`: for implicit (gossiped) routes, retries before giving up. */
  connectRetries: number;
  /** Routes to solicit, as URLs (`nats-route://[user:pass@]host:port`). */
  routes: string[];
  /** Route authorization (`authorization { user, password, timeout }` in the cluster block). */
  username: string;
  password: string;
  /** ms; 0 = default. */
  authTimeoutMs: number;
  /** Route permissions (`permissions { import, export }`); null = everything. */
  permissions: { import: SubjectPermission | null; export: SubjectPermission | null } | null;
  /**
   * `tls { cert_file, key_file, ca_file, timeout }`: routes are TLS from their first byte and
   * both sides verify the other's certificate against `ca_file` (nats-server forces it, whatever
   * `verify` says). Absent or null = plain routes.
   */
  tls?: TlsOptions | null;
  /** `tls { timeout }` in ms; 0 = TLS_TIMEOUT. */
  tlsTimeoutMs?: number;
}

export interface TlsOptions {
  certFile: string;
  keyFile: string;
  caFile: string;
  /** Require and verify client certificates (`verify`, or implied by `verify_and_map`). */
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
