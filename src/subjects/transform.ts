// Subject transforms, as nats-server 2.9.10 makes them (accounts.go newTransform,
// indexPlaceHolders, transform.transform; sublist.go ValidateMappingDestination): the one
// implementation behind subject mappings, import checks and JetStream's republish.
//
// A destination token is a literal, `$N` or `{{wildcard(N)}}` (the N-th `*` of the source), or
// one of the 2.9 functions: `{{partition(n, i, j...)}}` (FNV-1a of the named wildcards' bytes,
// mod n), `{{split(i, delim)}}`, `{{splitFromLeft|Right(i, pos)}}`,
// `{{sliceFromLeft|Right(i, size)}}`. A source without wildcards maps to its destination as
// written. A trailing `>` carries the rest of the subject. A pure data structure: no I/O.

import { subjectHashString } from './hash.js';
import { isSubsetMatch } from './subject.js';

const INVALID_MAPPING = 'invalid mapping destination';
export const ERR_BAD_SUBJECT = 'invalid subject';
const ERR_INVALID_DEST_SUBJECT = `${INVALID_MAPPING}: invalid subject`;
const ERR_NOT_USING_ALL = `${INVALID_MAPPING}: not using all of the token wildcard(s)`;
const ERR_UNKNOWN_FUNCTION = `${INVALID_MAPPING}: unknown function`;
const ERR_INDEX_OUT_OF_RANGE = `${INVALID_MAPPING}: wildcard index out of range`;
const ERR_NOT_ENOUGH_ARGS = `${INVALID_MAPPING}: not enough arguments passed to the function`;
const ERR_INVALID_ARG = `${INVALID_MAPPING}: function argument is invalid or in the wrong format`;
const ERR_TOO_MANY_ARGS = `${INVALID_MAPPING}: too many arguments passed to the function`;

/** A transform that cannot be made: `message` is nats-server's error text. */
export class TransformError extends Error {}

/** mappingDestinationErr: "<err> in <token>". */
function destErr(err: string, token: string): TransformError {
  return new TransformError(`${err} in ${token}`);
}

// The kinds of destination token (accounts.go NoTransform, Partition, ...).
const NO_TRANSFORM = 0;
const WILDCARD = 1;
const PARTITION = 2;
const SPLIT_FROM_LEFT = 3;
const SPLIT_FROM_RIGHT = 4;
const SLICE_FROM_LEFT = 5;
const SLICE_FROM_RIGHT = 6;
const SPLIT = 7;

// `[\t\n\f\r ]` is Go's regexp \s; the argument group is greedy, as in Go.
const WS = '[\\t\\n\\f\\r ]*';
const fn = (name: string): RegExp => new RegExp(`{{${WS}${name}${WS}\\((.*)\\)${WS}}}`);
const WILDCARD_RE = fn('[wW]ildcard');
const PARTITION_RE = fn('[pP]artition');
const SPLIT_FROM_LEFT_RE = fn('[sS]plit[fF]rom[lL]eft');
const SPLIT_FROM_RIGHT_RE = fn('[sS]plit[fF]rom[rR]ight');
const SLICE_FROM_LEFT_RE = fn('[sS]lice[fF]rom[lL]eft');
const SLICE_FROM_RIGHT_RE = fn('[sS]lice[fF]rom[rR]ight');
const SPLIT_RE = fn('[sS]plit');
const COMMA_RE = /,[\t\n\f\r ]*/;
const FUNCTIONS = [WILDCARD_RE, PARTITION_RE, SPLIT_FROM_LEFT_RE, SPLIT_FROM_RIGHT_RE, SLICE_FROM_LEFT_RE, SLICE_FROM_RIGHT_RE, SPLIT_RE];
const INDEX_INT: ReadonlyArray<[RegExp, number]> = [
  [SPLIT_FROM_LEFT_RE, SPLIT_FROM_LEFT],
  [SPLIT_FROM_RIGHT_RE, SPLIT_FROM_RIGHT],
  [SLICE_FROM_LEFT_RE, SLICE_FROM_LEFT],
  [SLICE_FROM_RIGHT_RE, SLICE_FROM_RIGHT],
];

