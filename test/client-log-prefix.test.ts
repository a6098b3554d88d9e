// After its CONNECT, a client's log lines carry what it said it is, as nats-server's do (its
// processConnect stores `<ip>:<port> - cid:<n> - "v<version>:<lang>:<name>"`, each part only
// when sent). Found in the server logs of nats.go's core tests run against both servers
// (test/nats-go/suite.mjs --files core): nats-server logged `... - cid:5 - "v1.22.1:go" -
// authentication error`, tsnats `... - cid:5 - authentication error`. Each CONNECT here fails
// authentication, so each logs one [ERR] line; tsnats' lines must be nats-server's.
import { afterAll, describe, expect, it } from 'vitest';
import { RawClient, spawnServer, type ServerKind, type SpawnedServer } from './helpers/index.js';

const CONNECTS: Record<string, unknown>[] = [
  {},
  { version: '1.22.1', lang: 'go' },
  { version: '1.22.1', lang: 'go', name: 'svc "a"' },
  { lang: 'go', name: 'svc' },
  { name: 'only-name' },
  { version: '2.0' },
  { version: '2.0', name: 'n' },
];

const servers: SpawnedServer[] = [];
afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

/** Each CONNECT's [ERR] line, without the time and the client's port and id. */
async function authErrors(kind: ServerKind): Promise<string[]> {
  const s = await spawnServer(kind, { config: 'authorization { user: u, password: p }\n' });
  servers.push(s);
  for (const fields of CONNECTS) {
    const c = await RawClient.connect(s.port);
    await c.expect(/^INFO .*\r\n/);
    c.send(`CONNECT ${JSON.stringify({ verbose: false, user: 'u', pass: 'wrong', ...fields })}\r\nPING\r\n`);
    await c.expect(/-ERR 'Authorization Violation'\r\n/);
    await c.close();
  }
  const lines = (): string[] =>
    s
      .output()
      .split('\n')
      .map((l) => /\[ERR\] 127\.0\.0\.1:\d+ - cid:\d+( - .*)$/.exec(l)?.[1])
      .filter((l): l is string => l !== undefined);
  const deadline = Date.now() + 5000;
  while (lines().length < CONNECTS.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return lines();
}

describe("a client's log prefix", () => {
  it('names its version, lang and name after CONNECT, as nats-server does', async () => {
    const ts = await authErrors('tsnats');
    expect(ts).toEqual([
      ' - authentication error',
      ' - "v1.22.1:go" - authentication error',
      ' - "v1.22.1:go:svc \\"a\\"" - authentication error',
      ' - "go:svc" - authentication error',
      ' - "only-name" - authentication error',
      ' - "v2.0" - authentication error',
      ' - "v2.0:n" - authentication error',
    ]);
    expect(ts).toEqual(await authErrors('nats-server'));
  }, 30_000);
});
