// The file store's in-memory index: flat typed arrays over the sequence range, and the stream's
// subject table. Per sequence between the index base and the last sequence: the subject id
// (0 = no message), the offset of its record in its block, its accounted size and its time:
// 4 + 4 + 4 + 8 = 20 bytes, no object per message. Which block holds a sequence is found by a
// binary search over the blocks' bases (few blocks), so it is not stored per message.
import { matchLiteral, subjectIsLiteral } from '../../subjects/subject.js';

const MIN_CAP = 1024;

export class SeqIndex {
  /** The sequence at slot 0. */
  base = 1;
  sid = new Uint32Array(MIN_CAP);
  off = new Uint32Array(MIN_CAP);
  size = new Uint32Array(MIN_CAP);
  ts = new Float64Array(MIN_CAP);

  /** Makes `seq` addressable; `keepFrom` is the lowest sequence whose slot must survive. */
  ensure(seq: number, keepFrom: number): void {
    const cap = this.sid.length;
    if (seq - this.base < cap) return;
    const keep = Math.max(keepFrom, this.base);
    const drop = keep - this.base;
    const used = seq - keep + 1;
    let ncap = cap;
    while (ncap < used * 1.5 || ncap < MIN_CAP) ncap *= 2;
    if (ncap === cap && drop > 0) {
      if (drop < cap) {
        this.sid.copyWithin(0, drop);
        this.off.copyWithin(0, drop);
        this.size.copyWithin(0, drop);
        this.ts.copyWithin(0, drop);
        this.sid.fill(0, cap - drop);
      } else {
        this.sid.fill(0);
      }
    } else {
      const sid = new Uint32Array(ncap);
      const off = new Uint32Array(ncap);
      const size = new Uint32Array(ncap);
      const ts = new Float64Array(ncap);
      const n = Math.min(cap - drop, Math.max(0, used));
      sid.set(this.sid.subarray(drop, drop + n));
      off.set(this.off.subarray(drop, drop + n));
      size.set(this.size.subarray(drop, drop + n));
      ts.set(this.ts.subarray(drop, drop + n));
      this.sid = sid;
      this.off = off;
      this.size = size;
      this.ts = ts;
    }
    this.base = keep;
  }

  /** Forgets everything; the next sequence addressed is `base`. */
  reset(base: number): void {
    this.base = base;
    if (this.sid.length > MIN_CAP * 64) {
      this.sid = new Uint32Array(MIN_CAP);
      this.off = new Uint32Array(MIN_CAP);
      this.size = new Uint32Array(MIN_CAP);
      this.ts = new Float64Array(MIN_CAP);
    } else {
      this.sid.fill(0);
    }
  }

  /** The subject id at `seq` (0 = none); seq must be >= base. */
  at(seq: number): number {
    const i = seq - this.base;
    return i >= 0 && i < this.sid.length ? this.sid[i] : 0;
  }

  /** Bytes of memory the index holds. */
  bytes(): number {
    return this.sid.byteLength + this.off.byteLength + this.size.byteLength + this.ts.byteLength;
  }
}

/**
 * The stream's subjects, each stored once: id → name, message count, first and last sequence.
 * Ids start at 1 and are reused when a subject has no message left.
 */
export class SubjectTable {
  private readonly ids = new Map<string, number>();
  names: string[] = [''];
  msgs: number[] = [0];
  first: number[] = [0];
  last: number[] = [0];
  private readonly free: number[] = [];
  /** Bumped when a subject id is created or reused (invalidates the filter masks). */
  private version = 0;
  private readonly masks = new Map<string, { version: number; mask: Uint8Array }>();

  get count(): number {
    return this.ids.size;
  }

  /** Changes when a subject id is created or reused (not when one is released): what names[] holds for the live ids. */
  get namesVersion(): number {
    return this.version;
  }

  id(subject: string): number {
    return this.ids.get(subject) ?? 0;
  }

  /** The id of `subject`, created when new (with no messages). */
  intern(subject: string): number {
    let id = this.ids.get(subject);
    if (id !== undefined) return id;
    id = this.free.pop();
    if (id === undefined) {
      id = this.names.length;
      this.names.push(subject);
      this.msgs.push(0);
      this.first.push(0);
      this.last.push(0);
    } else {
      this.names[id] = subject;
      this.msgs[id] = 0;
      this.first[id] = 0;
      this.last[id] = 0;
    }
    this.ids.set(subject, id);
    this.version++;
    return id;
  }

  /** Drops a subject that has no message left. */
  release(id: number): void {
    this.ids.delete(this.names[id]);
    this.names[id] = '';
    this.free.push(id);
  }

  /** The table as saved in the index file (ids kept: the index's subject ids refer to them). */
  snapshot(): { names: string[]; msgs: number[]; first: number[]; last: number[] } {
    return { names: this.names, msgs: this.msgs, first: this.first, last: this.last };
  }

  restore(t: { names: string[]; msgs: number[]; first: number[]; last: number[] }): void {
    this.clear();
    this.names = t.names;
    this.msgs = t.msgs;
    this.first = t.first;
    this.last = t.last;
    for (let id = 1; id < t.names.length; id++) {
      if (t.msgs[id] > 0) this.ids.set(t.names[id], id);
      else this.free.push(id);
    }
  }

  clear(): void {
    this.ids.clear();
    this.names = [''];
    this.msgs = [0];
    this.first = [0];
    this.last = [0];
    this.free.length = 0;
    this.version++;
    this.masks.clear();
  }

  /** Live ids (with messages), ascending. */
  *live(): IterableIterator<number> {
    for (let id = 1; id < this.names.length; id++) if (this.msgs[id] > 0) yield id;
  }

  /**
   * For a wildcard filter: a mask over subject ids (1 = matches). Cached per filter until a new
   * subject appears. '' and '>' are not asked here (they match everything).
   */
  mask(filter: string): Uint8Array {
    const hit = this.masks.get(filter);
    if (hit !== undefined && hit.version === this.version && hit.mask.length >= this.names.length) return hit.mask;
    const mask = new Uint8Array(this.names.length);
    for (let id = 1; id < this.names.length; id++) {
      if (this.msgs[id] > 0 || this.ids.get(this.names[id]) === id) mask[id] = matchLiteral(this.names[id], filter) ? 1 : 0;
    }
    if (this.masks.size >= 64) this.masks.clear();
    this.masks.set(filter, { version: this.version, mask });
    return mask;
  }
}

/** '' and '>' select every message. */
export function filterIsAll(filter: string): boolean {
  return filter === '' || filter === '>';
}

export function filterIsLiteral(filter: string): boolean {
  return subjectIsLiteral(filter);
}
