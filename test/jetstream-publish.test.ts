// JetStream publishes as raw protocol bytes, many in one read and then cut across reads, side by
// side with `nats-server -js`. A client's publish reaches a stream by offsets into the read
// buffer (Stream.receiveAt: the expected-* and Nats-Msg-Id headers read in place, the reply and
// the message copied out before the next read): every ack (or error) on its own reply subject
// and every stored message (subject, headers, body) must be the same as nats-server's.

import { describe, expect, it } from 'vitest';
import { jsServer, KINDS, type Kind } from './helpers/jetstream.js';
import { RawClient } from './helpers/raw-client.js';

const TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Frame {
  subject: string;
  reply: string;
  hdr: string;
  body: string;
}

/** The MSG/HMSG frames in `buf` (complete ones; other protocol lines skipped). */
function frames(buf: Buffer): Frame[] {
  const out: Frame[] = [];
  let p = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', p);
    if (eol < 0) return out;
    const a = buf.toString('latin1', p, eol).split(' ');
    p = eol + 2;
    if (a[0] !== 'MSG' && a[0] !== 'HMSG') continue;
    const h = a[0] === 'HMSG';
    const size = Number(a[a.length - 1]);
    const hl = h ? Number(a[a.length - 2]) : 0;
    if (p + size + 2 > buf.length) return out;
    out.push({ subject: a[1]!, reply: a.length === (h ? 6 : 5) ? a[3]! : '', hdr: buf.toString('latin1', p, p + hl), body: buf.toString('latin1', p + hl, p + size) });
    p += size + 2;
  }
}

/** Waits until the frames received satisfy `done` (5 s at most: a loaded machine) and returns them. */
async function until(c: RawClient, done: (f: Frame[]) => boolean): Promise<Frame[]> {
  const deadline = performance.now() + 5000;
  for (;;) {
    const f = frames(c.received());
    if (done(f) || performance.now() > deadline) return f;
    await sleep(5);
  }
}

const pub = (subject: string, reply: string | null, body: string): string => `PUB ${subject}${reply === null ? '' : ` ${reply}`} ${Buffer.byteLength(body)}\r\n${body}\r\n`;
const hpub = (subject: string, reply: string | null, hdrs: string, body: string): string => {
  const hdr = `NATS/1.0\r\n${hdrs}\r\n`;
  return `HPUB ${subject}${reply === null ? '' : ` ${reply}`} ${hdr.length} ${hdr.length + Buffer.byteLength(body)}\r\n${hdr}${body}\r\n`;
};
/** Reply subjects of differing lengths: each publish its own. */
const reply = (i: number): string => `_R.${i}.${'r'.repeat((i * 7) % 40)}`;
const big = (c: string): string => c.repeat(2048);

/** The publishes, to a file stream F (f.>) and a memory stream M (m.>), interleaved. */
const PUBS: string[] = [
  pub('f.a', reply(1), 'hello'),
  pub('m.a', reply(2), 'mem-1'),
  hpub('f.b', reply(3), 'Nats-Msg-Id: d1\r\n', 'one'),
  hpub('f.b', reply(4), 'Nats-Msg-Id: d1\r\n', 'one again'), // a duplicate
  hpub('m.b', reply(5), 'Nats-Msg-Id: d1\r\n', 'other stream'),
  hpub('m.b', reply(6), 'Nats-Msg-Id:   d1\r\n', 'duplicate in M'),
  hpub('f.c', reply(7), 'X-Nats-Msg-Id: d1\r\n', 'the key not at a line start'),
  hpub('f.c', reply(8), 'Foo: bar\r\n', '\r\nNats-Msg-Id: d1\r\n\r\n'), // the key in the body, not a header
  hpub('f.d', reply(9), 'Nats-Expected-Stream: M\r\n', 'wrong stream'),
  hpub('f.d', reply(10), 'Nats-Expected-Stream: F\r\nNats-Expected-Last-Sequence: 4\r\n', 'right stream and last sequence'),
  hpub('f.d', reply(11), 'Nats-Expected-Last-Sequence: 1\r\n', 'wrong last sequence'),
  hpub('m.c', reply(12), 'Nats-Expected-Last-Subject-Sequence: 0\r\n', 'first on m.c'),
  hpub('m.c', reply(13), 'Nats-Expected-Last-Msg-Id: d1\r\n', 'last id d1'),
  pub('f.e', null, 'no reply: stored, not acked'),
  hpub('f.e', reply(14), 'Nats-Msg-Id: big\r\n', big('b')),
  pub('m.e', reply(15), big('m')),
  hpub('f.f', reply(16), 'A: 1\r\n', ''),
  pub('f.f', reply(17), ''),
  hpub('f.b', reply(18), 'Nats-Msg-Id: d1\r\n', 'a duplicate after the others'),
  pub('f.a', reply(19), 'last'),
];
const ACKS = PUBS.filter((p) => p.split('\r\n')[0]!.split(' ').length > (p.startsWith('H') ? 4 : 3)).length;

