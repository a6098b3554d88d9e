// The file store: a stream's messages in append-only block files under <dir>/msgs/, an index in
// memory (file-index.ts), consumers' state under <dir>/obs/ (file-consumer.ts). The format and
// the recovery rules are in docs/jetstream-store.md.
//
// Writes: a record is built in the write block's buffer (the whole last block is kept in memory)
// and the bytes of one loop turn go to the OS in one write, from a microtask queued by the first
// store of the turn: it runs when the socket read that produced the publishes has been handled,
// before the reactor's end-of-turn flush sends their acks (so a message is written to the OS
// before its ack leaves; kill -9 loses nothing acked). Past WRITE_HIGH_WATER buffered bytes the
// write happens at once. fsync runs every sync interval and on stop, and so does the write of
// the index file (when the store changed): a recovery after a crash takes the blocks unchanged
// since from it and scans only the blocks written or changed since (recoverFromIndex).
// Reads: the write block from its buffer, older blocks from a small LRU of whole blocks read
// with readSync (their records' checksums are checked when a block is loaded).
// Removals: a tombstone record for an interior message, a "first" record (once per turn) when
// the first sequence moves; erase overwrites the record in place. A block left empty is
// deleted, one left mostly empty is rewritten (compaction).
import * as fs from 'node:fs';
import { basename, join } from 'node:path';
import type {
  RemovedListener,
  SimpleState,
  StoreLimits,
  StoreMsg,
  StoreRefusal,
  StreamState,
  StreamStore,
  ConsumerStore,
} from './store.js';
import { NO_LIMITS } from './store.js';
import {
  BLOCK_HDR,
  KIND_ERASED,
  KIND_FIRST,
  KIND_MSG,
  KIND_SKIP,
  KIND_TOMB,
  REC_EXTRA,
  REC_HDR,
  bodyAt,
  checkRecord,
  fileStoreMsgSize,
  recordLen,
  readBlockHeader,
  recBody,
  recHdrLen,
  recKind,
  recSeq,
  recSubjLen,
  recTs,
  sealRecord,
  writeBlockHeader,
} from './file-format.js';
import { SeqIndex, SubjectTable, filterIsAll, filterIsLiteral } from './file-index.js';
import { FileConsumerStore, fsyncDir, isDeletedStoreDir, removeStoreDir, writeAtomic } from './file-consumer.js';
import { subjectEqualsBytes } from '../../subjects/subject.js';
import { crc32, type Crc32Fn } from '../../util/crc32.js';
import { copyLatin1, copySpan } from '../../protocol/batcher.js';

export { isDeletedStoreDir };

export interface FileStoreOptions {
  /** A block is closed and a new one started past this many bytes (default 8 MiB, as nats-server for limits streams). */
  blockSize?: number;
  /** fsync period in ms (nats-server's sync_interval, default 2 min). */
  syncIntervalMs?: number;
  /** Older blocks kept in memory for reads (default 4). */
  cacheBlocks?: number;
  /** Where recovery and I/O problems are reported (torn tails, corrupt records, write errors). */
  log?: (text: string) => void;
  /** The records' checksum: the server's twin (Implementation.crc32); default the TS path's. */
  crc32?: Crc32Fn;
}

export const DEFAULT_BLOCK_SIZE = 8 * 1024 * 1024;
export const DEFAULT_SYNC_INTERVAL_MS = 2 * 60 * 1000;
/** Buffered bytes past which the write block is written without waiting for the turn's end. */
const WRITE_HIGH_WATER = 1024 * 1024;
/** A loaded message's headers when it has none (one empty buffer, not a view per load). */
const NO_HDR = Buffer.alloc(0);
const FIRST_BUF = 64 * 1024;
/** A block's summary of subjects when it has none. */
const NO_SUM = new Uint32Array(0);
/** How often a store that could not write tries again. */
const RETRY_MS = 1000;
/** A read-only store without buffered records resumes when its file system has this much free. */
const RESUME_FREE = 64 * 1024;

interface Block {
  id: number;
  /** The first sequence this block may hold (every sequence below belongs to older blocks). */
  base: number;
  fd: number;
  /** Bytes on disk (the write block may have more in `buf`). */
  written: number;
  /** Bytes of the block, buffered ones included. */
  size: number;
  /** The whole block in memory: the write block always, older blocks while cached. */
  buf: Buffer | null;
  /** Live messages and their record bytes. */
  live: number;
  liveBytes: number;
  /** Records of removed messages still in the file (0 after a rewrite: its tombstones are moot). */
  dead: number;
  /** The last sequence read from it while it was not in memory (an in-order read loads it whole). */
  lastRead: number;
  /** Holds tombstone or first records (compaction carries them over). */
  meta: boolean;
  /**
   * Its messages are in the index. False for the blocks of a store opened from the index file
   * until a read or removal needs them (indexBlock): their live messages are then known only by
   * the live bits of the index file, their counts by the file's block table.
   */
  indexed: boolean;
  /**
   * Its summary of subjects, [subject id, live messages, ...]: from the index file for a block not
   * indexed; for an older indexed block the one counted at the last index write, dropped (null)
   * by a removal from it.
   */
  sum: Uint32Array | null;
  /** Its fingerprint (blockFp) when its size was fpSize (-1: not known). */
  fp: number;
  fpSize: number;
}

/** What a scan of block files gathers for recovery (scanBlock). */
interface ScanState {
  tombs: number[];
  /** The highest first record. */
  floor: number;
  lastTsSeq: number;
  prevSubject: string;
  prevId: number;
  /** The index file's live bits (bit of seq s at s - bitsBase): a message up to bitsTo is live only when its bit is set. */
  bits: Uint8Array | null;
  bitsBase: number;
  bitsTo: number;
  /** Blocks and bytes scanned (the recovery's log line). */
  blocks: number;
  bytes: number;
}

const newScan = (bits: Uint8Array | null, bitsBase: number, bitsTo: number): ScanState => ({
  tombs: [],
  floor: 0,
  lastTsSeq: bitsTo,
  prevSubject: '',
  prevId: 0,
  bits,
  bitsBase,
  bitsTo,
  blocks: 0,
  bytes: 0,
});

const blockName = (id: number): string => `${id}.blk`;

/** Bit `seq - base` of a bit set (bit k of byte j is base + 8j + k); false outside it. */
function bitSet(bits: Uint8Array, base: number, seq: number): boolean {
  const d = seq - base;
  return d >= 0 && d >>> 3 < bits.length && (bits[d >>> 3] & (1 << (d & 7))) !== 0;
}

/**
 * The index file (docs/jetstream-store.md, The index file), format 3: a 32-byte header ('TSNS' |
 * CRC-32 of [8, names) | JSON length J | 3 | subject ids T | summary words S | names bytes N |
 * CRC-32 of the names), the JSON (state and blocks), padded to 4; the blocks' summaries (S u32);
 * the subject table's counts, first and last (T u32 each, first and last as offsets from
 * firstSeq); the live bits; the names (T u16 lengths, then their latin1 bytes). Format 2 (a
 * 16-byte header with 0 at offset 12, everything but the bits in its JSON) is still read.
 */
const INDEX_FILE = 'index.db';
const INDEX_MAGIC = 0x534e5354; // 'TSNS'
/** The format written (offset 12); 2 is read too (its JSON says `fmt` 2, offset 12 is 0). */
const INDEX_FMT = 3;
const INDEX_FMT_JSON = 2;
const INDEX_HDR = 32;
/** A block's fingerprint: the CRC-32 of its last FP_BYTES bytes (or all of them when it is shorter). */
const FP_BYTES = 64;
/** Numbers the temp files of the index files written at syncs (unique in the process). */
let indexTmpSeq = 0;
/** Format 3's u32 sections are written and read as typed arrays: little-endian machines only (elsewhere no index file is used). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

interface IndexBlock {
  id: number;
  base: number;
  size: number;
  live: number;
  liveBytes: number;
  dead: number;
  meta: boolean;
  fp: number;
  sum: Uint32Array;
}

/** An index file, decoded. */
interface IndexMeta {
  msgs: number;
  bytes: number;
  firstSeq: number;
  /** The time of the first message (0 when there is none): state() without reading its block. */
  firstTs: number;
  lastSeq: number;
  lastTs: number;
  nextBlockId: number;
  blocks: IndexBlock[];
  subjects: { names: string[]; msgs: number[]; first: number[]; last: number[] };
  /** Format 3: the names section and its checksum, as the next build would make them from this table. */
  names: { bytes: Buffer; crc: number } | null;
}

/** Format 3's JSON: the state and the blocks (each block's summary is `sumLen` words of the summaries section). */
type IndexJson = Omit<IndexMeta, 'blocks' | 'subjects' | 'names'> & { blocks: (Omit<IndexBlock, 'sum'> & { sumLen: number })[] };

/** Format 2's JSON (everything but the live bits). */
interface IndexJson2 extends Omit<IndexJson, 'blocks'> {
  fmt: number;
  blocks: (Omit<IndexBlock, 'sum'> & { sum: number[] })[];
  subjects: IndexMeta['subjects'];
}

const align4 = (n: number): number => (n + 3) & ~3;

/**
 * An index file being built (indexHead): its bytes up to the names section (header fields of the
 * names and the checksums not set yet), and the names section, or the names to encode it from.
 */
interface IndexHead {
  out: Buffer;
  names: { bytes: Buffer; crc: number } | null;
  /** A copy of the subject table's names (at `version`) when the section must be encoded again. */
  pending: string[] | null;
  version: number;
}

/** Names encoded per slice of a sync's index file (between slices the event loop runs). */
const NAMES_SLICE = 65536;

export class FileStore implements StreamStore {
  readonly type = 'file' as const;
  readonly dir: string;
  private readonly msgDir: string;
  private readonly blockSize: number;
  private readonly syncIntervalMs: number;
  private readonly cacheBlocks: number;
  private readonly log: (text: string) => void;
  private readonly crc: Crc32Fn;

  private blocks: Block[] = [];
  private wb!: Block;
  private nextBlockId = 1;
  private readonly cache = new Map<Block, true>();
  /** The block put in the cache last (its most recently used while it is still in it; then blockData() need not move it). */
  private cacheMru: Block | null = null;
  private readonly idx = new SeqIndex();
  private readonly subj = new SubjectTable();
  private limits: StoreLimits = NO_LIMITS;
  private readonly listeners: RemovedListener[] = [];
  /** Blocks not indexed yet (opened from the index file); 0 once every block is. */
  private lazy = 0;
  /** While lazy > 0: the index file's live bits (bit of seq s at s - liveBase). */
  private liveBits: Uint8Array | null = null;
  private liveBase = 0;
  /** While lazy > 0: the first message's time from the index file, valid while firstSeq is firstTsSeq. */
  private firstTsSeq = 0;
  private firstTsHint = 0;
  /** Recovery from the index file: the subjects whose counts changed (their first and last are found again). */
  private touched: Set<number> | null = null;
  /** Live messages of the index file found erased in place (after it was written; see indexBlock). */
  private erasedFound = 0;
  private sumScratch = new Uint32Array(0);
  /** The names section of the last index file built, kept while no subject id was created or reused. */
  private namesCache: { version: number; ids: number; bytes: Buffer; crc: number } | null = null;
  /** Bumped by every change (scheduleFlush); the index file is written at a sync when it moved. */
  private changes = 0;
  private changesAtIndex = -1;
  /** The sync under way (fsyncs, then its index file): syncs run one at a time, stop waits for it. */
  private syncing: Promise<void> = Promise.resolve();

  private msgs = 0;
  private bytes = 0;
  private firstSeq = 1;
  private lastSeq = 0;
  private lastTs = 0;
  /**
   * A new store (no block file when opened) that has not stored, skipped or purged yet: the state
   * says first 0 (nats-server's zero state). Once a block file exists, a reopened empty store says
   * lastSeq + 1, as nats-server's recovery does.
   */
  private fresh = false;

  private flushQueued = false;
  /** The first sequence moved since the last "first" record. */
  private firstDirty = false;
  /** A purge is in the turn: its records are fsynced before its blocks are dropped or rewritten. */
  private syncBeforeDrop = false;
  private readonly toCompact = new Set<Block>();
  private readonly dirtyFds = new Set<number>();
  private syncTimer: NodeJS.Timeout | null = null;
  private ageTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly consumers = new Map<string, FileConsumerStore>();
  /** The last sequence whose record was handed to the OS while bytes were still buffered (see writtenThrough). */
  private durableSeq = 0;
  /** Why the last write failed: the store refuses stores ('insufficient resources') until a retry writes. */
  private writeError: string | null = null;
  private retryTimer: NodeJS.Timeout | null = null;

