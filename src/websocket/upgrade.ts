// The HTTP/1.1 upgrade as nats-server answers it (websocket.go wsUpgrade, checkOrigin,
// wsReturnHTTPError, and what Go's net/http server writes around them): the request is read
// here rather than by node:http so that every answer is byte for byte nats-server's.

import { createHash } from 'node:crypto';
import { parseOrigin } from '../config/websocket.js';

/** A request head as Go's net/http reads it (header names case-insensitive, values in order). */
export interface HttpRequest {
  method: string;
  uri: string;
  /** `HTTP/1.0` or `HTTP/1.1`. */
  proto: string;
  headers: Map<string, string[]>;
}

/** The first value of a header, '' when absent (Go's Header.Get). */
export function header(r: HttpRequest, name: string): string {
  return r.headers.get(name.toLowerCase())?.[0] ?? '';
}

/**
 * Parses a request head (up to the empty line, which is not included). null when Go's server
 * would answer `400 Bad Request` before any handler runs (malformed request line or header).
 */
export function parseRequest(head: string): HttpRequest | null {
  const lines = head.split('\r\n');
  const m = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\S+) (HTTP\/1\.[01])$/.exec(lines[0] ?? '');
  if (m === null) return null;
  const headers = new Map<string, string[]>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0 || /[\s]/.test(line.slice(0, colon))) return null;
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    const list = headers.get(name);
    if (list) list.push(value);
    else headers.set(name, [value]);
  }
  return { method: m[1]!, uri: m[2]!, proto: m[3]!, headers };
}

/** Go's answer to an HTTP/1.1 request without a Host header (its server writes it and closes). */
export const MISSING_HOST_RESPONSE =
  'HTTP/1.1 400 Bad Request: missing required Host header\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request: missing required Host header';

/** Go's malformed-request answer (its server writes it and closes). */
export const MALFORMED_RESPONSE =
  'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request';

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  405: 'Method Not Allowed',
};

/**
 * wsReturnHTTPError: Go's http.Error with the Sec-Websocket-Version header; `close` when the
 * request asked for `Connection: close` (Go then says so and closes).
 */
export function errorResponse(proto: string, status: number, close = false, date = new Date()): string {
  const text = STATUS_TEXT[status]!;
  return (
    `${proto} ${status} ${text}\r\n` +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    'Sec-Websocket-Version: 13\r\n' +
    'X-Content-Type-Options: nosniff\r\n' +
    `Date: ${date.toUTCString()}\r\n` +
    `Content-Length: ${text.length + 1}\r\n` +
    (close ? 'Connection: close\r\n' : '') +
    `\r\n${text}\n`
  );
}

/** The request asks the server to close after answering (a `close` token in Connection). */
export function wantsClose(r: HttpRequest): boolean {
  return headerContains(r, 'Connection', 'close');
}

/** wsHeaderContains: a comma-separated token of the header equals `value` (case-insensitive). */
function headerContains(r: HttpRequest, name: string, value: string): boolean {
  const want = value.toLowerCase();
  for (const s of r.headers.get(name.toLowerCase()) ?? []) {
    for (const t of s.split(',')) if (t.trim().toLowerCase() === want) return true;
  }
  return false;
}

/** wsPMCExtensionSupport(checkPMCOnly): the client offers permessage-deflate. */
function offersDeflate(r: HttpRequest): boolean {
  for (const list of r.headers.get('sec-websocket-extensions') ?? []) {
    for (const ext of list.split(',')) {
      for (const p of ext.split(';')) if (p.trim().toLowerCase() === 'permessage-deflate') return true;
    }
  }
  return false;
}

/** wsAcceptKey: base64(SHA-1(key + the RFC 6455 GUID)). */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key).update('258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
}

/** An allowed origin by lower-case host: its scheme and port (wsSetOriginOptions). */
export type AllowedOrigins = Map<string, { scheme: string; port: string }>;

