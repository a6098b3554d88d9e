// /routez: the cluster's routes, as nats-server 2.9.10's Server.Routez (monitor.go): one entry
// per registered route, with the peer's id, address, traffic and interest. Without a cluster
// the list is empty.

import type { SubjectPermission } from '../config/types.js';
import type { Server } from '../server/server.js';
import type { RouteSnapshot } from '../cluster/host.js';
import { rttString } from './connz.js';
import { byteString, goTime, goUptime } from './go-format.js';

/** A route's interest in `subscriptions_list_detail` (nats-server's newClientSubDetail). */
export interface RouteSubDetail {
  subject: string;
  qgroup?: string;
  sid: string;
  msgs: number;
  cid: number;
}

/** nats-server's RouteInfo. */
export interface RouteInfo {
  rid: number;
  remote_id: string;
  did_solicit: boolean;
  is_configured: boolean;
  ip: string;
  port: number;
  start: string;
  last_activity: string;
  rtt?: string;
  uptime: string;
  idle: string;
  import?: SubjectPermission;
  export?: SubjectPermission;
  pending_size: number;
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
  subscriptions: number;
  subscriptions_list?: string[];
  subscriptions_list_detail?: RouteSubDetail[];
}

export interface Routez {
  server_id: string;
  now: string;
  import?: SubjectPermission;
  export?: SubjectPermission;
  num_routes: number;
  routes: RouteInfo[];
}

/** `?subs=1` lists the subjects, `?subs=detail` the details. */
export interface RoutezOptions {
  subs?: boolean;
  detail?: boolean;
}

/** nats-server's SubjectPermission JSON: omitempty lists. */
function perm(p: SubjectPermission | null | undefined): SubjectPermission | undefined {
  if (!p) return undefined;
  return { ...(p.allow?.length ? { allow: p.allow } : {}), ...(p.deny?.length ? { deny: p.deny } : {}) } as SubjectPermission;
}

function routeInfo(r: RouteSnapshot, now: number, opts: RoutezOptions): RouteInfo {
  const imp = perm(r.import);
  const exp = perm(r.export);
  const subs = r.subscriptions;
  return {
    rid: r.rid,
    remote_id: r.remoteId,
    did_solicit: r.didSolicit,
    is_configured: r.isConfigured,
    ip: r.ip,
    port: r.port,
    start: goTime(r.start),
    last_activity: goTime(r.lastActivity),
    rtt: rttString(r.rtt),
    uptime: goUptime(now - r.start),
    idle: goUptime(now - r.lastActivity),
    ...(imp ? { import: imp } : {}),
    ...(exp ? { export: exp } : {}),
    pending_size: r.pendingBytes,
    in_msgs: r.inMsgs,
    out_msgs: r.outMsgs,
    in_bytes: r.inBytes,
    out_bytes: r.outBytes,
    subscriptions: subs.length,
    ...(subs.length > 0 && opts.detail
      ? {
          subscriptions_list_detail: subs.map((s) => ({
            subject: byteString(s.subject),
            ...(s.queue !== null ? { qgroup: byteString(s.queue) } : {}),
            sid: byteString(s.sid),
            msgs: s.msgs,
            cid: r.rid,
          })),
        }
      : subs.length > 0 && opts.subs
        ? { subscriptions_list: subs.map((s) => byteString(s.subject)) }
        : {}),
  };
}

/** A /routez snapshot. */
export function routez(server: Server, opts: RoutezOptions = {}): Routez {
  const now = Date.now();
  const cl = server.cluster;
  const routes = cl === null ? [] : cl.routes().sort((a, b) => a.rid - b.rid);
  const p = server.opts.cluster?.permissions ?? null;
  const imp = perm(p?.import);
  const exp = perm(p?.export);
  return {
    server_id: server.id,
    now: goTime(now, true),
    ...(imp ? { import: imp } : {}),
    ...(exp ? { export: exp } : {}),
    num_routes: routes.length,
    routes: routes.map((r) => routeInfo(r, now, opts)),
  };
}
