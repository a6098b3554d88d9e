// Server identities in nkey style, as nats-server shows them ('N' + 55 base32 characters): the
// public half of a fresh Ed25519 key pair, encoded as nkeys.CreateServer().PublicKey() encodes
// it. The key is only an identity here: nothing is signed with it, and the private half is
// dropped. Node's own Ed25519 (OpenSSL) makes the pair: the nkeys library's pure-JS one costs
// about 15 ms of start-up for its first key.

import { createHash, generateKeyPairSync } from 'node:crypto';
import { encodePublicKey, NKEY_PREFIX } from '../util/nkey.js';

export function newServerId(): string {
  const spki = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
  return encodePublicKey(NKEY_PREFIX.server, spki.subarray(spki.length - 32));
}

/** nats-server's getHash (the banner's `Node:` with JetStream): sha256(name)'s first 8 bytes in base 62. */
export function nodeHash(name: string): string {
  const digits = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  const b = createHash('sha256').update(name).digest();
  let s = '';
  for (let i = 0; i < 8; i++) s += digits[b[i]! % 62];
  return s;
}
