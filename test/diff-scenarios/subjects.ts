// protocol.md §7: subject validity and the matching table.

import { sc, s, exact, multiSub, PONG, CQ, type Scenario } from './dsl.js';

/** subscribe `pattern` as sid 1, publish each subject (payload = its index), expect the listed ones */
function matches(pattern: string, yes: string[], no: string[]): Scenario {
  const subjects = [...no, ...yes];
  const pubs = subjects.map((subj, i) => `PUB ${subj} ${String(i).length}\r\n${i}\r\n`).join('');
  const want = subjects
    .map((subj, i) => (yes.includes(subj) ? `MSG ${subj} 1 ${String(i).length}\r\n${i}\r\n` : ''))
    .join('');
  return sc(`match ${pattern}`, [s(`${CQ}SUB ${pattern} 1\r\n${pubs}PING\r\n`)], { want: [exact(want + PONG)] });
}

export const scenarios: Scenario[] = [
  matches('foo', ['foo'], ['fo', 'fooo', 'foo.bar', 'Foo', 'bar.foo']),
  matches('foo.*', ['foo.bar', 'foo.x'], ['foo', 'foo.bar.baz', 'xfoo.bar']),
  matches('foo.*.baz', ['foo.x.baz', 'foo.bar.baz'], ['foo.baz', 'foo.x.y.baz', 'foo.x.bazz']),
  matches('foo.>', ['foo.bar', 'foo.bar.baz.qux'], ['foo', 'foox.bar', 'bar.foo.x']),
  matches('>', ['a', 'a.b', 'a.b.c.d.e.f', '$SYS.x'], []),
  matches('*', ['a', 'foo', '$'], ['a.b']),
  matches('*.>', ['a.b', 'a.b.c'], ['a']),
  matches('*.*', ['a.b'], ['a', 'a.b.c']),
  matches('foo*', ['foo*'], ['foo', 'foox']),
  matches('f>o', ['f>o'], ['fo', 'f.o']),
  matches('*.bar.>', ['x.bar.y', 'foo.bar.a.b'], ['bar.y', 'x.bar', 'x.baz.y']),
  matches('a.*.*.d', ['a.b.c.d'], ['a.b.d', 'a.b.c.d.e']),
  matches('$SYS.>', ['$SYS.a'], ['SYS.a']),
  matches('a#b.c$d', ['a#b.c$d'], ['a#b.c']),
  matches('ünï.cødé', ['ünï.cødé'], ['uni.code']),
  matches('MiXeD.Case', ['MiXeD.Case'], ['mixed.case', 'MIXED.CASE']),
  matches('_INBOX.*', ['_INBOX.abc'], ['_INBOX.abc.1']),
  matches('a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p', ['a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p'], ['a.b.c.d.e.f.g.h.i.j.k.l.m.n.o']),
  sc('published wildcard tokens match only wildcards', [s(`${CQ}SUB foo.bar 1\r\nSUB foo.* 2\r\nSUB foo.> 3\r\nSUB *.* 4\r\nSUB foo 5\r\nPUB foo.> 1\r\nx\r\nPUB * 1\r\ny\r\nPING\r\n`)], {
    ...multiSub(`MSG foo.> 2 1\r\nx\r\nMSG foo.> 3 1\r\nx\r\nMSG foo.> 4 1\r\nx\r\n${PONG}`),
  }),
  sc('valid odd subscription subjects', [s(`${CQ}SUB a.*b.c 1\r\nSUB *a 2\r\nSUB a>b 3\r\nSUB ** 4\r\nSUB >> 5\r\nPING\r\n`)], { want: [exact(PONG)] }),
  sc('long subject with many tokens', [s(`${CQ}SUB ${Array.from({ length: 200 }, (_, i) => `t${i}`).join('.')} 1\r\nPUB ${Array.from({ length: 200 }, (_, i) => `t${i}`).join('.')} 1\r\nx\r\nPING\r\n`)]),
  sc('wildcard subs after literal subs (cache invalidation)', [s(`${CQ}SUB a.b 1\r\nPUB a.b 1\r\n1\r\nSUB a.* 2\r\nPUB a.b 1\r\n2\r\nUNSUB 1\r\nPUB a.b 1\r\n3\r\nUNSUB 2\r\nPUB a.b 1\r\n4\r\nPING\r\n`)], {
    ...multiSub(`MSG a.b 1 1\r\n1\r\nMSG a.b 1 1\r\n2\r\nMSG a.b 2 1\r\n2\r\nMSG a.b 2 1\r\n3\r\n${PONG}`),
  }),
];
