// WebSocket clients (issue 14): the upgrade answers byte for byte against nats-server 2.9.10 run
// side by side, frames over raw sockets (split at every offset, control frames, close codes,
// permessage-deflate), the official client (@nats-io/nats-core's wsconnect, given `ws` as its
// WebSocket) talking to TCP clients, and the websocket block's own authorization.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync, inflateRawSync, constants as zc } from 'node:zlib';
import { wsconnect, headers as natsHeaders, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, spawnServer, type ServerKind, type SpawnedServer } from './helpers/spawn-server.js';
import { tempDir, tsnats } from './helpers/child-server.js';
import { FrameReader, type FrameSink } from '../src/websocket/frames.js';
import { TWINS } from './helpers/twins.js';

(globalThis as { WebSocket?: unknown }).WebSocket = WebSocket;

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const UPGRADE = `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n`;

interface Pair {
  kind: ServerKind;
  server: SpawnedServer;
  wsPort: number;
}

async function start(kind: ServerKind, block: string, top = ''): Promise<Pair> {
  const wsPort = await freePort();
  const server = await spawnServer(kind, { config: `${top}\nwebsocket { listen: "127.0.0.1:${wsPort}", no_tls: true, ${block} }\n` });
  return { kind, server, wsPort };
}

/** Sends `req` on a fresh connection and returns what came back within `ms` (or until close). */
function exchange(port: number, req: string | Buffer, ms = 400): Promise<Buffer> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const bufs: Buffer[] = [];
    const done = (): void => {
      clearTimeout(t);
      s.destroy();
      resolve(Buffer.concat(bufs));
    };
    const t = setTimeout(done, ms);
    s.on('data', (b) => bufs.push(b));
    s.on('error', () => {});
    s.on('close', done);
    s.write(req);
  });
}

const noDate = (b: Buffer): string => b.toString('latin1').replace(/Date: [^\r]*/, 'Date: X');

/** A client frame: masked with a fixed key, `first` byte given (FIN, RSV1, opcode). */
function clientFrame(first: number, payload: Buffer, key = Buffer.from([0x12, 0x34, 0x56, 0x78])): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([first, 0x80 | len]) : len < 65536 ? Buffer.from([first, 0x80 | 126, len >> 8, len & 0xff]) : (() => {
    const h = Buffer.alloc(10);
    h[0] = first;
    h[1] = 0x80 | 127;
    h.writeBigUInt64BE(BigInt(len), 2);
    return h;
  })();
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
  return Buffer.concat([head, key, body]);
}

interface Frame {
  fin: boolean;
  rsv1: boolean;
  op: number;
  payload: Buffer;
}

/** Server frames (unmasked) from a byte stream; `rest` is what is left of an unfinished one. */
function serverFrames(b: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  let p = 0;
  for (;;) {
    if (b.length - p < 2) break;
    expect(b[p + 1] & 0x80).toBe(0);
    let len = b[p + 1] & 0x7f;
    let off = p + 2;
    if (len === 126) {
      if (b.length - p < 4) break;
      len = b.readUInt16BE(p + 2);
      off = p + 4;
    } else if (len === 127) {
      if (b.length - p < 10) break;
      len = Number(b.readBigUInt64BE(p + 2));
      off = p + 10;
    }
    if (b.length < off + len) break;
    frames.push({ fin: (b[p] & 0x80) !== 0, rsv1: (b[p] & 0x40) !== 0, op: b[p] & 0x0f, payload: b.subarray(off, off + len) });
    p = off + len;
  }
  return { frames, rest: b.subarray(p) };
}

/** A raw WebSocket client: upgrades, then collects the server's frames. */
class RawWs {
  private buf = Buffer.alloc(0);
  readonly frames: Frame[] = [];
  closed = false;
  private constructor(readonly sock: net.Socket) {}

