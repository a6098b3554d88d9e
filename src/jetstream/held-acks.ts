// The publish acks of a file stream, held from the publish until the store has handed the
// messages' records to the OS (the end of the publisher's read, one write for the turn). Then
// each is sent as an ack, or, when the write failed and the store took the message back, as
// nats-server's 503/10023 error: a publish that was not stored is never acked.
//
// Contract: push() copies the reply subject into an arena (the caller's buffer may be a view
// into a read buffer); after warm-up nothing is allocated per message. The holder calls
// release() once per turn (from the microtask push() asked for) and clear() after.

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

  /** Holds the ack of `seq`; true when it is the first of the turn (the caller queues its release). */
  push(reply: Buffer | null, seq: number, subject: string, msgId: string, dup = false): boolean {
    const i = this.count++;
    if (reply !== null) {
      const n = reply.length;
      if (this.used + n > this.arena.length) {
        const grown = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.used + n));
        this.arena.copy(grown, 0, 0, this.used);
        this.arena = grown;
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

  /** The reply subject of held ack `i` (valid until clear()), or null. */
  reply(i: number): Buffer | null {
    const n = this.len[i];
    return n < 0 ? null : this.arena.subarray(this.at[i], this.at[i] + n);
  }

  clear(): void {
    for (let i = 0; i < this.count; i++) this.subjects[i] = this.msgIds[i] = '';
    this.count = 0;
    this.used = 0;
  }
}
