// The `leafnodes` key: opts.go parseLeafNodes, parseLeafAuthorization, parseLeafUsers and
// parseRemoteLeafNodes, setBaselineOptions' leafnode part, and leafnode.go validateLeafNode and
// validateLeafNodeAuthOptions, with nats-server's error texts.

import { ConfigError, goTypeName, type ConfNode } from './conf.js';
import {
  boolValue,
  goQuote,
  goValueV,
  intValue,
  mapValue,
  readListen,
  recovering,
  stringValue,
  type KeyContext,
  type OptionReader,
} from './values.js';
import { isValidPublicAccountKey, parsePermSubjects } from './auth.js';
import { goUrlParse } from './cluster.js';
import { parseTls } from './tls.js';
import { AUTH_TIMEOUT_MS, DEFAULT_HOST, TLS_TIMEOUT_MS } from './defaults.js';
import type { LeafNodeOptions, LeafUser, RemoteLeafOptions, ServerOptions } from './types.js';

/** nats-server's DEFAULT_LEAFNODE_PORT: a remote URL without a port dials this one. */
export const DEFAULT_LEAFNODE_PORT = 7422;
/** nats-server's DEFAULT_LEAF_NODE_RECONNECT. */
export const DEFAULT_LEAF_NODE_RECONNECT_MS = 1000;
/** nats-server's DEFAULT_SYSTEM_ACCOUNT: validateLeafNode counts it as existing. */
const DEFAULT_SYSTEM_ACCOUNT = '$SYS';

/** A leafnodes block with nothing set: no listener (port 0), no remotes. */
export function defaultLeafNodeOptions(): LeafNodeOptions {
  return {
    host: '',
    port: 0,
    advertise: '',
    noAdvertise: false,
    username: '',
    password: '',
    account: '',
    users: null,
    authTimeoutMs: 0,
    tls: null,
    tlsTimeoutMs: 0,
    reconnectMs: 0,
    minVersion: '',
    remotes: [],
  };
}

/** validateLeafNodeAuthOptions: one user or a users array, and no user twice. */
function validateLeafAuth(ln: LeafNodeOptions): string | undefined {
  if (ln.users === null || ln.users.length === 0) return undefined;
  if (ln.username !== '') return 'can not have a single user/pass and a users array';
  const seen = new Set<string>();
  for (const u of ln.users) {
    if (seen.has(u.user)) return `duplicate user ${goQuote(u.user)} detected in leafnode authorization`;
    seen.add(u.user);
  }
  return undefined;
}

/** An unknown key inside a leafnodes map (unless used as a variable). */
function unknown(k: string, v: ConfNode, c: KeyContext): void {
  if (!v.usedAsVariable) c.error(`unknown field ${goQuote(k)}`, v.pos);
}

/**
 * parseLeafAuthorization: user, password, account, timeout (seconds; a wrong type is 1 s), users.
 * A wrong type stops it, and parseLeafNodes then dereferences its nil result: the block stops
 * with Go's nil pointer error.
 */
function leafAuthorization(v: ConfNode, ln: LeafNodeOptions, c: KeyContext): void {
  const ok = recovering(c.report, false, () => {
    const m = mapValue(v);
    let users: LeafUser[] | null = null;
    let user = '';
    let pass = '';
    let account = '';
    let timeout = 0;
    for (const [k, mv] of m) {
      switch (k.toLowerCase()) {
        case 'user':
        case 'username':
          user = stringValue(mv);
          break;
        case 'pass':
        case 'password':
          pass = stringValue(mv);
          break;
        case 'timeout':
          timeout = mv.kind === 'int' || mv.kind === 'float' ? mv.value : 1;
          break;
        case 'users': {
          const list = leafUsers(mv, c);
          if (list !== undefined) users = list;
          break;
        }
        case 'account':
          account = stringValue(mv);
          break;
        default:
          unknown(k, mv, c);
      }
    }
    ln.username = user;
    ln.password = pass;
    ln.authTimeoutMs = timeout * 1000;
    ln.account = account;
    ln.users = users;
    const bad = validateLeafAuth(ln);
    if (bad !== undefined) c.error(bad, v.pos);
    return true;
  });
  if (!ok) throw new ConfigError('runtime error: invalid memory address or nil pointer dereference', v.pos);
}

