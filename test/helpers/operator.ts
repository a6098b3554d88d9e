// Operator-mode fixtures made at run time with @nats-io/jwt and @nats-io/nkeys (no secrets in the
// repo): an operator, accounts signed by it, users signed by the accounts, and a raw CONNECT
// with the user JWT and the INFO nonce signed by the user's nkey.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Algorithms, encode, encodeAccount, encodeOperator, encodeUser, type Account, type ClaimsData, type User } from '@nats-io/jwt';
import { createAccount, createOperator, createUser, type KeyPair } from '@nats-io/nkeys';
import { RawClient } from './raw-client.js';

export interface Acct {
  kp: KeyPair;
  pub: string;
  jwt: string;
}

export class Operator {
  readonly kp = createOperator();
  readonly dir = mkdtempSync(path.join(tmpdir(), 'tsnats-op-'));
  readonly file = path.join(this.dir, 'op.jwt');
  readonly sys = createAccount();
  readonly accounts = new Map<string, Acct>();

  async init(): Promise<this> {
    writeFileSync(this.file, await encodeOperator('OP', this.kp, { system_account: this.sys.getPublicKey() }));
    await this.account('SYS', { limits: { conn: -1, subs: -1, payload: -1, data: -1 } }, this.sys);
    return this;
  }

  /** An account JWT signed by this operator (or by `signer`), remembered under `name`. */
  async account(name: string, claims: Partial<Account>, kp: KeyPair = createAccount(), signer: KeyPair = this.kp, exp = 0): Promise<Acct> {
    const jwt = await encodeAccount(name, kp, claims, { signer, ...(exp ? { exp } : {}) });
    const a = { kp, pub: kp.getPublicKey(), jwt };
    this.accounts.set(name, a);
    return a;
  }

  /**
   * An account JWT with the claims exactly as given (`nats` without `limits` means no limits
   * field at all, which encodeAccount would fill in).
   */
  async rawAccount(name: string, nats: Record<string, unknown>): Promise<Acct> {
    const kp = createAccount();
    const claim = { name, sub: kp.getPublicKey(), aud: 'NATS', nats: { type: 'account', version: 2, ...nats } };
    const jwt = await encode(Algorithms.v2, claim as unknown as ClaimsData<unknown>, this.kp);
    const a = { kp, pub: kp.getPublicKey(), jwt };
    this.accounts.set(name, a);
    return a;
  }

  /** A user JWT issued by `acct` (or by `signer`, one of its signing keys, with issuer_account). */
  static async user(
    acct: Acct,
    claims: Partial<User> = {},
    opts: { signer?: KeyPair; exp?: number; nbf?: number; kp?: KeyPair; scoped?: boolean } = {},
  ): Promise<{ kp: KeyPair; jwt: string }> {
    const kp = opts.kp ?? createUser();
    const u = { ...claims };
    const dates = { ...(opts.exp ? { exp: opts.exp } : {}), ...(opts.nbf ? { nbf: opts.nbf } : {}) };
    const jwt =
      opts.signer !== undefined
        ? await encodeUser('U', kp, acct.pub, u, { signer: opts.signer, ...(opts.scoped ? { scopedUser: true } : {}), ...dates })
        : await encodeUser('U', kp, acct.kp, u, dates);
    return { kp, jwt };
  }

  /** The server config: this operator, its system account, MEMORY with every account preloaded. */
  config(extra = ''): string {
    const preload = [...this.accounts.values()].map((a) => `  ${a.pub}: "${a.jwt}"`).join('\n');
    return `operator: "${this.file}"\nsystem_account: ${this.sys.getPublicKey()}\nresolver: MEMORY\nresolver_preload {\n${preload}\n}\n${extra}`;
  }
}

/** The nonce of an INFO line. */
export function nonceOf(info: string): string {
  return (JSON.parse(info.slice(5)) as { nonce?: string }).nonce ?? '';
}

export interface Connected {
  c: RawClient;
  info: string;
}

/**
 * Connects, reads INFO, sends CONNECT with `jwt` and the nonce signed by `kp` (none when null:
 * a bearer JWT), then `then` (default PING). `sig` overrides the signature.
 */
export async function connectJwt(
  port: number,
  jwt: string,
  kp: KeyPair | null,
  o: { sig?: (nonce: string) => string; then?: string } = {},
): Promise<Connected> {
  const c = await RawClient.connect(port);
  const info = (await c.expect(/INFO [^\r]*\r\n/)).trim();
  const nonce = nonceOf(info);
  let sig = '';
  if (o.sig !== undefined) sig = o.sig(nonce);
  else if (kp !== null) sig = Buffer.from(kp.sign(Buffer.from(nonce))).toString('base64url');
  const connect = { verbose: false, pedantic: false, protocol: 1, headers: true, no_responders: true, jwt, ...(sig ? { sig } : {}) };
  c.send(`CONNECT ${JSON.stringify(connect)}\r\n${o.then ?? 'PING\r\n'}`);
  return { c, info };
}

/**
 * What the client got after CONNECT until the server closed it or went quiet: protocol lines,
 * INFO reduced to its max_payload, and `<closed>` when the server closed the connection. The
 * server's keep-alive PINGs (their timing is not under test) are left out.
 */
export async function transcript(c: RawClient, quietMs = 300): Promise<string[]> {
  const text = (await c.readUntilQuiet(quietMs, 8000)).toString('latin1');
  const lines = text
    .split('\r\n')
    .filter((l) => l !== '' && l !== 'PING')
    .map((l) => (l.startsWith('INFO ') ? `INFO max_payload=${(JSON.parse(l.slice(5)) as { max_payload: number }).max_payload}` : l));
  if (c.isClosed) lines.push('<closed>');
  return lines;
}
