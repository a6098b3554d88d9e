// JetStream on one server. The server loads this module (a dynamic import) only when JetStream
// is enabled, starts it with startJetStream and talks to it only through the JetStream
// interface (host.ts).

import { mkdirSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { handleApi } from './api.js';
import { jszSnapshot } from './jsz.js';
import type { JetStream, JetStreamHost } from './host.js';
import { JetStreamManager, type JetStreamConfig } from './jetstream.js';

export type { JetStream, JetStreamHost, JszOptions, JszSnapshot } from './host.js';

/** nats-server's JetStreamStoreDir, JetStreamMaxMemDefault and JetStreamMaxStoreDefault. */
const STORE_DIR = 'jetstream';
const MAX_MEM_DEFAULT = 256 * 1024 * 1024;
const MAX_STORE_DEFAULT = 1024 ** 4;

/** nats-server's friendlyBytes: "17.69 GB", "1000 B". */
export function friendlyBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const exp = Math.floor(Math.log(bytes) / Math.log(1024));
  return `${(bytes / 1024 ** exp).toFixed(2)} ${'KMGTPE'[exp - 1]}B`;
}

/** diskAvailable: 75% of the space available in `dir` (created if missing), 1 TB if unknown. */
function diskAvailable(dir: string): number {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    const fs = statfsSync(dir);
    return Math.floor((fs.bavail * fs.bsize) / 4) * 3;
  } catch {
    return MAX_STORE_DEFAULT;
  }
}

/** EnableJetStream's configuration: dynJetStreamConfig fills in what the options leave open. */
function jetStreamConfig(host: JetStreamHost): JetStreamConfig {
  const o = host.opts;
  const storeDir = o.storeDir !== '' ? join(o.storeDir, STORE_DIR) : join(tmpdir(), 'nats', STORE_DIR);
  const mem = o.jetStreamMaxMemory;
  const store = o.jetStreamMaxStore;
  const cfg: JetStreamConfig = { storeDir, maxMemory: 0, maxStore: 0, domain: o.jetStreamDomain, syncIntervalMs: o.jetStreamSyncIntervalMs };
  if (mem !== null && mem > 0 && store !== null && store > 0) {
    cfg.maxMemory = mem;
    cfg.maxStore = store;
    return cfg;
  }
  cfg.maxStore = store !== null && store >= 0 ? store : diskAvailable(storeDir);
  const sys = totalmem();
  cfg.maxMemory = mem !== null && mem >= 0 ? mem : sys > 0 ? Math.floor(sys / 4) * 3 : MAX_MEM_DEFAULT;
  host.log('DBG', `JetStream creating dynamic configuration - ${friendlyBytes(cfg.maxMemory)} memory, ${friendlyBytes(cfg.maxStore)} disk`);
  return cfg;
}

/** Go's *PathError text for a failed mkdir: `mkdir <path>: <strerror>`. */
function mkdirError(e: unknown, dir: string): string {
  const m = /^[A-Z]+: ([^,]+),/.exec((e as Error).message);
  return `mkdir ${dir}: ${m ? m[1] : (e as Error).message}`;
}

/** enableJetStream's check of the store directory; returns nats-server's error text or ''. */
function checkStoreDir(dir: string): string {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    // Only a missing directory is created; any other failure is "not a directory", as Go's os.Stat check.
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return 'storage directory is not a directory';
    try {
      mkdirSync(dir, { recursive: true, mode: 0o750 });
      return '';
    } catch (e2) {
      return `could not create storage directory - ${mkdirError(e2, dir)}`;
    }
  }
  if (!isDir) return 'storage directory is not a directory';
  const probe = join(dir, `_test_${process.pid}_${Date.now()}`);
  try {
    writeFileSync(probe, '');
    rmSync(probe);
  } catch {
    return 'storage directory is not writable';
  }
  return '';
}

/**
 * nats-server's EnableJetStream for one server: the configuration, the banner, the store
 * directory, and JetStream for the accounts. Throws Error(nats-server's text) when the store
 * directory cannot be used (the caller logs "Can't start JetStream: ..." and exits).
 */
export function startJetStream(host: JetStreamHost): JetStream {
  host.log('INF', 'Starting JetStream');
  const cfg = jetStreamConfig(host);
  const err = checkStoreDir(cfg.storeDir);
  if (err !== '') throw new Error(err);
  const banner = [
    '    _ ___ _____ ___ _____ ___ ___   _   __  __',
    ' _ | | __|_   _/ __|_   _| _ \\ __| /_\\ |  \\/  |',
    '| || | _|  | | \\__ \\ | | |   / _| / _ \\| |\\/| |',
    ' \\__/|___| |_| |___/ |_| |_|_\\___/_/ \\_\\_|  |_|',
    '',
    '         https://docs.nats.io/jetstream',
    '',
    '---------------- JETSTREAM ----------------',
    `  Max Memory:      ${friendlyBytes(cfg.maxMemory)}`,
    `  Max Storage:     ${friendlyBytes(cfg.maxStore)}`,
    `  Store Directory: "${cfg.storeDir}"`,
  ];
  if (cfg.domain !== '') banner.push(`  Domain:          ${cfg.domain}`);
  banner.push('-------------------------------------------');
  for (const line of banner) host.log('INF', line);
  host.log('DBG', '  Exports:');
  host.log('DBG', '     $JS.API.>');
  if (host.opts.cluster !== null) {
    host.log('WRN', 'JetStream runs standalone on this server: clustered JetStream is not supported by tsnats, streams are not replicated and serve only this server\'s clients');
  }
  const js = new JetStreamManager(host, cfg, handleApi, jszSnapshot);
  js.configureAccounts();
  return js;
}
