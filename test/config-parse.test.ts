// The NATS conf format (src/config/conf.ts). Cases re-derived from nats-server's
// conf/lex_test.go and conf/parse_test.go (2.9.10), plus includes, variables and errors.

import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  ItemType,
  lexConfig,
  parseConfigFile,
  parseConfigString,
  toPlain,
  type ConfNode,
  type Item,
  type MapNode,
} from '../src/config/conf.js';

// ---------------------------------------------------------------------------------------------
// Lexer: [type, text, line, nats-server position]. End-of-input items are not listed (Go's
// test helper never compares them); every other item the lexer emits must be listed.

const { Key: K, String: S, Integer: I, Float: F, Bool: B, Datetime: D, Variable: V, Include: INC } = ItemType;
const { ArrayStart: AS, ArrayEnd: AE, MapStart: MS, MapEnd: ME, CommentStart: CS, Text: T, Error: ERR } = ItemType;
type Tok = [ItemType, string, number, number];

function lexed(input: string): Tok[] {
  return lexConfig(input)
    .filter((it: Item) => it.typ !== ItemType.EOF)
    .map((it: Item): Tok => [it.typ, it.val, it.line, it.pos]);
}

const BAD_ESCAPE =
  "Invalid escape character 'y'. Only the following escape characters are allowed: \\xXX, \\t, \\n, \\r, \\\", \\\\.";

