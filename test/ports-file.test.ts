// The ports file (`<ports_file_dir>/<program>_<pid>.ports`) and the pid file, as nats-server
// writes them: the name through a `nats-server` symlink or wrapper, the server's own pid, the
// JSON (compared with nats-server's for the same listeners), removal on a clean exit, a move on
// reload, and the error text when it cannot be written.

import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectHostPorts,
  formatURLs,
  isGlobalUnicast,
  portsFilePath,
  portsJSON,
  programName,
  resolveHostPorts,
} from '../src/server/ports-file.js';
import {
  killAllChildren,
  logLines,
  natsServer,
  readJSON,
  run,
  tempDir,
  TSNATS_CLI,
  waitForFile,
  wrapperDir,
} from './helpers/child-server.js';

let root: string;
let bin: string;
beforeAll(() => {
  root = tempDir('tsnats-ports-');
  bin = wrapperDir('nats-server');
});
afterAll(() => {
  killAllChildren();
  rmSync(root, { recursive: true, force: true });
  rmSync(bin, { recursive: true, force: true });
});

interface Ports {
  nats?: string[];
  monitoring?: string[];
}

describe('ports file contents', () => {
  it('is named <program>_<pid>.ports', () => {
    expect(portsFilePath('/d', 'nats-server', 42)).toBe('/d/nats-server_42.ports');
    expect(portsFilePath('', 'nats-server', 42)).toBe('');
    const saved = process.env.TSNATS_PROGRAM_NAME;
    process.env.TSNATS_PROGRAM_NAME = '/usr/local/bin/nats-server';
    try {
      expect(programName()).toBe('nats-server');
    } finally {
      if (saved === undefined) delete process.env.TSNATS_PROGRAM_NAME;
      else process.env.TSNATS_PROGRAM_NAME = saved;
    }
  });

  it('lists every interface address for an unspecified host, as Go’s resolveHostPorts', () => {
    expect(resolveHostPorts('127.0.0.1', 4222)).toEqual(['127.0.0.1:4222']);
    expect(resolveHostPorts('::1', 4222)).toEqual(['[::1]:4222']);
    const all = Object.values(networkInterfaces()).flatMap((a) => (a ?? []).map((x) => x.address));
    expect(resolveHostPorts('0.0.0.0', 1).map((hp) => hp.replace(/^\[|\]?:1$/g, ''))).toEqual(all);
    expect(formatURLs('http', '127.0.0.1', 8222)).toEqual(['http://127.0.0.1:8222']);
  });

  it('client URLs for an unspecified host are the global unicast addresses, as Go’s getNonLocalIPsIfHostIsIPAny', () => {
    // Go's net.IP.IsGlobalUnicast over the cases of its TestIPAddrScope.
    const yes = ['10.1.2.3', '192.0.2.2', '8.8.8.8', '240.0.0.1', 'fd00::2', '2001:db8::1', 'fec0::1', '::ffff:10.0.0.1'];
    const no = ['0.0.0.0', '255.255.255.255', '127.0.0.1', '127.255.0.9', '169.254.1.1', '224.0.0.1', '239.1.1.1'];
    no.push('::', '::1', 'fe80::1', 'fe80::fc:ff:fe00:1%eth0', 'febf::1', 'ff02::1', '::ffff:127.0.0.1', 'not-an-ip');
    for (const a of yes) expect(isGlobalUnicast(a), a).toBe(true);
    for (const a of no) expect(isGlobalUnicast(a), a).toBe(false);

    expect(connectHostPorts('127.0.0.1', 4222)).toEqual(['127.0.0.1:4222']);
    expect(connectHostPorts('::1', 4222)).toEqual(['[::1]:4222']);
    expect(connectHostPorts('localhost', 4222)).toEqual(['localhost:4222']);
    const global = Object.values(networkInterfaces())
      .flatMap((a) => a ?? [])
      .filter((x) => !x.internal && !x.address.startsWith('fe80:') && !x.address.startsWith('169.254.'))
      .map((x) => (x.family === 'IPv6' ? `[${x.address}]:1` : `${x.address}:1`));
    expect(connectHostPorts('0.0.0.0', 1)).toEqual(global);
    expect(connectHostPorts('::', 1)).toEqual(global);
  });

  it('is compact JSON in nats-server’s field order, empty lists left out', () => {
    expect(portsJSON({ monitoring: ['http://h:2'], nats: ['nats://h:1'], cluster: [] })).toBe(
      '{"nats":["nats://h:1"],"monitoring":["http://h:2"]}',
    );
  });
});

