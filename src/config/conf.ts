// The NATS configuration format: lexer and parser, ported state by state from nats-server's
// conf/lex.go and conf/parse.go (2.9.10), always in its "pedantic" mode (every value keeps
// the position nats-server reports errors at).
//
// Faithfulness notes (all deliberate, to match nats-server byte for byte):
// - The lexer works on UTF-8 bytes, like Go. Positions and lengths are byte counts.
// - `col` is nats-server's position number: the byte offset from the start of the line as Go
//   computes it, which is 0-based on line 1 and 1-based on every later line (Go measures from
//   the previous '\n'). So "foo" at the very start of a file is 1:0, on line 2 it is 2:1.
// - A map entry's node carries the position of its key (that is what nats-server reports);
//   an array element carries its own position.
// - Map keys are stored as written and looked up exactly by `$variables` (as Go does);
//   ConfMap.get() offers the case-insensitive lookup the option code wants.
// - A NUL byte reads as end of input in the lexer's comparisons, as in Go.
// - Integer size suffixes multiply in 64-bit two's complement (Go wraps on overflow); an
//   unknown suffix made only of b/i letters (e.g. `1kbib`) silently drops the value.
// - `\xNN` escapes produce bytes; the byte string is decoded as UTF-8, and bytes that are not
//   valid UTF-8 become the Latin-1 character of the same value (so `\xe9` is "é").

import { readFileSync } from 'node:fs';
import * as path from 'node:path';

// ---------------------------------------------------------------------------------------------
// Public types

/** Where a value (or error) sits: nats-server's `<file>:<line>:<col>` triple. */
export interface Position {
  file: string;
  line: number;
  col: number;
}

interface NodeBase {
  /** For a map entry: its key's position. For an array element: the element's own. */
  pos: Position;
  /** True once another value referenced this entry as `$name` (nats-server then does not
   * report it as an unknown field). */
  usedAsVariable: boolean;
}

export interface StringNode extends NodeBase {
  kind: 'string';
  value: string;
}
export interface IntNode extends NodeBase {
  kind: 'int';
  /** int64 in Go; exact below 2^53. */
  value: number;
}
export interface FloatNode extends NodeBase {
  kind: 'float';
  value: number;
}
export interface BoolNode extends NodeBase {
  kind: 'bool';
  value: boolean;
}
export interface DateNode extends NodeBase {
  kind: 'datetime';
  value: Date;
}
export interface ArrayNode extends NodeBase {
  kind: 'array';
  value: ConfNode[];
}
export interface MapNode extends NodeBase {
  kind: 'map';
  value: ConfMap;
}

export type ConfNode = StringNode | IntNode | FloatNode | BoolNode | DateNode | ArrayNode | MapNode;
export type ConfKind = ConfNode['kind'];

/** An ordered map of key → node. Keys keep their original spelling. */
export class ConfMap implements Iterable<[string, ConfNode]> {
  private readonly map = new Map<string, ConfNode>();

  get size(): number {
    return this.map.size;
  }
  /** Case-insensitive lookup: an exact match wins, else the first key equal ignoring case. */
  get(key: string): ConfNode | undefined {
    const exact = this.map.get(key);
    if (exact !== undefined) return exact;
    const lower = key.toLowerCase();
    for (const [k, v] of this.map) if (k.toLowerCase() === lower) return v;
    return undefined;
  }
  /** Exact (case-sensitive) lookup, as nats-server's `$variable` resolution does. */
  getExact(key: string): ConfNode | undefined {
    return this.map.get(key);
  }
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }
  set(key: string, node: ConfNode): void {
    this.map.set(key, node);
  }
  keys(): IterableIterator<string> {
    return this.map.keys();
  }
  entries(): IterableIterator<[string, ConfNode]> {
    return this.map.entries();
  }
  [Symbol.iterator](): IterableIterator<[string, ConfNode]> {
    return this.map.entries();
  }
}

export type ConfigErrorKind = 'parse' | 'option' | 'warning' | 'validation';

/**
 * A configuration problem. `reason` is nats-server's wording; `message` prefixes it with
 * `<file>:<line>:<col>: ` when the position is known. When several problems were collected
 * (option processing reports them all, like nats-server), `details` lists each one and
 * `message` joins their messages with newlines, warnings first.
 */
export class ConfigError extends Error {
  readonly kind: ConfigErrorKind;
  readonly reason: string;
  readonly pos: Position | undefined;
  readonly details: readonly ConfigError[];

  constructor(reason: string, pos?: Position, kind: ConfigErrorKind = 'option', details?: readonly ConfigError[]) {
    super(
      details && details.length > 0
        ? details.map((d) => d.message).join('\n')
        : pos
          ? `${formatPosition(pos)}: ${reason}`
          : reason,
    );
    this.name = 'ConfigError';
    this.kind = kind;
    this.reason = reason;
    this.pos = pos;
    this.details = details && details.length > 0 ? details : [this];
  }

  /** Several problems as one error (nats-server's processConfigErr): warnings, then errors. */
  static aggregate(problems: readonly ConfigError[]): ConfigError {
    const sorted = [
      ...problems.filter((p) => p.kind === 'warning'),
      ...problems.filter((p) => p.kind !== 'warning'),
    ];
    if (sorted.length === 1) return sorted[0]!;
    const first = sorted[0]!;
    return new ConfigError(first.reason, first.pos, first.kind, sorted);
  }

  /**
   * The text `nats-server` prints after "nats-server: " for this error. Parse and validation
   * errors carry no position there; option errors and warnings do (one per line, each ending
   * in '\n', warnings first).
   */
  get natsText(): string {
    if (this.kind === 'parse' || this.kind === 'validation') return this.reason;
    return this.details.map((d) => (d.pos ? `${formatPosition(d.pos)}: ${d.reason}` : d.reason) + '\n').join('');
  }
}

export function formatPosition(pos: Position): string {
  return `${pos.file}:${pos.line}:${pos.col}`;
}

