// `nats-server -t -c <file>` and tsnats's checkConfigFile side by side, for the differential
// config tests: same verdict and the same text after "nats-server: ".

import { execFileSync } from 'node:child_process';
import { ConfigError } from '../../src/config/conf.js';
import { checkConfigFile } from '../../src/config/options.js';

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
 * nats-server walks a Go map, so several errors come in random order (the "nats-server: "
 * prefix lands on whichever is first): compare them as sets.
 */
export const errorLines = (s: string): string[] => s.replace(/^nats-server: /, '').split('\n').sort();
