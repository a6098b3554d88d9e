// Interest across routes, both directions.
//
// LocalInterest: nats-server's per-account route map (Account.rm, updateRouteSubscriptionMap).
// Local subscriptions are counted per account+subject (plain) and account+subject+queue; a
// plain key announces RS+ on 0→1 and RS- on 1→0, a queue key RS+ with the new weight on every
// change and RS- at 0. Additions are announced at once (a SUB followed by a request in the same
// read must reach the peer before the request's RMSG); removals are collected and announced at
// the end of the loop turn, so a closing connection with several members of a group sends one
// update, and an unsubscribe immediately followed by a subscribe sends nothing.
//
// RemoteInterest: one route's RS+ interest (nats-server's route client `subs` map), inserted
// into the account sublists as Subscriptions owned by the route; a queue RS+ of weight N is N
// entries, so a random pick over the sublist's group is weighted as nats-server's is.

import type { Account, RouteLink, Subscription } from '../accounts/account.js';

/** A remote queue weight above this is counted as this (a memory bound on the N entries). */
export const MAX_QUEUE_WEIGHT = 4096;

/** One local interest key, and what the routes were last told about it. */
export interface InterestEntry {
  readonly acc: Account;
  readonly subject: string;
  readonly queue: string | null;
  /** Local subscriptions counted under this key. */
  n: number;
  /** What the routes were told: 0 (nothing or RS-), 1 for plain RS+, the weight for queues. */
  sent: number;
  /** Waiting in the removal batch. */
  pending: boolean;
}

/** Receives the protocol lines of interest changes (the cluster sends them to every route). */
export interface InterestSink {
  announce(e: InterestEntry, line: string): void;
}

/** The line that tells a route about `e` now (null: nothing changed). Updates `e.sent`. */
function update(e: InterestEntry): string | null {
  const want = e.queue === null ? (e.n > 0 ? 1 : 0) : e.n;
  if (want === e.sent) return null;
  e.sent = want;
  return want === 0 ? unsubLine(e) : subLine(e, want);
}

/** `RS+ <account> <subject>[ <queue> <weight>]\r\n` (addRouteSubOrUnsubProtoToBuf). */
export function subLine(e: InterestEntry, weight: number): string {
  const q = e.queue === null ? '' : ` ${e.queue} ${weight}`;
  return `RS+ ${e.acc.name} ${e.subject}${q}\r\n`;
}

/** `RS- <account> <subject>[ <queue>]\r\n`. */
export function unsubLine(e: InterestEntry): string {
  const q = e.queue === null ? '' : ` ${e.queue}`;
  return `RS- ${e.acc.name} ${e.subject}${q}\r\n`;
}

export class LocalInterest {
  private readonly byAccount = new Map<Account, Map<string, InterestEntry>>();
  private readonly pending: InterestEntry[] = [];

  constructor(private readonly sink: InterestSink) {}

  /** A local subscription was added: counted, and announced at once when that changes anything. */
  add(acc: Account, sub: Subscription): void {
    let keys = this.byAccount.get(acc);
    if (keys === undefined) {
      keys = new Map();
      this.byAccount.set(acc, keys);
    }
    const key = sub.queue === null ? sub.subject : `${sub.subject} ${sub.queue}`;
    let e = keys.get(key);
    if (e === undefined) {
      e = { acc, subject: sub.subject, queue: sub.queue, n: 0, sent: 0, pending: false };
      keys.set(key, e);
    }
    e.n++;
    const line = update(e);
    if (line !== null) this.sink.announce(e, line);
  }

  /** A local subscription went away: counted now, announced by flushRemovals(). */
  remove(acc: Account, sub: Subscription): void {
    const key = sub.queue === null ? sub.subject : `${sub.subject} ${sub.queue}`;
    const e = this.byAccount.get(acc)?.get(key);
    if (e === undefined || e.n === 0) return;
    e.n--;
    if (!e.pending) {
      e.pending = true;
      this.pending.push(e);
    }
  }

  /** True when removals wait to be announced. */
  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Announces the removals collected since the last call (end of the loop turn). */
  flushRemovals(): void {
    const list = this.pending;
    for (let i = 0; i < list.length; i++) {
      const e = list[i];
      e.pending = false;
      const line = update(e);
      if (e.n === 0) this.forget(e);
      if (line !== null) this.sink.announce(e, line);
    }
    list.length = 0;
  }

  private forget(e: InterestEntry): void {
    const keys = this.byAccount.get(e.acc);
    if (keys === undefined) return;
    keys.delete(e.queue === null ? e.subject : `${e.subject} ${e.queue}`);
    if (keys.size === 0) this.byAccount.delete(e.acc);
  }

