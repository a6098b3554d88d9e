// The monitoring snapshots the system account serves over NATS (nats-server events.go's
// monSrvc and monAccSrvc tables): each request's JSON body holds the endpoint's options under
// nats-server's JSON names (ConnzOptions' `sort`, `auth`, `acc`...), decoded here into the HTTP
// endpoints' options. One table entry per endpoint. Reads, never writes.

import type { JszOptions } from '../jetstream/host.js';
import type { Server } from '../server/server.js';
import type { AccountEndpoint, ServerEndpoint, ServerStats, SystemViews } from '../sys/host.js';
import { accountInfo, accountStat, accountz, localConnections } from './accountz.js';
import { connz, type ConnState } from './connz.js';
import { goTime } from './go-format.js';
import { healthz } from './healthz.js';
import { jszInfo } from './jsz.js';
import { leafz } from './leafz.js';
import { numCores, processUsage } from './process-usage.js';
import { routez } from './routez.js';
import { subsz } from './subsz.js';
import { varz } from './varz.js';

type Opts = Record<string, unknown>;

const str = (o: Opts, k: string): string => (typeof o[k] === 'string' ? (o[k] as string) : '');
const num = (o: Opts, k: string): number => (typeof o[k] === 'number' ? (o[k] as number) : 0);
const bool = (o: Opts, k: string): boolean => o[k] === true;

/** nats-server ConnState in JSON: 0 open, 1 closed, 2 any. */
function connState(o: Opts): ConnState {
  const v = num(o, 'state');
  return v === 1 ? 'closed' : v === 2 ? 'any' : 'open';
}

/** ConnzOptions from a request body; `acc` fixed for the per-account request. */
function connzOf(server: Server, o: Opts, acc?: string): unknown {
  return connz(server, {
    sort: str(o, 'sort'),
    auth: bool(o, 'auth'),
    subscriptions: bool(o, 'subscriptions'),
    subscriptionsDetail: bool(o, 'subscriptions_detail'),
    offset: num(o, 'offset'),
    limit: num(o, 'limit'),
    cid: num(o, 'cid'),
    mqttClient: str(o, 'mqtt_client'),
    state: connState(o),
    user: str(o, 'user'),
    account: acc ?? str(o, 'acc'),
  });
}

/** nats-server JSzOptions from a request body (`consumer`, singular, as its JSON name). */
function jszOf(o: Opts): JszOptions {
  return {
    account: str(o, 'account'),
    accounts: bool(o, 'accounts'),
    streams: bool(o, 'streams'),
    consumers: bool(o, 'consumer'),
    config: bool(o, 'config'),
    offset: num(o, 'offset'),
    limit: num(o, 'limit'),
  };
}

/** An endpoint's failure where nats-server returns a typed nil: the reply has `"data": null`. */
const typedNil = (text: string): Error => Object.assign(new Error(text), { data: null });

/** nats-server JszAccount: one account's AccountDetail, with its error texts. */
function jszAccount(server: Server, acc: string, o: Opts): unknown {
  if (server.jetstream === null) throw typedNil('jetstream not enabled');
  if (!server.accounts.has(acc)) throw typedNil(`account "${acc}" not found`);
  const details = jszInfo(server, { ...jszOf(o), account: acc, accounts: false }).account_details as unknown[] | undefined;
  if (details === undefined) throw typedNil(`account "${acc}" not jetstream enabled`);
  return details[0];
}

/** nats-server Gatewayz: tsnats has no gateways. */
function gatewayz(server: Server): unknown {
  return { server_id: server.id, now: goTime(Date.now(), true), outbound_gateways: {}, inbound_gateways: {} };
}

/** The server-wide endpoints of $SYS.REQ.SERVER.<id|PING>.<X> (STATSZ is the system's own). */
function serverEndpoints(server: Server): Record<string, ServerEndpoint> {
  return {
    VARZ: () => varz(server),
    SUBSZ: (o) =>
      subsz(server, { offset: num(o, 'offset'), limit: num(o, 'limit'), subscriptions: bool(o, 'subscriptions'), account: str(o, 'account'), test: str(o, 'test') }),
    CONNZ: (o) => connzOf(server, o),
    ROUTEZ: (o) => routez(server, { subs: bool(o, 'subscriptions'), detail: bool(o, 'subscriptions_detail') }),
    GATEWAYZ: () => gatewayz(server),
    LEAFZ: (o) => leafz(server, { subs: bool(o, 'subscriptions'), account: str(o, 'account') }),
    ACCOUNTZ: (o) => accountz(server, str(o, 'account')),
    HEALTHZ: () => healthz(server),
    JSZ: (o) => jszInfo(server, jszOf(o)),
  };
}

/** The per-account endpoints of $SYS.REQ.ACCOUNT.<acc>.<X> (CONNS and STATZ are the system's own). */
function accountEndpoints(server: Server): Record<string, AccountEndpoint> {
  return {
    SUBSZ: (acc, o) => subsz(server, { offset: num(o, 'offset'), limit: num(o, 'limit'), subscriptions: true, account: acc, test: str(o, 'test') }),
    CONNZ: (acc, o) => connzOf(server, o, acc),
    LEAFZ: (acc, o) => leafz(server, { subs: bool(o, 'subscriptions'), account: acc }),
    INFO: (acc) => accountInfo(server, acc),
    JSZ: (acc, o) => jszAccount(server, acc, o),
  };
}

/** nats-server sendStatsz's ServerStats (without active_servers and JetStream). */
function statsz(server: Server): ServerStats {
  const usage = processUsage();
  const st = server.stats;
  let active = 0;
  for (const a of server.accounts.values()) if (a === server.systemAccount || localConnections(server, a) > 0) active++;
  const routes = (server.cluster?.routes() ?? []).sort((a, b) => a.rid - b.rid);
  return {
    start: goTime(server.start.getTime()),
    mem: usage.rss,
    cores: numCores(),
    cpu: usage.cpu,
    connections: server.clients.size,
    total_connections: server.totalConnections,
    active_accounts: active,
    subscriptions: server.numSubscriptions(),
    sent: { msgs: st.outMsgs, bytes: st.outBytes },
    received: { msgs: st.inMsgs, bytes: st.inBytes },
    slow_consumers: st.slowConsumers,
    ...(routes.length > 0
      ? {
          routes: routes.map((r) => ({
            rid: r.rid,
            ...(r.remoteName !== '' ? { name: r.remoteName } : {}),
            sent: { msgs: r.outMsgs, bytes: r.outBytes },
            received: { msgs: r.inMsgs, bytes: r.inBytes },
            pending: r.pendingBytes,
          })),
        }
      : {}),
  };
}

/** The system's views of `server`. */
export function systemViews(server: Server): SystemViews {
  return {
    server: serverEndpoints(server),
    account: accountEndpoints(server),
    statsz: () => statsz(server),
    accountStat: (name) => {
      const a = server.accounts.get(name);
      return a === undefined ? null : accountStat(server, a);
    },
  };
}
