// JetStream on one server (nats-server's jetstream.go without clustering): the server-wide
// configuration and limits, the JetStream state of each account (its streams, limits and API
// counters), and the `$JS.API.>` subscription every account gets.

import { internalSub, type Account, type Subscription } from '../accounts/account.js';
import type { JetStreamAccountLimits } from '../config/types.js';
import type { JetStream, JetStreamHost } from './host.js';
import type { StreamConfig } from './json.js';
import { Stream, type StreamOwner } from './stream.js';
import { MemoryStore } from './store/memory.js';
import type { StreamStore } from './store/store.js';

/** nats-server's JetStreamConfig after EnableJetStream filled it in. */
export interface JetStreamConfig {
  /** `<store_dir>/jetstream`. */
  storeDir: string;
  maxMemory: number;
  maxStore: number;
  domain: string;
  syncIntervalMs: number;
}

/**
 * Until the file store lands, `storage: file` streams are kept by the memory store: their
 * config says file (as nats-server reports it), their data is gone after a restart.
 * TEMPORARY_FILE_AS_MEMORY goes once store/file.ts exists.
 */
export const TEMPORARY_FILE_AS_MEMORY = true;

/** The store for a new stream (see TEMPORARY_FILE_AS_MEMORY: every stream is in memory for now). */
function openStore(_cfg: StreamConfig): StreamStore {
  return new MemoryStore();
}

/** nats-server's dynamicJSAccountLimits. */
export const UNLIMITED: JetStreamAccountLimits = {
  maxMemory: -1,
  maxStore: -1,
  maxStreams: -1,
  maxConsumers: -1,
  maxAckPending: -1,
  memoryMaxStreamBytes: -1,
  storeMaxStreamBytes: -1,
  maxBytesRequired: false,
};

/** The `$JS.API.>` handler of an account (api.ts): the manager is given it, so that it does not import the API. */
export type ApiHandler = (jsa: JsAccount, subject: Buffer, reply: Buffer | null, hdrLen: number, payload: Buffer) => void;

/** One account's JetStream (nats-server's jsAccount); `limits` null: not enabled here. */
export class JsAccount {
  readonly account: Account;
  limits: JetStreamAccountLimits | null;
  readonly streams = new Map<string, Stream>();
  apiTotal = 0;
  apiErrors = 0;
  readonly js: JetStreamManager;
  private readonly apiSub: Subscription;

  constructor(js: JetStreamManager, account: Account, limits: JetStreamAccountLimits | null) {
    this.js = js;
    this.account = account;
    this.limits = limits;
    this.apiSub = internalSub('$JS.API.>', {
      clusterWide: false,
      receive: (subject, reply, hdrLen, payload) => js.api(this, subject, reply, hdrLen, payload),
    });
    js.host.addSub(account, this.apiSub);
  }

  get enabled(): boolean {
    return this.limits !== null;
  }

