// Server identities: nkey-encoded Ed25519 public keys that nats-io's own nkeys library accepts.
import { generateKeyPairSync, sign } from 'node:crypto';
import { fromPublic, Prefix } from '@nats-io/nkeys';
import { describe, expect, it } from 'vitest';
import { encodePublicKey, newServerId } from '../src/server/server-id.js';

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

  it('encodes the Ed25519 public key itself: the nkeys library verifies signatures made with the private half', () => {
    const msg = Buffer.from('nonce-to-sign');
    for (const [prefix, first] of [[Prefix.Server, 'N'], [Prefix.User, 'U'], [Prefix.Account, 'A']] as const) {
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
});
