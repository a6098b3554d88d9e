// Sublist tests. Most cases port the intent of nats-server's server/sublist_test.go (names in
// comments); every case runs with the cache on and off, like Go's ...NoCache twins.
import { describe, expect, it } from 'vitest';
import { EMPTY_RESULT, Sublist, type SubLike, type SublistResult } from '../src/subjects/sublist.js';
import { subjectHash, subjectHashString } from '../src/subjects/hash.js';
import { DEFAULT_SUBLIST_CACHE_MAX } from '../src/config/defaults.js';
import { prng } from './helpers/records.js';

interface Sub extends SubLike {
  id: number;
}

let nextId = 1;
const sub = (subject: string): Sub => ({ id: nextId++, subject, queue: null });
const qsub = (subject: string, queue: string): Sub => ({ id: nextId++, subject, queue });
const enc = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** Match through the byte path, with the subject embedded at an offset in a larger buffer. */
function matchB(sl: Sublist<Sub>, subject: string): SublistResult<Sub> {
  const buf = enc(`PUB ${subject} 5\r\n`);
  const start = 4;
  const end = 4 + subject.length;
  return sl.matchBytes(buf, start, end, subjectHash(buf, start, end));
}

/** Match through matchBytesOnce (no cache), the subject embedded at an offset as in matchB. */
function matchOnce(sl: Sublist<Sub>, subject: string): SublistResult<Sub> {
  const buf = enc(`PUB ${subject} 5\r\n`);
  return sl.matchBytesOnce(buf, 4, 4 + subject.length);
}

/** Canonical form: sorted plain ids, and queue name -> sorted ids. */
function norm(r: SublistResult<Sub>): { plain: number[]; queues: Record<string, number[]> } {
  const queues: Record<string, number[]> = {};
  for (const g of r.queues) {
    expect(g.length).toBeGreaterThan(0);
    const name = g[0].queue as string;
    expect(queues[name]).toBeUndefined(); // one group per name
    for (const s of g) expect(s.queue).toBe(name);
    queues[name] = g.map((s) => s.id).sort((a, b) => a - b);
  }
  return { plain: r.plain.map((s) => s.id).sort((a, b) => a - b), queues };
}

function ids(subs: readonly Sub[]): number[] {
  return subs.map((s) => s.id).sort((a, b) => a - b);
}

const variants = [
  { name: 'cache', make: () => new Sublist<Sub>() },
  { name: 'no cache', make: () => new Sublist<Sub>({ cacheMax: 0 }) },
];

