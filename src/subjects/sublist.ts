// hot path: no allocation per message, no I/O
//
// The subject registry: nats-server's Sublist (server/sublist.go, 2.9.10) in TypeScript.
// A trie keyed by token, with dedicated `*` (pwc) and `>` (fwc) slots per level; plain and queue
// subscriptions are kept apart per node. In front of it sits a bounded match cache keyed by the
// FNV-1a hash of the published subject, so `matchBytes` on a hit compares bytes and returns the
// cached result without creating a string or allocating anything.
//
// Contracts:
// - Pure data structure, single-threaded: no I/O, no timers, no node: imports.
// - Subject strings are byte strings (latin1, one code unit per byte; see subject.ts). The client
//   layer must decode SUB subjects the same way `bytesToSubject` does, or non-ASCII subjects
//   will not meet their publishes.
// - A subscription's `subject` and `queue` must not change while it is inserted.
// - Results are immutable snapshots shared between callers and the cache: never mutate them.
//   A result reflects the registry as of the call and stays valid (i.e. current) until the next
//   insert/remove; it is never modified afterwards (inserts/removes replace cached results
//   copy-on-write), so iterating a result while removing subscriptions (auto-unsubscribe during
//   delivery) is safe.
//
// Cache maintenance follows nats-server: an insert/remove touches only the cached entries the
// changed subscription matches (a literal subscription: only its own subject), instead of
// flushing, so request/reply inbox churn keeps the rest of the cache warm. Where nats-server
// drops entries on remove, we patch them (copy-on-write) unless the result is large, in which
// case the entry is dropped and rebuilt on the next match. Eviction over the bound is a CLOCK
// sweep (second chance) over the Map's insertion order, in batches: O(1) amortised per miss.
// Past 3/4 of the bound only one miss in 16 is stored (Sublist.cacheAdmits): with more subjects
// in rotation than the bound, storing each miss only churns the cache.

import { DEFAULT_SUBLIST_CACHE_MAX, SUBLIST_CACHE_PATCH_SCAN_MAX } from '../config/defaults.js';
import { FNV1A_32_OFFSET, FNV1A_32_PRIME, subjectHash, subjectHashString } from './hash.js';
import { bytesToSubject, matchLiteral, subjectEqualsBytes, subjectIsLiteral } from './subject.js';

/** What the sublist reads from a subscription. `queue === null` (or undefined) = plain. */
export interface SubLike {
  readonly subject: string;
  readonly queue: string | null;
}

/**
 * The subscriptions matching one published subject. `plain`: every matching non-queue
 * subscription. `queues`: matching queue subscriptions grouped by queue NAME across all matching
 * patterns (`foo.* grp` and `foo.bar grp` are one group for `foo.bar`); each group is non-empty.
 * Order is unspecified. Shared and immutable: see the header.
 */
export interface SublistResult<T> {
  readonly plain: readonly T[];
  readonly queues: readonly (readonly T[])[];
}

/** The shared "no interest" result (also returned for subjects with empty tokens). Frozen. */
export const EMPTY_RESULT: SublistResult<never> = Object.freeze({
  plain: Object.freeze([]) as readonly never[],
  queues: Object.freeze([]) as readonly (readonly never[])[],
});

/** nats-server SublistStats meanings (JSON names for /subsz in the comments). */
export interface SublistStats {
  /** num_subscriptions */
  numSubscriptions: number;
  /** num_cache: cached result sets (empty results included) */
  numCache: number;
  /** num_inserts */
  numInserts: number;
  /** num_removes */
  numRemoves: number;
  /** num_matches: calls to match/matchBytes (hasInterest is not counted) */
  numMatches: number;
  /** raw cache hits; cache_hit_rate = cacheHits / numMatches */
  cacheHits: number;
  /** cache_hit_rate (0 when numMatches is 0) */
  cacheHitRate: number;
  /** max_fanout: max over cached results of plain.length + queues.length (groups count once) */
  maxFanout: number;
  /** avg_fanout: totalFanout / numCache (0 when totalFanout is 0) */
  avgFanout: number;
  /** sum of fanouts over cached results (to aggregate several sublists like Go's stats.add) */
  totalFanout: number;
}

export interface SublistOptions {
  /** Bound on cached results; 0 disables the cache. Default DEFAULT_SUBLIST_CACHE_MAX. */
  cacheMax?: number;
  /**
   * Published subjects starting with this (ASCII) are matched without caching their result:
   * subjects each used once (JetStream's ack subjects hold a message's sequences), whose entries
   * would only evict reused ones. Default: none.
   */
  uncachedPrefix?: string;
  /**
   * A subject under uncachedPrefix with more than this many tokens has its result kept per its
   * first `uncachedGroupTokens` tokens (JetStream's `$JS.ACK.<stream>.<consumer>`), when no
   * subscription tells apart the subjects that share them: past those tokens only `>`
   * subscriptions at or above that depth match. Kept until the next insert or remove.
   * Default 0: none kept.
   */
  uncachedGroupTokens?: number;
}

