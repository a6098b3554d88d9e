// The `websocket` block: what tsnats reads from it, and its errors and validation compared with
// the installed nats-server (`-t` for parsing; a start for validateWebsocketOptions).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfigFile } from '../src/config/conf.js';
import { optionsFromConfig } from '../src/config/options.js';
import { planReload } from '../src/server/reload.js';
import { errorLines, natsServerCheck, natsServerStart, tsnatsCheck, tsnatsStart } from './helpers/conf-check.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tsnats-wscheck-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(text: string): ReturnType<typeof optionsFromConfig> {
  const f = path.join(dir, 'load.conf');
  writeFileSync(f, text + '\n');
  return optionsFromConfig(parseConfigFile(f));
}

describe('websocket options', () => {
  it('every key, with its aliases', () => {
    const o = load(`websocket {
  listen: "127.0.0.1:8080", advertise: "ws.example:443", no_tls: true, compression: true,
  same_origin: true, allowed_origins: ["http://a.example", "https://b.example:8443"],
  handshake_timeout: "2.5s",
  authorization { user: u, password: p, timeout: 1.5 }
}`);
    expect(o.websocket).toEqual({
      host: '127.0.0.1',
      port: 8080,
      advertise: 'ws.example:443',
      noTls: true,
      tls: null,
      compression: true,
      sameOrigin: true,
      allowedOrigins: ['http://a.example', 'https://b.example:8443'],
      handshakeTimeoutMs: 2500,
      username: 'u',
      password: 'p',
      token: '',
      authTimeoutMs: 1500,
      noAuthUser: '',
    });
    const o2 = load('ws { host: "::1", port: -1, no_tls: true, compress: true, origin: "http://x", handshake_timeout: 3, authentication { token: t } }');
    expect(o2.websocket).toMatchObject({ host: '::1', port: -1, compression: true, allowedOrigins: ['http://x'], handshakeTimeoutMs: 3000, token: 't' });
    expect(load('port: 4222').websocket).toBeNull();
  });

  it('a reload that changes the block fails, as in nats-server; an unchanged one reloads', () => {
    const a = load('websocket { port: 8080, no_tls: true }');
    expect(() => planReload(a, load('websocket { port: 8081, no_tls: true }'))).toThrow(/^config reload not supported for Websocket: old=/);
    expect(() => planReload(a, load('port: 4222'))).toThrow(/^config reload not supported for Websocket: old=/);
    expect(planReload(a, load('websocket { port: 8080, no_tls: true }')).map((c) => c.field)).not.toContain('Websocket');
  });
});

// Differential: the same file through `nats-server -t` and tsnats's checkConfigFile.
const checks: Array<[string, string]> = [
  ['every key', 'websocket { listen: "127.0.0.1:8080", advertise: "a:1", no_tls: true, compression: true, same_origin: true, allowed_origins: ["http://a"], handshake_timeout: "2s", authorization { user: u, password: p, timeout: 2 }, no_auth_user: u }'],
  ['not a map', 'websocket: 1'],
  ['unknown key', 'websocket { foo: 1 }'],
  ['port wrong type', 'websocket { port: "x" }'],
  ['no_tls wrong type', 'websocket { no_tls: "yes" }'],
  ['listen not an address', 'websocket { listen: "x" }'],
  ['handshake_timeout bad duration', 'websocket { handshake_timeout: "2x" }'],
  ['handshake_timeout wrong type', 'websocket { handshake_timeout: true }'],
  ['allowed_origins wrong type', 'websocket { allowed_origins: 1 }'],
  ['allowed_origins with a number', 'websocket { allowed_origins: ["http://a", 2] }'],
  ['authorization unknown key', 'websocket { authorization { foo: 1 } }'],
  ['authorization wrong type', 'websocket { authorization { user: 1 } }'],
  ['tls unknown key', 'websocket { tls { foo: 1 } }'],
];

describe('agrees with nats-server -t', () => {
  it.each(checks.map(([name, conf], i) => [name, conf, i] as const))('%s', (_name, conf, i) => {
    const file = path.join(dir, `ws${i}.conf`);
    writeFileSync(file, conf + '\n');
    const want = natsServerCheck(file, dir);
    const got = tsnatsCheck(file);
    expect(got.ok).toBe(want.ok);
    expect(errorLines(got.stderr)).toEqual(errorLines(want.stderr));
  });
});

// validateWebsocketOptions runs at start (not with -t).
const starts: Array<[string, string]> = [
  ['no tls and no no_tls', 'websocket { port: -1 }'],
  ['port 0 needs nothing', 'websocket { port: 0 }'],
  ['no_auth_user without users', 'websocket { port: -1, no_tls: true, no_auth_user: x }'],
  ['no_auth_user not a user', 'authorization { users: [{user: a, password: b}] }\nwebsocket { port: -1, no_tls: true, no_auth_user: x }'],
  ['no_auth_user a user', 'authorization { users: [{user: a, password: b}] }\nwebsocket { port: -1, no_tls: true, no_auth_user: a }'],
  ['a username with users', 'authorization { users: [{user: a, password: b}] }\nwebsocket { port: -1, no_tls: true, authorization { user: u, password: p } }'],
  ['a token with users', 'authorization { users: [{user: a, password: b}] }\nwebsocket { port: -1, no_tls: true, authorization { token: t } }'],
];

describe('agrees with nats-server at start', () => {
  it.each(starts.map(([name, conf], i) => [name, conf, i] as const))('%s', (_name, conf, i) => {
    const file = path.join(dir, `wss${i}.conf`);
    writeFileSync(file, conf + '\n');
    const want = natsServerStart(file, dir);
    const got = tsnatsStart(file);
    expect(got).toEqual(want);
  });
});
