// The `accounts` block and `system_account` in the config file (src/config/accounts.ts): accounts
// with their users, exports and imports, checked against nats-server's server/opts.go
// (parseAccounts and its helpers) and accounts.go (the import/export checks), and, at the end,
// against the installed `nats-server -t` and nats-server's start-up itself.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfigString } from '../src/config/conf.js';
import { DEFAULT_SERVICE_EXPORT_RESPONSE_THRESHOLD_MS } from '../src/config/accounts.js';
import { isValidPublicAccountKey } from '../src/config/auth.js';
import { optionsFromConfig } from '../src/config/options.js';
import type { AccountConfig, ExportConfig, ImportConfig, ServerOptions, UserEntry } from '../src/config/types.js';
import { errorLines, natsServerCheck, natsServerStart, tsnatsCheck, tsnatsStart } from './helpers/conf-check.js';
import { errorOf } from './helpers/config-error.js';

/** Full start-up semantics: parse, baseline, validate. */
function load(text: string, settings: { notices?: ConfigError[] } = {}): ServerOptions {
  return optionsFromConfig(parseConfigString(text, 't.conf'), undefined, settings);
}
/** `nats-server -t` semantics: no baseline, no validation. */
function check(text: string): ServerOptions {
  return optionsFromConfig(parseConfigString(text, 't.conf'), undefined, { checkOnly: true });
}
/** Every problem as `<file>:<line>:<col>: <reason>` (or the bare reason), in report order. */
const messages = (text: string): string[] => errorOf(() => check(text)).details.map((d) => d.message);
/** The notices (keys accepted and ignored) of a config that loads. */
function notices(text: string): string[] {
  const out: ConfigError[] = [];
  load(text, { notices: out });
  return out.map((n) => n.message);
}

const user = (over: Partial<UserEntry>): UserEntry => ({
  user: '',
  password: '',
  permissions: null,
  account: '',
  allowedConnectionTypes: null,
  ...over,
});
const streamExport = (subject: string, accounts: string[] | null = null): ExportConfig => ({
  kind: 'stream',
  subject,
  accounts,
  responseType: 'singleton',
  responseThresholdMs: DEFAULT_SERVICE_EXPORT_RESPONSE_THRESHOLD_MS,
});
const serviceExport = (subject: string, over: Partial<ExportConfig> = {}): ExportConfig => ({
  ...streamExport(subject),
  kind: 'service',
  ...over,
});
const imp = (kind: ImportConfig['kind'], account: string, subject: string, over: Partial<ImportConfig> = {}): ImportConfig => ({
  kind,
  account,
  subject,
  to: '',
  prefix: '',
  ...over,
});

const USER_NKEY = 'UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4';
const ACCOUNT_NKEY = 'AAMSHOGC2Z7LL5YCZZT75ZUACH3GYP747QLU5LKEOKIMPCIJHE73HH3M';

const TWO_ACCOUNTS = `
accounts {
  A {
    users: [ { user: a, password: pa } ]
    exports: [
      { stream: "public.>" }
      { stream: "private.>", accounts: [B] }
      { service: "req.a" }
    ]
  }
  B {
    users: [ { user: b, password: pb }, { nkey: ${USER_NKEY} } ]
    imports: [
      { stream: { account: A, subject: "public.>" }, prefix: "from_a" }
      { stream: { account: A, subject: "private.x" }, to: "priv" }
      { service: { account: A, subject: "req.a" }, to: "local.req" }
      { service: { account: A, subject: "req.a" } }
    ]
  }
}
authorization { users: [ { user: g, password: pg } ] }
`;

