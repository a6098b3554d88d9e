// Test harness for the cluster module on its own: a ClusterHost built from real Accounts (no
// Server), local subscriptions made by hand, routed messages recorded; nats-server peers spawned
// with cluster flags; a raw route peer speaking the route protocol over TCP; a TCP listener that
// captures what a soliciting server sends first.

import net from 'node:net';
import { Account, GLOBAL_ACCOUNT, type InternalHandler, type Subscription } from '../../src/accounts/account.js';
import type { Cluster, ClusterHost } from '../../src/cluster/index.js';
import { ClusterManager } from '../../src/cluster/cluster.js';
import { defaultClusterOptions } from '../../src/config/cluster.js';
import { defaultOptions } from '../../src/config/options.js';
import type { ClusterOptions, ServerOptions } from '../../src/config/types.js';
import { newServerId } from '../../src/server/server-id.js';
import { subjectHash } from '../../src/subjects/hash.js';
import { freePort, spawnServer, type SpawnedServer } from './index.js';

export interface Routed {
  acc: string;
  subject: string;
  reply: string | null;
  queues: string[] | null;
  hdrLen: number;
  payload: string;
}

/** A cluster on a random loopback port named C1, without routes. */
export function clusterOptions(o: Partial<ClusterOptions> = {}): ClusterOptions {
  return { ...defaultClusterOptions(), name: 'C1', host: '127.0.0.1', port: -1, ...o };
}

const INTERNAL: InternalHandler = { clusterWide: true, receive: () => undefined };

/** A ClusterHost with real Accounts and nothing else: what the cluster does is recorded. */
export class TestHost implements ClusterHost {
  readonly opts: ServerOptions;
  readonly serverId = newServerId();
  readonly serverName: string;
  readonly accountsByName = new Map<string, Account>();
  readonly logs: string[] = [];
  readonly routed: Routed[] = [];
  /** Routed messages whose `hash` was not their subject's. */
  badHashes = 0;
  readonly urlChanges: string[][] = [];
  readonly nameChanges: string[] = [];
  clientUrls: string[];
  cluster: Cluster;
  private cid = 4;
  private waiters: (() => void)[] = [];

  constructor(cluster: Partial<ClusterOptions> = {}, opts: Partial<ServerOptions> = {}, clientUrls = ['127.0.0.1:4222']) {
    this.opts = { ...defaultOptions(), host: '127.0.0.1', ...opts, cluster: clusterOptions(cluster) };
    this.serverName = this.opts.serverName || this.serverId;
    this.clientUrls = clientUrls;
    for (const name of [GLOBAL_ACCOUNT, 'A', 'B']) this.accountsByName.set(name, new Account(name));
    this.cluster = new ClusterManager(this);
  }

  get g(): Account {
    return this.accountsByName.get(GLOBAL_ACCOUNT)!;
  }

  log(level: string, text: string): void {
    this.logs.push(`[${level}] ${text}`);
    if (process.env.CLUSTER_TEST_LOG) process.stderr.write(`${this.serverName.slice(0, 8)} [${level}] ${text}\n`);
    this.wake();
  }

  account(name: string): Account | null {
    return this.accountsByName.get(name) ?? null;
  }

  accounts(): Iterable<Account> {
    return this.accountsByName.values();
  }

  clientConnectUrls(): string[] {
    return this.clientUrls;
  }

  connectUrlsChanged(urls: string[]): void {
    this.urlChanges.push([...urls]);
    this.wake();
  }

  routedMessage(
    acc: Account,
    subject: Buffer,
    hash: number,
    reply: Buffer | null,
    queues: readonly Buffer[] | null,
    hdrLen: number,
    body: Buffer,
  ): void {
    if (hash !== subjectHash(subject, 0, subject.length)) this.badHashes++;
    this.routed.push({
      acc: acc.name,
      subject: subject.toString('latin1'),
      reply: reply === null ? null : reply.toString('latin1'),
      queues: queues === null ? null : queues.map((q) => q.toString('latin1')),
      hdrLen,
      payload: body.toString('latin1'),
    });
    this.wake();
  }

  /** Route slow consumers reported (write deadline). */
  slowConsumers = 0;
  slowConsumer(): void {
    this.slowConsumers++;
  }

  nextCid(): number {
    return this.cid++;
  }

  clusterNameChanged(name: string): void {
    this.nameChanges.push(name);
  }

  /** A local subscription, as the server would add it (sublist + subAdded). */
  sub(subject: string, queue: string | null = null, acc: Account = this.g): Subscription {
    const sid = `${subject}${queue ? ' ' + queue : ''}`;
    const s: Subscription = {
      subject,
      queue,
      sid,
      sidBytes: Buffer.from(sid),
      client: null,
      route: null,
      internal: INTERNAL,
      max: 0,
      nm: 0,
      closed: false,
    };
    acc.sublist.insert(s);
    this.cluster.subAdded(acc, s);
    return s;
  }

  unsub(s: Subscription, acc: Account = this.g): void {
    s.closed = true;
    acc.sublist.remove(s);
    this.cluster.subRemoved(acc, s);
  }

  /** What a local publish does with remote interest: one sendMsg per route, with its queue picks. */
  publish(subject: string, payload: string, o: { reply?: string; hdr?: string; acc?: Account } = {}): number {
    const acc = o.acc ?? this.g;
    const r = acc.sublist.match(subject);
    const targets = new Map<Subscription['route'], string[]>();
    for (const s of r.plain) if (s.route !== null && !targets.has(s.route)) targets.set(s.route, []);
    for (const group of r.queues) {
      const remote = group.filter((s) => s.route !== null);
      if (remote.length === 0) continue;
      const pick = remote[Math.floor(Math.random() * remote.length)];
      const list = targets.get(pick.route) ?? [];
      list.push(pick.queue!);
      targets.set(pick.route, list);
    }
    const hdr = o.hdr ?? '';
    const body = Buffer.from(hdr + payload, 'latin1');
    const reply = o.reply ? Buffer.from(o.reply) : null;
    for (const [route, queues] of targets) {
      route!.sendMsg(acc, Buffer.from(subject), reply, queues.length ? queues : null, hdr ? hdr.length : -1, body);
    }
    return targets.size;
  }

