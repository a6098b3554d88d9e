// Builds the optional native addon with node-gyp. Never fails the install: without a compiler
// tsnats runs on its TypeScript path and says so at startup.
//   node scripts/build-native.mjs [--force]   (--force rebuilds even when the addon exists)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const addon = join(root, 'build', 'Release', 'tsnats.node');
const force = process.argv.includes('--force');

if (process.env.TSNATS_NATIVE === 'off' && !force) {
  console.log('tsnats: TSNATS_NATIVE=off, not building the native addon');
  process.exit(0);
}
if (existsSync(addon) && !force) process.exit(0);

let gyp;
try {
  gyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
} catch {
  console.warn('tsnats: node-gyp is not installed; the server will use the TypeScript path');
  process.exit(0);
}
const r = spawnSync(process.execPath, [gyp, 'rebuild'], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  console.warn('tsnats: native addon build failed; the server will use the TypeScript path');
}
process.exit(0);
