// /jsz, the /varz jetstream block, /healthz's JetStream options and the index page link, side by
// side with nats-server 2.9.10 `-js -m`: the same streams, mirror and consumer on both, then the
// same monitoring requests; field names, order and values must agree once the values that differ
// by nature (ids, times, the store directory, free disk space) are normalised.

import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { freePort, spawnServer, type ServerKind, type SpawnedServer } from './helpers/spawn-server.js';

interface Res {
  status: number;
  body: string;
}

function get(port: number, path: string): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

interface Running {
  srv: SpawnedServer;
  mon: number;
  dir: string;
}

async function start(kind: ServerKind, args: string[], config?: string): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), `tsnats-jsz-${kind}-`));
  const mon = await freePort();
  const srv = await spawnServer(kind, { args: [...args.map((a) => a.replace('DIR', dir)), '-m', String(mon)], config: config?.replace('DIR', dir) });
  return { srv, mon, dir };
}

async function stop(r: Running | undefined): Promise<void> {
  if (r === undefined) return;
  await r.srv.stop();
  rmSync(r.dir, { recursive: true, force: true });
}

/** Account and stream details sorted by name (nats-server walks Go maps: no fixed order). */
function sortDetails(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDetails);
  if (typeof v !== 'object' || v === null) return v;
  const o = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sortDetails(x)]));
  const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  for (const k of ['stream_detail', 'account_details']) if (Array.isArray(o[k])) (o[k] as { name: string }[]).sort(byName);
  return o;
}

/** The JSON text with what differs by nature replaced (key order kept). */
function normalise(body: string): string {
  const text = JSON.stringify(sortDetails(JSON.parse(body)), null, 2);
  return text
    .replace(/"(server_id|now|created|first_ts|last_ts|leader|store_dir|start|last_active)": "[^"]*"/g, '"$1": "X"')
    .replace(/"active": \d+/g, '"active": "A"')
    .replace(/"max_storage": \d+/g, '"max_storage": "D"');
}

/** The same traffic on both: a memory stream with max_bytes, a file mirror of it, a durable consumer. */
async function traffic(r: Running): Promise<void> {
  const nc = await connect({ port: r.srv.port });
  const req = async (s: string, b?: unknown): Promise<void> => {
    await nc.request(s, b === undefined ? '' : JSON.stringify(b), { timeout: 2000 });
  };
  await req('$JS.API.STREAM.CREATE.O', { name: 'O', subjects: ['o.>'], storage: 'memory', max_bytes: 1_000_000 });
  for (let i = 0; i < 3; i++) await req('o.a', `x${i}`);
  await req('$JS.API.STREAM.CREATE.M', { name: 'M', mirror: { name: 'O' } });
  await req('$JS.API.CONSUMER.DURABLE.CREATE.O.D', { stream_name: 'O', config: { durable_name: 'D', ack_policy: 'explicit' } });
  // Until the mirror has the three messages (bounded), asked of /jsz: an API request would count
  // in the api totals compared below, as many times as the mirror took.
  for (let i = 0; i < 100; i++) {
    const jsz = JSON.parse((await get(r.mon, '/jsz?streams=true')).body) as { account_details?: { stream_detail?: { name: string; state: { messages: number } }[] }[] };
    const m = jsz.account_details?.[0]?.stream_detail?.find((d) => d.name === 'M');
    if (m?.state.messages === 3) break;
    await new Promise((res) => setTimeout(res, 20));
  }
  await nc.close();
}