  static async open(port: number, extra = ''): Promise<RawWs> {
    const sock = net.connect(port, '127.0.0.1');
    const ws = new RawWs(sock);
    let head = Buffer.alloc(0);
    await new Promise<void>((resolve, reject) => {
      const onData = (b: Buffer): void => {
        head = Buffer.concat([head, b]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        sock.off('data', onData);
        expect(head.subarray(0, 12).toString()).toBe('HTTP/1.1 101');
        ws.upgradeResponse = head.subarray(0, end + 4).toString('latin1');
        sock.on('data', (d: Buffer) => ws.onData(d));
        ws.onData(head.subarray(end + 4));
        resolve();
      };
      sock.on('data', onData);
      sock.on('error', reject);
      sock.on('close', () => (ws.closed = true));
      sock.write(UPGRADE + extra + '\r\n');
    });
    return ws;
  }

  upgradeResponse = '';

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    const { frames, rest } = serverFrames(this.buf);
    this.frames.push(...frames);
    this.buf = Buffer.from(rest);
  }

  /** The data frames' payloads so far, as text (compressed ones inflated). */
  text(): string {
    return this.frames
      .filter((f) => f.op === 2)
      .map((f) => (f.rsv1 ? inflateRawSync(Buffer.concat([f.payload, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: zc.Z_SYNC_FLUSH }) : f.payload).toString('latin1'))
      .join('');
  }

  send(b: Buffer): void {
    this.sock.write(b);
  }

  async until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(this.frames.map((f) => [f.op, f.payload.toString('latin1')]))}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    this.sock.destroy();
  }
}

const kinds: ServerKind[] = ['nats-server', 'tsnats'];

