// Authentication methods end to end: the official client and raw bytes against tsnats.
import { connect, nkeyAuthenticator } from '@nats-io/transport-node';
import { createUser } from '@nats-io/nkeys';
import { afterEach, describe, expect, it } from 'vitest';
import { type ServerHandle, startServer, type StartOptions } from '../src/index.js';
import { RawClient } from './helpers/raw-client.js';

const started: ServerHandle[] = [];
const raws: RawClient[] = [];
afterEach(async () => {
  await Promise.all(raws.splice(0).map((c) => c.close()));
  await Promise.all(started.splice(0).map((s) => s.shutdown()));
});

async function server(opts: StartOptions): Promise<ServerHandle> {
  const s = await startServer({ host: '127.0.0.1', port: -1, ...opts });
  started.push(s);
  return s;
}

async function raw(port: number): Promise<{ c: RawClient; info: Record<string, unknown> }> {
  const c = await RawClient.connect(port);
  raws.push(c);
  const line = await c.expect(/^INFO \{.*\} \r\n/);
  return { c, info: JSON.parse(line.slice(5, -3)) as Record<string, unknown> };
}

describe('nkey users', () => {
  const kp = createUser();
  const nkeys = [{ nkey: kp.getPublicKey(), permissions: null, account: '', allowedConnectionTypes: null }];

  it('send a nonce in INFO and accept a CONNECT signed with the user key', async () => {
    const s = await server({ nkeys });
    const { c, info } = await raw(s.port);
    expect(info.auth_required).toBe(true);
    expect(info.nonce).toMatch(/^[A-Za-z0-9_-]{15}$/);
    const sig = Buffer.from(kp.sign(Buffer.from(info.nonce as string))).toString('base64url');
    c.send(`CONNECT {"verbose":false,"nkey":"${kp.getPublicKey()}","sig":"${sig}"}\r\nPING\r\n`);
    expect(await c.expect('PONG\r\n')).toBe('PONG\r\n');
  });

  it('refuse a signature over another nonce, or an unknown key', async () => {
    const s = await server({ nkeys });
    const { c } = await raw(s.port);
    const sig = Buffer.from(kp.sign(Buffer.from('not-the-nonce'))).toString('base64url');
    c.send(`CONNECT {"nkey":"${kp.getPublicKey()}","sig":"${sig}"}\r\n`);
    await c.expect("-ERR 'Authorization Violation'\r\n");
    await c.closed();
    const other = createUser();
    const { c: c2, info } = await raw(s.port);
    const sig2 = Buffer.from(other.sign(Buffer.from(info.nonce as string))).toString('base64url');
    c2.send(`CONNECT {"nkey":"${other.getPublicKey()}","sig":"${sig2}"}\r\n`);
    await c2.expect("-ERR 'Authorization Violation'\r\n");
  });

  it('work with the official client', async () => {
    const s = await server({ nkeys });
    const nc = await connect({ port: s.port, authenticator: nkeyAuthenticator(kp.getSeed()) });
    const sub = nc.subscribe('n.k', { max: 1 });
    nc.publish('n.k', 'hi');
    for await (const m of sub) expect(m.string()).toBe('hi');
    await nc.close();
  });
});

describe('token, user/password and users list', () => {
  it('official client with a token', async () => {
    const s = await server({ authorization: 's3cr3t' });
    const nc = await connect({ port: s.port, token: 's3cr3t' });
    await nc.flush();
    await nc.close();
    await expect(connect({ port: s.port, token: 'wrong', reconnect: false })).rejects.toThrow();
  });

  it('official client with user and password, bcrypt in the users list', async () => {
    // bcrypt of "pw" (cost 4, generated for this test)
    const bcrypt = (await import('bcryptjs')).default;
    const hash = bcrypt.hashSync('pw', 4);
    const s = await server({
      users: [{ user: 'bob', password: hash, permissions: null, account: '', allowedConnectionTypes: null }],
    });
    const nc = await connect({ port: s.port, user: 'bob', pass: 'pw' });
    await nc.flush();
    await nc.close();
    await expect(connect({ port: s.port, user: 'bob', pass: 'nope', reconnect: false })).rejects.toThrow();
  });
});

describe('startServer({ authenticate }): the embedder decides', () => {
  it('sees the CONNECT and the address; ops sent behind the CONNECT wait for the decision', async () => {
    const seen: Array<{ user: string; pass: string; ip: string }> = [];
    const s = await server({
      authenticate: async (req) => {
        seen.push({ user: req.connect.user, pass: req.connect.pass, ip: req.remoteAddress });
        await new Promise((r) => setTimeout(r, 50));
        return req.connect.pass === 'good' ? { allow: true } : { allow: false };
      },
    });
    const { c, info } = await raw(s.port);
    expect(info.auth_required).toBe(true);
    c.send('CONNECT {"verbose":false,"user":"app","pass":"good"}\r\nSUB a 1\r\nPUB a 2\r\nhi\r\nPING\r\n');
    expect(await c.expect('PONG\r\n')).toBe('MSG a 1 2\r\nhi\r\nPONG\r\n');
    expect(seen).toEqual([{ user: 'app', pass: 'good', ip: '127.0.0.1' }]);
    const { c: bad } = await raw(s.port);
    bad.send('CONNECT {"user":"app","pass":"bad"}\r\nPING\r\n');
    await bad.expect("-ERR 'Authorization Violation'\r\n");
    await bad.closed();
    expect(bad.unread().toString()).toBe('');
  });

  it('applies the permissions it returns, and a throw is a deny', async () => {
    const s = await server({
      authenticate: (req) => {
        if (req.connect.user === 'boom') throw new Error('backend down');
        return { allow: true, permissions: { publish: { allow: ['ok.>'], deny: null }, subscribe: null, response: null } };
      },
    });
    const { c } = await raw(s.port);
    c.send('CONNECT {"verbose":false,"user":"u"}\r\nSUB > 1\r\nPUB no.x 1\r\nx\r\nPUB ok.x 1\r\ny\r\nPING\r\n');
    expect(await c.expect('PONG\r\n')).toBe(`-ERR 'Permissions Violation for Publish to "no.x"'\r\nMSG ok.x 1 1\r\ny\r\nPONG\r\n`);
    const { c: boom } = await raw(s.port);
    boom.send('CONNECT {"user":"boom"}\r\n');
    await boom.expect("-ERR 'Authorization Violation'\r\n");
  });

  it('works with the official client', async () => {
    const s = await server({ authenticate: (req) => ({ allow: req.connect.auth_token === 't0k' }) });
    const nc = await connect({ port: s.port, token: 't0k' });
    await nc.flush();
    await nc.close();
    await expect(connect({ port: s.port, token: 'nope', reconnect: false })).rejects.toThrow();
  });
});
