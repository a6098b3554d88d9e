// protocol.md §1.16-18, §8: delivery across connections, echo, queue groups.
// Queue member choice is random: those scenarios compare counts, not transcripts.

import { sc, s, on, open, close, sync, exact, PONG, OK, CQ, type Scenario, type Want } from './dsl.js';
import type { ConnResult } from '../helpers/scenario.js';

/** MSG count per sid, per connection (and whether it was closed) */
function countBySid(conns: ConnResult[]): { bySid: Record<string, number>; other: string; closed: boolean }[] {
  return conns.map((c) => {
    const bySid: Record<string, number> = {};
    const other = c.text.replace(/MSG \S+ (\S+)(?: \S+)? \d+\r\n[^\r]*\r\n/g, (_m, sid: string) => {
      bySid[sid] = (bySid[sid] ?? 0) + 1;
      return '';
    });
    return { bySid, other, closed: c.closedByServer };
  });
}
const total = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
const pubs = (subject: string, n: number): string => Array.from({ length: n }, (_, i) => `PUB ${subject} ${String(i).length}\r\n${i}\r\n`).join('');
const msgs = (subject: string, sid: string, n: number): string => Array.from({ length: n }, (_, i) => `MSG ${subject} ${sid} ${String(i).length}\r\n${i}\r\n`).join('');
const sortedFrames = (conns: ConnResult[]): unknown =>
  conns.map((c) => ({ frames: [...c.text.matchAll(/(?:MSG [^\r]*\r\n[^\r]*\r\n)|(?:[^\r]*\r\n)/g)].map((m) => m[0]).sort(), closed: c.closedByServer }));
const count = (conn: number, n: number): Want => ({ conn, has: [new RegExp(`^(?:MSG [^\\r]*\\r\\n[^\\r]*\\r\\n){${n}}PONG\\r\\n$`)] });

