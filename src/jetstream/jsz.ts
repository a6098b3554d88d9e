// The read-only snapshot behind /jsz and the /varz jetstream block (nats-server's Jsz,
// accountDetail and usageStats in monitor.go and jetstream.go): configuration, usage, and per
// account its streams (StreamDetail) and their consumers, as plain values in nats-server's
// field order. The monitor adds server_id and now and prints it; nothing here changes state.

import type { AccountDetailJson, JetStreamConfigJson, JetStreamStatsJson, JszOptions, JszSnapshot } from './host.js';
import type { JetStreamManager, JsAccount } from './jetstream.js';
import { jsonTime, renderStreamConfig } from './json.js';
import type { Stream } from './stream.js';
import type { Consumer } from './consumer.js';

/** nats-server's default /jsz limit (accounts). */
const DEFAULT_LIMIT = 1024;

function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The JetStream-enabled accounts, sorted by name. */
function enabledAccounts(js: JetStreamManager): JsAccount[] {
  return [...js.accounts.values()].filter((a) => a.enabled).sort((a, b) => byName(a.account, b.account));
}

function configJson(js: JetStreamManager): JetStreamConfigJson {
  const c = js.config;
  return { max_memory: c.maxMemory, max_storage: c.maxStore, store_dir: c.storeDir, ...(c.domain !== '' ? { domain: c.domain } : {}) };
}

/** usageStats: server-wide usage, the max_bytes reservations, the enabled accounts and the API counters. */
function usageStats(js: JetStreamManager, accounts: JsAccount[]): JetStreamStatsJson {
  let memReserved = 0;
  let storeReserved = 0;
  for (const jsa of accounts) {
    for (const s of jsa.streams.values()) {
      if (s.cfg.max_bytes <= 0) continue;
      if (s.cfg.storage === 'memory') memReserved += s.cfg.max_bytes * s.cfg.num_replicas;
      else storeReserved += s.cfg.max_bytes * s.cfg.num_replicas;
    }
  }
  return {
    memory: js.used('memory'),
    storage: js.used('file'),
    reserved_memory: memReserved,
    reserved_storage: storeReserved,
    accounts: accounts.length,
    ha_assets: 0,
    api: { total: js.apiTotal, errors: js.apiErrors },
  };
}

/** nats-server's StreamDetail. */
function streamDetail(js: JetStreamManager, stream: Stream, opts: JszOptions): Record<string, unknown> {
  const cluster = js.host.opts.cluster?.name ?? '';
  const d: Record<string, unknown> = {
    name: stream.name,
    created: JSON.parse(jsonTime(stream.created)) as string,
    cluster: { ...(cluster !== '' ? { name: cluster } : {}), leader: js.host.serverName },
  };
  if (opts.config) d.config = JSON.parse(renderStreamConfig(stream.cfg));
  d.state = JSON.parse(stream.renderState(false, null));
  if (opts.consumers) {
    const list = ([...stream.consumers.values()] as Consumer[]).map((c) => {
      const info = JSON.parse(`{${c.renderInfo()}}`) as Record<string, unknown>;
      if (!opts.config) delete info.config;
      return info;
    });
    if (list.length > 0) d.consumer_detail = list;
  }
  const sourcing = stream.renderSourcing();
  if (sourcing !== '') Object.assign(d, JSON.parse(`{${sourcing.slice(1)}}`));
  return d;
}

/** nats-server's accountDetail. */
function accountDetail(js: JetStreamManager, jsa: JsAccount, opts: JszOptions): AccountDetailJson {
  const l = jsa.limits!;
  const d: AccountDetailJson = {
    name: jsa.account.name,
    id: jsa.account.name,
    memory: jsa.used('memory'),
    storage: jsa.used('file'),
    reserved_memory: l.maxMemory,
    reserved_storage: l.maxStore,
    accounts: 0,
    ha_assets: 0,
    api: { total: jsa.apiTotal, errors: jsa.apiErrors },
  };
  if (opts.streams && jsa.streams.size > 0) {
    d.stream_detail = [...jsa.streams.values()].sort(byName).map((s) => streamDetail(js, s, opts));
  }
  return d;
}

/** nats-server's Jsz for one server: totals over every enabled account, details as asked. */
export function jszSnapshot(js: JetStreamManager, o: JszOptions): JszSnapshot {
  const opts = { ...o, limit: o.limit === 0 ? DEFAULT_LIMIT : o.limit };
  if (opts.consumers) opts.streams = true;
  if (opts.streams) opts.accounts = true;
  const all = enabledAccounts(js);
  const snap: JszSnapshot = { config: configJson(js), stats: usageStats(js, all), streams: 0, consumers: 0, messages: 0, bytes: 0 };
  for (const jsa of all) {
    for (const s of jsa.streams.values()) {
      const st = s.store.state();
      snap.streams++;
      snap.messages += st.msgs;
      snap.bytes += st.bytes;
      snap.consumers += s.consumers.size;
    }
  }
  let chosen: JsAccount[] = [];
  const named = all.find((a) => a.account.name === opts.account);
  if (named !== undefined) chosen = [named];
  else if (opts.accounts) {
    chosen = opts.offset > all.length ? [] : all.slice(Math.max(0, opts.offset));
    if (opts.limit > 0 && opts.limit < chosen.length) chosen = chosen.slice(0, opts.limit);
  }
  if (chosen.length > 0) snap.account_details = chosen.map((jsa) => accountDetail(js, jsa, opts));
  return snap;
}
