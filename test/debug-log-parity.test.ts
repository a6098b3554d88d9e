// Log lines nats-server writes that tsnats did not, found by running nats.go's core tests against
// both servers with -D (test/nats-go/suite.mjs --files core --server "... -D") and comparing the
// logs: the auto-unsubscribe debug line (nats.go's request and sync APIs use UNSUB <sid> <max>),
// the notice that clients need TLS, and the TLS version and cipher suite after a handshake.
// Each is played to tsnats and nats-server; the lines must be the same.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, spawnServer, type ServerKind, type SpawnedServer } from './helpers/index.js';

const servers: SpawnedServer[] = [];
let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsnats-debug-log-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore', timeout: 10_000 });
});
afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/** The log lines matching `re`, from `[LVL]` on, client addresses and ids shown as ADDR and N. */
function logLines(s: SpawnedServer, re: RegExp): string[] {
  return s
    .output()
    .split('\n')
    .map((l) => /(\[(?:DBG|INF|ERR|WRN)\] .*)$/.exec(l)?.[1])
    .filter((l): l is string => l !== undefined && re.test(l))
    .map((l) => l.replace(/127\.0\.0\.1:\d+/g, 'ADDR').replace(/cid:\d+/g, 'cid:N'));
}

async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

async function autoUnsub(kind: ServerKind): Promise<string[]> {
  const s = await spawnServer(kind, { args: ['-D'] });
  servers.push(s);
  const c = await RawClient.connect(s.port);
  await c.expect(/^INFO .*\r\n/);
  c.send('CONNECT {"verbose":false,"lang":"raw","version":"1.0"}\r\nSUB foo 7\r\nUNSUB 7 2\r\nPUB foo 1\r\na\r\nPUB foo 1\r\nb\r\nPUB foo 1\r\nc\r\nPING\r\n');
  await c.expect('PONG\r\n');
  const re = /Auto-unsubscribe/;
  await until(() => logLines(s, re).length > 0);
  await c.close();
  return logLines(s, re);
}

async function tlsHandshake(kind: ServerKind): Promise<string[]> {
  const config = `tls { cert_file: "${join(dir, 'cert.pem')}", key_file: "${join(dir, 'key.pem')}" }\n`;
  const s = await spawnServer(kind, { config, args: ['-D'] });
  servers.push(s);
  const c = await RawClient.connect(s.port);
  await c.expect(/^INFO .*\r\n/);
  const t = tlsConnect({ socket: c.socket, rejectUnauthorized: false, minVersion: 'TLSv1.3', ciphers: 'TLS_AES_128_GCM_SHA256' });
  await new Promise<void>((ok, bad) => t.once('secureConnect', () => ok()).once('error', bad));
  const re = /TLS required|TLS handshake complete|TLS version/;
  await until(() => logLines(s, re).length >= 3);
  t.destroy();
  return logLines(s, re);
}

describe("nats-server's log lines", () => {
  it('the auto-unsubscribe limit, at the last message', async () => {
    const ts = await autoUnsub('tsnats');
    expect(ts).toEqual([`[DBG] ADDR - cid:N - "v1.0:raw" - Auto-unsubscribe limit of 2 reached for sid '7'`]);
    expect(ts).toEqual(await autoUnsub('nats-server'));
  }, 30_000);

  it('TLS required for clients, then the version and cipher suite of each handshake', async () => {
    const ts = await tlsHandshake('tsnats');
    expect(ts).toEqual([
      '[INF] TLS required for client connections',
      '[DBG] ADDR - cid:N - TLS handshake complete',
      '[DBG] ADDR - cid:N - TLS version 1.3, cipher suite TLS_AES_128_GCM_SHA256',
    ]);
    expect(ts).toEqual(await tlsHandshake('nats-server'));
  }, 30_000);
});
