// TLS certificate to user mapping (`tls { verify_and_map: true }`): certificates made with
// openssl in a temp dir, the official client presenting them, tsnats in-process, and nats-server
// 2.9.10 side by side with the same config (the auth outcome and the auth log lines compared).
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { certNames, dnEqual, dnFromSubject, dnRdnsMatch, goSubjectString, parseDn } from '../src/client/cert-map.js';
import { parseConfigString } from '../src/config/conf.js';
import { applyFlags, parseFlags } from '../src/config/flags.js';
import { optionsFromConfig } from '../src/config/options.js';
import type { ServerOptions } from '../src/config/types.js';
import { type ServerHandle, startServer } from '../src/index.js';
import { natsServerCheck, tsnatsCheck } from './helpers/conf-check.js';
import { spawnServer, type SpawnedServer } from './helpers/spawn-server.js';

let dir = '';
const f = (name: string): string => join(dir, name);
function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore', timeout: 10_000 });
}
/** A CA-signed certificate `name.pem` / `name-key.pem` with this subject (openssl -subj) and extensions. */
function signed(name: string, subj: string, ext = '', reqArgs: string[] = []): void {
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f(`${name}-key.pem`), '-out', f(`${name}.csr`), '-subj', subj, ...reqArgs);
  if (ext !== '') writeFileSync(f(`${name}.ext`), ext);
  const extArgs = ext !== '' ? ['-extfile', f(`${name}.ext`)] : [];
  openssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca-key.pem'), '-CAcreateserial', '-out', f(`${name}.pem`), '-days', '2', ...extArgs);
}
const der = (name: string): Uint8Array => new X509Certificate(readFileSync(f(`${name}.pem`))).raw;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsnats-tlsmap-'));
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('ca-key.pem'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=tsnats test CA');
  signed('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  signed('email', '/CN=emailuser', 'subjectAltName=email:alice@example.com\n');
  signed('dns', '/CN=dnsuser', 'subjectAltName=DNS:bob.example.com\n');
  signed('dn', '/C=US/ST=CA/L=LA/O=Synadia/OU=nats.io/CN=example.com');
  signed('nobody', '/CN=nobody');
  signed('acct', '/O=tsnats/CN=acct');
  signed('multi', '/O=Org/OU=a+OU=b/CN=multi', '', ['-multivalue-rdn']);
  signed('dc', '/DC=org/DC=example/CN=dcuser');
  signed('dcmail', '/DC=org/DC=example/CN=u/emailAddress=u@example.org');
  signed('mail', '/CN=x/emailAddress=x@example.org');
  signed('reordered', '/CN=ord/O=Zed/C=DE');
  signed('escaped', '/CN=\\#lead\\, "q" <x>;y\\+z /O= Trail ');
  signed('utf8', '/CN=Zoë Ünïcode', '', ['-utf8']);
  signed('uri', '/CN=uriuser', 'subjectAltName=URI:spiffe://ex.org/w\n');
  signed('dnsonly', '/', 'subjectAltName=DNS:empty.example.com\n');
  signed('wsonly', '/CN=carol', 'subjectAltName=email:carol@example.com\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const started: ServerHandle[] = [];
const conns: NatsConnection[] = [];
afterEach(async () => {
  await Promise.all(conns.splice(0).map((nc) => nc.close().catch(() => {})));
  await Promise.all(started.splice(0).map((s) => s.shutdown()));
});

const tlsBlock = (): string =>
  `tls { cert_file: "${f('server.pem')}", key_file: "${f('server-key.pem')}", ca_file: "${f('ca.pem')}", verify_and_map: true }\n`;

function confOptions(body: string): ServerOptions {
  return optionsFromConfig(parseConfigString(tlsBlock() + body));
}

/** tsnats in-process with `tls { verify_and_map }` and `body`; its log lines (with debug) in `lines`. */
async function mapServer(body: string): Promise<{ s: ServerHandle; lines: string[] }> {
  const lines: string[] = [];
  const s = await startServer({ ...confOptions(body), host: '127.0.0.1', port: -1, debug: true, log: (l) => lines.push(l) });
  started.push(s);
  return { s, lines };
}

async function client(port: number, cert: string, extra: { user?: string; pass?: string } = {}): Promise<NatsConnection> {
  const nc = await connect({
    servers: `127.0.0.1:${port}`,
    tls: { caFile: f('ca.pem'), certFile: f(`${cert}.pem`), keyFile: f(`${cert}-key.pem`) },
    timeout: 5000,
    reconnect: false,
    ...extra,
  });
  conns.push(nc);
  return nc;
}

/** The connect error's message, or 'connected'. */
async function outcome(port: number, cert: string, extra: { user?: string; pass?: string } = {}): Promise<string> {
  try {
    const nc = await client(port, cert, extra);
    await nc.flush();
    return 'connected';
  } catch (e) {
    return (e as Error).message;
  }
}

/** Each connection's authorized_user and account (none shown for $G, as nats-server). */
function authorizedUsers(s: ServerHandle): [string | undefined, string | undefined][] {
  return (s.connz({ auth: true }).connections ?? []).map((c) => [c.authorized_user, c.account]);
}

/** The error messages the client's status stream reports, collected as they come. */
function errorsOf(nc: NatsConnection): string[] {
  const errors: string[] = [];
  void (async () => {
    for await (const st of nc.status()) if (st.type === 'error') errors.push(String(st.error.message));
  })();
  return errors;
}

describe('certificate names and subject strings (Go rules)', () => {
  it('reads the email, DNS and URI SANs', () => {
    expect(certNames(der('email'))).toMatchObject({ emails: ['alice@example.com'], dnsNames: [], uris: [] });
    expect(certNames(der('dns'))).toMatchObject({ emails: [], dnsNames: ['bob.example.com'], uris: [] });
    expect(certNames(der('uri'))?.uris).toEqual(['spiffe://ex.org/w']);
    expect(certNames(der('nobody'))?.subject).toEqual([[{ oid: '2.5.4.3', value: 'nobody' }]]);
    expect(certNames(new Uint8Array([0x30, 0x05, 0x01]))).toBeNull();
  });

  it("the subject string is pkix's RDNSequence string: its field order, most specific first, escaped", () => {
    const subj = (name: string): string => goSubjectString(certNames(der(name))!.subject);
    expect(subj('dn')).toBe('CN=example.com,OU=nats.io,O=Synadia,L=LA,ST=CA,C=US');
    expect(subj('multi')).toBe('CN=multi,OU=a+OU=b,O=Org');
    // Go orders by field (C, ST, L, ..., O, OU, CN), not by the certificate's order.
    expect(subj('reordered')).toBe('CN=ord,O=Zed,C=DE');
    // DC and emailAddress have no pkix field: they are not in the string.
    expect(subj('dcmail')).toBe('CN=u');
    expect(subj('escaped')).toBe('CN=\\#lead\\, \\"q\\" \\<x\\>\\;y\\+z\\ ,O=\\ Trail\\ ');
    expect(subj('utf8')).toBe('CN=Zoë Ünïcode');
    expect(subj('dnsonly')).toBe('');
  });

  it('the certificate DN (go-ldap): most specific first; unknown attribute types make none', () => {
    expect(dnFromSubject(certNames(der('reordered'))!.subject)).toEqual([
      [{ type: 'C', value: 'DE' }],
      [{ type: 'O', value: 'Zed' }],
      [{ type: 'CN', value: 'ord' }],
    ]);
    expect(dnFromSubject(certNames(der('dc'))!.subject)).toEqual([
      [{ type: 'CN', value: 'dcuser' }],
      [{ type: 'DC', value: 'example' }],
      [{ type: 'DC', value: 'org' }],
    ]);
    expect(dnFromSubject(certNames(der('dcmail'))!.subject)).toBeNull();
  });

  it('ParseDN as go-ldap: spaces, escapes, hex pairs, multi-valued RDNs; plain names are not DNs', () => {
    expect(parseDn(' CN = a\\,b , O=x\\2By+OU=z\\ ')).toEqual([
      [{ type: 'CN', value: 'a,b' }],
      [
        { type: 'O', value: 'x+y' },
        { type: 'OU', value: 'z ' },
      ],
    ]);
    expect(parseDn('alice')).toBeNull();
    expect(parseDn('alice@example.com')).toBeNull();
    expect(parseDn('CN=#0101')).toBeNull();
    expect(parseDn('CN=a\\')).toEqual([[{ type: 'CN', value: 'a' }]]); // a trailing backslash is dropped
    expect(parseDn('CN=a\\zz')).toBeNull();
    expect(parseDn('=a,CN=b')).toBeNull();
    const cert = parseDn('CN=u,OU=a+OU=b,O=Org')!;
    expect(dnEqual(parseDn('cn=u,ou=b+ou=a,o=Org')!, cert)).toBe(true);
    expect(dnEqual(parseDn('O=Org,CN=u,OU=a+OU=b')!, cert)).toBe(false);
    expect(dnRdnsMatch(parseDn('O=Org,CN=u,OU=a+OU=b')!, cert)).toBe(true);
    expect(dnRdnsMatch(parseDn('O=Org,CN=u,OU=a')!, cert)).toBe(false);
    expect(dnEqual(parseDn('CN=U,OU=a+OU=b,O=Org')!, cert)).toBe(false); // values are compared exactly
  });
});

describe('verify_and_map', () => {
  const users = `authorization { users: [
    { user: "alice@example.com", permissions: { publish: "alice.>", subscribe: ">" } }
    { user: "bob.example.com", permissions: { publish: "bob.>", subscribe: ">" } }
    { user: "CN=example.com,OU=nats.io,O=Synadia,L=LA,ST=CA,C=US" }
  ] }\n`;

  it('an email SAN, a DNS SAN and the subject DN each map to their user; INFO asks for a verified certificate', async () => {
    const { s, lines } = await mapServer(users);
    await client(s.port, 'email');
    await client(s.port, 'dns');
    const nc = await client(s.port, 'dn');
    expect(nc.info?.tls_verify).toBe(true);
    expect(nc.info?.auth_required).toBe(true);
    expect(authorizedUsers(s)).toEqual([
      ['alice@example.com', undefined],
      ['bob.example.com', undefined],
      ['CN=example.com,OU=nats.io,O=Synadia,L=LA,ST=CA,C=US', undefined],
    ]);
    const auth = lines.filter((l) => l.includes('for auth'));
    expect(auth[0]).toMatch(/\[DBG\] 127\.0\.0\.1:\d+ - cid:\d+ - (?:"[^"]*" - )?Using email found in cert for auth \["alice@example\.com"\]\n$/);
    expect(auth[1]).toMatch(/Using SAN found in cert for auth \["bob\.example\.com"\]\n$/);
    expect(auth[2]).toMatch(/Using DistinguishedNameMatch for auth \["CN=example\.com,OU=nats\.io,O=Synadia,L=LA,ST=CA,C=US"\]\n$/);
    // Users without a password are no plaintext-password warning when certificates map them.
    expect(lines.join('')).not.toContain('Plaintext passwords');
    expect(lines.join('')).not.toContain('not supported');
  });

  it('a certificate that maps to no user: Authorization Violation, logged as nats-server does', async () => {
    const { s, lines } = await mapServer(users);
    expect(await outcome(s.port, 'nobody')).toBe('Authorization Violation');
    expect(lines.find((l) => l.includes('[ERR]'))).toMatch(/\[ERR\] 127\.0\.0\.1:\d+ - cid:\d+ - (?:"[^"]*" - )?authentication error - User ""\n$/);
    expect(lines.join('')).toContain('User in cert ["CN=nobody"], not found');
    expect((s.connz({ state: 'closed' }).connections ?? []).map((c) => c.reason)).toEqual(['Authentication Failure']);
    // A plain verified certificate is no way around it either (no CONNECT user is taken).
    expect(await outcome(s.port, 'nobody', { user: 'alice@example.com' })).toBe('Authorization Violation');
  });

  it('two certificates, two users: each publishes under its own permissions', async () => {
    const { s } = await mapServer(users);
    const alice = await client(s.port, 'email');
    const bob = await client(s.port, 'dns');
    const watcher = await client(s.port, 'dn');
    const sub = watcher.subscribe('>');
    await watcher.flush();
    const bobErrors = errorsOf(bob);
    const aliceErrors = errorsOf(alice);
    alice.publish('alice.x', 'from alice');
    bob.publish('alice.x', 'from bob');
    bob.publish('bob.y', 'bob ok');
    await alice.flush();
    await bob.flush();
    await watcher.flush();
    const got: string[] = [];
    const msgs = sub[Symbol.asyncIterator]();
    for (let i = 0; i < 2; i++) {
      const m = await msgs.next();
      got.push(`${m.value!.subject}:${m.value!.string()}`);
    }
    expect(got).toEqual(['alice.x:from alice', 'bob.y:bob ok']);
    await expect.poll(() => bobErrors.join('|')).toMatch(/Permissions Violation for Publish to "alice\.x"/i);
    expect(aliceErrors).toEqual([]);
    expect(bob.isClosed()).toBe(false);
  });

  it('a user in an account: the mapped client lives there, apart from $G', async () => {
    const { s } = await mapServer(`accounts { A { users: [ { user: "CN=acct,O=tsnats" } ] } }
      authorization { users: [ { user: "bob.example.com" } ] }\n`);
    const a1 = await client(s.port, 'acct');
    const a2 = await client(s.port, 'acct');
    const g = await client(s.port, 'dns');
    const inA = a2.subscribe('x');
    const inG = g.subscribe('x');
    await a2.flush();
    await g.flush();
    a1.publish('x', 'a');
    await a1.flush();
    const m = await inA[Symbol.asyncIterator]().next();
    expect(m.value!.string()).toBe('a');
    await g.flush();
    expect(inG.getReceived()).toBe(0);
    expect(authorizedUsers(s)).toEqual([
      ['CN=acct,O=tsnats', 'A'],
      ['CN=acct,O=tsnats', 'A'],
      ['bob.example.com', undefined],
    ]);
  });

  it("a mapped user's password must still be sent; a CONNECT user is overridden, with a warning", async () => {
    const { s, lines } = await mapServer(`authorization { users: [ { user: "alice@example.com", password: pw } ] }\n`);
    expect(await outcome(s.port, 'email')).toBe('Authorization Violation');
    expect(lines.join('')).toContain('authentication error - User "alice@example.com"');
    expect(await outcome(s.port, 'email', { user: 'zed', pass: 'nope' })).toBe('Authorization Violation');
    expect(await outcome(s.port, 'email', { user: 'zed', pass: 'pw' })).toBe('connected');
    expect(lines.some((l) => /\[WRN\] User "zed" found in connect proto, but user required from cert\n$/.test(l))).toBe(true);
    expect(authorizedUsers(s)).toEqual([['alice@example.com', undefined]]);
  });

  it('no_auth_user: INFO says no auth, a CONNECT still needs a mapped certificate, a first PING is that user', async () => {
    const { s } = await mapServer(`authorization { users: [ { user: "bob.example.com" } ] }\nno_auth_user: "bob.example.com"\n`);
    const first = await rawTls(s.port, 'nobody', 'CONNECT {}\r\nPING\r\n');
    expect(first.info.auth_required).toBeUndefined();
    expect(first.data).toBe("-ERR 'Authorization Violation'\r\n");
    expect((await rawTls(s.port, 'nobody', 'PING\r\n')).data).toBe('PONG\r\n');
    expect(await outcome(s.port, 'dns')).toBe('connected');
  });

  it('a reload re-applies the users list to mapped clients; verify_and_map itself cannot be reloaded', async () => {
    const { s } = await mapServer(users);
    const alice = await client(s.port, 'email');
    const bob = await client(s.port, 'dns');
    const aliceErrors = errorsOf(alice);
    const next = confOptions(`authorization { users: [ { user: "alice@example.com", permissions: { publish: "other.>" } } ] }\n`);
    s.reload({ users: next.users });
    expect(await bob.closed()).toBeUndefined(); // its user is gone: closed without an error
    alice.publish('alice.x', 'now denied');
    await alice.flush();
    await expect.poll(() => aliceErrors.join('|')).toMatch(/Permissions Violation for Publish to "alice\.x"/i);
    expect(authorizedUsers(s)).toEqual([['alice@example.com', undefined]]);
    expect(() => s.reload({ tlsMap: false })).toThrow('config reload not supported for TLSMap: old=true, new=false');
  });
});

/** A raw TLS client: INFO in plain text, the handshake with `cert`, then `send`; what comes back within 1 s. */
function rawTls(port: number, cert: string, send: string): Promise<{ info: Record<string, unknown>; data: string }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.on('error', reject);
    sock.once('data', (d) => {
      const info = JSON.parse(/^INFO (\{.*\}) \r\n/.exec(d.toString('latin1'))![1]!) as Record<string, unknown>;
      const t = tls.connect({
        socket: sock,
        ca: readFileSync(f('ca.pem')),
        cert: readFileSync(f(`${cert}.pem`)),
        key: readFileSync(f(`${cert}-key.pem`)),
        checkServerIdentity: () => undefined,
      });
      let data = '';
      const done = (): void => {
        clearTimeout(timer);
        t.destroy();
        resolve({ info, data });
      };
      const timer = setTimeout(done, 1000);
      t.on('secureConnect', () => t.write(send));
      t.on('data', (x: Buffer) => (data += x.toString('latin1')));
      t.on('error', () => {});
      t.on('close', done);
    });
  });
}

describe('config: verify_and_map and verify_cert_and_check_known_urls as nats-server -t judges them', () => {
  const cases: [string, string][] = [
    ['map', 'verify_and_map: true'],
    ['map off', 'verify_and_map: false'],
    ['map not a bool', 'verify_and_map: "yes"'],
    ['known urls on clients', 'verify_cert_and_check_known_urls: true'],
    ['known urls off', 'verify_cert_and_check_known_urls: false'],
    ['known urls not a bool', 'verify_cert_and_check_known_urls: 1'],
  ];
  for (const [name, line] of cases) {
    it(name, () => {
      const file = f(`check-${name.replaceAll(' ', '-')}.conf`);
      writeFileSync(file, `tls {\n  cert_file: "${f('server.pem')}"\n  key_file: "${f('server-key.pem')}"\n  ca_file: "${f('ca.pem')}"\n  ${line}\n}\n`);
      const ns = natsServerCheck(file, dir);
      expect(tsnatsCheck(file)).toEqual(ns);
    });
  }

  it('both are fine in the cluster block (its TLS is not applied by tsnats)', () => {
    const file = f('check-cluster.conf');
    writeFileSync(
      file,
      `cluster {\n  listen: "127.0.0.1:-1"\n  tls { cert_file: "${f('server.pem')}", key_file: "${f('server-key.pem')}", ca_file: "${f('ca.pem')}", verify_cert_and_check_known_urls: true, verify_and_map: true }\n}\n`,
    );
    expect(natsServerCheck(file, dir)).toEqual({ ok: true, stderr: '' });
    expect(tsnatsCheck(file)).toEqual({ ok: true, stderr: '' });
  });

  it('verify_and_map implies verify; verify_and_map: false leaves verify as set', () => {
    expect(confOptions('').tls?.verify).toBe(true);
    expect(confOptions('').tlsMap).toBe(true);
    const off = optionsFromConfig(
      parseConfigString(`tls { cert_file: "${f('server.pem')}", key_file: "${f('server-key.pem')}", verify: true, verify_and_map: false }\n`),
    );
    expect([off.tls?.verify, off.tlsMap]).toEqual([true, false]);
  });

  it('no flag sets it; the --tls* flags replace the TLS block and leave it on (nats-server keeps TLSMap)', () => {
    const o = confOptions('');
    applyFlags(o, parseFlags(['--tlscert', f('server.pem'), '--tlskey', f('server-key.pem'), '--tlscacert', f('ca.pem'), '--tlsverify']));
    expect([o.tls?.verify, o.tls?.caFile, o.tlsMap]).toEqual([true, f('ca.pem'), true]);
    expect(() => parseFlags(['--tlsmap'])).toThrow();
  });
});

describe('side by side with nats-server 2.9.10', () => {
  const servers: SpawnedServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  /** The auth lines of a server's output: `LEVEL text`, without the client prefix (and nats-server's client name). */
  function authLines(out: string): string[] {
    const keep = /for auth|not found|none found|authentication error|found in connect proto/;
    return out
      .split('\n')
      .map((l) => /\[(DBG|ERR|WRN)\] (?:\S+ - cid:\d+ - (?:"[^"]*" - )?)?(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null && keep.test(m[2]!))
      .map((m) => `${m[1]} ${m[2]}`);
  }

  it('every certificate gets the same outcome and the same auth log lines', async () => {
    const config =
      tlsBlock() +
      `authorization { users: [
        { user: "alice@example.com" }
        { user: "bob.example.com" }
        { user: "empty.example.com" }
        { user: "CN=example.com,OU=nats.io,O=Synadia,L=LA,ST=CA,C=US" }
        { user: "OU=b+OU=a,CN=multi,O=Org" }
        { user: "CN=dcuser,DC=example,DC=org" }
        { user: "CN=u,DC=org,DC=example" }
        { user: "C=DE,O=Zed,CN=ord" }
        { user: 'CN=\\#lead\\, \\"q\\" \\<x\\>\\;y\\+z\\ ,O=\\ Trail\\ ' }
        { user: "CN=x" }
        { user: "CN=Zoë Ünïcode" }
        { user: "spiffe://ex.org/w" }
        { user: "carol@example.com", allowed_connection_types: ["WEBSOCKET"] }
        { user: "CN=carol" }
      ] }\n`;
    const certs = ['email', 'dns', 'dn', 'nobody', 'multi', 'dc', 'dcmail', 'mail', 'reordered', 'escaped', 'utf8', 'uri', 'dnsonly', 'wsonly'];
    const results: Record<string, { outcomes: string[]; lines: string[] }> = {};
    for (const kind of ['nats-server', 'tsnats'] as const) {
      const srv = await spawnServer(kind, { config, args: ['-D'] });
      servers.push(srv);
      const outcomes: string[] = [];
      for (const cert of certs) outcomes.push(`${cert}: ${await outcome(srv.port, cert)}`);
      await Promise.all(conns.splice(0).map((nc) => nc.close().catch(() => {})));
      // Both log every attempt (a match or a "not found"); wait until the last one is out.
      await expect.poll(() => authLines(srv.output()).filter((l) => l.startsWith('DBG')).length, { timeout: 5000 }).toBeGreaterThanOrEqual(certs.length - 1);
      results[kind] = { outcomes, lines: authLines(srv.output()) };
    }
    expect(results.tsnats).toEqual(results['nats-server']);
    // What the run covers: each lookup path, the misses, and the DNS-only certificate with no subject.
    const lines = results.tsnats!.lines.join('\n');
    for (const path of ['email found', 'SAN found', 'URI found', 'DistinguishedNameMatch for', 'RDNSequence for', 'certificate subject for', 'none found']) {
      expect(lines).toContain(path);
    }
    expect(results.tsnats!.outcomes).toContain('nobody: Authorization Violation');
    expect(results.tsnats!.outcomes).toContain('dnsonly: Authorization Violation');
    expect(results.tsnats!.outcomes).toContain('wsonly: connected');
    expect(results.tsnats!.outcomes).toContain('escaped: connected');
    expect(results.tsnats!.outcomes).toContain('utf8: connected');
  });
});
