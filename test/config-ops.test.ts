// The operating keys of the config file (monitoring, pid/ports/log files, lame duck, the blocks
// of subsystems tsnats accepts and ignores), the command line flags in Go's syntax, reload
// planning, and the embedding API. Error texts are checked against `nats-server -t`.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { ConfigError, parseConfigString } from '../src/config/conf.js';
import { applyFlags, FlagError, parseFlags, parseGoInt } from '../src/config/flags.js';
import { defaultOptions, optionsFromConfig, setBaselineOptions, validateOptions } from '../src/config/options.js';
import { goDurationString } from '../src/config/values.js';
import type { ServerOptions } from '../src/config/types.js';
import { startServer } from '../src/index.js';
import { planReload } from '../src/server/reload.js';
import { natsServerCheck, tsnatsCheck } from './helpers/conf-check.js';
import { RawClient } from './helpers/raw-client.js';
import { errorOf } from './helpers/config-error.js';

function load(text: string, settings: { warnings?: ConfigError[]; notices?: ConfigError[] } = {}): ServerOptions {
  return optionsFromConfig(parseConfigString(text, 't.conf'), undefined, settings);
}


describe('operating keys', () => {
  it('monitoring: http (listen form), http_port / monitor_port, http_base_path', () => {
    expect(load('http: "127.0.0.1:-1"')).toMatchObject({ httpHost: '127.0.0.1', httpPort: -1 });
    expect(load('http: 8222')).toMatchObject({ httpHost: '', httpPort: 8222 });
    expect(load('http_port: 8223')).toMatchObject({ httpPort: 8223 });
    expect(load('monitor_port: 8224\nhttp_base_path: "/mon"')).toMatchObject({ httpPort: 8224, httpBasePath: '/mon' });
    expect(errorOf(() => load('http: true')).message).toBe('t.conf:1:0: expected port or host:port, got bool');
    expect(errorOf(() => load('http: "abc"')).message).toBe('t.conf:1:0: could not parse address string "abc"');
  });

  it('https is accepted and ignored with a notice', () => {
    const notices: ConfigError[] = [];
    expect(load('https_port: 8443', { notices })).toMatchObject({ httpsPort: 8443, httpPort: 0 });
    expect(notices.map((n) => n.message)).toEqual([
      't.conf:1:0: monitoring over https is not supported by tsnats yet: https port ignored',
    ]);
  });

  it('pid, ports, log files and trace length, with both spellings', () => {
    const o = load(`
      pid_file: "/tmp/a.pid"
      ports_file_dir: "/tmp/ports"
      log_file: "/tmp/a.log"
      log_size_limit: 1MB
      max_traced_msg_len: 64
      logtime: false
    `);
    expect(o).toMatchObject({
      pidFile: '/tmp/a.pid',
      portsFileDir: '/tmp/ports',
      logFile: '/tmp/a.log',
      logSizeLimit: 1024 * 1024,
      maxTracedMsgLen: 64,
      logtime: false,
    });
    expect(load('pidfile: p\nlogfile: l\nlogfile_size_limit: 10')).toMatchObject({ pidFile: 'p', logFile: 'l', logSizeLimit: 10 });
    expect(load('trace_verbose: true').trace).toBe(true);
    expect(errorOf(() => load('pid_file: 1')).message).toBe('t.conf:1:0: interface conversion: interface {} is int64, not string');
    expect(errorOf(() => load('log_size_limit: "1k"')).message).toBe(
      't.conf:1:0: interface conversion: interface {} is string, not int64',
    );
  });

  it('lame duck duration and grace period: Go durations, nats-server limits', () => {
    expect(load('lame_duck_duration: "1m30.5s"\nlame_duck_grace_period: "2s"')).toMatchObject({
      lameDuckDurationMs: 90_500,
      lameDuckGracePeriodMs: 2_000,
    });
    expect(defaultOptions()).toMatchObject({ lameDuckDurationMs: 120_000, lameDuckGracePeriodMs: 10_000 });
    expect(errorOf(() => load('lame_duck_duration: "10s"')).message).toBe(
      't.conf:1:0: invalid lame_duck_duration of 10s, minimum is 30 seconds',
    );
    expect(errorOf(() => load('lame_duck_duration: "x"')).message).toBe(
      't.conf:1:0: error parsing lame_duck_duration: time: invalid duration "x"',
    );
    expect(errorOf(() => load('lame_duck_duration: 60')).message).toBe(
      't.conf:1:0: interface conversion: interface {} is int64, not string',
    );
    expect(errorOf(() => load('lame_duck_grace_period: "-1s"')).message).toBe(
      't.conf:1:0: invalid lame_duck_grace_period, needs to be positive',
    );
    // validateOptions (at start, not under -t): the grace period must be shorter.
    const e = errorOf(() => load('lame_duck_duration: "1m"\nlame_duck_grace_period: "2m"'));
    expect(e.natsText).toBe('lame duck grace period (2m0s) should be strictly lower than lame duck duration (1m0s)');
  });

  it('subsystem blocks and server_tags are accepted with one notice each, at their position (websocket and leafnodes are read)', () => {
    const notices: ConfigError[] = [];
    const warnings: ConfigError[] = [];
    const o = load(
      [
        'port: -1',
        'leafnodes { listen: "127.0.0.1:-1" }',
        'websocket { port: -1, no_tls: true }',
        'gateway { name: g, port: -1 }',
        'mqtt { port: -1 }',
        'server_tags: ["id:1", "az:x"]',
      ].join('\n'),
      { notices, warnings },
    );
    expect(o.port).toBe(-1);
    expect(warnings).toEqual([]);
    expect(notices.map((n) => n.message)).toEqual([
      't.conf:4:1: gateway is not supported by tsnats yet: ignored',
      't.conf:5:1: mqtt is not supported by tsnats yet: ignored',
      't.conf:6:1: server_tags is not supported by tsnats yet: ignored',
    ]);
    expect(errorOf(() => load('server_tags: 1')).message).toBe('t.conf:1:0: error parsing tags: unsupported type int64');
    const none: ConfigError[] = [];
    load('jetstream: disabled', { notices: none });
    load('jetstream: false', { notices: none });
    expect(none).toEqual([]);
  });

  it('notices never fail a config test (-t), nats-server warnings do', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tsnats-cfgops-'));
    try {
      const f = path.join(dir, 'a.conf');
      writeFileSync(f, 'jetstream: enabled\nleaf { listen: "127.0.0.1:-1" }\n');
      expect(tsnatsCheck(f).ok).toBe(true);
      writeFileSync(f, 'ping_interval: 30\n');
      expect(tsnatsCheck(f).ok).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('truly unknown keys are still errors with file:line:col', () => {
    expect(errorOf(() => load('port: 1\n  jetstreamz: {}')).message).toBe('t.conf:2:3: unknown field "jetstreamz"');
    // `resolver` is known (operator mode, config/operator.ts); without an operator it is unused.
    expect(load('resolver: MEMORY').resolver).toEqual({ type: 'memory' });
  });

  it('a config written by a client test launcher loads', () => {
    // nats.js's launcher style: everything a test server may need, most of it ignored here.
    const notices: ConfigError[] = [];
    const o = load(
      `
host: 127.0.0.1
port: -1
http: "127.0.0.1:-1"
ports_file_dir: "/tmp"
leafnodes: {
  listen: "127.0.0.1:-1"
}
server_tags: [
  "id:abc"
]
authorization: {
  users: [ { user: a, password: b } ]
}
`,
      { notices },
    );
    expect(o).toMatchObject({ host: '127.0.0.1', port: -1, httpHost: '127.0.0.1', httpPort: -1, portsFileDir: '/tmp' });
    expect(o.leafnode).toMatchObject({ host: '127.0.0.1', port: -1 });
    expect(notices).toHaveLength(1);
  });

  it('goDurationString prints like Go', () => {
    const cases: Array<[bigint, string]> = [
      [0n, '0s'],
      [1n, '1ns'],
      [1500n, '1.5µs'],
      [300_000_000n, '300ms'],
      [1_500_000_000n, '1.5s'],
      [120_000_000_000n, '2m0s'],
      [3_723_500_000_000n, '1h2m3.5s'],
      [-30_000_000_000n, '-30s'],
    ];
    for (const [ns, s] of cases) expect(goDurationString(ns)).toBe(s);
  });
});

describe('agrees with nats-server -t on the operating keys', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsnats-opscheck-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const files = [
    'http: "127.0.0.1:-1"',
    'http: true',
    'http: "a:b:c"',
    'https: 8443',
    'http_port: "x"',
    'http_base_path: 1',
    'pid_file: "/tmp/x.pid"\nports_file_dir: "/tmp"\nlog_file: "/tmp/x.log"',
    'max_traced_msg_len: "a"',
    'lame_duck_duration: "29s"',
    'lame_duck_duration: "29x"',
    'lame_duck_duration: 60',
    'lame_duck_grace_period: "-2s"',
    'lame_duck_grace_period: "5s"\nlame_duck_duration: "30s"',
    'jetstream { store_dir: "/tmp/js" }\nleafnodes { listen: "127.0.0.1:-1" }\nwebsocket { port: -1, no_tls: true }',
    'mqtt { port: -1 }\ngateway { name: x, port: -1 }\nserver_tags: [a, b]',
    'server_tags: true',
    'server_tags: {a: 1}',
    'syslog: true\nremote_syslog: "udp://127.0.0.1:514"',
    'trace_verbose: 1',
    'no_sys_acc: true\ndisable_sublist_cache: true\nconnect_error_reports: 3',
  ];
  it.each(files)('%j', (text) => {
    const f = path.join(dir, 'k.conf');
    writeFileSync(f, text + '\n');
    const want = natsServerCheck(f, dir);
    const got = tsnatsCheck(f);
    expect(got).toEqual(want);
  });
});

describe('command line flags (Go flag syntax)', () => {
  it('takes -name, --name, -name=value, -name value, and stops at the first argument', () => {
    const f = parseFlags(['-p', '-1', '--addr=127.0.0.1', '-m', '8222', '-DV', '--ports_file_dir', '/tmp', 'extra', '-D']);
    expect(Object.fromEntries(f.values)).toEqual({ port: -1, host: '127.0.0.1', httpPort: 8222, DV: true, portsFileDir: '/tmp' });
    expect(f.args).toEqual(['extra', '-D']);
    expect(parseFlags(['--', '-p', '1']).args).toEqual(['-p', '1']);
    expect(parseFlags(['-sl=ldm=12', '-ms', '1', '-js', '-sd', 'x']).values.get('signal')).toBe('ldm=12');
  });

  it('refuses what Go refuses, with its texts', () => {
    const err = (argv: string[]): string => {
      try {
        parseFlags(argv);
      } catch (e) {
        if (e instanceof FlagError) return e.message;
        throw e;
      }
      return '';
    };
    expect(err(['--foo'])).toBe('flag provided but not defined: -foo');
    expect(err(['-p', 'abc'])).toBe('invalid value "abc" for flag -p: parse error');
    expect(err(['-p', '99999999999999999999'])).toBe('invalid value "99999999999999999999" for flag -p: value out of range');
    expect(err(['-D=x'])).toBe('invalid boolean value "x" for -D: parse error');
    expect(err(['---x'])).toBe('bad flag syntax: ---x');
    expect(err(['-=x'])).toBe('bad flag syntax: -=x');
    expect(err(['--signal'])).toBe('flag needs an argument: -signal');
  });

  it('parses integers as strconv.ParseInt(s, 0, 64)', () => {
    expect(parseGoInt('0x10')).toBe(16);
    expect(parseGoInt('010')).toBe(8);
    expect(parseGoInt('1_000')).toBe(1000);
    expect(parseGoInt('-1')).toBe(-1);
    expect(parseGoInt('1e3')).toBe('parse error');
  });

  it('flags override the file; -DV, -VV and -DVV are applied last', () => {
    const opts = load('port: 4333\ndebug: false\nlogtime: false\nhttp_port: 8000');
    const warnings = applyFlags(opts, parseFlags(['-p', '5555', '-DV', '-T=true', '-m', '-1', '--user', 'u', '--pass', 'p']));
    expect(warnings).toEqual([]);
    expect(opts).toMatchObject({ port: 5555, debug: true, trace: true, logtime: true, httpPort: -1, username: 'u', password: 'p' });
    const o2 = defaultOptions();
    applyFlags(o2, parseFlags(['-DV', '-D=false']));
    expect(o2).toMatchObject({ debug: true, trace: true }); // Go visits DV after D
  });

  it('-js and -sd set JetStream, syslog flags are ignored with a warning, TLS flags need a certificate', () => {
    const o = defaultOptions();
    expect(applyFlags(o, parseFlags(['-js', '-sd', '/tmp/js', '-s']))).toEqual(['-s: syslog is not supported by tsnats yet: ignored']);
    expect(o).toMatchObject({ jetstream: true, storeDir: '/tmp/js' });
    const file = { ...defaultOptions(), jetstream: true, storeDir: '/file' };
    applyFlags(file, parseFlags(['--store_dir', '/flag']));
    expect(file).toMatchObject({ jetstream: true, storeDir: '/flag' });
    expect(() => applyFlags(defaultOptions(), parseFlags(['--tls']))).toThrow('TLS Server certificate must be present and valid');
  });
});

describe('reload planning (nats-server diffOptions)', () => {
  const base = (): ServerOptions => setBaselineOptions({ ...defaultOptions(), port: 4222 });
  const plan = (change: Partial<ServerOptions>): string[] => planReload(base(), { ...base(), ...change }).map((c) => c.log);
  const refusal = (change: Partial<ServerOptions>): string => {
    try {
      planReload(base(), { ...base(), ...change });
    } catch (e) {
      return (e as Error).message;
    }
    return '';
  };

  it('logs every reloadable change in nats-server’s order (users and accounts always)', () => {
    expect(plan({})).toEqual(['Reloaded: authorization users', 'Reloaded: accounts']);
    expect(
      plan({
        clientAdvertise: 'x.y:1',
        trace: true,
        debug: true,
        logtime: false,
        maxConnections: 10,
        username: 'a',
        password: 'b',
        pingIntervalMs: 30_000,
        pingMax: 3,
        maxControlLine: 2048,
        maxPayload: 2000,
        writeDeadlineMs: 3000,
        maxTracedMsgLen: 10,
      }),
    ).toEqual([
      // the order nats-server 2.9.10 logged for the same change
      'Reload: client_advertise = x.y:1',
      'Reloaded: trace = true',
      'Reloaded: debug = true',
      'Reloaded: logtime = false',
      'Reloaded: max_connections = 10',
      'Reloaded: authorization users',
      'Reloaded: accounts',
      'Reloaded: authorization username',
      'Reloaded: authorization password',
      'Reloaded: ping_interval = 30s',
      'Reloaded: ping_max = 3',
      'Reloaded: max_control_line = 2048',
      'Reloaded: max_payload = 2000',
      'Reloaded: write_deadline = 3s',
      'Reloaded: max_traced_msg_len = 10',
    ]);
  });

  it('refuses what nats-server cannot reload, first field first', () => {
    expect(refusal({ serverName: 'x', maxPending: 1 })).toBe('config reload not supported for ServerName: old=, new=x');
    expect(refusal({ maxPending: 1_000_000 })).toBe('config reload not supported for MaxPending: old=67108864, new=1000000');
    expect(refusal({ maxSubscriptions: 5 })).toBe('config reload not supported for MaxSubs: old=0, new=5');
    expect(refusal({ lameDuckDurationMs: 60_000 })).toBe('config reload not supported for LameDuckDuration: old=2m0s, new=1m0s');
    expect(refusal({ noAuthUser: 'x' })).toBe('config reload not supported for NoAuthUser: old=, new=x');
    expect(refusal({ systemAccount: 'A' })).toBe('config reload not supported for SystemAccount: old=, new=A');
    expect(refusal({ noSystemAccount: true })).toBe('config reload not supported for NoSystemAccount: old=false, new=true');
    // An account named $SYS, the system account by its name, may come (nats-server compares first).
    expect(refusal({ systemAccount: '$SYS', accounts: [{ name: '$SYS', exports: [], imports: [] }] })).toBe('');
    expect(refusal({ port: 5555 })).toBe('config reload not supported for Port: old=4222, new=5555');
    expect(refusal({ httpPort: 8333 })).toBe('config reload not supported for HTTPPort: old=0, new=8333');
    expect(refusal({ port: -1 })).toBe(''); // a random port keeps the running one
  });

  it('JetStream options need a restart in tsnats (nats-server starts or stops JetStream)', () => {
    expect(refusal({ jetstream: true })).toBe('config reload not supported for JetStream: old=false, new=true');
    expect(refusal({ storeDir: '/x' })).toBe('config reload not supported for StoreDir: old=, new=/x');
    expect(refusal({ jetStreamMaxMemory: 1024 })).toBe('config reload not supported for JetStreamMaxMemory: old=0, new=1024');
  });
});

describe('embedding API', () => {
  it('startServer: bound ports, snapshots, reload, lame duck and shutdown', async () => {
    const lines: string[] = [];
    const h = await startServer({
      host: '127.0.0.1',
      port: -1,
      httpPort: -1,
      lameDuckDurationMs: 30_000,
      lameDuckGracePeriodMs: 200,
      log: (l) => lines.push(l),
    });
    try {
      expect(h.port).toBeGreaterThan(0);
      expect(h.httpPort).toBeGreaterThan(0);
      expect(h.ports()).toEqual({ nats: [`nats://127.0.0.1:${h.port}`], monitoring: [`http://127.0.0.1:${h.httpPort}`] });
      const nc = await connect({ servers: `127.0.0.1:${h.port}` });
      nc.subscribe('a');
      await nc.flush();
      expect(h.varz()).toMatchObject({ port: h.port, connections: 1 });
      expect(h.connz().num_connections).toBe(1);
      expect(h.subsz().num_subscriptions).toBeGreaterThanOrEqual(1);
      const res = await fetch(`http://127.0.0.1:${h.httpPort}/varz`);
      expect(((await res.json()) as { port: number }).port).toBe(h.port);

      // reload: new connections see the new INFO and auth; a refused change changes nothing
      h.reload({ maxPayload: 4096, authorization: 's3cr3t' });
      const raw = await RawClient.connect(h.port);
      const info = JSON.parse((await raw.expect(/^INFO \{.*\} \r\n/)).slice(5, -3)) as Record<string, unknown>;
      expect(info).toMatchObject({ max_payload: 4096, auth_required: true });
      await raw.close();
      expect(() => h.reload({ serverName: 'other', maxPayload: 1 })).toThrow('config reload not supported for ServerName');
      expect(h.server.opts.maxPayload).toBe(4096);
      expect(lines.join('')).toContain('[INF] Reloaded: max_payload = 4096');

      // lame duck: the official client sees ldm and is closed after the grace period
      const closed = nc.closed();
      const t0 = Date.now();
      await h.lameDuck();
      expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
      await nc.close();
      await closed;
      expect(lines.join('')).toMatch(/Entering lame duck mode[\s\S]*Closing existing clients[\s\S]*Server Exiting\.\./);
    } finally {
      await h.shutdown();
    }
  });

  it('validateOptions still guards the command line path', () => {
    expect(() => validateOptions({ ...defaultOptions(), lameDuckGracePeriodMs: 200_000 })).toThrow(/lame duck grace period/);
  });
});
