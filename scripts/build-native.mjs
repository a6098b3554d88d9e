// Builds the optional native addon with node-gyp (the `install` script). Never fails the install:
// without a compiler tsnats runs on its TypeScript path and says so at startup. Nothing is built
// when a prebuild shipped in the package (prebuilds/, see scripts/prebuild.mjs) loads here, or when
// build/Release already has the addon. node-gyp is the checkout's (a dev dependency), else the one
// npm bundles and names in npm_config_node_gyp while it runs install scripts.
//   node scripts/build-native.mjs [--force]   (--force rebuilds even when an addon exists)
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

const require = createRequire(import.meta.url);
if (!force) {
  // node-gyp-build's resolver, prebuilds only (PREBUILDS_ONLY is read when it loads)
  process.env.PREBUILDS_ONLY = '1';
  let prebuild;
  try {
    prebuild = require('node-gyp-build').resolve(root);
    require(prebuild);
  } catch {
    prebuild = undefined;
  }
  if (prebuild !== undefined) process.exit(0);
}

let gyp;
try {
  gyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  gyp = process.env.npm_config_node_gyp;
}
if (gyp === undefined || !existsSync(gyp)) {
  console.warn('tsnats: no prebuilt addon for this platform and node-gyp is not installed; the server will use the TypeScript path');
  process.exit(0);
}
const r = spawnSync(process.execPath, [gyp, 'rebuild'], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  console.warn('tsnats: native addon build failed; the server will use the TypeScript path');
}
process.exit(0);
