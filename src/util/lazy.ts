// Modules that a plain start does not use, loaded synchronously at their first use: a server
// without TLS, bcrypt passwords, `--signal` or an operator never pays for them (see bench
// scenario s). Each is a package or a Node built-in named by a literal here; nothing else is
// loaded this way.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const load = createRequire(import.meta.url);

function once<T>(get: () => T): () => T {
  let m: T | undefined;
  return () => (m ??= get());
}

/** bcryptjs (its CommonJS build): only for bcrypt password hashes. */
export const bcryptjs = once(() => load('bcryptjs') as typeof import('bcryptjs'));
/** node:tls: only with a `tls` block or `--tls`. */
export const nodeTls = once(() => load('node:tls') as typeof import('node:tls'));
/** node:zlib: only for a system request that asks for a gzip reply and the TS path's CRC-32 of a long file-store record (the WebSocket listener loads its own). */
export const nodeZlib = once(() => load('node:zlib') as typeof import('node:zlib'));
/** node:child_process: only for `--signal` without a pid (pgrep). */
export const childProcess = once(() => load('node:child_process') as typeof import('node:child_process'));
/** @nats-io/jwt: only in operator mode (decode verifies a JWT's signature against its issuer). */
export const natsJwt = once(() => load('@nats-io/jwt') as typeof import('@nats-io/jwt'));
/** @nats-io/nkeys: only in operator mode (user nonce signatures, signing keys). */
export const natsNkeys = once(() => load('@nats-io/nkeys') as typeof import('@nats-io/nkeys'));
/** The `uplot` package's dist/ folder (its browser build): only when the dashboard is opened. */
export const uplotDir = once(() => join(dirname(load.resolve('uplot/package.json')), 'dist'));
