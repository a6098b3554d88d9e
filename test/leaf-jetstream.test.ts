// JetStream domains, alone and across leaf nodes, side by side with nats-server 2.9.10 in every
// pairing (tsnats hub + nats-server leaf, nats-server hub + tsnats leaf, tsnats on both sides),
// with the official clients (@nats-io/transport-node, @nats-io/jetstream, @nats-io/kv):
// `jetstream { domain: X }` maps `$JS.X.API` to the local API; a client on one side manages and
// uses the streams of the other side with `jetstream(nc, { domain })` through the leaf
// connection (stream and consumer API, publish acks, pull consumers, KV with direct get); the
// domain-less `$JS.API` stays on its own side; a leaf without JetStream reaches its hub's
// domain; streams source and mirror the streams of the other domain over the leaf connection;
// subject mappings apply to a leaf's messages on arrival.

import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { freePort, RawClient, spawnServer, type ServerKind, type SpawnedServer } from './helpers/index.js';
import { eventually } from './helpers/cluster.js';

let servers: SpawnedServer[] = [];
let conns: NatsConnection[] = [];
let dirs: string[] = [];

afterEach(async () => {
  await Promise.all(conns.map((nc) => (nc.isClosed() ? undefined : nc.close().catch(() => undefined))));
  await Promise.all(servers.map((s) => s.stop()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  conns = [];
  servers = [];
  dirs = [];
});

/** `jetstream { ... }` with a fresh store directory; `js` null: no JetStream. */
function jsBlock(js: string | null): string {
  if (js === null) return '';
  const dir = mkdtempSync(join(tmpdir(), 'tsnats-leafjs-'));
  dirs.push(dir);
  return `jetstream {\n  store_dir: "${dir}"\n  ${js}\n}\n`;
}

async function server(kind: ServerKind, config: string): Promise<SpawnedServer> {
  const s = await spawnServer(kind, { config });
  servers.push(s);
  return s;
}

async function client(s: SpawnedServer): Promise<NatsConnection> {
  const nc = await connect({ servers: `127.0.0.1:${s.port}`, reconnect: false });
  conns.push(nc);
  return nc;
}

/** Waits until the server's log says a leaf connection is up (both kinds log the JetStream deny then). */
async function connected(s: SpawnedServer): Promise<void> {
  await eventually(() => /JetStream Not Extended, adding deny \[|Adding deny \[|Skipping deny/.test(s.output()), `leaf connection on ${s.kind}`, 15_000);
}

interface Pair {
  hub: SpawnedServer;
  leaf: SpawnedServer;
  hc: NatsConnection;
  lc: NatsConnection;
}

/** A hub of `hubKind` and a leaf of `leafKind` soliciting it; `hubJs` / `leafJs`: their jetstream block (null: none). */
async function pair(hubKind: ServerKind, leafKind: ServerKind, hubJs: string | null, leafJs: string | null, hubExtra = '', leafExtra = ''): Promise<Pair> {
  const leafPort = await freePort();
  const hub = await server(hubKind, `server_name: HUBS\n${jsBlock(hubJs)}${hubExtra}\nleafnodes { listen: "127.0.0.1:${leafPort}" }\n`);
  const leaf = await server(
    leafKind,
    `server_name: LEAFS\n${jsBlock(leafJs)}${leafExtra}\nleafnodes { reconnect: 1, remotes: [ { url: "nats-leaf://127.0.0.1:${leafPort}" } ] }\n`,
  );
  await connected(hub);
  await connected(leaf);
  return { hub, leaf, hc: await client(hub), lc: await client(leaf) };
}

/** A JetStream manager of `domain` on `nc`, once the domain's API answers (its interest crossed the leaf). */
async function manager(nc: NatsConnection, domain?: string): Promise<JetStreamManager> {
  let jsm: JetStreamManager | null = null;
  await eventually(
    async () => {
      try {
        jsm = await jetstreamManager(nc, { domain, timeout: 1500 });
        return true;
      } catch {
        return false;
      }
    },
    `the JetStream API of domain ${domain ?? '(none)'}`,
    15_000,
  );
  return jsm!;
}

/** The stream names `jsm` lists. */
async function names(jsm: JetStreamManager): Promise<string[]> {
  const out: string[] = [];
  for await (const n of jsm.streams.names()) out.push(n);
  return out.sort();
}

function hdrs(k: string, v: string): ReturnType<typeof headers> {
  const h = headers();
  h.set(k, v);
  return h;
}

const ROLES: [string, ServerKind, ServerKind][] = [
  ['tsnats hub, nats-server leaf', 'tsnats', 'nats-server'],
  ['nats-server hub, tsnats leaf', 'nats-server', 'tsnats'],
  ['tsnats hub, tsnats leaf', 'tsnats', 'tsnats'],
];

describe.each([['tsnats' as ServerKind], ['nats-server' as ServerKind]])('%s with jetstream { domain: D }', (kind) => {
  it('INFO and account info carry the domain; $JS.D.API reaches the local API as $JS.API does', async () => {
    const s = await server(kind, jsBlock('domain: D'));
    const nc = await client(s);
    expect((nc.info as { domain?: string } | undefined)?.domain).toBe('D');
    const viaDomain = await manager(nc, 'D');
    const plain = await manager(nc);
    expect((await viaDomain.getAccountInfo()).domain).toBe('D');
    await viaDomain.streams.add({ name: 'S', subjects: ['s.>'], storage: 'memory' });
    expect(await names(plain)).toEqual(['S']);
    const ack = await jetstream(nc, { domain: 'D' }).publish('s.1', 'x');
    expect(ack).toMatchObject({ stream: 'S', domain: 'D', seq: 1 });
    expect((await viaDomain.streams.getMessage('S', { seq: 1 }))?.string()).toBe('x');
    // Another domain is nobody's here.
    await expect(jetstreamManager(nc, { domain: 'OTHER', timeout: 1000 })).rejects.toThrow();
  });
});

describe.each(ROLES)('%s, hub domain HUB, leaf domain LEAF', (_name, hubKind, leafKind) => {
  it('each side manages and uses the other side’s streams through the leaf with { domain }', async () => {
    const { hc, lc } = await pair(hubKind, leafKind, 'domain: HUB', 'domain: LEAF');
    // From the leaf, on the hub.
    const hubFromLeaf = await manager(lc, 'HUB');
    expect((await hubFromLeaf.getAccountInfo()).domain).toBe('HUB');
    await hubFromLeaf.streams.add({ name: 'HS', subjects: ['hs.>'], storage: 'memory' });
    const jsToHub = jetstream(lc, { domain: 'HUB', timeout: 3000 });
    for (let i = 0; i < 3; i++) expect(await jsToHub.publish(`hs.${i}`, `h${i}`)).toMatchObject({ stream: 'HS', domain: 'HUB', seq: i + 1 });
    // A pull consumer across the leaf: deliveries keep their subjects and their acks reach the hub.
    await hubFromLeaf.consumers.add('HS', { durable_name: 'C', ack_policy: 'explicit' });
    const c = await jsToHub.consumers.get('HS', 'C');
    const got: string[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await c.next({ expires: 3000 });
      expect(m).not.toBeNull();
      got.push(`${m!.subject}=${m!.string()}`);
      await m!.ackAck();
    }
    expect(got).toEqual(['hs.0=h0', 'hs.1=h1', 'hs.2=h2']);
    expect((await hubFromLeaf.consumers.info('HS', 'C')).num_ack_pending).toBe(0);
    // KV on the hub from the leaf: puts through $JS.HUB.API.$KV, gets through direct get.
    const kv = await new Kvm(jetstream(lc, { domain: 'HUB' })).create('B');
    await kv.put('k', 'v1');
    await kv.put('k', 'v2');
    expect((await kv.get('k'))?.string()).toBe('v2');

    // From the hub, on the leaf.
    const leafFromHub = await manager(hc, 'LEAF');
    expect((await leafFromHub.getAccountInfo()).domain).toBe('LEAF');
    await leafFromHub.streams.add({ name: 'LS', subjects: ['ls.>'], storage: 'memory' });
    expect(await jetstream(hc, { domain: 'LEAF' }).publish('ls.1', 'l')).toMatchObject({ stream: 'LS', domain: 'LEAF', seq: 1 });
    expect((await leafFromHub.streams.getMessage('LS', { seq: 1 }))?.subject).toBe('ls.1');

    // Each stream lives on its own side: $JS.API without a domain stays local.
    expect(await names(await manager(hc))).toEqual(['HS', 'KV_B']);
    expect(await names(await manager(lc))).toEqual(['LS']);
    expect((await (await manager(lc)).getAccountInfo()).domain).toBe('LEAF');
  });

  it('a leaf without JetStream reaches the hub’s domain, never the hub’s $JS.API; a hub without JetStream reaches the leaf’s', async () => {
    const a = await pair(hubKind, leafKind, 'domain: HUB', null);
    await expect(jetstreamManager(a.lc, { timeout: 1000 })).rejects.toThrow();
    const hubFromLeaf = await manager(a.lc, 'HUB');
    await hubFromLeaf.streams.add({ name: 'HS', subjects: ['hs.>'], storage: 'memory' });
    expect(await jetstream(a.lc, { domain: 'HUB' }).publish('hs.1')).toMatchObject({ stream: 'HS', domain: 'HUB', seq: 1 });
    await expect(jetstreamManager(a.lc, { timeout: 1000 })).rejects.toThrow();
    await Promise.all([a.hub.stop(), a.leaf.stop()]);

    const b = await pair(hubKind, leafKind, null, 'domain: LEAF');
    const leafFromHub = await manager(b.hc, 'LEAF');
    await leafFromHub.streams.add({ name: 'LS', subjects: ['ls.>'], storage: 'memory' });
    expect(await names(await manager(b.lc))).toEqual(['LS']);
    await expect(jetstreamManager(b.hc, { timeout: 1000 })).rejects.toThrow();
  });

  it('one domain on both sides: JetStream is not "extended", the domain-less API is denied and nothing more', async () => {
    const { hub, leaf, hc, lc } = await pair(hubKind, leafKind, 'domain: D', 'domain: D');
    for (const s of [hub, leaf]) {
      expect(s.output()).toMatch(/Adding deny \[\$JS\.API\.> \$KV\.> \$OBJ\.>\] for account "\$G"/);
      expect(s.output()).not.toMatch(/JetStream Not Extended|for outgoing messages/);
      expect(s.output()).toMatch(/Adding JetStream Domain Mapping "\$JS\.D\.API\.INFO" -> \$JS\.API\.INFO to account "\$G"/);
    }
    // Each side's $JS.D.API is its own.
    await (await manager(hc, 'D')).streams.add({ name: 'H', subjects: ['h'], storage: 'memory' });
    await (await manager(lc, 'D')).streams.add({ name: 'L', subjects: ['l'], storage: 'memory' });
    expect(await names(await manager(hc, 'D'))).toEqual(['H']);
    expect(await names(await manager(lc, 'D'))).toEqual(['L']);
  });

  it('different domains: each side logs nats-server’s denies and mappings, and keeps requests for its own domain', async () => {
    const { hub, leaf } = await pair(hubKind, leafKind, 'domain: HUB', 'domain: LEAF');
    for (const [s, d] of [
      [hub, 'HUB'],
      [leaf, 'LEAF'],
    ] as const) {
      const out = s.output();
      expect(out).toMatch(/JetStream Not Extended, adding deny \[\$JS\.API\.> \$KV\.> \$OBJ\.>\] for account "\$G"/);
      for (const [src, to] of [
        ['INFO', '$JS.API.INFO'],
        ['STREAM.>', '$JS.API.STREAM.>'],
        ['CONSUMER.>', '$JS.API.CONSUMER.>'],
        ['DIRECT.>', '$JS.API.DIRECT.>'],
        ['META.>', '$JS.API.META.>'],
        ['SERVER.>', '$JS.API.SERVER.>'],
        ['ACCOUNT.>', '$JS.API.ACCOUNT.>'],
        ['$KV.>', '$KV.>'],
        ['$OBJ.>', '$OBJ.>'],
      ]) {
        expect(out).toContain(`Adding JetStream Domain Mapping "$JS.${d}.API.${src}" -> ${to} to account "$G"`);
      }
      expect(out).toContain(`Adding deny "$JS.${d}.API.>" for outgoing messages to account "$G"`);
    }
  });

  it.each([
    ['hub', 'the leaf’s'],
    ['leaf', 'the hub’s'],
  ])('subject mappings of the %s apply to %s messages on arrival', async (where) => {
    const mappings = 'mappings { "in.*": "out.$1" }';
    const { hc, lc } = await pair(hubKind, leafKind, null, null, where === 'hub' ? mappings : '', where === 'leaf' ? mappings : '');
    // The publishing side has no mapping and no interest in in.* of its own: the message crosses on the mapping's interest.
    const [from, to] = where === 'hub' ? [lc, hc] : [hc, lc];
    const got: string[] = [];
    const sub = to.subscribe('out.>');
    void (async () => {
      for await (const m of sub) got.push(`${m.subject}=${m.string()}`);
    })();
    await to.flush();
    await eventually(
      async () => {
        from.publish('in.probe', 'p');
        await from.flush();
        await new Promise((r) => setTimeout(r, 50));
        return got.length > 0;
      },
      'the mapped subject across the leaf',
      10_000,
    );
    await new Promise((r) => setTimeout(r, 100));
    got.length = 0;
    for (let i = 0; i < 5; i++) from.publish(`in.${i}`, `m${i}`);
    await from.flush();
    await eventually(() => got.length >= 5, 'mapped messages');
    expect(got.sort()).toEqual(Array.from({ length: 5 }, (_, i) => `out.${i}=m${i}`));
  });
});

describe.each(ROLES)('%s: streams sourcing across domains', (_name, hubKind, leafKind) => {
  it.each([
    ['hub', 'leaf'],
    ['leaf', 'hub'],
  ])('a stream on the %s sources and mirrors a stream on the %s through the leaf (external api $JS.<domain>.API)', async (where) => {
    const { hc, lc } = await pair(hubKind, leafKind, 'domain: HUB', 'domain: LEAF');
    const [tc, oc, domain] = where === 'hub' ? [hc, lc, 'LEAF'] : [lc, hc, 'HUB'];
    const origin = await manager(oc);
    await origin.streams.add({ name: 'O', subjects: ['o.>'], storage: 'memory' });
    const js = jetstream(oc);
    for (let i = 0; i < 5; i++) await js.publish(`o.${i}`, `m${i}`, i === 0 ? { headers: hdrs('X-Test', 'h0') } : undefined);
    const target = await manager(tc);
    await manager(tc, domain);
    const external = { api: `$JS.${domain}.API`, deliver: '' };
    await target.streams.add({ name: 'SRC', storage: 'memory', sources: [{ name: 'O', external }] });
    await target.streams.add({ name: 'MIR', storage: 'memory', mirror: { name: 'O', external } });
    await target.streams.add({ name: 'FIL', storage: 'memory', sources: [{ name: 'O', external, filter_subject: 'o.3' }] });
    await eventually(
      async () =>
        (await target.streams.info('SRC')).state.messages === 5 &&
        (await target.streams.info('MIR')).state.messages === 5 &&
        (await target.streams.info('FIL')).state.messages === 1,
      'the sourced and mirrored messages',
      15_000,
    );
    const m = await target.streams.getMessage('SRC', { seq: 5 });
    expect([m?.subject, m?.string()]).toEqual(['o.4', 'm4']);
    expect(m?.header?.get('Nats-Stream-Source')).toMatch(/^O:\S+ 5$/);
    const h = await target.streams.getMessage('SRC', { seq: 1 });
    expect([h?.subject, h?.header?.get('X-Test')]).toEqual(['o.0', 'h0']);
    const mm = await target.streams.getMessage('MIR', { seq: 3 });
    expect([mm?.subject, mm?.string()]).toEqual(['o.2', 'm2']);
    expect((await target.streams.getMessage('FIL', { seq: 1 }))?.subject).toBe('o.3');
    // Later messages follow.
    await js.publish('o.5', 'm5');
    await eventually(
      async () => (await target.streams.info('MIR')).state.last_seq === 6 && (await target.streams.info('SRC')).state.messages === 6,
      'a later message mirrored and sourced',
      10_000,
    );
    const si = await target.streams.info('MIR');
    expect(si.mirror).toMatchObject({ name: 'O', external, lag: 0 });
    expect(si.mirror?.error).toBeUndefined();
  });
});

describe.each([['tsnats' as ServerKind], ['nats-server' as ServerKind]])('%s hub with domain HUB, on a raw leaf connection', (kind) => {
  it('INFO says the domain; the domain API is interest, and an LMSG to it is mapped and answered', async () => {
    const leafPort = await freePort();
    await server(kind, `${jsBlock('domain: HUB')}leafnodes { listen: "127.0.0.1:${leafPort}" }\n`);
    const raw = await RawClient.connect(leafPort);
    try {
      const info = JSON.parse(/^INFO (\{.*\}) \r\n/.exec(await raw.expect(/^INFO (\{.*\}) \r\n/))![1]!) as Record<string, unknown>;
      expect(info).toMatchObject({ jetstream: true, domain: 'HUB' });
      // The key order of nats-server's Info: domain after nonce, before info_on_connect.
      const keys = Object.keys(info);
      expect(keys.indexOf('domain')).toBe(keys.indexOf('nonce') + 1);
      raw.send('CONNECT {"version":"2.9.10","tls_required":false,"server_id":"NRAWLEAF","domain":"RAW","name":"rawleaf","headers":true,"jetstream":true}\r\n');
      await raw.expect(/INFO \{[^\r]*"connect_info":true[^\r]*\} \r\n/);
      const subs = await raw.readUntilQuiet(300);
      const lines = subs.toString('latin1');
      for (const suffix of ['INFO', 'STREAM.>', 'CONSUMER.>', 'DIRECT.>', 'META.>', 'SERVER.>', 'ACCOUNT.>', '$KV.>', '$OBJ.>']) {
        expect(lines).toContain(`LS+ $JS.HUB.API.${suffix}\r\n`);
      }
      raw.send('LS+ r.>\r\nPING\r\n');
      await raw.expect('PONG\r\n');
      raw.send('LMSG $JS.HUB.API.INFO r.2 0\r\n\r\n');
      const reply = await raw.expect(/LMSG r\.\d [0-9]+\r\n[^\r]*\r\n/, 5000);
      expect(reply).toMatch(/^LMSG r\.2 /);
      expect(reply).toContain('"type":"io.nats.jetstream.api.v1.account_info_response"');
      expect(reply).toContain('"domain":"HUB"');
    } finally {
      await raw.close();
    }
  });
});

describe.each(ROLES)('%s: default_js_domain', (_name, hubKind, leafKind) => {
  it('a leaf account without JetStream sends its plain $JS.API requests to the hub’s domain', async () => {
    const { hub, leaf, lc } = await pair(hubKind, leafKind, 'domain: HUB', null, '', 'default_js_domain: { "$G": HUB }');
    expect(leaf.output()).toContain('The option `default_js_domain` is a temporary backwards compatibility measure and will be removed');
    const jsm = await manager(lc);
    expect((await jsm.getAccountInfo()).domain).toBe('HUB');
    await jsm.streams.add({ name: 'D', subjects: ['d.>'], storage: 'memory' });
    expect(await jetstream(lc).publish('d.1', 'x')).toMatchObject({ stream: 'D', domain: 'HUB', seq: 1 });
    const kv = await new Kvm(lc).create('DK');
    await kv.put('k', 'v');
    expect((await kv.get('k'))?.string()).toBe('v');
    // The streams are the hub's.
    expect(await names(await manager(await client(hub)))).toEqual(['D', 'KV_DK']);
  });
});

// Only against a nats-server hub: its hub sends its accounts' `$JS.API.>` service import as
// interest and takes what arrives on it; a tsnats hub does neither (see the README's differences).
describe('nats-server hub, tsnats leaf: default_js_domain ""', () => {
  it('an account whose default domain is empty keeps $JS.API across the leaf (no deny)', async () => {
    const { leaf, lc } = await pair('nats-server', 'tsnats', '', null, '', 'default_js_domain: { "$G": "" }');
    expect(leaf.output()).toContain('Skipping deny "$JS.API.>" for account "$G" due to default domain');
    expect(leaf.output()).not.toMatch(/adding deny \[|Adding deny \[/);
    const jsm = await manager(lc);
    await jsm.streams.add({ name: 'E', subjects: ['e.>'], storage: 'memory' });
    expect(await jetstream(lc).publish('e.1', 'x')).toMatchObject({ stream: 'E', seq: 1 });
  });
});
