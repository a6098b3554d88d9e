#!/usr/bin/env node
// `npm run build:prebuilds` (and `prepack`): the prebuilt addons shipped in the package, built with
// prebuildify as N-API binaries (one build serves every Node >= 20):
//   prebuilds/linux-x64/node.napi.glibc.node     always (the host's compiler)
//   prebuilds/linux-arm64/node.napi.glibc.node   with Debian's g++-aarch64-linux-gnu
// src/native/load.ts picks them with node-gyp-build's matching rules, before a local build.
// They are build output (gitignored) and `postpack` removes them, so a checkout runs its own
// build/Release addon and a stale prebuild can never shadow it.
// The build runs in a temporary copy of binding.gyp and native/: node-gyp's `rebuild` empties
// build/, and the checkout's build/Release must keep the host's addon.
//   node scripts/prebuild.mjs [--clean]   (--clean only removes prebuilds/)
// Exit status 1 when the host's build fails, or when the arm64 build fails while the cross
// compiler is installed (CI installs it: a package without it must not pass quietly).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'prebuilds');
rmSync(out, { recursive: true, force: true });
if (process.argv.includes('--clean')) process.exit(0);

const require = createRequire(import.meta.url);
const prebuildify = join(dirname(require.resolve('prebuildify/package.json')), 'bin.js');
const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');

/** Is `cmd` on PATH? */
function have(cmd) {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, cmd)));
}

// Node's headers: the installed ones when this Node has them (no download), else node-gyp's cache.
const env = { ...process.env, NODE_PATH: join(root, 'node_modules') };
const nodedir = dirname(dirname(process.execPath));
if (!env.npm_config_nodedir && existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) env.npm_config_nodedir = nodedir;

const work = mkdtempSync(join(tmpdir(), 'tsnats-prebuild-'));
cpSync(join(root, 'binding.gyp'), join(work, 'binding.gyp'));
cpSync(join(root, 'native'), join(work, 'native'), { recursive: true });

/** One prebuildify run for `arch`; extra environment for a cross build. */
function build(arch, extra) {
  console.log(`prebuild: linux-${arch}`);
  const args = [prebuildify, '--napi', '--name', 'node.napi', '--strip', '--tag-libc', '--arch', arch, '--target', process.versions.node, '--out', root, '--node-gyp', nodeGyp, '--cwd', work];
  const r = spawnSync(process.execPath, args, { cwd: work, env: { ...env, ...extra }, stdio: 'inherit' });
  return r.status === 0;
}

let ok = true;
if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.warn(`prebuild: prebuilds are made on linux-x64 hosts; this is ${process.platform}-${process.arch}, nothing built`);
  ok = false;
} else {
  ok = build('x64', {});
  const cross = 'aarch64-linux-gnu-';
  if (!have(`${cross}g++`)) {
    console.warn(`prebuild: ${cross}g++ not installed (Debian's g++-aarch64-linux-gnu): no linux-arm64 prebuild`);
  } else if (
    !build('arm64', { CC: `${cross}gcc`, CXX: `${cross}g++`, LINK: `${cross}g++`, AR: `${cross}ar`, PREBUILD_STRIP_BIN: `${cross}strip` })
  ) {
    ok = false;
  }
}
rmSync(work, { recursive: true, force: true });
if (existsSync(out)) for (const d of readdirSync(out)) console.log(`prebuild: prebuilds/${d}/${readdirSync(join(out, d)).join(', ')}`);
process.exit(ok ? 0 : 1);