/**
 * Cached results larger than this (plain + queue members) are dropped rather than copied when a
 * matching subscription is inserted or removed: the copy would cost as much as a rebuild, and
 * under churn would be paid on every change instead of on the next publish. nats-server's plist
 * threshold (plistMin) is the same figure.
 */
const CACHE_PATCH_MAX = 256;

/** Removing more subscriptions than this in one removeBatch clears the cache instead. */
const BATCH_CLEAR_MIN = 16;

/** Cache keys are the subject hash reduced to 30 bits, so they stay V8 Smis (no boxing on get). */
const KEY_MASK = 0x3fffffff;

/** Bound on the results kept per token group (SublistOptions.uncachedGroupTokens): past it they are dropped, all at once. */
const GROUP_CACHE_MAX = 1024;

/** Past the sweep mark (3/4 of the bound) the cache stores one miss in this many (see cacheAdmits). */
const ADMIT_EVERY = 16;

class Node<T> {
  next: Level<T> | null = null;
  psubs: Set<T> | null = null;
  qsubs: Map<string, Set<T>> | null = null;
  /** A literal node's token, and the next node of its level whose token has the same tokenHash. */
  token = '';
  sameHash: Node<T> | null = null;
  /** This node's subscriptions as a result (what a match finding only this node returns); null: to be built. */
  own: SublistResult<T> | null = null;
  /** Bumped whenever the node's subscriptions change (Merged entries compare it). */
  version = 0;
  /** Results of matches that found other nodes and this one last (see takeHits). */
  merged: Merged<T> | null = null;

  /** The node's subscriptions changed: what was built from them is stale. */
  changed(): void {
    this.own = null;
    this.merged = null;
    this.version++;
  }

  hasSubs(): boolean {
    return (this.psubs !== null && this.psubs.size > 0) || (this.qsubs !== null && this.qsubs.size > 0);
  }

  isEmpty(): boolean {
    return !this.hasSubs() && (this.next === null || this.next.numNodes() === 0);
  }
}

class Level<T> {
  readonly nodes = new Map<string, Node<T>>();
  /** The literal nodes again, by tokenHash of their token, chained through Node.sameHash: a match finds them without a token string. */
  readonly byHash = new Map<number, Node<T>>();
  pwc: Node<T> | null = null;
  fwc: Node<T> | null = null;

  numNodes(): number {
    return this.nodes.size + (this.pwc !== null ? 1 : 0) + (this.fwc !== null ? 1 : 0);
  }

  /** Adds the literal node `n` for `token`. */
  addLiteral(token: string, n: Node<T>): void {
    this.nodes.set(token, n);
    n.token = token;
    const h = tokenHash(token);
    n.sameHash = this.byHash.get(h) ?? null;
    this.byHash.set(h, n);
  }

  prune(n: Node<T>, token: string): void {
    if (n === this.fwc) this.fwc = null;
    else if (n === this.pwc) this.pwc = null;
    else {
      this.nodes.delete(token);
      const h = tokenHash(token);
      let c = this.byHash.get(h) ?? null;
      if (c === n) {
        if (n.sameHash === null) this.byHash.delete(h);
        else this.byHash.set(h, n.sameHash);
      } else {
        while (c !== null && c.sameHash !== n) c = c.sameHash;
        if (c !== null) c.sameHash = n.sameHash;
      }
      n.sameHash = null;
    }
  }
}

/**
 * The result of a match that found the nodes `nodes` (in that order) when they had the versions
 * `versions`: a merge made once, reused while they are unchanged. Kept on the last node.
 */
class Merged<T> {
  constructor(
    readonly nodes: readonly Node<T>[],
    readonly versions: readonly number[],
    readonly result: SublistResult<T>,
    readonly next: Merged<T> | null,
  ) {}

  /** Whether this is the result for the nodes in hits. */
  isFor(): boolean {
    const nodes = this.nodes;
    if (nodes.length !== nhits) return false;
    for (let i = 0; i < nhits; i++) {
      const n = nodes[i] as unknown as Node<SubLike>;
      if (n !== hits[i] || this.versions[i] !== n.version) return false;
    }
    return true;
  }
}

/** Merged results kept per node; past this many, its list starts over. */
const MERGED_MAX = 8;

/** FNV-1a of a token's bytes (code units' low 8 bits, as subjectHashString), reduced to a Smi. */
function tokenHash(t: string): number {
  let h = FNV1A_32_OFFSET | 0;
  for (let i = 0; i < t.length; i++) h = Math.imul(h ^ (t.charCodeAt(i) & 0xff), FNV1A_32_PRIME);
  return h & KEY_MASK;
}

// The published subject being matched, split by tokenizeBytes or tokenizeString: token i is
// [tokStart[i], tokEnd[i]) of srcBytes (or of srcString when srcBytes is null), its tokenHash
// tokHash[i]. Matching is synchronous and calls out to nothing, so one set serves every Sublist.
let tokStart: Int32Array = new Int32Array(32);
let tokEnd: Int32Array = new Int32Array(32);
let tokHash: Int32Array = new Int32Array(32);
let tokCount = 0;
let srcBytes: Uint8Array | null = null;
let srcString = '';

