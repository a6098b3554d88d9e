// Waiting for sockets at shutdown: the server's clients, a cluster's routes, leaf connections.

import type net from 'node:net';

/**
 * Resolves when each of `sockets` has emitted one of `events` (each socket counted once), or
 * after `ms`, whichever comes first.
 */
export function waitForSockets(sockets: readonly net.Socket[], events: readonly string[], ms: number): Promise<void> {
  return new Promise((resolve) => {
    let left = sockets.length;
    if (left === 0) return resolve();
    const t = setTimeout(resolve, ms);
    for (const s of sockets) {
      let done = false;
      const fire = (): void => {
        if (done) return;
        done = true;
        if (--left === 0) {
          clearTimeout(t);
          resolve();
        }
      };
      for (const ev of events) s.once(ev, fire);
    }
  });
}
