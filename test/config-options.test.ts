// Configuration → ServerOptions (src/config/options.ts), checked against nats-server's
// server/opts.go behaviour and, at the end, against the installed `nats-server -t` itself.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfigString } from '../src/config/conf.js';
import * as D from '../src/config/defaults.js';
import {
  CONFIG_KEYS,
  DEFAULT_AUTH_TIMEOUT_MS,
  defaultOptions,
  optionsFromConfig,
  setBaselineOptions,
  validateOptions,
} from '../src/config/options.js';
import { parseGoDuration } from '../src/config/values.js';
import type { ServerOptions } from '../src/config/types.js';
import { errorLines, natsServerCheck, tsnatsCheck } from './helpers/conf-check.js';
import { errorOf } from './helpers/config-error.js';

function load(text: string, base?: ServerOptions, warnings?: ConfigError[]): ServerOptions {
  return optionsFromConfig(parseConfigString(text, 't.conf'), base, { warnings });
}


describe('defaultOptions', () => {
  it('are nats-server 2.9.10 defaults', () => {
    expect(defaultOptions()).toEqual({
      host: '0.0.0.0',
      port: 4222,
      serverName: '',
      clientAdvertise: '',
      maxPayload: 1024 * 1024,
      maxPending: 64 * 1024 * 1024,
      maxControlLine: 4096,
      maxConnections: 65536,
      maxSubscriptions: 0,
      maxSubTokens: 0,
      httpHost: '',
      httpPort: 0,
      httpsPort: 0,
      httpBasePath: '',
      maxClosedClients: 10000,
      pidFile: '',
      portsFileDir: '',
      logFile: '',
      logSizeLimit: 0,
      maxTracedMsgLen: 0,
      lameDuckDurationMs: 120_000,
      lameDuckGracePeriodMs: 10_000,
      pingIntervalMs: 120_000,
      pingMax: 2,
      writeDeadlineMs: 10_000,
      noHeaderSupport: false,
      debug: false,
      trace: false,
      logtime: true,
      configFile: '',
      username: '',
      password: '',
      authorization: '',
      users: null,
      nkeys: null,
      noAuthUser: '',
      authTimeoutMs: 0,
      defaultPermissions: null,
      tls: null,
      tlsTimeoutMs: 0,
      allowNonTls: false,
      tlsMap: false,
      accounts: [],
      systemAccount: '',
      noSystemAccount: false,
      mappings: [],
      trustedOperators: [],
      resolver: null,
      resolverPreload: {},
      cluster: null,
      jetstream: false,
      storeDir: '',
      jetStreamMaxMemory: null,
      jetStreamMaxStore: null,
      jetStreamDomain: '',
      jsAccDefaultDomain: {},
      jetStreamSyncIntervalMs: 0,
      websocket: null,
      leafnode: null,
    });
    expect(defaultOptions().maxPayload).toBe(D.MAX_PAYLOAD_SIZE);
  });

  it('returns a fresh object each time', () => {
    const a = defaultOptions();
    a.port = 1;
    expect(defaultOptions().port).toBe(4222);
  });
});

