// Config reload (SIGHUP), as nats-server's reload.go diffOptions decides it: the new options are
// compared field by field, in the order of nats-server's Options struct; a change to a field that
// cannot be reloaded fails the whole reload (`config reload not supported for <Field>: old=..,
// new=..`) and the running options stay as they were. Otherwise every change is applied and
// logged with nats-server's "Reloaded: ..." lines.

import { goDurationMs } from '../config/values.js';
import type { ClusterOptions, ServerOptions } from '../config/types.js';

/** What applying a change involves besides setting the field (the runtime does these). */
export type ReloadEffect = 'none' | 'logging' | 'maxConnections' | 'pidFile' | 'portsFileDir' | 'cluster' | 'routes';

export interface ReloadChange {
  /** nats-server's Options field name. */
  field: string;
  /** The line logged once applied ('' = none). */
  log: string;
  effect: ReloadEffect;
}

export class ReloadError extends Error {}

type Key = keyof ServerOptions;

interface FieldRule {
  go: string;
  keys: Key[];
  /** How nats-server prints the value with %v. */
  show?: (v: unknown) => string;
  /** Reloadable: the log line for the new options, and the effect. Absent = not reloadable. */
  apply?: (n: ServerOptions) => { log: string; effect?: ReloadEffect };
  /** Compared even when equal (nats-server's users and accounts always count as changed). */
  always?: boolean;
}

const dur = (v: unknown): string => goDurationMs(v as number);

