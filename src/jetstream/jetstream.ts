// JetStream on one server (nats-server's jetstream.go without clustering): the server-wide
// configuration and limits, the JetStream state of each account (its streams, limits and API
// counters), and the `$JS.API.>` subscription every account gets.

import { internalSub, type Account, type ClientLink, type Subscription } from '../accounts/account.js';
import { apiAudit, clientInfo, JS_API_AUDIT, STREAM_CREATED_PRE, STREAM_DELETED_PRE, STREAM_UPDATED_PRE, streamAction, type Action } from './advisories.js';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { unlimitedJetStreamAccount } from '../config/jetstream.js';
import type { JetStreamAccountLimits } from '../config/types.js';
import { matchLiteral, subjectIsSubsetMatch } from '../subjects/subject.js';
import { findExport, serviceSubjects, subjectCovers } from '../accounts/imports.js';
import { addJsDomainMappings } from '../accounts/js-domain.js';
import { JSNotEnabledForAccountErr, JSStreamNotFoundErr } from './errors.js';
import type { JetStream, JetStreamHost, JszOptions, JszSnapshot } from './host.js';
import type { StreamConfig, StreamSource } from './json.js';
import { Stream, type OriginLookup, type StreamOwner } from './stream.js';
import { Consumer } from './consumer.js';
import { Sourcing } from './sourcing.js';
import { MemoryStore } from './store/memory.js';
import { DEFAULT_SYNC_INTERVAL_MS, FileStore, isDeletedStoreDir, type FileStoreOptions } from './store/file.js';
import type { FileConsumerStore } from './store/file-consumer.js';
import type { ConsumerConfig } from './json.js';

/** nats-server's JetStreamConfig after EnableJetStream filled it in. */
export interface JetStreamConfig {
  /** `<store_dir>/jetstream`. */
  storeDir: string;
  maxMemory: number;
  maxStore: number;
  domain: string;
  syncIntervalMs: number;
}

/** nats-server's directory and file names under `<store_dir>/jetstream/<account>/` (filestore.go). */
export const STREAMS_DIR = 'streams';
export const META_FILE = 'meta.inf';

/** nats-server's jsAllAPI and JSApiAccountInfo. */
const JS_ALL_API = '$JS.API.>';
const JS_API_INFO = '$JS.API.INFO';
const JS_API_PREFIX = '$JS.API';

/** `DIRECT.` after `$JS.API.`: a direct get, answered by its stream's own subscriptions. */
const DIRECT_TOKEN = Buffer.from('DIRECT.', 'latin1');

/**
 * Whether `subject` (one `$JS.API.>` takes) is a direct get: the API has no route for those
 * (nats-server's apiDispatch matches nothing and returns), so `$JS.API.>` takes them unread.
 */
function isDirectGet(subject: Buffer): boolean {
  const n = DIRECT_TOKEN.length;
  if (subject.length <= 8 + n) return false;
  for (let i = 0; i < n; i++) if (subject[8 + i] !== DIRECT_TOKEN[i]) return false;
  return true;
}

/** What meta.inf of a stream holds (nats-server's FileStreamInfo, as our JSON). */
interface StreamMeta {
  created: number;
  config: StreamConfig;
}

/** What a consumer's saved config holds (its meta.inf). */
export interface ConsumerMeta {
  name: string;
  created: number;
  config: ConsumerConfig;
}

/** Writes `text` to `path` atomically (temp file, fsync, rename). */
function writeFileAtomic(path: string, text: string): void {
  const tmp = path + '.tmp';
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path);
}

/** The `$JS.API.>` handler of an account (api.ts): the manager is given it, so that it does not import the API. */
export type ApiHandler = (jsa: JsAccount, subject: Buffer, reply: Buffer | null, hdrLen: number, payload: Buffer) => void;