  private readonly flushTask = (): void => {
    this.flushQueued = false;
    if (!this.closed) this.flushNow();
  };

  private constructor(dir: string, o: FileStoreOptions) {
    this.dir = dir;
    this.msgDir = join(dir, 'msgs');
    this.blockSize = o.blockSize ?? DEFAULT_BLOCK_SIZE;
    this.syncIntervalMs = o.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS;
    this.cacheBlocks = o.cacheBlocks ?? 4;
    this.log = o.log ?? ((text) => process.stderr.write(`[filestore] ${text}\n`));
    this.crc = o.crc32 ?? crc32;
  }

  /** Opens (creating when absent) the store in `dir` and recovers its state from the blocks. */
  static async open(dir: string, o: FileStoreOptions = {}): Promise<FileStore> {
    await fs.promises.mkdir(join(dir, 'msgs'), { recursive: true });
    return FileStore.openSync(dir, o);
  }

  /** open() without awaiting: what the stream layer uses (stream create and restore are synchronous). */
  static openSync(dir: string, o: FileStoreOptions = {}): FileStore {
    const s = new FileStore(dir, o);
    fs.mkdirSync(s.msgDir, { recursive: true });
    s.recover();
    s.syncTimer = setInterval(() => void s.sync(), s.syncIntervalMs);
    s.syncTimer.unref();
    return s;
  }

  // ---- recovery ----

  private recover(): void {
    for (const n of fs.readdirSync(this.msgDir)) if (n.endsWith('.tmp')) fs.rmSync(join(this.msgDir, n), { force: true });
    for (const n of fs.readdirSync(this.dir)) if (n.startsWith(INDEX_FILE) && n.endsWith('.tmp')) fs.rmSync(join(this.dir, n), { force: true });
    const ids = fs
      .readdirSync(this.msgDir)
      .filter((n) => /^\d+\.blk$/.test(n))
      .map((n) => Number(n.slice(0, -4)))
      .sort((a, b) => a - b);
    const index = this.readIndexFile();
    if (index !== null && this.recoverFromIndex(index.meta, index.bits, ids)) return;
    // No usable index file: none is left behind (the next one is written from this scan's state).
    fs.rmSync(join(this.dir, INDEX_FILE), { force: true });
    // New blocks never take the id of a file found here, even one set aside.
    if (ids.length > 0) this.nextBlockId = ids[ids.length - 1] + 1;
    const st = newScan(null, 0, 0);
    for (let k = 0; k < ids.length; k++) this.scanBlock(ids[k], k === ids.length - 1, null, st);
    if (st.blocks > 0) this.log(`recovered ${this.dir} from its ${st.blocks} block(s) (${st.bytes} bytes scanned, no usable index file)`);
    const floor = st.floor;
    if (floor - 1 > this.lastSeq) this.lastSeq = floor - 1;
    this.fresh = ids.length === 0;
    // Apply the removals: tombstones, then everything below the floor.
    for (const t of st.tombs) if (this.idx.at(t) !== 0) this.unindex(t);
    if (this.blocks.length > 0) for (let s = this.idx.base; s < floor && s <= this.lastSeq; s++) if (this.idx.at(s) !== 0) this.unindex(s);
    // Per-subject first/last and the stream's first.
    this.firstSeq = this.lastSeq + 1;
    if (this.msgs > 0) {
      const sid = this.idx.sid;
      const ib = this.idx.base;
      for (let s = Math.max(ib, this.blocks[0]?.base ?? ib); s <= this.lastSeq; s++) {
        const id = sid[s - ib];
        if (id === 0) continue;
        if (this.firstSeq > this.lastSeq) this.firstSeq = s;
        if (this.subj.first[id] === 0) this.subj.first[id] = s;
        this.subj.last[id] = s;
      }
    }
    for (const id of [...this.subjIdsWithoutMsgs()]) this.subj.release(id);
    this.openWriteBlock();
    for (const b of this.blocks.slice(0, -1)) if (b.live === 0) this.dropBlock(b);
    this.idx.ensure(this.lastSeq + 1, this.firstSeq);
    this.recordIfEmptied();
    this.scheduleAge();
  }

  /** Recovery's end: every block gets its descriptor; the last block stays the write block unless it is full. */
  private openWriteBlock(): void {
    for (const b of this.blocks) if (b.fd < 0) b.fd = fs.openSync(join(this.msgDir, blockName(b.id)), 'r+');
    const last = this.blocks[this.blocks.length - 1];
    if (last === undefined || last.size >= this.blockSize) this.newBlock();
    else {
      this.wb = last;
      // A block not indexed yet (taken from the index file) is read when the first record is appended.
      if (!last.indexed) return;
      // Its bytes were kept by the scan unless a later file was ignored (then read them again).
      const data = last.buf ?? fs.readFileSync(join(this.msgDir, blockName(last.id))).subarray(0, last.size);
      this.wb.buf = this.growBuf(data, last.size, 0);
    }
  }

  /** Recovery's end: when everything was removed, a first record remembers where the stream stands. */
  private recordIfEmptied(): void {
    if (this.firstSeq > this.lastSeq && this.msgs === 0 && this.blocks.length > 0 && this.blocks[0].base <= this.lastSeq) {
      this.firstDirty = true;
      this.flushNow();
    }
  }

  /**
   * Scans block file `id` record by record (every length and checksum checked; the rules of
   * docs/jetstream-store.md, Recovery) and indexes its messages. `known`: the block as the index
   * file describes it (recovery from the index file: a block changed since), else a new one.
   * Messages up to `st.bitsTo` are live only when the index file's bit says so. Returns false
   * when the file was set aside or removed (not a block).
   */
  private scanBlock(id: number, isLast: boolean, known: Block | null, st: ScanState): boolean {
    const path = join(this.msgDir, blockName(id));
    let data = fs.readFileSync(path);
    const base = readBlockHeader(data);
    if (base < 0) {
      if (isLast && data.length < BLOCK_HDR) {
        // A crash between creating the file and writing its header: nothing was in it.
        this.log(`block ${path}: torn at its creation (${data.length} bytes), removed`);
        fs.rmSync(path, { force: true });
      } else this.setAside(path, 'bad header (not a block of this format version)');
      return false;
    }
    if ((this.blocks.length > 0 && base < this.blocks[this.blocks.length - 1].base) || (known !== null && base !== known.base)) {
      this.setAside(path, `base ${base} out of order`);
      return false;
    }
    st.blocks++;
    st.bytes += data.length;
    const b: Block = known ?? { id, base, fd: -1, written: 0, size: 0, buf: null, live: 0, liveBytes: 0, dead: 0, lastRead: 0, meta: false, indexed: true, sum: null, fp: 0, fpSize: -1 };
    b.live = b.liveBytes = b.dead = 0;
    b.meta = false;
    b.indexed = true;
    b.sum = null;
    b.fpSize = -1;
    this.blocks.push(b);
    if (base - 1 > this.lastSeq) this.lastSeq = base - 1;
    const keepFrom = st.bits !== null ? this.idx.base : this.blocks[0].base;
    let at = BLOCK_HDR;
    while (at < data.length) {
      const len = checkRecord(data, at, data.length, this.crc);
      if (len === 0) {
        const claimed = data.length - at >= 4 ? data.readUInt32LE(at) : 0;
        if (isLast) {
          this.log(`block ${path}: torn tail at offset ${at} (${data.length - at} bytes cut)`);
          fs.truncateSync(path, at);
          data = data.subarray(0, at);
          break;
        }
        if (claimed >= REC_HDR && claimed <= data.length - at) {
          this.log(`block ${path}: corrupt record at offset ${at} (checksum mismatch; it says message ${recSeq(data, at)}), record skipped`);
          at += claimed;
          continue;
        }
        this.log(`block ${path}: corrupt record at offset ${at} (bad length), the rest of the block (${data.length - at} bytes) skipped`);
        break;
      }
      const seq = recSeq(data, at);
      const kind = recKind(data, at);
      if ((kind === KIND_MSG || kind === KIND_SKIP || kind === KIND_ERASED) && seq >= base && seq >= keepFrom) {
        this.idx.ensure(seq, keepFrom);
        const ts = recTs(data, at);
        this.idx.ts[seq - this.idx.base] = ts;
        if (seq >= st.lastTsSeq) {
          st.lastTsSeq = seq;
          this.lastTs = ts;
        }
      }
      if (kind === KIND_MSG) {
        if (seq >= base && seq >= keepFrom && (seq > st.bitsTo || bitSet(st.bits as Uint8Array, st.bitsBase, seq))) {
          const sl = recSubjLen(data, at);
          const body = recBody(data, at);
          // Runs of one subject are the common case: compare the bytes before making a string.
          if (st.prevId === 0 || this.subj.names[st.prevId] !== st.prevSubject || !subjectEqualsBytes(st.prevSubject, data, body, body + sl)) {
            st.prevSubject = data.toString('latin1', body, body + sl);
            st.prevId = this.subj.intern(st.prevSubject);
          }
          const id2 = st.prevId;
          const i = seq - this.idx.base;
          if (this.idx.sid[i] !== 0) this.unindex(seq);
          this.idx.sid[i] = id2;
          const size = len - REC_EXTRA;
          this.idx.off[i] = at;
          this.idx.size[i] = size;
          this.subj.msgs[id2]++;
          this.touched?.add(id2);
          b.live++;
          b.liveBytes += len;
          this.msgs++;
          this.bytes += size;
        } else b.dead++;
      } else if (kind === KIND_TOMB) {
        st.tombs.push(seq);
        b.meta = true;
      } else if (kind === KIND_FIRST) {
        if (seq > st.floor) st.floor = seq;
        b.meta = true;
        // It carries the last time when it was written (what a purged stream still reports).
        if (seq - 1 >= st.lastTsSeq) {
          st.lastTsSeq = seq - 1;
          this.lastTs = recTs(data, at);
        }
      }

      if (kind !== KIND_TOMB && kind !== KIND_FIRST && seq > this.lastSeq) this.lastSeq = seq;
      at += len;
    }
    b.written = b.size = at;
    b.buf = isLast ? data : null;
    return true;
  }

  /**
   * A block file that cannot be used (a bad header, a base out of order): renamed to
   * `<id>.blk.bad` and logged, so it is kept for whoever wants to look at it but no longer
   * counted among the blocks (an index file stays usable, its id is not taken again).
   */
  private setAside(path: string, why: string): void {
    try {
      fs.renameSync(path, `${path}.bad`);
      this.log(`block ${path}: ${why}, block set aside as ${basename(path)}.bad`);
    } catch (e) {
      this.log(`block ${path}: ${why}, block ignored (not set aside: ${(e as Error).message})`);
    }
  }

