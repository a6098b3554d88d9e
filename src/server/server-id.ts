// Server identities in nkey style, as nats-server shows them ('N' + 55 base32 characters).
// The key is only an identity here: nothing is signed with it.

import { createServer } from '@nats-io/nkeys';

export function newServerId(): string {
  return createServer().getPublicKey();
}