function pushToken(start: number, end: number, h: number): void {
  if (tokCount === tokStart.length) {
    const grow = (a: Int32Array): Int32Array => {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      return b;
    };
    tokStart = grow(tokStart);
    tokEnd = grow(tokEnd);
    tokHash = grow(tokHash);
  }
  tokStart[tokCount] = start;
  tokEnd[tokCount] = end;
  tokHash[tokCount] = h & KEY_MASK;
  tokCount++;
}

/** Splits buf[start, end) into the token set; false when a token is empty (the subject matches nothing). */
function tokenizeBytes(buf: Uint8Array, start: number, end: number): boolean {
  srcBytes = buf;
  tokCount = 0;
  let ts = start;
  let h = FNV1A_32_OFFSET | 0;
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c === 0x2e) {
      if (i === ts) return false;
      pushToken(ts, i, h);
      ts = i + 1;
      h = FNV1A_32_OFFSET | 0;
    } else {
      h = Math.imul(h ^ c, FNV1A_32_PRIME);
    }
  }
  if (ts === end) return false;
  pushToken(ts, end, h);
  return true;
}

/** tokenizeBytes for a subject given as a byte string. */
function tokenizeString(subject: string): boolean {
  srcBytes = null;
  srcString = subject;
  tokCount = 0;
  let ts = 0;
  let h = FNV1A_32_OFFSET | 0;
  const end = subject.length;
  for (let i = 0; i < end; i++) {
    const c = subject.charCodeAt(i);
    if (c === 0x2e) {
      if (i === ts) return false;
      pushToken(ts, i, h);
      ts = i + 1;
      h = FNV1A_32_OFFSET | 0;
    } else {
      h = Math.imul(h ^ (c & 0xff), FNV1A_32_PRIME);
    }
  }
  if (ts === end) return false;
  pushToken(ts, end, h);
  return true;
}

/** Whether token i of the token set is `t`. */
function tokenIs(t: string, i: number): boolean {
  const s = tokStart[i];
  const n = tokEnd[i] - s;
  if (t.length !== n) return false;
  const b = srcBytes;
  if (b === null) return srcString.startsWith(t, s);
  for (let k = 0; k < n; k++) if (t.charCodeAt(k) !== b[s + k]) return false;
  return true;
}

/** The literal node of level `l` for token i, or null. */
function findLiteral<T>(l: Level<T>, i: number): Node<T> | null {
  let n = l.byHash.get(tokHash[i]) ?? null;
  while (n !== null && !tokenIs(n.token, i)) n = n.sameHash;
  return n;
}

/** The nodes holding subscriptions that a match found: hits[0, nhits). */
const hits: (Node<SubLike> | null)[] = [];
let nhits = 0;

function hit<T>(n: Node<T>): void {
  if (n.hasSubs()) hits[nhits++] = n as unknown as Node<SubLike>;
}

/** matchLevel's result: a level reached for a token at or past `group` had literal nodes / a `*`. */
const TAIL_LITERAL = 1;
const TAIL_PWC = 2;

/**
 * nats-server matchLevel over the token set from token `from`: every node whose pattern matches
 * goes to hits. Returns what the tokens from index `group` on could have decided (TAIL_LITERAL,
 * TAIL_PWC: a level reached for one of them had literal nodes, a `*`). With neither, every
 * subject with the same tokens before `group` and at least one after has the same result; with
 * no TAIL_LITERAL, every one with the same tokens before `group` and one after. `group` past
 * the last token: 0.
 */
function matchLevel<T>(start: Level<T> | null, from: number, group: number): number {
  let l = start;
  let pwc: Node<T> | null = null;
  let n: Node<T> | null = null;
  let tail = 0;
  for (let i = from; i < tokCount; i++) {
    if (l === null) return tail;
    if (i >= group) {
      if (l.nodes.size > 0) tail |= TAIL_LITERAL;
      if (l.pwc !== null) tail |= TAIL_PWC;
    }
    if (l.fwc !== null) hit(l.fwc);
    pwc = l.pwc;
    if (pwc !== null) tail |= matchLevel(pwc.next, i + 1, group);
    // A published `*`/`>` token finds nothing here: wildcard subscriptions live in pwc/fwc.
    n = findLiteral(l, i);
    l = n !== null ? n.next : null;
  }
  if (n !== null) hit(n);
  if (pwc !== null) hit(pwc);
  return tail;
}

/** The result for the token set: a single node's own result, else the nodes' subscriptions merged. */
function matchTokens<T extends SubLike>(root: Level<T>): SublistResult<T> {
  nhits = 0;
  matchLevel(root, 0, tokCount);
  return takeHits();
}

