// TLS on a server-to-server link (routes), as nats-server's doTLSHandshake does it for them: TLS
// from the first byte (no plain-text INFO), the accepting server is the TLS server and requires
// a certificate from its peer, the soliciting server is the TLS client and checks the server's
// certificate and name; both verify against the block's `ca_file` (nats-server's getTLSConfig
// forces RequireAndVerifyClientCert and mirrors ClientCAs into RootCAs). Failures are reported
// with Go's texts where the cause is clear (a plain-text peer, no certificate, an unknown
// authority, a wrong name), else with OpenSSL's.

import { readFileSync } from 'node:fs';
import net from 'node:net';
import type tls from 'node:tls';
import { nodeTls } from './lazy.js';

/** The certificate files of a link's `tls` block. */
export interface LinkTlsFiles {
  certFile: string;
  keyFile: string;
  caFile: string;
}

/** The secure context of a link (throws when a file cannot be read or parsed). */
export function linkTlsContext(t: LinkTlsFiles): tls.SecureContext {
  return nodeTls().createSecureContext({
    minVersion: 'TLSv1.2', // nats-server's MinVersion
    ...(t.certFile !== '' ? { cert: readFileSync(t.certFile), key: readFileSync(t.keyFile) } : {}),
    ...(t.caFile !== '' ? { ca: readFileSync(t.caFile) } : {}),
  });
}

/** Which end of the handshake this server is. */
export type LinkTlsSide = { server: true } | { server: false; host: string };

/** The outcome of a handshake: the TLS socket, or nats-server's error text (`timeout` aside). */
export type LinkTlsDone = (err: string | null, socket: tls.TLSSocket | null, timedOut: boolean) => void;

const NOT_TLS = 'tls: first record does not look like a TLS handshake';
const NO_CERT = "tls: client didn't provide a certificate";
const UNKNOWN_AUTHORITY = 'x509: certificate signed by unknown authority';
const UNKNOWN_AUTHORITY_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
]);

/** Go's x509.HostnameError text for `host` and the certificate's subjectAltName. */
function hostnameError(host: string, altNames: string): string {
  const names = altNames.split(', ').filter((n) => n !== '');
  if (net.isIP(host) !== 0) {
    const ips = names.filter((n) => n.startsWith('IP Address:')).map((n) => n.slice('IP Address:'.length));
    if (ips.length === 0) return `x509: cannot validate certificate for ${host} because it doesn't contain any IP SANs`;
    return `x509: certificate is valid for ${ips.join(', ')}, not ${host}`;
  }
  const dns = names.filter((n) => n.startsWith('DNS:')).map((n) => n.slice(4));
  if (dns.length === 0) return `x509: certificate is not valid for any names, but wanted to match ${host}`;
  return `x509: certificate is valid for ${dns.join(', ')}, not ${host}`;
}

/** An OpenSSL / Node verification failure in Go's words, where there is an equivalent. */
function goText(err: Error & { code?: string }, side: LinkTlsSide): string {
  const code = err.code ?? '';
  if (UNKNOWN_AUTHORITY_CODES.has(code)) {
    return side.server ? `tls: failed to verify client certificate: ${UNKNOWN_AUTHORITY}` : UNKNOWN_AUTHORITY;
  }
  if (/peer did not return a certificate/i.test(err.message)) return NO_CERT;
  // The server answered in plain text (a route without TLS sends its INFO).
  if (!side.server && (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG')) return NOT_TLS;
  // OpenSSL's reason without its error-stack prefix ("...:SSL routines:ssl3_get_record:...").
  return (err as { reason?: string }).reason ?? err.message.trim();
}

/**
 * Starts the handshake on `raw` (a fresh connection: nothing was written or read yet) and calls
 * `done` once, within `timeoutMs`. On failure `raw` is destroyed. The accepting side checks the
 * first byte itself: a plain-text peer is refused with Go's text.
 */
export function linkTlsHandshake(raw: net.Socket, context: tls.SecureContext, side: LinkTlsSide, timeoutMs: number, done: LinkTlsDone): void {
  let finished = false;
  let socket: tls.TLSSocket | null = null;
  const finish = (err: string | null, timedOut = false): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    raw.off('close', onRawClose);
    if (err !== null) {
      socket?.destroy();
      raw.destroy();
      done(err, null, timedOut);
      return;
    }
    socket!.off('error', onError);
    socket!.off('close', onRawClose);
    done(null, socket, false);
  };
  const timer = setTimeout(() => finish('timeout', true), timeoutMs);
  timer.unref();
  const onRawClose = (): void => finish('EOF');
  // A name check that failed, in Go's words (the certificate is at hand only in the check).
  let identityErr: string | null = null;
  const onError = (e: Error): void => finish(identityErr ?? goText(e, side));
  raw.on('close', onRawClose);
  raw.on('error', () => {});
  const tlsMod = nodeTls();
  if (!side.server) {
    const ip = net.isIP(side.host) !== 0;
    socket = tlsMod.connect({
      socket: raw,
      secureContext: context,
      host: side.host,
      ...(ip ? {} : { servername: side.host }),
      rejectUnauthorized: true,
      checkServerIdentity: (host, cert) => {
        const e = tlsMod.checkServerIdentity(host, cert);
        if (e !== undefined) identityErr = hostnameError(side.host, cert.subjectaltname ?? '');
        return e;
      },
    });
    socket.once('error', onError);
    socket.once('close', onRawClose);
    socket.once('secureConnect', () => finish(null));
    return;
  }
  raw.once('readable', () => {
    if (finished) return;
    const first = raw.read(1) as Buffer | null;
    if (first === null) return;
    raw.unshift(first);
    // A TLS record starts with a handshake (22) or alert (21) content type.
    if (first[0] !== 0x16 && first[0] !== 0x15) {
      finish(NOT_TLS);
      return;
    }
    const s = new tlsMod.TLSSocket(raw, { isServer: true, secureContext: context, requestCert: true, rejectUnauthorized: true });
    socket = s;
    s.once('error', onError);
    s.once('close', onRawClose);
    s.once('secure', () => {
      // A standalone TLSSocket accepts any certificate; tls.Server checks it like this.
      const handle = (s as unknown as { _handle?: { verifyError?: () => (Error & { code?: string }) | null } })._handle;
      const vErr = handle?.verifyError?.() ?? null;
      if (vErr !== null) finish(goText(vErr, side));
      else if (s.getPeerCertificate() === null || Object.keys(s.getPeerCertificate()).length === 0) finish(NO_CERT);
      else finish(null);
    });
  });
}

/** "TLS version 1.3, cipher suite TLS_AES_128_GCM_SHA256", as nats-server logs a handshake. */
export function linkTlsDescription(s: tls.TLSSocket): string {
  const version = (s.getProtocol() ?? '').replace(/^TLSv/, '');
  return `TLS version ${version}, cipher suite ${s.getCipher()?.standardName ?? ''}`;
}