/** nats-server's Go type name for a value, as it appears in "interface conversion" errors. */
export function goTypeName(node: ConfNode): string {
  switch (node.kind) {
    case 'string':
      return 'string';
    case 'int':
      return 'int64';
    case 'float':
      return 'float64';
    case 'bool':
      return 'bool';
    case 'datetime':
      return 'time.Time';
    case 'array':
      return '[]interface {}';
    case 'map':
      return 'map[string]interface {}';
  }
}

/** Strip positions: strings, numbers, booleans, Dates, arrays and plain objects. */
export function toPlain(node: ConfNode): unknown {
  switch (node.kind) {
    case 'array':
      return node.value.map(toPlain);
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of node.value) out[k] = toPlain(v);
      return out;
    }
    default:
      return node.value;
  }
}

// ---------------------------------------------------------------------------------------------
// UTF-8 and Go's character classes

const RUNE_ERROR = 0xfffd;
const EOF = 0; // Go's lexer uses rune 0 for end of input (a NUL byte compares equal to it)

/** utf8.DecodeRune: [rune, width]; invalid input gives [U+FFFD, 1]; empty gives [EOF, 0]. */
function decodeRune(b: Uint8Array, i: number): [number, number] {
  const n = b.length - i;
  if (n <= 0) return [RUNE_ERROR, 0];
  const b0 = b[i]!;
  if (b0 < 0x80) return [b0, 1];
  let size: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) size = 2;
  else if (b0 >= 0xe0 && b0 <= 0xef) {
    size = 3;
    if (b0 === 0xe0) lo = 0xa0;
    else if (b0 === 0xed) hi = 0x9f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    size = 4;
    if (b0 === 0xf0) lo = 0x90;
    else if (b0 === 0xf4) hi = 0x8f;
  } else return [RUNE_ERROR, 1];
  if (n < size) return [RUNE_ERROR, 1];
  const b1 = b[i + 1]!;
  if (b1 < lo || b1 > hi) return [RUNE_ERROR, 1];
  if (size === 2) return [((b0 & 0x1f) << 6) | (b1 & 0x3f), 2];
  const b2 = b[i + 2]!;
  if (b2 < 0x80 || b2 > 0xbf) return [RUNE_ERROR, 1];
  if (size === 3) return [((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f), 3];
  const b3 = b[i + 3]!;
  if (b3 < 0x80 || b3 > 0xbf) return [RUNE_ERROR, 1];
  return [((b0 & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f), 4];
}

/** Bytes → string: valid UTF-8 decodes normally; each invalid byte becomes U+00XX. */
function decodeBytes(b: Uint8Array): string {
  let ascii = true;
  for (let i = 0; i < b.length; i++) {
    if (b[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
  let out = '';
  for (let i = 0; i < b.length; ) {
    const [r, w] = decodeRune(b, i);
    if (r === RUNE_ERROR && w === 1) out += String.fromCharCode(b[i]!);
    else out += String.fromCodePoint(r);
    i += w;
  }
  return out;
}

/** unicode.IsSpace */
function isSpace(r: number): boolean {
  if (r <= 0xff) {
    return r === 0x20 || (r >= 0x09 && r <= 0x0d) || r === 0x85 || r === 0xa0;
  }
  return (
    r === 0x1680 ||
    (r >= 0x2000 && r <= 0x200a) ||
    r === 0x2028 ||
    r === 0x2029 ||
    r === 0x202f ||
    r === 0x205f ||
    r === 0x3000
  );
}

const ND = /^\p{Nd}$/u;
/** unicode.IsDigit */
function isDigit(r: number): boolean {
  if (r <= 0xff) return r >= 0x30 && r <= 0x39;
  return ND.test(String.fromCodePoint(r));
}

const isWhitespace = (r: number): boolean => r === 0x09 || r === 0x20;
const isNL = (r: number): boolean => r === 0x0a || r === 0x0d;
const isKeySeparator = (r: number): boolean => r === C.EQ || r === C.COLON;
const isNumberSuffix = (r: number): boolean =>
  r === 0x6b || r === 0x4b || // k K
  r === 0x6d || r === 0x4d || // m M
  r === 0x67 || r === 0x47 || // g G
  r === 0x74 || r === 0x54 || // t T
  r === 0x70 || r === 0x50 || // p P
  r === 0x65 || r === 0x45; //   e E

const C = {
  LBRACE: 0x7b, // {  mapStart, topOptStart
  RBRACE: 0x7d, // }  mapEnd, topOptTerm
  EQ: 0x3d,
  COLON: 0x3a,
  LBRACKET: 0x5b, // [
  RBRACKET: 0x5d, // ]
  COMMA: 0x2c, //    arrayValTerm, mapValTerm, topOptValTerm
  HASH: 0x23,
  SLASH: 0x2f,
  DQUOTE: 0x22,
  SQUOTE: 0x27,
  SEMI: 0x3b, //     optValTerm
  LPAREN: 0x28, //   blockStart
  RPAREN: 0x29, //   blockEnd
  BACKSLASH: 0x5c,
  DOLLAR: 0x24,
  MINUS: 0x2d,
  DOT: 0x2e,
  NL: 0x0a,
} as const;

/** Go's escapeSpecial + %v of a rune. */
function runeText(r: number): string {
  if (r === C.NL) return '\\n';
  return String.fromCodePoint(r);
}

// ---------------------------------------------------------------------------------------------
// Lexer (lex.go)

export const ItemType = {
  Error: 'Error',
  NIL: 'NIL',
  EOF: 'EOF',
  Key: 'Key',
  Text: 'Text',
  String: 'String',
  Bool: 'Bool',
  Integer: 'Integer',
  Float: 'Float',
  Datetime: 'DateTime',
  ArrayStart: 'ArrayStart',
  ArrayEnd: 'ArrayEnd',
  MapStart: 'MapStart',
  MapEnd: 'MapEnd',
  CommentStart: 'CommentStart',
  Variable: 'Variable',
  Include: 'Include',
} as const;
export type ItemType = (typeof ItemType)[keyof typeof ItemType];

/** One lexer token, as Go's `item`: type, text, line and nats-server position number. */
export interface Item {
  typ: ItemType;
  val: string;
  line: number;
  pos: number;
}

type StateFn = (lx: Lexer) => StateFn | null;


function concatBytes(parts: Uint8Array[], tail: Uint8Array): Uint8Array {
  if (parts.length === 0) return tail;
  return Buffer.concat([...parts, tail]);
}

class Lexer {
  readonly input: Uint8Array;
  start = 0;
  pos = 0;
  width = 0;
  line = 1;
  state: StateFn | null = lexTop;
  private readonly items: Item[] = [];
  private head = 0;
  private readonly stack: StateFn[] = [];
  stringParts: Uint8Array[] = [];
  stringStateFn: StateFn = lexString;
  lstart = 0; // start of the current line (index of its '\n')
  ilstart = 0; // start of the line the current item began on

  constructor(input: Uint8Array) {
    this.input = input;
  }

  nextItem(): Item {
    for (;;) {
      if (this.head < this.items.length) {
        const it = this.items[this.head++]!;
        if (this.head > 64) {
          this.items.splice(0, this.head);
          this.head = 0;
        }
        return it;
      }
      if (this.state === null) return { typ: ItemType.EOF, val: '', line: this.line, pos: 0 };
      this.state = this.state(this);
    }
  }

  push(s: StateFn): void {
    this.stack.push(s);
  }

  pop(): StateFn | null {
    const s = this.stack.pop();
    if (s === undefined) return this.errorf('BUG in lexer: no states to pop.');
    return s;
  }

  slice(a: number, b: number): Uint8Array {
    return this.input.subarray(a, b);
  }

  private pushItem(typ: ItemType, bytes: Uint8Array): void {
    const pos = this.pos - this.ilstart - bytes.length;
    this.items.push({ typ, val: decodeBytes(bytes), line: this.line, pos });
    this.start = this.pos;
    this.ilstart = this.lstart;
  }

  emit(typ: ItemType): void {
    this.pushItem(typ, concatBytes(this.stringParts, this.slice(this.start, this.pos)));
  }

  emitString(): void {
    let bytes: Uint8Array;
    if (this.stringParts.length > 0) {
      bytes = concatBytes(this.stringParts, this.slice(this.start, this.pos));
      this.stringParts = [];
    } else {
      bytes = this.slice(this.start, this.pos);
    }
    this.pushItem(ItemType.String, bytes);
  }

  addCurrentStringPart(offset: number): void {
    this.stringParts.push(this.slice(this.start, this.pos - offset));
    this.start = this.pos;
  }

  addStringPart(s: Uint8Array): StateFn {
    this.stringParts.push(s);
    this.start = this.pos;
    return this.stringStateFn;
  }

  hasEscapedParts(): boolean {
    return this.stringParts.length > 0;
  }

  next(): number {
    if (this.pos >= this.input.length) {
      this.width = 0;
      return EOF;
    }
    if (this.input[this.pos] === C.NL) {
      this.line++;
      this.lstart = this.pos;
    }
    const [r, w] = decodeRune(this.input, this.pos);
    this.width = w;
    this.pos += w;
    return r;
  }

  ignore(): void {
    this.start = this.pos;
    this.ilstart = this.lstart;
  }

  backup(): void {
    this.pos -= this.width;
    if (this.pos < this.input.length && this.input[this.pos] === C.NL) this.line--;
  }

  peek(): number {
    const r = this.next();
    this.backup();
    return r;
  }

  errorf(msg: string): null {
    this.items.push({ typ: ItemType.Error, val: msg, line: this.line, pos: this.pos - this.lstart });
    return null;
  }

  text(a: number, b: number): string {
    return decodeBytes(this.slice(a, b));
  }

  isBool(): boolean {
    const s = this.text(this.start, this.pos).toLowerCase();
    return s === 'true' || s === 'false' || s === 'on' || s === 'off' || s === 'yes' || s === 'no';
  }

  isVariable(): boolean {
    if (this.start >= this.input.length) return false;
    if (this.input[this.start] === C.DOLLAR) {
      this.start += 1;
      return true;
    }
    return false;
  }

  keyCheckKeyword(fallThrough: StateFn, push: StateFn | null): StateFn {
    const key = this.text(this.start, this.pos).toLowerCase();
    if (key === 'include') {
      this.ignore();
      if (push) this.push(push);
      return lexIncludeStart;
    }
    this.emit(ItemType.Key);
    return fallThrough;
  }
}

function lexSkip(_lx: Lexer, nextState: StateFn): StateFn {
  return (lx) => {
    lx.ignore();
    return nextState;
  };
}

function lexEOFOrError(lx: Lexer): null {
  if (lx.pos > lx.start) return lx.errorf('Unexpected EOF.');
  lx.emit(ItemType.EOF);
  return null;
}

function lexTop(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isSpace(r)) return lexSkip(lx, lexTop);
  switch (r) {
    case C.LBRACE:
      return lexSkip(lx, lexTop);
    case C.HASH:
      lx.push(lexTop);
      return lexCommentStart;
    case C.SLASH: {
      const rn = lx.next();
      if (rn === C.SLASH) {
        lx.push(lexTop);
        return lexCommentStart;
      }
      lx.backup();
      return lexEOFOrError(lx); // Go falls through to the EOF case
    }
    case EOF:
      return lexEOFOrError(lx);
  }
  lx.backup();
  lx.push(lexTopValueEnd);
  return lexKeyStart;
}

function lexTopValueEnd(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (r === C.HASH) {
    lx.push(lexTop);
    return lexCommentStart;
  }
  if (r === C.SLASH) {
    const rn = lx.next();
    if (rn === C.SLASH) {
      lx.push(lexTop);
      return lexCommentStart;
    }
    lx.backup();
    return lexTopValueEnd; // Go falls through to the whitespace case
  }
  if (isWhitespace(r)) return lexTopValueEnd;
  if (isNL(r) || r === EOF || r === C.SEMI || r === C.COMMA || r === C.RBRACE) {
    lx.ignore();
    return lexTop;
  }
  return lx.errorf(
    `Expected a top-level value to end with a new line, comment or EOF, but got '${runeText(r)}' instead.`,
  );
}

function lexKeyStart(lx: Lexer): StateFn | null {
  const r = lx.peek();
  if (isKeySeparator(r)) return lx.errorf(`Unexpected key separator '${runeText(r)}'`);
  if (isSpace(r)) {
    lx.next();
    return lexSkip(lx, lexKeyStart);
  }
  if (r === C.DQUOTE) {
    lx.next();
    return lexSkip(lx, lexDubQuotedKey);
  }
  if (r === C.SQUOTE) {
    lx.next();
    return lexSkip(lx, lexQuotedKey);
  }
  lx.ignore();
  lx.next();
  return lexKey;
}

function quotedKey(quote: number, self: () => StateFn): StateFn {
  return (lx) => {
    const r = lx.peek();
    if (r === quote) {
      lx.emit(ItemType.Key);
      lx.next();
      return lexSkip(lx, lexKeyEnd);
    } else if (r === EOF) {
      return lexEOFOrError(lx);
    }
    lx.next();
    return self();
  };
}
const lexDubQuotedKey: StateFn = quotedKey(C.DQUOTE, () => lexDubQuotedKey);
const lexQuotedKey: StateFn = quotedKey(C.SQUOTE, () => lexQuotedKey);

function lexIncludeStart(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isWhitespace(r)) return lexSkip(lx, lexIncludeStart);
  lx.backup();
  return lexInclude;
}

function includeQuoted(quote: number, eofMsg: string, self: () => StateFn): StateFn {
  return (lx) => {
    const r = lx.next();
    if (r === quote) {
      lx.backup();
      lx.emit(ItemType.Include);
      lx.next();
      lx.ignore();
      return lx.pop();
    }
    if (r === EOF) return lx.errorf(eofMsg);
    return self();
  };
}
const lexIncludeQuotedString: StateFn = includeQuoted(
  C.SQUOTE,
  'Unexpected EOF in quoted include',
  () => lexIncludeQuotedString,
);
const lexIncludeDubQuotedString: StateFn = includeQuoted(
  C.DQUOTE,
  'Unexpected EOF in double quoted include',
  () => lexIncludeDubQuotedString,
);

function lexIncludeString(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isNL(r) || r === EOF || r === C.SEMI || r === C.RBRACE || isWhitespace(r)) {
    lx.backup();
    lx.emit(ItemType.Include);
    return lx.pop();
  }
  if (r === C.SQUOTE) {
    lx.backup();
    lx.emit(ItemType.Include);
    lx.next();
    lx.ignore();
    return lx.pop();
  }
  return lexIncludeString;
}

function lexInclude(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (r === C.SQUOTE) {
    lx.ignore();
    return lexIncludeQuotedString;
  }
  if (r === C.DQUOTE) {
    lx.ignore();
    return lexIncludeDubQuotedString;
  }
  if (r === C.LBRACKET) return lx.errorf('Expected include value but found start of an array');
  if (r === C.LBRACE) return lx.errorf('Expected include value but found start of a map');
  if (r === C.LPAREN) return lx.errorf('Expected include value but found start of a block');
  if (isDigit(r) || r === C.MINUS) return lx.errorf('Expected include value but found start of a number');
  if (r === C.BACKSLASH) return lx.errorf('Expected include value but found escape sequence');
  if (isNL(r)) return lx.errorf('Expected include value but found new line');
  lx.backup();
  return lexIncludeString;
}

function lexKey(lx: Lexer): StateFn | null {
  const r = lx.peek();
  if (isSpace(r)) return lx.keyCheckKeyword(lexKeyEnd, null);
  if (isKeySeparator(r) || r === EOF) {
    lx.emit(ItemType.Key);
    return lexKeyEnd;
  }
  lx.next();
  return lexKey;
}

function lexKeyEnd(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isSpace(r)) return lexSkip(lx, lexKeyEnd);
  if (isKeySeparator(r)) return lexSkip(lx, lexValue);
  if (r === EOF) {
    lx.emit(ItemType.EOF);
    return null;
  }
  lx.backup();
  return lexValue;
}

