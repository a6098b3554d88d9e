#!/usr/bin/env node
// `npm run bench`: tsnats (native path), tsnats (TS path) and nats-server side by side, driven by
// the same load (bench/loadgen.mjs, one child process per role and run) in interleaved rounds.
// Prints a table of medians and ratios and appends it to bench/RESULTS.md. See bench/README.md.
//
//   node bench/run.mjs [--quick] [--rounds N] [--only a,b,...] [--msgs N] [--servers native,ts,nats]
//                      [--conns N] [--requests N] [--natsbench [--natsbench-bin PATH]]
//                      [--no-append] [--json FILE] [--timeout MS] [--js-big N]

import { spawn, execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const LOADGEN = join(here, 'loadgen.mjs');
const JSGEN = join(here, 'jsgen.mjs');
const RESULTS = join(here, 'RESULTS.md');

// ---------------------------------------------------------------- options

const argv = process.argv.slice(2);
const KNOWN = new Set(['quick', 'rounds', 'only', 'msgs', 'servers', 'conns', 'requests', 'natsbench', 'natsbench-bin', 'no-append', 'json', 'help', 'timeout', 'js-big']);
const BOOL = new Set(['quick', 'natsbench', 'no-append', 'help']);
const o = {};
for (let i = 0; i < argv.length; i++) {
  const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
  if (!m || !KNOWN.has(m[1])) {
    console.error(`unknown argument ${argv[i]} (try --help)`);
    process.exit(1);
  }
  if (BOOL.has(m[1])) o[m[1]] = m[2] ?? true;
  else if (m[2] !== undefined) o[m[1]] = m[2];
  else if (i + 1 < argv.length) o[m[1]] = argv[++i];
  else {
    console.error(`--${m[1]} needs a value`);
    process.exit(1);
  }
}
if (o.help) {
  console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 9).join('\n').replace(/^\/\/ ?/gm, ''));
  process.exit(0);
}
const QUICK = !!o.quick;
const ROUNDS = Number(o.rounds ?? (QUICK ? 3 : 5));
const RUN_TIMEOUT_MS = Number(o.timeout ?? 90000);
const msgsOverride = o.msgs ? Number(o.msgs) : 0;
if (!(ROUNDS >= 1) || (o.msgs && !(msgsOverride >= 1))) {
  console.error('--rounds and --msgs take positive numbers');
  process.exit(1);
}

const q = (full, quick) => msgsOverride || (QUICK ? quick : full);
/** Messages in the stream j5, j6 and j8 use (the issue's 1M scaled down for a shared 2-core machine). */
const JS_BIG = Number(o['js-big'] ?? (QUICK ? 1e5 : 3e5));
function fmtCount(n) {
  return n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n);
}
const SCENARIOS = [
  { id: 'a', name: '1 pub, 16 B, no subs', kind: 'pubsub', msgs: q(5e6, 1e6), size: 16, pubs: 1, subs: 0 },
  { id: 'b', name: '1 pub → 1 sub, 16 B', kind: 'pubsub', msgs: q(2e6, 5e5), size: 16, pubs: 1, subs: 1 },
  { id: 'c', name: '1 pub → 4 subs, 16 B', kind: 'pubsub', msgs: q(1e6, 2.5e5), size: 16, pubs: 1, subs: 4 },
  { id: 'd', name: '1 pub → 1 sub, 1 KiB', kind: 'pubsub', msgs: q(5e5, 1.5e5), size: 1024, pubs: 1, subs: 1 },
  { id: 'e', name: '4 pubs, 16 B, no subs', kind: 'pubsub', msgs: q(5e6, 1e6), size: 16, pubs: 4, subs: 0 },
  { id: 'f', name: 'request/reply, 128 B', kind: 'reqrep', msgs: Number(o.requests ?? (QUICK ? 3000 : 10000)), size: 128 },
  { id: 'g', name: '10k subs (wildcards), 10k subjects', kind: 'registry', msgs: q(1e6, 2.5e5), size: 16, subsTotal: 10000 },
  { id: 'h', name: '10k idle connections', kind: 'idle', conns: Number(o.conns ?? 10000) },
  // b over WebSocket: the live servers' websocket listener (no TLS, no compression), raw client frames.
  { id: 'w', name: '1 pub → 1 sub, 16 B, over WebSocket', kind: 'pubsub', msgs: q(2e6, 5e5), size: 16, pubs: 1, subs: 1, ws: true },
  { id: 'i', name: '1 pub → 1 sub across a route, 16 B', kind: 'route', msgs: q(1e6, 2.5e5), size: 16, pubs: 1, subs: 1 },
  { id: 's', name: 'start-up, default config', kind: 'startup', reps: QUICK ? 3 : 4 },
  // JetStream (servers started with -js on a fresh store directory each; see bench/README.md).
  { id: 'j1', name: 'JS 1 pub, 16 B, file, async acks (window 100)', kind: 'jspub', msgs: q(2e5, 5e4), size: 16, pubs: 1, storage: 'file' },
  { id: 'j2', name: 'JS 1 pub, 1 KiB, file, async acks', kind: 'jspub', msgs: q(1e5, 3e4), size: 1024, pubs: 1, storage: 'file' },
  { id: 'j3', name: 'JS 1 pub, 16 B, memory, async acks', kind: 'jspub', msgs: q(2e5, 5e4), size: 16, pubs: 1, storage: 'memory' },
  { id: 'j4', name: 'JS 4 pubs, 16 B, file, async acks', kind: 'jspub', msgs: q(2e5, 5e4), size: 16, pubs: 4, storage: 'file' },
  { id: 'j5', name: `JS pull consumer, explicit acks, batch 100, over ${fmtCount(JS_BIG)} stored 16 B msgs`, kind: 'jspull', msgs: JS_BIG },
  { id: 'j6', name: 'JS ordered push consumer over the same stream', kind: 'jsordered', msgs: JS_BIG },
  { id: 'j7', name: 'JS KV put/get mix (@nats-io/kv), 10k keys', kind: 'jskv', msgs: QUICK ? 5000 : 20000, keys: 10000 },
  { id: 'j8', name: `JS restart with the j5 stream (${fmtCount(JS_BIG)} msgs, file) after a clean stop`, kind: 'jsrestart', msgs: JS_BIG },
].filter((s) => !o.only || String(o.only).split(',').includes(s.id));
if (!SCENARIOS.length) {
  console.error(`--only ${o.only}: no such scenario (a-i, w, s, j1-j8)`);
  process.exit(1);
}

// ---------------------------------------------------------------- child bookkeeping

