// The only file that loads a .node: picks the native scanner/batcher/unmask/crc32 or their TS twins.
//
// Mode: TSNATS_NATIVE (read once) or the `--native` CLI flag passed as `mode`:
//   off      never loads the addon; TS path.
//   auto     (default) tries the addon; on any problem falls back to TS, `reason` says why
//            (the server prints it once).
//   require  a missing or mismatched addon throws.
// Where the addon comes from, first that loads and passes the checks (the package root being the
// nearest directory above this file holding package.json: src/ under vitest, dist/ after tsc):
//   1. a prebuild: <root>/prebuilds/<platform>-<arch>/*.node shipped in the package
//      (scripts/prebuild.mjs), chosen by node-gyp-build's rules (platform-arch tuple, napi/abi,
//      libc and armv tags), so an install with --ignore-scripts or without a compiler is native;
//   2. the local build: <root>/build/Release/tsnats.node (node-gyp, `npm run build:native`);
//   3. else the TS twins, `reason` naming what was tried and why each failed.
// An addon must report LAYOUT_VERSION and REC_STRIDE equal to layout.ts, and every constant it
// exports in `layout` must equal the TS one.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as layout from '../protocol/layout.js';
import { writeMsgs as tsWriteMsgs, type WriteMsgsFn } from '../protocol/batcher.js';
import type { Implementation } from '../protocol/implementation.js';
import { scan as tsScan, type ScanFn } from '../protocol/scanner.js';
import { unmask as tsUnmask, type UnmaskFn } from '../protocol/unmask.js';
import { crc32 as tsCrc32, crc32Ts, type Crc32Fn } from '../util/crc32.js';

export type { ScanFn, UnmaskFn, WriteMsgsFn };

export type NativeMode = 'off' | 'auto' | 'require';
/** Ranges at least this long go to the addon's CRC-32 (measured: below it the TS loop is as quick as the call). */
const NATIVE_CRC_FROM = 64;
export const NATIVE_MODES: readonly NativeMode[] = ['off', 'auto', 'require'];


export interface LoadedImplementation {
  readonly impl: Implementation;
  /**
   * Why this twin: for 'native' which addon (prebuild or local build) and, for a local build,
   * why no prebuild served; for 'ts' why the addon is not used (the load errors in auto mode).
   */
  readonly reason: string;
}

interface Addon {
  scan: ScanFn;
  writeMsgs: WriteMsgsFn;
  unmask: UnmaskFn;
  crc32: Crc32Fn;
  layoutVersion: number;
  recStride: number;
  layout?: Record<string, number>;
}

