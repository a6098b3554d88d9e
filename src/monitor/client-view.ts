// Read-only views of a Client that several endpoints share: its account, the user nats-server
// would report, and its subscriptions as /connz and /subsz list them.

import type { Subscription } from '../accounts/account.js';
import type { Client } from '../client/client.js';
import { byteString } from './go-format.js';

export { GLOBAL_ACCOUNT } from '../accounts/account.js';

/** /connz and /subsz `subscriptions_list_detail` / `subscriptions_list` entries. */
export interface SubDetail {
  account?: string;
  subject: string;
  qgroup?: string;
  sid: string;
  msgs: number;
  max?: number;
  cid: number;
}

/** The account the client is bound to. */
export function accountOf(c: Client): string {
  return c.acc.name;
}

/**
 * The user name nats-server keeps in `c.opts.Username`: the CONNECT user, replaced by the
 * configured entry's name once one is matched (no_auth_user included).
 */
export function userNameOf(c: Client): string {
  const u = c.user;
  if (u !== null && 'user' in u && u.user !== '') return u.user;
  return c.opts.user;
}

/** nats-server getRawAuthUser: nkey, else user name, else token. */
export function authorizedUserOf(c: Client): string {
  return c.opts.nkey || userNameOf(c) || c.opts.auth_token;
}

/**
 * nats-server newClientSubDetail (`withAccount`: newSubDetail, which adds the account), for a
 * client's subscription.
 */
export function subDetail(sub: Subscription, withAccount: boolean): SubDetail {
  const c = sub.client as Client;
  return {
    ...(withAccount ? { account: accountOf(c) } : {}),
    subject: byteString(sub.subject),
    ...(sub.queue !== null && sub.queue !== '' ? { qgroup: byteString(sub.queue) } : {}),
    sid: byteString(sub.sid),
    msgs: sub.nm,
    ...(sub.max !== 0 ? { max: sub.max } : {}),
    cid: c.cid,
  };
}
