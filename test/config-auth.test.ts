// Client authorization in the config file (src/config/auth.ts): `authorization { ... }`,
// users, permissions, no_auth_user, checked against nats-server's server/opts.go and auth.go
// behaviour and, at the end, against the installed `nats-server -t` itself.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfigString } from '../src/config/conf.js';
import { isValidPublicUserKey } from '../src/config/auth.js';
import { DEFAULT_AUTH_TIMEOUT_MS, defaultOptions, optionsFromConfig, validateOptions } from '../src/config/options.js';
import { goValueV } from '../src/config/values.js';
import type { Permissions, ServerOptions, UserEntry } from '../src/config/types.js';
import { errorLines, natsServerCheck, natsServerStart, tsnatsCheck, tsnatsStart } from './helpers/conf-check.js';
import { errorOf } from './helpers/config-error.js';

/** Full start-up semantics: parse, baseline, validate. */
function load(text: string): ServerOptions {
  return optionsFromConfig(parseConfigString(text, 't.conf'));
}
/** `nats-server -t` semantics: no baseline, no validation. */
function check(text: string): ServerOptions {
  return optionsFromConfig(parseConfigString(text, 't.conf'), undefined, { checkOnly: true });
}

/** Every problem as `<file>:<line>:<col>: <reason>` (or the bare reason), in report order. */
const messages = (text: string): string[] => errorOf(() => check(text)).details.map((d) => d.message);

const user = (over: Partial<UserEntry>): UserEntry => ({
  user: '',
  password: '',
  permissions: null,
  account: '',
  allowedConnectionTypes: null,
  ...over,
});
const perms = (over: Partial<Permissions>): Permissions => ({ publish: null, subscribe: null, response: null, ...over });

const NKEY = 'UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4';
const BCRYPT = '$2a$11$W2zko751KUvVy59mUTWmpOdWjpEm5qhcCZRd05GjI/sSOT.xtiHyG';

describe('authorization: single user, token, timeout', () => {
  it('user and password (and their aliases)', () => {
    const o = load('authorization { user: derek, password: s3cr3t }');
    expect([o.username, o.password, o.authorization, o.users]).toEqual(['derek', 's3cr3t', '', null]);
    const a = load('authorization { username: derek, pass: s3cr3t }');
    expect([a.username, a.password]).toEqual(['derek', 's3cr3t']);
  });

  it('token', () => {
    const o = load('authorization { token: "t0k3n" }');
    expect([o.username, o.password, o.authorization]).toEqual(['', '', 't0k3n']);
  });

  it('a password alone is accepted (nats-server checks only user against users/token)', () => {
    expect(load('authorization { password: p }').password).toBe('p');
  });

  it('block keys are case-insensitive', () => {
    const o = load('AUTHORIZATION { User: a, PASSWORD: b, Timeout: 3 }');
    expect([o.username, o.password, o.authTimeoutMs]).toEqual(['a', 'b', 3000]);
  });

  it.each([
    ['timeout: 5', 5000],
    ['timeout: 0.5', 500],
    ['timeout: 0.3', 300],
    ['timeout: 1.0000005', 1000.0005],
    ['timeout: -1', -1000],
    ['timeout: "5s"', 1000], // any other type: 1 second, silently (nats-server's rule)
    ['timeout: true', 1000],
    ['timeout: [1 ]', 1000],
  ])('%s → %d ms', (kv, ms) => {
    expect(load(`authorization { ${kv} }`).authTimeoutMs).toBe(ms);
  });

  it('timeout 0 or absent: 0 until setBaselineOptions, then AUTH_TIMEOUT (2 s)', () => {
    expect(check('authorization { user: a }').authTimeoutMs).toBe(0);
    expect(check('authorization { timeout: 0 }').authTimeoutMs).toBe(0);
    expect(load('authorization { timeout: 0 }').authTimeoutMs).toBe(DEFAULT_AUTH_TIMEOUT_MS);
    expect(load('port: 1').authTimeoutMs).toBe(2000);
  });

  it('the block replaces user, password, token and timeout of the base', () => {
    const base = { ...defaultOptions(), username: 'flag', authTimeoutMs: 9000 };
    const o = optionsFromConfig(parseConfigString('authorization { token: t }'), base);
    expect([o.username, o.authorization, o.authTimeoutMs]).toEqual(['', 't', 2000]);
  });

  it('no_auth_user', () => {
    const o = load('authorization { users: [{user: a}] }\nno_auth_user: a');
    expect(o.noAuthUser).toBe('a');
  });

  it('entries used as $variables are not unknown', () => {
    const o = load('authorization { pw = "x"; user: a, password: $pw }');
    expect(o.password).toBe('x');
  });
});

