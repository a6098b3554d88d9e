// The soliciting side shared by the route and leaf node managers: TCP dials bounded by a
// timeout (failing with Go's dial error texts) and the waits between attempts, all ended by
// stop(): the sockets still dialing are destroyed and every wait resolves false.

import net from 'node:net';

const DIAL_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connect: connection refused',
  ETIMEDOUT: 'i/o timeout',
  EHOSTUNREACH: 'connect: no route to host',
};

/** A dial error as Go words it (`dial tcp 127.0.0.1:1: connect: connection refused`). */
export function dialError(address: string, e: NodeJS.ErrnoException): string {
  return `dial tcp ${address}: ${DIAL_ERRORS[e.code ?? ''] ?? e.message}`;
}

export class Dialer {
  /** Sockets not yet handed over: dialing, or in a handshake the owner tracks (track/untrack). */
  private readonly dialing = new Set<net.Socket>();
  private readonly waits = new Map<NodeJS.Timeout, () => void>();
  private stopped = false;

  constructor(private readonly timeoutMs: number) {}

  /** A TCP connection to `address` (`host:port`, `[v6]:port`) within the timeout; rejects with Go's dial error text. */
  dial(address: string): Promise<net.Socket> {
    const i = address.lastIndexOf(':');
    const host = address.slice(0, i).replace(/^\[|\]$/g, '');
    const port = Number(address.slice(i + 1));
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port, noDelay: true });
      this.dialing.add(s);
      const t = setTimeout(() => s.destroy(Object.assign(new Error('i/o timeout'), { code: 'ETIMEDOUT' })), this.timeoutMs);
      const settle = (): void => {
        clearTimeout(t);
        this.dialing.delete(s);
        s.removeListener('error', failed);
        s.removeListener('close', closed);
      };
      const failed = (e: NodeJS.ErrnoException | null): void => {
        settle();
        reject(new Error(e === null ? `dial tcp ${address}: closed` : dialError(address, e)));
      };
      const closed = (): void => failed(null);
      s.once('error', failed);
      s.once('close', closed);
      s.once('connect', () => {
        settle();
        resolve(s);
      });
    });
  }

  /** `s` is the owner's until untrack(): stop() destroys it. */
  track(s: net.Socket): void {
    this.dialing.add(s);
  }

  untrack(s: net.Socket): void {
    this.dialing.delete(s);
  }

  /** Waits `ms`; false when stopped meanwhile (or before). */
  sleep(ms: number): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waits.delete(t);
        resolve(!this.stopped);
      }, ms);
      this.waits.set(t, () => resolve(false));
    });
  }

  stop(): void {
    this.stopped = true;
    for (const [t, wake] of this.waits) {
      clearTimeout(t);
      wake();
    }
    this.waits.clear();
    for (const s of this.dialing) s.destroy();
    this.dialing.clear();
  }
}
