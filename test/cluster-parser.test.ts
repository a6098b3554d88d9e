// The route stream parser and the interest bookkeeping, as units: every op, whole reads, byte
// at a time and split at every offset (the same events each way), the argument forms of
// nats-server's processRoutedMsgArgs / processRoutedHeaderMsgArgs /
// processRoutedOriginClusterMsgArgs, the errors; local interest counting and batching, remote
// interest weights.

import { describe, expect, it } from 'vitest';
import { Account, type RouteLink, type Subscription } from '../src/accounts/account.js';
import { type InterestEntry, LocalInterest, MAX_QUEUE_WEIGHT, RemoteInterest } from '../src/cluster/interest.js';
import { MAX_ROUTE_LINE, type MsgArgs, RouteOp, type RouteOpCode, RouteParser, type RouteParserSink } from '../src/cluster/route-parser.js';
import { prng } from './helpers/records.js';
import { cutPieces } from './helpers/scenario.js';

const OP_NAMES = Object.fromEntries(Object.entries(RouteOp).map(([k, v]) => [v, k])) as Record<RouteOpCode, string>;

/** Records parser events as readable strings. */
class Recorder implements RouteParserSink {
  events: string[] = [];
  routeOp(op: RouteOpCode, line: Buffer, opStart: number, a: number, b: number): void {
    this.events.push(`${OP_NAMES[op]}|${line.toString('latin1', a, b)}|${line.toString('latin1', opStart, b)}`);
  }
  routeMsg(m: MsgArgs, line: Buffer, payload: Buffer, at: number): void {
    const s = (x: number, y: number): string => (x < 0 ? '-' : line.toString('latin1', x, y));
    const qs: string[] = [];
    for (let k = 0; k < m.numQueues; k++) qs.push(line.toString('latin1', m.queues[2 * k], m.queues[2 * k + 1]));
    this.events.push(
      [
        OP_NAMES[m.op],
        s(m.originStart, m.originEnd),
        s(m.accStart, m.accEnd),
        s(m.subjectStart, m.subjectEnd),
        s(m.replyStart, m.replyEnd),
        qs.join(','),
        m.hdr,
        m.size,
        payload.toString('latin1', at, at + m.size),
        line.toString('latin1', m.lineStart, m.lineEnd),
      ].join('|'),
    );
  }
}

function parseChunks(chunks: Buffer[]): { events: string[]; err: string | null } {
  const r = new Recorder();
  const p = new RouteParser(r);
  for (const c of chunks) {
    const err = p.parse(c);
    if (err !== null) return { events: r.events, err: err.text };
  }
  return { events: r.events, err: null };
}

const STREAM = Buffer.from(
  [
    'INFO {"server_id":"X","port":1} \r\n',
    'CONNECT {"name":"X"}\r\n',
    'PING\r\n',
    'pong\r\n',
    'PINGx\r\n',
    '+OK\r\n',
    'RS+ $G foo\r\n',
    'RS+ $G bar.* q 3\r\n',
    'RS- $G foo\r\n',
    'LS+ leafc $G baz\r\n',
    'LS- leafc $G baz\r\n',
    'A+ $G\r\n',
    'RMSG $G foo 5\r\nhello\r\n',
    'RMSG $G foo reply.1 0\r\n\r\n',
    'RMSG $G work + inbox q1 q2 3\r\njob\r\n',
    'RMSG $G work | q1 3\r\njob\r\n',
    'HMSG $G foo 12 17\r\nNATS/1.0\r\n\r\nworld\r\n',
    'HMSG $G foo r 12 17\r\nNATS/1.0\r\n\r\nworld\r\n',
    'HMSG $G foo + r q 12 12\r\nNATS/1.0\r\n\r\n\r\n',
    'LMSG leafc $G foo 0 2\r\nhi\r\n',
    'LMSG leafc $G foo r 0 2\r\nhi\r\n',
    'LMSG leafc $G foo | q 0 2\r\nhi\r\n',
    'rmsg\t$G  tabs  4\r\nabcd\r\n',
    "-ERR 'bye'\r\n",
  ].join(''),
  'latin1',
);

