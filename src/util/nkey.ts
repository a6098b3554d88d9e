// nkey public keys (nats-io/nkeys): a prefix byte naming the key's role, the 32-byte Ed25519
// public key and a CRC-16, in unpadded RFC 4648 base32. Encoding, decoding and signature checks
// with Node's own Ed25519 (OpenSSL), so that a start-up loads no pure-JS curve code.

import { createPublicKey, verify } from 'node:crypto';

/** nkeys' public prefix bytes ('N', 'U', 'A', 'O', 'C', 'X' once encoded). */
export const NKEY_PREFIX = { server: 13 << 3, user: 20 << 3, account: 0, operator: 14 << 3, cluster: 2 << 3, curve: 23 << 3 } as const;
const PUBLIC_PREFIXES: ReadonlySet<number> = new Set(Object.values(NKEY_PREFIX));
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** nkeys' Encode: prefix byte, key, CRC-16 (little-endian), in unpadded base32. */
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
    acc = ((acc << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32[(acc >>> bits) & 31];
    }
  }
  if (bits > 0) out += BASE32[(acc << (5 - bits)) & 31];
  return out;
}

/**
 * nkeys' FromPublicKey: the prefix byte and the key of a public nkey, or null when `nkey` is not
 * one (a character outside the alphabet, a wrong CRC, a prefix that is not a public role).
 */
export function decodePublicKey(nkey: string): { prefix: number; key: Buffer } | null {
  if (nkey.length < 4) return null;
  const raw = Buffer.allocUnsafe((nkey.length * 5) >>> 3);
  let n = 0;
  let bits = 0;
  let acc = 0;
  for (let i = 0; i < nkey.length; i++) {
    const v = BASE32.indexOf(nkey[i]!);
    if (v < 0) return null;
    acc = ((acc << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      raw[n++] = (acc >>> bits) & 0xff;
    }
  }
  if (n < 3) return null;
  const body = raw.subarray(0, n - 2);
  if (crc16(body) !== (raw[n - 2]! | (raw[n - 1]! << 8))) return null;
  if (!PUBLIC_PREFIXES.has(body[0]!)) return null;
  return { prefix: body[0]!, key: body.subarray(1) };
}

/** nkeys' PublicKey.Verify: true when `sig` is the Ed25519 signature of `data` by `nkey`'s key. */
export function verifySignature(nkey: string, data: Uint8Array, sig: Uint8Array): boolean {
  const d = decodePublicKey(nkey);
  if (d === null || d.key.length !== 32) return false;
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: d.key.toString('base64url') }, format: 'jwk' });
  return verify(null, data, key, sig);
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
