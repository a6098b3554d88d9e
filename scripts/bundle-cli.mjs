#!/usr/bin/env node
// Part of `npm run build:ts`, after tsc: writes dist/cli.cjs (the `tsnats` command, `npm start`),
// the server bundled into one CommonJS file. A start then reads and compiles one file instead of
// linking about forty ES modules, and skips Node's ES module loader altogether (bench scenario s:
// about 14 ms of the 45 ms a start costs beyond Node's own boot). What the server loads with
// import() (the route code, the HTTP monitor) is in the bundle too, but evaluated only when used:
// esbuild wraps such modules in an init function, and their own imports (node:http, node:dns)
// run inside it. Packages loaded at first use through src/util/lazy.ts (bcryptjs) stay outside.
// The library (dist/index.js and the rest of dist/, ES modules) and dist/cli.js are tsc's output.
//
// esbuild is a dev dependency: without it (a production-only install) dist/cli.cjs is a two-line
// shim that imports dist/cli.js, which behaves the same and starts slower.

import { chmodSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'cli.js');
const out = join(root, 'dist', 'cli.cjs');
if (!existsSync(entry)) {
  console.error('bundle-cli: dist/cli.js is missing: run tsc first');
  process.exit(1);
}
rmSync(join(root, 'dist', 'chunks'), { recursive: true, force: true });
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.error('bundle-cli: esbuild is not installed; dist/cli.cjs only imports dist/cli.js (it works, it starts slower)');
  writeFileSync(out, "#!/usr/bin/env node\n'use strict';\nimport('./cli.js');\n");
  chmodSync(out, 0o755);
  process.exit(0);
}
await esbuild.build({
  entryPoints: [entry],
  outfile: out,
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
chmodSync(out, 0o755);