const children = new Set();
function track(child) {
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}
function killAll() {
  for (const pid of serverPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {}
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\n${sig}: stopping all children`);
    killAll();
    process.exit(130);
  });
}
process.on('uncaughtException', (e) => {
  console.error(e);
  killAll();
  process.exit(1);
});

// Runs a command with its open-files limit raised as far as the hard limit allows.
function spawnRaised(cmd, args, opts) {
  const sh = 'ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"';
  return track(spawn('/bin/sh', ['-c', sh, cmd, ...args], opts));
}

// ---------------------------------------------------------------- /proc

const CLK_TCK = Number(sh('getconf', ['CLK_TCK']) || 100);
function sh(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10000 }).trim();
  } catch {
    return '';
  }
}
function cpuTicks(pid) {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15)
}
function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}
function openFilesLimit(pid) {
  const m = /Max open files\s+(\d+|unlimited)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  return !m ? NaN : m[1] === 'unlimited' ? Infinity : Number(m[1]);
}

// ---------------------------------------------------------------- servers

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Resolves once the server on `port` sends its INFO line.
async function waitInfo(port, deadline) {
  while (Date.now() < deadline) {
    const ok = await new Promise((resolve) => {
      const s = net.createConnection({ host: '127.0.0.1', port });
      const t = setTimeout(() => (s.destroy(), resolve(false)), 1000);
      s.on('data', (b) => {
        clearTimeout(t);
        s.destroy();
        resolve(b.toString('latin1').startsWith('INFO '));
      });
      s.on('error', () => (clearTimeout(t), resolve(false)));
    });
    if (ok) return true;
    await sleep(50);
  }
  return false;
}

// $NATS_SERVER overrides where nats-server is looked for (empty: run without it).
const NATS_BIN =
  process.env.NATS_SERVER !== undefined
    ? process.env.NATS_SERVER && existsSync(process.env.NATS_SERVER) ? process.env.NATS_SERVER : ''
    : ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find(existsSync) || sh('sh', ['-c', 'command -v nats-server']);
const ADDON = join(root, 'build', 'Release', 'tsnats.node');
const CLI = join(root, 'dist', 'cli.cjs');
const notes = [];

const SERVERS = [
  { key: 'native', label: 'tsnats native', cmd: process.execPath, args: (p) => [CLI, '-a', '127.0.0.1', '-p', String(p), '--native', 'require'] },
  { key: 'ts', label: 'tsnats TS', cmd: process.execPath, args: (p) => [CLI, '-a', '127.0.0.1', '-p', String(p), '--native', 'off'] },
  { key: 'nats', label: 'nats-server', cmd: NATS_BIN, args: (p) => ['-a', '127.0.0.1', '-p', String(p)] },
].filter((s) => !o.servers || String(o.servers).split(',').includes(s.key));

// A server runs under a small sh guard: open-files limit raised, the server's pid printed first,
// and the server SIGKILLed when the guard's stdin (a pipe from us) closes, so that even a
// SIGKILLed orchestrator leaves no server behind. `child` is the guard; `pid` the server.
const GUARD = [
  'ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null',
  'exec 3<&0',
  '"$0" "$@" </dev/null 3<&- & pid=$!',
  'echo "GUARD_PID $pid"',
  '{ cat <&3 >/dev/null; kill -9 $pid 2>/dev/null; } &',
  'exec 3<&-',
  'wait $pid',
].join('\n');
const serverPids = new Set();

async function startServer(def, wait = waitInfo) {
  const port = await freePort();
  const child = track(spawn('/bin/sh', ['-c', GUARD, def.cmd, ...def.args(port)], { stdio: ['pipe', 'pipe', 'pipe'], cwd: root }));
  const log = [];
  let onPid;
  const pidP = new Promise((r) => (onPid = r));
  const keep = (b) => {
    for (const line of b.toString().split('\n')) {
      const m = /^GUARD_PID (\d+)$/.exec(line);
      if (m) onPid(Number(m[1]));
      else if (line) log.push(line);
    }
    if (log.length > 200) log.splice(0, log.length - 200);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  child.on('exit', (code, sig) => {
    exited = sig || `exit ${code}`;
    onPid(0);
  });
  const pid = await pidP;
  if (pid) serverPids.add(pid);
  const srv = { def, port, pid, child, log, exited: () => exited };
  const ready = pid && (await wait(port, Date.now() + 60000));
  if (!ready || exited) {
    await stopServer(srv);
    throw new Error(`${def.label} did not start (${exited ?? 'not ready within 60 s'}):\n    ${log.slice(-8).join('\n    ')}`);
  }
  return srv;
}
async function stopServer(s) {
  if (!s.exited()) {
    const gone = new Promise((r) => s.child.once('exit', r));
    try {
      if (s.pid) process.kill(s.pid, 'SIGTERM');
    } catch {}
    const t = setTimeout(() => {
      try {
        if (s.pid) process.kill(s.pid, 'SIGKILL');
      } catch {}
      s.child.kill('SIGKILL');
    }, 5000);
    await gone;
    clearTimeout(t);
  }
  s.child.stdin.end(); // lets the guard's watcher exit
  serverPids.delete(s.pid);
}

/**
 * A live server with a websocket listener as well (scenario w): `-c` a config holding only
 * `websocket { listen, no_tls: true }`, the client port from the flags as before; `wsPort` on it.
 */
const wsDirs = [];
async function startWsServer(def) {
  const wsPort = await freePort();
  const dir = mkdtempSync(join(os.tmpdir(), 'tsnats-bench-ws-'));
  wsDirs.push(dir);
  const conf = join(dir, 'ws.conf');
  writeFileSync(conf, `websocket { listen: "127.0.0.1:${wsPort}", no_tls: true }\n`);
  const srv = await startServer({ ...def, args: (p) => [...def.args(p), '-c', conf] });
  srv.wsPort = wsPort;
  return srv;
}

// ---------------------------------------------------------------- running the load generator

// Spawns one loadgen role; `ready` resolves with the READY line's JSON, `done` with the result.
function gen(role, args, { raised = false, timeoutMs = RUN_TIMEOUT_MS, script = LOADGEN } = {}) {
  const a = [script, role, ...args, '--timeout', String(timeoutMs)];
  const child = raised ? spawnRaised(process.execPath, a, { stdio: ['pipe', 'pipe', 'pipe'] }) : track(spawn(process.execPath, a, { stdio: ['pipe', 'pipe', 'pipe'] }));
  let out = '';
  let err = '';
  let onReady;
  const ready = new Promise((r) => (onReady = r));
  child.stdout.on('data', (b) => {
    out += b;
    const m = /^READY (.*)$/m.exec(out);
    if (m && onReady) {
      onReady(JSON.parse(m[1]));
      onReady = null;
    }
  });
  child.stderr.on('data', (b) => (err += b).length > 1e5 && (err = err.slice(-1e4)));
  const hard = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 5000);
  const done = new Promise((resolve) => {
    child.on('exit', (code, sig) => {
      clearTimeout(hard);
      if (onReady) onReady(null);
      const line = out.split('\n').filter((l) => l.startsWith('{')).pop();
      let j;
      try {
        j = JSON.parse(line);
      } catch {
        j = { ok: false, error: `${role}: no result (${sig || `exit ${code}`}) ${err.trim().split('\n').slice(-3).join(' | ')}` };
      }
      if (!j.ok && j.error && !j.error.startsWith(role)) j.error = `${role}: ${j.error}`;
      resolve(j);
    });
  });
  return { child, ready, done, close: () => child.stdin.end() };
}

// Once the publisher has its final PONG the server has read everything: receivers get GRACE_MS
// to see the rest, then are told to stop and report what they got (a loss is an error).
const GRACE_MS = 10000;
async function settle(gens, graceMs) {
  const t = setTimeout(() => gens.forEach((g) => g.close()), graceMs);
  const res = await Promise.all(gens.map((g) => g.done));
  clearTimeout(t);
  return res;
}

const cpuOf = (j) => (j?.gen_cpu ? j.gen_cpu.user_s + j.gen_cpu.sys_s : 0);

async function runPubSub(srv, sc) {
  const port = sc.ws ? ['--port', String(srv.wsPort), '--ws'] : ['--port', String(srv.port)];
  const subject = `bench.${sc.id}.${Math.random().toString(36).slice(2, 8)}`;
  // One process per subscriber so that on a small machine no single generator core is shared
  // by several receiving connections.
  const subs = Array.from({ length: sc.subs }, () => gen('sub', [...port, '--subject', subject, '--expect', String(sc.msgs), '--size', String(sc.size)]));
  const ready = await Promise.all(subs.map((s) => s.ready));
  if (ready.some((r) => !r)) {
    const res = await Promise.all(subs.map((s) => s.done));
    return { ok: false, error: res.find((r) => !r.ok)?.error ?? 'subscriber did not get ready' };
  }
  const c0 = cpuTicks(srv.pid);
  const pub = gen('pub', [...port, '--subject', subject, '--msgs', String(sc.msgs), '--size', String(sc.size), '--conns', String(sc.pubs)]);
  const p = await pub.done;
  const ss = await settle(subs, p.ok ? GRACE_MS : 0);
  const c1 = cpuTicks(srv.pid);
  return pubSubResult(sc, p, ss, c1 - c0);
}

function pubSubResult(sc, p, ss, ticks) {
  const bad = [p, ...ss].find((j) => !j.ok);
  if (bad) return { ok: false, error: bad.error + (bad.received ? ` (received ${bad.received.join(', ')} of ${bad.expected})` : '') };
  const r = {
    ok: true,
    pub_mps: p.msgs_per_sec,
    server_ns_per_msg: (ticks * 1e9) / CLK_TCK / sc.msgs,
    gen_cpu_pct: (100 * (cpuOf(p) + ss.reduce((a, s) => a + cpuOf(s), 0))) / ((p.t_end - p.t_start) / 1e6),
  };
  if (ss.length) {
    const last = Math.max(...ss.map((s) => s.t_last));
    const delivered = ss.reduce((a, s) => a + s.received.reduce((x, y) => x + y, 0), 0);
    r.sub_mps = delivered / ((last - p.t_start) / 1e6);
    r.gen_cpu_pct = (100 * (cpuOf(p) + ss.reduce((a, s) => a + cpuOf(s), 0))) / ((last - p.t_start) / 1e6);
  }
  return r;
}

async function runRegistry(srv, sc) {
  const port = ['--port', String(srv.port)];
  const recv = gen('reg', [...port, '--expect', String(sc.msgs), '--subs', String(sc.subsTotal), '--fillers', '3']);
  if (!(await recv.ready)) return { ok: false, error: (await recv.done).error };
  const c0 = cpuTicks(srv.pid);
  const pub = gen('pub', [...port, '--registry', '--msgs', String(sc.msgs), '--size', String(sc.size)]);
  const p = await pub.done;
  const [s] = await settle([recv], p.ok ? GRACE_MS : 0);
  const c1 = cpuTicks(srv.pid);
  return pubSubResult(sc, p, [s], c1 - c0);
}

async function runReqRep(srv, sc) {
  const port = ['--port', String(srv.port)];
  const subject = `bench.req.${Math.random().toString(36).slice(2, 8)}`;
  const warm = Math.min(500, Math.ceil(sc.msgs / 10));
  const resp = gen('resp', [...port, '--subject', subject, '--expect', String(sc.msgs + warm), '--size', String(sc.size)]);
  if (!(await resp.ready)) return { ok: false, error: (await resp.done).error };
  const c0 = cpuTicks(srv.pid);
  const req = gen('req', [...port, '--subject', subject, '--msgs', String(sc.msgs), '--warmup', String(warm), '--size', String(sc.size)]);
  const r = await req.done;
  const [s] = await settle([resp], r.ok ? GRACE_MS : 0);
  const c1 = cpuTicks(srv.pid);
  const bad = [r, s].find((j) => !j.ok);
  if (bad) return { ok: false, error: bad.error };
  return {
    ok: true,
    p50_us: r.latency.p50_us,
    p99_us: r.latency.p99_us,
    req_per_s: r.msgs_per_sec,
    server_ns_per_msg: (c1 - c0) * (1e9 / CLK_TCK) / (sc.msgs + warm),
    gen_cpu_pct: (100 * (cpuOf(r) + cpuOf(s))) / r.gen_cpu.wall_s,
  };
}

// Idle connections: a fresh server each time, RSS before and after N connections that have each
// completed CONNECT + PING/PONG, settled for a second.
async function runIdle(def, sc) {
  let srv;
  try {
    srv = await startServer(def);
  } catch (e) {
    return { ok: false, error: e.message.split('\n')[0] };
  }
  let g;
  try {
    await sleep(500);
    const limit = openFilesLimit(srv.pid);
    const myLimit = Number(sh('sh', ['-c', 'ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; ulimit -n'])) || NaN;
    const conns = Math.max(1, Math.min(sc.conns, limit - 64, myLimit - 64));
    const rss0 = rssBytes(srv.pid);
    g = gen('idle', ['--port', String(srv.port), '--conns', String(conns)], { raised: true });
    const ready = await g.ready;
    if (!ready) return { ok: false, error: (await g.done).error };
    await sleep(1000);
    const rss1 = rssBytes(srv.pid);
    g.close();
    const d = await g.done;
    if (!d.ok) return { ok: false, error: d.error };
    if (srv.exited()) return { ok: false, error: `server died (${srv.exited()})` };
    return { ok: true, conns, limited: conns < sc.conns ? `fd limit ${Math.min(limit, myLimit)}` : '', kib_per_conn: (rss1 - rss0) / 1024 / conns, rss_before_mib: rss0 / 2 ** 20, rss_after_mib: rss1 / 2 ** 20, connect_s: ready.connect_s };
  } finally {
    g?.child.kill('SIGKILL');
    await stopServer(srv);
  }
}

/**
 * Scenario i: two fresh servers of one kind in a cluster; the subscriber is on the first, the
 * publisher on the second, so every message crosses the route. CPU is both servers'.
 */
async function runRoute(def, sc) {
  const [r1, r2] = [await freePort(), await freePort()];
  const cluster = (rp, seed) => ['--cluster', `nats://127.0.0.1:${rp}`, '--cluster_name', 'bench', ...(seed ? ['--routes', `nats://127.0.0.1:${seed}`] : [])];
  const nodes = [];
  try {
    nodes.push(await startServer({ ...def, args: (p) => [...def.args(p), ...cluster(r1, 0)] }));
    nodes.push(await startServer({ ...def, args: (p) => [...def.args(p), ...cluster(r2, r1)] }));
    await sleep(ROUTE_SETTLE_MS);
    const subject = `bench.${sc.id}.${Math.random().toString(36).slice(2, 8)}`;
    const sub = gen('sub', ['--port', String(nodes[0].port), '--subject', subject, '--expect', String(sc.msgs), '--size', String(sc.size)]);
    if (!(await sub.ready)) return { ok: false, error: (await sub.done).error ?? 'subscriber did not get ready' };
    await sleep(ROUTE_SETTLE_MS); // the subscription's RS+ reaches the publisher's node
    const ticks = () => nodes.reduce((a, n) => a + cpuTicks(n.pid), 0);
    const c0 = ticks();
    const pub = gen('pub', ['--port', String(nodes[1].port), '--subject', subject, '--msgs', String(sc.msgs), '--size', String(sc.size), '--conns', String(sc.pubs)]);
    const p = await pub.done;
    const ss = await settle([sub], p.ok ? GRACE_MS : 0);
    const c1 = ticks();
    return pubSubResult(sc, p, ss, c1 - c0);
  } finally {
    for (const n of nodes) await stopServer(n);
  }
}
/**
 * Scenario s: `reps` samples, each three fresh processes back to back: `node -e 0` (spawn until
 * exit: Node's own boot on this machine at this moment), the server (spawn until its port
 * accepts a TCP connection, polled every 2 ms; then SIGKILLed), and for tsnats a Node process
 * that imports the library and times `startServer()` from the call until it resolves (listening).
 * Each sample is one result, so the medians are over rounds × reps.
 */
async function runStartup(def, sc) {
  const out = [];
  for (let i = 0; i < sc.reps; i++) {
    try {
      const node_ms = await timeNodeBoot();
      const spawn_ms = await timeSpawnToAccept(def);
      const r = { ok: true, rep: i, node_ms, spawn_ms, vs_node: spawn_ms / node_ms };
      if (def.key !== 'nats') r.inproc_ms = await timeStartServer(def.key === 'native' ? 'require' : 'off');
      out.push(r);
    } catch (e) {
      out.push({ ok: false, rep: i, error: e.message });
    }
  }
  return out;
}
function timeNodeBoot() {
  const t0 = performance.now();
  const c = track(spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' }));
  return new Promise((resolve, reject) => {
    c.on('error', reject);
    c.on('exit', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`node -e 0: exit ${code}`))));
  });
}
function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.createConnection({ host: '127.0.0.1', port });
    s.on('connect', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });
}
async function timeSpawnToAccept(def) {
  const port = await freePort();
  const t0 = performance.now();
  const c = track(spawn(def.cmd, def.args(port), { stdio: 'ignore', cwd: root }));
  let exited = null;
  const gone = new Promise((r) => c.on('exit', (code, sig) => r((exited = sig || `exit ${code}`))));
  try {
    while (!exited) {
      if (await canConnect(port)) return performance.now() - t0;
      if (performance.now() - t0 > 15000) throw new Error(`${def.label}: port ${port} not accepting after 15 s`);
      await sleep(2);
    }
    throw new Error(`${def.label} exited before accepting (${exited})`);
  } finally {
    c.kill('SIGKILL');
    await gone;
  }
}
const INPROC = `
const t0 = performance.now();
const { startServer } = await import(process.argv[1]);
const t1 = performance.now();
const s = await startServer({ host: '127.0.0.1', port: -1, native: process.argv[2] });
const t2 = performance.now();
await s.shutdown();
console.log(JSON.stringify({ import_ms: t1 - t0, start_ms: t2 - t1 }));
`;
function timeStartServer(native) {
  const lib = new URL('../dist/index.js', import.meta.url).href;
  const c = track(spawn(process.execPath, ['--input-type=module', '-e', INPROC, lib, native], { stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  let err = '';
  c.stdout.on('data', (b) => (out += b));
  c.stderr.on('data', (b) => (err += b));
  const hard = setTimeout(() => c.kill('SIGKILL'), 15000);
  return new Promise((resolve, reject) => {
    c.on('exit', (code, sig) => {
      clearTimeout(hard);
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()).start_ms);
      } catch {
        reject(new Error(`startServer(): ${sig || `exit ${code}`} ${err.trim().split('\n').slice(-2).join(' | ')}`));
      }
    });
  });
}

