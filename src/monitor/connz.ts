// /connz: open and recently closed client connections, as nats-server 2.9.10's Server.Connz
// (server/monitor.go, monitor_sort_opts.go): its filters, its sort orders and their rules, its
// pagination and its quirks (listed where they are kept). Reads, never writes.

import type { Client } from '../client/client.js';
import type { Server } from '../server/server.js';
import { GLOBAL_ACCOUNT, accountOf, authorizedUserOf, subDetail, userNameOf, type SubDetail } from './client-view.js';
import { byteString, goDuration, goTime, goUptime } from './go-format.js';
import { MonitorError } from './monitor-error.js';

/** nats-server's DefaultConnListSize. */
export const DEFAULT_CONN_LIST_SIZE = 1024;

export const CONNZ_SORTS = [
  'cid', 'start', 'subs', 'pending', 'msgs_to', 'msgs_from', 'bytes_to', 'bytes_from',
  'last', 'idle', 'uptime', 'stop', 'reason',
] as const;
export type ConnzSort = (typeof CONNZ_SORTS)[number];
export type ConnState = 'open' | 'closed' | 'any';

/** nats-server's ConnzOptions (JSON names in the comments). */
export interface ConnzOptions {
  /** sort; '' = cid. cid, start, uptime and reason ascend, the others descend (as nats-server). */
  sort?: string;
  /** auth: include authorized_user and account. */
  auth?: boolean;
  /** subscriptions: include subscriptions_list. */
  subscriptions?: boolean;
  /** subscriptions_detail: include subscriptions_list_detail. */
  subscriptionsDetail?: boolean;
  offset?: number;
  /** <= 0 = DEFAULT_CONN_LIST_SIZE */
  limit?: number;
  /** Only this connection (0 = any). */
  cid?: number;
  /** mqtt_client: tsnats has no MQTT clients, so any value matches nothing. */
  mqttClient?: string;
  state?: ConnState;
  user?: string;
  /** acc */
  account?: string;
}

/** nats-server's ConnInfo, with the fields tsnats can fill. */
export interface ConnInfo {
  cid: number;
  kind: 'Client';
  /** `nats` over TCP, `websocket` over WebSocket. */
  type: 'nats' | 'websocket';
  ip: string;
  port: number;
  start: string;
  last_activity: string;
  stop?: string;
  reason?: string;
  rtt: string;
  uptime: string;
  idle: string;
  pending_bytes: number;
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
  subscriptions: number;
  name?: string;
  lang?: string;
  version?: string;
  authorized_user?: string;
  account?: string;
  subscriptions_list?: string[];
  subscriptions_list_detail?: SubDetail[];
}

export interface Connz {
  server_id: string;
  now: string;
  num_connections: number;
  total: number;
  offset: number;
  limit: number;
  /** null only when the `account` filter names an unknown account (as nats-server). */
  connections: ConnInfo[] | null;
}

/** A ConnInfo with the raw values the sort orders compare. */
interface Row {
  info: ConnInfo;
  cid: number;
  start: number;
  last: number;
  stop: number; // 0 = open
}

/** nats-server Client.getRTT: sub-millisecond values truncated to microseconds. */
export function rttString(rttMs: number): string {
  let ns = Math.round(rttMs * 1e6);
  if (ns > 1e3 && ns < 1e6) ns = Math.floor(ns / 1e3) * 1e3;
  return goDuration(ns);
}

/** nats-server ConnInfo.fill (+ the closed-client fields of saveClosedClient). */
function connInfo(c: Client, now: number): ConnInfo {
  const closed = c.closed;
  const at = closed ? c.stop : now;
  const o = c.opts;
  return {
    cid: c.cid,
    kind: 'Client',
    type: c.kind === 'websocket' ? 'websocket' : 'nats',
    ip: c.port !== 0 ? c.ip : '',
    port: c.port,
    start: goTime(c.start),
    last_activity: goTime(c.last),
    ...(closed ? { stop: goTime(c.stop, true), reason: c.closeReason } : {}),
    rtt: rttString(c.rtt),
    uptime: goUptime(at - c.start),
    idle: goUptime(at - c.last),
    // A closed connection's output is flushed or discarded: nothing is pending any more.
    pending_bytes: closed ? 0 : c.pendingBytes(),
    in_msgs: c.inMsgs,
    out_msgs: c.outMsgs,
    in_bytes: c.inBytes,
    out_bytes: c.outBytes,
    subscriptions: c.subs.size,
    ...(o.name ? { name: o.name } : {}),
    ...(o.lang ? { lang: o.lang } : {}),
    ...(o.version ? { version: o.version } : {}),
  };
}

/** Accounts that exist: the global one, the configured ones and any an embedder named. */
function accountExists(server: Server, name: string): boolean {
  return server.accounts.has(name);
}

/** The account a closed connection remembers: '' for the global account (nats-server cc.acc). */
function closedAccount(c: Client): string {
  const a = accountOf(c);
  return a === GLOBAL_ACCOUNT ? '' : a;
}