/** The result of the nodes in hits (a single node's own result, else their subscriptions merged); clears the token set. */
function takeHits<T extends SubLike>(): SublistResult<T> {
  let r: SublistResult<T> = EMPTY_RESULT;
  if (nhits === 1) {
    const n = hits[0] as unknown as Node<T>;
    r = n.own ??= nodeResult(n);
  } else if (nhits > 1) {
    // Subjects finding the same nodes share one merge (a stream's direct gets: `$JS.API.>` and
    // `$JS.API.DIRECT.GET.<stream>.>`), made by the first such match and reused until one of the
    // nodes changes. It is kept on the last node found, the deepest: fewer sets of nodes end there.
    const last = hits[nhits - 1] as unknown as Node<T>;
    let m = last.merged;
    let kept = 0;
    while (m !== null && !m.isFor()) {
      m = m.next;
      kept++;
    }
    if (m !== null) r = m.result;
    else {
      const b = new ResultBuilder<T>();
      const nodes: Node<T>[] = [];
      const versions: number[] = [];
      for (let i = 0; i < nhits; i++) {
        const n = hits[i] as unknown as Node<T>;
        b.addNode(n);
        nodes.push(n);
        versions.push(n.version);
      }
      r = b.finish();
      last.merged = new Merged(nodes, versions, r, kept < MERGED_MAX ? last.merged : null);
    }
  }
  for (let i = 0; i < nhits; i++) hits[i] = null;
  srcBytes = null;
  srcString = '';
  return r;
}

function nodeResult<T extends SubLike>(n: Node<T>): SublistResult<T> {
  const b = new ResultBuilder<T>();
  b.addNode(n);
  return b.finish();
}

/** A result kept for the subjects under the uncached prefix that start with `prefix` (its group's tokens). */
class GroupEntry<T> {
  /** The prefix as bytes. */
  readonly bytes: Uint8Array;
  constructor(
    readonly prefix: string,
    readonly result: SublistResult<T>,
  ) {
    this.bytes = Uint8Array.from(prefix, (c) => c.charCodeAt(0));
  }
}

class CacheEntry<T> {
  /** CLOCK reference bit: set on a hit, cleared by the sweep. */
  ref = false;
  constructor(
    readonly key: number,
    public subject: string,
    public result: SublistResult<T>,
  ) {}
}

/** Accumulates one match on a cache miss. */
class ResultBuilder<T extends SubLike> {
  readonly plain: T[] = [];
  readonly queues: T[][] = [];
  private qindex: Map<string, number> | null = null;

  addNode(n: Node<T>): void {
    if (n.psubs !== null) {
      for (const sub of n.psubs) this.plain.push(sub);
    }
    if (n.qsubs !== null) {
      if (this.qindex === null) this.qindex = new Map();
      for (const [name, members] of n.qsubs) {
        if (members.size === 0) continue;
        let i = this.qindex.get(name);
        if (i === undefined) {
          i = this.queues.length;
          this.queues.push([]);
          this.qindex.set(name, i);
        }
        const group = this.queues[i];
        for (const sub of members) group.push(sub);
      }
    }
  }

  finish(): SublistResult<T> {
    if (this.plain.length === 0 && this.queues.length === 0) return EMPTY_RESULT;
    return { plain: this.plain, queues: this.queues };
  }
}

/** Like matchLevel over the token set, but stops at the first node holding a subscription. */
function interestLevel<T extends SubLike>(start: Level<T> | null, from: number): boolean {
  let l = start;
  let pwc: Node<T> | null = null;
  let n: Node<T> | null = null;
  for (let i = from; i < tokCount; i++) {
    if (l === null) return false;
    if (l.fwc !== null && l.fwc.hasSubs()) return true;
    pwc = l.pwc;
    if (pwc !== null && interestLevel(pwc.next, i + 1)) return true;
    n = findLiteral(l, i);
    l = n !== null ? n.next : null;
  }
  return (n !== null && n.hasSubs()) || (pwc !== null && pwc.hasSubs());
}

/** Tokens of a subscription subject, or null when invalid (empty token, or `>` not last). */
function subscribeTokens(subject: string): string[] | null {
  const toks = subject.split('.');
  const last = toks.length - 1;
  for (let i = 0; i <= last; i++) {
    const t = toks[i];
    if (t.length === 0 || (i < last && t === '>')) return null;
  }
  return toks;
}

function totalMembers<T>(r: SublistResult<T>): number {
  let n = r.plain.length;
  for (let i = 0; i < r.queues.length; i++) n += r.queues[i].length;
  return n;
}

function findGroup<T extends SubLike>(queues: readonly (readonly T[])[], name: string): number {
  for (let i = 0; i < queues.length; i++) {
    if (queues[i][0].queue === name) return i;
  }
  return -1;
}

/** Copy of r with sub added. */
function withSub<T extends SubLike>(r: SublistResult<T>, sub: T): SublistResult<T> {
  const queue = sub.queue;
  if (queue == null) return { plain: [...r.plain, sub], queues: r.queues };
  const queues = r.queues.slice();
  const i = findGroup(queues, queue);
  if (i >= 0) queues[i] = [...queues[i], sub];
  else queues.push([sub]);
  return { plain: r.plain, queues };
}

