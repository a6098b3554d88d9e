// TLS for client connections (nats-server's GenTLSConfig and the server side of
// doTLSHandshake): the secure context from the configured files, and the handshake that follows
// the plain-text INFO.

import { readFileSync } from 'node:fs';
import type net from 'node:net';
import type tls from 'node:tls';
import type { TlsOptions } from '../config/types.js';
import { nodeTls } from '../util/lazy.js';
import { joinHostPort } from '../util/host-port.js';

/** The secure context for `t` (throws when a file cannot be read or parsed). */
export function createTlsContext(t: TlsOptions): tls.SecureContext {
  return nodeTls().createSecureContext({
    minVersion: 'TLSv1.2', // nats-server's MinVersion
    ...(t.certFile !== '' ? { cert: readFileSync(t.certFile), key: readFileSync(t.keyFile) } : {}),
    ...(t.caFile !== '' ? { ca: readFileSync(t.caFile) } : {}),
  });
}

/**
 * Loads the files as GenTLSConfig does at config time: null when they are usable, else the error
 * (nats-server's prefixes; the detail is Node's / OpenSSL's, not Go's).
 */
export function checkTlsFiles(t: TlsOptions): string | null {
  if (t.certFile !== '') {
    try {
      nodeTls().createSecureContext({ cert: readFileSync(t.certFile), key: readFileSync(t.keyFile) });
    } catch (e) {
      return `error parsing X509 certificate/key pair: ${errText(e)}`;
    }
  }
  if (t.caFile !== '') {
    let pem: Buffer;
    try {
      pem = readFileSync(t.caFile);
    } catch (e) {
      return errText(e);
    }
    try {
      nodeTls().createSecureContext({ ca: pem });
    } catch {
      return 'failed to parse root ca certificate';
    }
  }
  return null;
}

function errText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT' && err.path) return `open ${err.path}: no such file or directory`;
  return err.message ?? String(e);
}

/** Go's crypto/tls alert texts, by alert number. */
const GO_ALERTS: Readonly<Record<number, string>> = {
  0: 'close notify',
  10: 'unexpected message',
  20: 'bad record MAC',
  21: 'decryption failed',
  22: 'record overflow',
  30: 'decompression failure',
  40: 'handshake failure',
  42: 'bad certificate',
  43: 'unsupported certificate',
  44: 'revoked certificate',
  45: 'expired certificate',
  46: 'unknown certificate',
  47: 'illegal parameter',
  48: 'unknown certificate authority',
  49: 'access denied',
  50: 'error decoding message',
  51: 'error decrypting message',
  60: 'export restriction',
  70: 'protocol version not supported',
  71: 'insufficient security level',
  80: 'internal error',
  86: 'inappropriate fallback',
  90: 'user canceled',
  100: 'no renegotiation',
  109: 'missing extension',
  110: 'unsupported extension',
  111: 'certificate unobtainable',
  112: 'unrecognized name',
  113: 'bad certificate status response',
  114: 'bad certificate hash value',
  115: 'unknown PSK identity',
  116: 'certificate required',
  120: 'no application protocol',
};

/**
 * A handshake error on `raw` as nats-server logs it: an alert the client sent is Go's `remote
 * error: tls: <alert>`, a reset Go's `read tcp <local>-><remote>: read: connection reset by
 * peer`; anything else keeps OpenSSL's text.
 */
export function handshakeErrorText(err: Error & { code?: string }, raw: net.Socket): string {
  const alert = /SSL alert number (\d+)/.exec(err.message);
  const text = alert !== null ? GO_ALERTS[Number(alert[1])] : undefined;
  if (text !== undefined) return `remote error: tls: ${text}`;
  if (err.code === 'ECONNRESET' && /^read ECONNRESET/.test(err.message)) {
    return `read tcp ${socketAddresses(raw)}: read: connection reset by peer`;
  }
  return err.message.trim();
}

/** Go's `<local>-><remote>` of a connection, kept from while it was open. */
const ADDRESSES = new WeakMap<net.Socket, string>();
function socketAddresses(raw: net.Socket): string {
  let a = ADDRESSES.get(raw);
  if (a === undefined) {
    a = `${joinHostPort(raw.localAddress ?? '', raw.localPort ?? 0)}->${joinHostPort(raw.remoteAddress ?? '', raw.remotePort ?? 0)}`;
    ADDRESSES.set(raw, a);
  }
  return a;
}

export interface TlsHandshakeEvents {
  /** The handshake completed (and, with verify, the client certificate checked out). */
  secure(socket: tls.TLSSocket): void;
  /** The handshake failed (`reason` as nats-server logs it after `TLS handshake error: `). */
  failed(reason: string): void;
}

/**
 * Starts the server side of the handshake on `raw` (after the INFO was written to it): returns
 * the TLS socket the connection then reads and writes through. `events.failed` also covers a
 * client certificate that does not verify (OpenSSL itself refuses a missing one).
 */
export function startTlsHandshake(
  raw: net.Socket,
  context: tls.SecureContext,
  verify: boolean,
  events: TlsHandshakeEvents,
): tls.TLSSocket {
  socketAddresses(raw);
  const socket = new (nodeTls().TLSSocket)(raw, { isServer: true, secureContext: context, requestCert: verify, rejectUnauthorized: verify });
  let done = false;
  const onError = (err: Error): void => {
    if (done) return;
    done = true;
    events.failed(handshakeErrorText(err, raw));
  };
  socket.once('error', onError);
  socket.once('secure', () => {
    if (done) return;
    if (verify) {
      // A standalone TLSSocket accepts any certificate; tls.Server checks it like this.
      const handle = (socket as unknown as { _handle?: { verifyError?: () => Error | null } })._handle;
      const vErr = handle?.verifyError?.() ?? null;
      if (vErr !== null) {
        done = true;
        events.failed(vErr.message);
        socket.destroy();
        return;
      }
    }
    done = true;
    socket.off('error', onError);
    events.secure(socket);
  });
  return socket;
}
