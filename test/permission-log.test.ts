// Permission violations are logged as nats-server logs them (its pubPermissionViolation,
// subPermissionViolation, replySubjectViolation and maxTokensViolation): an [ERR] line naming
// the user and the subject, beside the -ERR the client gets. Found by nats.go's TestPermViolation
// run against both servers (test/nats-go/suite.mjs --files core): nats-server logged both
// violations, tsnats neither. The official client makes every violation; the [ERR] lines of
// tsnats and nats-server must be the same.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServer, type ServerKind, type SpawnedServer } from './helpers/index.js';

const CONF = `
max_sub_tokens: 4
authorization {
  users: [
    { user: ivan, password: pwd, permissions: { publish: { allow: ["Foo"] }, subscribe: { allow: ["Bar", "a.>"] } } }
    { user: ann, password: pwd }
  ]
}
`;

const servers: SpawnedServer[] = [];
const conns: NatsConnection[] = [];
afterAll(async () => {
  await Promise.all(conns.splice(0).map((nc) => nc.close()));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

/** The [ERR] lines, without the time, the client's address and id, and nats-server's client tag. */
function errLines(out: string): string[] {
  return out
    .split('\n')
    .map((l) => /\[ERR\] \S+ - cid:\d+ - (?:"[^"]*" - )?(.*)$/.exec(l)?.[1])
    .filter((l): l is string => l !== undefined);
}

async function violations(kind: ServerKind): Promise<string[]> {
  const s = await spawnServer(kind, { config: CONF });
  servers.push(s);
  const errors: string[] = [];
  const ivan = await connect({ port: s.port, user: 'ivan', pass: 'pwd' });
  conns.push(ivan);
  void (async () => {
    for await (const st of ivan.status()) if (st.type === 'error') errors.push(String(st.error));
  })();
  ivan.publish('Bar');
  ivan.subscribe('Foo');
  ivan.subscribe('Foo', { queue: 'q' });
  ivan.subscribe('a.b.c.d.e');
  ivan.publish('Foo', '', { reply: '_R_.x' });
  await ivan.flush();
  const ann = await connect({ port: s.port, user: 'ann', pass: 'pwd' });
  conns.push(ann);
  ann.publish('_GR_.x.y');
  await ann.flush();
  await ann.close();
  await ivan.close();
  // the log lines are written as the ops are processed; give the pipe a moment
  const deadline = Date.now() + 5000;
  while (errLines(s.output()).length < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return errLines(s.output());
}

describe('permission violations', () => {
  it('are logged as nats-server logs them', async () => {
    const ts = await violations('tsnats');
    expect(ts).toEqual([
      'Publish Violation - User "ivan", Subject "Bar"',
      'Subscription Violation - User "ivan", Subject "Foo", SID 1',
      'Subscription Violation - User "ivan", Subject "Foo", Queue: "q", SID 2',
      'Subscription Violation Too Many Tokens - User "ivan", Subject "a.b.c.d.e", SID 3',
      'Publish Violation - User "ivan", Reply "_R_.x"',
      'Publish Violation - User "ann", Subject "_GR_.x.y"',
    ]);
    expect(ts).toEqual(await violations('nats-server'));
  }, 30_000);
});

describe('a reload that takes a subscribe permission away', () => {
  /** The [INF] "Removed sub" lines. */
  const removed = (out: string): string[] =>
    out
      .split('\n')
      .map((l) => /\[INF\] (Removed sub .*)$/.exec(l)?.[1])
      .filter((l): l is string => l !== undefined);

  async function reload(kind: ServerKind): Promise<string[]> {
    const dir = mkdtempSync(join(tmpdir(), 'tsnats-perm-reload-'));
    const file = join(dir, 'server.conf');
    const conf = (sub: string): string =>
      `authorization { users: [ { user: ivan, password: pwd, permissions: { subscribe: { allow: [${sub}] } } } ] }\n`;
    writeFileSync(file, conf('"Bar", "Baz"'));
    try {
      const s = await spawnServer(kind, { args: ['-c', file] });
      servers.push(s);
      const nc = await connect({ port: s.port, user: 'ivan', pass: 'pwd' });
      conns.push(nc);
      nc.subscribe('Baz');
      nc.subscribe('Bar');
      await nc.flush();
      writeFileSync(file, conf('"Baz"'));
      s.proc.kill('SIGHUP');
      const deadline = Date.now() + 5000;
      while (removed(s.output()).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await nc.close();
      return removed(s.output());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('logs each subscription it removes, as nats-server does', async () => {
    const ts = await reload('tsnats');
    expect(ts).toEqual(['Removed sub "Bar" (sid "2") for User "ivan" - not authorized']);
    expect(ts).toEqual(await reload('nats-server'));
  }, 30_000);
});
