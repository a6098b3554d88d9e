// /accountz and /accstatz, as nats-server 2.9.10's Server.Accountz, accountInfo and
// AccountStatz (server/monitor.go): the registered accounts, one account's details (its
// imports and exports, connections, subscriptions, JWT), and per-account connection and traffic
// statistics. Reads, never writes.

import type { Account } from '../accounts/account.js';
import type { ExportConfig, ImportConfig } from '../config/types.js';
import type { Server } from '../server/server.js';
import { goTime } from './go-format.js';
import { MonitorError } from './monitor-error.js';

export interface Accountz {
  server_id: string;
  now: string;
  system_account?: string;
  accounts?: string[];
  account_detail?: Record<string, unknown>;
}

/** nats-server AccountStat. */
export interface AccountStatJson {
  acc: string;
  conns: number;
  leafnodes: number;
  total_conns: number;
  sent: { msgs: number; bytes: number };
  received: { msgs: number; bytes: number };
  slow_consumers: number;
}

export interface AccountStatz {
  server_id: string;
  now: string;
  account_statz: AccountStatJson[];
}

/** nats-server SublistStats JSON of one account. */
function sublistStats(a: Account): Record<string, number> {
  const st = a.sublist.stats();
  return {
    num_subscriptions: st.numSubscriptions,
    num_cache: st.numCache,
    num_inserts: st.numInserts,
    num_removes: st.numRemoves,
    num_matches: st.numMatches,
    cache_hit_rate: st.numMatches > 0 ? st.cacheHits / st.numMatches : 0,
    max_fanout: st.maxFanout,
    avg_fanout: st.numCache > 0 ? st.totalFanout / st.numCache : 0,
  };
}

/** The clients bound to `a` on this server (nats-server numLocalConnections). */
export function localConnections(server: Server, a: Account): number {
  let n = 0;
  for (const c of server.clients.values()) if (c.acc === a && !c.closed) n++;
  return n;
}

/** The leaf connections bound to `a` on this server, both roles (nats-server numLocalLeafNodes). */
export function localLeafNodes(server: Server, a: Account): number {
  let n = 0;
  for (const l of server.leafnodes?.leafs() ?? []) if (l.account === a.name) n++;
  return n;
}

/** nats-server Account.statz. */
export function accountStat(server: Server, a: Account): AccountStatJson {
  const conns = localConnections(server, a);
  const leafnodes = localLeafNodes(server, a);
  return {
    acc: a.name,
    conns,
    leafnodes,
    total_conns: conns + leafnodes,
    sent: { msgs: a.outMsgs, bytes: a.outBytes },
    received: { msgs: a.inMsgs, bytes: a.inBytes },
    slow_consumers: a.slowConsumers,
  };
}

/** nats-server AccountStatz: the named accounts (all when none), those without connections only with `unused`. */
export function accstatz(server: Server, accounts: readonly string[], unused: boolean): AccountStatz {
  const list: AccountStatJson[] = [];
  const names = accounts.length > 0 ? accounts : [...server.accounts.keys()];
  for (const name of names) {
    const a = server.accounts.get(name);
    if (a === undefined) continue;
    const st = accountStat(server, a);
    if (unused || st.conns !== 0) list.push(st);
  }
  return { server_id: server.id, now: goTime(Date.now(), true), account_statz: list };
}

/** The exports and imports the account was configured with (the accounts block, or its JWT). */
function accountGraph(server: Server, name: string): { exports: ExportConfig[]; imports: ImportConfig[] } {
  const cfg = server.opts.accounts.find((a) => a.name === name);
  if (cfg !== undefined) return cfg;
  const ja = server.operator?.accounts.get(name);
  if (ja === undefined) return { exports: [], imports: [] };
  const nats = ja.claims.nats;
  return {
    exports: (nats.exports ?? []).map((e) => ({
      kind: e.type,
      subject: e.subject,
      accounts: e.token_req === true ? [] : null,
      responseType: e.response_type === 'Stream' ? 'stream' : e.response_type === 'Chunked' ? 'chunked' : 'singleton',
      responseThresholdMs: 0,
    })),
    imports: (nats.imports ?? []).map((i) =>
      i.type === 'stream'
        ? { kind: 'stream', account: i.account, subject: i.subject, to: i.local_subject ?? '', prefix: i.local_subject ? '' : (i.to ?? '') }
        : { kind: 'service', account: i.account, subject: i.subject, to: i.local_subject ?? '', prefix: '' },
    ),
  };
}

/** nats-server's ResponseType names. */
const RESPONSE_TYPE = { singleton: 'Singleton', stream: 'Stream', chunked: 'Chunked' } as const;

/** The system account's service exports (nats-server addSystemAccountExports). */
const SYSTEM_EXPORTS = [
  { subject: '$SYS.REQ.ACCOUNT.*.CONNZ', type: 'service', response_type: 'Stream', account_token_position: 4 },
  { subject: '$SYS.REQ.ACCOUNT.*.STATZ', type: 'service', response_type: 'Stream', account_token_position: 4 },
];