describe('authorization: users', () => {
  it('a list of users with passwords (plain or bcrypt, quoted or not)', () => {
    const o = load(`
      authorization {
        users: [
          { user: alice, password: a1 }
          { username: bob, pass: "${BCRYPT}" }
          { user: carol, password: ${BCRYPT} }
          { user: dave }
        ]
      }`);
    expect(o.users).toEqual([
      user({ user: 'alice', password: 'a1' }),
      user({ user: 'bob', password: BCRYPT }),
      user({ user: 'carol', password: BCRYPT }),
      user({ user: 'dave' }),
    ]);
    expect([o.username, o.password, o.authorization]).toEqual(['', '', '']);
  });

  it('allowed_connection_types (aliases connection_types, clients): upper-cased, deduplicated', () => {
    const o = load(`
      authorization { users: [
        { user: a, allowed_connection_types: ["standard", "Websocket", "STANDARD"] }
        { user: b, connection_types: leafnode_ws }
        { user: c, clients: [] }
        { user: d, allowed_connection_types: [mqtt, MQTT_WS, LEAFNODE] }
      ] }`);
    expect(o.users!.map((u) => u.allowedConnectionTypes)).toEqual([
      ['STANDARD', 'WEBSOCKET'],
      ['LEAFNODE_WS'],
      [], // present but empty: every type allowed
      ['MQTT', 'MQTT_WS', 'LEAFNODE'],
    ]);
  });

  it('`users: []` is a users array for the checks, but defines no users', () => {
    const o = check('authorization { users: [] }');
    expect(o.users).toBeNull();
    expect(messages('authorization { user: a, users: [] }')).toEqual([
      't.conf:1:0: Can not have a single user/pass and a users array',
    ]);
  });

  it('per-user permissions (aliases permission, authorization)', () => {
    const o = load(`
      authorization { users: [
        { user: a, permissions: { publish: "a.>", subscribe: ["_INBOX.>", "q.* workers"] } }
        { user: b, permission: { pub: { deny: "secret.>" } } }
        { user: c, authorization: { sub: { allow: [x], deny: [x.y] } } }
      ] }`);
    expect(o.users!.map((u) => u.permissions)).toEqual([
      perms({ publish: { allow: ['a.>'], deny: null }, subscribe: { allow: ['_INBOX.>', 'q.* workers'], deny: null } }),
      perms({ publish: { allow: null, deny: ['secret.>'] } }),
      perms({ subscribe: { allow: ['x'], deny: ['x.y'] } }),
    ]);
  });

  it('block permissions (→ defaultPermissions) go to users without their own', () => {
    const o = load(`
      authorization {
        permissions: { publish: { deny: ">" } }
        users: [ { user: a }, { user: b, permissions: { publish: "b" } } ]
      }`);
    const dp = perms({ publish: { allow: null, deny: ['>'] } });
    expect(o.defaultPermissions).toEqual(dp);
    expect(o.users![0]!.permissions).toEqual(dp);
    expect(o.users![0]!.permissions).not.toBe(o.defaultPermissions); // a copy each
    expect(o.users![1]!.permissions).toEqual(perms({ publish: { allow: ['b'], deny: null } }));
    // order does not matter, nor the alias
    const r = load('authorization { users: [{user: a}], default_permissions: { sub: "s" } }');
    expect(r.users![0]!.permissions).toEqual(perms({ subscribe: { allow: ['s'], deny: null } }));
  });

  it('nkey users: parsed into nkeys, with nats-server’s own checks', () => {
    expect(load(`authorization { users: [{nkey: ${NKEY}}] }`).users).toBeNull();
    expect(load(`authorization { users: [{nkey: ${NKEY}, permissions: { publish: "p" }}] }`).nkeys).toEqual([
      { nkey: NKEY, permissions: perms({ publish: { allow: ['p'], deny: null } }), account: '', allowedConnectionTypes: null },
    ]);
    expect(messages(`authorization { users: [{nkey: ${NKEY}}, {nkey: ${NKEY}}] }`)).toEqual([
      `t.conf:1:0: Duplicate nkey "${NKEY}" detected`,
    ]);
    expect(messages('authorization { users: [{nkey: UABC}] }')).toEqual([
      't.conf:1:25: Not a valid public nkey for a user',
    ]);
    // At the entry's last key: nats-server's is the last in its (random) map order.
    expect(messages(`authorization { users: [{nkey: ${NKEY}, password: x}] }`)).toEqual([
      't.conf:1:89: Nkey users do not take usernames or passwords',
    ]);
    expect(messages('authorization { users: [{nkey: 5}] }')).toEqual([
      't.conf:1:25: interface conversion: interface {} is int64, not string',
    ]);
  });

  it('isValidPublicUserKey', () => {
    expect(isValidPublicUserKey(NKEY)).toBe(true);
    expect(isValidPublicUserKey(NKEY.slice(0, -1) + 'A')).toBe(false); // checksum
    expect(isValidPublicUserKey('A' + NKEY.slice(1))).toBe(false);
    expect(isValidPublicUserKey('ADXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4')).toBe(false);
    expect(isValidPublicUserKey(NKEY.toLowerCase())).toBe(false);
    expect(isValidPublicUserKey('')).toBe(false);
  });
});

