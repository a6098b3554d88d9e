// A consumer's files beside its stream: <stream dir>/obs/<name>/state.json and meta.inf.
// The state is kept in memory by update() and written at most every WRITE_DELAY_MS (nats-server's
// consumerFileStore flushLoop: about 10 writes a second under load) and on stop, atomically
// (write a temp file, rename it over the old one), so a crash leaves the previous or the new
// state, never a torn one; the temp file is fsynced before the rename once per sync period and
// on stop. After a kill -9 the state may lag the consumer by WRITE_DELAY_MS, after a power loss
// by a sync period (redelivery, never loss).
import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import type { ConsumerState, ConsumerStore } from './store.js';

/** What a deleted stream's or consumer's directory is renamed to end with before it is removed. */
const DELETED_SUFFIX = '.deleted';
let deleteSeq = 0;

/**
 * A directory a delete renamed and a crash kept from being removed: `<name>.<pid>-<n>.deleted`
 * (stream and consumer names have no '.', so no live directory ends so). The JetStream restore
 * (streams) and FileStore.consumerNames (consumers) remove it.
 */
export function isDeletedStoreDir(name: string): boolean {
  return name.endsWith(DELETED_SUFFIX);
}

/** fsyncs a directory (its entries), best effort: not every platform can open one for it. */
export function fsyncDir(path: string): void {
  let fd = -1;
  try {
    fd = fs.openSync(path, 'r');
    fs.fsyncSync(fd);
  } catch {
    // What was fsynced before stands.
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

/**
 * Removes a stream's or consumer's directory: renamed first (atomic; its parent fsynced) to a
 * name no stream or consumer has, then removed, so a crash during the removal leaves nothing
 * under the old name (a part of it came back, or a new one of the same name found it).
 */
export function removeStoreDir(dir: string): void {
  let doomed = `${dir}.${process.pid}-${++deleteSeq}${DELETED_SUFFIX}`;
  try {
    fs.renameSync(dir, doomed);
    fsyncDir(dirname(dir));
  } catch {
    doomed = dir; // gone already, or not renameable here: removed in place
  }
  fs.rmSync(doomed, { recursive: true, force: true });
}

interface StateJson {
  delivered: { consumer_seq: number; stream_seq: number };
  ack_floor: { consumer_seq: number; stream_seq: number };
  /** [stream seq, consumer seq, ts] */
  pending: [number, number, number][];
  /** [stream seq, count] */
  redelivered: [number, number][];
}

/** The most often a consumer's state is written, ms (nats-server's minTime). */
const WRITE_DELAY_MS = 100;

/** Writes `data` to `path` through `<path>.tmp` (fsynced unless `sync` is false) and a rename. */
export function writeAtomic(path: string, data: string | readonly Buffer[], sync = true): void {
  const tmp = path + '.tmp';
  const fd = fs.openSync(tmp, 'w');
  try {
    if (typeof data === 'string') fs.writeSync(fd, data);
    else fs.writevSync(fd, data as Buffer[]);
    if (sync) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path);
}

export class FileConsumerStore implements ConsumerStore {
  closed = false;
  private pending: ConsumerState | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastSync = Date.now();

  constructor(
    readonly dir: string,
    private readonly syncIntervalMs: number,
    private readonly log: (text: string) => void,
  ) {
    fs.mkdirSync(dir, { recursive: true });
  }

  load(): ConsumerState | null {
    let text: string;
    try {
      text = fs.readFileSync(join(this.dir, 'state.json'), 'utf8');
    } catch {
      return null;
    }
    try {
      const j = JSON.parse(text) as StateJson;
      return {
        delivered: { consumerSeq: j.delivered.consumer_seq, streamSeq: j.delivered.stream_seq },
        ackFloor: { consumerSeq: j.ack_floor.consumer_seq, streamSeq: j.ack_floor.stream_seq },
        pending: new Map(j.pending.map(([s, c, ts]) => [s, { consumerSeq: c, ts }])),
        redelivered: new Map(j.redelivered),
      };
    } catch (e) {
      this.log(`consumer state ${this.dir}: unreadable (${(e as Error).message}), starting from scratch`);
      return null;
    }
  }

  /** The consumer may go on changing `state` in place: the write reads it when it happens. */
  update(state: ConsumerState): void {
    if (this.closed) return;
    // Kept by reference (O(1) per ack): what is written is the state as it is at write time,
    // which is never ahead of the consumer.
    this.pending = state;
    if (this.timer === null) {
      this.timer = setTimeout(() => this.write(false), Math.min(WRITE_DELAY_MS, this.syncIntervalMs));
      this.timer.unref();
    }
  }

  /** Writes the state; fsynced when `final` (stop) or once a sync period has passed since the last fsync. */
  private write(final: boolean): void {
    this.timer = null;
    const s = this.pending;
    if (s === null) return;
    this.pending = null;
    const j: StateJson = {
      delivered: { consumer_seq: s.delivered.consumerSeq, stream_seq: s.delivered.streamSeq },
      ack_floor: { consumer_seq: s.ackFloor.consumerSeq, stream_seq: s.ackFloor.streamSeq },
      pending: [...s.pending].map(([seq, p]) => [seq, p.consumerSeq, p.ts]),
      redelivered: [...s.redelivered],
    };
    try {
      const now = Date.now();
      const sync = final || now - this.lastSync >= this.syncIntervalMs;
      if (sync) this.lastSync = now;
      writeAtomic(join(this.dir, 'state.json'), JSON.stringify(j), sync);
    } catch (e) {
      this.log(`consumer state ${this.dir}: write failed: ${(e as Error).message}`);
    }
  }

  saveConfig(config: unknown): void {
    writeAtomic(join(this.dir, 'meta.inf'), JSON.stringify(config));
  }

  /** The saved config JSON, or null. */
  loadConfig(): unknown {
    try {
      return JSON.parse(fs.readFileSync(join(this.dir, 'meta.inf'), 'utf8'));
    } catch {
      return null;
    }
  }

  async stop(): Promise<void> {
    if (this.closed) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.write(true);
    this.closed = true;
  }

  async delete(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
    this.closed = true;
    // Synchronous: a consumer of the same name created right after must not lose its files to it.
    removeStoreDir(this.dir);
  }
}
