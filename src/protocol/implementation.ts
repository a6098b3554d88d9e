// The contract both twins fulfil (native addon and TypeScript): scan client ops, write MSG frames,
// unmask WebSocket frames, checksum the file store's records.

import type { Crc32Fn } from '../util/crc32.js';
import type { WriteMsgsFn } from './batcher.js';
import type { ScanFn } from './scanner.js';
import type { UnmaskFn } from './unmask.js';

export interface Implementation {
  /** Which twin is live. */
  readonly name: 'native' | 'ts';
  readonly scan: ScanFn;
  /** Frames for a run of records to one subscriber in one call. */
  readonly writeMsgs: WriteMsgsFn;
  /** A WebSocket frame's payload unmasked in place. */
  readonly unmask: UnmaskFn;
  /** The CRC-32 of a byte range (the JetStream file store's record checksum). */
  readonly crc32: Crc32Fn;
}
