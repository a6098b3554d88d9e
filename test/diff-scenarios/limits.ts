// protocol.md §11, §13, §14: configured limits, error texts, close vs keep open.

import { sc, s, on, open, close, sync, wait, exact, EOF, OK, PONG, CQ, type Scenario } from './dsl.js';

const MAX_SUBS = 'max_subscriptions: 2\n';
const MAX_CONN = 'max_connections: 2\n';
const MAX_PAYLOAD = 'max_payload: 16\n';
const SLOW = 'max_payload: 1024\nmax_pending: 1024\n';
const ERR_SUBS = "-ERR 'maximum subscriptions exceeded'\r\n";
const ERR_CONN = "-ERR 'maximum connections exceeded'\r\n";
const ERR_PAYLOAD = "-ERR 'Maximum Payload Violation'\r\n";

export const scenarios: Scenario[] = [
  // ---- max_subscriptions ----
  sc('max subscriptions: third SUB refused, stays open', [s('CONNECT {"pedantic":false}\r\nSUB a 1\r\nSUB b 2\r\nSUB c 3\r\nPUB c 1\r\nx\r\nPING\r\n')], {
    config: MAX_SUBS,
    want: [exact(`${OK}${OK}${OK}${ERR_SUBS}${OK}${PONG}`)],
  }),
  sc('max subscriptions: UNSUB frees a slot', [s(`${CQ}SUB a 1\r\nSUB b 2\r\nUNSUB 1\r\nSUB c 3\r\nPUB c 1\r\nx\r\nPING\r\n`)], {
    config: MAX_SUBS,
    want: [exact(`MSG c 3 1\r\nx\r\n${PONG}`)],
  }),
  sc('max subscriptions: auto-unsubscribe frees a slot', [s(`${CQ}SUB a 1\r\nUNSUB 1 1\r\nSUB b 2\r\nPUB a 1\r\nx\r\nSUB c 3\r\nPING\r\n`)], {
    config: MAX_SUBS,
    want: [exact(`MSG a 1 1\r\nx\r\n${PONG}`)],
  }),
  sc('max subscriptions: queue subs count too', [s(`${CQ}SUB a q 1\r\nSUB a q 2\r\nSUB a q 3\r\nPING\r\n`)], {
    config: MAX_SUBS,
    want: [exact(`${ERR_SUBS}${PONG}`)],
  }),
  sc('max subscriptions: duplicate sid at the limit', [s(`${CQ}SUB a 1\r\nSUB b 2\r\nSUB c 2\r\nPING\r\n`)], { config: MAX_SUBS }),
  sc('max subscriptions: invalid subject at the limit', [s(`${CQ}SUB a 1\r\nSUB b 2\r\nSUB a..b 3\r\nPING\r\n`)], { config: MAX_SUBS }),
  sc('max subscriptions: per connection', [open(1), s(`${CQ}SUB a 1\r\nSUB b 2\r\n`), on(1, `${CQ}SUB a 1\r\nSUB b 2\r\nSUB c 3\r\n`), sync(0), sync(1)], {
    config: MAX_SUBS,
    want: [exact(PONG), exact(`${ERR_SUBS}${PONG}`, 1)],
  }),

  // ---- max_sub_tokens (§6.2.3) ----
  sc('max sub tokens: too many tokens refused, stays open', [s(`${CQ}SUB a.b.c 1\r\nSUB a.b.c.d 2\r\nSUB a.b.c.d q 3\r\nSUB a.*.> 4\r\nPING\r\n`)], {
    config: 'max_sub_tokens: 3\n',
    want: [
      exact(
        `-ERR 'Permissions Violation for Subscription to "a.b.c.d", too many tokens'\r\n-ERR 'Permissions Violation for Subscription to "a.b.c.d", too many tokens'\r\n${PONG}`,
      ),
    ],
  }),
  sc('max sub tokens: checked before max subscriptions', [s(`${CQ}SUB a 1\r\nSUB b 2\r\nSUB a.b.c.d 3\r\nSUB c 4\r\nPING\r\n`)], {
    config: 'max_sub_tokens: 3\nmax_subscriptions: 2\n',
    want: [exact(`-ERR 'Permissions Violation for Subscription to "a.b.c.d", too many tokens'\r\n${"-ERR 'maximum subscriptions exceeded'\r\n"}${PONG}`)],
  }),

  // ---- max_connections ----
  sc('max connections: third connection refused after INFO', [open(1), open(2), sync(0), sync(1)], {
    config: MAX_CONN,
    want: [exact(PONG), exact(PONG, 1), exact(`${ERR_CONN}${EOF}`, 2), { conn: 2, info: [/^INFO \{.*\} \r\n$/] }],
  }),
  sc('max connections: slot freed after close', [open(1), close(1), open(2), sync(2)], {
    config: MAX_CONN,
    want: [exact(''), exact(PONG, 2)],
  }),
  sc('max connections: refused connection sends nothing else', [open(1), open(2), on(2, 'CONNECT {}\r\nPING\r\n'), sync(0)], {
    config: MAX_CONN,
    want: [exact(PONG), exact(`${ERR_CONN}${EOF}`, 2)],
  }),

  // ---- max_payload via config ----
  sc('max payload: at the limit ok', [s(`${CQ}SUB foo 1\r\nPUB foo 16\r\n0123456789abcdef\r\nPING\r\n`)], {
    config: MAX_PAYLOAD,
    want: [exact(`MSG foo 1 16\r\n0123456789abcdef\r\n${PONG}`), { info: ['"max_payload":16,'] }],
  }),
  sc('max payload: over the limit', [s(`${CQ}PUB foo 17\r\n`), s('0123456789abcdefg\r\nPING\r\n')], {
    config: MAX_PAYLOAD,
    want: [exact(`${ERR_PAYLOAD}${EOF}`)],
  }),
  sc('max payload: checked before payload arrives', [s(`${CQ}PUB foo 999\r\n`)], {
    config: MAX_PAYLOAD,
    want: [exact(`${ERR_PAYLOAD}${EOF}`)],
  }),
  sc('max payload: HPUB total over the limit', [s('CONNECT {"verbose":false,"headers":true}\r\nHPUB foo 12 17\r\n'), s('PING\r\n')], {
    config: MAX_PAYLOAD,
    want: [exact(`${ERR_PAYLOAD}${EOF}`)],
  }),
  sc('max payload: HPUB total at the limit', [s('CONNECT {"verbose":false,"headers":true}\r\nSUB foo 1\r\nHPUB foo 12 16\r\nNATS/1.0\r\n\r\nabcd\r\nPING\r\n')], {
    config: MAX_PAYLOAD,
    want: [exact(`HMSG foo 1 12 16\r\nNATS/1.0\r\n\r\nabcd\r\n${PONG}`)],
  }),
  sc('max payload: verbose publisher gets no +OK', [s('CONNECT {}\r\nPUB foo 17\r\n'), s('PING\r\n')], {
    config: MAX_PAYLOAD,
    want: [exact(`${OK}${ERR_PAYLOAD}${EOF}`)],
  }),
  sc('max payload: the size token with leading zeros', [s(`${CQ}SUB foo 1\r\nPUB foo 0016\r\n0123456789abcdef\r\nPING\r\n`)], {
    config: MAX_PAYLOAD,
    want: [exact(`MSG foo 1 0016\r\n0123456789abcdef\r\n${PONG}`)],
  }),

  // ---- slow consumer (§11): closed, nothing sent, publisher unaffected ----
  sc('slow consumer: pending bytes cut', [open(1), on(1, `${CQ}SUB foo 1\r\n`), sync(1), s(`${CQ}PUB foo 1024\r\n${'s'.repeat(1024)}\r\n`), sync(0), sync(1)], {
    config: SLOW,
    want: [exact(PONG), exact(`${PONG}${EOF}`, 1)],
  }),
  sc('slow consumer: publisher itself when subscribed', [s(`${CQ}SUB foo 1\r\nPUB foo 1024\r\n${'s'.repeat(1024)}\r\n`), s('PING\r\n')], { config: SLOW }),
  sc('slow consumer: small messages fine', [open(1), on(1, `${CQ}SUB foo 1\r\n`), sync(1), s(`${CQ}PUB foo 100\r\n${'s'.repeat(100)}\r\n`), sync(0), sync(1)], {
    config: SLOW,
    want: [exact(PONG), exact(`${PONG}MSG foo 1 100\r\n${'s'.repeat(100)}\r\n${PONG}`, 1)],
  }),

  // ---- keepalive (§10): unanswered pings -> two PINGs then Stale Connection ----
  sc('stale connection before CONNECT', [wait(1400)], {
    config: 'ping_interval: "200ms"\nping_max: 2\n',
    chunk: false,
    serverPings: true,
    want: [exact(`PING\r\nPING\r\n-ERR 'Stale Connection'\r\n${EOF}`)],
  }),
  sc('stale connection after CONNECT', [s(CQ), wait(1400)], {
    config: 'ping_interval: "200ms"\nping_max: 2\n',
    chunk: false,
    serverPings: true,
    want: [exact(`PING\r\nPING\r\n-ERR 'Stale Connection'\r\n${EOF}`)],
  }),
  // observed: ping_max 0 means the default (2)
  sc('stale connection with ping_max 0', [s(CQ), wait(1400)], {
    config: 'ping_interval: "200ms"\nping_max: 0\n',
    chunk: false,
    serverPings: true,
    want: [exact(`PING\r\nPING\r\n-ERR 'Stale Connection'\r\n${EOF}`)],
  }),
  sc('ping_max 1: one PING then stale', [s(CQ), wait(1400)], {
    config: 'ping_interval: "200ms"\nping_max: 1\n',
    chunk: false,
    serverPings: true,
    want: [exact(`PING\r\n-ERR 'Stale Connection'\r\n${EOF}`)],
  }),

  // ---- errors that keep the connection open, in sequence ----
  sc('several non-fatal errors then normal traffic', [
    s(`CONNECT {"verbose":true,"pedantic":true}\r\nSUB a..b 1\r\nPUB x.* 1\r\nx\r\nPUB _GR_.y 1\r\ny\r\nPUB z _R_.r 1\r\nz\r\nSUB ok 2\r\nPUB ok 2\r\nok\r\nPING\r\n`),
  ], { chunk: false,
    want: [
      exact(
        `${OK}-ERR 'Invalid Subject'\r\n-ERR 'Invalid Publish Subject'\r\n${OK}-ERR 'Permissions Violation for Publish to "_GR_.y"'\r\n-ERR 'Permissions Violation for Publish with Reply of "_R_.r"'\r\n${OK}${OK}MSG ok 2 2\r\nok\r\n${PONG}`,
      ),
    ],
  }),
  sc('fatal error after non-fatal error', [s(`${CQ}SUB a..b 1\r\nPUB foo\r\n`), s('PING\r\n')], { want: [exact(`-ERR 'Invalid Subject'\r\n${EOF}`)] }),
  sc('data after a fatal error is ignored', [s(`${CQ}SUB foo 1\r\nXX\r\nPUB foo 1\r\nx\r\nPING\r\n`)], { want: [exact(`-ERR 'Unknown Protocol Operation'\r\n${EOF}`)] }),
  sc('client closes: server keeps others', [open(1), on(1, `${CQ}SUB foo 1\r\n`), sync(1), s(`${CQ}XX\r\n`), on(1, 'PING\r\n')], {
    want: [exact(`-ERR 'Unknown Protocol Operation'\r\n${EOF}`), exact(`${PONG}${PONG}`, 1)],
  }),
];
