// Server identities in nkey style, as nats-server shows them ('N' + 55 base32 characters): the
// public half of a fresh Ed25519 key pair, encoded as nkeys.CreateServer().PublicKey() encodes
// it. The key is only an identity here: nothing is signed with it, and the private half is
// dropped. Node's own Ed25519 (OpenSSL) makes the pair: the nkeys library's pure-JS one costs
// about 15 ms of start-up for its first key.

import { generateKeyPairSync } from 'node:crypto';

/** nkeys' PrefixByteServer (13 << 3): base32 of it starts with 'N'. */
const PREFIX_SERVER = 13 << 3;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function newServerId(): string {
  const spki = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
  return encodePublicKey(PREFIX_SERVER, spki.subarray(spki.length - 32));
}

/** nkeys' Encode: prefix byte, key, CRC-16 (little-endian), in unpadded RFC 4648 base32. */
export function encodePublicKey(prefix: number, key: Uint8Array): string {
  const raw = new Uint8Array(key.length + 3);
  raw[0] = prefix;
  raw.set(key, 1);
  const crc = crc16(raw.subarray(0, key.length + 1));
  raw[key.length + 1] = crc & 0xff;
  raw[key.length + 2] = crc >>> 8;
  let out = '';
  let bits = 0;
  let acc = 0;
  for (const b of raw) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32[(acc >>> bits) & 31];
    }
  }
  if (bits > 0) out += BASE32[(acc << (5 - bits)) & 31];
  return out;
}

/** CRC-16/XMODEM (polynomial 0x1021, initial value 0), as nkeys' crc16. */
function crc16(data: Uint8Array): number {
  let crc = 0;
  for (const b of data) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}