describe('the HTTP upgrade answers as nats-server does', () => {
  const pairs = new Map<ServerKind, Pair>();
  beforeAll(async () => {
    for (const k of kinds) pairs.set(k, await start(k, 'allowed_origins: ["http://good.example:8080", "https://other.example"]'));
  });
  afterAll(async () => {
    for (const p of pairs.values()) await p.server.stop();
  });

  const H = 'Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n';
  const requests: Array<[string, string]> = [
    ['a good upgrade (101, the accept key, then INFO in a frame)', UPGRADE + '\r\n'],
    ['405 for POST', 'POST / HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['400 without a key', `GET / HTTP/1.1\r\n${H}Sec-WebSocket-Version: 13\r\n\r\n`],
    ['400 for version 12', `GET / HTTP/1.1\r\n${H}Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 12\r\n\r\n`],
    ['400 without Upgrade', `GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`],
    ['400 without Connection: Upgrade', `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`],
    ['tokens in lists, any case', `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\nConnection: keep-alive, upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 8, 13\r\n\r\n`],
    ['HTTP/1.0 answered in kind', `GET / HTTP/1.0\r\n${H}Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 12\r\n\r\n`],
    ['400 for an HTTP/1.1 request without Host', `GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`],
    ['400 for garbage', 'garbage\r\n\r\n'],
    ['403 for an origin not allowed', UPGRADE + 'Origin: http://bad.example:8080\r\n\r\n'],
    ['403 for the right host on another port', UPGRADE + 'Origin: http://good.example\r\n\r\n'],
    ['403 for the right host with another scheme', UPGRADE + 'Origin: https://good.example:8080\r\n\r\n'],
    ['an allowed origin', UPGRADE + 'Origin: http://GOOD.example:8080\r\n\r\n'],
    ['an allowed https origin on its default port', UPGRADE + 'Origin: https://other.example:443\r\n\r\n'],
    ['no Origin header is accepted', UPGRADE + '\r\n'],
    ['Sec-WebSocket-Origin is read too', UPGRADE + 'Sec-WebSocket-Origin: http://bad.example\r\n\r\n'],
    ['a second request after a refusal on the same connection', `GET / HTTP/1.1\r\n${H}Sec-WebSocket-Version: 13\r\n\r\n${UPGRADE}\r\n`],
    ['no extension without compression configured', UPGRADE + 'Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n'],
    ['Nats-No-Masking', UPGRADE + 'Nats-No-Masking: true\r\n\r\n'],
    ['a refusal of a request that asked for Connection: close', 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' + UPGRADE + '\r\n'],
    ['data sent before the handshake completed: closed without an answer', UPGRADE + '\r\nPING\r\n'],
  ];

  it.each(requests)('%s', async (_name, req) => {
    const got: string[] = [];
    for (const k of kinds) {
      const p = pairs.get(k)!;
      const b = await exchange(p.wsPort, req);
      // The INFO differs in ids, ports and names: compare the HTTP part and the frame header.
      let text = noDate(b);
      text = text.replace(/INFO \{.*\} \r\n/s, (m) => `INFO <${JSON.parse(m.slice(5, -3)).client_id > 0 ? 'info' : '?'}>`);
      got.push(text);
    }
    expect(got[1]).toBe(got[0]);
  });

  it('the INFO is the client listener INFO with the client id and ip', async () => {
    for (const k of kinds) {
      const p = pairs.get(k)!;
      const ws = await RawWs.open(p.wsPort);
      await ws.until(() => ws.text().includes('\r\n'), 'INFO');
      const info = JSON.parse(ws.text().slice(5, -3)) as Record<string, unknown>;
      expect(Object.keys(info), k).toEqual(['server_id', 'server_name', 'version', 'proto', 'go', 'host', 'port', 'headers', 'max_payload', 'client_id', 'client_ip']);
      expect(info.port).toBe(p.server.port);
      ws.close();
    }
  });
});

describe('frames (raw sockets, both servers)', () => {
  const pairs = new Map<ServerKind, Pair>();
  beforeAll(async () => {
    for (const k of kinds) pairs.set(k, await start(k, 'compression: true', 'max_payload: 2000'));
  });
  afterAll(async () => {
    for (const p of pairs.values()) await p.server.stop();
  });

  it.each(kinds)('%s: frames split at every offset, and a message in continuation frames', async (k) => {
    const port = pairs.get(k)!.wsPort;
    const proto = Buffer.from('CONNECT {"verbose":false}\r\nSUB s 1\r\nPUB s 5\r\nhello\r\nPING\r\n');
    const stream = Buffer.concat([
      clientFrame(0x02, proto.subarray(0, 20)), // binary, not final
      clientFrame(0x00, proto.subarray(20, 40)), // continuation
      clientFrame(0x89, Buffer.from('pp')), // a ping between fragments
      clientFrame(0x80, proto.subarray(40)), // final continuation
    ]);
    for (let cut = 1; cut < stream.length; cut += 3) {
      const ws = await RawWs.open(port);
      ws.send(stream.subarray(0, cut));
      await new Promise((r) => setImmediate(r));
      ws.send(stream.subarray(cut));
      await ws.until(() => ws.text().includes('PONG\r\n'), `PONG (cut ${cut})`);
      expect(ws.text()).toContain('MSG s 1 5\r\nhello\r\n');
      expect(ws.frames.some((f) => f.op === 0x0a && f.payload.toString() === 'pp')).toBe(true);
      ws.close();
    }
  });

  it.each(kinds)('%s: a close frame is echoed', async (k) => {
    const ws = await RawWs.open(pairs.get(k)!.wsPort);
    const payload = Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from('bye')]);
    ws.send(clientFrame(0x88, payload));
    await ws.until(() => ws.frames.some((f) => f.op === 8), 'close');
    const close = ws.frames.find((f) => f.op === 8)!;
    expect(close.payload.readUInt16BE(0)).toBe(1000);
    expect(close.payload.subarray(2).toString()).toBe('bye');
    await ws.until(() => ws.closed, 'the connection to close');
  });

  it.each(kinds)('%s: an unmasked frame is a protocol error: a 1002 close frame (nats-server: when its writer wins the race), then the connection is cut', async (k) => {
    const ws = await RawWs.open(pairs.get(k)!.wsPort);
    await ws.until(() => ws.text().includes('\r\n'), 'INFO');
    ws.send(Buffer.from([0x82, 0x04, 0x50, 0x49, 0x4e, 0x47]));
    await ws.until(() => ws.closed, 'the connection to close');
    const ops = ws.frames.map((f) => f.op);
    if (k === 'tsnats' || ops.length > 1) {
      expect(ops).toEqual([2, 8]);
      const close = ws.frames[1]!;
      expect(close.payload.readUInt16BE(0)).toBe(1002);
      expect(close.payload.subarray(2).toString()).toBe('mask bit missing');
    } else {
      expect(ops).toEqual([2]);
    }
  });

  it.each(kinds)('%s: over max_payload closes with 1009', async (k) => {
    const ws = await RawWs.open(pairs.get(k)!.wsPort);
    ws.send(clientFrame(0x82, Buffer.from('CONNECT {"verbose":false}\r\nPUB s 3000\r\n')));
    await ws.until(() => ws.frames.some((f) => f.op === 8), 'close');
    const close = ws.frames.find((f) => f.op === 8)!;
    expect(close.payload.readUInt16BE(0)).toBe(1009);
    expect(close.payload.subarray(2).toString()).toBe('Maximum Message Payload Exceeded');
    expect(ws.text()).toContain("-ERR 'Maximum Payload Violation'\r\n");
  });

  it.each(kinds)('%s: permessage-deflate both ways, nothing compressed at 64 bytes or less', async (k) => {
    const ws = await RawWs.open(pairs.get(k)!.wsPort, 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n');
    expect(ws.upgradeResponse).toContain('Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n');
    const body = 'x'.repeat(500);
    const proto = Buffer.from(`CONNECT {"verbose":false}\r\nSUB s 1\r\nPUB s ${body.length}\r\n${body}\r\nPING\r\n`);
    const z = deflateRawSync(proto, { finishFlush: zc.Z_SYNC_FLUSH });
    ws.send(clientFrame(0xc2, z.subarray(0, z.length - 4)));
    await ws.until(() => ws.text().includes('PONG\r\n'), 'PONG');
    expect(ws.text()).toContain(`MSG s 1 ${body.length}\r\n${body}\r\n`);
    const data = ws.frames.filter((f) => f.op === 2);
    // The INFO is over 64 bytes: compressed; so is the MSG. Nothing of 64 bytes or less is.
    expect(data[0].rsv1).toBe(true);
    const inflated = (f: Frame): Buffer => inflateRawSync(Buffer.concat([f.payload, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: zc.Z_SYNC_FLUSH });
    for (const f of data) {
      if (f.rsv1) expect(inflated(f).length).toBeGreaterThan(64);
      else expect(f.payload.length).toBeLessThanOrEqual(64);
    }
    expect(data.filter((f) => f.rsv1).length).toBeGreaterThan(1);
    ws.close();
  });

  // The MSGs one read produces are flushed once, after the read: one frame (compressed or not)
  // whatever the number of messages or outbound chunks (200 x 1 KiB fills several).
  it.each(['', 'Sec-WebSocket-Extensions: permessage-deflate\r\n'].flatMap((ext) => [16, 1024].map((size) => [ext === '' ? 'plain' : 'compressed', size, ext] as const)))(
    'tsnats: %s, one PUB to 200 subscriptions of the client: 200 MSGs of %i B in one frame',
    async (_mode, size, ext) => {
      const ws = await RawWs.open(pairs.get('tsnats')!.wsPort, ext);
      const subs = Array.from({ length: 200 }, (_, i) => `SUB s ${i + 1}\r\n`).join('');
      ws.send(clientFrame(0x82, Buffer.from(`CONNECT {"verbose":false}\r\n${subs}PING\r\n`)));
      await ws.until(() => ws.text().includes('PONG\r\n'), 'PONG');
      const before = ws.frames.length;
      const body = 'y'.repeat(size);
      ws.send(clientFrame(0x82, Buffer.from(`PUB s ${size}\r\n${body}\r\nPING\r\n`)));
      await ws.until(() => ws.text().split('PONG\r\n').length === 3, 'the second PONG');
      const frames = ws.frames.slice(before);
      expect(frames.map((f) => [f.op, f.rsv1])).toEqual([[2, ext !== '']]);
      const text = ws.text();
      for (let i = 1; i <= 200; i++) expect(text).toContain(`MSG s ${i} ${size}\r\n${body}\r\n`);
      ws.close();
    },
  );
});

describe('the official client over WebSocket (wsconnect)', () => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await start('tsnats', '');
  });
  afterAll(async () => {
    await pair.server.stop();
  });

  it('pub/sub, request/reply, headers and large payloads between a WS and a TCP client', async () => {
    const nc: NatsConnection = await wsconnect({ servers: `ws://127.0.0.1:${pair.wsPort}`, timeout: 5000 });
    const tc = await connect({ servers: `127.0.0.1:${pair.server.port}`, timeout: 5000 });
    try {
      const fromTcp = nc.subscribe('t.>', { max: 2 });
      const fromWs = tc.subscribe('w.>', { max: 2 });
      tc.subscribe('svc', { callback: (_e, m) => void m.respond(m.data) });
      await tc.flush();
      await nc.flush();
      const h = natsHeaders();
      h.set('X-Test', 'yes');
      tc.publish('t.a', 'hello', { headers: h });
      const big = new Uint8Array(600_000);
      for (let i = 0; i < big.length; i++) big[i] = i % 251;
      tc.publish('t.b', big);
      nc.publish('w.a', big);
      nc.publish('w.b', 'x');
      const got: Array<[string, number, string | undefined]> = [];
      for await (const m of fromTcp) got.push([m.subject, m.data.length, m.headers?.get('X-Test')]);
      expect(got).toEqual([
        ['t.a', 5, 'yes'],
        ['t.b', big.length, undefined],
      ]);
      const seen: Uint8Array[] = [];
      for await (const m of fromWs) seen.push(m.data);
      expect(Buffer.from(seen[0]).equals(Buffer.from(big))).toBe(true);
      const r = await nc.request('svc', big, { timeout: 5000 });
      expect(Buffer.from(r.data).equals(Buffer.from(big))).toBe(true);
    } finally {
      await nc.close();
      await tc.close();
    }
  });
});

