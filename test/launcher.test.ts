// tsnats on PATH as `nats-server`, started the way the official clients' test launchers start a
// server (nats.js/nats.deno's NatsServer.start, in particular): write a generated config with
// `ports_file_dir`, random ports and blocks for subsystems the test may not use, run
// `nats-server -c generated.conf`, wait for `<dir>/nats-server_<pid>.ports`, connect to the
// URL it lists, check the monitoring URL, then stop the server with a signal.

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { type Child, killAllChildren, run, tempDir, waitForFile, wrapperDir } from './helpers/child-server.js';

let bin: string;
let root: string;
beforeAll(() => {
  bin = wrapperDir('nats-server');
  root = tempDir('tsnats-launcher-');
});
afterAll(() => {
  killAllChildren();
  rmSync(bin, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});

interface Ports {
  nats: string[];
  monitoring?: string[];
  leafnode?: string[];
}

/** What the launcher does: generated config, `nats-server -c`, wait for the ports file. */
async function launch(name: string, extra = ''): Promise<{ srv: Child; ports: Ports; dir: string }> {
  const dir = join(root, name);
  mkdirSync(dir);
  const conf = join(dir, 'generated.conf');
  writeFileSync(
    conf,
    [
      'host: 127.0.0.1',
      'port: -1',
      'http: 127.0.0.1:-1',
      `ports_file_dir: ${dir}`,
      'leafnodes {',
      '  listen: 127.0.0.1:-1',
      '}',
      'server_tags: [',
      '  "id:launcher-test"',
      ']',
      'jetstream {',
      `  store_dir: ${join(dir, 'js')}`,
      '}',
      extra,
    ].join('\n'),
  );
  // As the launchers do: by name, found on PATH.
  const srv = run('nats-server', ['-c', conf], { env: { PATH: `${bin}:${process.env.PATH}` }, cwd: dir });
  const text = await waitForFile(join(dir, `nats-server_${srv.pid}.ports`), 10_000);
  return { srv, ports: JSON.parse(text) as Ports, dir };
}

describe('a client test launcher starting `nats-server`', () => {
  it('finds tsnats, reads the ports file, connects, monitors, and stops it', async () => {
    const { srv, ports, dir } = await launch('basic', 'authorization { users: [ { user: "derek", password: "foobar" } ] }');
    expect(srv.err).toMatch(/\[INF\] Starting JetStream/);
    expect(ports.nats).toHaveLength(1);
    expect(ports.monitoring).toHaveLength(1);
    expect(ports.leafnode?.[0]).toMatch(/^nats-leaf:\/\/127\.0\.0\.1:\d+$/);

    const nc = await connect({ servers: ports.nats[0], user: 'derek', pass: 'foobar' });
    const sub = nc.subscribe('launcher.>', { max: 1 });
    const got = (async () => {
      for await (const m of sub) return m.string();
      return '';
    })();
    nc.publish('launcher.hello', 'world');
    expect(await got).toBe('world');
    expect(nc.info?.version).toBe('2.9.10');

    const varz = (await (await fetch(`${ports.monitoring![0]}/varz`)).json()) as { port: number; connections: number };
    expect(ports.nats[0]).toBe(`nats://127.0.0.1:${varz.port}`);
    expect(varz.connections).toBe(1);
    const healthz = (await (await fetch(`${ports.monitoring![0]}/healthz`)).json()) as { status: string };
    expect(healthz.status).toBe('ok');

    // Launchers stop servers with a signal, then expect the process and its ports file gone.
    const closed = nc.closed();
    srv.kill('SIGTERM');
    await srv.waitExit();
    await nc.close();
    await closed;
    await expect(waitForFile(join(dir, `nats-server_${srv.pid}.ports`), 100)).rejects.toThrow();
  });

  it('lame duck via SIGUSR2: the official client is told (ldm) and the server exits 0', async () => {
    const { srv, ports } = await launch('ldm', 'lame_duck_duration: "30s"\nlame_duck_grace_period: "200ms"');
    const nc = await connect({ servers: ports.nats[0], maxReconnectAttempts: 0 });
    await nc.flush();
    const events: string[] = [];
    void (async () => {
      for await (const s of nc.status()) events.push(s.type);
    })();
    srv.kill('SIGUSR2');
    expect(await srv.waitExit()).toEqual({ code: 0, signal: null });
    expect(events).toContain('ldm');
    await nc.close();
  });
});