  /** The index file when its checksum and layout are good (else logged, removed, null). */
  private readIndexFile(): { meta: IndexMeta; bits: Uint8Array } | null {
    const path = join(this.dir, INDEX_FILE);
    let data: Buffer;
    try {
      data = fs.readFileSync(path);
    } catch {
      return null;
    }
    const stale = (why: string): null => {
      this.log(`index file ${path}: ${why}, rebuilding from the blocks`);
      fs.rmSync(path, { force: true });
      return null;
    };
    if (data.length < 16 || data.readUInt32LE(0) !== INDEX_MAGIC) return stale('checksum mismatch');
    const fmt = data.readUInt32LE(12);
    if (fmt === 0) return this.readIndexJson(data, stale);
    if (fmt !== INDEX_FMT || !LITTLE_ENDIAN) return stale(`format ${fmt} (not ${INDEX_FMT})`);
    if (data.length < INDEX_HDR) return stale('truncated');
    const jsonLen = data.readUInt32LE(8);
    const ids = data.readUInt32LE(16);
    const words = data.readUInt32LE(20);
    const namesLen = data.readUInt32LE(24);
    const namesAt = data.length - namesLen;
    if (namesAt < INDEX_HDR + jsonLen || data.readUInt32LE(4) !== this.crc(data, 8, namesAt)) return stale('checksum mismatch');
    if (data.readUInt32LE(28) !== this.crc(data, namesAt, data.length)) return stale('checksum mismatch');
    let j: IndexJson;
    try {
      j = JSON.parse(data.toString('utf8', INDEX_HDR, INDEX_HDR + jsonLen)) as IndexJson;
    } catch {
      return stale('unreadable');
    }
    const n = Math.max(0, j.lastSeq + 1 - j.firstSeq);
    const wordsAt = INDEX_HDR + align4(jsonLen);
    const bitsAt = wordsAt + 4 * (words + 3 * ids);
    if (bitsAt + ((n + 7) >>> 3) !== namesAt || namesLen < 2 * ids || ids < 1) return stale('truncated');
    // The u32 sections as one typed array (copied when the file's bytes are not 4-aligned).
    const raw = (data.byteOffset & 3) === 0 ? data : Buffer.from(new Uint8Array(data));
    const u32 = new Uint32Array(raw.buffer, raw.byteOffset + wordsAt, words + 3 * ids);
    let w = 0;
    const blocks: IndexBlock[] = [];
    for (const b of j.blocks) {
      if (w + b.sumLen > words) return stale('truncated');
      const { sumLen, ...rest } = b;
      blocks.push({ ...rest, sum: u32.slice(w, w + sumLen) });
      w += sumLen;
    }
    if (w !== words) return stale('truncated');
    const msgs: number[] = new Array<number>(ids);
    const first: number[] = new Array<number>(ids);
    const last: number[] = new Array<number>(ids);
    const names: string[] = new Array<string>(ids);
    const str = data.toString('latin1', namesAt + 2 * ids, data.length);
    let at = 0;
    for (let id = 0; id < ids; id++) {
      const m = u32[w + id];
      const len = data[namesAt + 2 * id] | (data[namesAt + 2 * id + 1] << 8);
      msgs[id] = m;
      first[id] = m > 0 ? j.firstSeq + u32[w + ids + id] : 0;
      last[id] = m > 0 ? j.firstSeq + u32[w + 2 * ids + id] : 0;
      names[id] = m > 0 ? str.substring(at, at + len) : '';
      at += len;
    }
    if (at !== str.length) return stale('truncated');
    for (const b of blocks) for (let k = 0; k < b.sum.length; k += 2) if (b.sum[k] >= ids) return stale('unreadable');
    const { blocks: _b, ...state } = j;
    const namesSection = { bytes: Buffer.from(data.subarray(namesAt)), crc: data.readUInt32LE(28) };
    return { meta: { ...state, blocks, subjects: { names, msgs, first, last }, names: namesSection }, bits: data.subarray(bitsAt, namesAt) };
  }

  /** A format 2 index file (written by the previous tsnats): everything but the bits in its JSON. */
  private readIndexJson(data: Buffer, stale: (why: string) => null): { meta: IndexMeta; bits: Uint8Array } | null {
    if (data.readUInt32LE(4) !== this.crc(data, 8, data.length)) return stale('checksum mismatch');
    const jsonLen = data.readUInt32LE(8);
    let j: IndexJson2;
    try {
      j = JSON.parse(data.toString('utf8', 16, 16 + jsonLen)) as IndexJson2;
    } catch {
      return stale('unreadable');
    }
    if (j.fmt !== INDEX_FMT_JSON) return stale(`format ${String(j.fmt)} (not ${INDEX_FMT})`);
    const n = Math.max(0, j.lastSeq + 1 - j.firstSeq);
    if (data.length !== 16 + jsonLen + ((n + 7) >>> 3)) return stale('truncated');
    const { fmt: _f, ...rest } = j;
    return { meta: { ...rest, blocks: j.blocks.map((b) => ({ ...b, sum: Uint32Array.from(b.sum) })), names: null }, bits: data.subarray(16 + jsonLen) };
  }

  /**
   * Recovery from the index file (written at the last sync or clean stop), checked against the
   * blocks: a block it names that is there with the size and the fingerprint (checksum of the
   * last 64 bytes) it recorded is taken from it without being read; one that is gone since had
   * every message removed (its counts are taken out); one that changed (grew, was compacted,
   * damaged) is scanned, its messages up to the file's last sequence live only when their bit
   * says so; the blocks created since are scanned. Then the removals those scans found
   * (tombstones, first records) are applied. Returns false (nothing changed) when the file does
   * not fit the directory: a block file it does not name, older than its next block id.
   */
  private recoverFromIndex(meta: IndexMeta, bits: Uint8Array, ids: number[]): boolean {
    const path = join(this.dir, INDEX_FILE);
    const named = new Set(meta.blocks.map((b) => b.id));
    for (const id of ids) {
      if (!named.has(id) && id < meta.nextBlockId) {
        this.log(`index file ${path}: block ${id} is not in it, rebuilding from the blocks`);
        return false;
      }
    }
    const onDisk = new Set(ids);
    const status = meta.blocks.map((b) => (!onDisk.has(b.id) ? 'gone' : this.fingerprintOf(join(this.msgDir, blockName(b.id)), b.size) === b.fp ? 'same' : 'changed'));
    // From here on the file is used.
    this.liveBits = bits;
    this.liveBase = meta.firstSeq;
    this.firstTsSeq = meta.firstSeq;
    this.firstTsHint = meta.firstTs;
    this.idx.reset(meta.firstSeq);
    this.idx.ensure(meta.lastSeq + 1, meta.firstSeq);
    this.subj.restore(meta.subjects);
    // The file's names section is what a build would make of this table until a subject id is created or reused.
    if (meta.names !== null) this.namesCache = { version: this.subj.namesVersion, ids: meta.subjects.names.length, ...meta.names };
    this.msgs = meta.msgs;
    this.bytes = meta.bytes;
    this.firstSeq = meta.firstSeq;
    this.lastSeq = meta.lastSeq;
    this.lastTs = meta.lastTs;
    this.nextBlockId = Math.max(meta.nextBlockId, ids.length > 0 ? ids[ids.length - 1] + 1 : 0);
    const touched = new Set<number>();
    this.touched = touched;
    const st = newScan(bits, meta.firstSeq, meta.lastSeq);
    const nm = meta.blocks.length;
    if (nm > 0 && status[nm - 1] === 'changed') {
      // The last sequence is what the scan of the file's last block finds (a torn tail gives its
      // sequences back, as a scan without the index file does), at least its base - 1.
      this.lastSeq = meta.blocks[nm - 1].base - 1;
      this.lastTs = 0;
      st.lastTsSeq = 0;
    }
    const lastId = ids[ids.length - 1];
    let taken = 0;
    let gone = 0;
    for (let k = 0; k < meta.blocks.length; k++) {
      const b: Block = { ...meta.blocks[k], fd: -1, written: meta.blocks[k].size, buf: null, lastRead: 0, indexed: false, fpSize: meta.blocks[k].size };
      if (status[k] === 'same') {
        this.blocks.push(b);
        this.lazy++;
        taken++;
        continue;
      }
      this.uncount(b);
      if (status[k] === 'gone' || !this.scanBlock(b.id, b.id === lastId, b, st)) gone++;
    }
    for (const id of ids) if (!named.has(id)) this.scanBlock(id, id === lastId, null, st);
    if (st.blocks > 0 || gone > 0) {
      this.log(`recovered ${this.dir} from its index file: ${taken} block(s) taken from it, ${st.blocks} block(s) written or changed since scanned (${st.bytes} bytes), ${gone} gone since`);
    }
    if (st.floor - 1 > this.lastSeq) this.lastSeq = st.floor - 1;
    this.idx.ensure(this.lastSeq + 1, this.idx.base);
    for (const b of this.blocks) b.fd = fs.openSync(join(this.msgDir, blockName(b.id)), 'r+');
    const lost: number[] = [];
    // The floor: a block wholly below it that was not read has its counts taken out, unread.
    if (st.floor > this.firstSeq) {
      for (let k = 0; k < this.blocks.length && this.blocks[k].base < st.floor; k++) {
        const b = this.blocks[k];
        const end = k + 1 < this.blocks.length ? this.blocks[k + 1].base - 1 : this.lastSeq;
        if (!b.indexed) {
          if (end < st.floor) {
            this.uncount(b);
            b.indexed = true;
            this.lazy--;
            continue;
          }
          for (const s of this.indexBlock(b)) lost.push(s);
        }
        for (let s = Math.max(b.base, this.idx.base); s < st.floor && s <= end; s++) if (this.idx.sid[s - this.idx.base] !== 0) this.unindex(s);
      }
    }
    for (const t of st.tombs) {
      if (t < st.floor || t < this.idx.base || t > this.lastSeq) continue;
      const b = this.blockOf(t);
      if (b === null) continue;
      if (!b.indexed) for (const s of this.indexBlock(b)) lost.push(s);
      if (this.idx.at(t) !== 0) this.unindex(t);
    }
    this.touched = null;
    // The stream's first message, then the first and last of every subject whose count changed.
    let sound = this.msgs >= 0 && this.bytes >= 0;
    this.firstSeq = this.msgs > 0 ? this.firstLive(Math.max(meta.firstSeq, st.floor)) : this.lastSeq + 1;
    if (this.msgs > 0 && this.firstSeq === 0) sound = false;
    const live: number[] = [];
    for (const id of touched) {
      if (this.subj.msgs[id] > 0) live.push(id);
      else if (this.subj.msgs[id] < 0) sound = false;
    }
    if (sound && this.firstSeq > 0) sound = this.refindSubjects(live, lost);
    if (this.firstSeq === 0) this.firstSeq = this.lastSeq + 1;
    if (this.lazy === 0) this.liveBits = null;
    for (const id of [...this.subjIdsWithoutMsgs()]) this.subj.release(id);
    this.fresh = false;
    this.openWriteBlock();
    // Counts that do not add up, a live message gone from its block or erased since: every block
    // is read and the counts taken again from what is found (lost logs the damaged ones).
    if (!sound || lost.length > 0 || this.erasedFound > 0) this.lost(lost);
    for (const b of this.blocks.slice(0, -1)) if (b.live === 0) this.dropBlock(b);
    this.idx.ensure(this.lastSeq + 1, this.firstSeq);
    this.recordIfEmptied();
    this.scheduleAge();
    return true;
  }

  /** Recovery: takes a block's messages out of the counts (by its summary of subjects). */
  private uncount(b: Block): void {
    const sum = b.sum ?? NO_SUM;
    for (let k = 0; k + 1 < sum.length; k += 2) {
      this.subj.msgs[sum[k]] -= sum[k + 1];
      this.touched?.add(sum[k]);
    }
    this.msgs -= b.live;
    this.bytes -= b.liveBytes - REC_EXTRA * b.live;
    b.live = b.liveBytes = 0;
    b.sum = null;
  }

  /** Recovery: the first live sequence >= from (by the live bits in a block not indexed), or 0. */
  private firstLive(from: number): number {
    if (this.blocks.length === 0) return 0;
    for (let k = this.blockIndex(from); k < this.blocks.length; k++) {
      const b = this.blocks[k];
      const end = k + 1 < this.blocks.length ? this.blocks[k + 1].base - 1 : this.lastSeq;
      let s = Math.max(from, b.base, this.idx.base);
      if (!b.indexed) {
        for (; s <= end; s++) if (this.liveBit(s)) return s;
      } else {
        for (; s <= end; s++) if (this.idx.sid[s - this.idx.base] !== 0) return s;
      }
    }
    return 0;
  }

  /**
   * Recovery: the first and last sequence of each subject of `ids` found again, forward then
   * backward over the blocks. A block not indexed is skipped when its summary does not name one
   * of them, and not read when it names only one subject (its live bits are that subject's);
   * otherwise it is indexed (what it finds lost goes to `lost`). False when one is not found.
   */
  private refindSubjects(ids: number[], lost: number[]): boolean {
    const st = this.subj;
    const want = new Uint8Array(st.names.length);
    for (let pass = 0; pass < 2; pass++) {
      let left = 0;
      for (const id of ids) {
        want[id] = 1;
        left++;
      }
      const nb = this.blocks.length;
      for (let n = 0; n < nb && left > 0; n++) {
        const k = pass === 0 ? n : nb - 1 - n;
        const b = this.blocks[k];
        const lo = Math.max(b.base, this.firstSeq, this.idx.base);
        const hi = k + 1 < nb ? this.blocks[k + 1].base - 1 : this.lastSeq;
        if (lo > hi) continue;
        if (!b.indexed) {
          const sum = b.sum ?? NO_SUM;
          let hits = 0;
          for (let j = 0; j < sum.length; j += 2) if (want[sum[j]] === 1) hits++;
          if (hits === 0) continue;
          if (sum.length === 2) {
            let s = pass === 0 ? lo : hi;
            while (s >= lo && s <= hi && !this.liveBit(s)) s += pass === 0 ? 1 : -1;
            if (s < lo || s > hi) return false;
            if (pass === 0) st.first[sum[0]] = s;
            else st.last[sum[0]] = s;
            want[sum[0]] = 0;
            left--;
            continue;
          }
          for (const s of this.indexBlock(b)) lost.push(s);
        }
        const sid = this.idx.sid;
        const ib = this.idx.base;
        if (pass === 0) {
          for (let s = lo; s <= hi && left > 0; s++) {
            const id = sid[s - ib];
            if (want[id] === 1) {
              st.first[id] = s;
              want[id] = 0;
              left--;
            }
          }
        } else {
          for (let s = hi; s >= lo && left > 0; s--) {
            const id = sid[s - ib];
            if (want[id] === 1) {
              st.last[id] = s;
              want[id] = 0;
              left--;
            }
          }
        }
      }
      if (left > 0) return false;
    }
    return true;
  }