describe('ports file of a running server', () => {
  it('matches nats-server’s for the same listeners; named after the wrapper and the server’s pid; removed on exit', async () => {
    const ours = join(root, 'ours');
    const theirs = join(root, 'theirs');
    mkdirSync(ours);
    mkdirSync(theirs);
    const args = (dir: string): string[] => ['-p', '-1', '-m', '-1', '--ports_file_dir', dir];
    const t = run(join(bin, 'nats-server'), args(ours));
    const n = natsServer(args(theirs));
    const [ourText, theirText] = await Promise.all([
      waitForFile(join(ours, `nats-server_${t.pid}.ports`)),
      waitForFile(join(theirs, `nats-server_${n.pid}.ports`)),
    ]);
    const shape = (text: string): string => text.replace(/:\d+"/g, ':<port>"');
    expect(shape(ourText)).toBe(shape(theirText));
    const p = JSON.parse(ourText) as Ports;
    expect(p.nats![0]).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    expect(p.monitoring![0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    t.kill('SIGTERM');
    n.kill('SIGTERM');
    await Promise.all([t.waitExit(), n.waitExit()]);
    expect(readdirSync(ours)).toEqual([]);
    expect(readdirSync(theirs)).toEqual([]);
  });

  it('through a shell wrapper that execs node: TSNATS_PROGRAM_NAME names it, the pid is the wrapper’s', async () => {
    const dir = join(root, 'sh');
    mkdirSync(dir);
    const wrapper = join(dir, 'nats-server');
    writeFileSync(wrapper, `#!/bin/sh\nTSNATS_PROGRAM_NAME="$0" exec ${JSON.stringify(process.execPath)} ${JSON.stringify(TSNATS_CLI)} "$@"\n`);
    chmodSync(wrapper, 0o755);
    const c = run(wrapper, ['-a', '127.0.0.1', '-p', '-1', '--ports_file_dir', dir]);
    const text = await waitForFile(join(dir, `nats-server_${c.pid}.ports`));
    expect(Object.keys(JSON.parse(text) as Ports)).toEqual(['nats']);
    c.kill('SIGINT');
    expect(await c.waitExit()).toEqual({ code: 0, signal: null });
    expect(existsSync(join(dir, `nats-server_${c.pid}.ports`))).toBe(false);
  });

  it('moves with ports_file_dir on reload, stays after SIGKILL (as nats-server’s)', async () => {
    const a = join(root, 'a');
    const b = join(root, 'b');
    mkdirSync(a);
    mkdirSync(b);
    const conf = join(root, 'move.conf');
    writeFileSync(conf, `ports_file_dir: ${JSON.stringify(a)}\n`);
    const c = run(join(bin, 'nats-server'), ['-c', conf, '-a', '127.0.0.1', '-p', '-1']);
    const name = `nats-server_${c.pid}.ports`;
    await waitForFile(join(a, name));
    writeFileSync(conf, `ports_file_dir: ${JSON.stringify(b)}\n`);
    c.kill('SIGHUP');
    await waitForFile(join(b, name));
    await c.waitFor(/Reloaded server configuration/);
    expect(existsSync(join(a, name))).toBe(false);
    expect(logLines(c.err)).toContain(`[INF] Reloaded: ports_file_dir = ${b}`);
    expect(readJSON<Ports>(join(b, name)).nats).toHaveLength(1);
    c.kill('SIGKILL');
    await c.waitExit();
    expect(existsSync(join(b, name))).toBe(true);
  });

  it('cannot be written: nats-server’s error, and the server runs on', async () => {
    const missing = join(root, 'no', 'such', 'dir');
    const c = run(join(bin, 'nats-server'), ['-a', '127.0.0.1', '-p', '-1', '--ports_file_dir', missing]);
    await c.waitFor(/Error writing ports file/);
    const file = join(missing, `nats-server_${c.pid}.ports`);
    expect(logLines(c.err).at(-1)).toBe(`[ERR] Error writing ports file (${file}): open ${file}: no such file or directory`);
    expect(logLines(c.err).at(-2)).toBe('[INF] Server is ready');
    c.kill('SIGINT');
    expect((await c.waitExit()).code).toBe(0);
  });

  it('pid file: the pid, no newline; a bad path is fatal', async () => {
    const pid = join(root, 'x.pid');
    const c = run(join(bin, 'nats-server'), ['-a', '127.0.0.1', '-p', '-1', '-P', pid]);
    await c.waitFor(/Server is ready/);
    expect(readFileSync(pid, 'utf8')).toBe(String(c.pid));
    c.kill('SIGINT');
    await c.waitExit();
    const bad = join(root, 'nope', 'x.pid');
    const f = run(join(bin, 'nats-server'), ['-a', '127.0.0.1', '-p', '-1', '-P', bad]);
    expect((await f.waitExit()).code).toBe(1);
    expect(logLines(f.err).at(-1)).toBe(`[FTL] Could not write pidfile: open ${bad}: no such file or directory`);
  });
});
