// /healthz: nats-server 2.9.10's health probe. Without JetStream the only failure is a client
// listener that is not up (nats-server's readyForConnections): not yet listening, or closed by
// lame duck mode or shutdown.

import type { Server } from '../server/server.js';

export interface HealthStatus {
  status: 'ok' | 'error' | 'unavailable';
  error?: string;
}

/** A /healthz answer; HTTP sends 503 when `error` is set. */
export function healthz(server: Server): HealthStatus {
  if (server.port === 0 || server.isLameDuck || server.isShuttingDown) {
    return { status: 'error', error: 'failed to be ready for connections after 1ms: server' };
  }
  return { status: 'ok' };
}