describe('flow and shutdown', () => {
  it('a WS subscriber gets every message of a flood from a TCP publisher (backpressure through the framing)', async () => {
    const pair = await start('tsnats', '');
    const nc = await wsconnect({ servers: `ws://127.0.0.1:${pair.wsPort}`, timeout: 5000 });
    const tc = await connect({ servers: `127.0.0.1:${pair.server.port}`, timeout: 5000 });
    try {
      const N = 20_000;
      const sub = nc.subscribe('flood', { max: N });
      await nc.flush();
      for (let i = 0; i < N; i++) {
        // A new payload each time: the client may keep a reference until it writes.
        const payload = new Uint8Array(1024);
        payload[0] = i & 0xff;
        tc.publish('flood', payload);
        if (i % 1000 === 999) await tc.flush();
      }
      let n = 0;
      for await (const m of sub) {
        expect(m.data[0]).toBe(n & 0xff);
        n++;
      }
      expect(n).toBe(N);
    } finally {
      await nc.close();
      await tc.close();
      await pair.server.stop();
    }
  });

  it.each(kinds)('%s: a shutdown sends a close frame 1001 "Server Shutdown"', async (k) => {
    const pair = await start(k, '');
    const ws = await RawWs.open(pair.wsPort);
    try {
      ws.send(clientFrame(0x82, Buffer.from('CONNECT {"verbose":false}\r\nPING\r\n')));
      await ws.until(() => ws.text().includes('PONG\r\n'), 'PONG');
      pair.server.proc.kill('SIGTERM');
      await ws.until(() => ws.frames.some((f) => f.op === 8), 'close');
      const close = ws.frames.find((f) => f.op === 8)!;
      expect(close.payload.readUInt16BE(0)).toBe(1001);
      expect(close.payload.subarray(2).toString()).toBe('Server Shutdown');
    } finally {
      ws.close();
      await pair.server.stop();
    }
  });
});

