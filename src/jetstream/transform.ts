// A subject transform for republish (nats-server's transform.go, the forms a republish uses):
// the source's `*` tokens are referenced in order by the destination's `*` tokens, or by
// position with `$N` / `{{wildcard(N)}}`; a trailing `>` carries the rest of the subject.

import { matchLiteral } from '../subjects/subject.js';

const WILDCARD_REF = /^(?:\$(\d+)|\{\{\s*wildcard\s*\(\s*(\d+)\s*\)\s*\}\})$/i;

export class SubjectTransform {
  private readonly src: string;
  private readonly srcTokens: string[];
  private readonly destTokens: string[];

  /** Throws when the destination references a wildcard the source does not have. */
  constructor(src: string, dest: string) {
    this.src = src;
    this.srcTokens = src.split('.');
    this.destTokens = dest.split('.');
    const stars = this.srcTokens.filter((t) => t === '*').length;
    let used = 0;
    for (const t of this.destTokens) {
      const m = WILDCARD_REF.exec(t);
      if (t === '*') used++;
      else if (m !== null && Number(m[1] ?? m[2]) > stars) throw new Error('invalid transform');
      else if (t === '>' && this.srcTokens[this.srcTokens.length - 1] !== '>') throw new Error('invalid transform');
    }
    if (used > stars) throw new Error('invalid transform');
  }

  /** The destination for `subject`, or null when it does not match the source. */
  match(subject: string): string | null {
    if (this.src !== '>' && !matchLiteral(subject, this.src)) return null;
    const tokens = subject.split('.');
    const stars: string[] = [];
    let rest = '';
    for (let i = 0; i < this.srcTokens.length; i++) {
      const t = this.srcTokens[i];
      if (t === '*') stars.push(tokens[i]!);
      else if (t === '>') rest = tokens.slice(i).join('.');
    }
    let star = 0;
    const out: string[] = [];
    for (const t of this.destTokens) {
      const m = WILDCARD_REF.exec(t);
      if (t === '*') out.push(stars[star++]!);
      else if (t === '>') out.push(rest);
      else if (m !== null) out.push(stars[Number(m[1] ?? m[2]) - 1]!);
      else out.push(t);
    }
    return out.join('.');
  }
}
