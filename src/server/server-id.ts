// Server identities in nkey style, as nats-server shows them: 'N' + base32(prefix, 32 random
// bytes, crc16). The key is only an identity here: nothing is signed with it.

import { randomBytes } from 'node:crypto';

const PREFIX_BYTE_SERVER = 13 << 3; // 'N'
const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function newServerId(): string {
  const raw = Buffer.alloc(35);
  raw[0] = PREFIX_BYTE_SERVER;
  randomBytes(32).copy(raw, 1);
  const crc = crc16(raw.subarray(0, 33));
  raw[33] = crc & 0xff;
  raw[34] = crc >> 8;
  return base32(raw);
}

/** CRC-16/XMODEM, as nkeys uses. */
function crc16(b: Uint8Array): number {
  let crc = 0;
  for (const x of b) {
    crc ^= x << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

function base32(b: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const x of b) {
    value = (value << 8) | x;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}