/** parseLeafUsers: a list of `{ user, password, account }`. */
function leafUsers(v: ConfNode, c: KeyContext): LeafUser[] | undefined {
  return recovering<LeafUser[] | undefined>(c.report, undefined, () => {
    if (v.kind !== 'array') {
      c.error(`Expected users field to be an array, got ${goValueV(v)}`, v.pos);
      return undefined;
    }
    const out: LeafUser[] = [];
    for (const u of v.value) {
      if (u.kind !== 'map') {
        c.error(`Expected user entry to be a map/struct, got ${goValueV(u)}`, u.pos);
        continue;
      }
      const user: LeafUser = { user: '', password: '', account: '' };
      for (const [k, uv] of u.value) {
        switch (k.toLowerCase()) {
          case 'user':
          case 'username':
            user.user = stringValue(uv);
            break;
          case 'pass':
          case 'password':
            user.password = stringValue(uv);
            break;
          case 'account':
            user.account = stringValue(uv);
            break;
          default:
            unknown(k, uv, c);
        }
      }
      out.push(user);
    }
    return out;
  });
}

/** parseURL(u, "leafnode"): trimmed, checked as Go's url.Parse; undefined (reported) when it fails. */
function leafUrl(raw: string, node: ConfNode, c: KeyContext): string | undefined {
  const url = raw.trim();
  if (typeof goUrlParse(url) === 'string') {
    c.error(`error parsing leafnode url [${goQuote(url)}]`, node.pos);
    return undefined;
  }
  return url;
}

/** parseRemoteLeafNodes: the `remotes` list. */
function remoteLeafNodes(v: ConfNode, c: KeyContext): RemoteLeafOptions[] | undefined {
  return recovering<RemoteLeafOptions[] | undefined>(c.report, undefined, () => {
    if (v.kind !== 'array') {
      c.error(`Expected remotes field to be an array, got ${goTypeName(v)}`, v.pos);
      return undefined;
    }
    const remotes: RemoteLeafOptions[] = [];
    for (const r of v.value) {
      if (r.kind !== 'map') {
        c.error(`Expected remote leafnode entry to be a map/struct, got ${goValueV(r)}`, r.pos);
        continue;
      }
      const remote: RemoteLeafOptions = {
        urls: [],
        account: '',
        credentials: '',
        tls: null,
        hub: false,
        noRandomize: false,
        denyImports: [],
        denyExports: [],
      };
      for (const [k, rv] of r.value) {
        switch (k.toLowerCase()) {
          case 'no_randomize':
          case 'dont_randomize':
            remote.noRandomize = boolValue(rv);
            break;
          case 'url':
          case 'urls':
            if (rv.kind === 'array') {
              // parseURLs(..., "leafnode"): a repeated URL is a warning.
              const seen = new Set<string>();
              const urls: string[] = [];
              let failed = false;
              for (const n of rv.value) {
                const raw = stringValue(n);
                if (seen.has(raw)) {
                  c.warn(raw, 'Duplicate leafnode entry detected', n.pos);
                  continue;
                }
                seen.add(raw);
                const u = leafUrl(raw, n, c);
                if (u === undefined) failed = true;
                else urls.push(u);
              }
              if (!failed) remote.urls = urls;
            } else if (rv.kind === 'string') {
              const u = leafUrl(rv.value, rv, c);
              if (u !== undefined) remote.urls.push(u);
            } else {
              c.error(`Expected remote leafnode url to be an array or string, got ${goValueV(rv)}`, rv.pos);
            }
            break;
          case 'account':
          case 'local':
            remote.account = stringValue(rv);
            break;
          case 'creds':
          case 'credentials':
            remote.credentials = expandHome(stringValue(rv));
            break;
          case 'tls': {
            const parsed = parseTls(rv, c, true);
            if (parsed !== undefined) remote.tls = parsed.tls;
            break;
          }
          case 'hub':
            remote.hub = boolValue(rv);
            break;
          case 'deny_imports':
          case 'deny_import': {
            const s = parsePermSubjects(rv, rv.pos, c.report);
            if (s !== undefined) remote.denyImports = s ?? [];
            break;
          }
          case 'deny_exports':
          case 'deny_export': {
            const s = parsePermSubjects(rv, rv.pos, c.report);
            if (s !== undefined) remote.denyExports = s ?? [];
            break;
          }
          case 'ws_compress':
          case 'ws_compression':
          case 'websocket_compress':
          case 'websocket_compression':
          case 'ws_no_masking':
          case 'websocket_no_masking':
            boolValue(rv);
            c.notice(`leafnode remote ${k} is not supported by tsnats yet: ignored`, rv.pos);
            break;
          case 'jetstream_cluster_migrate':
          case 'js_cluster_migrate':
            break;
          default:
            unknown(k, rv, c);
        }
      }
      remotes.push(remote);
    }
    return remotes;
  });
}

