// Subject syntax: validity checks and literal-vs-pattern matching, mirroring nats-server 2.9.10
// server/sublist.go (IsValidSubject, IsValidLiteralSubject, IsValidPublishSubject,
// subjectIsLiteral, matchLiteral). Pure functions: no I/O, no allocation.
//
// Strings in this layer are *byte strings*: one UTF-16 code unit per subject byte (latin1 /
// Buffer 'latin1' decoding), so that any byte sequence round-trips and the byte and string
// versions agree. Use `bytesToSubject` (or Buffer#latin1Slice) to make one.

/** '.' separates tokens. */
export const TSEP = 0x2e;
/** '*' as a whole token matches exactly one token. */
export const PWC = 0x2a;
/** '>' as a whole, final token matches one or more tokens. */
export const FWC = 0x3e;

// The whitespace nats-server's IsValidSubject refuses ("\t\n\f\r "; note: not \v).
function isSubjectSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c;
}

/**
 * nats-server IsValidSubject: non-empty; tokens split by '.' are non-empty; nothing follows a
 * `>` token; no ' ', \t, \n, \r, \f anywhere. `*`/`>` inside a longer token are ordinary bytes.
 * Note: Sublist.insert (like Go's Sublist.Insert, which decides SUB's 'Invalid Subject') checks
 * only the token structure, not whitespace; whitespace cannot reach it from the parser anyway.
 */
export function isValidSubject(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  let tokStart = 0;
  let sawFwc = false;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? s.charCodeAt(i) : TSEP;
    if (c === TSEP) {
      const len = i - tokStart;
      if (len === 0 || sawFwc) return false;
      if (len === 1 && s.charCodeAt(tokStart) === FWC) sawFwc = true;
      tokStart = i + 1;
    } else if (isSubjectSpace(c)) {
      return false;
    }
  }
  return true;
}

/** Byte version of `isValidSubject` over buf[start, end). */
export function isValidSubjectBytes(buf: Uint8Array, start: number, end: number): boolean {
  if (end <= start) return false;
  let tokStart = start;
  let sawFwc = false;
  for (let i = start; i <= end; i++) {
    const c = i < end ? buf[i] : TSEP;
    if (c === TSEP) {
      const len = i - tokStart;
      if (len === 0 || sawFwc) return false;
      if (len === 1 && buf[tokStart] === FWC) sawFwc = true;
      tokStart = i + 1;
    } else if (isSubjectSpace(c)) {
      return false;
    }
  }
  return true;
}

/**
 * nats-server IsValidLiteralSubject (the pedantic PUB check, client.go processPub): every token
 * non-empty and no token exactly `*` or `>`. Like Go it does NOT check whitespace (the parser
 * already split on it), and "" is invalid (one empty token).
 */
export function isValidLiteralSubject(s: string): boolean {
  const n = s.length;
  let tokStart = 0;
  for (let i = 0; i <= n; i++) {
    if (i < n && s.charCodeAt(i) !== TSEP) continue;
    const len = i - tokStart;
    if (len === 0) return false;
    if (len === 1) {
      const c = s.charCodeAt(tokStart);
      if (c === PWC || c === FWC) return false;
    }
    tokStart = i + 1;
  }
  return true;
}

/** Byte version of `isValidLiteralSubject` over buf[start, end). */
export function isValidLiteralSubjectBytes(buf: Uint8Array, start: number, end: number): boolean {
  let tokStart = start;
  for (let i = start; i <= end; i++) {
    if (i < end && buf[i] !== TSEP) continue;
    const len = i - tokStart;
    if (len <= 0) return false;
    if (len === 1) {
      const c = buf[tokStart];
      if (c === PWC || c === FWC) return false;
    }
    tokStart = i + 1;
  }
  return true;
}

/**
 * nats-server subjectIsLiteral: true when no token is exactly `*` or `>`. Fast, does not check
 * validity (empty tokens are not noticed).
 */
export function subjectIsLiteral(s: string): boolean {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (
      (c === PWC || c === FWC) &&
      (i === 0 || s.charCodeAt(i - 1) === TSEP) &&
      (i + 1 === n || s.charCodeAt(i + 1) === TSEP)
    ) {
      return false;
    }
  }
  return true;
}

/** nats-server IsValidPublishSubject: `isValidSubject(s) && subjectIsLiteral(s)` (checks whitespace). */
export function isValidPublishSubject(s: string): boolean {
  return isValidSubject(s) && subjectIsLiteral(s);
}

/**
 * nats-server matchLiteral(literal, subject): does the pattern `pattern` (which may contain `*`
 * and `>` tokens) match `literal`? A `*`/`>` byte in `literal` is compared as an ordinary byte,
 * except that a pattern wildcard token matches it like any other token, so a published `foo.*`
 * is matched by `foo.*` and `foo.>` but not by `foo.bar`. Assumes both are well formed
 * (no empty tokens); used by the sublist cache and handy for permission checks.
 */
