// TLS on routes (nats-server 2.9.10 route.go createRoute, client.go doTLSHandshake,
// opts.go getTLSConfig): TLS from the first byte, both sides verify, a plain-text or wrongly
// certified peer closed as `TLS Handshake Failure` with nats-server's log lines; mixed
// tsnats/nats-server meshes over TLS. Certificates are made with openssl at run time.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, spawnServer, type ServerKind, type SpawnedServer } from './helpers/index.js';

let dir = '';
const f = (name: string): string => join(dir, name);
function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore', timeout: 10_000 });
}
function ca(name: string, cn: string): void {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f(`${name}-key.pem`), '-out', f(`${name}.pem`), '-days', '2', '-subj', `/CN=${cn}`);
}
function signed(name: string, issuer: string, san: string): void {
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f(`${name}-key.pem`), '-out', f(`${name}.csr`), '-subj', `/CN=${name}`);
  writeFileSync(f(`${name}.ext`), `subjectAltName=${san}\n`);
  openssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f(`${issuer}.pem`), '-CAkey', f(`${issuer}-key.pem`), '-CAcreateserial', '-out', f(`${name}.pem`), '-days', '2', '-extfile', f(`${name}.ext`));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsnats-route-tls-'));
  ca('ca', 'cluster CA');
  ca('rogue-ca', 'rogue CA');
  signed('route', 'ca', 'IP:127.0.0.1,DNS:localhost');
  signed('rogue', 'rogue-ca', 'IP:127.0.0.1,DNS:localhost');
  signed('named', 'ca', 'DNS:other.example');
  signed('dnsonly', 'ca', 'DNS:localhost');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spawned: SpawnedServer[] = [];
const conns: NatsConnection[] = [];
afterEach(async () => {
  await Promise.all(conns.splice(0).map((c) => c.close().catch(() => {})));
  await Promise.all(spawned.splice(0).map((s) => s.stop()));
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean | Promise<boolean>, what: string, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A cluster block with TLS from the certificate `cert` (default: the cluster's own). */
function clusterConf(routePort: number, routes: number[], cert = 'route', name = 'tls', routeHost = '127.0.0.1'): string {
  const urls = routes.map((p) => `nats-route://${routeHost}:${p}`).join(', ');
  return `cluster {
  name: ${name}
  listen: 127.0.0.1:${routePort}
  routes: [${urls}]
  tls { cert_file: "${f(`${cert}.pem`)}", key_file: "${f(`${cert}-key.pem`)}", ca_file: "${f('ca.pem')}", timeout: 2 }
}
`;
}

interface Node {
  server: SpawnedServer;
  routePort: number;
}

/** Waits until `s` listens for routes (it may accept clients before). */
async function routeListening(s: SpawnedServer): Promise<void> {
  await waitFor(() => s.output().includes('Listening for route connections on'), 'the route listener');
}

async function node(kind: ServerKind, routes: number[] = [], cert = 'route', routeHost = '127.0.0.1'): Promise<Node> {
  const routePort = await freePort();
  const server = await spawnServer(kind, { config: clusterConf(routePort, routes, cert, 'tls', routeHost) });
  spawned.push(server);
  await routeListening(server);
  return { server, routePort };
}

/** The TLS failure lines a server logged, without timestamps, addresses and route ids. */
function tlsFailures(s: SpawnedServer): string[] {
  return s
    .output()
    .split('\n')
    .filter((l) => /TLS route handshake error|Router connection closed: TLS Handshake Failure|TLS handshake timeout/.test(l))
    .map((l) => l.replace(/^.*? - rid:\d+ - /, '').trim());
}

async function client(port: number): Promise<NatsConnection> {
  const nc = await connect({ port, maxReconnectAttempts: 0 });
  conns.push(nc);
  return nc;
}

/** Whether a message published on `from` reaches a subscriber on `to` (within `ms`). */
async function delivers(from: number, to: number, subject: string, ms = 300): Promise<boolean> {
  const sub = await client(to);
  let got = false;
  sub.subscribe(subject, { callback: () => void (got = true) });
  await sub.flush();
  const pub = await client(from);
  const end = Date.now() + ms;
  while (!got && Date.now() < end) {
    pub.publish(subject);
    await pub.flush();
    await sleep(50);
  }
  await sub.close();
  await pub.close();
  return got;
}

/** What a plain-text peer gets from a route port before it is closed (nothing, with TLS). */
function plainPeer(port: number): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    s.on('data', (d) => (data += d.toString('latin1')));
    s.on('connect', () => s.write('CONNECT {"name":"plain"}\r\nPING\r\n'));
    s.on('error', () => {});
    const t = setTimeout(() => {
      s.destroy();
      resolve({ data, closed: false });
    }, 3000);
    s.on('close', () => {
      clearTimeout(t);
      resolve({ data, closed: true });
    });
  });
}