function lexValue(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isWhitespace(r)) return lexSkip(lx, lexValue);
  if (r === C.LBRACKET) {
    lx.ignore();
    lx.emit(ItemType.ArrayStart);
    return lexArrayValue;
  }
  if (r === C.LBRACE) {
    lx.ignore();
    lx.emit(ItemType.MapStart);
    return lexMapKeyStart;
  }
  if (r === C.SQUOTE) {
    lx.ignore();
    return lexQuotedString;
  }
  if (r === C.DQUOTE) {
    lx.ignore();
    lx.stringStateFn = lexDubQuotedString;
    return lexDubQuotedString;
  }
  if (r === C.MINUS) return lexNegNumberStart;
  if (r === C.LPAREN) {
    lx.ignore();
    return lexBlock;
  }
  if (isDigit(r)) {
    lx.backup();
    return lexNumberOrDateOrStringOrIPStart;
  }
  if (r === C.DOT) return lx.errorf('Floats must start with a digit');
  if (isNL(r)) return lx.errorf('Expected value but found new line');
  lx.backup();
  lx.stringStateFn = lexString;
  return lexString;
}

function lexArrayValue(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isSpace(r)) return lexSkip(lx, lexArrayValue);
  if (r === C.HASH) {
    lx.push(lexArrayValue);
    return lexCommentStart;
  }
  if (r === C.SLASH) {
    const rn = lx.next();
    if (rn === C.SLASH) {
      lx.push(lexArrayValue);
      return lexCommentStart;
    }
    lx.backup();
    return lx.errorf("Unexpected array value terminator ','."); // Go falls through
  }
  if (r === C.COMMA) return lx.errorf("Unexpected array value terminator ','.");
  if (r === C.RBRACKET) return lexArrayEnd;
  lx.backup();
  lx.push(lexArrayValueEnd);
  return lexValue;
}

