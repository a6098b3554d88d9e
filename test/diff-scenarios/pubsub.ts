// protocol.md §1.4, §1.8-16, §6: PUB / HPUB / SUB / UNSUB processing.

import { sc, s, exact, multiSub, EOF, OK, PONG, CQ, type Scenario } from './dsl.js';

const silent = (name: string, bytes: string, connect = CQ): Scenario =>
  sc(name, [s(connect), s(bytes), s('PING\r\n')], { want: [exact(EOF)] });
const ERR_PUB = "-ERR 'Invalid Publish Subject'\r\n";
const ERR_SUB = "-ERR 'Invalid Subject'\r\n";
const CV = 'CONNECT {"verbose":true,"pedantic":false}\r\n';
const CP = 'CONNECT {"verbose":false,"pedantic":true}\r\n';

export const scenarios: Scenario[] = [
  // ---- PUB arguments ----
  sc('PUB with reply', [s(`${CQ}SUB foo 1\r\nPUB foo bar 2\r\nhi\r\nPING\r\n`)], { want: [exact(`MSG foo 1 bar 2\r\nhi\r\n${PONG}`)] }),
  sc('PUB with numeric reply', [s(`${CQ}SUB foo 1\r\nPUB foo 2 3\r\nabc\r\nPING\r\n`)], { want: [exact(`MSG foo 1 2 3\r\nabc\r\n${PONG}`)] }),
  silent('PUB with one argument', 'PUB foo\r\n'),
  silent('PUB with four arguments', 'PUB foo bar baz 2\r\nhi\r\n'),
  silent('PUB with blank arguments', 'PUB  \r\n'),
  sc('PUB with one argument, verbose', [s(CV), s('PUB foo\r\n'), s('PING\r\n')], { want: [exact(OK + EOF)] }),
  sc('PUB verbose +OK before own MSG', [s(`${CV}SUB foo 1\r\nPUB foo 2\r\nhi\r\nPING\r\n`)], {
    want: [exact(`${OK}${OK}${OK}MSG foo 1 2\r\nhi\r\n${PONG}`)],
  }),
  sc('PUB verbose to nobody', [s(`${CV}PUB nobody 2\r\nhi\r\nPING\r\n`)], { want: [exact(`${OK}${OK}${PONG}`)] }),

  // ---- §6.1 order of the control-line checks ----
  sc('PUB checks: argument count before max payload', [s(CQ), s('PUB foo a b 99999999\r\n'), s('PING\r\n')], { want: [exact(EOF)] }),
  sc('PUB checks: max payload before pedantic subject', [s('CONNECT {"verbose":false}\r\n'), s('PUB foo.* 99999999\r\n'), s('PING\r\n')], {
    want: [exact(`-ERR 'Maximum Payload Violation'\r\n${EOF}`)],
  }),
  sc('PUB with reply over max payload', [s(CQ), s('PUB foo bar 1048577\r\n'), s('PING\r\n')], { want: [exact(`-ERR 'Maximum Payload Violation'\r\n${EOF}`)] }),
  sc('HPUB checks: headers negotiated before max payload', [s(CQ), s('HPUB foo 1 99999999\r\n'), s('PING\r\n')], { want: [exact(EOF)] }),
  sc('HPUB checks: header > total before max payload', [s(`CONNECT {"verbose":false,"headers":true}\r\n`), s('HPUB foo 99999999 1048577\r\n'), s('PING\r\n')], {
    want: [exact(EOF)],
  }),

  // ---- pedantic (§1.11, §6.1.4) ----
  // chunk: false: when the payload of a pedantic-invalid PUB is split across reads nats-server
  // re-runs processPub (clonePubArg) and sends the -ERR twice; not something to copy.
  sc('pedantic PUB to wildcard still routed', [s(`${CP}SUB foo.* 1\r\nSUB foo.> 2\r\nPUB foo.* 2\r\nhi\r\nPING\r\n`)], {
    ...multiSub(`${ERR_PUB}MSG foo.* 1 2\r\nhi\r\nMSG foo.* 2 2\r\nhi\r\n${PONG}`),
    chunk: false,
  }),
  sc('pedantic PUB to wildcard, split payload: -ERR twice in nats-server', [s(`${CP}SUB foo.* 1\r\nPUB foo.* 2\r\nh`), s('i\r\nPING\r\n')], {
    chunk: false,
    refOnly: 'nats-server re-runs processPub when it clones a split PUB (clonePubArg): a bug, one -ERR is right',
    want: [exact(`${ERR_PUB}${ERR_PUB}MSG foo.* 1 2\r\nhi\r\n${PONG}`)],
  }),
  sc('pedantic verbose PUB to wildcard: error then +OK', [s(`CONNECT {"verbose":true,"pedantic":true}\r\nPUB foo.> 2\r\nhi\r\nPING\r\n`)], { chunk: false,
    want: [exact(`${OK}${ERR_PUB}${OK}${PONG}`)],
  }),
  sc('pedantic PUB to *', [s(`${CP}SUB * 1\r\nPUB * 1\r\nx\r\nPING\r\n`)], { chunk: false, want: [exact(`${ERR_PUB}MSG * 1 1\r\nx\r\n${PONG}`)] }),
  sc('pedantic PUB to >', [s(`${CP}SUB > 1\r\nPUB > 1\r\nx\r\nPING\r\n`)], { chunk: false, want: [exact(`${ERR_PUB}MSG > 1 1\r\nx\r\n${PONG}`)] }),
  sc('pedantic PUB with empty token', [s(`${CP}SUB > 1\r\nPUB a..b 1\r\nx\r\nPUB .a 1\r\nx\r\nPUB a. 1\r\nx\r\nPING\r\n`)], { chunk: false,
    want: [exact(`${ERR_PUB}${ERR_PUB}${ERR_PUB}${PONG}`)],
  }),
  sc('pedantic PUB with wildcard inside token is fine', [s(`${CP}SUB > 1\r\nPUB foo* 1\r\nx\r\nPUB a.b> 1\r\nx\r\nPING\r\n`)], {
    want: [exact(`MSG foo* 1 1\r\nx\r\nMSG a.b> 1 1\r\nx\r\n${PONG}`)],
  }),
  sc('pedantic reply subject never validated', [s(`${CP}SUB foo 1\r\nPUB foo a.* 1\r\nx\r\nPING\r\n`)], { want: [exact(`MSG foo 1 a.* 1\r\nx\r\n${PONG}`)] }),
  sc('non-pedantic PUB to wildcard is silent', [s(`${CQ}SUB foo.bar 1\r\nSUB foo.* 2\r\nSUB foo.> 3\r\nPUB foo.* 1\r\nx\r\nPING\r\n`)], {
    ...multiSub(`MSG foo.* 2 1\r\nx\r\nMSG foo.* 3 1\r\nx\r\n${PONG}`),
  }),
  sc('non-pedantic PUB with empty tokens matches nothing', [s(`${CQ}SUB > 1\r\nSUB a.* 2\r\nSUB *.* 3\r\nPUB a..b 1\r\nx\r\nPUB .a 1\r\nx\r\nPUB a. 1\r\nx\r\nPUB . 1\r\nx\r\nPING\r\n`)], {
    want: [exact(PONG)],
  }),

  // ---- reserved prefixes (§6.1.5-7) ----
  sc('PUB to _GR_. prefix', [s(`${CV}SUB > 1\r\nPUB _GR_.foo 2\r\nhi\r\nPING\r\n`)], {
    want: [exact(`${OK}${OK}-ERR 'Permissions Violation for Publish to "_GR_.foo"'\r\n${PONG}`)],
  }),
  sc('PUB to exactly _GR_.', [s(`${CQ}SUB > 1\r\nPUB _GR_. 1\r\nx\r\nPING\r\n`)]),
  sc('PUB to _GR_ without dot is fine', [s(`${CQ}SUB > 1\r\nPUB _GR_ 1\r\nx\r\nPING\r\n`)], { want: [exact(`MSG _GR_ 1 1\r\nx\r\n${PONG}`)] }),
  sc('PUB _GR_. quoting of special characters', [s(`${CQ}PUB _GR_."q\\ 1\r\nx\r\nPING\r\n`)], {
    want: [exact(`-ERR 'Permissions Violation for Publish to "_GR_.\\"q\\\\"'\r\n${PONG}`)],
  }),
  sc('PUB _GR_. quoting of UTF-8', [s(`${CQ}PUB _GR_.é 1\r\nx\r\nPING\r\n`)]),
  sc('PUB _GR_. quoting of control byte', [s(`${CQ}PUB _GR_.\x01 1\r\nx\r\nPING\r\n`)]),
  sc('PUB with _R_. reply', [s(`${CV}SUB foo 1\r\nPUB foo _R_.x 1\r\nx\r\nPING\r\n`)], {
    want: [exact(`${OK}${OK}-ERR 'Permissions Violation for Publish with Reply of "_R_.x"'\r\n${PONG}`)],
  }),
  sc('PUB with $JS.ACK. reply', [s(`${CQ}SUB foo 1\r\nPUB foo $JS.ACK.a.b 1\r\nx\r\nPING\r\n`)], {
    want: [exact(`-ERR 'Permissions Violation for Publish with Reply of "$JS.ACK.a.b"'\r\n${PONG}`)],
  }),
  sc('PUB with _GR_. reply', [s(`${CQ}SUB foo 1\r\nPUB foo _GR_.x.y 1\r\nx\r\nPING\r\n`)], {
    want: [exact(`-ERR 'Permissions Violation for Publish with Reply of "_GR_.x.y"'\r\n${PONG}`)],
  }),
  sc('PUB with _R_ reply without dot is fine', [s(`${CQ}SUB foo 1\r\nPUB foo _R_ 1\r\nx\r\nPING\r\n`)], { want: [exact(`MSG foo 1 _R_ 1\r\nx\r\n${PONG}`)] }),
  sc('PUB with $JS.ACK reply without dot is fine', [s(`${CQ}SUB foo 1\r\nPUB foo $JS.ACK 1\r\nx\r\nPING\r\n`)]),
  sc('PUB _GR_. subject and _R_. reply', [s(`${CQ}PUB _GR_.a _R_.b 1\r\nx\r\nPING\r\n`)]),
  sc('pedantic PUB _GR_.* wildcard subject', [s(`${CP}PUB _GR_.* 1\r\nx\r\nPING\r\n`)], { chunk: false }),

  // ---- SUB (§6.2) ----
  silent('SUB with one argument', 'SUB foo\r\n'),
  silent('SUB with four arguments', 'SUB foo q 1 2\r\n'),
  silent('SUB with blank arguments', 'SUB   \r\n'),
  sc('SUB verbose +OK', [s(`${CV}SUB foo 1\r\nSUB foo q 2\r\nPING\r\n`)], { want: [exact(`${OK}${OK}${OK}${PONG}`)] }),
  sc('SUB queue names not validated', [s(`${CV}SUB foo g.r*p> 1\r\nPUB foo 1\r\nx\r\nPING\r\n`)], {
    want: [exact(`${OK}${OK}${OK}MSG foo 1 1\r\nx\r\n${PONG}`)],
  }),
  sc('SUB sid is any token', [s(`${CQ}SUB foo abc.DEF-* \r\nPUB foo 1\r\nx\r\nPING\r\n`)], { want: [exact(`MSG foo abc.DEF-* 1\r\nx\r\n${PONG}`)] }),
  sc('SUB sid reuse is ignored', [s(`${CV}SUB foo 1\r\nSUB bar 1\r\nPUB bar 1\r\nb\r\nPUB foo 1\r\nf\r\nPING\r\n`)], {
    want: [exact(`${OK}${OK}${OK}${OK}${OK}MSG foo 1 1\r\nf\r\n${PONG}`)],
  }),
  sc('SUB sid reuse with invalid subject is not validated', [s(`${CV}SUB foo 1\r\nSUB a..b 1\r\nPING\r\n`)], { want: [exact(`${OK}${OK}${OK}${PONG}`)] }),
  sc('SUB invalid subject keeps connection', [s(`${CV}SUB foo. 1\r\nSUB foo 1\r\nPUB foo 1\r\nx\r\nPING\r\n`)], {
    want: [exact(`${OK}${ERR_SUB}${OK}${OK}MSG foo 1 1\r\nx\r\n${PONG}`)],
  }),
  sc('SUB invalid subjects', [s(`${CQ}SUB .foo 1\r\nSUB foo..bar 2\r\nSUB foo.>.bar 3\r\nSUB . 4\r\nSUB >.> 5\r\nSUB >.a 6\r\nPING\r\n`)], {
    want: [exact(`${ERR_SUB.repeat(6)}${PONG}`)],
  }),
  sc('SUB invalid subject frees the sid', [s(`${CQ}SUB a..b 1\r\nSUB ok 1\r\nPUB ok 1\r\nx\r\nPING\r\n`)], {
    want: [exact(`${ERR_SUB}MSG ok 1 1\r\nx\r\n${PONG}`)],
  }),
  sc('SUB invalid queue sub subject', [s(`${CQ}SUB foo. q 1\r\nPING\r\n`)], { want: [exact(`${ERR_SUB}${PONG}`)] }),
  sc('SUB to _sys_ queue', [s(`${CV}SUB foo _sys_ 1\r\nPING\r\n`)], {
    want: [exact(`${OK}-ERR 'Permissions Violation for Subscription to "foo" using queue "_sys_"'\r\n${PONG}`)],
  }),

  // ---- UNSUB (§6.3, §1.15) ----
  silent('UNSUB with three arguments', 'UNSUB 1 2 3\r\n'),
  silent('UNSUB with blank arguments', 'UNSUB  \r\n'),
  sc('UNSUB unknown sid gives +OK', [s(`${CV}UNSUB 99\r\nUNSUB 99 5\r\nPING\r\n`)], { want: [exact(`${OK}${OK}${OK}${PONG}`)] }),
  sc('UNSUB stops delivery', [s(`${CQ}SUB foo 1\r\nPUB foo 1\r\na\r\nUNSUB 1\r\nPUB foo 1\r\nb\r\nPING\r\n`)], {
    want: [exact(`MSG foo 1 1\r\na\r\n${PONG}`)],
  }),
  sc('UNSUB with max delivers max', [s(`${CQ}SUB foo 1\r\nUNSUB 1 2\r\n${'PUB foo 1\r\nx\r\n'.repeat(4)}PING\r\n`)], {
    want: [exact(`${'MSG foo 1 1\r\nx\r\n'.repeat(2)}${PONG}`)],
  }),
  sc('UNSUB max 0 removes now', [s(`${CQ}SUB foo 1\r\nUNSUB 1 0\r\nPUB foo 1\r\nx\r\nPING\r\n`)], { want: [exact(PONG)] }),
  sc('UNSUB non-numeric max removes now', [s(`${CQ}SUB foo 1\r\nUNSUB 1 abc\r\nPUB foo 1\r\nx\r\nPING\r\n`)], { want: [exact(PONG)] }),
  sc('UNSUB negative max removes now', [s(`${CQ}SUB foo 1\r\nUNSUB 1 -3\r\nPUB foo 1\r\nx\r\nPING\r\n`)], { want: [exact(PONG)] }),
  sc('UNSUB 10-digit max removes now', [s(`${CQ}SUB foo 1\r\nUNSUB 1 1000000000\r\nPUB foo 1\r\nx\r\nPING\r\n`)], { want: [exact(PONG)] }),
  sc('UNSUB max with leading zeros', [s(`${CQ}SUB foo 1\r\nUNSUB 1 002\r\n${'PUB foo 1\r\nx\r\n'.repeat(3)}PING\r\n`)], {
    want: [exact(`${'MSG foo 1 1\r\nx\r\n'.repeat(2)}${PONG}`)],
  }),
  sc('UNSUB max below delivered removes now', [s(`${CQ}SUB foo 1\r\n${'PUB foo 1\r\nx\r\n'.repeat(3)}UNSUB 1 2\r\nPUB foo 1\r\ny\r\nPING\r\n`)], {
    want: [exact(`${'MSG foo 1 1\r\nx\r\n'.repeat(3)}${PONG}`)],
  }),
  sc('UNSUB max equal to delivered removes now', [s(`${CQ}SUB foo 1\r\n${'PUB foo 1\r\nx\r\n'.repeat(2)}UNSUB 1 2\r\nPUB foo 1\r\ny\r\nPING\r\n`)], {
    want: [exact(`${'MSG foo 1 1\r\nx\r\n'.repeat(2)}${PONG}`)],
  }),
  sc('UNSUB max above delivered allows the rest', [s(`${CQ}SUB foo 1\r\n${'PUB foo 1\r\nx\r\n'.repeat(2)}UNSUB 1 3\r\nPUB foo 1\r\ny\r\nPUB foo 1\r\nz\r\nPING\r\n`)], {
    want: [exact(`${'MSG foo 1 1\r\nx\r\n'.repeat(2)}MSG foo 1 1\r\ny\r\n${PONG}`)],
  }),
  sc('plain UNSUB overrides pending max', [s(`${CQ}SUB foo 1\r\nUNSUB 1 5\r\nPUB foo 1\r\na\r\nUNSUB 1\r\nPUB foo 1\r\nb\r\nPING\r\n`)], {
    want: [exact(`MSG foo 1 1\r\na\r\n${PONG}`)],
  }),
  sc('second UNSUB max replaces the first', [s(`${CQ}SUB foo 1\r\nUNSUB 1 5\r\nUNSUB 1 1\r\n${'PUB foo 1\r\nx\r\n'.repeat(3)}PING\r\n`)]),
  sc('sid reusable after UNSUB', [s(`${CQ}SUB foo 1\r\nUNSUB 1\r\nSUB bar 1\r\nPUB foo 1\r\na\r\nPUB bar 1\r\nb\r\nPING\r\n`)], {
    want: [exact(`MSG bar 1 1\r\nb\r\n${PONG}`)],
  }),
  sc('sid reusable after auto-unsubscribe', [s(`${CQ}SUB foo 1\r\nUNSUB 1 1\r\nPUB foo 1\r\na\r\nSUB bar 1\r\nPUB bar 1\r\nb\r\nPUB foo 1\r\nc\r\nPING\r\n`)], {
    want: [exact(`MSG foo 1 1\r\na\r\nMSG bar 1 1\r\nb\r\n${PONG}`)],
  }),
  sc('UNSUB verbose +OK for every form', [s(`${CV}SUB foo 1\r\nUNSUB 1 2\r\nUNSUB 1 x\r\nUNSUB 1\r\nPING\r\n`)], {
    want: [exact(`${OK.repeat(5)}${PONG}`)],
  }),
  sc('UNSUB max applies across queue subs', [s(`${CQ}SUB foo q 1\r\nUNSUB 1 2\r\n${'PUB foo 1\r\nx\r\n'.repeat(3)}PING\r\n`)], {
    want: [exact(`${'MSG foo 1 1\r\nx\r\n'.repeat(2)}${PONG}`)],
  }),
];