describe('permissions', () => {
  const dp = (text: string): Permissions | null => check(`authorization { permissions: ${text} }`).defaultPermissions;

  it.each([
    ['{ publish: "a.b" }', perms({ publish: { allow: ['a.b'], deny: null } })],
    ['{ pub: [a, "b.*", "c.>"] }', perms({ publish: { allow: ['a', 'b.*', 'c.>'], deny: null } })],
    ['{ import: a }', perms({ publish: { allow: ['a'], deny: null } })],
    ['{ subscribe: "a q" }', perms({ subscribe: { allow: ['a q'], deny: null } })],
    ['{ sub: { deny: "x" } }', perms({ subscribe: { allow: null, deny: ['x'] } })],
    ['{ export: { allow: [a], deny: b } }', perms({ subscribe: { allow: ['a'], deny: ['b'] } })],
    // empty lists are "not given" (Go nil slices); `{}` is no permission at all
    ['{ publish: [] }', perms({ publish: { allow: null, deny: null } })],
    ['{ publish: { allow: [] } }', perms({ publish: { allow: null, deny: null } })],
    ['{ publish: {} }', perms({})],
    ['{}', perms({})],
    // allow_responses
    [
      '{ allow_responses: true }',
      perms({ publish: { allow: [], deny: null }, response: { maxMsgs: 1, expiresMs: 120_000 } }),
    ],
    ['{ allow_responses: false }', perms({})],
    [
      '{ publish_allow_responses: { max: 5, expires: "1m" } }',
      perms({ publish: { allow: [], deny: null }, response: { maxMsgs: 5, expiresMs: 60_000 } }),
    ],
    [
      '{ allow_responses: { max_msgs: 0, ttl: "0s" } }', // 0 = default
      perms({ publish: { allow: [], deny: null }, response: { maxMsgs: 1, expiresMs: 120_000 } }),
    ],
    [
      '{ allow_responses: { max_responses: -1, expiration: "-1s" } }', // negative = unlimited
      perms({ publish: { allow: [], deny: null }, response: { maxMsgs: -1, expiresMs: -1000 } }),
    ],
    [
      '{ allow_responses: { max_messages: 2 }, publish: { deny: "x" } }',
      perms({ publish: { allow: [], deny: ['x'] }, response: { maxMsgs: 2, expiresMs: 120_000 } }),
    ],
    [
      '{ publish: "a", allow_responses: true }', // an explicit allow list is kept
      perms({ publish: { allow: ['a'], deny: null }, response: { maxMsgs: 1, expiresMs: 120_000 } }),
    ],
  ])('%s', (text, want) => {
    expect(dp(text)).toEqual(want);
  });

  it('subjects with a queue group and unusual whitespace', () => {
    expect(dp('{ subscribe: ["a.> q", "foo\tbar"] }')!.subscribe!.allow).toEqual(['a.> q', 'foo\tbar']);
    expect(messages('authorization { permissions: { sub: "a b c" } }')).toEqual(['subject "a b c" is not a valid subject']);
  });
});