export const scenarios: Scenario[] = [
  sc('delivery to another connection', [open(1), on(1, `${CQ}SUB foo 1\r\n`), sync(1), s(`${CQ}PUB foo 5\r\nhello\r\nPING\r\n`)], {
    want: [exact(PONG), exact(`${PONG}MSG foo 1 5\r\nhello\r\n`, 1)],
  }),
  sc('delivery with reply to another connection', [open(1), on(1, `${CQ}SUB req 9\r\n`), sync(1), s(`${CQ}SUB _INBOX.me 1\r\nPUB req _INBOX.me 2\r\nhi\r\n`), sync(0), sync(1), on(1, 'PUB _INBOX.me 3\r\nyes\r\n'), sync(1), sync(0)], {
    want: [exact(`${PONG}MSG _INBOX.me 1 3\r\nyes\r\n${PONG}`), exact(`${PONG}MSG req 9 _INBOX.me 2\r\nhi\r\n${PONG}${PONG}`, 1)],
  }),
  sc('verbose publisher, quiet subscriber', [open(1), on(1, `${CQ}SUB foo 1\r\n`), sync(1), s('PUB foo 2\r\nhi\r\nPING\r\n')], {
    want: [exact(`${OK}${PONG}`), exact(`${PONG}MSG foo 1 2\r\nhi\r\n`, 1)],
  }),
  sc('fan-out to three connections in order', [open(1), open(2), on(1, `${CQ}SUB foo 1\r\n`), on(2, `${CQ}SUB foo.> 2\r\n`), sync(1), sync(2), s(`${CQ}${pubs('foo', 50)}${pubs('foo.x', 50)}`), sync(0), sync(1), sync(2)], {
    want: [exact(PONG), exact(`${PONG}${msgs('foo', '1', 50)}${PONG}`, 1), exact(`${PONG}${msgs('foo.x', '2', 50)}${PONG}`, 2)],
  }),
  sc('several subs on one connection each get a copy', [s(`${CQ}SUB foo 1\r\nSUB foo 2\r\nSUB f* 3\r\nSUB > 4\r\nSUB *.* 5\r\nPUB foo 1\r\nx\r\nPING\r\n`)], {
    want: [{ has: ['MSG foo 1 1\r\nx\r\n', 'MSG foo 2 1\r\nx\r\n', 'MSG foo 4 1\r\nx\r\n'], not: ['MSG foo 3', 'MSG foo 5'] }],
    summarize: sortedFrames,
  }),
  sc('several subs on one connection: insertion order', [s(`${CQ}SUB foo 1\r\nSUB foo 2\r\nSUB foo 3\r\nPUB foo 1\r\nx\r\nPING\r\n`)], {
    want: [{ has: ['MSG foo 1 1\r\nx\r\n', 'MSG foo 2 1\r\nx\r\n', 'MSG foo 3 1\r\nx\r\n'] }],
    summarize: sortedFrames,
  }),
  sc('subscriber that left gets nothing', [open(1), on(1, `${CQ}SUB foo 1\r\n`), sync(1), close(1), s(`${CQ}PUB foo 1\r\nx\r\nPING\r\n`)], { want: [exact(PONG)] }),
  sc('large message to another connection', [open(1), on(1, `${CQ}SUB big 1\r\n`), sync(1), s(`${CQ}PUB big 100000\r\n${'b'.repeat(100000)}\r\n`), sync(0), sync(1)], {
    want: [exact(PONG), { conn: 1, has: [`MSG big 1 100000\r\n${'b'.repeat(100000)}\r\n${PONG}`] }],
  }),

  sc('sids are per connection', [open(1), on(1, `${CQ}SUB foo 1\r\n`), s(`${CQ}SUB bar 1\r\nUNSUB 1\r\n`), sync(0), sync(1), s('PUB foo 1\r\nx\r\nPUB bar 1\r\ny\r\n'), sync(0), sync(1)], {
    want: [exact(PONG + PONG), exact(`${PONG}MSG foo 1 1\r\nx\r\n${PONG}`, 1)],
  }),
  sc('same sid on two connections', [open(1), on(1, `${CQ}SUB foo 7\r\n`), s(`${CQ}SUB foo 7\r\n`), sync(0), sync(1), s('PUB foo 1\r\nx\r\n'), sync(0), sync(1)], {
    want: [exact(`${PONG}MSG foo 7 1\r\nx\r\n${PONG}`), exact(`${PONG}MSG foo 7 1\r\nx\r\n${PONG}`, 1)],
  }),
  sc('auto-unsubscribe counts deliveries from all publishers', [
    open(1),
    s(`${CQ}SUB foo 1\r\nUNSUB 1 3\r\nPUB foo 1\r\na\r\n`),
    sync(0),
    on(1, `${CQ}PUB foo 1\r\nb\r\nPUB foo 1\r\nc\r\nPUB foo 1\r\nd\r\n`),
    sync(1),
    sync(0),
  ], { want: [exact(`MSG foo 1 1\r\na\r\n${PONG}MSG foo 1 1\r\nb\r\nMSG foo 1 1\r\nc\r\n${PONG}`)] }),
  sc('queue member that disconnected is skipped', [
    open(1),
    open(2),
    on(1, `${CQ}SUB foo g 1\r\n`),
    on(2, `${CQ}SUB foo g 2\r\n`),
    sync(1),
    sync(2),
    close(1),
    s(`${CQ}${pubs('foo', 10)}`),
    sync(0),
    sync(2),
  ], { want: [exact(PONG), exact(`${PONG}${msgs('foo', '2', 10)}${PONG}`, 2)] }),
  sc('pipelined publishes from two connections keep per-publisher order', [
    open(1),
    open(2),
    on(2, `${CQ}SUB foo 1\r\n`),
    sync(2),
    s(`${CQ}${pubs('foo', 30)}`),
    on(1, `${CQ}${Array.from({ length: 30 }, (_, i) => `PUB foo ${String(i + 100).length}\r\n${i + 100}\r\n`).join('')}`),
    sync(0),
    sync(1),
    sync(2),
  ], {
    // interleaving between publishers is scheduling; each publisher's order is not
    summarize: (conns) => {
      const got = [...(conns[2]?.text ?? '').matchAll(/MSG foo 1 \d+\r\n(\d+)\r\n/g)].map((m) => Number(m[1]));
      return { a: got.filter((n) => n < 100), b: got.filter((n) => n >= 100), others: conns.slice(0, 2).map((c) => c.text) };
    },
  }),

  // ---- echo ----
  sc('echo false: no self delivery', [open(1), on(1, `${CQ}SUB foo 2\r\n`), sync(1), s('CONNECT {"verbose":false,"echo":false}\r\nSUB foo 1\r\nPUB foo 1\r\nx\r\n'), sync(0), sync(1)], {
    want: [exact(PONG), exact(`${PONG}MSG foo 2 1\r\nx\r\n${PONG}`, 1)],
  }),
  sc('echo false: others still deliver to it', [open(1), s('CONNECT {"verbose":false,"echo":false}\r\nSUB foo 1\r\n'), sync(0), on(1, `${CQ}PUB foo 1\r\nx\r\n`), sync(1), sync(0)], {
    want: [exact(`${PONG}MSG foo 1 1\r\nx\r\n${PONG}`)],
  }),
  sc('echo false with queue group: other member gets all', [
    open(1),
    on(1, `${CQ}SUB foo g 1\r\n`),
    sync(1),
    s(`CONNECT {"verbose":false,"echo":false}\r\nSUB foo g 7\r\n${pubs('foo', 20)}`),
    sync(0),
    sync(1),
  ], { want: [exact(PONG), exact(`${PONG}${msgs('foo', '1', 20)}${PONG}`, 1)] }),
  sc('echo false with only own queue member: dropped', [s(`CONNECT {"verbose":false,"echo":false}\r\nSUB foo g 1\r\n${pubs('foo', 5)}PING\r\n`)], { want: [exact(PONG)] }),

  // ---- queue groups (random member: compare counts) ----
  sc('queue group: one member per message', [s(`${CQ}SUB foo g 1\r\nSUB foo g 2\r\nSUB foo g 3\r\n${pubs('foo', 30)}PING\r\n`)], {
    want: [count(0, 30)],
    summarize: (c) => countBySid(c).map((r) => ({ total: total(r.bySid), other: r.other, closed: r.closed })),
  }),
  sc('queue group plus plain sub', [s(`${CQ}SUB foo 9\r\nSUB foo g 1\r\nSUB foo g 2\r\n${pubs('foo', 20)}PING\r\n`)], {
    want: [count(0, 40)],
    summarize: (c) => countBySid(c).map((r) => ({ plain: r.bySid['9'], queue: total(r.bySid) - (r.bySid['9'] ?? 0), other: r.other })),
  }),
  sc('two queue groups each get every message', [s(`${CQ}SUB foo a 1\r\nSUB foo a 2\r\nSUB foo b 3\r\nSUB foo b 4\r\n${pubs('foo', 20)}PING\r\n`)], {
    want: [count(0, 40)],
    summarize: (c) =>
      countBySid(c).map((r) => ({ a: (r.bySid['1'] ?? 0) + (r.bySid['2'] ?? 0), b: (r.bySid['3'] ?? 0) + (r.bySid['4'] ?? 0), other: r.other })),
  }),
  sc('queue group identified by name across patterns', [s(`${CQ}SUB foo.* grp 1\r\nSUB foo.bar grp 2\r\nSUB foo.> grp 3\r\n${pubs('foo.bar', 30)}PING\r\n`)], {
    want: [count(0, 30)],
    summarize: (c) => countBySid(c).map((r) => ({ total: total(r.bySid), other: r.other })),
  }),
  sc('queue group across connections', [
    open(1),
    open(2),
    on(1, `${CQ}SUB foo g 1\r\n`),
    on(2, `${CQ}SUB foo g 1\r\n`),
    sync(1),
    sync(2),
    s(`${CQ}${pubs('foo', 40)}`),
    sync(0),
    sync(1),
    sync(2),
  ], {
    summarize: (c) => {
      const r = countBySid(c);
      return { total: r.reduce((a, x) => a + total(x.bySid), 0), others: r.map((x) => x.other) };
    },
  }),
  sc('queue member with max: others take over', [s(`${CQ}SUB foo g 1\r\nUNSUB 1 3\r\nSUB foo g 2\r\n${pubs('foo', 20)}PING\r\n`)], {
    want: [count(0, 20)],
    summarize: (c) => countBySid(c).map((r) => ({ total: total(r.bySid), sid1AtMost3: (r.bySid['1'] ?? 0) <= 3, other: r.other })),
  }),
  sc('queue group member unsubscribed', [s(`${CQ}SUB foo g 1\r\nSUB foo g 2\r\nUNSUB 1\r\n${pubs('foo', 10)}PING\r\n`)], {
    want: [exact(`${msgs('foo', '2', 10)}${PONG}`)],
  }),
  sc('queue subs with different subjects, same name, non-matching', [s(`${CQ}SUB foo g 1\r\nSUB bar g 2\r\nPUB foo 1\r\nx\r\nPUB bar 1\r\ny\r\nPING\r\n`)], {
    want: [exact(`MSG foo 1 1\r\nx\r\nMSG bar 2 1\r\ny\r\n${PONG}`)],
  }),
  sc('queue group with reply subject', [s(`${CQ}SUB req workers 1\r\nPUB req _INBOX.1 2\r\nhi\r\nPING\r\n`)], { want: [exact(`MSG req 1 _INBOX.1 2\r\nhi\r\n${PONG}`)] }),
];
