#!/usr/bin/env node
// The `tsnats` command (copied to dist/cli.cjs by scripts/bundle-cli.mjs): runs the bundle
// dist/tsnats.cjs as Node would run it as a CommonJS module, but compiled with the V8 code cache
// made at build time (dist/tsnats.cjs.cache), so V8 skips parsing it. Node 20 has no compile
// cache of its own (module.enableCompileCache is Node 22), and v8-compile-cache would hook every
// require and write its cache under the temp dir at run time; this is one file, cached once.
// A missing or rejected cache (another V8) only means a normal compile.
'use strict';
const { readFileSync } = require('node:fs');
const Module = require('node:module');
const { join } = require('node:path');
const { Script, constants } = require('node:vm');

const file = join(__dirname, 'tsnats.cjs');
let cachedData;
try {
  cachedData = readFileSync(`${file}.cache`);
} catch {
  cachedData = undefined;
}
const wrapped = Module.wrap(readFileSync(file, 'utf8').replace(/^#!.*/, ''));
// an import() left in the bundle (of a package or built-in) resolves as it would in the module
const importModuleDynamically = constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER ?? ((specifier) => import(specifier));
const script = new Script(wrapped, { filename: file, cachedData, importModuleDynamically });
const m = new Module(file, module);
m.filename = file;
m.paths = Module._nodeModulePaths(__dirname);
script.runInThisContext().call(m.exports, m.exports, Module.createRequire(file), m, file, __dirname);
