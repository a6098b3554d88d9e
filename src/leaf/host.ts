// The seam between leaf node connections and the rest of the server. The leaf module speaks the
// nats-server 2.9 leafnode protocol in both roles (hub: it accepts leaves; leaf: it solicits its
// remotes); it reaches accounts, subscriptions and local delivery only through LeafHost, and the
// server reaches it only through the LeafNodes interface below.

import type { Permissions, ServerOptions } from '../config/types.js';
import type { Account, RouteLink, Subscription } from '../accounts/account.js';

/** What the leaf module needs from the server. */
export interface LeafHost {
  readonly opts: ServerOptions;
  /** This server's id and name (INFO server_id / server_name, CONNECT server_id / name). */
  readonly serverId: string;
  readonly serverName: string;
  /** Logs in nats-server's style. */
  log(level: 'INF' | 'ERR' | 'WRN' | 'DBG' | 'TRC', text: string): void;
  /** The account by name (created in operator mode when its JWT resolves); null when unknown. */
  account(name: string): Account | null;
  /** The system account, null without one. */
  systemAccount(): Account | null;
  /** Whether JetStream is enabled for `acc` (CONNECT `jetstream`: nats-server's jetStreamConfigured). */
  jetStreamEnabled(acc: Account): boolean;
  /** The cluster name ('' without a cluster): CONNECT `cluster`, and a hub refuses a leaf of its own cluster. */
  clusterName(): string;
  /**
   * An accepted leaf's CONNECT when the leafnodes block has no authorization of its own
   * (nats-server's isClientAuthorized for a leaf): the client users decide, and bind it to their
   * account. The account name ('' = the leafnodes block's `account`, else the global one), or
   * null when refused.
   */
  authorizeWithClientUsers(user: string, pass: string): string | null;
  /**
   * Operator mode: an accepted leaf's CONNECT `jwt` and nonce signature `sig`, checked as a
   * client's (connection type LEAFNODE). The account's name (its public key) and the user
   * JWT's permissions, or null.
   */
  authorizeJwt(jwt: string, sig: string, nonce: string, ip: string): { account: string; permissions: Permissions | null } | null;
  /**
   * Inserts a leaf's interest (a Subscription whose `route` is the leaf) into `acc`'s sublist
   * and tells the routes and the other leaves, as for a client's subscription. False for an
   * invalid subject.
   */
  addSub(acc: Account, sub: Subscription): boolean;
  /** Removes it (the server defers it while a delivery runs). */
  removeSub(acc: Account, sub: Subscription): void;
  /**
   * A message arrived from the leaf connection `from` (LMSG/HMSG): mapped by `acc`'s subject
   * mappings (as nats-server's parser maps a leaf's message), then delivered as its
   * processInboundLeafMsg does. The buffers and `queues` are valid only during the call.
   */
  leafMessage(
    from: RouteLink,
    acc: Account,
    subject: Buffer,
    hash: number,
    reply: Buffer | null,
    queues: readonly Buffer[] | null,
    hdrLen: number,
    payload: Buffer,
  ): void;
  /** A leaf connection was a slow consumer (write deadline): counted in the server's slow_consumers. */
  slowConsumer(): void;
  /** A new connection id from the clients' sequence (nats-server's leaves share it). */
  nextCid(): number;
}

/** One leaf connection as /leafz shows it (nats-server's LeafInfo, before formatting). */
export interface LeafSnapshot {
  cid: number;
  /** The remote server's name. */
  name: string;
  isSpoke: boolean;
  account: string;
  ip: string;
  port: number;
  /** Round trip time in ms; 0 before the first PONG. */
  rtt: number;
  inMsgs: number;
  outMsgs: number;
  inBytes: number;
  outBytes: number;
  /** The subjects of the remote interest (a queue interest as `subject queue`). */
  subscriptions: string[];
}

/** What the server needs from the leaf module. */
export interface LeafNodes {
  /** Starts the leafnode listener (with a port) and solicits the remotes. */
  start(): Promise<void>;
  /** The bound leafnode port (0 without a listener). */
  readonly port: number;
  /** The registered leaf connections (both roles). */
  readonly numLeafs: number;
  /** The registered leaf connections, for /leafz. */
  leafs(): LeafSnapshot[];
  /**
   * A subscription was added to / removed from `acc`'s sublist (a client's, an internal one, a
   * route's or a leaf's): the leaves of `acc` are told as nats-server's updateLeafNodes does.
   */
  subAdded(acc: Account, sub: Subscription): void;
  subRemoved(acc: Account, sub: Subscription): void;
  /** Closes the listener and every leaf connection; stops reconnecting. */
  shutdown(): Promise<void>;
}
