// The `cluster` block (src/config/cluster.ts) and the cluster flags (src/config/flags.ts),
// checked against nats-server's server/opts.go (parseCluster, parseURLs, overrideCluster,
// ConfigureOptions) and, at the end, against the installed `nats-server -t` and nats-server's
// own command line.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfigString } from '../src/config/conf.js';
import { applyFlags, parseFlags } from '../src/config/flags.js';
import { defaultClusterOptions, goUrlParse, overrideCluster } from '../src/config/cluster.js';
import { DEFAULT_AUTH_TIMEOUT_MS, defaultOptions, optionsFromConfig, setBaselineOptions } from '../src/config/options.js';
import type { ClusterOptions, ServerOptions } from '../src/config/types.js';
import { errorLines, natsServerCheck, tsnatsCheck } from './helpers/conf-check.js';
import { errorOf } from './helpers/config-error.js';

function load(text: string, settings: { notices?: ConfigError[] } = {}): ServerOptions {
  return optionsFromConfig(parseConfigString(text, 't.conf'), undefined, settings);
}
function check(text: string): ServerOptions {
  return optionsFromConfig(parseConfigString(text, 't.conf'), undefined, { checkOnly: true });
}
const messages = (text: string): string[] => errorOf(() => check(text)).details.map((d) => d.message);
const cluster = (over: Partial<ClusterOptions>): ClusterOptions => ({ ...defaultClusterOptions(), ...over });

/** The file (if any), then the flags, then baseline: the command line's order. */
function withFlags(argv: string[], text?: string): ServerOptions {
  const opts = text === undefined ? defaultOptions() : load(text);
  applyFlags(opts, parseFlags(argv));
  return setBaselineOptions(opts);
}
/** The text of the error applying `argv` gives (as nats-server prints it after "nats-server: "). */
const flagError = (argv: string[], text?: string): string => errorOf(() => withFlags(argv, text)).natsText;

