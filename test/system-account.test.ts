// The system account side by side with nats-server 2.9.10 (same config, spawned): the $SYS
// requests and their `{server, data}` / `{server, error}` replies, the PING.CONNZ/STATZ services
// every account imports, the connect/disconnect/CONNS events, what a non-system user sees, the
// /accountz, /accstatz and /varz views; then operator mode (JWT users, keys made at run time), and
// a mixed cluster where `$SYS.REQ.SERVER.PING` is answered by both servers. Official client.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { connect, createInbox, headers, jwtAuthenticator, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './helpers/cluster.js';
import { freePort, spawnServer, type SpawnedServer } from './helpers/index.js';
import { type Acct, Operator } from './helpers/operator.js';
import { acceptEncoding, encodeReply } from '../src/sys/encoding.js';

type Json = Record<string, unknown>;
const SIDES = ['nats-server', 'tsnats'] as const;

/** Subscription options whose callback appends `f(m)` of every message to `list`. */
function into<T>(list: T[], f: (m: Msg) => T): { callback: (e: Error | null, m: Msg) => void } {
  return {
    callback: (_e, m) => {
      list.push(f(m));
    },
  };
}

/** Publishes `body` with a fresh inbox as reply and collects what comes back within `ms`. */
async function gather(nc: NatsConnection, subject: string, body = '', ms = 400): Promise<Json[]> {
  const inbox = createInbox();
  const got: Json[] = [];
  const sub = nc.subscribe(inbox, into(got, (m) => m.json<Json>()));
  await nc.flush();
  nc.publish(subject, body, { reply: inbox });
  await nc.flush();
  await new Promise((r) => setTimeout(r, ms));
  sub.unsubscribe();
  return got;
}

/** The one reply of a request (fails when there is none). */
async function ask(nc: NatsConnection, subject: string, body = ''): Promise<Json> {
  const m = await nc.request(subject, body, { timeout: 3000 });
  return m.json<Json>();
}

const keys = (v: unknown): string[] => Object.keys(v as Json);