/** The fields tsnats has, in nats-server's Options order. */
const FIELDS: FieldRule[] = [
  { go: 'ConfigFile', keys: ['configFile'] },
  { go: 'ServerName', keys: ['serverName'] },
  { go: 'Host', keys: ['host'] },
  { go: 'Port', keys: ['port'] },
  { go: 'ClientAdvertise', keys: ['clientAdvertise'], apply: (n) => ({ log: `Reload: client_advertise = ${n.clientAdvertise}` }) },
  { go: 'Trace', keys: ['trace'], apply: (n) => ({ log: `Reloaded: trace = ${n.trace}`, effect: 'logging' }) },
  { go: 'Debug', keys: ['debug'], apply: (n) => ({ log: `Reloaded: debug = ${n.debug}`, effect: 'logging' }) },
  { go: 'NoHeaderSupport', keys: ['noHeaderSupport'] },
  { go: 'Logtime', keys: ['logtime'], apply: (n) => ({ log: `Reloaded: logtime = ${n.logtime}`, effect: 'logging' }) },
  {
    go: 'MaxConn',
    keys: ['maxConnections'],
    apply: (n) => ({ log: `Reloaded: max_connections = ${n.maxConnections}`, effect: 'maxConnections' }),
  },
  { go: 'MaxSubs', keys: ['maxSubscriptions'] },
  { go: 'MaxSubTokens', keys: ['maxSubTokens'] },
  { go: 'Nkeys', keys: ['nkeys'], apply: () => ({ log: 'Reloaded: authorization nkey users' }) },
  { go: 'Users', keys: ['users', 'defaultPermissions'], always: true, apply: () => ({ log: 'Reloaded: authorization users' }) },
  { go: 'Accounts', keys: [], always: true, apply: () => ({ log: 'Reloaded: accounts' }) },
  { go: 'NoAuthUser', keys: ['noAuthUser'] }, // special-cased below
  { go: 'SystemAccount', keys: ['systemAccount'] }, // special-cased below
  { go: 'NoSystemAccount', keys: ['noSystemAccount'] },
  { go: 'Username', keys: ['username'], apply: () => ({ log: 'Reloaded: authorization username' }) },
  { go: 'Password', keys: ['password'], apply: () => ({ log: 'Reloaded: authorization password' }) },
  { go: 'Authorization', keys: ['authorization'], apply: () => ({ log: 'Reloaded: authorization token' }) },
  { go: 'PingInterval', keys: ['pingIntervalMs'], show: dur, apply: (n) => ({ log: `Reloaded: ping_interval = ${dur(n.pingIntervalMs)}` }) },
  { go: 'MaxPingsOut', keys: ['pingMax'], apply: (n) => ({ log: `Reloaded: ping_max = ${n.pingMax}` }) },
  { go: 'HTTPHost', keys: ['httpHost'] },
  { go: 'HTTPPort', keys: ['httpPort'] },
  { go: 'HTTPBasePath', keys: ['httpBasePath'] },
  { go: 'HTTPSPort', keys: ['httpsPort'] },
  {
    go: 'AuthTimeout',
    keys: ['authTimeoutMs'],
    show: (v) => String((v as number) / 1000),
    apply: (n) => ({ log: `Reloaded: authorization timeout = ${n.authTimeoutMs / 1000}` }),
  },
  { go: 'MaxControlLine', keys: ['maxControlLine'], apply: (n) => ({ log: `Reloaded: max_control_line = ${n.maxControlLine}` }) },
  { go: 'MaxPayload', keys: ['maxPayload'], apply: (n) => ({ log: `Reloaded: max_payload = ${n.maxPayload}` }) },
  { go: 'MaxPending', keys: ['maxPending'] },
  { go: 'Cluster', keys: ['cluster'] }, // special-cased below (and the routes in it)
  // nats-server starts or stops JetStream on a reload; tsnats needs a restart for these (the
  // accounts' jetstream limits reload with the accounts).
  { go: 'JetStream', keys: ['jetstream'] },
  { go: 'JetStreamMaxMemory', keys: ['jetStreamMaxMemory'], show: (v) => String(v ?? 0) },
  { go: 'JetStreamMaxStore', keys: ['jetStreamMaxStore'], show: (v) => String(v ?? 0) },
  { go: 'JetStreamDomain', keys: ['jetStreamDomain'] },
  { go: 'StoreDir', keys: ['storeDir'] },
  { go: 'JsAccDefaultDomain', keys: ['jsAccDefaultDomain'] },
  { go: 'JetStreamSyncInterval', keys: ['jetStreamSyncIntervalMs'], show: dur },
  { go: 'Websocket', keys: ['websocket'] }, // not reloadable (the values print as JSON, not Go's %v)
  { go: 'LeafNode', keys: ['leafnode'] }, // not reloadable in tsnats (nats-server reloads its TLS only)
  {
    go: 'PidFile',
    keys: ['pidFile'],
    apply: (n) => ({ log: n.pidFile === '' ? '' : `Reloaded: pid_file = ${n.pidFile}`, effect: 'pidFile' }),
  },
  {
    go: 'PortsFileDir',
    keys: ['portsFileDir'],
    apply: (n) => ({ log: `Reloaded: ports_file_dir = ${n.portsFileDir}`, effect: 'portsFileDir' }),
  },
  { go: 'LogFile', keys: ['logFile'], apply: (n) => ({ log: `Reloaded: log_file = ${n.logFile}`, effect: 'logging' }) },
  { go: 'LogSizeLimit', keys: ['logSizeLimit'] },
  { go: 'TLSMap', keys: ['tlsMap'] },
  { go: 'WriteDeadline', keys: ['writeDeadlineMs'], show: dur, apply: (n) => ({ log: `Reloaded: write_deadline = ${dur(n.writeDeadlineMs)}` }) },
  { go: 'MaxClosedClients', keys: ['maxClosedClients'] },
  { go: 'LameDuckDuration', keys: ['lameDuckDurationMs'], show: dur },
  { go: 'LameDuckGracePeriod', keys: ['lameDuckGracePeriodMs'], show: dur },
  {
    go: 'MaxTracedMsgLen',
    keys: ['maxTracedMsgLen'],
    apply: (n) => ({ log: `Reloaded: max_traced_msg_len = ${n.maxTracedMsgLen}` }),
  },
];

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function showValue(v: unknown): string {
  if (v === null || v === undefined) return '[]';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Go's net.SplitHostPort-based check of client_advertise (parseHostPort). */
function checkClientAdvertise(v: string): void {
  if (v === '') return;
  const m = /^(?:\[([^\]]*)\]|([^:]*))(?::(\d+))?$/.exec(v.trim());
  if (!m) throw new ReloadError(`invalid ClientAdvertise value of ${v}, err=address ${v}: too many colons in address`);
}