describe('route parser', () => {
  const whole = parseChunks([STREAM]);

  it('every op and message form', () => {
    expect(whole.err).toBeNull();
    expect(whole.events).toEqual([
      'INFO|{"server_id":"X","port":1}|INFO {"server_id":"X","port":1}',
      'CONNECT|{"name":"X"}|CONNECT {"name":"X"}',
      'PING||PING',
      'PONG||pong',
      'PING||PINGx',
      'OK||+OK',
      'RS_SUB|$G foo|RS+ $G foo',
      'RS_SUB|$G bar.* q 3|RS+ $G bar.* q 3',
      'RS_UNSUB|$G foo|RS- $G foo',
      'LS_SUB|leafc $G baz|LS+ leafc $G baz',
      'LS_UNSUB|leafc $G baz|LS- leafc $G baz',
      'A_SUB|$G|A+ $G',
      'RMSG|-|$G|foo|-||-1|5|hello|RMSG $G foo 5',
      'RMSG|-|$G|foo|reply.1||-1|0||RMSG $G foo reply.1 0',
      'RMSG|-|$G|work|inbox|q1,q2|-1|3|job|RMSG $G work + inbox q1 q2 3',
      'RMSG|-|$G|work|-|q1|-1|3|job|RMSG $G work | q1 3',
      'HMSG|-|$G|foo|-||12|17|NATS/1.0\r\n\r\nworld|HMSG $G foo 12 17',
      'HMSG|-|$G|foo|r||12|17|NATS/1.0\r\n\r\nworld|HMSG $G foo r 12 17',
      'HMSG|-|$G|foo|r|q|12|12|NATS/1.0\r\n\r\n|HMSG $G foo + r q 12 12',
      'LMSG|leafc|$G|foo|-||0|2|hi|LMSG leafc $G foo 0 2',
      'LMSG|leafc|$G|foo|r||0|2|hi|LMSG leafc $G foo r 0 2',
      'LMSG|leafc|$G|foo|-|q|0|2|hi|LMSG leafc $G foo | q 0 2',
      'RMSG|-|$G|tabs|-||-1|4|abcd|rmsg\t$G  tabs  4',
      "ERR|'bye'|-ERR 'bye'",
    ]);
  });

  it('byte at a time gives the same events', () => {
    const bytes = [...STREAM].map((b) => Buffer.from([b]));
    expect(parseChunks(bytes)).toEqual(whole);
  });

  it('split at every offset gives the same events', () => {
    for (let i = 1; i < STREAM.length; i++) {
      expect(parseChunks([STREAM.subarray(0, i), STREAM.subarray(i)]), `split at ${i}`).toEqual(whole);
    }
  });

  it('errors: unknown op and payload without CRLF answer -ERR; bad arguments do not', () => {
    const cases: [string, string, boolean][] = [
      ['FOO\r\n', 'Unknown Protocol Operation', true],
      ['PIN\r\n', 'Unknown Protocol Operation', true],
      ['RMSG $G foo 2\r\nhiX\r\n', 'message payload not followed by CRLF', true],
      ['RMSG $G\r\n', 'processRoutedMsgArgs Parse Error', false],
      ['RMSG $G foo x\r\n', 'processRoutedMsgArgs Bad or Missing Size', false],
      ['RMSG $G foo ++ r q 1\r\n', 'processRoutedMsgArgs Bad or Missing Reply Indicator', false],
      ['RMSG $G foo * r q 1\r\n', 'processRoutedMsgArgs Bad or Missing Reply Indicator', false],
      ['HMSG $G foo 5\r\n', 'processRoutedHeaderMsgArgs Parse Error', false],
      ['HMSG $G foo 6 5\r\n', 'processRoutedHeaderMsgArgs Header Size larger then TotalSize', false],
      ['HMSG $G foo x 5\r\n', 'processRoutedHeaderMsgArgs Bad or Missing Header Size', false],
      ['LMSG o $G foo 5\r\n', 'processRoutedOriginClusterMsgArgs Parse Error', false],
    ];
    for (const [text, err, protoErr] of cases) {
      const p = new RouteParser(new Recorder());
      expect(p.parse(Buffer.from(text)), text).toEqual({ text: err, protoErr });
    }
  });

  it('message lines whole in one read (tokenized while finding the LF) and split ones agree', () => {
    const queues = Array.from({ length: 40 }, (_, k) => `q${k}`).join(' ');
    const text = [
      'RMSG $G foo 2 \t\r\nhi\r\n',
      'RMSG\t\t$G\tfoo\t2\r\nhi\r\n',
      'RMSG $G a\rb 1\r\nx\r\n',
      'RMSG $G nocr 1\nx\r\n',
      `RMSG $G many | ${queues} 1\r\nx\r\n`,
      `HmSg $G many + r ${queues} 0 1\r\nx\r\n`,
      '  RMSG $G lead 1\r\nx\r\n',
      'lmsg o $G foo 0 2\r\nhi\r\n',
      'RMSGX\r\n',
    ].join('');
    const stream = Buffer.from(text, 'latin1');
    const one = parseChunks([stream]);
    expect(one.err).toBe('Unknown Protocol Operation');
    expect(one.events).toHaveLength(8);
    expect(one.events[4]).toBe(`RMSG|-|$G|many|-|${queues.replace(/ /g, ',')}|-1|1|x|RMSG $G many | ${queues} 1`);
    expect(parseChunks([...stream].map((b) => Buffer.from([b])))).toEqual(one);
    for (let i = 1; i < stream.length; i++) {
      expect(parseChunks([stream.subarray(0, i), stream.subarray(i)]), `split at ${i}`).toEqual(one);
    }
  });

  it('sizes: 1 to 9 digits, as nats-server parseSize', () => {
    const ok = parseChunks([Buffer.from('RMSG $G foo 000000002\r\nhi\r\nHMSG $G foo 000000000 000000002\r\nhi\r\n')]);
    expect(ok).toEqual({ events: ['RMSG|-|$G|foo|-||-1|2|hi|RMSG $G foo 000000002', 'HMSG|-|$G|foo|-||0|2|hi|HMSG $G foo 000000000 000000002'], err: null });
    // 999999999 is a valid size (the payload is awaited); ten digits are not, leading zeros or not.
    expect(new RouteParser(new Recorder()).parse(Buffer.from('RMSG $G foo 999999999\r\n'))).toBeNull();
    const cases: [string, string][] = [
      ['RMSG $G foo 1000000000\r\n', 'processRoutedMsgArgs Bad or Missing Size'],
      ['RMSG $G foo 0000000002\r\nhi\r\n', 'processRoutedMsgArgs Bad or Missing Size'],
      ['HMSG $G foo 0000000000 2\r\nhi\r\n', 'processRoutedHeaderMsgArgs Bad or Missing Header Size'],
      ['LMSG o $G foo 0 1000000000\r\n', 'processRoutedOriginClusterMsgArgs Bad or Missing Size'],
    ];
    for (const [text, err] of cases) {
      expect(new RouteParser(new Recorder()).parse(Buffer.from(text)), text).toEqual({ text: err, protoErr: false });
      expect(parseChunks([...Buffer.from(text)].map((b) => Buffer.from([b]))).err, `${text} byte at a time`).toBe(err);
    }
  });

  it('stop() ends parsing at once', () => {
    const events: string[] = [];
    const p = new RouteParser({
      routeOp: (op) => {
        events.push(OP_NAMES[op]);
        p.stop();
      },
      routeMsg: () => events.push('MSG'),
    });
    expect(p.parse(Buffer.from('PING\r\nPING\r\nRMSG $G a 1\r\nx\r\n'))).toBeNull();
    expect(events).toEqual(['PING']);
  });

  it('a payload split over reads is delivered once complete', () => {
    const r = parseChunks([Buffer.from('RMSG $G big 10\r\n0123'), Buffer.from('4567'), Buffer.from('89\r\nPING\r\n')]);
    expect(r.err).toBeNull();
    expect(r.events).toEqual(['RMSG|-|$G|big|-||-1|10|0123456789|RMSG $G big 10', 'PING||PING']);
  });
});