/** strconv.Atoi on a 64-bit platform (undefined: Go's error). */
function atoi(s: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  if (n < -(1n << 63n) || n >= 1n << 63n) return undefined;
  return Number(n);
}

/** strings.Trim(s, " ") then Atoi. */
function intArg(s: string): number | undefined {
  return atoi(s.replace(/^ +| +$/g, ''));
}

/** getMappingFunctionArgs: the comma-separated arguments, or null when `re` does not match. */
function functionArgs(re: RegExp, token: string): string[] | null {
  const m = re.exec(token);
  return m === null ? null : m[1]!.split(COMMA_RE);
}

/** One destination token as indexPlaceHolders reads it. */
interface Placeholder {
  type: number;
  /** Source wildcard indexes (1-based) the function reads. */
  indexes: number[];
  /** The number of partitions, the split position or the slice size (Go's int32). */
  int: number;
  /** split's delimiter. */
  str: string;
}

const LITERAL: Placeholder = { type: NO_TRANSFORM, indexes: [-1], int: -1, str: '' };

/** transformIndexIntArgsHelper */
function indexIntArgs(token: string, args: string[], type: number): Placeholder {
  if (args.length < 2) throw destErr(ERR_NOT_ENOUGH_ARGS, token);
  if (args.length > 2) throw destErr(ERR_TOO_MANY_ARGS, token);
  const i = intArg(args[0]!);
  const n = intArg(args[1]!);
  if (i === undefined || n === undefined) throw destErr(ERR_INVALID_ARG, token);
  return { type, indexes: [i], int: n | 0, str: '' };
}

/** indexPlaceHolders: how a destination token is made; throws TransformError. */
function placeholder(token: string): Placeholder {
  const length = token.length;
  if (length <= 1) return LITERAL;
  if (token[0] === '$') {
    // Other things rely on tokens starting with $: not a number is a literal.
    const tp = atoi(token.slice(1));
    return tp === undefined ? LITERAL : { type: WILDCARD, indexes: [tp], int: -1, str: '' };
  }
  if (!(length > 4 && token.startsWith('{{') && token.endsWith('}}'))) return LITERAL;
  let args = functionArgs(WILDCARD_RE, token);
  if (args !== null) {
    if (args.length === 1 && args[0] === '') throw destErr(ERR_NOT_ENOUGH_ARGS, token);
    if (args.length > 1) throw destErr(ERR_TOO_MANY_ARGS, token);
    const i = intArg(args[0]!);
    if (i === undefined) throw destErr(ERR_INVALID_ARG, token);
    return { type: WILDCARD, indexes: [i], int: -1, str: '' };
  }
  args = functionArgs(PARTITION_RE, token);
  if (args !== null) {
    if (args.length < 2) throw destErr(ERR_NOT_ENOUGH_ARGS, token);
    const n = intArg(args[0]!);
    if (n === undefined) throw destErr(ERR_INVALID_ARG, token);
    const indexes: number[] = [];
    for (const a of args.slice(1)) {
      const i = intArg(a);
      if (i === undefined) throw destErr(ERR_INVALID_ARG, token);
      indexes.push(i);
    }
    return { type: PARTITION, indexes, int: n | 0, str: '' };
  }
  for (const [re, type] of INDEX_INT) {
    args = functionArgs(re, token);
    if (args !== null) return indexIntArgs(token, args, type);
  }
  args = functionArgs(SPLIT_RE, token);
  if (args !== null) {
    if (args.length < 2) throw destErr(ERR_NOT_ENOUGH_ARGS, token);
    if (args.length > 2) throw destErr(ERR_TOO_MANY_ARGS, token);
    const i = intArg(args[0]!);
    if (i === undefined || args[1]!.includes(' ') || args[1]!.includes('.')) throw destErr(ERR_INVALID_ARG, token);
    return { type: SPLIT, indexes: [i], int: -1, str: args[1]! };
  }
  throw destErr(ERR_UNKNOWN_FUNCTION, token);
}

