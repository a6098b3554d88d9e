// The StreamStore conformance suite (run over every store implementation: add a factory to
// STORES), then what only the file store promises: restart recovery, torn tails, corrupt
// records, kill -9, compaction, block rollover and consumer state.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore, isDeletedStoreDir, type FileStoreOptions } from '../src/jetstream/store/file.js';
import type { ConsumerState, StoreLimits, StreamStore } from '../src/jetstream/store/store.js';

const ROOT = fs.mkdtempSync(join(tmpdir(), 'tsnats-filestore-'));
afterAll(() => fs.rmSync(ROOT, { recursive: true, force: true }));
let dirCount = 0;
const newDir = (): string => join(ROOT, `s${++dirCount}`);

interface StoreFactory {
  name: string;
  /** A new, empty store. */
  make(): Promise<StreamStore>;
  /** nats-server's per-message overhead in `bytes`: file 30, memory 16. */
  overhead: number;
  /** What a message with headers counts more: file 4 (fileStoreMsgSize's header length), memory 0. */
  hdrOverhead: number;
}

// The memory store joins with `{ name: 'memory', make: async () => new MemoryStore(), overhead: 16, hdrOverhead: 0 }`
// (src/jetstream/store/memory.ts).
const STORES: StoreFactory[] = [{ name: 'file', make: () => FileStore.open(newDir(), { log: () => {} }), overhead: 30, hdrOverhead: 4 }];

const NOLIMITS: StoreLimits = { maxMsgs: -1, maxBytes: -1, maxAgeMs: 0, maxMsgsPer: -1, maxMsgSize: -1, discard: 'old', discardNewPer: false };
const E = Buffer.alloc(0);
const b = (s: string): Buffer => Buffer.from(s);
const open: StreamStore[] = [];
async function make(f: StoreFactory, limits: Partial<StoreLimits> = {}): Promise<StreamStore> {
  const s = await f.make();
  open.push(s);
  s.setLimits({ ...NOLIMITS, ...limits });
  return s;
}
afterAll(async () => {
  for (const s of open) await s.delete();
});
const text = (m: { msg: Buffer } | null): string | null => (m === null ? null : m.msg.toString());