/** The field names of a JSON value, nested (arrays by their first element), for shape comparisons. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length > 0 ? [shape(v[0])] : [];
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v as Json).map(([k, x]) => [k, shape(x)]));
  return typeof v;
}

const SERVER_INFO_KEYS = ['name', 'host', 'id', 'ver', 'seq', 'jetstream', 'time'];

describe('system account in config mode, compared with nats-server', () => {
  const conf = `
accounts {
  SYS { users: [{user: sys, password: sys}] }
  A { users: [{user: a, password: a}] }
}
system_account: SYS
`;
  const servers: Record<string, SpawnedServer> = {};
  const http: Record<string, number> = {};
  const sys: Record<string, NatsConnection> = {};
  const events: Record<string, { subject: string; data: Json }[]> = {};

  beforeAll(async () => {
    for (const side of SIDES) {
      http[side] = await freePort();
      servers[side] = await spawnServer(side, { config: conf, args: ['-m', String(http[side])] });
      sys[side] = await connect({ port: servers[side]!.port, user: 'sys', pass: 'sys', reconnect: false });
      events[side] = [];
      sys[side]!.subscribe('$SYS.ACCOUNT.>', into(events[side]!, (m) => ({ subject: m.subject, data: m.json<Json>() })));
      await sys[side]!.flush();
      // One A client comes and goes: its events are compared below.
      const a = await connect({ port: servers[side]!.port, user: 'a', pass: 'a', name: 'alice', reconnect: false });
      a.publish('x', 'hello');
      await a.flush();
      await a.close();
      await eventually(() => events[side]!.some((e) => e.subject.endsWith('.DISCONNECT')), `${side}: the disconnect event`);
    }
  });

  afterAll(async () => {
    for (const side of SIDES) {
      await sys[side]?.close();
      await servers[side]?.stop();
    }
  });

  it('connect, disconnect and CONNS events: same subjects in the same order, same fields and values', () => {
    const [n, t] = SIDES.map((s) => events[s]!);
    expect(t.map((e) => e.subject)).toEqual(n.map((e) => e.subject));
    expect(n.map((e) => e.subject)).toEqual([
      '$SYS.ACCOUNT.$G.SERVER.CONNS',
      '$SYS.ACCOUNT.A.SERVER.CONNS',
      '$SYS.ACCOUNT.A.CONNECT',
      '$SYS.ACCOUNT.A.SERVER.CONNS',
      '$SYS.ACCOUNT.A.DISCONNECT',
    ]);
    for (let i = 0; i < n.length; i++) {
      const a = n[i]!.data;
      const b = t[i]!.data;
      expect(keys(b), n[i]!.subject).toEqual(keys(a));
      expect(keys(b.server)).toEqual(SERVER_INFO_KEYS);
      expect(keys(a.server)).toEqual(SERVER_INFO_KEYS);
      expect(b.type).toBe(a.type);
      for (const k of ['acc', 'conns', 'leafnodes', 'total_conns', 'slow_consumers', 'reason']) expect(b[k], k).toEqual(a[k]);
      if (a.client !== undefined) {
        const ca = a.client as Json;
        const cb = b.client as Json;
        expect(keys(cb)).toEqual(keys(ca));
        for (const k of ['host', 'acc', 'user', 'name', 'lang', 'ver', 'kind', 'client_type']) expect(cb[k], k).toEqual(ca[k]);
        expect(typeof cb.id).toBe('number');
      }
    }
    const disc = t[4]!.data;
    expect(disc).toMatchObject({ type: 'io.nats.server.advisory.v1.client_disconnect', reason: 'Client Closed', sent: { msgs: 1, bytes: 5 } });
    expect((disc.client as Json).stop).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    expect(t[2]!.data.type).toBe('io.nats.server.advisory.v1.client_connect');
  });

  it('$SYS.REQ.SERVER.PING: one statsz reply of the same shape', async () => {
    const [n, t] = await Promise.all(SIDES.map((s) => gather(sys[s]!, '$SYS.REQ.SERVER.PING')));
    expect([n!.length, t!.length]).toEqual([1, 1]);
    expect(keys(t![0])).toEqual(['server', 'statsz']);
    expect(shape(t![0])).toEqual(shape(n![0]));
    const st = t![0]!.statsz as Json;
    expect(st).toMatchObject({ connections: 1, active_servers: 1 });
    const varz = (await ask(sys.tsnats!, '$SYS.REQ.SERVER.PING.VARZ')).data as Json;
    expect((t![0]!.server as Json).id).toBe(varz.server_id);
  });

  it('$SYS.REQ.SERVER.PING.<X> and $SYS.REQ.SERVER.<id>.<X>: the same envelopes and data fields', async () => {
    const ids: Record<string, string> = {};
    for (const s of SIDES) ids[s] = ((await ask(sys[s]!, '$SYS.REQ.SERVER.PING')).server as Json).id as string;
    for (const x of ['STATSZ', 'VARZ', 'SUBSZ', 'CONNZ', 'ROUTEZ', 'GATEWAYZ', 'LEAFZ', 'ACCOUNTZ', 'HEALTHZ']) {
      const replies: Record<string, Json[]> = {};
      for (const s of SIDES) {
        replies[s] = [await ask(sys[s]!, `$SYS.REQ.SERVER.PING.${x}`), await ask(sys[s]!, `$SYS.REQ.SERVER.${ids[s]}.${x}`)];
      }
      for (let i = 0; i < 2; i++) {
        const a = replies['nats-server']![i]!;
        const b = replies.tsnats![i]!;
        expect(keys(b), x).toEqual(keys(a));
        expect(keys(b.server), x).toEqual(SERVER_INFO_KEYS);
        const body = x === 'STATSZ' ? 'statsz' : 'data';
        let dk = keys(b[body]);
        let nk = keys(a[body]);
        if (x === 'VARZ') {
          // tsnats adds `parser`; nats-server's tags and similar empty fields are omitted by both.
          dk = dk.filter((k) => k !== 'parser');
          nk = nk.filter((k) => k !== 'parser');
        }
        expect(dk, x).toEqual(nk);
      }
    }
  });

  it('request options in the body: CONNZ with auth and subscriptions, the same connection entry', async () => {
    const body = JSON.stringify({ auth: true, subscriptions: true });
    const [n, t] = await Promise.all(SIDES.map((s) => ask(sys[s]!, '$SYS.REQ.SERVER.PING.CONNZ', body)));
    const cn = ((n!.data as Json).connections as Json[])[0]!;
    const ct = ((t!.data as Json).connections as Json[])[0]!;
    expect(keys(ct)).toEqual(keys(cn));
    for (const k of ['kind', 'type', 'ip', 'subscriptions', 'lang', 'authorized_user', 'account']) expect(ct[k], k).toEqual(cn[k]);
    // The client's inboxes are random: compared by their prefix.
    const sorted = (c: Json) => (c.subscriptions_list as string[]).map((x) => x.replace(/^_INBOX\..*/, '_INBOX.*')).sort();
    expect(sorted(ct)).toEqual(sorted(cn));
    expect(ct.account).toBe('SYS');
  });

  it('a bad body gets {server, error} with code 400 and Go\'s text; a filter that leaves the server out gets no reply', async () => {
    for (const s of SIDES) {
      const r = await ask(sys[s]!, '$SYS.REQ.SERVER.PING.CONNZ', '{bad');
      expect(keys(r)).toEqual(['server', 'error']);
      expect(r.error).toEqual({ code: 400, description: "invalid character 'b' looking for beginning of object key string" });
      expect(await gather(sys[s]!, '$SYS.REQ.SERVER.PING.VARZ', JSON.stringify({ server_name: 'no-such-server' }))).toEqual([]);
      expect(await gather(sys[s]!, '$SYS.REQ.SERVER.PING', JSON.stringify({ cluster: 'no-such-cluster' }))).toEqual([]);
      const e = await ask(sys[s]!, '$SYS.REQ.SERVER.PING.CONNZ', JSON.stringify({ sort: 'nope' }));
      expect(e.error, s).toEqual({ code: 500, description: 'invalid sorting option: nope' });
    }
  });

  it('Accept-Encoding: gzip, snappy or identity, with the Content-Encoding header nats-server sets', async () => {
    /** Snappy framing with uncompressed chunks only (what tsnats writes). */
    const unframe = (b: Uint8Array): string => {
      const buf = Buffer.from(b);
      expect(buf.subarray(0, 10).toString('latin1')).toBe('\xff\x06\x00\x00sNaPpY');
      const parts: Buffer[] = [];
      for (let off = 10; off < buf.length; ) {
        const len = buf[off + 1]! | (buf[off + 2]! << 8) | (buf[off + 3]! << 16);
        expect(buf[off]).toBe(0x01);
        parts.push(buf.subarray(off + 8, off + 4 + len));
        off += 4 + len;
      }
      return Buffer.concat(parts).toString('utf8');
    };
    for (const [ae, want] of [['gzip', 'gzip'], ['snappy, gzip', 'snappy'], ['br', 'identity']] as const) {
      const h = headers();
      h.set('Accept-Encoding', ae);
      const [n, t] = await Promise.all(SIDES.map((s) => sys[s]!.request('$SYS.REQ.SERVER.PING.HEALTHZ', '', { timeout: 3000, headers: h })));
      expect([n!.headers?.get('Content-Encoding'), t!.headers?.get('Content-Encoding')], ae).toEqual([want, want]);
      const body = want === 'gzip' ? gunzipSync(t!.data).toString('utf8') : want === 'snappy' ? unframe(t!.data) : t!.string();
      expect((JSON.parse(body) as Json).data).toEqual({ status: 'ok' });
      if (want === 'gzip') expect((JSON.parse(gunzipSync(n!.data).toString('utf8')) as Json).data).toEqual({ status: 'ok' });
    }
    // An error is never compressed.
    const h = headers();
    h.set('Accept-Encoding', 'gzip');
    for (const s of SIDES) {
      const r = await sys[s]!.request('$SYS.REQ.SERVER.PING.CONNZ', '{bad', { timeout: 3000, headers: h });
      expect(r.headers?.get('Content-Encoding') ?? '', s).toBe('');
      expect((r.json<Json>().error as Json).code).toBe(400);
    }
  });

  it('$SYS.REQ.ACCOUNT.<acc>.<X>: SUBSZ, CONNZ, LEAFZ, INFO, STATZ and CONNS answer as nats-server', async () => {
    const watchers: Record<string, NatsConnection> = {};
    for (const s of SIDES) {
      watchers[s] = await connect({ port: servers[s]!.port, user: 'a', pass: 'a', name: 'w', reconnect: false });
      watchers[s]!.subscribe('w.>');
      await watchers[s]!.flush();
    }
    try {
      for (const x of ['SUBSZ', 'CONNZ', 'LEAFZ', 'INFO']) {
        const [n, t] = await Promise.all(SIDES.map((s) => ask(sys[s]!, `$SYS.REQ.ACCOUNT.A.${x}`)));
        expect(keys(t), x).toEqual(keys(n));
        expect(keys(t!.data), x).toEqual(keys(n!.data));
      }
      const [ni, ti] = await Promise.all(SIDES.map((s) => ask(sys[s]!, '$SYS.REQ.ACCOUNT.A.INFO')));
      const sortImports = (d: Json) => [...((d.imports as Json[]) ?? [])].sort((p, q) => `${p.subject}`.localeCompare(`${q.subject}`));
      expect(sortImports(ti!.data as Json)).toEqual(sortImports(ni!.data as Json));
      expect(ti!.data).toMatchObject({ account_name: 'A', client_connections: 1, complete: true, expired: false });
      const [ns, ts] = await Promise.all(SIDES.map((s) => ask(sys[s]!, '$SYS.REQ.ACCOUNT.A.STATZ')));
      expect(shape(ts)).toEqual(shape(ns));
      expect(((ts!.data as Json).account_statz as Json[]).map((a) => [a.acc, a.conns])).toEqual([['A', 1]]);
      // CONNS answers with the account's connection event (to the reply) when it has local clients.
      const [nc, tc] = await Promise.all(SIDES.map((s) => ask(sys[s]!, '$SYS.REQ.ACCOUNT.A.CONNS')));
      expect(keys(tc)).toEqual(keys(nc));
      expect(tc).toMatchObject({ type: 'io.nats.server.advisory.v1.account_connections', acc: 'A', conns: 1 });
      // An unknown account: INFO says so (500), STATZ stays silent unless include_unused.
      const [nu, tu] = await Promise.all(SIDES.map((s) => ask(sys[s]!, '$SYS.REQ.ACCOUNT.NOPE.INFO')));
      expect(tu!.error).toEqual(nu!.error);
      for (const s of SIDES) expect(await gather(sys[s]!, '$SYS.REQ.ACCOUNT.SYS.STATZ'), s).toHaveLength(1);
      for (const s of SIDES) expect(await gather(sys[s]!, '$SYS.REQ.ACCOUNT.NOPE.STATZ'), s).toEqual([]);
    } finally {
      for (const s of SIDES) await watchers[s]!.close();
    }
  });

  it('a non-system user: its PING.CONNZ and PING.STATZ imports answer for its account only; $SYS.> shows nothing; other requests get no responders', async () => {
    for (const s of SIDES) {
      const a = await connect({ port: servers[s]!.port, user: 'a', pass: 'a', name: 'a1', reconnect: false });
      try {
        for (const subj of ['$SYS.REQ.SERVER.PING.CONNZ', '$SYS.REQ.ACCOUNT.PING.CONNZ']) {
          const r = await ask(a, subj);
          const d = r.data as Json;
          expect(d.num_connections, `${s} ${subj}`).toBe(1);
          expect(((d.connections as Json[])[0] as Json).name).toBe('a1');
        }
        const st = await ask(a, '$SYS.REQ.ACCOUNT.PING.STATZ');
        expect(((st.data as Json).account_statz as Json[]).map((x) => x.acc), s).toEqual(['A']);
        for (const subj of ['$SYS.REQ.SERVER.PING', '$SYS.REQ.SERVER.PING.VARZ', '$SYS.REQ.ACCOUNT.A.INFO']) {
          await expect(a.request(subj, '', { timeout: 2000 }), `${s} ${subj}`).rejects.toThrow(/no responders/);
        }
        // Another A client comes and goes: the system account sees it, A's $SYS.> does not.
        const seen: string[] = [];
        a.subscribe('$SYS.>', into(seen, (m) => m.subject));
        await a.flush();
        const b = await connect({ port: servers[s]!.port, user: 'a', pass: 'a', reconnect: false });
        await b.close();
        await ask(sys[s]!, '$SYS.REQ.SERVER.PING');
        await a.flush();
        expect(seen, s).toEqual([]);
      } finally {
        await a.close();
      }
    }
  });

  it('/accountz, /accountz?acc=, /accstatz and /varz system_account agree with nats-server', async () => {
    const get = async (s: string, p: string): Promise<{ status: number; body: string }> => {
      const r = await fetch(`http://127.0.0.1:${http[s]}${p}`);
      return { status: r.status, body: await r.text() };
    };
    const both = async (p: string) => Promise.all(SIDES.map((s) => get(s, p)));
    const [nl, tl] = await both('/accountz');
    const ln = JSON.parse(nl!.body) as Json;
    const lt = JSON.parse(tl!.body) as Json;
    expect(keys(lt)).toEqual(keys(ln));
    expect([...(lt.accounts as string[])].sort()).toEqual([...(ln.accounts as string[])].sort());
    expect(lt.system_account).toBe('SYS');
    for (const acc of ['A', 'SYS', '$G']) {
      const [n, t] = await both(`/accountz?acc=${encodeURIComponent(acc)}`);
      const dn = (JSON.parse(n!.body) as Json).account_detail as Json;
      const dt = (JSON.parse(t!.body) as Json).account_detail as Json;
      expect(keys(dt), acc).toEqual(keys(dn));
      for (const k of ['account_name', 'is_system', 'expired', 'complete', 'jetstream_enabled', 'leafnode_connections', 'client_connections']) {
        expect(dt[k], `${acc}.${k}`).toEqual(dn[k]);
      }
    }
    const [nx, tx] = await both('/accountz?acc=nope');
    expect([tx!.status, tx!.body]).toEqual([nx!.status, nx!.body]);
    expect(tx!.status).toBe(400);
    for (const p of ['/accstatz', '/accstatz?unused=1']) {
      const [n, t] = await both(p);
      const sn = JSON.parse(n!.body) as Json;
      const st = JSON.parse(t!.body) as Json;
      expect(keys(st), p).toEqual(keys(sn));
      const accs = (v: Json) => (v.account_statz as Json[]).map((a) => `${a.acc}:${a.conns}`).sort();
      expect(accs(st), p).toEqual(accs(sn));
    }
    const [nv, tv] = await both('/varz');
    expect((JSON.parse(tv!.body) as Json).system_account).toBe((JSON.parse(nv!.body) as Json).system_account);
    const [nr, tr] = await both('/');
    for (const link of ['/accountz', '/accstatz']) {
      expect(nr!.body).toContain(link);
      expect(tr!.body).toContain(link);
    }
  });

  it('the periodic $SYS.SERVER.<id>.STATSZ event: the same shape as nats-server\'s', async () => {
    const got: Record<string, Json> = {};
    for (const s of SIDES) {
      const c = await connect({ port: servers[s]!.port, user: 'sys', pass: 'sys', reconnect: false });
      const list: Json[] = [];
      c.subscribe('$SYS.SERVER.*.STATSZ', into(list, (m) => m.json<Json>()));
      // The first comes 250 ms after start, then every 0.5, 1, 2... s up to 30 s.
      await eventually(() => list.length > 0, `${s}: a statsz event`, 40_000);
      got[s] = list[0]!;
      await c.close();
    }
    expect(shape(got.tsnats)).toEqual(shape(got['nats-server']));
  }, 60_000);

  it('a failed authentication: the $SYS.SERVER.<id>.CLIENT.AUTH.ERR event, as nats-server\'s', async () => {
    const got: Record<string, { subject: string; data: Json }> = {};
    for (const s of SIDES) {
      const list: { subject: string; data: Json }[] = [];
      const sub = sys[s]!.subscribe('$SYS.SERVER.*.CLIENT.AUTH.ERR', into(list, (m) => ({ subject: m.subject, data: m.json<Json>() })));
      await sys[s]!.flush();
      await expect(connect({ port: servers[s]!.port, user: 'a', pass: 'wrong', name: 'intruder', reconnect: false })).rejects.toThrow();
      await eventually(() => list.length > 0, `${s}: the auth error event`);
      sub.unsubscribe();
      got[s] = list[0]!;
    }
    const [n, t] = SIDES.map((s) => got[s]!);
    expect(t.subject).toMatch(/^\$SYS\.SERVER\.N[A-Z0-9]{55}\.CLIENT\.AUTH\.ERR$/);
    expect(keys(t.data)).toEqual(keys(n.data));
    expect(keys(t.data.client)).toEqual(keys(n.data.client));
    for (const k of ['type', 'reason']) expect(t.data[k], k).toEqual(n.data[k]);
    for (const k of ['acc', 'user', 'name', 'kind', 'client_type']) expect((t.data.client as Json)[k], k).toEqual((n.data.client as Json)[k]);
    expect(t.data).toMatchObject({ reason: 'Authentication Failure', client: { acc: '$G', user: 'a', name: 'intruder' } });
  });

  it('the shutdown event names the server', async () => {
    const extra = await spawnServer('tsnats', { config: conf });
    try {
      const c = await connect({ port: extra.port, user: 'sys', pass: 'sys', reconnect: false });
      const got: { subject: string; data: Json }[] = [];
      c.subscribe('$SYS.SERVER.*.SHUTDOWN', into(got, (m) => ({ subject: m.subject, data: m.json<Json>() })));
      const id = ((await ask(c, '$SYS.REQ.SERVER.PING')).server as Json).id as string;
      extra.proc.kill('SIGTERM');
      await eventually(() => got.length > 0, 'the shutdown event', 5000);
      expect(got[0]!.subject).toBe(`$SYS.SERVER.${id}.SHUTDOWN`);
      expect(keys(got[0]!.data)).toEqual(SERVER_INFO_KEYS);
      await c.close().catch(() => undefined);
    } finally {
      await extra.stop();
    }
  });
});

