// nats-server 2.9.10 defaults (server/const.go, server/opts.go), with nats-server's names.

export const VERSION = '2.9.10'; // the nats-server behaviour we implement; INFO carries it
export const PROTO = 1;
/** The Go runtime nats-server 2.9.10 reports (Debian build); INFO and /varz carry it, clients only display it. */
export const GO_VERSION = 'go1.19.8';
export const DEFAULT_PORT = 4222;
export const RANDOM_PORT = -1;
export const DEFAULT_HOST = '0.0.0.0';
export const MAX_CONTROL_LINE_SIZE = 4096;
export const MAX_PAYLOAD_SIZE = 1024 * 1024;
export const MAX_PAYLOAD_MAX_SIZE = 8 * 1024 * 1024; // above this nats-server warns
export const MAX_PENDING_SIZE = 64 * 1024 * 1024;
export const DEFAULT_MAX_CONNECTIONS = 64 * 1024;
export const DEFAULT_PING_INTERVAL_MS = 2 * 60 * 1000;
export const DEFAULT_PING_MAX_OUT = 2;
export const DEFAULT_FIRST_PING_INTERVAL_MS = 2 * 1000; // first ping after CONNECT (RTT)
/** nats-server's firstPingInterval: the first PING on a route (non-client connections). */
export const FIRST_PING_INTERVAL_MS = 1000;
/** nats-server's DEFAULT_RTT_MEASUREMENT_INTERVAL: a PING is due at least this often (RTT). */
export const DEFAULT_RTT_MEASUREMENT_INTERVAL_MS = 60 * 60 * 1000;
export const DEFAULT_WRITE_DEADLINE_MS = 10 * 1000;
export const AUTH_TIMEOUT_MS = 2 * 1000;
export const TLS_TIMEOUT_MS = 2 * 1000;
export const DEFAULT_LAME_DUCK_DURATION_MS = 2 * 60 * 1000;
export const DEFAULT_LAME_DUCK_GRACE_PERIOD_MS = 10 * 1000;
export const DEFAULT_ROUTE_CONNECT_MS = 1000;
/** nats-server's DEFAULT_ROUTE_RECONNECT: the wait before reconnecting to a configured route. */
export const DEFAULT_ROUTE_RECONNECT_MS = 1000;
/** nats-server's DEFAULT_ROUTE_DIAL: a route connect attempt times out after this. */
export const DEFAULT_ROUTE_DIAL_MS = 1000;
/** nats-server's DEFAULT_CONNECT_ERROR_REPORTS: first-connect errors are logged at ERR this often. */
export const DEFAULT_CONNECT_ERROR_REPORTS = 3600;
export const DEFAULT_MAX_CLOSED_CLIENTS = 10000;
/**
 * Cached match results (nats-server keeps 1024). A miss costs about 1 us in JS against 60 ns for
 * a hit, so tsnats keeps more: 10k publish subjects in rotation (bench g) fit.
 */
export const DEFAULT_SUBLIST_CACHE_MAX = 16384;
/** Above this many cached results a wildcard (un)subscribe clears the cache instead of patching it. */
export const SUBLIST_CACHE_PATCH_SCAN_MAX = 1024;