/** A mutation of STREAM: bytes flipped, dropped, duplicated, or a slice of it repeated. */
function mutate(rnd: () => number): Buffer {
  const b = [...STREAM];
  const n = 1 + ((rnd() * 8) | 0);
  for (let k = 0; k < n; k++) {
    const i = (rnd() * b.length) | 0;
    const what = (rnd() * 4) | 0;
    if (what === 0) b[i] = (rnd() * 256) | 0;
    else if (what === 1) b.splice(i, 1);
    else if (what === 2) b.splice(i, 0, b[i]!);
    else b.splice(i, 0, ...b.slice(i, i + ((rnd() * 40) | 0)));
  }
  return Buffer.from(b);
}

describe('route parser under hostile input (seeded)', () => {
  it('mutated and random streams: never throws, and any cutting gives the same events and error', () => {
    const rnd = prng(0x5eed);
    for (let n = 0; n < 3000; n++) {
      const b = n % 3 === 2 ? Buffer.from(Array.from({ length: (rnd() * 300) | 0 }, () => (rnd() * 256) | 0)) : mutate(rnd);
      const whole = parseChunks([b]);
      expect(parseChunks(cutPieces(b, 'random', rnd)), b.toString('latin1')).toEqual(whole);
    }
  });

  it('a line without end is refused at MAX_ROUTE_LINE, however it arrives', () => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const p = new RouteParser(new Recorder());
    let err = p.parse(Buffer.from('RMSG $G '));
    let fed = 0;
    while (err === null && fed <= 2 * MAX_ROUTE_LINE) {
      err = p.parse(chunk);
      fed += chunk.length;
    }
    expect(err).not.toBeNull();
    expect(fed).toBeGreaterThanOrEqual(MAX_ROUTE_LINE - chunk.length);
    expect(fed).toBeLessThanOrEqual(MAX_ROUTE_LINE + chunk.length);
  });
});