/** subjectInfo: valid, tokens, number of `*`, whether it ends in `>`. */
function subjectInfo(subject: string): { valid: boolean; tokens: string[]; pwcs: number; fwc: boolean } {
  const tokens = subject.split('.');
  let pwcs = 0;
  let fwc = false;
  for (const t of tokens) {
    if (t.length === 0 || fwc) return { valid: false, tokens, pwcs: 0, fwc: false };
    if (t === '>') fwc = true;
    else if (t === '*') pwcs++;
  }
  return { valid: subject !== '', tokens, pwcs, fwc };
}

/**
 * ValidateMappingDestination: throws TransformError when `subject` cannot be a mapping's
 * destination (an empty token, a token after `>`, an unknown function, white space).
 */
export function validateMappingDestination(subject: string): void {
  let fwc = false;
  for (const t of subject.split('.')) {
    const length = t.length;
    if (length === 0 || fwc) throw destErr(ERR_INVALID_DEST_SUBJECT, t);
    if (length > 4 && t.startsWith('{{') && t.endsWith('}}')) {
      if (!FUNCTIONS.some((re) => re.test(t))) throw destErr(ERR_UNKNOWN_FUNCTION, t);
      continue;
    }
    if (t === '>') fwc = true;
    else if (/[\t\n\f\r ]/.test(t)) throw new TransformError(ERR_INVALID_DEST_SUBJECT);
  }
}

/** transformTokenize: `foo.*.*` → `foo.$1.$2`. */
export function transformTokenize(subject: string): string {
  let i = 1;
  return subject
    .split('.')
    .map((t) => (t === '*' ? `$${i++}` : t))
    .join('.');
}

/** transformUntokenize: `foo.$1.$2` → `foo.*.*`. */
export function transformUntokenize(subject: string): string {
  return subject
    .split('.')
    .map((t) => (t.length > 1 && t[0] === '$' && t[1]! >= '1' && t[1]! <= '9' ? '*' : t))
    .join('.');
}

/**
 * A transform from the subjects `src` matches to `dest` (nats-server's transform). The
 * constructor throws TransformError with nats-server's text when it cannot be made.
 */
export class SubjectTransform {
  readonly src: string;
  readonly dest: string;
  private readonly srcTokens: string[];
  private readonly destTokens: string[];
  /** Per destination token; empty when the source has no wildcards (the result is `dest`). */
  private readonly parts: Placeholder[] = [];
  /** The identity over everything (`>` or '' to `>` or ''). */
  private readonly passThrough: boolean;

  constructor(src: string, dest: string) {
    const s = subjectInfo(src);
    const d = subjectInfo(dest);
    if (!s.valid || !d.valid || d.pwcs > 0 || s.fwc !== d.fwc) throw new TransformError(ERR_BAD_SUBJECT);
    this.src = src;
    this.dest = dest;
    this.srcTokens = s.tokens;
    this.destTokens = d.tokens;
    this.passThrough = (src === '>' || src === '') && (dest === '>' || dest === '');
    if (s.pwcs === 0 && !s.fwc) return;
    // Source wildcard index (1-based) → source token position; a missing index reads token 0,
    // as Go's map lookup does.
    const positions: number[] = [];
    s.tokens.forEach((t, i) => {
      if (t === '*') positions.push(i);
    });
    let used = 0;
    for (const token of d.tokens) {
      const ph = placeholder(token);
      if (ph.type === NO_TRANSFORM) {
        this.parts.push(LITERAL);
        continue;
      }
      used++;
      const stis: number[] = [];
      for (const w of ph.indexes) {
        if (w > s.pwcs) throw destErr(ERR_INDEX_OUT_OF_RANGE, `${token}: [${w}]`);
        stis.push(positions[w - 1] ?? 0);
      }
      this.parts.push({ ...ph, indexes: stis });
    }
    if (used < s.pwcs) throw destErr(ERR_NOT_USING_ALL, dest);
  }

  /** Whether the result depends on the subject (else it is always `dest`). */
  get usesSubject(): boolean {
    return this.parts.length > 0;
  }