/** How long scenario i waits for the route to form, and then for interest to cross it. */
const ROUTE_SETTLE_MS = 1500;

// ---------------------------------------------------------------- JetStream (j1-j8)

/**
 * One request on a fresh connection: the reply's payload as a string, or null (no connection,
 * no reply within `timeoutMs`, a status such as 503 no responders).
 */
function natsRequest(port, subject, body, timeoutMs) {
  return new Promise((resolve) => {
    const s = net.createConnection({ host: '127.0.0.1', port });
    let buf = '';
    const done = (v) => {
      clearTimeout(t);
      s.destroy();
      resolve(v);
    };
    const t = setTimeout(() => done(null), timeoutMs);
    s.on('error', () => done(null));
    s.on('connect', () => s.write(`CONNECT {"verbose":false,"headers":true,"no_responders":true}\r\nSUB _R.r 1\r\nPUB ${subject} _R.r ${Buffer.byteLength(body)}\r\n${body}\r\n`));
    s.on('data', (b) => {
      buf += b.toString('latin1');
      const m = /(?:^|\n)(H?)MSG [^ ]+ 1 (?:(\d+) )?(\d+)\r\n/.exec(buf);
      if (!m) return;
      const start = m.index + m[0].length;
      const total = Number(m[3]);
      if (buf.length < start + total) return;
      done(m[1] ? null : buf.slice(start, start + total));
    });
  });
}