/**
 * nats-server's `cluster` and `routes` reload options: the listener's host and port stay
 * (validateClusterOpts); the rest of the block applies to routes made from now on and to the
 * INFO routes get; routes no longer configured are closed and new ones solicited.
 */
function clusterChanges(cur: ClusterOptions | null, next: ClusterOptions | null): ReloadChange[] {
  const host = (c: ClusterOptions | null): string => c?.host ?? '';
  const port = (c: ClusterOptions | null): number => c?.port ?? 0;
  if (host(cur) !== host(next)) {
    throw new ReloadError(`config reload not supported for cluster host: old=${host(cur)}, new=${host(next)}`);
  }
  if (port(cur) !== port(next)) {
    throw new ReloadError(`config reload not supported for cluster port: old=${port(cur)}, new=${port(next)}`);
  }
  if (cur === null || next === null) return [];
  const changes: ReloadChange[] = [];
  if (!same({ ...cur, routes: [] }, { ...next, routes: [] })) changes.push({ field: 'Cluster', log: 'Reloaded: cluster', effect: 'cluster' });
  if (!same(cur.routes, next.routes)) changes.push({ field: 'Routes', log: 'Reloaded: cluster routes', effect: 'routes' });
  return changes;
}

/** The system account changes only by an account named `$SYS` that is the system account by its name. */
function sysAccountFromName(cur: ServerOptions, next: ServerOptions): boolean {
  const named = (o: ServerOptions): boolean => o.systemAccount === '$SYS' && o.accounts.some((a) => a.name === '$SYS');
  return (named(cur) && next.systemAccount === '') || (cur.systemAccount === '' && named(next));
}

/**
 * The changes a reload from `cur` to `next` makes, in order, or a ReloadError when one of them
 * cannot be reloaded. `next.port === -1` (random) keeps the running port. Options tsnats does
 * not check here (every field of ServerOptions not listed above) are carried over silently.
 */
export function planReload(cur: ServerOptions, next: ServerOptions): ReloadChange[] {
  if (next.port === -1 || next.port === 0) next.port = cur.port;
  const changes: ReloadChange[] = [];
  for (const f of FIELDS) {
    const changed = f.keys.some((k) => !same(cur[k], next[k]));
    if (!changed && !f.always) continue;
    if (f.go === 'NoAuthUser') {
      // Only removing a no_auth_user whose user is gone as well can be reloaded.
      const old = cur.noAuthUser;
      if (old !== '' && next.noAuthUser === '' && !(next.users ?? []).some((u) => u.user === old)) continue;
      throw new ReloadError(`config reload not supported for NoAuthUser: old=${old}, new=${next.noAuthUser}`);
    }
    if (f.go === 'Cluster') {
      changes.push(...clusterChanges(cur.cluster, next.cluster));
      continue;
    }
    // nats-server compares before an account named `$SYS` makes itself the system account of
    // the new options: only that account coming or going passes.
    if (f.go === 'SystemAccount' && sysAccountFromName(cur, next)) continue;
    if (f.go === 'ClientAdvertise') checkClientAdvertise(next.clientAdvertise);
    if (!f.apply) {
      const show = f.show ?? showValue;
      const k = f.keys[0]!;
      throw new ReloadError(`config reload not supported for ${f.go}: old=${show(cur[k])}, new=${show(next[k])}`);
    }
    const a = f.apply(next);
    changes.push({ field: f.go, log: a.log, effect: a.effect ?? 'none' });
  }
  return changes;
}
