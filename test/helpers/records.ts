// Names of the scanner's op and error codes, for readable record logs in tests; and the seeded
// PRNG the randomised tests share.
import * as L from '../../src/protocol/layout.js';

export const OP_NAMES: Record<number, string> = {
  [L.OP_PING]: 'PING',
  [L.OP_PONG]: 'PONG',
  [L.OP_OK]: 'OK',
  [L.OP_ERR]: 'ERR',
  [L.OP_CONNECT]: 'CONNECT',
  [L.OP_INFO]: 'INFO',
  [L.OP_PUB]: 'PUB',
  [L.OP_HPUB]: 'HPUB',
  [L.OP_SUB]: 'SUB',
  [L.OP_UNSUB]: 'UNSUB',
  [L.OP_HMSG_IN]: 'HMSG_IN',
};

export const E_NAMES: Record<number, string> = {
  [L.E_UNKNOWN_OP]: 'E_UNKNOWN_OP',
  [L.E_CONTROL_LINE]: 'E_CONTROL_LINE',
  [L.E_PUB_ARGS]: 'E_PUB_ARGS',
  [L.E_HPUB_ARGS]: 'E_HPUB_ARGS',
  [L.E_SUB_ARGS]: 'E_SUB_ARGS',
  [L.E_UNSUB_ARGS]: 'E_UNSUB_ARGS',
  [L.E_PAYLOAD_CRLF]: 'E_PAYLOAD_CRLF',
};

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
