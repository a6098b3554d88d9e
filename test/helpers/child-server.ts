// Child server processes for the operation tests (CLI, signals, ports file, launcher): spawn
// tsnats (dist/cli.cjs, or a `nats-server`-named wrapper) or the real nats-server with any
// arguments, watch its output, wait for log lines, files and its exit. Every child is killed
// (SIGKILL) by killAllChildren() and when the test worker exits.

import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NATS_SERVER_BIN, TSNATS_CLI } from './spawn-server.js';

export { NATS_SERVER_BIN, TSNATS_CLI };

const live = new Set<ChildProcess>();
let hooked = false;

export function killAllChildren(): void {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
  live.clear();
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class Child {
  out = '';
  err = '';
  readonly exited: Promise<Exit>;
  exit: Exit | null = null;

  constructor(readonly proc: ChildProcess) {
    proc.stdout?.setEncoding('utf8').on('data', (d: string) => (this.out += d));
    proc.stderr?.setEncoding('utf8').on('data', (d: string) => (this.err += d));
    this.exited = new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        live.delete(proc);
        // let the pipes drain before reporting
        setTimeout(() => {
          this.exit = { code, signal };
          resolve(this.exit);
        }, 20);
      });
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** Waits until `read()` (default: stderr) matches; returns the match. */
  async waitFor(re: RegExp, timeoutMs = 5000, read: () => string = () => this.err): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(read());
      if (m) return m;
      if (this.exit) throw new Error(`exited (${JSON.stringify(this.exit)}) before ${re}; stderr:\n${this.err}\nstdout:\n${this.out}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}; stderr:\n${this.err}\nstdout:\n${this.out}`);
      await sleep(20);
    }
  }

  /** Waits for the process to exit, at most `ms`. */
  async waitExit(ms = 5000): Promise<Exit> {
    let t: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      this.exited,
      new Promise<null>((res) => {
        t = setTimeout(() => res(null), ms);
      }),
    ]);
    clearTimeout(t);
    if (r === null) throw new Error(`did not exit within ${ms} ms; stderr:\n${this.err}`);
    return r;
  }

  kill(sig: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.exit) this.proc.kill(sig);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
}

/** Spawns `cmd args` (stdout/stderr captured). */
export function run(cmd: string, args: string[], o: RunOptions = {}): Child {
  if (!hooked) {
    hooked = true;
    process.on('exit', killAllChildren);
  }
  const proc = spawn(cmd, args, { env: { ...process.env, ...o.env }, cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  return new Child(proc);
}

/** tsnats through node: `node dist/cli.cjs args`. */
export function tsnats(args: string[], o: RunOptions = {}): Child {
  if (!existsSync(TSNATS_CLI)) throw new Error(`tsnats is not built: ${TSNATS_CLI} missing (run npm run build:ts)`);
  return run(process.execPath, [TSNATS_CLI, ...args], o);
}

export function natsServer(args: string[], o: RunOptions = {}): Child {
  return run(NATS_SERVER_BIN, args, o);
}

/** Runs to completion; for one-shot commands (--help, -t, --signal). */
export async function runToEnd(child: Child, ms = 10_000): Promise<{ code: number | null; out: string; err: string }> {
  const e = await child.waitExit(ms);
  return { code: e.code, out: child.out, err: child.err };
}

export function tempDir(prefix = 'tsnats-ops-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A directory holding an executable `name` that runs tsnats: a node script importing dist/cli.cjs
 * (so the process is node itself: its pid is the server's, its argv[1] is `<dir>/<name>`). Put
 * the directory first on PATH to be found as `name`.
 */
export function wrapperDir(name = 'nats-server', dir = tempDir('tsnats-bin-')): string {
  mkdirSync(dir, { recursive: true });
  const script = join(dir, `${name}-impl.mjs`);
  writeFileSync(script, `#!${process.execPath}\nimport ${JSON.stringify(TSNATS_CLI)};\n`);
  chmodSync(script, 0o755);
  symlinkSync(script, join(dir, name));
  return dir;
}

export function readJSON<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/**
 * Polls until `file` exists and `ok(text)` holds; by default until it has content (a server
 * creates the file before it writes it, and a loaded machine can show the empty file).
 */
export async function waitForFile(file: string, timeoutMs = 5000, ok: (text: string) => boolean = (text) => text !== ''): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(file)) {
      const text = readFileSync(file, 'utf8');
      if (ok(text)) return text;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${file}`);
    await sleep(20);
  }
}

/** The text of log lines without `[pid] date time ` prefixes: `[INF] text`. */
export function logLines(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.replace(/^\[\d+\] (?:\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d{6} )?/, ''));
}
