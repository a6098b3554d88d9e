// TLS for client connections: INFO in plain text, then the handshake (node:tls), with the
// official client and raw sockets. Certificates are made with openssl in a temp dir.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ServerHandle, startServer, type StartOptions } from '../src/index.js';

let dir = '';
const f = (name: string): string => join(dir, name);
function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore', timeout: 10_000 });
}
function signed(name: string, cn: string, ext?: string): void {
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f(`${name}-key.pem`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}`);
  const extArgs = ext ? ['-extfile', f(`${name}.ext`)] : [];
  if (ext) writeFileSync(f(`${name}.ext`), ext);
  openssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca-key.pem'), '-CAcreateserial', '-out', f(`${name}.pem`), '-days', '2', ...extArgs);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsnats-tls-'));
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('ca-key.pem'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=tsnats test CA');
  signed('server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  signed('client', 'client');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const started: ServerHandle[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.shutdown()));
});

async function server(verify = false, opts: StartOptions = {}): Promise<ServerHandle> {
  const s = await startServer({
    host: '127.0.0.1',
    port: -1,
    tls: { certFile: f('server.pem'), keyFile: f('server-key.pem'), caFile: verify ? f('ca.pem') : '', verify },
    ...opts,
  });
  started.push(s);
  return s;
}

/** A plain socket: what it receives until the server closes it (bounded), and when. */
function plain(port: number, send?: string, limitMs = 3000): Promise<{ data: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    const limit = setTimeout(() => {
      s.destroy();
      reject(new Error(`not closed; got ${JSON.stringify(data)}`));
    }, limitMs);
    s.on('data', (d) => {
      const first = data === '';
      data += d.toString('latin1');
      if (first && send !== undefined) s.write(send);
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(limit);
      resolve({ data, closedAfterMs: Date.now() - t0 });
    });
  });
}

function infoOf(data: string): Record<string, unknown> {
  const line = /^INFO (\{.*\}) \r\n/.exec(data);
  expect(line).not.toBeNull();
  return JSON.parse(line![1]!) as Record<string, unknown>;
}

describe('TLS', () => {
  it('the official client connects with caFile; pub/sub works', async () => {
    const s = await server();
    const nc = await connect({ servers: `127.0.0.1:${s.port}`, tls: { caFile: f('ca.pem') }, timeout: 3000 });
    try {
      const sub = nc.subscribe('tls.>', { max: 1 });
      nc.publish('tls.x', 'hello');
      for await (const m of sub) expect(m.string()).toBe('hello');
      expect(nc.info?.tls_required).toBe(true);
    } finally {
      await nc.close();
    }
  });

  it('INFO is plain text with tls_required (and tls_verify) before max_payload', async () => {
    const s = await server(true, { tlsTimeoutMs: 300 });
    const { data } = await plain(s.port);
    expect(data).toMatch(/"headers":true,"tls_required":true,"tls_verify":true,"max_payload":/);
    expect(infoOf(data).tls_required).toBe(true);
  });

  it('a plain client that sends CONNECT is closed without a reply', async () => {
    const s = await server();
    const { data, closedAfterMs } = await plain(s.port, 'CONNECT {}\r\nPING\r\n');
    expect(data).toMatch(/^INFO \{.*\} \r\n$/);
    expect(closedAfterMs).toBeLessThan(1500);
  });

  it('a client that never starts TLS is closed after tls timeout', async () => {
    const s = await server(false, { tlsTimeoutMs: 500 });
    const { data, closedAfterMs } = await plain(s.port);
    expect(data).toMatch(/^INFO \{.*\} \r\n$/);
    expect(closedAfterMs).toBeGreaterThanOrEqual(400);
    expect(closedAfterMs).toBeLessThan(2000);
  });

  it('verify: a client without a certificate is refused, one with a CA-signed one works', async () => {
    const s = await server(true);
    await expect(
      connect({ servers: `127.0.0.1:${s.port}`, tls: { caFile: f('ca.pem') }, timeout: 2000, reconnect: false }),
    ).rejects.toThrow();
    const nc = await connect({
      servers: `127.0.0.1:${s.port}`,
      tls: { caFile: f('ca.pem'), certFile: f('client.pem'), keyFile: f('client-key.pem') },
      timeout: 3000,
    });
    try {
      await nc.flush();
      const r = nc.subscribe('q', { max: 1 });
      nc.publish('q', 'x');
      for await (const m of r) expect(m.string()).toBe('x');
    } finally {
      await nc.close();
    }
  });

  it('allow_non_tls: plain clients speak the protocol, INFO says tls_available', async () => {
    const s = await server(false, { allowNonTls: true });
    const { data } = await plain(s.port, 'CONNECT {}\r\nPING\r\n', 1500).catch((e: Error) => ({ data: e.message, closedAfterMs: 0 }));
    expect(data).toContain('tls_available');
    expect(data).toContain('PONG\\r\\n'); // JSON-escaped in the helper's "not closed" message
    const nc = await connect({ servers: `127.0.0.1:${s.port}`, tls: { caFile: f('ca.pem') }, timeout: 3000 });
    await nc.flush();
    await nc.close();
  });
});