describe('accounts: the block', () => {
  it('accounts, exports and imports in file order', () => {
    const o = load(TWO_ACCOUNTS.replace('{ service: { account: A, subject: "req.a" } }', ''));
    expect(o.accounts).toEqual<AccountConfig[]>([
      {
        name: 'A',
        exports: [streamExport('public.>'), streamExport('private.>', ['B']), serviceExport('req.a')],
        imports: [],
      },
      {
        name: 'B',
        exports: [],
        imports: [
          imp('stream', 'A', 'public.>', { prefix: 'from_a' }),
          imp('stream', 'A', 'private.x', { to: 'priv' }),
          imp('service', 'A', 'req.a', { to: 'local.req' }),
        ],
      },
    ]);
  });

  it('account users join users / nkeys with their account; authorization users keep none', () => {
    const o = load(TWO_ACCOUNTS.replace('{ service: { account: A, subject: "req.a" } }', ''));
    expect(o.users).toEqual([
      user({ user: 'a', password: 'pa', account: 'A' }),
      user({ user: 'b', password: 'pb', account: 'B' }),
      user({ user: 'g', password: 'pg' }),
    ]);
    expect(o.nkeys).toEqual([{ nkey: USER_NKEY, permissions: null, account: 'B', allowedConnectionTypes: null }]);
  });

  it('the same order either way round: authorization first', () => {
    const o = load('authorization { users: [{user: g}] }\naccounts { A { users: [{user: a}] } }');
    expect(o.users!.map((u) => [u.user, u.account])).toEqual([
      ['g', ''],
      ['a', 'A'],
    ]);
  });

  it('accounts without users leave users unset; `users: []` adds none', () => {
    expect(load('accounts { A { users: [] }, B {} }').users).toBeNull();
    expect(load('accounts: [A, B]').accounts.map((a) => a.name)).toEqual(['A', 'B']);
  });

  it('a list of names makes empty accounts', () => {
    expect(load('accounts: [A, "B C"]').accounts).toEqual([
      { name: 'A', exports: [], imports: [] },
      { name: 'B C', exports: [], imports: [] },
    ]);
  });

  it('default_permissions of an account go to its users without their own', () => {
    const o = load(`accounts { A {
      default_permissions: { publish: "a.>" }
      users: [ { user: x }, { user: y, permissions: { subscribe: "y" } }, { nkey: ${USER_NKEY} } ]
    } }`);
    const pub = { publish: { allow: ['a.>'], deny: null }, subscribe: null, response: null };
    expect(o.users!.map((u) => u.permissions)).toEqual([pub, { publish: null, subscribe: { allow: ['y'], deny: null }, response: null }]);
    expect(o.nkeys![0]!.permissions).toEqual(pub);
  });

  it('account keys and block keys are case-insensitive; account names are not', () => {
    const o = load('ACCOUNTS { a { USERS: [{user: x}], Exports: [{Stream: s}] } }');
    expect(o.accounts).toEqual([{ name: 'a', exports: [streamExport('s')], imports: [] }]);
    expect(o.users![0]!.account).toBe('a');
  });

  it('entries used as $variables are neither accounts nor unknown', () => {
    const o = load('accounts { pw = "x"; A { users: [{user: a, password: $pw}] } }');
    expect(o.accounts.map((a) => a.name)).toEqual(['A']);
    expect(o.users![0]!.password).toBe('x');
  });

  it('a value that is neither a list nor a map is ignored, as nats-server does', () => {
    expect(load('accounts: 1').accounts).toEqual([]);
  });
});