describe('the websocket authorization block applies to WS clients only', () => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await start('tsnats', 'authorization { user: wsu, password: wsp }');
  });
  afterAll(async () => {
    await pair.server.stop();
  });

  it('WS clients need its user; TCP clients do not', async () => {
    const tc = await connect({ servers: `127.0.0.1:${pair.server.port}`, timeout: 5000 });
    await tc.close();
    await expect(wsconnect({ servers: `ws://127.0.0.1:${pair.wsPort}`, timeout: 3000, reconnect: false })).rejects.toThrow();
    const nc = await wsconnect({ servers: `ws://127.0.0.1:${pair.wsPort}`, user: 'wsu', pass: 'wsp', timeout: 5000 });
    await nc.flush();
    await nc.close();
  });

  it('a reload that changes a user\'s password cuts its WS clients (checked against the new users)', async () => {
    const dir = tempDir('tsnats-wsreload-');
    const conf = join(dir, 'r.conf');
    const wsPort = await freePort();
    const write = (pw: string): void =>
      writeFileSync(conf, `listen: "127.0.0.1:-1"\nauthorization { users: [{user: b, password: ${pw}}] }\nwebsocket { listen: "127.0.0.1:${wsPort}", no_tls: true, authorization { timeout: 3 } }\n`);
    write('one');
    const child = tsnats(['-c', conf]);
    try {
      await child.waitFor(/Server is ready/);
      const nc = await wsconnect({ servers: `ws://127.0.0.1:${wsPort}`, user: 'b', pass: 'one', timeout: 5000, reconnect: false });
      await nc.flush();
      const closed = nc.closed();
      write('two');
      child.kill('SIGHUP');
      await child.waitFor(/Reloaded: authorization users/);
      const err = await Promise.race([closed, new Promise((r) => setTimeout(() => r('still open'), 5000))]);
      expect(err).not.toBe('still open');
      await nc.close();
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a failed CONNECT closes with 1008', async () => {
    const ws = await RawWs.open(pair.wsPort);
    await ws.until(() => ws.text().includes('\r\n'), 'INFO');
    expect(ws.text()).toContain('"auth_required":true');
    ws.send(clientFrame(0x82, Buffer.from('CONNECT {"verbose":false,"user":"wsu","pass":"bad"}\r\nPING\r\n')));
    await ws.until(() => ws.frames.some((f) => f.op === 8), 'close');
    const close = ws.frames.find((f) => f.op === 8)!;
    expect(close.payload.readUInt16BE(0)).toBe(1008);
    expect(close.payload.subarray(2).toString()).toBe('Authentication Failure');
  });
});