describe('optionsFromConfig: keys', () => {
  it('maps every core key', () => {
    const o = load(`
      host: 127.0.0.1
      port: 4333
      server_name: "srv-a"
      client_advertise: "nats.example.com:4222"
      max_payload: 2MB
      max_pending: 128MB
      max_control_line: 8KB
      max_connections: 100
      max_subscriptions: 50
      ping_interval: "30s"
      ping_max: 5
      write_deadline: "2.5s"
      no_header_support: true
      debug: yes
      trace: on
      logtime: false
    `);
    expect(o).toEqual({
      ...defaultOptions(),
      authTimeoutMs: DEFAULT_AUTH_TIMEOUT_MS,
      host: '127.0.0.1',
      port: 4333,
      serverName: 'srv-a',
      clientAdvertise: 'nats.example.com:4222',
      maxPayload: 2 * 1024 * 1024,
      maxPending: 128 * 1024 * 1024,
      maxControlLine: 8 * 1024,
      maxConnections: 100,
      maxSubscriptions: 50,
      pingIntervalMs: 30_000,
      pingMax: 5,
      writeDeadlineMs: 2_500,
      noHeaderSupport: true,
      debug: true,
      trace: true,
      logtime: false,
      configFile: 't.conf',
    });
  });

  it('aliases: net, max_conn, max_subs', () => {
    const o = load('net: 10.0.0.1\nmax_conn: 7\nmax_subs: 9');
    expect([o.host, o.maxConnections, o.maxSubscriptions]).toEqual(['10.0.0.1', 7, 9]);
  });

  it('keys are case-insensitive', () => {
    const o = load('PORT: 4333\nMax_Payload: 1k\nDEBUG: true');
    expect([o.port, o.maxPayload, o.debug]).toEqual([4333, 1000, true]);
  });

  it.each([
    ['listen: 4333', '0.0.0.0', 4333], // host "" then the baseline default
    ['listen: 127.0.0.1:4333', '127.0.0.1', 4333],
    ['listen: "localhost:-1"', 'localhost', -1],
    ['listen: "[::1]:4333"', '::1', 4333],
    ['listen: ":4333"', '0.0.0.0', 4333],
    ['listen: "0.0.0.0:+80"', '0.0.0.0', 80],
  ])('%s', (text, host, port) => {
    const o = load(text);
    expect([o.host, o.port]).toEqual([host, port]);
  });

  it('listen then port: later key wins, as in file order', () => {
    expect(load('listen: 127.0.0.1:4333\nport: 5000').port).toBe(5000);
  });

  it.each([
    ['listen: "abc"', 't.conf:1:0: could not parse address string "abc"'],
    ['listen: "a:b:c"', 't.conf:1:0: could not parse address string "a:b:c"'],
    ['listen: "[::1]"', 't.conf:1:0: could not parse address string "[::1]"'],
    ['listen: "localhost:abc"', 't.conf:1:0: could not parse port "abc"'],
    ['listen: "localhost:"', 't.conf:1:0: could not parse port ""'],
    ['listen: 1.5', 't.conf:1:0: expected port or host:port, got float64'],
    ['listen: true', 't.conf:1:0: expected port or host:port, got bool'],
  ])('bad listen %s', (text, msg) => {
    expect(errorOf(() => load(text)).message).toBe(msg);
  });

  it('a base is overridden only by keys present', () => {
    const base = { ...defaultOptions(), debug: true, trace: true, serverName: 'flag' };
    const o = load('debug: false', base);
    expect([o.debug, o.trace, o.serverName]).toEqual([false, true, 'flag']);
    expect(base.debug).toBe(true); // not mutated
  });

  it('keys used as $variables are not unknown', () => {
    expect(load('a = 4333\nport = $a').port).toBe(4333);
  });

  it('the key table is lower-case', () => {
    for (const k of CONFIG_KEYS.keys()) expect(k).toBe(k.toLowerCase());
    expect(CONFIG_KEYS.has('max_conn')).toBe(true);
  });
});

