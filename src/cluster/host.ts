// The seam between the cluster (routes) and the rest of the server. The cluster module speaks
// the nats-server 2.9 route protocol; it reaches accounts, subscriptions and local delivery only
// through ClusterHost, and the server reaches it only through the Cluster interface below.

import type { ClusterOptions, ServerOptions, SubjectPermission } from '../config/types.js';
import type { Account, RouteLink, Subscription } from '../accounts/account.js';

export type { RouteLink };

/** What the cluster needs from the server. */
export interface ClusterHost {
  readonly opts: ServerOptions;
  /** This server's id and name (route INFO server_id / server_name). */
  readonly serverId: string;
  readonly serverName: string;
  /** Logs in nats-server's style (`[INF]`, `[ERR]`, `[DBG]`, `[TRC]`). */
  log(level: 'INF' | 'ERR' | 'WRN' | 'DBG' | 'TRC', text: string): void;
  /** The account by name; null when it does not exist here (its RS+ and RMSG are then ignored). */
  account(name: string): Account | null;
  /** This server's client URLs (`host:port`) for route INFO `connect_urls`. */
  clientConnectUrls(): string[];
  /**
   * The set of other servers' client URLs (from route INFOs) changed: the server updates its
   * client INFO `connect_urls` and sends the async INFO to protocol-1 clients.
   */
  connectUrlsChanged(urls: string[]): void;
  /**
   * A message arrived from a route (RMSG/HMSG): deliver to local plain subscribers, and to one
   * local member of each queue group named in `queues` (null: no queue group).
   * `hash` is the subject's FNV-1a (src/subjects/hash.ts), for Sublist.matchBytes.
   * `hdrLen` is -1 without headers; `payload` then holds headers and body.
   * The buffers (and the `queues` array) are valid only during the call (views into the route's
   * read buffer, or reused for the next message): copy what must outlive it. The route counts
   * the message in its own statistics (/routez in_msgs); the server's /varz in_msgs is the
   * server's to count.
   */
  routedMessage(
    acc: Account,
    subject: Buffer,
    hash: number,
    reply: Buffer | null,
    queues: readonly Buffer[] | null,
    hdrLen: number,
    payload: Buffer,
  ): void;
  /**
   * Set when something else follows the routes' interest (the leaf nodes): told of each sublist
   * entry a route's RS+ / RS- adds or removes.
   */
  readonly routeInterestChanged?: (acc: Account, sub: Subscription, added: boolean) => void;
  /** A route was a slow consumer (write deadline): counted in the server's slow_consumers. */
  slowConsumer(): void;
  /** A new connection id from the clients' sequence (nats-server's routes share it: `rid` = cid). */
  nextCid(): number;
  /**
   * The cluster name changed (a dynamic name gave way to a peer's): client INFO `cluster` (and
   * `cluster_dynamic`) follow `Cluster.name` / `Cluster.dynamic` from now on.
   */
  clusterNameChanged(name: string): void;
}

/** One route as /routez shows it (nats-server's RouteInfo, before formatting). */
export interface RouteSnapshot {
  rid: number;
  remoteId: string;
  /** The peer's server name ('' before its INFO). */
  remoteName: string;
  didSolicit: boolean;
  isConfigured: boolean;
  /** The peer's address. */
  ip: string;
  port: number;
  /** ms since the epoch. */
  start: number;
  lastActivity: number;
  /** Round trip time in ms; 0 before the first PONG. */
  rtt: number;
  /** The peer's route permissions, from its INFO. */
  import: SubjectPermission | null;
  export: SubjectPermission | null;
  pendingBytes: number;
  inMsgs: number;
  outMsgs: number;
  inBytes: number;
  outBytes: number;
  /** The peer's interest (one per RS+ key; a queue key once, whatever its weight). */
  subscriptions: RemoteSubSnapshot[];
}

export interface RemoteSubSnapshot {
  subject: string;
  queue: string | null;
  /** `<account> <subject>[ <queue>]`. */
  sid: string;
  /** Messages sent to the route for this interest. */
  msgs: number;
}

/** What the server needs from the cluster. */
export interface Cluster {
  /** Starts the route listener (if any) and solicits the configured routes. */
  start(): Promise<void>;
  /** The bound route port (0 before start or without a listener). */
  readonly port: number;
  /** Number of registered routes. */
  readonly numRoutes: number;
  /** The cluster name (client INFO `cluster`, /varz); may change while it is dynamic. */
  readonly name: string;
  /** The name was generated here (client INFO `cluster_dynamic`). */
  readonly dynamic: boolean;
  /** The registered routes, for /routez. */
  routes(): RouteSnapshot[];
  /** A local subscription (client or internal) was added to / removed from `acc`'s sublist. */
  subAdded(acc: Account, sub: Subscription): void;
  subRemoved(acc: Account, sub: Subscription): void;
  /** A config reload changed the cluster block other than its routes (host and port stay). */
  reconfigure(next: ClusterOptions): void;
  /** A config reload changed the routes: removed ones are closed, new ones solicited. */
  reloadRoutes(routes: readonly string[]): void;
  /** Lame duck mode: tell the routes (`"ldm":true` INFO). */
  lameDuck(): void;
  /** Closes the listener and every route; stops reconnecting. */
  shutdown(): Promise<void>;
}
