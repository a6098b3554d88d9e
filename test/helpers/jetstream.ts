// Helpers of the JetStream tests that run each behaviour on tsnats and on nats-server -js.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JetStreamApiError } from '@nats-io/jetstream';
import { startServer } from '../../src/index.js';
import { parseConfigString } from '../../src/config/conf.js';
import { optionsFromConfig } from '../../src/config/options.js';
import { spawnServer } from './spawn-server.js';

export type Kind = 'tsnats' | 'nats-server';
/** Every behaviour is checked on tsnats and, the same test, on nats-server -js. */
export const KINDS: Kind[] = ['tsnats', 'nats-server'];

/** A JetStream server of `kind` on a loopback port, with its store in a fresh directory; `config` adds to its configuration. */
export async function jsServer(kind: Kind, config = ''): Promise<{ port: number; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'tsnats-js-'));
  if (kind === 'nats-server') {
    const s = await spawnServer('nats-server', { config: `jetstream { store_dir: "${dir}" }\n${config}` });
    return { port: s.port, stop: async () => (await s.stop(), rmSync(dir, { recursive: true, force: true })) };
  }
  const opts = optionsFromConfig(parseConfigString(config, 'js.conf'));
  const s = await startServer({ ...opts, host: '127.0.0.1', port: -1, jetstream: true, storeDir: dir });
  return { port: s.port, stop: async () => (await s.shutdown(), rmSync(dir, { recursive: true, force: true })) };
}

/** The API error code of a rejected promise (JetStreamApiError's err_code). */
export async function errCode(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (e) {
    // Some client calls wrap the API error (as `cause`).
    const err = e instanceof JetStreamApiError ? e : (e as Error).cause;
    if (err instanceof JetStreamApiError) return err.code;
    throw e;
  }
  throw new Error('expected a JetStream API error');
}