function lexArrayValueEnd(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isWhitespace(r)) return lexSkip(lx, lexArrayValueEnd);
  if (r === C.HASH) {
    lx.push(lexArrayValueEnd);
    return lexCommentStart;
  }
  if (r === C.SLASH) {
    const rn = lx.next();
    if (rn === C.SLASH) {
      lx.push(lexArrayValueEnd);
      return lexCommentStart;
    }
    lx.backup();
    return lexSkip(lx, lexArrayValue); // Go falls through to the terminator case
  }
  if (r === C.COMMA || isNL(r)) return lexSkip(lx, lexArrayValue);
  if (r === C.RBRACKET) return lexArrayEnd;
  return lx.errorf(
    `Expected an array value terminator "," or an array terminator "]", but got '${runeText(r)}' instead.`,
  );
}

function lexArrayEnd(lx: Lexer): StateFn | null {
  lx.ignore();
  lx.emit(ItemType.ArrayEnd);
  return lx.pop();
}

function lexMapKeyStart(lx: Lexer): StateFn | null {
  const r = lx.peek();
  if (isKeySeparator(r)) return lx.errorf(`Unexpected key separator '${runeText(r)}'.`);
  if (r === C.RBRACKET) return lx.errorf(`Unexpected array end '${runeText(r)}' processing map.`);
  if (isSpace(r)) {
    lx.next();
    return lexSkip(lx, lexMapKeyStart);
  }
  if (r === C.RBRACE) {
    lx.next();
    return lexSkip(lx, lexMapEnd);
  }
  if (r === C.HASH) {
    lx.next();
    lx.push(lexMapKeyStart);
    return lexCommentStart;
  }
  if (r === C.SLASH) {
    lx.next();
    const rn = lx.next();
    if (rn === C.SLASH) {
      lx.push(lexMapKeyStart);
      return lexCommentStart;
    }
    lx.backup();
    // Go breaks out of the switch here: the lone '/' is dropped from the key.
  } else if (r === C.SQUOTE) {
    lx.next();
    return lexSkip(lx, lexMapQuotedKey);
  } else if (r === C.DQUOTE) {
    lx.next();
    return lexSkip(lx, lexMapDubQuotedKey);
  } else if (r === EOF) {
    return lx.errorf('Unexpected EOF processing map.');
  }
  lx.ignore();
  lx.next();
  return lexMapKey;
}