/** Copy of r without sub (r itself when sub is absent). */
function withoutSub<T extends SubLike>(r: SublistResult<T>, sub: T): SublistResult<T> {
  let plain = r.plain;
  let queues = r.queues;
  const queue = sub.queue;
  if (queue == null) {
    const j = plain.indexOf(sub);
    if (j < 0) return r;
    plain = plain.filter((s) => s !== sub);
  } else {
    const i = findGroup(queues, queue);
    if (i < 0) return r;
    const group = queues[i];
    if (group.indexOf(sub) < 0) return r;
    const copy = queues.slice();
    if (group.length === 1) copy.splice(i, 1);
    else copy[i] = group.filter((s) => s !== sub);
    queues = copy;
  }
  if (plain.length === 0 && queues.length === 0) return EMPTY_RESULT;
  return { plain, queues };
}

export class Sublist<T extends SubLike> {
  private readonly root = new Level<T>();
  private readonly cache: Map<number, CacheEntry<T>> | null;
  private readonly cacheMax: number;
  private readonly sweepTo: number;
  /** SublistOptions.uncachedPrefix, and as bytes (empty: none). */
  private readonly uncachedPrefix: string;
  private readonly uncached: Uint8Array;
  /** SublistOptions.uncachedGroupTokens, the results kept per group (by the hash of its prefix), and the generation they are of. */
  private readonly groupTokens: number;
  private readonly groups = new Map<number, GroupEntry<T>>();
  private groupsGen = 0;
  /** The group matched last (one consumer's acks come in runs): compared first, without a hash. */
  private lastGroup: GroupEntry<T> | null = null;
  private subCount = 0;
  private inserts = 0;
  private removes = 0;
  private matches = 0;
  private cacheHits = 0;
  private genid = 0;
  /** Misses not stored since the last one stored past the sweep mark (cacheAdmits). */
  private skipped = 0;
  /**
   * matchBytesOnce's kept result: for the subjects starting with onceBuf[0, onceLen) (tokens
   * and their dots) and one more token, as of generation onceGen. onceLen 0: none.
   */
  private onceBuf = new Uint8Array(0);
  private onceLen = 0;
  private onceResult: SublistResult<T> = EMPTY_RESULT;
  private onceGen = 0;

  constructor(opts: SublistOptions = {}) {
    const pre = opts.uncachedPrefix ?? '';
    this.uncachedPrefix = pre;
    this.uncached = new Uint8Array(pre.length);
    for (let i = 0; i < pre.length; i++) this.uncached[i] = pre.charCodeAt(i);
    this.groupTokens = pre !== '' && opts.uncachedGroupTokens !== undefined && opts.uncachedGroupTokens > 0 ? Math.floor(opts.uncachedGroupTokens) : 0;
    const max = opts.cacheMax ?? DEFAULT_SUBLIST_CACHE_MAX;
    this.cacheMax = max > 0 ? Math.floor(max) : 0;
    this.cache = this.cacheMax > 0 ? new Map() : null;
    // Sweep down to 3/4 of the bound (nats-server drains 1024 -> 512 in the background).
    this.sweepTo = this.cacheMax - Math.max(1, this.cacheMax >> 2);
  }

  /** Number of subscriptions inserted. */
  count(): number {
    return this.subCount;
  }

  /** Bumped by every successful insert/remove; a caller's own L1 cache can compare it. */
  get generation(): number {
    return this.genid;
  }

  /** Number of cached result sets. */
  get cacheSize(): number {
    return this.cache !== null ? this.cache.size : 0;
  }

  /**
   * Insert a subscription. Returns false (and inserts nothing) when the subject is invalid: an
   * empty token (`a..b`, `.a`, `a.`, ``) or `>` not last — exactly Go's Sublist.Insert check,
   * which decides SUB's `-ERR 'Invalid Subject'`. Whitespace is not checked (see isValidSubject).
   * Inserting the same object twice is a no-op returning true (counted once).
   */
  insert(sub: T): boolean {
    const toks = subscribeTokens(sub.subject);
    if (toks === null) return false;
    let l = this.root;
    let n: Node<T> | null = null;
    const last = toks.length - 1;
    for (let i = 0; i <= last; i++) {
      const t = toks[i];
      if (t === '*') {
        n = l.pwc ??= new Node<T>();
      } else if (t === '>') {
        n = l.fwc ??= new Node<T>();
      } else {
        n = l.nodes.get(t) ?? null;
        if (n === null) {
          n = new Node<T>();
          l.addLiteral(t, n);
        }
      }
      if (i < last) l = n.next ??= new Level<T>();
    }
    const node = n as Node<T>;
    const queue = sub.queue;
    if (queue == null) {
      const ps = (node.psubs ??= new Set());
      if (ps.has(sub)) return true;
      ps.add(sub);
      node.changed();
    } else {
      const qs = (node.qsubs ??= new Map());
      let members = qs.get(queue);
      if (members === undefined) {
        members = new Set();
        qs.set(queue, members);
      } else if (members.has(sub)) {
        return true;
      }
      members.add(sub);
      node.changed();
    }
    this.subCount++;
    this.inserts++;
    this.genid++;
    this.patchCache(sub, true);
    return true;
  }

