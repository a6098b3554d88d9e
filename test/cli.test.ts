// The command line in child processes: nats-server's flags, help, errors and exit codes (compared
// with the installed nats-server 2.9.10 through a wrapper named `nats-server`), the startup
// banner, flags over the config file, logging (-l, -T, -DV), the pid file and random ports.

import { createServer, type Server as NetServer } from 'node:net';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Child,
  killAllChildren,
  logLines,
  natsServer,
  run,
  runToEnd,
  tempDir,
  tsnats,
  wrapperDir,
} from './helpers/child-server.js';
import { RawClient } from './helpers/raw-client.js';

let dir: string;
let bin: string;
const wrapped = (args: string[]): Child => run(join(bin, 'nats-server'), args);

beforeAll(() => {
  dir = tempDir();
  bin = wrapperDir('nats-server');
  writeFileSync(join(dir, 'good.conf'), 'port: -1\n');
  writeFileSync(join(dir, 'bad.conf'), 'port: -1\n  foo: 1\n'); // one error: nats-server's order of several is random
});
afterAll(() => {
  killAllChildren();
  rmSync(dir, { recursive: true, force: true });
  rmSync(bin, { recursive: true, force: true });
});

describe('one-shot commands behave as nats-server', () => {
  it('--help prints nats-server’s usage (plus tsnats’s section) and exits 0', async () => {
    const [ours, theirs] = await Promise.all([runToEnd(wrapped(['--help'])), runToEnd(natsServer(['-h']))]);
    expect(ours.code).toBe(0);
    expect(theirs.code).toBe(0);
    const mine = ours.out.split('\n');
    let at = 0;
    for (const line of theirs.out.split('\n')) {
      const i = mine.indexOf(line, at);
      expect(i, `missing usage line ${JSON.stringify(line)}`).toBeGreaterThanOrEqual(0);
      at = i + 1;
    }
    expect(ours.out).toContain('--native <off|auto|require>');
    expect((await runToEnd(tsnats(['help']))).out).toContain('Usage: tsnats [options]');
  });

  it('-v prints the nats-server version', async () => {
    const r = await runToEnd(wrapped(['-v']));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^nats-server: v2\.9\.10 \(tsnats [^)]+\)\n$/);
  });

  // Same stdout/stderr/exit code as nats-server (stdout: the usage after a flag error).
  const cases: Array<[string, string[]]> = [
    ['unknown flag', ['--foo']],
    ['bad int', ['-p', 'abc']],
    ['bad bool', ['-D=maybe']],
    ['missing value', ['--signal']],
    ['missing value of an int flag', ['-p']],
    ['bad flag syntax', ['---x']],
    ['bad flag syntax after a good flag', ['-D', '-=x']],
    ['the first of two errors', ['-p', 'x', '--foo']],
    ['a bad bool before an unknown flag', ['-V=2', '--nope']],
    ['an unknown flag after a good value flag', ['--addr=127.0.0.1', '-nope=1']],
    ['unknown command', ['extra']],
    ['version command', ['version']],
    ['-t without -c', ['-t']],
    ['-t on a good file', ['-t', '-c', 'good.conf']],
    ['-t on a bad file', ['-t', '-c', 'bad.conf']],
    ['-t on a missing file', ['-t', '-c', 'missing.conf']],
    ['a bad file at start', ['-c', 'bad.conf']],
    ['a missing file at start', ['-c', 'missing.conf']],
    ['signal with a bad pid', ['--signal', 'reload=abc']],
    ['signal with too many parts', ['-sl', 'reload=1=2']],
    ['unknown signal', ['--signal', 'hup=1']],
  ];
  it.concurrent.each(cases)('%s', async (_name, args) => {
    const [ours, theirs] = await Promise.all([
      runToEnd(run(join(bin, 'nats-server'), args, { cwd: dir })),
      runToEnd(natsServer(args, { cwd: dir })),
    ]);
    if (args[0] === 'version') {
      expect(ours.out.startsWith(theirs.out.trim())).toBe(true);
      return;
    }
    const usageFree = (s: string): string => (s.includes('Usage: nats-server') ? '<usage>' : s);
    expect({ code: ours.code, err: ours.err, out: usageFree(ours.out) }).toEqual({
      code: theirs.code,
      err: theirs.err,
      out: usageFree(theirs.out),
    });
  });

  it('--signal to a process that is gone: no such process', async () => {
    const gone = run(process.execPath, ['-e', '0']);
    await gone.waitExit();
    const r = await runToEnd(wrapped(['--signal', `reload=${gone.pid}`]));
    expect(r).toMatchObject({ code: 1, err: 'nats-server: no such process\n' });
  });
});

