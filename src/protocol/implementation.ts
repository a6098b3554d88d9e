// The contract both twins fulfil (native addon and TypeScript): scan client ops, write MSG frames,
// unmask WebSocket frames.

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
}
