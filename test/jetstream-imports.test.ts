// `$JS.API` through service imports, against nats-server 2.9.10: an account that imports
// `$JS.API.>` from a JetStream account has its requests answered for the exporting account (and
// answers none itself); an import under another local subject (`to`) reaches it too, while the
// account's own `$JS.API` keeps answering 10039. Every reply a requester gets is compared.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, createInbox, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { spawnServer, type ServerKind, type SpawnedServer } from './helpers/spawn-server.js';

const TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g;

const CONFIG = `
jetstream { store_dir: "DIR" }
accounts {
  JS { jetstream: enabled, users [ { user: js, password: js } ], exports [ { service: "$JS.API.>" } ] }
  U { users [ { user: u, password: u } ], imports [ { service: { account: JS, subject: "$JS.API.>" } } ] }
  P { users [ { user: p, password: p } ], imports [ { service: { account: JS, subject: "$JS.API.>" }, to: "JS.JS@.API.>" } ] }
  V { jetstream: enabled, users [ { user: v, password: v } ], imports [ { service: { account: JS, subject: "$JS.API.>" } } ] }
}`;

/** Each user's requests; every reply within 300 ms is kept (a second responder would show). */
const STEPS: [user: string, subject: string, body?: unknown][] = [
  ['js', '$JS.API.INFO'],
  ['js', '$JS.API.STREAM.CREATE.A', { name: 'A', subjects: ['a'], storage: 'memory' }],
  ['u', '$JS.API.INFO'],
  ['u', '$JS.API.STREAM.CREATE.B', { name: 'B', subjects: ['b'], storage: 'memory' }],
  ['u', '$JS.API.STREAM.NAMES'],
  ['u', '$JS.API.STREAM.INFO.A'],
  ['u', 'b', 'not reaching the stream: the data subject is in JS'],
  ['p', 'JS.JS@.API.INFO'],
  ['p', 'JS.JS@.API.STREAM.CREATE.C', { name: 'C', subjects: ['c'], storage: 'memory' }],
  ['p', '$JS.API.INFO'],
  ['v', '$JS.API.INFO'],
  ['v', '$JS.API.STREAM.NAMES'],
  ['js', 'b', 'stored'],
  ['js', '$JS.API.INFO'],
];

async function play(port: number): Promise<string[]> {
  const conns = new Map<string, NatsConnection>();
  const out: string[] = [];
  try {
    for (const [user, subject, body] of STEPS) {
      let nc = conns.get(user);
      if (nc === undefined) {
        nc = await connect({ port, user, pass: user });
        conns.set(user, nc);
      }
      const inbox = createInbox();
      const got: string[] = [];
      const sub = nc.subscribe(inbox, { callback: (_e, m) => void got.push(m.headers ? `${m.headers.code} ${m.headers.description}` : m.string()) });
      nc.publish(subject, typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body), { reply: inbox });
      await new Promise((r) => setTimeout(r, 300));
      sub.unsubscribe();
      out.push(`${user} ${subject} => ${got.length === 0 ? 'nothing' : got.join(' | ')}`.replace(TIME, 'TIME'));
    }
  } finally {
    for (const nc of conns.values()) await nc.close();
  }
  return out;
}

interface Running {
  srv: SpawnedServer;
  dir: string;
}

async function start(kind: ServerKind): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), `tsnats-jsimp-${kind}-`));
  return { srv: await spawnServer(kind, { config: CONFIG.replace('DIR', dir) }), dir };
}

describe('$JS.API through service imports, as nats-server', () => {
  let ours: Running | undefined;
  let theirs: Running | undefined;
  beforeAll(async () => {
    [ours, theirs] = await Promise.all([start('tsnats'), start('nats-server')]);
  });
  afterAll(async () => {
    for (const r of [ours, theirs]) {
      await r?.srv.stop();
      if (r !== undefined) rmSync(r.dir, { recursive: true, force: true });
    }
  });

  it('the same replies (and only those) for every requester', async () => {
    const [got, want] = await Promise.all([play(ours!.srv.port), play(theirs!.srv.port)]);
    for (let i = 0; i < want.length; i++) expect(got[i], `step ${i}`).toBe(want[i]);
    // The importers are answered for JS: its streams, its counters; P's own API is not JS's.
    expect(want[4]).toContain('"streams":["A","B"]');
    expect(want[9]).toContain('"err_code":10039');
    expect(want[11]).toContain('"streams":["A","B","C"]');
  }, 20_000);

  it('the official client manages JS streams through the prefixed import', async () => {
    const nc = await connect({ port: ours!.srv.port, user: 'p', pass: 'p' });
    try {
      const jsm = await jetstreamManager(nc, { apiPrefix: 'JS.JS@.API' });
      await jsm.streams.add({ name: 'VIA', subjects: ['via.>'], storage: 'memory' as never });
      const names: string[] = [];
      for await (const n of jsm.streams.names()) names.push(n);
      expect(names).toContain('VIA');
      expect((await jsm.getAccountInfo()).streams).toBe(names.length);
    } finally {
      await nc.close();
    }
    // Created in JS: its own users see it.
    const js = await connect({ port: ours!.srv.port, user: 'js', pass: 'js' });
    try {
      const info = await (await jetstreamManager(js)).streams.info('VIA');
      expect(info.config.subjects).toEqual(['via.>']);
    } finally {
      await js.close();
    }
  });
});
