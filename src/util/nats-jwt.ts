// The JWT and nkeys libraries (@nats-io/jwt, @nats-io/nkeys), loaded on first use: only a
// server in operator mode (or a config that names an operator) pays for them at start-up.

import { createRequire } from 'node:module';
import type * as JwtLib from '@nats-io/jwt';
import type * as NkeysLib from '@nats-io/nkeys';

export type { JwtLib, NkeysLib };

const require = createRequire(import.meta.url);
let jwtLib: typeof JwtLib | null = null;
let nkeysLib: typeof NkeysLib | null = null;

/** @nats-io/jwt (decode verifies a JWT's signature against its issuer). */
export function natsJwt(): typeof JwtLib {
  return (jwtLib ??= require('@nats-io/jwt') as typeof JwtLib);
}

/** @nats-io/nkeys. */
export function natsNkeys(): typeof NkeysLib {
  return (nkeysLib ??= require('@nats-io/nkeys') as typeof NkeysLib);
}