export const tsImplementation: Implementation = Object.freeze({
  name: 'ts',
  scan: tsScan,
  writeMsgs: tsWriteMsgs,
  unmask: tsUnmask,
  crc32: tsCrc32,
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

/** The local build's addon: <root>/build/Release/tsnats.node. */
export function addonPath(root: string = packageRoot()): string {
  return join(root, 'build', 'Release', 'tsnats.node');
}

/** The parts of node-gyp-build used here: its prebuild matching rules. */
interface GypBuild {
  parseTuple(name: string): { name: string } | undefined;
  matchTuple(platform: string, arch: string): (t: { name: string } | undefined) => boolean;
  compareTuples(a: { name: string }, b: { name: string }): number;
  parseTags(file: string): { file: string } | undefined;
  matchTags(runtime: string, abi: string): (t: { file: string } | undefined) => boolean;
  compareTags(runtime: string): (a: { file: string }, b: { file: string }) => number;
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * The prebuild for this process in <root>/prebuilds, picked as node-gyp-build's resolver picks
 * one (its own order would take build/Release first); undefined when none matches.
 */
export function prebuildPath(root: string = packageRoot()): string | undefined {
  const g = createRequire(import.meta.url)('node-gyp-build') as GypBuild;
  const dir = join(root, 'prebuilds');
  const tuple = listDir(dir)
    .map(g.parseTuple)
    .filter(g.matchTuple(process.platform, process.arch))
    .sort((a, b) => g.compareTuples(a!, b!))[0];
  if (tuple === undefined) return undefined;
  const winner = listDir(join(dir, tuple.name))
    .map(g.parseTags)
    .filter(g.matchTags('node', process.versions.modules))
    .sort((a, b) => g.compareTags('node')(a!, b!))[0];
  return winner === undefined ? undefined : join(dir, tuple.name, winner.file);
}

interface Found {
  impl?: Implementation;
  /** The addon file that loaded (native) or why none did (ts). */
  reason: string;
  /** The loaded addon's file. */
  file?: string;
}

/**
 * Tries the prebuild, then the local build, under `root` (not cached: loadImplementation caches
 * the result for the package root).
 */
export function findAddon(root: string): Found {
  const failures: string[] = [];
  const pre = prebuildPath(root);
  if (pre === undefined) {
    failures.push(`no prebuild for ${process.platform}-${process.arch} in ${join(root, 'prebuilds')}`);
  } else {
    try {
      return { impl: loadAddon(pre), file: pre, reason: `prebuilt addon ${relative(root, pre)}` };
    } catch (e) {
      failures.push(`prebuild ${relative(root, pre)}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const local = addonPath(root);
  try {
    return { impl: loadAddon(local), file: local, reason: `local build ${relative(root, local)}; ${failures.join('; ')}` };
  } catch (e) {
    failures.push(e instanceof Error ? e.message : String(e));
  }
  return { reason: failures.join('; ') };
}

let nativeResult: Found | undefined;

function tryLoad(): Found {
  nativeResult ??= findAddon(packageRoot());
  return nativeResult;
}

/** The file the live native twin was loaded from; undefined while none loaded. */
export function nativeAddonFile(): string | undefined {
  return nativeResult?.file;
}

/**
 * Loads and checks the addon at `path` (not cached). Throws a descriptive error when it is
 * missing, fails to load, or disagrees with layout.ts. findAddon uses it for the prebuild and the
 * local build.
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
  if (typeof addon.scan !== 'function' || typeof addon.writeMsgs !== 'function' || typeof addon.unmask !== 'function' || typeof addon.crc32 !== 'function') {
    throw new Error('native addon does not export scan/writeMsgs/unmask/crc32 (rebuild with npm run build:native)');
  }
  const consts = layout as unknown as Record<string, unknown>;
  for (const [name, value] of Object.entries(addon.layout ?? {})) {
    if (consts[name] !== value) {
      throw new Error(`native addon constant ${name}=${value} != layout.ts ${String(consts[name])}`);
    }
  }
  const native = addon.crc32;
  // Short ranges (a record of a small message) cost less in the TS loop than a call into the addon.
  const crc32: Crc32Fn = (buf, start, end) => (end - start < NATIVE_CRC_FROM ? crc32Ts(buf, start, end) : native(buf, start, end));
  return Object.freeze({ name: 'native', scan: addon.scan, writeMsgs: addon.writeMsgs, unmask: addon.unmask, crc32 });
}

/** The native twin; throws the load errors if no addon is available or all are mismatched. */
export function nativeImplementation(): Implementation {
  const r = tryLoad();
  if (r.impl === undefined) throw new Error(r.reason);
  return r.impl;
}

/** Picks the twin for `mode` (default: TSNATS_NATIVE, else auto). Throws only in require mode. */
export function loadImplementation(mode: NativeMode = nativeModeFromEnv()): LoadedImplementation {
  if (mode === 'off') return { impl: tsImplementation, reason: 'native addon disabled (native=off)' };
  const r = tryLoad();
  if (r.impl !== undefined) return { impl: r.impl, reason: r.reason };
  if (mode === 'require') throw new Error(`tsnats: native addon required but unavailable: ${r.reason}`);
  return { impl: tsImplementation, reason: `native addon unavailable, using TypeScript: ${r.reason}` };
}
