// Accounts across a mixed cluster: nats-server and tsnats with the same accounts, a requester
// on one node and the service on the other, a stream import read on one node and published on
// the other, and account isolation over routes.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigString } from '../src/config/conf.js';
import { optionsFromConfig } from '../src/config/options.js';
import { type ServerHandle, startServer } from '../src/index.js';
import { freePort, spawnServer, type SpawnedServer } from './helpers/index.js';

const started: ServerHandle[] = [];
const spawned: SpawnedServer[] = [];
const conns: NatsConnection[] = [];
afterEach(async () => {
  await Promise.all(conns.splice(0).map((c) => c.close().catch(() => {})));
  await Promise.all(started.splice(0).map((s) => s.shutdown()));
  await Promise.all(spawned.splice(0).map((s) => s.stop()));
});

const ACCOUNTS = `
accounts {
  A {
    users [{user: a, password: a}]
    exports [{stream: "feed.>"}, {service: "svc.>"}]
  }
  B {
    users [{user: b, password: b}]
    imports [
      {stream: {account: A, subject: "feed.>"}, prefix: "a"}
      {service: {account: A, subject: "svc.>"}, to: "ask.>"}
    ]
  }
}
`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** nats-server and one tsnats node routed to it; resolves once each sees the other. */
async function pair(): Promise<{ nats: number; ts: number }> {
  const routePort = await freePort();
  const ns = await spawnServer('nats-server', { config: `${ACCOUNTS}\ncluster { name: acc, listen: 127.0.0.1:${routePort} }\n` });
  spawned.push(ns);
  const opts = optionsFromConfig(
    parseConfigString(`${ACCOUNTS}\ncluster { name: acc, listen: 127.0.0.1:-1, routes: [nats-route://127.0.0.1:${routePort}] }\n`, 't.conf'),
  );
  const ts = await startServer({ ...opts, host: '127.0.0.1', port: -1 });
  started.push(ts);
  for (let i = 0; i < 100 && ts.varz().routes < 1; i++) await sleep(50);
  expect(ts.varz().routes).toBe(1);
  return { nats: ns.port, ts: ts.port };
}

async function client(port: number, user: string): Promise<NatsConnection> {
  const nc = await connect({ port, user, pass: user, maxReconnectAttempts: 0 });
  conns.push(nc);
  return nc;
}

/** Waits until `nc`'s subscription interest has crossed the route (a round trip through `via`). */
async function settle(...ncs: NatsConnection[]): Promise<void> {
  await Promise.all(ncs.map((nc) => nc.flush()));
  await sleep(150);
}

describe('accounts across a mixed cluster', () => {
  it.each([
    ['requester on tsnats, service on nats-server', 'ts', 'nats'],
    ['requester on nats-server, service on tsnats', 'nats', 'ts'],
  ] as const)('service import: %s', async (_name, reqAt, svcAt) => {
    const ports = await pair();
    const svc = await client(ports[svcAt], 'a');
    svc.subscribe('svc.>', { callback: (_e, m) => void m.respond(`${m.subject}:${m.string()}`) });
    const req = await client(ports[reqAt], 'b');
    await settle(svc, req);
    const r = await req.request('ask.time', 'now', { timeout: 3000 });
    expect(r.string()).toBe('svc.time:now');
  });

  it.each([
    ['published on nats-server, read on tsnats', 'nats', 'ts'],
    ['published on tsnats, read on nats-server', 'ts', 'nats'],
  ] as const)('stream import: %s, once', async (_name, pubAt, subAt) => {
    const ports = await pair();
    const reader = await client(ports[subAt], 'b');
    const got: string[] = [];
    reader.subscribe('>', { callback: (_e, m) => void got.push(`${m.subject} ${m.string()}`) });
    const pub = await client(ports[pubAt], 'a');
    await settle(reader, pub);
    pub.publish('feed.x', '1');
    pub.publish('feed.y', '2');
    await pub.flush();
    await sleep(300);
    expect(got).toEqual(['a.feed.x 1', 'a.feed.y 2']);
  });

  it('accounts stay apart over the route: B on one node never sees A on the other', async () => {
    const ports = await pair();
    const b = await client(ports.ts, 'b');
    const gotB: string[] = [];
    b.subscribe('iso.>', { callback: (_e, m) => void gotB.push(m.subject) });
    const a2 = await client(ports.ts, 'a');
    const gotA: string[] = [];
    a2.subscribe('iso.>', { callback: (_e, m) => void gotA.push(m.subject) });
    const a = await client(ports.nats, 'a');
    await settle(a, b, a2);
    a.publish('iso.1', 'x');
    await a.flush();
    await sleep(300);
    expect(gotA).toEqual(['iso.1']);
    expect(gotB).toEqual([]);
  });
});