describe('cluster: the block', () => {
  it('every key, as nats-server names them', () => {
    const o = check(`cluster {
      name: east
      listen: "127.0.0.1:6333"
      routes: [ "nats://127.0.0.1:6334", " nats-route://u:p@h:6335 " ]
      advertise: "east.example:6333"
      no_advertise: true
      connect_retries: 3
      authorization { user: ru, password: rp, timeout: 0.5 }
      permissions { import: "in.>", export: { allow: "out.>", deny: "out.secret" } }
    }`);
    expect(o.cluster).toEqual<ClusterOptions>({
      name: 'east',
      host: '127.0.0.1',
      port: 6333,
      routes: ['nats://127.0.0.1:6334', 'nats-route://u:p@h:6335'],
      advertise: 'east.example:6333',
      noAdvertise: true,
      connectRetries: 3,
      username: 'ru',
      password: 'rp',
      authTimeoutMs: 500,
      permissions: { import: { allow: ['in.>'], deny: null }, export: { allow: ['out.>'], deny: ['out.secret'] } },
    });
  });

  it('aliases: host / net, port, cluster_advertise; keys are case-insensitive', () => {
    expect(check('CLUSTER { Net: "10.0.0.1", PORT: 7000, Cluster_Advertise: "a:1" }').cluster).toEqual(
      cluster({ host: '10.0.0.1', port: 7000, advertise: 'a:1' }),
    );
    expect(check('cluster { listen: 6222 }').cluster).toEqual(cluster({ port: 6222 }));
  });

  it('no block: no cluster; an empty block: a cluster with nothing set', () => {
    expect(load('port: 1').cluster).toBeNull();
    expect(load('cluster {}').cluster).toEqual(cluster({}));
  });

  it('port -1 is random and stays -1; port 0 (no listen / port) means no route listener', () => {
    expect(load('cluster { listen: "127.0.0.1:-1" }').cluster).toMatchObject({ host: '127.0.0.1', port: -1 });
    expect(load('cluster { name: only }').cluster).toEqual(cluster({ name: 'only' }));
  });

  it('baseline: a listening cluster gets host 0.0.0.0 and the 2 s auth timeout', () => {
    expect(load('cluster { port: 6222 }').cluster).toMatchObject({ host: '0.0.0.0', port: 6222, authTimeoutMs: DEFAULT_AUTH_TIMEOUT_MS });
    expect(check('cluster { port: 6222 }').cluster).toMatchObject({ host: '', authTimeoutMs: 0 });
    expect(load('cluster { name: x }').cluster).toMatchObject({ host: '', authTimeoutMs: 0 });
  });

  it('permissions in the authorization block: deprecated (a warning) and only if the block has none', () => {
    const warnings = (text: string): string[] => {
      const out: ConfigError[] = [];
      optionsFromConfig(parseConfigString(text, 't.conf'), undefined, { warnings: out });
      return out.map((w) => w.message);
    };
    const text = 'cluster { authorization { user: a, permissions: { import: "x" } } }';
    expect(warnings(text)).toEqual([
      't.conf:1:10: invalid use of field "authorization": setting "permissions" within cluster authorization block is deprecated',
    ]);
    expect(load(text).cluster!.permissions).toEqual({ import: { allow: ['x'], deny: null }, export: null });
    const both = 'cluster { permissions { import: "own" }, authorization { permissions: { import: "x" } } }';
    expect(load(both).cluster!.permissions).toEqual({ import: { allow: ['own'], deny: null }, export: null });
  });

  it('tls is read, with verification forced and its timeout in the auth timeout (and checked as nats-server does)', () => {
    const notices: ConfigError[] = [];
    const cl = load('cluster { port: -1, tls { timeout: 3 } }', { notices }).cluster!;
    expect(notices).toEqual([]);
    expect(cl.tls).toEqual({ certFile: '', keyFile: '', caFile: '', verify: true });
    expect(cl.tlsTimeoutMs).toBe(3000);
    expect(cl.authTimeoutMs).toBe(4000);
    const plain = load('cluster { port: -1 }').cluster!;
    expect(plain.tls ?? null).toBeNull();
    expect(plain.authTimeoutMs).toBe(2000);
    expect(messages('cluster { tls { cert_file: "nope.pem", key_file: "nope.key" } }')[0]).toMatch(
      /^t\.conf:1:10: error parsing X509 certificate\/key pair: open nope\.pem: no such file or directory$/,
    );
  });

  it('errors and warnings, with nats-server’s texts', () => {
    expect(messages('cluster: 1')).toEqual(['t.conf:1:0: Expected map to define cluster, got int64']);
    expect(messages('cluster { pool_size: 3 }')).toEqual(['t.conf:1:10: unknown field "pool_size"']);
    expect(messages('cluster { authorization { users: [{user: a}] } }')).toEqual([
      't.conf:1:10: Cluster authorization does not allow multiple users',
    ]);
    expect(messages('cluster { authorization { token: x } }')).toEqual(['t.conf:1:10: Cluster authorization does not support tokens']);
    expect(messages('cluster { permissions { import: "x", allow_responses: true } }')).toEqual([
      't.conf:1:10: Cluster permissions do not support dynamic responses',
    ]);
    expect(messages('cluster { permissions: "x" }')).toEqual(['Expected permissions to be a map/struct, got x']);
    expect(messages('cluster { routes: ["nats://a:1", "nats://a:1"] }')).toEqual([
      't.conf:1:34: invalid use of field "nats://a:1": Duplicate route entry detected',
    ]);
    expect(messages('cluster { routes: ["127.0.0.1:4222"] }')).toEqual(['t.conf:1:20: error parsing route url ["127.0.0.1:4222"]']);
    expect(messages('cluster { listen: "x" }')).toEqual(['t.conf:1:10: could not parse address string "x"']);
  });

  it('a wrong type ends the block (the unknown key after it is not reached)', () => {
    expect(messages('cluster { name: a, port: "x", connect_retries: 1, foo: 2 }')).toEqual([
      't.conf:1:19: interface conversion: interface {} is string, not int64',
    ]);
  });
});

