// The wire texts of nats-server 2.9.10's -ERR protocol messages and its close reasons
// (server/errors.go, server/client.go closedState). Texts are sent as `-ERR '<text>'\r\n`.

export const ERR_UNKNOWN_PROTOCOL = 'Unknown Protocol Operation';
export const ERR_MAX_CONTROL_LINE = 'maximum control line exceeded';
export const ERR_MAX_PAYLOAD = 'Maximum Payload Violation';
export const ERR_AUTH_VIOLATION = 'Authorization Violation';
export const ERR_AUTH_TIMEOUT = 'Authentication Timeout';
export const ERR_STALE_CONNECTION = 'Stale Connection';
export const ERR_MAX_CONNECTIONS = 'maximum connections exceeded';
export const ERR_BAD_CLIENT_PROTOCOL = 'invalid client protocol';
export const ERR_NO_RESPONDERS_REQUIRES_HEADERS = 'no responders requires headers support';
export const ERR_INVALID_SUBJECT = 'Invalid Subject';
export const ERR_INVALID_PUBLISH_SUBJECT = 'Invalid Publish Subject';
export const ERR_MAX_SUBSCRIPTIONS = 'maximum subscriptions exceeded';
export const ERR_MAX_ACCOUNT_CONNECTIONS = 'maximum account active connections exceeded';
export const ERR_AUTH_EXPIRED = 'User Authentication Expired';
export const ERR_ACCOUNT_AUTH_EXPIRED = 'Account Authentication Expired';
export const ERR_AUTH_REVOKED = 'User Authentication Revoked';

/** Why a connection closed, with the texts /connz shows as `reason`. */
export const ClosedState = {
  ClientClosed: 'Client Closed',
  AuthenticationTimeout: 'Authentication Timeout',
  AuthenticationViolation: 'Authentication Failure',
  TLSHandshakeError: 'TLS Handshake Failure',
  SlowConsumerPendingBytes: 'Slow Consumer (Pending Bytes)',
  SlowConsumerWriteDeadline: 'Slow Consumer (Write Deadline)',
  WriteError: 'Write Error',
  ReadError: 'Read Error',
  ParseError: 'Parse Error',
  StaleConnection: 'Stale Connection',
  ProtocolViolation: 'Protocol Violation',
  BadClientProtocolVersion: 'Bad Client Protocol Version',
  MaxConnectionsExceeded: 'Maximum Connections Exceeded',
  MaxPayloadExceeded: 'Maximum Message Payload Exceeded',
  MaxControlLineExceeded: 'Maximum Control Line Exceeded',
  MaxSubscriptionsExceeded: 'Maximum Subscriptions Exceeded',
  ServerShutdown: 'Server Shutdown',
  NoRespondersRequiresHeaders: 'No Responders Requires Headers',
  MaxAccountConnectionsExceeded: 'Maximum Account Connections Exceeded',
  AuthenticationExpired: 'Authentication Expired',
  Revocation: 'Credentials Revoked',
} as const;
export type ClosedReason = (typeof ClosedState)[keyof typeof ClosedState];

/** Close reasons after which nothing more is written (nats-server's skipFlushOnClose). */
export function skipsFlush(reason: ClosedReason): boolean {
  return (
    reason === ClosedState.ReadError ||
    reason === ClosedState.WriteError ||
    reason === ClosedState.SlowConsumerPendingBytes ||
    reason === ClosedState.SlowConsumerWriteDeadline ||
    reason === ClosedState.TLSHandshakeError
  );
}

/** `Permissions Violation for Publish to "<subject>"` with Go %q quoting. */
export function pubPermissionViolation(subject: Uint8Array): string {
  return `Permissions Violation for Publish to ${goQuote(subject)}`;
}

export function replySubjectViolation(reply: Uint8Array): string {
  return `Permissions Violation for Publish with Reply of ${goQuote(reply)}`;
}

export function subPermissionViolation(subject: Uint8Array, queue: Uint8Array | null): string {
  const q = queue ? ` using queue ${goQuote(queue)}` : '';
  return `Permissions Violation for Subscription to ${goQuote(subject)}${q}`;
}

const HEX = '0123456789abcdef';

/** Go's strconv.Quote over raw bytes: printable UTF-8 kept, everything else escaped. */
export function goQuote(b: Uint8Array): string {
  let out = '"';
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      switch (c) {
        case 0x07: out += '\\a'; continue;
        case 0x08: out += '\\b'; continue;
        case 0x0c: out += '\\f'; continue;
        case 0x0a: out += '\\n'; continue;
        case 0x0d: out += '\\r'; continue;
        case 0x09: out += '\\t'; continue;
        case 0x0b: out += '\\v'; continue;
        case 0x22: out += '\\"'; continue;
        case 0x5c: out += '\\\\'; continue;
      }
      out += c < 0x20 || c === 0x7f ? '\\x' + HEX[c >> 4] + HEX[c & 15] : String.fromCharCode(c);
      continue;
    }
    const n = utf8SeqLen(b, i);
    if (n === 0) {
      out += '\\x' + HEX[c >> 4] + HEX[c & 15];
      i++;
    } else {
      out += Buffer.from(b.subarray(i, i + n)).toString('utf8');
      i += n;
    }
  }
  return out + '"';
}

/** Length of the valid UTF-8 sequence starting at b[i] (a non-ASCII lead byte), 0 if invalid. */
function utf8SeqLen(b: Uint8Array, i: number): number {
  const c = b[i];
  let n: number;
  let min: number;
  if (c >= 0xc2 && c <= 0xdf) { n = 2; min = 0x80; }
  else if (c >= 0xe0 && c <= 0xef) { n = 3; min = 0x800; }
  else if (c >= 0xf0 && c <= 0xf4) { n = 4; min = 0x10000; }
  else return 0;
  if (i + n > b.length) return 0;
  let cp = c & (0xff >> (n + 1));
  for (let k = 1; k < n; k++) {
    const cc = b[i + k];
    if ((cc & 0xc0) !== 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}