/** A /connz snapshot. Throws MonitorError for the requests nats-server rejects. */
export function connz(server: Server, opts: ConnzOptions = {}): Connz {
  const sort = opts.sort || 'cid';
  if (!(CONNZ_SORTS as readonly string[]).includes(sort)) throw new MonitorError(`invalid sorting option: ${sort}`);
  const auth = opts.auth === true;
  const subs = opts.subscriptions === true;
  const subsDet = opts.subscriptionsDetail === true;
  const user = opts.user ?? '';
  const acc = opts.account ?? '';
  const mqttCID = opts.mqttClient ?? '';
  const offset = Math.max(0, opts.offset ?? 0);
  let limit = opts.limit ?? 0;
  if (limit <= 0) limit = DEFAULT_CONN_LIST_SIZE;
  const state: ConnState = opts.state ?? 'open';
  if (sort === 'stop' && state !== 'closed') throw new MonitorError('sort by stop only valid on closed connections');
  if (sort === 'reason' && state !== 'closed') throw new MonitorError('sort by reason only valid on closed connections');
  const cid = opts.cid ?? 0;
  if (cid > 0) limit = 1;

  const nowMs = Date.now();
  const now = goTime(nowMs, true);
  // Quirk kept: an unknown account answers with no server id and a null list.
  if (acc !== '' && !accountExists(server, acc)) {
    return { server_id: '', now, num_connections: 0, total: 0, offset, limit, connections: null };
  }

  const clist = acc === '' ? [...server.clients.values()] : [...server.clients.values()].filter((c) => accountOf(c) === acc);
  let closedList: Client[] = [];
  let total = 0;
  if (state === 'open' || state === 'any') total += clist.length;
  if (state === 'closed' || state === 'any') {
    closedList = server.closedClients.slice();
    total += closedList.length;
  }
  if (acc !== '' && closedList.length > 0) {
    // Quirk kept: closed connections of the global account remember '' and so never match.
    const kept = closedList.filter((c) => closedAccount(c) === acc);
    total -= closedList.length - kept.length;
    closedList = kept;
  }

  let openList: Client[] = [];
  if (cid > 0) {
    // Quirk kept: with state=any only the closed connections are searched.
    if (state === 'closed' || state === 'any') {
      const hit = closedList.find((c) => c.cid === cid);
      closedList = hit ? [hit] : [];
    } else {
      const hit = server.clients.get(cid);
      if (hit) openList.push(hit);
    }
  } else if (state === 'open' || state === 'any') {
    openList = clist.filter((c) => (user === '' || userNameOf(c) === user) && mqttCID === '');
  }

  const rows: Row[] = [];
  for (const c of openList) rows.push(row(c, nowMs, auth, subs, subsDet, false));
  for (const c of closedList) {
    if (user !== '' && userNameOf(c) !== user) continue;
    if (mqttCID !== '') continue;
    rows.push(row(c, nowMs, auth, subs, subsDet, true));
  }
  // nats-server collects from a map (random order) and sorts unstably; tsnats starts from cid
  // order and sorts stably, so ties come out by cid.
  rows.sort((a, b) => a.cid - b.cid);
  sortRows(rows, sort as ConnzSort, nowMs);

  const lo = Math.min(offset, rows.length);
  const hi = Math.min(offset + limit, rows.length);
  const connections = rows.slice(lo, hi).map((r) => r.info);
  return { server_id: server.id, now, num_connections: connections.length, total, offset, limit, connections };
}

function row(c: Client, now: number, auth: boolean, subs: boolean, subsDet: boolean, closed: boolean): Row {
  const info = connInfo(c, now);
  // Field order is nats-server's: authorized_user and account come before the lists.
  if (auth) {
    const u = closed ? userNameOf(c) : authorizedUserOf(c);
    if (u) info.authorized_user = u;
    const a = accountOf(c);
    if (a !== GLOBAL_ACCOUNT) info.account = a;
  }
  if (c.subs.size > 0) {
    if (subsDet) info.subscriptions_list_detail = [...c.subs.values()].map((s) => subDetail(s, closed));
    else if (subs) info.subscriptions_list = [...c.subs.values()].map((s) => byteString(s.subject));
  }
  return { info, cid: c.cid, start: c.start, last: c.last, stop: closed ? c.stop : 0 };
}

/** nats-server's sort orders: cid, start, uptime and reason ascend, the others descend. */
function sortRows(rows: Row[], sort: ConnzSort, now: number): void {
  const desc = (key: (r: Row) => number) => rows.sort((a, b) => key(b) - key(a));
  switch (sort) {
    case 'cid':
    case 'start':
      return;
    case 'subs':
      desc((r) => r.info.subscriptions);
      return;
    case 'pending':
      desc((r) => r.info.pending_bytes);
      return;
    case 'msgs_to':
      desc((r) => r.info.out_msgs);
      return;
    case 'msgs_from':
      desc((r) => r.info.in_msgs);
      return;
    case 'bytes_to':
      desc((r) => r.info.out_bytes);
      return;
    case 'bytes_from':
      desc((r) => r.info.in_bytes);
      return;
    case 'last':
      desc((r) => r.last);
      return;
    case 'idle':
      // As nats-server's byIdle: by last activity minus start, largest first.
      desc((r) => r.last - r.start);
      return;
    case 'uptime': {
      const up = (r: Row) => (r.stop === 0 ? now : r.stop) - r.start;
      rows.sort((a, b) => up(a) - up(b));
      return;
    }
    case 'stop':
      desc((r) => r.stop);
      return;
    case 'reason':
      rows.sort((a, b) => {
        const x = a.info.reason ?? '';
        const y = b.info.reason ?? '';
        return x < y ? -1 : x > y ? 1 : 0;
      });
      return;
  }
}
