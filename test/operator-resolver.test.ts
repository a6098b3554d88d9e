// The full resolver (`resolver { type: full, dir }`): account JWTs stored as <dir>/<key>.jwt,
// updates published by a system account user on $SYS.REQ.CLAIMS.UPDATE and
// $SYS.REQ.ACCOUNT.<acc>.CLAIMS.UPDATE with nats-server's reply JSON, applied at once (a new
// account, a revocation, a lowered connection limit), against tsnats and nats-server 2.9.10.

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { encodeAccount } from '@nats-io/jwt';
import { createAccount } from '@nats-io/nkeys';
import { connect, jwtAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from './helpers/index.js';
import { type Acct, connectJwt, Operator, transcript } from './helpers/operator.js';

type Kind = 'tsnats' | 'nats-server';
const KINDS: Kind[] = ['tsnats', 'nats-server'];
const limits = { conn: -1, subs: -1, payload: -1, data: -1, imports: -1, exports: -1, wildcards: true };

const op = new Operator();
let a: Acct;
const servers = {} as Record<Kind, SpawnedServer>;
const dirs = {} as Record<Kind, string>;

beforeAll(async () => {
  await op.init();
  a = await op.account('A', { limits });
  for (const k of KINDS) {
    dirs[k] = path.join(op.dir, `jwt-${k}`);
    mkdirSync(dirs[k]);
    // The account is stored; the system account is not (the server bootstraps it).
    writeFileSync(path.join(dirs[k], `${a.pub}.jwt`), a.jwt);
  }
  await Promise.all(
    KINDS.map(async (k) => {
      const config = `operator: "${op.file}"\nsystem_account: ${op.sys.getPublicKey()}\nresolver { type: full, dir: "${dirs[k]}" }\n`;
      servers[k] = await spawnServer(k, { config });
    }),
  );
});

afterAll(async () => {
  await Promise.all(Object.values(servers).map((s) => s.stop()));
  rmSync(op.dir, { recursive: true, force: true });
});

async function sysUser(port: number): Promise<NatsConnection> {
  const sys: Acct = { kp: op.sys, pub: op.sys.getPublicKey(), jwt: '' };
  const u = await Operator.user(sys);
  return connect({ port, authenticator: jwtAuthenticator(u.jwt, u.kp.getSeed()), reconnect: false });
}

/** A reply with its `server` object reduced to the fields that do not vary. */
function reduced(text: string): unknown {
  const j = JSON.parse(text) as { server: Record<string, unknown> };
  const { server, ...rest } = j;
  return { ...rest, server: Object.keys(server) };
}

async function update(nc: NatsConnection, subject: string, jwt: string): Promise<unknown> {
  const r = await nc.request(subject, jwt, { timeout: 2000 });
  return reduced(r.string());
}

describe('the full resolver (both servers)', () => {
  it('answers update requests with nats-server\'s JSON, storing <dir>/<key>.jwt', async () => {
    const b = createAccount();
    const bJwt = await encodeAccount('B', b, { limits }, { signer: op.kp });
    const other = createAccount();
    const tooMany = await encodeAccount('C', other, { limits: { conn: -1 }, imports: [{ name: 'x', type: 'stream', account: a.pub, subject: 'x' }] }, { signer: op.kp });
    const got = await Promise.all(
      KINDS.map(async (k) => {
        const nc = await sysUser(servers[k].port);
        try {
          return [
            await update(nc, '$SYS.REQ.CLAIMS.UPDATE', bJwt),
            await update(nc, `$SYS.REQ.ACCOUNT.${b.getPublicKey()}.CLAIMS.UPDATE`, bJwt),
            await update(nc, '$SYS.REQ.CLAIMS.UPDATE', 'not a jwt'),
            await update(nc, `$SYS.REQ.ACCOUNT.${a.pub}.CLAIMS.UPDATE`, bJwt),
            await update(nc, '$SYS.REQ.CLAIMS.UPDATE', tooMany),
          ];
        } finally {
          await nc.close();
        }
      }),
    );
    expect(got[0]).toEqual(got[1]);
    const server = ['name', 'host', 'id', 'ver', 'seq', 'jetstream', 'time'];
    expect(got[0]).toEqual([
      { data: { account: b.getPublicKey(), code: 200, message: 'jwt updated' }, server },
      { data: { account: b.getPublicKey(), code: 200, message: 'jwt updated' }, server },
      { error: { account: 'n/a', code: 500, description: 'jwt update resulted in error - expected 3 chunks' }, server },
      { error: { account: a.pub, code: 500, description: 'jwt update resulted in error - subject does not match jwt content' }, server },
      {
        error: {
          account: other.getPublicKey(),
          code: 500,
          // nats-server's jwt library reports this one twice.
          description:
            'jwt validation failed - validation errors: [the account contains more imports than allowed by the operator the account contains more imports than allowed by the operator]',
        },
        server,
      },
    ]);
    for (const k of KINDS) {
      expect(readFileSync(path.join(dirs[k], `${b.getPublicKey()}.jwt`), 'utf8')).toBe(bJwt);
      expect(existsSync(path.join(dirs[k], `${other.getPublicKey()}.jwt`))).toBe(false);
    }
    // The new account takes users without a restart.
    for (const k of KINDS) {
      const u = await Operator.user({ kp: b, pub: b.getPublicKey(), jwt: bJwt });
      const { c } = await connectJwt(servers[k].port, u.jwt, u.kp);
      expect(await transcript(c)).toEqual(['PONG']);
      await c.close();
    }
  });

  it('a revocation pushed at run time closes the revoked user with User Authentication Revoked', async () => {
    const kept = await Operator.user(a);
    const gone = await Operator.user(a);
    const got = await Promise.all(
      KINDS.map(async (k) => {
        const port = servers[k].port;
        const x = await connectJwt(port, kept.jwt, kept.kp);
        const y = await connectJwt(port, gone.jwt, gone.kp);
        await Promise.all([x.c.expect('PONG\r\n'), y.c.expect('PONG\r\n')]);
        const updated = await encodeAccount('A', a.kp, { limits, revocations: { [gone.kp.getPublicKey()]: Math.floor(Date.now() / 1000) } }, { signer: op.kp });
        const nc = await sysUser(port);
        const reply = await update(nc, `$SYS.REQ.ACCOUNT.${a.pub}.CLAIMS.UPDATE`, updated);
        await nc.close();
        const closed = await y.c.closedWithin(3000);
        const ty = await transcript(y.c, 50);
        x.c.send('PING\r\n');
        const tx = await transcript(x.c);
        await Promise.all([x.c.close(), y.c.close()]);
        return { reply: (reply as { data?: unknown }).data, closed, revoked: ty, kept: tx };
      }),
    );
    expect(got[0]).toEqual(got[1]);
    expect(got[0]).toEqual({
      reply: { account: a.pub, code: 200, message: 'jwt updated' },
      closed: true,
      revoked: ["-ERR 'User Authentication Revoked'", '<closed>'],
      kept: ['PONG'],
    });
    // The revoked user cannot come back.
    const again = await Promise.all(
      KINDS.map(async (k) => {
        const { c } = await connectJwt(servers[k].port, gone.jwt, gone.kp);
        const t = await transcript(c);
        await c.close();
        return t;
      }),
    );
    expect(again).toEqual([
      ["-ERR 'Authorization Violation'", '<closed>'],
      ["-ERR 'Authorization Violation'", '<closed>'],
    ]);
  });

  it('a connection limit lowered at run time closes the oldest connections over it', async () => {
    const u = await Operator.user(a);
    const got = await Promise.all(
      KINDS.map(async (k) => {
        const port = servers[k].port;
        const first = await connectJwt(port, u.jwt, u.kp);
        await first.c.expect('PONG\r\n');
        await new Promise((r) => setTimeout(r, 20));
        const second = await connectJwt(port, u.jwt, u.kp);
        await second.c.expect('PONG\r\n');
        const lowered = await encodeAccount('A', a.kp, { limits: { ...limits, conn: 1 } }, { signer: op.kp });
        const nc = await sysUser(port);
        await update(nc, `$SYS.REQ.ACCOUNT.${a.pub}.CLAIMS.UPDATE`, lowered);
        await nc.close();
        await Promise.race([first.c.closed(), second.c.closed(), new Promise((r) => setTimeout(r, 3000))]);
        const t1 = await transcript(first.c, 100);
        const t2 = await transcript(second.c, 100);
        await Promise.all([first.c.close(), second.c.close()]);
        // Unlimited again for the other tests.
        const back = await sysUser(port);
        await update(back, `$SYS.REQ.ACCOUNT.${a.pub}.CLAIMS.UPDATE`, await encodeAccount('A', a.kp, { limits }, { signer: op.kp }));
        await back.close();
        return { first: t1, second: t2 };
      }),
    );
    expect(got[0]).toEqual(got[1]);
    // nats-server keeps the newest connections.
    expect(got[0]).toEqual({ first: ["-ERR 'maximum account active connections exceeded'", '<closed>'], second: [] });
  });

  it('answers lookups with the stored JWT and lists the stored accounts', async () => {
    const got = await Promise.all(
      KINDS.map(async (k) => {
        const nc = await sysUser(servers[k].port);
        try {
          const jwt = (await nc.request(`$SYS.REQ.ACCOUNT.${a.pub}.CLAIMS.LOOKUP`, '', { timeout: 2000 })).string();
          const list = JSON.parse((await nc.request('$SYS.REQ.CLAIMS.LIST', '', { timeout: 2000 })).string()) as { data: string[]; server: object };
          let missing: string;
          try {
            await nc.request(`$SYS.REQ.ACCOUNT.${createAccount().getPublicKey()}.CLAIMS.LOOKUP`, '', { timeout: 300 });
            missing = 'answered';
          } catch (e) {
            missing = (e as Error).message;
          }
          return { jwt: jwt === readFileSync(path.join(dirs[k], `${a.pub}.jwt`), 'utf8'), data: list.data, server: Object.keys(list.server), missing };
        } finally {
          await nc.close();
        }
      }),
    );
    expect(got[0]).toEqual(got[1]);
    expect(got[0]!.jwt).toBe(true);
    // The accounts stored by the tests above, in lexical order.
    expect(got[0]!.data).toEqual([...got[0]!.data].sort());
    expect(got[0]!.data).toContain(a.pub);
    expect(got[0]!.missing).toMatch(/timeout|TIMEOUT|no responders/i);
  });
});