describe('accounts: exports and imports', () => {
  it('service exports: response type (and aliases), threshold, default 2 minutes singleton', () => {
    const o = load(`accounts { A { exports: [
      { service: a }
      { service: b, response_type: stream, response_threshold: "5s" }
      { response: chunk, service: c, threshold: "250ms" }
      { service: d, response_type: Single, response_time: "0s" }
      { service: e, accounts: [A], response_max_time: "1m" }
    ] } }`);
    expect(o.accounts[0]!.exports).toEqual([
      serviceExport('a'),
      serviceExport('b', { responseType: 'stream', responseThresholdMs: 5000 }),
      serviceExport('c', { responseType: 'chunked', responseThresholdMs: 250 }),
      serviceExport('d'),
      serviceExport('e', { accounts: ['A'], responseThresholdMs: 60_000 }),
    ]);
    expect(DEFAULT_SERVICE_EXPORT_RESPONSE_THRESHOLD_MS).toBe(120_000);
  });

  it('`accounts: []` is a public export; an empty export entry is nothing', () => {
    expect(load('accounts { A { exports: [{stream: s, accounts: []}, {}] } }').accounts[0]!.exports).toEqual([streamExport('s')]);
  });

  it('stream imports: to, prefix; a prefix wins over a to (only an error when the to comes after it)', () => {
    const o = load(`accounts {
      A { exports: [{stream: ">"}] }
      B { imports: [
        {stream: {account: A, subject: "a.*"}, to: "b.*"}
        {to: "ignored", stream: {account: A, subject: "x"}, prefix: "p."}
      ] }
    }`);
    expect(o.accounts[1]!.imports).toEqual([imp('stream', 'A', 'a.*', { to: 'b.*' }), imp('stream', 'A', 'x', { prefix: 'p.' })]);
    expect(messages('accounts { A { imports: [{stream: {account: A, subject: x}, prefix: p, to: q}] } }')).toEqual([
      `t.conf:1:71: Stream import can not have a 'prefix' and a 'to' property`,
    ]);
  });

  it('service imports: `to` is the exported subject unless given; prefix is ignored', () => {
    const o = load(`accounts {
      A { exports: [{service: "req.>"}] }
      B { imports: [
        {service: {account: A, subject: "req.x"}}
        {service: {account: A, subject: "req.y"}, to: "y", prefix: "ignored"}
      ] }
    }`);
    expect(o.accounts[1]!.imports).toEqual([imp('service', 'A', 'req.x', { to: 'req.x' }), imp('service', 'A', 'req.y', { to: 'y' })]);
  });

  it('an account may import from itself, and a wildcard export covers a narrower import', () => {
    expect(() => load('accounts { A { exports: [{stream: "a.>"}], imports: [{stream: {account: A, subject: "a.b.*"}, prefix: p}] } }')).not.toThrow();
  });

  it('imports are checked against the exports: not exported, not to this account, unknown account', () => {
    const A = 'A { exports: [{stream: "s.>", accounts: [C]}, {service: "req", accounts: [C]}] }, C {}';
    expect(messages(`accounts { ${A}, B { imports: [{stream: {account: A, subject: "s.x"}}] } }`)).toEqual([
      't.conf:1:0: Error adding stream import "s.x": stream import not authorized',
    ]);
    expect(messages(`accounts { ${A}, B { imports: [{service: {account: A, subject: req}}] } }`)).toEqual([
      't.conf:1:0: Error adding service import "req": service import not authorized',
    ]);
    expect(messages(`accounts { ${A}, B { imports: [{stream: {account: A, subject: "t"}}] } }`)).toEqual([
      't.conf:1:0: Error adding stream import "t": stream import not authorized',
    ]);
    expect(messages('accounts { B { imports: [{stream: {account: X, subject: "t"}}] } }')).toEqual([
      't.conf:1:0: "X" account not defined for stream import',
    ]);
    expect(messages('accounts { B { imports: [{service: {account: X, subject: "t"}}] } }')).toEqual([
      't.conf:1:0: "X" account not defined for service import',
    ]);
    expect(messages('accounts { A { exports: [{stream: s, accounts: [X]}, {service: r, accounts: [Y]}] } }')).toEqual([
      't.conf:1:0: "X" account not defined for stream export',
      't.conf:1:0: "Y" account not defined for service export',
    ]);
  });

  it('import checks are skipped once any error was recorded (nats-server bails out)', () => {
    expect(messages('port: "x"\naccounts { B { imports: [{stream: {account: X, subject: "t"}}] } }')).toEqual([
      't.conf:1:0: interface conversion: interface {} is string, not int64',
    ]);
  });

  it('cycles, duplicates, bad prefixes and impossible mappings', () => {
    const cycle = (kind: string): string =>
      `accounts { A { exports: [{${kind}: q}], imports: [{${kind}: {account: B, subject: q}}] }, ` +
      `B { exports: [{${kind}: q}], imports: [{${kind}: {account: A, subject: q}}] } }`;
    expect(messages(cycle('stream'))).toEqual(['t.conf:1:0: Error adding stream import "q": import forms a cycle']);
    expect(messages(cycle('service'))).toEqual(['t.conf:1:0: Error adding service import "q": import forms a cycle']);
    const A = 'A { exports: [{stream: "s.*"}, {service: "r.*"}] }';
    const withImports = (imports: string): string => `accounts { ${A}, B { imports: [${imports}] } }`;
    expect(messages(withImports('{stream: {account: A, subject: "s.x"}}, {stream: {account: A, subject: "s.x"}}'))).toEqual([
      't.conf:1:0: Error adding stream import "s.x": stream import already exists',
    ]);
    expect(messages(withImports('{stream: {account: A, subject: "s.x"}, prefix: "p.>"}'))).toEqual([
      't.conf:1:0: Error adding stream import "s.x": stream import prefix can not contain wildcard tokens',
    ]);
    expect(messages(withImports('{stream: {account: A, subject: "s.*"}, to: "t"}'))).toEqual([
      't.conf:1:0: Error adding stream import "s.*": failed to create mapping transform for stream import subject "s.*" ' +
        'to "t": invalid mapping destination: not using all of the token wildcard(s) in t',
    ]);
    expect(messages(withImports('{stream: {account: A, subject: "s.*"}, to: "t.*.*"}'))).toEqual([
      't.conf:1:0: Error adding stream import "s.*": failed to create mapping transform for stream import subject "s.*" ' +
        'to "t.*.*": invalid mapping destination: wildcard index out of range in $2: [2]',
    ]);
    expect(messages(withImports('{service: {account: A, subject: "r.x"}, to: "a..b"}'))).toEqual([
      't.conf:1:0: Error adding service import "r.x": sublist: invalid subject',
    ]);
    expect(messages(withImports('{service: {account: A, subject: "r.x"}}, {service: {account: A, subject: "r.y"}, to: "r.x"}'))).toEqual([
      't.conf:1:168: Duplicate service import subject "r.x", previously used in import for account "A", subject "r.x"',
    ]);
  });

  it('export and import entries: nats-server’s checks as each key is met', () => {
    expect(messages('accounts { A { exports: [{stream: s, service: x}] } }')).toEqual([
      't.conf:1:37: Detected service "x" but already saw a stream',
    ]);
    expect(messages('accounts { A { exports: [{stream: s, response_type: stream}] } }')).toEqual([
      't.conf:1:37: Detected response directive on non-service',
    ]);
    expect(messages('accounts { A { exports: [{service: s, response_type: bogus}] } }')).toEqual([
      't.conf:1:38: Unknown response type: "bogus"',
    ]);
    expect(messages('accounts { A { exports: [{service: s, response_threshold: 5}] } }')).toEqual([
      't.conf:1:38: Expected response threshold to be a parseable time duration, got int64',
    ]);
    expect(messages('accounts { A { imports: [{stream: {account: A}}] } }')).toEqual([
      't.conf:1:26: Expect an account name and a subject',
    ]);
    expect(messages('accounts { A { imports: [{service: {account: A, subject: x}, stream: {account: A, subject: x}}] } }')).toEqual([
      't.conf:1:61: Detected stream but already saw a service',
    ]);
  });
});

