// The contract both twins fulfil (native addon and TypeScript): scan client ops, write MSG frames.

import type { ScanFn } from './parser.js';

export interface Implementation {
  /** Which twin is live. */
  readonly name: 'native' | 'ts';
  readonly scan: ScanFn;
  /** Bytes one MSG/HMSG frame for scan record `rec` needs. */
  msgFrameLength(recs: Int32Array, rec: number, sidLen: number, headers: boolean): number;
  /** Writes one MSG/HMSG frame at `off`; returns the new offset (-1 if it does not fit). */
  writeMsg(
    dst: Uint8Array,
    off: number,
    src: Uint8Array,
    recs: Int32Array,
    rec: number,
    sid: Uint8Array,
    headers: boolean,
  ): number;
}