  /** Remove a subscription (the same object that was inserted). False when not present. */
  remove(sub: T): boolean {
    if (!this.removeNoCache(sub)) return false;
    this.patchCache(sub, false);
    return true;
  }

  /**
   * Remove many subscriptions (a closing connection). Like nats-server's RemoveBatch, a large
   * batch clears the cache once instead of patching it per subscription. Returns how many were
   * removed.
   */
  removeBatch(subs: Iterable<T>): number {
    const list = Array.isArray(subs) ? (subs as T[]) : Array.from(subs);
    let removed = 0;
    if (list.length < BATCH_CLEAR_MIN || this.cache === null) {
      for (const sub of list) if (this.remove(sub)) removed++;
      return removed;
    }
    for (const sub of list) if (this.removeNoCache(sub)) removed++;
    if (removed > 0) this.cache.clear();
    return removed;
  }

  /** Match a published subject given as a byte string. See SublistResult for the contract. */
  match(subject: string): SublistResult<T> {
    this.matches++;
    const key = subjectHashString(subject) & KEY_MASK;
    const cache = this.cache;
    if (cache !== null) {
      const e = cache.get(key);
      if (e !== undefined && e.subject === subject) {
        this.cacheHits++;
        e.ref = true;
        return e.result;
      }
    }
    return this.matchMiss(subject, key, this.uncachedPrefix === '' || !subject.startsWith(this.uncachedPrefix));
  }

  /**
   * Hot path: match the published subject buf[start, end). `hash` must be
   * subjectHash(buf, start, end) (the scanner's F_HASH). On a cache hit this compares the bytes
   * with the cached subject and allocates nothing; on a miss it builds the subject string once.
   * The hash must be right: a miss stores the result under it, and cache patching finds
   * literal subjects by their hash (test/hash-agreement checks the scanner's hash is this one).
   */
  matchBytes(buf: Uint8Array, start: number, end: number, hash: number): SublistResult<T> {
    this.matches++;
    // Subjects under the uncached prefix are never in the cache: not looked up there.
    if (this.groupTokens > 0 && this.isUncached(buf, start, end)) return this.matchGroup(buf, start, end);
    const cache = this.cache;
    if (cache !== null) {
      const e = cache.get(hash & KEY_MASK);
      if (e !== undefined && subjectEqualsBytes(e.subject, buf, start, end)) {
        this.cacheHits++;
        e.ref = true;
        return e.result;
      }
    }
    // A miss matches on the bytes; the subject string is made only for the cache entry.
    if (!tokenizeBytes(buf, start, end)) return EMPTY_RESULT; // empty token: matches nothing, not cached (as Go)
    const result = matchTokens(this.root);
    if (cache !== null && !this.isUncached(buf, start, end) && this.cacheAdmits(cache)) this.cacheStore(hash & KEY_MASK, bytesToSubject(buf, start, end), result);
    return result;
  }

  /**
   * A subject under the uncached prefix (SublistOptions.uncachedGroupTokens): the result kept
   * for its group's prefix, else matched (not cached) and kept when the rest of its tokens
   * decided nothing.
   */
  private matchGroup(buf: Uint8Array, start: number, end: number): SublistResult<T> {
    if (this.groupsGen !== this.genid) {
      this.groups.clear();
      this.lastGroup = null;
      this.groupsGen = this.genid;
    }
    const g = this.lastGroup;
    if (g !== null) {
      const p = g.bytes;
      const n = p.length;
      if (end - start > n + 1 && buf[start + n] === 0x2e) {
        let i = 0;
        while (i < n && buf[start + i] === p[i]) i++;
        if (i === n) {
          // The last group's prefix, then a dot: the result unless a token of the rest is empty.
          for (let j = start + n; j < end; j++) if (buf[j] === 0x2e && (j + 1 === end || buf[j + 1] === 0x2e)) return EMPTY_RESULT;
          return g.result;
        }
      }
    }
    if (!tokenizeBytes(buf, start, end)) return EMPTY_RESULT;
    const k = this.groupTokens;
    if (tokCount <= k) return matchTokens(this.root);
    const prefixEnd = tokEnd[k - 1];
    const key = subjectHash(buf, start, prefixEnd) & KEY_MASK;
    const e = this.groups.get(key);
    if (e !== undefined && subjectEqualsBytes(e.prefix, buf, start, prefixEnd)) {
      srcBytes = null;
      this.lastGroup = e;
      return e.result;
    }
    nhits = 0;
    const tail = matchLevel(this.root, 0, k);
    const result = takeHits<T>();
    if (tail === 0) {
      if (this.groups.size >= GROUP_CACHE_MAX) this.groups.clear();
      const made = new GroupEntry(bytesToSubject(buf, start, prefixEnd), result);
      this.groups.set(key, made);
      this.lastGroup = made;
    }
    return result;
  }

