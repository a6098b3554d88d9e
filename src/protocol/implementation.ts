// The contract both twins fulfil (native addon and TypeScript): scan client ops, write MSG frames.

import type { WriteMsgsFn } from './batcher.js';
import type { ScanFn } from './scanner.js';

export interface Implementation {
  /** Which twin is live. */
  readonly name: 'native' | 'ts';
  readonly scan: ScanFn;
  /** Frames for a run of records to one subscriber in one call. */
  readonly writeMsgs: WriteMsgsFn;
}
