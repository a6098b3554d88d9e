// The seam between JetStream and the rest of the server. JetStream reaches accounts, internal
// subscriptions and delivery only through JetStreamHost (the server implements it), and the
// server reaches JetStream only through the JetStream interface below. Like a service, JetStream
// subscribes internally in an account (`$JS.API.>`, a stream's subjects) and publishes through
// it, so replies reach local subscribers and routes alike.

import type { Account, Subscription } from '../accounts/account.js';
import type { ServerOptions } from '../config/types.js';
import type { Crc32Fn } from '../util/crc32.js';

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
  /**
   * publish() of a response to a request, on the request's reply subject (a publish ack, a
   * direct get's message, an API reply): the subject, used once, is matched without the
   * account's match cache.
   */
  respond(acc: Account, reply: Buffer, hdrLen: number, payload: Buffer): void;
  /** The file store's record checksum: the server's twin (Implementation.crc32); absent, the TS path's. */
  readonly crc32?: Crc32Fn;
}

/** nats-server's JSzOptions: what /jsz asks for (`consumers` implies `streams`, `streams` implies `accounts`). */
export interface JszOptions {
  /** `acc=`: only this account's details ('' = none chosen). */
  account: string;
  accounts: boolean;
  streams: boolean;
  consumers: boolean;
  config: boolean;
  offset: number;
  /** 0 = nats-server's default, 1024 accounts. */
  limit: number;
}

/** nats-server's JetStreamConfig as /jsz and /varz show it. */
export interface JetStreamConfigJson {
  max_memory: number;
  max_storage: number;
  store_dir?: string;
  domain?: string;
}

/**
 * nats-server's JetStreamStats. In an account's detail the reserved figures are Go uint64s of
 * the account limits: -1 (no limit) stands for 18446744073709551615, which the monitor prints.
 */
export interface JetStreamStatsJson {
  memory: number;
  storage: number;
  reserved_memory: number;
  reserved_storage: number;
  accounts: number;
  ha_assets: number;
  api: { total: number; errors: number };
}

/** nats-server's AccountDetail: `stream_detail` entries are StreamDetail objects in its field order. */
export interface AccountDetailJson extends JetStreamStatsJson {
  name: string;
  id: string;
  stream_detail?: Record<string, unknown>[];
}

/** A read-only snapshot for /jsz (nats-server's JSInfo without server_id and now) and the /varz block. */
export interface JszSnapshot {
  config: JetStreamConfigJson;
  stats: JetStreamStatsJson;
  streams: number;
  consumers: number;
  messages: number;
  bytes: number;
  /** Present when details were asked for and some account is chosen. */
  account_details?: AccountDetailJson[];
}

/** What the server needs from JetStream. */
export interface JetStream {
  /** A read-only snapshot of the configuration, usage and (as `opts` asks) accounts, streams and consumers. */
  jsz(opts: JszOptions): JszSnapshot;
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