function localSub(subject: string, queue: string | null = null): Subscription {
  const sid = '1';
  return { subject, queue, sid, sidBytes: Buffer.from(sid), client: null, route: null, internal: null, max: 0, nm: 0, closed: false };
}

describe('local interest', () => {
  function setup(): { li: LocalInterest; lines: string[]; acc: Account } {
    const lines: string[] = [];
    const li = new LocalInterest({ announce: (_e: InterestEntry, line: string) => lines.push(line.trimEnd()) });
    return { li, lines, acc: new Account('$G') };
  }

  it('plain: RS+ on 0→1, RS- on 1→0, nothing in between', () => {
    const { li, lines, acc } = setup();
    const a = localSub('foo');
    const b = localSub('foo');
    li.add(acc, a);
    li.add(acc, b);
    li.remove(acc, a);
    li.flushRemovals();
    expect(lines).toEqual(['RS+ $G foo']);
    li.remove(acc, b);
    li.flushRemovals();
    expect(lines).toEqual(['RS+ $G foo', 'RS- $G foo']);
    expect([...li.entries()]).toEqual([]);
  });

  it('queue: RS+ with the weight on every addition; removals of one turn are one update', () => {
    const { li, lines, acc } = setup();
    const subs = [1, 2, 3].map(() => localSub('work', 'q'));
    for (const s of subs) li.add(acc, s);
    li.remove(acc, subs[0]);
    li.remove(acc, subs[1]);
    expect(li.hasPending).toBe(true);
    li.flushRemovals();
    li.remove(acc, subs[2]);
    li.flushRemovals();
    expect(lines).toEqual(['RS+ $G work q 1', 'RS+ $G work q 2', 'RS+ $G work q 3', 'RS+ $G work q 1', 'RS- $G work q']);
  });

  it('an unsubscribe and a subscribe in one turn say nothing; the full set reflects what was told', () => {
    const { li, lines, acc } = setup();
    const a = localSub('foo');
    li.add(acc, a);
    li.remove(acc, a);
    li.add(acc, localSub('foo'));
    li.flushRemovals();
    expect(lines).toEqual(['RS+ $G foo']);
    li.add(acc, localSub('g', 'q'));
    expect([...li.entries()].map((e) => `${e.subject} ${e.queue} ${e.sent}`)).toEqual(['foo null 1', 'g q 1']);
  });

  it('accounts are kept apart', () => {
    const { li, lines } = setup();
    const a = new Account('A');
    const b = new Account('B');
    li.add(a, localSub('x'));
    li.add(b, localSub('x'));
    expect(lines).toEqual(['RS+ A x', 'RS+ B x']);
  });
});

describe('remote interest', () => {
  const link: RouteLink = { leaf: null, sendMsg: () => undefined, sendRecord: () => 0, closed: false, stalledProducers: [] };

  it('a queue weight is that many sublist entries; changes add and remove; RS- removes all', () => {
    const acc = new Account('$G');
    const ri = new RemoteInterest(link);
    expect(ri.add(acc, '$G w q', 'w', 'q', 3)).toBe(true);
    const members = (): number => acc.sublist.match('w').queues[0]?.length ?? 0;
    expect(members()).toBe(3);
    ri.add(acc, '$G w q', 'w', 'q', 5);
    expect(members()).toBe(5);
    ri.add(acc, '$G w q', 'w', 'q', 2);
    expect(members()).toBe(2);
    const kept = acc.sublist.match('w').queues[0];
    ri.remove('$G w q');
    expect(members()).toBe(0);
    expect(kept.every((s) => s.closed && s.route === link && s.sid === '$G w q')).toBe(true);
  });

  it('weights are capped; invalid subjects are refused; clear() empties every account', () => {
    const a = new Account('A');
    const b = new Account('B');
    const ri = new RemoteInterest(link);
    ri.add(a, 'A big q', 'big', 'q', 1_000_000);
    expect(a.sublist.match('big').queues[0].length).toBe(MAX_QUEUE_WEIGHT);
    expect(ri.subs.get('A big q')!.weight).toBe(1_000_000);
    expect(ri.add(a, 'A a..b', 'a..b', null, 1)).toBe(false);
    ri.add(b, 'B x', 'x', null, 1);
    ri.add(b, 'B x', 'x', null, 1);
    expect(b.sublist.count()).toBe(1);
    ri.clear();
    expect(a.sublist.count() + b.sublist.count()).toBe(0);
    expect(ri.subs.size).toBe(0);
  });
});

