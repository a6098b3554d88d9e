// Go's net.JoinHostPort, for the listeners' log lines, the ports file and the route URLs.

/** Go's net.JoinHostPort: an IPv6 host in brackets. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