/** Ready when `$JS.API.INFO` answers (JetStream restored its streams), polled every 5 ms. */
async function waitJsInfo(port, deadline) {
  while (Date.now() < deadline) {
    const r = await natsRequest(port, '$JS.API.INFO', '', 1000);
    if (r !== null && r.includes('"type"')) return true;
    await sleep(5);
  }
  return false;
}

/** The JetStream servers: one per kind, -js on its own fresh store directory, restarted by j8. */
const jsLive = {};
const jsDirs = [];
const bigFilled = {};
const jsDef = (def, dir) => ({ ...def, args: (p) => [...def.args(p), '-js', '-sd', dir] });
async function jsServer(def) {
  const cur = jsLive[def.key];
  if (cur && !cur.exited()) return cur;
  const dir = cur?.dir ?? mkdtempSync(join(os.tmpdir(), `tsnats-bench-js-${def.key}-`));
  if (!cur) jsDirs.push(dir);
  const srv = await startServer(jsDef(def, dir), waitJsInfo);
  srv.dir = dir;
  jsLive[def.key] = srv;
  log(`${def.label} (-js): pid ${srv.pid}, port ${srv.port}, store ${dir}`);
  if (!cur) await jsWarmUp(srv, def);
  return srv;
}

/**
 * Before its first measured run, each JetStream server gets an unmeasured warm-up (JIT, buffers,
 * as the core servers get 200k messages of b): publishes of 16 B to a file and a memory stream
 * and of 1 KiB to a file stream (j2's paths: the record copy and checksum of long records), a
 * pull consumer over the first, then the streams are deleted; with j7, one KV run of j7's size.
 */
