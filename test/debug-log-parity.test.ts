// Log lines nats-server writes that tsnats did not, found by running nats.go's core tests against
// both servers with -D (test/nats-go/suite.mjs --files core --server "... -D") and comparing the
// logs: the auto-unsubscribe debug line (nats.go's request and sync APIs use UNSUB <sid> <max>),
// the notice that clients need TLS, the TLS version and cipher suite after a handshake, and a
// handshake that fails on the client's alert (logged by tsnats with OpenSSL's error stack), a
// hang-up (not logged) or a reset (Node's `read ECONNRESET`).
// Each is played to tsnats and nats-server; the lines must be the same.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { type AddressInfo, connect as netConnect, createServer } from 'node:net';
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
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', join(dir, 'other-ca-key.pem'), '-out', join(dir, 'other-ca.pem'), '-days', '2', '-subj', '/CN=other CA'],
  { stdio: 'ignore', timeout: 10_000 });
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

/**
 * `openssl s_client` (TLS 1.2) trusting another CA refuses the server's certificate with an
 * `unknown CA` alert. A proxy in front of the server reads the plain-text INFO first, as a NATS
 * client does, then relays the TLS bytes.
 */
async function refuseCertificate(port: number): Promise<void> {
  const proxy = createServer((inbound) => {
    const up = netConnect(port, '127.0.0.1');
    up.once('data', () => {
      inbound.pipe(up);
      up.pipe(inbound);
    });
    up.on('error', () => inbound.destroy());
    inbound.on('error', () => up.destroy());
  });
  await new Promise<void>((ok) => proxy.listen(0, '127.0.0.1', () => ok()));
  const p = (proxy.address() as AddressInfo).port;
  try {
    await new Promise<void>((done) => {
      execFile('openssl', ['s_client', '-connect', `127.0.0.1:${p}`, '-tls1_2', '-CAfile', join(dir, 'other-ca.pem'), '-verify_return_error'],
        { timeout: 10_000 }, () => done()).stdin?.end();
    });
  } finally {
    proxy.close();
  }
}

/** A raw client that reads the plain-text INFO, then hangs up (or resets the connection). */
async function leave(port: number, reset: boolean): Promise<void> {
  const c = await RawClient.connect(port);
  await c.expect(/^INFO .*\r\n/);
  if (reset) c.socket.resetAndDestroy();
  else c.socket.end();
  await c.closed();
}

async function failedHandshakes(kind: ServerKind): Promise<string[]> {
  const config = `tls { cert_file: "${join(dir, 'cert.pem')}", key_file: "${join(dir, 'key.pem')}" }\n`;
  const s = await spawnServer(kind, { config });
  servers.push(s);
  const re = /TLS handshake error/;
  // the spawn helper's own probe may have left an EOF line already
  await new Promise((r) => setTimeout(r, 200));
  const before = logLines(s, re).length;
  const plays = [() => refuseCertificate(s.port), () => leave(s.port, false), () => leave(s.port, true)];
  for (const [i, play] of plays.entries()) {
    await play();
    await until(() => logLines(s, re).length > before + i);
  }
  return logLines(s, re).slice(before);
}

describe('a client TLS handshake that fails', () => {
  it("on the client's alert, hang-up or reset is logged in Go's words", async () => {
    const ts = await failedHandshakes('tsnats');
    expect(ts).toEqual([
      '[ERR] ADDR - cid:N - TLS handshake error: remote error: tls: unknown certificate authority',
      '[ERR] ADDR - cid:N - TLS handshake error: EOF',
      '[ERR] ADDR - cid:N - TLS handshake error: read tcp ADDR->ADDR: read: connection reset by peer',
    ]);
    expect(ts).toEqual(await failedHandshakes('nats-server'));
  }, 30_000);
});
