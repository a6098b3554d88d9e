// The server a black-box test talks to: tsnats in-process (startServer from src/index.ts,
// the default) or a spawned nats-server 2.9.10 (TSNATS_TARGET=nats-server), so the same test can
// be checked against the reference binary.

import type { ServerOptions } from '../../src/config/types.js';
import { spawnServer, type ServerKind } from './spawn-server.js';

export interface Target {
  kind: ServerKind;
  host: string;
  port: number;
  /** `nats://127.0.0.1:PORT` */
  url: string;
  stop(): Promise<void>;
}

export function targetKind(): ServerKind {
  const v = process.env.TSNATS_TARGET ?? 'tsnats';
  if (v !== 'tsnats' && v !== 'nats-server') throw new Error(`TSNATS_TARGET must be tsnats or nats-server, not ${v}`);
  return v;
}

/** nats-server config text for the subset of options tests use. */
export function toConfigText(opts: Partial<ServerOptions>): string {
  const lines: string[] = [];
  const num = (k: string, v: number | undefined): void => {
    if (v !== undefined) lines.push(`${k}: ${v}`);
  };
  num('max_payload', opts.maxPayload);
  num('max_pending', opts.maxPending);
  num('max_control_line', opts.maxControlLine);
  num('max_connections', opts.maxConnections);
  num('max_subscriptions', opts.maxSubscriptions);
  num('ping_max', opts.pingMax);
  if (opts.pingIntervalMs !== undefined) lines.push(`ping_interval: "${opts.pingIntervalMs}ms"`);
  if (opts.writeDeadlineMs !== undefined) lines.push(`write_deadline: "${opts.writeDeadlineMs}ms"`);
  if (opts.noHeaderSupport !== undefined) lines.push(`no_header_support: ${opts.noHeaderSupport}`);
  if (opts.serverName) lines.push(`server_name: "${opts.serverName}"`);
  const known = new Set([
    'maxPayload',
    'maxPending',
    'maxControlLine',
    'maxConnections',
    'maxSubscriptions',
    'pingMax',
    'pingIntervalMs',
    'writeDeadlineMs',
    'noHeaderSupport',
    'serverName',
  ]);
  const unknown = Object.keys(opts).filter((k) => !known.has(k));
  if (unknown.length) throw new Error(`toConfigText: no mapping for ${unknown.join(', ')}`);
  return lines.join('\n') + '\n';
}

interface TsnatsModule {
  startServer(opts: Partial<ServerOptions>): Promise<{ port: number; host: string; shutdown(): Promise<void> }>;
}

export async function startTarget(opts: Partial<ServerOptions> = {}, kind: ServerKind = targetKind()): Promise<Target> {
  if (kind === 'nats-server') {
    const srv = await spawnServer('nats-server', Object.keys(opts).length ? { config: toConfigText(opts) } : {});
    return { kind, host: srv.host, port: srv.port, url: `nats://${srv.host}:${srv.port}`, stop: () => srv.stop() };
  }
  // a variable specifier keeps this file loadable before src/index.ts exists
  const spec = '../../src/index.js';
  const mod = (await import(/* @vite-ignore */ spec)) as TsnatsModule;
  const srv = await mod.startServer({ ...opts, host: '127.0.0.1', port: -1 });
  let stopped: Promise<void> | undefined;
  return {
    kind,
    host: srv.host,
    port: srv.port,
    url: `nats://${srv.host}:${srv.port}`,
    stop: () => (stopped ??= srv.shutdown()),
  };
}
