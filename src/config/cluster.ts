// The `cluster` key: opts.go parseCluster, parseURLs, setClusterPermissions, and
// overrideCluster (the --cluster flag), with the checks of Go's net/url.Parse they rely on.

import { ConfigError, goTypeName, type ConfNode } from './conf.js';
import {
  arrayValue,
  boolValue,
  goQuote,
  intValue,
  readListen,
  recovering,
  secondsToMs,
  splitHostPort,
  stringValue,
  TWO63,
  type KeyContext,
  type OptionReader,
} from './values.js';
import { parseAuthorization, parseUserPermissions } from './auth.js';
import { parseTls } from './tls.js';
import { AUTH_TIMEOUT_MS, DEFAULT_HOST, TLS_TIMEOUT_MS } from './defaults.js';
import type { ClusterOptions, Permissions } from './types.js';

/** A cluster block with nothing set: no listener (port 0), no routes. */
export function defaultClusterOptions(): ClusterOptions {
  return {
    name: '',
    host: '',
    port: 0,
    advertise: '',
    noAdvertise: false,
    connectRetries: 0,
    routes: [],
    username: '',
    password: '',
    authTimeoutMs: 0,
    permissions: null,
  };
}

/** setClusterPermissions: the parsed publish permission is import, subscribe is export. */
function routePermissions(p: Permissions): ClusterOptions['permissions'] {
  return { import: p.publish, export: p.subscribe };
}

/**
 * The top-level `cluster` key. A wrong type stops the block (nats-server's recovered panic),
 * keeping what was set before it.
 */
export function clusterKey(v: ConfNode, c: KeyContext): void {
  if (v.kind !== 'map') return c.error(`Expected map to define cluster, got ${goTypeName(v)}`);
  const cl: ClusterOptions = { ...(c.opts.cluster ?? defaultClusterOptions()) };
  c.opts.cluster = cl;
  recovering(c.report, undefined, () => {
    for (const [mk, mv] of v.value) {
      switch (mk.toLowerCase()) {
        case 'name':
          cl.name = stringValue(mv);
          break;
        case 'listen':
          readListen(mv, c.report, cl);
          break;
        case 'port':
          cl.port = intValue(mv);
          break;
        case 'host':
        case 'net':
          cl.host = stringValue(mv);
          break;
        case 'authorization':
          clusterAuthorization(mk, mv, cl, c);
          break;
        case 'routes': {
          const routes = parseRouteUrls(arrayValue(mv), c);
          if (routes !== undefined) cl.routes = routes;
          break;
        }
        case 'tls': {
          const parsed = parseTls(mv, c, false);
          if (parsed === undefined) break;
          cl.tls = { ...parsed.tls, verify: true };
          cl.tlsTimeoutMs = parsed.timeoutMs;
          break;
        }
        case 'cluster_advertise':
        case 'advertise':
          cl.advertise = stringValue(mv);
          break;
        case 'no_advertise':
          cl.noAdvertise = boolValue(mv);
          break;
        case 'connect_retries':
          cl.connectRetries = intValue(mv);
          break;
        case 'permissions': {
          const perms = parseUserPermissions(mv, c.report, null);
          if (perms === undefined) break;
          if (perms.response !== null) c.error('Cluster permissions do not support dynamic responses', mv.pos);
          else cl.permissions = routePermissions(perms);
          break;
        }
        default:
          if (!mv.usedAsVariable) c.error(`unknown field ${goQuote(mk)}`, mv.pos);
      }
    }
  });
}

/** The `cluster` key. */
export const CLUSTER_READER: OptionReader = {
  keys: [[['cluster'], clusterKey]],
  // A listening cluster binds DEFAULT_HOST unless told; its TLS timeout is TLS_TIMEOUT unless
  // told, and its auth timeout getDefaultAuthTimeout's: the TLS timeout + 1 s with TLS, else
  // AUTH_TIMEOUT.
  baseline: (opts) => {
    const cl = opts.cluster;
    if (cl !== null && cl.port !== 0) {
      const tlsTimeoutMs = cl.tlsTimeoutMs || TLS_TIMEOUT_MS;
      const tls = cl.tls ?? null;
      opts.cluster = {
        ...cl,
        host: cl.host === '' ? DEFAULT_HOST : cl.host,
        ...(tls !== null ? { tlsTimeoutMs } : {}),
        authTimeoutMs: cl.authTimeoutMs !== 0 ? cl.authTimeoutMs : tls !== null ? tlsTimeoutMs + 1000 : AUTH_TIMEOUT_MS,
      };
    }
  },
};