const lexCases: Array<[string, string, Tok[]]> = [
  // name, input, items
  ['plain key', 'foo', [[K, 'foo', 1, 0]]],
  ['dq string', 'foo = "bar"', [[K, 'foo', 1, 0], [S, 'bar', 1, 7]]],
  ['sq string', "foo = 'bar'", [[K, 'foo', 1, 0], [S, 'bar', 1, 7]]],
  ['no spaces', "foo='bar'", [[K, 'foo', 1, 0], [S, 'bar', 1, 5]]],
  ['crlf', "foo='bar'\r\n", [[K, 'foo', 1, 0], [S, 'bar', 1, 5]]],
  ['tabs', "foo=\t'bar'\t", [[K, 'foo', 1, 0], [S, 'bar', 1, 6]]],
  ['sq keeps backslashes', "foo = 'bar\\r\\n  \\t'", [[K, 'foo', 1, 0], [S, 'bar\\r\\n  \\t', 1, 7]]],
  ['string starting with number', 'foo = 3xyz', [[K, 'foo', 1, 0], [S, '3xyz', 1, 6]]],
  ['... then comma', 'foo = 3xyz,', [[K, 'foo', 1, 0], [S, '3xyz', 1, 6]]],
  ['... then semicolon', 'foo = 3xyz;', [[K, 'foo', 1, 0], [S, '3xyz', 1, 6]]],
  ['... indented', '\n        foo = 3xyz\n        ', [[K, 'foo', 2, 9], [S, '3xyz', 2, 15]]],
  [
    '... in a map closed on the line',
    '\n        map {\n          foo = 3xyz}\n        ',
    [[K, 'map', 2, 9], [MS, '', 2, 14], [K, 'foo', 3, 11], [S, '3xyz', 3, 17], [ME, '', 3, 22]],
  ],
  [
    '... in a map with semicolon',
    '\n        map {\n          foo = 3xyz;\n        }\n        ',
    [[K, 'map', 2, 9], [MS, '', 2, 14], [K, 'foo', 3, 11], [S, '3xyz', 3, 17], [ME, '', 4, 10]],
  ],
  [
    '... two in a map',
    '\n        map {\n          foo = 3xyz,\n          bar = 4wqs\n        }\n        ',
    [
      [K, 'map', 2, 9], [MS, '', 2, 14], [K, 'foo', 3, 11], [S, '3xyz', 3, 17],
      [K, 'bar', 4, 11], [S, '4wqs', 4, 17], [ME, '', 5, 10],
    ],
  ],
  ['binary escape', 'foo = \\x65', [[K, 'foo', 1, 0], [S, 'e', 1, 9]]],
  ['binary escape latin1 byte', 'foo = \\xe9', [[K, 'foo', 1, 0], [S, '\u00e9', 1, 9]]],
  ['integer', 'foo = 123', [[K, 'foo', 1, 0], [I, '123', 1, 6]]],
  ['integer no spaces', 'foo=123', [[K, 'foo', 1, 0], [I, '123', 1, 4]]],
  ['integer crlf', 'foo=123\r\n', [[K, 'foo', 1, 0], [I, '123', 1, 4]]],
  ['negative', 'foo = -123', [[K, 'foo', 1, 0], [I, '-123', 1, 6]]],
  ['negative no spaces', 'foo=-123', [[K, 'foo', 1, 0], [I, '-123', 1, 4]]],
  ['negative crlf', 'foo=-123\r\n', [[K, 'foo', 1, 0], [I, '-123', 1, 4]]],
  ['1k', 'foo = 1k', [[K, 'foo', 1, 0], [I, '1k', 1, 6]]],
  ['1K', 'foo = 1K', [[K, 'foo', 1, 0], [I, '1K', 1, 6]]],
  ['1m', 'foo = 1m', [[K, 'foo', 1, 0], [I, '1m', 1, 6]]],
  ['1M', 'foo = 1M', [[K, 'foo', 1, 0], [I, '1M', 1, 6]]],
  ['1g', 'foo = 1g', [[K, 'foo', 1, 0], [I, '1g', 1, 6]]],
  ['1G', 'foo = 1G', [[K, 'foo', 1, 0], [I, '1G', 1, 6]]],
  ['1MB', 'foo = 1MB', [[K, 'foo', 1, 0], [I, '1MB', 1, 6]]],
  ['1Gb', 'foo = 1Gb', [[K, 'foo', 1, 0], [I, '1Gb', 1, 6]]],
  ['-1m', 'foo = -1m', [[K, 'foo', 1, 0], [I, '-1m', 1, 6]]],
  ['-1GB', 'foo = -1GB ', [[K, 'foo', 1, 0], [I, '-1GB', 1, 6]]],
  ['1Ghz is a string', 'foo = 1Ghz', [[K, 'foo', 1, 0], [S, '1Ghz', 1, 6]]],
  ['2Pie is a string', 'foo = 2Pie', [[K, 'foo', 1, 0], [S, '2Pie', 1, 6]]],
  ['3Mbs is a string', 'foo = 3Mbs,', [[K, 'foo', 1, 0], [S, '3Mbs', 1, 6]]],
  [
    'size then non-ASCII string',
    'foo = 4Gb, bar = 5Gø',
    [[K, 'foo', 1, 0], [I, '4Gb', 1, 6], [K, 'bar', 1, 11], [S, '5Gø', 1, 17]],
  ],
  ['float', 'foo = 22.2', [[K, 'foo', 1, 0], [F, '22.2', 1, 6]]],
  ['float no spaces', 'foo=22.2', [[K, 'foo', 1, 0], [F, '22.2', 1, 4]]],
  ['float crlf', 'foo=22.2\r\n', [[K, 'foo', 1, 0], [F, '22.2', 1, 4]]],
  [
    'bad \\x then newline',
    'foo = xyz\\x\n',
    [[K, 'foo', 1, 0], [ERR, "Expected two hexadecimal digits after '\\x', but hit end of line", 2, 1]],
  ],
  [
    'bad \\x one digit then newline',
    'foo = xyz\\xF\n',
    [[K, 'foo', 1, 0], [ERR, "Expected two hexadecimal digits after '\\x', but hit end of line", 2, 1]],
  ],
  [
    'bad \\x no digits',
    'foo = "[\\x]"',
    [[K, 'foo', 1, 0], [ERR, "Expected two hexadecimal digits after '\\x', but got ']\"'", 1, 12]],
  ],
  [
    'bad \\x one digit',
    'foo = "[\\xe]"',
    [[K, 'foo', 1, 0], [ERR, "Expected two hexadecimal digits after '\\x', but got 'e]'", 1, 12]],
  ],
  ['bad float', 'foo = .2', [[K, 'foo', 1, 0], [ERR, 'Floats must start with a digit', 1, 7]]],
  ['bad key', ' :foo = 22', [[ERR, "Unexpected key separator ':'", 1, 1]]],
  ['bool', 'foo = true', [[K, 'foo', 1, 0], [B, 'true', 1, 6]]],
  ['bool no spaces', 'foo=true', [[K, 'foo', 1, 0], [B, 'true', 1, 4]]],
  ['bool crlf', 'foo=true\r\n', [[K, 'foo', 1, 0], [B, 'true', 1, 4]]],
  ['hash comment', '# This is a comment', [[CS, '', 1, 1], [T, ' This is a comment', 1, 1]]],
  ['hash comment crlf', '# This is a comment\r\n', [[CS, '', 1, 1], [T, ' This is a comment', 1, 1]]],
  ['slash comment', '// This is a comment\r\n', [[CS, '', 1, 2], [T, ' This is a comment', 1, 2]]],
  [
    'value then slash comment',
    'foo = 123 // This is a comment',
    [[K, 'foo', 1, 0], [I, '123', 1, 6], [CS, '', 1, 12], [T, ' This is a comment', 1, 12]],
  ],
  [
    'value then hash comment',
    'foo=123    # This is a comment',
    [[K, 'foo', 1, 0], [I, '123', 1, 4], [CS, '', 1, 12], [T, ' This is a comment', 1, 12]],
  ],
  ['raw string', 'foo = bar', [[K, 'foo', 1, 0], [S, 'bar', 1, 6]]],
  ['raw string ended by quote', "foo = bar' ", [[K, 'foo', 1, 0], [S, 'bar', 1, 6]]],
  ['datetime', 'foo = 2016-05-04T18:53:41Z', [[K, 'foo', 1, 0], [D, '2016-05-04T18:53:41Z', 1, 6]]],
  ['variable', 'foo = $bar', [[K, 'foo', 1, 0], [V, 'bar', 1, 7]]],
  ['variable no space', 'foo =$bar', [[K, 'foo', 1, 0], [V, 'bar', 1, 6]]],
  ['variable space separator', 'foo $bar', [[K, 'foo', 1, 0], [V, 'bar', 1, 5]]],
  [
    'array',
    "foo = [1, 2, 3, 'bar']",
    [[K, 'foo', 1, 0], [AS, '', 1, 7], [I, '1', 1, 7], [I, '2', 1, 10], [I, '3', 1, 13], [S, 'bar', 1, 17], [AE, '', 1, 22]],
  ],
  [
    'array no spaces',
    "foo = [1,2,3,'bar']",
    [[K, 'foo', 1, 0], [AS, '', 1, 7], [I, '1', 1, 7], [I, '2', 1, 9], [I, '3', 1, 11], [S, 'bar', 1, 14], [AE, '', 1, 19]],
  ],
  [
    'array mixed spacing',
    "foo = [1, 2,3,'bar']",
    [[K, 'foo', 1, 0], [AS, '', 1, 7], [I, '1', 1, 7], [I, '2', 1, 10], [I, '3', 1, 12], [S, 'bar', 1, 15], [AE, '', 1, 20]],
  ],
  [
    'multi-line array with comments',
    "\n# top level comment\nfoo = [\n 1, # One\n 2, // Two\n 3 # Three\n 'bar'     ,\n \"bar\"\n]\n",
    [
      [CS, '', 2, 2], [T, ' top level comment', 2, 2], [K, 'foo', 3, 1], [AS, '', 3, 8],
      [I, '1', 4, 2], [CS, '', 4, 6], [T, ' One', 4, 6], [I, '2', 5, 2], [CS, '', 5, 7], [T, ' Two', 5, 7],
      [I, '3', 6, 2], [CS, '', 6, 5], [T, ' Three', 6, 5], [S, 'bar', 7, 3], [S, 'bar', 8, 3], [AE, '', 9, 2],
    ],
  ],
  [
    'multi-line array without separators',
    "\n# top level comment\nfoo = [\n 1 // foo\n 2\n 3\n 'bar'\n \"bar\"\n]\n",
    [
      [CS, '', 2, 2], [T, ' top level comment', 2, 2], [K, 'foo', 3, 1], [AS, '', 3, 8],
      [I, '1', 4, 2], [CS, '', 4, 6], [T, ' foo', 4, 6], [I, '2', 5, 2], [I, '3', 6, 2],
      [S, 'bar', 7, 3], [S, 'bar', 8, 3], [AE, '', 9, 2],
    ],
  ],
  [
    'simple map',
    "foo = {ip='127.0.0.1', port = 4242}",
    [[K, 'foo', 1, 0], [MS, '', 1, 7], [K, 'ip', 1, 7], [S, '127.0.0.1', 1, 11], [K, 'port', 1, 23], [I, '4242', 1, 30], [ME, '', 1, 35]],
  ],
  [
    'multi-line map',
    "\nfoo = {\n  ip = '127.0.0.1' # the IP\n  port= 4242 // the port\n}\n",
    [
      [K, 'foo', 2, 1], [MS, '', 2, 8], [K, 'ip', 3, 3], [S, '127.0.0.1', 3, 9], [CS, '', 3, 21], [T, ' the IP', 3, 21],
      [K, 'port', 4, 3], [I, '4242', 4, 9], [CS, '', 4, 16], [T, ' the port', 4, 16], [ME, '', 5, 2],
    ],
  ],
  [
    'nested maps',
    "\nfoo = {\n  host = {\n    ip = '127.0.0.1'\n    port= 4242\n  }\n}\n",
    [
      [K, 'foo', 2, 1], [MS, '', 2, 8], [K, 'host', 3, 3], [MS, '', 3, 11], [K, 'ip', 4, 5], [S, '127.0.0.1', 4, 11],
      [K, 'port', 5, 5], [I, '4242', 5, 11], [ME, '', 6, 4], [ME, '', 7, 2],
    ],
  ],
  ['colon', 'foo : 123', [[K, 'foo', 1, 0], [I, '123', 1, 6]]],
  ['sq key', "'foo' : 123", [[K, 'foo', 1, 1], [I, '123', 1, 8]]],
  ['dq key', '"foo" : 123', [[K, 'foo', 1, 1], [I, '123', 1, 8]]],
  ['sq key with space', "' foo' : 123", [[K, ' foo', 1, 1], [I, '123', 1, 9]]],
  ['dq key with space', '" foo" : 123', [[K, ' foo', 1, 1], [I, '123', 1, 9]]],
  ['colon no spaces', 'foo:123', [[K, 'foo', 1, 0], [I, '123', 1, 4]]],
  ['colon one space', 'foo: 123', [[K, 'foo', 1, 0], [I, '123', 1, 5]]],
  ['colon two spaces crlf', 'foo:  123\r\n', [[K, 'foo', 1, 0], [I, '123', 1, 6]]],
  ['whitespace separator', 'foo 123', [[K, 'foo', 1, 0], [I, '123', 1, 4]]],
  ['tab separator', 'foo\t123', [[K, 'foo', 1, 0], [I, '123', 1, 4]]],
  ['two tabs crlf', 'foo\t\t123\r\n', [[K, 'foo', 1, 0], [I, '123', 1, 5]]],
  [
    'escapes',
    '\nfoo  = \\t\nbar  = \\r\nbaz  = \\n\nq    = \\"\nbs   = \\\\\n',
    [
      [K, 'foo', 2, 1], [S, '\t', 2, 9], [K, 'bar', 3, 1], [S, '\r', 3, 9], [K, 'baz', 4, 1], [S, '\n', 4, 9],
      [K, 'q', 5, 1], [S, '"', 5, 9], [K, 'bs', 6, 1], [S, '\\', 6, 9],
    ],
  ],
  ['escape then string', 'foo = "\\\\end"', [[K, 'foo', 1, 0], [S, '\\end', 1, 8]]],
  ['string then escape', 'foo = "start\\\\"', [[K, 'foo', 1, 0], [S, 'start\\', 1, 8]]],
  ['two binary escapes', 'foo = \\x45\\x71', [[K, 'foo', 1, 0], [S, 'Eq', 1, 12]]],
  ['string then binary escapes', 'foo = start\\x45\\x71', [[K, 'foo', 1, 0], [S, 'startEq', 1, 12]]],
  ['string escape string', 'foo = start\\x7Cend', [[K, 'foo', 1, 0], [S, 'start|end', 1, 9]]],
  ['escapes then string', 'foo = \\x3c\\x3eend', [[K, 'foo', 1, 0], [S, '<>end', 1, 12]]],
  ['escape string escape', 'foo = \\x3cmiddle\\x3E', [[K, 'foo', 1, 0], [S, '<middle>', 1, 12]]],
  ['bad escape', 'foo = \\y', [[K, 'foo', 1, 0], [ERR, BAD_ESCAPE, 1, 8]]],
  ['escaped bool is a string', 'foo = \\\\true', [[K, 'foo', 1, 0], [S, '\\true', 1, 7]]],
  ['escaped variable is a string', 'foo = \\\\$var', [[K, 'foo', 1, 0], [S, '\\$var', 1, 7]]],
  ['empty dq', 'foo = ""', [[K, 'foo', 1, 0], [S, '', 1, 7]]],
  ['empty sq', "foo = ''", [[K, 'foo', 1, 0], [S, '', 1, 7]]],
  [
    'nested maps without separators',
    "\nfoo  {\n  host  {\n    ip = '127.0.0.1'\n    port= 4242\n  }\n}\n",
    [
      [K, 'foo', 2, 1], [MS, '', 2, 7], [K, 'host', 3, 3], [MS, '', 3, 10], [K, 'ip', 4, 5], [S, '127.0.0.1', 4, 11],
      [K, 'port', 5, 5], [I, '4242', 5, 11], [ME, '', 6, 4], [ME, '', 7, 2],
    ],
  ],
  [
    'optional semicolons',
    "\nfoo = 123;\nbar = 'baz';\nbaz = 'boo'\nmap {\n id = 1;\n}\n",
    [
      [K, 'foo', 2, 1], [I, '123', 2, 7], [K, 'bar', 3, 1], [S, 'baz', 3, 8], [K, 'baz', 4, 1], [S, 'boo', 4, 8],
      [K, 'map', 5, 1], [MS, '', 5, 6], [K, 'id', 6, 2], [I, '1', 6, 7], [ME, '', 7, 2],
    ],
  ],
  [
    'semicolon chaining',
    "foo='1'; bar=2.2; baz=true;",
    [[K, 'foo', 1, 0], [S, '1', 1, 5], [K, 'bar', 1, 9], [F, '2.2', 1, 13], [K, 'baz', 1, 18], [B, 'true', 1, 22]],
  ],
  [
    'non-quoted strings',
    '\nfoo = 123\nbar = baz\nbaz=boo\nmap {\n id:one\n id2 : onetwo\n}\nt true\nf false\ntstr "true"\ntkey = two\nfkey = five # This should be a string\n',
    [
      [K, 'foo', 2, 1], [I, '123', 2, 7], [K, 'bar', 3, 1], [S, 'baz', 3, 7], [K, 'baz', 4, 1], [S, 'boo', 4, 5],
      [K, 'map', 5, 1], [MS, '', 5, 6], [K, 'id', 6, 2], [S, 'one', 6, 5], [K, 'id2', 7, 2], [S, 'onetwo', 7, 8],
      [ME, '', 8, 2], [K, 't', 9, 1], [B, 'true', 9, 3], [K, 'f', 10, 1], [B, 'false', 10, 3],
      [K, 'tstr', 11, 1], [S, 'true', 11, 7], [K, 'tkey', 12, 1], [S, 'two', 12, 8], [K, 'fkey', 13, 1],
      [S, 'five', 13, 8], [CS, '', 13, 14], [T, ' This should be a string', 13, 14],
    ],
  ],
  ['dangling dq', '\nlisten: "localhost:4242\n\nhttp: localhost:8222\n', [[K, 'listen', 2, 1], [ERR, 'Unexpected EOF.', 5, 1]]],
  [
    'dangling dq across keys',
    '\nfoo = "\nlisten: "\n\nhttp: localhost:8222\n\n"\n',
    [[K, 'foo', 2, 1], [S, '\nlisten: ', 3, 8], [K, 'http', 5, 1], [S, 'localhost:8222', 5, 7], [ERR, 'Unexpected EOF.', 8, 1]],
  ],
  ['dangling sq', "\nlisten: 'localhost:4242\n\nhttp: localhost:8222\n", [[K, 'listen', 2, 1], [ERR, 'Unexpected EOF.', 5, 1]]],
  [
    'dangling sq across keys',
    "\nfoo = '\nlisten: '\n\nhttp: localhost:8222\n\n'\n",
    [[K, 'foo', 2, 1], [S, '\nlisten: ', 3, 8], [K, 'http', 5, 1], [S, 'localhost:8222', 5, 7], [ERR, 'Unexpected EOF.', 8, 1]],
  ],
  [
    'dangling map',
    '\nlisten = 4222\n\ncluster = {\n\n  foo = bar\n\n',
    [
      [K, 'listen', 2, 1], [I, '4222', 2, 10], [K, 'cluster', 4, 1], [MS, '', 4, 12], [K, 'foo', 6, 3], [S, 'bar', 6, 9],
      [ERR, 'Unexpected EOF processing map.', 8, 1],
    ],
  ],
  [
    'dangling block',
    '\nlisten = 4222\n\nquote = (\n\n  foo = bar\n\n',
    [[K, 'listen', 2, 1], [I, '4222', 2, 10], [K, 'quote', 4, 1], [ERR, 'Unexpected EOF processing block.', 8, 1]],
  ],
  ['map sq key', "foo = {'bar' = 4242}", [[K, 'foo', 1, 0], [MS, '', 1, 7], [K, 'bar', 1, 8], [I, '4242', 1, 15], [ME, '', 1, 20]]],
  ['map dq key', 'foo = {"bar" = 4242}', [[K, 'foo', 1, 0], [MS, '', 1, 7], [K, 'bar', 1, 8], [I, '4242', 1, 15], [ME, '', 1, 20]]],
  [
    'map sq key with special chars',
    "foo = {'bar-1.2.3' = { port:4242 }}",
    [
      [K, 'foo', 1, 0], [MS, '', 1, 7], [K, 'bar-1.2.3', 1, 8], [MS, '', 1, 22], [K, 'port', 1, 23], [I, '4242', 1, 28],
      [ME, '', 1, 34], [ME, '', 1, 35],
    ],
  ],
  [
    'map dq key with special chars',
    'foo = {"bar-1.2.3" = { port:4242 }}',
    [
      [K, 'foo', 1, 0], [MS, '', 1, 7], [K, 'bar-1.2.3', 1, 8], [MS, '', 1, 22], [K, 'port', 1, 23], [I, '4242', 1, 28],
      [ME, '', 1, 34], [ME, '', 1, 35],
    ],
  ],
  [
    'doubly nested maps on new lines',
    '\nsystems {\n  allinone {\n    description: "This is a description."\n  }\n}\n',
    [
      [K, 'systems', 2, 1], [MS, '', 2, 10], [K, 'allinone', 3, 3], [MS, '', 3, 13],
      [K, 'description', 4, 5], [S, 'This is a description.', 4, 19], [ME, '', 5, 4], [ME, '', 6, 2],
    ],
  ],
  ['block string', '\nnumbers (\n1234567890\n)\n', [[K, 'numbers', 2, 1], [S, '\n1234567890\n', 4, 10]]],
  ['block string ended by NUL', '\nnumbers (\n1234567890\n)\0', [[K, 'numbers', 2, 1], [S, '\n1234567890\n', 4, 10]]],
  [
    'multi-line block with parens inside',
    '\nnumbers (\n  12(34)56\n  (\n    7890\n  )\n)\n',
    [[K, 'numbers', 2, 1], [S, '\n  12(34)56\n  (\n    7890\n  )\n', 7, 10]],
  ],
  ['unquoted host:port', 'listen: 127.0.0.1:4222', [[K, 'listen', 1, 0], [S, '127.0.0.1:4222', 1, 8]]],
  ['unquoted IP', 'listen: 127.0.0.1', [[K, 'listen', 1, 0], [S, '127.0.0.1', 1, 8]]],
  ['unquoted name:port', 'listen: apcera.me:80', [[K, 'listen', 1, 0], [S, 'apcera.me:80', 1, 8]]],
  ['unquoted name:-1', 'listen: nats.io:-1', [[K, 'listen', 1, 0], [S, 'nats.io:-1', 1, 8]]],
  ['-1', 'listen: -1', [[K, 'listen', 1, 0], [I, '-1', 1, 8]]],
  [':-1', 'listen: :-1', [[K, 'listen', 1, 0], [S, ':-1', 1, 8]]],
  [':80', 'listen = :80', [[K, 'listen', 1, 0], [S, ':80', 1, 9]]],
  [
    'array of host:port',
    'listen = [localhost:4222, localhost:4333]',
    [[K, 'listen', 1, 0], [AS, '', 1, 10], [S, 'localhost:4222', 1, 10], [S, 'localhost:4333', 1, 26], [AE, '', 1, 41]],
  ],
  [
    'array of maps',
    '\nauthorization {\n    users = [\n      {user: alice, password: foo}\n      {user: bob,   password: bar}\n    ]\n    timeout: 0.5\n}\n',
    [
      [K, 'authorization', 2, 1], [MS, '', 2, 16], [K, 'users', 3, 5], [AS, '', 3, 14],
      [MS, '', 4, 8], [K, 'user', 4, 8], [S, 'alice', 4, 14], [K, 'password', 4, 21], [S, 'foo', 4, 31], [ME, '', 4, 35],
      [MS, '', 5, 8], [K, 'user', 5, 8], [S, 'bob', 5, 14], [K, 'password', 5, 21], [S, 'bar', 5, 31], [ME, '', 5, 35],
      [AE, '', 6, 6], [K, 'timeout', 7, 5], [F, '0.5', 7, 14], [ME, '', 8, 2],
    ],
  ],
  ['include dq', 'include "users.conf"', [[INC, 'users.conf', 1, 9]]],
  ['include sq', "include 'users.conf'", [[INC, 'users.conf', 1, 9]]],
  ['include bare', 'include users.conf', [[INC, 'users.conf', 1, 8]]],
  ['include in map', 'foo { include users.conf }', [[K, 'foo', 1, 0], [MS, '', 1, 5], [INC, 'users.conf', 1, 14], [ME, '', 1, 26]]],
  ['include in tight map', 'foo {include users.conf}', [[K, 'foo', 1, 0], [MS, '', 1, 5], [INC, 'users.conf', 1, 13], [ME, '', 1, 24]]],
  ['include sq in map', "foo { include 'users.conf' }", [[K, 'foo', 1, 0], [MS, '', 1, 5], [INC, 'users.conf', 1, 15], [ME, '', 1, 28]]],
  ['include dq in map', 'foo { include "users.conf"}', [[K, 'foo', 1, 0], [MS, '', 1, 5], [INC, 'users.conf', 1, 15], [ME, '', 1, 27]]],
  // JSON compatibility: braces and commas at the top level are skipped.
  // A closing '}' alone on its line lexes as a key with no value (Go's test helper stops
  // comparing before it); the parser drops such keys, so the file still means what it says.
  ['json: one item', '\n    {\n      "http_port": 8223\n    }\n    ', [[K, 'http_port', 3, 8], [I, '8223', 3, 20], [K, '}', 4, 5]]],
  [
    'json: two items',
    '\n    {\n      "http_port": 8223,\n      "port": 4223\n    }\n    ',
    [[K, 'http_port', 3, 8], [I, '8223', 3, 20], [K, 'port', 4, 8], [I, '4223', 4, 15], [K, '}', 5, 5]],
  ],
  [
    'json: several items',
    '\n{\n  "http_port": 8223,\n  "port": 4223,\n  "max_payload": "5MB",\n  "debug": true,\n  "max_control_line": 1024\n}\n',
    [
      [K, 'http_port', 3, 4], [I, '8223', 3, 16], [K, 'port', 4, 4], [I, '4223', 4, 11], [K, 'max_payload', 5, 4],
      [S, '5MB', 5, 19], [K, 'debug', 6, 4], [B, 'true', 6, 12], [K, 'max_control_line', 7, 4], [I, '1024', 7, 23],
      [K, '}', 8, 1],
    ],
  ],
  ['json: compact', '{"http_port": 8224,"port": 4224}\n', [[K, 'http_port', 1, 2], [I, '8224', 1, 14], [K, 'port', 1, 20], [I, '4224', 1, 27]]],
  ['json: compact, brace on next line', '{"http_port": 8225,"port": 4225\n}\n', [[K, 'http_port', 1, 2], [I, '8225', 1, 14], [K, 'port', 1, 20], [I, '4225', 1, 27], [K, '}', 2, 1]]],
  [
    'json: compact with inner blocks',
    '{"http_port": 8227,"port": 4227,"write_deadline": "1h","cluster": {"port": 6222,"routes": ["nats://127.0.0.1:4222","nats://127.0.0.1:4223","nats://127.0.0.1:4224"]}}\n',
    [
      [K, 'http_port', 1, 2], [I, '8227', 1, 14], [K, 'port', 1, 20], [I, '4227', 1, 27], [K, 'write_deadline', 1, 33],
      [S, '1h', 1, 51], [K, 'cluster', 1, 56], [MS, '', 1, 67], [K, 'port', 1, 68], [I, '6222', 1, 75],
      [K, 'routes', 1, 81], [AS, '', 1, 91], [S, 'nats://127.0.0.1:4222', 1, 92], [S, 'nats://127.0.0.1:4223', 1, 116],
      [S, 'nats://127.0.0.1:4224', 1, 140], [AE, '', 1, 163], [ME, '', 1, 164],
    ],
  ],
  [
    'json: pretty with inner blocks',
    '\n{\n  "http_port": 8227,\n  "port": 4227,\n  "write_deadline": "1h",\n  "cluster": {\n    "port": 6222,\n    "routes": [\n      "nats://127.0.0.1:4222",\n      "nats://127.0.0.1:4223",\n      "nats://127.0.0.1:4224"\n    ]\n  }\n}\n',
    [
      [K, 'http_port', 3, 4], [I, '8227', 3, 16], [K, 'port', 4, 4], [I, '4227', 4, 11], [K, 'write_deadline', 5, 4],
      [S, '1h', 5, 22], [K, 'cluster', 6, 4], [MS, '', 6, 15], [K, 'port', 7, 6], [I, '6222', 7, 13],
      [K, 'routes', 8, 6], [AS, '', 8, 16], [S, 'nats://127.0.0.1:4222', 9, 8], [S, 'nats://127.0.0.1:4223', 10, 8],
      [S, 'nats://127.0.0.1:4224', 11, 8], [AE, '', 12, 6], [ME, '', 13, 4], [K, '}', 14, 1],
    ],
  ],
];

