// Start-up: a plain start of the command (dist/cli.cjs) loads none of what it does not use, and a
// config that uses all of it (TLS, bcrypt and nkey users in accounts, monitoring, a cluster)
// still starts and works, loading each piece when it is needed. What a process loaded is read
// from Node's own debug output (NODE_DEBUG=esm,module). The route code and the HTTP monitor are
// inside the bundle, evaluated only when used: they are seen by the built-ins only they load
// (node:dns/promises, node:http). The start-up time itself is measured by bench scenario s, not
// here.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { connect, nkeyAuthenticator } from '@nats-io/transport-node';
import { createUser } from '@nats-io/nkeys';
import bcrypt from 'bcryptjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, REPO_ROOT, TSNATS_CLI } from './helpers/spawn-server.js';

/** The route code and the HTTP monitor, by what only they load (in the bundle or not). */
const CLUSTER = /\/cluster\/cluster\.js$|^node:dns\/promises$/;
const MONITOR = /\/monitor\/monitor\.js$|^node:http$/;
/** /metrics' library: loaded with the monitor, never without it. */
const PROM_CLIENT = /\/node_modules\/prom-client\//;
/** The WebSocket listener, by what only it loads (zlib, for permessage-deflate). */
const WEBSOCKET = /\/websocket\/listener\.js$|^node:zlib$/;
/** The leaf node code, by its module (outside the bundle) or the DNS it resolves remotes with. */
const LEAF = /\/leaf\/leafnodes\.js$|^node:dns\/promises$/;
/** Loaded but unused by a plain start: route code, HTTP monitor, TLS, bcrypt, pgrep. */
const OPTIONAL: Array<[string, RegExp]> = [
  ['cluster', CLUSTER],
  ['monitor', MONITOR],
  ['websocket', WEBSOCKET],
  ['leafnodes', LEAF],
  ['node:tls', /^node:tls$/],
  ['node:child_process', /^node:child_process$/],
  ['bcryptjs', /\/node_modules\/bcryptjs\//],
  ['prom-client', PROM_CLIENT],
  ['nkeys', /\/node_modules\/(@nats-io\/nkeys|tweetnacl)\//],
  ['commander', /\/node_modules\/commander\//],
];

interface Started {
  proc: ChildProcess;
  /** Every module the process loaded so far: file URLs/paths and `node:` built-ins. */
  loaded(): Set<string>;
  output(): string;
}

const procs: ChildProcess[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) p.kill('SIGKILL');
});

/** Spawns dist/cli.cjs with module debugging and resolves at "Server is ready". */
function start(args: string[]): Promise<Started> {
  const proc = spawn(process.execPath, [TSNATS_CLI, ...args], {
    env: { ...process.env, NODE_DEBUG: 'esm,module' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(proc);
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  const loaded = (): Set<string> => {
    const s = new Set<string>();
    for (const m of out.matchAll(/Storing (\S+) \(|load built-in module (\S+)|load "([^"]+)" for module/g)) {
      const name = (m[1] ?? m[2] ?? m[3])!;
      s.add(name.startsWith('node:') || name.includes('/') ? name : `node:${name}`);
    }
    return s;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready within 15 s:\n${out.slice(-2000)}`)), 15_000);
    proc.stderr!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('[INF] Server is ready')) {
        clearTimeout(timer);
        resolve({ proc, loaded, output: () => out });
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before ready:\n${out.slice(-2000)}`));
    });
  });
}

const present = (loaded: Set<string>, re: RegExp): boolean => [...loaded].some((m) => re.test(m));

