// Hostile input on the route port (seeded): random bytes, mutated route handshakes and
// messages, half lines and oversized sizes from many connections. Afterwards the node still
// forms a route with a real peer and carries messages across it, and no hostile connection is
// left registered as a route.
import { connect } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { type ServerHandle, startServer } from '../src/index.js';
import { clusterOptions, eventually } from './helpers/cluster.js';
import { RawClient } from './helpers/raw-client.js';
import { prng } from './helpers/records.js';

const started: ServerHandle[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.shutdown()));
});

const HANDSHAKE =
  'CONNECT {"echo":true,"verbose":false,"pedantic":false,"tls_required":false,"headers":true,"name":"NEVIL","cluster":"h","lnoc":true}\r\n' +
  'INFO {"server_id":"NEVIL","server_name":"evil","version":"2.9.10","proto":2,"host":"127.0.0.1","port":1,"headers":true,"max_payload":1048576,"cluster":"h","lnoc":true} \r\n';
const TRAFFIC = 'PING\r\nRS+ $G foo\r\nRS+ $G bar q 3\r\nRMSG $G foo 5\r\nhello\r\nHMSG $G foo r 12 14\r\nNATS/1.0\r\n\r\nhi\r\nRS- $G foo\r\n';

function hostileStream(rnd: () => number): Buffer {
  const kind = (rnd() * 4) | 0;
  if (kind === 0) return Buffer.from(Array.from({ length: 1 + ((rnd() * 400) | 0) }, () => (rnd() * 256) | 0));
  if (kind === 1) return Buffer.from(`${HANDSHAKE}RMSG $G foo 999999999\r\n${'x'.repeat(1000)}`);
  const b = [...Buffer.from(kind === 2 ? HANDSHAKE + TRAFFIC : TRAFFIC)];
  for (let k = 1 + ((rnd() * 6) | 0); k > 0; k--) {
    const i = (rnd() * b.length) | 0;
    if (rnd() < 0.5) b[i] = (rnd() * 256) | 0;
    else b.splice(i, 1);
  }
  return Buffer.from(b);
}

describe('the route port under hostile input', () => {
  it('stays up, registers no hostile route, and still routes for a real peer', async () => {
    const a = await startServer({ host: '127.0.0.1', port: -1, cluster: clusterOptions({ name: 'h' }) });
    started.push(a);
    const routePort = a.server.cluster!.port;
    const rnd = prng(0xbad);
    for (let batch = 0; batch < 6; batch++) {
      const conns = await Promise.all(Array.from({ length: 10 }, () => RawClient.connect(routePort)));
      for (const c of conns) c.send(hostileStream(rnd));
      await new Promise((r) => setTimeout(r, 50));
      await Promise.all(conns.map((c) => c.close()));
    }
    await eventually(() => a.varz().routes === 0 && a.server.cluster!.routes().length === 0, 'hostile routes gone');

    const b = await startServer({
      host: '127.0.0.1',
      port: -1,
      cluster: clusterOptions({ name: 'h', routes: [`nats-route://127.0.0.1:${routePort}`] }),
    });
    started.push(b);
    await eventually(() => a.varz().routes === 1 && b.varz().routes === 1, 'the real route');
    const sub = await connect({ port: a.port });
    const pub = await connect({ port: b.port });
    try {
      const got = sub.subscribe('after.fuzz', { max: 1 });
      await sub.flush();
      await eventually(() => b.server.globalAccount.sublist.hasInterest('after.fuzz'), 'interest crosses the route');
      pub.publish('after.fuzz', 'ok');
      for await (const m of got) expect(m.string()).toBe('ok');
    } finally {
      await Promise.all([sub.close(), pub.close()]);
    }
  });
});
