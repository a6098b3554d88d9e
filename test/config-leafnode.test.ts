// The `leafnodes` block: what tsnats reads from it, and its errors and validation compared with
// the installed nats-server (`-t` for parsing; a start for validateLeafNode).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfigFile } from '../src/config/conf.js';
import { optionsFromConfig } from '../src/config/options.js';
import { portsJSON } from '../src/server/ports-file.js';
import { errorLines, natsServerCheck, natsServerStart, tsnatsCheck, tsnatsStart } from './helpers/conf-check.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tsnats-leafcheck-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(text: string): ReturnType<typeof optionsFromConfig> {
  const f = path.join(dir, 'load.conf');
  writeFileSync(f, text + '\n');
  return optionsFromConfig(parseConfigFile(f));
}

describe('leafnodes options', () => {
  it('every key, with its aliases, and the baseline (host, auth timeout, remote ports, reconnect)', () => {
    const o = load(`accounts { A: {}, B: {} }
leafnodes {
  listen: "127.0.0.1:7500", advertise: "leaf.example:7501", no_advertise: true, reconnect: 5,
  min_version: "2.8.0",
  authorization { users: [ { user: u1, password: p1, account: A }, { user: u2, password: p2 } ], timeout: 1.5 }
  remotes: [
    { url: "nats-leaf://u:p@hub.example", account: B, credentials: "/x/y.creds", hub: false, deny_imports: "a.>", deny_exports: ["b", "c"] },
    { urls: ["nats-leaf://h1:7000", "nats-leaf://h2"], no_randomize: true }
  ]
}`);
    expect(o.leafnode).toEqual({
      host: '127.0.0.1',
      port: 7500,
      advertise: 'leaf.example:7501',
      noAdvertise: true,
      username: '',
      password: '',
      account: '',
      users: [
        { user: 'u1', password: 'p1', account: 'A' },
        { user: 'u2', password: 'p2', account: '' },
      ],
      authTimeoutMs: 1500,
      tls: null,
      tlsTimeoutMs: 2000,
      reconnectMs: 5000,
      minVersion: '2.8.0',
      remotes: [
        { urls: ['nats-leaf://u:p@hub.example:7422'], account: 'B', credentials: '/x/y.creds', tls: null, hub: false, noRandomize: false, denyImports: ['a.>'], denyExports: ['b', 'c'] },
        { urls: ['nats-leaf://h1:7000', 'nats-leaf://h2:7422'], account: '', credentials: '', tls: null, hub: false, noRandomize: true, denyImports: [], denyExports: [] },
      ],
    });
    const o2 = load('leaf { port: -1, authorization { user: a, password: b, account: "$G" } }');
    expect(o2.leafnode).toMatchObject({ host: '0.0.0.0', port: -1, username: 'a', password: 'b', account: '$G', authTimeoutMs: 2000, reconnectMs: 1000 });
    expect(load('port: 4222').leafnode).toBeNull();
  });

  it('the ports file lists the leafnode listener after the others', () => {
    expect(portsJSON({ leafnode: ['nats-leaf://127.0.0.1:7422'], nats: ['nats://127.0.0.1:4222'] })).toBe(
      '{"nats":["nats://127.0.0.1:4222"],"leafnode":["nats-leaf://127.0.0.1:7422"]}',
    );
  });
});

// Differential: the same file through `nats-server -t` and tsnats's checkConfigFile.
const checks: Array<[string, string]> = [
  ['every key', 'leafnodes { listen: "127.0.0.1:7500", advertise: "a:1", no_advertise: true, reconnect: 2, authorization { user: u, password: p, account: "$G", timeout: 2 }, remotes: [ { url: "nats-leaf://h:1", account: "$G", hub: false } ] }'],
  ['not a map', 'leafnodes: 1'],
  ['unknown key', 'leafnodes { foo: 1 }'],
  ['port wrong type', 'leafnodes { port: "x" }'],
  ['reconnect wrong type', 'leafnodes { reconnect: "1s" }'],
  ['listen not an address', 'leafnodes { listen: "x" }'],
  ['authorization unknown key', 'leafnodes { authorization { foo: 1 } }'],
  ['authorization wrong type', 'leafnodes { authorization { user: 1 } }'],
  ['users not an array', 'leafnodes { authorization { users: 1 } }'],
  ['user entry not a map', 'leafnodes { authorization { users: [ 1 ] } }'],
  ['user unknown key', 'leafnodes { authorization { users: [ { user: a, foo: 1 } ] } }'],
  ['a user and users', 'leafnodes { authorization { user: a, password: b, users: [ { user: c, password: d } ] } }'],
  ['duplicate users', 'leafnodes { authorization { users: [ { user: c, password: d }, { user: c, password: e } ] } }'],
  ['remotes not an array', 'leafnodes { remotes: 1 }'],
  ['remote not a map', 'leafnodes { remotes: [ 1 ] }'],
  ['remote unknown key', 'leafnodes { remotes: [ { url: "nats-leaf://h:1", foo: 1 } ] }'],
  ['remote url wrong type', 'leafnodes { remotes: [ { url: 1 } ] }'],
  ['remote bad url', 'leafnodes { remotes: [ { url: "nats-leaf://h:x" } ] }'],
  ['remote bad url in a list', 'leafnodes { remotes: [ { urls: ["nats-leaf://h:1", "nats-leaf://h:x"] } ] }'],
  ['remote duplicate url', 'leafnodes { remotes: [ { urls: ["nats-leaf://h:1", "nats-leaf://h:1"] } ] }'],
  ['remote hub wrong type', 'leafnodes { remotes: [ { url: "nats-leaf://h:1", hub: 1 } ] }'],
  ['remote deny wrong type', 'leafnodes { remotes: [ { url: "nats-leaf://h:1", deny_imports: 1 } ] }'],
  ['min_version too low', 'leafnodes { min_version: "2.7.0" }'],
];

describe('agrees with nats-server -t', () => {
  it.each(checks.map(([name, conf], i) => [name, conf, i] as const))('%s', (_name, conf, i) => {
    const file = path.join(dir, `ln${i}.conf`);
    writeFileSync(file, conf + '\n');
    const want = natsServerCheck(file, dir);
    const got = tsnatsCheck(file);
    expect(got.ok).toBe(want.ok);
    expect(errorLines(got.stderr)).toEqual(errorLines(want.stderr));
  });
});

// validateLeafNode runs at start (not with -t).
const starts: Array<[string, string]> = [
  ['an unknown account in authorization', 'leafnodes { port: -1, authorization { user: a, password: b, account: NOPE } }'],
  ['an unknown account in users', 'leafnodes { port: -1, authorization { users: [ { user: a, password: b, account: NOPE } ] } }'],
  ['an unknown account in a remote', 'leafnodes { remotes: [ { url: "nats-leaf://127.0.0.1:1", account: NOPE } ] }'],
  ['a mix of websocket and plain urls', 'leafnodes { remotes: [ { urls: ["nats-leaf://127.0.0.1:1", "ws://127.0.0.1:2"] } ] }'],
];

describe('agrees with nats-server at start', () => {
  it.each(starts.map(([name, conf], i) => [name, conf, i] as const))('%s', (_name, conf, i) => {
    const file = path.join(dir, `lns${i}.conf`);
    writeFileSync(file, conf + '\n');
    const want = natsServerStart(file, dir);
    const got = tsnatsStart(file);
    expect(got).toEqual(want);
  });
});
