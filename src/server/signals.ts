// Signals, as nats-server's server/signal.go handles and sends them.
//
// Handled: SIGINT (shut down, exit 0), SIGTERM (shut down, exit 1; ignored in lame duck mode),
// SIGUSR1 (reopen the log file), SIGUSR2 (lame duck mode), SIGHUP (reload the config).
// Sent (`--signal <cmd>[=<pid>]`): stop=SIGKILL, quit=SIGINT, reopen=SIGUSR1, reload=SIGHUP,
// ldm=SIGUSR2, term=SIGTERM, to the pid given (or read from a pid file), else to the only
// running process of that name (`pgrep <name>`).

import { readFileSync } from 'node:fs';
import { childProcess } from '../util/lazy.js';

/** What the signal handlers drive (the process runtime). */
export interface SignalTarget {
  readonly isLameDuck: boolean;
  readonly isShuttingDown: boolean;
  debug(text: string): void;
  shutdown(): Promise<void>;
  lameDuck(): Promise<void>;
  reload(): void;
  reopenLog(): void;
}

/** Go's names for the signals, as `Trapped %q signal` prints them. */
const GO_NAMES: Record<string, string> = {
  SIGINT: 'interrupt',
  SIGTERM: 'terminated',
  SIGHUP: 'hangup',
  SIGUSR1: 'user defined signal 1',
  SIGUSR2: 'user defined signal 2',
};

/**
 * Installs the handlers; `exit(code)` ends the process once a shutdown finished. Returns a
 * function that removes them.
 */
export function handleSignals(target: SignalTarget, exit: (code: number) => void): () => void {
  const handlers: Array<[NodeJS.Signals, () => void]> = [
    ['SIGINT', () => void target.shutdown().then(() => exit(0))],
    [
      'SIGTERM',
      () => {
        if (!target.isLameDuck) void target.shutdown().then(() => exit(1));
      },
    ],
    ['SIGUSR1', () => target.reopenLog()],
    [
      'SIGUSR2',
      () => {
        // Once in lame duck mode (or shutting down) there is nothing more to start.
        if (!target.isLameDuck && !target.isShuttingDown) void target.lameDuck().then(() => exit(0));
      },
    ],
    ['SIGHUP', () => target.reload()],
  ];
  const installed = handlers.map(([sig, fn]): [NodeJS.Signals, () => void] => {
    const h = (): void => {
      target.debug(`Trapped "${GO_NAMES[sig]}" signal`);
      fn();
    };
    process.on(sig, h);
    return [sig, h];
  });
  return () => {
    for (const [sig, h] of installed) process.off(sig, h);
  };
}

const COMMANDS: Record<string, NodeJS.Signals> = {
  stop: 'SIGKILL',
  quit: 'SIGINT',
  reopen: 'SIGUSR1',
  reload: 'SIGHUP',
  ldm: 'SIGUSR2',
  term: 'SIGTERM',
};

/** Go's syscall.Errno texts for kill(2). */
function killError(e: NodeJS.ErrnoException): string {
  if (e.code === 'ESRCH') return 'no such process';
  if (e.code === 'EPERM') return 'operation not permitted';
  return e.message;
}

/** resolvePids: the pids `pgrep <name>` lists, without our own. */
function resolvePids(processName: string): number[] {
  let out = '';
  try {
    // pgrep matches the 15-character process name (comm).
    out = childProcess().execFileSync('pgrep', [processName.slice(0, 15)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (e) {
    const err = e as { status?: number | null; stdout?: string };
    // Exit status 1: no process matched. Anything else (no pgrep...): give up.
    if (err.status !== 1) throw new Error('unable to resolve pid, try providing one');
    out = err.stdout ?? '';
  }
  const pids: number[] = [];
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const pid = Number(line);
    if (!Number.isInteger(pid)) throw new Error('unable to resolve pid, try providing one');
    if (pid !== process.pid) pids.push(pid);
  }
  return pids;
}

/**
 * nats-server's processSignal + ProcessSignal: `<cmd>[=<pid or pid file>]`. Throws an Error with
 * nats-server's text; returns the pid signalled.
 */
export function sendSignal(spec: string, processName: string): number {
  const parts = spec.split('=');
  if (parts.length > 2) throw new Error(`invalid signal parameters: [${parts.slice(2).join(' ')}]`);
  const command = parts[0]!;
  let pid: number;
  if (parts.length === 2) {
    let pidStr = parts[1]!;
    try {
      pidStr = readFileSync(pidStr, 'utf8').trim(); // maybeReadPidFile
    } catch {
      /* not a file: a pid */
    }
    // Unlike kill(2), no 0 or negative pid: those would signal a whole process group.
    if (!/^[0-9]+$/.test(pidStr) || Number(pidStr) <= 0) throw new Error(`invalid pid: ${pidStr}`);
    pid = Number(pidStr);
  } else {
    const pids = resolvePids(processName);
    if (pids.length === 0) throw new Error(`no ${processName} processes running`);
    if (pids.length > 1) throw new Error(`multiple ${processName} processes running:\n${pids.join('\n')}`);
    pid = pids[0]!;
  }
  const sig = COMMANDS[command];
  if (sig === undefined) throw new Error(`unknown signal ${JSON.stringify(command)}`);
  try {
    process.kill(pid, sig);
  } catch (e) {
    throw new Error(killError(e as NodeJS.ErrnoException));
  }
  return pid;
}
