// Operator mode over real sockets: the JWT connect path (nats-server auth.go's order of checks),
// user claims (permissions, limits, expiry) and account claims (limits), each case run against
// tsnats and nats-server 2.9.10 with the same operator, accounts and users, and the official
// client's jwtAuthenticator, credsAuthenticator and bearer JWTs against tsnats.

import { rmSync } from 'node:fs';
import { fmtCreds, newScopedSigner } from '@nats-io/jwt';
import { encodeAccount } from '@nats-io/jwt';
import { createAccount, createUser, type KeyPair } from '@nats-io/nkeys';
import { connect, credsAuthenticator, jwtAuthenticator } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from './helpers/index.js';
import { type Acct, connectJwt, Operator, transcript } from './helpers/operator.js';

const now = (): number => Math.floor(Date.now() / 1000);

const op = new Operator();
/** Another operator, not trusted by the servers. */
const stranger = new Operator();
const acc: Record<string, Acct> = {};
/** Users made before their accounts (revocations name them). */
let revokedUser: KeyPair;
/** A user JWT issued before the '*' revocation of RevokeAll, and when that revocation is. */
let beforeRevokeAll: { kp: KeyPair; jwt: string };
let revokeAllAt = 0;
let signingKey: KeyPair;
/** A scoped signing key of account Scoped: its template gives the users' permissions. */
let scopedKey: KeyPair;
let servers: Record<'tsnats' | 'nats-server', SpawnedServer>;

beforeAll(async () => {
  await op.init();
  await stranger.init();
  revokedUser = createUser();
  signingKey = createAccount();
  const unlimited = { conn: -1, subs: -1, payload: -1, data: -1 };
  acc.A = await op.account('A', { limits: unlimited });
  acc.NoBearer = await op.account('NoBearer', { limits: { ...unlimited, disallow_bearer: true } });
  acc.OneConn = await op.account('OneConn', { limits: { ...unlimited, conn: 1 } });
  acc.Limited = await op.account('Limited', { limits: { ...unlimited, subs: 2, payload: 100 } });
  acc.Expired = await op.account('Expired', { limits: unlimited }, undefined, undefined, now() - 10);
  acc.Signing = await op.account('Signing', { limits: unlimited, signing_keys: [signingKey.getPublicKey()] });
  acc.Revoking = await op.account('Revoking', { limits: unlimited, revocations: { [revokedUser.getPublicKey()]: now() + 3600 } });
  // RevokeAll's key signs a user first, then its JWT revokes every user issued until now.
  const revokeAllKp = createAccount();
  beforeRevokeAll = await Operator.user({ kp: revokeAllKp, pub: revokeAllKp.getPublicKey(), jwt: '' });
  revokeAllAt = now();
  acc.RevokeAll = await op.account('RevokeAll', { limits: unlimited, revocations: { '*': revokeAllAt } }, revokeAllKp);
  acc.NoLimits = await op.rawAccount('NoLimits', {});
  // Its own account for the log test: the max-subscriptions report is throttled per account.
  acc.NoLimitsLog = await op.rawAccount('NoLimitsLog', {});
  acc.Mem = await op.account('Mem', { limits: unlimited });
  acc.Expiring = await op.account('Expiring', { limits: unlimited });
  acc.Signing2 = await op.account('Signing2', { limits: unlimited, signing_keys: [signingKey.getPublicKey()] });
  scopedKey = createAccount();
  const scope = newScopedSigner(scopedKey, 'role', { pub: { allow: ['scoped.{{name()}}.>'], deny: [] }, sub: { allow: ['scoped.>'], deny: [] } });
  acc.Scoped = await op.account('Scoped', { limits: unlimited, signing_keys: [scope] });
  // An account signed by the other operator, preloaded in the trusting servers' resolver.
  acc.Foreign = await stranger.account('Foreign', { limits: unlimited });
  op.accounts.set('Foreign', acc.Foreign);
  const config = op.config();
  const args = ['-D'];
  const [t, n] = await Promise.all([spawnServer('tsnats', { config, args }), spawnServer('nats-server', { config, args })]);
  servers = { tsnats: t, 'nats-server': n };
});

