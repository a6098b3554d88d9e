// Operator mode in a mixed cluster: a tsnats node routed to a nats-server 2.9.10 node, both
// trusting the same operator. Accounts travel over routes by their public key; a route's
// interest in an account no local client has used yet resolves that account from its JWT (as
// nats-server does), so messages cross in both directions.

import { rmSync } from 'node:fs';
import { connect, createInbox, jwtAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './helpers/cluster.js';
import { freePort, spawnServer, type SpawnedServer } from './helpers/index.js';
import { type Acct, Operator } from './helpers/operator.js';

const op = new Operator();
let a: Acct;
let ns: SpawnedServer;
let ts: SpawnedServer;

beforeAll(async () => {
  await op.init();
  a = await op.account('A', { limits: { conn: -1, subs: -1, payload: -1, data: -1 } });
  const routePort = await freePort();
  ns = await spawnServer('nats-server', { config: `${op.config()}\ncluster { name: op, listen: 127.0.0.1:${routePort} }\n` });
  ts = await spawnServer('tsnats', { config: `${op.config()}\ncluster { name: op, listen: 127.0.0.1:-1, routes: [nats-route://127.0.0.1:${routePort}] }\n` });
  // The route is up before any client comes: interest then reaches tsnats by RS+ alone.
  await eventually(() => /Route connection created/.test(ts.output()), 'the route', 10_000);
});

afterAll(async () => {
  await Promise.all([ts?.stop(), ns?.stop()]);
  rmSync(op.dir, { recursive: true, force: true });
});

async function userOn(s: SpawnedServer): Promise<NatsConnection> {
  const u = await Operator.user(a);
  return connect({ port: s.port, authenticator: jwtAuthenticator(u.jwt, u.kp.getSeed()), reconnect: false });
}

/** Subscribes on `from`, then publishes on `to` until a message crosses (or 5 s pass). */
async function crosses(sub: SpawnedServer, pub: SpawnedServer, subject: string): Promise<boolean> {
  const s = await userOn(sub);
  const got: string[] = [];
  const it = s.subscribe(subject);
  void (async () => {
    for await (const m of it) got.push(m.string());
  })();
  await s.flush();
  const p = await userOn(pub);
  try {
    await eventually(async () => {
      p.publish(subject, 'x');
      await p.flush();
      await new Promise((r) => setTimeout(r, 100));
      return got.length > 0;
    }, `a message on ${subject} to cross`, 5000);
    return true;
  } finally {
    await Promise.all([s.close(), p.close()]);
  }
}

describe('operator mode across a route (tsnats and nats-server)', () => {
  it('a subscription on nats-server gets a publish on tsnats, where the account was not used yet', async () => {
    expect(await crosses(ns, ts, 'to.nats')).toBe(true);
  });

  it('and the other way', async () => {
    expect(await crosses(ts, ns, 'to.tsnats')).toBe(true);
  });

  it('$SYS.REQ.SERVER.PING from a system account user on either node is answered by both', async () => {
    const u = await Operator.user({ kp: op.sys, pub: op.sys.getPublicKey(), jwt: '' });
    for (const s of [ns, ts]) {
      const c = await connect({ port: s.port, authenticator: jwtAuthenticator(u.jwt, u.kp.getSeed()), reconnect: false });
      try {
        const ids = new Set<string>();
        const inbox = createInbox();
        c.subscribe(inbox, {
          callback: (_e, m) => {
            ids.add(m.json<{ server: { id: string } }>().server.id);
          },
        });
        await eventually(async () => {
          c.publish('$SYS.REQ.SERVER.PING', '', { reply: inbox });
          await c.flush();
          await new Promise((r) => setTimeout(r, 200));
          return ids.size === 2;
        }, `two servers answering PING on ${s.kind}`, 10_000);
      } finally {
        await c.close();
      }
    }
  });
});