describe('errors (text and position as nats-server)', () => {
  it.each([
    // wrong types stop the block; nats-server then dereferences its nil result
    [
      'authorization: 1',
      [
        't.conf:1:0: interface conversion: interface {} is int64, not map[string]interface {}',
        't.conf:1:0: runtime error: invalid memory address or nil pointer dereference',
      ],
    ],
    [
      'authorization { user: 1 }',
      [
        't.conf:1:16: interface conversion: interface {} is int64, not string',
        't.conf:1:0: runtime error: invalid memory address or nil pointer dereference',
      ],
    ],
    // combinations
    ['authorization { user: a, token: b }', ['t.conf:1:0: Cannot have a user/pass and token']],
    ['authorization { password: a, token: b }', ['t.conf:1:0: Cannot have a user/pass and token']],
    ['authorization { token: b, users: [{user: x}] }', ['t.conf:1:0: Can not have a token and a users array']],
    ['authorization { users: [{user: x}, {user: x}] }', ['t.conf:1:0: Duplicate user "x" detected']],
    // users
    ['authorization { users: 1 }', ['t.conf:1:16: Expected users field to be an array, got 1']],
    ['authorization { users: {a: 1} }', ['t.conf:1:16: Expected users field to be an array, got map[a:0xc000000000]']],
    ['authorization { users: [0.00001 ] }', ['t.conf:1:24: Expected user entry to be a map/struct, got 1e-05']],
    ['authorization { users: [{user: a}, 5 ] }', ['t.conf:1:35: Expected user entry to be a map/struct, got 5']],
    ['authorization { users: [{password: x}] }', ['t.conf:1:25: User entry requires a user']],
    ['authorization { users: [{}] }', ['t.conf:1:26: User entry requires a user']],
    ['authorization { users: [{user: ""}] }', ['t.conf:1:25: User entry requires a user']],
    ['authorization { users: [{user: a, foo: 1}] }', ['t.conf:1:34: unknown field "foo"']],
    ['authorization { foo: 1 }', ['t.conf:1:16: unknown field "foo"']],
    [
      'authorization { users: [{user: a, allowed_connection_types: 5}] }',
      ['t.conf:1:34: error parsing allowed connection types: unsupported type int64'],
    ],
    [
      'authorization { users: [{user: a, allowed_connection_types: [a, 5, b]}] }',
      [
        't.conf:1:64: error parsing allowed connection types: unsupported type in array int64',
        't.conf:1:34: invalid connection types ["A" "B"]',
      ],
    ],
    // permissions
    ['authorization { permissions: 1 }', ['t.conf:1:16: Expected permissions to be a map/struct, got 1']],
    ['authorization { permissions: "abc" }', ['t.conf:1:16: Expected permissions to be a map/struct, got abc']],
    ['authorization { users: [{user: a, permissions: 5}] }', ['t.conf:1:34: Expected permissions to be a map/struct, got 5']],
    // old style: nats-server has no position for these
    [
      'authorization { permissions: {publish: 1} }',
      ['Expected subject permissions to be a subject, or array of subjects, got int64'],
    ],
    [
      'authorization { permissions: {publish: true} }',
      ['Expected subject permissions to be a subject, or array of subjects, got bool'],
    ],
    ['authorization { permissions: {publish: "a..b"} }', ['subject "a..b" is not a valid subject']],
    ['authorization { permissions: {subscribe: ["a..b q"]} }', ['subject "a..b" is not a valid subject']],
    ['authorization { permissions: {publish: [a, 1 ]} }', ['t.conf:1:43: Subject in permissions array cannot be cast to string']],
    // new style: at the allow/deny key
    ['authorization { permissions: {publish: {allow: "a..b"}} }', ['t.conf:1:40: subject "a..b" is not a valid subject']],
    [
      'authorization { permissions: {publish: {deny: 1}} }',
      ['t.conf:1:40: Expected subject permissions to be a subject, or array of subjects, got int64'],
    ],
    [
      'authorization { permissions: {publish: {foo: a}} }',
      [`t.conf:1:40: Unknown field name "foo" parsing subject permissions, only 'allow' or 'deny' are permitted`],
    ],
    ['authorization { permissions: {foo: a} }', ['t.conf:1:30: Unknown field "foo" parsing permissions']],
    [
      'authorization { permissions: {allow_responses: 1} }',
      ['t.conf:1:30: error parsing response permissions, expected a boolean or a map'],
    ],
    [
      'authorization { permissions: {allow_responses: {max: "a"}} }',
      ['t.conf:1:48: interface conversion: interface {} is string, not int64'],
    ],
    [
      'authorization { permissions: {allow_responses: {expires: "2x"}} }',
      ['t.conf:1:48: error parsing expires: time: unknown unit "x" in duration "2x"'],
    ],
    [
      'authorization { permissions: {allow_responses: {expires: 5}} }',
      ['t.conf:1:48: error parsing expires, not a duration string'],
    ],
    ['authorization { permissions: {allow_responses: {foo: 5}} }', ['t.conf:1:48: Unknown field "foo" parsing permissions']],
    ['no_auth_user: 1', ['t.conf:1:0: interface conversion: interface {} is int64, not string']],
  ])('%s', (text, want) => {
    const err = errorOf(() => check(text));
    expect(err.details.map((d) => d.message)).toEqual(want);
    expect(err.details.every((d) => d.kind === 'option')).toBe(true);
  });

  it('errors deep in a block do not stop the other keys', () => {
    const err = errorOf(() => load('authorization { foo: 1, users: [{user: a, bar: 2}], token: t }'));
    expect(err.details.map((d) => d.reason)).toEqual([
      'unknown field "foo"',
      'unknown field "bar"',
      'Can not have a token and a users array',
    ]);
  });

  it('goValueV prints values as Go’s %v', () => {
    const v = (text: string): string => goValueV(parseConfigString(`x: ${text}`).value.get('x')!);
    expect(v('1.5')).toBe('1.5');
    expect(v('100000000000000000000.0')).toBe('1e+20');
    expect(v('123456789.125')).toBe('1.23456789125e+08');
    expect(v('123456.5')).toBe('123456.5');
    expect(v('0.0001')).toBe('0.0001');
    expect(v('-0.00001')).toBe('-1e-05');
    expect(v('2016-05-04T18:53:41Z')).toBe('2016-05-04 18:53:41 +0000 UTC');
    expect(v('[a, b ]')).toBe('[0xc000000000 0xc000000000]');
    expect(v('{b: 1, a: 2}')).toBe('map[a:0xc000000000 b:0xc000000000]');
    expect(v('yes')).toBe('true');
  });
});