describe('optionsFromConfig: errors', () => {
  it('unknown top-level keys report the key position', () => {
    const err = errorOf(() => load('port: 4333\n  foo: 1'));
    expect(err.message).toBe('t.conf:2:3: unknown field "foo"');
    expect(err.kind).toBe('option');
    expect(err.pos).toEqual({ file: 't.conf', line: 2, col: 3 });
    expect(err.natsText).toBe('t.conf:2:3: unknown field "foo"\n');
  });

  it('default_permissions is not a top-level key (only within authorization or an account)', () => {
    expect(errorOf(() => load('default_permissions: 1')).message).toBe('t.conf:1:0: unknown field "default_permissions"');
  });

  it('tls blocks: unknown fields and cert without key as nats-server reports them', () => {
    expect(errorOf(() => load('tls { foo: 1 }')).message).toBe(
      't.conf:1:6: error parsing tls config, unknown field ["foo"]',
    );
    expect(errorOf(() => load('tls { cert_file: "x.pem" }')).message).toBe(
      "t.conf:1:0: missing 'key_file' in TLS configuration",
    );
    expect(errorOf(() => load('tls { verify: 1 }')).message).toBe(
      "t.conf:1:6: error parsing tls config, expected 'verify' to be a boolean",
    );
  });

  it('wrong types give Go’s interface conversion error', () => {
    expect(errorOf(() => load('port: "abc"')).message).toBe(
      't.conf:1:0: interface conversion: interface {} is string, not int64',
    );
    expect(errorOf(() => load('debug: "yes"')).message).toBe(
      't.conf:1:0: interface conversion: interface {} is string, not bool',
    );
    expect(errorOf(() => load('server_name: [a, b ]')).message).toBe(
      't.conf:1:0: interface conversion: interface {} is []interface {}, not string',
    );
    expect(errorOf(() => load('port: {a: 1}')).message).toBe(
      't.conf:1:0: interface conversion: interface {} is map[string]interface {}, not int64',
    );
    expect(errorOf(() => load('ping_max: 1.5')).message).toBe(
      't.conf:1:0: interface conversion: interface {} is float64, not int64',
    );
    expect(errorOf(() => load('port: 2016-05-04T18:53:41Z')).message).toBe(
      't.conf:1:0: interface conversion: interface {} is time.Time, not int64',
    );
  });

  it('limits that must fit in int32 (key spelled as written)', () => {
    expect(errorOf(() => load('max_control_line: 3000000000')).message).toBe(
      't.conf:1:0: max_control_line value is too big',
    );
    expect(errorOf(() => load('Max_Payload: 3GB')).message).toBe('t.conf:1:0: Max_Payload value is too big');
    expect(load('max_payload: 2147483647\nmax_pending: 4GB').maxPayload).toBe(2147483647);
  });

  it('collects every problem, in file order, one line each', () => {
    const err = errorOf(() => load('foo: 1\nbar: 2\nport: "x"\nping_interval: 5'));
    expect(err.details.map((d) => d.message)).toEqual([
      't.conf:4:1: invalid use of field "ping_interval": ping_interval should be converted to a duration',
      't.conf:1:0: unknown field "foo"',
      't.conf:2:1: unknown field "bar"',
      't.conf:3:1: interface conversion: interface {} is string, not int64',
    ]);
    expect(err.message).toBe(err.details.map((d) => d.message).join('\n'));
    expect(err.natsText).toBe(err.details.map((d) => d.message + '\n').join(''));
  });

  it('unknown keys are quoted like Go’s %q', () => {
    expect(errorOf(() => load('"a\tb": 1')).message).toBe('t.conf:1:1: unknown field "a\\tb"');
    expect(errorOf(() => load('pört: 1')).message).toBe('t.conf:1:0: unknown field "pört"');
  });
});