describe.each(variants)('Sublist ($name)', ({ make }) => {
  it('starts empty; insert counts (TestSublistInit/InsertCount)', () => {
    const s = make();
    expect(s.count()).toBe(0);
    s.insert(sub('foo'));
    s.insert(sub('bar'));
    s.insert(sub('foo.bar'));
    expect(s.count()).toBe(3);
  });

  it('literal match, single and multi token (TestSublistSimple*)', () => {
    const s = make();
    const a = sub('foo');
    const b = sub('foo.bar.baz');
    s.insert(a);
    s.insert(b);
    for (const m of [s.match.bind(s), (x: string) => matchB(s, x)]) {
      expect(ids(m('foo').plain)).toEqual([a.id]);
      expect(ids(m('foo.bar.baz').plain)).toEqual([b.id]);
      expect(m('foo.bar').plain).toHaveLength(0); // TestSublistTwoTokenPubMatchSingleTokenSub
      expect(m('foo.bar.baz.qux').plain).toHaveLength(0);
      expect(m('fo').plain).toHaveLength(0);
    }
  });

  it('partial wildcard, also at end (TestSublistPartialWildcard*)', () => {
    const s = make();
    const l = sub('a.b.c');
    const p1 = sub('a.*.c');
    const p2 = sub('a.b.*');
    const p3 = sub('*.*.*');
    [l, p1, p2, p3].forEach((x) => s.insert(x));
    expect(ids(s.match('a.b.c').plain)).toEqual(ids([l, p1, p2, p3]));
    expect(ids(s.match('a.x.c').plain)).toEqual(ids([p1, p3]));
    expect(ids(s.match('a.b.x').plain)).toEqual(ids([p2, p3]));
    expect(s.match('a.b').plain).toHaveLength(0);
  });

  it('full wildcard (TestSublistFullWildcard)', () => {
    const s = make();
    const l = sub('a.b.c');
    const f = sub('a.>');
    s.insert(l);
    s.insert(f);
    expect(ids(s.match('a.b.c').plain)).toEqual(ids([l, f]));
    expect(ids(s.match('a.>').plain)).toEqual([f.id]);
    expect(s.match('a').plain).toHaveLength(0);
  });

  it('protocol.md §7.2 matching table', () => {
    const table: [string, string[], string[]][] = [
      ['foo.*', ['foo.bar'], ['foo', 'foo.bar.baz', 'xfoo.bar']],
      ['foo.*.baz', ['foo.x.baz'], ['foo.baz', 'foo.x.y.baz']],
      ['foo.>', ['foo.bar', 'foo.bar.baz.qux'], ['foo']],
      ['>', ['a', 'a.b', 'foo.bar.baz', 'x.y.z.w.v'], []],
      ['*', ['a'], ['a.b']],
      ['*.>', ['a.b', 'a.b.c'], ['a']],
      ['foo*', ['foo*'], ['foo', 'foox']],
    ];
    for (const [pattern, yes, no] of table) {
      const s = make();
      const x = sub(pattern);
      expect(s.insert(x)).toBe(true);
      for (const subj of yes) {
        expect(ids(s.match(subj).plain), `${pattern} ~ ${subj}`).toEqual([x.id]);
        expect(ids(matchB(s, subj).plain), `${pattern} ~ ${subj} (bytes)`).toEqual([x.id]);
        expect(s.hasInterest(subj)).toBe(true);
      }
      for (const subj of no) {
        expect(s.match(subj).plain, `${pattern} !~ ${subj}`).toHaveLength(0);
        expect(matchB(s, subj).plain).toHaveLength(0);
        expect(s.hasInterest(subj)).toBe(false);
      }
    }
  });

  it('wildcard characters inside tokens are literals (TestSublistInsertWithWildcardsAsLiterals)', () => {
    for (const subject of ['foo.*-', 'foo.>-']) {
      const s = make();
      const x = sub(subject);
      s.insert(x);
      expect(s.match('foo.bar').plain).toHaveLength(0);
      expect(ids(s.match(subject).plain)).toEqual([x.id]);
      // TestSublistRemoveWithWildcardsAsLiterals
      expect(s.remove(sub('foo.bar'))).toBe(false);
      expect(s.count()).toBe(1);
      expect(s.remove(x)).toBe(true);
      expect(s.count()).toBe(0);
    }
  });

  it('removal (TestSublistRemove / RemoveWildcard)', () => {
    const s = make();
    const l = sub('a.b.c.d');
    const p = sub('a.b.*.d');
    const f = sub('a.b.>');
    s.insert(l);
    expect(s.match('a.b.c.d').plain).toHaveLength(1);
    expect(s.remove(sub('a.b.c'))).toBe(false);
    expect(s.remove(sub('a.b.c.d'))).toBe(false); // same subject, different object
    expect(s.count()).toBe(1);
    s.insert(p);
    s.insert(f);
    expect(s.count()).toBe(3);
    expect(s.match('a.b.c.d').plain).toHaveLength(3);
    expect(s.remove(l)).toBe(true);
    expect(s.count()).toBe(2);
    expect(ids(s.match('a.b.c.d').plain)).toEqual(ids([p, f]));
    expect(s.remove(f)).toBe(true);
    expect(ids(s.match('a.b.c.d').plain)).toEqual([p.id]);
    expect(s.remove(p)).toBe(true);
    expect(s.remove(p)).toBe(false);
    expect(s.count()).toBe(0);
    expect(s.match('a.b.c.d')).toBe(EMPTY_RESULT);
  });

  it('prunes the trie on removal (TestSublistRemoveCleanup / Wildcards)', () => {
    for (const subject of ['a.b.c.d.e.f', 'a.b.*.d.e.>']) {
      const s = make();
      const x = sub(subject);
      expect(s.numLevels()).toBe(0);
      s.insert(x);
      expect(s.numLevels()).toBe(6);
      s.remove(x);
      expect(s.numLevels()).toBe(0);
    }
    const s = make();
    const deep = sub('a.b.c');
    const shallow = sub('a');
    s.insert(deep);
    s.insert(shallow);
    s.remove(deep);
    expect(s.numLevels()).toBe(1);
    expect(ids(s.match('a').plain)).toEqual([shallow.id]);
  });

  it('many subs on one subject; results are snapshots (TestSublistRemoveWithLargeSubs)', () => {
    const s = make();
    for (let i = 0; i < 512; i++) s.insert(sub('foo'));
    const r = s.match('foo');
    expect(r.plain).toHaveLength(512);
    const before = r.plain.slice();
    s.remove(r.plain[256]);
    s.remove(r.plain[0]);
    s.remove(r.plain[r.plain.length - 1]);
    expect(s.match('foo').plain).toHaveLength(509);
    expect(r.plain).toEqual(before); // the old result was not touched
  });

  it('refuses invalid subjects and inserts nothing (TestSublistInvalidSubjectsInsert)', () => {
    const s = make();
    for (const bad of ['', '.', '.foo', 'foo.', 'foo..bar', 'foo.bar..baz', 'foo.>.bar', '>.>', '>.foo']) {
      const x = sub(bad);
      expect(s.insert(x), bad).toBe(false);
      expect(s.remove(x)).toBe(false); // TestSublistBadSubjectOnRemove
    }
    expect(s.count()).toBe(0);
    expect(s.numLevels()).toBe(0);
    expect(s.stats().numInserts).toBe(0);
    // Like Go's Sublist.Insert, only structure is checked (whitespace cannot come from the parser)
    expect(s.insert(sub('foo bar'))).toBe(true);
  });

  it('duplicate insert of the same object is a no-op', () => {
    const s = make();
    const x = sub('foo');
    const q = qsub('foo', 'g');
    expect(s.insert(x)).toBe(true);
    expect(s.insert(x)).toBe(true);
    expect(s.insert(q)).toBe(true);
    expect(s.insert(q)).toBe(true);
    expect(s.count()).toBe(2);
    const r = s.match('foo');
    expect(r.plain).toHaveLength(1);
    expect(r.queues[0]).toHaveLength(1);
    expect(s.remove(x)).toBe(true);
    expect(s.remove(q)).toBe(true);
    expect(s.count()).toBe(0);
  });

  it('queue results (TestSublistBasicQueueResults)', () => {
    const s = make();
    const p = sub('foo');
    const b1 = qsub('foo', 'bar');
    const z1 = qsub('foo', 'baz');
    s.insert(b1);
    expect(norm(s.match('foo'))).toEqual({ plain: [], queues: { bar: [b1.id] } });
    s.insert(z1);
    expect(norm(s.match('foo'))).toEqual({ plain: [], queues: { bar: [b1.id], baz: [z1.id] } });
    s.insert(p);
    const b2 = qsub('foo', 'bar');
    const z2 = qsub('foo', 'baz');
    s.insert(b2);
    s.insert(z2);
    expect(norm(s.match('foo'))).toEqual({
      plain: [p.id],
      queues: { bar: ids([b1, b2]), baz: ids([z1, z2]) },
    });
    s.remove(p);
    s.remove(b1);
    expect(norm(matchB(s, 'foo'))).toEqual({ plain: [], queues: { bar: [b2.id], baz: ids([z1, z2]) } });
    s.remove(b2);
    expect(norm(s.match('foo'))).toEqual({ plain: [], queues: { baz: ids([z1, z2]) } });
    s.remove(z1);
    s.remove(z2);
    expect(s.match('foo')).toBe(EMPTY_RESULT);
  });

  it('groups queue subscriptions by name across patterns (protocol.md §8)', () => {
    const s = make();
    const a = qsub('foo.*', 'grp');
    const b = qsub('foo.bar', 'grp');
    const c = qsub('foo.>', 'grp');
    const d = qsub('>', 'grp');
    const e = qsub('foo.bar', 'other');
    const f = qsub('*.bar', 'other');
    const p = sub('foo.*');
    for (const x of [a, b, c, d, e, f, p]) s.insert(x);
    for (const r of [s.match('foo.bar'), matchB(s, 'foo.bar')]) {
      expect(r.queues).toHaveLength(2);
      expect(norm(r)).toEqual({ plain: [p.id], queues: { grp: ids([a, b, c, d]), other: ids([e, f]) } });
    }
    expect(norm(s.match('foo.baz'))).toEqual({ plain: [p.id], queues: { grp: ids([a, c, d]) } });
    // the queue name is any string, including ones that look like subjects
    const odd = qsub('foo.bar', 'g.r*p>');
    s.insert(odd);
    expect(norm(s.match('foo.bar')).queues['g.r*p>']).toEqual([odd.id]);
  });

  it('published subjects with an empty token match nothing (TestSublistMatchWithEmptyTokens)', () => {
    const s = make();
    s.insert(sub('>'));
    s.insert(qsub('>', 'queue'));
    s.insert(sub('*'));
    s.insert(sub('*.*'));
    const cacheBefore = s.cacheSize;
    for (const subj of ['', '.', '.foo', '..foo', 'foo..', 'foo.', 'foo..bar', 'foo...bar']) {
      expect(s.match(subj), subj).toBe(EMPTY_RESULT);
      expect(matchB(s, subj), subj).toBe(EMPTY_RESULT);
      expect(s.hasInterest(subj)).toBe(false);
    }
    expect(s.cacheSize).toBe(cacheBefore); // not cached, like Go
  });

  it('published wildcard tokens match only wildcard subscriptions at that position', () => {
    const s = make();
    const pw = sub('foo.*');
    const fw = sub('foo.>');
    const lit = sub('foo.bar');
    const all = sub('>');
    const two = sub('*.*');
    const one = sub('*');
    const starLit = sub('foo.*x');
    for (const x of [pw, fw, lit, all, two, one, starLit]) s.insert(x);
    expect(ids(s.match('foo.*').plain)).toEqual(ids([pw, fw, all, two]));
    expect(ids(matchB(s, 'foo.>').plain)).toEqual(ids([pw, fw, all, two]));
    expect(ids(s.match('*').plain)).toEqual(ids([all, one]));
    expect(ids(s.match('>').plain)).toEqual(ids([all, one]));
    expect(ids(s.match('*.bar').plain)).toEqual(ids([all, two]));
    expect(ids(s.match('foo.*.baz').plain)).toEqual(ids([fw, all]));
    expect(ids(s.match('foo.*x').plain)).toEqual(ids([pw, fw, all, two, starLit]));
  });

  it('all() enumerates every subscription (TestSublistAll)', () => {
    const s = make();
    const subs = [sub('foo.bar.baz'), sub('foo'), sub('baz'), sub('*.>'), qsub('foo', 'q'), qsub('>', 'q')];
    subs.forEach((x) => s.insert(x));
    expect(ids(s.all())).toEqual(ids(subs));
  });

  it('hasInterest', () => {
    const s = make();
    expect(s.hasInterest('foo')).toBe(false);
    const x = qsub('foo.*.baz', 'g');
    s.insert(x);
    expect(s.hasInterest('foo.bar.baz')).toBe(true);
    expect(s.hasInterest('foo.bar')).toBe(false);
    expect(s.hasInterest('foo.bar.baz.x')).toBe(false);
    s.match('foo.bar.baz');
    s.remove(x);
    expect(s.hasInterest('foo.bar.baz')).toBe(false);
    expect(s.stats().numMatches).toBe(1); // hasInterest is not counted
  });

  it('removeBatch, small and large', () => {
    const s = make();
    const small = [sub('a'), sub('a.*'), qsub('a', 'g')];
    const big = Array.from({ length: 40 }, (_, i) => (i % 2 ? sub(`b.${i}`) : qsub('b.>', 'g')));
    const keep = sub('>');
    [...small, ...big, keep].forEach((x) => s.insert(x));
    expect(s.match('a').plain).toHaveLength(2);
    expect(s.match('b.1').plain).toHaveLength(2);
    expect(s.removeBatch(small)).toBe(3);
    expect(ids(s.match('a').plain)).toEqual([keep.id]);
    expect(s.removeBatch(new Set(big))).toBe(40);
    expect(norm(s.match('b.1'))).toEqual({ plain: [keep.id], queues: {} });
    expect(s.count()).toBe(1);
    expect(s.removeBatch([sub('zzz')])).toBe(0);
  });

  it('generation counter moves on every change', () => {
    const s = make();
    const g0 = s.generation;
    const x = sub('foo');
    s.insert(x);
    expect(s.generation).toBeGreaterThan(g0);
    const g1 = s.generation;
    s.match('foo');
    expect(s.generation).toBe(g1);
    s.insert(sub('foo..')); // invalid: no change
    expect(s.generation).toBe(g1);
    s.remove(x);
    expect(s.generation).toBeGreaterThan(g1);
  });

  it('literal tokens whose hashes collide are told apart at their level, removed in any order', () => {
    // Three tokens with the same 30-bit FNV-1a, the key of a level's literal nodes by hash (found
    // by counting up in base 36): the nodes share one chain, and a removal may take its head,
    // middle or tail.
    const toks = ['1r073', '2kfzb', '5sfe0'];
    for (const t of toks) expect(subjectHashString(t) & 0x3fffffff).toBe(subjectHashString(toks[0]) & 0x3fffffff);
    const orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
    for (const order of orders) {
      const s = make();
      const subs = toks.map((t) => sub(`t.${t}`));
      const deep = sub(`t.${toks[1]}.z`);
      [...subs, deep].forEach((e) => s.insert(e));
      const all = (subject: string): number[][] => [ids(s.match(subject).plain), ids(matchB(s, subject).plain), ids(matchOnce(s, subject).plain)];
      const live = new Set(subs);
      const check = (): void => {
        for (const x of subs) {
          const want = live.has(x) ? [x.id] : [];
          expect(all(x.subject), `${order}: ${x.subject}`).toEqual([want, want, want]);
        }
        expect(all(`t.${toks[0]}.z`)).toEqual([[], [], []]);
      };
      check();
      expect(all(deep.subject)).toEqual([[deep.id], [deep.id], [deep.id]]);
      s.remove(deep);
      for (const k of order) {
        s.remove(subs[k]);
        live.delete(subs[k]);
        check();
      }
      expect(s.numLevels()).toBe(0);
      s.insert(subs[order[0]]);
      live.add(subs[order[0]]);
      check();
    }
  });

  it('byte subjects: non-ASCII and 0xff bytes', () => {
    const s = make();
    const subject = 'caf\u00c3\u00a9.\u00ff'; // UTF-8 "café" then byte 0xff, as a byte string
    const x = sub(subject);
    s.insert(x);
    const buf = new Uint8Array([0x63, 0x61, 0x66, 0xc3, 0xa9, 0x2e, 0xff]);
    for (let i = 0; i < 3; i++) {
      expect(ids(s.matchBytes(buf, 0, buf.length, subjectHash(buf, 0, buf.length)).plain)).toEqual([x.id]);
    }
  });
});

