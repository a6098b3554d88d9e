// protocol.md §1.19-21, §9: HPUB/HMSG, header stripping, no responders (503).

import { sc, s, on, open, sync, exact, EOF, OK, PONG, CQ, CH, hpub, type Scenario } from './dsl.js';

const H = 'NATS/1.0\r\nA: 1\r\n\r\n'; // 18 bytes
const NR = 'CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true}\r\n';
const R503 = (reply: string, sid: string): string => `HMSG ${reply} ${sid} 16 16\r\nNATS/1.0 503\r\n\r\n\r\n`;

export const scenarios: Scenario[] = [
  // ---- HPUB / HMSG ----
  sc('HPUB to header subscriber', [s(`${CH}SUB foo 1\r\n${hpub('foo', H, 'body')}PING\r\n`)], {
    want: [exact(`HMSG foo 1 18 22\r\n${H}body\r\n${PONG}`)],
    bytewise: true,
  }),
  sc('HPUB with reply', [s(`${CH}SUB foo 1\r\n${hpub('foo', H, 'hi', 'rep.ly')}PING\r\n`)], { want: [exact(`HMSG foo 1 rep.ly 18 20\r\n${H}hi\r\n${PONG}`)] }),
  sc('HPUB verbose', [s(`CONNECT {"headers":true}\r\nSUB foo 1\r\n${hpub('foo', H, 'x')}PING\r\n`)], {
    want: [exact(`${OK}${OK}${OK}HMSG foo 1 18 19\r\n${H}x\r\n${PONG}`)],
  }),
  sc('HPUB header block is opaque', [s(`${CH}SUB foo 1\r\nHPUB foo 3 5\r\nabcde\r\nPING\r\n`)], { want: [exact(`HMSG foo 1 3 5\r\nabcde\r\n${PONG}`)] }),
  sc('HPUB size tokens echoed verbatim', [s(`${CH}SUB foo 1\r\nHPUB foo 03 0005\r\nabcde\r\nPING\r\n`)], { want: [exact(`HMSG foo 1 03 0005\r\nabcde\r\n${PONG}`)] }),
  sc('HPUB header only', [s(`${CH}SUB foo 1\r\n${hpub('foo', H, '')}PING\r\n`)], { want: [exact(`HMSG foo 1 18 18\r\n${H}\r\n${PONG}`)] }),
  sc('HPUB header length 0 delivered as MSG', [s(`${CH}SUB foo 1\r\nHPUB foo 0 2\r\nhi\r\nPING\r\n`)], { want: [exact(`MSG foo 1 2\r\nhi\r\n${PONG}`)] }),
  sc('HPUB header length 0 total 0', [s(`${CH}SUB foo 1\r\nHPUB foo 0 0\r\n\r\nPING\r\n`)]),
  sc('HPUB header length 00 token', [s(`${CH}SUB foo 1\r\nHPUB foo 00 2\r\nhi\r\nPING\r\n`)], { want: [exact(`MSG foo 1 2\r\nhi\r\n${PONG}`)] }),
  sc('HPUB header length 0, total token 002', [s(`${CH}SUB foo 1\r\nHPUB foo 0 002\r\nhi\r\nPING\r\n`)], { want: [exact(`MSG foo 1 002\r\nhi\r\n${PONG}`)] }),
  sc('HPUB to non-header subscriber: fresh decimal size', [open(1), on(1, `${CQ}SUB foo 1\r\n`), sync(1), s(`${CH}HPUB foo 03 005\r\nabcde\r\n`), sync(0), sync(1)], {
    want: [exact(PONG), exact(`${PONG}MSG foo 1 2\r\nde\r\n${PONG}`, 1)],
  }),
  sc('HPUB to non-header subscriber on another connection', [open(1), on(1, `${CQ}SUB foo 1\r\n`), sync(1), s(`${CH}${hpub('foo', H, 'body')}`), sync(0), sync(1)], {
    want: [exact(PONG), exact(`${PONG}MSG foo 1 4\r\nbody\r\n${PONG}`, 1)],
  }),
  sc('HPUB header-only to non-header subscriber', [open(1), on(1, `${CQ}SUB foo 1\r\n`), sync(1), s(`${CH}${hpub('foo', H, '')}`), sync(0), sync(1)], {
    want: [exact(PONG), exact(`${PONG}MSG foo 1 0\r\n\r\n${PONG}`, 1)],
  }),
  sc('HPUB to mixed subscribers', [open(1), on(1, `${CQ}SUB foo 1\r\n`), sync(1), s(`${CH}SUB foo 2\r\n${hpub('foo', H, 'ab', 'r')}`), sync(0), sync(1)], {
    want: [exact(`HMSG foo 2 r 18 20\r\n${H}ab\r\n${PONG}`), exact(`${PONG}MSG foo 1 r 2\r\nab\r\n${PONG}`, 1)],
  }),
  sc('PUB to header subscriber is plain MSG', [s(`${CH}SUB foo 1\r\nPUB foo 2\r\nhi\r\nPING\r\n`)], { want: [exact(`MSG foo 1 2\r\nhi\r\n${PONG}`)] }),
  sc('HPUB without headers negotiated', [s(CQ), s(`HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n`), s('PING\r\n')], { want: [exact(EOF)] }),
  sc('HPUB before CONNECT', [s(`HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n`), s('PING\r\n')], { want: [exact(EOF)] }),
  sc('HPUB with headers:false', [s('CONNECT {"headers":false,"verbose":false}\r\n'), s(`HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n`), s('PING\r\n')], { want: [exact(EOF)] }),
  sc('HPUB header longer than total', [s(CH), s('HPUB foo 5 3\r\nabc\r\n'), s('PING\r\n')], { want: [exact(EOF)] }),
  sc('HPUB with two arguments', [s(CH), s('HPUB foo 3\r\nabc\r\n'), s('PING\r\n')], { want: [exact(EOF)] }),
  sc('HPUB with five arguments', [s(CH), s('HPUB foo a b 3 3\r\nabc\r\n'), s('PING\r\n')], { want: [exact(EOF)] }),
  sc('HPUB with bad header size', [s(CH), s('HPUB foo x 3\r\nabc\r\n'), s('PING\r\n')], { want: [exact(EOF)] }),
  sc('HPUB with bad total size', [s(CH), s('HPUB foo 1 -3\r\nabc\r\n'), s('PING\r\n')], { want: [exact(EOF)] }),
  sc('HPUB total over max payload', [s(CH), s('HPUB foo 10 1048577\r\n'), s('PING\r\n')], { want: [exact(`-ERR 'Maximum Payload Violation'\r\n${EOF}`)] }),
  sc('HPUB payload not followed by CRLF', [s(CH), s('HPUB foo 3 5\r\nabcdeXY'), s('PING\r\n')]),
  sc('HPUB pedantic wildcard subject', [s('CONNECT {"verbose":false,"headers":true}\r\nSUB > 1\r\nHPUB a.* 3 3\r\nabc\r\nPING\r\n')], { chunk: false,
    want: [exact(`-ERR 'Invalid Publish Subject'\r\nHMSG a.* 1 3 3\r\nabc\r\n${PONG}`)],
  }),
  sc('HPUB to _GR_. prefix', [s(`${CH}HPUB _GR_.x 3 3\r\nabc\r\nPING\r\n`)], { want: [exact(`-ERR 'Permissions Violation for Publish to "_GR_.x"'\r\n${PONG}`)] }),
  sc('HPUB with header support disabled by config', [s(CH), s(`HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n`), s('PING\r\n')], {
    config: 'no_header_support: true\n',
    want: [exact(EOF)],
  }),
  sc('PUB with header support disabled by config', [s(`${CH}SUB foo 1\r\nPUB foo 1\r\nx\r\nPING\r\n`)], {
    config: 'no_header_support: true\n',
    want: [exact(`MSG foo 1 1\r\nx\r\n${PONG}`)],
  }),
  sc('no_responders with header support disabled by config', [s(NR), s('PING\r\n')], {
    config: 'no_header_support: true\n',
    want: [exact(`-ERR 'no responders requires headers support'\r\n${EOF}`)],
  }),

  // ---- no responders (§9.3, §1.21) ----
  sc('no responders 503 exact bytes', [s(`${NR}SUB _INBOX.> 1\r\nPUB req _INBOX.abc.1 0\r\n\r\nPING\r\n`)], {
    want: [exact(`${R503('_INBOX.abc.1', '1')}${PONG}`)],
    bytewise: true,
  }),
  sc('no responders via HPUB request', [s(`${NR}SUB inbox 7\r\n${hpub('req', H, 'q', 'inbox')}PING\r\n`)], { want: [exact(`${R503('inbox', '7')}${PONG}`)] }),
  sc('no responders: verbose +OK first', [s('CONNECT {"headers":true,"no_responders":true}\r\nSUB r 1\r\nPUB req r 0\r\n\r\nPING\r\n')], {
    want: [exact(`${OK}${OK}${OK}${R503('r', '1')}${PONG}`)],
  }),
  sc('no responders: responder present, no 503', [s(`${NR}SUB req 1\r\nSUB _INBOX.> 2\r\nPUB req _INBOX.x 1\r\nq\r\nPING\r\n`)], {
    want: [exact(`MSG req 1 _INBOX.x 1\r\nq\r\n${PONG}`)],
  }),
  sc('no responders: responder on another connection', [open(1), on(1, `${CQ}SUB req 1\r\n`), sync(1), s(`${NR}SUB _INBOX.> 2\r\nPUB req _INBOX.x 1\r\nq\r\n`), sync(0), sync(1)], {
    want: [exact(PONG), exact(`${PONG}MSG req 1 _INBOX.x 1\r\nq\r\n${PONG}`, 1)],
  }),
  sc('no responders: queue responder counts', [s(`${NR}SUB req g 1\r\nSUB _INBOX.> 2\r\nPUB req _INBOX.x 1\r\nq\r\nPING\r\n`)], {
    want: [exact(`MSG req 1 _INBOX.x 1\r\nq\r\n${PONG}`)],
  }),
  sc('no responders: no reply subject, nothing', [s(`${NR}SUB _INBOX.> 1\r\nPUB req 0\r\n\r\nPING\r\n`)], { want: [exact(PONG)] }),
  sc('no responders: not negotiated, nothing', [s(`${CH}SUB _INBOX.> 1\r\nPUB req _INBOX.x 0\r\n\r\nPING\r\n`)], { want: [exact(PONG)] }),
  sc('no responders: reply sub only on another connection', [open(1), on(1, `${CQ}SUB _INBOX.> 1\r\n`), sync(1), s(`${NR}PUB req _INBOX.x 0\r\n\r\n`), sync(0), sync(1)], {
    want: [exact(PONG), exact(`${PONG}${PONG}`, 1)],
  }),
  sc('no responders: only a queue sub on the reply', [s(`${NR}SUB _INBOX.> g 1\r\nPUB req _INBOX.x 0\r\n\r\nPING\r\n`)], { want: [exact(PONG)] }),
  sc('no responders: no sub on the reply', [s(`${NR}PUB req _INBOX.x 0\r\n\r\nPING\r\n`)], { want: [exact(PONG)] }),
  // which of the matching subs carries the 503 follows sublist order (undefined): compare without the sid
  sc('no responders: two subs match the reply, one 503', [s(`${NR}SUB _INBOX.> 1\r\nSUB _INBOX.x 2\r\nPUB req _INBOX.x 0\r\n\r\nPING\r\n`)], {
    want: [{ has: [/^HMSG _INBOX\.x [12] 16 16\r\nNATS\/1\.0 503\r\n\r\n\r\nPONG\r\n$/] }],
    summarize: (conns) => conns.map((c) => ({ text: c.text.replace(/HMSG _INBOX\.x [12] /, 'HMSG _INBOX.x <sid> '), closed: c.closedByServer })),
  }),
  sc('no responders: echo false and own subscriber only', [s('CONNECT {"verbose":false,"headers":true,"no_responders":true,"echo":false}\r\nSUB req 1\r\nSUB rep 2\r\nPUB req rep 1\r\nq\r\nPING\r\n')], {
    want: [exact(`${R503('rep', '2')}${PONG}`)],
  }),
  sc('no responders: subscriber left', [open(1), on(1, `${CQ}SUB req 1\r\n`), sync(1), on(1, 'UNSUB 1\r\n'), sync(1), s(`${NR}SUB r 5\r\nPUB req r 0\r\n\r\nPING\r\n`)], {
    want: [exact(`${R503('r', '5')}${PONG}`)],
  }),
  sc('no responders: pedantic wildcard publish still 503', [s('CONNECT {"verbose":false,"headers":true,"no_responders":true}\r\nSUB r 1\r\nPUB a.* r 0\r\n\r\nPING\r\n')], { chunk: false }),
  sc('no responders: auto-unsubscribed responder', [s(`${NR}SUB req 1\r\nUNSUB 1 1\r\nSUB r 2\r\nPUB req r 1\r\na\r\nPUB req r 1\r\nb\r\nPING\r\n`)], {
    want: [exact(`MSG req 1 r 1\r\na\r\n${R503('r', '2')}${PONG}`)],
  }),
];
