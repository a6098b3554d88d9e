// Subject mappings (nats-server 2.9.10 accounts.go AddWeightedMappings, selectMappedSubject,
// newTransform; opts.go parseAccountMappings): the transform functions and the config errors
// compared with nats-server itself, weights over enough messages, permissions and
// no-responders on the mapped subject, and a mixed cluster where the publishing server maps.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseConfigString } from '../src/config/conf.js';
import { optionsFromConfig } from '../src/config/options.js';
import { type ServerHandle, startServer } from '../src/index.js';
import { SubjectMappings } from '../src/accounts/mappings.js';
import { SubjectTransform } from '../src/subjects/transform.js';
import { errorLines, natsServerCheck, natsServerStart, tsnatsCheck, tsnatsStart } from './helpers/conf-check.js';
import { freePort, RawClient, spawnServer, type SpawnedServer } from './helpers/index.js';
import { connectJwt, Operator } from './helpers/operator.js';
import type { Account } from '@nats-io/jwt';
import type { KeyPair } from '@nats-io/nkeys';

const started: ServerHandle[] = [];
const spawned: SpawnedServer[] = [];
const conns: NatsConnection[] = [];
afterEach(async () => {
  await Promise.all(conns.splice(0).map((c) => c.close().catch(() => {})));
  await Promise.all(started.splice(0).map((s) => s.shutdown()));
  await Promise.all(spawned.splice(0).map((s) => s.stop()));
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function tsnats(conf: string): Promise<ServerHandle> {
  const s = await startServer({ ...optionsFromConfig(parseConfigString(conf, 't.conf')), host: '127.0.0.1', port: -1 });
  started.push(s);
  return s;
}

async function natsServer(conf: string): Promise<SpawnedServer> {
  const s = await spawnServer('nats-server', { config: conf });
  spawned.push(s);
  return s;
}

async function client(port: number, opts: { user?: string; pass?: string } = {}): Promise<NatsConnection> {
  const nc = await connect({ port, maxReconnectAttempts: 0, ...opts });
  conns.push(nc);
  return nc;
}

/** The subjects a `>` subscriber sees for each publish, in order (one round per subject). */
async function mappedSubjects(port: number, subjects: readonly string[]): Promise<string[]> {
  const nc = await client(port);
  const got: string[] = [];
  nc.subscribe('>', { callback: (_e, m) => void got.push(m.subject) });
  await nc.flush();
  for (const s of subjects) nc.publish(s);
  await nc.flush();
  for (let i = 0; i < 100 && got.length < subjects.length; i++) await sleep(20);
  return got;
}

const FUNCTIONS = `
mappings {
  "plain": "mapped.plain"
  "wc.*.*": "wc.$2.$1"
  "mwc.*.*": "mwc.{{wildcard(2)}}.{{ Wildcard(1) }}"
  "part.*.*": "part.{{partition(7,1,2)}}.$1.$2"
  "part1.*": "part1.{{partition(3,1)}}.{{wildcard(1)}}"
  "split.*": "split.{{split(1,-)}}"
  "sfl.*": "sfl.{{splitFromLeft(1,2)}}"
  "sfr.*": "sfr.{{SplitFromRight(1,2)}}"
  "slfl.*": "slfl.{{sliceFromLeft(1,3)}}"
  "slfr.*": "slfr.{{sliceFromRight(1,3)}}"
  "fwc.*.>": "fwc.out.$1.>"
  "lit.*": "lit.{{wildcard(1)}}.x"
}
`;
const PUBLISHED = [
  'plain',
  'wc.a.b',
  'mwc.a.b',
  'part.a.b',
  'part.foo.bar',
  'part1.x',
  'part1.y',
  'part1.customer-42',
  'split.a-b--c-',
  'split.-x-',
  'split.none',
  'sfl.abcdef',
  'sfl.a',
  'sfr.abcdef',
  'sfr.ab',
  'slfl.abcdefgh',
  'slfl.abc',
  'slfl.ab',
  'slfr.abcdefgh',
  'slfr.abcdef',
  'fwc.a.b.c.d',
  'fwc.a.b',
  'lit.q',
  'unmapped.subject',
];

describe('transform functions, as nats-server maps them', () => {
  it('every function maps as nats-server does (same published subjects, same delivered subjects)', async () => {
    const ns = await natsServer(FUNCTIONS);
    const want = await mappedSubjects(ns.port, PUBLISHED);
    const ts = await tsnats(FUNCTIONS);
    const got = await mappedSubjects(ts.port, PUBLISHED);
    expect(got).toEqual(want);
    // And what that is, for the reader.
    expect(got.slice(0, 3)).toEqual(['mapped.plain', 'wc.b.a', 'mwc.b.a']);
    expect(got.slice(8, 21)).toEqual([
      'split.a.b.c',
      'split.x',
      'split.none',
      'sfl.ab.cdef',
      'sfl.a',
      'sfr.abcd.ef',
      'sfr.ab',
      'slfl.abc.def.gh',
      'slfl.abc',
      'slfl.ab',
      'slfr.ab.cde.fgh',
      'slfr.abc.def',
      'fwc.out.a.b.c.d',
    ]);
  });

  it('partition is FNV-1a of the named wildcards, mod n', () => {
    const tr = new SubjectTransform('orders.*', 'orders.{{partition(10,1)}}.$1');
    const fnv = (s: string): number => {
      let h = 0x811c9dc5;
      for (const b of Buffer.from(s)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
      return h;
    };
    for (const key of ['a', 'customer-1', 'zzz']) expect(tr.match(`orders.${key}`)).toBe(`orders.${fnv(key) % 10}.${key}`);
    expect(tr.match('other.a')).toBeNull();
    expect(tr.match('orders.*')).toBeNull();
  });
});

describe('weighted destinations', () => {
  // n messages, destination probabilities p: each count must be within 5 standard deviations
  // (a false failure about once in 3.5 million runs per count).
  function within(count: number, n: number, p: number): void {
    const sd = Math.sqrt(n * p * (1 - p));
    expect(Math.abs(count - n * p)).toBeLessThan(5 * sd);
  }

  it('split by weight; the source takes the rest; a listed source with less than 100 drops the rest', async () => {
    const ts = await tsnats(`
mappings {
  "w": [{destination: "w.a", weight: 20}, {destination: "w.b", weight: "50%"}]
  "loss": [{destination: "loss", weight: 40}, {destination: "loss.b", weight: 20}]
}`);
    const nc = await client(ts.port);
    const counts = new Map<string, number>();
    nc.subscribe('>', { callback: (_e, m) => void counts.set(m.subject, (counts.get(m.subject) ?? 0) + 1) });
    await nc.flush();
    const N = 4000;
    for (let i = 0; i < N; i++) {
      nc.publish('w');
      nc.publish('loss');
    }
    await nc.flush();
    const total = (): number => [...counts.values()].reduce((a, b) => a + b, 0);
    for (let i = 0; i < 100 && total() < N * 1.6; i++) await sleep(20);
    await sleep(100);
    within(counts.get('w.a') ?? 0, N, 0.2);
    within(counts.get('w.b') ?? 0, N, 0.5);
    within(counts.get('w') ?? 0, N, 0.3);
    within(counts.get('loss') ?? 0, N, 0.4);
    within(counts.get('loss.b') ?? 0, N, 0.2);
    // 40% of the "loss" messages went nowhere.
    expect(total()).toBe(N + (counts.get('loss') ?? 0) + (counts.get('loss.b') ?? 0));
    expect(counts.size).toBe(5);
  });

  it('weights are shown cumulative, sorted as nats-server keeps them; cluster-scoped ones apart', () => {
    const m = new SubjectMappings();
    m.add('foo.*', [
      { subject: 'a.$1', weight: 50, cluster: '' },
      { subject: 'b.$1', weight: 20, cluster: '' },
      { subject: 'c.$1', weight: 30, cluster: 'east' },
    ]);
    expect(m.view()).toEqual([
      {
        src: 'foo.*',
        dests: [
          { subject: 'b.$1', weight: 20, cluster: '' },
          { subject: 'foo.$1', weight: 50, cluster: '' },
          { subject: 'a.$1', weight: 100, cluster: '' },
          { subject: 'c.$1', weight: 30, cluster: 'east' },
          { subject: 'foo.$1', weight: 100, cluster: 'east' },
        ],
      },
    ]);
  });

  it("/accountz's form: nats-server's ExtMap (cluster only where scoped)", () => {
    const m = new SubjectMappings();
    m.add('a', [{ subject: 'b', weight: 100, cluster: '' }]);
    m.add('c.*', [{ subject: 'd.$1', weight: 40, cluster: 'east' }]);
    expect(m.extMap()).toEqual({
      a: [{ subject: 'b', weight: 100 }],
      'c.*': [
        { subject: 'c.$1', weight: 100 },
        { subject: 'd.$1', weight: 40, cluster: 'east' },
        { subject: 'c.$1', weight: 100, cluster: 'east' },
      ],
    });
  });

  it('/accountz?acc= shows the mappings as nats-server shows them', async () => {
    const conf = 'mappings { "a": "b", "c.*": [{destination: "d.$1", weight: 40}, {destination: "e.$1", weight: 60}] }';
    const seen: unknown[] = [];
    for (const kind of ['nats-server', 'tsnats'] as const) {
      const mon = await freePort();
      const s = await spawnServer(kind, { config: conf, args: ['-m', String(mon)] });
      try {
        const body = (await (await fetch(`http://127.0.0.1:${mon}/accountz?acc=$G`)).json()) as { account_detail: { mappings: unknown } };
        seen.push(body.account_detail.mappings);
      } finally {
        await s.stop();
      }
    }
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[1]).toHaveProperty(['c.*', 1, 'weight'], 100);
  });

  it('a reload replaces the mappings (nats-server reloads them with the accounts)', async () => {
    const ts = await tsnats('mappings { "r": "r.one" }');
    expect(await mappedSubjects(ts.port, ['r'])).toEqual(['r.one']);
    ts.reload({ mappings: [{ src: 'r', dests: [{ subject: 'r.two', weight: 100, cluster: '' }] }] });
    expect(await mappedSubjects(ts.port, ['r'])).toEqual(['r.two']);
    ts.reload({ mappings: [] });
    expect(await mappedSubjects(ts.port, ['r'])).toEqual(['r']);
  });

  it('cluster-scoped destinations apply on servers of that cluster, the others fall back', async () => {
    // The weights of all clusters add up to at most 100 (nats-server 2.9 counts them together).
    const conf = (cluster: string): string => `
cluster { name: ${cluster}, listen: 127.0.0.1:-1 }
mappings { "cs": [{destination: "cs.east", weight: 60, cluster: east}, {destination: "cs.any", weight: 40}] }`;
    for (const [cluster, want] of [
      ['east', ['cs', 'cs.east']],
      ['west', ['cs', 'cs.any']],
    ] as const) {
      // 40 messages: each destination shows up (a miss has odds under 0.6^40).
      const ts = await tsnats(conf(cluster));
      const got = await mappedSubjects(ts.port, Array<string>(40).fill('cs'));
      expect(new Set(got)).toEqual(new Set(want));
    }
  });
});

describe('mapped publishes, as nats-server delivers them', () => {
  const CONF = `
accounts {
  A {
    users [
      {user: a, password: a}
      {user: limited, password: limited, permissions: {publish: {allow: ["src.>", "dst.>", "denied.>", "nobody.>"], deny: ["denied.>"]}}}
    ]
    mappings { "src.ok": "dst.ok", "src.denied": "denied.x", "src.none": "nobody.home" }
  }
}`;

  it.each(['nats-server', 'tsnats'] as const)('on %s: permissions apply to the mapped subject; no responders on it', async (kind) => {
    const port = kind === 'tsnats' ? (await tsnats(CONF)).port : (await natsServer(CONF)).port;
    const sub = await client(port, { user: 'a', pass: 'a' });
    const got: string[] = [];
    sub.subscribe('dst.>', { callback: (_e, m) => void got.push(m.subject) });
    sub.subscribe('denied.>', { callback: (_e, m) => void got.push(m.subject) });
    await sub.flush();
    const raw = await RawClient.connect(port);
    try {
      await raw.expect('\r\n');
      const connect = { verbose: false, pedantic: false, user: 'limited', pass: 'limited', headers: true, no_responders: true, protocol: 1 };
      // nats-server looks at the account's mappings once per read, with the account the
      // client had when the read began: publishes in the read of the CONNECT are not mapped there.
      raw.send(`CONNECT ${JSON.stringify(connect)}\r\nPING\r\n`);
      await raw.expect('PONG\r\n');
      raw.send('PUB src.ok 0\r\n\r\nPUB src.denied 0\r\n\r\nSUB r 1\r\nPUB src.none r 0\r\n\r\nPING\r\n');
      const text = await raw.expect('PONG\r\n');
      expect(text).toBe("-ERR 'Permissions Violation for Publish to \"denied.x\"'\r\nHMSG r 1 16 16\r\nNATS/1.0 503\r\n\r\n\r\nPONG\r\n");
    } finally {
      await raw.close();
    }
    await sub.flush();
    await sleep(50);
    expect(got).toEqual(['dst.ok']);
  });
});

describe('tracing', () => {
  it('-V shows the mapping between the PUB and its payload, as nats-server does', async () => {
    const traced = async (kind: 'tsnats' | 'nats-server'): Promise<string[]> => {
      const s = await spawnServer(kind, { config: 'mappings { "in.*": "out.{{wildcard(1)}}" }', args: ['-V'] });
      spawned.push(s);
      const nc = await client(s.port);
      nc.publish('in.x', 'hi');
      await nc.flush();
      let lines: string[] = [];
      for (let i = 0; i < 100 && lines.length < 3; i++) {
        await sleep(20);
        lines = s
          .output()
          .split('\n')
          .filter((l) => /<<- (\[PUB in|\[MAPPING|MSG_PAYLOAD)/.test(l))
          .map((l) => l.slice(l.indexOf('<<-')).trim());
      }
      return lines;
    };
    const want = await traced('nats-server');
    expect(want).toEqual(['<<- [PUB in.x 2]', '<<- [MAPPING in.x -> out.x]', '<<- MSG_PAYLOAD: ["hi"]']);
    expect(await traced('tsnats')).toEqual(want);
  });
});

describe('echo', () => {
  it.each(['nats-server', 'tsnats'] as const)('on %s: a client without echo does not get its own mapped message', async (kind) => {
    const conf = 'mappings { "src": "dst" }';
    const port = kind === 'tsnats' ? (await tsnats(conf)).port : (await natsServer(conf)).port;
    const raw = await RawClient.connect(port);
    try {
      await raw.expect('\r\n');
      raw.send('CONNECT {"verbose":false,"echo":false,"protocol":1}\r\nPING\r\n');
      await raw.expect('PONG\r\n');
      raw.send('SUB dst 1\r\nSUB src 2\r\nPUB src 1\r\nx\r\nPING\r\n');
      expect(await raw.expect('PONG\r\n')).toBe('PONG\r\n');
    } finally {
      await raw.close();
    }
  });
});

describe('config errors, as nats-server -t gives them', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsnats-mapcheck-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cases: [string, string][] = [
    ['valid', 'mappings { "foo": "bar", "a.*": "b.$1", "w": [{destination: "x", weight: 30}] }'],
    ['maps alias', 'maps { "foo": "bar" }'],
    ['in an account', 'accounts { A { mappings { "foo.*": "bar.{{partition(3,1)}}" } } }'],
    ['not a map', 'mappings = 5'],
    ['bad source', 'mappings { "foo..": "bar" }'],
    ['wildcard not used', 'mappings { "foo.*": "bar" }'],
    ['index out of range', 'mappings { "foo.*": "bar.$2" }'],
    ['function index out of range', 'mappings { "foo.*": "bar.{{wildcard(2)}}" }'],
    ['unknown function', 'mappings { "foo.*": "bar.{{unknown(1)}}" }'],
    ['not enough arguments', 'mappings { "foo.*": "bar.{{wildcard()}}" }'],
    ['too many arguments', 'mappings { "foo.*": "bar.{{wildcard(1,2)}}" }'],
    ['bad argument', 'mappings { "foo.*": "bar.{{wildcard(x)}}" }'],
    ['partition without tokens', 'mappings { "foo.*": "bar.{{partition(3)}}" }'],
    ['split with a space', 'mappings { "foo.*": "bar.{{split(1, a b)}}" }'],
    ['splitFromLeft with one argument', 'mappings { "foo.*": "bar.{{splitFromLeft(1)}}" }'],
    ['sliceFromRight with three arguments', 'mappings { "foo.*": "bar.{{sliceFromRight(1,2,3)}}" }'],
    ['fwc on one side only', 'mappings { "foo.>": "bar" }'],
    ['space in destination', 'mappings { "foo": "bar baz" }'],
    ['wildcard in destination', 'mappings { "foo": "bar.*" }'],
    ['empty destination token', 'mappings { "foo": "bar..baz" }'],
    ['weights over 100', 'mappings { "foo": [{destination: "bar", weight: 50}, {destination: "baz", weight: 60}] }'],
    ['duplicate destination', 'mappings { "foo": [{destination: "bar", weight: 50}, {destination: "bar", weight: 10}] }'],
    ['weight too big', 'mappings { "foo": [{destination: "bar", weight: 150}] }'],
    ['weight negative', 'mappings { "foo": [{destination: "bar", weight: -1}] }'],
    ['weight percent', 'mappings { "foo": [{destination: "bar", weight: "101%"}] }'],
    ['weight not a number', 'mappings { "foo": [{destination: "bar", weight: "x"}] }'],
    ['weight a float', 'mappings { "foo": [{destination: "bar", weight: 2.5}] }'],
    ['weight missing', 'mappings { "foo": [{destination: "bar"}] }'],
    ['unknown field', 'mappings { "foo": [{destination: "bar", weight: 20, bogus: 1}] }'],
    ['destination not a map', 'mappings { "foo": ["bar"] }'],
    ['destination an int', 'mappings { "foo": 5 }'],
    ['destination not a string', 'mappings { "foo": [{destination: 5, weight: 50}] }'],
    ['cluster not a string', 'mappings { "foo": [{destination: "bar", weight: 50, cluster: 5}] }'],
    ['one weighted destination, bad', 'mappings { "foo": {destination: "bar.*", weight: 20} }'],
    ['one weighted destination, fine', 'mappings { "foo": {destination: "bar", weight: 20} }'],
    ['empty list', 'mappings { "foo": [] }'],
    ['account mapping error', 'accounts { A { mappings { "foo": "bar.*" } } }'],
    ['cluster weights add up', 'mappings { "foo": [{destination: "a", weight: 60, cluster: c1}, {destination: "b", weight: 60, cluster: c2}] }'],
  ];

  it.each(cases.map(([name, conf], i) => [name, conf, i] as const))('%s', (_name, conf, i) => {
    const file = path.join(dir, `map${i}.conf`);
    writeFileSync(file, conf + '\n');
    const want = natsServerCheck(file, dir);
    const got = tsnatsCheck(file);
    expect(got.ok).toBe(want.ok);
    expect(errorLines(got.stderr)).toEqual(errorLines(want.stderr));
  });

  it.each([
    ['weights over 100', 'mappings { "foo": [{destination: "bar", weight: 50}, {destination: "baz", weight: 60}] }'],
    ['valid', 'mappings { "foo.*": "bar.$1" }'],
  ])('at start-up too: %s', (_name, conf) => {
    const file = path.join(dir, 'start.conf');
    writeFileSync(file, conf);
    expect(tsnatsStart(file)).toEqual(natsServerStart(file, dir));
  });
});

describe('a mixed cluster: the publishing server maps, the others deliver as received', () => {
  // Chained mappings: a → b on every server, and b → c. A message published on `a` is mapped
  // once, by the server it was published on, and arrives everywhere on `b`.
  const MAPS = 'mappings { "a.*": "b.$1", "b.*": "c.$1" }';

  it.each([
    ['published on tsnats, read on nats-server', 'ts', 'nats'],
    ['published on nats-server, read on tsnats', 'nats', 'ts'],
  ] as const)('%s', async (_name, pubAt, subAt) => {
    const routePort = await freePort();
    const ns = await natsServer(`${MAPS}\ncluster { name: m, listen: 127.0.0.1:${routePort} }\n`);
    const ts = await tsnats(`${MAPS}\ncluster { name: m, listen: 127.0.0.1:-1, routes: [nats-route://127.0.0.1:${routePort}] }\n`);
    for (let i = 0; i < 100 && ts.varz().routes < 1; i++) await sleep(50);
    expect(ts.varz().routes).toBe(1);
    const ports = { ts: ts.port, nats: ns.port };
    const sub = await client(ports[subAt]);
    const got: string[] = [];
    sub.subscribe('>', { callback: (_e, m) => void got.push(`${m.subject}:${m.string()}`) });
    await sub.flush();
    const pub = await client(ports[pubAt]);
    // Interest crosses the route: wait until a probe published there arrives.
    for (let i = 0; i < 100 && !got.includes('probe:'); i++) {
      pub.publish('probe');
      await pub.flush();
      await sleep(50);
    }
    got.length = 0;
    pub.publish('a.1', 'x');
    pub.publish('b.2', 'y');
    await pub.flush();
    for (let i = 0; i < 100 && got.length < 2; i++) await sleep(20);
    await sleep(100);
    expect(got.filter((s) => !s.startsWith('probe'))).toEqual(['b.1:x', 'c.2:y']);
  });
});

describe('a mapped publish to a queue group across a mixed cluster', () => {
  it('each message reaches one member of the group, on either server', async () => {
    const routePort = await freePort();
    const maps = 'mappings { "work.*": "jobs.$1" }';
    const ns = await natsServer(`${maps}\ncluster { name: q, listen: 127.0.0.1:${routePort} }\n`);
    const ts = await tsnats(`${maps}\ncluster { name: q, listen: 127.0.0.1:-1, routes: [nats-route://127.0.0.1:${routePort}] }\n`);
    for (let i = 0; i < 100 && ts.varz().routes < 1; i++) await sleep(50);
    const counts = { ts: 0, nats: 0 };
    let remoteProbe = false;
    const onTs = await client(ts.port);
    const onNats = await client(ns.port);
    onTs.subscribe('jobs.*', { queue: 'g', callback: (_e, m) => void (m.subject !== 'jobs.probe' && counts.ts++) });
    onNats.subscribe('jobs.*', {
      queue: 'g',
      callback: (_e, m) => void (m.subject === 'jobs.probe' ? (remoteProbe = true) : counts.nats++),
    });
    await onTs.flush();
    await onNats.flush();
    const pub = await client(ts.port);
    // Both members known on the publishing server: wait until the remote one got a probe.
    for (let i = 0; i < 100 && !remoteProbe; i++) {
      pub.publish('work.probe');
      await pub.flush();
      await sleep(20);
    }
    expect(remoteProbe).toBe(true);
    const N = 200;
    for (let i = 0; i < N; i++) pub.publish(`work.${i}`);
    await pub.flush();
    for (let i = 0; i < 100 && counts.ts + counts.nats < N; i++) await sleep(20);
    await sleep(100);
    expect(counts.ts + counts.nats).toBe(N);
    expect(counts.ts).toBeGreaterThan(0);
    expect(counts.nats).toBeGreaterThan(0);
  });
});

describe('mappings from account JWTs (operator mode)', () => {
  it.each(['nats-server', 'tsnats'] as const)('on %s: the `mappings` claim maps (a weight of 0 is 100)', async (kind) => {
    const op = await new Operator().init();
    const unlimited = { conn: -1, subs: -1, payload: -1, data: -1, imports: -1, exports: -1, wildcards: true };
    const a = await op.account('A', { limits: unlimited, mappings: { 'req.*': [{ subject: 'got.$1' }], plain: [{ subject: 'p.x', weight: 100 }] } } as Partial<Account>);
    const u = await Operator.user(a);
    const conf = op.config();
    const port = kind === 'tsnats' ? (await tsnats(conf)).port : (await natsServer(conf)).port;
    const { c } = await connectJwt(port, u.jwt, u.kp);
    try {
      await c.expect('PONG\r\n');
      c.send('SUB got.* 1\r\nSUB p.x 2\r\nPUB req.a 1\r\nA\r\nPUB plain 1\r\nB\r\nPING\r\n');
      expect(await c.expect('PONG\r\n')).toBe('MSG got.a 1 1\r\nA\r\nMSG p.x 2 1\r\nB\r\nPONG\r\n');
    } finally {
      await c.close();
    }
  });

  it('a JWT whose mappings break the rules is refused, as jwt/v2 validates them', async () => {
    const op = await new Operator().init();
    const unlimited = { conn: -1, subs: -1, payload: -1, data: -1, imports: -1, exports: -1, wildcards: true };
    const a = await op.account('A', { limits: unlimited, mappings: { 'a.*': [{ subject: 'b.*' }] } } as Partial<Account>);
    const b = await op.account('B', { limits: unlimited, mappings: { a: [{ subject: 'b', weight: 60 }, { subject: 'c', weight: 60 }] } } as Partial<Account>);
    const ua = await Operator.user(a);
    const ub = await Operator.user(b);
    const conf = op.config();
    const outcome = async (port: number, u: { jwt: string; kp: KeyPair }): Promise<string> => {
      const { c } = await connectJwt(port, u.jwt, u.kp);
      const text = (await c.readUntilQuiet(200, 3000)).toString('latin1');
      await c.close();
      return text;
    };
    const ns = await natsServer(conf);
    const ts = await tsnats(conf);
    for (const u of [ua, ub]) {
      const want = await outcome(ns.port, u);
      expect(want).toBe("-ERR 'Authorization Violation'\r\n");
      expect(await outcome(ts.port, u)).toBe(want);
    }
  });
});

describe('mappings and service imports', () => {
  const CONF = `
accounts {
  A {
    users [{user: a, password: a}]
    exports [{service: "svc.*.*"}]
    mappings { "svc.m.*": "svc.mapped.$1" }
  }
  B {
    users [{user: b, password: b}]
    imports [{service: {account: A, subject: "svc.*.*"}, to: "ask.*.*"}]
  }
}`;

  it('a request crossing an import is mapped by the exporting account, as nats-server does', async () => {
    const answers = async (port: number): Promise<string[]> => {
      const svc = await client(port, { user: 'a', pass: 'a' });
      svc.subscribe('svc.>', { callback: (_e, m) => void m.respond(m.subject) });
      await svc.flush();
      const req = await client(port, { user: 'b', pass: 'b' });
      const out: string[] = [];
      for (const s of ['ask.x.y', 'ask.m.z']) out.push((await req.request(s, '', { timeout: 2000 })).string());
      return out;
    };
    const want = await answers((await natsServer(CONF)).port);
    expect(want).toEqual(['svc.x.y', 'svc.mapped.z']);
    expect(await answers((await tsnats(CONF)).port)).toEqual(want);
  });
});