describe('accounts: users across accounts and the authorization block', () => {
  it('duplicates are refused wherever they are', () => {
    expect(messages('accounts { A { users: [{user: a}] }, B { users: [{user: a}] } }')).toEqual([
      't.conf:1:41: Duplicate user "a" detected',
    ]);
    expect(messages('authorization { users: [{user: a}] }\naccounts { A { users: [{user: a}] } }')).toEqual([
      't.conf:2:16: Duplicate user "a" detected',
    ]);
    expect(messages('accounts { A { users: [{user: a}] } }\nauthorization { users: [{user: a}] }')).toEqual([
      't.conf:2:1: Duplicate user "a" detected',
    ]);
    expect(messages(`accounts { A { users: [{nkey: ${USER_NKEY}}] }, B { users: [{nkey: ${USER_NKEY}}] } }`)).toEqual([
      `t.conf:1:96: Duplicate nkey "${USER_NKEY}" detected`,
    ]);
  });

  it('a single user or a token cannot sit beside account users', () => {
    expect(messages('authorization { user: x, password: y }\naccounts { A { users: [{user: a}] } }')).toEqual([
      't.conf:2:16: Can not have a single user/pass and accounts',
    ]);
    expect(messages('authorization { token: t }\naccounts { A { users: [{user: a}] } }')).toEqual([
      't.conf:2:16: Can not have a token and accounts',
    ]);
    expect(messages(`accounts { A { users: [{nkey: ${USER_NKEY}}] } }\nauthorization { user: x }`)).toEqual([
      't.conf:2:1: Can not have a single user/pass and a users array',
    ]);
  });

  it('no_auth_user may name an account user', () => {
    expect(load('accounts { A { users: [{user: a}] } }\nno_auth_user: a').noAuthUser).toBe('a');
    expect(errorOf(() => load('accounts { A { users: [{user: a}] } }\nno_auth_user: b')).natsText).toBe(
      'no_auth_user: "b" not present as user in authorization block or account configuration',
    );
  });

  it('the reserved global account, duplicate names, wrong shapes', () => {
    expect(messages('accounts { "$G" { users: [{user: a}] } }')).toEqual(['t.conf:1:12: "$G" is a Reserved Account']);
    expect(messages('accounts: [A, "$G", A]')).toEqual([
      't.conf:1:15: "$G" is a Reserved Account',
      't.conf:1:20: Duplicate Account Entry: A',
    ]);
    expect(messages('accounts { A: 1 }')).toEqual(['t.conf:1:11: Expected map entries for accounts']);
    expect(messages('accounts { A { users: 1 } }')).toEqual(['Expected users field to be an array, got 1']);
    expect(messages('accounts { A { exports: {stream: x} } }')).toEqual([
      't.conf:1:15: Exports should be an array, got map[string]interface {}',
    ]);
    expect(messages('accounts { A { foo: 1 } }')).toEqual(['t.conf:1:15: unknown field "foo"']);
  });
});