describe.each(STORES)('StreamStore conformance: $name', (f) => {
  const size = (subject: string, hdr: number, msg: number): number => subject.length + hdr + msg + f.overhead + (hdr > 0 ? f.hdrOverhead : 0);

  it('stores, loads, and counts bytes as nats-server does', async () => {
    const s = await make(f);
    // A new store's first sequence is 0 (nats-server's zero state).
    expect(s.state()).toEqual({ msgs: 0, bytes: 0, firstSeq: 0, firstTs: 0, lastSeq: 0, lastTs: 0, numSubjects: 0, numDeleted: 0 });
    expect(s.store('foo', E, b('hello'), 1000)).toBe(1);
    expect(s.store('bar.baz', b('NATS/1.0\r\nA: b\r\n\r\n'), b('x'), 2000)).toBe(2);
    const m = s.load(2);
    expect(m).not.toBeNull();
    expect(m!.subject).toBe('bar.baz');
    expect(m!.hdr.toString()).toBe('NATS/1.0\r\nA: b\r\n\r\n');
    expect(m!.msg.toString()).toBe('x');
    expect(m!.seq).toBe(2);
    expect(m!.ts).toBe(2000);
    expect(s.load(1)!.hdr.length).toBe(0);
    expect(s.load(0)).toBeNull();
    expect(s.load(3)).toBeNull();
    expect(s.state()).toEqual({
      msgs: 2,
      bytes: size('foo', 0, 5) + size('bar.baz', 18, 1),
      firstSeq: 1,
      firstTs: 1000,
      lastSeq: 2,
      lastTs: 2000,
      numSubjects: 2,
      numDeleted: 0,
    });
  });

  it('loadNext with literal, wildcard and empty filters; loadLast', async () => {
    const s = await make(f);
    const subjects = ['a.1', 'b.1', 'a.2', 'a.1', 'c', 'b.2'];
    subjects.forEach((subj, i) => s.store(subj, E, b(String(i + 1)), i));
    expect(s.loadNext('', 1)!.seq).toBe(1);
    expect(s.loadNext('>', 3)!.seq).toBe(3);
    expect(s.loadNext('a.1', 2)!.seq).toBe(4);
    expect(s.loadNext('a.*', 4)!.seq).toBe(4);
    expect(s.loadNext('a.*', 5)).toBeNull();
    expect(s.loadNext('*.2', 1)!.seq).toBe(3);
    expect(s.loadNext('b.>', 3)!.seq).toBe(6);
    expect(s.loadNext('nope', 1)).toBeNull();
    expect(s.loadNext('', 7)).toBeNull();
    expect(s.loadLast('a.1')!.seq).toBe(4);
    expect(s.loadLast('a.*')!.seq).toBe(4);
    expect(s.loadLast('>')!.seq).toBe(6);
    expect(s.loadLast('')!.seq).toBe(6);
    expect(s.loadLast('zz')).toBeNull();
    s.remove(4, false);
    expect(s.loadLast('a.1')!.seq).toBe(1);
    expect(s.loadNext('a.1', 2)).toBeNull();
    s.remove(6, false);
    expect(s.loadLast('')!.seq).toBe(5);
  });

  it('remove and erase: interior deletes, first moves, state and deleted()', async () => {
    const s = await make(f);
    for (let i = 1; i <= 10; i++) s.store(`s.${i % 3}`, E, b(`m${i}`), i);
    expect(s.remove(5, false)).toBe(true);
    expect(s.remove(5, false)).toBe(false);
    expect(s.remove(99, false)).toBe(false);
    expect(s.remove(7, true)).toBe(true);
    expect(s.load(7)).toBeNull();
    expect(s.load(5)).toBeNull();
    expect(s.deleted()).toEqual([5, 7]);
    expect(s.state().numDeleted).toBe(2);
    expect(s.remove(1, false)).toBe(true);
    expect(s.state().firstSeq).toBe(2);
    expect(s.state().firstTs).toBe(2);
    expect(s.remove(2, false)).toBe(true);
    expect(s.state()).toMatchObject({ msgs: 6, firstSeq: 3, lastSeq: 10, numDeleted: 2 });
    expect(s.remove(10, false)).toBe(true);
    expect(s.state()).toMatchObject({ lastSeq: 10, numDeleted: 3 });
    // A deleted last message is listed too (nats-server's dmap keeps it; nats.go's suite checks it).
    expect(s.deleted()).toEqual([5, 7, 10]);
    expect(s.state().bytes).toBe(5 * size('s.0', 0, 2));
  });

  it('removing every message leaves first = last + 1', async () => {
    const s = await make(f);
    s.store('a', E, b('1'), 1);
    s.store('a', E, b('2'), 2);
    s.remove(2, false);
    s.remove(1, false);
    expect(s.state()).toMatchObject({ msgs: 0, bytes: 0, firstSeq: 3, lastSeq: 2, numDeleted: 0, numSubjects: 0 });
    expect(s.store('a', E, b('3'), 3)).toBe(3);
    expect(s.state()).toMatchObject({ msgs: 1, firstSeq: 3, lastSeq: 3 });
  });

  it('skip advances the last sequence', async () => {
    const s = await make(f);
    expect(s.skip()).toBe(1);
    expect(s.state()).toMatchObject({ msgs: 0, firstSeq: 2, lastSeq: 1 });
    expect(s.store('a', E, b('x'), 5)).toBe(2);
    expect(s.skip()).toBe(3);
    expect(s.store('a', E, b('y'), 6)).toBe(4);
    expect(s.state()).toMatchObject({ msgs: 2, firstSeq: 2, lastSeq: 4, numDeleted: 1 });
    expect(s.deleted()).toEqual([3]);
  });

  it('purge: all, by filter, keep, up to a sequence', async () => {
    const s = await make(f);
    const fill = (n: number): void => {
      for (let i = 0; i < n; i++) s.store(i % 2 === 0 ? 'even' : 'odd', E, b(String(i)), i);
    };
    fill(10);
    expect(s.purge({})).toBe(10);
    expect(s.state()).toMatchObject({ msgs: 0, bytes: 0, firstSeq: 11, lastSeq: 10, numSubjects: 0 });
    expect(s.load(5)).toBeNull();
    fill(10); // 11..20, even at odd sequences
    expect(s.purge({ filter: 'even' })).toBe(5);
    expect(s.state()).toMatchObject({ msgs: 5, firstSeq: 12, lastSeq: 20 });
    expect(s.subjectsState('>').get('even')).toBeUndefined();
    expect(s.purge({ filter: 'odd', keep: 2 })).toBe(3);
    expect(s.subjectsState('odd').get('odd')).toEqual({ msgs: 2, first: 18, last: 20 });
    fill(4); // 21..24
    expect(s.purge({ filter: 'even', seq: 23 })).toBe(1);
    expect(s.load(21)).toBeNull();
    expect(s.load(23)!.subject).toBe('even');
    expect(s.purge({ seq: 22 })).toBe(2); // 18, 20
    expect(s.state()).toMatchObject({ msgs: 3, firstSeq: 22, lastSeq: 24 });
    expect(s.purge({ keep: 1 })).toBe(2);
    expect(s.state()).toMatchObject({ msgs: 1, firstSeq: 24, lastSeq: 24 });
    expect(s.purge({ keep: 5 })).toBe(0);
    expect(s.purge({ seq: 100 })).toBe(1);
    expect(s.state()).toMatchObject({ msgs: 0, firstSeq: 100, lastSeq: 99 });
    expect(s.store('x', E, E, 1)).toBe(100);
    expect(s.purge({ seq: 5, keep: 1 })).toBe(0);
  });

  it('seqFromTime', async () => {
    const s = await make(f);
    expect(s.seqFromTime(5)).toBe(1);
    for (let i = 1; i <= 5; i++) s.store('t', E, E, i * 10);
    expect(s.seqFromTime(0)).toBe(1);
    expect(s.seqFromTime(10)).toBe(1);
    expect(s.seqFromTime(11)).toBe(2);
    expect(s.seqFromTime(30)).toBe(3);
    expect(s.seqFromTime(50)).toBe(5);
    expect(s.seqFromTime(51)).toBe(6);
    s.remove(3, false);
    expect(s.seqFromTime(25)).toBe(4);
  });

  it('filteredState and subjectsState', async () => {
    const s = await make(f);
    ['a.x', 'b.x', 'a.y', 'a.x', 'b.y', 'a.x'].forEach((subj, i) => s.store(subj, E, E, i));
    expect(s.filteredState(1, 'a.x')).toEqual({ msgs: 3, first: 1, last: 6 });
    expect(s.filteredState(2, 'a.x')).toEqual({ msgs: 2, first: 4, last: 6 });
    expect(s.filteredState(1, 'a.*')).toEqual({ msgs: 4, first: 1, last: 6 });
    expect(s.filteredState(4, '*.y')).toEqual({ msgs: 1, first: 5, last: 5 });
    expect(s.filteredState(1, '')).toEqual({ msgs: 6, first: 1, last: 6 });
    expect(s.filteredState(3, '>')).toEqual({ msgs: 4, first: 3, last: 6 });
    expect(s.filteredState(1, 'zz')).toEqual({ msgs: 0, first: 0, last: 0 });
    expect(s.filteredState(7, '')).toEqual({ msgs: 0, first: 0, last: 0 });
    const all = s.subjectsState('>');
    expect(Object.fromEntries(all)).toEqual({
      'a.x': { msgs: 3, first: 1, last: 6 },
      'b.x': { msgs: 1, first: 2, last: 2 },
      'a.y': { msgs: 1, first: 3, last: 3 },
      'b.y': { msgs: 1, first: 5, last: 5 },
    });
    expect([...s.subjectsState('b.*').keys()].sort()).toEqual(['b.x', 'b.y']);
    expect([...s.subjectsState('a.y').keys()]).toEqual(['a.y']);
    s.remove(1, false);
    s.remove(6, false);
    expect(s.subjectsState('a.x').get('a.x')).toEqual({ msgs: 1, first: 4, last: 4 });
    expect(s.state().numSubjects).toBe(4);
  });

  it('max_msgs with discard old removes the oldest and tells the listeners', async () => {
    const s = await make(f, { maxMsgs: 3 });
    const removed: [number, string][] = [];
    s.onRemoved((seq, subj) => removed.push([seq, subj]));
    for (let i = 1; i <= 5; i++) expect(s.store(`m.${i}`, E, b('x'), i)).toBe(i);
    expect(s.state()).toMatchObject({ msgs: 3, firstSeq: 3, lastSeq: 5 });
    expect(removed).toEqual([
      [1, 'm.1'],
      [2, 'm.2'],
    ]);
  });

  it('max_msgs with discard new refuses', async () => {
    const s = await make(f, { maxMsgs: 2, discard: 'new' });
    s.store('a', E, E, 1);
    s.store('a', E, E, 2);
    expect(s.store('a', E, E, 3)).toBe('maximum messages exceeded');
    expect(s.state()).toMatchObject({ msgs: 2, lastSeq: 2 });
  });

  it('max_bytes with discard old and new (nats-server counts only hdr + msg of the new one)', async () => {
    const one = size('a', 0, 10);
    const s = await make(f, { maxBytes: 3 * one });
    for (let i = 0; i < 5; i++) s.store('a', E, Buffer.alloc(10), i);
    expect(s.state()).toMatchObject({ msgs: 3, bytes: 3 * one, firstSeq: 3 });
    const n = await make(f, { maxBytes: 2 * one + 10, discard: 'new' });
    expect(n.store('a', E, Buffer.alloc(10), 1)).toBe(1);
    expect(n.store('a', E, Buffer.alloc(10), 2)).toBe(2);
    // bytes (2 * one) + 10 >= max_bytes: refused although the stored size would be larger still.
    expect(n.store('a', E, Buffer.alloc(10), 3)).toBe('maximum bytes exceeded');
    // Under the check, it is stored; then max_bytes is enforced as for discard old (nats-server
    // does so after every store, whatever the policy): the oldest message goes.
    expect(n.store('a', E, Buffer.alloc(9), 3)).toBe(3);
    expect(n.state()).toMatchObject({ msgs: 2, firstSeq: 2, bytes: one + size('a', 0, 9) });
  });

  it('max_msgs_per_subject, discard old and discard_new_per_subject', async () => {
    const s = await make(f, { maxMsgsPer: 2 });
    const removed: number[] = [];
    s.onRemoved((seq) => removed.push(seq));
    for (let i = 1; i <= 4; i++) s.store('k', E, b(String(i)), i);
    s.store('j', E, E, 5);
    expect(s.subjectsState('k').get('k')).toEqual({ msgs: 2, first: 3, last: 4 });
    expect(removed).toEqual([1, 2]);
    expect(s.state()).toMatchObject({ msgs: 3, firstSeq: 3 });
    const n = await make(f, { maxMsgsPer: 1, discard: 'new', discardNewPer: true });
    expect(n.store('k', E, E, 1)).toBe(1);
    expect(n.store('k', E, E, 2)).toBe('maximum messages per subject exceeded');
    expect(n.store('l', E, E, 3)).toBe(2);
    // discard new without per-subject: at max_msgs, a message replacing one on its subject is fine.
    const r = await make(f, { maxMsgsPer: 1, maxMsgs: 2, discard: 'new' });
    r.store('a', E, E, 1);
    r.store('b', E, E, 2);
    expect(r.store('c', E, E, 3)).toBe('maximum messages exceeded');
    expect(r.store('a', E, b('new'), 4)).toBe(3);
    expect(text(r.loadLast('a'))).toBe('new');
    expect(r.state().msgs).toBe(2);
  });

  it("a subject's first and last follow removals down to its last message (history 1 replaces in place)", async () => {
    const s = await make(f, { maxMsgsPer: 1 });
    for (let i = 0; i < 6; i++) {
      s.store('k', E, b(String(i)), 2 * i + 1);
      s.store(`o${i}`, E, E, 2 * i + 2);
    }
    expect(s.subjectsState('k').get('k')).toEqual({ msgs: 1, first: 11, last: 11 });
    expect(s.loadNext('k', 0)?.seq).toBe(11);
    expect(text(s.loadLast('k'))).toBe('5');
    const t = await make(f);
    for (const seq of [1, 2, 3]) t.store('x', E, b(String(seq)), seq);
    t.store('y', E, E, 4);
    expect(t.remove(3, false)).toBe(true);
    expect(t.subjectsState('x').get('x')).toEqual({ msgs: 2, first: 1, last: 2 });
    expect(t.remove(2, false)).toBe(true);
    expect(t.subjectsState('x').get('x')).toEqual({ msgs: 1, first: 1, last: 1 });
    expect(text(t.loadLast('x'))).toBe('1');
    expect(t.store('x', E, b('5'), 5)).toBe(5);
    expect(t.remove(1, false)).toBe(true);
    expect(t.subjectsState('x').get('x')).toEqual({ msgs: 1, first: 5, last: 5 });
    expect(t.loadNext('x', 0)?.seq).toBe(5);
    expect(t.filteredState(0, 'x')).toEqual({ msgs: 1, first: 5, last: 5 });
    expect(text(t.loadLast('x'))).toBe('5');
  });

  it('setLimits applies new limits at once', async () => {
    const s = await make(f);
    for (let i = 1; i <= 6; i++) s.store(i % 2 ? 'x' : 'y', E, E, i);
    s.setLimits({ ...NOLIMITS, maxMsgsPer: 1 });
    expect(s.state()).toMatchObject({ msgs: 2, firstSeq: 5 });
    s.setLimits({ ...NOLIMITS, maxMsgs: 1 });
    expect(s.state()).toMatchObject({ msgs: 1, firstSeq: 6 });
  });

  it('max_msg_size', async () => {
    const s = await make(f, { maxMsgSize: 8 });
    expect(s.store('a', b('1234'), b('5678'), 1)).toBe(1);
    expect(s.store('a', b('1234'), b('56789'), 2)).toBe('message size exceeds maximum allowed');
  });

  it('max_age expires old messages', async () => {
    const s = await make(f, { maxAgeMs: 150 });
    const removed: number[] = [];
    s.onRemoved((seq) => removed.push(seq));
    const now = Date.now();
    s.store('a', E, E, now - 1000);
    s.store('a', E, E, now - 1000);
    s.store('a', E, E, now);
    await new Promise((r) => setTimeout(r, 50));
    expect(removed).toEqual([1, 2]);
    expect(s.state()).toMatchObject({ msgs: 1, firstSeq: 3 });
    const deadline = Date.now() + 5000;
    while (s.state().msgs > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(s.state()).toMatchObject({ msgs: 0, firstSeq: 4, lastSeq: 3 });
    expect(removed).toEqual([1, 2, 3]);
  });
});

// ---- file store only ----

const quiet = (): { lines: string[]; log: (t: string) => void } => {
  const lines: string[] = [];
  return { lines, log: (t: string) => lines.push(t) };
};

/** The log lines that report a problem: all but the recovery's summary of what it read. */
const problems = (lines: string[]): string[] => lines.filter((l) => !l.startsWith('recovered '));

async function openFile(dir: string, o: FileStoreOptions = {}): Promise<FileStore> {
  const s = await FileStore.open(dir, { log: () => {}, ...o });
  s.setLimits(NOLIMITS);
  return s;
}

function summary(s: StreamStore): unknown {
  return { state: s.state(), deleted: s.deleted(), subjects: Object.fromEntries(s.subjectsState('>')) };
}

function blockFiles(dir: string): string[] {
  return fs
    .readdirSync(join(dir, 'msgs'))
    .filter((n) => n.endsWith('.blk'))
    .sort((a, c) => Number(a.slice(0, -4)) - Number(c.slice(0, -4)))
    .map((n) => join(dir, 'msgs', n));
}

describe('file store', () => {
  it('restart recovers messages, removals, erasures, skips and purges', async () => {
    const dir = newDir();
    const s = await openFile(dir, { blockSize: 4096 });
    for (let i = 1; i <= 300; i++) s.store(`sub.${i % 7}`, i % 5 === 0 ? b('NATS/1.0\r\n\r\n') : E, b(`payload-${i}`), 1000 + i);
    s.remove(10, false);
    s.remove(11, true);
    s.remove(1, false);
    s.remove(2, false);
    s.skip();
    s.store('after.skip', E, b('z'), 5000);
    s.purge({ filter: 'sub.3' });
    const before = summary(s);
    const m150 = s.load(150);
    await s.stop();
    const r = await openFile(dir, { blockSize: 4096 });
    open.push(r);
    expect(summary(r)).toEqual(before);
    expect(r.load(150)).toEqual(m150);
    expect(r.load(11)).toBeNull();
    expect(r.load(302)!.subject).toBe('after.skip');
    expect(r.store('next', E, E, 6000)).toBe(303);
  });

  it('a message with headers counts 4 bytes more (fileStoreMsgSize), through removals, erasures and both restart paths', async () => {
    const dir = newDir();
    const H = b('NATS/1.0\r\nA: b\r\n\r\n');
    const s = await openFile(dir, { blockSize: 512 });
    for (let i = 1; i <= 40; i++) s.store(`h.${i % 3}`, i % 2 === 0 ? H : E, b(`p-${i}`), 1000 + i);
    let bytes = 0;
    for (let i = 1; i <= 40; i++) bytes += 3 + 30 + `p-${i}`.length + (i % 2 === 0 ? H.length + 4 : 0);
    expect(s.state().bytes).toBe(bytes);
    // Removed (tombstoned), erased, and the front: each takes back what it counted.
    s.remove(2, false);
    s.remove(4, true);
    s.remove(1, false);
    bytes -= 3 + 30 + 3 + H.length + 4 + (3 + 30 + 3 + H.length + 4) + (3 + 30 + 3);
    expect(s.state().bytes).toBe(bytes);
    expect(s.storedBytes()).toBe(bytes);
    expect(s.load(6)!.hdr).toEqual(H);
    expect(s.load(6)!.msg.toString()).toBe('p-6');
    expect(s.load(7)!.msg.toString()).toBe('p-7');
    const before = summary(s);
    await s.stop();
    // The index file's path, then the scan's.
    let r = await openFile(dir, { blockSize: 512 });
    expect(summary(r)).toEqual(before);
    expect(r.state().bytes).toBe(bytes);
    await r.stop();
    fs.rmSync(join(dir, 'index.db'));
    r = await openFile(dir, { blockSize: 512 });
    open.push(r);
    expect(summary(r)).toEqual(before);
    expect(r.state().bytes).toBe(bytes);
    for (let i = 5; i <= 40; i++) expect(r.load(i)!.msg.toString()).toBe(`p-${i}`);
    // Compaction of the mostly empty blocks moves records by their own length.
    for (let i = 5; i <= 30; i++) if (i % 5 !== 0) r.remove(i, false);
    await Promise.resolve();
    await r.flush();
    for (let i = 5; i <= 40; i++) if (i > 30 || i % 5 === 0) expect(r.load(i)!.msg.toString()).toBe(`p-${i}`);
  });

  it('a new store says first sequence 0; reopened (its block file exists) lastSeq + 1, as nats-server', async () => {
    const dir = newDir();
    const s = await openFile(dir);
    expect(s.state()).toMatchObject({ msgs: 0, firstSeq: 0, lastSeq: 0 });
    await s.stop();
    const r = await openFile(dir);
    open.push(r);
    expect(r.state()).toMatchObject({ msgs: 0, firstSeq: 1, lastSeq: 0 });
    const t = await openFile(newDir());
    open.push(t);
    t.purge({});
    expect(t.state()).toMatchObject({ msgs: 0, firstSeq: 1, lastSeq: 0 });
  });

  it('restart after purge-all and compaction past the end keeps the sequence', async () => {
    const dir = newDir();
    const s = await openFile(dir);
    for (let i = 0; i < 5; i++) s.store('a', E, E, 1000 + i);
    s.purge({});
    await s.stop();
    fs.rmSync(join(dir, 'index.db')); // the scan must find it too
    let r = await openFile(dir);
    expect(r.state()).toMatchObject({ msgs: 0, firstSeq: 6, lastSeq: 5, lastTs: 1004 });
    r.purge({ seq: 50 });
    await r.stop();
    r = await openFile(dir);
    open.push(r);
    expect(r.state()).toMatchObject({ msgs: 0, firstSeq: 50, lastSeq: 49 });
    expect(r.store('a', E, E, 1)).toBe(50);
  });

  it('removals from the front survive a restart without a clean stop (first record)', async () => {
    const dir = newDir();
    const s = await openFile(dir, { maxMsgs: 0 } as FileStoreOptions);
    s.setLimits({ ...NOLIMITS, maxMsgs: 10 });
    for (let i = 0; i < 100; i++) s.store('a', E, b(String(i)), i);
    await Promise.resolve(); // the turn's write
    await s.flush();
    // No stop: read the files as a crash would leave them.
    const r = await openFile(dir);
    expect(r.state()).toMatchObject({ msgs: 10, firstSeq: 91, lastSeq: 100 });
    await r.stop();
    await s.stop();
  });

  it('storeAt copies headers and body out of the caller\'s buffer before it returns: the buffer reused at once, the messages are intact before the write, after it and after a restart', async () => {
    const dir = newDir();
    const s = await openFile(dir);
    // One "read buffer" holding several publishes (headers + body each), short and long (the
    // long ones take the native copy), at offsets that are not 0.
    const hdr = 'NATS/1.0\r\nNats-Msg-Id: id-%\r\n\r\n';
    const msgs = [1, 2, 3, 4].map((i) => ({ hdr: i % 2 === 0 ? hdr.replace('%', String(i)) : '', body: `body-${i}-`.repeat(i * 11) }));
    const read = Buffer.from('PUB junk 0\r\n\r\n' + msgs.map((m) => `HPUB x ${m.hdr.length} ${m.hdr.length + m.body.length}\r\n${m.hdr}${m.body}\r\n`).join(''));
    let at = read.indexOf('HPUB');
    for (const [i, m] of msgs.entries()) {
      at = read.indexOf('\r\n', at) + 2;
      const h1 = at + m.hdr.length;
      const m1 = h1 + m.body.length;
      expect(s.storeAt(`x.${i}`, read, at, h1, read, h1, m1, 100 + i)).toBe(i + 1);
      at = m1 + 2;
    }
    read.fill(0x5a); // the next read lands in the same buffer before the turn's write
    const check = (st: StreamStore): void => {
      for (const [i, m] of msgs.entries()) {
        const got = st.load(i + 1)!;
        expect([got.subject, got.hdr.toString(), got.msg.toString(), got.ts]).toEqual([`x.${i}`, m.hdr, m.body, 100 + i]);
      }
    };
    check(s);
    await Promise.resolve(); // the turn's write
    check(s);
    await s.stop();
    const r = await openFile(dir);
    open.push(r);
    check(r);
  });

  it('a turn of stores is one write, after the turn; messages are readable before it', async () => {
    const dir = newDir();
    const s = await openFile(dir);
    open.push(s);
    const file = blockFiles(dir)[0];
    const size0 = fs.statSync(file).size;
    for (let i = 1; i <= 100; i++) s.store('turn', E, b(`m${i}`), i);
    expect(text(s.load(100))).toBe('m100');
    expect(text(s.loadNext('turn', 50))).toBe('m50');
    expect(fs.statSync(file).size).toBe(size0);
    await Promise.resolve(); // the write is the microtask queued by the first store
    expect(fs.statSync(file).size).toBe(size0 + 100 * 27 + 4 * 100 + [...Array(100).keys()].reduce((a, i) => a + String(i + 1).length + 1, 0));
  });

  it('erase overwrites the message bytes on disk, in an old block and in the write block', async () => {
    const dir = newDir();
    const s = await openFile(dir, { blockSize: 1024, cacheBlocks: 1 });
    open.push(s);
    for (let i = 1; i <= 40; i++) s.store('e', E, b(`secret-${String(i).padStart(3, '0')}-xxxxxxxxxxxxxxxxxxxx`), i);
    await s.flush();
    s.load(40); // the first block is not cached
    expect(s.remove(2, true)).toBe(true);
    expect(s.remove(40, true)).toBe(true);
    s.store('e', E, b('secret-041'), 41);
    expect(s.remove(41, true)).toBe(true); // not yet written
    await s.flush();
    const all = Buffer.concat(blockFiles(dir).map((f) => fs.readFileSync(f))).toString('latin1');
    expect(all).toContain('secret-001');
    for (const gone of ['secret-002', 'secret-040', 'secret-041']) expect(all).not.toContain(gone);
    expect(s.state()).toMatchObject({ msgs: 38, lastSeq: 41 });
  });

  it('rolls over to new blocks at the block size and reads old blocks back', async () => {
    const dir = newDir();
    const s = await openFile(dir, { blockSize: 1024, cacheBlocks: 1 });
    open.push(s);
    for (let i = 1; i <= 200; i++) s.store('roll', E, Buffer.alloc(50, i), i);
    expect(s.blockCount()).toBeGreaterThan(10);
    expect(blockFiles(dir).length).toBe(s.blockCount());
    for (const seq of [1, 77, 200, 3, 150]) expect(s.load(seq)!.msg).toEqual(Buffer.alloc(50, seq));
    for (const f of blockFiles(dir).slice(0, -1)) expect(fs.statSync(f).size).toBeLessThanOrEqual(1024);
    // A message larger than a block gets a block of its own.
    const n = s.blockCount();
    expect(s.store('big', E, Buffer.alloc(3000, 7), 201)).toBe(201);
    expect(s.store('roll', E, Buffer.alloc(50, 202), 202)).toBe(202);
    expect(s.blockCount()).toBe(n + 2);
    expect(s.load(201)!.msg).toEqual(Buffer.alloc(3000, 7));
    await s.stop();
    const r = await openFile(dir, { blockSize: 1024, cacheBlocks: 1 });
    open.push(r);
    expect(r.state()).toMatchObject({ msgs: 202, lastSeq: 202 });
    expect(r.load(201)!.msg).toEqual(Buffer.alloc(3000, 7));
    for (const seq of [1, 77, 200, 3, 150, 202]) expect(r.load(seq)!.msg).toEqual(Buffer.alloc(50, seq));
  });

  it('deletes emptied blocks and compacts mostly empty ones', async () => {
    const dir = newDir();
    const s = await openFile(dir, { blockSize: 2048 });
    for (let i = 1; i <= 200; i++) s.store(`c.${i % 4}`, E, Buffer.alloc(40, i), i);
    await s.flush();
    const blocks0 = s.blockCount();
    const files0 = blockFiles(dir);
    const size2 = fs.statSync(files0[2]).size;
    // The first block: all of it goes, so its file goes.
    let seq = 1;
    while (s.load(seq) !== null && fs.existsSync(files0[0])) {
      s.remove(seq++, false);
      await s.flush();
    }
    expect(fs.existsSync(files0[0])).toBe(false);
    expect(s.blockCount()).toBe(blocks0 - 1);
    // Remove 3 of every 4 messages (interior deletes): a block past the first is rewritten
    // smaller (the first block is left to empty from the front, as limits do).
    const r = s.purge({ filter: 'c.1' }) + s.purge({ filter: 'c.2' }) + s.purge({ filter: 'c.3' });
    expect(r).toBeGreaterThan(100);
    await s.flush();
    expect(fs.statSync(files0[2]).size).toBeLessThan(size2 / 2);
    const before = summary(s);
    for (let q = 1; q <= 200; q++) if (q % 4 === 0 && q >= seq) expect(s.load(q)!.msg).toEqual(Buffer.alloc(40, q));
    await s.stop();
    const again = await openFile(dir, { blockSize: 2048 });
    open.push(again);
    expect(summary(again)).toEqual(before);
    for (let q = 1; q <= 200; q++) if (q % 4 === 0 && q >= seq) expect(again.load(q)!.msg).toEqual(Buffer.alloc(40, q));
  });

  it('a torn tail is cut and logged; everything before the cut is there', async () => {
    const dir = newDir();
    const s = await openFile(dir, { blockSize: 4096 });
    for (let i = 1; i <= 100; i++) s.store('t', E, b(`msg-${i}`), i);
    await s.stop();
    const files = blockFiles(dir);
    const last = files[files.length - 1];
    const full = fs.statSync(last).size;
    fs.truncateSync(last, full - 5); // mid-record: the last message is torn
    let q = quiet();
    let r = await openFile(dir, { blockSize: 4096, log: q.log });
    open.push(r);
    expect(q.lines.filter((l) => l.includes('torn tail'))).toEqual([expect.stringMatching(/torn tail at offset \d+ \(\d+ bytes cut\)/)]);
    expect(r.state()).toMatchObject({ msgs: 99, firstSeq: 1, lastSeq: 99 });
    for (let i = 1; i <= 99; i++) expect(text(r.load(i))).toBe(`msg-${i}`);
    // Shorter than the torn record, so left-over bytes would show if the file were not cut.
    expect(r.store('t', E, b('n'), 1)).toBe(100);
    expect(text(r.load(100))).toBe('n');
    await r.flush();
    // The file was cut: the new record follows the last good one, and a scan finds it.
    q = quiet();
    r = await openFile(dir, { blockSize: 4096, log: q.log });
    open.push(r);
    expect(q.lines).toEqual([]);
    expect(r.state()).toMatchObject({ msgs: 100, lastSeq: 100 });
    expect(text(r.load(100))).toBe('n');
  });

  it('flipped bytes in an older block: the record is found by its checksum, logged and skipped', async () => {
    const dir = newDir();
    const s = await openFile(dir, { blockSize: 1024 });
    for (let i = 1; i <= 60; i++) s.store('f', E, b(`message-number-${String(i).padStart(3, '0')}`), i);
    await s.stop();
    const first = blockFiles(dir)[0];
    const data = fs.readFileSync(first);
    const at = data.indexOf('message-number-005');
    expect(at).toBeGreaterThan(0);
    data[at + 10] ^= 0xff;
    fs.writeFileSync(first, data);
    // With the index file of the clean stop (the block's size did not change): found when the
    // block is first read.
    let q = quiet();
    let r = await openFile(dir, { blockSize: 1024, log: q.log });
    expect(r.state().msgs).toBe(60);
    expect(r.load(5)).toBeNull();
    expect(q.lines.some((l) => l.includes('message 5 is corrupt'))).toBe(true);
    expect(r.state()).toMatchObject({ msgs: 59, firstSeq: 1, lastSeq: 60, numDeleted: 1 });
    expect(r.subjectsState('f').get('f')).toEqual({ msgs: 59, first: 1, last: 60 });
    await r.stop();
    // Without an index file: found by the scan.
    fs.rmSync(join(dir, 'index.db'));
    q = quiet();
    r = await openFile(dir, { blockSize: 1024, log: q.log });
    open.push(r);
    expect(q.lines.some((l) => l.includes('corrupt record') && l.includes('checksum'))).toBe(true);
    expect(r.load(5)).toBeNull();
    expect(r.state()).toMatchObject({ msgs: 59, firstSeq: 1, lastSeq: 60, numDeleted: 1 });
    for (let i = 1; i <= 60; i++) if (i !== 5) expect(text(r.load(i))).toBe(`message-number-${String(i).padStart(3, '0')}`);
  });

  it('a restart from the index file reads no block until a read or a removal needs it', async () => {
    const dir = newDir();
    const s = await openFile(dir, { blockSize: 1024 });
    for (let i = 1; i <= 200; i++) s.store(`l.${i % 3}`, i % 4 === 0 ? b('NATS/1.0\r\n\r\n') : E, b(`lazy-${i}`), 1000 + i);
    s.remove(3, false);
    s.remove(40, true);
    s.remove(150, false);
    s.remove(1, false);
    const before = summary(s);
    await s.stop();
    expect(blockFiles(dir).length).toBeGreaterThan(8);
    const q = quiet();
    let r = await openFile(dir, { blockSize: 1024, log: q.log });
    expect(r.indexedBlockCount()).toBe(0);
    expect(r.state()).toEqual((before as { state: unknown }).state);
    expect(Object.fromEntries(r.subjectsState('>'))).toEqual((before as { subjects: unknown }).subjects);
    expect(r.indexedBlockCount()).toBe(0);
    expect(text(r.load(100))).toBe('lazy-100');
    expect(r.indexedBlockCount()).toBe(1);
    expect(r.load(40)).toBeNull();
    expect(r.loadNext('l.1', 145)!.seq).toBe(145);
    expect(r.loadNext('l.0', 150)!.seq).toBe(153);
    // A removal in a block not read yet, a store (the write block is read then), and the first moving.
    r.remove(60, false);
    r.remove(2, false);
    expect(r.store('l.new', E, b('after'), 5000)).toBe(201);
    expect(r.state()).toMatchObject({ msgs: 195, firstSeq: 4, lastSeq: 201 });
    const after = summary(r);
    expect(r.indexedBlockCount()).toBe(blockFiles(dir).length);
    await r.stop();
    // Stopped while partly indexed: the live bits of the blocks never read are carried over.
    r = await openFile(dir, { blockSize: 1024 });
    expect(r.load(60)).toBeNull();
    expect(text(r.load(201))).toBe('after');
    await r.stop();
    r = await openFile(dir, { blockSize: 1024 });
    expect(summary(r)).toEqual(after);
    await r.stop();
    fs.rmSync(join(dir, 'index.db'));
    r = await openFile(dir, { blockSize: 1024 });
    open.push(r);
    expect(summary(r)).toEqual(after);
    expect(q.lines).toEqual([]);
  });

  it('a block with a bad header (such as one of format version 1) is set aside as .bad, logged, and its id not reused', async () => {
    const dir = newDir();
    const s = await openFile(dir);
    for (let i = 1; i <= 10; i++) s.store('v', E, b(`old-${i}`), i);
    await s.stop();
    fs.rmSync(join(dir, 'index.db'));
    const [blk] = blockFiles(dir);
    const data = fs.readFileSync(blk);
    data.writeUInt32LE(1, 4); // version 1
    fs.writeFileSync(blk, data);
    let q = quiet();
    let r = await openFile(dir, { log: q.log });
    expect(q.lines).toEqual([`block ${blk}: bad header (not a block of this format version), block set aside as 1.blk.bad`]);
    expect(fs.readFileSync(`${blk}.bad`)).toEqual(data);
    expect(r.state()).toMatchObject({ msgs: 0 });
    expect(r.store('v', E, b('new'), 20)).toBe(1);
    await r.stop();
    expect(blockFiles(dir).map((f) => f.slice(f.lastIndexOf('/') + 1))).toEqual(['2.blk']);
    // The set-aside file is not a block: the index file of the clean stop is used.
    q = quiet();
    r = await openFile(dir, { log: q.log });
    open.push(r);
    expect(q.lines).toEqual([]);
    expect(text(r.load(1))).toBe('new');
    expect(fs.existsSync(`${blk}.bad`)).toBe(true);
  });

  it('a crash after an index file written at a sync: blocks unchanged since are taken from it unread, the rest scanned; nothing removed since comes back', async () => {
    const dir = newDir();
    const s = await openFile(dir, { blockSize: 2048, cacheBlocks: 2 });
    open.push(s);
    s.setLimits({ ...NOLIMITS, maxMsgsPer: 3 });
    let seq = 0;
    for (let i = 1; i <= 1200; i++) seq = s.store(i % 10 === 0 ? `k.${i % 7}` : i % 40 === 1 ? 'p' : `a.${i % 400}`, E, b(`m-${i}`), 1000 + i) as number;
    s.remove(500, false);
    s.remove(700, true);
    await s.flush(); // a sync: the index file is written
    expect(fs.existsSync(join(dir, 'index.db'))).toBe(true);
    const blocksAtSync = blockFiles(dir).length;
    // After it: stores, removals in blocks the index file took as they were, per-subject
    // limit removals of old messages, a purge by subject across every block, and the first
    // blocks dropped by a purge up to a sequence.
    for (let i = 1; i <= 150; i++) seq = s.store(i % 5 === 0 ? `k.${i % 7}` : `a.${i}`, E, b(`n-${i}`), 5000 + i) as number;
    for (const q of [301, 302, 640, 901, 1199, seq - 3]) s.remove(q, false);
    s.purge({ filter: 'p' });
    s.purge({ seq: 200 });
    seq = s.store('a', E, b('last'), 9000) as number;
    await new Promise((r) => setImmediate(r)); // the turn's write; no sync
    const want = summary(s);
    const copy = newDir();
    fs.cpSync(dir, copy, { recursive: true }); // the files as a kill -9 now leaves them
    const q = quiet();
    const r = await openFile(copy, { blockSize: 2048, log: q.log });
    open.push(r);
    const line = q.lines.find((l) => l.includes('from its index file'));
    const m = /: (\d+) block\(s\) taken from it, (\d+) block\(s\) written or changed since scanned \((\d+) bytes\), (\d+) gone since/.exec(line ?? '');
    expect(m, q.lines.join('\n')).not.toBeNull();
    const [taken, scanned, , gone] = [Number(m![1]), Number(m![2]), Number(m![3]), Number(m![4])];
    expect(problems(q.lines)).toEqual([]);
    expect(gone).toBeGreaterThan(0); // dropped by the purge up to 200
    expect(taken).toBeGreaterThan(blocksAtSync / 2);
    expect(scanned).toBeLessThanOrEqual(blockFiles(copy).length - taken);
    expect(r.indexedBlockCount()).toBeLessThan(r.blockCount());
    expect(summary(r)).toEqual(want);
    for (let i = 1; i <= seq; i++) {
      const got = r.load(i);
      const exp = s.load(i);
      expect(got === null ? null : [got.subject, text(got), got.ts], `seq ${i}`).toEqual(exp === null ? null : [exp.subject, text(exp), exp.ts]);
    }
    // A scan of every block (no index file) finds the same.
    const copy2 = newDir();
    fs.cpSync(copy, copy2, { recursive: true });
    fs.rmSync(join(copy2, 'index.db'));
    const full = await openFile(copy2, { blockSize: 2048 });
    open.push(full);
    expect(summary(full)).toEqual(want);
  });

  it('an erase after the index file was written, then a crash: the message stays gone, not reported as damaged', async () => {
    const dir = newDir();
    const s = await openFile(dir, { blockSize: 1024 });
    open.push(s);
    for (let i = 1; i <= 200; i++) s.store(`e.${i % 3}`, E, b(`secret-${i}`), i);
    await s.flush();
    expect(s.remove(50, true)).toBe(true);
    expect(s.remove(1, true)).toBe(true);
    await new Promise((r) => setImmediate(r));
    const want = summary(s);
    const copy = newDir();
    fs.cpSync(dir, copy, { recursive: true });
    const q = quiet();
    const r = await openFile(copy, { blockSize: 1024, log: q.log });
    open.push(r);
    expect(problems(q.lines)).toEqual([]);
    expect(r.load(50)).toBeNull();
    expect(summary(r)).toEqual(want);
    expect(fs.readFileSync(blockFiles(copy)[0]).includes('secret-50')).toBe(false);
  });

  it('a torn or corrupt index file (a crash while it was written, bytes flipped) is found out and not used: every block is scanned', async () => {
    const dir = newDir();
    const s = await openFile(dir, { blockSize: 1024 });
    open.push(s);
    for (let i = 1; i <= 300; i++) s.store(`t.${i % 4}`, E, b(`v${i}`), i);
    s.remove(10, false);
    await s.flush();
    for (let i = 301; i <= 320; i++) s.store('t.9', E, b(`w${i}`), i);
    s.remove(20, false);
    await new Promise((r) => setImmediate(r));
    const want = summary(s);
    const index = fs.readFileSync(join(dir, 'index.db'));
    const cases: [string, Buffer, RegExp][] = [
      ['torn', index.subarray(0, index.length >> 1), /index file .*: (checksum mismatch|truncated|unreadable), rebuilding from the blocks/],
      ['flipped', Buffer.from(index.map((x, i) => (i === index.length - 40 ? x ^ 0x10 : x))), /index file .*: checksum mismatch, rebuilding from the blocks/],
      ['empty', Buffer.alloc(0), /index file .*: checksum mismatch, rebuilding from the blocks/],
    ];
    for (const [name, bytes, why] of cases) {
      const copy = newDir();
      fs.cpSync(dir, copy, { recursive: true });
      fs.writeFileSync(join(copy, 'index.db'), bytes);
      const q = quiet();
      const r = await openFile(copy, { blockSize: 1024, log: q.log });
      open.push(r);
      expect(q.lines[0], name).toMatch(why);
      expect(q.lines[1], name).toMatch(new RegExp(`from its ${blockFiles(copy).length} block\\(s\\) \\(\\d+ bytes scanned, no usable index file\\)`));
      expect(q.lines.length, name).toBe(2);
      expect(r.indexedBlockCount()).toBe(r.blockCount());
      expect(summary(r), name).toEqual(want);
      expect(fs.existsSync(join(copy, 'index.db')), name).toBe(false);
    }
    // A temp file left by a crash in the middle of an index write: removed; the last whole index file is used.
    const copy = newDir();
    fs.cpSync(dir, copy, { recursive: true });
    fs.writeFileSync(join(copy, 'index.db.tmp'), index.subarray(0, 100));
    const q = quiet();
    const r = await openFile(copy, { blockSize: 1024, log: q.log });
    open.push(r);
    expect(fs.existsSync(join(copy, 'index.db.tmp'))).toBe(false);
    expect(q.lines).toEqual([expect.stringMatching(/from its index file: \d+ block\(s\) taken from it, [1-9]\d* block\(s\) written or changed since scanned/)]);
    expect(summary(r)).toEqual(want);
  });

  it('an index file of format 2 (the previous tsnats) is still read; the next one written is format 3', async () => {
    // test/fixtures/filestore-fmt2: written by the format 2 store (blockSize 1024): 120 messages
    // on f2.<i % 6>, 5 and 60 removed, f2.3 purged, then a clean stop.
    const dir = newDir();
    fs.cpSync(new URL('./fixtures/filestore-fmt2', import.meta.url).pathname, dir, { recursive: true });
    expect(fs.readFileSync(join(dir, 'index.db')).readUInt32LE(12)).toBe(0);
    const want: string[] = [];
    for (let i = 1; i <= 120; i++) if (i !== 5 && i !== 60 && i % 6 !== 3) want.push(`${i} f2.${i % 6} v-${i}`);
    const contents = (s: FileStore): string[] => {
      const out: string[] = [];
      for (let m = s.loadNext('>', 0); m !== null; m = s.loadNext('>', m.seq + 1)) out.push(`${m.seq} ${m.subject} ${text(m)}`);
      return out;
    };
    let q = quiet();
    let r = await openFile(dir, { blockSize: 1024, log: q.log });
    expect(q.lines).toEqual([]);
    expect(r.indexedBlockCount()).toBe(0); // taken from the file, no block read
    expect(r.state()).toEqual({ msgs: 98, bytes: 3736, firstSeq: 1, firstTs: 1001, lastSeq: 120, lastTs: 1120, numSubjects: 5, numDeleted: 22 });
    expect(r.subjectsState('f2.1').get('f2.1')).toEqual({ msgs: 20, first: 1, last: 115 });
    expect(contents(r)).toEqual(want);
    r.store('f2.9', E, b('new'), 2000);
    await r.stop();
    expect(fs.readFileSync(join(dir, 'index.db')).readUInt32LE(12)).toBe(3);
    q = quiet();
    r = await openFile(dir, { blockSize: 1024, log: q.log });
    open.push(r);
    expect(q.lines).toEqual([]);
    expect(r.indexedBlockCount()).toBe(0);
    expect(contents(r)).toEqual([...want, '121 f2.9 new']);
  });

  it('many subjects, released and reused between index files: each crash copy recovers from its index file exactly what a scan finds', async () => {
    const dir = newDir();
    const s = await openFile(dir, { blockSize: 4096 });
    open.push(s);
    const check = async (label: string): Promise<void> => {
      await new Promise((r) => setImmediate(r));
      const want = summary(s);
      const copy = newDir();
      fs.cpSync(dir, copy, { recursive: true });
      const q = quiet();
      const r = await openFile(copy, { blockSize: 4096, log: q.log });
      open.push(r);
      expect(problems(q.lines), label).toEqual([]);
      expect(summary(r), label).toEqual(want);
      for (let i = 1; i <= s.state().lastSeq; i++) expect(r.load(i)?.subject ?? null, `${label}: seq ${i}`).toBe(s.load(i)?.subject ?? null);
      fs.rmSync(join(copy, 'index.db'));
      const full = await openFile(copy, { blockSize: 4096 });
      open.push(full);
      expect(summary(full), label).toEqual(want);
    };
    for (let i = 1; i <= 600; i++) s.store(`key.${i}`, E, b(`v${i}`), i);
    await s.flush();
    await check('stored');
    // Subjects released (their ids free), no new one: the next index file keeps the names it had.
    for (let i = 2; i <= 600; i += 3) s.purge({ filter: `key.${i}` });
    await s.flush();
    await check('released');
    // New subjects take the free ids; old ones come back under other ids.
    for (let i = 1; i <= 150; i++) s.store(i % 2 === 0 ? `key.${3 * i - 1}` : `new.${i}`, E, b(`w${i}`), 1000 + i);
    await s.flush();
    await check('reused');
    for (let i = 1; i <= 50; i++) s.store(`tail.${i}`, E, b(`t${i}`), 2000 + i);
    s.purge({ filter: 'new.*' });
    await check('after the last index file');
  });

  it('a sync whose subject names are encoded in slices (more than 65,536 subjects), stores going on meanwhile: the crash copy recovers each subject from the index file', async () => {
    const dir = newDir();
    const s = await openFile(dir);
    open.push(s);
    const N = 70_000;
    for (let i = 1; i <= N; i++) s.store(`many.${i}`, E, E, i);
    const synced = s.flush();
    // Between the slices: stores of new subjects and a purge that frees ids (not in this index file).
    await new Promise((r) => setImmediate(r));
    for (let i = 1; i <= 100; i++) s.store(`late.${i}`, E, E, N + i);
    s.purge({ filter: 'many.7' });
    await synced;
    const want = summary(s);
    const copy = newDir();
    fs.cpSync(dir, copy, { recursive: true });
    const q = quiet();
    const r = await openFile(copy, { log: q.log });
    open.push(r);
    expect(problems(q.lines)).toEqual([]);
    expect(q.lines.join('\n')).toMatch(/from its index file: 1 block\(s\) taken from it|from its index file: 0 block\(s\) taken from it, 1 block\(s\) written or changed since scanned/);
    expect(summary(r)).toEqual(want);
    expect(r.subjectsState('many.69999').get('many.69999')).toEqual({ msgs: 1, first: 69999, last: 69999 });
  });

  it('a missing, corrupt or stale index file is rebuilt from the blocks', async () => {
    const dir = newDir();
    const s = await openFile(dir, { blockSize: 2048 });
    for (let i = 1; i <= 300; i++) s.store(`i.${i % 5}`, E, b(`v${i}`), i);
    s.remove(100, false);
    s.purge({ filter: 'i.3' });
    const before = summary(s);
    await s.stop();
    const index = join(dir, 'index.db');
    expect(fs.existsSync(index)).toBe(true);
    // Used and kept: what changes after it is in blocks written or changed after it, which a
    // recovery from it checks.
    let q = quiet();
    let r = await openFile(dir, { log: q.log });
    expect(fs.existsSync(index)).toBe(true);
    expect(summary(r)).toEqual(before);
    expect(q.lines).toEqual([]);
    await r.stop();
    fs.rmSync(index);
    r = await openFile(dir);
    expect(summary(r)).toEqual(before);
    await r.stop();
    const data = fs.readFileSync(index);
    data[data.length - 3] ^= 1;
    fs.writeFileSync(index, data);
    q = quiet();
    r = await openFile(dir, { log: q.log });
    expect(q.lines.some((l) => l.includes('index file') && l.includes('checksum'))).toBe(true);
    expect(summary(r)).toEqual(before);
    await r.stop();
    // Stale: a block grew after the index was written.
    const files = blockFiles(dir);
    fs.appendFileSync(files[files.length - 1], Buffer.alloc(3));
    q = quiet();
    r = await openFile(dir, { log: q.log });
    open.push(r);
    expect(q.lines.some((l) => l.includes('changed'))).toBe(true);
    expect(q.lines.some((l) => l.includes('torn tail'))).toBe(true);
    expect(summary(r)).toEqual(before);
  });

  it('bytes flipped while running are caught when the block is read, never served', async () => {
    const dir = newDir();
    const q = quiet();
    const s = await openFile(dir, { blockSize: 1024, cacheBlocks: 1, log: q.log });
    open.push(s);
    for (let i = 1; i <= 60; i++) s.store('f', E, b(`message-number-${String(i).padStart(3, '0')}`), i);
    await s.flush();
    const first = blockFiles(dir)[0];
    const fd = fs.openSync(first, 'r+');
    const data = fs.readFileSync(first);
    const at = data.indexOf('message-number-007');
    fs.writeSync(fd, Buffer.from('X'), 0, 1, at + 3);
    fs.closeSync(fd);
    s.load(59); // evict the first block from the one-block cache
    expect(s.load(7)).toBeNull();
    expect(q.lines.some((l) => l.includes('message 7 is corrupt'))).toBe(true);
    expect(text(s.load(8))).toBe('message-number-008');
    expect(s.state().msgs).toBe(59);
  });

  it('kill -9 of a child at random points, three times: every reported sequence is there, every removal holds', async () => {
    const dir = newDir();
    let reported = 0;
    for (let round = 0; round < 3; round++) {
      // The child stores 500 messages a turn and removes every 7th sequence in the same turn.
      const killAt = reported + 2000 + Math.floor(Math.random() * 10000);
      const child = spawn(process.execPath, [join(import.meta.dirname, 'helpers', 'filestore-child.mjs'), dir], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let buf = '';
      await new Promise<void>((resolve, reject) => {
        child.on('error', reject);
        child.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          const lines = buf.split('\n');
          buf = lines.pop() ?? '';
          for (const l of lines) if (l !== '') reported = Number(l);
          if (reported >= killAt) {
            child.kill('SIGKILL');
            resolve();
          }
        });
        child.on('exit', () => resolve());
      });
      await new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.on('exit', () => r())));
      expect(child.signalCode).toBe('SIGKILL');
      expect(reported).toBeGreaterThanOrEqual(killAt);
      const q = quiet();
      const r = await openFile(dir, { log: q.log });
      const st = r.state();
      expect(st.lastSeq).toBeGreaterThanOrEqual(reported);
      // Nothing partial: a turn's records reach the file in one write.
      expect(st.msgs).toBe(st.lastSeq - Math.floor(st.lastSeq / 7));
      for (let seq = 1; seq <= reported; seq += 13) expect(text(r.load(seq))).toBe(seq % 7 === 0 ? null : `m${seq}`);
      const lastKept = reported % 7 === 0 ? reported - 1 : reported;
      expect(text(r.load(lastKept))).toBe(`m${lastKept}`);
      await r.stop();
    }
  });

  it('a block torn at its creation (kill -9 between creating the file and its header): removed, the block before it is whole and served', async () => {
    const dir = newDir();
    const s = await openFile(dir, { blockSize: 4096 });
    open.push(s);
    for (let i = 1; i <= 300; i++) s.store('t', E, b(`msg-${i}`), i);
    s.writePending();
    const files = blockFiles(dir);
    const next = Number(files[files.length - 1].slice(files[files.length - 1].lastIndexOf('/') + 1, -4)) + 1;
    fs.writeFileSync(join(dir, 'msgs', `${next}.blk`), Buffer.alloc(0)); // as the crash left it
    const q = quiet();
    const r = await openFile(dir, { blockSize: 4096, log: q.log });
    open.push(r);
    expect(problems(q.lines)).toEqual([expect.stringMatching(/torn at its creation \(0 bytes\), removed/)]);
    expect(r.state()).toMatchObject({ msgs: 300, lastSeq: 300 });
    for (let i = 1; i <= 300; i++) expect(text(r.load(i))).toBe(`msg-${i}`);
    expect(r.store('t', E, b('after'), 1)).toBe(301);
    r.writePending();
    const r2 = await openFile(dir, { blockSize: 4096 });
    open.push(r2);
    expect(text(r2.load(300))).toBe('msg-300');
    expect(text(r2.load(301))).toBe('after');
  });

  it('a turn past the write high-water mark: every record reaches the file whole (a crash right after the turn loses nothing)', async () => {
    const dir = newDir();
    const s = await openFile(dir);
    open.push(s);
    const p = Buffer.alloc(1000, 7);
    // ~3 MiB in one turn: the store writes at 1 MiB buffered, in the middle of the turn.
    for (let i = 1; i <= 3000; i++) s.store('hw', E, p, i);
    s.writePending();
    // The files as a kill -9 right after the turn leaves them (the store is not stopped).
    const q = quiet();
    const r = await openFile(dir, { log: q.log });
    open.push(r);
    expect(problems(q.lines)).toEqual([]);
    expect(r.state()).toMatchObject({ msgs: 3000, lastSeq: 3000 });
    for (let seq = 1; seq <= 3000; seq += 97) expect(r.load(seq)!.msg).toEqual(p);
  });

  it('consumer state and config persist (written at most every 100 ms and on stop)', async () => {
    const dir = newDir();
    const s = await openFile(dir, { syncIntervalMs: 50 });
    const c = s.consumerStore('dur');
    expect(c.load()).toBeNull();
    c.saveConfig({ durable_name: 'dur', ack_policy: 'explicit' });
    const st: ConsumerState = {
      delivered: { consumerSeq: 10, streamSeq: 12 },
      ackFloor: { consumerSeq: 7, streamSeq: 9 },
      pending: new Map([
        [10, { consumerSeq: 8, ts: 111 }],
        [12, { consumerSeq: 10, ts: 222 }],
      ]),
      redelivered: new Map([[10, 2]]),
    };
    c.update(st);
    // Not written at once: at most every 100 ms (here the 50 ms sync period is shorter).
    const path = join(dir, 'obs', 'dur', 'state.json');
    expect(fs.existsSync(path)).toBe(false);
    const deadline = Date.now() + 5000;
    while (!fs.existsSync(path) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(s.consumerStore('dur').load()).toEqual(st);
    st.delivered = { consumerSeq: 11, streamSeq: 13 };
    st.pending.delete(10);
    c.update(st);
    await s.stop(); // writes the last state
    const r = await openFile(dir);
    open.push(r);
    expect(r.consumerNames()).toEqual(['dur']);
    const c2 = r.consumerStore('dur');
    expect(c2.load()).toEqual(st);
    expect((c2 as unknown as { loadConfig(): unknown }).loadConfig()).toEqual({ durable_name: 'dur', ack_policy: 'explicit' });
    await c2.delete();
    expect(r.consumerNames()).toEqual([]);
  });

  it('a crash at any point of a purge (all, past the end, by subject, up to a sequence, keep), with or without an index file: the purge is done whole or not at all', async () => {
    // Each crash point is a copy of the directory as a kill -9 leaves it, taken right before
    // each step that takes bytes away (a block file unlinked, a rewritten block renamed over
    // the old one): the OS calls are wrapped, our code is not touched.
    const cjs = createRequire(import.meta.url)('node:fs') as typeof fs;
    const { rmSync, renameSync, unlinkSync } = cjs;
    const contents = (s: FileStore): string[] => {
      const out: string[] = [];
      for (let m = s.loadNext('>', 0); m !== null; m = s.loadNext('>', m.seq + 1)) out.push(`${m.seq} ${m.subject} ${text(m)}`);
      return out;
    };
    const purges: [string, (s: FileStore) => number][] = [
      ['all', (s) => s.purge({})],
      ['past the end', (s) => s.purge({ seq: 900 })],
      ['by subject', (s) => s.purge({ filter: 'a.*' })],
      ['up to a sequence', (s) => s.purge({ seq: 230 })],
      ['keep', (s) => s.purge({ keep: 7 })],
    ];
    for (const [name, purge] of purges) {
      for (const withIndex of [false, true]) {
        const dir = newDir();
        const s = await openFile(dir, { blockSize: 1024 });
        open.push(s);
        for (let i = 1; i <= 240; i++) s.store(i % 3 === 0 ? `p.${i % 5}` : `a.${i % 4}`, E, b(`m-${i}`), 1000 + i);
        s.remove(100, false);
        if (withIndex) await s.flush(); // an index file names the blocks the purge removes
        for (let i = 241; i <= 260; i++) s.store(i % 3 === 0 ? 'p.x' : 'a.y', E, b(`m-${i}`), 1000 + i);
        await new Promise((r) => setImmediate(r));
        const before = contents(s);
        const lastBefore = s.state().lastSeq;
        const copies: string[] = [];
        const crashCopy = (path: unknown): void => {
          if (typeof path === 'string' && path.startsWith(join(dir, 'msgs')) && /\.blk(\.tmp)?$/.test(path)) {
            const copy = newDir();
            cjs.cpSync(dir, copy, { recursive: true });
            copies.push(copy);
          }
        };
        cjs.rmSync = ((p: fs.PathLike, o?: fs.RmOptions) => (crashCopy(p), rmSync(p, o))) as typeof fs.rmSync;
        cjs.unlinkSync = ((p: fs.PathLike) => (crashCopy(p), unlinkSync(p))) as typeof fs.unlinkSync;
        cjs.renameSync = ((a: fs.PathLike, c: fs.PathLike) => (crashCopy(c), renameSync(a, c))) as typeof fs.renameSync;
        syncBuiltinESMExports();
        let purged: number;
        try {
          purged = purge(s);
          await new Promise((r) => setImmediate(r)); // the turn's flush: its drops and rewrites
        } finally {
          cjs.rmSync = rmSync;
          cjs.unlinkSync = unlinkSync;
          cjs.renameSync = renameSync;
          syncBuiltinESMExports();
        }
        const label = `${name}, ${withIndex ? 'with' : 'without'} an index file`;
        expect(purged, label).toBeGreaterThan(0);
        expect(copies.length, label).toBeGreaterThan(0);
        const after = contents(s);
        const lastAfter = s.state().lastSeq;
        const done = new Set<string>();
        copies.push(dir);
        await s.stop();
        for (const [k, copy] of copies.entries()) {
          const r = await openFile(copy, { blockSize: 1024 });
          const got = contents(r);
          const at = `${label}: crash point ${k + 1} of ${copies.length}`;
          if (got.length === after.length && got.every((l, i) => l === after[i])) {
            done.add('after');
            expect(r.state().lastSeq, at).toBe(lastAfter);
          } else {
            expect(got, at).toEqual(before);
            expect(r.state().lastSeq, at).toBe(lastBefore);
            done.add('before');
          }
          // The next message takes the sequence after the purge's (or the one before it).
          expect(r.store('z', E, b('next'), 9999), at).toBe(r.state().lastSeq);
          await r.delete();
        }
        expect(done.has('after'), label).toBe(true);
      }
    }
  });

  it('the index file is renamed into place only after every block it names is fsynced: at a sync and at a clean stop', async () => {
    const cjs = createRequire(import.meta.url)('node:fs') as typeof fs;
    const { fsync, fsyncSync, renameSync } = cjs;
    const prename = fs.promises.rename;
    const dir = newDir();
    const s = await openFile(dir, { blockSize: 1024 });
    open.push(s);
    const events: string[] = [];
    const blockFd = (fd: number): boolean => {
      try {
        return /\/msgs\/\d+\.blk$/.test(fs.readlinkSync(`/proc/self/fd/${fd}`));
      } catch {
        return false;
      }
    };
    cjs.fsync = ((fd: number, cb: (e: NodeJS.ErrnoException | null) => void) => fsync(fd, (e) => (blockFd(fd) && events.push(`fsync ${fd}`), cb(e)))) as typeof fs.fsync;
    cjs.fsyncSync = ((fd: number) => (fsyncSync(fd), blockFd(fd) && events.push(`fsync ${fd}`))) as typeof fs.fsyncSync;
    cjs.renameSync = ((a: fs.PathLike, c: fs.PathLike) => (renameSync(a, c), events.push(`rename ${String(c)}`))) as typeof fs.renameSync;
    fs.promises.rename = async (a: fs.PathLike, c: fs.PathLike): Promise<void> => {
      await prename(a, c);
      events.push(`rename ${String(c)}`);
    };
    syncBuiltinESMExports();
    try {
      for (const when of ['sync', 'stop']) {
        for (let i = 0; i < 100; i++) s.store(`k.${i % 7}`, E, b(`${when}-${i}`), i);
        await new Promise((r) => setImmediate(r));
        events.length = 0;
        if (when === 'sync') await s.flush();
        else await s.stop();
        const renamed = events.indexOf(`rename ${join(dir, 'index.db')}`);
        expect(renamed, `${when}: ${events.join(', ')}`).toBeGreaterThan(0);
        // Every block written since the last sync (all of them at a stop) was fsynced before.
        const fsynced = events.slice(0, renamed).filter((e) => e.startsWith('fsync')).length;
        expect(fsynced, `${when}: ${events.join(', ')}`).toBeGreaterThanOrEqual(when === 'stop' ? blockFiles(dir).length : 1);
        expect(events.slice(renamed).filter((e) => e.startsWith('fsync')), `${when}: ${events.join(', ')}`).toEqual([]);
      }
    } finally {
      cjs.fsync = fsync;
      cjs.fsyncSync = fsyncSync;
      cjs.renameSync = renameSync;
      fs.promises.rename = prename;
      syncBuiltinESMExports();
    }
  });

  it('a crash in the middle of a store delete leaves nothing under the name of the stream directory', async () => {
    const cjs = createRequire(import.meta.url)('node:fs') as typeof fs;
    const { rmSync } = cjs;
    const parent = newDir();
    const dir = join(parent, 'S');
    const s = await openFile(dir, { blockSize: 512 });
    for (let i = 1; i <= 100; i++) s.store(`d.${i % 3}`, E, b(`x${i}`), i);
    await s.flush();
    fs.writeFileSync(join(dir, 'meta.inf'), '{}'); // as jetstream.ts writes it
    let copy = '';
    cjs.rmSync = ((p: fs.PathLike, o?: fs.RmOptions) => {
      // The recursive removal starts: the files as a kill -9 leaves them once it has unlinked
      // its first block (the removal's own unlinks are Node's, not reachable from here).
      if (o?.recursive === true && copy === '') {
        copy = newDir();
        cjs.cpSync(parent, copy, { recursive: true });
        const [top] = fs.readdirSync(copy);
        fs.unlinkSync(join(copy, top, 'msgs', '1.blk'));
      }
      rmSync(p, o);
    }) as typeof fs.rmSync;
    syncBuiltinESMExports();
    try {
      await s.delete();
    } finally {
      cjs.rmSync = rmSync;
      syncBuiltinESMExports();
    }
    expect(fs.readdirSync(parent)).toEqual([]);
    expect(copy).not.toBe('');
    expect(fs.existsSync(join(copy, 'S'))).toBe(false);
    const left = fs.readdirSync(copy);
    expect(left.length).toBe(1);
    expect(isDeletedStoreDir(left[0])).toBe(true);
    const r = await openFile(join(copy, 'S'));
    open.push(r);
    expect(r.state()).toMatchObject({ msgs: 0, lastSeq: 0 });
  });

  it('a crash in the middle of a consumer delete: the consumer is not restored, and a new one of the same name starts without its state', async () => {
    const cjs = createRequire(import.meta.url)('node:fs') as typeof fs;
    const { rmSync } = cjs;
    const dir = newDir();
    const s = await openFile(dir);
    open.push(s);
    const c = s.consumerStore('dur');
    c.saveConfig({ durable_name: 'dur' });
    c.update({ delivered: { consumerSeq: 5, streamSeq: 5 }, ackFloor: { consumerSeq: 3, streamSeq: 3 }, pending: new Map(), redelivered: new Map() });
    await c.stop();
    let copy = '';
    cjs.rmSync = ((p: fs.PathLike, o?: fs.RmOptions) => {
      // The recursive removal starts: the files as a kill -9 leaves them once it has unlinked meta.inf.
      if (o?.recursive === true && copy === '') {
        copy = newDir();
        cjs.cpSync(dir, copy, { recursive: true });
        const [left] = fs.readdirSync(join(copy, 'obs'));
        fs.unlinkSync(join(copy, 'obs', left, 'meta.inf'));
      }
      rmSync(p, o);
    }) as typeof fs.rmSync;
    syncBuiltinESMExports();
    try {
      await c.delete();
    } finally {
      cjs.rmSync = rmSync;
      syncBuiltinESMExports();
    }
    expect(copy).not.toBe('');
    const r = await openFile(copy);
    open.push(r);
    expect(r.consumerNames()).toEqual([]);
    expect(fs.readdirSync(join(copy, 'obs'))).toEqual([]);
    expect(r.consumerStore('dur').load()).toBeNull();
  });

  it('the index costs 20 bytes per sequence', async () => {
    const s = await openFile(newDir());
    open.push(s);
    for (let i = 0; i < 100_000; i++) s.store('idx', E, E, i);
    expect(s.indexBytes() / 100_000).toBeLessThanOrEqual(20 * 2); // arrays grow by doubling
    expect(s.indexBytes() / 100_000).toBeGreaterThanOrEqual(20);
  });
});