describe('validation at start-up (not under -t)', () => {
  it.each([
    ['no_auth_user: x', 'no_auth_user: "x" present, but users are not defined'],
    ['authorization { users: [] }\nno_auth_user: x', 'no_auth_user: "x" present, but users are not defined'],
    [
      'authorization { users: [{user: a}] }\nno_auth_user: x',
      'no_auth_user: "x" not present as user in authorization block or account configuration',
    ],
  ])('%s', (text, msg) => {
    expect(() => check(text)).not.toThrow();
    const err = errorOf(() => load(text));
    expect(err.kind).toBe('validation');
    expect(err.message).toBe(msg);
    expect(err.natsText).toBe(msg);
  });

  it('max_payload is checked before auth', () => {
    expect(errorOf(() => load('max_payload: 100MB\nmax_pending: 1MB\nno_auth_user: x')).message).toMatch(/^max_payload/);
  });

  it('unknown connection types in options built by hand', () => {
    const opts = { ...defaultOptions(), users: [user({ user: 'a', allowedConnectionTypes: ['standard', 'bogus'] })] };
    expect(errorOf(() => validateOptions(opts)).message).toBe('unknown connection type "bogus"');
  });
});

// ---------------------------------------------------------------------------------------------
// Differential: same verdict and text as the installed nats-server 2.9.10 under -t, and the
// same start-up verdict where -t accepts but start-up validation refuses.