describe('durations', () => {
  it.each([
    ['"2m"', 120_000],
    ['"300ms"', 300],
    ['"1h"', 3_600_000],
    ['"1.5h"', 5_400_000],
    ['"1h2m3.5s"', 3_723_500],
    ['"250us"', 0.25],
    ['"250µs"', 0.25],
    ['"1000000ns"', 1],
    ['"-1s"', -1000],
    ['"+2s"', 2000],
    ['"0"', 0], // then the baseline default applies
  ])('write_deadline: %s', (v, ms) => {
    const o = optionsFromConfig(parseConfigString(`write_deadline: ${v}`), undefined, { checkOnly: true });
    expect(o.writeDeadlineMs).toBe(ms);
  });

  it('a plain integer is seconds, with nats-server’s warning', () => {
    const warnings: ConfigError[] = [];
    const o = load('ping_interval: 60\nwrite_deadline: 3', undefined, warnings);
    expect(o.pingIntervalMs).toBe(60_000);
    expect(o.writeDeadlineMs).toBe(3_000);
    expect(warnings.map((w) => w.message)).toEqual([
      't.conf:1:0: invalid use of field "ping_interval": ping_interval should be converted to a duration',
      't.conf:2:1: invalid use of field "write_deadline": write_deadline should be converted to a duration',
    ]);
    expect(warnings.every((w) => w.kind === 'warning')).toBe(true);
  });

  it('under -t semantics (checkOnly) warnings are errors', () => {
    const err = errorOf(() =>
      optionsFromConfig(parseConfigString('ping_interval: 60', 't.conf'), undefined, { checkOnly: true }),
    );
    expect(err.kind).toBe('warning');
    expect(err.natsText).toBe(
      't.conf:1:0: invalid use of field "ping_interval": ping_interval should be converted to a duration\n',
    );
  });

  it.each([
    ['""', 'time: invalid duration ""'],
    ['"2x"', 'time: unknown unit "x" in duration "2x"'],
    ['"1"', 'time: missing unit in duration "1"'],
    ['".s"', 'time: invalid duration ".s"'],
    ['"µs"', 'time: invalid duration "\\xc2\\xb5s"'],
    ['"1é"', 'time: unknown unit "\\xc3\\xa9" in duration "1\\xc3\\xa9"'],
    ['"1 s"', 'time: unknown unit " s" in duration "1 s"'],
    ['"99999999999h"', 'time: invalid duration "99999999999h"'],
    ['"9223372037s"', 'time: invalid duration "9223372037s"'],
  ])('bad duration %s', (v, goErr) => {
    expect(errorOf(() => load(`ping_interval: ${v}`)).message).toBe(`t.conf:1:0: error parsing ping_interval: ${goErr}`);
  });

  it('parseGoDuration returns nanoseconds', () => {
    expect(parseGoDuration('9223372036s')).toBe(9_223_372_036_000_000_000n);
    expect(parseGoDuration('1.000000001s')).toBe(1_000_000_001n);
    expect(parseGoDuration('.5s')).toBe(500_000_000n);
    expect(parseGoDuration('5.s')).toBe(5_000_000_000n);
    expect(parseGoDuration('1m30s')).toBe(90_000_000_000n);
    expect(parseGoDuration('-0')).toBe(0n);
  });

  it('a non-integer, non-string duration warns and then fails the conversion (as nats-server)', () => {
    const err = errorOf(() => load('write_deadline: true'));
    expect(err.details.map((d) => d.reason)).toEqual([
      'invalid use of field "write_deadline": write_deadline should be converted to a duration',
      'interface conversion: interface {} is bool, not int64',
    ]);
  });
});

describe('baseline and validation', () => {
  it('zero values mean the default (setBaselineOptions)', () => {
    const o = load('port: 0\nmax_payload: 0\nmax_pending: 0\nmax_control_line: 0\nmax_connections: 0\nping_max: 0\nping_interval: "0s"\nwrite_deadline: "0s"');
    expect(o).toEqual({ ...defaultOptions(), configFile: 't.conf', authTimeoutMs: DEFAULT_AUTH_TIMEOUT_MS });
  });

  it('port -1 stays -1 (random)', () => {
    expect(load('port: -1').port).toBe(-1);
  });

  it('setBaselineOptions fills host', () => {
    expect(setBaselineOptions({ ...defaultOptions(), host: '' }).host).toBe('0.0.0.0');
  });

  it('max_payload above max_pending is rejected with nats-server’s text', () => {
    const err = errorOf(() => load('max_payload: 100MB\nmax_pending: 1MB'));
    expect(err.kind).toBe('validation');
    expect(err.message).toBe('max_payload (104857600) cannot be higher than max_pending (1048576)');
    // The default max_pending applies when only max_payload is set.
    expect(errorOf(() => load('max_payload: 65MB')).message).toBe(
      'max_payload (68157440) cannot be higher than max_pending (67108864)',
    );
    expect(() => validateOptions({ ...defaultOptions(), maxPayload: 10, maxPending: 10 })).not.toThrow();
  });

  it('checkOnly skips validation, like nats-server -t', () => {
    const o = optionsFromConfig(parseConfigString('max_payload: 100MB\nmax_pending: 1MB'), undefined, {
      checkOnly: true,
    });
    expect(o.maxPayload).toBe(100 * 1024 * 1024);
  });

  it('a ConfMap can be passed directly', () => {
    const root = parseConfigString('port: 4333', 'x.conf');
    const o = optionsFromConfig(root.value);
    expect([o.port, o.configFile]).toEqual([4333, '']);
  });
});

// ---------------------------------------------------------------------------------------------
// Differential: the installed nats-server 2.9.10 and tsnats must accept and reject the same
// files with the same text (nats-server -t prints "nats-server: <error>" on stderr).

