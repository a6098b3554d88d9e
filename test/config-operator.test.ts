// Operator mode's config keys (src/config/operator.ts): `operator`, `system_account` beside it,
// `resolver` (MEMORY, or a full directory resolver) and `resolver_preload`, checked against the
// installed `nats-server -t` and nats-server's start-up with the same files. Keys and JWTs are
// made here with @nats-io/jwt and @nats-io/nkeys.

import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { encodeAccount, encodeOperator, encodeUser } from '@nats-io/jwt';
import { createAccount, createOperator, createUser } from '@nats-io/nkeys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigString } from '../src/config/conf.js';
import { optionsFromConfig } from '../src/config/options.js';
import { errorLines, natsServerCheck, natsServerStart, tsnatsCheck, tsnatsStart } from './helpers/conf-check.js';

interface Keys {
  dir: string;
  /** An operator JWT file without and with a system account, their inline forms. */
  op: string;
  opSys: string;
  opJwt: string;
  sys: string;
  acc: string;
  accJwt: string;
  sysJwt: string;
  userJwt: string;
}
const k = {} as Keys;

beforeAll(async () => {
  k.dir = mkdtempSync(path.join(tmpdir(), 'tsnats-opconf-'));
  const okp = createOperator();
  const akp = createAccount();
  const skp = createAccount();
  k.sys = skp.getPublicKey();
  k.acc = akp.getPublicKey();
  k.opJwt = await encodeOperator('O', okp);
  k.op = path.join(k.dir, 'op.jwt');
  writeFileSync(k.op, k.opJwt);
  k.opSys = path.join(k.dir, 'opsys.jwt');
  writeFileSync(k.opSys, await encodeOperator('O', okp, { system_account: k.sys }));
  k.accJwt = await encodeAccount('A', akp, { limits: { conn: -1 } }, { signer: okp });
  k.sysJwt = await encodeAccount('SYS', skp, {}, { signer: okp });
  k.userJwt = await encodeUser('U', createUser(), akp);
  mkdirSync(path.join(k.dir, 'jwts'));
});
afterAll(() => rmSync(k.dir, { recursive: true, force: true }));

type Case = [string, (k: Keys) => string];

// Verdicts under -t (no start-up validation).
const checkCases: Case[] = [
  ['operator file and MEMORY with a preload', (k) => `operator: "${k.op}"\nresolver: MEMORY\nresolver_preload { ${k.acc}: "${k.accJwt}" }`],
  ['operator inline', (k) => `operator: "${k.opJwt}"\nresolver: MEM`],
  ['operator file missing', (k) => `operator: "${k.dir}/nope.jwt"`],
  ['operator not a string', () => 'operator: 1'],
  ['operators as a list (2.9.10 refuses it)', (k) => `operators: ["${k.op}", "${k.opSys}"]\nresolver: MEMORY`],
  ['operator garbage', () => 'operator: "eyJhbGc"\nresolver: MEMORY'],
  ['an account JWT as the operator', (k) => `operator: "${k.accJwt}"\nresolver: MEMORY`],
  ['a user JWT as the operator', (k) => `operator: "${k.userJwt}"\nresolver: MEMORY`],
  ['preload not a map', (k) => `operator: "${k.op}"\nresolver: MEMORY\nresolver_preload: 1`],
  ['preload value not a JWT', (k) => `operator: "${k.op}"\nresolver: MEMORY\nresolver_preload { ${k.acc}: xyz }`],
  ['preload value a user JWT', (k) => `operator: "${k.op}"\nresolver: MEMORY\nresolver_preload { ${k.acc}: "${k.userJwt}" }`],
  ['preload value not a string', (k) => `operator: "${k.op}"\nresolver: MEMORY\nresolver_preload { ${k.acc}: 1 }`],
  ['resolver not MEM', (k) => `operator: "${k.op}"\nresolver: FOO`],
  ['resolver of a wrong type', (k) => `operator: "${k.op}"\nresolver: 1`],
  ['full resolver', (k) => `operator: "${k.op}"\nsystem_account: ${k.sys}\nresolver { type: full, dir: "${k.dir}/jwts" }`],
  ['full resolver without dir', (k) => `operator: "${k.op}"\nsystem_account: ${k.sys}\nresolver { type: full }`],
  ['full resolver on a file', (k) => `operator: "${k.op}"\nresolver { type: full, dir: "${k.op}" }`],
  ['full resolver with ttl', (k) => `operator: "${k.op}"\nresolver { type: full, dir: "${k.dir}/jwts", ttl: "1s" }`],
  ['full resolver interval not a string', (k) => `operator: "${k.op}"\nresolver { type: full, dir: "${k.dir}/jwts", interval: 5 }`],
  ['full resolver bad interval', (k) => `operator: "${k.op}"\nresolver { type: full, dir: "${k.dir}/jwts", interval: "5x" }`],
  ['resolver map of an unknown type', (k) => `operator: "${k.op}"\nresolver { type: bogus, dir: "${k.dir}/jwts" }`],
  [
    'full resolver with every key',
    (k) => `operator: "${k.op}"\nsystem_account: ${k.sys}\nresolver { type: full, dir: "${k.dir}/jwts", allow_delete: true, interval: "2m", limit: 10 }`,
  ],
];