const cases: Array<[string, string]> = [
  // accepted
  ['single user', 'authorization { user: derek, password: s3cr3t, timeout: 2.5 }'],
  ['token', 'authorization { token: "t0k3n", timeout: 1 }'],
  ['aliases', 'authorization { username: a, pass: b }'],
  ['password without user, with users', 'authorization { password: a, users: [] }'],
  ['string timeout', 'authorization { timeout: "5s" }'],
  ['empty token with users', 'authorization { token: "", users: [] }'],
  ['two blocks: last wins', 'authorization { users: [] }\nauthorization { user: b }'],
  [
    'users with everything',
    `authorization {
  default_permissions = { publish = "SANDBOX.*" }
  users = [
    { user: alice, password: "${BCRYPT}", permissions: { publish: { allow: ">" }, subscribe: { deny: "secret.>" } } }
    { user: bob, password: ${BCRYPT}, allowed_connection_types: ["STANDARD", "websocket"] }
    { username: "carol", pass: x, permission: { sub: ["a.> q", "b"], allow_responses: { max: 3, expires: "30s" } } }
    { user: dave, clients: mqtt, authorization: { import: [], export: {} } }
  ]
}
no_auth_user: dave`,
  ],
  ['allow_responses true', 'authorization { permissions: { allow_responses: true } }'],
  ['used variable inside', 'authorization { u = x; user: $u }'],
  ['nkey user', `authorization { users: [{nkey: ${NKEY}}] }`], // nats-server accepts; see below
  // rejected
  ['not a map', 'authorization: 1'],
  ['wrong type inside', 'authorization { token: [a] }'],
  ['user and token', 'authorization { user: a, token: b }'],
  ['user and users', 'authorization { user: a, users: [] }'],
  ['token and users', 'authorization { token: b, users: [{user: x}] }'],
  ['duplicate user', 'authorization { users: [{user: x}, {user: y}, {user: x}] }'],
  ['users not a list', 'authorization { users: 1 }'],
  ['user entry not a map', 'authorization { users: [{user: a}, "b" ] }'],
  ['user entry without a user', 'authorization { users: [{password: x}] }'],
  ['empty user entry', 'authorization { users: [{}] }'],
  ['unknown key in a user', 'authorization { users: [{user: a, foo: 1}] }'],
  ['unknown key in the block', 'authorization {\n  foo: 1\n}'],
  ['bad connection types', 'authorization { users: [{user: a, allowed_connection_types: [a, 5, b]}] }'],
  ['permissions not a map', 'authorization { permissions: "abc" }'],
  ['old-style bad type (no position)', 'authorization { permissions: {publish: 1} }'],
  ['old-style bad subject (no position)', 'authorization { permissions: {subscribe: ["a..b q"]} }'],
  ['old-style non-string element', 'authorization { permissions: {publish: [a, 1 ]} }'],
  ['new-style bad subject', 'authorization { permissions: {publish: {allow: "a..b"}} }'],
  ['new-style unknown key', 'authorization { permissions: {publish: {foo: a}} }'],
  ['unknown permissions key', 'authorization { users: [{user: a, permissions: {foo: a}}] }'],
  ['allow_responses not bool or map', 'authorization { permissions: {allow_responses: 1} }'],
  ['allow_responses bad max', 'authorization { permissions: {allow_responses: {max: "a"}} }'],
  ['allow_responses bad expires', 'authorization { permissions: {allow_responses: {expires: "2x"}} }'],
  ['allow_responses int expires', 'authorization { permissions: {allow_responses: {expires: 5}} }'],
  ['invalid nkey', 'authorization { users: [{nkey: UABC}] }'],
  ['no_auth_user wrong type', 'no_auth_user: [a]'],
  ['top-level default_permissions (unknown in 2.9.10)', 'default_permissions { publish: a }'],
];

describe('agrees with nats-server -t', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsnats-authcheck-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(cases.map(([name, conf], i) => [name, conf, i] as const))('%s', (_name, conf, i) => {
    const file = path.join(dir, `auth${i}.conf`);
    writeFileSync(file, conf);
    const want = natsServerCheck(file, dir);
    const got = tsnatsCheck(file);
    expect(got.ok).toBe(want.ok);
    expect(errorLines(got.stderr)).toEqual(errorLines(want.stderr));
  });
});

describe('agrees with nats-server at start-up (validation)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsnats-authstart-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['no_auth_user without users', 'no_auth_user: x'],
    ['no_auth_user with empty users', 'authorization { users: [] }\nno_auth_user: x'],
    ['no_auth_user not a user', 'authorization { users: [{user: a}] }\nno_auth_user: x'],
    ['no_auth_user ok', 'authorization { users: [{user: a}, {user: x}] }\nno_auth_user: x'],
  ])('%s', (_name, conf) => {
    const file = path.join(dir, 'start.conf');
    writeFileSync(file, conf);
    expect(tsnatsStart(file)).toEqual(natsServerStart(file, dir));
  });
});
