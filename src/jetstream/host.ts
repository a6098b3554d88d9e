// The seam between JetStream and the rest of the server. JetStream reaches accounts, internal
// subscriptions and delivery only through JetStreamHost (the server implements it), and the
// server reaches JetStream only through the JetStream interface below. Like a service, JetStream
// subscribes internally in an account (`$JS.API.>`, a stream's subjects) and publishes through
// it, so replies reach local subscribers and routes alike.

import type { Account, Subscription } from '../accounts/account.js';
import type { ServerOptions } from '../config/types.js';

/** What JetStream needs from the server. */
export interface JetStreamHost {
  readonly opts: ServerOptions;
  /** This server's name (stream info, advisories). */
  readonly serverName: string;
  /** Logs in nats-server's style. */
  log(level: 'INF' | 'ERR' | 'WRN' | 'DBG' | 'TRC', text: string): void;
  /** The account by name, null when it does not exist. */
  account(name: string): Account | null;
  /** Whether the server runs with the accounts block (nats-server's !globalAccountOnly). */
  hasConfiguredAccounts(): boolean;
  addSub(acc: Account, sub: Subscription): boolean;
  removeSub(acc: Account, sub: Subscription): void;
  /**
   * Publishes a message in `acc` as an internal client would: to local subscribers and to routes
   * with interest. `hdrLen` is -1 without headers; `payload` holds headers and body. The buffers
   * may be reused once the call returns. `frame`: the subject local clients' MSG frames carry
   * instead of `subject` (a consumer delivers to an inbox under the message's own subject).
   */
  publish(acc: Account, subject: Buffer, reply: Buffer | null, hdrLen: number, payload: Buffer, frame?: Buffer): void;
}

/** What the server needs from JetStream. */
export interface JetStream {
  /** Whether `acc` has JetStream enabled (INFO and the API's 10039 use it). */
  enabledFor(acc: Account): boolean;
  /** Accounts were (re)configured: enable JetStream where the config now says so. */
  configureAccounts(): void;
  /**
   * Hands every file store's buffered writes to the OS: called before a connection's output is
   * flushed ahead of the turn's end, so a publish ack never leaves before its message's record.
   */
  writePending(): void;
  /** Flushes and closes every stream's store. */
  shutdown(): Promise<void>;
}