  /** Every key with local interest, as told to the routes (for a new route: sendSubsToRoute). */
  *entries(): Iterable<InterestEntry> {
    for (const keys of this.byAccount.values()) {
      for (const e of keys.values()) if (e.sent > 0) yield e;
    }
  }
}

/** One RS+ key of a route: its account and the sublist entries standing for it. */
export interface RemoteSub {
  readonly acc: Account;
  readonly key: string;
  readonly subject: string;
  readonly queue: string | null;
  /** Plain: one entry. Queue: `weight` entries (capped at MAX_QUEUE_WEIGHT). */
  readonly entries: Subscription[];
  /** The weight the peer announced (uncapped). */
  weight: number;
}

/** Told of each sublist entry a route's interest adds or removes (the leaf nodes pass it on). */
export type RemoteInterestListener = (acc: Account, sub: Subscription, added: boolean) => void;

/** A route's remote interest. All sublist changes for the route go through here. */
export class RemoteInterest {
  readonly subs = new Map<string, RemoteSub>();

  constructor(
    private readonly route: RouteLink,
    private readonly changed: RemoteInterestListener | null = null,
  ) {}

  private tell(acc: Account, subs: readonly Subscription[], added: boolean): void {
    const f = this.changed;
    if (f !== null) for (const sub of subs) f(acc, sub, added);
  }

  /**
   * RS+ / LS+: inserts the key, or for a queue key already known, sets its new weight.
   * Returns false when the sublist refuses the subject (invalid).
   */
  add(acc: Account, key: string, subject: string, queue: string | null, weight: number): boolean {
    const old = this.subs.get(key);
    if (old !== undefined) {
      if (queue !== null) this.reweigh(old, weight);
      return true;
    }
    const rs: RemoteSub = { acc, key, subject, queue, entries: [], weight: 0 };
    const sidBytes = Buffer.from(key, 'latin1');
    const first = this.entry(rs, sidBytes);
    if (!acc.sublist.insert(first)) return false;
    rs.entries.push(first);
    rs.weight = 1;
    this.tell(acc, rs.entries, true);
    this.subs.set(key, rs);
    if (queue !== null) this.reweigh(rs, weight);
    return true;
  }

  /** RS- / LS-: removes the key's entries. */
  remove(key: string): void {
    const rs = this.subs.get(key);
    if (rs === undefined) return;
    this.subs.delete(key);
    for (const sub of rs.entries) sub.closed = true;
    rs.acc.sublist.removeBatch(rs.entries);
    this.tell(rs.acc, rs.entries, false);
  }

  /** Removes every key `drop` picks (the cluster permissions were reloaded). */
  removeWhere(drop: (rs: RemoteSub) => boolean): void {
    for (const rs of [...this.subs.values()]) if (drop(rs)) this.remove(rs.key);
  }

  /** The route closed: every entry leaves its sublist, one batch per account. */
  clear(): void {
    const byAcc = new Map<Account, Subscription[]>();
    for (const rs of this.subs.values()) {
      let list = byAcc.get(rs.acc);
      if (list === undefined) {
        list = [];
        byAcc.set(rs.acc, list);
      }
      for (const sub of rs.entries) {
        sub.closed = true;
        list.push(sub);
      }
    }
    this.subs.clear();
    for (const [acc, list] of byAcc) {
      acc.sublist.removeBatch(list);
      this.tell(acc, list, false);
    }
  }

  private reweigh(rs: RemoteSub, weight: number): void {
    rs.weight = weight;
    const want = Math.max(1, Math.min(weight, MAX_QUEUE_WEIGHT));
    const entries = rs.entries;
    const sl = rs.acc.sublist;
    if (entries.length < want) {
      const sidBytes = entries[0].sidBytes;
      while (entries.length < want) {
        const sub = this.entry(rs, sidBytes);
        sl.insert(sub);
        entries.push(sub);
        this.tell(rs.acc, [sub], true);
      }
    } else if (entries.length > want) {
      const gone = entries.splice(want);
      for (const sub of gone) sub.closed = true;
      sl.removeBatch(gone);
      this.tell(rs.acc, gone, false);
    }
  }

  private entry(rs: RemoteSub, sidBytes: Buffer): Subscription {
    return {
      subject: rs.subject,
      queue: rs.queue,
      sid: rs.key,
      sidBytes,
      client: null,
      route: this.route,
      internal: null,
      max: 0,
      nm: 0,
      closed: false,
    };
  }
}