function mapQuotedKey(quote: number, eofMsg: string, self: () => StateFn): StateFn {
  return (lx) => {
    const r = lx.peek();
    if (r === EOF) return lx.errorf(eofMsg);
    if (r === quote) {
      lx.emit(ItemType.Key);
      lx.next();
      return lexSkip(lx, lexMapKeyEnd);
    }
    lx.next();
    return self();
  };
}
const lexMapQuotedKey: StateFn = mapQuotedKey(
  C.SQUOTE,
  'Unexpected EOF processing quoted map key.',
  () => lexMapQuotedKey,
);
const lexMapDubQuotedKey: StateFn = mapQuotedKey(
  C.DQUOTE,
  'Unexpected EOF processing double quoted map key.',
  () => lexMapDubQuotedKey,
);

function lexMapKey(lx: Lexer): StateFn | null {
  const r = lx.peek();
  if (r === EOF) return lx.errorf('Unexpected EOF processing map key.');
  if (isSpace(r)) return lx.keyCheckKeyword(lexMapKeyEnd, lexMapValueEnd);
  if (isKeySeparator(r)) {
    lx.emit(ItemType.Key);
    return lexMapKeyEnd;
  }
  lx.next();
  return lexMapKey;
}

function lexMapKeyEnd(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isSpace(r)) return lexSkip(lx, lexMapKeyEnd);
  if (isKeySeparator(r)) return lexSkip(lx, lexMapValue);
  lx.backup();
  return lexMapValue;
}

function lexMapValue(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isSpace(r)) return lexSkip(lx, lexMapValue);
  if (r === C.COMMA) return lx.errorf('Unexpected map value terminator ",".');
  if (r === C.RBRACE) return lexSkip(lx, lexMapEnd);
  lx.backup();
  lx.push(lexMapValueEnd);
  return lexValue;
}

function lexMapValueEnd(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isWhitespace(r)) return lexSkip(lx, lexMapValueEnd);
  if (r === C.HASH) {
    lx.push(lexMapValueEnd);
    return lexCommentStart;
  }
  if (r === C.SLASH) {
    const rn = lx.next();
    if (rn === C.SLASH) {
      lx.push(lexMapValueEnd);
      return lexCommentStart;
    }
    lx.backup();
    return lexSkip(lx, lexMapKeyStart); // Go falls through to the terminator case
  }
  if (r === C.SEMI || r === C.COMMA || isNL(r)) return lexSkip(lx, lexMapKeyStart);
  if (r === C.RBRACE) return lexSkip(lx, lexMapEnd);
  return lx.errorf(
    `Expected a map value terminator "," or a map terminator "}", but got '${runeText(r)}' instead.`,
  );
}

function lexMapEnd(lx: Lexer): StateFn | null {
  lx.ignore();
  lx.emit(ItemType.MapEnd);
  return lx.pop();
}

function lexQuotedString(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (r === C.SQUOTE) {
    lx.backup();
    lx.emit(ItemType.String);
    lx.next();
    lx.ignore();
    return lx.pop();
  }
  if (r === EOF) return lexEOFOrError(lx);
  return lexQuotedString;
}

function lexDubQuotedString(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (r === C.BACKSLASH) {
    lx.addCurrentStringPart(1);
    return lexStringEscape;
  }
  if (r === C.DQUOTE) {
    lx.backup();
    lx.emitString();
    lx.next();
    lx.ignore();
    return lx.pop();
  }
  if (r === EOF) return lexEOFOrError(lx);
  return lexDubQuotedString;
}