describe('Sublist cache', () => {
  it('add/remove logistics keep cached results right (TestSublistCache)', () => {
    const s = new Sublist<Sub>();
    const l = sub('a.b.c.d');
    const p = sub('a.b.*.d');
    const f = sub('a.b.>');
    s.insert(l);
    expect(s.match('a.b.c.d').plain).toHaveLength(1);
    s.insert(p);
    s.insert(f);
    expect(s.match('a.b.c.d').plain).toHaveLength(3);
    s.remove(l);
    expect(ids(s.match('a.b.c.d').plain)).toEqual(ids([p, f]));
    s.remove(f);
    s.remove(p);
    expect(s.count()).toBe(0);
    expect(s.match('a.b.c.d')).toBe(EMPTY_RESULT);

    const t = new Sublist<Sub>();
    t.insert(sub('foo.*'));
    t.insert(sub('foo.bar'));
    expect(t.match('foo.baz').plain).toHaveLength(1);
    expect(t.match('foo.bar').plain).toHaveLength(2);
    t.insert(sub('foo.>'));
    expect(t.match('foo.bar').plain).toHaveLength(3);
    expect(t.match('foo.baz').plain).toHaveLength(2);
  });

  it('a hit returns the identical cached object, from both entry points', () => {
    const s = new Sublist<Sub>();
    s.insert(sub('foo.bar'));
    const r1 = matchB(s, 'foo.bar');
    const r2 = matchB(s, 'foo.bar');
    const r3 = s.match('foo.bar');
    expect(r2).toBe(r1);
    expect(r3).toBe(r1);
    const st = s.stats();
    expect(st.numMatches).toBe(3);
    expect(st.cacheHits).toBe(2);
  });

  it('the empty result is shared (TestSublistSharedEmptyResult)', () => {
    const s = new Sublist<Sub>();
    expect(s.match('foo')).toBe(s.match('bar'));
    expect(s.match('foo')).toBe(EMPTY_RESULT);
    expect(Object.isFrozen(EMPTY_RESULT.plain)).toBe(true);
  });

  it('stays bounded', () => {
    const s = new Sublist<Sub>();
    s.insert(sub('>'));
    for (let i = 0; i < 4 * DEFAULT_SUBLIST_CACHE_MAX; i++) {
      s.match(`foo-${i}`);
      expect(s.cacheSize).toBeLessThanOrEqual(DEFAULT_SUBLIST_CACHE_MAX);
    }
    expect(s.cacheSize).toBeGreaterThan(DEFAULT_SUBLIST_CACHE_MAX / 2);
    const small = new Sublist<Sub>({ cacheMax: 8 });
    for (let i = 0; i < 100; i++) small.match(`x.${i}`);
    expect(small.cacheSize).toBeLessThanOrEqual(8);
  });

  it('matchBytesOnce neither reads nor fills the cache, and counts as a match', () => {
    const s = new Sublist<Sub>();
    const w = sub('_INBOX.abc.*');
    s.insert(w);
    for (let i = 0; i < 50; i++) expect(ids(matchOnce(s, `_INBOX.abc.${i}`).plain)).toEqual([w.id]);
    expect(s.cacheSize).toBe(0);
    expect(s.stats().numMatches).toBe(50);
    expect(s.stats().cacheHits).toBe(0);
    // A subject in the cache is still matched on the trie: a sub added since shows at once.
    expect(ids(matchB(s, '_INBOX.abc.1').plain)).toEqual([w.id]);
    expect(s.cacheSize).toBe(1);
    expect(matchOnce(s, '_INBOX.x.1')).toBe(EMPTY_RESULT);
    expect(s.stats().cacheHits).toBe(0);
  });

  it('matchBytesOnce keeps its result for the subjects that differ only in the last token, unless a literal tells them apart', () => {
    const s = new Sublist<Sub>();
    const w = sub('_INBOX.abc.*');
    const all = sub('_INBOX.>');
    s.insert(w);
    s.insert(all);
    const r = matchOnce(s, '_INBOX.abc.1');
    expect(norm(r)).toEqual({ plain: ids([w, all]), queues: {} });
    expect(matchOnce(s, '_INBOX.abc.2')).toBe(r);
    expect(matchOnce(s, '_INBOX.abc.300000')).toBe(r);
    // Not one more token: matched on the trie.
    expect(ids(matchOnce(s, '_INBOX.abc.1.2').plain)).toEqual([all.id]);
    expect(matchOnce(s, '_INBOX.abc.')).toBe(EMPTY_RESULT);
    expect(ids(matchOnce(s, '_INBOX.abc').plain)).toEqual([all.id]);
    expect(ids(matchOnce(s, '_INBOX.abd.1').plain)).toEqual([all.id]);
    expect(norm(matchOnce(s, '_INBOX.abc.3'))).toEqual({ plain: ids([w, all]), queues: {} });
    // A literal subscription at the last token, made after: told apart from then on.
    const lit = sub('_INBOX.abc.7');
    s.insert(lit);
    for (let i = 0; i < 2; i++) {
      expect(ids(matchOnce(s, '_INBOX.abc.6').plain)).toEqual(ids([w, all]));
      expect(ids(matchOnce(s, '_INBOX.abc.7').plain)).toEqual(ids([w, all, lit]));
      expect(ids(matchOnce(s, '_INBOX.abc.8').plain)).toEqual(ids([w, all]));
    }
    s.remove(lit);
    s.remove(w);
    expect(ids(matchOnce(s, '_INBOX.abc.7').plain)).toEqual([all.id]);
    const q = qsub('_INBOX.abc.*', 'g');
    s.insert(q);
    expect(norm(matchOnce(s, '_INBOX.abc.9'))).toEqual({ plain: [all.id], queues: { g: [q.id] } });
    expect(s.cacheSize).toBe(0);
  });

  it('subjects under uncachedPrefix are matched right and never cached, from both entry points', () => {
    const s = new Sublist<Sub>({ uncachedPrefix: '$JS.ACK.' });
    const acks = sub('$JS.ACK.S.C.>');
    const all = sub('>');
    s.insert(acks);
    s.insert(all);
    s.match('foo');
    expect(s.cacheSize).toBe(1);
    for (let i = 0; i < 100; i++) {
      expect(ids(matchB(s, `$JS.ACK.S.C.1.${i}.${i}.0.0`).plain)).toEqual(ids([acks, all]));
      expect(ids(s.match(`$JS.ACK.S.C.1.${i}.${i}.1.0`).plain)).toEqual(ids([acks, all]));
    }
    expect(ids(matchB(s, '$JS.ACKX').plain)).toEqual(ids([all]));
    expect(s.cacheSize).toBe(2);
    expect(s.stats().numMatches).toBe(202);
  });

  it('uncachedGroupTokens: a result kept per group prefix equals a full match, as subscriptions come and go', () => {
    const grouped = new Sublist<Sub>({ uncachedPrefix: '$JS.ACK.', uncachedGroupTokens: 4 });
    const plain = new Sublist<Sub>({ cacheMax: 0 });
    const patterns = [
      '$JS.ACK.S.C.>', '$JS.ACK.S.D.>', '$JS.ACK.>', '>', '$JS.*.S.C.>', '$JS.ACK.*.C.>', '$JS.ACK.S.C.1.>',
      '$JS.ACK.S.C.*.7.>', '$JS.ACK.S.C.1.7.7.0.0', '$JS.ACK.S.C.*.*.*.*.*', '$JS.ACK.S.C.*', '$JS.ACK.S.C.1.*.*.*',
    ];
    const rnd = prng(7);
    const live: Sub[] = [];
    const subjects = (): string[] => {
      const out: string[] = [];
      for (const c of ['C', 'D']) {
        for (let i = 0; i < 12; i++) out.push(`$JS.ACK.S.${c}.${1 + (i % 2)}.${7 + (i % 3)}.${i}.0.0`);
        out.push(`$JS.ACK.S.${c}.1.7.7.0.0`, `$JS.ACK.S.${c}.1`, `$JS.ACK.S.${c}`, `$JS.ACK.S.${c}..1`, `$JS.ACK.S.${c}.1.`);
      }
      return out;
    };
    for (let step = 0; step < 60; step++) {
      if (live.length > 0 && rnd() < 0.4) {
        const s = live.splice(Math.floor(rnd() * live.length), 1)[0]!;
        grouped.remove(s);
        plain.remove(s);
      } else {
        const s = rnd() < 0.2 ? qsub(patterns[Math.floor(rnd() * patterns.length)]!, 'q') : sub(patterns[Math.floor(rnd() * patterns.length)]!);
        live.push(s);
        grouped.insert(s);
        plain.insert(s);
      }
      // Twice each: the second time from what the first kept.
      for (const subject of [...subjects(), ...subjects()]) expect(norm(matchB(grouped, subject)), `${subject} at step ${step}`).toEqual(norm(plain.match(subject)));
    }
    expect(grouped.cacheSize).toBe(0);
  });

  it('eviction gives recently hit entries a second chance', () => {
    const s = new Sublist<Sub>({ cacheMax: 64 });
    s.insert(sub('>'));
    s.match('hot');
    for (let i = 0; i < 1000; i++) {
      s.match('hot');
      s.match(`cold.${i}`);
    }
    const before = s.stats().cacheHits;
    s.match('hot');
    expect(s.stats().cacheHits).toBe(before + 1);
  });

  it('inbox churn updates only its own entry and keeps the rest of the cache warm', () => {
    const s = new Sublist<Sub>();
    const svc = qsub('svc.*', 'workers');
    s.insert(svc);
    s.insert(sub('events.>'));
    for (let i = 0; i < 100; i++) s.match(`events.${i}`);
    s.match('svc.echo');
    const warm = s.cacheSize;
    for (let i = 0; i < 500; i++) {
      const inbox = sub(`_INBOX.abc.${i}`);
      s.insert(inbox);
      expect(s.match('svc.echo').queues[0]).toEqual([svc]);
      expect(ids(matchB(s, `_INBOX.abc.${i}`).plain)).toEqual([inbox.id]);
      s.remove(inbox);
      expect(matchB(s, `_INBOX.abc.${i}`)).toBe(EMPTY_RESULT);
    }
    const before = s.stats().cacheHits;
    for (let i = 0; i < 100; i++) s.match(`events.${i}`);
    expect(s.stats().cacheHits - before).toBe(100);
    expect(s.cacheSize).toBeGreaterThanOrEqual(warm);
  });

  it('a wildcard insert/remove patches matching entries in place of dropping them', () => {
    const s = new Sublist<Sub>();
    for (let i = 0; i < 50; i++) s.match(`a.${i}`);
    s.match('b.1');
    const size = s.cacheSize;
    const w = sub('a.*');
    s.insert(w);
    expect(s.cacheSize).toBe(size);
    let hits = s.stats().cacheHits;
    expect(ids(s.match('a.7').plain)).toEqual([w.id]);
    expect(s.match('b.1')).toBe(EMPTY_RESULT);
    expect(s.stats().cacheHits).toBe(hits + 2);
    s.remove(w);
    expect(s.cacheSize).toBe(size);
    hits = s.stats().cacheHits;
    expect(s.match('a.7')).toBe(EMPTY_RESULT);
    expect(s.stats().cacheHits).toBe(hits + 1);
  });

  it('results held by a caller are never mutated by later inserts/removes', () => {
    const s = new Sublist<Sub>();
    const a = sub('foo');
    const q1 = qsub('foo', 'g');
    const q2 = qsub('foo', 'g');
    [a, q1, q2].forEach((x) => s.insert(x));
    const r = s.match('foo');
    const snap = JSON.stringify(norm(r));
    s.remove(q1);
    const b = sub('foo');
    s.insert(b);
    const h = qsub('*', 'h');
    s.insert(h);
    s.remove(a);
    expect(JSON.stringify(norm(r))).toBe(snap);
    expect(norm(s.match('foo'))).toEqual({ plain: [b.id], queues: { g: [q2.id], h: [h.id] } });
  });

  it('hash collisions are told apart by the subject bytes', () => {
    // find two subjects whose cache keys (30-bit hash) collide
    const seen = new Map<number, string>();
    let pair: [string, string] | null = null;
    for (let i = 0; pair === null; i++) {
      const subj = `c.${i.toString(36)}`;
      const k = subjectHashString(subj) & 0x3fffffff;
      const other = seen.get(k);
      if (other !== undefined) pair = [other, subj];
      else seen.set(k, subj);
    }
    const [x, y] = pair;
    const s = new Sublist<Sub>();
    const sx = sub(x);
    const sy = sub(y);
    s.insert(sx);
    s.insert(sy);
    for (let round = 0; round < 3; round++) {
      expect(ids(matchB(s, x).plain)).toEqual([sx.id]);
      expect(ids(matchB(s, y).plain)).toEqual([sy.id]);
      expect(ids(s.match(x).plain)).toEqual([sx.id]);
      expect(ids(s.match(y).plain)).toEqual([sy.id]);
    }
    s.remove(sx);
    expect(s.match(x)).toBe(EMPTY_RESULT);
    expect(ids(s.match(y).plain)).toEqual([sy.id]);
  });

  it('a wrong hash from the caller never yields a wrong result', () => {
    const s = new Sublist<Sub>();
    const a = sub('foo');
    const b = sub('bar');
    s.insert(a);
    s.insert(b);
    const foo = enc('foo');
    const bar = enc('bar');
    const hFoo = subjectHash(foo, 0, 3);
    expect(ids(s.matchBytes(foo, 0, 3, hFoo).plain)).toEqual([a.id]);
    expect(ids(s.matchBytes(bar, 0, 3, hFoo).plain)).toEqual([b.id]);
    expect(ids(s.matchBytes(foo, 0, 3, 12345).plain)).toEqual([a.id]);
    expect(ids(s.matchBytes(bar, 0, 3, 12345).plain)).toEqual([b.id]);
  });

  it('large cached results are dropped instead of copied on change', () => {
    const s = new Sublist<Sub>();
    for (let i = 0; i < 300; i++) s.insert(sub('big'));
    s.match('big');
    s.match('small');
    expect(s.cacheSize).toBe(2);
    s.insert(sub('big'));
    expect(s.cacheSize).toBe(1);
    expect(s.match('big').plain).toHaveLength(301);
  });

  it('past 3/4 of its bound the cache stores one miss in 16; one not stored is matched right as subscriptions change', () => {
    const s = new Sublist<Sub>({ cacheMax: 64 });
    const all = sub('>');
    s.insert(all);
    for (let i = 0; i < 48; i++) s.match(`warm.${i}`);
    expect(s.cacheSize).toBe(48);
    // A rotation of more subjects than the bound: 2 of these 32 misses are stored.
    for (let i = 0; i < 32; i++) expect(ids(matchB(s, `cold.${i}`).plain)).toEqual([all.id]);
    expect(s.cacheSize).toBe(50);
    const hits = s.stats().cacheHits;
    // cold.1 was not stored: subscriptions made after its match are found, on both entry points.
    const lit = sub('cold.1');
    s.insert(lit);
    expect(ids(s.match('cold.1').plain)).toEqual(ids([all, lit]));
    const wc = qsub('cold.*', 'q');
    s.insert(wc);
    expect(norm(matchB(s, 'cold.1'))).toEqual({ plain: ids([all, lit]), queues: { q: [wc.id] } });
    s.remove(all);
    expect(norm(s.match('cold.1'))).toEqual({ plain: [lit.id], queues: { q: [wc.id] } });
    expect(s.stats().cacheHits).toBe(hits);
  });

  it('past 3/4 of its bound a subject matched often is still stored, and a new working set replaces the old one', () => {
    const s = new Sublist<Sub>({ cacheMax: 64 });
    const all = sub('>');
    s.insert(all);
    for (let i = 0; i < 48; i++) s.match(`old.${i}`);
    // A hot subject alone: stored within 16 misses, then a hit.
    for (let i = 0; i < 16; i++) s.match('hot');
    let hits = s.stats().cacheHits;
    s.match('hot');
    expect(s.stats().cacheHits).toBe(hits + 1);
    // 40 new subjects in rotation: the old entries, never hit, make way for them (in about 70 rounds).
    for (let round = 0; round < 120; round++) for (let j = 0; j < 40; j++) s.match(`new.${j}`);
    hits = s.stats().cacheHits;
    for (let j = 0; j < 40; j++) expect(ids(s.match(`new.${j}`).plain)).toEqual([all.id]);
    expect(s.stats().cacheHits).toBe(hits + 40);
    expect(s.cacheSize).toBeLessThanOrEqual(64);
  });

  it('matches that find the same nodes share one merged result, made again when one of them changes', () => {
    for (const s of [new Sublist<Sub>(), new Sublist<Sub>({ cacheMax: 0 })]) {
      const api = sub('$JS.API.>');
      const get = qsub('$JS.API.DIRECT.GET.S.>', '_sys_');
      s.insert(api);
      s.insert(get);
      const r1 = s.match('$JS.API.DIRECT.GET.S.$KV.b.k1');
      expect(norm(r1)).toEqual({ plain: [api.id], queues: { _sys_: [get.id] } });
      expect(matchOnce(s, '$JS.API.DIRECT.GET.S.$KV.b.k2')).toBe(r1);
      expect(matchB(s, '$JS.API.DIRECT.GET.S.$KV.b.k3')).toBe(r1);
      // A subscription on one of the nodes: a new result; the one held is unchanged.
      const api2 = sub('$JS.API.>');
      s.insert(api2);
      const r2 = matchOnce(s, '$JS.API.DIRECT.GET.S.$KV.b.k4');
      expect(r2).not.toBe(r1);
      expect(norm(r2)).toEqual({ plain: ids([api, api2]), queues: { _sys_: [get.id] } });
      expect(norm(r1)).toEqual({ plain: [api.id], queues: { _sys_: [get.id] } });
      const get2 = qsub('$JS.API.DIRECT.GET.S.>', '_sys_');
      s.insert(get2);
      expect(norm(matchOnce(s, '$JS.API.DIRECT.GET.S.$KV.b.k5'))).toEqual({ plain: ids([api, api2]), queues: { _sys_: ids([get, get2]) } });
      s.remove(api);
      s.remove(get);
      expect(norm(matchOnce(s, '$JS.API.DIRECT.GET.S.$KV.b.k6'))).toEqual({ plain: [api2.id], queues: { _sys_: [get2.id] } });
      // Another node found as well (the last one): a merge of three nodes.
      const star = sub('$JS.API.DIRECT.GET.S.$KV.b.*');
      s.insert(star);
      expect(norm(matchOnce(s, '$JS.API.DIRECT.GET.S.$KV.b.k7'))).toEqual({ plain: ids([api2, star]), queues: { _sys_: [get2.id] } });
      expect(norm(matchOnce(s, '$JS.API.DIRECT.GET.S.x'))).toEqual({ plain: [api2.id], queues: { _sys_: [get2.id] } });
    }
  });
});

