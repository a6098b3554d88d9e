#!/usr/bin/env node
// Part of `npm run build:ts`, after tsc: rewrites dist/cli.js (the `tsnats` command, `npm start`)
// as one file holding the server, so that a start reads and links one module instead of about
// forty (bench scenario s: about 35 ms on the reference machine). What the server loads with
// import() (the HTTP monitor and node:http) goes to dist/chunks/, loaded only when used; packages
// loaded at first use through src/util/lazy.ts (bcryptjs) stay outside. The library
// (dist/index.js and the rest of dist/) is left as tsc wrote it.
//
// esbuild is a dev dependency: without it (a production-only install) the unbundled dist/cli.js
// stays, which behaves the same and starts slower.

import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'cli.js');
if (!existsSync(entry)) {
  console.error('bundle-cli: dist/cli.js is missing: run tsc first');
  process.exit(1);
}
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.error('bundle-cli: esbuild is not installed; dist/cli.js stays unbundled (it works, it starts slower)');
  process.exit(0);
}
rmSync(join(root, 'dist', 'chunks'), { recursive: true, force: true });
await esbuild.build({
  entryPoints: [entry],
  outdir: join(root, 'dist'),
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});