describe('/jsz and the /varz jetstream block match nats-server -js', () => {
  let ours: Running | undefined;
  let theirs: Running | undefined;
  beforeAll(async () => {
    ours = await start('tsnats', ['-js', '-sd', 'DIR']);
    theirs = await start('nats-server', ['-js', '-sd', 'DIR']);
    await traffic(ours);
    await traffic(theirs);
  });
  afterAll(async () => {
    await stop(ours);
    await stop(theirs);
  });

  const QUERIES = [
    '',
    '?accounts=true',
    '?streams=1&config=true',
    '?consumers=true',
    '?consumers=true&config=true',
    '?acc=%24G&streams=true',
    '?acc=nope',
    '?accounts=true&offset=1',
    '?accounts=true&limit=1',
  ];
  for (const q of QUERIES) {
    it(`/jsz${q}`, async () => {
      const want = await get(theirs!.mon, `/jsz${q}`);
      const got = await get(ours!.mon, `/jsz${q}`);
      expect(got.status).toBe(want.status);
      expect(normalise(got.body)).toBe(normalise(want.body));
    });
  }

  it('the account details print the unlimited reservations as Go uint64s; the mirror and consumer are there', async () => {
    const body = (await get(ours!.mon, '/jsz?consumers=true')).body;
    expect(body).toContain('"reserved_memory": 18446744073709551615');
    expect(body).toContain('"mirror": {\n            "name": "O",\n            "lag": 0,');
    expect(body).toContain('"consumer_detail": [');
    expect(normalise(body)).toBe(normalise((await get(theirs!.mon, '/jsz?consumers=true')).body));
  });

  it('a bad option is a 400 with the same text', async () => {
    for (const q of ['?accounts=x', '?offset=y', '?leader-only=z']) {
      const [want, got] = [await get(theirs!.mon, `/jsz${q}`), await get(ours!.mon, `/jsz${q}`)];
      expect(want.status).toBe(400);
      expect(got).toEqual(want);
    }
  });

  it('/varz has the jetstream config and stats (no meta), as nats-server', async () => {
    const block = async (port: number): Promise<string> => {
      const v = JSON.parse((await get(port, '/varz')).body) as { jetstream: unknown };
      return normalise(JSON.stringify(v.jetstream));
    };
    const want = await block(theirs!.mon);
    expect(await block(ours!.mon)).toBe(want);
    expect(want).toContain('"reserved_memory": 1000000');
  });

  it('/healthz with js-enabled-only and js-server-only', async () => {
    for (const q of ['?js-enabled-only=true', '?js-server-only=true', '?js-enabled-only=1&js-server-only=1']) {
      const [want, got] = [await get(theirs!.mon, `/healthz${q}`), await get(ours!.mon, `/healthz${q}`)];
      expect(got).toEqual(want);
      expect(got.body).toBe('{"status":"ok"}');
    }
    // The deprecated js-enabled still works, with nats-server's warning.
    const [want, got] = [await get(theirs!.mon, '/healthz?js-enabled=true'), await get(ours!.mon, '/healthz?js-enabled=true')];
    expect(got).toEqual(want);
    const warned = (r: Running): boolean => r.srv.output().includes('[WRN] Healthcheck: js-enabled deprecated, use js-enabled-only instead');
    for (let i = 0; i < 50 && !(warned(ours!) && warned(theirs!)); i++) await new Promise((r) => setTimeout(r, 20));
    expect(warned(theirs!)).toBe(true);
    expect(warned(ours!)).toBe(true);
  });

  it('the index page links /jsz after /varz, as nats-server', async () => {
    const page = (await get(ours!.mon, '/')).body;
    expect(page).toMatch(/href=\.\/varz>General<\/a>\n\t<a href=\.\/jsz>JetStream<\/a>/);
    expect((await get(theirs!.mon, '/')).body).toContain('<a href=./jsz>JetStream</a>');
    // the dashboard polls /jsz for its streams table only where JetStream runs
    expect((JSON.parse((await get(ours!.mon, '/dashz')).body) as { endpoints: string[] }).endpoints).toContain('/jsz');
  });
});

describe('/jsz without JetStream, and with accounts', () => {
  it('disabled: zero figures and "disabled": true; /varz "jetstream": {}', async () => {
    const ours = await start('tsnats', []);
    const theirs = await start('nats-server', []);
    try {
      const [want, got] = [await get(theirs.mon, '/jsz?accounts=true'), await get(ours.mon, '/jsz?accounts=true')];
      expect(normalise(got.body)).toBe(normalise(want.body));
      expect(got.body).toContain('"disabled": true');
      expect((JSON.parse((await get(ours.mon, '/dashz')).body) as { endpoints: string[] }).endpoints).not.toContain('/jsz');
      const js = async (port: number): Promise<unknown> => (JSON.parse((await get(port, '/varz')).body) as { jetstream: unknown }).jetstream;
      expect(await js(ours.mon)).toEqual({});
      expect(await js(theirs.mon)).toEqual({});
    } finally {
      await stop(ours);
      await stop(theirs);
    }
  });

  it('only JetStream accounts are listed; acc= picks one; limits are the reservations', async () => {
    const config = `
      jetstream { store_dir: "DIR" }
      accounts {
        A { jetstream { max_mem: 1M, max_file: 10M }, users [ { user: a, password: a } ] }
        B { jetstream: enabled, users [ { user: b, password: b } ] }
        C { users [ { user: c, password: c } ] }
      }`;
    const ours = await start('tsnats', [], config);
    const theirs = await start('nats-server', [], config);
    try {
      for (const r of [ours, theirs]) {
        const nc = await connect({ port: r.srv.port, user: 'a', pass: 'a' });
        await nc.request('$JS.API.STREAM.CREATE.S', JSON.stringify({ name: 'S', storage: 'memory', max_bytes: 1000 }), { timeout: 2000 });
        await nc.request('S', 'hello', { timeout: 2000 });
        await nc.close();
      }
      for (const q of ['?accounts=true', '?acc=A&streams=true', '?acc=B', '?acc=C', '?accounts=true&offset=1']) {
        const [want, got] = [await get(theirs.mon, `/jsz${q}`), await get(ours.mon, `/jsz${q}`)];
        expect(normalise(got.body), q).toBe(normalise(want.body));
      }
      expect((await get(ours.mon, '/jsz?acc=A')).body).toContain('"reserved_memory": 1000000');
    } finally {
      await stop(ours);
      await stop(theirs);
    }
  });
});