describe('goUrlParse (Go net/url.Parse)', () => {
  it.each([
    ['nats://127.0.0.1:4222', { scheme: 'nats', user: null, host: '127.0.0.1:4222' }],
    ['nats-route://u:p%40ss@h:1/path?q#frag', { scheme: 'nats-route', user: { username: 'u', password: 'p@ss' }, host: 'h:1' }],
    ['nats://u@[::1]:4222', { scheme: 'nats', user: { username: 'u', password: null }, host: '[::1]:4222' }],
    ['localhost:4222', { scheme: 'localhost', user: null, host: '' }],
  ])('%s', (raw, want) => {
    expect(goUrlParse(raw)).toEqual(want);
  });

  it.each([
    ['127.0.0.1:4222', 'parse "127.0.0.1:4222": first path segment in URL cannot contain colon'],
    ['nats://[::1', `parse "nats://[::1": missing ']' in host`],
    ['nats://h:x', 'parse "nats://h:x": invalid port ":x" after host'],
    ['nats://a%zz:p@h:1', 'parse "nats://a%zz:p@h:1": invalid URL escape "%zz"'],
    ['nats://h%41:1', 'parse "nats://h%41:1": invalid URL escape "%41"'],
    ['nats://h^:1', 'parse "nats://h^:1": invalid character "^" in host name'],
    ['nats://a b@h:1', 'parse "nats://a b@h:1": net/url: invalid userinfo'],
    [':4222', 'parse ":4222": missing protocol scheme'],
    ['nats://h:1\n', 'parse "nats://h:1\\n": net/url: invalid control character in URL'],
    ['nats://h:1#%zz', 'parse "nats://h:1#%zz": invalid URL escape "%zz"'],
  ])('%j is refused', (raw, text) => {
    expect(goUrlParse(raw)).toBe(text);
  });
});