async function jsWarmUp(srv, def) {
  const port = ['--port', String(srv.port)];
  const n = String(QUICK ? 30000 : 60000);
  for (const [storage, size] of [['file', 16], ['memory', 16], ['file', 1024]]) {
    const stream = `WARM${storage.toUpperCase()}${size}`;
    const p = await gen('pub', [...port, '--create', '--stream', stream, '--subject', `warm.${storage}.${size}`, '--msgs', n, '--size', String(size), '--storage', storage], { script: JSGEN }).done;
    const c = p.ok && storage === 'file' && size === 16 ? await gen('pull', [...port, '--stream', stream, '--msgs', n], { script: JSGEN }).done : p;
    await natsRequest(srv.port, `$JS.API.STREAM.DELETE.${stream}`, '', 10000);
    if (!p.ok || !c.ok) log(`warm-up on ${def.label} (-js) failed: ${p.ok ? c.error : p.error}`);
  }
  // j7's paths (KV puts, direct gets, their replies): one unmeasured KV run of its size.
  const kv = SCENARIOS.find((s) => s.kind === 'jskv');
  if (kv) {
    const k = await gen('kv', [...port, '--keys', String(kv.keys), '--ops', String(kv.msgs)], { script: JSGEN }).done;
    if (!k.ok) log(`KV warm-up on ${def.label} (-js) failed: ${k.error}`);
  }
}
function duBytes(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? duBytes(p) : statSync(p).size;
  }
  return n;
}

/** The stream BIG (subject `big`, file, n msgs of 16 B) that j5, j6 and j8 use: filled once per server, not measured. */
async function ensureBig(srv, def, n) {
  if (bigFilled[def.key]) return null;
  const j = await gen('pub', ['--port', String(srv.port), '--create', '--stream', 'BIG', '--subject', 'big', '--msgs', String(n), '--size', '16', '--window', '1000'], { script: JSGEN }).done;
  if (!j.ok) return { ok: false, error: `filling BIG: ${j.error}` };
  bigFilled[def.key] = true;
  log(`${def.label}: BIG filled with ${fmtCount(n)} msgs at ${fmtRate(j.msgs_per_sec)}/s (not measured)`);
  return null;
}

async function runJs(def, sc, round) {
  let srv = await jsServer(def);
  if (sc.kind === 'jspull' || sc.kind === 'jsordered' || sc.kind === 'jsrestart') {
    const bad = await ensureBig(srv, def, JS_BIG);
    if (bad) return bad;
  }
  if (sc.kind === 'jsrestart') {
    // A clean stop (SIGTERM), then spawn until $JS.API.INFO answers; RSS 0.5 s later.
    await stopServer(srv);
    const disk = duBytes(join(srv.dir, 'jetstream', '$G', 'streams', 'BIG'));
    const t0 = performance.now();
    srv = await startServer(jsDef(def, srv.dir), waitJsInfo).then((s) => Object.assign(s, { dir: srv.dir }));
    const restart_ms = performance.now() - t0;
    jsLive[def.key] = srv;
    await sleep(500);
    const rss = rssBytes(srv.pid);
    const info = JSON.parse((await natsRequest(srv.port, '$JS.API.STREAM.INFO.BIG', '', 10000)) ?? '{}');
    if (info.state?.messages !== JS_BIG) return { ok: false, error: `BIG has ${info.state?.messages} msgs after the restart, not ${JS_BIG}` };
    // The scenarios of the next rounds run on this new process: warm it up as the first one was.
    await jsWarmUp(srv, def);
    return { ok: true, restart_ms, rss_mib: rss / 2 ** 20, disk_per_msg: disk / JS_BIG };
  }
  const port = ['--port', String(srv.port)];
  let role;
  let args;
  const name = `${sc.id.toUpperCase()}R${round}`;
  if (sc.kind === 'jspub') {
    role = 'pub';
    args = ['--create', '--stream', name, '--subject', `js.${name}`, '--msgs', String(sc.msgs), '--size', String(sc.size), '--pubs', String(sc.pubs), '--window', '100', '--storage', sc.storage];
  } else if (sc.kind === 'jspull') [role, args] = ['pull', ['--stream', 'BIG', '--msgs', String(sc.msgs), '--batch', '100']];
  else if (sc.kind === 'jsordered') [role, args] = ['ordered', ['--stream', 'BIG', '--msgs', String(sc.msgs)]];
  else [role, args] = ['kv', ['--keys', String(sc.keys), '--ops', String(sc.msgs)]];
  const c0 = cpuTicks(srv.pid);
  const j = await gen(role, [...port, ...args], { script: JSGEN }).done;
  const c1 = cpuTicks(srv.pid);
  // The stream goes after the measurement (its deletion is not publishing).
  if (sc.kind === 'jspub') await natsRequest(srv.port, `$JS.API.STREAM.DELETE.${name}`, '', 30000);
  if (!j.ok) return { ok: false, error: j.error };
  if (srv.exited()) return { ok: false, error: `server died during the run (${srv.exited()}): ${srv.log.slice(-3).join(' | ')}` };
  return { ok: true, mps: j.msgs_per_sec, server_ns_per_msg: ((c1 - c0) * 1e9) / CLK_TCK / sc.msgs, gen_cpu_pct: (100 * cpuOf(j)) / j.gen_cpu.wall_s };
}

async function runScenario(srv, sc) {
  if (sc.kind === 'pubsub') return runPubSub(srv, sc);
  if (sc.kind === 'registry') return runRegistry(srv, sc);
  if (sc.kind === 'reqrep') return runReqRep(srv, sc);
  throw new Error(sc.kind);
}

// ---------------------------------------------------------------- natsbench cross-check