/** The /jsz snapshot maker (jsz.ts): given to the manager, as the API handler is. */
export type JszHandler = (js: JetStreamManager, opts: JszOptions) => JszSnapshot;

/**
 * An upper bound of the bytes an account (or the server) uses in one storage type, so a publish
 * does not sum every stream's bytes: the exact sum is taken only when the bound could exceed the
 * limit. Between sums it grows by an upper bound of each message stored (StreamOwner's `bytes`)
 * and never shrinks; a removal only leaves it higher than the truth. A change that adds bytes
 * otherwise (a stream added with its store, usage a purge did not free) resets it.
 */
export class UsageBound {
  private exact = 0;
  /** Bytes possibly added since `exact` was summed (Infinity: sum at the next check). */
  private since = Infinity;

  /**
   * Whether the usage is over `max` (-1: no limit), for a message of at most `bytes` that
   * `stored` says is already counted by `sum` (a check after the store) or not yet (before it).
   */
  over(max: number, bytes: number, stored: boolean, sum: () => number): boolean {
    if (max < 0) return false;
    this.since += bytes;
    if (this.exact + this.since <= max) return false;
    const before = sum();
    this.exact = before;
    this.since = stored ? 0 : bytes;
    return before > max;
  }

  reset(): void {
    this.since = Infinity;
  }
}

/** One account's JetStream (nats-server's jsAccount); `limits` null: not enabled here. */
export class JsAccount {
  readonly account: Account;
  limits: JetStreamAccountLimits | null;
  readonly streams = new Map<string, Stream>();
  apiTotal = 0;
  apiErrors = 0;
  readonly js: JetStreamManager;
  private readonly apiSub: Subscription;
  /** Whether apiSub is subscribed (not while a service import of the API shadows it). */
  private apiSubscribed = false;
  /** The API request being answered (its audit advisory quotes it); subject null: none. */
  private reqSubject: Buffer | null = null;
  private reqHdrLen = -1;
  private reqPayload: Buffer | null = null;
  private reqSrc: ClientLink | null = null;
  /** When "resource limits exceeded for account" was last logged (ms). */
  private limitLoggedAt = 0;
  /** File bytes purged by subject filter that nats-server's usage still counts (StreamOwner.usageNotFreed). */
  private fileNotFreed = 0;
  /** Bounds of used('file') and used('memory') for the checks of each publish (UsageBound). */
  private readonly fileBound = new UsageBound();
  private readonly memBound = new UsageBound();
  private readonly sumFile = (): number => this.used('file');
  private readonly sumMemory = (): number => this.used('memory');

  constructor(js: JetStreamManager, account: Account, limits: JetStreamAccountLimits | null) {
    this.js = js;
    this.account = account;
    this.limits = limits;
    this.apiSub = internalSub('$JS.API.>', {
      clusterWide: false,
      receive: (subject, reply, hdrLen, payload, src) => {
        if (isDirectGet(subject)) return;
        const prev = [this.reqSubject, this.reqHdrLen, this.reqPayload, this.reqSrc] as const;
        this.reqSubject = subject;
        this.reqHdrLen = hdrLen;
        this.reqPayload = payload;
        this.reqSrc = src;
        try {
          js.api(this, subject, reply, hdrLen, payload);
        } finally {
          [this.reqSubject, this.reqHdrLen, this.reqPayload, this.reqSrc] = prev;
        }
      },
    });
    this.subscribeApi();
  }

  /** Whether the account answers its own `$JS.API` (no import shadows it). */
  get answersApi(): boolean {
    return this.apiSubscribed;
  }