/** Go's expandPath: a leading `~` is the home directory. */
function expandHome(p: string): string {
  if (!p.startsWith('~')) return p;
  return (process.env.HOME ?? '') + p.slice(1);
}

/**
 * The top-level `leafnodes` key. A wrong type stops the block (nats-server's recovered panic),
 * keeping what was set before it.
 */
function leafnodesKey(v: ConfNode, c: KeyContext): void {
  if (v.kind !== 'map') return c.error(`Expected map to define a leafnode, got ${goTypeName(v)}`);
  const ln: LeafNodeOptions = { ...(c.opts.leafnode ?? defaultLeafNodeOptions()) };
  c.opts.leafnode = ln;
  recovering(c.report, undefined, () => {
    for (const [mk, mv] of v.value) {
      switch (mk.toLowerCase()) {
        case 'listen':
          readListen(mv, c.report, ln);
          break;
        case 'port':
          ln.port = intValue(mv);
          break;
        case 'host':
        case 'net':
          ln.host = stringValue(mv);
          break;
        case 'authorization':
          leafAuthorization(mv, ln, c);
          break;
        case 'remotes': {
          const remotes = remoteLeafNodes(mv, c);
          if (remotes !== undefined) ln.remotes = remotes;
          break;
        }
        case 'reconnect':
        case 'reconnect_delay':
        case 'reconnect_interval':
          ln.reconnectMs = intValue(mv) * 1000;
          break;
        case 'tls': {
          const parsed = parseTls(mv, c, true);
          if (parsed !== undefined) {
            ln.tls = parsed.tls;
            ln.tlsTimeoutMs = parsed.timeoutMs;
          }
          break;
        }
        case 'leafnode_advertise':
        case 'advertise':
          ln.advertise = stringValue(mv);
          break;
        case 'no_advertise':
          ln.noAdvertise = boolValue(mv);
          break;
        case 'min_version':
        case 'minimum_version': {
          const version = stringValue(mv);
          const bad = checkMinVersion(version);
          if (bad !== undefined) c.error(bad, mv.pos);
          else ln.minVersion = version;
          break;
        }
        default:
          unknown(mk, mv, c);
      }
    }
  });
}

/** checkLeafMinVersionConfig: a semantic version of at least 2.8.0. */
function checkMinVersion(mv: string): string | undefined {
  const m = /^v?([0-9]+)\.([0-9]+)\.([0-9]+)/.exec(mv);
  if (m === null) return `invalid leafnode's minimum version: invalid semver`;
  const [maj, min] = [Number(m[1]), Number(m[2])];
  if (maj < 2 || (maj === 2 && min < 8)) return 'the minimum version should be at least 2.8.0';
  return undefined;
}