export function matchLiteral(literal: string, pattern: string): boolean {
  let li = 0;
  const ll = literal.length;
  const ls = pattern.length;
  for (let i = 0; i < ls; i++) {
    if (li >= ll) return false;
    const c = pattern.charCodeAt(i);
    if (c === PWC) {
      if (i === 0 || pattern.charCodeAt(i - 1) === TSEP) {
        if (i === ls - 1) {
          // Last pattern token is `*`: the rest of the literal must be one token.
          for (;;) {
            if (li >= ll) return true;
            if (literal.charCodeAt(li) === TSEP) return false;
            li++;
          }
        } else if (pattern.charCodeAt(i + 1) === TSEP) {
          // Skip one literal token; the common comparison below then checks '.' with '.'.
          for (;;) {
            if (li >= ll) return false;
            if (literal.charCodeAt(li) === TSEP) break;
            li++;
          }
          i++;
        }
      }
    } else if (c === FWC) {
      if ((i === 0 || pattern.charCodeAt(i - 1) === TSEP) && i === ls - 1) return true;
    }
    if (pattern.charCodeAt(i) !== literal.charCodeAt(li)) return false;
    li++;
  }
  return li >= ll;
}

/**
 * Latin1 decode of buf[start, end) into a byte string (the representation every subject string
 * in this layer uses). Equivalent to Buffer#latin1Slice, without depending on node:buffer.
 */
export function bytesToSubject(buf: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n <= 0) return '';
  const CHUNK = 8192;
  if (n <= CHUNK) {
    return String.fromCharCode.apply(null, buf.subarray(start, end) as unknown as number[]);
  }
  let s = '';
  for (let i = start; i < end; i += CHUNK) {
    const e = Math.min(end, i + CHUNK);
    s += String.fromCharCode.apply(null, buf.subarray(i, e) as unknown as number[]);
  }
  return s;
}

/** True when byte string `s` equals buf[start, end) byte for byte. No allocation. */
export function subjectEqualsBytes(s: string, buf: Uint8Array, start: number, end: number): boolean {
  const n = end - start;
  if (s.length !== n) return false;
  for (let i = 0; i < n; i++) {
    if (s.charCodeAt(i) !== buf[start + i]) return false;
  }
  return true;
}

// Subject relations of sublist.go, with their quirks (a token is a wildcard when its first
// byte is one, in places).

/** isSubsetMatch: is every subject `tokens` can match also matched by `test`? */
export function isSubsetMatch(tokens: readonly string[], test: string): boolean {
  const tts = test.split('.');
  for (let i = 0; i < tts.length; i++) {
    if (i >= tokens.length) return false;
    const t2 = tts[i]!;
    if (t2.length === 0) return false;
    if (t2 === '>') return true;
    const t1 = tokens[i]!;
    if (t1.length === 0 || t1 === '>') return false;
    if (t1 === '*') {
      if (t2 !== '*') return false;
      continue;
    }
    if (t2[0] !== '*' && t1 !== t2) return false;
  }
  return tokens.length === tts.length;
}

export function subjectIsSubsetMatch(subject: string, test: string): boolean {
  return isSubsetMatch(subject.split('.'), test);
}

/** SubjectsCollide: could one literal subject match both? */
export function subjectsCollide(s1: string, s2: string): boolean {
  if (s1 === s2) return true;
  const t1 = s1.split('.');
  const t2 = s2.split('.');
  const pwc1 = t1.includes('*');
  const fwc1 = t1.includes('>');
  const pwc2 = t2.includes('*');
  const fwc2 = t2.includes('>');
  const l1 = !(pwc1 || fwc1);
  const l2 = !(pwc2 || fwc2);
  if (l1 && l2) return false;
  if (l1) return isSubsetMatch(t1, s2);
  if (l2) return isSubsetMatch(t2, s1);
  if (!fwc1 && !fwc2 && t1.length !== t2.length) return false;
  if ((t1.length < t2.length && !fwc1) || (t2.length < t1.length && !fwc2)) return false;
  const canMatch = (a: string, b: string): boolean =>
    a.length > 0 && b.length > 0 && ('*>'.includes(a[0]!) || '*>'.includes(b[0]!) || a === b);
  for (let i = 0; i < Math.min(t1.length, t2.length); i++) if (!canMatch(t1[i]!, t2[i]!)) return false;
  return true;
}

/** Whether the literal `subject` is matched by the filter `filter` ('' and '>' match everything). */
export function filterMatches(filter: string, subject: string): boolean {
  return filter === '' || filter === '>' || filter === subject || (!subjectIsLiteral(filter) && matchLiteral(subject, filter));
}