  /**
   * nats-server's enableAllJetStreamServiceImportsAndMappings / enableJetStreamInfoServiceImportOnly:
   * the account answers `$JS.API.>` itself unless it imports the API as a service from another
   * account (a JetStream account: an import of `$JS.API.>` exactly; an account without
   * JetStream: any import whose subject takes `$JS.API.INFO`). Then the import's account answers.
   */
  subscribeApi(): void {
    const locals = (this.js.host.opts.accounts.find((a) => a.name === this.account.name)?.imports ?? [])
      .filter((i) => i.kind === 'service')
      .map((i) => i.to || i.subject);
    const shadowed = this.enabled ? locals.includes(JS_ALL_API) : locals.some((l) => subjectIsSubsetMatch(JS_API_INFO, l));
    if (shadowed === !this.apiSubscribed) return;
    if (shadowed) this.js.host.removeSub(this.account, this.apiSub);
    else this.js.host.addSub(this.account, this.apiSub);
    this.apiSubscribed = !shadowed;
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

  /** The internal consumers of mirrors and sources on this account's streams (nats-server's direct consumers: account info counts them). */
  sourcingConsumerCount(): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.readers.size;
    return n;
  }

  /** Bytes used by this account's streams of one storage type (nats-server's usage: with what filtered purges did not free). */
  used(storage: 'file' | 'memory'): number {
    let n = storage === 'file' ? this.fileNotFreed : 0;
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
    if (this.reqSubject !== null) this.audit(this.reqSubject, this.reqHdrLen, this.reqPayload!, this.reqSrc, json);
  }

  /** nats-server's sendJetStreamAPIAuditAdvisory: the request (body as text), who sent it and the response. */
  private audit(subject: Buffer, hdrLen: number, payload: Buffer, src: ClientLink | null, response: string): void {
    this.advise(JS_API_AUDIT, () => {
      const host = this.js.host;
      const ci = clientInfo(this.account.name, src !== null ? Math.round(src.rtt * 1e6) : 0, host.serverName, host.opts.cluster?.name ?? '');
      const body = (hdrLen > 0 ? payload.subarray(hdrLen) : payload).toString('utf8');
      return apiAudit(host.serverName, ci, subject.toString('latin1'), body, response, this.js.config.domain);
    });
  }

  /** Publishes an advisory built by `build` in this account, when someone listens (nats-server's publishAdvisory). */
  advise(subject: string, build: () => string): void {
    if (!this.account.sublist.hasInterest(subject)) return;
    this.js.host.publish(this.account, Buffer.from(subject, 'latin1'), null, -1, Buffer.from(build()));
  }

  /** A stream was created, updated or deleted through the API: `$JS.EVENT.ADVISORY.STREAM.<CREATED|UPDATED|DELETED>.<stream>`. */
  adviseStream(name: string, action: Action): void {
    const pre = action === 'create' ? STREAM_CREATED_PRE : action === 'modify' ? STREAM_UPDATED_PRE : STREAM_DELETED_PRE;
    this.advise(`${pre}.${name}`, () => streamAction(name, action, this.js.config.domain));
  }

  /** Publishes `json` on `reply` (when there is one) without counting it. */
  reply(reply: Buffer | null, json: string): void {
    if (reply !== null && reply.length > 0) this.js.host.respond(this.account, reply, -1, Buffer.from(json));
  }

  /** `<store_dir>/jetstream/<account>/streams/<stream>/`, as nats-server lays it out. */
  streamDir(name: string): string {
    return join(this.js.config.storeDir, this.account.name, STREAMS_DIR, name);
  }

  /** A new stream with its store (the config is checked); a file stream's meta.inf is written. */
  addStream(cfg: StreamConfig, created = Date.now()): Stream {
    const store = cfg.storage === 'file' ? FileStore.openSync(this.streamDir(cfg.name), this.storeOptions()) : new MemoryStore();
    const stream = new Stream(this.owner(), cfg, store, created);
    this.streams.set(cfg.name, stream);
    // A restored store brings its bytes: the bounds start over.
    for (const b of [this.fileBound, this.memBound, this.js.fileBound, this.js.memBound]) b.reset();
    if (cfg.storage === 'file') this.saveStreamMeta(stream);
    return stream;
  }