  /** CRC-32 of the last FP_BYTES bytes of a block of `size` bytes (of its file, or -1 when it is shorter). */
  private fingerprintOf(path: string, size: number): number {
    let fd = -1;
    try {
      fd = fs.openSync(path, 'r');
      if (fs.fstatSync(fd).size !== size) return -1;
      return this.fingerprintFd(fd, size);
    } catch {
      return -1;
    } finally {
      if (fd >= 0) fs.closeSync(fd);
    }
  }

  private fingerprintFd(fd: number, size: number): number {
    const n = Math.min(size, FP_BYTES);
    const buf = Buffer.allocUnsafe(n);
    if (fs.readSync(fd, buf, 0, n, size - n) !== n) return -1;
    return this.crc(buf, 0, n);
  }

  /** A block's fingerprint as it is now (cached per size; erase, which keeps the size, drops it). */
  private blockFp(b: Block): number {
    if (b.fpSize === b.size) return b.fp;
    const n = Math.min(b.size, FP_BYTES);
    b.fp = b.buf !== null && b.buf.length >= b.size ? this.crc(b.buf, b.size - n, b.size) : this.fingerprintFd(b.fd, b.size);
    b.fpSize = b.size;
    return b.fp;
  }

  /**
   * A block's summary of subjects: [id, live messages of it, ...]. Kept for an older block until
   * a removal from it; the write block's is counted each time.
   */
  private blockSum(b: Block, k: number): Uint32Array {
    if (b.sum !== null && (b !== this.wb || !b.indexed)) return b.sum;
    const end = k + 1 < this.blocks.length ? this.blocks[k + 1].base - 1 : this.lastSeq;
    if (this.sumScratch.length < this.subj.names.length) this.sumScratch = new Uint32Array(this.subj.names.length * 2);
    const cnt = this.sumScratch;
    const sid = this.idx.sid;
    const ib = this.idx.base;
    const seen: number[] = [];
    for (let s = Math.max(b.base, this.firstSeq, ib); s <= end; s++) {
      const id = sid[s - ib];
      if (id !== 0 && cnt[id]++ === 0) seen.push(id);
    }
    const out = new Uint32Array(2 * seen.length);
    for (let j = 0; j < seen.length; j++) {
      out[2 * j] = seen[j];
      out[2 * j + 1] = cnt[seen[j]];
      cnt[seen[j]] = 0;
    }
    if (b !== this.wb) b.sum = out;
    return out;
  }

  /** The index file's bytes (format 3), built at once: for bench/filestore-crash.mjs (stop and sync use the parts). */
  buildIndex(): Buffer {
    return Buffer.concat(this.sealIndex(this.indexHead(), this.namesSection()));
  }

  /**
   * What the index file says of the store now (format 3, everything but the subject names and the
   * checksums): state and blocks (with fingerprints) in JSON, the blocks' summaries, the subject
   * table and the live bits. With it, the names section (when no subject id was created or reused
   * since the last build) or a copy of the names array to encode it from later (sliced). Every
   * block's size must be what is on disk (nothing buffered).
   */
  private indexHead(): IndexHead {
    if (!LITTLE_ENDIAN) throw new Error('index files are written on little-endian machines only');
    const st = this.subj;
    const ids = st.names.length;
    const first = this.firstSeq;
    const n = Math.max(0, this.lastSeq + 1 - first);
    const sums = this.blocks.map((b, k) => this.blockSum(b, k));
    let words = 0;
    for (const x of sums) words += x.length;
    const j: IndexJson = {
      msgs: this.msgs,
      bytes: this.bytes,
      firstSeq: first,
      firstTs: this.msgs > 0 ? this.tsOf(first) : 0,
      lastSeq: this.lastSeq,
      lastTs: this.lastTs,
      nextBlockId: this.nextBlockId,
      blocks: this.blocks.map((b, k) => ({ id: b.id, base: b.base, size: b.size, live: b.live, liveBytes: b.liveBytes, dead: b.dead, meta: b.meta, fp: this.blockFp(b), sumLen: sums[k].length })),
    };
    const json = Buffer.from(JSON.stringify(j));
    const wordsAt = INDEX_HDR + align4(json.length);
    const bits = wordsAt + 4 * (words + 3 * ids);
    // Buffer.alloc: an ArrayBuffer of its own (offset 0), so the u32 view below is aligned.
    const out = Buffer.alloc(bits + ((n + 7) >>> 3));
    out.writeUInt32LE(INDEX_MAGIC, 0);
    out.writeUInt32LE(json.length, 8);
    out.writeUInt32LE(INDEX_FMT, 12);
    out.writeUInt32LE(ids, 16);
    out.writeUInt32LE(words, 20);
    json.copy(out, INDEX_HDR);
    const u32 = new Uint32Array(out.buffer, out.byteOffset + wordsAt, words + 3 * ids);
    let w = 0;
    for (const x of sums) {
      u32.set(x, w);
      w += x.length;
    }
    const { msgs: sm, first: sf, last: sl } = st;
    for (let id = 1; id < ids; id++) {
      const m = sm[id];
      if (m <= 0) continue;
      const f = sf[id] - first;
      const l = sl[id] - first;
      if (!(f >= 0 && l >= f && l < n)) throw new Error(`subject ${id}'s first and last (${sf[id]}, ${sl[id]}) are not in the stream`);
      u32[w + id] = m;
      u32[w + ids + id] = f;
      u32[w + 2 * ids + id] = l;
    }
    const sid = this.idx.sid;
    const ib = this.idx.base;
    let k = this.blocks.length > 0 ? this.blockIndex(first) : -1;
    for (let s = first; s <= this.lastSeq; ) {
      // Block by block: an indexed block's live messages are in the index, another's in the bits it was opened with.
      const b = k >= 0 ? this.blocks[k] : undefined;
      const next = this.blocks[k + 1];
      const end = next === undefined ? this.lastSeq : Math.min(this.lastSeq, next.base - 1);
      const known = b === undefined || b.indexed || s < b.base;
      for (; s <= end; s++) {
        if (known ? sid[s - ib] !== 0 : this.liveBit(s)) out[bits + ((s - first) >>> 3)] |= 1 << ((s - first) & 7);
      }
      k++;
    }
    const c = this.namesCache;
    const cached = c !== null && c.version === st.namesVersion && c.ids === ids;
    return { out, names: cached ? c : null, pending: cached ? null : st.names.slice(), version: st.namesVersion };
  }

  /** The index file's two parts, its header completed with the names section's length and both checksums. */
  private sealIndex(h: IndexHead, names: { bytes: Buffer; crc: number }): [Buffer, Buffer] {
    h.out.writeUInt32LE(names.bytes.length, 24);
    h.out.writeUInt32LE(names.crc, 28);
    h.out.writeUInt32LE(this.crc(h.out, 8, h.out.length), 4);
    return [h.out, names.bytes];
  }

  /** The names section now (built again when a subject id was created or reused since the last build). */
  private namesSection(): { bytes: Buffer; crc: number } {
    const st = this.subj;
    const c = this.namesCache;
    if (c !== null && c.version === st.namesVersion && c.ids === st.names.length) return c;
    return this.encodeNames(st.names, st.namesVersion);
  }

  /**
   * Encodes the index file's names section from `names` (the table's names at `version`): each
   * id's name length (u16), then the names' latin1 bytes (an id without messages may keep the
   * name it had: its count, 0, says it is free), and keeps it for the next builds.
   */
  private encodeNames(names: string[], version: number): { bytes: Buffer; crc: number } {
    const bytes = this.namesBuffer(names);
    this.namesPart(names, bytes, 0, names.length, 2 * names.length);
    return this.namesDone(names.length, version, bytes);
  }

