// Operator mode's account graph: stream and service exports and imports from account JWTs,
// public and private (token_req, with activation tokens), through the official client against
// tsnats and nats-server 2.9.10 with the same operator and accounts.

import { rmSync } from 'node:fs';
import { encodeActivation } from '@nats-io/jwt';
import { createAccount } from '@nats-io/nkeys';
import { connect, jwtAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from './helpers/index.js';
import { type Acct, Operator } from './helpers/operator.js';

const op = new Operator();
const acc: Record<string, Acct> = {};
let servers: Record<'tsnats' | 'nats-server', SpawnedServer>;

beforeAll(async () => {
  await op.init();
  const limits = { conn: -1, subs: -1, payload: -1, data: -1, imports: -1, exports: -1, wildcards: true };
  const expKp = createAccount();
  const impKp = createAccount();
  const exports = [
    { name: 'public stream', type: 'stream' as const, subject: 'pub.>' },
    { name: 'public service', type: 'service' as const, subject: 'svc.echo' },
    { name: 'private stream', type: 'stream' as const, subject: 'priv.>', token_req: true },
    { name: 'private service', type: 'service' as const, subject: 'psvc', token_req: true },
  ];
  acc.Exp = await op.account('Exp', { limits, exports }, expKp);
  const streamToken = await encodeActivation('s', impKp, expKp, 'stream', { subject: 'priv.>' });
  const serviceToken = await encodeActivation('v', impKp, expKp, 'service', { subject: 'psvc' });
  // A token for another account does not open the export to this one.
  const strangerToken = await encodeActivation('s', createAccount(), expKp, 'stream', { subject: 'priv.>' });
  acc.Imp = await op.account(
    'Imp',
    {
      limits,
      imports: [
        { name: 'a', type: 'stream', account: expKp.getPublicKey(), subject: 'pub.>' },
        { name: 'b', type: 'service', account: expKp.getPublicKey(), subject: 'svc.echo', local_subject: 'echo' },
        { name: 'c', type: 'stream', account: expKp.getPublicKey(), subject: 'priv.>', token: streamToken },
        { name: 'd', type: 'service', account: expKp.getPublicKey(), subject: 'psvc', token: serviceToken },
      ],
    },
    impKp,
  );
  acc.NoToken = await op.account('NoToken', {
    limits,
    imports: [
      { name: 'a', type: 'stream', account: expKp.getPublicKey(), subject: 'pub.>', to: 'from' },
      { name: 'c', type: 'stream', account: expKp.getPublicKey(), subject: 'priv.>' },
      { name: 'd', type: 'service', account: expKp.getPublicKey(), subject: 'psvc' },
    ],
  });
  // A token made out to another account makes the importing account invalid.
  acc.BadToken = await op.account('BadToken', {
    limits,
    imports: [{ name: 'e', type: 'stream', account: expKp.getPublicKey(), subject: 'priv.x', token: strangerToken }],
  });
  // Limits without imports, exports or wildcards allow none (a missing limit is zero).
  acc.NoImports = await op.account('NoImports', {
    limits: { conn: -1, subs: -1, payload: -1, data: -1 },
    imports: [{ name: 'a', type: 'stream', account: expKp.getPublicKey(), subject: 'pub.>' }],
  });
  acc.WildExports = await op.account('WildExports', { limits: { conn: -1, subs: -1, payload: -1, data: -1, exports: 5 }, exports: [{ name: 'w', type: 'stream', subject: 'w.>' }] });
  const config = op.config();
  const [t, n] = await Promise.all([spawnServer('tsnats', { config }), spawnServer('nats-server', { config })]);
  servers = { tsnats: t, 'nats-server': n };
});

afterAll(async () => {
  await Promise.all(Object.values(servers ?? {}).map((s) => s.stop()));
  rmSync(op.dir, { recursive: true, force: true });
});

async function userOf(port: number, a: Acct): Promise<NatsConnection> {
  const u = await Operator.user(a);
  return connect({ port, authenticator: jwtAuthenticator(u.jwt, u.kp.getSeed()), reconnect: false });
}

/** What each account's users see: stream messages, and service replies (or their failure). */
async function scenario(port: number): Promise<Record<string, string[]>> {
  // The importers connect first: their accounts resolve the exporter.
  const imp = await userOf(port, acc.Imp!);
  const noTok = await userOf(port, acc.NoToken!);
  const exp = await userOf(port, acc.Exp!);
  const seen: Record<string, string[]> = { imp: [], noToken: [], replies: [] };
  try {
    const watch = (nc: NatsConnection, subject: string, into: string[]): void => {
      const sub = nc.subscribe(subject);
      void (async () => {
        for await (const m of sub) into.push(`${m.subject}:${m.string()}`);
      })();
    };
    watch(imp, 'pub.>', seen.imp!);
    watch(imp, 'priv.>', seen.imp!);
    watch(noTok, '>', seen.noToken!);
    for (const s of ['svc.echo', 'psvc']) {
      const sub = exp.subscribe(s);
      void (async () => {
        for await (const m of sub) m.respond(`${s} got ${m.string()}`);
      })();
    }
    await Promise.all([imp.flush(), noTok.flush(), exp.flush()]);
    exp.publish('pub.a', '1');
    exp.publish('priv.x', '2');
    await exp.flush();
    for (const [nc, who, subject] of [
      [imp, 'imp', 'echo'],
      [imp, 'imp', 'psvc'],
      [noTok, 'noToken', 'psvc'],
    ] as const) {
      try {
        const r = await nc.request(subject, 'q', { timeout: 1000 });
        seen.replies!.push(`${who} ${subject}: ${r.string()}`);
      } catch (e) {
        seen.replies!.push(`${who} ${subject}: ${(e as Error).message}`);
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    await Promise.all([imp.close(), noTok.close(), exp.close()]);
  }
  for (const k of Object.keys(seen)) seen[k]!.sort();
  return seen;
}

describe('exports and imports of account JWTs (both servers)', () => {
  it('build the same account graph as nats-server', async () => {
    const [t, n] = await Promise.all([scenario(servers.tsnats.port), scenario(servers['nats-server'].port)]);
    expect(t).toEqual(n);
    expect(t).toEqual({
      imp: ['priv.x:2', 'pub.a:1'],
      // NoToken's own `>` subscription sees its request, and no service answers it.
      noToken: ['from.pub.a:1', 'psvc:q'],
      replies: ['imp echo: svc.echo got q', 'imp psvc: psvc got q', 'noToken psvc: timeout'],
    });
  }, 20_000);
});

describe('account JWTs nats-server refuses (both servers)', () => {
  it.each([
    ['an activation token made out to another account', 'BadToken'],
    ['more imports than the limits allow', 'NoImports'],
    ['wildcard exports the limits do not allow', 'WildExports'],
  ])('%s: the account\'s users get Authorization Violation', async (_name, name) => {
    const got = await Promise.all(
      [servers.tsnats, servers['nats-server']].map((s) => userOf(s.port, acc[name]!).then(
        async (nc) => {
          await nc.close();
          return 'connected';
        },
        (e: Error) => e.message,
      )),
    );
    expect(got[0]).toEqual(got[1]);
    expect(got[0]).toMatch(/Authorization Violation/i);
  });
});