  /** Consumers on all of this account's streams. */
  consumerCount(): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.consumers.size;
    return n;
  }

  /** Bytes used by this account's streams of one storage type. */
  used(storage: 'file' | 'memory'): number {
    let n = 0;
    for (const s of this.streams.values()) if (s.cfg.storage === storage) n += s.bytes;
    return n;
  }

  /** nats-server's tieredReservation: max_bytes of this account's other streams of that storage. */
  reserved(cfg: StreamConfig): number {
    let n = 0;
    for (const s of this.streams.values()) {
      if (s.cfg.max_bytes > 0 && s.cfg.storage === cfg.storage && s.cfg.name !== cfg.name) n += s.cfg.num_replicas * s.cfg.max_bytes;
    }
    return n;
  }

  /** Answers an API request: publishes `json` on `reply` and counts it (an error when `error`). */
  respond(reply: Buffer | null, json: string, error: boolean): void {
    this.apiTotal++;
    this.js.apiTotal++;
    if (error) {
      this.apiErrors++;
      this.js.apiErrors++;
    }
    this.reply(reply, json);
  }

  /** Publishes `json` on `reply` (when there is one) without counting it. */
  reply(reply: Buffer | null, json: string): void {
    if (reply !== null && reply.length > 0) this.js.host.publish(this.account, reply, null, -1, Buffer.from(json));
  }

  /** A new stream with its store (the config is checked). */
  addStream(cfg: StreamConfig): Stream {
    const stream = new Stream(this.owner(), cfg, openStore(cfg));
    this.streams.set(cfg.name, stream);
    return stream;
  }

  async deleteStream(stream: Stream): Promise<void> {
    this.streams.delete(stream.name);
    await stream.stop(true);
  }

  private owner(): StreamOwner {
    const host = this.js.host;
    const acc = this.account;
    return {
      account: acc,
      domain: this.js.config.domain,
      publish: (subject, reply, hdrLen, payload, frame) => host.publish(acc, subject, reply, hdrLen, payload, frame),
      addSub: (sub) => void host.addSub(acc, sub),
      removeSub: (sub) => host.removeSub(acc, sub),
      serverLimitsExceeded: (storage) => this.js.used(storage) > (storage === 'memory' ? this.js.config.maxMemory : this.js.config.maxStore),
      accountLimitsExceeded: (storage) => {
        const l = this.limits;
        if (l === null) return true;
        const used = this.used(storage);
        const perStream = storage === 'memory' ? l.memoryMaxStreamBytes : l.storeMaxStreamBytes;
        const max = storage === 'memory' ? l.maxMemory : l.maxStore;
        return (perStream > 0 && used > perStream) || (max >= 0 && used > max);
      },
    };
  }

  async stop(): Promise<void> {
    this.js.host.removeSub(this.account, this.apiSub);
    await Promise.all([...this.streams.values()].map((s) => s.stop(false)));
  }
}

export class JetStreamManager implements JetStream {
  readonly host: JetStreamHost;
  readonly config: JetStreamConfig;
  readonly api: ApiHandler;
  readonly accounts = new Map<Account, JsAccount>();
  apiTotal = 0;
  apiErrors = 0;

  constructor(host: JetStreamHost, config: JetStreamConfig, api: ApiHandler) {
    this.host = host;
    this.config = config;
    this.api = api;
  }

  /** Bytes used by all streams of one storage type (the server-wide limits apply to it). */
  used(storage: 'file' | 'memory'): number {
    let n = 0;
    for (const jsa of this.accounts.values()) n += jsa.used(storage);
    return n;
  }

  /** nats-server's memReserved / storeReserved: max_bytes of every stream of that storage. */
  reservedOnServer(cfg: StreamConfig): number {
    let n = 0;
    for (const jsa of this.accounts.values()) {
      for (const s of jsa.streams.values()) if (s.cfg.max_bytes > 0 && s.cfg.storage === cfg.storage && s.cfg.name !== cfg.name) n += s.cfg.max_bytes;
    }
    return n;
  }

  enabledFor(acc: Account): boolean {
    return this.accounts.get(acc)?.enabled ?? false;
  }

  /**
   * nats-server's enableJetStreamAccounts: without an accounts block `$G` gets the unlimited
   * tier; with one, each account its configured limits (none: not enabled, the API answers
   * 10039). Every account gets the `$JS.API.>` subscription.
   */
  configureAccounts(): void {
    const o = this.host.opts;
    const names = ['$G', ...o.accounts.map((a) => a.name)];
    const globalOnly = !this.host.hasConfiguredAccounts();
    for (const name of names) {
      const acc = this.host.account(name);
      if (acc === null || name === o.systemAccount) continue;
      const conf = o.accounts.find((a) => a.name === name);
      const limits = globalOnly && name === '$G' ? UNLIMITED : (conf?.jetstream ?? null);
      const jsa = this.accounts.get(acc);
      if (jsa === undefined) this.accounts.set(acc, new JsAccount(this, acc, limits));
      else jsa.limits = limits;
    }
  }

  async shutdown(): Promise<void> {
    this.host.log('INF', 'Initiating JetStream Shutdown...');
    await Promise.all([...this.accounts.values()].map((a) => a.stop()));
    this.accounts.clear();
    this.host.log('INF', 'JetStream Shutdown');
  }
}