function lexString(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (r === C.BACKSLASH) {
    lx.addCurrentStringPart(1);
    return lexStringEscape;
  }
  if (
    isNL(r) ||
    r === EOF ||
    r === C.SEMI ||
    r === C.COMMA ||
    r === C.RBRACKET ||
    r === C.RBRACE ||
    isWhitespace(r)
  ) {
    lx.backup();
    if (lx.hasEscapedParts()) lx.emitString();
    else if (lx.isBool()) lx.emit(ItemType.Bool);
    else if (lx.isVariable()) lx.emit(ItemType.Variable);
    else lx.emitString();
    return lx.pop();
  }
  if (r === C.SQUOTE) {
    lx.backup();
    lx.emitString();
    lx.next();
    lx.ignore();
    return lx.pop();
  }
  return lexString;
}

function lexBlock(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (r === C.RPAREN) {
    lx.backup();
    lx.backup();
    // A ')' closes the block only on a line by itself.
    if (lx.next() !== C.NL) {
      lx.next();
      return lexBlock;
    }
    lx.next();
    const after = lx.next();
    if (after === C.NL || after === EOF) {
      lx.backup();
      lx.backup();
      lx.emit(ItemType.String);
      lx.next();
      lx.ignore();
      return lx.pop();
    }
    lx.backup();
  } else if (r === EOF) {
    return lx.errorf('Unexpected EOF processing block.');
  }
  return lexBlock;
}

const ESCAPES: Record<number, Uint8Array> = {
  0x74: Uint8Array.of(0x09), // \t
  0x6e: Uint8Array.of(0x0a), // \n
  0x72: Uint8Array.of(0x0d), // \r
  0x22: Uint8Array.of(0x22), // \"
  0x5c: Uint8Array.of(0x5c), // \\
};

function lexStringEscape(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (r === 0x78 /* x */) return lexStringBinary;
  const rep = ESCAPES[r];
  if (rep) return lx.addStringPart(rep);
  return lx.errorf(
    `Invalid escape character '${runeText(r)}'. Only the following escape characters are allowed: \\xXX, \\t, \\n, \\r, \\", \\\\.`,
  );
}

function hexVal(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x61 + 10;
  if (b >= 0x41 && b <= 0x46) return b - 0x41 + 10;
  return -1;
}

function lexStringBinary(lx: Lexer): StateFn | null {
  const EOL = "Expected two hexadecimal digits after '\\x', but hit end of line";
  if (isNL(lx.next())) return lx.errorf(EOL);
  if (isNL(lx.next())) return lx.errorf(EOL);
  const offset = Math.max(0, lx.pos - 2);
  const pair = lx.slice(offset, lx.pos);
  const hi = pair.length === 2 ? hexVal(pair[0]!) : -1;
  const lo = pair.length === 2 ? hexVal(pair[1]!) : -1;
  if (hi < 0 || lo < 0) {
    return lx.errorf(`Expected two hexadecimal digits after '\\x', but got '${decodeBytes(pair)}'`);
  }
  lx.addStringPart(Uint8Array.of(hi * 16 + lo));
  return lx.stringStateFn;
}

function lexNumberOrDateOrStringOrIPStart(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (!isDigit(r)) {
    if (r === C.DOT) return lx.errorf("Floats must start with a digit, not '.'.");
    return lx.errorf(`Expected a digit but got '${runeText(r)}'.`);
  }
  return lexNumberOrDateOrStringOrIP;
}

function endsNumber(r: number): boolean {
  return isNL(r) || r === EOF || r === C.RBRACE || r === C.SEMI || r === C.COMMA || isWhitespace(r) || isDigit(r);
}

function lexNumberOrDateOrStringOrIP(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (r === C.MINUS) {
    if (lx.pos - lx.start !== 5) return lx.errorf('All ISO8601 dates must be in full Zulu form.');
    return lexDateAfterYear;
  }
  if (isDigit(r)) return lexNumberOrDateOrStringOrIP;
  if (r === C.DOT) return lexFloatStart; // a float, or maybe an IP address
  if (isNumberSuffix(r)) return lexConvenientNumber;
  if (!endsNumber(r)) {
    // Not a number after all: a bare string that starts with digits.
    lx.stringStateFn = lexString;
    return lexString;
  }
  lx.backup();
  lx.emit(ItemType.Integer);
  return lx.pop();
}

function lexConvenientNumber(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (r === 0x62 || r === 0x42 || r === 0x69 || r === 0x49) return lexConvenientNumber; // b B i I
  lx.backup();
  if (endsNumber(r)) {
    lx.emit(ItemType.Integer);
    return lx.pop();
  }
  lx.stringStateFn = lexString;
  return lexString;
}

const DATE_FORMAT = '00-00T00:00:00Z';

function lexDateAfterYear(lx: Lexer): StateFn | null {
  for (const ch of DATE_FORMAT) {
    const f = ch.charCodeAt(0);
    const r = lx.next();
    if (ch === '0') {
      if (!isDigit(r)) {
        return lx.errorf(`Expected digit in ISO8601 datetime, but found '${runeText(r)}' instead.`);
      }
    } else if (f !== r) {
      return lx.errorf(`Expected '${ch}' in ISO8601 datetime, but found '${runeText(r)}' instead.`);
    }
  }
  lx.emit(ItemType.Datetime);
  return lx.pop();
}

function lexNegNumberStart(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (!isDigit(r)) {
    if (r === C.DOT) return lx.errorf("Floats must start with a digit, not '.'.");
    return lx.errorf(`Expected a digit but got '${runeText(r)}'.`);
  }
  return lexNegNumber;
}

function lexNegNumber(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isDigit(r)) return lexNegNumber;
  if (r === C.DOT) return lexFloatStart;
  if (isNumberSuffix(r)) return lexConvenientNumber;
  lx.backup();
  lx.emit(ItemType.Integer);
  return lx.pop();
}

