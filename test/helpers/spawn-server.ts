// Spawns a real server process (nats-server 2.9.10 or tsnats' dist/cli.cjs, the bin) on a free loopback
// port and waits until it accepts TCP connections. Every process spawned here is tracked and
// SIGKILLed when the test worker exits, so a failing test cannot leak servers.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ServerKind = 'tsnats' | 'nats-server';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** tsnats entry point; TSNATS_CLI overrides it (e.g. a build in a scratch directory). */
export const TSNATS_CLI = process.env.TSNATS_CLI ?? join(REPO_ROOT, 'dist', 'cli.cjs');
export const NATS_SERVER_BIN = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';

export interface SpawnOptions {
  /** Config file text; written to a temp file and passed with `-c`. */
  config?: string;
  /** Extra command line arguments (after `-a 127.0.0.1 -p PORT [-c FILE]`). */
  args?: string[];
  /** Extra environment (merged over process.env, which is always passed through). */
  env?: Record<string, string>;
  /** How long to wait for the port to accept connections. */
  readyTimeoutMs?: number;
}

export interface SpawnedServer {
  kind: ServerKind;
  port: number;
  host: string;
  proc: ChildProcess;
  /** Last ~64 KiB of the server's stdout+stderr, for diagnostics. */
  output(): string;
  /** Kill (SIGTERM, then SIGKILL after 3 s) and wait for exit. Idempotent. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = (): void => {
    for (const p of live) {
      try {
        p.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  };
  process.on('exit', killAll);
  // a worker killed by a signal runs no 'exit' handlers: kill the servers, then die of the signal
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    const onSig = (): void => {
      killAll();
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.once(sig, onSig);
  }
}

const handedOut = new Set<number>();

/**
 * Ports handed out come from below the kernel's ephemeral range (32768 and up on Linux), so no
 * server that binds port 0 (tsnats with -1, the OS for outgoing connections) can take one between
 * freePort() and the bind it was picked for. Each vitest worker (VITEST_POOL_ID) has its own
 * slice, so workers running at once never pick the same port either.
 */
const PORT_BASE = 10000;
const SLICE = 1400;
const poolId = Number(process.env.VITEST_POOL_ID ?? 0) % 16;
let nextPort = PORT_BASE + poolId * SLICE + (process.pid % SLICE);

/** Whether `port` can be bound on `host` now (then it is released again). */
function bindable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/**
 * A port of this worker's slice that binds on `host` now. Never returns the same port twice in
 * one process. (A process outside the tests may still take it; spawnServer checks that its own
 * server is the one listening.)
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const first = PORT_BASE + poolId * SLICE;
  for (let tries = 0; tries < SLICE; tries++) {
    const port = nextPort;
    nextPort = nextPort + 1 >= first + SLICE ? first : nextPort + 1;
    if (handedOut.has(port) || !(await bindable(host, port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port left in ${first}-${first + SLICE - 1}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** One TCP connect attempt; resolves true if it connected (then closes it and waits for close). */
function probe(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({ host, port });
    let ok = false;
    const t = setTimeout(() => s.destroy(), 500);
    s.once('connect', () => {
      ok = true;
      s.end();
      s.destroy();
    });
    s.once('error', () => {
      /* reported via close */
    });
    s.once('close', () => {
      clearTimeout(t);
      resolve(ok);
    });
  });
}

export function serverCommand(kind: ServerKind, host: string, port: number, configFile?: string, args: string[] = []): [string, string[]] {
  const common = ['-a', host, '-p', String(port)];
  if (configFile) common.push('-c', configFile);
  common.push(...args);
  if (kind === 'nats-server') return [NATS_SERVER_BIN, common];
  return [process.execPath, [TSNATS_CLI, ...common]];
}

export async function spawnServer(kind: ServerKind, opts: SpawnOptions = {}): Promise<SpawnedServer> {
  installExitHook();
  if (kind === 'tsnats' && !existsSync(TSNATS_CLI)) {
    throw new Error(`tsnats is not built: ${TSNATS_CLI} missing (run npm run build:ts)`);
  }
  const host = '127.0.0.1';
  let dir: string | undefined;
  let configFile: string | undefined;
  if (opts.config !== undefined) {
    dir = mkdtempSync(join(tmpdir(), 'tsnats-test-'));
    configFile = join(dir, 'server.conf');
    writeFileSync(configFile, opts.config);
  }
  const cleanupDir = (): void => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  };

  let lastErr = '';
  for (let attempt = 0; attempt < 4; attempt++) {
    const port = await freePort(host);
    const [cmd, argv] = serverCommand(kind, host, port, configFile, opts.args);
    const proc = spawn(cmd, argv, {
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(proc);
    let out = '';
    const collect = (b: Buffer): void => {
      out += b.toString('utf8');
      if (out.length > 65536) out = out.slice(-65536);
    };
    proc.stdout?.on('data', collect);
    proc.stderr?.on('data', collect);
    let exited = false;
    const exitP = new Promise<void>((resolve) => {
      proc.once('exit', () => {
        exited = true;
        live.delete(proc);
        resolve();
      });
      proc.once('error', (e) => {
        out += `\n[spawn error] ${String(e)}`;
        exited = true;
        live.delete(proc);
        resolve();
      });
    });

    // Ready = the port accepts connections AND it is our process listening there: both servers
    // log "Listening for client connections on HOST:PORT"; another process may hold the port we
    // picked (then ours dies of EADDRINUSE, which we must not mistake for success). A server
    // whose banner lacks that line is accepted after a 2 s grace if it is still alive.
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 10000);
    const listening = new RegExp(`Listening for client connections on ${host.replaceAll('.', '\\.')}:${port}\\b`);
    let ready = false;
    let probedAt = 0;
    while (!exited && Date.now() < deadline) {
      if (!probedAt && (await probe(host, port))) probedAt = Date.now();
      if (probedAt && !exited && (listening.test(out) || Date.now() - probedAt > 2000)) {
        ready = true;
        break;
      }
      await sleep(20);
    }
    if (ready && !exited) {
      let stopped: Promise<void> | undefined;
      const stop = (): Promise<void> => {
        if (!stopped) {
          stopped = (async () => {
            if (!exited) {
              proc.kill('SIGTERM');
              const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
              await exitP;
              clearTimeout(t);
            }
            cleanupDir();
          })();
        }
        return stopped;
      };
      return { kind, port, host, proc, output: () => out, stop };
    }
    const why = exited ? `exited (code ${proc.exitCode}, signal ${proc.signalCode})` : `did not accept connections within ${opts.readyTimeoutMs ?? 10000} ms`;
    if (!exited) proc.kill('SIGKILL');
    await exitP;
    lastErr = `${kind} on port ${port} ${why}:\n${out}`;
    // retry only when the port was taken under us
    if (!/address already in use|EADDRINUSE/i.test(out)) break;
  }
  cleanupDir();
  throw new Error(`could not start ${kind}: ${lastErr}`);
}