interface Case {
  name: string;
  conf: string;
  files?: Record<string, string>;
  env?: Record<string, string>;
}

const cases: Case[] = [
  // accepted
  { name: 'core keys', conf: 'port: 4333\nmax_payload: 2MB\nserver_name: a\nclient_advertise: "h:1"' },
  { name: 'listen host:port', conf: 'listen: 127.0.0.1:4333' },
  { name: 'listen ipv6', conf: 'listen: "[::1]:4333"' },
  { name: 'listen port only', conf: 'listen: 4333' },
  { name: 'host and random port', conf: 'host: 127.0.0.1\nport: -1' },
  { name: 'net alias', conf: 'net: localhost' },
  { name: 'limits', conf: 'max_pending: 64MB\nmax_control_line: 8KB\nmax_connections: 100\nmax_subscriptions: 10' },
  { name: 'limit aliases', conf: 'max_conn: 1\nmax_subs: 2' },
  { name: 'durations', conf: 'ping_interval: "30s"\nping_max: 5\nwrite_deadline: "2.5s"' },
  { name: 'compound duration', conf: 'ping_interval: "1h2m3.5s"\nwrite_deadline: "1µs"' },
  { name: 'negative duration', conf: 'write_deadline: "-1s"' },
  { name: 'booleans', conf: 'no_header_support: true\ndebug: yes\ntrace: on\nlogtime: false' },
  { name: 'json', conf: '{\n  "port": 4333,\n  "debug": true\n}\n' },
  { name: 'case-insensitive keys', conf: 'PORT: 4333\nMax_Payload: 1k' },
  { name: 'used variable', conf: 'a = 4333\nport = $a' },
  { name: 'nested variable scopes', conf: 'p = 1\nm = 2\nport = $p\nmax_subs = $m' },
  { name: 'comments only', conf: '# only a comment\n// and another\n' },
  { name: 'empty', conf: '' },
  { name: 'duplicate key', conf: 'port: 1\nport: 2' },
  { name: 'payload above pending (-t does not validate)', conf: 'max_payload: 100MB\nmax_pending: 1MB' },
  { name: 'negative payload', conf: 'max_payload: -1' },
  { name: 'unknown suffix drops value', conf: 'port: 1kbib' },
  { name: 'key without value', conf: 'port' },
  { name: 'block string value', conf: 'server_name (\nabc\n)\n' },
  { name: 'include', conf: 'include inc_ok.conf', files: { 'inc_ok.conf': 'port: 4333\n' } },
  { name: 'include in quotes, then variable', conf: 'include "inc_var.conf"\nport: $pp', files: { 'inc_var.conf': 'pp = 4333\n' } },
  { name: 'environment variable', conf: 'port: $TSN_TEST_PORT', env: { TSN_TEST_PORT: '4444' } },
  { name: 'environment size', conf: 'max_payload: $TSN_TEST_SIZE', env: { TSN_TEST_SIZE: '2MB' } },
  { name: 'semicolons and commas', conf: 'port: 1; debug: true, trace: false' },
  // rejected
  { name: 'unknown field', conf: 'port: 4333\n  foo: 1' },
  { name: 'unknown map field', conf: 'port = 4333; bar {a:1}' },
  { name: 'unknown datetime field', conf: 'now = 2016-05-04T18:53:41Z' },
  { name: 'unknown non-ASCII field', conf: 'pört: 1' },
  { name: 'unknown field with a tab', conf: '"a\tb": 1' },
  { name: 'unknown fields with non-printable runes', conf: '"a\u200bb": 1\n"\u00a0": 2' },
  { name: 'string port', conf: 'port: "abc"' },
  { name: 'float port', conf: 'port: 1.5' },
  { name: 'map port', conf: 'port: {a: 1}' },
  { name: 'array server_name', conf: 'server_name: [a, b ]' },
  { name: 'string bool', conf: 'debug: "yes"' },
  { name: 'int bool', conf: 'no_header_support: 1' },
  { name: 'string size', conf: 'max_pending: "1MB"' },
  { name: 'integer ping_interval (warning)', conf: 'ping_interval: 60' },
  { name: 'integer write_deadline (warning)', conf: 'write_deadline: 10' },
  { name: 'bool write_deadline (warning + error)', conf: 'write_deadline: true' },
  { name: 'bad unit', conf: 'ping_interval: "2x"' },
  { name: 'empty duration', conf: 'write_deadline: ""' },
  { name: 'missing unit', conf: 'write_deadline: "1"' },
  { name: 'non-ASCII unit', conf: 'write_deadline: "1é"' },
  { name: 'duration overflow', conf: 'write_deadline: "9223372037s"' },
  { name: 'bad listen', conf: 'listen: "abc"' },
  { name: 'bad listen port', conf: 'listen: "localhost:abc"' },
  { name: 'float listen', conf: 'listen: 1.5' },
  { name: 'control line too big', conf: 'max_control_line: 3000000000' },
  { name: 'payload too big', conf: 'Max_Payload: 3GB' },
  { name: 'several errors', conf: 'foo: 1\nbar: 2\nport: "x"' },
  { name: 'case-sensitive variable', conf: 'A = 1\nport = $a' },
  { name: 'missing variable', conf: 'port: 1\nfoo=$index' },
  { name: 'syntax error', conf: 'port: 4333\nfoo = .2' },
  { name: 'number before ]', conf: 'a = [1]\nport: 1' },
  { name: 'bad datetime', conf: 'now = 2016-13-04T18:53:41Z' },
  { name: 'integer out of range', conf: 'port: 9223372036854775808' },
  { name: 'dangling quote', conf: 'listen: "localhost:4242\n\nport: 1\n' },
  { name: 'dangling map', conf: 'port = 4222\ncluster = {\n  foo = bar\n' },
  { name: 'missing include', conf: 'include nope.conf' },
  { name: 'include with syntax error', conf: 'port: 1\ninclude "inc_bad.conf"', files: { 'inc_bad.conf': 'x = .5\n' } },
  { name: 'include with unknown field', conf: 'include inc_unk.conf', files: { 'inc_unk.conf': 'port: 1\nzzz: 2\n' } },
  { name: 'environment wrong type', conf: 'port: $TSN_TEST_PORT', env: { TSN_TEST_PORT: 'abc' } },
  { name: 'environment unparsable', conf: 'port: $TSN_TEST_PORT', env: { TSN_TEST_PORT: '[1, 2]' } },
  { name: 'environment unset', conf: 'port: $TSN_TEST_UNSET_VAR' },
];