describe('starting', () => {
  let busy: NetServer;
  let busyPort: number;
  beforeAll(async () => {
    busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    busyPort = (busy.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => busy.close(() => r())));

  it('banner, flags over the file, pid file, random client and http ports, notices for ignored blocks', async () => {
    const conf = join(dir, 'start.conf');
    writeFileSync(
      conf,
      'port: 1\nhost: 0.0.0.0\nserver_name: from-file\nmqtt { port: -1 }\ngateway { name: g, port: -1 }\n',
    );
    const pid = join(dir, 'srv.pid');
    const c = tsnats(['-c', conf, '-a', '127.0.0.1', '-p', '-1', '-m', '-1', '-n', 'from-flag', '-P', pid]);
    await c.waitFor(/Server is ready/);
    const lines = logLines(c.err);
    expect(lines.slice(0, 3)).toEqual([
      '[WRN] ' + conf + ':4:1: mqtt is not supported by tsnats yet: ignored',
      '[WRN] ' + conf + ':5:1: gateway is not supported by tsnats yet: ignored',
      '[INF] Starting nats-server',
    ]);
    expect(lines).toContain('[INF]   Version:  2.9.10');
    expect(lines.some((l) => /^\[INF\] {3}Parser: {3}(native|ts)/.test(l))).toBe(true);
    expect(lines).toContain('[INF]   Name:     from-flag');
    expect(lines).toContain(`[INF] Using configuration file: ${conf}`);
    const http = /\[INF\] Starting http monitor on 127\.0\.0\.1:(\d+)/.exec(c.err);
    const nats = /\[INF\] Listening for client connections on 127\.0\.0\.1:(\d+)/.exec(c.err);
    expect(http && nats).toBeTruthy();
    expect(lines.at(-1)).toBe('[INF] Server is ready');
    expect(readFileSync(pid, 'utf8')).toBe(String(c.pid));
    const res = await fetch(`http://127.0.0.1:${http![1]}/varz`);
    expect(((await res.json()) as { server_name: string }).server_name).toBe('from-flag');
    const raw = await RawClient.connect(Number(nats![1]));
    expect(await raw.expect(/^INFO .*\r\n/)).toContain('"server_name":"from-flag"');
    await raw.close();
    c.kill('SIGINT');
    expect(await c.waitExit()).toEqual({ code: 0, signal: null });
  });

  it('-l logs to a file, -T=false drops timestamps, -DV traces the protocol, max_traced_msg_len truncates', async () => {
    const log = join(dir, 'trace.log');
    const conf = join(dir, 'trace.conf');
    writeFileSync(conf, 'max_traced_msg_len: 4\n');
    const c = tsnats(['-c', conf, '-a', '127.0.0.1', '-p', '-1', '-l', log, '-T=false', '-DV']);
    const port = Number((await c.waitFor(/connections on 127\.0\.0\.1:(\d+)/, 5000, () => (existsSync(log) ? readFileSync(log, 'utf8') : '')))[1]);
    const raw = await RawClient.connect(port);
    raw.send('CONNECT {"verbose":false}\r\nPUB a 10\r\n0123456789\r\nPING\r\n');
    await raw.expect('PONG\r\n');
    await raw.close();
    c.kill('SIGINT');
    await c.waitExit();
    expect(c.err).toBe('');
    const text = readFileSync(log, 'utf8');
    expect(text).toMatch(/^\[\d+\] \[INF\] Starting nats-server\n/);
    expect(text).toMatch(/\[\d+\] \[DBG\] 127\.0\.0\.1:\d+ - cid:4 - Client connection created\n/);
    expect(text).toMatch(/\[TRC\] 127\.0\.0\.1:\d+ - cid:4 - <<- \[PUB a 10\]\n/);
    expect(text).toContain('<<- MSG_PAYLOAD: ["0123..."]\n');
    expect(text).toMatch(/\[DBG\] Trapped "interrupt" signal\n[\s\S]*\[INF\] Server Exiting\.\.\n$/);
  });

  it('a port in use is fatal, with nats-server’s text', async () => {
    const [ours, theirs] = await Promise.all([
      runToEnd(tsnats(['-a', '127.0.0.1', '-p', String(busyPort)])),
      runToEnd(natsServer(['-a', '127.0.0.1', '-p', String(busyPort)])),
    ]);
    const ftl = (s: string): string[] => logLines(s).filter((l) => l.startsWith('[FTL]'));
    expect(ours.code).toBe(1);
    expect(theirs.code).toBe(1);
    expect(ftl(ours.err)).toEqual(ftl(theirs.err));
    expect(ftl(ours.err)).toEqual([
      `[FTL] Error listening on port: 127.0.0.1:${busyPort}, "listen tcp 127.0.0.1:${busyPort}: bind: address already in use"`,
    ]);
    const mon = await runToEnd(tsnats(['-a', '127.0.0.1', '-p', '-1', '-m', String(busyPort)]));
    expect(mon.code).toBe(1);
    expect(ftl(mon.err)).toEqual([
      `[FTL] Can't start monitoring: can't listen to the monitor port: listen tcp 127.0.0.1:${busyPort}: bind: address already in use`,
    ]);
  });

  it('refuses TLS flags; -js -sd start JetStream in <dir>/jetstream', async () => {
    const tls = await runToEnd(tsnats(['--tls', '-p', '-1']));
    expect(tls).toMatchObject({ code: 1, err: 'tsnats: TLS Server certificate must be present and valid\n' });
    const js = tsnats(['-js', '-sd', dir, '-a', '127.0.0.1', '-p', '-1']);
    await js.waitFor(/Server is ready/);
    const lines = logLines(js.err);
    expect(lines[0]).toBe('[INF] Starting nats-server');
    expect(lines).toContain('[INF] Starting JetStream');
    expect(lines).toContain(`[INF]   Store Directory: "${join(dir, 'jetstream')}"`);
    expect(lines.indexOf('[INF] Starting JetStream')).toBeLessThan(lines.findIndex((l) => l.includes('Listening for client connections')));
    // A store directory under a file: the same fatal line as nats-server's, exit 1.
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, '');
    const [bad, ref] = await Promise.all([
      runToEnd(tsnats(['-js', '-sd', file, '-a', '127.0.0.1', '-p', '-1'])),
      runToEnd(natsServer(['-js', '-sd', file, '-a', '127.0.0.1', '-p', '-1'])),
    ]);
    const fatal = (s: string): string[] => logLines(s).filter((l) => l.startsWith('[FTL]'));
    expect(bad.code).toBe(1);
    expect(ref.code).toBe(1);
    expect(fatal(bad.err)).toEqual(fatal(ref.err));
    expect(fatal(bad.err)).toEqual(["[FTL] Can't start JetStream: storage directory is not a directory"]);
    js.kill('SIGINT');
    await js.waitExit();
  });
});