describe('system account in operator mode, compared with nats-server', () => {
  const op = new Operator();
  let app: Acct;
  const servers: Record<string, SpawnedServer> = {};
  const http: Record<string, number> = {};

  beforeAll(async () => {
    await op.init();
    app = await op.account('APP', { limits: { conn: -1, subs: -1, payload: -1, data: -1 } });
    for (const side of SIDES) {
      http[side] = await freePort();
      servers[side] = await spawnServer(side, { config: op.config(), args: ['-m', String(http[side])] });
    }
  });

  it('/varz: trusted_operators_jwt, trusted_operators_claim and system_account as nats-server shows them', async () => {
    const [n, t] = await Promise.all(SIDES.map(async (s) => (await (await fetch(`http://127.0.0.1:${http[s]}/varz`)).json()) as Json));
    for (const k of ['trusted_operators_jwt', 'trusted_operators_claim', 'system_account']) {
      expect(JSON.stringify(t![k]), k).toBe(JSON.stringify(n![k]));
    }
    expect(t!.system_account).toBe(op.sys.getPublicKey());
    const keysN = keys(n).filter((k) => k !== 'parser');
    expect(keys(t).filter((k) => k !== 'parser')).toEqual(keysN);
  });

  it('/accountz?acc=<account key>: the JWT, its issuer and decoded claims, as nats-server shows them', async () => {
    // A client makes the server resolve the account.
    for (const s of SIDES) {
      const u = await Operator.user(app);
      const c = await connect({ port: servers[s]!.port, authenticator: jwtAuthenticator(u.jwt, u.kp.getSeed()), reconnect: false });
      await c.close();
    }
    const [n, t] = await Promise.all(
      SIDES.map(async (s) => ((await (await fetch(`http://127.0.0.1:${http[s]}/accountz?acc=${app.pub}`)).json()) as Json).account_detail as Json),
    );
    expect(keys(t)).toEqual(keys(n));
    for (const k of ['account_name', 'jwt', 'issuer_key', 'name_tag', 'complete', 'expired', 'client_connections']) expect(t![k], k).toEqual(n![k]);
    // decoded_jwt: Go re-marshals the claims (its empty structs included); the claims agree.
    const dn = n!.decoded_jwt as Json;
    const dt = t!.decoded_jwt as Json;
    for (const k of ['jti', 'iat', 'iss', 'name', 'sub']) expect(dt[k], k).toEqual(dn[k]);
    expect((dt.nats as Json).limits).toEqual((dn.nats as Json).limits);
  });
  afterAll(async () => {
    await Promise.all(SIDES.map((s) => servers[s]?.stop()));
    rmSync(op.dir, { recursive: true, force: true });
  });

  it('a JWT user\'s connect event carries its jwt, issuer_key and name_tag; PING.CONNZ answers for its account', async () => {
    const sysUser = await Operator.user({ kp: op.sys, pub: op.sys.getPublicKey(), jwt: '' });
    const u = await Operator.user(app);
    const seen: Record<string, Json> = {};
    for (const s of SIDES) {
      const port = servers[s]!.port;
      const sc = await connect({ port, authenticator: jwtAuthenticator(sysUser.jwt, sysUser.kp.getSeed()), reconnect: false });
      const got: Json[] = [];
      sc.subscribe(`$SYS.ACCOUNT.${app.pub}.CONNECT`, into(got, (m) => m.json<Json>()));
      await sc.flush();
      const uc = await connect({ port, authenticator: jwtAuthenticator(u.jwt, u.kp.getSeed()), name: 'jwt-user', reconnect: false });
      await eventually(() => got.length > 0, `${s}: the connect event`);
      seen[s] = got[0]!;
      const r = await ask(uc, '$SYS.REQ.SERVER.PING.CONNZ');
      expect((r.data as Json).num_connections, s).toBe(1);
      const ping = await gather(sc, '$SYS.REQ.SERVER.PING');
      expect(ping.length, s).toBe(1);
      await uc.close();
      await sc.close();
    }
    const cn = seen['nats-server']!.client as Json;
    const ct = seen.tsnats!.client as Json;
    expect(keys(ct)).toEqual(keys(cn));
    for (const k of ['acc', 'user', 'name', 'jwt', 'issuer_key', 'name_tag', 'kind', 'client_type']) expect(ct[k], k).toEqual(cn[k]);
    expect(ct).toMatchObject({ acc: app.pub, jwt: u.jwt, issuer_key: app.pub, user: u.kp.getPublicKey() });
  });
});