/** Runs the publishes (`cut`: in pieces of `cut` bytes, each its own read; 0: one write) on `kind`; the acks by reply subject and the stored messages. */
async function run(kind: Kind, cut: number): Promise<{ acks: Record<string, string>; stored: string[] }> {
  const srv = await jsServer(kind);
  const c = await RawClient.connect(srv.port);
  try {
    c.send('CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true}\r\nSUB _R.> 1\r\nSUB _C.> 2\r\n');
    await c.ping();
    let k = 0;
    const request = async (subject: string, body: unknown): Promise<string> => {
      const r = `_C.${++k}`;
      c.send(pub(subject, r, JSON.stringify(body)));
      const f = await until(c, (fs) => fs.some((x) => x.subject === r));
      return f.find((x) => x.subject === r)?.body.replace(TIME, 'T') ?? 'no reply';
    };
    expect(await request('$JS.API.STREAM.CREATE.F', { name: 'F', subjects: ['f.>'], storage: 'file' })).toContain('"did_create":true');
    expect(await request('$JS.API.STREAM.CREATE.M', { name: 'M', subjects: ['m.>'], storage: 'memory' })).toContain('"did_create":true');
    const all = Buffer.from(PUBS.join(''), 'latin1');
    if (cut === 0) c.send(all);
    else {
      const pieces: Buffer[] = [];
      for (let at = 0; at < all.length; at += cut) pieces.push(all.subarray(at, at + cut));
      await c.sendPieces(pieces, 1);
    }
    const got = await until(c, (fs) => fs.filter((x) => x.subject.startsWith('_R.')).length >= ACKS);
    const acks: Record<string, string> = {};
    for (const f of got) if (f.subject.startsWith('_R.')) acks[f.subject] = f.hdr + f.body;
    const stored: string[] = [];
    for (const s of ['F', 'M']) {
      for (let seq = 1; seq <= 12; seq++) stored.push(`${s} ${seq}: ${await request(`$JS.API.STREAM.MSG.GET.${s}`, { seq })}`);
    }
    return { acks, stored };
  } finally {
    await c.close();
    await srv.stop();
  }
}

describe('JetStream publishes as raw bytes match nats-server -js', () => {
  it.each([
    ['all in one read', 0],
    ['cut into 7-byte reads', 7],
    ['cut into 61-byte reads', 61],
  ])('the same acks and stored messages, %s', async (_name, cut) => {
    const [ts, ns] = await Promise.all(KINDS.map((k) => run(k, cut)));
    expect(Object.keys(ts!.acks).length).toBe(ACKS);
    // A few facts on their own, so a failure says what broke.
    expect(ts!.acks[reply(4)]).toContain('"duplicate": true');
    expect(ts!.acks[reply(8)]).toBe('{"stream":"F", "seq":4}');
    expect(ts!.acks[reply(19)]).toBe('{"stream":"F", "seq":10}');
    expect(ts).toEqual(ns);
  });
});

// Publishes to a stream and a request that deletes it in one read: the publishes came first, so
// each is acked, as nats-server acks them (its acks and the delete's answer leave from different
// goroutines, in either order: the replies are compared sorted).
describe('publishes followed by the stream delete in the same read', () => {
  async function run(kind: Kind, storage: string): Promise<string[]> {
    const srv = await jsServer(kind);
    const c = await RawClient.connect(srv.port);
    try {
      c.send('CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true}\r\nSUB _R.> 1\r\n');
      c.send(pub('$JS.API.STREAM.CREATE.D', '_R.create', JSON.stringify({ name: 'D', subjects: ['d.>'], storage })));
      await until(c, (fs) => fs.some((x) => x.subject === '_R.create'));
      c.send(pub('d.a', '_R.1', 'one') + hpub('d.b', '_R.2', 'Nats-Msg-Id: x\r\n', 'two') + pub('$JS.API.STREAM.DELETE.D', '_R.delete', ''));
      const got = await until(c, (fs) => fs.filter((x) => /^_R\.(1|2|delete)$/.test(x.subject)).length >= 3);
      return got
        .filter((x) => /^_R\.(1|2|delete)$/.test(x.subject))
        .map((x) => `${x.subject} ${x.body}`)
        .sort();
    } finally {
      await c.close();
      await srv.stop();
    }
  }

  it.each(['file', 'memory'])('%s: both publishes acked, then the delete answered', async (storage) => {
    const [ts, ns] = await Promise.all(KINDS.map((k) => run(k, storage)));
    expect(ts).toEqual(['_R.1 {"stream":"D", "seq":1}', '_R.2 {"stream":"D", "seq":2}', '_R.delete {"type":"io.nats.jetstream.api.v1.stream_delete_response","success":true}']);
    expect(ts).toEqual(ns);
  });
});