const NB_BIN = o['natsbench-bin'] || ['/tmp/natsbench/natsbench'].find(existsSync) || sh('sh', ['-c', 'command -v natsbench']);
/** natsbench's arguments for a JetStream scenario (its --js modes): j1-j4 publish, j5 pull, j6 ordered push over BIG. */
function natsbenchJsArgs(sc, round) {
  if (sc.kind === 'jspub') return [`js.nb.${sc.id}.${round}`, '--js', '--stream', `NB${sc.id.toUpperCase()}R${round}`, '--storage', sc.storage, '--pub', String(sc.pubs), '--msgs', String(sc.msgs), '--size', String(sc.size), '--pubbatch', '100', '--js-delete'];
  return ['big', '--js', '--stream', 'BIG', '--sub', '1', '--msgs', String(sc.msgs), sc.kind === 'jspull' ? '--pull' : '--push', '--consumer', `nb${round}`];
}
function natsbench(srv, sc, round) {
  return new Promise((resolve) => {
    const common = ['--server', `nats://127.0.0.1:${srv.port}`, '--json', '--quiet', '--timeout', `${Math.round(RUN_TIMEOUT_MS / 1000)}s`, '--server-pid', String(srv.pid)];
    const js = sc.kind.startsWith('js');
    const args = js ? [...natsbenchJsArgs(sc, round), ...common] : [`bench.nb.${sc.id}`, ...common, '--pub', String(sc.pubs), '--sub', String(sc.subs), '--msgs', String(sc.msgs), '--size', String(sc.size)];
    const child = track(spawn(NB_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (err += b));
    const hard = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS + 10000);
    child.on('exit', (code, sig) => {
      clearTimeout(hard);
      let j;
      try {
        j = JSON.parse(out.trim().split('\n').pop());
      } catch {
        return resolve({ ok: false, error: `natsbench: ${sig || `exit ${code}`} ${err.trim().split('\n').pop() ?? ''}` });
      }
      if (!j.ok) return resolve({ ok: false, error: `natsbench: ${(j.errors || []).join('; ')}` });
      if (js) {
        const phase = sc.kind === 'jspub' ? j.pub : j.sub;
        const cpu = phase?.server_cpu ?? j.server_cpu;
        return resolve({ ok: true, mps: phase?.msgs_per_sec ?? phase?.rate, server_ns_per_msg: cpu ? (cpu.total_s * 1e9) / sc.msgs : NaN });
      }
      const r = { ok: true, pub_mps: j.pub?.msgs_per_sec, server_ns_per_msg: j.server_cpu ? (j.server_cpu.total_s * 1e9) / j.msgs : NaN };
      if (sc.subs) r.sub_mps = j.sub?.msgs_per_sec;
      resolve(r);
    });
  });
}

// ---------------------------------------------------------------- statistics and formatting

const median = (xs) => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
const fmtRate = (x) => (!Number.isFinite(x) ? '–' : x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e4 ? `${(x / 1e3).toFixed(0)}k` : x.toFixed(0));
const fmtNum = (d) => (x) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const fmtRatio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '–');

// Metrics per scenario kind: key, label, formatter, and which way is better.
const METRICS = {
  pubsub: [
    ['pub_mps', 'pub msgs/s', fmtRate, 'higher'],
    ['sub_mps', 'delivered msgs/s (all subs)', fmtRate, 'higher'],
    ['server_ns_per_msg', 'server CPU ns/msg published', fmtNum(0), 'lower'],
  ],
  registry: [
    ['pub_mps', 'pub msgs/s', fmtRate, 'higher'],
    ['sub_mps', 'delivered msgs/s', fmtRate, 'higher'],
    ['server_ns_per_msg', 'server CPU ns/msg published', fmtNum(0), 'lower'],
  ],
  reqrep: [
    ['p50_us', 'latency p50 µs', fmtNum(1), 'lower'],
    ['p99_us', 'latency p99 µs', fmtNum(1), 'lower'],
    ['server_ns_per_msg', 'server CPU ns/request', fmtNum(0), 'lower'],
  ],
  idle: [['kib_per_conn', 'server RSS KiB/conn', fmtNum(2), 'lower']],
  route: [
    ['pub_mps', 'pub msgs/s', fmtRate, 'higher'],
    ['sub_mps', 'delivered msgs/s', fmtRate, 'higher'],
    ['server_ns_per_msg', 'CPU of both servers ns/msg', fmtNum(0), 'lower'],
  ],
  jspub: [
    ['mps', 'acked msgs/s', fmtRate, 'higher'],
    ['server_ns_per_msg', 'server CPU ns/msg', fmtNum(0), 'lower'],
  ],
  jspull: [
    ['mps', 'consumed msgs/s', fmtRate, 'higher'],
    ['server_ns_per_msg', 'server CPU ns/msg', fmtNum(0), 'lower'],
  ],
  jsordered: [
    ['mps', 'consumed msgs/s', fmtRate, 'higher'],
    ['server_ns_per_msg', 'server CPU ns/msg', fmtNum(0), 'lower'],
  ],
  jskv: [
    ['mps', 'ops/s', fmtRate, 'higher'],
    ['server_ns_per_msg', 'server CPU ns/op', fmtNum(0), 'lower'],
  ],
  jsrestart: [
    ['restart_ms', 'spawn until $JS.API.INFO answers, ms', fmtNum(0), 'lower'],
    ['rss_mib', 'RSS after the restart, MiB', fmtNum(1), 'lower'],
    ['disk_per_msg', 'stream bytes on disk per msg', fmtNum(1), 'lower'],
  ],
  startup: [
    ['spawn_ms', 'spawn until the port accepts, ms', fmtNum(1), 'lower'],
    ['node_ms', '`node -e 0` until exit, ms (alongside)', fmtNum(1), 'none'],
    ['vs_node', 'spawn until accepting / `node -e 0`', fmtRatio, 'none'],
    ['inproc_ms', '`startServer()` call until listening, ms', fmtNum(1), 'lower'],
  ],
};