  /**
   * Match the published subject buf[start, end) without the cache: neither looked up nor filled
   * (counted in numMatches, never a hit). For subjects used once, such as a request's reply
   * inbox: a cached entry would only evict reused ones. The result of the last one is kept for
   * the subjects that differ from it only in their last token, when no literal subscription
   * tells those apart (a client's replies: `_INBOX.<id>.*`), until the next insert or remove.
   */
  matchBytesOnce(buf: Uint8Array, start: number, end: number): SublistResult<T> {
    this.matches++;
    const n = this.onceLen;
    if (n > 0 && this.onceGen === this.genid && end - start > n) {
      const p = this.onceBuf;
      let i = 0;
      while (i < n && buf[start + i] === p[i]) i++;
      if (i === n) {
        // The kept prefix (its dot included), then one token.
        let j = start + n;
        while (j < end && buf[j] !== 0x2e) j++;
        if (j === end) return this.onceResult;
      }
    }
    if (!tokenizeBytes(buf, start, end)) return EMPTY_RESULT;
    nhits = 0;
    const last = tokCount - 1;
    const tail = matchLevel(this.root, 0, last);
    const prefixEnd = tokStart[last];
    const result = takeHits<T>();
    if ((tail & TAIL_LITERAL) === 0 && last > 0) {
      const len = prefixEnd - start;
      if (this.onceBuf.length < len) this.onceBuf = new Uint8Array(Math.max(64, 2 * len));
      const p = this.onceBuf;
      for (let i = 0; i < len; i++) p[i] = buf[start + i];
      this.onceLen = len;
      this.onceResult = result;
      this.onceGen = this.genid;
    }
    return result;
  }

  /** Whether buf[start, end) starts with the uncached prefix (there is one). */
  private isUncached(buf: Uint8Array, start: number, end: number): boolean {
    const pre = this.uncached;
    const n = pre.length;
    if (n === 0 || end - start < n) return false;
    for (let i = 0; i < n; i++) if (buf[start + i] !== pre[i]) return false;
    return true;
  }

  /**
   * Counts `n` more matches of the subject just matched, answered by that same result (a run
   * of publishes on one subject delivered together): the statistics stay per publish.
   */
  countRepeats(n: number): void {
    this.matches += n;
    if (this.cache !== null) this.cacheHits += n;
  }

  /**
   * Is there any subscription matching the published subject? Uses the cache when it holds the
   * subject, otherwise walks the trie and stops at the first hit; never fills the cache and is
   * not counted in numMatches.
   */
  hasInterest(subject: string): boolean {
    const cache = this.cache;
    if (cache !== null) {
      const e = cache.get(subjectHashString(subject) & KEY_MASK);
      if (e !== undefined && e.subject === subject) return e.result !== EMPTY_RESULT;
    }
    if (!tokenizeString(subject)) return false;
    const found = interestLevel(this.root, 0);
    srcString = '';
    return found;
  }

  /** Every subscription, in no particular order (a fresh array). */
  all(): T[] {
    const out: T[] = [];
    collectAll(this.root, out);
    return out;
  }

  /** Counters and cache fan-out figures with nats-server's Stats() meanings. */
  stats(): SublistStats {
    let tot = 0;
    let max = 0;
    let clen = 0;
    if (this.cache !== null) {
      for (const e of this.cache.values()) {
        clen++;
        const f = e.result.plain.length + e.result.queues.length;
        tot += f;
        if (f > max) max = f;
      }
    }
    return {
      numSubscriptions: this.subCount,
      numCache: clen,
      numInserts: this.inserts,
      numRemoves: this.removes,
      numMatches: this.matches,
      cacheHits: this.cacheHits,
      cacheHitRate: this.matches > 0 ? this.cacheHits / this.matches : 0,
      maxFanout: max,
      avgFanout: tot > 0 ? tot / clen : 0,
      totalFanout: tot,
    };
  }

  /** Depth of the trie (levels holding nodes); for tests of pruning. */
  numLevels(): number {
    return visitLevel(this.root, 0);
  }

  // --- internals ---------------------------------------------------------------------------

  private matchMiss(subject: string, key: number, store = true): SublistResult<T> {
    if (!tokenizeString(subject)) return EMPTY_RESULT; // empty token: matches nothing, not cached (as Go)
    const result = matchTokens(this.root);
    if (this.cache !== null && store && this.cacheAdmits(this.cache)) this.cacheStore(key, subject, result);
    return result;
  }

  /**
   * Whether a miss is stored. Below the sweep mark, always. Past it, one miss in ADMIT_EVERY:
   * with more subjects in rotation than the bound (a KV bucket's keys), each entry stored
   * evicts another that would have been hit about as often, and the store, eviction and
   * garbage cost more than the trie walks the entry saves (nats-server's 1024 entries do not
   * help there either). The hit rate stays what the bound allows; a subject published often
   * is still stored after a few of its misses (every ADMIT_EVERY-th miss is stored, whichever
   * subject it is), and a new working set still replaces an old one, ADMIT_EVERY times slower.
   */
  private cacheAdmits(cache: Map<number, CacheEntry<T>>): boolean {
    if (cache.size < this.sweepTo) return true;
    if (++this.skipped < ADMIT_EVERY) return false;
    this.skipped = 0;
    return true;
  }