/** The cluster's `authorization { user, password, timeout }`: one user, no token. */
function clusterAuthorization(key: string, v: ConfNode, cl: ClusterOptions, c: KeyContext): void {
  const auth = parseAuthorization(v, c.report);
  // nats-server goes on with a nil result and dereferences it, which ends the block.
  if (auth === undefined) throw new ConfigError('runtime error: invalid memory address or nil pointer dereference', v.pos);
  if (auth.users !== null) return c.error('Cluster authorization does not allow multiple users', v.pos);
  if (auth.token !== '') return c.error('Cluster authorization does not support tokens', v.pos);
  cl.username = auth.user;
  cl.password = auth.pass;
  cl.authTimeoutMs = secondsToMs(auth.timeout);
  if (auth.defaultPermissions === null) return;
  c.warn(key, 'setting "permissions" within cluster authorization block is deprecated', v.pos);
  // The cluster block's own `permissions` win, whatever their place.
  cl.permissions ??= routePermissions(auth.defaultPermissions);
}

/**
 * parseURLs(..., "route"): each URL trimmed and checked as Go's url.Parse would; a repeated
 * one is a warning. undefined when any failed (the routes are then left as they were).
 */
function parseRouteUrls(list: ConfNode[], c: KeyContext): string[] | undefined {
  let failed = false;
  const urls = recovering<string[] | undefined>(c.report, undefined, () => {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const node of list) {
      const raw = stringValue(node);
      if (seen.has(raw)) {
        c.warn(raw, 'Duplicate route entry detected', node.pos);
        continue;
      }
      seen.add(raw);
      const url = raw.trim();
      if (typeof goUrlParse(url) === 'string') {
        c.error(`error parsing route url [${goQuote(url)}]`, node.pos);
        failed = true;
        continue;
      }
      out.push(url);
    }
    return out;
  });
  return failed ? undefined : urls;
}

/** What tsnats uses of a URL that Go's url.Parse accepted. */
export interface GoUrl {
  scheme: string;
  /** The userinfo, unescaped; password null when there is no ':' in it. */
  user: { username: string; password: string | null } | null;
  /** host[:port], unescaped. */
  host: string;
}

/** Go's url.Parse: the parts tsnats uses, or the error text (`parse "<url>": <why>`). */
export function goUrlParse(raw: string): GoUrl | string {
  const hash = raw.indexOf('#');
  const u = hash < 0 ? raw : raw.slice(0, hash);
  const url = goUrlParseNoFragment(u);
  if (typeof url === 'string') return `parse ${goQuote(u)}: ${url}`;
  if (hash >= 0) {
    const frag = urlUnescape(raw.slice(hash + 1), 'fragment');
    if (typeof frag !== 'string') return `parse ${goQuote(raw)}: ${frag.error}`;
  }
  return url;
}

type UrlPart = 'path' | 'host' | 'zone' | 'userinfo' | 'fragment';

const isHex = (ch: string | undefined): boolean => ch !== undefined && /^[0-9a-fA-F]$/.test(ch);