/**
 * wsSetOriginOptions: the allowed origins by host. Entries Go cannot parse are reported through
 * `bad` (nats-server logs `error parsing allowed origin: ...`) and skipped.
 */
export function allowedOrigins(list: readonly string[], bad: (text: string) => void): AllowedOrigins {
  const map: AllowedOrigins = new Map();
  for (const ao of list) {
    const u = parseOrigin(ao);
    if (u === null) {
      bad(`error parsing allowed origin: parse ${JSON.stringify(ao)}: invalid URI for request`);
      continue;
    }
    const hp = hostAndPort(u.scheme === 'https', u.hostPort);
    map.set(hp.host, { scheme: u.scheme, port: hp.port });
  }
  return map;
}

/** wsGetHostAndPort: host (lower case) and port, the scheme's default port when there is none. */
function hostAndPort(tls: boolean, hostport: string): { host: string; port: string } {
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d*)$/.exec(hostport);
  if (m !== null) return { host: (m[1] ?? m[2] ?? '').toLowerCase(), port: m[3]! };
  return { host: hostport.replace(/^\[|\]$/g, '').toLowerCase(), port: tls ? '443' : '80' };
}

/** checkOrigin: null when accepted, else why not (for the log). */
function checkOrigin(r: HttpRequest, sameOrigin: boolean, allowed: AllowedOrigins, tls: boolean): string | null {
  if (!sameOrigin && allowed.size === 0) return null;
  let origin = header(r, 'Origin');
  if (origin === '') origin = header(r, 'Sec-Websocket-Origin');
  if (origin === '') return null;
  const u = parseOrigin(origin);
  if (u === null) return `parse ${JSON.stringify(origin)}: invalid URI for request`;
  const o = hostAndPort(u.scheme === 'https', u.hostPort);
  if (sameOrigin) {
    const h = hostAndPort(tls, header(r, 'Host'));
    if (o.host !== h.host || o.port !== h.port) return 'not same origin';
  }
  if (allowed.size > 0) {
    const ao = allowed.get(o.host);
    if (ao === undefined || u.scheme !== ao.scheme || o.port !== ao.port) return 'not in the allowed list';
  }
  return null;
}

/** What the listener's settings say about upgrades. */
export interface UpgradePolicy {
  compression: boolean;
  sameOrigin: boolean;
  allowed: AllowedOrigins;
  /** The listener serves wss:// (the default port of a Host without one is 443). */
  tls: boolean;
}

export type UpgradeResult =
  | { ok: true; response: string; compress: boolean; noMasking: boolean; userAgent: string }
  | { ok: false; status: number; reason: string };

/** wsUpgrade's checks, in its order, and the 101 answer. */
export function upgrade(r: HttpRequest, p: UpgradePolicy): UpgradeResult {
  const fail = (status: number, reason: string): UpgradeResult => ({ ok: false, status, reason });
  if (r.method !== 'GET') return fail(405, 'request method must be GET');
  if (header(r, 'Host') === '') return fail(400, "'Host' missing in request");
  if (!headerContains(r, 'Upgrade', 'websocket')) return fail(400, "invalid value for header 'Upgrade'");
  if (!headerContains(r, 'Connection', 'Upgrade')) return fail(400, "invalid value for header 'Connection'");
  const key = header(r, 'Sec-Websocket-Key');
  if (key === '') return fail(400, 'key missing');
  if (!headerContains(r, 'Sec-Websocket-Version', '13')) return fail(400, 'invalid version');
  const originError = checkOrigin(r, p.sameOrigin, p.allowed, p.tls);
  if (originError !== null) return fail(403, `origin not allowed: ${originError}`);
  const compress = p.compression && offersDeflate(r);
  const noMasking = header(r, 'Nats-No-Masking') === 'true';
  let response =
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ' +
    acceptKey(key) +
    '\r\n';
  if (compress) response += 'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n';
  if (noMasking) response += 'Nats-No-Masking: true\r\n';
  response += '\r\n';
  return { ok: true, response, compress, noMasking, userAgent: header(r, 'User-Agent') };
}
