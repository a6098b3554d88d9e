// The WebSocket listener (nats-server's startWebsocketServer): it reads each connection's HTTP
// upgrade request, answers it as nats-server does, and hands the upgraded socket to the server
// as a client connection. Loaded only when the configuration has a websocket block.

import { readFileSync } from 'node:fs';
import net from 'node:net';
import type { Logger } from '../server/logger.js';
import type { Server } from '../server/server.js';
import { joinHostPort } from '../util/host-port.js';
import { nodeTls } from '../util/lazy.js';
import { listenTcp } from '../util/listen.js';
import { WsConnection } from './connection.js';
import {
  allowedOrigins,
  errorResponse,
  MALFORMED_RESPONSE,
  MISSING_HOST_RESPONSE,
  parseRequest,
  upgrade,
  wantsClose,
  type UpgradePolicy,
} from './upgrade.js';

/** Go's net/http limit on a request head (DefaultMaxHeaderBytes plus its 4 KiB slack). */
const MAX_HEAD_BYTES = (1 << 20) + 4096;
const TOO_LARGE_RESPONSE =
  'HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n431 Request Header Fields Too Large';

export interface WebsocketHandle {
  /** `ws` or `wss`. */
  readonly scheme: string;
  /** The configured host ('' = every interface) and the bound port. */
  readonly host: string;
  readonly port: number;
  /** Stops accepting at once (connections already upgraded are the server's to close). */
  close(): void;
}

/**
 * Starts the listener of `server.opts.websocket` and logs it as nats-server does. Rejects with
 * Node's listen error.
 */
export async function startWebsocket(server: Server, logger: Logger): Promise<WebsocketHandle> {
  const wo = server.opts.websocket!;
  const policy: UpgradePolicy = {
    compression: wo.compression,
    sameOrigin: wo.sameOrigin,
    allowed: allowedOrigins(wo.allowedOrigins, (text) => logger.error(text)),
    tls: wo.tls !== null,
  };
  const onSocket = (raw: net.Socket): void => handshake(raw, server, logger, policy, wo.handshakeTimeoutMs);
  let listener: net.Server;
  if (wo.tls !== null) {
    const tls = nodeTls();
    const t = wo.tls;
    // tls.Server builds its context from these options (it does not take a ready one).
    listener = tls.createServer(
      {
        minVersion: 'TLSv1.2', // nats-server's MinVersion
        ...(t.certFile !== '' ? { cert: readFileSync(t.certFile), key: readFileSync(t.keyFile) } : {}),
        ...(t.caFile !== '' ? { ca: readFileSync(t.caFile) } : {}),
        requestCert: t.verify,
        rejectUnauthorized: t.verify,
      },
      (ts) => onSocket(ts),
    );
    listener.on('tlsClientError', (e: Error, s: net.Socket) => {
      // Go's http server logs it, through nats-server's "websocket: " log capture (the detail is
      // OpenSSL's here, Go's there).
      logger.error(`websocket: TLS handshake error from ${joinHostPort(plainIp(s.remoteAddress), s.remotePort ?? 0)}: ${e.message}`);
    });
  } else {
    listener = net.createServer({ noDelay: true }, onSocket);
  }
  await listenTcp(listener, wo.host, wo.port === -1 ? 0 : wo.port, 1024);
  const port = (listener.address() as net.AddressInfo).port;
  server.websocketPort = port;
  const scheme = wo.tls !== null ? 'wss' : 'ws';
  logger.info(`Listening for websocket clients on ${scheme}://${joinHostPort(wo.host, port)}`);
  if (scheme === 'ws') logger.warn('Websocket not configured with TLS. DO NOT USE IN PRODUCTION!');
  return {
    scheme,
    host: wo.host,
    port,
    close: () => void listener.close(),
  };
}

function plainIp(addr: string | undefined): string {
  return (addr ?? '').replace(/^::ffff:/, '');
}

/**
 * Reads HTTP requests on `raw` until one upgrades (then the socket is the server's) or the
 * connection ends. A refused upgrade is answered and, on HTTP/1.1, the connection stays open
 * for another request, as Go's server keeps it alive.
 */
function handshake(raw: net.Socket, server: Server, logger: Logger, policy: UpgradePolicy, timeoutMs: number): void {
  const ip = plainIp(raw.remoteAddress);
  const port = raw.remotePort ?? 0;
  const remote = joinHostPort(ip, port);
  let buf: Buffer = Buffer.alloc(0);
  const timer = timeoutMs > 0 ? setTimeout(() => raw.destroy(), timeoutMs) : null;
  timer?.unref();
  const done = (): void => {
    if (timer) clearTimeout(timer);
    raw.off('data', onData);
  };
  const onData = (chunk: Buffer): void => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    for (;;) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buf.length > MAX_HEAD_BYTES) {
          done();
          raw.end(TOO_LARGE_RESPONSE);
        }
        return;
      }
      const req = parseRequest(buf.subarray(0, end).toString('latin1'));
      const rest = buf.subarray(end + 4);
      buf = rest;
      if (req === null) {
        done();
        raw.end(MALFORMED_RESPONSE);
        return;
      }
      if (req.proto === 'HTTP/1.1' && !req.headers.has('host')) {
        done();
        raw.end(MISSING_HOST_RESPONSE);
        return;
      }
      const r = upgrade(req, policy);
      if (!r.ok) {
        logger.error(`${remote} - websocket handshake error: ${r.reason}`);
        const close = wantsClose(req);
        raw.write(errorResponse(req.proto, r.status, close && req.proto === 'HTTP/1.1'));
        if (req.proto === 'HTTP/1.0' || close) {
          done();
          raw.end();
          return;
        }
        continue;
      }
      done();
      if (rest.length > 0) {
        // Go's server has the bytes in its reader after hijacking: it closes without an answer.
        logger.error(`${remote} - websocket handshake error: client sent data before handshake is complete`);
        raw.destroy();
        return;
      }
      raw.setNoDelay(true);
      raw.write(r.response, 'latin1');
      const ua = r.userAgent;
      const browser = ua.startsWith('Mozilla/');
      const conn = new WsConnection(raw, {
        compress: r.compress,
        maskRead: !r.noMasking,
        browser,
        noCompressFragments: browser && r.compress && ua.includes('Version/') && ua.includes('Safari/'),
      }, server.impl.unmask);
      server.acceptWebsocket(conn, ip, port, (c) => conn.start(c));
      return;
    }
  };
  raw.on('data', onData);
  raw.on('error', () => raw.destroy());
}
