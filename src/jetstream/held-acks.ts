// The publish acks of a file stream, held from the publish until the store has handed the
// messages' records to the OS (the end of the publisher's read, one write for the turn). Then
// each is sent as an ack, or, when the write failed and the store took the message back, as
// nats-server's 503/10023 error: a publish that was not stored is never acked.
//
// Contract: push() copies the reply subject into an arena (the caller's buffer may be a view
// into a read buffer), once for a run of acks to one reply subject; after warm-up nothing is
// allocated per message. The holder calls release() once per turn (from the microtask push()
// asked for) and clear() after.

export class HeldAcks {
  private arena = Buffer.allocUnsafe(16 * 1024);
  private used = 0;
  /** Reply offset and length in the arena per held ack (length -1: no reply wanted). */
  private readonly at: number[] = [];
  private readonly len: number[] = [];
  readonly seqs: number[] = [];
  readonly subjects: string[] = [];
  readonly msgIds: string[] = [];
  /** The ack says `"duplicate": true` (a Nats-Msg-Id seen again before its message was written). */
  readonly dups: boolean[] = [];
  count = 0;

  /** The view reply() gave last, of arena[viewAt, viewAt + viewLen): acks to one reply subject share it. */
  private view: Buffer | null = null;
  private viewAt = 0;
  private viewLen = -1;

  /** Holds the ack of `seq`; true when it is the first of the turn (the caller queues its release). */
  push(reply: Buffer | null, seq: number, subject: string, msgId: string, dup = false): boolean {
    const i = this.count++;
    if (reply !== null && i > 0 && this.sameReply(reply, i - 1)) {
      // The same reply subject as the previous ack (one publisher's run): stored once.
      this.at[i] = this.at[i - 1];
      this.len[i] = reply.length;
    } else if (reply !== null) {
      const n = reply.length;
      if (this.used + n > this.arena.length) {
        const grown = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.used + n));
        this.arena.copy(grown, 0, 0, this.used);
        this.arena = grown;
        this.view = null;
        this.viewLen = -1;
      }
      this.at[i] = this.used;
      this.len[i] = n;
      this.used += reply.copy(this.arena, this.used);
    } else {
      this.at[i] = 0;
      this.len[i] = -1;
    }
    this.seqs[i] = seq;
    this.subjects[i] = subject;
    this.msgIds[i] = msgId;
    this.dups[i] = dup;
    return i === 0;
  }

  /** Whether `reply` has the bytes of held ack `j`'s reply. */
  private sameReply(reply: Buffer, j: number): boolean {
    const n = reply.length;
    if (this.len[j] !== n) return false;
    const a = this.arena;
    const at = this.at[j]!;
    for (let k = 0; k < n; k++) if (a[at + k] !== reply[k]) return false;
    return true;
  }

  /** The reply subject of held ack `i` (valid until clear()), or null. */
  reply(i: number): Buffer | null {
    const n = this.len[i]!;
    if (n < 0) return null;
    const at = this.at[i]!;
    if (at !== this.viewAt || n !== this.viewLen || this.view === null) {
      this.view = this.arena.subarray(at, at + n);
      this.viewAt = at;
      this.viewLen = n;
    }
    return this.view;
  }

  clear(): void {
    for (let i = 0; i < this.count; i++) this.subjects[i] = this.msgIds[i] = '';
    this.count = 0;
    this.used = 0;
    this.view = null;
    this.viewLen = -1;
  }
}
