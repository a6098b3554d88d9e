// protocol.md §1.1-3, §1.25, §3, §4, §5: CONNECT, defaults, INFO, auth.

import { sc, s, wait, exact, EOF, OK, PONG, UNKNOWN_OP, type Scenario } from './dsl.js';

// A long auth timeout: a loaded machine must not turn a slow script into a timeout.
const AUTH_CONF = 'authorization {\n  user: alice\n  password: secret\n  timeout: 20\n}\n';
const TOKEN_CONF = 'authorization {\n  token: s3cr3t\n  timeout: 20\n}\n';

export const scenarios: Scenario[] = [
  // ---- the seed's telnet session ----
  sc('telnet session from the seed', [
    s('CONNECT {}\r\n'),
    s('PING\r\n'),
    s('SUB CC 10\r\n'),
    s('PUB CC 4\r\n'),
    s('JOHN\r\n'),
    s('UNSUB 10\r\n'),
    s('PUB CC 4\r\nJOHN\r\n'),
    s('PING\r\n'),
  ], { want: [exact(`${OK}${PONG}${OK}${OK}MSG CC 10 4\r\nJOHN\r\n${OK}${OK}${PONG}`)], bytewise: true }),
  sc('INFO only, nothing sent', [], {
    want: [
      exact(''),
      {
        info: [
          'INFO {"server_id":"<server_id>","server_name":"<server_id>","version":"2.9.10","proto":1,"go":"<go>","host":"<host>","port":"<port>","headers":true,"max_payload":1048576,"client_id":"<client_id>","client_ip":"<client_ip>"} \r\n',
        ],
      },
    ],
  }),

  // ---- §1.1 defaults: verbose, pedantic, echo ----
  sc('CONNECT {} gives +OK', [s('CONNECT {}\r\nPING\r\n')], { want: [exact(OK + PONG)] }),
  sc('ops before CONNECT are verbose', [s('SUB foo 1\r\nPUB foo 2\r\nhi\r\nUNSUB 1\r\nPING\r\n')], {
    want: [exact(`${OK}${OK}MSG foo 1 2\r\nhi\r\n${OK}${PONG}`)],
  }),
  sc('ops before CONNECT are pedantic', [s('SUB foo.* 1\r\nPUB foo.* 2\r\nhi\r\nPING\r\n')], { chunk: false,
    want: [exact(`${OK}-ERR 'Invalid Publish Subject'\r\n${OK}MSG foo.* 1 2\r\nhi\r\n${PONG}`)],
  }),
  sc('echo defaults to true', [s('CONNECT {"verbose":false}\r\nSUB e 1\r\nPUB e 1\r\nx\r\nPING\r\n')], {
    want: [exact(`MSG e 1 1\r\nx\r\n${PONG}`)],
  }),
  sc('CONNECT verbose false', [s('CONNECT {"verbose":false}\r\nSUB foo 1\r\nPUB foo 0\r\n\r\nUNSUB 1\r\nPING\r\n')], {
    want: [exact(`MSG foo 1 0\r\n\r\n${PONG}`)],
  }),
  sc('CONNECT without separator', [s('CONNECT{"verbose":false}\r\nPING\r\n')], { want: [exact(PONG)] }),
  sc('CONNECT with tabs and spaces before JSON', [s('CONNECT \t  {"verbose":false}\r\nPING\r\n')], { want: [exact(PONG)] }),
  sc('lower case connect', [s('connect {"verbose":false}\r\nping\r\n')], { want: [exact(PONG)] }),
  sc('CONNECT with whitespace inside JSON', [s('CONNECT { "verbose" : false ,\t"pedantic": false }\r\nPING\r\n')], { want: [exact(PONG)] }),
  sc('CONNECT with trailing space after JSON', [s('CONNECT {"verbose":false} \r\nPING\r\n')]),
  sc('CONNECT bare LF', [s('CONNECT {"verbose":false}\nPING\n')], { want: [exact(PONG)] }),

  // ---- §1.2 second CONNECT is a partial update ----
  sc('second CONNECT keeps verbose=false', [s('CONNECT {"verbose":false}\r\n'), s('CONNECT {"pedantic":false}\r\n'), s('SUB a 1\r\nPING\r\n')], {
    want: [exact(PONG)],
  }),
  sc('second CONNECT turns verbose back on', [s('CONNECT {"verbose":false}\r\nSUB a 1\r\n'), s('CONNECT {"verbose":true}\r\nSUB b 2\r\nPING\r\n')], {
    want: [exact(`${OK}${OK}${PONG}`)],
  }),
  sc('second CONNECT keeps pedantic', [s('CONNECT {"verbose":false}\r\n'), s('CONNECT {"echo":true}\r\nPUB a.* 0\r\n\r\nPING\r\n')], { chunk: false,
    want: [exact(`-ERR 'Invalid Publish Subject'\r\n${PONG}`)],
  }),
  sc('second CONNECT changes echo', [s('CONNECT {"verbose":false}\r\nSUB a 1\r\nPUB a 1\r\n1\r\n'), s('CONNECT {"echo":false}\r\nPUB a 1\r\n2\r\nPING\r\n')], {
    want: [exact(`MSG a 1 1\r\n1\r\n${PONG}`)],
  }),
  sc('CONNECT null keeps defaults', [s('CONNECT null\r\nPING\r\n')], { want: [exact(OK + PONG)] }),
  sc('CONNECT null field leaves value', [s('CONNECT {"verbose":false}\r\nCONNECT {"verbose":null}\r\nPING\r\n')], { want: [exact(PONG)] }),

  // ---- §1.3 keys case-insensitive; bad JSON silent close ----
  sc('CONNECT upper case key', [s('CONNECT {"VERBOSE":false}\r\nPING\r\n')], { want: [exact(PONG)] }),
  sc('CONNECT mixed case keys', [s('CONNECT {"Verbose":false,"PeDaNtIc":false}\r\nPUB a.* 0\r\n\r\nPING\r\n')], { want: [exact(PONG)] }),
  sc('CONNECT duplicate keys last wins', [s('CONNECT {"verbose":false,"Verbose":true}\r\nPING\r\n')], { want: [exact(OK + PONG)] }),
  sc('CONNECT unknown keys ignored', [s('CONNECT {"foo":1,"bar":{"x":[1,2]},"verbose":false}\r\nPING\r\n')], { want: [exact(PONG)] }),
  sc('CONNECT typical client fields', [
    s('CONNECT {"verbose":false,"pedantic":false,"tls_required":false,"name":"x","lang":"node","version":"3.0.0","protocol":1,"echo":true,"headers":true,"no_responders":true}\r\nPING\r\n'),
  ], { want: [exact(PONG)] }),
  sc('CONNECT invalid JSON silent close', [s('CONNECT {"verbose":\r\n'), s('PING\r\n')], { want: [exact(EOF)] }),
  sc('CONNECT type mismatch silent close', [s('CONNECT {"verbose":"yes"}\r\n'), s('PING\r\n')], { want: [exact(EOF)] }),
  sc('CONNECT string for int silent close', [s('CONNECT {"protocol":"1"}\r\n'), s('PING\r\n')], { want: [exact(EOF)] }),
  sc('CONNECT number for string silent close', [s('CONNECT {"name":5}\r\n'), s('PING\r\n')], { want: [exact(EOF)] }),
  sc('CONNECT trailing bytes silent close', [s('CONNECT {"verbose":false} x\r\n'), s('PING\r\n')], { want: [exact(EOF)] }),
  sc('CONNECT two objects silent close', [s('CONNECT {}{}\r\n'), s('PING\r\n')], { want: [exact(EOF)] }),
  sc('CONNECT empty argument silent close', [s('CONNECT\r\n'), s('PING\r\n')], { want: [exact(EOF)] }),
  sc('CONNECT blank argument silent close', [s('CONNECT   \r\n'), s('PING\r\n')], { want: [exact(EOF)] }),
  sc('CONNECT array silent close', [s('CONNECT []\r\n'), s('PING\r\n')], { want: [exact(EOF)] }),
  sc('CONNECT bare word silent close', [s('CONNECT hello\r\n'), s('PING\r\n')], { want: [exact(EOF)] }),
  sc('CONNECT fractional protocol silent close', [s('CONNECT {"protocol":1.5}\r\n'), s('PING\r\n')], { want: [exact(EOF)] }),

  // ---- §5 protocol / no_responders / account ----
  sc('CONNECT protocol 1 ok, no INFO on PING', [s('CONNECT {"protocol":1,"verbose":false}\r\nPING\r\n')], { want: [exact(PONG)] }),
  sc('CONNECT protocol 0 ok', [s('CONNECT {"protocol":0}\r\nPING\r\n')], { want: [exact(OK + PONG)] }),
  sc('CONNECT protocol 2 invalid', [s('CONNECT {"protocol":2}\r\n'), s('PING\r\n')], {
    want: [exact(`-ERR 'invalid client protocol'\r\n${EOF}`)],
  }),
  sc('CONNECT protocol -1 invalid', [s('CONNECT {"protocol":-1}\r\n'), s('PING\r\n')], {
    want: [exact(`-ERR 'invalid client protocol'\r\n${EOF}`)],
  }),
  sc('CONNECT no_responders without headers', [s('CONNECT {"no_responders":true}\r\n'), s('PING\r\n')], {
    want: [exact(`-ERR 'no responders requires headers support'\r\n${EOF}`)],
  }),
  sc('CONNECT no_responders with headers false', [s('CONNECT {"no_responders":true,"headers":false,"verbose":false}\r\n'), s('PING\r\n')], {
    want: [exact(`-ERR 'no responders requires headers support'\r\n${EOF}`)],
  }),
  sc('CONNECT no_responders with headers', [s('CONNECT {"no_responders":true,"headers":true}\r\nPING\r\n')], { want: [exact(OK + PONG)] }),
  sc('CONNECT account field', [s('CONNECT {"account":"A"}\r\n'), s('PING\r\n')], {
    want: [exact(`-ERR 'Authorization Violation'\r\n${EOF}`)],
  }),
  sc('CONNECT empty account field', [s('CONNECT {"account":""}\r\nPING\r\n')], { want: [exact(OK + PONG)] }),
  sc('CONNECT new_account field', [s('CONNECT {"new_account":true}\r\n'), s('PING\r\n')], {
    want: [exact(`-ERR 'Authorization Violation'\r\n${EOF}`)],
  }),
  sc('CONNECT account and protocol 2: account checked first', [s('CONNECT {"account":"A","protocol":2}\r\n'), s('PING\r\n')], {
    want: [exact(`-ERR 'Authorization Violation'\r\n${EOF}`)],
  }),
  sc('CONNECT protocol 2 and no_responders: protocol checked first', [s('CONNECT {"protocol":2,"no_responders":true}\r\n'), s('PING\r\n')], {
    want: [exact(`-ERR 'invalid client protocol'\r\n${EOF}`)],
  }),
  sc('CONNECT credentials ignored without auth', [s('CONNECT {"user":"x","pass":"y","auth_token":"z"}\r\nPING\r\n')], { want: [exact(OK + PONG)] }),
  sc('CONNECT jwt ignored without operator', [s('CONNECT {"jwt":"eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5In0.e30.x","verbose":false}\r\nPING\r\n')]),

  // ---- INFO from a client; -ERR from a client ----
  sc('client INFO is ignored', [s('INFO {"server_id":"x"}\r\nPING\r\n')]),
  sc('client INFO bad JSON silent close', [s('INFO {bad\r\n'), s('PING\r\n')], { want: [exact(EOF)] }),
  sc('client -ERR silent close', [s("-ERR 'oops'\r\n"), s('PING\r\n')], { want: [exact(EOF)] }),
  sc('client +OK ignored', [s('+OK\r\nPING\r\n')], { want: [exact(PONG)] }),
  sc('client +OK with junk ignored', [s('+OKAY whatever\r\nPING\r\n')], { want: [exact(PONG)] }),

  // ---- §1.24 first PING ~2 s after CONNECT, none before CONNECT ----
  sc('server PING about 2 s after CONNECT', [s('CONNECT {"verbose":false}\r\n'), wait(1000), s('PING\r\n'), wait(2000)], {
    chunk: false,
    serverPings: true,
    want: [exact(`${PONG}PING\r\n`)],
  }),
  sc('no server PING within 3 s without CONNECT', [s('PING\r\n'), wait(3000)], { chunk: false, serverPings: true, want: [exact(PONG)] }),

  // ---- §1.25 / §12 auth ----
  sc('auth: INFO says auth_required', [], { config: AUTH_CONF, want: [{ info: ['"headers":true,"auth_required":true,"max_payload":1048576,'] }] }),
  sc('auth: PING first is Authorization Violation', [s('PING\r\n')], {
    config: AUTH_CONF,
    want: [exact(`-ERR 'Authorization Violation'\r\n${EOF}`)],
  }),
  sc('auth: SUB first is Authorization Violation', [s('SUB foo 1\r\n')], {
    config: AUTH_CONF,
    want: [exact(`-ERR 'Authorization Violation'\r\n${EOF}`)],
  }),
  sc('auth: CX while pending is a parse error', [s('CX\r\n')], { config: AUTH_CONF, want: [exact(`${UNKNOWN_OP}${EOF}`)] }),
  sc('auth: good user/pass', [s('CONNECT {"user":"alice","pass":"secret"}\r\nPING\r\n')], {
    config: AUTH_CONF,
    want: [exact(OK + PONG)],
  }),
  sc('auth: lower case connect accepted', [s('connect {"user":"alice","pass":"secret","verbose":false}\r\nPING\r\n')], {
    config: AUTH_CONF,
    want: [exact(PONG)],
  }),
  sc('auth: wrong password', [s('CONNECT {"user":"alice","pass":"nope"}\r\n'), s('PING\r\n')], {
    config: AUTH_CONF,
    want: [exact(`-ERR 'Authorization Violation'\r\n${EOF}`)],
  }),
  sc('auth: no credentials', [s('CONNECT {}\r\n'), s('PING\r\n')], {
    config: AUTH_CONF,
    want: [exact(`-ERR 'Authorization Violation'\r\n${EOF}`)],
  }),
  sc('auth: bad JSON is silent close', [s('CONNECT {\r\n'), s('PING\r\n')], { config: AUTH_CONF, want: [exact(EOF)] }),
  sc('auth: timeout', [wait(1200)], {
    config: 'authorization {\n  user: alice\n  password: secret\n  timeout: 0.5\n}\n',
    chunk: false,
    want: [exact(`-ERR 'Authentication Timeout'\r\n${EOF}`)],
  }),
  sc('auth: token good', [s('CONNECT {"auth_token":"s3cr3t","verbose":false}\r\nPING\r\n')], { config: TOKEN_CONF, want: [exact(PONG)] }),
  sc('auth: token bad', [s('CONNECT {"auth_token":"x"}\r\n'), s('PING\r\n')], {
    config: TOKEN_CONF,
    want: [exact(`-ERR 'Authorization Violation'\r\n${EOF}`)],
  }),
  sc('auth: second CONNECT with bad credentials', [s('CONNECT {"user":"alice","pass":"secret"}\r\n'), s('CONNECT {"pass":"bad"}\r\n'), s('PING\r\n')], {
    config: AUTH_CONF,
    want: [exact(`${OK}-ERR 'Authorization Violation'\r\n${EOF}`)],
  }),

  sc('auth: users list and no_auth_user', [s('CONNECT {"verbose":false}\r\nPING\r\n')], {
    config: 'authorization {\n  users: [\n    { user: a, password: b }\n  ]\n  timeout: 20\n}\nno_auth_user: a\n',
    want: [exact(PONG), { info: ['"headers":true,"max_payload":1048576,'] }],
  }),
  sc('auth: users list, wrong user', [s('CONNECT {"user":"x","pass":"b"}\r\n'), s('PING\r\n')], {
    config: 'authorization {\n  users: [\n    { user: a, password: b }\n  ]\n  timeout: 20\n}\n',
    want: [exact(`-ERR 'Authorization Violation'\r\n${EOF}`)],
  }),
  sc('auth: permissions violations keep the connection', [
    s(`CONNECT {"user":"a","pass":"b","verbose":false}\r\nPUB secret.x 1\r\nx\r\nSUB no.x 1\r\nSUB q.a other 2\r\nSUB q.a grp 3\r\nSUB ok.x 4\r\nSUB ok.y g 5\r\nPUB ok.x 1\r\ny\r\nPING\r\n`),
  ], {
    config:
      'authorization {\n  users: [\n    { user: a, password: b, permissions: { publish: { deny: ["secret.>"] }, subscribe: { allow: ["ok.>", "q.* grp"] } } }\n  ]\n  timeout: 20\n}\n',
    want: [
      exact(
        `-ERR 'Permissions Violation for Publish to "secret.x"'\r\n-ERR 'Permissions Violation for Subscription to "no.x"'\r\n-ERR 'Permissions Violation for Subscription to "q.a" using queue "other"'\r\nMSG ok.x 4 1\r\ny\r\n${PONG}`,
      ),
    ],
  }),

  // ---- INFO contents under config ----
  sc('INFO with server_name', [s('PING\r\n')], { config: 'server_name: tsnats-diff\n', want: [exact(PONG), { info: ['"server_name":"tsnats-diff"'] }] }),
  sc('INFO with max_payload from config', [s('PING\r\n')], { config: 'max_payload: 2048\n', want: [exact(PONG), { info: ['"max_payload":2048,'] }] }),
  sc('INFO with no_header_support', [s('PING\r\n')], { config: 'no_header_support: true\n', want: [exact(PONG), { info: ['"headers":false,'] }] }),
];