function lexFloatStart(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (!isDigit(r)) {
    return lx.errorf(`Floats must have a digit after the '.', but got '${runeText(r)}' instead.`);
  }
  return lexFloat;
}

function lexFloat(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isDigit(r)) return lexFloat;
  if (r === C.DOT) return lexIPAddr; // a second '.': it was an IP address
  lx.backup();
  lx.emit(ItemType.Float);
  return lx.pop();
}

function lexIPAddr(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isDigit(r) || r === C.DOT || r === C.COLON || r === C.MINUS) return lexIPAddr;
  lx.backup();
  lx.emit(ItemType.String);
  return lx.pop();
}

function lexCommentStart(lx: Lexer): StateFn | null {
  lx.ignore();
  lx.emit(ItemType.CommentStart);
  return lexComment;
}

function lexComment(lx: Lexer): StateFn | null {
  const r = lx.peek();
  if (isNL(r) || r === EOF) {
    lx.emit(ItemType.Text);
    return lx.pop();
  }
  lx.next();
  return lexComment;
}

/**
 * Tokenize `input` the way nats-server's lexer does, up to and including the first EOF or
 * Error item. Exposed for tests (lex_test.go cases) and tooling.
 */
export function lexConfig(input: string | Uint8Array): Item[] {
  const lx = new Lexer(typeof input === 'string' ? Buffer.from(input, 'utf8') : input);
  const out: Item[] = [];
  for (;;) {
    const it = lx.nextItem();
    out.push(it);
    if (it.typ === ItemType.EOF || it.typ === ItemType.Error) return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Parser (parse.go, pedantic mode)

const PKEY = 'pk'; // the key an environment value is parsed under
const BCRYPT_PREFIX = '2a$'; // `$2a$...` is a bcrypt hash, not a variable
const MAX_ENV_DEPTH = 32; // Go recurses without bound on `A=$A`; we stop with an error

type Ctx = ConfMap | ConfNode[];

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

const SUFFIXES: Record<string, bigint> = {
  k: 1000n,
  kb: 1024n,
  ki: 1024n,
  kib: 1024n,
  m: 1000n ** 2n,
  mb: 1024n ** 2n,
  mi: 1024n ** 2n,
  mib: 1024n ** 2n,
  g: 1000n ** 3n,
  gb: 1024n ** 3n,
  gi: 1024n ** 3n,
  gib: 1024n ** 3n,
  t: 1000n ** 4n,
  tb: 1024n ** 4n,
  ti: 1024n ** 4n,
  tib: 1024n ** 4n,
  p: 1000n ** 5n,
  pb: 1024n ** 5n,
  pi: 1024n ** 5n,
  pib: 1024n ** 5n,
  e: 1000n ** 6n,
  eb: 1024n ** 6n,
  ei: 1024n ** 6n,
  eib: 1024n ** 6n,
};

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** time.Parse("2006-01-02T15:04:05Z", s) in UTC, or undefined when Go would fail. */
function parseZulu(s: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || se > 59 || d < 1) return undefined;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const dim = mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1]!;
  if (d > dim) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, se, 0);
  return date;
}

/** Go's os error text for a failed read, e.g. "open x.conf: no such file or directory". */
function fileErrorText(file: string, err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const texts: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    ENOTDIR: 'not a directory',
    ELOOP: 'too many levels of symbolic links',
    ENAMETOOLONG: 'file name too long',
  };
  if (e && e.code === 'EISDIR') return `read ${file}: is a directory`;
  const t = (e && e.code && texts[e.code]) || (e && e.message) || String(err);
  return `open ${file}: ${t}`;
}

class Parser {
  private readonly mapping = new ConfMap();
  private readonly lx: Lexer;
  private ctx: Ctx;
  private readonly ctxs: Ctx[] = [];
  private readonly keys: string[] = [];
  private readonly ikeys: Item[] = [];
  /** Directory includes are relative to (Go: filepath.Dir(fp)). */
  private readonly dir: string;

  constructor(
    data: Uint8Array,
    private readonly file: string,
    private readonly envDepth: number,
  ) {
    this.lx = new Lexer(data);
    this.dir = path.dirname(file);
    this.ctx = this.mapping;
    this.pushContext(this.mapping);
  }

  run(): MapNode {
    for (;;) {
      const it = this.lx.nextItem();
      if (it.typ === ItemType.EOF) break;
      this.processItem(it);
    }
    return { kind: 'map', value: this.mapping, pos: { file: this.file, line: 1, col: 0 }, usedAsVariable: false };
  }

  private pushContext(ctx: Ctx): void {
    this.ctxs.push(ctx);
    this.ctx = ctx;
  }

  private popContext(): Ctx {
    const last = this.ctxs.pop();
    if (last === undefined || this.ctxs.length === 0) throw new Error('BUG in parser, context stack empty');
    this.ctx = this.ctxs[this.ctxs.length - 1]!;
    return last;
  }

  private posOf(it: Item): Position {
    return { file: this.file, line: it.line, col: it.pos };
  }

  private fail(it: Item, reason: string): never {
    throw new ConfigError(reason, this.posOf(it), 'parse');
  }

  private node<K extends ConfKind>(it: Item, kind: K, value: Extract<ConfNode, { kind: K }>['value']): ConfNode {
    return { kind, value, pos: this.posOf(it), usedAsVariable: false } as ConfNode;
  }

  private setValue(node: ConfNode): void {
    const ctx = this.ctx;
    if (Array.isArray(ctx)) {
      ctx.push(node);
      return;
    }
    const key = this.keys.pop();
    if (key === undefined) throw new Error('BUG in parser, keys stack empty');
    const ik = this.ikeys.pop();
    if (ik === undefined) throw new Error('BUG in parser, item keys stack empty');
    // Report values at the beginning of their key, as nats-server does.
    node.pos.line = ik.line;
    node.pos.col = ik.pos;
    ctx.set(key, node);
  }