  private storeOptions(): FileStoreOptions {
    // sync_interval unset (0): the store's default (2 min, nats-server's).
    const sync = this.js.config.syncIntervalMs;
    return { syncIntervalMs: sync > 0 ? sync : DEFAULT_SYNC_INTERVAL_MS, log: (text) => this.js.host.log('WRN', `JetStream file store: ${text}`), crc32: this.js.host.crc32 };
  }

  /** Writes a file stream's meta.inf (its config and created time); memory streams have none. */
  saveStreamMeta(stream: Stream): void {
    if (!(stream.store instanceof FileStore)) return;
    const meta: StreamMeta = { created: stream.created, config: stream.cfg };
    writeFileAtomic(join(stream.store.dir, META_FILE), JSON.stringify(meta));
  }

  /**
   * nats-server's restore in enableAccount: every stream directory with a meta.inf is opened
   * with its config and created time, then its consumers from their saved config and state.
   */
  restore(): void {
    const sdir = join(this.js.config.storeDir, this.account.name, STREAMS_DIR);
    let names: string[];
    try {
      names = fs.readdirSync(sdir).sort();
    } catch {
      return;
    }
    const host = this.js.host;
    const acc = this.account.name;
    const restored: Stream[] = [];
    for (const dir of names) {
      // A stream deleted by a store that crashed before its directory was removed.
      if (isDeletedStoreDir(dir)) {
        fs.rmSync(join(sdir, dir), { recursive: true, force: true });
        continue;
      }
      const metafile = join(sdir, dir, META_FILE);
      let meta: StreamMeta;
      try {
        meta = JSON.parse(fs.readFileSync(metafile, 'utf8')) as StreamMeta;
      } catch (e) {
        host.log('WRN', `  Error reading metafile ${goQuote(metafile)}: ${(e as Error).message}`);
        continue;
      }
      host.log('INF', `  Starting restore for stream '${acc} > ${meta.config.name}'`);
      let stream: Stream;
      try {
        stream = this.addStream(meta.config, meta.created);
      } catch (e) {
        host.log('WRN', `  Error recreating stream ${goQuote(meta.config.name)}: ${(e as Error).message}`);
        continue;
      }
      host.log('INF', `  Restored ${comma(stream.store.state().msgs)} messages for stream '${acc} > ${stream.name}'`);
      restored.push(stream);
    }
    for (const stream of restored) {
      const store = stream.store as FileStore;
      const cnames = store.consumerNames();
      if (cnames.length > 0) host.log('INF', `  Recovering ${cnames.length} consumers for stream - '${acc} > ${stream.name}'`);
      for (const cname of cnames) {
        const cs = store.consumerStore(cname) as FileConsumerStore;
        const meta = cs.loadConfig() as ConsumerMeta | null;
        if (meta === null) {
          host.log('WRN', `    Missing consumer metafile ${goQuote(join(cs.dir, META_FILE))}`);
          continue;
        }
        try {
          const c = new Consumer(stream, meta.name, meta.config, meta.created, cs);
          stream.consumers.set(meta.name, c);
        } catch (e) {
          host.log('WRN', `    Error adding consumer ${goQuote(meta.name)}: ${(e as Error).message}`);
        }
      }
    }
  }

  /** Counts an internal request (a mirror's or source's consumer create) in the API counters. */
  private countApi(error: boolean): void {
    this.apiTotal++;
    this.js.apiTotal++;
    if (error) {
      this.apiErrors++;
      this.js.apiErrors++;
    }
  }

  /** This account answering a consumer create request on stream `name`. */
  private originIn(name: string): OriginLookup {
    const countApi = (error: boolean): void => this.countApi(error);
    if (!this.enabled) return { stream: null, error: JSNotEnabledForAccountErr, countApi };
    const stream = this.streams.get(name) ?? null;
    return { stream, error: stream === null ? JSStreamNotFoundErr : null, countApi };
  }