// results[serverKey][scenarioId] = [{round, ...result}]
function table(results, scenarios, servers, title) {
  const base = servers.find((s) => s.key === 'nats');
  const others = servers.filter((s) => s.key !== 'nats');
  const lines = [];
  lines.push(`### ${title}`, '');
  const head = ['#', 'scenario', 'metric', ...servers.map((s) => s.label)];
  if (base) for (const s of others) head.push(`${s.label} vs nats`);
  lines.push(`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 3 ? '---' : '--:')).join('|')}|`);
  for (const sc of scenarios) {
    const metrics = METRICS[sc.kind].filter(([k]) => sc.kind !== 'pubsub' || k !== 'sub_mps' || sc.subs > 0);
    metrics.forEach(([key, label, fmt, better], mi) => {
      const row = [mi === 0 ? sc.id : '', mi === 0 ? sc.name : '', label];
      for (const s of servers) {
        const runs = results[s.key]?.[sc.id] ?? [];
        const ok = runs.filter((r) => r.ok);
        let cell = fmt(median(ok.map((r) => r[key])));
        if (mi === 0 && ok.length < runs.length) cell += ` (${runs.length - ok.length}/${runs.length} FAILED)`;
        if (!runs.length) cell = 'skipped';
        row.push(cell);
      }
      if (base) {
        for (const s of others) {
          // Median of per-round ratios, oriented so that > 1 means tsnats is better.
          const rs = [];
          for (const r of (results[s.key]?.[sc.id] ?? []).filter((x) => x.ok)) {
            const b = better !== 'none' && (results.nats?.[sc.id] ?? []).find((x) => x.ok && x.round === r.round && x.rep === r.rep);
            if (b) rs.push(better === 'higher' ? r[key] / b[key] : b[key] / r[key]);
          }
          row.push(fmtRatio(median(rs)));
        }
      }
      lines.push(`| ${row.join(' | ')} |`);
    });
  }
  lines.push('');
  if (base) lines.push('Ratios: median of per-round ratios, oriented so that **> 1 means tsnats is better** (throughput tsnats/nats; latency, CPU and memory nats/tsnats). Cells are medians over the rounds that succeeded.', '');
  return lines.join('\n');
}

function genTable(results, scenarios, servers) {
  const lines = ['Load generator CPU (all its processes, % of one core over the run; 200 = both cores of a 2-core machine):', ''];
  const head = ['#', ...servers.map((s) => s.label)];
  lines.push(`| ${head.join(' | ')} |`, `|${head.map(() => '--:').join('|')}|`);
  for (const sc of scenarios.filter((s) => s.kind !== 'idle' && s.kind !== 'startup' && s.kind !== 'jsrestart')) {
    lines.push(`| ${sc.id} | ${servers.map((s) => fmtNum(0)(median((results[s.key]?.[sc.id] ?? []).filter((r) => r.ok).map((r) => r.gen_cpu_pct)))).join(' | ')} |`);
  }
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------- main

function gitRev() {
  const rev = sh('git', ['-C', root, 'rev-parse', '--short', 'HEAD']);
  if (!rev) return 'uncommitted';
  const dirty = sh('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no', '--', 'src', 'native', 'binding.gyp']);
  return dirty ? `${rev} + uncommitted changes` : rev;
}
function newestMtime(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}
const log = (s) => process.stderr.write(s + '\n');