describe('cluster flags', () => {
  it('--cluster / --cluster_listen set host and port (:-1 = random), and route credentials', () => {
    expect(withFlags(['--cluster', 'nats://127.0.0.1:-1']).cluster).toEqual(
      cluster({ host: '127.0.0.1', port: -1, authTimeoutMs: DEFAULT_AUTH_TIMEOUT_MS }),
    );
    expect(withFlags(['-cluster_listen=nats://u:p@0.0.0.0:6333']).cluster).toMatchObject({
      host: '0.0.0.0',
      port: 6333,
      username: 'u',
      password: 'p',
    });
  });

  it('a port with a leading 0 is octal, as Go’s fmt.Sscan reads it', () => {
    expect(withFlags(['--cluster', 'nats://127.0.0.1:010']).cluster!.port).toBe(8);
    expect(withFlags(['--cluster', 'nats://127.0.0.1:08']).cluster!.port).toBe(0);
  });

  it('override the file: listen, credentials (cleared when the URL has none), name, advertise...', () => {
    const file = 'cluster { name: f, listen: "127.0.0.1:7000", authorization { user: fu, password: fp }, routes: ["nats://x:1"] }';
    expect(withFlags(['--cluster', 'nats://127.0.0.1:7001'], file).cluster).toMatchObject({
      name: 'f',
      port: 7001,
      username: '',
      password: '',
      routes: ['nats://x:1'],
    });
    const o = withFlags(
      ['--cluster_name', 'flag', '--cluster_advertise', 'adv:1', '--no_advertise', '--connect_retries', '5', '--routes', 'nats://a:1, nats://b:2'],
      file,
    );
    expect(o.cluster).toMatchObject({
      name: 'flag',
      advertise: 'adv:1',
      noAdvertise: true,
      connectRetries: 5,
      routes: ['nats://a:1', 'nats://b:2'],
      username: 'fu',
    });
    expect(withFlags(['--no_advertise=false'], 'cluster { port: 1, no_advertise: true }').cluster!.noAdvertise).toBe(false);
  });

  it('--cluster "" turns the listener off; --routes "" clears the routes', () => {
    const file = 'cluster { listen: "127.0.0.1:7000", routes: ["nats://x:1"] }';
    expect(withFlags(['--cluster', '', '--routes', ''], file).cluster).toMatchObject({ port: 0, routes: [] });
  });

  it('the flags alone make a cluster; none leaves it null', () => {
    expect(withFlags(['--cluster_name', 'n']).cluster).toEqual(cluster({ name: 'n' }));
    expect(withFlags(['-p', '1']).cluster).toBeNull();
  });

  it('refuses what nats-server refuses, with its texts', () => {
    expect(flagError(['--routes', 'nats://a:1'])).toBe('solicited routes require cluster capabilities, e.g. --cluster');
    expect(flagError(['--routes', 'nats://a:1'], 'cluster { name: x }')).toBe(
      'solicited routes require cluster capabilities, e.g. --cluster',
    );
    expect(() => withFlags(['--routes', 'nats://a:1'], 'cluster { host: "127.0.0.1" }')).not.toThrow();
    expect(flagError(['--cluster', 'nats://u@h:1'])).toBe('expected cluster password to be set');
    expect(flagError(['--cluster', 'nats://h'])).toBe('address h: missing port in address');
    expect(flagError(['--cluster', 'localhost:4248'])).toBe('missing port in address');
    expect(flagError(['--cluster', 'nats://h:'])).toBe('EOF');
    expect(flagError(['--cluster', 'nats://h:99999999999999999999'])).toBe(
      'strconv.ParseInt: parsing "99999999999999999999": value out of range',
    );
  });

  it('overrideCluster leaves the options alone on a URL error', () => {
    const cl = cluster({ host: 'keep', port: 1 });
    expect(overrideCluster(cl, 'nats://[::1')).toBe(`parse "nats://[::1": missing ']' in host`);
    expect(cl).toEqual(cluster({ host: 'keep', port: 1 }));
  });
});

