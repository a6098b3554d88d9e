// The storage seam of JetStream: what a stream and its consumers need of a store, implemented by
// the memory store (store/memory.ts) and the file store (store/file.ts). It follows nats-server's
// StreamStore and ConsumerStore (store.go), cut to what tsnats uses; a store knows limits (it
// applies max_msgs, max_bytes, max_age, max_msgs_per_subject and the discard policy when it is
// told the config) but nothing of the API, accounts or the wire.
//
// Contracts:
// - Sequences are numbers (safe up to 2^53; a stream will not reach it). Times are nanoseconds
//   since the epoch as bigint only where the wire needs them; inside the store `ts` is
//   milliseconds since the epoch plus a nanosecond remainder is not kept (nats-server keeps ns;
//   the API renders ms precision with Go's RFC 3339 format).
// - A message's stored size is nats-server's: the file store counts
//   subject + headers + payload + 30 bytes, 4 more when there are headers (fileStoreMsgSize),
//   the memory store subject + headers + payload + 16 (memStoreMsgSize). `bytes` in the state
//   and the max_bytes limit use exactly this.
// - Calls are synchronous except open/flush/stop/delete: a store may buffer writes and persist
//   them once per loop turn, but a stored message is visible to load*() at once. The file store
//   persists a message before the publish ack that names its sequence leaves the server
//   (written to the OS; fsync on sync_interval and on stop, as nats-server).

/** nats-server's StorageType as the API names it. */
export type StorageType = 'file' | 'memory';

/** One stored message. `hdr` is empty when there are no headers. */
export interface StoreMsg {
  subject: string;
  hdr: Buffer;
  msg: Buffer;
  seq: number;
  /** Milliseconds since the epoch when stored. */
  ts: number;
}

/** nats-server's SimpleState (a subject filter's view). */
export interface SimpleState {
  msgs: number;
  first: number;
  last: number;
}

/** nats-server's StreamState, without the consumer count (the stream adds it). */
export interface StreamState {
  msgs: number;
  bytes: number;
  /**
   * 0 for a store that never held a message (memstore's zero state, what stream info shows for
   * a new stream); once messages came and went, lastSeq + 1 while empty (after a purge, a skip).
   */
  firstSeq: number;
  /** ms since the epoch of the first message (0 when empty). */
  firstTs: number;
  lastSeq: number;
  lastTs: number;
  numSubjects: number;
  /** Interior deletes (sequences between first and last that are gone). */
  numDeleted: number;
}

/** The limits a store applies itself. A value <= 0 means unlimited (as in the config JSON: -1). */
export interface StoreLimits {
  maxMsgs: number;
  maxBytes: number;
  /** Milliseconds; 0 = none. */
  maxAgeMs: number;
  maxMsgsPer: number;
  /** Largest single message (headers + payload), -1 = unlimited. The stream checks it before store(); a store may ignore it. */
  maxMsgSize: number;
  discard: 'old' | 'new';
  discardNewPer: boolean;
}

/** No limits: what a store applies until it is told the stream's config. */
export const NO_LIMITS: Readonly<StoreLimits> = { maxMsgs: -1, maxBytes: -1, maxAgeMs: 0, maxMsgsPer: -1, maxMsgSize: -1, discard: 'old', discardNewPer: false };

/** Why a store refused a message (the stream maps each to nats-server's error). */
export type StoreRefusal =
  | 'maximum messages exceeded'
  | 'maximum bytes exceeded'
  | 'maximum messages per subject exceeded'
  | 'message size exceeds maximum allowed'
  /** The store cannot write (disk full, I/O error): it is read-only until a write succeeds again. */
  | 'insufficient resources';

/** A removal the store made on its own (limits, age): consumers and interest tracking hear of it. */
export type RemovedListener = (seq: number, subject: string) => void;

