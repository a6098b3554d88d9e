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

/** Sourcing across accounts: B's sources and mirror of A's stream through an API prefix and a deliver prefix. */
const EXTERNAL = `
jetstream { store_dir: "DIR" }
accounts {
  A { jetstream: enabled, users [ { user: a, password: a } ], exports [ { service: "$JS.API.>" }, { stream: "dlv.>" } ] }
  B {
    jetstream: enabled, users [ { user: b, password: b } ]
    imports [ { service: { account: A, subject: "$JS.API.>" }, to: "$JS.A.API.>" }, { stream: { account: A, subject: "dlv.b.>" } } ]
  }
}`;

const EXTERNAL_STEPS: [user: string, subject: string, body?: unknown][] = [
  ['a', '$JS.API.STREAM.CREATE.ORD', { name: 'ORD', subjects: ['ord.>'], storage: 'memory' }],
  ['a', 'ord.1', 'one'],
  ['a', 'ord.2', 'two'],
  ['b', '$JS.API.STREAM.CREATE.S', { name: 'S', storage: 'memory', sources: [{ name: 'ORD', external: { api: '$JS.A.API', deliver: 'dlv.b' } }] }],
  ['b', '$JS.API.STREAM.CREATE.M', { name: 'M', storage: 'memory', mirror: { name: 'ORD', external: { api: '$JS.A.API', deliver: 'dlv.b' } } }],
  // Nothing answers this prefix: never linked, no error.
  ['b', '$JS.API.STREAM.CREATE.X', { name: 'X', storage: 'memory', sources: [{ name: 'ORD', external: { api: '$JS.Z.API', deliver: 'dlv.z' } }] }],
  // The prefix reaches A, which has no such stream: 10059 in the info.
  ['b', '$JS.API.STREAM.CREATE.Y', { name: 'Y', storage: 'memory', sources: [{ name: 'NOPE', external: { api: '$JS.A.API', deliver: 'dlv.b' } }] }],
  ['a', 'ord.3', 'three'],
  // The internal consumers count in A, where the origin is, as the consumer creates do (asked
  // well before Y's next attempt, 2 s after its first).
  ['a', '$JS.API.INFO'],
  ['b', '$JS.API.INFO'],
  ['b', '$JS.API.STREAM.INFO.S'],
  ['b', '$JS.API.STREAM.INFO.M'],
  ['b', '$JS.API.STREAM.INFO.X'],
  ['b', '$JS.API.STREAM.INFO.Y'],
  ['b', '$JS.API.STREAM.MSG.GET.S', { seq: 1 }],
  ['b', '$JS.API.STREAM.MSG.GET.M', { seq: 3 }],
];

describe('mirrors and sources of another account (external), as nats-server', () => {
  it('the same replies; the header names the source by its indexed name', async () => {
    const run = async (kind: ServerKind): Promise<string[]> => {
      const dir = mkdtempSync(join(tmpdir(), `tsnats-jsext-${kind}-`));
      const srv = await spawnServer(kind, { config: EXTERNAL.replace('DIR', dir) });
      const conns = new Map<string, NatsConnection>();
      const out: string[] = [];
      try {
        for (const [user, subject, body] of EXTERNAL_STEPS) {
          let nc = conns.get(user);
          if (nc === undefined) {
            nc = await connect({ port: srv.port, user, pass: user });
            conns.set(user, nc);
          }
          // The links are made after the create replies, and deliver asynchronously (nats-server's
          // internal consumers): give them a moment before reading.
          const pause = subject === 'ord.3' ? 150 : user === 'a' && subject === '$JS.API.INFO' ? 400 : 0;
          if (pause > 0) await new Promise((r) => setTimeout(r, pause));
          const m = await nc.request(subject, typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body), { timeout: 2000 });
          let text = m.string();
          // A create reply's state for a stream with a mirror or sources: what it already copied
          // races its own sourcing (nats-server's too: CI saw it copy 2 first); the infos after
          // the pauses compare the state.
          const copies = typeof body === 'object' && body !== null && ('mirror' in body || 'sources' in body);
          if (copies && subject.includes('.CREATE.') && text.startsWith('{')) {
            const reply = JSON.parse(text) as Record<string, unknown>;
            if (reply.state !== undefined) reply.state = 'COPYING';
            text = JSON.stringify(reply);
          }
          out.push(`${user} ${subject} ${text}`.replace(TIME, 'TIME').replace(/"active":\d+/g, '"active":A'));
        }
      } finally {
        for (const nc of conns.values()) await nc.close();
        await srv.stop();
        rmSync(dir, { recursive: true, force: true });
      }
      return out;
    };
    const [got, want] = await Promise.all([run('tsnats'), run('nats-server')]);
    for (let i = 0; i < want.length; i++) expect(got[i], `step ${i}`).toBe(want[i]);
    const hdrs = want.map((w) => /"hdrs":"([^"]+)"/.exec(w)?.[1]).flatMap((h) => (h ? [Buffer.from(h, 'base64').toString()] : []));
    expect(hdrs).toContain('NATS/1.0\r\nNats-Stream-Source: ORD:z0zeNTHp 1\r\n\r\n');
    expect(want.some((w) => w.includes('"sources":[{"name":"ORD","external":{"api":"$JS.Z.API","deliver":"dlv.z"},"lag":0,"active":-1}]'))).toBe(true);
    expect(want.some((w) => w.includes('"err_code":10059'))).toBe(true);
  }, 20_000);
});
