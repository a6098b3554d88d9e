// protocol.md §1.4-10, §2: framing, verbs, case, separators, line ends, sizes, control line.

import { sc, s, wait, exact, EOF, OK, PONG, UNKNOWN_OP, CQ, type Scenario } from './dsl.js';

const unknown = (name: string, bytes: string, opts: { bytewise?: boolean } = {}): Scenario =>
  sc(name, [s(CQ), s(bytes), s('PING\r\n')], { want: [exact(UNKNOWN_OP + EOF)], ...opts });
const silent = (name: string, bytes: string): Scenario => sc(name, [s(CQ), s(bytes), s('PING\r\n')], { want: [exact(EOF)] });

const x = (n: number, c = 'a'): string => c.repeat(n);

export const scenarios: Scenario[] = [
  // ---- verb case ----
  sc('verbs in mixed case', [s('cOnNeCt {"verbose":false}\r\nsUb foo 1\r\npUb foo 2\r\nhi\r\nUnSuB 1\r\npUB foo 2\r\nhi\r\npInG\r\n')], {
    want: [exact(`MSG foo 1 2\r\nhi\r\n${PONG}`)],
    bytewise: true,
  }),
  sc('verbs in lower case, verbose', [s('sub foo 1\r\npub foo 1\r\nx\r\nunsub 1\r\nping\r\npong\r\n')], {
    want: [exact(`${OK}${OK}MSG foo 1 1\r\nx\r\n${OK}${PONG}`)],
  }),
  sc('hpub in lower case', [s('CONNECT {"verbose":false,"headers":true}\r\nSUB h 1\r\nhpub h 12 14\r\nNATS/1.0\r\n\r\nhi\r\nPING\r\n')], {
    want: [exact(`HMSG h 1 12 14\r\nNATS/1.0\r\n\r\nhi\r\n${PONG}`)],
  }),

  // ---- separators ----
  sc('tabs as separators', [s(`${CQ}SUB\tfoo\t1\r\nPUB\tfoo\t2\r\nhi\r\nUNSUB\t1\r\nPUB foo 2\r\nhi\r\nPING\r\n`)], {
    want: [exact(`MSG foo 1 2\r\nhi\r\n${PONG}`)],
  }),
  sc('runs of blanks and trailing blanks', [s(`${CQ}SUB  \t foo \t  q  7 \t\r\nPUB \t foo  \t r   3  \r\nabc\r\nPING\r\n`)], {
    want: [exact(`MSG foo 7 r 3\r\nabc\r\n${PONG}`)],
  }),
  sc('SUB needs a separator', [s('SUB\r\n'), s('PING\r\n')], { want: [exact(UNKNOWN_OP + EOF)] }),
  sc('PUB needs a separator', [s('PUB\r\n'), s('PING\r\n')], { want: [exact(UNKNOWN_OP + EOF)] }),
  sc('UNSUB needs a separator', [s('UNSUB\r\n'), s('PING\r\n')], { want: [exact(UNKNOWN_OP + EOF)] }),
  sc('HPUB needs a separator', [s('HPUB\r\n'), s('PING\r\n')], { want: [exact(UNKNOWN_OP + EOF)] }),
  unknown('-ERR needs a separator', '-ERR\r\n'),
  unknown('SUBX is not a verb', 'SUBX foo 1\r\n'),
  unknown('PUBLISH is not a verb', 'PUBLISH foo 1\r\nx\r\n'),
  unknown('UNSUBSCRIBE is not a verb', 'UNSUBSCRIBE 1\r\n'),

  // ---- PING / PONG ----
  sc('PING with trailing text', [s('PING foo bar\r\n')], { want: [exact(PONG)] }),
  sc('PINGPONG is one PING', [s('PINGPONG\r\n')], { want: [exact(PONG)] }),
  sc('PINGxyz is one PING', [s('PINGxyz\r\n')], { want: [exact(PONG)] }),
  sc('PING with bare LF', [s('PING\nPING\n')], { want: [exact(PONG + PONG)], bytewise: true }),
  sc('PONG from client gets nothing', [s('PONG\r\nPONG xyz\r\nPONGPING\r\n'), s('PING\r\n')], { want: [exact(PONG)] }),
  sc('many PINGs in one write', [s('PING\r\n'.repeat(50))], { want: [exact(PONG.repeat(50))] }),
  sc('PING split between CR and LF', [s('PING\r'), s('\n')], { want: [exact(PONG)] }),
  sc('PING split inside verb', [s('PI'), s('NG\r\n')], { want: [exact(PONG)] }),
  sc('PING without line end waits', [s('PING'), wait(100), s('\r\n')], { want: [exact(PONG)] }),

  // ---- bad framing: Unknown Protocol Operation + close ----
  unknown('empty line', '\r\n'),
  unknown('bare LF line', '\n'),
  unknown('leading space', ' PING\r\n'),
  unknown('leading tab', '\tPING\r\n'),
  unknown('unknown verb FOO', 'FOO\r\n', { bytewise: true }),
  unknown('PIN is not PING', 'PIN\r\n'),
  unknown('PI is not PING', 'PI\r\n'),
  unknown('CX is not CONNECT', 'CX\r\n'),
  unknown('CONNEC truncated', 'CONNEC {}\r\n'),
  unknown('MSG from client', 'MSG foo 1 2\r\nhi\r\n'),
  unknown('RS+ from client', 'RS+ $G foo\r\n'),
  unknown('RS- from client', 'RS- $G foo\r\n'),
  unknown('RMSG from client', 'RMSG $G foo 2\r\nhi\r\n'),
  unknown('LS+ from client', 'LS+ $G foo\r\n'),
  unknown('LMSG from client', 'LMSG $G foo 2\r\nhi\r\n'),
  unknown('A+ from client', 'A+ foo\r\n'),
  unknown('digit as verb', '1\r\n'),
  unknown('NUL byte as verb', '\x00PING\r\n'),
  silent('INFOX is INFO with bad JSON (no separator needed)', 'INFOX {}\r\n'),
  silent('CONNECTX is CONNECT with bad JSON', 'CONNECTX\r\n'),
  unknown('-ER is not -ERR', '-ER x\r\n'),
  unknown('+O is not +OK', '+O\r\n'),
  sc('error after valid ops keeps earlier replies', [s(`${CQ}SUB foo 1\r\nPUB foo 1\r\na\r\nXYZ\r\nPUB foo 1\r\nb\r\n`)], {
    want: [exact(`MSG foo 1 1\r\na\r\n${UNKNOWN_OP}${EOF}`)],
  }),
  // §19: a client HMSG line is taken as a zero-length message: the next two bytes must be CRLF
  sc('HMSG from client followed by CRLF is half-accepted', [s('HMSG foo 1 2 2\r\n\r\nPING\r\n')], { want: [exact(OK + PONG)] }),
  sc('HMSG from client quiet, followed by CRLF', [s(`${CQ}HMSG foo 1 2 2\r\n\r\nPING\r\n`)], { want: [exact(PONG)] }),
  sc('HMSG from client followed by PING', [s('HMSG foo 1 2 2\r\nPING\r\n')], { want: [exact(UNKNOWN_OP + EOF)] }),
  sc('HMSG from client with a payload', [s(`${CQ}HMSG foo 1 2 2\r\nhi\r\nPING\r\n`)], { want: [exact(UNKNOWN_OP + EOF)] }),

  // ---- payload framing ----
  sc('payload not followed by CRLF', [s(`${CQ}PUB foo 2\r\nhiX\r\n`), s('PING\r\n')], { want: [exact(UNKNOWN_OP + EOF)] }),
  sc('payload followed by bare LF', [s(`${CQ}SUB foo 1\r\nPUB foo 2\r\nhi\n`), s('PING\r\n')]),
  sc('payload terminator: LF instead of CR is an error at once', [s(`${CQ}SUB foo 1\r\nPUB foo 2\r\nhi`), s('\n'), s('PING\r\n')], {
    chunk: false,
    want: [{ exact: UNKNOWN_OP + EOF }],
  }),
  sc('payload terminator: X instead of CR is an error at once', [s(`${CQ}PUB foo 2\r\nhi`), s('X'), s('\r\nPING\r\n')], {
    chunk: false,
    want: [{ exact: UNKNOWN_OP + EOF }],
  }),
  sc('payload terminator: CR then X', [s(`${CQ}PUB foo 2\r\nhi\r`), s('X'), s('\nPING\r\n')], { chunk: false, want: [{ exact: UNKNOWN_OP + EOF }] }),
  sc('payload followed by CR then X', [s(`${CQ}PUB foo 2\r\nhi\rX`), s('PING\r\n')]),
  sc('payload shorter than size', [s(`${CQ}SUB foo 1\r\nPUB foo 5\r\nhi\r\n`), s('PING\r\n')]),
  sc('payload with CRLF inside', [s(`${CQ}SUB foo 1\r\nPUB foo 8\r\n\r\nPING\r\n\r\n`), s('PING\r\n')], {
    want: [exact(`MSG foo 1 8\r\n\r\nPING\r\n\r\n${PONG}`)],
  }),
  sc('payload with NUL and high bytes', [s(CQ + 'SUB foo 1\r\n'), s(Buffer.from([...Buffer.from('PUB foo 4\r\n'), 0, 0xff, 0x0d, 0x80, 0x0d, 0x0a])), s('PING\r\n')]),
  sc('zero length payload', [s(`${CQ}SUB foo 1\r\nPUB foo 0\r\n\r\nPING\r\n`)], { want: [exact(`MSG foo 1 0\r\n\r\n${PONG}`)] }),
  sc('payload split across writes', [s(`${CQ}SUB foo 1\r\nPUB foo 10\r\n01234`), wait(50), s('56789\r'), wait(50), s('\nPING\r\n')], {
    want: [exact(`MSG foo 1 10\r\n0123456789\r\n${PONG}`)],
  }),

  // ---- CR/LF inside control lines ----
  // chunk: false: nats-server keeps a stray CR only when the line arrives in one read (a split
  // line is accumulated without its CRs, parser.go argBuf), so split variants are not stable.
  sc('bare LF ends PUB and SUB lines', [s('CONNECT {"verbose":false}\nSUB foo 1\nPUB foo 2\nhi\r\nPING\n')], {
    want: [exact(`MSG foo 1 2\r\nhi\r\n${PONG}`)],
  }),
  sc('CR in the middle of a SUB line', [s(`${CQ}SUB foo\r1\r\nPUB foo 1\r\nx\r\nPING\r\n`)], { chunk: false }),
  sc('double CR before LF on SUB', [s(`${CQ}SUB foo 1\r\r\nPUB foo 1\r\nx\r\nPING\r\n`)], { chunk: false }),
  sc('CR then byte before LF on SUB', [s(`${CQ}SUB foo 12\rX\nPUB foo 1\r\nx\r\nPING\r\n`)], { chunk: false }),
  sc('double CR on PUB line', [s(`${CQ}SUB foo 1\r\nPUB foo 1\r\r\nx\r\nPING\r\n`)], { chunk: false }),
  sc('CR inside PUB subject', [s(`${CQ}SUB > 1\r\nPUB fo\ro 1\r\nx\r\nPING\r\n`)], { chunk: false }),
  sc('double CR on PING', [s('PING\r\r\n')], { want: [exact(PONG)] }),
  sc('CR inside PUB subject, line split before the CR', [s(`${CQ}SUB > 1\r\nPUB fo`), s('\ro 1\r\nx\r\nPING\r\n')], {
    chunk: false,
    refOnly: 'nats-server drops CRs that arrive after a control line was split (argBuf); whole-line behaviour is what matters',
    want: [exact(`MSG foo 1 1\r\nx\r\n${PONG}`)],
  }),
  sc('CR inside UNSUB line', [s(`${CQ}SUB foo 1\r\nUNSUB 1\r2\r\n${'PUB foo 1\r\nx\r\n'.repeat(3)}PING\r\n`)], { chunk: false }),
  sc('CR inside CONNECT JSON', [s('CONNECT {"verbose":\rfalse}\r\nPING\r\n')], { chunk: false }),

  // ---- sizes (§2.3) ----
  sc('size token echoed verbatim', [s(`${CQ}SUB foo 1\r\nPUB foo 000000002\r\nhi\r\nPING\r\n`)], {
    want: [exact(`MSG foo 1 000000002\r\nhi\r\n${PONG}`)],
  }),
  sc('size token 00 verbatim', [s(`${CQ}SUB foo 1\r\nPUB foo 00\r\n\r\nPING\r\n`)], { want: [exact(`MSG foo 1 00\r\n\r\n${PONG}`)] }),
  silent('size with 10 digits', 'PUB foo 0000000002\r\nhi\r\n'),
  silent('negative size', 'PUB foo -1\r\n'),
  silent('size with plus sign', 'PUB foo +2\r\nhi\r\n'),
  silent('size with letters', 'PUB foo 2x\r\nhi\r\n'),
  silent('size in hex', 'PUB foo 0x2\r\nhi\r\n'),
  sc('size 9 digits over max payload', [s(`${CQ}PUB foo 999999999\r\n`), s('PING\r\n')], {
    want: [exact(`-ERR 'Maximum Payload Violation'\r\n${EOF}`)],
  }),
  sc('max payload exactly 1 MiB accepted', [s(CQ), s(`SUB big 1\r\nPUB big 1048576\r\n${'z'.repeat(1048576)}\r\nPING\r\n`)], {
    chunk: false,
    want: [{ has: ['MSG big 1 1048576\r\nzzz', `zzz\r\n${PONG}`], closed: false }],
  }),
  sc('max payload 1 MiB + 1 rejected on the control line', [s(`${CQ}PUB big 1048577\r\n`), s('PING\r\n')], {
    want: [exact(`-ERR 'Maximum Payload Violation'\r\n${EOF}`)],
  }),

  // ---- control line limit (§1.10) ----
  sc('control line 4096 bytes of arguments ok', [s(`${CQ}SUB ${x(4094)} 1\r\nPUB ${x(4094)} 0\r\n\r\nPING\r\n`)], {
    want: [exact(`MSG ${x(4094)} 1 0\r\n\r\n${PONG}`)],
  }),
  sc('control line 4097 bytes of arguments', [s(`${CQ}SUB ${x(4095)} 1\r\n`), s('PING\r\n')], {
    want: [exact(`-ERR 'maximum control line exceeded'\r\n${EOF}`)],
  }),
  sc('control line 4096 with bare LF ok', [s(`${CQ}SUB ${x(4094)} 1\nPING\n`)], { want: [exact(PONG)] }),
  sc('control line 4097 with bare LF', [s(`${CQ}SUB ${x(4095)} 1\n`), s('PING\r\n')], {
    want: [exact(`-ERR 'maximum control line exceeded'\r\n${EOF}`)],
  }),
  sc('control line without LF beyond limit', [s(`${CQ}SUB ${x(5000)}`), wait(100), s(' 1\r\nPING\r\n')], {
    want: [exact(`-ERR 'maximum control line exceeded'\r\n${EOF}`)],
  }),
  sc('control line without LF at 4096 waits', [s(`${CQ}SUB ${x(4094)}`), wait(100), s(' 1\r\nPING\r\n')]),
  sc('control line limit on CONNECT', [s(`CONNECT {"name":"${x(5000)}"}\r\n`), s('PING\r\n')], {
    want: [exact(`-ERR 'maximum control line exceeded'\r\n${EOF}`)],
  }),
  sc('no control line limit on PING', [s(`PING ${x(5000)}\r\n`), s('PING\r\n')], { want: [exact(PONG + PONG)] }),
  sc('no control line limit on PING without LF', [s(`PING ${x(5000)}`), wait(100), s('\r\nPING\r\n')], { want: [exact(PONG + PONG)] }),
  sc('no control line limit on PONG', [s(`PONG ${x(5000)}\r\nPING\r\n`)], { want: [exact(PONG)] }),
  sc('no control line limit on +OK', [s(`+OK ${x(5000)}\r\nPING\r\n`)], { want: [exact(PONG)] }),
  sc('control line limit on UNSUB', [s(`${CQ}UNSUB ${x(4097)}\r\n`), s('PING\r\n')], {
    want: [exact(`-ERR 'maximum control line exceeded'\r\n${EOF}`)],
  }),
  sc('control line: many spaces after verb', [s(`${CQ}SUB ${' '.repeat(10)}${x(4090)} 1\r\nPING\r\n`)]),
  sc('control line limit via config', [s(`CONNECT {"verbose":false}\r\nSUB ${x(30)} 1\r\n`), s(`SUB ${x(31)} 2\r\n`), s('PING\r\n')], {
    config: 'max_control_line: 32\n',
    want: [exact(`-ERR 'maximum control line exceeded'\r\n${EOF}`)],
  }),
  sc('control line limit via config on PUB', [s(`CONNECT {"verbose":false}\r\nPUB ${x(31)} 2\r\nhi\r\nPING\r\n`)], {
    config: 'max_control_line: 32\n',
    want: [exact(`-ERR 'maximum control line exceeded'\r\n${EOF}`)],
  }),
  sc('control line limit via config: CONNECT too long', [s('CONNECT {"verbose":false,"pedantic":false}\r\n'), s('PING\r\n')], {
    config: 'max_control_line: 32\n',
    want: [exact(`-ERR 'maximum control line exceeded'\r\n${EOF}`)],
  }),
];