describe('Sublist stats', () => {
  it('cache hit rate (TestSublistAddCacheHitRate)', () => {
    const s = new Sublist<Sub>();
    s.insert(sub('foo'));
    for (let i = 0; i < 4; i++) s.match('foo');
    expect(s.stats().cacheHitRate).toBe(0.75);
  });

  it('counters and fanout', () => {
    const s = new Sublist<Sub>();
    const a = sub('foo');
    s.insert(a);
    s.insert(qsub('foo', 'g1'));
    s.insert(qsub('*', 'g1'));
    s.insert(qsub('foo', 'g2'));
    s.insert(sub('bar'));
    s.remove(a);
    s.match('foo'); // plain 0 + 2 groups = fanout 2
    s.match('bar'); // plain bar + the `* g1` group = 2
    s.match('baz'); // 1 (the * group)
    s.match('nothing.here'); // 0, cached empty result
    s.match('foo');
    s.match('a..b'); // counted, not cached
    expect(s.stats()).toEqual({
      numSubscriptions: 4,
      numCache: 4,
      numInserts: 5,
      numRemoves: 1,
      numMatches: 6,
      cacheHits: 1,
      cacheHitRate: 1 / 6,
      maxFanout: 2,
      avgFanout: 1.25,
      totalFanout: 5,
    });
  });

  it('no cache: numCache 0 (TestSublistNoCacheStats)', () => {
    const s = new Sublist<Sub>({ cacheMax: 0 });
    s.insert(sub('foo'));
    s.insert(sub('foo.bar.baz'));
    s.match('a.b.c');
    s.match('foo');
    const st = s.stats();
    expect(st.numCache).toBe(0);
    expect(st.numMatches).toBe(2);
    expect(st.cacheHitRate).toBe(0);
    expect(st.avgFanout).toBe(0);
  });
});

