// Push consumers and their deliver subject's interest, redelivery at max_ack_pending and deleted
// details: behaviours the nats.go suite caught (test/nats-go-suite.test.ts), each checked here
// with the official JS client on tsnats and, the same test, on nats-server -js.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterEach, describe, expect, it } from 'vitest';
import { KINDS, jsServer } from './helpers/jetstream.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length > 0) await stops.pop()!();
});

async function start(kind: (typeof KINDS)[number], config = ''): Promise<number> {
  const s = await jsServer(kind, config);
  stops.push(s.stop);
  return s.port;
}

async function conn(port: number, opts: Record<string, unknown> = {}): Promise<NatsConnection> {
  const nc = await connect({ port, ...opts });
  stops.push(() => nc.close());
  return nc;
}

/** The first message on `subject` of `nc` within `ms`, as text (null: none came). */
function first(nc: NatsConnection, subject: string, ms: number): Promise<{ subject: string; data: string } | null> {
  return new Promise((done) => {
    const t = setTimeout(() => done(null), ms);
    nc.subscribe(subject, {
      max: 1,
      callback: (_e, m) => {
        clearTimeout(t);
        done({ subject: m.subject, data: m.string() });
      },
    });
  });
}

describe.each(KINDS)('push consumer interest on %s', (kind) => {
  it('a subscriber that comes while a consumer info is asked gets the stored message at once', async () => {
    const port = await start(kind);
    const nc = await conn(port);
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'S', subjects: ['s.>'] });
    await jsm.consumers.add('S', { durable_name: 'D', deliver_subject: 'dx', ack_policy: AckPolicy.Explicit });
    await jetstream(nc).publish('s.a', 'one');
    // The subscription and the info request go out in one write: the info looks at the
    // interest before any timer does.
    const nc2 = await conn(port);
    const jsm2 = await jetstreamManager(nc2);
    const got = first(nc2, 'dx', 3000);
    await jsm2.consumers.info('S', 'D');
    expect(await got).toEqual({ subject: 's.a', data: 'one' });
  });

  it('a push consumer delivers through a stream import to the importer, with the message subject', async () => {
    const port = await start(
      kind,
      `accounts: {
        JS: { users: [{ user: js, password: js }], jetstream: enabled, exports: [{ stream: "p.>" }] }
        U: { users: [{ user: u, password: u }], imports: [{ stream: { account: JS, subject: "p.>" } }] }
      }`,
    );
    const admin = await conn(port, { user: 'js', pass: 'js' });
    const jsm = await jetstreamManager(admin);
    await jsm.streams.add({ name: 'ORDERS', subjects: ['orders.>'] });
    await jsm.consumers.add('ORDERS', { durable_name: 'd', deliver_subject: 'p.d.x', ack_policy: AckPolicy.None });
    await jetstream(admin).publish('orders.1', 'first');
    // Not bound while the importer has no subscriber (a wildcard one doesn't bind either).
    const user = await conn(port, { user: 'u', pass: 'u' });
    user.subscribe('p.>');
    await user.flush();
    expect((await jsm.consumers.info('ORDERS', 'd')).push_bound ?? false).toBe(false);
    expect(await first(user, 'p.d.x', 3000)).toEqual({ subject: 'orders.1', data: 'first' });
    expect((await jsm.consumers.info('ORDERS', 'd')).delivered.stream_seq).toBe(1);
  });

  it('redeliveries go out while max_ack_pending messages await their acks', async () => {
    const port = await start(kind);
    const nc = await conn(port);
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'R', subjects: ['r'] });
    for (let i = 0; i < 3; i++) await jetstream(nc).publish('r', `m${i}`);
    let n = 0;
    const all = new Promise<void>((done) => {
      nc.subscribe('rdx', {
        callback: () => {
          if (++n === 9) done();
        },
      });
    });
    await nc.flush();
    await jsm.consumers.add('R', {
      durable_name: 'R',
      deliver_subject: 'rdx',
      ack_policy: AckPolicy.Explicit,
      ack_wait: 200_000_000,
      max_deliver: 3,
      max_ack_pending: 3,
    });
    await all;
    const info = await jsm.consumers.info('R', 'R');
    expect(info.num_redelivered).toBe(3);
    expect(info.delivered.consumer_seq).toBe(9);
  });
});

describe.each(KINDS)('deleted details on %s', (kind) => {
  it('lists a deleted last message', async () => {
    const port = await start(kind);
    const nc = await conn(port);
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'D', subjects: ['d'] });
    for (let i = 0; i < 4; i++) await jetstream(nc).publish('d', `m${i}`);
    await jsm.streams.deleteMessage('D', 2, false);
    await jsm.streams.deleteMessage('D', 4, false);
    const si = await jsm.streams.info('D', { deleted_details: true });
    expect(si.state.num_deleted).toBe(2);
    expect(si.state.deleted).toEqual([2, 4]);
  });
});
