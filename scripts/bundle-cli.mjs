#!/usr/bin/env node
// Part of `npm run build:ts`, after tsc: the `tsnats` command (`npm start`) as one CommonJS
// bundle with a V8 code cache (bench scenario s):
// - dist/tsnats.cjs: the server bundled by esbuild. A start reads and compiles one file instead
//   of linking about forty ES modules, and skips Node's ES module loader altogether. What the
//   server loads with import() (route code, HTTP monitor, JetStream) is in the bundle but
//   evaluated only when used: esbuild wraps such modules in an init function, and their own
//   imports (node:http, node:dns) run inside it. Packages loaded at first use through
//   src/util/lazy.ts (bcryptjs, the JWT libraries) stay outside.
// - dist/tsnats.cjs.cache: V8's code cache for it, made here with the Node that builds. The
//   loader hands it to V8, which then skips parsing the bundle (about a third of what a start
//   costs beyond Node's own boot); a Node whose V8 differs rejects it and compiles as usual.
// - dist/cli.cjs: that loader (scripts/cli-loader.cjs), the bin.
// The library (dist/index.js and the rest of dist/, ES modules) and dist/cli.js are tsc's output.
// esbuild is a dev dependency: without it (a production-only install) dist/cli.cjs is a shim that
// imports dist/cli.js, which behaves the same and starts slower.

import { chmodSync, copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const entry = join(dist, 'cli.js');
const bin = join(dist, 'cli.cjs');
const bundle = join(dist, 'tsnats.cjs');
if (!existsSync(entry)) {
  console.error('bundle-cli: dist/cli.js is missing: run tsc first');
  process.exit(1);
}
for (const old of [join(dist, 'chunks'), `${bin}.map`, bundle, `${bundle}.cache`]) rmSync(old, { recursive: true, force: true });
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.error('bundle-cli: esbuild is not installed; dist/cli.cjs only imports dist/cli.js (it works, it starts slower)');
  writeFileSync(bin, "#!/usr/bin/env node\n'use strict';\nimport('./cli.js');\n");
  chmodSync(bin, 0o755);
  process.exit(0);
}
await esbuild.build({
  entryPoints: [entry],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
  // the bundle sits in dist/ as the modules it replaces do, so paths made from it still hold
  define: { 'import.meta.url': '__tsnats_import_meta_url' },
  banner: { js: "const __tsnats_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
});
// The loader compiles exactly this wrapped source with this filename: the cache must match both.
const wrapped = Module.wrap(readFileSync(bundle, 'utf8').replace(/^#!.*/, ''));
writeFileSync(`${bundle}.cache`, new Script(wrapped, { filename: bundle }).createCachedData());
copyFileSync(join(root, 'scripts', 'cli-loader.cjs'), bin);
chmodSync(bin, 0o755);
