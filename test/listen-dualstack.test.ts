// The unspecified host listens dual-stack, as nats-server's Go listeners do (`ss` shows
// `*:port` for `0.0.0.0`): the client, route and monitoring ports accept on 127.0.0.1 and on
// ::1. What is reported keeps the configured host (INFO and /varz `host`, the log lines, the
// route INFO). A specific host (127.0.0.1, ::1) stays single-stack.
import net from 'node:net';
import { connect } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { type ServerHandle, startServer, type StartOptions } from '../src/index.js';
import { listenTcp, noIPv6 } from '../src/util/listen.js';
import { clusterOptions, eventually, natsNode, type NatsNode } from './helpers/cluster.js';
import { RawClient } from './helpers/raw-client.js';

const started: ServerHandle[] = [];
const servers: net.Server[] = [];
const nodes: NatsNode[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
  await Promise.all(started.splice(0).map((s) => s.shutdown()));
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => (s.listening ? s.close(r) : r(undefined)))));
});

async function start(o: StartOptions, lines?: string[]): Promise<ServerHandle> {
  const h = await startServer({ port: -1, ...o, log: lines ? (l) => lines.push(l.trimEnd()) : () => {} });
  started.push(h);
  return h;
}

/** A plain TCP connect to host:port: 'open', or the error code (ECONNREFUSED...). */
function probe(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port }, () => {
      s.destroy();
      resolve('open');
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? String(e)));
  });
}

