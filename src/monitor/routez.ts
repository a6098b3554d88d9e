// /routez: cluster routes, as nats-server 2.9.10's Server.Routez. tsnats does not cluster yet,
// so the list is always empty; the shape is nats-server's.

import type { Server } from '../server/server.js';
import { goTime } from './go-format.js';

/** nats-server's RouteInfo (the shape of the entries once routes exist). */
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
  pending_size: number;
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
  subscriptions: number;
  subscriptions_list?: string[];
}

export interface Routez {
  server_id: string;
  now: string;
  num_routes: number;
  routes: RouteInfo[];
}

/** A /routez snapshot. */
export function routez(server: Server): Routez {
  return { server_id: server.id, now: goTime(Date.now(), true), num_routes: 0, routes: [] };
}