// Differential: the same file through `nats-server -t` and tsnats's checkConfigFile (only
// configs whose verdict does not depend on Go's random map order).
const cases: Array<[string, string]> = [
  [
    'every key',
    'cluster { name: x, listen: "127.0.0.1:-1", routes: ["nats://127.0.0.1:4248", "nats-route://u:p@h:1"], advertise: "a:1", no_advertise: true, connect_retries: 3 }',
  ],
  ['host, port and aliases', 'cluster { net: "127.0.0.1", port: 6222, cluster_advertise: "x:1" }'],
  ['empty block', 'cluster {}'],
  ['not a map', 'cluster: 1'],
  ['listen not an address', 'cluster { listen: "x" }'],
  ['listen bad port', 'cluster { listen: "h:x" }'],
  ['listen wrong type', 'cluster { listen: true }'],
  ['port wrong type', 'cluster { port: "x" }'],
  ['name wrong type', 'cluster { name: 1 }'],
  ['advertise wrong type', 'cluster { cluster_advertise: 1 }'],
  ['no_advertise wrong type', 'cluster { no_advertise: "yes" }'],
  ['unknown key', 'cluster { foo: 1 }'],
  ['pool_size does not exist in 2.9', 'cluster { pool_size: 3 }'],
  ['compression does not exist in 2.9', 'cluster { compression: on }'],
  ['accounts does not exist in 2.9', 'cluster { accounts: [A] }'],
  ['authorization', 'cluster { authorization { user: a, password: b, timeout: 2 } }'],
  ['authorization with users', 'cluster { authorization { users: [{user: a}] } }'],
  ['authorization with a token', 'cluster { authorization { token: x } }'],
  ['authorization with permissions (deprecated)', 'cluster { authorization { user: a, password: b, permissions: { import: "x" } } }'],
  ['authorization unknown key', 'cluster { authorization { foo: 1 } }'],
  ['authorization wrong type', 'cluster { authorization { user: 1 }, name: x }'],
  ['permissions', 'cluster { permissions { import: "x", export: { deny: "y" } } }'],
  ['permissions with responses', 'cluster { permissions { import: "x", allow_responses: true } }'],
  ['permissions not a map', 'cluster { permissions: "x" }'],
  ['permissions bad subject', 'cluster { permissions { import: { allow: "a..b" } } }'],
  ['routes not a list', 'cluster { routes: "nats://x:1" }'],
  ['routes duplicate', 'cluster { routes: ["nats://127.0.0.1:4248", "nats://127.0.0.1:4248"] }'],
  ['route without a scheme', 'cluster { routes: ["127.0.0.1:4222"] }'],
  ['route with a bad host', 'cluster { routes: ["nats://[::1"] }'],
  ['route with a bad port', 'cluster { routes: ["nats://h:x"] }'],
  ['route with a bad escape', 'cluster { routes: ["nats://u%zz:p@h:1"] }'],
  ['route with a bool', 'cluster { routes: ["nats://h:1", true] }'],
  ['route with spaces', 'cluster { routes: [" nats://h:1 "] }'],
  ['route as a bare host:port', 'cluster { routes: ["localhost:4222"] }'],
  ['tls with missing files', 'cluster { tls { cert_file: "nope.pem", key_file: "nope.key" } }'],
  ['tls unknown key', 'cluster { tls { foo: 1 } }'],
  ['tls timeout only', 'cluster { tls { timeout: 2 } }'],
];

describe('agrees with nats-server -t', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsnats-clcheck-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(cases.map(([name, conf], i) => [name, conf, i] as const))('%s', (_name, conf, i) => {
    const file = path.join(dir, `cl${i}.conf`);
    writeFileSync(file, conf + '\n');
    const want = natsServerCheck(file, dir);
    const got = tsnatsCheck(file);
    expect(got.ok).toBe(want.ok);
    expect(errorLines(got.stderr)).toEqual(errorLines(want.stderr));
  });
});

describe('agrees with nats-server on refused cluster flags', () => {
  /** nats-server's verdict on a command line: the error it exits with, or '' if it started. */
  function natsServer(argv: string[]): string {
    const r = spawnSync('nats-server', ['-a', '127.0.0.1', '-p', '-1', ...argv], {
      timeout: 1500,
      killSignal: 'SIGKILL',
      encoding: 'utf8',
    });
    if (r.signal === 'SIGKILL') return '';
    return r.stderr.replace(/^nats-server: /, '').trimEnd();
  }
  function tsnats(argv: string[]): string {
    try {
      withFlags(['-a', '127.0.0.1', '-p', '-1', ...argv]);
      return '';
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      return e.natsText;
    }
  }

  it.each([
    [['--routes', 'nats://127.0.0.1:1']],
    [['--cluster', 'nats://[::1']],
    [['--cluster', '127.0.0.1:4248']],
    [['--cluster', 'localhost:4248']],
    [['--cluster', 'nats://h']],
    [['--cluster', 'nats://h:']],
    [['--cluster', 'nats://h:x']],
    [['--cluster', 'nats://u@h:1']],
    [['--cluster', 'nats://a%zz:p@127.0.0.1:-1']],
    [['--cluster', ' nats://127.0.0.1:-1']],
    [['--cluster', 'nats://127.0.0.1:99999999999999999999']],
    [['--cluster', 'nats://u:p@127.0.0.1:-1', '--routes', 'nats://127.0.0.1:1', '--cluster_name', 'c']],
  ])('%j', (argv) => {
    expect(tsnats(argv)).toBe(natsServer(argv));
  });
});