// ---- randomized: cached vs uncached vs brute force -------------------------------------

/** Reference semantics: protocol.md §7. */
function bruteMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const t = subject.split('.');
  if (t.some((x) => x.length === 0)) return false;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return t.length > i;
    if (i >= t.length) return false;
    if (p[i] !== '*' && p[i] !== t[i]) return false;
  }
  return p.length === t.length;
}

function brute(live: Set<Sub>, subject: string): ReturnType<typeof norm> {
  const plain: Sub[] = [];
  const groups = new Map<string, Sub[]>();
  for (const s of live) {
    if (!bruteMatches(s.subject, subject)) continue;
    if (s.queue === null) plain.push(s);
    else {
      const g = groups.get(s.queue) ?? [];
      g.push(s);
      groups.set(s.queue, g);
    }
  }
  return norm({ plain, queues: [...groups.values()] });
}

describe('Sublist randomized (seeded) against a brute-force matcher', () => {
  const seeds = [1, 2, 3, 42, 1234, 99991];
  it.each(seeds)('seed %i', (seed) => {
    const rnd = prng(seed);
    const pick = <X>(xs: readonly X[]): X => xs[Math.floor(rnd() * xs.length)];
    const subToks = ['a', 'b', 'c', 'a', 'b', '*', '*', '>'];
    const pubToks = ['a', 'b', 'c', 'a', 'b', 'd', '*', '>'];
    const randSubject = (toks: readonly string[], maxLen: number): string => {
      const n = 1 + Math.floor(rnd() * maxLen);
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push(pick(toks));
      return out.join('.');
    };
    const cached = new Sublist<Sub>();
    const tiny = new Sublist<Sub>({ cacheMax: 7 }); // constant eviction
    const plainSl = new Sublist<Sub>({ cacheMax: 0 });
    const sls = [cached, tiny, plainSl];
    const live = new Set<Sub>();
    const liveArr: Sub[] = [];
    const held: { r: SublistResult<Sub>; snap: string }[] = [];

    for (let step = 0; step < 4000; step++) {
      const op = rnd();
      if (op < 0.3) {
        const subject = randSubject(subToks, 4);
        const q = rnd() < 0.4 ? pick(['q1', 'q2', 'q3']) : null;
        const x: Sub = { id: nextId++, subject, queue: q };
        const valid = !subject.split('.').slice(0, -1).includes('>');
        for (const sl of sls) expect(sl.insert(x)).toBe(valid);
        if (valid) {
          live.add(x);
          liveArr.push(x);
        }
      } else if (op < 0.5 && liveArr.length > 0) {
        const i = Math.floor(rnd() * liveArr.length);
        const x = liveArr[i];
        liveArr[i] = liveArr[liveArr.length - 1];
        liveArr.pop();
        live.delete(x);
        for (const sl of sls) expect(sl.remove(x)).toBe(true);
      } else if (op < 0.52 && liveArr.length > 20) {
        const batch = liveArr.splice(0, 1 + Math.floor(rnd() * 20));
        for (const x of batch) live.delete(x);
        for (const sl of sls) expect(sl.removeBatch(batch)).toBe(batch.length);
      } else {
        let subject = randSubject(pubToks, 4);
        if (rnd() < 0.03) subject = pick(['', '.a', 'a.', 'a..b']);
        const want = brute(live, subject);
        for (const sl of sls) {
          const r1 = sl.match(subject);
          const r2 = matchB(sl, subject);
          const r3 = matchOnce(sl, subject);
          expect(norm(r1), `${subject} (string)`).toEqual(want);
          expect(norm(r2), `${subject} (bytes)`).toEqual(want);
          expect(norm(r3), `${subject} (bytes, once)`).toEqual(want);
          expect(sl.hasInterest(subject)).toBe(want.plain.length > 0 || Object.keys(want.queues).length > 0);
        }
        if (rnd() < 0.05) {
          const r = cached.match(subject);
          held.push({ r, snap: JSON.stringify(norm(r)) });
          const once = matchOnce(plainSl, subject);
          held.push({ r: once, snap: JSON.stringify(norm(once)) });
        }
      }
      for (const sl of sls) expect(sl.count()).toBe(live.size);
    }
    for (const { r, snap } of held) expect(JSON.stringify(norm(r))).toBe(snap);
    for (const sl of sls) expect(ids(sl.all())).toEqual(ids(liveArr));
    expect(cached.stats().cacheHits).toBeGreaterThan(0);
    expect(tiny.cacheSize).toBeLessThanOrEqual(7);
    // empty the lists: the trie must prune down to nothing
    for (const sl of sls) {
      sl.removeBatch(liveArr);
      expect(sl.count()).toBe(0);
      expect(sl.numLevels()).toBe(0);
    }
  });
});
