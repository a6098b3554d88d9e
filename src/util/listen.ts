// Where a listener binds, as Go's net.Listen("tcp", host:port) binds it: shared by the client,
// route and monitoring listeners (and, later, the websocket and leafnode ones).

import type { Server } from 'node:net';

/**
 * The hosts Go binds dual-stack: its IPv4 wildcard (and no host at all) becomes the IPv6 wildcard
 * with IPv4-mapped addresses accepted (`ss` shows `*:port`). `::` is dual-stack as it stands.
 */
function isIPv4Wildcard(host: string): boolean {
  return host === '' || host === '0.0.0.0';
}

/**
 * The `::` bind failed because the machine has no IPv6 (no AF_INET6 socket, or no IPv6 address
 * to bind): Go's supportsIPv4map is false there and it binds the IPv4 wildcard instead. Any other
 * failure (EADDRINUSE, EACCES...) is the caller's to report.
 */
export function noIPv6(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL' || code === 'EPROTONOSUPPORT';
}

function bind(server: Server, host: string, port: number, backlog: number | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, backlog, ipv6Only: false }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Binds `server` (a net, tls or http server) to `host`:`port` (0 = a random port) and resolves
 * once it accepts. `''` and `0.0.0.0` listen on `::` for IPv4 and IPv6 alike, or on `0.0.0.0`
 * where the machine has no IPv6; any other host (127.0.0.1, ::1, a name) binds that address only.
 * Rejects with Node's listen error (its `code` says why). Callers report the configured host,
 * never the bound one: a dual-stack listener on 0.0.0.0 still logs and advertises 0.0.0.0.
 */
export async function listenTcp(server: Server, host: string, port: number, backlog?: number): Promise<void> {
  if (!isIPv4Wildcard(host)) return bind(server, host, port, backlog);
  try {
    await bind(server, '::', port, backlog);
  } catch (e) {
    if (!noIPv6(e)) throw e;
    await bind(server, '0.0.0.0', port, backlog);
  }
}
