// The seam between the system account's services (nats-server events.go: requests on $SYS.REQ.>,
// connect/disconnect and statsz events) and the rest of the server. The system reaches accounts,
// internal subscriptions, delivery and the monitoring snapshots only through SystemHost (the
// server implements it), and the server reaches the system only through SystemEvents.

import type { Account, Subscription } from '../accounts/account.js';
import type { ServerOptions } from '../config/types.js';

/**
 * A monitoring snapshot for a request: `opts` is the request body decoded from JSON (nats-server's
 * option names, e.g. ConnzOptions' `sort`, `acc`), `{}` without a body. Returns the data object;
 * throws Error(nats-server's text) when the snapshot cannot be made (the reply's `error`, code
 * 500). An Error with a `data` property of null gives `{server, data: null, error}`, as
 * nats-server prints its typed nil results.
 */
export type ServerEndpoint = (opts: Record<string, unknown>) => unknown;
/** A per-account snapshot ($SYS.REQ.ACCOUNT.<acc>.<X>): as ServerEndpoint, for account `acc`. */
export type AccountEndpoint = (acc: string, opts: Record<string, unknown>) => unknown;

/** nats-server's ServerStats, without `active_servers` (the system tracks remote servers). */
export interface ServerStats {
  start: string;
  mem: number;
  cores: number;
  cpu: number;
  connections: number;
  total_connections: number;
  active_accounts: number;
  subscriptions: number;
  sent: DataStats;
  received: DataStats;
  slow_consumers: number;
  routes?: { rid: number; name?: string; sent: DataStats; received: DataStats; pending: number }[];
}

export interface DataStats {
  msgs: number;
  bytes: number;
}

/** nats-server's AccountStat: an account's local connections and traffic. */
export interface AccountStat {
  acc: string;
  conns: number;
  leafnodes: number;
  total_conns: number;
  sent: DataStats;
  received: DataStats;
  slow_consumers: number;
}

/**
 * The monitoring views the system serves (monitor/system-views.ts builds them over the server).
 * `server`: the $SYS.REQ.SERVER.<id|PING>.<X> endpoints but STATSZ; `account`: the
 * $SYS.REQ.ACCOUNT.<acc>.<X> ones but CONNS. A new endpoint is one entry in a table.
 */
export interface SystemViews {
  readonly server: Readonly<Record<string, ServerEndpoint>>;
  readonly account: Readonly<Record<string, AccountEndpoint>>;
  statsz(): ServerStats;
  /** The account's statistics, null when it is not registered on this server. */
  accountStat(name: string): AccountStat | null;
}

/** A client connection as its connect and disconnect events describe it (nats-server ClientInfo). */
export interface EventClient {
  readonly cid: number;
  /** Accept time, ms since the epoch. */
  readonly start: number;
  readonly ip: string;
  readonly acc: Account;
  /** nats-server getRawAuthUser: the nkey, user name, user JWT's public key or token. */
  readonly rawUser: string;
  readonly name: string;
  readonly lang: string;
  readonly version: string;
  /** Round-trip time, ms (0 = not measured). */
  readonly rtt: number;
  readonly jwt: string;
  /** The key that signed the user JWT (the account or one of its signing keys); '' without one. */
  readonly issuerKey: string;
  readonly nameTag: string;
  readonly tags: readonly string[];
  /** nats-server kindString / clientTypeString: "Client", and "nats" or "websocket". */
  readonly kind: string;
  readonly clientType: string;
  readonly inMsgs: number;
  readonly inBytes: number;
  readonly outMsgs: number;
  readonly outBytes: number;
}

/** What the system needs from the server. */
export interface SystemHost {
  readonly opts: ServerOptions;
  readonly serverId: string;
  readonly serverName: string;
  /** The cluster's name ('' without a cluster). */
  clusterName(): string;
  /** JetStream is enabled on this server (the `jetstream` flag of every ServerInfo). */
  jetstreamEnabled(): boolean;
  log(level: 'INF' | 'ERR' | 'WRN' | 'DBG' | 'TRC', text: string): void;
  readonly globalAccount: Account;
  /** The accounts registered so far. */
  accounts(): Iterable<Account>;
  /** A registered account by name (never created), null when unknown. */
  account(name: string): Account | null;
  addSub(acc: Account, sub: Subscription): boolean;
  removeSub(acc: Account, sub: Subscription): void;
  /**
   * Publishes a message in `acc` as an internal client does: to local subscribers, imports and
   * routes with interest. `hdrLen` is -1 without headers.
   */
  publish(acc: Account, subject: string, reply: string, hdrLen: number, payload: Buffer): void;
  readonly views: SystemViews;
}

/** What the server needs from the system. */
export interface SystemEvents {
  readonly account: Account;
  /** An account was registered: it imports the system's PING.CONNZ and STATZ services. */
  accountAdded(acc: Account): void;
  /** A connection was accepted (it is in the global account until it authenticates). */
  clientAccepted(): void;
  /** A client authenticated (nats-server accountConnectEvent and the account's CONNS update). */
  clientConnected(c: EventClient): void;
  /** A client closed (accountDisconnectEvent, CONNS update); `reason` as /connz shows it. */
  clientClosed(c: EventClient, reason: string): void;
  /** Sends the shutdown event and stops the timers (nats-server shutdownEventing). */
  shutdown(): void;
}
