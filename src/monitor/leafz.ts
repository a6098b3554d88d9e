// /leafz: the leaf node connections, as nats-server 2.9.10's Server.Leafz (monitor.go): one
// entry per registered leaf connection (both roles), with its account, address, round trip time,
// traffic and interest; `?subs=1` lists the interest's subjects, `?acc=` keeps one account's.

import type { Server } from '../server/server.js';
import { rttString } from './connz.js';
import { goTime } from './go-format.js';

/** nats-server's LeafInfo. */
export interface LeafInfo {
  account: string;
  ip: string;
  port: number;
  rtt?: string;
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
  subscriptions: number;
  subscriptions_list?: string[];
}

export interface Leafz {
  server_id: string;
  now: string;
  leafnodes: number;
  leafs: LeafInfo[];
}

export interface LeafzOptions {
  subs?: boolean;
  /** Only this account's leaf connections ('' = all). */
  account?: string;
}

export function leafz(server: Server, opts: LeafzOptions = {}): Leafz {
  const all = server.leafnodes?.leafs() ?? [];
  const leafs = all
    .filter((l) => !opts.account || l.account === opts.account)
    .sort((a, b) => a.cid - b.cid)
    .map(
      (l): LeafInfo => ({
        account: l.account,
        ip: l.ip,
        port: l.port,
        rtt: rttString(l.rtt),
        in_msgs: l.inMsgs,
        out_msgs: l.outMsgs,
        in_bytes: l.inBytes,
        out_bytes: l.outBytes,
        subscriptions: l.subscriptions.length,
        ...(opts.subs ? { subscriptions_list: l.subscriptions.map((s) => s.split(' ')[0]!) } : {}),
      }),
    );
  return { server_id: server.id, now: goTime(Date.now(), true), leafnodes: leafs.length, leafs };
}