describe('route parser in leaf mode (the leafnode protocol)', () => {
  function leafParse(chunks: Buffer[]): { events: string[]; err: string | null } {
    const r = new Recorder();
    const p = new RouteParser(r, true);
    for (const c of chunks) {
      const err = p.parse(c);
      if (err !== null) return { events: r.events, err: err.text };
    }
    return { events: r.events, err: null };
  }
  const LEAF_STREAM = Buffer.from(
    [
      'LS+ foo\r\n',
      'LS+ bar q 3\r\n',
      'LS- bar q\r\n',
      'LMSG foo 5\r\nhello\r\n',
      'LMSG foo r.1 2\r\nhi\r\n',
      'LMSG foo + r.2 q1 q2 3\r\nabc\r\n',
      'LMSG foo | q1 1\r\nx\r\n',
      'HMSG foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n',
      'HMSG foo r.3 12 12\r\nNATS/1.0\r\n\r\n\r\n',
      'HMSG foo + r.4 q1 12 13\r\nNATS/1.0\r\n\r\nx\r\n',
      'PING\r\n',
    ].join(''),
    'latin1',
  );

  it('every LMSG and HMSG form: no account, the subject first', () => {
    const { events, err } = leafParse([LEAF_STREAM]);
    expect(err).toBeNull();
    expect(events).toEqual([
      'LS_SUB|foo|LS+ foo',
      'LS_SUB|bar q 3|LS+ bar q 3',
      'LS_UNSUB|bar q|LS- bar q',
      'LMSG|-|-|foo|-||-1|5|hello|LMSG foo 5',
      'LMSG|-|-|foo|r.1||-1|2|hi|LMSG foo r.1 2',
      'LMSG|-|-|foo|r.2|q1,q2|-1|3|abc|LMSG foo + r.2 q1 q2 3',
      'LMSG|-|-|foo|-|q1|-1|1|x|LMSG foo | q1 1',
      'HMSG|-|-|foo|-||12|14|NATS/1.0\r\n\r\nhi|HMSG foo 12 14',
      'HMSG|-|-|foo|r.3||12|12|NATS/1.0\r\n\r\n|HMSG foo r.3 12 12',
      'HMSG|-|-|foo|r.4|q1|12|13|NATS/1.0\r\n\r\nx|HMSG foo + r.4 q1 12 13',
      'PING||PING',
    ]);
  });

  it('the same events byte at a time and split at every offset', () => {
    const whole = leafParse([LEAF_STREAM]).events;
    expect(leafParse([...LEAF_STREAM].map((b) => Buffer.from([b]))).events).toEqual(whole);
    for (let i = 1; i < LEAF_STREAM.length; i++) {
      expect(leafParse([LEAF_STREAM.subarray(0, i), LEAF_STREAM.subarray(i)]).events, `split at ${i}`).toEqual(whole);
    }
  });

  it("errors name nats-server's leaf argument parsers; RMSG is no leaf op", () => {
    expect(leafParse([Buffer.from('LMSG 5\r\n')]).err).toBe('processLeafMsgArgs Parse Error');
    expect(leafParse([Buffer.from('LMSG foo x q 5\r\n')]).err).toBe('processLeafMsgArgs Bad or Missing Reply Indicator');
    expect(leafParse([Buffer.from('HMSG foo 5\r\n')]).err).toBe('processLeafHeaderMsgArgs Parse Error');
    expect(leafParse([Buffer.from('HMSG foo 9 5\r\n')]).err).toBe('processLeafHeaderMsgArgs Header Size larger then TotalSize');
    expect(leafParse([Buffer.from('RMSG $G foo 5\r\nhello\r\n')]).err).toBe('Unknown Protocol Operation');
    // The same bytes are a route's RMSG in route mode.
    expect(parseChunks([Buffer.from('RMSG $G foo 5\r\nhello\r\n')]).err).toBeNull();
  });
});