async function getVarz(host: string, port: number): Promise<Record<string, unknown>> {
  const res = await fetch(`http://${host.includes(':') ? `[${host}]` : host}:${port}/varz`);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

function info(line: string): Record<string, unknown> {
  return JSON.parse(/^INFO (\{.*\}) \r\n/.exec(line)![1]) as Record<string, unknown>;
}

describe('the default host 0.0.0.0 listens on IPv4 and IPv6', () => {
  it('client port: the official client over [::1] and over 127.0.0.1 talk to each other', async () => {
    const h = await start({ host: '0.0.0.0' });
    const nc6 = await connect({ servers: `nats://[::1]:${h.port}` });
    const nc4 = await connect({ servers: `nats://127.0.0.1:${h.port}` });
    try {
      nc6.subscribe('svc.echo', {
        callback: (_e, m) => {
          m.respond(`v6 got ${m.string()}`);
        },
      });
      await nc6.flush();
      const r = await nc4.request('svc.echo', 'hello', { timeout: 5000 });
      expect(r.string()).toBe('v6 got hello');

      const sub = nc4.subscribe('to.v4', { max: 1 });
      await nc4.flush();
      nc6.publish('to.v4', 'from v6');
      for await (const m of sub) expect(m.string()).toBe('from v6');

      // Each peer's address as nats-server reports it: ::1, and 127.0.0.1 (not ::ffff:127.0.0.1).
      expect(h.connz().connections!.map((c) => c.ip).sort()).toEqual(['127.0.0.1', '::1']);
    } finally {
      await nc6.close();
      await nc4.close();
    }
  });

  it('client port: INFO over [::1] says host 0.0.0.0 and client_ip ::1; the logs keep 0.0.0.0', async () => {
    const lines: string[] = [];
    const h = await start({ host: '0.0.0.0', debug: true }, lines);
    expect(lines.some((l) => l.endsWith(`[INF] Listening for client connections on 0.0.0.0:${h.port}`))).toBe(true);
    for (const [host, ip] of [
      ['::1', '::1'],
      ['127.0.0.1', '127.0.0.1'],
    ]) {
      const c = await RawClient.connect(h.port, { host });
      try {
        const i = info(await c.expect(/^INFO .*\r\n/));
        expect(i.host).toBe('0.0.0.0');
        expect(i.client_ip).toBe(ip);
      } finally {
        await c.close();
      }
    }
    // nats-server logs the peer as Go's RemoteAddr().String(): an IPv6 address in brackets.
    await eventually(() => lines.some((l) => /\[DBG\] \[::1\]:\d+ - cid:\d+ - Client connection created$/.test(l)), 'the [::1] log line');
    const nats = h.ports().nats!;
    expect(nats).toContain(`nats://127.0.0.1:${h.port}`);
    expect(nats).toContain(`nats://[::1]:${h.port}`);
    expect(nats.some((u) => u.includes('[::]') || u.includes('0.0.0.0'))).toBe(false);
  });

  it('monitoring port: /varz answers on [::1] and on 127.0.0.1 with host 0.0.0.0', async () => {
    const lines: string[] = [];
    const h = await start({ host: '0.0.0.0', httpPort: -1 }, lines);
    expect(lines.some((l) => l.endsWith(`[INF] Starting http monitor on 0.0.0.0:${h.httpPort}`))).toBe(true);
    for (const host of ['::1', '127.0.0.1']) {
      const v = await getVarz(host, h.httpPort);
      expect(v.host).toBe('0.0.0.0');
      expect(v.http_host).toBe('0.0.0.0');
      expect(v.port).toBe(h.port);
    }
    expect(h.ports().monitoring).toContain(`http://[::1]:${h.httpPort}`);
  });

  it('route port: INFO on [::1] and on 127.0.0.1; a route solicited over [::1] carries messages', async () => {
    const lines: string[] = [];
    const a = await start({ host: '0.0.0.0', cluster: clusterOptions({ name: 'ds', host: '0.0.0.0' }) }, lines);
    const routePort = a.server.cluster!.port;
    expect(lines.some((l) => l.endsWith(`[INF] Listening for route connections on 0.0.0.0:${routePort}`))).toBe(true);
    for (const host of ['::1', '127.0.0.1']) {
      const c = await RawClient.connect(routePort, { host });
      try {
        const i = info(await c.expect(/^INFO .*\r\n/));
        expect(i.host).toBe('0.0.0.0');
        expect(i.port).toBe(routePort);
        expect(i.cluster).toBe('ds');
      } finally {
        await c.close();
      }
    }

    const b = await start({
      host: '127.0.0.1',
      cluster: clusterOptions({ name: 'ds', routes: [`nats-route://[::1]:${routePort}`] }),
    });
    await eventually(() => a.varz().routes === 1 && b.varz().routes === 1, 'the route over [::1]');
    expect(lines.some((l) => /\[INF\] \[::1\]:\d+ - rid:\d+ - Route connection created$/.test(l))).toBe(true);
    const sub = await connect({ servers: `nats://[::1]:${a.port}` });
    const pub = await connect({ port: b.port });
    try {
      const got = sub.subscribe('across', { max: 1 });
      await sub.flush();
      await eventually(() => b.server.globalAccount.sublist.hasInterest('across'), 'interest crosses the route');
      pub.publish('across', 'over the v6 route');
      for await (const m of got) expect(m.string()).toBe('over the v6 route');
    } finally {
      await sub.close();
      await pub.close();
    }
  });
});

describe('the client URLs of 0.0.0.0', () => {
  it('are the ones nats-server lists for itself (the global unicast addresses, not ::)', async () => {
    const n = await natsNode({ name: 'urls', extra: ['-a', '0.0.0.0'] });
    nodes.push(n);
    const t = await start({ host: '0.0.0.0', cluster: clusterOptions({ name: 'urls', routes: [`nats-route://127.0.0.1:${n.clusterPort}`] }) });
    const tsPort = `:${t.port}`;
    // A client of nats-server learns both lists: nats-server's own, and the one tsnats sent in
    // its route INFO.
    let urls: string[] = [];
    await eventually(async () => {
      const c = await RawClient.connect(n.srv.port);
      try {
        urls = (info(await c.expect(/^INFO .*\r\n/)).connect_urls as string[] | undefined) ?? [];
      } finally {
        await c.close();
      }
      return urls.some((u) => u.endsWith(tsPort));
    }, 'tsnats URLs in nats-server INFO');
    const hosts = (suffix: string): string[] => urls.filter((u) => u.endsWith(suffix)).map((u) => u.slice(0, -suffix.length));
    // nats-server lists the URLs it learned from routes in Go map order: compare them as sets
    expect(hosts(tsPort).sort()).toEqual(hosts(`:${n.srv.port}`).sort());
    expect(t.server.clientUrls()).toEqual(hosts(`:${n.srv.port}`).map((h) => h + tsPort));
  });
});

describe('a specific host stays single-stack', () => {
  it('127.0.0.1: ::1 is refused on the client, monitoring and route ports', async () => {
    const h = await start({ host: '127.0.0.1', httpPort: -1, cluster: clusterOptions({ host: '127.0.0.1' }) });
    for (const port of [h.port, h.httpPort, h.server.cluster!.port]) {
      expect(await probe('127.0.0.1', port)).toBe('open');
      expect(await probe('::1', port)).toBe('ECONNREFUSED');
    }
  });

  it('::1: 127.0.0.1 is refused on the client, monitoring and route ports; the logs say [::1]', async () => {
    const lines: string[] = [];
    const h = await start({ host: '::1', httpPort: -1, cluster: clusterOptions({ host: '::1' }) }, lines);
    const routePort = h.server.cluster!.port;
    for (const port of [h.port, h.httpPort, routePort]) {
      expect(await probe('::1', port)).toBe('open');
      expect(await probe('127.0.0.1', port)).toBe('ECONNREFUSED');
    }
    expect(lines.some((l) => l.endsWith(`[INF] Listening for client connections on [::1]:${h.port}`))).toBe(true);
    expect(lines.some((l) => l.endsWith(`[INF] Listening for route connections on [::1]:${routePort}`))).toBe(true);
    expect((await getVarz('::1', h.httpPort)).host).toBe('::1');
  });
});

describe('listenTcp', () => {
  it("no host at all ('') listens dual-stack like 0.0.0.0", async () => {
    const s = net.createServer((c) => c.destroy());
    servers.push(s);
    await listenTcp(s, '', 0);
    const port = (s.address() as net.AddressInfo).port;
    expect(await probe('::1', port)).toBe('open');
    expect(await probe('127.0.0.1', port)).toBe('open');
  });

  it('a port in use is the caller error, not a reason to fall back to IPv4', async () => {
    // Held on IPv6 only: 0.0.0.0 alone would bind, but the dual-stack bind must fail.
    const first = net.createServer();
    servers.push(first);
    await new Promise<void>((resolve) => first.listen({ host: '::', port: 0, ipv6Only: true }, resolve));
    const port = (first.address() as net.AddressInfo).port;
    const second = net.createServer();
    servers.push(second);
    await expect(listenTcp(second, '0.0.0.0', port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(second.listening).toBe(false);
  });

  it('falls back to 0.0.0.0 only when the machine has no IPv6', () => {
    const err = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });
    for (const code of ['EAFNOSUPPORT', 'EADDRNOTAVAIL', 'EPROTONOSUPPORT']) expect(noIPv6(err(code)), code).toBe(true);
    for (const code of ['EADDRINUSE', 'EACCES', 'EINVAL']) expect(noIPv6(err(code)), code).toBe(false);
  });
});