/** net/url's shouldEscape(byte, encodeHost): what a host may not hold as it is. */
function hostByteNeedsEscape(byte: number): boolean {
  return byte >= 0x80 || !/^[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"]$/.test(String.fromCharCode(byte));
}

/** net/url's unescape: the unescaped text, or the error. */
function urlUnescape(s: string, part: UrlPart): string | { error: string } {
  const host = part === 'host' || part === 'zone';
  for (let i = 0; i < s.length; ) {
    if (s[i] === '%') {
      const esc = s.slice(i, i + 3);
      if (!isHex(s[i + 1]) || !isHex(s[i + 2])) return { error: `invalid URL escape ${goQuote(esc)}` };
      const byte = parseInt(esc.slice(1), 16);
      // A host may %-encode only non-ASCII bytes (and %25, a zone's '%').
      if (part === 'host' && byte < 0x80 && esc !== '%25') return { error: `invalid URL escape ${goQuote(esc)}` };
      // A zone may %-encode only what a host could hold as it is (and a space).
      if (part === 'zone' && esc !== '%25' && byte !== 0x20 && hostByteNeedsEscape(byte)) {
        return { error: `invalid URL escape ${goQuote(esc)}` };
      }
      i += 3;
    } else {
      if (host && s.charCodeAt(i) < 0x80 && hostByteNeedsEscape(s.charCodeAt(i))) {
        return { error: `invalid character ${goQuote(s[i]!)} in host name` };
      }
      i++;
    }
  }
  try {
    return decodeURIComponent(s);
  } catch {
    // Not UTF-8 once unescaped: Go keeps the bytes; tsnats keeps them as Latin-1.
    return s.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
}

/** net/url's parse(rawURL, viaRequest=false), the fragment already cut. */
function goUrlParseNoFragment(raw: string): GoUrl | string {
  if (/[\x00-\x1f\x7f]/.test(raw)) return 'net/url: invalid control character in URL';
  const url: GoUrl = { scheme: '', user: null, host: '' };
  if (raw === '*') return url;
  // getScheme
  let rest = raw;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (/[A-Za-z]/.test(ch)) continue;
    if (/[0-9+\-.]/.test(ch)) {
      if (i === 0) break;
      continue;
    }
    if (ch === ':') {
      if (i === 0) return 'missing protocol scheme';
      url.scheme = raw.slice(0, i).toLowerCase();
      rest = raw.slice(i + 1);
    }
    break;
  }
  if (rest.endsWith('?') && rest.indexOf('?') === rest.length - 1) rest = rest.slice(0, -1);
  else if (rest.includes('?')) rest = rest.slice(0, rest.indexOf('?'));
  if (!rest.startsWith('/')) {
    if (url.scheme !== '') return url; // opaque
    const segment = rest.includes('/') ? rest.slice(0, rest.indexOf('/')) : rest;
    if (segment.includes(':')) return 'first path segment in URL cannot contain colon';
  }
  if ((url.scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    let authority = rest.slice(2);
    rest = '';
    const slash = authority.indexOf('/');
    if (slash >= 0) [authority, rest] = [authority.slice(0, slash), authority.slice(slash)];
    const err = parseUrlAuthority(authority, url);
    if (err !== undefined) return err;
  }
  const path = urlUnescape(rest, 'path');
  return typeof path === 'string' ? url : path.error;
}

/** net/url's parseAuthority: [userinfo@]host[:port] into `url`, or the error. */
function parseUrlAuthority(authority: string, url: GoUrl): string | undefined {
  const at = authority.lastIndexOf('@');
  const host = parseUrlHost(at < 0 ? authority : authority.slice(at + 1));
  if (typeof host !== 'string') return host.error;
  url.host = host;
  if (at < 0) return undefined;
  const userinfo = authority.slice(0, at);
  if (!/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(userinfo)) return 'net/url: invalid userinfo';
  const colon = userinfo.indexOf(':');
  const username = urlUnescape(colon < 0 ? userinfo : userinfo.slice(0, colon), 'userinfo');
  if (typeof username !== 'string') return username.error;
  if (colon < 0) {
    url.user = { username, password: null };
    return undefined;
  }
  const password = urlUnescape(userinfo.slice(colon + 1), 'userinfo');
  if (typeof password !== 'string') return password.error;
  url.user = { username, password };
  return undefined;
}

/** net/url's parseHost: host[:port] with an optional [IPv6] literal and %25 zone. */
function parseUrlHost(host: string): string | { error: string } {
  const validOptionalPort = (p: string): boolean => p === '' || /^:[0-9]*$/.test(p);
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']');
    if (close < 0) return { error: "missing ']' in host" };
    const colonPort = host.slice(close + 1);
    if (!validOptionalPort(colonPort)) return { error: `invalid port ${goQuote(colonPort)} after host` };
    const zone = host.slice(0, close).indexOf('%25');
    if (zone >= 0) {
      const parts = [
        urlUnescape(host.slice(0, zone), 'host'),
        urlUnescape(host.slice(zone, close), 'zone'),
        urlUnescape(host.slice(close), 'host'),
      ];
      const bad = parts.find((p) => typeof p !== 'string');
      return bad ?? parts.join('');
    }
  } else if (host.includes(':')) {
    const colonPort = host.slice(host.lastIndexOf(':'));
    if (!validOptionalPort(colonPort)) return { error: `invalid port ${goQuote(colonPort)} after host` };
  }
  return urlUnescape(host, 'host');
}

/**
 * fmt.Sscan of a URL's port (digits only) into an int: a leading 0 makes it octal (and it stops
 * at the first non-octal digit); the text of Go's error otherwise.
 */
function scanPort(p: string): number | string {
  if (p === '') return 'EOF';
  const tok = p[0] === '0' ? '0' + /^[0-7]*/.exec(p.slice(1))![0] : p;
  const n = BigInt(tok[0] === '0' && tok.length > 1 ? `0o${tok.slice(1)}` : tok);
  if (n > TWO63 - 1n) return `strconv.ParseInt: parsing ${goQuote(tok)}: value out of range`;
  return Number(n);
}

/**
 * overrideCluster (`--cluster` / `--cluster_listen <url>`): the route listener's host and port
 * from the URL (`:-1` = random), its user and password as the route authorization (a user
 * without a password is refused; no user clears the file's). An empty URL turns the listener
 * off (port 0). Returns nats-server's error text, if any.
 */
export function overrideCluster(cl: ClusterOptions, listen: string): string | undefined {
  if (listen === '') {
    cl.port = 0;
    return undefined;
  }
  // -1 is not a valid URL port: parsed as 0, then put back.
  const random = listen.endsWith(':-1');
  const url = goUrlParse(random ? `${listen.slice(0, -3)}:0` : listen);
  if (typeof url === 'string') return url;
  const hp = splitHostPort(url.host);
  if (typeof hp === 'string') return hp;
  cl.host = hp[0];
  const port = random ? -1 : scanPort(hp[1]);
  if (typeof port === 'string') return port;
  cl.port = port;
  if (url.user === null) {
    cl.username = '';
    cl.password = '';
    return undefined;
  }
  if (url.user.password === null) return 'expected cluster password to be set';
  cl.username = url.user.username;
  cl.password = url.user.password;
  return undefined;
}
