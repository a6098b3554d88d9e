// The state a file consumer persists, kept by nats-server's consumerFileStore rules (filestore.go:
// SetStarting, UpdateDelivered, UpdateAcks, Update) rather than copied from the live consumer.
// The two differ: the store's ack floor follows its own pending records (a redelivery renumbers
// a record there, not in the consumer; the first ack does not skip ahead to the next pending
// one), and after a restart the consumer resumes from what the store kept (applyState), so its
// delivered and ack floor sequences are the ones nats-server shows then.

import type { ConsumerState, SequencePair } from './store/store.js';

export class StoredConsumerState implements ConsumerState {
  readonly delivered: SequencePair = { consumerSeq: 0, streamSeq: 0 };
  readonly ackFloor: SequencePair = { consumerSeq: 0, streamSeq: 0 };
  readonly pending = new Map<number, { consumerSeq: number; ts: number }>();
  readonly redelivered = new Map<number, number>();

  /** `ackPolicy()`: the consumer's ack policy now (an update may not change it, but the config object is replaced). */
  constructor(private readonly ackPolicy: () => string) {}

  /** A copy of a loaded state (a restart). */
  load(s: ConsumerState): void {
    this.replace(s);
  }

  /** SetStarting: the stream sequence before the first to deliver. */
  setStarting(sseq: number): void {
    this.delivered.streamSeq = sseq;
  }

  /**
   * UpdateDelivered: stream sequence `sseq` went out as consumer sequence `dseq`, the `dc`th
   * time, at `ts` (ms). `entry`: the consumer's own pending record of it, kept as the store's
   * record of a first delivery (no copy per message) until a redelivery renumbers the store's.
   */
  updateDelivered(dseq: number, sseq: number, dc: number, ts: number, entry: { consumerSeq: number; ts: number } | null): void {
    const none = this.ackPolicy() === 'none';
    if (dc !== 1 && none) return;
    if (dseq <= this.ackFloor.consumerSeq) return;
    if (none) {
      this.delivered.consumerSeq = this.ackFloor.consumerSeq = dseq;
      this.delivered.streamSeq = this.ackFloor.streamSeq = sseq;
      return;
    }
    if (sseq <= this.delivered.streamSeq) {
      const p = this.pending.get(sseq);
      if (p === entry && p.consumerSeq !== dseq) this.pending.set(sseq, { consumerSeq: dseq, ts });
      else if (p !== undefined) {
        p.consumerSeq = dseq;
        p.ts = ts;
      }
    } else this.pending.set(sseq, entry !== null && entry.consumerSeq === dseq ? entry : { consumerSeq: dseq, ts });
    if (dseq > this.delivered.consumerSeq) this.delivered.consumerSeq = dseq;
    if (sseq > this.delivered.streamSeq) this.delivered.streamSeq = sseq;
    if (dc > 1) this.redelivered.set(sseq, dc - 1);
  }

  /** UpdateAcks: the consumer acked `sseq` (delivered as `dseq`). */
  updateAcks(dseq: number, sseq: number): void {
    const policy = this.ackPolicy();
    if (policy === 'none' || !this.pending.has(sseq)) return;
    if (dseq <= this.ackFloor.consumerSeq) return;
    if (policy === 'all') {
      const gap = sseq - this.ackFloor.streamSeq;
      this.ackFloor.consumerSeq = dseq;
      this.ackFloor.streamSeq = sseq;
      // Every sequence of the gap: by the pending records when there are fewer of them.
      if (this.pending.size < gap) {
        for (const seq of [...this.pending.keys()]) {
          if (seq > sseq - gap && seq <= sseq) {
            this.pending.delete(seq);
            this.redelivered.delete(seq);
          }
        }
      } else {
        for (let seq = sseq; seq > sseq - gap; seq--) {
          this.pending.delete(seq);
          this.redelivered.delete(seq);
        }
      }
      return;
    }
    dseq = this.pending.get(sseq)!.consumerSeq;
    this.pending.delete(sseq);
    this.redelivered.delete(sseq);
    if (this.pending.size === 0) {
      this.ackFloor.consumerSeq = this.delivered.consumerSeq;
      this.ackFloor.streamSeq = this.delivered.streamSeq;
    } else if (dseq === this.ackFloor.consumerSeq + 1) {
      const first = this.ackFloor.consumerSeq === 0;
      this.ackFloor.consumerSeq = dseq;
      this.ackFloor.streamSeq = sseq;
      if (!first && this.delivered.consumerSeq > dseq) {
        const next = nextPending(this.pending, sseq, this.delivered.streamSeq);
        if (next > 0) {
          const p = this.pending.get(next)!;
          if (p.consumerSeq > 0) {
            this.ackFloor.consumerSeq = p.consumerSeq - 1;
            this.ackFloor.streamSeq = next - 1;
          }
        }
      }
    }
  }

  /** Update: the whole state from the consumer (nats-server's writeStoreState); refused as nats-server refuses it. */
  replace(s: ConsumerState): void {
    if (s.ackFloor.consumerSeq > s.delivered.consumerSeq || s.ackFloor.streamSeq > s.delivered.streamSeq) return;
    for (const seq of s.pending.keys()) if (seq <= s.ackFloor.streamSeq || seq > s.delivered.streamSeq) return;
    if (s.delivered.consumerSeq < this.delivered.consumerSeq) return;
    this.delivered.consumerSeq = s.delivered.consumerSeq;
    this.delivered.streamSeq = s.delivered.streamSeq;
    this.ackFloor.consumerSeq = s.ackFloor.consumerSeq;
    this.ackFloor.streamSeq = s.ackFloor.streamSeq;
    this.pending.clear();
    for (const [seq, p] of s.pending) this.pending.set(seq, { consumerSeq: p.consumerSeq, ts: p.ts });
    this.redelivered.clear();
    for (const [seq, n] of s.redelivered) this.redelivered.set(seq, n);
  }
}

/**
 * The smallest pending stream sequence in (after, before), or 0: nats-server walks the
 * sequences one by one; the pending map is walked instead when it is the shorter.
 */
export function nextPending(pending: ReadonlyMap<number, unknown>, after: number, before: number): number {
  if (before - after - 1 <= pending.size) {
    for (let ss = after + 1; ss < before; ss++) if (pending.has(ss)) return ss;
    return 0;
  }
  let best = 0;
  for (const ss of pending.keys()) if (ss > after && ss < before && (best === 0 || ss < best)) best = ss;
  return best;
}