const lines = errorLines;

describe('agrees with nats-server -t', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsnats-natscheck-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(cases.map((c, i) => [c.name, c, i] as const))('%s', (_name, c, i) => {
    const file = path.join(dir, `case${i}.conf`);
    writeFileSync(file, c.conf);
    for (const [name, text] of Object.entries(c.files ?? {})) writeFileSync(path.join(dir, name), text);
    const want = natsServerCheck(file, dir, c.env);
    const got = tsnatsCheck(file, c.env);
    expect(got.ok).toBe(want.ok);
    expect(lines(got.stderr)).toEqual(lines(want.stderr));
  });

  it('missing config file', () => {
    const file = path.join(dir, 'does-not-exist.conf');
    const want = natsServerCheck(file, dir);
    const got = tsnatsCheck(file);
    expect(want.ok).toBe(false);
    expect(got).toEqual(want);
  });
});

// Seeded random files from two generators: a soup of lexical fragments (exercises the lexer's
// corners and its error texts) and well-formed-ish key/value files (exercises option
// handling, variables, includes and the environment). Same verdict and text as nats-server.
describe('agrees with nats-server -t on random files', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsnats-natsfuzz-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'inc.conf'), 'port: 4333\nzz = 1\n');

  function lcg(seed: number): () => number {
    let s = seed;
    return () => {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      return s / 0x7fffffff;
    };
  }

  const soup = [
    'port', 'debug', 'max_payload', 'ping_interval', 'server_name', 'listen', 'foo', '"q k"', "'s k'", 'include',
    ' ', ' ', '\t', '\n', '\n', '\r\n', ':', '=', ' = ', ': ', ',', ';', '{', '}', '[', ']', '(', ')', '\n)\n',
    '#c', '//c', '/', '1', '42', '-7', '1.5', '.5', '1k', '2MB', '3xyz', '1Gb', '1kbib', '4Gø', '127.0.0.1',
    '127.0.0.1:4222', '2016-05-04T18:53:41Z', '2016-05', 'true', 'no', 'OFF', '$port', '$nope', '$2a$x', '"str"',
    "'sq'", '"a\\tb"', '"\\x41"', '"\\xZZ"', '"\\q"', '\\x4', '"', "'", 'ø', 'é', '\0', '"1s"', '"2x"', 'abc',
    'a:b', '-', '--1', '1-2', '1.2.3', '9223372036854775808',
  ];
  const keys = [
    'port', 'PORT', 'host', 'net', 'listen', 'server_name', 'client_advertise', 'max_payload', 'max_pending',
    'max_control_line', 'max_connections', 'max_conn', 'max_subscriptions', 'max_subs', 'ping_interval', 'ping_max',
    'write_deadline', 'no_header_support', 'debug', 'trace', 'logtime', 'v', 'w', '"port"', "'debug'", 'unknown_x',
  ];
  const seps = [': ', ' = ', ' ', ':', '=', '\t'];
  const scalars = [
    '1', '4333', '-1', '0', '1.5', '2k', '1MB', '3GB', '3000000000', 'true', 'off', 'Yes', '"abc"', "'x:1'", 'abc',
    '127.0.0.1:4222', '"[::1]:80"', '"localhost:"', '"10s"', '"1h2m"', '"2x"', '"-5ms"', '""',
    '2016-05-04T18:53:41Z', '$v', '$w', '$TSN_FUZZ_VAR', '$2a$abc', '"\\x41\\x42"', '(\nblock\n)', '5 ', ' 7 ',
  ];
  const envValues = ['12', 'abc', '1k', '"q"', 'true', '[1, 2 ]'];

  function soupFile(rnd: () => number): string {
    const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)]!;
    let text = '';
    const n = 1 + Math.floor(rnd() * 14);
    for (let i = 0; i < n; i++) text += pick(soup);
    return text;
  }

  function structuredFile(rnd: () => number): string {
    const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)]!;
    const value = (d: number): string => {
      const r = rnd();
      if (d < 2 && r < 0.1) {
        const items = Array.from({ length: Math.floor(rnd() * 3) }, () => value(d + 1));
        return '[' + items.join(pick([', ', ',', '\n', ' ,'])) + pick([' ]', '\n]', ']']);
      }
      if (d < 2 && r < 0.2) {
        const items = Array.from({ length: Math.floor(rnd() * 3) }, () => pick(keys) + pick(seps) + value(d + 1));
        return '{' + items.join(pick(['; ', ', ', '\n'])) + pick([' }', '\n}', '}']);
      }
      return pick(scalars);
    };
    const lines: string[] = [];
    const n = 1 + Math.floor(rnd() * 6);
    for (let i = 0; i < n; i++) {
      if (rnd() < 0.05) lines.push('include inc.conf');
      else lines.push(pick(['', ' ', '  ']) + pick(keys) + pick(seps) + value(0) + pick(['', ';', ',', ' # c', ' // c']));
    }
    return lines.join(pick(['\n', '\n\n', '\r\n']));
  }

  const generators: Array<[string, (rnd: () => number) => string, number]> = [
    ['fragment soup', soupFile, 20240601],
    ['structured', structuredFile, 777],
  ];

  it.each(generators)('%s', (_name, gen, seed) => {
    const rnd = lcg(seed);
    const file = path.join(dir, 'f.conf');
    let agreed = 0;
    for (let n = 0; n < 150; n++) {
      const text = gen(rnd);
      const env = { TSN_FUZZ_VAR: envValues[Math.floor(rnd() * envValues.length)]! };
      writeFileSync(file, text);
      const want = natsServerCheck(file, dir, env);
      const got = tsnatsCheck(file, env);
      expect({ text, ok: got.ok, lines: lines(got.stderr) }).toEqual({ text, ok: want.ok, lines: lines(want.stderr) });
      agreed++;
    }
    expect(agreed).toBe(150);
  });
});
