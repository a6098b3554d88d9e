// Server identities in nkey style, as nats-server shows them ('N' + 55 base32 characters): the
// public half of a fresh Ed25519 key pair, encoded as nkeys.CreateServer().PublicKey() encodes
// it. The key is only an identity here: nothing is signed with it, and the private half is
// dropped. Node's own Ed25519 (OpenSSL) makes the pair: the nkeys library's pure-JS one costs
// about 15 ms of start-up for its first key.

import { generateKeyPairSync } from 'node:crypto';
import { encodePublicKey, NKEY_PREFIX } from '../util/nkey.js';

export function newServerId(): string {
  const spki = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
  return encodePublicKey(NKEY_PREFIX.server, spki.subarray(spki.length - 32));
}
