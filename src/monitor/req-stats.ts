// Requests served per endpoint (nats-server's httpReqStats, shown in /varz http_req_stats). Owned
// by the monitor: the server is never written to; counts are kept per Server object.

import type { Server } from '../server/server.js';

const stats = new WeakMap<Server, Map<string, number>>();

/** Counts one request for `path`, an endpoint name without the base path (`/varz`). */
export function countRequest(server: Server, path: string): void {
  let m = stats.get(server);
  if (m === undefined) {
    m = new Map();
    stats.set(server, m);
  }
  m.set(path, (m.get(path) ?? 0) + 1);
}

/** The counts as Go marshals a map: keys sorted. */
export function requestCounts(server: Server): Record<string, number> {
  const m = stats.get(server);
  const out: Record<string, number> = {};
  if (m === undefined) return out;
  for (const k of [...m.keys()].sort()) out[k] = m.get(k)!;
  return out;
}