  private processItem(it: Item): void {
    switch (it.typ) {
      case ItemType.Error:
        return this.fail(it, `Parse error on line ${it.line}: '${it.val}'`);
      case ItemType.Key:
        this.keys.push(it.val);
        this.ikeys.push(it);
        return;
      case ItemType.MapStart:
        this.pushContext(new ConfMap());
        return;
      case ItemType.MapEnd: {
        const m = this.popContext() as ConfMap;
        this.setValue(this.node(it, 'map', m));
        return;
      }
      case ItemType.String:
        this.setValue(this.node(it, 'string', it.val));
        return;
      case ItemType.Integer:
        this.processInteger(it);
        return;
      case ItemType.Float: {
        const n = Number(it.val);
        if (Number.isNaN(n)) this.fail(it, `expected float, but got '${it.val}'`);
        if (!Number.isFinite(n)) this.fail(it, `float '${it.val}' is out of the range`);
        this.setValue(this.node(it, 'float', n));
        return;
      }
      case ItemType.Bool: {
        const s = it.val.toLowerCase();
        if (s === 'true' || s === 'yes' || s === 'on') this.setValue(this.node(it, 'bool', true));
        else if (s === 'false' || s === 'no' || s === 'off') this.setValue(this.node(it, 'bool', false));
        else this.fail(it, `expected boolean value, but got '${it.val}'`);
        return;
      }
      case ItemType.Datetime: {
        const d = parseZulu(it.val);
        if (!d) this.fail(it, `expected Zulu formatted DateTime, but got '${it.val}'`);
        this.setValue(this.node(it, 'datetime', d));
        return;
      }
      case ItemType.ArrayStart:
        this.pushContext([]);
        return;
      case ItemType.ArrayEnd: {
        const arr = this.ctx as ConfNode[];
        this.popContext();
        this.setValue(this.node(it, 'array', arr));
        return;
      }
      case ItemType.Variable:
        this.processVariable(it);
        return;
      case ItemType.Include:
        this.processInclude(it);
        return;
      default:
        return; // comments and text
    }
  }

  private processInteger(it: Item): void {
    let lastDigit = 0;
    for (const ch of it.val) {
      const r = ch.codePointAt(0)!;
      if (!isDigit(r) && r !== C.MINUS) break;
      lastDigit += ch.length;
    }
    const numStr = it.val.slice(0, lastDigit);
    if (!/^[+-]?[0-9]+$/.test(numStr)) this.fail(it, `expected integer, but got '${it.val}'`);
    const num = BigInt(numStr);
    if (num < INT64_MIN || num > INT64_MAX) this.fail(it, `integer '${it.val}' is out of the range`);
    const suffix = it.val.slice(lastDigit).trim().toLowerCase();
    const mult = suffix === '' ? 1n : SUFFIXES[suffix];
    // Go has no default case: an unknown suffix (e.g. "kbib") sets no value at all.
    if (mult === undefined) return;
    this.setValue(this.node(it, 'int', Number(BigInt.asIntN(64, num * mult))));
  }

  private processVariable(it: Item): void {
    const found = this.lookupVariable(it);
    if (found === undefined) {
      this.fail(it, `variable reference for '${it.val}' on line ${it.line} can not be found`);
    }
    this.setValue(found);
  }

  /** Block-scoped lookup through enclosing maps (exact key), then the environment. */
  private lookupVariable(it: Item): ConfNode | undefined {
    const name = it.val;
    if (name.startsWith(BCRYPT_PREFIX)) return this.node(it, 'string', '$' + name);
    for (let i = this.ctxs.length - 1; i >= 0; i--) {
      const ctx = this.ctxs[i]!;
      if (Array.isArray(ctx)) continue;
      const v = ctx.getExact(name);
      if (v !== undefined) {
        v.usedAsVariable = true;
        return { ...v, pos: this.posOf(it), usedAsVariable: false } as ConfNode;
      }
    }
    const env = process.env[name];
    if (env === undefined) return undefined;
    let parsed: MapNode;
    try {
      if (this.envDepth >= MAX_ENV_DEPTH) {
        throw new ConfigError(`variable reference for '${name}' is recursive`, undefined, 'parse');
      }
      parsed = new Parser(Buffer.from(`${PKEY}=${env}`, 'utf8'), '', this.envDepth + 1).run();
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      this.fail(it, `variable reference for '${name}' on line ${it.line} could not be parsed: ${e.reason}`);
    }
    const v = parsed.value.getExact(PKEY);
    if (v === undefined) return undefined;
    return { ...v, pos: this.posOf(it), usedAsVariable: false } as ConfNode;
  }

  private processInclude(it: Item): void {
    const file = path.join(this.dir, it.val);
    let m: MapNode;
    try {
      m = parseFileAt(file, this.envDepth);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      throw new ConfigError(`error parsing include file '${it.val}', ${e.reason}`, e.pos ?? this.posOf(it), 'parse');
    }
    for (const [k, v] of m.value) {
      this.keys.push(k);
      this.ikeys.push({ typ: ItemType.Key, val: k, line: v.pos.line, pos: v.pos.col });
      this.setValue(v);
    }
  }
}

function parseFileAt(file: string, envDepth: number): MapNode {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (e) {
    throw new ConfigError(fileErrorText(file, e), undefined, 'parse');
  }
  return new Parser(data, file, envDepth).run();
}

/**
 * Parse a configuration file (conf.ParseFileWithChecks). Includes are resolved relative to
 * the including file's directory. Throws ConfigError.
 */
export function parseConfigFile(file: string): MapNode {
  return parseFileAt(file, 0);
}

/**
 * Parse configuration text. `file` names it in positions and is the base for relative
 * includes (its directory; '' means the current directory). Throws ConfigError.
 */
export function parseConfigString(text: string | Uint8Array, file = ''): MapNode {
  const data = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  return new Parser(data, file, 0).run();
}