  private cacheStore(key: number, subject: string, result: SublistResult<T>): void {
    const cache = this.cache as Map<number, CacheEntry<T>>;
    const e = cache.get(key);
    if (e !== undefined) {
      // Hash collision (or a stale entry for the same subject): the newcomer takes the slot.
      e.subject = subject;
      e.result = result;
      e.ref = false;
      return;
    }
    cache.set(key, new CacheEntry(key, subject, result));
    if (cache.size > this.cacheMax) this.sweep(cache);
  }

  /** CLOCK sweep down to sweepTo: referenced entries get a second chance (moved to the back). */
  private sweep(cache: Map<number, CacheEntry<T>>): void {
    // Map iteration visits entries re-inserted during the loop, so a second-chance entry is
    // seen again (unreferenced) after every older one: the loop ends within 2 * size steps.
    for (const e of cache.values()) {
      if (cache.size <= this.sweepTo) break;
      cache.delete(e.key);
      if (e.ref) {
        e.ref = false;
        cache.set(e.key, e);
      }
    }
  }

  /**
   * Update cached results the changed subscription matches (nats-server addToCache /
   * removeFromCache). A literal subscription matches only its own subject: one lookup. A
   * wildcard one is tested against every cached subject (at most cacheMax).
   */
  private patchCache(sub: T, added: boolean): void {
    const cache = this.cache;
    if (cache === null || cache.size === 0) return;
    const subject = sub.subject;
    if (subjectIsLiteral(subject)) {
      const e = cache.get(subjectHashString(subject) & KEY_MASK);
      if (e !== undefined && e.subject === subject) this.patchEntry(cache, e, sub, added);
      return;
    }
    // Testing every cached subject is linear in the cache: past a bound, start over instead.
    if (cache.size > SUBLIST_CACHE_PATCH_SCAN_MAX) {
      cache.clear();
      return;
    }
    for (const e of cache.values()) {
      if (matchLiteral(e.subject, subject)) this.patchEntry(cache, e, sub, added);
    }
  }

  private patchEntry(cache: Map<number, CacheEntry<T>>, e: CacheEntry<T>, sub: T, added: boolean): void {
    if (totalMembers(e.result) >= CACHE_PATCH_MAX) {
      cache.delete(e.key); // deleting the current entry during Map iteration is safe
      return;
    }
    e.result = added ? withSub(e.result, sub) : withoutSub(e.result, sub);
  }

  /** Trie removal with pruning, counters and generation; the caller handles the cache. */
  private removeNoCache(sub: T): boolean {
    const toks = subscribeTokens(sub.subject);
    if (toks === null) return false;
    const levels: Level<T>[] = [];
    const nodes: Node<T>[] = [];
    let l: Level<T> | null = this.root;
    let n: Node<T> | null = null;
    for (let i = 0; i < toks.length; i++) {
      if (l === null) return false;
      const t = toks[i];
      n = t === '*' ? l.pwc : t === '>' ? l.fwc : (l.nodes.get(t) ?? null);
      if (n === null) return false;
      levels.push(l);
      nodes.push(n);
      l = n.next;
    }
    const node = n as Node<T>;
    const queue = sub.queue;
    if (queue == null) {
      if (node.psubs === null || !node.psubs.delete(sub)) return false;
      node.changed();
      if (node.psubs.size === 0) node.psubs = null;
    } else {
      const members = node.qsubs !== null ? node.qsubs.get(queue) : undefined;
      if (members === undefined || !members.delete(sub)) return false;
      node.changed();
      if (members.size === 0) {
        const qs = node.qsubs as Map<string, Set<T>>;
        qs.delete(queue);
        if (qs.size === 0) node.qsubs = null;
      }
    }
    this.subCount--;
    this.removes++;
    this.genid++;
    for (let i = nodes.length - 1; i >= 0; i--) {
      const nd = nodes[i];
      if (!nd.isEmpty()) break; // an ancestor of a non-empty node is non-empty
      levels[i].prune(nd, toks[i]);
    }
    return true;
  }
}

function addAll<T>(n: Node<T>, out: T[]): void {
  if (n.psubs !== null) for (const s of n.psubs) out.push(s);
  if (n.qsubs !== null) for (const members of n.qsubs.values()) for (const s of members) out.push(s);
}

function collectAll<T>(l: Level<T>, out: T[]): void {
  for (const n of l.nodes.values()) {
    addAll(n, out);
    if (n.next !== null) collectAll(n.next, out);
  }
  for (const n of [l.pwc, l.fwc]) {
    if (n === null) continue;
    addAll(n, out);
    if (n.next !== null) collectAll(n.next, out);
  }
}

function visitLevel<T>(l: Level<T> | null, depth: number): number {
  if (l === null || l.numNodes() === 0) return depth;
  depth++;
  let max = depth;
  const visit = (n: Node<T> | null): void => {
    if (n === null) return;
    const d = visitLevel(n.next, depth);
    if (d > max) max = d;
  };
  for (const n of l.nodes.values()) visit(n);
  visit(l.pwc);
  visit(l.fwc);
  return max;
}
