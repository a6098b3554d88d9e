// /subsz (alias /subscriptionsz): subject registry statistics and, on request, the
// subscriptions themselves, as nats-server 2.9.10's Server.Subsz. Reads, never writes.

import type { Server } from '../server/server.js';
import { isValidLiteralSubject, matchLiteral } from '../subjects/subject.js';
import { subDetail, type SubDetail } from './client-view.js';
import { MonitorError } from './monitor-error.js';
import { goTime } from './go-format.js';

/** nats-server's DefaultSubListSize. */
export const DEFAULT_SUB_LIST_SIZE = 1024;

/** nats-server's SubszOptions. */
export interface SubszOptions {
  /** subs: list the subscriptions. */
  subscriptions?: boolean;
  offset?: number;
  /** <= 0 = DEFAULT_SUB_LIST_SIZE */
  limit?: number;
  /** acc: only this account. */
  account?: string;
  /** Only subscriptions a message published to this literal subject would reach. */
  test?: string;
}

/** nats-server's SublistStats JSON. */
export interface SublistStatsJson {
  num_subscriptions: number;
  num_cache: number;
  num_inserts: number;
  num_removes: number;
  num_matches: number;
  cache_hit_rate: number;
  max_fanout: number;
  avg_fanout: number;
}

export interface Subsz extends SublistStatsJson {
  server_id: string;
  now: string;
  /** Quirk kept: the number of entries returned (after offset/limit), not of matches. */
  total: number;
  offset: number;
  limit: number;
  subscriptions_list?: SubDetail[];
}

const ZERO_STATS: SublistStatsJson = {
  num_subscriptions: 0,
  num_cache: 0,
  num_inserts: 0,
  num_removes: 0,
  num_matches: 0,
  cache_hit_rate: 0,
  max_fanout: 0,
  avg_fanout: 0,
};

/**
 * A /subsz snapshot. Over HTTP nats-server prints only the statistics (the SublistStats part)
 * when no subscription is listed; `subszBody` does that. Throws MonitorError for an invalid
 * `test` subject.
 */
export function subsz(server: Server, opts: SubszOptions = {}): Subsz {
  const offset = Math.max(0, opts.offset ?? 0);
  let limit = opts.limit ?? 0;
  if (limit <= 0) limit = DEFAULT_SUB_LIST_SIZE;
  // URL text is UTF-8; subjects are kept as byte strings.
  const test = opts.test ? Buffer.from(opts.test, 'utf8').toString('latin1') : '';
  if (test !== '' && !isValidLiteralSubject(test)) {
    throw new MonitorError(`invalid test subject, must be valid publish subject: ${opts.test}`);
  }
  const acc = opts.account ?? '';
  const accounts = [...server.accounts.values()].filter((a) => acc === '' || a.name === acc);
  let stats = ZERO_STATS;
  if (accounts.length > 0) {
    let tot = 0;
    let cacheCnt = 0;
    let hits = 0;
    const sum = { ...ZERO_STATS };
    for (const a of accounts) {
      const st = a.sublist.stats();
      sum.num_subscriptions += st.numSubscriptions;
      sum.num_cache += st.numCache;
      sum.num_inserts += st.numInserts;
      sum.num_removes += st.numRemoves;
      sum.num_matches += st.numMatches;
      sum.max_fanout = Math.max(sum.max_fanout, st.maxFanout);
      hits += st.cacheHits;
      tot += st.totalFanout;
      cacheCnt += st.numCache;
    }
    // nats-server SublistStats.add: rates from the summed counts.
    sum.cache_hit_rate = sum.num_matches > 0 ? hits / sum.num_matches : 0;
    sum.avg_fanout = tot > 0 ? tot / cacheCnt : 0;
    stats = sum;
  }
  const out: Subsz = { server_id: server.id, now: goTime(Date.now(), true), ...stats, total: 0, offset, limit };
  if (opts.subscriptions === true) {
    const details: SubDetail[] = [];
    for (const a of accounts) {
      for (const sub of a.sublist.all()) {
        if (sub.closed || sub.client === null) continue;
        if (test !== '' && !matchLiteral(test, sub.subject)) continue;
        details.push(subDetail(sub, true));
      }
    }
    const list = details.slice(Math.min(offset, details.length), Math.min(offset + limit, details.length));
    if (list.length > 0) out.subscriptions_list = list;
    out.total = list.length;
  }
  return out;
}

/** What HTTP /subsz prints: the whole Subsz when it lists subscriptions, else the statistics. */
export function subszBody(s: Subsz): Subsz | SublistStatsJson {
  if (s.subscriptions_list !== undefined && s.subscriptions_list.length > 0) return s;
  return {
    num_subscriptions: s.num_subscriptions,
    num_cache: s.num_cache,
    num_inserts: s.num_inserts,
    num_removes: s.num_removes,
    num_matches: s.num_matches,
    cache_hit_rate: s.cache_hit_rate,
    max_fanout: s.max_fanout,
    avg_fanout: s.avg_fanout,
  };
}
