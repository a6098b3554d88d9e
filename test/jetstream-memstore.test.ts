// The memory store (src/jetstream/store/memory.ts) against the StreamStore contract: sequences,
// byte accounting (subject + headers + payload + 16), the limits it applies itself, purge forms,
// interior deletes, filtered state and the removal listener.

import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/jetstream/store/memory.js';
import type { StoreLimits } from '../src/jetstream/store/store.js';

const NONE: StoreLimits = { maxMsgs: -1, maxBytes: -1, maxAgeMs: 0, maxMsgsPer: -1, maxMsgSize: -1, discard: 'old', discardNewPer: false };
const b = (s: string): Buffer => Buffer.from(s);
const E = Buffer.alloc(0);

function store(limits: Partial<StoreLimits> = {}): MemoryStore {
  const s = new MemoryStore();
  s.setLimits({ ...NONE, ...limits });
  return s;
}

describe('memory store', () => {
  it('stores in sequence, copies the bytes, counts subject + hdr + msg + 16', () => {
    const s = store();
    expect(s.state()).toMatchObject({ msgs: 0, firstSeq: 0, lastSeq: 0 });
    const payload = b('hello');
    expect(s.store('a.b', b('NATS/1.0\r\n\r\n'), payload, 1000)).toBe(1);
    payload.write('XXXXX');
    expect(s.store('a.c', E, b('x'), 2000)).toBe(2);
    expect(s.load(1)!.msg.toString()).toBe('hello');
    expect(s.state()).toMatchObject({ msgs: 2, bytes: 3 + 12 + 5 + 16 + (3 + 1 + 16), firstSeq: 1, firstTs: 1000, lastSeq: 2, lastTs: 2000, numSubjects: 2 });
    expect(s.loadLast('a.*')!.seq).toBe(2);
    expect(s.loadNext('a.b', 2)).toBeNull();
    expect(s.seqFromTime(1500)).toBe(2);
    expect(s.seqFromTime(9999)).toBe(3);
  });

  it('storeAt copies headers and body from offsets in a buffer the caller reuses at once', () => {
    const s = store();
    const read = Buffer.from('xxNATS/1.0\r\nA: b\r\n\r\nhello\r\nPUB a 5\r\nworld\r\n');
    const w = read.indexOf('world');
    expect(s.storeAt('a.h', read, 2, 20, read, 20, 25, 1000)).toBe(1);
    expect(s.storeAt('a.p', read, w, w, read, w, w + 5, 2000)).toBe(2);
    read.fill(0x5a);
    expect([s.load(1)!.hdr.toString(), s.load(1)!.msg.toString()]).toEqual(['NATS/1.0\r\nA: b\r\n\r\n', 'hello']);
    expect([s.load(2)!.hdr.length, s.load(2)!.msg.toString()]).toEqual([0, 'world']);
    expect(s.state()).toMatchObject({ msgs: 2, bytes: 3 + 18 + 5 + 16 + (3 + 5 + 16) });
  });

  it("a subject's first follows removals: history 1 replaces in place; a removed last is found past (as nats-server's memstore, last is not moved)", () => {
    const s = store({ maxMsgsPer: 1 });
    for (let i = 0; i < 6; i++) {
      s.store('k', E, b(String(i)), 2 * i + 1);
      s.store(`o${i}`, E, E, 2 * i + 2);
    }
    expect(s.subjectsState('k').get('k')).toEqual({ msgs: 1, first: 11, last: 11 });
    expect(s.loadNext('k', 0)?.seq).toBe(11);
    expect(s.loadLast('k')?.msg.toString()).toBe('5');
    // last removed while two were left: it still names the removed one, so the removal of the
    // first must find the one left by its sequence, not take `last`
    const t = store();
    for (const seq of [1, 2, 3]) t.store('x', E, b(String(seq)), seq);
    t.store('y', E, E, 4);
    expect(t.remove(3, false)).toBe(true);
    expect(t.remove(1, false)).toBe(true);
    expect(t.subjectsState('x').get('x')).toEqual({ msgs: 1, first: 2, last: 3 });
    expect(t.loadNext('x', 0)?.seq).toBe(2);
  });

  it('max_msgs and max_bytes with discard old drop the oldest and tell the listener', () => {
    const s = store({ maxMsgs: 2 });
    const removed: number[] = [];
    s.onRemoved((seq) => removed.push(seq));
    for (let i = 0; i < 4; i++) s.store('x', E, b('1'), i);
    expect(removed).toEqual([1, 2]);
    expect(s.state()).toMatchObject({ msgs: 2, firstSeq: 3, lastSeq: 4 });
    const t = store({ maxBytes: 40 }); // 'x' + '1' + 16 = 18 a message
    for (let i = 0; i < 3; i++) t.store('x', E, b('1'), i);
    expect(t.state()).toMatchObject({ msgs: 2, bytes: 36, firstSeq: 2 });
  });

  it('discard new refuses with nats-server reasons; per subject with and without discard_new_per_subject', () => {
    const s = store({ maxMsgs: 1, discard: 'new' });
    s.store('x', E, b('1'), 0);
    expect(s.store('x', E, b('2'), 0)).toBe('maximum messages exceeded');
    const t = store({ maxMsgsPer: 1, discard: 'new', discardNewPer: true });
    t.store('x', E, b('1'), 0);
    expect(t.store('x', E, b('2'), 0)).toBe('maximum messages per subject exceeded');
    const u = store({ maxMsgsPer: 2 });
    for (let i = 0; i < 4; i++) u.store(i % 2 ? 'odd' : 'even', E, b(String(i)), i);
    u.store('odd', E, b('4'), 4);
    expect(u.subjectsState('>')).toEqual(
      new Map([
        ['even', { msgs: 2, first: 1, last: 3 }],
        ['odd', { msgs: 2, first: 4, last: 5 }],
      ]),
    );
  });

  it('removes with and without erase; interior deletes are listed', () => {
    const s = store();
    for (let i = 0; i < 5; i++) s.store('x', E, b('abc'), i);
    const kept = s.load(2)!.msg;
    expect(s.remove(2, true)).toBe(true);
    expect(kept.toString()).not.toBe('abc');
    expect(s.remove(2, false)).toBe(false);
    expect(s.remove(4, false)).toBe(true);
    expect(s.deleted()).toEqual([2, 4]);
    expect(s.state()).toMatchObject({ msgs: 3, numDeleted: 2 });
    expect(s.remove(1, false)).toBe(true);
    expect(s.state()).toMatchObject({ firstSeq: 3, numDeleted: 1 });
  });

  it('purge: all, filter with keep, up to a sequence, compaction past the end and to a missing sequence', () => {
    const s = store();
    for (let i = 1; i <= 6; i++) s.store(i % 2 ? 'odd' : 'even', E, b(String(i)), i);
    expect(s.purge({ filter: 'odd', keep: 1 })).toBe(2);
    expect(s.purge({ filter: 'even', seq: 4 })).toBe(1);
    expect(s.state()).toMatchObject({ msgs: 3, firstSeq: 4 });
    expect(() => s.purge({ seq: 3 })).toThrow('no message found');
    expect(s.purge({ seq: 10 })).toBe(3);
    expect(s.state()).toMatchObject({ msgs: 0, firstSeq: 10, lastSeq: 9 });
    expect(s.store('x', E, b('1'), 0)).toBe(10);
    expect(s.purge({})).toBe(1);
    expect(s.state()).toMatchObject({ msgs: 0, firstSeq: 11, lastSeq: 10 });
  });

  it('skip uses a sequence without a message (interest retention with no consumers)', () => {
    const s = store();
    expect(s.skip()).toBe(1);
    expect(s.skip()).toBe(2);
    expect(s.state()).toMatchObject({ msgs: 0, firstSeq: 3, lastSeq: 2 });
    expect(s.store('x', E, b('1'), 0)).toBe(3);
  });

  it('max_age removes messages once they are older', async () => {
    const s = store({ maxAgeMs: 100 });
    const now = Date.now();
    s.store('x', E, b('old'), now - 1000);
    s.store('x', E, b('new'), now + 60_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(s.state()).toMatchObject({ msgs: 1, firstSeq: 2 });
    await s.stop();
  });
});