describe('system account requests across a route (tsnats and nats-server)', () => {
  const conf = `
accounts {
  SYS { users: [{user: sys, password: sys}] }
  A { users: [{user: a, password: a}] }
}
system_account: SYS
`;
  let ns: SpawnedServer;
  let ts: SpawnedServer;

  beforeAll(async () => {
    const routePort = await freePort();
    ns = await spawnServer('nats-server', { config: `${conf}\ncluster { name: mixed, listen: 127.0.0.1:${routePort} }\n` });
    ts = await spawnServer('tsnats', { config: `${conf}\ncluster { name: mixed, listen: 127.0.0.1:-1, routes: [nats-route://127.0.0.1:${routePort}] }\n` });
    await eventually(() => /Route connection created/.test(ts.output()), 'the route', 10_000);
  });
  afterAll(async () => {
    await Promise.all([ts?.stop(), ns?.stop()]);
  });

  it('$SYS.REQ.SERVER.PING from either side is answered by both servers; a server is reached by its id', async () => {
    const ids: string[] = [];
    for (const s of [ns, ts]) {
      const c = await connect({ port: s.port, user: 'sys', pass: 'sys', reconnect: false });
      try {
        let replies: Json[] = [];
        await eventually(async () => {
          replies = await gather(c, '$SYS.REQ.SERVER.PING', '', 500);
          return replies.length === 2;
        }, `two PING replies on ${s.kind}`, 10_000);
        const servers = replies.map((r) => (r.server as Json).id as string).sort();
        expect(new Set(servers).size).toBe(2);
        for (const r of replies) expect((r.server as Json).cluster).toBe('mixed');
        if (ids.length === 0) ids.push(...servers);
        else expect(servers).toEqual(ids);
        const pings = await gather(c, '$SYS.REQ.SERVER.PING.HEALTHZ', '', 500);
        expect(pings.map((p) => p.data)).toEqual([{ status: 'ok' }, { status: 'ok' }]);
        for (const id of ids) {
          const v = await ask(c, `$SYS.REQ.SERVER.${id}.VARZ`);
          expect((v.data as Json).server_id).toBe(id);
        }
      } finally {
        await c.close();
      }
    }
  });

  it('an account\'s PING.CONNZ import gathers its connections from both servers', async () => {
    const a1 = await connect({ port: ns.port, user: 'a', pass: 'a', name: 'on-nats-server', reconnect: false });
    const a2 = await connect({ port: ts.port, user: 'a', pass: 'a', name: 'on-tsnats', reconnect: false });
    try {
      for (const c of [a1, a2]) {
        let names: string[] = [];
        await eventually(async () => {
          const replies = await gather(c, '$SYS.REQ.SERVER.PING.CONNZ', '', 500);
          names = replies.flatMap((r) => ((r.data as Json).connections as Json[]).map((x) => x.name as string)).sort();
          return replies.length === 2;
        }, 'two CONNZ replies', 10_000);
        expect(names).toEqual(['on-nats-server', 'on-tsnats']);
      }
    } finally {
      await Promise.all([a1.close(), a2.close()]);
    }
  });

  it('each server counts the other in active_servers once their statsz met; the route stats name the peer', async () => {
    const c = await connect({ port: ts.port, user: 'sys', pass: 'sys', reconnect: false });
    try {
      let r: Json[] = [];
      await eventually(async () => {
        r = await gather(c, '$SYS.REQ.SERVER.PING', '', 500);
        return r.length === 2 && r.every((x) => (x.statsz as Json).active_servers === 2);
      }, 'active_servers 2 on both', 10_000);
      const [a, b] = r as [Json, Json];
      const routes = (x: Json) => (x.statsz as Json).routes as Json[];
      expect(routes(a)).toHaveLength(1);
      expect(routes(b)).toHaveLength(1);
      expect(keys(routes(a)[0])).toEqual(keys(routes(b)[0]));
      expect(routes(a)[0]!.name).toBe((b.server as Json).name);
      expect(routes(b)[0]!.name).toBe((a.server as Json).name);
    } finally {
      await c.close();
    }
  });
});