  /**
   * StreamOwner.lookupOrigin: a local origin is in this account; an external one is where the
   * account's service imports send `<api>.CONSUMER.CREATE.<name>` (an export of the API of a
   * JetStream account), provided a stream import from that account brings `<deliver>.>` back
   * unchanged, as nats-server's deliveries need. Accounts from the config only. 'remote': no
   * import takes the prefix, the request goes out as a message (another domain, over a leaf).
   */
  private lookupOrigin(src: StreamSource): OriginLookup | 'remote' | null {
    const x = src.external;
    if (x === null) return this.originIn(src.name);
    const o = this.js.host.opts;
    const conf = o.accounts.find((a) => a.name === this.account.name);
    const subject = `${x.api}.CONSUMER.CREATE.${src.name}`.replaceAll('..', '.');
    const imports = (conf?.imports ?? []).filter((imp) => imp.kind === 'service' && matchLiteral(subject, imp.to || imp.subject));
    if (imports.length === 0) return 'remote';
    if (conf === undefined || x.deliver === '') return null;
    const delivery = `${x.deliver}.S.x`.replaceAll('..', '.');
    for (const imp of imports) {
      const local = imp.to || imp.subject;
      const exporter = o.accounts.find((a) => a.name === imp.account);
      if (findExport(exporter, imp, conf.name) === undefined) continue;
      const mapped = serviceSubjects(local, imp.subject)(subject);
      const acc = this.js.host.account(imp.account);
      const jsa = acc === null ? undefined : this.js.accounts.get(acc);
      if (!mapped.startsWith(`${JS_API_PREFIX}.`) || jsa === undefined || !jsa.answersApi) return null;
      const back = conf.imports.some(
        (i) => i.kind === 'stream' && i.account === imp.account && i.to === '' && i.prefix === '' && subjectCovers(i.subject, delivery) && findExport(exporter, i, conf.name) !== undefined,
      );
      return back ? jsa.originIn(src.name) : null;
    }
    return null;
  }

  /** Deletes a stream (the API): its consumers and then the stream are advised deleted. */
  async deleteStream(stream: Stream): Promise<void> {
    this.streams.delete(stream.name);
    const done = stream.stop(true);
    this.adviseStream(stream.name, 'delete');
    await done;
  }

  private owner(): StreamOwner {
    const js = this.js;
    const host = js.host;
    const acc = this.account;
    return {
      account: acc,
      domain: this.js.config.domain,
      maxPayload: host.opts.maxPayload,
      log: (level, text) => host.log(level, text),
      publish: (subject, reply, hdrLen, payload, frame) => host.publish(acc, subject, reply, hdrLen, payload, frame),
      respond: (reply, hdrLen, payload) => host.respond(acc, reply, hdrLen, payload),
      addSub: (sub) => void host.addSub(acc, sub),
      removeSub: (sub) => host.removeSub(acc, sub),
      lookupOrigin: (src) => this.lookupOrigin(src),
      sourcing: (stream) => (Sourcing.wanted(stream.cfg) ? new Sourcing(stream) : null),
      usageNotFreed: (bytes) => {
        this.fileNotFreed += bytes;
        this.fileBound.reset();
        js.fileBound.reset();
      },
      serverLimitsExceeded: (storage, bytes) => {
        const mem = storage === 'memory';
        const over = (mem ? js.memBound : js.fileBound).over(mem ? js.config.maxMemory : js.config.maxStore, bytes, false, mem ? js.sumMemory : js.sumFile);
        // nats-server's resourcesExeededError: at most once every 10 s.
        if (over && Date.now() - this.js.limitLoggedAt > 10_000) {
          this.js.limitLoggedAt = Date.now();
          host.log('ERR', 'JetStream resource limits exceeded for server');
        }
        return over;
      },
      accountLimitsExceeded: (storage, bytes) => {
        const l = this.limits;
        if (l === null) return true;
        const mem = storage === 'memory';
        const perStream = mem ? l.memoryMaxStreamBytes : l.storeMaxStreamBytes;
        const max = mem ? l.maxMemory : l.maxStore;
        // Over either limit (perStream 0 and max -1: none): over the lower of the two.
        const limit = perStream > 0 ? (max >= 0 ? Math.min(perStream, max) : perStream) : max;
        const over = (mem ? this.memBound : this.fileBound).over(limit, bytes, true, mem ? this.sumMemory : this.sumFile);
        // nats-server's RateLimitWarnf (the same statement at most once a second).
        if (over && Date.now() - this.limitLoggedAt >= 1000) {
          this.limitLoggedAt = Date.now();
          host.log('WRN', `JetStream resource limits exceeded for account: ${goQuote(acc.name)}`);
        }
        return over;
      },
    };
  }