async function main() {
  const tBegin = Date.now();
  const rev = gitRev();
  if (!existsSync(CLI)) {
    console.error(`${relative(process.cwd(), CLI)} is missing: build first with \`npx tsc -p tsconfig.json\``);
    process.exit(1);
  }
  if (existsSync(join(root, 'src')) && newestMtime(join(root, 'src')) > statSync(CLI).mtimeMs + 1000) {
    notes.push('dist/ is older than src/: these figures may not reflect the current sources (run `npx tsc -p tsconfig.json`).');
  }
  const self = await gen('selftest', [], { timeoutMs: 30000 }).done;
  if (!self.ok) {
    console.error(`the load generator's frame reader failed its self-test: ${self.error}`);
    process.exit(1);
  }
  const distMtime = statSync(CLI).mtimeMs;
  let servers = SERVERS.slice();
  if (servers.some((s) => s.key === 'native') && !existsSync(ADDON)) {
    notes.push(`tsnats native skipped: ${relative(root, ADDON)} is not built (\`node scripts/build-native.mjs --force\`).`);
    servers = servers.filter((s) => s.key !== 'native');
  }
  if (servers.some((s) => s.key === 'nats') && !NATS_BIN) {
    notes.push('nats-server is not installed: absolute figures only, no ratios.');
    servers = servers.filter((s) => s.key !== 'nats');
  }
  const natsVersion = NATS_BIN ? sh(NATS_BIN, ['--version']) : '';

  // Start the long-lived servers (scenario h starts its own fresh ones).
  const live = {};
  const needLive = SCENARIOS.some((s) => s.kind !== 'idle' && s.kind !== 'route' && s.kind !== 'startup' && !s.kind.startsWith('js'));
  const needWs = SCENARIOS.some((s) => s.ws);
  for (const def of needLive ? servers.slice() : []) {
    try {
      live[def.key] = needWs ? await startWsServer(def) : await startServer(def);
      log(`${def.label}: pid ${live[def.key].pid}, port ${live[def.key].port}`);
    } catch (e) {
      notes.push(`${def.label} skipped: ${e.message}`);
      servers = servers.filter((s) => s !== def);
    }
  }
  if (!servers.length) {
    console.error(notes.join('\n'));
    process.exit(1);
  }

  // A short warm-up per server (JIT, buffers), not measured.
  for (const def of needLive ? servers : []) {
    const w = await runPubSub(live[def.key], { id: 'warm', kind: 'pubsub', msgs: 200000, size: 16, pubs: 1, subs: 1 });
    if (!w.ok) log(`warm-up on ${def.label} failed: ${w.error}`);
    const ww = needWs && (await runPubSub(live[def.key], { id: 'warmws', kind: 'pubsub', msgs: 200000, size: 16, pubs: 1, subs: 1, ws: true }));
    if (ww && !ww.ok) log(`websocket warm-up on ${def.label} failed: ${ww.error}`);
  }

  const results = Object.fromEntries(servers.map((s) => [s.key, {}]));
  const failures = [];
  const record = (res, def, sc, r, tag = '') => {
    res.round = r;
    (results[def.key][sc.id] ??= []).push(res);
    if (!res.ok) failures.push(`${tag}round ${r + 1}, ${sc.id} (${sc.name}), ${def.label}: ${res.error}`);
  };
  const brief = (res) =>
    !res.ok
      ? `FAIL ${res.error}`
      : res.restart_ms !== undefined
        ? `restart ${res.restart_ms.toFixed(0)} ms, RSS ${res.rss_mib.toFixed(1)} MiB, ${res.disk_per_msg.toFixed(1)} B/msg on disk`
      : res.mps !== undefined
        ? `${fmtRate(res.mps)}/s, ${res.server_ns_per_msg.toFixed(0)} ns/msg, gen ${res.gen_cpu_pct.toFixed(0)}%`
      : res.spawn_ms !== undefined
        ? `${res.spawn_ms.toFixed(0)} ms (node ${res.node_ms.toFixed(0)} ms${res.inproc_ms !== undefined ? `, startServer ${res.inproc_ms.toFixed(0)} ms` : ''})`
        : res.p50_us !== undefined
        ? `p50 ${res.p50_us.toFixed(1)} µs, p99 ${res.p99_us.toFixed(1)} µs, ${res.server_ns_per_msg.toFixed(0)} ns/req`
        : res.kib_per_conn !== undefined
          ? `${res.kib_per_conn.toFixed(2)} KiB/conn (${res.conns} conns, RSS ${res.rss_before_mib.toFixed(1)} → ${res.rss_after_mib.toFixed(1)} MiB)`
          : `pub ${fmtRate(res.pub_mps)}/s${res.sub_mps ? `, delivered ${fmtRate(res.sub_mps)}/s` : ''}, ${res.server_ns_per_msg.toFixed(0)} ns/msg, gen ${res.gen_cpu_pct.toFixed(0)}%`;

  for (let r = 0; r < ROUNDS; r++) {
    const order = servers.map((_, i) => servers[(i + r) % servers.length]);
    for (const sc of SCENARIOS) {
      for (const def of order) {
        let res;
        if (sc.kind === 'startup') {
          const rs = await runStartup(def, sc);
          for (const x of rs) record(x, def, sc, r);
          log(`round ${r + 1}/${ROUNDS} ${sc.id} ${def.label.padEnd(13)} ${rs.map(brief).join('; ')}`);
          continue;
        }
        if (sc.kind.startsWith('js')) res = await runJs(def, sc, r).catch((e) => ({ ok: false, error: e.message }));
        else if (sc.kind === 'idle') res = await runIdle(def, sc);
        else if (sc.kind === 'route') res = await runRoute(def, sc).catch((e) => ({ ok: false, error: e.message }));
        else {
          const srv = live[def.key];
          if (srv.exited()) res = { ok: false, error: `server is gone (${srv.exited()}): ${srv.log.slice(-3).join(' | ')}` };
          else {
            try {
              res = await runScenario(srv, sc);
            } catch (e) {
              res = { ok: false, error: e.message };
            }
            if (srv.exited()) res = { ok: false, error: `server died during the run (${srv.exited()}): ${srv.log.slice(-3).join(' | ')}` };
          }
        }
        record(res, def, sc, r);
        log(`round ${r + 1}/${ROUNDS} ${sc.id} ${def.label.padEnd(13)} ${brief(res)}`);
        if (res.limited) notes.push(`h: ${def.label} used ${res.conns} connections (${res.limited}).`);
      }
    }
  }

  let nbResults = null;
  const nbScenarios = SCENARIOS.filter((s) => s.kind === 'pubsub' || s.kind === 'jspub' || s.kind === 'jspull' || s.kind === 'jsordered');
  if (o.natsbench) {
    if (!NB_BIN || !existsSync(NB_BIN)) notes.push('--natsbench: natsbench not found (build it: cp -r /work/shared/tools/natsbench /tmp/ && /tmp/natsbench/build.sh, or pass --natsbench-bin).');
    else {
      nbResults = Object.fromEntries(servers.map((s) => [s.key, {}]));
      for (let r = 0; r < ROUNDS; r++) {
        const order = servers.map((_, i) => servers[(i + r) % servers.length]);
        for (const sc of nbScenarios) {
          for (const def of order) {
            let srv = live[def.key];
            if (sc.kind.startsWith('js')) {
              srv = await jsServer(def).catch(() => srv);
              if (sc.kind !== 'jspub') await ensureBig(srv, def, JS_BIG);
            }
            const res = !srv || srv.exited() ? { ok: false, error: `server is gone (${srv?.exited()})` } : await natsbench(srv, sc, r);
            res.round = r;
            (nbResults[def.key][sc.id] ??= []).push(res);
            if (!res.ok) failures.push(`natsbench round ${r + 1}, ${sc.id}, ${def.label}: ${res.error}`);
            log(`natsbench round ${r + 1}/${ROUNDS} ${sc.id} ${def.label.padEnd(13)} ${res.ok ? `${res.mps !== undefined ? fmtRate(res.mps) : `pub ${fmtRate(res.pub_mps)}`}/s${res.sub_mps ? `, sub ${fmtRate(res.sub_mps)}/s` : ''}, ${fmtNum(0)(res.server_ns_per_msg)} ns/msg` : `FAIL ${res.error}`}`);
          }
        }
      }
    }
  }

  for (const def of servers) if (live[def.key]) await stopServer(live[def.key]);
  for (const def of servers) if (jsLive[def.key]) await stopServer(jsLive[def.key]);
  for (const d of [...jsDirs, ...wsDirs]) rmSync(d, { recursive: true, force: true });

  if (existsSync(CLI) && statSync(CLI).mtimeMs !== distMtime) notes.push('dist/ was rebuilt during this run: servers started later (scenario h starts fresh ones) may run newer code.');

  // ---- report
  const cpu = (/model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8')) || [])[1] ?? 'unknown CPU';
  const cmd = `node bench/run.mjs${argv.length ? ' ' + argv.join(' ') : ''}`;
  const when = new Date();
  const addonNote = existsSync(ADDON) ? 'built' : 'not built';
  const counts = SCENARIOS.map((s) => `${s.id}: ${s.kind === 'idle' ? `${s.conns} conns` : s.kind === 'reqrep' ? `${s.msgs} requests` : s.kind === 'startup' ? `${s.reps} starts per round` : s.kind === 'jskv' ? `${s.msgs} ops` : `${fmtRate(s.msgs)} msgs`}`).join(', ');
  const out = [];
  out.push(`## ${when.toISOString().replace('T', ' ').slice(0, 16)} UTC${QUICK ? ' (quick)' : ''}`, '');
  out.push(`- command: \`${cmd}\``);
  out.push(`- commit: ${rev}; addon: ${addonNote}; Node ${process.version}; ${natsVersion || 'nats-server: not installed'}`);
  out.push(`- machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.release()}`);
  out.push(`- ${ROUNDS} interleaved rounds (server order rotated each round); sizes: ${counts}; took ${((Date.now() - tBegin) / 1000).toFixed(0)} s`);
  out.push('');
  out.push(table(results, SCENARIOS, servers, 'bench/loadgen.mjs (raw protocol, Node)'));
  if (SCENARIOS.some((s) => s.kind !== 'idle' && s.kind !== 'startup')) out.push(genTable(results, SCENARIOS, servers));
  if (nbResults) out.push(table(nbResults, nbScenarios, servers, 'Cross-check: natsbench (Go, nats.go 1.22)'));
  if (failures.length) out.push('Failed runs (not counted in the medians):', '', ...failures.map((f) => `- ${f}`), '');
  if (notes.length) out.push('Notes:', '', ...[...new Set(notes)].map((n) => `- ${n}`), '');
  const report = out.join('\n');
  console.log('\n' + report);
  if (!o['no-append']) {
    if (!existsSync(RESULTS)) writeFileSync(RESULTS, '# Benchmark results\n\nAppended by `npm run bench` (bench/run.mjs); newest last. See bench/README.md for what each scenario does.\n\n');
    appendFileSync(RESULTS, report + '\n');
    log(`appended to ${relative(process.cwd(), RESULTS)}`);
  }
  if (o.json) writeFileSync(o.json, JSON.stringify({ results, natsbench: nbResults, failures, notes }, null, 1));
  process.exitCode = failures.length ? 2 : 0;
}

main().catch((e) => {
  console.error(e);
  killAll();
  process.exit(1);
});
