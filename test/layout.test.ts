// native/layout.h and src/protocol/layout.ts must agree constant for constant, and so must the
// values the built addon reports (a stale build with the same version would be caught here).
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as layout from '../src/protocol/layout.js';
import {
  addonPath,
  findAddon,
  loadAddon,
  loadImplementation,
  nativeAddonFile,
  nativeImplementation,
  parseNativeMode,
  prebuildPath,
  tsImplementation,
} from '../src/native/load.js';

const ROOT = join(import.meta.dirname, '..');

function headerConstants(): Map<string, number> {
  const text = readFileSync(join(ROOT, 'native', 'layout.h'), 'utf8');
  const map = new Map<string, number>();
  for (const m of text.matchAll(/^\s*constexpr\s+u?int32_t\s+([A-Z0-9_]+)\s*=\s*(0x[0-9a-fA-F]+|-?\d+)u?\s*;/gm)) {
    expect(map.has(m[1]), `duplicate ${m[1]}`).toBe(false);
    map.set(m[1], Number(m[2]));
  }
  return map;
}

const tsConstants = new Map<string, number>(
  Object.entries(layout as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number'),
);

describe('record layout', () => {
  it('layout.h declares exactly the constants of layout.ts, with the same values', () => {
    const h = headerConstants();
    expect(h.size).toBeGreaterThan(40);
    expect([...h.keys()].sort()).toEqual([...tsConstants.keys()].sort());
    for (const [name, value] of tsConstants) expect(h.get(name), name).toBe(value);
  });

  it('field offsets are distinct and inside the stride; op codes fit OP_MASK', () => {
    const fields = [...tsConstants].filter(([k]) => k.startsWith('F_')).map(([, v]) => v);
    expect(new Set(fields).size).toBe(fields.length);
    expect(fields.every((f) => f >= 0 && f < layout.REC_STRIDE)).toBe(true);
    expect(fields).toHaveLength(layout.REC_STRIDE);
    const ops = [...tsConstants].filter(([k]) => k.startsWith('OP_') && k !== 'OP_PARTIAL' && k !== 'OP_MASK').map(([, v]) => v);
    expect(new Set(ops).size).toBe(ops.length);
    expect(ops.every((o) => o > 0 && (o & layout.OP_MASK) === o && (o & layout.OP_PARTIAL) === 0)).toBe(true);
  });

  if (process.env.TSNATS_NATIVE !== 'off') {
    it('the built addon reports the same layout', () => {
      nativeImplementation(); // throws the load error if the addon is missing or mismatched
      const addon = createRequire(import.meta.url)(nativeAddonFile()!) as { layoutVersion: number; recStride: number; layout: Record<string, number> };
      expect(addon.layoutVersion).toBe(layout.LAYOUT_VERSION);
      expect(addon.recStride).toBe(layout.REC_STRIDE);
      expect(new Map(Object.entries(addon.layout))).toEqual(tsConstants);
    });
    it('the loader picks the native twin in auto and require modes', () => {
      expect(loadImplementation('auto').impl.name).toBe('native');
      expect(loadImplementation('require').impl.name).toBe('native');
    });

    // A package root of our own making: prebuilds/ and build/Release/ are copies of the built addon.
    const fakeRoot = (): string => mkdtempSync(join(tmpdir(), 'tsnats-root-'));
    const put = (root: string, rel: string, from?: string): string => {
      const file = join(root, rel);
      mkdirSync(join(file, '..'), { recursive: true });
      if (from === undefined) writeFileSync(file, 'not an ELF file');
      else copyFileSync(from, file);
      return file;
    };
    const tuple = `${process.platform}-${process.arch}`;

    it('loader order: a matching prebuild first, then the local build, each failure named', () => {
      const built = addonPath(ROOT);
      const root = fakeRoot();
      expect(findAddon(root).impl).toBeUndefined();
      expect(findAddon(root).reason).toMatch(new RegExp(`no prebuild for ${tuple} in .*; native addon not built`));

      const local = put(root, 'build/Release/tsnats.node', built);
      const onlyLocal = findAddon(root);
      expect(onlyLocal.impl?.name).toBe('native');
      expect(onlyLocal.file).toBe(local);
      expect(onlyLocal.reason).toMatch(/^local build build\/Release\/tsnats\.node; no prebuild for /);

      // node-gyp-build's tags: another libc or another platform's tuple is never picked
      put(root, `prebuilds/${tuple}/node.napi.musl.node`);
      put(root, 'prebuilds/win32-ia32/node.napi.node', built);
      expect(prebuildPath(root)).toBeUndefined();
      const pre = put(root, `prebuilds/${tuple}/node.napi.glibc.node`, built);
      expect(prebuildPath(root)).toBe(pre);
      const withPrebuild = findAddon(root);
      expect(withPrebuild.file).toBe(pre);
      expect(withPrebuild.reason).toBe(`prebuilt addon prebuilds/${tuple}/node.napi.glibc.node`);
    });

    it('a prebuild that does not load falls back to the local build, saying why', () => {
      const root = fakeRoot();
      put(root, `prebuilds/${tuple}/node.napi.glibc.node`);
      const local = put(root, 'build/Release/tsnats.node', addonPath(ROOT));
      const r = findAddon(root);
      expect(r.file).toBe(local);
      expect(r.reason).toMatch(new RegExp(`^local build build/Release/tsnats\\.node; prebuild prebuilds/${tuple}/node\\.napi\\.glibc\\.node: \\S+: file too short`));
    });
  }

  it('loader modes: off never uses the addon; mode strings are validated', () => {
    const off = loadImplementation('off');
    expect(off.impl).toBe(tsImplementation);
    expect(off.reason).toMatch(/off/);
    expect(parseNativeMode(' Require ')).toBe('require');
    expect(() => parseNativeMode('yes')).toThrow(/off, auto, require/);
    expect(addonPath()).toBe(join(ROOT, 'build', 'Release', 'tsnats.node'));
  });

  it('a missing or broken addon is reported with the reason', () => {
    expect(() => loadAddon('/nonexistent/tsnats.node')).toThrow(/not built/);
    const dir = mkdtempSync(join(tmpdir(), 'tsnats-'));
    const fake = join(dir, 'tsnats.node');
    writeFileSync(fake, 'not an ELF file');
    expect(() => loadAddon(fake)).toThrow();
  });
});