describe('wss:// (a tls block) and handshake_timeout', () => {
  let dir = '';
  const f = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore', timeout: 10_000 });
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsnats-wss-'));
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('ca-key.pem'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=tsnats ws CA');
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('server-key.pem'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1');
    writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1\n');
    openssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca-key.pem'), '-CAcreateserial', '-out', f('server.pem'), '-days', '2', '-extfile', f('server.ext'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(kinds)('%s: upgrades over TLS, lists wss:// in the ports file, and says so in the log', async (k) => {
    const wsPort = await freePort();
    const server = await spawnServer(k, {
      config: `ports_file_dir: "${dir}"\nwebsocket { listen: "127.0.0.1:${wsPort}", tls { cert_file: "${f('server.pem')}", key_file: "${f('server-key.pem')}" } }\n`,
    });
    try {
      const got = await new Promise<string>((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port: wsPort, ca: readFileSync(f('ca.pem')) }, () => s.write(UPGRADE + '\r\n'));
        let data = Buffer.alloc(0);
        s.on('data', (b: Buffer) => {
          data = Buffer.concat([data, b]);
          const text = data.toString('latin1');
          if (/INFO \{.*\} \r\n/s.test(text)) {
            s.destroy();
            resolve(text);
          }
        });
        s.on('error', reject);
      });
      expect(got.startsWith('HTTP/1.1 101 Switching Protocols\r\n')).toBe(true);
      expect(got).toContain(`Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n`);
      expect(server.output()).toContain(`Listening for websocket clients on wss://127.0.0.1:${wsPort}`);
      expect(server.output()).not.toContain('DO NOT USE IN PRODUCTION');
      const file = await waitForFile(dir, `_${server.proc.pid}.ports`);
      expect((JSON.parse(readFileSync(file, 'utf8')) as { websocket: string[] }).websocket).toEqual([`wss://127.0.0.1:${wsPort}`]);
    } finally {
      await server.stop();
    }
  });

  it.each(kinds)('%s: an unfinished request is cut at handshake_timeout, without an answer', async (k) => {
    const p = await start(k, 'handshake_timeout: "300ms"');
    try {
      const t0 = Date.now();
      const got = await exchange(p.wsPort, 'GET / HTTP/1.1\r\nHost: x\r\n', 10_000);
      expect(got.length).toBe(0);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
      expect(Date.now() - t0).toBeLessThan(8000);
    } finally {
      await p.server.stop();
    }
  });
});