describe('JSZ over the system account (JetStream on), compared with nats-server', () => {
  it('$SYS.REQ.SERVER.PING.JSZ and $SYS.REQ.ACCOUNT.<acc>.JSZ: the same data fields and figures; the errors', async () => {
    const replies: Record<string, Json[]> = {};
    for (const side of SIDES) {
      const dir = mkdtempSync(join(tmpdir(), `tsnats-sysjsz-${side}-`));
      const conf = `
jetstream { store_dir: "${dir}" }
accounts {
  SYS { users: [{user: sys, password: sys}] }
  A { jetstream: enabled, users: [{user: a, password: a}] }
  B { users: [{user: b, password: b}] }
}
system_account: SYS
`;
      const s = await spawnServer(side, { config: conf });
      try {
        const a = await connect({ port: s.port, user: 'a', pass: 'a', reconnect: false });
        await a.request('$JS.API.STREAM.CREATE.S', JSON.stringify({ name: 'S', subjects: ['s.>'], storage: 'memory' }), { timeout: 3000 });
        await a.request('s.1', 'hello', { timeout: 3000 });
        await a.close();
        const c = await connect({ port: s.port, user: 'sys', pass: 'sys', reconnect: false });
        replies[side] = [
          await ask(c, '$SYS.REQ.SERVER.PING.JSZ', JSON.stringify({ accounts: true, streams: true })),
          await ask(c, '$SYS.REQ.ACCOUNT.A.JSZ', JSON.stringify({ streams: true })),
          await ask(c, '$SYS.REQ.ACCOUNT.B.JSZ'),
          await ask(c, '$SYS.REQ.ACCOUNT.NOPE.JSZ'),
        ];
        await c.close();
      } finally {
        await s.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const [want, got] = [replies['nats-server']!, replies.tsnats!];
    const server = want[0]!.data as Json;
    const ours = got[0]!.data as Json;
    expect(keys(ours)).toEqual(keys(server));
    for (const k of ['streams', 'consumers', 'messages', 'accounts']) expect(ours[k], k).toEqual(server[k]);
    const detail = (r: Json): Json => r.data as Json;
    expect(keys(detail(got[1]!))).toEqual(keys(detail(want[1]!)));
    expect(detail(got[1]!).name).toBe('A');
    expect((detail(got[1]!).stream_detail as Json[]).map((d) => [d.name, (d.state as Json).messages])).toEqual([['S', 1]]);
    for (const i of [2, 3]) expect(got[i]!.error, `reply ${i}: ${JSON.stringify(got[i])} vs ${JSON.stringify(want[i])}`).toEqual(want[i]!.error);
  }, 30_000);
});

describe('no_system_account', () => {
  it('leaves the system out, as nats-server does: no system_account in /varz, no responders for $SYS requests', async () => {
    for (const side of SIDES) {
      const mport = await freePort();
      const s = await spawnServer(side, { config: 'no_system_account: true\n', args: ['-m', String(mport)] });
      try {
        const v = (await (await fetch(`http://127.0.0.1:${mport}/varz`)).json()) as Json;
        expect(v.system_account, side).toBeUndefined();
        const c = await connect({ port: s.port, reconnect: false });
        for (const subj of ['$SYS.REQ.SERVER.PING', '$SYS.REQ.SERVER.PING.CONNZ']) {
          await expect(c.request(subj, '', { timeout: 2000 }), `${side} ${subj}`).rejects.toThrow(/no responders/);
        }
        await c.close();
      } finally {
        await s.stop();
      }
    }
  });
});

describe('reply encodings (sys/encoding.ts)', () => {
  it('a snappy reply is Snappy framing: the stream identifier, then uncompressed chunks with the masked CRC-32C', () => {
    const r = encodeReply('123456789', 'snappy');
    expect(r.payload.subarray(0, r.hdrLen).toString('latin1')).toBe('NATS/1.0\r\nContent-Encoding: snappy\r\n\r\n');
    // CRC-32C("123456789") is 0xE3069283 (the standard check value); masked: 0xC78AB0E5.
    expect(r.payload.subarray(r.hdrLen).toString('hex')).toBe('ff060000734e61507059' + '010d0000' + 'e5b08ac7' + Buffer.from('123456789').toString('hex'));
    const big = encodeReply('x'.repeat(65536 + 10), 'snappy');
    const body = big.payload.subarray(big.hdrLen);
    expect(body[10]).toBe(0x01);
    expect(body.readUIntLE(11, 3)).toBe(65536 + 4);
    expect(body[10 + 4 + 65536 + 4]).toBe(0x01);
  });

  it('Accept-Encoding is read as nats-server reads it: snappy or s2 first, then gzip, else identity', () => {
    const msg = (h: string): [number, Buffer] => {
      const b = Buffer.from(`NATS/1.0\r\n${h}\r\n\r\n{}`, 'latin1');
      return [b.length - 2, b];
    };
    expect(acceptEncoding(...msg('Accept-Encoding: gzip, S2'))).toBe('snappy');
    expect(acceptEncoding(...msg('Accept-Encoding: GZIP'))).toBe('gzip');
    expect(acceptEncoding(...msg('Accept-Encoding: br'))).toBe('identity');
    expect(acceptEncoding(...msg('X-Accept-Encoding: gzip'))).toBe('none');
    expect(acceptEncoding(...msg('accept-encoding: gzip'))).toBe('none');
    expect(acceptEncoding(-1, Buffer.from('{}'))).toBe('none');
  });
});