describe('lexer (lex_test.go cases)', () => {
  it.each(lexCases)('%s', (_name, input, want) => {
    expect(lexed(input)).toEqual(want);
  });

  it('ends with EOF after a complete input', () => {
    const items = lexConfig('a = 1\nb = [1, 2 ]\n');
    expect(items.at(-1)!.typ).toBe(ItemType.EOF);
  });

  it('does not loop forever on garbage (TestParserNoInfiniteLoop)', () => {
    for (const bad of ['A@@Føøøø?˛ø:{øøøø˙˙', 'include "9/\uFFFD']) {
      expect(() => parseConfigString(bad)).toThrow(/Unexpected EOF/);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Parser: values (parse_test.go cases)

function plain(text: string, file = ''): unknown {
  return toPlain(parseConfigString(text, file));
}

describe('parser values (parse_test.go cases)', () => {
  it('simple top level', () => {
    expect(plain("foo='1'; bar=2.2; baz=true; boo=22")).toEqual({ foo: '1', bar: 2.2, baz: true, boo: 22 });
  });

  it.each(['true', 'TRUE', 'yes', 'on', 'Yes', 'ON'])('bool %s', (v) => {
    expect(plain(`foo=${v}`)).toEqual({ foo: true });
  });
  it.each(['false', 'FALSE', 'no', 'off', 'Off'])('bool %s', (v) => {
    expect(plain(`foo=${v}`)).toEqual({ foo: false });
  });

  it('size suffixes', () => {
    const text = [
      'k = 8k', 'kb = 4kb', 'ki = 3ki', 'kib = 4ki', 'm = 1m', 'mb = 2MB', 'mi = 2Mi', 'mib = 64MiB',
      'g = 2g', 'gb = 22GB', 'gi = 22Gi', 'gib = 22GiB', 'tb = 22TB', 'ti = 22Ti', 'tib = 22TiB',
      'pb = 22PB', 'pi = 22Pi', 'pib = 22PiB', 't = 3T', 'p = 2p', 'e = 1e', 'neg = -2k',
    ].join('\n');
    expect(plain(text)).toEqual({
      k: 8 * 1000, kb: 4 * 1024, ki: 3 * 1024, kib: 4 * 1024, m: 1000 * 1000, mb: 2 * 1024 ** 2, mi: 2 * 1024 ** 2,
      mib: 64 * 1024 ** 2, g: 2 * 1000 ** 3, gb: 22 * 1024 ** 3, gi: 22 * 1024 ** 3, gib: 22 * 1024 ** 3,
      tb: 22 * 1024 ** 4, ti: 22 * 1024 ** 4, tib: 22 * 1024 ** 4, pb: 22 * 1024 ** 5, pi: 22 * 1024 ** 5,
      pib: 22 * 1024 ** 5, t: 3 * 1000 ** 4, p: 2 * 1000 ** 5, e: 1000 ** 6, neg: -2000,
    });
  });

  it('size suffix overflow wraps like int64 in Go', () => {
    // 10 * 10^18 does not fit in int64: Go wraps silently.
    expect(plain('x = 10e')).toEqual({ x: Number(BigInt.asIntN(64, 10n * 10n ** 18n)) });
  });

  it('unknown b/i suffix combination silently drops the value (as Go)', () => {
    expect(plain('a = 1kbib\nb = 2')).toEqual({ b: 2 });
  });

  it('integer out of range', () => {
    expect(() => parseConfigString('x = 9223372036854775808')).toThrow("integer '9223372036854775808' is out of the range");
    expect(plain('x = 9223372036854775807')).toEqual({ x: 9223372036854775807 });
  });

  it('nested maps and arrays (sample1)', () => {
    const text = "\nfoo  {\n  host {\n    ip   = '127.0.0.1'\n    port = 4242\n  }\n  servers = [ \"a.com\", \"b.com\", \"c.com\"]\n}\n";
    expect(plain(text)).toEqual({
      foo: { host: { ip: '127.0.0.1', port: 4242 }, servers: ['a.com', 'b.com', 'c.com'] },
    });
  });

  it('cluster block with both comment styles (sample2)', () => {
    const text = `
cluster {
  port: 4244

  authorization {
    user: route_user
    password: top_secret
    timeout: 1
  }

  # Routes are actively solicited and connected to from this server.
  // Test both styles of comments

  routes = [
    nats-route://foo:bar@apcera.me:4245
    nats-route://foo:bar@apcera.me:4246
  ]
}
`;
    expect(plain(text)).toEqual({
      cluster: {
        port: 4244,
        authorization: { user: 'route_user', password: 'top_secret', timeout: 1 },
        routes: ['nats-route://foo:bar@apcera.me:4245', 'nats-route://foo:bar@apcera.me:4246'],
      },
    });
  });

  it('quotes inside single-quoted strings, multi-line strings (sample3)', () => {
    const text = "\nfoo  {\n  expr = '(true == \"false\")'\n  text = 'This is a multi-line\ntext block.'\n}\n";
    expect(plain(text)).toEqual({ foo: { expr: '(true == "false")', text: 'This is a multi-line\ntext block.' } });
  });

  it('array of maps (sample4)', () => {
    expect(plain('\n  array [\n    { abc: 123 }\n    { xyz: "word" }\n  ]\n')).toEqual({
      array: [{ abc: 123 }, { xyz: 'word' }],
    });
  });

  it('datetime (sample5)', () => {
    expect(plain('\n  now = 2016-05-04T18:53:41Z\n  gmt = false\n\n')).toEqual({
      now: new Date(Date.UTC(2016, 4, 4, 18, 53, 41)),
      gmt: false,
    });
  });

  it.each(['2016-13-04T18:53:41Z', '2016-02-30T00:00:00Z', '2016-01-01T24:00:00Z', '2016-01-01T00:60:00Z'])(
    'invalid datetime %s',
    (d) => {
      expect(() => parseConfigString(`now = ${d}`)).toThrow(`expected Zulu formatted DateTime, but got '${d}'`);
    },
  );

  it('leap day', () => {
    expect(plain('d = 2016-02-29T00:00:00Z')).toEqual({ d: new Date(Date.UTC(2016, 1, 29)) });
  });

  it('floats', () => {
    expect(plain('a = 0.5\nb = -1.25\nc = 22.2')).toEqual({ a: 0.5, b: -1.25, c: 22.2 });
  });

  it('block strings', () => {
    expect(plain('\nnumbers (\n  12(34)56\n  (\n    7890\n  )\n)\n')).toEqual({
      numbers: '\n  12(34)56\n  (\n    7890\n  )\n',
    });
  });

  it('escapes in double-quoted strings only', () => {
    expect(plain('a = "x\\ty\\n\\"q\\"\\\\"\nb = \'x\\ty\'')).toEqual({ a: 'x\ty\n"q"\\', b: 'x\\ty' });
  });

  it('\\x escapes build UTF-8', () => {
    expect(plain('a = "caf\\xc3\\xa9"')).toEqual({ a: 'café' });
  });

  it('key with no value and trailing key', () => {
    expect(plain('port')).toEqual({});
    expect(plain('foo =')).toEqual({ foo: '' });
  });

  it('keys keep their spelling; later definitions win', () => {
    expect(plain('Port: 1\nport: 2\nport: 3')).toEqual({ Port: 1, port: 3 });
  });

  it('top-level braces (JSON) parse like a plain file', () => {
    expect(plain('{"port": 4222, "debug": true, "tags": ["a", "b"], "m": {"x": 1}}')).toEqual({
      port: 4222, debug: true, tags: ['a', 'b'], m: { x: 1 },
    });
  });

  it('quirk: a number followed by "]" lexes as a string (Go does the same)', () => {
    expect(() => parseConfigString('a = [1]\nport: 1')).toThrow(
      `Parse error on line 2: 'Expected an array value terminator "," or an array terminator "]", but got '1' instead.'`,
    );
    expect(plain('a = [1 ]')).toEqual({ a: [1] });
  });

  it('ConfMap.get is case-insensitive, getExact is not', () => {
    const m = parseConfigString('Max_Payload: 1\nfoo { Bar: 2 }').value;
    expect(m.get('max_payload')!.value).toBe(1);
    expect(m.getExact('max_payload')).toBeUndefined();
    const foo = m.get('FOO')!;
    expect(foo.kind).toBe('map');
    if (foo.kind === 'map') expect(foo.value.get('bar')!.value).toBe(2);
    expect([...m.keys()]).toEqual(['Max_Payload', 'foo']);
  });
});

// ---------------------------------------------------------------------------------------------
// Positions

function at(root: MapNode, ...keys: string[]): ConfNode {
  let node: ConfNode = root;
  for (const k of keys) {
    if (node.kind !== 'map') throw new Error(`not a map at ${k}`);
    node = node.value.getExact(k)!;
  }
  return node;
}

describe('positions', () => {
  it('map entries carry their key position (nats-server numbering)', () => {
    const root = parseConfigString('port: 1\n  foo {\n    bar = 2\n  }\n', 'x.conf');
    expect(at(root, 'port').pos).toEqual({ file: 'x.conf', line: 1, col: 0 });
    expect(at(root, 'foo').pos).toEqual({ file: 'x.conf', line: 2, col: 3 });
    expect(at(root, 'foo', 'bar').pos).toEqual({ file: 'x.conf', line: 3, col: 5 });
  });

  it('array elements carry their own position', () => {
    const root = parseConfigString('a = [\n  1\n  two\n]', 'x.conf');
    const arr = at(root, 'a');
    expect(arr.kind).toBe('array');
    if (arr.kind === 'array') {
      expect(arr.value.map((n) => [n.pos.line, n.pos.col])).toEqual([
        [2, 3],
        [3, 3],
      ]);
    }
  });

  it('parse errors carry file, line and column', () => {
    try {
      parseConfigString('port: 4333\nfoo = .2\n', 'bad.conf');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const err = e as ConfigError;
      expect(err.kind).toBe('parse');
      expect(err.reason).toBe("Parse error on line 2: 'Floats must start with a digit'");
      expect(err.pos).toEqual({ file: 'bad.conf', line: 2, col: 8 });
      expect(err.message).toBe("bad.conf:2:8: Parse error on line 2: 'Floats must start with a digit'");
      expect(err.natsText).toBe(err.reason);
    }
  });

  it.each([
    ['a = [1,,2]', "Unexpected array value terminator ','."],
    ['a { b = , }', 'Unexpected map value terminator ",".'],
    ['a = 1 2', "Expected a top-level value to end with a new line, comment or EOF, but got '2' instead."],
    ['a = 12-3', 'All ISO8601 dates must be in full Zulu form.'],
    ['a = 2016-05-04X', "Expected 'T' in ISO8601 datetime, but found 'X' instead."],
    ['a = 1.x', "Floats must have a digit after the '.', but got 'x' instead."],
    ['a = -x', "Expected a digit but got 'x'."],
    ['a = -.5', "Floats must start with a digit, not '.'."],
    ['a {\n ] }', "Unexpected array end ']' processing map."],
    ['a = [1 2]', `Expected an array value terminator "," or an array terminator "]", but got '2' instead.`],
    ['a { b: 1 c }', `Expected a map value terminator "," or a map terminator "}", but got 'c' instead.`],
    ['include [x]', 'Expected include value but found start of an array'],
    ['include {x}', 'Expected include value but found start of a map'],
    ['include (x)', 'Expected include value but found start of a block'],
    ['include 5.conf', 'Expected include value but found start of a number'],
    ["include 'x", 'Unexpected EOF in quoted include'],
    ['a = "x', 'Unexpected EOF.'],
    ["a { 'b", 'Unexpected EOF processing quoted map key.'],
    ['a { "b', 'Unexpected EOF processing double quoted map key.'],
    ['a { b', 'Unexpected EOF processing map key.'],
    ['a = \n1', 'Expected value but found new line'],
  ])('lexer error for %j', (text, msg) => {
    expect(() => parseConfigString(text)).toThrow(msg);
  });
});

// ---------------------------------------------------------------------------------------------
// Variables

describe('variables', () => {
  const envKeys: string[] = [];
  const setEnv = (k: string, v: string) => {
    envKeys.push(k);
    process.env[k] = v;
  };
  afterEach(() => {
    for (const k of envKeys.splice(0)) delete process.env[k];
  });

  it('refer to an earlier key', () => {
    expect(plain('\n  index = 22\n  foo = $index\n')).toEqual({ index: 22, foo: 22 });
  });

  it('use block scope: inner first, then enclosing maps', () => {
    const text = '\n  index = 22\n  nest {\n    index = 11\n    foo = $index\n  }\n  bar = $index\n';
    expect(plain(text)).toEqual({ index: 22, nest: { index: 11, foo: 11 }, bar: 22 });
  });

  it('see enclosing maps through arrays', () => {
    expect(plain('x = 5\nlist = [ { v: $x }, $x ]')).toEqual({ x: 5, list: [{ v: 5 }, 5] });
  });

  it('can hold maps and arrays', () => {
    expect(plain('perms = { pub: ["a", "b"] }\nuser = { p: $perms }')).toEqual({
      perms: { pub: ['a', 'b'] },
      user: { p: { pub: ['a', 'b'] } },
    });
  });

  it('mark the referenced entry as used, and the copy sits at the referencing key', () => {
    const root = parseConfigString('a = 4333\nport = $a', 'v.conf');
    expect(at(root, 'a').usedAsVariable).toBe(true);
    expect(at(root, 'port').usedAsVariable).toBe(false);
    expect(at(root, 'port').pos).toEqual({ file: 'v.conf', line: 2, col: 1 });
  });

  it('names are case-sensitive (as nats-server)', () => {
    expect(() => parseConfigString('A = 1\nb = $a')).toThrow("variable reference for 'a' on line 2 can not be found");
  });

  it('missing variable is an error with its position', () => {
    try {
      parseConfigString('\nfoo=$index', 'm.conf');
      expect.unreachable();
    } catch (e) {
      const err = e as ConfigError;
      expect(err.reason).toBe("variable reference for 'index' on line 2 can not be found");
      expect(err.pos).toEqual({ file: 'm.conf', line: 2, col: 6 });
    }
  });

  it('later keys are not visible', () => {
    expect(() => parseConfigString('foo = $bar\nbar = 1')).toThrow(/can not be found/);
  });

  it('fall back to the environment, parsed as a value', () => {
    setEnv('__TSNATS_UNIQ22__', '22');
    expect(plain('foo = $__TSNATS_UNIQ22__')).toEqual({ foo: 22 });
    setEnv('__TSNATS_STR__', 'xyz');
    expect(plain('foo = $__TSNATS_STR__')).toEqual({ foo: 'xyz' });
    setEnv('__TSNATS_SIZE__', '3Gyz');
    expect(plain('foo = $__TSNATS_SIZE__')).toEqual({ foo: '3Gyz' });
    setEnv('__TSNATS_QUOTED__', "'3xyz'");
    expect(plain('foo = $__TSNATS_QUOTED__')).toEqual({ foo: '3xyz' });
    setEnv('__TSNATS_NUMSTR__', '3xyz');
    expect(plain('foo = $__TSNATS_NUMSTR__')).toEqual({ foo: '3xyz' });
    setEnv('__TSNATS_MB__', '2MB');
    expect(plain('foo = $__TSNATS_MB__')).toEqual({ foo: 2 * 1024 * 1024 });
    setEnv('__TSNATS_LIST__', '[1, 2 ]'); // "2]" would lex as a string, as in Go
    expect(plain('foo = $__TSNATS_LIST__')).toEqual({ foo: [1, 2] });
  });

  it('a config key shadows the environment', () => {
    setEnv('__TSNATS_SHADOW__', '1');
    expect(plain('__TSNATS_SHADOW__ = 2\nfoo = $__TSNATS_SHADOW__')).toEqual({ __TSNATS_SHADOW__: 2, foo: 2 });
  });

  it('an environment value that does not parse is an error', () => {
    setEnv('__TSNATS_BAD__', 'a b');
    expect(() => parseConfigString('foo = $__TSNATS_BAD__')).toThrow(
      "variable reference for '__TSNATS_BAD__' on line 1 could not be parsed: Parse error on line 1: 'Expected a top-level value to end with a new line, comment or EOF, but got 'b' instead.'",
    );
  });

  it('a self-referencing environment value fails instead of recursing forever', () => {
    setEnv('__TSNATS_LOOP__', '$__TSNATS_LOOP__');
    expect(() => parseConfigString('foo = $__TSNATS_LOOP__')).toThrow(/could not be parsed/);
  });

  it('bcrypt hashes are not variables', () => {
    expect(plain('password: $2a$11$ooo')).toEqual({ password: '$2a$11$ooo' });
  });
});

// ---------------------------------------------------------------------------------------------
// Includes

describe('include', () => {
  const dirs: string[] = [];
  const tmp = (): string => {
    const d = mkdtempSync(path.join(tmpdir(), 'tsnats-conf-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('merges the included keys at the include point (simple.conf / includes/users.conf)', () => {
    const d = tmp();
    mkdirSync(path.join(d, 'includes'));
    writeFileSync(
      path.join(d, 'includes', 'passwords.conf'),
      '# Just foo & bar for testing\nALICE_PASS: $2a$10$UHR6GhotWhpLsKtVP0/i6.Nh9.fuY73cWjLoJjb2sKT8KISBcUW5q\nBOB_PASS: $2a$11$dZM98SpGeI7dCFFGSpt.JObQcix8YHml4TBUZoge9R1uxnMIln5ly\n',
    );
    writeFileSync(
      path.join(d, 'includes', 'users.conf'),
      '# Users configuration\n\ninclude ./passwords.conf;\n\nusers = [\n  {user: alice, password: $ALICE_PASS}\n  {user: bob,   password: $BOB_PASS}\n]\n',
    );
    writeFileSync(
      path.join(d, 'simple.conf'),
      '# Test file to test includes\n\nlisten: 127.0.0.1:4222\n\nauthorization {\n  # Our user config\n  include "includes/users.conf"\n  timeout: 0.5\n}\n',
    );
    const A = '$2a$10$UHR6GhotWhpLsKtVP0/i6.Nh9.fuY73cWjLoJjb2sKT8KISBcUW5q';
    const Bp = '$2a$11$dZM98SpGeI7dCFFGSpt.JObQcix8YHml4TBUZoge9R1uxnMIln5ly';
    expect(toPlain(parseConfigFile(path.join(d, 'simple.conf')))).toEqual({
      listen: '127.0.0.1:4222',
      authorization: {
        ALICE_PASS: A,
        BOB_PASS: Bp,
        users: [
          { user: 'alice', password: A },
          { user: 'bob', password: Bp },
        ],
        timeout: 0.5,
      },
    });
  });

  it('included values keep their own file and position; includer sees them as variables', () => {
    const d = tmp();
    mkdirSync(path.join(d, 'includes'));
    writeFileSync(path.join(d, 'includes', 'passwords.conf'), '# pw\nALICE_PASS: a1\nBOB_PASS: b2\n');
    const main = path.join(d, 'main.conf');
    writeFileSync(
      main,
      '\nauthorization {\n\n  include "./includes/passwords.conf"\n\n  CAROL_PASS: foo\n\n  users = [\n   {user: alice, password: $ALICE_PASS}\n   {user: carol, password: $CAROL_PASS}\n  ]\n}\n',
    );
    const root = parseConfigFile(main);
    const inc = path.join(d, 'includes', 'passwords.conf');
    expect(at(root, 'authorization', 'ALICE_PASS').pos).toEqual({ file: inc, line: 2, col: 1 });
    expect(at(root, 'authorization', 'BOB_PASS').pos).toEqual({ file: inc, line: 3, col: 1 });
    expect(at(root, 'authorization', 'CAROL_PASS').pos).toEqual({ file: main, line: 6, col: 3 });
    expect(at(root, 'authorization', 'ALICE_PASS').usedAsVariable).toBe(true);
    expect(toPlain(at(root, 'authorization', 'users'))).toEqual([
      { user: 'alice', password: 'a1' },
      { user: 'carol', password: 'foo' },
    ]);
  });

  it('paths are relative to the including file, at every level', () => {
    const d = tmp();
    mkdirSync(path.join(d, 'sub', 'deeper'), { recursive: true });
    writeFileSync(path.join(d, 'sub', 'a.conf'), 'a = 1\ninclude deeper/b.conf\n');
    writeFileSync(path.join(d, 'sub', 'deeper', 'b.conf'), "b = 2\ninclude '../c.conf'\n");
    writeFileSync(path.join(d, 'sub', 'c.conf'), 'c = 3\n');
    writeFileSync(path.join(d, 'main.conf'), 'include sub/a.conf\nm { include "sub/c.conf" }\n');
    expect(toPlain(parseConfigFile(path.join(d, 'main.conf')))).toEqual({ a: 1, b: 2, c: 3, m: { c: 3 } });
  });

  it('an include cannot see the includer’s variables', () => {
    const d = tmp();
    writeFileSync(path.join(d, 'inc.conf'), 'y = $x\n');
    writeFileSync(path.join(d, 'main.conf'), 'x = 1\ninclude inc.conf\n');
    expect(() => parseConfigFile(path.join(d, 'main.conf'))).toThrow(
      "error parsing include file 'inc.conf', variable reference for 'x' on line 1 can not be found",
    );
  });

  it('a missing include reports Go’s open error at the include', () => {
    const d = tmp();
    mkdirSync(path.join(d, 'sub'));
    writeFileSync(path.join(d, 'sub', 'b.conf'), 'include nope2.conf\n');
    const main = path.join(d, 'main.conf');
    writeFileSync(main, 'port: 1\ninclude sub/b.conf\n');
    try {
      parseConfigFile(main);
      expect.unreachable();
    } catch (e) {
      const err = e as ConfigError;
      expect(err.reason).toBe(
        `error parsing include file 'sub/b.conf', error parsing include file 'nope2.conf', open ${path.join(d, 'sub', 'nope2.conf')}: no such file or directory`,
      );
      expect(err.pos).toEqual({ file: path.join(d, 'sub', 'b.conf'), line: 1, col: 8 });
    }
  });

  it('a syntax error in an include points into the included file', () => {
    const d = tmp();
    writeFileSync(path.join(d, 'bad.conf'), 'x = 1\ny = .5\n');
    writeFileSync(path.join(d, 'main.conf'), 'include "bad.conf"\n');
    try {
      parseConfigFile(path.join(d, 'main.conf'));
      expect.unreachable();
    } catch (e) {
      const err = e as ConfigError;
      expect(err.reason).toBe("error parsing include file 'bad.conf', Parse error on line 2: 'Floats must start with a digit'");
      expect(err.pos).toEqual({ file: path.join(d, 'bad.conf'), line: 2, col: 6 });
    }
  });

  it('a missing top-level file', () => {
    expect(() => parseConfigFile('/nonexistent/tsnats.conf')).toThrow(
      'open /nonexistent/tsnats.conf: no such file or directory',
    );
  });

  it('parseConfigString resolves includes relative to the given name', () => {
    const d = tmp();
    writeFileSync(path.join(d, 'inc.conf'), 'z = 26\n');
    expect(toPlain(parseConfigString('include inc.conf', path.join(d, 'virtual.conf')))).toEqual({ z: 26 });
  });
});