  async stop(): Promise<void> {
    if (this.apiSubscribed) this.js.host.removeSub(this.account, this.apiSub);
    this.apiSubscribed = false;
    await Promise.all([...this.streams.values()].map((s) => s.stop(false)));
  }
}

export class JetStreamManager implements JetStream {
  readonly host: JetStreamHost;
  readonly config: JetStreamConfig;
  readonly api: ApiHandler;
  private readonly snapshot: JszHandler;
  readonly accounts = new Map<Account, JsAccount>();
  apiTotal = 0;
  apiErrors = 0;
  /** When "resource limits exceeded for server" was last logged (ms). */
  limitLoggedAt = 0;
  /** Bounds of used('file') and used('memory') for the checks of each publish (UsageBound). */
  readonly fileBound = new UsageBound();
  readonly memBound = new UsageBound();
  readonly sumFile = (): number => this.used('file');
  readonly sumMemory = (): number => this.used('memory');

  constructor(host: JetStreamHost, config: JetStreamConfig, api: ApiHandler, snapshot: JszHandler) {
    this.host = host;
    this.config = config;
    this.api = api;
    this.snapshot = snapshot;
  }

  jsz(opts: JszOptions): JszSnapshot {
    return this.snapshot(this, opts);
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
   * 10039). Every account gets the `$JS.API.>` subscription and, with a domain, the mappings of
   * `$JS.<domain>.API` to it that it does not map otherwise (enableAllJetStreamServiceImportsAndMappings).
   */
  configureAccounts(): void {
    const o = this.host.opts;
    const names = ['$G', ...o.accounts.map((a) => a.name)];
    const globalOnly = !this.host.hasConfiguredAccounts();
    for (const name of names) {
      const acc = this.host.account(name);
      if (acc === null || name === o.systemAccount) continue;
      const conf = o.accounts.find((a) => a.name === name);
      const limits = globalOnly && name === '$G' ? unlimitedJetStreamAccount() : (conf?.jetstream ?? null);
      if (this.config.domain !== '') addJsDomainMappings(acc, this.config.domain, true);
      const jsa = this.accounts.get(acc);
      if (jsa === undefined) {
        const created = new JsAccount(this, acc, limits);
        this.accounts.set(acc, created);
        if (limits !== null) created.restore();
      } else {
        jsa.limits = limits;
        jsa.subscribeApi();
      }
    }
  }

  /** Hands every file store's buffered bytes to the OS (before output leaves ahead of the turn's end). */
  writePending(): void {
    for (const jsa of this.accounts.values()) for (const s of jsa.streams.values()) s.store.writePending();
  }

  async shutdown(): Promise<void> {
    this.host.log('INF', 'Initiating JetStream Shutdown...');
    await Promise.all([...this.accounts.values()].map((a) => a.stop()));
    this.accounts.clear();
    this.host.log('INF', 'JetStream Shutdown');
  }
}

/** Go's %q for the plain strings of these log lines. */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** nats-server's comma: 1234567 -> "1,234,567". */
function comma(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