  /** Remote interest entries for `subject` in `acc` (plain and queue members). */
  remoteInterest(subject: string, acc: Account = this.g): { plain: number; queues: Record<string, number> } {
    const r = acc.sublist.match(subject);
    const queues: Record<string, number> = {};
    for (const g of r.queues) {
      const n = g.filter((s) => s.route !== null).length;
      if (n > 0) queues[g[0].queue!] = n;
    }
    return { plain: r.plain.filter((s) => s.route !== null).length, queues };
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Waits until `cond()` holds (checked on every log line, routed message and every 20 ms). */
  async until(cond: () => boolean, what: string, ms = 8000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; log:\n${this.logs.join('\n')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 20);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  logged(re: RegExp): boolean {
    return this.logs.some((l) => re.test(l));
  }
}

/** Polls `cond` every 20 ms. */
export async function eventually(cond: () => boolean | Promise<boolean>, what: string, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface NatsNode {
  srv: SpawnedServer;
  clusterPort: number;
  httpPort: number;
  stop(): Promise<void>;
}

/**
 * A nats-server with a route listener on a free port (and monitoring on another). The cluster
 * block goes in a config file (nats-server's --cluster flag would drop cluster authorization):
 * `cluster` is extra text inside the block, `config` extra text outside it.
 */
export async function natsNode(
  o: { name?: string; routes?: (number | string)[]; clusterPort?: number; cluster?: string; config?: string; extra?: string[] } = {},
): Promise<NatsNode> {
  const clusterPort = o.clusterPort ?? (await freePort());
  const httpPort = await freePort();
  const routes = (o.routes ?? []).map((r) => (typeof r === 'number' ? `nats-route://127.0.0.1:${r}` : r));
  const lines = ['cluster {', `  listen: "127.0.0.1:${clusterPort}"`];
  if (o.name !== '') lines.push(`  name: ${o.name ?? 'C1'}`);
  if (routes.length) lines.push(`  routes: [${routes.map((r) => JSON.stringify(r)).join(', ')}]`);
  if (o.cluster) lines.push(o.cluster);
  lines.push('}', o.config ?? '');
  const srv = await spawnServer('nats-server', { args: ['-m', String(httpPort), ...(o.extra ?? [])], config: lines.join('\n') });
  await eventually(() => /Listening for route connections/.test(srv.output()), 'route listener');
  return { srv, clusterPort, httpPort, stop: () => srv.stop() };
}

/** GET a nats-server monitoring endpoint as JSON. */
export async function monitor<T>(port: number, path: string): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return (await res.json()) as T;
}

/** Number of routes a nats-server reports in /routez. */
export async function natsRoutes(n: NatsNode): Promise<{ remote_id: string; subscriptions: number }[]> {
  const r = await monitor<{ routes: { remote_id: string; subscriptions: number }[] }>(n.httpPort, '/routez');
  return r.routes;
}

/** A TCP listener that records what connecting peers send. */
export class Capture {
  readonly sockets: net.Socket[] = [];
  readonly data: string[] = [];
  private constructor(readonly server: net.Server) {}

  static async listen(): Promise<Capture> {
    const server = net.createServer();
    const c = new Capture(server);
    server.on('connection', (s) => {
      const i = c.sockets.push(s) - 1;
      c.data[i] = '';
      s.on('data', (b) => (c.data[i] += b.toString('latin1')));
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return c;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}

/** A route peer spoken by hand: raw lines in, everything received kept. */
export class RawRoute {
  data = '';
  closed = false;
  private constructor(readonly socket: net.Socket) {
    socket.on('data', (b) => (this.data += b.toString('latin1')));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  static connect(port: number): Promise<RawRoute> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawRoute(s)));
      s.once('error', reject);
    });
  }

  send(text: string): void {
    this.socket.write(text);
  }

  async waitFor(re: RegExp, ms = 5000): Promise<RegExpExecArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = re.exec(this.data);
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}; got:\n${this.data}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async waitClosed(ms = 5000): Promise<void> {
    await eventually(() => this.closed, 'route socket closed', ms);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The route protocol lines of `data` without the $SYS traffic nats-server always has. */
export function routeLines(data: string): string[] {
  const out: string[] = [];
  const lines = data.split('\r\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l === '') continue;
    if (/^[RHL]MSG /.test(l)) {
      const skip = / \$SYS /.test(` ${l.split(' ')[1]} `) || / \$SYS /.test(` ${l.split(' ')[2]} `);
      if (!skip) out.push(l, lines[i + 1]);
      i++;
      continue;
    }
    if (/^(RS|LS)[+-] \$SYS /.test(l)) continue;
    out.push(l);
  }
  return out;
}

/** An INFO JSON with the values that differ between servers and runs replaced. */
export function normalizeRouteInfo(json: string): string {
  const o = JSON.parse(json) as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (k === 'server_id' || k === 'server_name' || k === 'nonce' || k === 'name') o[k] = `<${k}>`;
    if (k === 'port') o[k] = '<port>';
    if (k === 'connect_urls') o[k] = ['<url>'];
    if (k === 'ip') o[k] = '<ip>';
  }
  return JSON.stringify(o);
}