describe('monitoring', () => {
  it('/varz websocket block and /connz type "websocket", as nats-server shows them', async () => {
    const got: unknown[] = [];
    for (const k of kinds) {
      const http = await freePort();
      const p = await start(k, 'compression: true, same_origin: true, allowed_origins: ["http://a.example"], handshake_timeout: "2s", authorization { timeout: 3 }', `http: "127.0.0.1:${http}"`);
      const nc = await wsconnect({ servers: `ws://127.0.0.1:${p.wsPort}`, timeout: 5000 });
      try {
        await nc.flush();
        const varz = (await (await fetch(`http://127.0.0.1:${http}/varz`)).json()) as { websocket: { port?: number } };
        const connz = (await (await fetch(`http://127.0.0.1:${http}/connz`)).json()) as { connections: Array<{ type: string; kind: string }> };
        expect(varz.websocket.port).toBe(p.wsPort);
        got.push({ websocket: { ...varz.websocket, port: 'P' }, conns: connz.connections.map((c) => [c.kind, c.type]) });
      } finally {
        await nc.close();
        await p.server.stop();
      }
    }
    expect(got[0]).toEqual({
      websocket: { host: '127.0.0.1', port: 'P', handshake_timeout: 2e9, auth_timeout: 3, no_tls: true, same_origin: true, allowed_origins: ['http://a.example'], compression: true },
      conns: [['Client', 'websocket']],
    });
    expect(got[1]).toEqual(got[0]);
  });
});

