// The reactor on top of libuv, in the style of Redis's ae loop: a connection that got output is
// marked dirty; one setImmediate per loop turn flushes every dirty connection once, after all
// the reads of that turn (nats-server's "flush clients at the end of a read", Redis's "flush
// before sleep"). A connection whose queue passes the high-water mark is flushed at once.
// Shared by the server (client connections) and the cluster (routes): it imports nothing.

export interface Flushable {
  dirty: boolean;
  flush(): void;
  /** Bytes queued and not yet handed to the socket. */
  queuedBytes(): number;
}

/** Bytes queued on one connection after which it is flushed without waiting for the turn's end. */
export const HIGH_WATER = 1024 * 1024;

export interface ReactorOptions {
  /**
   * Runs at the end of every loop turn that flushes, before the dirty connections are flushed
   * (it may queue more output: that is flushed in the same pass).
   */
  beforeFlush?: () => void;
  /** Queued bytes past which a connection already dirty is flushed at once (default HIGH_WATER). */
  highWater?: number;
  /** Runs before a connection is flushed at once (past the high-water mark), ahead of the turn's end. */
  beforeEarlyFlush?: () => void;
}

export class Reactor<T extends Flushable> {
  private dirty: T[] = [];
  private spare: T[] = [];
  private scheduled = false;
  private readonly beforeFlush: (() => void) | null;
  private readonly highWater: number;
  private readonly beforeEarlyFlush: (() => void) | null;
  private readonly flushAll = (): void => {
    this.scheduled = false;
    if (this.beforeFlush !== null) this.beforeFlush();
    const list = this.dirty;
    this.dirty = this.spare;
    for (let i = 0; i < list.length; i++) {
      const c = list[i];
      c.dirty = false;
      c.flush();
    }
    list.length = 0;
    this.spare = list;
  };

  constructor(o: ReactorOptions = {}) {
    this.beforeFlush = o.beforeFlush ?? null;
    this.highWater = o.highWater ?? HIGH_WATER;
    this.beforeEarlyFlush = o.beforeEarlyFlush ?? null;
  }

  /** Called whenever bytes are queued on `c`: runs in the read or timer that produced them. */
  markDirty(c: T): void {
    if (!c.dirty) {
      c.dirty = true;
      this.dirty.push(c);
      this.schedule();
    } else if (c.queuedBytes() > this.highWater) {
      if (this.beforeEarlyFlush !== null) this.beforeEarlyFlush();
      c.flush();
    }
  }

  /** Asks for the end-of-turn pass even when nothing is dirty (beforeFlush has work to do). */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flushAll);
  }
}