export interface StreamStore {
  readonly type: StorageType;
  /** Applies (new) limits; may remove messages at once. */
  setLimits(limits: StoreLimits): void;
  /** Stores a message at the next sequence; returns the sequence, or why it was refused. */
  store(subject: string, hdr: Buffer, msg: Buffer, ts: number): number | StoreRefusal;
  /**
   * store() of the headers hdr[h0, h1) and the body msg[m0, m1) (hdr and msg may be one buffer:
   * a publish is stored straight from its read buffer). The bytes are copied before it returns:
   * the caller may reuse the buffers at once. store() is storeAt() over whole buffers.
   */
  storeAt(subject: string, hdr: Buffer, h0: number, h1: number, msg: Buffer, m0: number, m1: number, ts: number): number | StoreRefusal;
  /** Advances the last sequence without a message (mirrors, sources, purge to a sequence). */
  skip(): number;
  /** The message at `seq`, or null (deleted, not yet stored, or before the first). */
  load(seq: number): StoreMsg | null;
  /**
   * The first message at or after `start` whose subject matches `filter` ('' or '>' = all;
   * wildcards allowed), or null.
   */
  loadNext(filter: string, start: number): StoreMsg | null;
  /** The last message on `subject` (a literal or a wildcard filter), or null. */
  loadLast(subject: string): StoreMsg | null;
  /** Removes one message; false when it was not there. `erase` overwrites its bytes first. */
  remove(seq: number, erase: boolean): boolean;
  /**
   * nats-server's PurgeEx: all, one subject filter, keep the last `keep`, or up to (not incl.)
   * `seq`. Returns the count purged. Throws Error(nats-server's text) where PurgeEx fails: a
   * compaction to a sequence that is not stored ('no message found'), seq > 1 with keep.
   */
  purge(opts: { filter?: string; seq?: number; keep?: number }): number;
  /** The first sequence whose message was stored at or after `ts` (ms), or lastSeq + 1. */
  seqFromTime(ts: number): number;
  /** nats-server's FilteredState: messages at or after `seq` matching `filter`. */
  filteredState(seq: number, filter: string): SimpleState;
  /** Per-subject counts for subjects matching `filter` (nats-server's SubjectsState). */
  subjectsState(filter: string): Map<string, SimpleState>;
  /** The interior deleted sequences (for deleted_details). */
  deleted(): number[];
  state(): StreamState;
  /** state().bytes without building the state (the publish path checks the storage limits with it). */
  storedBytes(): number;
  /** Called for every message the store removes by itself (limits, max_age); not for remove() or purge(). */
  onRemoved(listener: RemovedListener): void;
  /**
   * The highest sequence whose record is handed to the OS (the memory store: the last one). A
   * publish ack for `seq` may leave only once writtenThrough() >= seq; a stored message above it
   * may still be taken back by a failed write (the store then refuses stores until it can write).
   */
  writtenThrough(): number;
  /**
   * Hands buffered writes to the OS at once (synchronous; a no-op when nothing is buffered or
   * for the memory store). The server calls it before output leaves ahead of the turn's end.
   */
  writePending(): void;
  /** Persists what is buffered (the file store's sync). */
  flush(): Promise<void>;
  /** Flushes and closes; the store keeps its data. */
  stop(): Promise<void>;
  /** Stops and removes all its data. */
  delete(): Promise<void>;
  /** Where consumer `name` of this stream keeps its state: a file beside the stream, or null (memory: the consumer keeps it). */
  consumerStore(name: string): ConsumerStore | null;
}

/** nats-server's SequencePair. */
export interface SequencePair {
  consumerSeq: number;
  streamSeq: number;
}

/** nats-server's ConsumerState, as a consumer store persists it. */
export interface ConsumerState {
  delivered: SequencePair;
  ackFloor: SequencePair;
  /** Stream sequence → [consumer sequence, delivered at (ms)] for explicit-ack pending messages. */
  pending: Map<number, { consumerSeq: number; ts: number }>;
  /** Stream sequence → delivery count, for messages delivered more than once. */
  redelivered: Map<number, number>;
}

/** Where a consumer keeps its state: memory (lost on restart) or a file beside its stream. */
export interface ConsumerStore {
  /** The persisted state, or null for a new consumer. */
  load(): ConsumerState | null;
  /** Records the state; a file store writes it at most once per sync period (may lag, never lead). */
  update(state: ConsumerState): void;
  /** The consumer's config JSON (kept so the consumer is back after a restart). */
  saveConfig(config: unknown): void;
  stop(): Promise<void>;
  delete(): Promise<void>;
}
