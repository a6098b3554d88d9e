// TLS for client connections (nats-server's GenTLSConfig and the server side of
// doTLSHandshake): the secure context from the configured files, and the handshake that follows
// the plain-text INFO.

import { readFileSync } from 'node:fs';
import type net from 'node:net';
import type tls from 'node:tls';
import type { TlsOptions } from '../config/types.js';
import { nodeTls } from '../util/lazy.js';

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
  const socket = new (nodeTls().TLSSocket)(raw, { isServer: true, secureContext: context, requestCert: verify, rejectUnauthorized: verify });
  let done = false;
  const onError = (err: Error): void => {
    if (done) return;
    done = true;
    events.failed(err.message.trim());
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