describe('accounts: keys tsnats accepts and ignores', () => {
  it('nkey, limits, latency, share and account_token_position: one notice each (jetstream and mappings are read)', () => {
    const got = notices(`accounts {
  A {
    nkey: ${ACCOUNT_NKEY}
    jetstream: enabled
    mappings: { "a": "b" }
    limits: { max_conn: 1 }
    exports: [ { service: "req", latency: "lat.req" }, { stream: "s.*", account_token_position: 2 } ]
  }
  B { jetstream: disabled, imports: [ { service: { account: A, subject: req }, share: true } ] }
}`);
    expect(got).toEqual([
      't.conf:3:5: account nkey is not supported by tsnats yet: ignored',
      't.conf:6:5: account limits is not supported by tsnats yet: ignored',
      't.conf:7:34: service latency tracking is not supported by tsnats yet: ignored',
      't.conf:7:73: account_token_position is not supported by tsnats yet: ignored',
      't.conf:9:80: service import share is not supported by tsnats yet: ignored',
    ]);
    expect(isValidPublicAccountKey(ACCOUNT_NKEY)).toBe(true);
    expect(isValidPublicAccountKey(USER_NKEY)).toBe(false);
  });

  it('but checks them as nats-server does', () => {
    expect(messages('accounts { A { nkey: "ABC" } }')).toEqual(['t.conf:1:15: Not a valid public nkey for an account: "ABC"']);
    expect(messages('accounts { A { nkey: 1 } }')).toEqual([`t.conf:1:15: Not a valid public nkey for an account: '\\x01'`]);
    expect(messages('accounts { A { limits: { foo: 1 } } }')).toEqual(['t.conf:1:25: Unknown field "foo" parsing account limits']);
    expect(messages('accounts { A { exports: [{service: x, account_token_position: 2}] } }')).toEqual([
      't.conf:1:0: Error adding service export "x": sublist: invalid subject',
    ]);
    expect(messages('accounts { A { exports: [{service: x, response_type: stream, latency: "l"}] } }')).toEqual([
      't.conf:1:0: Error adding service latency sampling for "x" on subject "l": bad service response type',
    ]);
  });
});

