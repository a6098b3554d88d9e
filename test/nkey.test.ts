// nkey public keys with Node's Ed25519 (src/util/nkey.ts, src/server/server-id.ts), checked
// against nats-io's own nkeys library: same encoding, same keys accepted, same signatures.
import { generateKeyPairSync, sign } from 'node:crypto';
import { createAccount, createServer, createUser, fromPublic, Prefix } from '@nats-io/nkeys';
import { describe, expect, it } from 'vitest';
import { newServerId } from '../src/server/server-id.js';
import { decodePublicKey, encodePublicKey, NKEY_PREFIX, verifySignature } from '../src/util/nkey.js';
import { prng } from './helpers/records.js';

const libAccepts = (s: string): boolean => {
  try {
    fromPublic(s);
    return true;
  } catch {
    return false;
  }
};

describe('server id', () => {
  it('is a server public nkey that the nkeys library accepts (prefix and CRC)', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const id = newServerId();
      expect(id).toMatch(/^N[A-Z2-7]{55}$/);
      expect(fromPublic(id).getPublicKey()).toBe(id);
      ids.add(id);
    }
    expect(ids.size).toBe(20);
  });
});

describe('nkey encoding', () => {
  it('encodes the Ed25519 public key itself: the nkeys library verifies signatures made with the private half', () => {
    const msg = Buffer.from('nonce-to-sign');
    for (const [prefix, first] of [[NKEY_PREFIX.server, 'N'], [NKEY_PREFIX.user, 'U'], [NKEY_PREFIX.account, 'A']] as const) {
      for (let i = 0; i < 10; i++) {
        const { publicKey, privateKey } = generateKeyPairSync('ed25519');
        const spki = publicKey.export({ format: 'der', type: 'spki' });
        const nkey = encodePublicKey(prefix, spki.subarray(spki.length - 32));
        expect(nkey[0]).toBe(first);
        const kp = fromPublic(nkey);
        expect(kp.verify(msg, sign(null, msg, privateKey))).toBe(true);
        expect(kp.verify(Buffer.from('another'), sign(null, msg, privateKey))).toBe(false);
      }
    }
  });

  it('has the nkeys library prefixes', () => {
    expect(NKEY_PREFIX.server).toBe(Prefix.Server);
    expect(NKEY_PREFIX.user).toBe(Prefix.User);
    expect(NKEY_PREFIX.account).toBe(Prefix.Account);
    expect(NKEY_PREFIX.operator).toBe(Prefix.Operator);
    expect(NKEY_PREFIX.cluster).toBe(Prefix.Cluster);
    expect(NKEY_PREFIX.curve).toBe(Prefix.Curve);
  });
});

describe('nkey decoding and signatures', () => {
  it('verifies what the nkeys library signs, and nothing else', () => {
    const nonce = Buffer.from('aBcD_1234-xyz', 'latin1');
    for (const make of [createUser, createAccount, createServer]) {
      for (let i = 0; i < 10; i++) {
        const kp = make();
        const other = make();
        const pub = kp.getPublicKey();
        const sig = kp.sign(nonce);
        expect(decodePublicKey(pub)?.key).toHaveLength(32);
        expect(encodePublicKey(decodePublicKey(pub)!.prefix, decodePublicKey(pub)!.key)).toBe(pub);
        expect(verifySignature(pub, nonce, sig)).toBe(true);
        expect(verifySignature(pub, Buffer.from('aBcD_1234-xyZ'), sig)).toBe(false);
        expect(verifySignature(other.getPublicKey(), nonce, sig)).toBe(false);
        expect(verifySignature(pub, nonce, sig.subarray(0, 63))).toBe(false);
        expect(verifySignature(pub, nonce, new Uint8Array(0))).toBe(false);
        const bad = Uint8Array.from(sig);
        bad[i % 64]! ^= 1;
        expect(verifySignature(pub, nonce, bad)).toBe(false);
      }
    }
  });

  it('accepts exactly the strings the nkeys library accepts as public keys (seeded mutations)', () => {
    const rnd = prng(10);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567abc01=';
    const pick = (s: string): string => s[Math.floor(rnd() * s.length)]!;
    const kps = [createUser(), createAccount(), createServer()];
    const cases = [
      ...kps.map((k) => k.getPublicKey()),
      ...kps.map((k) => new TextDecoder().decode(k.getSeed())),
      '',
      'U',
      'UAAA',
    ];
    for (let i = 0; i < 300; i++) {
      let s = kps[i % 3]!.getPublicKey();
      const op = i % 4;
      const at = Math.floor(rnd() * s.length);
      if (op === 0) s = s.slice(0, at) + pick(alphabet) + s.slice(at + 1);
      else if (op === 1) s = s.slice(0, at);
      else if (op === 2) s = s.slice(0, at) + pick(alphabet) + s.slice(at);
      else s = pick('NUAOCXSP') + s.slice(1);
      cases.push(s);
    }
    let accepted = 0;
    for (const s of cases) {
      const lib = libAccepts(s);
      expect(decodePublicKey(s) !== null, s).toBe(lib);
      if (lib) accepted++;
    }
    expect(accepted).toBeGreaterThan(10);
  });
});
