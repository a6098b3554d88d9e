// `nats-server -t -c <file>` and tsnats's checkConfigFile side by side, for the differential
// config tests: same verdict and the same text after "nats-server: ". Likewise for start-up
// (`nats-server -c <file>`, which validates more than `-t` does) and tsnats's optionsFromConfig.

import { execFileSync, spawnSync } from 'node:child_process';
import { ConfigError, parseConfigFile } from '../../src/config/conf.js';
import { checkConfigFile, optionsFromConfig } from '../../src/config/options.js';

export interface CheckResult {
  ok: boolean;
  stderr: string;
}

/** Run the installed nats-server's config test (`-t`) on `file`. */
export function natsServerCheck(file: string, cwd: string, env: Record<string, string> = {}): CheckResult {
  try {
    execFileSync('nats-server', ['-t', '-c', file], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { ok: true, stderr: '' };
  } catch (e) {
    const err = e as { status: number; stderr: Buffer };
    return { ok: false, stderr: err.stderr.toString('utf8') };
  }
}

/** tsnats's equivalent, rendering the error as nats-server prints it. */
export function tsnatsCheck(file: string, env: Record<string, string> = {}): CheckResult {
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  try {
    checkConfigFile(file);
    return { ok: true, stderr: '' };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    // nats-server's main: PrintAndDie("nats-server: " + err) adds a newline.
    return { ok: false, stderr: `nats-server: ${e.natsText}\n` };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/**
 * Start the installed nats-server with `file` on a random loopback port: refused (it exits
 * with a message within 1.5 s) or still running (killed, ok).
 */
export function natsServerStart(file: string, cwd: string): CheckResult {
  const r = spawnSync('nats-server', ['-c', file, '-a', '127.0.0.1', '-p', '-1'], {
    cwd,
    timeout: 1500,
    killSignal: 'SIGKILL',
    encoding: 'utf8',
  });
  if (r.signal === 'SIGKILL') return { ok: true, stderr: '' };
  return { ok: false, stderr: r.stderr };
}

/** tsnats's start-up semantics on `file` (parse, baseline, validate), the error as nats-server prints it. */
export function tsnatsStart(file: string): CheckResult {
  try {
    optionsFromConfig(parseConfigFile(file));
    return { ok: true, stderr: '' };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { ok: false, stderr: `nats-server: ${e.natsText}\n` };
  }
}

/**
 * nats-server walks a Go map, so several errors come in random order (the "nats-server: "
 * prefix lands on whichever is first): compare them as sets.
 */
export const errorLines = (s: string): string[] => s.replace(/^nats-server: /, '').split('\n').sort();