describe('start-up', () => {
  it("the bundle's V8 code cache, made at build time, is accepted by this Node (so a start skips parsing it)", () => {
    const bundle = join(dirname(TSNATS_CLI), 'tsnats.cjs');
    // the loader (scripts/cli-loader.cjs) compiles exactly this
    const wrapped = Module.wrap(readFileSync(bundle, 'utf8').replace(/^#!.*/, ''));
    const script = new Script(wrapped, { filename: bundle, cachedData: readFileSync(`${bundle}.cache`) });
    expect(script.cachedDataRejected).toBe(false);
  });

  it('the loader runs a bundle that still holds an import() (of a built-in or a package)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsnats-loader-'));
    try {
      writeFileSync(join(dir, 'cli.cjs'), readFileSync(join(REPO_ROOT, 'scripts', 'cli-loader.cjs')));
      writeFileSync(join(dir, 'tsnats.cjs'), "import('node:os').then((os) => console.log('loaded', typeof os.cpus, __filename));\n");
      const out = execFileSync(process.execPath, [join(dir, 'cli.cjs')], { encoding: 'utf8', timeout: 10_000 });
      expect(out.trim()).toBe(`loaded function ${join(dir, 'tsnats.cjs')}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a plain start loads no route code, leaf code, monitor, prom-client, TLS, bcrypt, nkeys, commander, pgrep or DNS', async () => {
    const s = await start(['-a', '127.0.0.1', '-p', '-1']);
    const loaded = s.loaded();
    // The debug output is there: the entry point and the net module were seen.
    expect(present(loaded, /\/dist\/cli\.cjs$/), s.output().slice(0, 2000)).toBe(true);
    expect(present(loaded, /^node:net$/)).toBe(true);
    expect(OPTIONAL.filter(([, re]) => present(loaded, re)).map(([name]) => name)).toEqual([]);
  });

  describe('a config that uses every optional piece', () => {
    let dir = '';
    const f = (name: string): string => join(dir, name);
    const openssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore', timeout: 10_000 });

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'tsnats-startup-'));
      openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('ca-key.pem'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=tsnats startup CA');
      openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('server-key.pem'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1');
      writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
      openssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca-key.pem'), '-CAcreateserial', '-out', f('server.pem'), '-days', '2', '-extfile', f('server.ext'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('starts, and TLS, bcrypt and nkey users, monitoring, the route port, WebSocket and the leafnode port work', async () => {
      const nk = createUser();
      const [port, httpPort, routePort, wsPort, leafPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
      writeFileSync(
        f('all.conf'),
        `listen: 127.0.0.1:${port}
http: 127.0.0.1:${httpPort}
tls { cert_file: "${f('server.pem')}", key_file: "${f('server-key.pem')}" }
cluster { name: C1, listen: 127.0.0.1:${routePort} }
websocket { listen: 127.0.0.1:${wsPort}, no_tls: true, compression: true }
leafnodes { listen: 127.0.0.1:${leafPort} }
accounts {
  A { users: [ { user: bob, password: "${bcrypt.hashSync('pw', 4)}" }, { nkey: ${nk.getPublicKey()} } ] }
}
`,
      );
      const s = await start(['-c', f('all.conf')]);
      // Loaded at start: what the config asks for (bcrypt only at its first CONNECT).
      const atStart = s.loaded();
      for (const re of [CLUSTER, MONITOR, PROM_CLIENT, WEBSOCKET, LEAF, /^node:tls$/]) {
        expect(present(atStart, re), String(re)).toBe(true);
      }
      expect(present(atStart, /\/node_modules\/bcryptjs\//)).toBe(false);

      // bcrypt user over TLS, in account A, with the nkey user of the same account receiving.
      const nc1 = await connect({ servers: `127.0.0.1:${port}`, tls: { caFile: f('ca.pem') }, user: 'bob', pass: 'pw', timeout: 5000 });
      const nc2 = await connect({ servers: `127.0.0.1:${port}`, tls: { caFile: f('ca.pem') }, authenticator: nkeyAuthenticator(nk.getSeed()), timeout: 5000 });
      try {
        const sub = nc2.subscribe('all.x', { max: 1 });
        await nc2.flush();
        nc1.publish('all.x', 'hello');
        for await (const m of sub) expect(m.string()).toBe('hello');
        await expect(connect({ servers: `127.0.0.1:${port}`, tls: { caFile: f('ca.pem') }, user: 'bob', pass: 'bad', timeout: 3000, reconnect: false })).rejects.toThrow();
      } finally {
        await nc1.close();
        await nc2.close();
      }
      expect(present(s.loaded(), /\/node_modules\/bcryptjs\//)).toBe(true);

      // Monitoring answers over HTTP.
      const varz = (await (await fetch(`http://127.0.0.1:${httpPort}/varz`)).json()) as { http_port?: number; cluster?: { name?: string } };
      expect(varz.http_port).toBe(httpPort);
      expect(varz.cluster?.name).toBe('C1');

      // The route port speaks the route protocol: its first line is the route INFO.
      const info = await new Promise<string>((resolve, reject) => {
        const c = net.connect(routePort, '127.0.0.1');
        let data = '';
        c.on('data', (b) => {
          data += b.toString('latin1');
          if (data.includes('\r\n')) {
            c.destroy();
            resolve(data.slice(0, data.indexOf('\r\n')));
          }
        });
        c.on('error', reject);
      });
      expect(info).toMatch(/^INFO \{.*"cluster":"C1"/);
      expect(s.output()).toContain(`Listening for route connections on 127.0.0.1:${routePort}`);

      // The WebSocket port upgrades.
      const upgraded = await new Promise<string>((resolve, reject) => {
        const c = net.connect(wsPort, '127.0.0.1');
        let data = '';
        c.on('data', (b) => {
          data += b.toString('latin1');
          if (data.includes('\r\n\r\n')) {
            c.destroy();
            resolve(data.slice(0, data.indexOf('\r\n')));
          }
        });
        c.on('error', reject);
        c.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: a2V5\r\nSec-WebSocket-Version: 13\r\n\r\n');
      });
      expect(upgraded).toBe('HTTP/1.1 101 Switching Protocols');

      // The leafnode port speaks the leafnode protocol: its first line is the hub's INFO.
      const leafInfo = await new Promise<string>((resolve, reject) => {
        const c = net.connect(leafPort, '127.0.0.1');
        let data = '';
        c.on('data', (b) => {
          data += b.toString('latin1');
          if (data.includes('\r\n')) {
            c.destroy();
            resolve(data.slice(0, data.indexOf('\r\n')));
          }
        });
        c.on('error', reject);
      });
      expect(leafInfo).toMatch(/^INFO \{.*"leafnode_urls":\["127\.0\.0\.1:\d+"\]/);
      expect(s.output()).toContain(`Listening for leafnode connections on 127.0.0.1:${leafPort}`);
      expect(s.output()).toContain(`Listening for websocket clients on ws://127.0.0.1:${wsPort}`);
    });
  });
});