// A real full disk: a small tmpfs (the suite runs as root; mount is needed, no write is faked).
describe('file store on a full disk (a 1 MiB tmpfs)', () => {
  let mnt = '';
  beforeAll(() => {
    mnt = fs.mkdtempSync(join(tmpdir(), 'tsnats-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
  });
  afterAll(() => {
    if (mnt === '') return;
    execFileSync('umount', ['-l', mnt]); // lazy: a store a failed test left open must not keep it
    fs.rmSync(mnt, { recursive: true, force: true });
  });

  it('a failed write takes the turn back and makes the store read-only; freed space makes it writable again; nothing written is lost', async () => {
    const filler = join(mnt, 'filler');
    fs.writeFileSync(filler, Buffer.alloc(256 * 1024));
    const dir = join(mnt, 's');
    const q = quiet();
    const s = await openFile(dir, { log: q.log });
    const p = (n: number): Buffer => Buffer.alloc(1000, n & 0xff);
    const kept: number[] = [];
    let failedTurn: number[] = [];
    for (let turn = 0; turn < 2000 && failedTurn.length === 0; turn++) {
      const seqs: number[] = [];
      for (let k = 0; k < 10; k++) {
        const r = s.store('full', E, p(seqs.length + kept.length + 1), Date.now());
        expect(typeof r).toBe('number');
        seqs.push(r as number);
      }
      await Promise.resolve(); // the turn's write (the microtask the first store queued)
      if (s.writtenThrough() >= seqs[seqs.length - 1]) kept.push(...seqs);
      else failedTurn = seqs;
    }
    expect(failedTurn.length).toBe(10);
    expect(kept.length).toBeGreaterThan(0);
    // The turn is taken back: the sequence goes back to the last written message.
    const last = kept[kept.length - 1];
    expect(s.writtenThrough()).toBe(last);
    expect(s.state()).toMatchObject({ msgs: kept.length, lastSeq: last });
    expect(s.load(failedTurn[0])).toBeNull();
    expect(q.lines.some((l) => /No space left on device|ENOSPC/.test(l) && l.includes('read-only until a write succeeds again'))).toBe(true);
    // Read-only: refused, reads go on.
    expect(s.store('full', E, p(0), Date.now())).toBe('insufficient resources');
    for (const seq of kept) expect(s.load(seq)!.msg).toEqual(p(seq));
    // Space comes back: within a retry period or two the store takes messages again.
    fs.rmSync(filler);
    const t0 = Date.now();
    let seq: number | string = 'insufficient resources';
    while (typeof seq !== 'number' && Date.now() - t0 < 5000) {
      await new Promise((r) => setTimeout(r, 100));
      seq = s.store('full', E, p(last + 1), Date.now());
    }
    expect(seq).toBe(last + 1);
    s.writePending();
    expect(s.writtenThrough()).toBe(last + 1);
    expect(q.lines.some((l) => l.includes('resumed'))).toBe(true);
    // The files as a kill -9 now leaves them: every written message, nothing of the failed turn.
    const q2 = quiet();
    const r = await openFile(dir, { log: q2.log });
    expect(problems(q2.lines)).toEqual([]);
    expect(r.state()).toMatchObject({ msgs: kept.length + 1, lastSeq: last + 1 });
    for (const k of [...kept, last + 1]) expect(r.load(k)!.msg).toEqual(p(k));
    await r.delete();
    await s.delete();
  });

  it('a new block that cannot be created (no space for its header): the write block stays the write block, never evicted from the read cache', async () => {
    const dir = join(mnt, 'n');
    const q = quiet();
    // Records of 40 bytes fill a block of 4096 exactly (16 + 102 x 40): one page of the tmpfs each.
    const s = await openFile(dir, { blockSize: 4096, cacheBlocks: 1, log: q.log });
    const st = fs.statfsSync(mnt);
    const filler = join(mnt, 'filler');
    fs.writeFileSync(filler, Buffer.alloc(st.bavail * st.bsize - 3 * 4096)); // 3 pages left (the first block has one)
    const p12 = Buffer.alloc(12, 7);
    let stored = 0;
    for (let i = 0; i < 1000 && s.writeErrorText() === null; i++) {
      if (typeof s.store('x', E, p12, i) !== 'number') break;
      stored++;
      s.writePending();
    }
    expect(q.lines.some((l) => /ENOSPC|no space/i.test(l))).toBe(true);
    expect(stored).toBeGreaterThan(102);
    const last = s.state().lastSeq;
    // Reads of the older blocks fill the one-block cache; the write block's messages still load.
    for (let seq = 1; seq <= last; seq += 50) expect(s.load(seq)?.msg).toEqual(p12);
    expect(s.load(last)?.msg).toEqual(p12);
    expect(s.remove(last - 1, false)).toBe(true); // a tombstone in the write block's buffer
    fs.rmSync(filler);
    await s.delete();
  });

  it('a purge of everything on a full disk: done in memory, on disk once a retry wrote its first record; a crash before finds no purge, one after no message', async () => {
    const filler = join(mnt, 'filler');
    fs.writeFileSync(filler, Buffer.alloc(256 * 1024));
    const dir = join(mnt, 'p');
    const q = quiet();
    const s = await openFile(dir, { blockSize: 64 * 1024, log: q.log });
    const p = (n: number): Buffer => Buffer.alloc(1000, n & 0xff);
    for (let turn = 0; turn < 2000 && s.writeErrorText() === null; turn++) {
      for (let k = 0; k < 10; k++) s.store(`pf.${k}`, E, p(k), Date.now());
      await Promise.resolve();
    }
    expect(s.writeErrorText()).not.toBeNull();
    const last = s.state().lastSeq;
    const kept = s.state().msgs;
    expect(s.blockCount()).toBeGreaterThan(2);
    expect(s.purge({})).toBe(kept);
    await new Promise((r) => setImmediate(r));
    expect(s.state()).toMatchObject({ msgs: 0, firstSeq: last + 1, lastSeq: last });
    expect(s.blockCount()).toBeGreaterThan(2); // no new block could be written: the old ones stay
    // A kill -9 now: the purge did not reach the disk, so it is not done at all.
    const copy1 = newDir();
    fs.cpSync(dir, copy1, { recursive: true });
    const r1 = await openFile(copy1);
    expect(r1.state()).toMatchObject({ msgs: kept, lastSeq: last });
    await r1.delete();
    // Space comes back: the retry writes the first record, then the old blocks go.
    fs.rmSync(filler);
    const t0 = Date.now();
    while (s.writeErrorText() !== null && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 100));
    expect(s.writeErrorText()).toBeNull();
    await new Promise((r) => setImmediate(r));
    expect(s.blockCount()).toBe(1);
    const copy2 = newDir();
    fs.cpSync(dir, copy2, { recursive: true });
    const r2 = await openFile(copy2);
    expect(r2.state()).toMatchObject({ msgs: 0, firstSeq: last + 1, lastSeq: last });
    expect(r2.store('pf.0', E, p(1), Date.now())).toBe(last + 1);
    await r2.delete();
    expect(s.store('pf.0', E, p(1), Date.now())).toBe(last + 1);
    await s.delete();
  });
});

describe('file store against a model, random operations with restarts', () => {
  // A plain model of a stream (no limits): seq → message, and the last sequence.
  class Model {
    msgs = new Map<number, { subject: string; msg: string; ts: number }>();
    last = 0;
    first(): number {
      let f = Infinity;
      for (const k of this.msgs.keys()) if (k < f) f = k;
      return f === Infinity ? this.last + 1 : f;
    }
    removeBelow(seq: number): number {
      let n = 0;
      for (const k of [...this.msgs.keys()]) if (k < seq && this.msgs.delete(k)) n++;
      return n;
    }
  }
  const match = (subject: string, filter: string): boolean => filter === '' || filter === '>' || filter === subject || (filter.endsWith('.*') && subject.startsWith(filter.slice(0, -1)));

  // [seed, limits, block size (default 600)]: blocks of 300 bytes fill with removal records
  // alone, so a block can start at the same base as the one before it.
  const cases: [number, Partial<StoreLimits>, number?][] = [
    [1, {}],
    [2, {}],
    [3, {}],
    [4, {}],
    [16, {}],
    [18, {}],
    [5, { maxMsgs: 40, maxMsgsPer: 3 }],
    [6, { maxMsgs: 25 }],
    [101, { maxMsgs: 30 }, 300],
    [113, { maxMsgs: 30 }, 300],
    [136, {}, 300],
    [144, {}, 300],
  ];
  for (const [seed, limits, blockSize] of cases) {
    it(`seed ${seed}, limits ${JSON.stringify(limits)}, blocks of ${blockSize ?? 600} bytes`, async () => {
      let x = seed * 2654435761;
      const rnd = (n: number): number => {
        x = (x * 1103515245 + 12345) % 2147483648;
        return x % n;
      };
      let dir = newDir();
      const logs: string[] = [];
      const opts = { blockSize: blockSize ?? 600, cacheBlocks: 2, log: (t: string) => logs.push(t) };
      const reopen = async (): Promise<FileStore> => {
        const st = await openFile(dir, opts);
        st.setLimits({ ...NOLIMITS, ...limits });
        return st;
      };
      let s = await reopen();
      const m = new Model();
      const check = (): void => {
        // Nothing stored yet: a new store says first 0, a reopened one 1 (as nats-server).
        const first = m.last === 0 ? s.state().firstSeq : m.first();
        const bytes = [...m.msgs.values()].reduce((a, v) => a + v.subject.length + v.msg.length + 30, 0);
        expect(s.state()).toMatchObject({ msgs: m.msgs.size, bytes, firstSeq: first, lastSeq: m.last });
        const del: number[] = [];
        for (let q = first + 1; q <= m.last; q++) if (!m.msgs.has(q)) del.push(q);
        expect(s.deleted()).toEqual(del);
        for (let q = Math.max(1, first - 2); q <= m.last + 1; q++) {
          const want = m.msgs.get(q);
          const got = s.load(q);
          expect(got === null ? null : { subject: got.subject, msg: got.msg.toString(), ts: got.ts }).toEqual(want ?? null);
        }
        const subj = new Map<string, SimpleStateLike>();
        for (const [q, v] of [...m.msgs].sort((a, c) => a[0] - c[0])) {
          const e = subj.get(v.subject);
          if (e === undefined) subj.set(v.subject, { msgs: 1, first: q, last: q });
          else subj.set(v.subject, { msgs: e.msgs + 1, first: e.first, last: q });
        }
        expect(new Map([...s.subjectsState('>')].sort())).toEqual(new Map([...subj].sort()));
      };
      for (let step = 0; step < 1500; step++) {
        const op = rnd(100);
        if (op < 55) {
          const subject = `r.${rnd(6)}`;
          const msg = 'x'.repeat(rnd(60));
          const seq = s.store(subject, E, b(msg), 1000 + step);
          m.last = seq as number;
          m.msgs.set(m.last, { subject, msg, ts: 1000 + step });
          const per = limits.maxMsgsPer ?? 0;
          const mine = [...m.msgs].filter(([, v]) => v.subject === subject).map(([q]) => q);
          if (per > 0) for (const q of mine.slice(0, Math.max(0, mine.length - per))) m.msgs.delete(q);
          const max = limits.maxMsgs ?? 0;
          if (max > 0) for (const q of [...m.msgs.keys()].sort((a, c) => a - c).slice(0, Math.max(0, m.msgs.size - max))) m.msgs.delete(q);
        } else if (op < 75) {
          const q = m.first() + rnd(m.last - m.first() + 2);
          expect(s.remove(q, op < 65)).toBe(m.msgs.delete(q));
        } else if (op < 78) {
          m.last = s.skip();
        } else if (op < 84) {
          // purge by subject, with keep or with seq
          const filter = rnd(2) === 0 ? `r.${rnd(6)}` : 'r.*';
          const keep = rnd(2) === 0 ? rnd(3) : 0;
          const upTo = keep === 0 && rnd(2) === 0 ? m.first() + rnd(m.last - m.first() + 2) : 0;
          let hits = [...m.msgs].filter(([q, v]) => match(v.subject, filter) && (upTo <= 1 || q < upTo)).map(([q]) => q).sort((a, c) => a - c);
          if (keep > 0) hits = keep >= hits.length ? [] : hits.slice(0, hits.length - keep);
          for (const q of hits) m.msgs.delete(q);
          expect(s.purge({ filter, keep, seq: upTo })).toBe(hits.length);
        } else if (op < 86) {
          // purge up to a sequence (maybe past the end), or keep the last n
          if (rnd(2) === 0) {
            const upTo = m.first() + rnd(m.last - m.first() + 5);
            // seq 0 or 1 is nats-server's "purge everything"
            const n = upTo <= 1 ? m.removeBelow(Infinity) : m.removeBelow(upTo);
            if (upTo > m.last + 1) m.last = upTo - 1;
            expect(s.purge({ seq: upTo })).toBe(n);
          } else {
            const keep = rnd(20);
            const n = keep >= m.msgs.size ? 0 : m.removeBelow(m.last - keep + 1);
            expect(s.purge({ keep })).toBe(n);
          }
        } else if (op < 87) {
          expect(s.purge({})).toBe(m.msgs.size);
          m.msgs.clear();
        } else if (op < 89) {
          // a sync: the index file is written (a crash copy later recovers from it and the blocks written since)
          await s.flush();
        } else if (op < 93) {
          // restart: clean, or from a copy of the files as a crash leaves them (after the turn's write)
          // (rnd(100) < 50, not rnd(2): the generator's low bit is not random.)
          if (rnd(100) < 50) {
            await s.flush();
            await s.stop();
            if (rnd(100) < 50) fs.rmSync(join(dir, 'index.db'));
          } else {
            await new Promise((r) => setImmediate(r)); // the turn's write (no sync: the index file is the last sync's)
            const copy = newDir();
            fs.cpSync(dir, copy, { recursive: true });
            await s.delete();
            dir = copy;
          }
          s = await reopen();
          check();
        }
        if (step % 50 === 0) check();
      }
      check();
      await s.delete();
      // Crash copies were recovered from an index file written at a sync and the blocks written since.
      expect(logs.some((l) => /from its index file: \d+ block\(s\) taken from it, [1-9]\d* block\(s\) written or changed since scanned/.test(l))).toBe(true);
    });
  }
});

interface SimpleStateLike {
  msgs: number;
  first: number;
  last: number;
}