  /** encodeNames NAMES_SLICE names at a time, the event loop's other work going on in between (`names` is a copy: the table may change meanwhile). */
  private async encodeNamesSliced(names: string[], version: number): Promise<{ bytes: Buffer; crc: number }> {
    const bytes = this.namesBuffer(names);
    let at = 2 * names.length;
    for (let from = 0; from < names.length; from += NAMES_SLICE) {
      at = this.namesPart(names, bytes, from, Math.min(names.length, from + NAMES_SLICE), at);
      if (from + NAMES_SLICE < names.length) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return this.namesDone(names.length, version, bytes);
  }

  private namesBuffer(names: string[]): Buffer {
    let total = 0;
    for (let id = 0; id < names.length; id++) total += names[id].length;
    return Buffer.allocUnsafe(2 * names.length + total);
  }

  /** The lengths and names of ids [from, to) into `bytes`, the names at `at`; returns where the next go. */
  private namesPart(names: string[], bytes: Buffer, from: number, to: number, at: number): number {
    for (let id = from; id < to; id++) {
      const len = names[id].length;
      bytes[2 * id] = len & 0xff;
      bytes[2 * id + 1] = len >>> 8;
    }
    return at + bytes.write((from === 0 && to === names.length ? names : names.slice(from, to)).join(''), at, 'latin1');
  }

  private namesDone(ids: number, version: number, bytes: Buffer): { bytes: Buffer; crc: number } {
    const made = { version, ids, bytes, crc: this.crc(bytes, 0, bytes.length) };
    this.namesCache = made;
    return made;
  }

  /** The index file's live bit of `seq` (lazy > 0 only). */
  private liveBit(seq: number): boolean {
    return bitSet(this.liveBits as Uint8Array, this.liveBase, seq);
  }

  /** The index of the block holding `seq` (the first block when seq is below every base; blocks non-empty). */
  private blockIndex(seq: number): number {
    const bl = this.blocks;
    let lo = 0;
    let hi = bl.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (bl[mid].base <= seq) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Indexes the block of `seq` if it is not yet (the store was opened from the index file). */
  private need(seq: number): void {
    if (this.lazy === 0) return;
    const b = this.blockOf(seq);
    if (b !== null && !b.indexed) this.indexNow(b);
  }

  /** Indexes every block holding a sequence of [from, to] that is not yet. */
  private needRange(from: number, to: number): void {
    if (this.lazy === 0 || this.blocks.length === 0 || from > to) return;
    for (let k = this.blockIndex(from); k < this.blocks.length && this.blocks[k].base <= to; k++) {
      const b = this.blocks[k];
      if (!b.indexed) this.indexNow(b);
    }
  }

  /** The time of the message at `seq` (live), indexing its block when needed. */
  private tsOf(seq: number): number {
    if (this.lazy > 0) {
      const b = this.blockOf(seq);
      if (b !== null && !b.indexed) {
        if (seq === this.firstTsSeq) return this.firstTsHint;
        this.indexNow(b);
      }
    }
    return this.idx.ts[seq - this.idx.base];
  }

  private indexNow(b: Block): void {
    const lost = this.indexBlock(b);
    if (lost.length > 0 || this.erasedFound > 0) this.lost(lost);
  }

  /**
   * Reads a block of a store opened from the index file and puts its live messages (those whose
   * live bit is set) in the index; every record is checked against its checksum. Returns the
   * live sequences it did not find whole (changed on disk since the index file was written). A
   * live one found erased in place (an erase after the index file was written, then a crash; its
   * subject is gone with its body) is counted in erasedFound: the counts are then taken again.
   */
  private indexBlock(b: Block): number[] {
    const bits = this.liveBits as Uint8Array;
    const lb = this.liveBase;
    b.indexed = true;
    if (--this.lazy === 0) this.liveBits = null;
    const data = this.readBlock(b);
    const k = this.blocks.indexOf(b);
    const next = this.blocks[k + 1];
    const end = next === undefined ? this.lastSeq : next.base - 1;
    const ib = this.idx.base;
    const sid = this.idx.sid;
    let found = 0;
    const erased: number[] = [];
    let prevSubject = '';
    let prevId = 0;
    for (let at = BLOCK_HDR; at < data.length; ) {
      const len = checkRecord(data, at, data.length, this.crc);
      if (len === 0) {
        // Damaged: skipped by its length when that is sane (its message, if live, is reported lost).
        const claimed = data.length - at >= 4 ? data.readUInt32LE(at) : 0;
        if (claimed < REC_HDR || claimed > data.length - at) break;
        at += claimed;
        continue;
      }
      const seq = recSeq(data, at);
      const kind = recKind(data, at);
      if (seq >= b.base && seq <= end && seq >= ib && (kind === KIND_MSG || kind === KIND_SKIP || kind === KIND_ERASED)) {
        this.idx.ts[seq - ib] = recTs(data, at);
        const live = kind === KIND_MSG && seq >= this.firstSeq && bitSet(bits, lb, seq);
        if (kind === KIND_ERASED && seq >= this.firstSeq && bitSet(bits, lb, seq)) {
          this.erasedFound++;
          erased.push(seq);
        }
        if (live && sid[seq - ib] === 0) {
          const sl = recSubjLen(data, at);
          const body = recBody(data, at);
          if (prevId === 0 || !subjectEqualsBytes(prevSubject, data, body, body + sl)) {
            prevSubject = data.toString('latin1', body, body + sl);
            prevId = this.subj.id(prevSubject);
          }
          if (prevId !== 0 && this.subj.msgs[prevId] > 0) {
            sid[seq - ib] = prevId;
            this.idx.off[seq - ib] = at;
            this.idx.size[seq - ib] = len - REC_EXTRA;
            found++;
          }
        }
      }
      at += len;
    }
    if (b === this.wb) b.buf = this.growBuf(data, b.size, 0);
    else {
      b.buf = data;
      this.cachePut(b);
    }
    if (found === b.live) return [];
    const lost: number[] = [];
    for (let s = Math.max(b.base, this.firstSeq); s <= end; s++) {
      if (sid[s - ib] === 0 && bitSet(bits, lb, s) && !erased.includes(s)) lost.push(s);
    }
    return lost;
  }

  /** A block's bytes as on disk. */
  private readBlock(b: Block): Buffer {
    const buf = Buffer.allocUnsafe(b.size);
    let got = 0;
    while (got < b.size) {
      const n = fs.readSync(b.fd, buf, got, b.size - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  }

  /**
   * Live messages of the index file that a block no longer holds whole (changed on disk since the
   * clean stop): logged, removed (a tombstone each) and never served. Their subjects and sizes
   * are not known without their records, so every block is indexed and the counts are taken
   * again from the index; the listeners hear of each (with its subject when the counts tell it).
   */
  private lost(seqs: number[]): void {
    for (const b of this.blocks) if (!b.indexed) for (const s of this.indexBlock(b)) seqs.push(s);
    this.erasedFound = 0;
    const before = this.subj.msgs.slice();
    this.recount();
    let subject = '';
    let dropped = 0;
    for (let id = 1; id < before.length; id++) {
      const d = before[id] - (this.subj.names[id] === '' ? 0 : this.subj.msgs[id]);
      if (d > 0) {
        dropped++;
        subject = this.subj.names[id] !== '' ? this.subj.names[id] : subject;
      }
    }
    for (const s of seqs) {
      const b = this.blockOf(s);
      this.log(`block ${join(this.msgDir, blockName(b?.id ?? 0))}: message ${s} is corrupt on disk (checksum mismatch or missing since the index file was written), removed`);
      if (b !== null) b.dead++;
      if (s > this.firstSeq) this.appendMeta(KIND_TOMB, s);
    }
    for (const s of seqs) for (const l of this.listeners) l(s, dropped === 1 ? subject : '');
  }

  /**
   * Takes the counts again from the index (every block indexed): messages, bytes, the blocks'
   * live messages, the subjects' counts, first and last, and the first sequence.
   */
  private recount(): void {
    const st = this.subj;
    for (let id = 1; id < st.names.length; id++) st.msgs[id] = st.first[id] = st.last[id] = 0;
    for (const b of this.blocks) {
      b.live = b.liveBytes = 0;
      b.sum = null;
    }
    this.msgs = this.bytes = 0;
    const sid = this.idx.sid;
    const ib = this.idx.base;
    let first = 0;
    let k = 0;
    for (let s = Math.max(this.firstSeq, ib); s <= this.lastSeq; s++) {
      const id = sid[s - ib];
      if (id === 0) continue;
      while (k + 1 < this.blocks.length && this.blocks[k + 1].base <= s) k++;
      const b = this.blocks[k];
      b.live++;
      b.liveBytes += this.recLen(s - ib);
      this.msgs++;
      this.bytes += this.idx.size[s - ib];
      if (first === 0) first = s;
      if (st.msgs[id]++ === 0) st.first[id] = s;
      st.last[id] = s;
    }
    for (const id of [...this.subjIdsWithoutMsgs()]) st.release(id);
    const nf = first === 0 ? this.lastSeq + 1 : first;
    if (nf !== this.firstSeq) {
      this.firstSeq = nf;
      this.firstDirty = true;
      this.scheduleFlush();
    }
  }

  /**
   * The first sequence in [s, end] holding a live message that `mask` (a filter's mask over
   * subject ids, when not null) or `id` (a subject id; 0 = any) selects, or 0. Indexes the blocks
   * it passes through that are not indexed yet.
   */
  private scanFwd(s: number, end: number, id: number, mask: Uint8Array | null): number {
    if (s < this.idx.base) s = this.idx.base;
    while (s <= end) {
      let stop = end;
      if (this.lazy > 0 && this.blocks.length > 0) {
        const k = this.blockIndex(s);
        const b = this.blocks[k];
        const next = this.blocks[k + 1];
        if (s < b.base) stop = Math.min(end, b.base - 1);
        else {
          if (!b.indexed) this.indexNow(b);
          if (next !== undefined) stop = Math.min(end, next.base - 1);
        }
      }
      const sid = this.idx.sid;
      const ib = this.idx.base;
      if (mask !== null) {
        for (; s <= stop; s++) if (mask[sid[s - ib]] === 1) return s;
      } else if (id !== 0) {
        for (; s <= stop; s++) if (sid[s - ib] === id) return s;
      } else {
        for (; s <= stop; s++) if (sid[s - ib] !== 0) return s;
      }
    }
    return 0;
  }

  /** The last sequence in [start, s] holding a live message of subject `id` (0 = any), or 0; indexes as scanFwd. */
  private scanBack(s: number, start: number, id: number): number {
    if (start < this.idx.base) start = this.idx.base;
    while (s >= start) {
      let stop = start;
      if (this.lazy > 0 && this.blocks.length > 0) {
        const b = this.blocks[this.blockIndex(s)];
        if (s >= b.base) {
          if (!b.indexed) this.indexNow(b);
          stop = Math.max(start, b.base);
        }
      }
      const sid = this.idx.sid;
      const ib = this.idx.base;
      if (id !== 0) {
        for (; s >= stop; s--) if (sid[s - ib] === id) return s;
      } else {
        for (; s >= stop; s--) if (sid[s - ib] !== 0) return s;
      }
    }
    return 0;
  }

  private *subjIdsWithoutMsgs(): IterableIterator<number> {
    for (let id = 1; id < this.subj.names.length; id++) if (this.subj.msgs[id] === 0 && this.subj.names[id] !== '') yield id;
  }

  /** The record length of the indexed message at slot `i` (its accounted size, less the header length field nats-server counts). */
  private recLen(i: number): number {
    return this.idx.size[i] + REC_EXTRA;
  }

  /** Recovery only: forgets an indexed message (duplicate, tombstoned or below the floor). */
  private unindex(seq: number): void {
    const i = seq - this.idx.base;
    const id = this.idx.sid[i];
    const b = this.blockOf(seq);
    if (b !== null) {
      b.live--;
      b.liveBytes -= this.recLen(i);
      b.dead++;
      b.sum = null;
    }
    this.subj.msgs[id]--;
    this.touched?.add(id);
    this.msgs--;
    this.bytes -= this.idx.size[i];
    this.idx.sid[i] = 0;
  }

  // ---- blocks ----

  private blockOf(seq: number): Block | null {
    const bl = this.blocks;
    let lo = 0;
    let hi = bl.length - 1;
    if (hi < 0 || seq < bl[0].base) return null;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (bl[mid].base <= seq) lo = mid;
      else hi = mid - 1;
    }
    return bl[lo];
  }

  /**
   * `buf` with room for `need` more bytes after `used`: grown by 4x (a block of 8 MiB is copied
   * 4 times, 5.3 MiB in all, where doubling copied 8 MiB), to the block size at most when that
   * is enough (the pages past `used` are not touched until written).
   */
  private growBuf(buf: Buffer, used: number, need: number): Buffer {
    if (used + need <= buf.length) return buf;
    let cap = Math.max(FIRST_BUF, buf.length);
    while (cap < used + need) cap *= 4;
    if (cap > this.blockSize && used + need <= this.blockSize) cap = this.blockSize;
    const nb = Buffer.allocUnsafe(cap);
    buf.copy(nb, 0, 0, used);
    return nb;
  }

  /**
   * Starts a new write block at base lastSeq + 1 (the current one is written out first). False
   * when that write or the new file failed: the store is then read-only (see writeFailed).
   */
  private newBlock(): boolean {
    // A stream that filled its write block is likely to fill the next: its buffer starts at the
    // block size, so it is not copied each time it grows (growBuf).
    let cap = FIRST_BUF;
    const prev = this.wb !== undefined && this.blocks.includes(this.wb) ? this.wb : null;
    if (prev !== null) {
      if (!this.writeOut()) return false;
      if (prev.size >= this.blockSize >> 1) cap = this.blockSize;
    }
    const id = this.nextBlockId;
    const buf = Buffer.allocUnsafe(Math.max(cap, BLOCK_HDR));
    writeBlockHeader(buf, this.lastSeq + 1);
    const path = join(this.msgDir, blockName(id));
    let fd = -1;
    try {
      fd = fs.openSync(path, 'w+');
      fs.writeSync(fd, buf, 0, BLOCK_HDR, 0);
    } catch (e) {
      if (fd >= 0) fs.closeSync(fd);
      fs.rmSync(path, { force: true });
      if (this.wb === undefined) throw e;
      this.writeFailed(e as Error);
      return false;
    }
    this.nextBlockId++;
    this.dirtyFds.add(fd);
    if (prev !== null) {
      // An older block from now on (not before: a write block that stays one is never evicted).
      this.cachePut(prev);
      // A summary read from the index file while it was the write block is older than its stores.
      prev.sum = null;
    }
    const b: Block = { id, base: this.lastSeq + 1, fd, written: BLOCK_HDR, size: BLOCK_HDR, buf, live: 0, liveBytes: 0, dead: 0, lastRead: 0, meta: false, indexed: true, sum: null, fp: 0, fpSize: -1 };
    this.blocks.push(b);
    this.wb = b;
    return true;
  }

  /** The whole block in memory (loaded into the LRU when it is not). */
  private blockData(b: Block): Buffer {
    if (!b.indexed) this.indexNow(b); // reads it, checks every record
    if (b === this.wb) return b.buf as Buffer;
    if (b.buf !== null) {
      // Already the most recently used (the last one put, still there): the order stands, and
      // the cache map is not churned once per message read.
      if (this.cacheMru !== b || !this.cache.has(b)) {
        this.cache.delete(b);
        this.cache.set(b, true);
        this.cacheMru = b;
      }
      return b.buf;
    }
    b.buf = this.readBlock(b);
    this.cachePut(b);
    this.verifyBlock(b);
    return b.buf;
  }

  private cachePut(b: Block): void {
    this.cache.delete(b);
    this.cache.set(b, true);
    this.cacheMru = b;
    while (this.cache.size > this.cacheBlocks) {
      const old = this.cache.keys().next().value as Block;
      this.cache.delete(old);
      old.buf = null;
    }
  }

  /**
   * Checks the records of a block just read from disk: a live message whose record is damaged
   * (changed on disk since it was indexed) is removed and logged, never served.
   */
  private verifyBlock(b: Block): void {
    const buf = b.buf as Buffer;
    const ib = this.idx.base;
    const next = this.blocks[this.blocks.indexOf(b) + 1];
    const end = next === undefined ? this.lastSeq : next.base - 1;
    const bad: number[] = [];
    for (let s = Math.max(b.base, this.firstSeq); s <= end; s++) {
      const i = s - ib;
      if (this.idx.sid[i] === 0) continue;
      const at = this.idx.off[i];
      const len = checkRecord(buf, at, buf.length, this.crc);
      if (len !== this.recLen(i) || recSeq(buf, at) !== s || recKind(buf, at) !== KIND_MSG) bad.push(s);
    }
    this.corrupt(b, bad);
  }

  /** Live messages whose records are damaged on disk: logged, removed, never served. */
  private corrupt(b: Block, seqs: number[]): void {
    for (const s of seqs) {
      this.log(`block ${join(this.msgDir, blockName(b.id))}: message ${s} is corrupt on disk (checksum mismatch), removed`);
      const subject = this.subj.names[this.idx.at(s)];
      this.removeSeq(s, false);
      for (const l of this.listeners) l(s, subject);
    }
  }

  private dropBlock(b: Block): void {
    this.carryMeta(b);
    const i = this.blocks.indexOf(b);
    if (i >= 0) this.blocks.splice(i, 1);
    this.cache.delete(b);
    if (this.cacheMru === b) this.cacheMru = null;
    this.toCompact.delete(b);
    this.dirtyFds.delete(b.fd);
    if (b.fd >= 0) fs.closeSync(b.fd);
    fs.rmSync(join(this.msgDir, blockName(b.id)), { force: true });
    b.buf = null;
  }

  /**
   * Before block `b` goes away or is rewritten: its tombstones for messages still on disk in
   * other blocks, and a first record, are written again to the write block.
   */
  private carryMeta(b: Block): void {
    if (!b.meta) return;
    const buf = this.blockData(b);
    const next = this.blocks[this.blocks.indexOf(b) + 1];
    const end = next === undefined ? Infinity : next.base;
    for (let at = BLOCK_HDR; at < b.size; ) {
      const len = checkRecord(buf, at, b.size, this.crc);
      if (len === 0) break;
      if (recKind(buf, at) === KIND_TOMB) {
        const t = recSeq(buf, at);
        if (t < b.base || t >= end) {
          // Needed only while the removed record is still on disk: its block has dead records.
          const tb = t >= this.firstSeq ? this.blockOf(t) : null;
          if (tb !== null && tb.dead > 0) this.appendMeta(KIND_TOMB, t);
        }
      }
      at += len;
    }
    this.appendMeta(KIND_FIRST, this.firstSeq);
    // On disk before `b` is removed or replaced, so a crash in between cannot lose them.
    if (!this.writeOut()) throw new Error(`block ${b.id} kept: its removal records could not be written`);
  }

  /** Rewrites a block with only its live messages (temp file + rename). */
  private compact(b: Block): void {
    if (b === this.wb || !this.blocks.includes(b)) return;
    if (b.live === 0) {
      this.dropBlock(b);
      return;
    }
    const old = this.blockData(b);
    this.carryMeta(b);
    const out = Buffer.allocUnsafe(BLOCK_HDR + b.liveBytes);
    writeBlockHeader(out, b.base);
    let w = BLOCK_HDR;
    const next = this.blocks[this.blocks.indexOf(b) + 1];
    const end = next === undefined ? this.lastSeq : next.base - 1;
    const ib = this.idx.base;
    for (let s = Math.max(b.base, this.firstSeq); s <= end; s++) {
      const i = s - ib;
      if (this.idx.sid[i] === 0) continue;
      const at = this.idx.off[i];
      const len = this.recLen(i);
      old.copy(out, w, at, at + len);
      this.idx.off[i] = w;
      w += len;
    }
    const path = join(this.msgDir, blockName(b.id));
    writeAtomic(path, [out.subarray(0, w)]);
    this.dirtyFds.delete(b.fd);
    fs.closeSync(b.fd);
    b.fd = fs.openSync(path, 'r+');
    b.written = b.size = w;
    b.buf = out.subarray(0, w);
    b.meta = false;
    b.dead = 0;
    b.fpSize = -1;
    this.cachePut(b);
  }

  /** After a removal from block `b`: drop or compact it when it is (mostly) empty. */
  private noteEmptier(b: Block): void {
    if (b === this.wb) return;
    if (b.live === 0) this.toCompact.add(b);
    else if (b !== this.blocks[0] && b.liveBytes * 2 < b.size - BLOCK_HDR) this.toCompact.add(b);
    else return;
    this.scheduleFlush();
  }

  // ---- writing ----

  private scheduleFlush(): void {
    this.changes++;
    if (this.flushQueued || this.closed) return;
    this.flushQueued = true;
    queueMicrotask(this.flushTask);
  }

  /** The end-of-turn work: compactions, the first record, then one write of the buffered bytes. */
  private flushNow(): void {
    // A store that could not write waits for its retry timer (retryWrite), which flushes again.
    if (this.writeError !== null) return;
    if (this.firstDirty) {
      this.firstDirty = false;
      this.appendMeta(KIND_FIRST, this.firstSeq);
    }
    if (this.toCompact.size > 0) {
      // The turn's removal records reach the file before a block goes or is rewritten (and the
      // disk, after a purge), so a crash in between finds every removal of the turn or none.
      if (!this.writeOut()) return;
      if (this.syncBeforeDrop) this.fsyncWriteBlock(false);
      this.syncBeforeDrop = false;
      for (const b of [...this.toCompact]) {
        this.toCompact.delete(b);
        try {
          this.compact(b);
        } catch (e) {
          this.log(`compaction of block ${b.id} failed: ${(e as Error).message}`);
        }
      }
    }
    this.syncBeforeDrop = false;
    this.writeOut();
  }

  /**
   * Hands the write block's buffered bytes to the OS (one write). False when the write failed:
   * the unwritten messages are taken back and the store is read-only (writeFailed).
   */
  private writeOut(): boolean {
    const b = this.wb;
    if (b.size === b.written) return true;
    try {
      let at = b.written;
      while (at < b.size) at += fs.writeSync(b.fd, b.buf as Buffer, at, b.size - at, at);
    } catch (e) {
      this.writeFailed(e as Error);
      return false;
    }
    b.written = b.size;
    this.durableSeq = this.lastSeq;
    this.dirtyFds.add(b.fd);
    return true;
  }

  /**
   * A write failed (ENOSPC, EIO, ...): the messages not yet written are taken back (their
   * publishes were not acked: the stream answers them with an error), the file is cut back to
   * what was written, and the store refuses stores until a retry (every RETRY_MS) writes again.
   */
  private writeFailed(e: Error): void {
    const first = this.writeError === null;
    this.writeError = e.message;
    const b = this.wb;
    let n = 0;
    if (b.size > b.written) {
      n = this.rollback();
      try {
        fs.ftruncateSync(b.fd, b.written);
      } catch {
        // The recovery cuts a torn tail anyway.
      }
    }
    if (!first && n === 0) return;
    const taken = n > 0 ? `; ${n} unwritten message(s) taken back (not acked)` : '';
    const ro = first ? `; the stream is read-only until a write succeeds again (retried every ${RETRY_MS} ms)` : '';
    this.log(`write to ${join(this.msgDir, blockName(b.id))} failed: ${e.message}${taken}${ro}`);
    if (first) {
      this.retryTimer = setInterval(() => this.retryWrite(), RETRY_MS);
      this.retryTimer.unref();
    }
  }

  /** The read-only store tries to write again: its buffered records, else a probe of the free space. */
  private retryWrite(): void {
    if (this.closed) return;
    if (this.wb.size > this.wb.written) {
      if (!this.writeOut()) return;
    } else {
      try {
        const st = fs.statfsSync(this.msgDir);
        if (st.bavail * st.bsize < RESUME_FREE) return;
      } catch {
        // No statfs here: the next store finds out.
      }
    }
    if (this.retryTimer !== null) clearInterval(this.retryTimer);
    this.retryTimer = null;
    this.log(`writes to ${this.msgDir} resumed (was: ${this.writeError})`);
    this.writeError = null;
    this.scheduleFlush();
  }

  /**
   * Takes back what the write block holds beyond what was written: the messages (newest first,
   * so the sequence goes back to the last written one) and skips; removal records (tombstones,
   * first) of messages still there stay buffered for the next write. Returns the messages taken.
   */
  private rollback(): number {
    const b = this.wb;
    const buf = b.buf as Buffer;
    let from = 0;
    for (let at = b.written; at < b.size; at += buf.readUInt32LE(at)) {
      const k = recKind(buf, at);
      if (k === KIND_MSG || k === KIND_SKIP || k === KIND_ERASED) {
        from = recSeq(buf, at);
        break;
      }
    }
    let n = 0;
    if (from > 0) {
      const st = this.subj;
      for (let s = this.lastSeq; s >= from; s--) {
        const i = s - this.idx.base;
        const id = this.idx.sid[i];
        if (id === 0) continue;
        this.idx.sid[i] = 0;
        this.msgs--;
        this.bytes -= this.idx.size[i];
        b.live--;
        b.liveBytes -= this.recLen(i);
        if (--st.msgs[id] === 0) st.release(id);
        else st.last[id] = this.prevOf(id, s);
        n++;
      }
      this.lastSeq = from - 1;
      if (this.lastSeq >= this.idx.base) this.lastTs = this.idx.ts[this.lastSeq - this.idx.base];
      if (this.msgs === 0) this.firstSeq = this.lastSeq + 1;
    }
    // Removal records of messages below `from` stay; a first record past it is written again later
    // (with the first sequence of then), as the sequences above `from` will be used again.
    let w = b.written;
    for (let at = b.written; at < b.size; ) {
      const len = buf.readUInt32LE(at);
      const k = recKind(buf, at);
      if ((k === KIND_TOMB || k === KIND_FIRST) && (from === 0 || recSeq(buf, at) < from)) {
        if (w !== at) buf.copy(buf, w, at, at + len);
        w += len;
      } else if (k === KIND_FIRST) {
        this.firstDirty = true;
      }
      at += len;
    }
    b.size = w;
    this.durableSeq = this.lastSeq;
    return n;
  }

  /** The sequence of the message on subject id `id` before `seq` (one exists). */
  private prevOf(id: number, seq: number): number {
    return this.scanBack(seq - 1, this.firstSeq, id);
  }

  /**
   * Room for a record of `len` bytes in the write block (a new block when this one is full), or
   * -1 when a write failed (the store is read-only). Past WRITE_HIGH_WATER buffered bytes, what
   * is buffered is written first (never the reserved room: the caller fills it after).
   */
  private reserve(len: number): number {
    if (!this.wb.indexed) this.indexNow(this.wb);
    let b = this.wb;
    if (b.size + len > this.blockSize && b.size > BLOCK_HDR) {
      if (!this.newBlock()) return -1;
      b = this.wb;
    } else if (b.size - b.written + len > WRITE_HIGH_WATER) {
      if (!this.writeOut()) return -1;
    }
    b.buf = this.growBuf(b.buf as Buffer, b.size, len);
    const at = b.size;
    b.size += len;
    this.scheduleFlush();
    return at;
  }

  private appendMeta(kind: number, seq: number): void {
    const at = this.reserveMeta();
    sealRecord(this.wb.buf as Buffer, at, REC_HDR, seq, kind === KIND_TOMB ? 0 : this.lastTs, kind, 0, 0, this.crc);
    if (kind !== KIND_SKIP) this.wb.meta = true;
  }

  /** reserve() without rolling the write block to a new base (meta records fit any block). */
  private reserveMeta(): number {
    if (!this.wb.indexed) this.indexNow(this.wb);
    const b = this.wb;
    b.buf = this.growBuf(b.buf as Buffer, b.size, REC_HDR);
    const at = b.size;
    b.size += REC_HDR;
    this.scheduleFlush();
    return at;
  }

  // ---- StreamStore ----

  setLimits(limits: StoreLimits): void {
    this.limits = { ...limits };
    if (limits.maxMsgsPer > 0) {
      for (const id of [...this.subj.live()]) this.enforcePerSubject(id);
    }
    this.enforceLimits();
    this.scheduleAge();
  }

  store(subject: string, hdr: Buffer, msg: Buffer, ts: number): number | StoreRefusal {
    return this.storeAt(subject, hdr, 0, hdr.length, msg, 0, msg.length, ts);
  }

  storeAt(subject: string, hdr: Buffer, h0: number, h1: number, msg: Buffer, m0: number, m1: number, ts: number): number | StoreRefusal {
    if (this.closed) throw new Error('file store is closed');
    if (this.writeError !== null) return 'insufficient resources';
    const lim = this.limits;
    const hdrLen = h1 - h0;
    const msgLen = m1 - m0;
    const dataLen = hdrLen + msgLen;
    if (lim.maxMsgSize > 0 && dataLen > lim.maxMsgSize) return 'message size exceeds maximum allowed';
    let id0 = 0;
    if (lim.discard === 'new') {
      id0 = this.subj.id(subject);
      let asl = false;
      if (lim.maxMsgsPer > 0 && id0 !== 0 && this.subj.msgs[id0] >= lim.maxMsgsPer) {
        if (lim.discardNewPer) return 'maximum messages per subject exceeded';
        asl = true;
      }
      if (lim.maxMsgs > 0 && this.msgs >= lim.maxMsgs && !asl) return 'maximum messages exceeded';
      if (lim.maxBytes > 0 && this.bytes + dataLen >= lim.maxBytes) {
        if (asl) this.need(this.subj.first[id0]);
        if (!asl || this.idx.size[this.subj.first[id0] - this.idx.base] <= dataLen) return 'maximum bytes exceeded';
      }
    }
    if (subject.length > 0xffff) throw new Error('subject too long for the file store');
    const seq = this.lastSeq + 1;
    const size = fileStoreMsgSize(subject.length, hdrLen, msgLen);
    const len = recordLen(subject.length, hdrLen, msgLen);
    const at = this.reserve(len);
    if (at < 0) return 'insufficient resources';
    this.fresh = false;
    const buf = this.wb.buf as Buffer;
    let w = copyLatin1(buf, bodyAt(at, hdrLen), subject);
    w = copySpan(buf, w, hdr, h0, h1);
    copySpan(buf, w, msg, m0, m1);
    sealRecord(buf, at, len, seq, ts, KIND_MSG, subject.length, hdrLen, this.crc);

    // The id found above, unless reserve() changed the table (indexing the write block may drop records).
    const id = id0 !== 0 && this.subj.names[id0] === subject ? id0 : this.subj.intern(subject);
    this.idx.ensure(seq, this.firstSeq);
    const i = seq - this.idx.base;
    this.idx.sid[i] = id;
    this.idx.off[i] = at;
    this.idx.size[i] = size;
    this.idx.ts[i] = ts;
    this.wb.live++;
    this.wb.liveBytes += len;
    if (this.msgs === 0) this.firstSeq = seq;
    this.msgs++;
    this.bytes += size;
    this.lastSeq = seq;
    this.lastTs = ts;
    if (this.subj.msgs[id] === 0) this.subj.first[id] = seq;
    this.subj.msgs[id]++;
    this.subj.last[id] = seq;

    if (lim.maxMsgsPer > 0 && this.subj.msgs[id] > lim.maxMsgsPer) this.enforcePerSubject(id);
    if ((lim.maxMsgs > 0 && this.msgs > lim.maxMsgs) || (lim.maxBytes > 0 && this.bytes > lim.maxBytes)) this.enforceLimits();
    if (lim.maxAgeMs > 0 && this.ageTimer === null) this.scheduleAge();
    return seq;
  }

  skip(): number {
    if (this.closed) throw new Error('file store is closed');
    const seq = ++this.lastSeq;
    this.fresh = false;
    this.lastTs = Date.now();
    this.idx.ensure(seq, this.firstSeq);
    this.idx.sid[seq - this.idx.base] = 0;
    this.idx.ts[seq - this.idx.base] = this.lastTs;
    if (this.msgs === 0) this.firstSeq = seq + 1;
    this.appendMeta(KIND_SKIP, seq);
    return seq;
  }

  /** `hdr` and `msg` are views into the store's buffers: not to be modified; erase zeroes them. */
  load(seq: number): StoreMsg | null {
    if (seq < this.firstSeq || seq > this.lastSeq) return null;
    this.need(seq);
    const i = seq - this.idx.base;
    const id = this.idx.sid[i];
    if (id === 0) return null;
    const b = this.blockOf(seq) as Block;
    let buf: Buffer;
    let at = this.idx.off[i];
    if (b === this.wb || b.buf !== null || b.lastRead === seq - 1) {
      // Cached, or read in order: the whole block (one read serves the next ones).
      buf = this.blockData(b);
      if (this.idx.sid[i] === 0) return null; // found corrupt while loading the block
    } else {
      // A read out of order in a block not in memory: just its record.
      b.lastRead = seq;
      const len = this.recLen(i);
      buf = Buffer.allocUnsafe(len);
      const got = fs.readSync(b.fd, buf, 0, len, at);
      if (got !== len || checkRecord(buf, 0, len, this.crc) !== len || recSeq(buf, 0) !== seq || recKind(buf, 0) !== KIND_MSG) {
        this.corrupt(b, [seq]);
        return null;
      }
      at = 0;
    }
    const sl = recSubjLen(buf, at);
    const hl = recHdrLen(buf, at);
    const len = this.recLen(i);
    const h = recBody(buf, at) + sl;
    return { subject: this.subj.names[id], hdr: hl > 0 ? buf.subarray(h, h + hl) : NO_HDR, msg: buf.subarray(h + hl, at + len), seq, ts: this.idx.ts[i] };
  }

  loadNext(filter: string, start: number): StoreMsg | null {
    const seq = this.nextMatch(filter, start);
    return seq === 0 ? null : this.load(seq);
  }

  /** The first live sequence >= start matching filter, or 0. */
  private nextMatch(filter: string, start: number): number {
    const s = Math.max(start, this.firstSeq);
    const last = this.lastSeq;
    if (s > last) return 0;
    if (filterIsAll(filter)) return this.scanFwd(s, last, 0, null);
    if (filterIsLiteral(filter)) {
      const id = this.subj.id(filter);
      if (id === 0 || this.subj.msgs[id] === 0) return 0;
      return this.scanFwd(Math.max(s, this.subj.first[id]), this.subj.last[id], id, null);
    }
    return this.scanFwd(s, last, 0, this.subj.mask(filter));
  }

  loadLast(subject: string): StoreMsg | null {
    if (filterIsAll(subject)) {
      const s = this.scanBack(this.lastSeq, this.firstSeq, 0);
      return s === 0 ? null : this.load(s);
    }
    if (filterIsLiteral(subject)) {
      const id = this.subj.id(subject);
      return id === 0 || this.subj.msgs[id] === 0 ? null : this.load(this.subj.last[id]);
    }
    const mask = this.subj.mask(subject);
    let best = 0;
    for (const id of this.subj.live()) if (mask[id] === 1 && this.subj.last[id] > best) best = this.subj.last[id];
    return best === 0 ? null : this.load(best);
  }

  remove(seq: number, erase: boolean): boolean {
    if (this.closed) throw new Error('file store is closed');
    return this.removeSeq(seq, erase);
  }

  /** Removes a live message: index, counts, subject, its block, and the record of the removal. */
  private removeSeq(seq: number, erase: boolean): boolean {
    if (seq < this.firstSeq || seq > this.lastSeq) return false;
    this.need(seq);
    const i = seq - this.idx.base;
    const id = this.idx.sid[i];
    if (id === 0) return false;
    const len = this.recLen(i);
    const b = this.blockOf(seq) as Block;
    if (erase) this.eraseRecord(b, seq, this.idx.off[i], len, this.idx.ts[i]);
    this.idx.sid[i] = 0;
    this.msgs--;
    this.bytes -= this.idx.size[i];
    b.live--;
    b.liveBytes -= len;
    b.sum = null;
    if (!erase) b.dead++;
    // The subject's count, first and last.
    const st = this.subj;
    if (--st.msgs[id] === 0) {
      st.release(id);
    } else if (st.msgs[id] === 1) {
      // One left (max_msgs_per_subject 1, a KV bucket's history): it is the other end, no scan.
      if (seq === st.first[id]) st.first[id] = st.last[id];
      else st.last[id] = st.first[id];
    } else if (seq === st.first[id]) {
      st.first[id] = this.scanFwd(seq + 1, st.last[id], id, null);
    } else if (seq === st.last[id]) {
      st.last[id] = this.scanBack(seq - 1, st.first[id], id);
    }
    if (seq === this.firstSeq) {
      const s = this.msgs === 0 ? this.lastSeq + 1 : this.nextMatch('', seq + 1);
      this.firstSeq = s;
      this.firstDirty = true;
      this.scheduleFlush();
    } else {
      // An erased record is not served either way; its tombstone tells a recovery from an
      // index file written before the erase (whose live bit is still set) that it is gone.
      this.appendMeta(KIND_TOMB, seq);
    }
    this.noteEmptier(b);
    return true;
  }

  /** Overwrites a record in place with an erased record of the same length (zeroed body). */
  private eraseRecord(b: Block, seq: number, at: number, len: number, ts: number): void {
    const inMemory = b === this.wb || b.buf !== null;
    const buf = inMemory ? (b.buf as Buffer) : Buffer.alloc(len);
    const o = inMemory ? at : 0;
    buf.fill(0, o + REC_HDR, o + len);
    sealRecord(buf, o, len, seq, ts, KIND_ERASED, 0, 0, this.crc);
    b.fpSize = -1;
    if (b === this.wb && at >= b.written) return;
    try {
      fs.writeSync(b.fd, buf, o, len, at);
      this.dirtyFds.add(b.fd);
    } catch (e) {
      this.log(`erase of message ${seq} in block ${b.id} failed: ${(e as Error).message}`);
    }
  }

  purge(opts: { filter?: string; seq?: number; keep?: number }): number {
    if (this.closed) throw new Error('file store is closed');
    const filter = opts.filter ?? '';
    const sequence = opts.seq ?? 0;
    const keep = opts.keep ?? 0;
    if (sequence > 1 && keep > 0) return 0;
    if (filterIsAll(filter)) {
      if (keep === 0 && sequence <= 1) return this.purgeAll(this.lastSeq + 1);
      if (sequence > 1) return this.compactTo(sequence);
      if (keep >= this.msgs) return 0;
      return this.compactTo(this.lastSeq - keep + 1);
    }
    const ss = this.filteredState(1, filter);
    if (ss.msgs === 0) return 0;
    let todo = ss.msgs;
    if (keep > 0) {
      if (keep >= ss.msgs) return 0;
      todo -= keep;
    }
    const last = sequence > 1 ? sequence - 1 : ss.last;
    this.syncBeforeDrop = true;
    let purged = 0;
    for (let s = this.nextMatch(filter, ss.first); s !== 0 && s <= last && purged < todo; s = this.nextMatch(filter, s + 1)) {
      if (this.removeSeq(s, false)) purged++;
    }
    return purged;
  }

  /**
   * Removes everything; the next message gets `next` (>= lastSeq + 1). Durable before any block
   * goes: a new write block at base `next` holding a first record `next` is written and fsynced
   * (its directory entry too), then the old blocks are unlinked, so a crash at any point finds
   * the purge whole (the first record) or not at all (every old block). When that block cannot
   * be written (the store is then read-only), the old blocks stay on disk until the flush after
   * a successful retry has written the first record (flushNow: records before drops).
   */
  private purgeAll(next: number): number {
    const purged = this.msgs;
    this.fresh = false;
    this.writeOut();
    const old = this.blocks.slice();
    for (const b of old) {
      b.live = b.liveBytes = 0;
      b.sum = null;
      b.indexed = true;
    }
    this.lazy = 0;
    this.liveBits = null;
    this.toCompact.clear();
    this.subj.clear();
    this.msgs = 0;
    this.bytes = 0;
    this.lastSeq = Math.max(this.lastSeq, next - 1);
    this.firstSeq = this.lastSeq + 1;
    this.idx.reset(this.firstSeq);
    if (this.newBlock()) {
      // The first record keeps the last time (and, with the new block's base, the sequence).
      this.appendMeta(KIND_FIRST, this.firstSeq);
      if (this.writeOut() && this.fsyncWriteBlock(true)) {
        for (const b of old) {
          this.dirtyFds.delete(b.fd);
          fs.closeSync(b.fd);
          fs.rmSync(join(this.msgDir, blockName(b.id)), { force: true });
          b.buf = null;
        }
        this.blocks = [this.wb];
        this.cache.clear();
        this.cacheMru = null;
        return purged;
      }
    }
    this.firstDirty = true;
    this.syncBeforeDrop = true;
    for (const b of old) if (b !== this.wb) this.toCompact.add(b);
    this.scheduleFlush();
    return purged;
  }

  /**
   * fsyncs the write block (and, with `dir`, the directory of the blocks: a new block's entry),
   * before a step that takes bytes away relies on what it holds. False (logged) when it failed.
   */
  private fsyncWriteBlock(dir: boolean): boolean {
    try {
      fs.fsyncSync(this.wb.fd);
    } catch (e) {
      this.log(`fsync of block ${this.wb.id} failed: ${(e as Error).message}`);
      return false;
    }
    if (dir) fsyncDir(this.msgDir);
    return true;
  }

  /** nats-server's Compact: removes every message below `seq`. */
  private compactTo(seq: number): number {
    if (seq > this.lastSeq) return this.purgeAll(seq);
    this.syncBeforeDrop = true;
    let purged = 0;
    for (let s = this.nextMatch('', this.firstSeq); s !== 0 && s < seq; s = this.nextMatch('', s + 1)) {
      if (this.removeSeq(s, false)) purged++;
    }
    return purged;
  }

  seqFromTime(ts: number): number {
    if (this.msgs === 0) return this.lastSeq + 1;
    let lo = this.firstSeq;
    let hi = this.lastSeq + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.tsOf(mid) >= ts) hi = mid;
      else lo = mid + 1;
    }
    const s = this.nextMatch('', lo);
    return s === 0 ? this.lastSeq + 1 : s;
  }

  filteredState(seq: number, filter: string): SimpleState {
    const out: SimpleState = { msgs: 0, first: 0, last: 0 };
    let s = Math.max(seq, this.firstSeq);
    if (s > this.lastSeq || this.msgs === 0) return out;
    const sid = this.idx.sid;
    const ib = this.idx.base;
    if (filterIsAll(filter)) {
      if (s <= this.firstSeq) return { msgs: this.msgs, first: this.firstSeq, last: this.scanBack(this.lastSeq, this.firstSeq, 0) };
      this.needRange(s, this.lastSeq);
      for (; s <= this.lastSeq; s++) {
        if (sid[s - ib] === 0) continue;
        if (out.first === 0) out.first = s;
        out.last = s;
        out.msgs++;
      }
      return out;
    }
    if (filterIsLiteral(filter)) {
      const id = this.subj.id(filter);
      if (id === 0 || this.subj.msgs[id] === 0) return out;
      if (s <= this.subj.first[id]) return { msgs: this.subj.msgs[id], first: this.subj.first[id], last: this.subj.last[id] };
      const end = this.subj.last[id];
      this.needRange(s, end);
      for (; s <= end; s++) {
        if (sid[s - ib] !== id) continue;
        if (out.first === 0) out.first = s;
        out.last = s;
        out.msgs++;
      }
      return out;
    }
    const mask = this.subj.mask(filter);
    let lo = Infinity;
    let hi = 0;
    for (const id of this.subj.live()) {
      if (mask[id] !== 1) continue;
      if (this.subj.first[id] < lo) lo = this.subj.first[id];
      if (this.subj.last[id] > hi) hi = this.subj.last[id];
    }
    s = Math.max(s, lo);
    this.needRange(s, hi);
    for (; s <= hi; s++) {
      if (mask[sid[s - ib]] !== 1) continue;
      if (out.first === 0) out.first = s;
      out.last = s;
      out.msgs++;
    }
    return out;
  }

  subjectsState(filter: string): Map<string, SimpleState> {
    const out = new Map<string, SimpleState>();
    const all = filterIsAll(filter);
    const mask = all || filterIsLiteral(filter) ? null : this.subj.mask(filter);
    for (const id of this.subj.live()) {
      const name = this.subj.names[id];
      if (all || (mask !== null ? mask[id] === 1 : name === filter)) {
        out.set(name, { msgs: this.subj.msgs[id], first: this.subj.first[id], last: this.subj.last[id] });
      }
    }
    return out;
  }

  deleted(): number[] {
    const out: number[] = [];
    this.needRange(this.firstSeq, this.lastSeq);
    const sid = this.idx.sid;
    for (let s = this.firstSeq + 1; s <= this.lastSeq; s++) if (sid[s - this.idx.base] === 0) out.push(s);
    return out;
  }

  state(): StreamState {
    const first = this.firstSeq;
    const last = this.lastSeq;
    return {
      msgs: this.msgs,
      bytes: this.bytes,
      firstSeq: this.fresh ? 0 : first,
      firstTs: this.msgs > 0 ? this.tsOf(first) : 0,
      lastSeq: last,
      lastTs: this.lastTs,
      numSubjects: this.subj.count,
      numDeleted: last > first ? last - first - this.msgs + 1 : 0,
    };
  }

  onRemoved(listener: RemovedListener): void {
    this.listeners.push(listener);
  }

  // ---- limits ----

  private enforcePerSubject(id: number): void {
    const max = this.limits.maxMsgsPer;
    while (this.subj.msgs[id] > max) this.removeByLimit(this.subj.first[id]);
  }

  private enforceLimits(): void {
    const lim = this.limits;
    if (lim.maxMsgs > 0) while (this.msgs > lim.maxMsgs) this.removeByLimit(this.firstSeq);
    if (lim.maxBytes > 0) while (this.bytes > lim.maxBytes && this.msgs > 0) this.removeByLimit(this.firstSeq);
  }

  private removeByLimit(seq: number): void {
    this.need(seq);
    const subject = this.subj.names[this.idx.at(seq)];
    if (this.removeSeq(seq, false)) for (const l of this.listeners) l(seq, subject);
  }

  private scheduleAge(): void {
    if (this.ageTimer !== null) {
      clearTimeout(this.ageTimer);
      this.ageTimer = null;
    }
    const maxAge = this.limits.maxAgeMs;
    if (maxAge <= 0 || this.msgs === 0 || this.closed) return;
    const due = this.tsOf(this.firstSeq) + maxAge - Date.now();
    this.ageTimer = setTimeout(() => this.expire(), Math.max(1, due));
    this.ageTimer.unref();
  }

  private expire(): void {
    this.ageTimer = null;
    const cut = Date.now() - this.limits.maxAgeMs;
    while (this.msgs > 0 && this.tsOf(this.firstSeq) <= cut) this.removeByLimit(this.firstSeq);
    this.scheduleAge();
  }

  // ---- durability and life cycle ----

  /**
   * Writes what is buffered and fsyncs the files written since the last sync, then writes the
   * index file of the state at the write when it changed since the last one (so a crash rescans
   * only what was written after it): built at the write, written once the blocks it describes
   * are fsynced. Syncs run one at a time, so a block whose fsync an earlier sync started is on
   * disk too; a failed fsync leaves the index file as it was (the block is fsynced again next time).
   */
  private async sync(): Promise<void> {
    if (this.closed) return;
    this.flushNow();
    let index: IndexHead | null = null;
    const changes = this.changes;
    if (changes !== this.changesAtIndex && this.writeError === null && this.wb.size === this.wb.written) {
      try {
        index = this.indexHead();
      } catch (e) {
        this.log(`index file not written: ${(e as Error).message}`);
      }
    }
    const prior = this.syncing;
    let done = (): void => {};
    this.syncing = new Promise<void>((resolve) => (done = resolve));
    try {
      await prior;
      // Collected after the earlier sync: every fd written up to the index's build is in it.
      const fds = [...this.dirtyFds];
      this.dirtyFds.clear();
      const failed = await Promise.all(fds.map((fd) => new Promise<Error | null>((resolve) => fs.fsync(fd, (e) => resolve(e)))));
      let ok = true;
      for (let k = 0; k < fds.length; k++) {
        const e = failed[k];
        const b = e === null ? undefined : this.blocks.find((x) => x.fd === fds[k]);
        // An fd closed meanwhile belonged to a block dropped or rewritten (and fsynced) since.
        if (e === null || b === undefined || this.closed) continue;
        ok = false;
        this.dirtyFds.add(fds[k]);
        this.log(`fsync of block ${b.id} failed: ${e.message}; index file not written`);
      }
      if (index !== null && ok && !this.closed) {
        // The names (when they changed) and the checksums, off the sync's turn: in slices.
        const names = index.names ?? (await this.encodeNamesSliced(index.pending as string[], index.version));
        if (!this.closed) await this.writeIndexAsync(this.sealIndex(index, names), changes);
      }
    } finally {
      done();
    }
  }

  /**
   * A sync's index file, off the event loop: a temp file of its own (a store of the same name
   * created after a delete never writes the same one), fsynced, then renamed over index.db unless
   * the store was closed meanwhile (stop writes its own after this one; delete removes the
   * directory).
   */
  private async writeIndexAsync(parts: Buffer[], changes: number): Promise<void> {
    const path = join(this.dir, INDEX_FILE);
    const tmp = `${path}.${process.pid}-${++indexTmpSeq}.tmp`;
    let fh: fs.promises.FileHandle | null = null;
    try {
      fh = await fs.promises.open(tmp, 'w');
      await fh.writev(parts);
      await fh.sync();
      await fh.close();
      fh = null;
      if (this.closed) {
        await fs.promises.rm(tmp, { force: true });
        return;
      }
      await fs.promises.rename(tmp, path);
      this.changesAtIndex = changes;
    } catch (e) {
      if (fh !== null) await fh.close().catch(() => undefined);
      await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
      if (!this.closed) this.log(`index file not written: ${(e as Error).message}`);
    }
  }

  async flush(): Promise<void> {
    await this.sync();
  }

  /** Hands the buffered bytes to the OS now (one write), without waiting for the turn's microtask. */
  writePending(): void {
    if (!this.closed) this.writeOut();
  }

  storedBytes(): number {
    return this.bytes;
  }

  writtenThrough(): number {
    return this.wb.size === this.wb.written ? this.lastSeq : this.durableSeq;
  }

  /** Why the store is read-only (a write failed and no retry succeeded yet), or null. */
  writeErrorText(): string | null {
    return this.writeError;
  }

  async stop(): Promise<void> {
    if (this.closed) return;
    for (const c of this.consumers.values()) await c.stop();
    // A sync under way (its index file) lands first: this one, newer, replaces it.
    await this.syncing;
    if (this.closed) return;
    this.flushNow();
    this.close();
    // The blocks are on disk before the index file that names their bytes.
    let synced = true;
    for (const b of this.blocks) {
      try {
        fs.fsyncSync(b.fd);
      } catch (e) {
        synced = false;
        this.log(`fsync of block ${b.id} failed: ${(e as Error).message}`);
      }
    }
    if (synced) {
      try {
        writeAtomic(join(this.dir, INDEX_FILE), this.sealIndex(this.indexHead(), this.namesSection()));
      } catch (e) {
        this.log(`index file not written (the next open scans the blocks): ${(e as Error).message}`);
      }
    }
    for (const b of this.blocks) {
      fs.closeSync(b.fd);
      b.fd = -1;
      b.buf = null;
    }
    this.cache.clear();
  }

  /** Marks the store closed and stops its timers. */
  private close(): void {
    this.closed = true;
    if (this.syncTimer !== null) clearInterval(this.syncTimer);
    if (this.retryTimer !== null) clearInterval(this.retryTimer);
    if (this.ageTimer !== null) clearTimeout(this.ageTimer);
    this.syncTimer = this.ageTimer = this.retryTimer = null;
  }

  /**
   * Closes and removes everything, without the flush, fsync and index file of stop(): the files
   * are about to go (nats-server's Delete does not sync either; an fsync of a large stream's
   * dirty pages cost more CPU than publishing it). The directory is first renamed (atomic; its
   * parent fsynced) to a name no stream has (isDeletedStoreDir), then removed: a crash during the
   * removal leaves nothing under the stream's name (a part of the stream came back before).
   */
  async delete(): Promise<void> {
    if (!this.closed) {
      for (const c of this.consumers.values()) await c.delete();
      this.close();
      for (const b of this.blocks) {
        fs.closeSync(b.fd);
        b.fd = -1;
        b.buf = null;
      }
      this.cache.clear();
    }
    // Synchronous: a stream of the same name created right after must not lose its files to it.
    removeStoreDir(this.dir);
  }

  // ---- consumers ----

  /** The store of consumer `name` (its state and config files live under <dir>/obs/<name>/). */
  consumerStore(name: string): ConsumerStore {
    let c = this.consumers.get(name);
    if (c === undefined || c.closed) {
      c = new FileConsumerStore(join(this.dir, 'obs', name), this.syncIntervalMs, this.log);
      this.consumers.set(name, c);
    }
    return c;
  }

  /** The consumers that have a directory (to bring them back after a restart). */
  consumerNames(): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(join(this.dir, 'obs')).sort();
    } catch {
      return [];
    }
    // A consumer deleted by a process that crashed before its directory was removed.
    for (const n of names) if (isDeletedStoreDir(n)) fs.rmSync(join(this.dir, 'obs', n), { recursive: true, force: true });
    return names.filter((n) => !isDeletedStoreDir(n));
  }

  /** Bytes of memory the index holds (for the README figure and the tests). */
  indexBytes(): number {
    return this.idx.bytes();
  }

  /** Number of block files (tests: rollover, compaction). */
  blockCount(): number {
    return this.blocks.length;
  }

  /** Blocks whose messages are in the index (tests: a restart from the index file reads none until needed). */
  indexedBlockCount(): number {
    return this.blocks.length - this.lazy;
  }
}