describe('agrees with nats-server -t', () => {
  it.each(checkCases.map(([name, conf], i) => [name, conf, i] as const))('%s', (_name, conf, i) => {
    const file = path.join(k.dir, `check${i}.conf`);
    writeFileSync(file, conf(k) + '\n');
    const want = natsServerCheck(file, k.dir);
    const got = tsnatsCheck(file);
    expect(got.ok).toBe(want.ok);
    expect(errorLines(got.stderr)).toEqual(errorLines(want.stderr));
  });
});

// Start-up validation (validateTrustedOperators, then the system account).
const startCases: Case[] = [
  ['MEMORY with a preload', (k) => `operator: "${k.op}"\nresolver: MEMORY\nresolver_preload { ${k.acc}: "${k.accJwt}" }`],
  ['users beside an operator', (k) => `operator: "${k.op}"\nresolver: MEMORY\nauthorization { users: [{user: a}] }`],
  ['accounts beside an operator', (k) => `operator: "${k.op}"\nresolver: MEMORY\naccounts { X {} }`],
  ['system account differs from the operator\'s', (k) => `operator: "${k.opSys}"\nsystem_account: ${k.acc}\nresolver: MEMORY`],
  ['operator system account not preloaded', (k) => `operator: "${k.opSys}"\nresolver: MEMORY`],
  ['operator system account preloaded', (k) => `operator: "${k.opSys}"\nresolver: MEMORY\nresolver_preload { ${k.sys}: "${k.sysJwt}" }`],
  ['full resolver without a system account', (k) => `operator: "${k.op}"\nresolver { type: full, dir: "${k.dir}/jwts" }`],
  ['full resolver with the operator\'s system account', (k) => `operator: "${k.opSys}"\nresolver { type: full, dir: "${k.dir}/jwts" }`],
];

describe('agrees with nats-server at start-up (validation)', () => {
  it.each(startCases.map(([name, conf], i) => [name, conf, i] as const))('%s', (_name, conf, i) => {
    const file = path.join(k.dir, `start${i}.conf`);
    writeFileSync(file, conf(k) + '\n');
    expect(tsnatsStart(file)).toEqual(natsServerStart(file, k.dir));
  });
});

describe('options', () => {
  it('reads the operator, its system account and the full resolver', () => {
    const dir = path.join(k.dir, 'made', 'here');
    const o = optionsFromConfig(
      parseConfigString(`operator: "${k.opSys}"\nresolver { type: full, dir: "${dir}", allow_delete: true, interval: "2m", limit: 3 }`, 't.conf'),
    );
    expect(o.trustedOperators.map((t) => [t.name, t.systemAccount])).toEqual([['O', k.sys]]);
    expect(o.systemAccount).toBe(k.sys);
    expect(o.resolver).toEqual({ type: 'full', dir, allowDelete: true, intervalMs: 120_000, limit: 3 });
    // NewDirAccResolver makes the directory.
    expect(existsSync(dir)).toBe(true);
  });

  it('system_account in the file wins over the operator\'s (both read, then compared at start-up)', () => {
    const o = optionsFromConfig(parseConfigString(`system_account: ${k.sys}\noperator: "${k.op}"\nresolver: MEMORY\nresolver_preload { ${k.sys}: "${k.sysJwt}" }`, 't.conf'));
    expect(o.systemAccount).toBe(k.sys);
    expect(Object.keys(o.resolverPreload)).toEqual([k.sys]);
  });
});