describe('system_account', () => {
  it('system_account, or system; system_account wins', () => {
    expect(load('accounts: [S]\nsystem_account: S').systemAccount).toBe('S');
    expect(load('accounts: [S]\nsystem: S').systemAccount).toBe('S');
    expect(load('accounts: [S, T]\nsystem: T\nsystem_account: S').systemAccount).toBe('S');
  });

  it('only those exact spellings count (others are accepted and ignored, as nats-server does)', () => {
    expect(load('SYSTEM_ACCOUNT: X').systemAccount).toBe('');
  });

  it('an account named $SYS is the system account when none is set', () => {
    expect(load('accounts { "$SYS" { users: [{user: s}] } }').systemAccount).toBe('$SYS');
    expect(check('accounts { "$SYS" {} }').systemAccount).toBe('');
  });

  it('must be a string; must exist at start-up (not under -t)', () => {
    expect(messages('system_account: 1')).toEqual(['t.conf:1:0: system account name must be a string']);
    expect(check('system_account: X').systemAccount).toBe('X');
    expect(errorOf(() => load('system_account: X')).natsText).toBe('error resolving system account: account missing');
    expect(load('system_account: "$G"').systemAccount).toBe('$G');
  });
});

// Differential: the same file through `nats-server -t` and tsnats's checkConfigFile. Only
// configs whose verdict does not depend on Go's random map order are listed (so no users split
// between two accounts, or between accounts and authorization: nats-server reports the clash
// at whichever it meets second; no export entry with both stream and service, whose error names
// whichever key Go's map range visits second). The unit tests above cover those in file order.
const cases: Array<[string, string]> = [
  ['two accounts with users, exports and imports', TWO_ACCOUNTS],
  ['a list of names', 'accounts: [A, B]'],
  ['list: reserved and duplicate names', 'accounts: [A, "$G", A]'],
  ['list: not a string', 'accounts: [true, x]'],
  ['not a list or map', 'accounts: 1'],
  ['account not a map', 'accounts { A: 1 }'],
  ['reserved account', 'accounts { "$G" { users: [{user: a}] } }'],
  ['unknown key in an account', 'accounts { A { foo: 1 } }'],
  ['users not a list (no position)', 'accounts { A { users: 1 } }'],
  ['user entry without a user', 'accounts { A { users: [{password: x}] } }'],
  ['user with a wrong type', 'accounts { A { users: [{user: 1}] } }'],
  ['duplicate user in one account', 'accounts { A { users: [{user: a}, {user: a}] } }'],
  ['account default_permissions', 'accounts { A { users: [{user: a}], default_permissions: { publish: "x" } } }'],
  ['account default_permissions unknown key', 'accounts { A { default_permissions: { foo: 1 } } }'],
  ['account default_permissions not a map', 'accounts { A { default_permissions: "x" } }'],
  ['exports not a list', 'accounts { A { exports: {stream: x} } }'],
  ['export not a map', 'accounts { A { exports: [x] } }'],
  ['empty export', 'accounts { A { exports: [{}] } }'],
  ['export stream not a string', 'accounts { A { exports: [{stream: 1}] } }'],
  ['export unknown key', 'accounts { A { exports: [{foo: 1}] } }'],
  ['export response type on a stream', 'accounts { A { exports: [{stream: "s", response_type: stream}] } }'],
  ['export unknown response type', 'accounts { A { exports: [{service: "req", response_type: bogus}] } }'],
  ['export bad threshold', 'accounts { A { exports: [{service: "req", response_threshold: "5x"}] } }'],
  ['export int threshold', 'accounts { A { exports: [{service: "req", response_threshold: 5}] } }'],
  ['export accounts not a list', 'accounts { A { exports: [{stream: x, accounts: B}] } }'],
  ['export accounts with a bool', 'accounts { A { exports: [{stream: x, accounts: [true]}] } }'],
  ['export to an unknown account', 'accounts { A { exports: [{stream: "s.>", accounts: [C]}] }, B {} }'],
  ['bad subjects in exports are not checked', 'accounts { A { exports: [{stream: "s..x"}, {service: "a b"}] } }'],
  ['export account_token_position on a literal', 'accounts { A { exports: [{service: x, account_token_position: 2}] } }'],
  ['export account_token_position', 'accounts { A { exports: [{stream: "s.*", account_token_position: 2}] } }'],
  ['export latency', 'accounts { A { exports: [{service: x, latency: "lat"}] } }'],
  ['export latency map', 'accounts { A { exports: [{service: x, latency: {subject: lat, sampling: "50%"}}] } }'],
  ['export latency bad sampling', 'accounts { A { exports: [{service: x, latency: {subject: lat, sampling: 200}}] } }'],
  ['export latency bad sample text', 'accounts { A { exports: [{service: x, latency: {subject: lat, sampling: "x%"}}] } }'],
  ['export latency without subject', 'accounts { A { exports: [{service: x, latency: {sampling: 5}}] } }'],
  ['export latency not a map', 'accounts { A { exports: [{service: x, latency: 5}] } }'],
  ['export latency on a stream service', 'accounts { A { exports: [{service: x, response_type: stream, latency: "l"}] } }'],
  ['export latency to a wildcard', 'accounts { A { exports: [{service: x, latency: "l.*"}] } }'],
  ['export latency to itself', 'accounts { A { exports: [{service: x, latency: "x"}] } }'],
  ['imports not a list', 'accounts { A { imports: {x: 1} } }'],
  ['import not a map', 'accounts { A { imports: [x] } }'],
  ['import stream not a map', 'accounts { A { exports: [{stream: "s.>"}] }, B { imports: [{stream: A}] } }'],
  ['import without subject', 'accounts { A { exports: [{stream: "s.>"}] }, B { imports: [{stream: {account: A}}] } }'],
  ['import account not a string', 'accounts { A { imports: [{stream: {account: 1, subject: x}}] } }'],
  ['import unknown key in the account map', 'accounts { A { exports: [{stream: "s.>"}] }, B { imports: [{stream: {account: A, subject: x, foo: 1}}] } }'],
  ['import unknown key', 'accounts { A { exports: [{stream: "s"}] }, B { imports: [{stream: {account: A, subject: s}, foo: 1}] } }'],
  ['import to not a string', 'accounts { A { imports: [{stream: {account: A, subject: x}, to: 1}] } }'],
  ['import share not a bool', 'accounts { A { imports: [{stream: {account: A, subject: x}, share: 1}] } }'],
  ['import from an unknown account', 'accounts { A { users: [{user: a}] }, B { imports: [{stream: {account: C, subject: "s.>"}}] } }'],
  ['import of a subject not exported', 'accounts { A { users: [{user: a}] }, B { imports: [{stream: {account: A, subject: "s.>"}}] } }'],
  ['import of an export to another account', 'accounts { A { exports: [{stream: "s.>", accounts: [A]}] }, B { imports: [{stream: {account: A, subject: "s.>"}}] } }'],
  ['import of an export to this account', 'accounts { A { exports: [{stream: "s.>", accounts: [B]}] }, B { imports: [{stream: {account: A, subject: "s.x"}}] } }'],
  ['import of a bad subject', 'accounts { A { exports: [{stream: "s.>"}] }, B { imports: [{stream: {account: A, subject: "s..x"}}] } }'],
  ['import with a wildcard prefix', 'accounts { A { exports: [{stream: "s.>"}] }, B { imports: [{stream: {account: A, subject: "s.x"}, prefix: "p.*"}] } }'],
  ['import twice', 'accounts { A { exports: [{stream: "s.>"}] }, B { imports: [{stream: {account: A, subject: "s.x"}}, {stream: {account: A, subject: "s.x"}}] } }'],
  ['import of a wildcard, mapped', 'accounts { A { exports: [{stream: "s.*"}] }, B { imports: [{stream: {account: A, subject: "s.*"}, to: "t.*"}] } }'],
  ['import mapped with too many wildcards', 'accounts { A { exports: [{stream: "s.*"}] }, B { imports: [{stream: {account: A, subject: "s.*"}, to: "t.*.*"}] } }'],
  ['import mapped without the wildcard', 'accounts { A { exports: [{stream: "s.*"}] }, B { imports: [{stream: {account: A, subject: "s.*"}, to: "t"}] } }'],
  ['import mapped with a function', 'accounts { A { exports: [{stream: "s.*"}] }, B { imports: [{stream: {account: A, subject: "s.*"}, to: "t.{{wildcard(1)}}"}] } }'],
  ['import mapped with a bad function', 'accounts { A { exports: [{stream: "s.*"}] }, B { imports: [{stream: {account: A, subject: "s.*"}, to: "t.{{nope(1)}}"}] } }'],
  ['import mapped with a full wildcard', 'accounts { A { exports: [{stream: "s.>"}] }, B { imports: [{stream: {account: A, subject: "s.>"}, to: "t.>"}] } }'],
  ['stream import cycle', 'accounts { A { exports: [{stream: "q"}], imports: [{stream: {account: B, subject: q}}] }, B { exports: [{stream: "q"}], imports: [{stream: {account: A, subject: q}}] } }'],
  ['service import', 'accounts { A { exports: [{service: "req", response_type: stream, response_threshold: "5s"}] }, B { imports: [{service: {account: A, subject: req}, to: "local.req"}] } }'],
  ['service import not exported', 'accounts { A { exports: [{service: "req"}] }, B { imports: [{service: {account: A, subject: other}}] } }'],
  ['service import to an unknown account', 'accounts { A { exports: [{service: "req", accounts: [C]}] }, B { imports: [{service: {account: A, subject: req}}] } }'],
  ['service import not for this account', 'accounts { A { exports: [{service: "req", accounts: [A]}] }, B { imports: [{service: {account: A, subject: req}}] } }'],
  ['service import of a wildcard, mapped', 'accounts { A { exports: [{service: "req.*"}] }, B { imports: [{service: {account: A, subject: "req.*"}, to: "x.*"}] } }'],
  ['service import to a bad subject', 'accounts { A { exports: [{service: "req.>"}] }, B { imports: [{service: {account: A, subject: "req.x"}, to: "x..y"}] } }'],
  ['service import twice', 'accounts { A { exports: [{service: "req.>"}] }, B { imports: [{service: {account: A, subject: "req.x"}}, {service: {account: A, subject: "req.x"}}] } }'],
  ['service imports on one subject', 'accounts { A { exports: [{service: "req.>"}] }, B { imports: [{service: {account: A, subject: "req.x"}}, {service: {account: A, subject: "req.y"}, to: "req.x"}] } }'],
  ['service import cycle', 'accounts { A { exports: [{service: "q"}], imports: [{service: {account: B, subject: q}}] }, B { exports: [{service: "q"}], imports: [{service: {account: A, subject: q}}] } }'],
  ['service import shared, with a prefix', 'accounts { A { exports: [{service: "req"}] }, B { imports: [{service: {account: A, subject: req}, share: true, prefix: x}] } }'],
  ['account nkey', `accounts { A { nkey: ${ACCOUNT_NKEY} } }`],
  ['bad account nkey', 'accounts { A { nkey: "ABC" } }'],
  ['account nkey not a string', 'accounts { A { nkey: 1 } }'],
  ['account jetstream, mappings, limits', 'accounts { A { jetstream: enabled, mappings: { "a": "b" }, limits: { max_conn: 1 } } }'],
  ['account limits unknown key', 'accounts { A { limits: { foo: 1 } } }'],
  ['system_account', 'accounts: [S]\nsystem_account: S'],
  ['system_account undefined (fine under -t)', 'system_account: X'],
  ['system_account not a string', 'system_account: 1'],
  ['system beside system_account', 'system_account: 1\nsystem: S'],
];

describe('agrees with nats-server -t', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsnats-acccheck-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(cases.map(([name, conf], i) => [name, conf, i] as const))('%s', (_name, conf, i) => {
    const file = path.join(dir, `acc${i}.conf`);
    writeFileSync(file, conf + '\n');
    const want = natsServerCheck(file, dir);
    const got = tsnatsCheck(file);
    expect(got.ok).toBe(want.ok);
    expect(errorLines(got.stderr)).toEqual(errorLines(want.stderr));
  });
});

describe('agrees with nats-server at start-up (validation)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsnats-accstart-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['system account missing', 'system_account: X'],
    ['system account $SYS not configured', 'system_account: "$SYS"'],
    ['system account $G', 'system_account: "$G"'],
    ['system account defined', 'accounts: [A]\nsystem_account: A'],
    ['no_auth_user of an account', 'accounts { A { users: [{user: a}] } }\nno_auth_user: a'],
    ['no_auth_user not in an account', 'accounts { A { users: [{user: a}] } }\nno_auth_user: b'],
  ])('%s', (_name, conf) => {
    const file = path.join(dir, 'start.conf');
    writeFileSync(file, conf);
    expect(tsnatsStart(file)).toEqual(natsServerStart(file, dir));
  });
});
