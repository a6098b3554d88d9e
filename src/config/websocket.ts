// The `websocket` key: opts.go parseWebsocket, parseSimpleAuth and parseStringArray, and
// websocket.go validateWebsocketOptions, with nats-server's error texts.

import { ConfigError, goTypeName, type ConfNode } from './conf.js';
import {
  boolValue,
  goQuote,
  intValue,
  readListen,
  mapValue,
  parseGoDuration,
  recovering,
  stringValue,
  type KeyContext,
  type OptionReader,
} from './values.js';
import { parseTls } from './tls.js';
import type { ServerOptions, WebsocketOptions } from './types.js';

/** A websocket block with nothing set: no listener (port 0). */
export function defaultWebsocketOptions(): WebsocketOptions {
  return {
    host: '',
    port: 0,
    advertise: '',
    noTls: false,
    tls: null,
    compression: false,
    sameOrigin: false,
    allowedOrigins: [],
    handshakeTimeoutMs: 0,
    username: '',
    password: '',
    token: '',
    authTimeoutMs: 0,
    noAuthUser: '',
  };
}

/** parseStringArray: one string or a list of strings; other types are reported, not fatal. */
function stringArray(field: string, v: ConfNode, c: KeyContext): string[] | undefined {
  if (v.kind === 'string') return [v.value];
  if (v.kind !== 'array') {
    c.error(`error parsing ${field}: unsupported type ${goTypeName(v)}`, v.pos);
    return undefined;
  }
  const out: string[] = [];
  for (const e of v.value) {
    if (e.kind === 'string') out.push(e.value);
    else c.error(`error parsing ${field}: unsupported type in array ${goTypeName(e)}`, e.pos);
  }
  return out;
}

/**
 * parseSimpleAuth: user, password, token and timeout (seconds; a wrong type means 1 s). A wrong
 * type stops it, and parseWebsocket then dereferences its nil result: the block stops with Go's
 * nil pointer error at the key.
 */
function simpleAuth(v: ConfNode, ws: WebsocketOptions, c: KeyContext): void {
  const ok = recovering(c.report, false, () => {
    for (const [k, mv] of mapValue(v)) {
      switch (k.toLowerCase()) {
        case 'user':
        case 'username':
          ws.username = stringValue(mv);
          break;
        case 'pass':
        case 'password':
          ws.password = stringValue(mv);
          break;
        case 'token':
          ws.token = stringValue(mv);
          break;
        case 'timeout':
          ws.authTimeoutMs = (mv.kind === 'int' || mv.kind === 'float' ? mv.value : 1) * 1000;
          break;
        default:
          if (!mv.usedAsVariable) c.error(`unknown field ${goQuote(k)}`, mv.pos);
      }
    }
    return true;
  });
  if (!ok) throw new ConfigError('runtime error: invalid memory address or nil pointer dereference', v.pos);
}

/** handshake_timeout: integer seconds or a Go duration string. */
function handshakeTimeout(v: ConfNode, c: KeyContext): number {
  if (v.kind === 'int') return v.value * 1000;
  if (v.kind === 'string') {
    try {
      return Number(parseGoDuration(v.value)) / 1e6;
    } catch (e) {
      c.error((e as Error).message, v.pos);
      return 0;
    }
  }
  c.error(`error parsing handshake timeout: unsupported type ${goTypeName(v)}`, v.pos);
  return 0;
}

/**
 * The top-level `websocket` key. A wrong type stops the block (nats-server's recovered panic),
 * keeping what was set before it.
 */
function websocketKey(v: ConfNode, c: KeyContext): void {
  if (v.kind !== 'map') return c.error(`Expected websocket to be a map, got ${goTypeName(v)}`);
  const ws: WebsocketOptions = { ...(c.opts.websocket ?? defaultWebsocketOptions()) };
  c.opts.websocket = ws;
  recovering(c.report, undefined, () => {
    for (const [mk, mv] of v.value) {
      switch (mk.toLowerCase()) {
        case 'listen':
          readListen(mv, c.report, ws);
          break;
        case 'port':
          ws.port = intValue(mv);
          break;
        case 'host':
        case 'net':
          ws.host = stringValue(mv);
          break;
        case 'advertise':
          ws.advertise = stringValue(mv);
          break;
        case 'no_tls':
          ws.noTls = boolValue(mv);
          break;
        case 'tls': {
          const parsed = parseTls(mv, c, true);
          if (parsed !== undefined) ws.tls = parsed.tls;
          break;
        }
        case 'same_origin':
          ws.sameOrigin = boolValue(mv);
          break;
        case 'allowed_origins':
        case 'allowed_origin':
        case 'allow_origins':
        case 'allow_origin':
        case 'origins':
        case 'origin': {
          const list = stringArray('allowed origins', mv, c);
          ws.allowedOrigins = list ?? [];
          break;
        }
        case 'handshake_timeout':
          ws.handshakeTimeoutMs = handshakeTimeout(mv, c);
          break;
        case 'compress':
        case 'compression':
          ws.compression = boolValue(mv);
          break;
        case 'authorization':
        case 'authentication':
          simpleAuth(mv, ws, c);
          break;
        case 'no_auth_user':
          ws.noAuthUser = stringValue(mv);
          break;
        case 'jwt_cookie':
          stringValue(mv);
          c.notice('websocket jwt_cookie is not supported by tsnats yet: ignored', mv.pos);
          break;
        default:
          if (!mv.usedAsVariable) c.error(`unknown field ${goQuote(mk)}`, mv.pos);
      }
    }
  });
}

/** validateWebsocketOptions (the checks that apply to tsnats's options). */
function validateWebsocket(o: ServerOptions): void {
  const wo = o.websocket;
  if (wo === null || wo.port === 0) return;
  const fail = (text: string): never => {
    throw new ConfigError(text, undefined, 'validation');
  };
  if (wo.tls === null && !wo.noTls) fail('websocket requires TLS configuration');
  if (wo.noAuthUser !== '') {
    if (o.users === null) fail(`no_auth_user: "${wo.noAuthUser}" present, but users are not defined`);
    if (!o.users!.some((u) => u.user === wo.noAuthUser)) {
      fail(`no_auth_user: "${wo.noAuthUser}" not present as user in authorization block or account configuration`);
    }
  }
  if ((o.users !== null && o.users.length > 0) || (o.nkeys !== null && o.nkeys.length > 0)) {
    if (wo.username !== '') fail('websocket authentication username not compatible with presence of users/nkeys');
    if (wo.token !== '') fail('websocket authentication token not compatible with presence of users/nkeys');
  }
}

/**
 * An origin as Go's url.ParseRequestURI reads one (`scheme://host[:port][/path]`): its scheme
 * and its host:port part, or null when it is not an absolute URI.
 */
export function parseOrigin(origin: string): { scheme: string; hostPort: string } | null {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/.exec(origin);
  if (m === null) return null;
  const at = m[2]!.lastIndexOf('@');
  return { scheme: m[1]!.toLowerCase(), hostPort: at < 0 ? m[2]! : m[2]!.slice(at + 1) };
}

/** The `websocket` key. */
export const WEBSOCKET_READER: OptionReader = {
  keys: [[['websocket', 'ws'], websocketKey]],
  validate: validateWebsocket,
};
