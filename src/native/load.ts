// The only file that loads a .node: picks the native scanner/batcher or their TS twins.
//
// Mode: TSNATS_NATIVE (read once) or the `--native` CLI flag passed as `mode`:
//   off      never loads the addon; TS path.
//   auto     (default) tries the addon; on any problem falls back to TS, `reason` says why
//            (the server prints it once).
//   require  a missing or mismatched addon throws.
// The addon is found at <package root>/build/Release/tsnats.node, the package root being the
// nearest directory above this file holding package.json (works from src/ under vitest and from
// dist/ after tsc). It must report LAYOUT_VERSION and REC_STRIDE equal to layout.ts, and every
// constant it exports in `layout` must equal the TS one.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as layout from '../protocol/layout.js';
import { writeMsgs as tsWriteMsgs, type WriteMsgsFn } from '../protocol/batcher.js';
import type { Implementation } from '../protocol/implementation.js';
import { scan as tsScan, type ScanFn } from '../protocol/scanner.js';

export type { ScanFn, WriteMsgsFn };

export type NativeMode = 'off' | 'auto' | 'require';
export const NATIVE_MODES: readonly NativeMode[] = ['off', 'auto', 'require'];


export interface LoadedImplementation {
  readonly impl: Implementation;
  /** Why this twin: for 'ts' the reason the addon is not used (the load error in auto mode). */
  readonly reason: string;
}

interface Addon {
  scan: ScanFn;
  writeMsgs: WriteMsgsFn;
  layoutVersion: number;
  recStride: number;
  layout?: Record<string, number>;
}

export const tsImplementation: Implementation = Object.freeze({
  name: 'ts',
  scan: tsScan,
  writeMsgs: tsWriteMsgs,
});

/** Parses a mode string; throws on anything but off|auto|require. */
export function parseNativeMode(value: string): NativeMode {
  const v = value.trim().toLowerCase();
  if (v === 'off' || v === 'auto' || v === 'require') return v;
  throw new Error(`native mode must be one of off, auto, require (got '${value}')`);
}

let envMode: NativeMode | undefined;
/** TSNATS_NATIVE, read once; 'auto' when unset or empty. */
export function nativeModeFromEnv(): NativeMode {
  if (envMode === undefined) {
    const v = process.env.TSNATS_NATIVE;
    envMode = v === undefined || v.trim() === '' ? 'auto' : parseNativeMode(v);
  }
  return envMode;
}

/** The package root: nearest directory above this file that holds package.json. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`tsnats: no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

export function addonPath(): string {
  return join(packageRoot(), 'build', 'Release', 'tsnats.node');
}

let nativeResult: { impl?: Implementation; error?: Error } | undefined;

function tryLoad(): { impl?: Implementation; error?: Error } {
  if (nativeResult !== undefined) return nativeResult;
  try {
    nativeResult = { impl: loadAddon(addonPath()) };
  } catch (e) {
    nativeResult = { error: e instanceof Error ? e : new Error(String(e)) };
  }
  return nativeResult;
}

/**
 * Loads and checks the addon at `path` (not cached). Throws a descriptive error when it is
 * missing, fails to load, or disagrees with layout.ts. loadImplementation uses addonPath().
 */
export function loadAddon(path: string): Implementation {
  if (!existsSync(path)) throw new Error(`native addon not built (${path} missing)`);
  const addon = createRequire(import.meta.url)(path) as Addon;
  if (addon.layoutVersion !== layout.LAYOUT_VERSION) {
    throw new Error(
      `native addon layout version ${String(addon.layoutVersion)} != ${layout.LAYOUT_VERSION} (rebuild with npm run build:native)`,
    );
  }
  if (addon.recStride !== layout.REC_STRIDE) {
    throw new Error(`native addon record stride ${String(addon.recStride)} != ${layout.REC_STRIDE}`);
  }
  if (typeof addon.scan !== 'function' || typeof addon.writeMsgs !== 'function') {
    throw new Error('native addon does not export scan/writeMsgs');
  }
  const consts = layout as unknown as Record<string, unknown>;
  for (const [name, value] of Object.entries(addon.layout ?? {})) {
    if (consts[name] !== value) {
      throw new Error(`native addon constant ${name}=${value} != layout.ts ${String(consts[name])}`);
    }
  }
  return Object.freeze({ name: 'native', scan: addon.scan, writeMsgs: addon.writeMsgs });
}

/** The native twin; throws the load error if the addon is unavailable or mismatched. */
export function nativeImplementation(): Implementation {
  const r = tryLoad();
  if (r.impl === undefined) throw r.error ?? new Error('native addon unavailable');
  return r.impl;
}

/** Picks the twin for `mode` (default: TSNATS_NATIVE, else auto). Throws only in require mode. */
export function loadImplementation(mode: NativeMode = nativeModeFromEnv()): LoadedImplementation {
  if (mode === 'off') return { impl: tsImplementation, reason: 'native addon disabled (native=off)' };
  const r = tryLoad();
  if (r.impl !== undefined) return { impl: r.impl, reason: `native addon ${addonPath()}` };
  if (mode === 'require') throw new Error(`tsnats: native addon required but unavailable: ${r.error?.message}`);
  return { impl: tsImplementation, reason: `native addon unavailable, using TypeScript: ${r.error?.message}` };
}