/** The system imports every other account has (nats-server registerSystemImports). */
function systemImports(sys: string, acc: string): Record<string, unknown>[] {
  const imp = (subject: string, to: string): Record<string, unknown> => ({
    subject,
    account: sys,
    to,
    type: 'service',
    invalid: false,
    share: false,
    tracking: false,
  });
  return [
    imp('$SYS.REQ.ACCOUNT.PING.CONNZ', `$SYS.REQ.ACCOUNT.${acc}.CONNZ`),
    imp('$SYS.REQ.SERVER.PING.CONNZ', `$SYS.REQ.ACCOUNT.${acc}.CONNZ`),
    imp('$SYS.REQ.ACCOUNT.PING.STATZ', `$SYS.REQ.ACCOUNT.${acc}.STATZ`),
  ];
}

/** The subject a stream import delivers under (nats-server's streamImport `to`). */
function streamTo(i: ImportConfig): string {
  if (i.to !== '') return i.to;
  if (i.prefix !== '') return i.prefix.endsWith('.') ? i.prefix + i.subject : `${i.prefix}.${i.subject}`;
  return '';
}

/** nats-server accountInfo; throws MonitorError(`Account <name> does not exist`). */
export function accountInfo(server: Server, name: string): Record<string, unknown> {
  const a = server.accounts.get(name);
  if (a === undefined) throw new MonitorError(`Account ${name} does not exist`);
  const sysName = server.systemAccount?.name ?? '';
  const isSys = sysName !== '' && sysName === name;
  const graph = accountGraph(server, name);
  const exports: Record<string, unknown>[] = isSys ? [...SYSTEM_EXPORTS] : [];
  for (const e of graph.exports) {
    exports.push({
      subject: e.subject,
      type: e.kind,
      ...(e.accounts !== null && e.accounts.length === 0 ? { token_req: true } : {}),
      ...(e.kind === 'service' ? { response_type: RESPONSE_TYPE[e.responseType] } : {}),
      ...(e.accounts !== null && e.accounts.length > 0 ? { approved_accounts: [...e.accounts] } : {}),
    });
  }
  const imports: Record<string, unknown>[] = [];
  for (const i of graph.imports) {
    if (i.kind === 'stream') {
      const to = streamTo(i);
      imports.push({ subject: i.subject, account: i.account, ...(to !== '' ? { local_subject: to } : {}), type: 'stream', invalid: false, share: false, tracking: false });
    } else {
      imports.push({ subject: i.to || i.subject, account: i.account, to: i.subject, type: 'service', invalid: false, share: false, tracking: false });
    }
  }
  if (sysName !== '' && !isSys) imports.push(...systemImports(sysName, name));
  const ja = server.operator?.accounts.get(name);
  const jwt = ja?.jwt ?? '';
  const revoked = ja?.claims.nats.revocations ?? {};
  const revokedKeys = Object.keys(revoked);
  return {
    account_name: name,
    update_time: goTime(a.updated, true),
    ...(isSys ? { is_system: true } : {}),
    expired: a.expiresAt !== 0 && a.expiresAt <= Date.now(),
    complete: true,
    jetstream_enabled: server.jetstream?.enabledFor(a) ?? false,
    leafnode_connections: localLeafNodes(server, a),
    client_connections: localConnections(server, a),
    subscriptions: a.sublist.count(),
    ...(a.mappings !== null ? { mappings: a.mappings.extMap() } : {}),
    ...(exports.length > 0 ? { exports } : {}),
    ...(imports.length > 0 ? { imports } : {}),
    ...(jwt !== '' ? { jwt, issuer_key: ja!.issuer } : {}),
    ...(ja?.claims.name ? { name_tag: ja.claims.name } : {}),
    ...(ja !== undefined && (ja.claims.nats.tags ?? []).length > 0 ? { tags: ja.claims.nats.tags } : {}),
    ...(ja !== undefined && ja.jwt !== '' ? { decoded_jwt: ja.claims } : {}),
    ...(revokedKeys.length > 0 ? { revoked_user: Object.fromEntries(revokedKeys.map((k) => [k, goTime(revoked[k]! * 1000)])) } : {}),
    sublist_stats: sublistStats(a),
  };
}

/** nats-server Accountz: the account names, or with `acc` that account's details. */
export function accountz(server: Server, acc: string): Accountz {
  const sys = server.systemAccount?.name ?? '';
  const base: Accountz = { server_id: server.id, now: goTime(Date.now(), true), ...(sys !== '' ? { system_account: sys } : {}) };
  if (acc === '') return { ...base, accounts: [...server.accounts.keys()] };
  return { ...base, account_detail: accountInfo(server, acc) };
}