/** setBaselineOptions' leafnode part: host, auth timeout, remote ports, reconnect interval. */
function baselineLeafNode(opts: ServerOptions): void {
  const ln = opts.leafnode;
  if (ln === null) return;
  const next: LeafNodeOptions = { ...ln };
  if (ln.port !== 0) {
    if (ln.host === '') next.host = DEFAULT_HOST;
    if (ln.tlsTimeoutMs === 0) next.tlsTimeoutMs = TLS_TIMEOUT_MS;
    if (ln.authTimeoutMs === 0) next.authTimeoutMs = ln.tls !== null ? next.tlsTimeoutMs + 1000 : AUTH_TIMEOUT_MS;
  }
  next.remotes = ln.remotes.map((r) => ({ ...r, urls: r.urls.map(withDefaultPort) }));
  if (ln.reconnectMs === 0) next.reconnectMs = DEFAULT_LEAF_NODE_RECONNECT_MS;
  opts.leafnode = next;
}

/** A remote URL without a port gets DEFAULT_LEAFNODE_PORT (`nats-leaf://h` → `nats-leaf://h:7422`). */
function withDefaultPort(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return raw;
  }
  if (u.port !== '' || u.hostname === '') return raw;
  u.port = String(DEFAULT_LEAFNODE_PORT);
  return u.toString().replace(/\/$/, raw.endsWith('/') ? '/' : '');
}

/** validateLeafNode (the checks that apply to tsnats's options). */
function validateLeafNode(o: ServerOptions): void {
  const ln = o.leafnode;
  if (ln === null) return;
  const fail = (text: string): never => {
    throw new ConfigError(text, undefined, 'validation');
  };
  const bad = validateLeafAuth(ln);
  if (bad !== undefined) fail(bad);
  if (o.trustedOperators.length === 0) {
    const names = new Set<string>(['$G', '', ...o.accounts.map((a) => a.name)]);
    if (o.systemAccount === '') names.add(DEFAULT_SYSTEM_ACCOUNT);
    const check = (name: string, where: string): void => {
      if (!names.has(name)) fail(`cannot find local account ${goQuote(name)} specified in leafnode ${where}`);
    };
    check(ln.account, 'authorization');
    for (const u of ln.users ?? []) check(u.account, 'authorization');
    for (const r of ln.remotes) check(r.account, 'remote');
  } else {
    if (ln.users !== null && ln.users.length > 0) fail('operator mode does not allow specifying user in leafnode config');
    for (const r of ln.remotes) {
      if (!isValidPublicAccountKey(r.account)) {
        fail(
          'operator mode requires account nkeys in remotes. ' +
            'Please add an `account` key to each remote in your `leafnodes` section, to assign it to an account. ' +
            "Each account value should be a 56 character public key, starting with the letter 'A'",
        );
      }
    }
    if (ln.port !== 0 && ln.account !== '' && !isValidPublicAccountKey(ln.account)) fail('operator mode and non account nkeys are incompatible');
  }
  for (const r of ln.remotes) {
    if (r.urls.length < 2) continue;
    const ws = r.urls.map((u) => /^wss?:\/\//i.test(u));
    if (ws.some((w) => w !== ws[0])) {
      fail(`remote leaf node configuration cannot have a mix of websocket and non-websocket urls: [${r.urls.map((u) => goQuote(redactUrl(u))).join(' ')}]`);
    }
  }
}

/** Go's url.Redacted: a password shown as `xxxxx`. */
export function redactUrl(raw: string): string {
  return raw.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*:)[^@/]*@/i, '$1xxxxx@');
}

/** The `leafnodes` key. */
export const LEAFNODE_READER: OptionReader = {
  keys: [[['leafnodes', 'leaf'], leafnodesKey]],
  baseline: baselineLeafNode,
  validate: validateLeafNode,
};