  /**
   * Match: the destination for the literal `subject`, or null when it is not a valid literal
   * subject or `src` does not match it.
   */
  match(subject: string): string | null {
    if (this.passThrough) return subject;
    const tokens = subject.split('.');
    for (const t of tokens) if (t.length === 0 || t === '*' || t === '>') return null;
    if (this.src !== '' && this.src !== '>' && !isSubsetMatch(tokens, this.src)) return null;
    return this.apply(tokens);
  }

  /** transformSubject: the destination for a literal subject known to match `src`. */
  transformSubject(subject: string): string {
    return this.apply(subject.split('.'));
  }

  /**
   * reverse: the transform from `dest`'s subjects back to `src`'s (service imports are made so,
   * in nats-server). Null when it cannot be made.
   */
  reverse(): SubjectTransform | null {
    try {
      if (this.parts.length === 0) return new SubjectTransform(this.dest, this.src);
      const phs = this.destTokens.filter((t) => t.length > 1 && t[0] === '$' && t[1]! >= '1' && t[1]! <= '9');
      const nda: string[] = [];
      for (const t of this.srcTokens) {
        if (t !== '*') nda.push(t);
        else if (phs.length === 0) return null;
        else nda.push(phs.shift()!);
      }
      return new SubjectTransform(transformUntokenize(this.dest), nda.join('.'));
    } catch (e) {
      if (e instanceof TransformError) return null;
      throw e;
    }
  }

  /** transform: the destination for a subject (as tokens) known to match `src`. */
  apply(tokens: readonly string[]): string {
    const parts = this.parts;
    if (parts.length === 0) return this.dest;
    const dtoks = this.destTokens;
    let out = '';
    const last = parts.length - 1;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (p.type === NO_TRANSFORM) {
        if (dtoks[i] === '>') break;
        out += dtoks[i];
      } else out += applyFunction(p, tokens);
      if (i < last) out += '.';
    }
    // The rest of the subject, for a `>`.
    if (dtoks[dtoks.length - 1] === '>') {
      const sl = tokens.length - 1;
      for (let i = this.srcTokens.length - 1; i < tokens.length; i++) {
        out += tokens[i];
        if (i < sl) out += '.';
      }
    }
    return out;
  }
}

/** One function token of a destination, over the subject's tokens. */
function applyFunction(p: Placeholder, tokens: readonly string[]): string {
  const src = tokens[p.indexes[0]!]!;
  const len = src.length;
  const n = p.int;
  switch (p.type) {
    case WILDCARD:
      return src;
    case PARTITION: {
      let key = '';
      for (const i of p.indexes) key += tokens[i];
      // Go divides by zero here (a crash); no partitions is taken as one.
      return String((subjectHashString(key) >>> 0) % (n > 0 ? n >>> 0 : 1));
    }
    case SPLIT_FROM_LEFT:
      return n > 0 && n < len ? `${src.slice(0, n)}.${src.slice(n)}` : src;
    case SPLIT_FROM_RIGHT:
      return n > 0 && n < len ? `${src.slice(0, len - n)}.${src.slice(len - n)}` : src;
    case SLICE_FROM_LEFT: {
      if (!(n > 0 && n < len)) return src;
      let out = '';
      for (let i = 0; i + n <= len; i += n) {
        if (i !== 0) out += '.';
        out += src.slice(i, i + n);
        if (i + n !== len && i + n + n > len) {
          out += '.' + src.slice(i + n);
          break;
        }
      }
      return out;
    }
    case SLICE_FROM_RIGHT: {
      if (!(n > 0 && n < len)) return src;
      const rem = len % n;
      let out = rem > 0 ? `${src.slice(0, rem)}.` : '';
      for (let i = rem; i + n <= len; i += n) {
        out += src.slice(i, i + n);
        if (i + n < len) out += '.';
      }
      return out;
    }
    default: {
      // SPLIT
      const splits = src.split(p.str);
      let out = '';
      for (let j = 0; j < splits.length; j++) {
        const s = splits[j]!;
        out += s;
        if (j < splits.length - 1 && splits[j + 1] !== '' && !(j === 0 && s === '')) out += '.';
      }
      return out;
    }
  }
}