describe('the ports file and the banner', () => {
  it.each(kinds)('%s lists ws://host:port and logs the listener', async (k) => {
    const dir = mkdtempSync(join(tmpdir(), 'tsnats-wsports-'));
    const p = await start(k, '', `ports_file_dir: "${dir}"`);
    try {
      const file = await waitForFile(dir);
      const ports = JSON.parse(readFileSync(file, 'utf8')) as { websocket?: string[] };
      expect(ports.websocket).toEqual([`ws://127.0.0.1:${p.wsPort}`]);
      const log = p.server.output();
      expect(log).toContain(`[INF] Listening for websocket clients on ws://127.0.0.1:${p.wsPort}\n`);
      expect(log).toContain('[WRN] Websocket not configured with TLS. DO NOT USE IN PRODUCTION!\n');
      expect(log.indexOf('Listening for websocket clients')).toBeLessThan(log.indexOf('Listening for client connections'));
    } finally {
      await p.server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The ports file in `dir` whose name ends with `suffix`, once written whole (servers write it after they listen). */
async function waitForFile(dir: string, suffix = '.ports'): Promise<string> {
  const end = Date.now() + 5000;
  for (;;) {
    const f = readdirSync(dir).find((n) => n.endsWith(suffix));
    if (f !== undefined) {
      const path = join(dir, f);
      if (readFileSync(path, 'utf8').endsWith('}')) return path;
    }
    if (Date.now() > end) throw new Error('no ports file');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('FrameReader', () => {
  class Collect implements FrameSink {
    out: string[] = [];
    data(b: Buffer): void {
      this.out.push('d:' + b.toString('latin1'));
    }
    compressed(parts: Buffer[]): void {
      this.out.push('z:' + Buffer.concat(parts).length);
    }
    ping(p: Buffer): void {
      this.out.push('ping:' + p.toString());
    }
    close(status: number, body: string): void {
      this.out.push(`close:${status}:${body}`);
    }
    protocolError(text: string): void {
      this.out.push('err:' + text);
    }
  }

  it.each(TWINS.map((t) => [t.name, t.unmask] as const))('%s unmask: gives the same bytes whatever the chunking, with every key offset', (_name, unmask) => {
    const msg = Buffer.from('PUB a 300\r\n' + 'abcdefghij'.repeat(30) + '\r\n');
    const stream = Buffer.concat([clientFrame(0x02, msg.subarray(0, 7)), clientFrame(0x89, Buffer.from('p')), clientFrame(0x80, msg.subarray(7)), clientFrame(0x88, Buffer.from([3, 232]))]);
    for (let a = 0; a <= stream.length; a++) {
      for (const b of [a, Math.min(stream.length, a + 1), Math.min(stream.length, a + 5), stream.length]) {
        const c = new Collect();
        const r = new FrameReader(c, true, unmask);
        const copy = Buffer.from(stream);
        r.feed(copy.subarray(0, a));
        r.feed(copy.subarray(a, b));
        r.feed(copy.subarray(b));
        const data = c.out.filter((s) => s.startsWith('d:')).map((s) => s.slice(2)).join('');
        expect(data).toBe(msg.toString('latin1'));
        expect(c.out.filter((s) => !s.startsWith('d:'))).toEqual(['ping:p', 'close:1000:']);
      }
    }
  });

  it('rejects what nats-server rejects, with its texts', () => {
    const cases: Array<[Buffer, string]> = [
      [Buffer.from([0x82, 0x00]), 'err:mask bit missing'],
      [clientFrame(0x09, Buffer.alloc(0)), 'err:control frame does not have final bit set'],
      [clientFrame(0x80, Buffer.from('x')), 'err:invalid continuation frame'],
      [clientFrame(0x83, Buffer.from('x')), 'err:unknown opcode 3'],
      [Buffer.concat([clientFrame(0x02, Buffer.from('x')), clientFrame(0x82, Buffer.from('y'))]), 'err:new message started before final frame for previous message was received'],
      [Buffer.from([0x89, 0xfe, 0, 126]), 'err:control frame length bigger than maximum allowed of 125 bytes'],
      [clientFrame(0x88, Buffer.from([3, 232, 0xff])), 'close:1007:invalid utf8 body in close frame'],
    ];
    for (const [bytes, want] of cases) {
      const c = new Collect();
      new FrameReader(c, true, TWINS[0].unmask).feed(bytes);
      expect(c.out.at(-1)).toBe(want);
    }
  });
});