describe('TLS routes', () => {
  it('a mixed mesh over TLS: tsnats and nats-server in both roles, gossiped routes included', async () => {
    const a = await node('nats-server');
    const b = await node('tsnats', [a.routePort]); // tsnats solicits nats-server
    const c = await node('nats-server', [b.routePort]); // nats-server solicits tsnats
    const d = await node('tsnats', [a.routePort]); // gossip: d-b (tsnats both), d-c
    const all = [a, b, c, d];
    for (const from of all) {
      for (const to of all) {
        if (from === to) continue;
        await waitFor(() => delivers(from.server.port, to.server.port, `m.${from.routePort}.${to.routePort}`), `${from.server.kind} → ${to.server.kind}`);
      }
    }
    for (const n of all) expect(tlsFailures(n.server)).toEqual([]);
  });

  it.each(['tsnats', 'nats-server'] as const)('on %s: no plain-text INFO; a plain-text peer is closed as TLS Handshake Failure', async (kind) => {
    const n = await node(kind);
    const got = await plainPeer(n.routePort);
    expect(got).toEqual({ data: '', closed: true });
    await waitFor(() => tlsFailures(n.server).length >= 2, 'the failure in the log');
    expect(tlsFailures(n.server)).toEqual([
      'TLS route handshake error: tls: first record does not look like a TLS handshake',
      'Router connection closed: TLS Handshake Failure',
    ]);
  });

  it.each([
    ['nats-server', 'tsnats', 'tsnats'],
    ['tsnats', 'tsnats', 'nats-server'],
  ] as const)('gossiped routes, dialed by IP, are checked against the configured route host name (seed %s)', async (seed, k1, k2) => {
    // The certificates name only "localhost": the members meet each other by IP (gossip) and
    // check that name, as nats-server's routeTLSName.
    const a = await node(seed, [], 'dnsonly');
    const b = await node(k1, [a.routePort], 'dnsonly', 'localhost');
    const c = await node(k2, [a.routePort], 'dnsonly', 'localhost');
    await waitFor(() => delivers(b.server.port, c.server.port, 'gossip.bc'), 'b → c');
    await waitFor(() => delivers(c.server.port, b.server.port, 'gossip.cb'), 'c → b');
    for (const n of [a, b, c]) expect(tlsFailures(n.server)).toEqual([]);
  });

  it('/varz shows the cluster TLS as nats-server does', async () => {
    const block = async (kind: ServerKind): Promise<Record<string, unknown>> => {
      const http = await freePort();
      const n = await spawnServer(kind, { config: clusterConf(await freePort(), []), args: ['-m', String(http)] });
      spawned.push(n);
      let varz: { cluster: Record<string, unknown> } | null = null;
      await waitFor(async () => {
        varz = (await fetch(`http://127.0.0.1:${http}/varz`).then((r) => r.json()).catch(() => null)) as typeof varz;
        return varz !== null;
      }, '/varz');
      const c = varz!.cluster;
      return { auth_timeout: c.auth_timeout, tls_timeout: c.tls_timeout, tls_required: c.tls_required, tls_verify: c.tls_verify };
    };
    const want = await block('nats-server');
    expect(want).toEqual({ auth_timeout: 3, tls_timeout: 2, tls_required: true, tls_verify: true });
    expect(await block('tsnats')).toEqual(want);
  });

  it.each(['tsnats', 'nats-server'] as const)('on %s: a peer that stalls in the handshake is cut at the TLS timeout', async (kind) => {
    const routePort = await freePort();
    const conf = clusterConf(routePort, []).replace('timeout: 2', 'timeout: 0.5');
    const n = await spawnServer(kind, { config: conf });
    spawned.push(n);
    await routeListening(n);
    const s = net.connect(routePort, '127.0.0.1');
    s.on('error', () => {});
    let localPort = 0;
    s.on('connect', () => {
      localPort = s.localPort!;
      s.write(Buffer.from([0x16, 0x03, 0x01])); // a record header, then nothing
    });
    const t0 = Date.now();
    await new Promise<void>((resolve) => s.on('close', () => resolve()));
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(400);
    expect(took).toBeLessThan(3000);
    const local = `127.0.0.1:${routePort}->127.0.0.1:${localPort}`;
    const all = [`TLS route handshake error: read tcp ${local}: i/o timeout`, 'Router connection closed: TLS Handshake Failure', 'TLS handshake timeout'].sort();
    if (kind === 'tsnats') {
      await waitFor(() => tlsFailures(n).length >= 3, 'the timeout in the log');
      expect(tlsFailures(n).sort()).toEqual(all);
      return;
    }
    // nats-server's read deadline and its timer expire together: either may log first, and its
    // timer says nothing when the handshake's error closed the connection before it.
    await waitFor(() => tlsFailures(n).includes('Router connection closed: TLS Handshake Failure'), 'the close in the log');
    await sleep(200);
    const got = tlsFailures(n);
    expect(got.every((l) => all.includes(l)), got.join('\n')).toBe(true);
    expect(got.length).toBeGreaterThanOrEqual(2);
  });

  it.each(['tsnats', 'nats-server'] as const)('%s with TLS joining a plain-text cluster: its TLS client refuses the plain INFO', async (kind) => {
    const plainRoutePort = await freePort();
    const plainServer = await spawnServer('nats-server', { config: `cluster { name: tls, listen: 127.0.0.1:${plainRoutePort} }\n` });
    spawned.push(plainServer);
    const joiner = await node(kind, [plainRoutePort]);
    await waitFor(() => tlsFailures(joiner.server).length >= 2, 'the refusal in the log');
    expect(tlsFailures(joiner.server).slice(0, 2)).toEqual([
      'TLS route handshake error: tls: first record does not look like a TLS handshake',
      'Router connection closed: TLS Handshake Failure',
    ]);
  });

  it.each(['tsnats', 'nats-server'] as const)('a rogue certificate joining %s is refused (the joiner is tsnats)', async (kind) => {
    const honest = await node(kind);
    const rogue = await node('tsnats', [honest.routePort], 'rogue');
    await waitFor(() => tlsFailures(honest.server).length >= 2, 'the refusal in the log');
    expect(tlsFailures(honest.server).slice(0, 2)).toEqual([
      'TLS route handshake error: tls: failed to verify client certificate: x509: certificate signed by unknown authority',
      'Router connection closed: TLS Handshake Failure',
    ]);
    expect(await delivers(rogue.server.port, honest.server.port, 'rogue', 500)).toBe(false);
    expect(await delivers(honest.server.port, rogue.server.port, 'rogue', 300)).toBe(false);
  });

  it.each(['tsnats', 'nats-server'] as const)('%s refuses to join a server with a rogue certificate', async (kind) => {
    const rogue = await node('tsnats', [], 'rogue');
    const joiner = await node(kind, [rogue.routePort]);
    await waitFor(() => tlsFailures(joiner.server).length >= 2, 'the refusal in the log');
    expect(tlsFailures(joiner.server).slice(0, 2)).toEqual([
      'TLS route handshake error: x509: certificate signed by unknown authority',
      'Router connection closed: TLS Handshake Failure',
    ]);
    expect(await delivers(joiner.server.port, rogue.server.port, 'rogue', 300)).toBe(false);
  });

  it.each(['tsnats', 'nats-server'] as const)('%s checks the name: a certificate without the IP it dialed is refused', async (kind) => {
    const named = await node('tsnats', [], 'named');
    const joiner = await node(kind, [named.routePort]);
    await waitFor(() => tlsFailures(joiner.server).length >= 2, 'the refusal in the log');
    expect(tlsFailures(joiner.server).slice(0, 2)).toEqual([
      "TLS route handshake error: x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs",
      'Router connection closed: TLS Handshake Failure',
    ]);
  });
});