afterAll(async () => {
  await Promise.all(Object.values(servers ?? {}).map((s) => s.stop()));
  rmSync(op.dir, { recursive: true, force: true });
  rmSync(stranger.dir, { recursive: true, force: true });
});

type Kind = 'tsnats' | 'nats-server';
/** A scenario: connects to `port` and returns what the client saw. */
type Scenario = (port: number) => Promise<string[]>;

/** The same scenario on both servers: tsnats must see what nats-server's client saw. */
async function both(s: Scenario): Promise<string[]> {
  const [t, n] = await Promise.all((['tsnats', 'nats-server'] as Kind[]).map((k) => s(servers[k].port)));
  expect(t).toEqual(n);
  return t!;
}

/** One user connects and PINGs; the transcript after CONNECT. */
function user(make: () => Promise<{ kp: KeyPair; jwt: string }>, o: { bearer?: boolean; sig?: (n: string, kp: KeyPair) => string; then?: string } = {}): Scenario {
  return async (port) => {
    const u = await make();
    const sig = o.sig;
    const { c } = await connectJwt(port, u.jwt, o.bearer ? null : u.kp, { ...(sig ? { sig: (n) => sig(n, u.kp) } : {}), ...(o.then ? { then: o.then } : {}) });
    try {
      // What follows the CONNECT ends with a PING, so an answer comes: on a loaded machine the
      // first (an account's JWT loaded and verified) may take longer than transcript's quiet time.
      const deadline = performance.now() + 8000;
      while (c.unread().length === 0 && !c.isClosed && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      return await transcript(c);
    } finally {
      await c.close();
    }
  };
}

const VIOLATION = ["-ERR 'Authorization Violation'", '<closed>'];

describe('connecting with a user JWT (both servers)', () => {
  it('INFO carries a nonce and auth_required', async () => {
    for (const k of ['tsnats', 'nats-server'] as Kind[]) {
      const { c, info } = await connectJwt(servers[k].port, '', null, { then: '' });
      const j = JSON.parse(info.slice(5)) as { nonce?: string; auth_required?: boolean };
      expect(j.auth_required).toBe(true);
      expect(j.nonce).toMatch(/^[A-Za-z0-9_-]{11,}$/);
      await c.close();
    }
  });

  it('a valid user JWT with the signed nonce gets in', async () => {
    expect(await both(user(() => Operator.user(acc.A!)))).toEqual(['PONG']);
  });

  it('the nonce signed in standard base64 is accepted', async () => {
    const std = (n: string, kp: KeyPair): string => Buffer.from(kp.sign(Buffer.from(n))).toString('base64');
    expect(await both(user(() => Operator.user(acc.A!), { sig: std }))).toEqual(['PONG']);
  });

  it.each<[string, () => Scenario]>([
    ['no JWT', () => user(async () => ({ kp: createUser(), jwt: '' }))],
    ['a JWT that is not one', () => user(async () => ({ kp: createUser(), jwt: 'eyJ.abc.def' }))],
    ['an account JWT as the user', () => user(async () => ({ kp: acc.A!.kp, jwt: acc.A!.jwt }))],
    ['an expired user JWT', () => user(() => Operator.user(acc.A!, {}, { exp: now() - 5 }))],
    ['a user JWT not valid yet', () => user(() => Operator.user(acc.A!, {}, { nbf: now() + 3600 }))],
    ['a user of an account the resolver does not have', () => user(() => Operator.user({ kp: createAccount(), pub: '', jwt: '' } as Acct))],
    ['a user of an account signed by another operator', () => user(() => Operator.user(acc.Foreign!))],
    ['an expired account', () => user(() => Operator.user(acc.Expired!))],
    ['a user signed by a key that is not the account\'s', () => user(() => Operator.user(acc.A!, {}, { signer: createAccount() }))],
    ['a bearer JWT in an account that disallows bearers', () => user(() => Operator.user(acc.NoBearer!, { bearer_token: true }), { bearer: true })],
    ['no signature', () => user(() => Operator.user(acc.A!), { bearer: true })],
    ['a signature by another key', () => user(() => Operator.user(acc.A!), { sig: (n) => Buffer.from(createUser().sign(Buffer.from(n))).toString('base64url') })],
    ['a signature that is not base64', () => user(() => Operator.user(acc.A!), { sig: () => '!!!not base64!!!' })],
    ['a revoked user', () => user(() => Operator.user(acc.Revoking!, {}, { kp: revokedUser }))],
    ['a user issued before the revocation of every user (*)', () => user(async () => beforeRevokeAll)],
    ['a source network that is not the client\'s', () => user(() => Operator.user(acc.A!, { src: ['10.0.0.0/8'] }))],
    ['outside the connect times', () => user(() => Operator.user(acc.A!, { times: [{ start: '00:00:00', end: '00:00:01' }] }))],
    ['a user allowed only websocket connections', () => user(() => Operator.user(acc.A!, { allowed_connection_types: ['WEBSOCKET'] }))],
  ])('%s: Authorization Violation and a close', async (_name, s) => {
    expect(await both(s())).toEqual(VIOLATION);
  });

  it.each<[string, () => Scenario]>([
    ['a bearer JWT without a signature', () => user(() => Operator.user(acc.A!, { bearer_token: true }), { bearer: true })],
    ['a user signed by one of the account\'s signing keys', () => user(() => Operator.user(acc.Signing!, {}, { signer: signingKey }))],
    ['a user in the source network', () => user(() => Operator.user(acc.A!, { src: ['127.0.0.0/8'] }))],
    ['a user issued after the revocation of every user before', () => user(() => Operator.user(acc.RevokeAll!))],
    ['inside the connect times', () => user(() => Operator.user(acc.A!, { times: [{ start: '00:00:00', end: '23:59:59' }] }))],
  ])('%s gets in', async (name, s) => {
    // The '*' revocation covers users issued in its second: a new one must be issued after it.
    if (name.includes('revocation')) while (now() <= revokeAllAt) await new Promise((r) => setTimeout(r, 100));
    expect(await both(s())).toEqual(['PONG']);
  }, 15_000);

  it('an account without limits lets nobody in (a missing limit is zero)', async () => {
    expect(await both(user(() => Operator.user(acc.NoLimits!)))).toEqual(["-ERR 'maximum account active connections exceeded'", '<closed>']);
  });

  it('an account limited to one connection refuses the second', async () => {
    await both(async (port) => {
      const first = await connectJwt(port, (await Operator.user(acc.OneConn!)).jwt, null, {});
      expect(await transcript(first.c)).toEqual(VIOLATION); // no signature: not counted
      const u = await Operator.user(acc.OneConn!);
      const a = await connectJwt(port, u.jwt, u.kp);
      const ta = await transcript(a.c);
      const b = await connectJwt(port, u.jwt, u.kp);
      const tb = await transcript(b.c);
      await a.c.close();
      await new Promise((r) => setTimeout(r, 100));
      const c = await connectJwt(port, u.jwt, u.kp);
      const tc = await transcript(c.c);
      await Promise.all([b.c.close(), c.c.close()]);
      await new Promise((r) => setTimeout(r, 100));
      return [...ta, '|', ...tb, '|', ...tc];
    }).then((t) => expect(t).toEqual(['PONG', '|', "-ERR 'maximum account active connections exceeded'", '<closed>', '|', 'PONG']));
  });
});

describe('user and account claims apply (both servers)', () => {
  it('publish and subscribe permissions', async () => {
    const t = await both(
      user(() => Operator.user(acc.A!, { pub: { allow: ['ok.>'], deny: ['ok.no'] }, sub: { allow: ['in.*'], deny: [] } }), {
        then: 'PUB ok.yes 1\r\nx\r\nPUB ok.no 1\r\nx\r\nPUB other 1\r\nx\r\nSUB in.a 1\r\nSUB out 2\r\nPING\r\n',
      }),
    );
    expect(t).toEqual([
      "-ERR 'Permissions Violation for Publish to \"ok.no\"'",
      "-ERR 'Permissions Violation for Publish to \"other\"'",
      "-ERR 'Permissions Violation for Subscription to \"out\"'",
      'PONG',
    ]);
  });

  it('a scoped signing key: its template is the user\'s permissions; a scoped user with its own limits is refused', async () => {
    const t = await both(
      user(() => Operator.user(acc.Scoped!, {}, { signer: scopedKey, scoped: true }), {
        then: 'PUB scoped.U.x 1\r\nx\r\nPUB other 1\r\nx\r\nSUB scoped.a 1\r\nSUB other 2\r\nPING\r\n',
      }),
    );
    expect(t).toEqual(["-ERR 'Permissions Violation for Publish to \"other\"'", "-ERR 'Permissions Violation for Subscription to \"other\"'", 'PONG']);
    expect(await both(user(() => Operator.user(acc.Scoped!, {}, { signer: scopedKey })))).toEqual(VIOLATION);
  });

  it('the user max_payload: a second INFO with the lower max_payload, then the violation', async () => {
    const t = await both(user(() => Operator.user(acc.A!, { payload: 10 }), { then: 'PING\r\n' }));
    expect(t).toEqual(['PONG', 'INFO max_payload=10']);
    const v = await both(user(() => Operator.user(acc.A!, { payload: 10 }), { then: 'PUB x 11\r\n01234567890\r\nPING\r\n' }));
    expect(v).toEqual(["-ERR 'Maximum Payload Violation'", '<closed>']);
  });

  it('the account limits: payload (lowered to the account\'s) and subscriptions', async () => {
    const t = await both(user(() => Operator.user(acc.Limited!, { payload: 1000 }), { then: 'PING\r\nSUB a 1\r\nSUB b 2\r\nSUB c 3\r\nPING\r\n' }));
    expect(t).toEqual(['PONG', 'INFO max_payload=100', "-ERR 'maximum subscriptions exceeded'", 'PONG']);
  });

  it('an account JWT that expires while its user is connected: Account Authentication Expired and a close', async () => {
    const expiring = acc.Expiring!;
    const t = await both(async (port) => {
      const u = await Operator.user(expiring);
      const { c } = await connectJwt(port, u.jwt, u.kp);
      await c.expect('PONG\r\n');
      // The account's new JWT (pushed by a system account user) expires in 2 s.
      const s = await Operator.user({ kp: op.sys, pub: op.sys.getPublicKey(), jwt: '' });
      const nc = await connect({ port, authenticator: jwtAuthenticator(s.jwt, s.kp.getSeed()), reconnect: false });
      const jwt = await encodeAccount('Expiring', expiring.kp, { limits: { conn: -1, subs: -1, payload: -1, data: -1 } }, { signer: op.kp, exp: now() + 2 });
      await nc.request(`$SYS.REQ.ACCOUNT.${expiring.pub}.CLAIMS.UPDATE`, jwt, { timeout: 2000 });
      await nc.close();
      const closed = await c.closedWithin(6000);
      const rest = await transcript(c, 50);
      return [String(closed), ...rest];
    });
    expect(t).toEqual(['true', "-ERR 'Account Authentication Expired'", '<closed>']);
  }, 15_000);

  it('a JWT that expires while connected: User Authentication Expired and a close', async () => {
    const t = await both(async (port) => {
      const u = await Operator.user(acc.A!, {}, { exp: now() + 2 });
      const { c } = await connectJwt(port, u.jwt, u.kp);
      await c.expect('PONG\r\n');
      const closed = await c.closedWithin(5000);
      const rest = await transcript(c, 50);
      return [String(closed), ...rest];
    });
    expect(t).toEqual(['true', "-ERR 'User Authentication Expired'", '<closed>']);
  }, 15_000);
});

describe('the official client (tsnats)', () => {
  it('jwtAuthenticator, credsAuthenticator and a bearer JWT connect and exchange messages', async () => {
    const port = servers.tsnats.port;
    const u = await Operator.user(acc.A!);
    const bearer = await Operator.user(acc.A!, { bearer_token: true });
    const a = await connect({ port, authenticator: jwtAuthenticator(u.jwt, u.kp.getSeed()) });
    const b = await connect({ port, authenticator: credsAuthenticator(fmtCreds(u.jwt, u.kp)) });
    const c = await connect({ port, authenticator: jwtAuthenticator(bearer.jwt) });
    try {
      const sub = a.subscribe('greet', { max: 2 });
      await a.flush();
      b.publish('greet', 'from creds');
      c.publish('greet', 'from bearer');
      const got: string[] = [];
      for await (const m of sub) got.push(m.string());
      expect(got.sort()).toEqual(['from bearer', 'from creds']);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it('a user of another account does not see the messages (accounts are subject spaces)', async () => {
    const port = servers.tsnats.port;
    const u = await Operator.user(acc.A!);
    const v = await Operator.user(acc.Signing!, {}, { signer: signingKey });
    const a = await connect({ port, authenticator: jwtAuthenticator(u.jwt, u.kp.getSeed()) });
    const b = await connect({ port, authenticator: jwtAuthenticator(v.jwt, v.kp.getSeed()) });
    try {
      const sub = b.subscribe('greet');
      await b.flush();
      a.publish('greet', 'hi');
      await a.flush();
      await new Promise((r) => setTimeout(r, 100));
      expect(sub.getProcessed()).toBe(0);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('a refused user gets the server\'s Authorization Violation', async () => {
    const u = await Operator.user(acc.A!, {}, { exp: now() - 5 });
    await expect(connect({ port: servers.tsnats.port, authenticator: jwtAuthenticator(u.jwt, u.kp.getSeed()), reconnect: false })).rejects.toThrow(
      /Authorization Violation/i,
    );
  });
});

/** The log lines of the clients (and account fetches) a scenario made, with what varies masked. */
async function logLines(k: Kind, s: Scenario): Promise<string[]> {
  await s(servers[k].port);
  await new Promise((r) => setTimeout(r, 200));
  // The scenario's connection is the last one created (output() keeps only the last 64 KiB, so
  // lines are found by the connection's cid, not by an offset).
  const lines = servers[k].output().split('\n');
  let at = lines.length - 1;
  while (at > 0 && !lines[at]!.includes('Client connection created')) at--;
  const who = / (\S+ - cid:\d+) - /.exec(lines[at] ?? '')?.[1] ?? '?';
  return lines
    .slice(at)
    .filter((l) => l.includes(` ${who} - `) || l.includes('Account fetch failed'))
    .map((l) => l.replace(/^\[\d+\] \S+ \S+ /, '').replace(who, 'C'));
}

describe('log lines (both servers, -D)', () => {
  it.each<[string, () => Scenario]>([
    ['no JWT', () => user(async () => ({ kp: createUser(), jwt: '' }))],
    ['an expired user JWT', () => user(() => Operator.user(acc.A!, {}, { exp: now() - 5 }))],
    ['an unknown account', () => user(() => Operator.user({ kp: createAccount(), pub: '', jwt: '' } as Acct))],
    ['an unknown issuer', () => user(() => Operator.user(acc.A!, {}, { signer: createAccount() }))],
    ['a refused bearer', () => user(() => Operator.user(acc.NoBearer!, { bearer_token: true }), { bearer: true })],
    ['no signature', () => user(() => Operator.user(acc.A!), { bearer: true })],
    ['a bad signature', () => user(() => Operator.user(acc.A!), { sig: (n) => Buffer.from(createUser().sign(Buffer.from(n))).toString('base64url') })],
    ['a revoked user', () => user(() => Operator.user(acc.Revoking!, {}, { kp: revokedUser }))],
    ['a bad source network', () => user(() => Operator.user(acc.A!, { src: ['10.0.0.0/8'] }))],
    ['outside the connect times', () => user(() => Operator.user(acc.A!, { times: [{ start: '00:00:00', end: '00:00:01' }] }))],
    ['the account connection limit', () => user(() => Operator.user(acc.NoLimitsLog!))],
  ])('%s', async (_name, make) => {
    const s = make();
    const [t, n] = await Promise.all([logLines('tsnats', s), logLines('nats-server', s)]);
    // the same lines; their order is not compared: nats-server writes some of them from other
    // goroutines (the close after the account limit's -ERR), so its own order varies under load
    expect([...t].sort()).toEqual([...n].sort());
    expect(t.length).toBeGreaterThan(2);
  });
});

describe('MEMORY resolver: account JWT updates from the system account (both servers)', () => {
  it('apply to an account in use, with nats-server\'s replies; others are skipped', async () => {
    const mem = acc.Mem!;
    // An account no client has used (not even in the resolver).
    const unknown = createAccount();
    const unknownJwt = await encodeAccount('X', unknown, {}, { signer: op.kp });
    const got = await Promise.all(
      (['tsnats', 'nats-server'] as Kind[]).map(async (k) => {
        const port = servers[k].port;
        const u = await Operator.user(mem);
        const { c } = await connectJwt(port, u.jwt, u.kp);
        await c.expect('PONG\r\n');
        const s = await Operator.user({ kp: op.sys, pub: op.sys.getPublicKey(), jwt: '' });
        const nc = await connect({ port, authenticator: jwtAuthenticator(s.jwt, s.kp.getSeed()), reconnect: false });
        const ask = async (subject: string, body: string): Promise<unknown> => {
          const r = JSON.parse((await nc.request(subject, body, { timeout: 2000 })).string()) as { server: unknown };
          return { ...r, server: typeof r.server };
        };
        const revoking = await encodeAccount('Mem', mem.kp, { limits: { conn: -1, subs: -1, payload: -1, data: -1 }, revocations: { [u.kp.getPublicKey()]: now() } }, { signer: op.kp });
        const replies = [
          await ask(`$SYS.REQ.ACCOUNT.${mem.pub}.CLAIMS.UPDATE`, ''),
          await ask(`$SYS.REQ.ACCOUNT.${mem.pub}.CLAIMS.UPDATE`, 'nope'),
          await ask(`$SYS.REQ.ACCOUNT.${mem.pub}.CLAIMS.UPDATE`, acc.A!.jwt),
          await ask(`$SYS.REQ.ACCOUNT.${unknown.getPublicKey()}.CLAIMS.UPDATE`, unknownJwt),
          await ask(`$SYS.ACCOUNT.${mem.pub}.CLAIMS.UPDATE`, revoking),
        ];
        await nc.close();
        await c.closedWithin(3000);
        const t = await transcript(c, 50);
        return { replies, revoked: t };
      }),
    );
    expect(got[0]).toEqual(got[1]);
    const err = (account: string, description: string): unknown => ({ error: { account, code: 500, description }, server: 'object' });
    expect(got[0]).toEqual({
      replies: [
        err(mem.pub, 'jwt update error - request body is empty'),
        err(mem.pub, 'jwt update resulted in error - expected 3 chunks'),
        err(mem.pub, 'jwt update resulted in error - subject does not match jwt content'),
        { data: { account: unknown.getPublicKey(), code: 200, message: 'jwt update skipped' }, server: 'object' },
        { data: { account: mem.pub, code: 200, message: 'jwt updated' }, server: 'object' },
      ],
      revoked: ["-ERR 'User Authentication Revoked'", '<closed>'],
    });
  });
});

describe('run-time account updates (MEMORY, both servers)', () => {
  it('a signing key removed from the account closes the users it signed, without a word', async () => {
    const s2 = acc.Signing2!;
    const got = await Promise.all(
      (['tsnats', 'nats-server'] as Kind[]).map(async (k) => {
        const port = servers[k].port;
        const bySigner = await Operator.user(s2, {}, { signer: signingKey });
        const byAccount = await Operator.user(s2);
        const x = await connectJwt(port, bySigner.jwt, bySigner.kp);
        const y = await connectJwt(port, byAccount.jwt, byAccount.kp);
        await Promise.all([x.c.expect('PONG\r\n'), y.c.expect('PONG\r\n')]);
        const s = await Operator.user({ kp: op.sys, pub: op.sys.getPublicKey(), jwt: '' });
        const nc = await connect({ port, authenticator: jwtAuthenticator(s.jwt, s.kp.getSeed()), reconnect: false });
        const jwt = await encodeAccount('Signing2', s2.kp, { limits: { conn: -1, subs: -1, payload: -1, data: -1 } }, { signer: op.kp });
        await nc.request(`$SYS.REQ.ACCOUNT.${s2.pub}.CLAIMS.UPDATE`, jwt, { timeout: 2000 });
        await nc.close();
        await x.c.closedWithin(3000);
        const tx = await transcript(x.c, 50);
        y.c.send('PING\r\n');
        const ty = await transcript(y.c);
        await Promise.all([x.c.close(), y.c.close()]);
        return { signed: tx, account: ty };
      }),
    );
    expect(got[0]).toEqual(got[1]);
    expect(got[0]).toEqual({ signed: ['<closed>'], account: ['PONG'] });
  });
});
