// The reactor on top of libuv, in the style of Redis's ae loop: a connection that got output is
// marked dirty; one setImmediate per loop turn flushes every dirty connection once, after all
// the reads of that turn (nats-server's "flush clients at the end of a read", Redis's "flush
// before sleep"). A connection whose queue passes HIGH_WATER is flushed at once.

export interface Flushable {
  dirty: boolean;
  flush(): void;
  /** Bytes queued and not yet handed to the socket. */
  queuedBytes(): number;
}

/** Bytes queued on one connection after which it is flushed without waiting for the turn's end. */
export const HIGH_WATER = 1024 * 1024;

export class Reactor<T extends Flushable> {
  private dirty: T[] = [];
  private spare: T[] = [];
  private scheduled = false;
  private readonly flushAll = (): void => {
    this.scheduled = false;
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

  /** Called whenever bytes are queued on `c`: runs in the read or timer that produced them. */
  markDirty(c: T): void {
    if (!c.dirty) {
      c.dirty = true;
      this.dirty.push(c);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flushAll);
      }
    } else if (c.queuedBytes() > HIGH_WATER) {
      c.flush();
    }
  }
}
