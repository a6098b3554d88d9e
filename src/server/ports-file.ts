// The pid file and the ports file, as nats-server writes them (server.go logPid, portFile,
// logPorts, deletePortsFile, resolveHostPorts): client test launchers start the server with
// `ports_file_dir` and wait for `<ports_file_dir>/<program>_<pid>.ports` to learn the ports.

import { unlinkSync, writeFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';
import { basename, join } from 'node:path';
import { joinHostPort } from '../util/host-port.js';

/** The server and the runtime take joinHostPort from here (it lives in util/, shared with the cluster). */
export { joinHostPort };

/**
 * nats-server's Ports (JSON field names and order; empty lists are left out), and `leafnode`:
 * the leafnode listener (`nats-leaf://host:port`), which nats-server 2.9.10 does not list.
 */
export interface Ports {
  nats?: string[];
  monitoring?: string[];
  cluster?: string[];
  profile?: string[];
  websocket?: string[];
  leafnode?: string[];
}

/**
 * The program name nats-server uses in the ports file name (`filepath.Base(os.Args[0])`): for
 * tsnats the script node runs, so a symlink or a node wrapper named `nats-server` gives
 * `nats-server`. A shell wrapper that execs node can say who it is with TSNATS_PROGRAM_NAME.
 */
export function programName(): string {
  const named = process.env.TSNATS_PROGRAM_NAME;
  if (named) return basename(named);
  return basename(process.argv[1] ?? 'tsnats');
}

/** `<dir>/<program>_<pid>.ports`, or '' when there is no ports file directory. */
export function portsFilePath(dir: string, program = programName(), pid = process.pid): string {
  if (dir === '') return '';
  return join(dir, `${program}_${pid}.ports`);
}

function isUnspecified(host: string): boolean {
  return host === '' || host === '0.0.0.0' || host === '::' || host === '[::]';
}

/**
 * resolveHostPorts: a listener bound to an unspecified address is reachable on every interface
 * address (IPv4 and IPv6, loopback first as the kernel lists them), else on its own address.
 */
export function resolveHostPorts(host: string, port: number): string[] {
  if (!isUnspecified(host)) return [joinHostPort(host.replace(/^\[|\]$/g, ''), port)];
  const out: string[] = [];
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) out.push(joinHostPort(a.address.replace(/%.*$/, ''), port));
  }
  return out;
}

/** Go's net.IP.IsGlobalUnicast, for an address as os.networkInterfaces() lists it (a zone allowed). */
export function isGlobalUnicast(address: string): boolean {
  const a = address.replace(/%.*$/, '').toLowerCase();
  const v4 = /^(?:::ffff:)?(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (v4 !== null) {
    const b = v4.slice(1).map(Number);
    if (b.every((x) => x === 0) || b.every((x) => x === 255)) return false; // unspecified, broadcast
    return b[0] !== 127 && (b[0] & 0xf0) !== 0xe0 && !(b[0] === 169 && b[1] === 254);
  }
  if (!isIPv6(a) || a === '::' || a === '::1') return false;
  const first = a.startsWith('::') ? 0 : parseInt(a.slice(0, a.indexOf(':')), 16);
  return (first & 0xff00) !== 0xff00 && (first & 0xffc0) !== 0xfe80; // multicast, link-local
}

/**
 * nats-server's getConnectURLs without an advertise address: for an unspecified host the
 * machine's global unicast addresses (getNonLocalIPsIfHostIsIPAny: no loopback, no link-local),
 * none when it has none; for any other host that host.
 */
export function connectHostPorts(host: string, port: number): string[] {
  if (!isUnspecified(host)) return [joinHostPort(host.replace(/^\[|\]$/g, ''), port)];
  const out: string[] = [];
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (isGlobalUnicast(a.address)) out.push(joinHostPort(a.address.replace(/%.*$/, ''), port));
  }
  return out;
}

export function formatURLs(scheme: string, host: string, port: number): string[] {
  return resolveHostPorts(host, port).map((hp) => `${scheme}://${hp}`);
}

/** The ports file's JSON as Go's json.Marshal writes it (compact, no trailing newline). */
export function portsJSON(ports: Ports): string {
  const o: Ports = {};
  for (const k of ['nats', 'monitoring', 'cluster', 'profile', 'websocket', 'leafnode'] as const) {
    if (ports[k] && ports[k]!.length > 0) o[k] = ports[k];
  }
  return JSON.stringify(o);
}

export function writePortsFile(file: string, ports: Ports): void {
  writeFileSync(file, portsJSON(ports), { mode: 0o666 });
}

/** Removes the ports file; returns an error text (Go's) or '' on success. */
export function deletePortsFile(file: string): string {
  try {
    unlinkSync(file);
    return '';
  } catch (e) {
    const m = /^[A-Z0-9_]+: ([^,]+)/.exec((e as Error).message);
    return `remove ${file}: ${m ? m[1] : (e as Error).message}`;
  }
}

/** logPid: the pid as decimal text, no newline, mode 0660. Throws on failure. */
export function writePidFile(file: string, pid = process.pid): void {
  writeFileSync(file, String(pid), { mode: 0o660 });
}
