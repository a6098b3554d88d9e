// The system account's services. The server loads this module (a dynamic import) once it knows
// its system account, starts them with startSystem and talks to them only through the
// SystemEvents interface (host.ts).

import type { Account } from '../accounts/account.js';
import type { SystemEvents, SystemHost } from './host.js';
import { System } from './system.js';

export type { AccountEndpoint, AccountStat, EventClient, ServerEndpoint, ServerStats, SystemEvents, SystemHost, SystemViews } from './host.js';

/**
 * nats-server setSystemAccount: subscribes the system's requests and trackers in `sys`, makes
 * the system imports of every registered account, and starts the statsz heartbeat.
 */
export function startSystem(host: SystemHost, sys: Account): SystemEvents {
  return new System(host, sys);
}
