// The leaf node manager: nats-server 2.9's leafnode.go in both roles. As a hub it listens for
// leaf connections, sends its INFO (client_id, nonce, leafnode_urls, auth_required), authorizes
// the CONNECT and binds the account, answers with the `connect_info` INFO and sends the
// account's interest. As a leaf it solicits each remote, waits for the hub's INFO, sends its
// CONNECT (credentials from the URL or a creds file signing the nonce), and once the hub's
// `connect_info` INFO came sends its own interest; it reconnects every `reconnect` interval.
// Interest goes to each leaf as nats-server's smap does (updateLeafNodes), with the `$LDS.`
// subscription that detects loops. Leaf output is flushed once per loop turn; one coarse timer
// runs every leaf's keep-alive.

import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { Account, Subscription } from '../accounts/account.js';
import { newNonce } from '../client/auth.js';
import { ClosedState } from '../client/errors.js';
import { AUTH_TIMEOUT_MS, DEFAULT_CONNECT_ERROR_REPORTS, DEFAULT_ROUTE_DIAL_MS, GO_VERSION, VERSION } from '../config/defaults.js';
import type { LeafNodeOptions, Permissions, RemoteLeafOptions, TlsOptions } from '../config/types.js';
import type tls from 'node:tls';
import { createTlsContext, startTlsHandshake } from '../server/tls.js';
import { goJSON, marshalInfo, type RouteInfoDoc } from '../cluster/route-info.js';
import { joinHostPort } from '../util/host-port.js';
import { natsNkeys, nodeTls } from '../util/lazy.js';
import { listenTcp } from '../util/listen.js';
import { Reactor } from '../util/reactor.js';
import type { LeafHost, LeafNodes, LeafSnapshot } from './host.js';
import { denyPrefixes, LDS_PREFIX, Leaf, LeafClosed, type LeafOwner } from './leaf.js';
import { addJsDomainMappings, DENY_ALL_CLIENT_JS, DENY_ALL_JS, jsDomainApi } from '../accounts/js-domain.js';
import { Dialer } from '../util/dialer.js';
import { waitForSockets } from '../util/sockets.js';

/** nats-server's DEFAULT_LEAFNODE_INFO_WAIT: a solicited leaf waits this long for the hub's INFO. */
const LEAFNODE_INFO_WAIT_MS = 1000;
/** nats-server's DEFAULT_LEAF_TLS_TIMEOUT: a solicited TLS handshake is due within this. */
const TLS_HANDSHAKE_MS = 2000;
/** nats-server's connectProcessTimeout: the hub's `connect_info` INFO is due within this. */
const CONNECT_PROCESS_TIMEOUT_MS = 2000;
/** nats-server's leafNodeReconnectDelayAfterLoopDetected. */
const RECONNECT_DELAY_AFTER_LOOP_MS = 30_000;
/** nats-server's leafNodeReconnectDelayAfterClusterNameSame. */
const RECONNECT_DELAY_AFTER_CLUSTER_NAME_SAME_MS = 30_000;
const SHUTDOWN_FLUSH_MS = 1000;
const MIN_TICK_MS = 10;
const MAX_TICK_MS = 250;
const NUID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** nats-server's credsRe: the user JWT, then the seed, each between dashed lines. */
const CREDS_RE = /\s*(?:(?:[-]{3,}[^\n]*[-]{3,}\n)(.+)(?:\n\s*[-]{3,}[^\n]*[-]{3,}\n))/g;

/** A nuid-like token (22 base62 characters). */
function nuid(): string {
  let s = '';
  for (const b of randomBytes(22)) s += NUID_ALPHABET[b % 62];
  return s;
}

/** The leafnode CONNECT fields (nats-server's leafConnectInfo, in struct order, omitempty). */
interface LeafConnectDoc {
  version?: string;
  jwt?: string;
  sig?: string;
  user?: string;
  pass?: string;
  tls_required: boolean;
  server_id?: string;
  domain?: string;
  name?: string;
  is_hub?: boolean;
  cluster?: string;
  headers?: boolean;
  jetstream?: boolean;
  deny_pub?: string[];
}

const CONNECT_FIELDS: readonly (keyof LeafConnectDoc)[] = [
  'version',
  'jwt',
  'sig',
  'user',
  'pass',
  'tls_required',
  'server_id',
  'domain',
  'name',
  'is_hub',
  'cluster',
  'headers',
  'jetstream',
  'deny_pub',
];

/** json.Marshal(leafConnectInfo). */
function marshalConnect(c: LeafConnectDoc): string {
  const parts: string[] = [];
  for (const k of CONNECT_FIELDS) {
    const v = c[k];
    if (k !== 'tls_required' && (v === undefined || v === '' || v === false || (Array.isArray(v) && v.length === 0))) continue;
    parts.push(`"${k}":${goJSON(v)}`);
  }
  return `{${parts.join(',')}}`;
}

/** An accepted leaf's CONNECT, as far as the hub reads it. */
interface AcceptedConnect {
  lang: string;
  user: string;
  pass: string;
  jwt: string;
  sig: string;
  name: string;
  cluster: string;
  domain: string;
  gateway: string;
  headers: boolean;
  is_hub: boolean;
  deny_pub: string[];
}

function decodeLeafConnect(json: string): AcceptedConnect | null {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  const str = (k: string): string => (typeof o[k] === 'string' ? (o[k] as string) : '');
  return {
    lang: str('lang'),
    user: str('user'),
    pass: str('pass'),
    jwt: str('jwt'),
    sig: str('sig'),
    name: str('name'),
    cluster: str('cluster'),
    domain: str('domain'),
    gateway: str('gateway'),
    headers: o.headers === true,
    is_hub: o.is_hub === true,
    deny_pub: Array.isArray(o.deny_pub) ? o.deny_pub.filter((x): x is string => typeof x === 'string') : [],
  };
}

/** One configured remote and its connect state (nats-server's leafNodeCfg). */
interface RemoteState {
  readonly opts: RemoteLeafOptions;
  /** The URLs to dial, rotated after each use (nats-server's pickNextURL). */
  readonly urls: URL[];
  /** Wait before the next connect (a loop or a cluster name conflict was detected), ms. */
  connectDelay: number;
}

/**
 * nats-server's getRandomIP for a remote: an IP literal as is, a name resolved to one of its
 * addresses at random (`host:port`). Throws Go's lookup error text when it does not resolve.
 */
async function remoteAddress(url: URL): Promise<string> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port);
  if (net.isIP(host) !== 0) return joinHostPort(host, port);
  let ips: string[];
  try {
    ips = (await lookup(host, { all: true })).map((a) => a.address);
  } catch (e) {
    throw new Error(`lookup for host ${JSON.stringify(host)}: ${(e as Error).message}`);
  }
  return joinHostPort(ips[Math.floor(Math.random() * ips.length)]!, port);
}

/** The host a listener on every interface advertises (nats-server's getNonLocalIPsIfHostIsIPAny: the first one). */
function advertisedHost(host: string): string {
  if (host !== '0.0.0.0' && host !== '::' && host !== '') return host;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal && a.family === 'IPv4') return a.address;
  }
  return host;
}

export class LeafManager implements LeafNodes, LeafOwner {
  private readonly ln: LeafNodeOptions;
  /** The leafnode listener's TLS context (`tls` in the block), null without. */
  private tlsContext: tls.SecureContext | null = null;
  private listener: net.Server | null = null;
  private boundPort = 0;
  /** The INFO fields every accepted leaf gets (nats-server's leafNodeInfo). */
  private info: RouteInfoDoc | null = null;
  /** Registered leaves by cid; those in their handshake. */
  private readonly byCid = new Map<number, Leaf>();
  private readonly pending = new Set<Leaf>();
  /** Each account's loop detection subject (nats-server's Account.lds). */
  private readonly lds = new Map<Account, string>();
  private readonly remotes: RemoteState[];
  private readonly remoteOf = new Map<Leaf, RemoteState>();
  private readonly reactor = new Reactor<Leaf>({ highWater: Infinity });
  private timer: NodeJS.Timeout | null = null;
  /** Dials of remotes and reconnect waits in progress, all ended at shutdown. */
  private readonly dialer = new Dialer(DEFAULT_ROUTE_DIAL_MS);
  private running = false;
  private stopping = false;

  constructor(readonly host: LeafHost) {
    const ln = host.opts.leafnode;
    if (ln === null) throw new Error('leafnodes: no leafnode options');
    this.ln = ln;
    this.remotes = ln.remotes.map((r) => {
      const urls: URL[] = [];
      for (const raw of r.urls) {
        try {
          urls.push(new URL(raw));
        } catch {
          host.log('ERR', `Leafnode remote URL ${JSON.stringify(raw)} has no host to connect to: ignored`);
        }
      }
      if (!r.noRandomize) urls.sort(() => Math.random() - 0.5);
      return { opts: r, urls, connectDelay: 0 };
    });
  }

  get port(): number {
    return this.boundPort;
  }

  get numLeafs(): number {
    return this.byCid.size;
  }

  // ---- start and stop ----

  /** nats-server's startLeafNodeAcceptLoop (with a port), then solicitLeafNodeRemotes. */
  async start(): Promise<void> {
    const ln = this.ln;
    const o = this.host.opts;
    if (ln.tls !== null) this.tlsContext = createTlsContext(ln.tls);
    if (ln.port !== 0) {
      const server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
      await listenTcp(server, ln.host, ln.port === -1 ? 0 : ln.port, 1024);
      this.listener = server;
      this.boundPort = (server.address() as net.AddressInfo).port;
      this.host.log('INF', `Listening for leafnode connections on ${joinHostPort(ln.host, this.boundPort)}`);
      let host = advertisedHost(ln.host);
      let port = this.boundPort;
      if (ln.advertise !== '') {
        const i = ln.advertise.lastIndexOf(':');
        if (i > 0 && /^[0-9]+$/.test(ln.advertise.slice(i + 1))) [host, port] = [ln.advertise.slice(0, i), Number(ln.advertise.slice(i + 1))];
        else host = ln.advertise;
      }
      const ip = joinHostPort(host, port);
      if (ln.advertise !== '') this.host.log('INF', `Advertise address for leafnode is set to ${ip}`);
      this.info = {
        server_id: this.host.serverId,
        server_name: this.host.serverName,
        version: VERSION,
        proto: 1,
        go: GO_VERSION,
        host,
        port,
        headers: !o.noHeaderSupport,
        auth_required: true,
        tls_required: ln.tls !== null,
        tls_verify: ln.tls !== null && ln.tls.verify,
        max_payload: o.maxPayload,
        jetstream: o.jetstream,
        ...(o.jetStreamDomain !== '' ? { domain: o.jetStreamDomain } : {}),
        ip,
        info_on_connect: true,
        leafnode_urls: [ip],
      };
    }
    this.running = true;
    const shortest = Math.min(o.pingIntervalMs, o.writeDeadlineMs, ln.authTimeoutMs || AUTH_TIMEOUT_MS, LEAFNODE_INFO_WAIT_MS);
    this.timer = setInterval(() => this.tick(), Math.max(MIN_TICK_MS, Math.min(MAX_TICK_MS, Math.floor(shortest / 20))));
    this.timer.unref();
    for (const r of this.remotes) void this.connectToRemote(r, true);
  }

  async shutdown(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.listener?.close();
    this.listener = null;
    this.dialer.stop();
    const all = [...this.byCid.values(), ...this.pending];
    for (const l of all) {
      l.noReconnect = true;
      l.close(ClosedState.ServerShutdown);
    }
    const sockets = all.map((l) => l.socket).filter((s) => !s.destroyed);
    await waitForSockets(sockets, ['close'], SHUTDOWN_FLUSH_MS);
    for (const s of sockets) s.destroy();
  }

  // ---- connections ----

  private createLeaf(socket: net.Socket, remote: RemoteState | null, url: URL | null): Leaf {
    const l = new Leaf(this, socket, this.host.nextCid(), remote?.opts ?? null, url, Date.now());
    socket.setNoDelay(true);
    bind(socket, l);
    this.pending.add(l);
    if (remote !== null) this.remoteOf.set(l, remote);
    return l;
  }

  /** The hub's INFO fields now (nats-server's generateLeafNodeInfoJSON: the cluster name as it is now). */
  private ownInfo(): RouteInfoDoc {
    const cluster = this.host.clusterName();
    return cluster === '' ? this.info! : { ...this.info!, cluster };
  }

  /** An accepted leaf connection (nats-server's createLeafNode without a remote). */
  private accept(socket: net.Socket): void {
    if (this.stopping || this.info === null) {
      socket.destroy();
      return;
    }
    const l = this.createLeaf(socket, null, null);
    l.log('INF', 'Leafnode connection created ');
    l.nonce = newNonce();
    l.sendProto(`INFO ${marshalInfo({ ...this.ownInfo(), client_id: l.cid, nonce: l.nonce })} \r\n`, true);
    l.authDue = l.start + (this.ln.authTimeoutMs || AUTH_TIMEOUT_MS);
    if (this.tlsContext === null) return;
    // The INFO goes out in plain text, then the server side of the TLS handshake.
    l.flush();
    unbind(socket);
    const verify = this.ln.tls!.verify;
    const secured = startTlsHandshake(socket, this.tlsContext, verify, {
      secure: (ts) => {
        if (l.closed) return;
        l.tls = true;
        l.socket = ts;
        bind(ts, l);
      },
      failed: (reason) => {
        l.log('ERR', `TLS leafnode handshake error: ${reason}`);
        l.close(ClosedState.TLSHandshakeError);
      },
    });
    l.socket = secured;
  }

  /**
   * nats-server's connectToRemoteLeafNode: after the remote's connect delay, dial its URLs in
   * turn (1 s dial timeout), waiting `reconnect` between two failures, until one connects.
   */
  private async connectToRemote(r: RemoteState, firstConnect: boolean): Promise<void> {
    if (r.urls.length === 0) {
      this.host.log('DBG', 'Empty remote leafnode definition, nothing to connect');
      return;
    }
    if (r.connectDelay > 0) {
      const d = r.connectDelay;
      r.connectDelay = 0;
      if (!(await this.dialer.sleep(d))) return;
    }
    let attempts = 0;
    while (this.running) {
      const url = r.urls[0]!;
      if (r.urls.length > 1) r.urls.push(r.urls.shift()!);
      const hostPort = url.host;
      let socket: net.Socket;
      try {
        const address = await remoteAddress(url);
        const ip = address !== hostPort ? ` (${address})` : '';
        this.host.log('DBG', `Trying to connect as leafnode to remote server on ${JSON.stringify(hostPort)}${ip}`);
        socket = await this.dialer.dial(address);
      } catch (e) {
        if (!this.running) return;
        attempts++;
        const text = `Error trying to connect as leafnode to remote server ${JSON.stringify(hostPort)} (attempt ${attempts}): ${(e as Error).message}`;
        const report = attempts === 1 || !firstConnect || attempts % DEFAULT_CONNECT_ERROR_REPORTS === 0;
        this.host.log(report ? 'ERR' : 'DBG', text);
        if (!(await this.dialer.sleep(this.ln.reconnectMs))) return;
        continue;
      }
      if (!this.running) {
        socket.destroy();
        return;
      }
      this.solicited(socket, r, url);
      return;
    }
  }

  /** A solicited connection: wait for the hub's INFO (nats-server's createLeafNode with a remote). */
  private solicited(socket: net.Socket, r: RemoteState, url: URL): void {
    const acc = this.host.account(r.opts.account || '$G');
    const l = this.createLeaf(socket, r, url);
    if (acc === null) {
      l.close(LeafClosed.MissingAccount);
      this.host.log('ERR', `Unable to lookup account ${r.opts.account} for solicited leafnode connection: account not found`);
      return;
    }
    l.acc = acc;
    l.log('INF', `Leafnode connection created for account: ${acc.name} `);
    l.authDue = l.start + LEAFNODE_INFO_WAIT_MS;
  }

  // ---- the handshake (LeafOwner) ----

  /** nats-server's processLeafnodeInfo. */
  leafInfo(l: Leaf, info: RouteInfoDoc): void {
    if (l.closed) return;
    const first = !l.infoReceived;
    if (first) {
      l.infoReceived = true;
      if (l.solicited && (!info.client_id || info.leafnode_urls === undefined)) {
        l.log('ERR', 'attempted to connect to wrong port');
        l.close(LeafClosed.WrongPort);
        return;
      }
      l.nonce = info.nonce ?? '';
      l.headers = !this.host.opts.noHeaderSupport && info.headers;
      l.remoteServer = info.server_name || info.server_id;
      l.remoteCluster = info.cluster ?? '';
      l.remoteDomain = info.domain ?? '';
    }
    if (!l.solicited) return;
    if (first) {
      l.infoOnConnect = info.info_on_connect === true;
      // nats-server's leafNodeResumeConnectProcess: TLS first when the hub or the remote asks for it.
      if (info.tls_required || l.remote!.tls !== null) {
        this.secureSolicited(l, l.remote!.tls);
        return;
      }
      this.resumeConnect(l);
      return;
    }
    // The hub's view of our user's permissions (nats-server's processLeafnodeInfo): merged with
    // the remote's deny lists, before our interest goes out.
    if ((info.import ?? null) !== null || (info.export ?? null) !== null) {
      l.setPermissions(info.export ?? null, l.remote!.denyExports, info.import ?? null, l.remote!.denyImports);
    }
    if (info.connect_info === true && !l.connectFinished) this.finishConnect(l);
  }

  /** CONNECT sent; the handshake finishes with the hub's `connect_info` INFO (or at once without info_on_connect). */
  private resumeConnect(l: Leaf): void {
    if (l.closed || !this.sendConnect(l)) return;
    l.authDue = Date.now() + CONNECT_PROCESS_TIMEOUT_MS;
    if (!l.infoOnConnect) this.finishConnect(l);
  }

  /**
   * The client side of the TLS handshake on a solicited connection (after the hub's INFO):
   * verified against the remote's `ca_file` (or the system's roots) and the URL's host.
   */
  private secureSolicited(l: Leaf, t: TlsOptions | null): void {
    const raw = l.socket;
    unbind(raw);
    const host = l.url!.hostname.replace(/^\[|\]$/g, '');
    let ts: tls.TLSSocket;
    try {
      ts = nodeTls().connect({
        socket: raw,
        host,
        ...(net.isIP(host) === 0 ? { servername: host } : {}),
        ...(t !== null ? { secureContext: createTlsContext(t) } : {}),
        minVersion: 'TLSv1.2',
      });
    } catch (e) {
      l.log('ERR', `TLS leafnode handshake error: ${(e as Error).message}`);
      l.close(ClosedState.TLSHandshakeError);
      return;
    }
    l.socket = ts;
    l.authDue = Date.now() + (t !== null && this.ln.tlsTimeoutMs > 0 ? this.ln.tlsTimeoutMs : TLS_HANDSHAKE_MS);
    const failed = (e: Error): void => {
      l.log('ERR', `TLS leafnode handshake error: ${e.message}`);
      l.close(ClosedState.TLSHandshakeError);
    };
    ts.once('error', failed);
    ts.once('secureConnect', () => {
      ts.off('error', failed);
      if (l.closed) return;
      l.tls = true;
      bind(ts, l);
      this.resumeConnect(l);
    });
  }

  /** nats-server's sendLeafConnect: our CONNECT, signed with the creds file or with the URL's user. */
  private sendConnect(l: Leaf): boolean {
    const remote = l.remote!;
    const doc: LeafConnectDoc = {
      version: VERSION,
      tls_required: l.tls,
      server_id: this.host.serverId,
      domain: this.host.opts.jetStreamDomain,
      name: this.host.serverName,
      is_hub: remote.hub,
      cluster: this.host.clusterName(),
      headers: !this.host.opts.noHeaderSupport,
      jetstream: this.host.jetStreamEnabled(l.acc!),
      deny_pub: remote.denyImports,
    };
    if (remote.credentials !== '') {
      l.log('DBG', `Authenticating with credentials file ${JSON.stringify(remote.credentials)}`);
      let contents: string;
      try {
        contents = readFileSync(remote.credentials, 'utf8');
      } catch (e) {
        l.log('ERR', (e as Error).message);
        l.close(ClosedState.WriteError);
        return false;
      }
      const items = [...contents.matchAll(CREDS_RE)].map((m) => m[1]!.trim());
      if (items.length < 2) {
        l.log('ERR', 'Credentials file malformed');
        l.close(ClosedState.WriteError);
        return false;
      }
      try {
        const kp = natsNkeys().fromSeed(Buffer.from(items[1]!, 'latin1'));
        doc.jwt = items[0]!;
        doc.sig = Buffer.from(kp.sign(Buffer.from(l.nonce, 'latin1'))).toString('base64url');
      } catch {
        l.log('ERR', 'Credentials file has malformed seed');
        l.close(ClosedState.WriteError);
        return false;
      }
    } else if (l.url !== null && l.url.username !== '') {
      doc.user = decodeURIComponent(l.url.username);
      doc.pass = decodeURIComponent(l.url.password);
    } else {
      // A URL learnt from the hub has no user: the configured URLs' one (nats-server's saveUserPassword).
      const withUser = this.remoteOf.get(l)?.urls.find((u) => u.username !== '');
      if (withUser !== undefined) {
        doc.user = decodeURIComponent(withUser.username);
        doc.pass = decodeURIComponent(withUser.password);
      }
    }
    l.sendProto(`CONNECT ${marshalConnect(doc)}\r\n`, true);
    l.log('DBG', 'Remote leafnode connect msg sent');
    return true;
  }

  /** nats-server's leafNodeFinishConnectProcess: registered, interest sent, keep-alive on. */
  private finishConnect(l: Leaf): void {
    l.connectFinished = true;
    l.authDue = 0;
    this.register(l);
    if (l.closed) return;
    this.sendInitialInterest(l);
    l.startPings(Date.now());
  }

  /** nats-server's processLeafNodeConnect (after the CONNECT's authorization). */
  leafConnect(l: Leaf, json: string): void {
    if (l.solicited || l.registered) return;
    const c = decodeLeafConnect(json);
    if (c === null) {
      l.protocolError(`Bad CONNECT: ${json}`);
      return;
    }
    if (c.lang !== '') {
      const text = 'attempted to connect to leaf node port';
      l.sendErr(text);
      l.log('ERR', text);
      l.close(LeafClosed.WrongPort);
      return;
    }
    const auth = this.authorize(c, l);
    if (auth === null) {
      l.authViolation();
      return;
    }
    const accName = auth.account;
    const acc = this.host.account(accName === '' ? '$G' : accName);
    if (acc === null) {
      l.log('ERR', `authentication of user ${JSON.stringify(c.user)} failed, unable to lookup account ${JSON.stringify(accName)}: account not found`);
      l.authViolation();
      return;
    }
    l.acc = acc;
    const cn = this.host.clusterName();
    if (cn !== '' && c.cluster !== '' && c.cluster === cn) {
      const text = 'remote leafnode has same cluster name';
      l.sendErr(text);
      l.log('ERR', text);
      l.close(LeafClosed.ClusterNamesIdentical);
      return;
    }
    if (c.gateway !== '') {
      const text = `Rejecting connection from gateway ${JSON.stringify(c.gateway)} on the leafnode port`;
      l.log('ERR', text);
      l.sendErr(text);
      l.close(LeafClosed.WrongGateway);
      return;
    }
    l.headers = !this.host.opts.noHeaderSupport && c.headers;
    l.remoteServer = c.name;
    if (c.is_hub) l.leaf = 'spoke';
    l.remoteCluster = c.cluster;
    l.remoteDomain = c.domain;
    // A user JWT's permissions are the leaf's view: here they are reversed (we send it what its
    // user may subscribe to, and the interest its user may publish on), and its deny_imports
    // (what it does not want from us) are merged in (nats-server's mergeDenyPermissions(pub, DenyPub)).
    const up = auth.permissions;
    l.setPermissions(up?.subscribe ?? null, c.deny_pub, up?.publish ?? null, []);
    l.startPings(Date.now());
    this.register(l, c.name, c.cluster);
    if (l.closed) return;
    // sendPermsAndAccountInfo: the leaf learns its account here (and waits for it before its interest).
    const perms = up === null ? {} : { import: up.subscribe, export: up.publish };
    l.sendProto(`INFO ${marshalInfo({ ...this.ownInfo(), client_id: l.cid, ...perms, connect_info: true, remote_account: acc.name })} \r\n`, true);
    this.sendInitialInterest(l);
  }

  /**
   * nats-server's isLeafNodeAuthorized: the leafnodes block's user, else its users, else (in
   * operator mode) the CONNECT's user JWT and signature, else the client users (through the
   * host). The account name ('' = the default) with a user JWT's permissions, or null: refused.
   */
  private authorize(c: AcceptedConnect, l: Leaf): { account: string; permissions: Permissions | null } | null {
    if (this.host.opts.trustedOperators.length > 0 && this.ln.username === '' && (this.ln.users === null || this.ln.users.length === 0)) {
      return this.host.authorizeJwt(c.jwt, c.sig, l.nonce, l.ip);
    }
    const account = this.authorizeUser(c);
    return account === null ? null : { account, permissions: null };
  }

  /** authorize without operator mode: the account name, or null. */
  private authorizeUser(c: AcceptedConnect): string | null {
    const ln = this.ln;
    const check = (user: string, pass: string, acc: string): string | null => (user === c.user && pass === c.pass ? acc : null);
    if (ln.username !== '') return check(ln.username, ln.password, ln.account);
    if (ln.users !== null && ln.users.length > 0) {
      const u = ln.users.find((x) => x.user === c.user);
      return u === undefined ? null : check(u.user, u.password, u.account);
    }
    const acc = this.host.authorizeWithClientUsers(c.user, c.pass);
    if (acc === null) return null;
    return acc === '' ? ln.account : acc;
  }

  /** nats-server's addLeafNodeConnection: registered; a stale connection from the same server is replaced. */
  private register(l: Leaf, srvName = '', clusterName = ''): void {
    let old: Leaf | null = null;
    if (!l.solicited && srvName !== '') {
      for (const o of this.byCid.values()) {
        if (!o.solicited && o.remoteServer === srvName && o.remoteCluster === clusterName && o.acc === l.acc) {
          old = o;
          break;
        }
      }
    }
    this.pending.delete(l);
    this.byCid.set(l.cid, l);
    l.registered = true;
    if (old !== null) {
      old.sendErr(LeafClosed.DuplicateRemoteLeafnodeConnection);
      old.log('ERR', LeafClosed.DuplicateRemoteLeafnodeConnection);
      old.close(LeafClosed.DuplicateRemoteLeafnodeConnection);
      l.log('WRN', 'Replacing connection from same server');
    }
    this.denyJetStream(l);
  }

  /**
   * addLeafNodeConnection's JetStream part: the domain-less API stays on its side of the
   * connection (denied both ways) unless the system account connects within one domain; with a
   * domain of our own, the account maps `$JS.<domain>.API` to the local API, and when the two
   * sides' domains differ, requests for ours do not leave through this connection.
   */
  private denyJetStream(l: Leaf): void {
    const o = this.host.opts;
    const acc = l.acc!;
    const sys = this.host.systemAccount();
    const accName = JSON.stringify(acc.name);
    const domain = o.jetStreamDomain;
    let blockOut = false;
    // default_js_domain: an account sent to the local JetStream ('') keeps no deny; one such
    // account keeps the system account from extending a domain.
    const defaults = Object.values(o.jsAccDefaultDomain);
    let forceSysDeny = false;
    if (acc === sys && defaults.includes('')) {
      l.log('INF', 'Forcing System Account into non extend mode due to presence of empty default domain');
      forceSysDeny = true;
    } else if (acc !== sys && o.jsAccDefaultDomain[acc.name] === '') {
      l.log('INF', `Skipping deny ${JSON.stringify(DENY_ALL_CLIENT_JS[0])} for account ${accName} due to default domain`);
      l.jsDeny = [];
      return;
    }
    if (domain !== l.remoteDomain || (!o.jetstream && domain === '') || sys === null || forceSysDeny) {
      if (acc === sys) {
        const from = l.remoteCluster === '' ? l.remoteServer : `${l.remoteServer}/${l.remoteCluster}`;
        l.log('INF', `System Account Connected from ${from}`);
        l.log('INF', `JetStream Not Extended, adding denies [${DENY_ALL_JS.join(' ')}]`);
        l.jsDeny = denyPrefixes(DENY_ALL_JS);
      } else {
        l.log('INF', `JetStream Not Extended, adding deny [${DENY_ALL_CLIENT_JS.join(' ')}] for account ${accName}`);
        l.jsDeny = denyPrefixes(DENY_ALL_CLIENT_JS);
      }
      blockOut = true;
    } else if (acc === sys) {
      const from = l.remoteCluster === '' ? l.remoteServer : `${l.remoteServer}/${l.remoteCluster}`;
      this.host.log('INF', `Extending JetStream domain ${JSON.stringify(l.remoteDomain)} as System Account connected from server ${from}`);
      l.jsDeny = [];
    } else {
      l.log('INF', `Adding deny [${DENY_ALL_CLIENT_JS.join(' ')}] for account ${accName}`);
      l.jsDeny = denyPrefixes(DENY_ALL_CLIENT_JS);
    }
    if (domain === '' || acc === sys || !o.jetstream) return;
    for (const [src, to] of addJsDomainMappings(acc, domain, false)) {
      l.log('INF', `Adding JetStream Domain Mapping ${JSON.stringify(src)} -> ${to} to account ${accName}`);
    }
    if (!blockOut) return;
    const api = jsDomainApi(domain);
    l.jsDenyOut = denyPrefixes([api]);
    l.log('INF', `Adding deny ${JSON.stringify(api)} for outgoing messages to account ${accName}`);
  }

  /**
   * nats-server's initLeafNodeSmapAndSendSubs: the account's interest (a leaf we solicited hears
   * only local interest: clients', internal, and our own leaves'), not the leaf's own, plus our
   * loop detection subject, as LS+ lines.
   */
  private sendInitialInterest(l: Leaf): void {
    const acc = l.acc!;
    const smap = l.smap;
    smap.clear();
    for (const sub of acc.sublist.all()) {
      if (!this.audience(l, sub)) continue;
      const key = sub.queue === null ? sub.subject : `${sub.subject} ${sub.queue}`;
      smap.set(key, (smap.get(key) ?? 0) + 1);
    }
    // The account's mapped subjects are interest too: a message on one is mapped on arrival.
    for (const src of acc.mappings?.sources() ?? []) {
      if (l.leaf === 'spoke' && ((l.perms !== null && !l.perms.canSubscribe(src, null)) || l.jsDenied(src))) continue;
      smap.set(src, (smap.get(src) ?? 0) + 1);
    }
    const lds = this.loopSubject(acc);
    smap.set(lds, (smap.get(lds) ?? 0) + 1);
    let text = '';
    for (const [key, n] of smap) text += subLine(key, n);
    if (text !== '') l.sendProto(text);
  }

  /** Whether `sub` is interest that leaf `l` hears about (nats-server's updateLeafNodes and updateSmap). */
  private audience(l: Leaf, sub: Subscription): boolean {
    if (sub.route === l) return false;
    if (l.leaf === 'spoke' && sub.route !== null && sub.route.leaf !== 'hub') return false;
    if (sub.route !== null && sub.route.leaf !== null && (sub.route as Leaf).remoteCluster !== '' && (sub.route as Leaf).remoteCluster === l.remoteCluster) {
      return false;
    }
    if (sub.subject.startsWith(LDS_PREFIX)) return true;
    if (l.perms !== null && !l.perms.canSubscribe(sub.subject, null)) return false;
    return !l.jsDenied(sub.subject);
  }

  /** The account's `$LDS.<id>` subject, made on first use. */
  loopSubject(acc: Account): string {
    let s = this.lds.get(acc);
    if (s === undefined) {
      s = LDS_PREFIX + nuid();
      this.lds.set(acc, s);
    }
    return s;
  }

  /** nats-server's handleLeafNodeLoop. */
  loopDetected(l: Leaf, sendErr: boolean): void {
    const delay = RECONNECT_DELAY_AFTER_LOOP_MS;
    const remote = this.remoteOf.get(l);
    if (remote !== undefined) remote.connectDelay = delay;
    const text = `Loop detected for leafnode account=${JSON.stringify(l.acc?.name ?? '')}. Delaying attempt to reconnect for ${delay / 1000}s`;
    if (sendErr) l.sendErr(text);
    l.log('ERR', text);
    l.close(ClosedState.ProtocolViolation);
  }

  /** A cluster name conflict reported by the hub delays the next connect (nats-server's leafProcessErr). */
  clusterNameConflict(l: Leaf): void {
    const remote = this.remoteOf.get(l);
    if (remote !== undefined) remote.connectDelay = RECONNECT_DELAY_AFTER_CLUSTER_NAME_SAME_MS;
  }

  /** A leaf closed: unregistered; a solicited one reconnects after `reconnect`. */
  leafClosed(l: Leaf): void {
    this.pending.delete(l);
    this.byCid.delete(l.cid);
    const remote = this.remoteOf.get(l);
    this.remoteOf.delete(l);
    if (remote === undefined || l.noReconnect || !this.running) return;
    void (async () => {
      if (await this.dialer.sleep(this.ln.reconnectMs)) await this.connectToRemote(remote, false);
    })();
  }

  // ---- interest ----

  subAdded(acc: Account, sub: Subscription): void {
    this.update(acc, sub, 1);
  }

  subRemoved(acc: Account, sub: Subscription): void {
    this.update(acc, sub, -1);
  }

  /** nats-server's updateLeafNodes and updateSmap. */
  private update(acc: Account, sub: Subscription, delta: number): void {
    if (this.byCid.size === 0) return;
    const key = sub.queue === null ? sub.subject : `${sub.subject} ${sub.queue}`;
    for (const l of this.byCid.values()) {
      if (l.acc !== acc || l.closed || !this.audience(l, sub)) continue;
      const smap = l.smap;
      let n = smap.get(key) ?? 0;
      const send = sub.queue !== null || n === 0 || n + delta <= 0;
      n += delta;
      if (n > 0) smap.set(key, n);
      else smap.delete(key);
      if (send) l.sendProto(n > 0 ? subLine(key, n) : `LS- ${key}\r\n`);
    }
  }

  // ---- the loop turn and the timer ----

  markDirty(l: Leaf): void {
    this.reactor.markDirty(l);
  }

  private tick(): void {
    const now = Date.now();
    for (const l of [...this.byCid.values(), ...this.pending]) l.tick(now);
  }

  // ---- monitoring ----

  leafs(): LeafSnapshot[] {
    const out: LeafSnapshot[] = [];
    for (const l of this.byCid.values()) {
      out.push({
        cid: l.cid,
        name: l.remoteServer,
        isSpoke: l.leaf === 'spoke',
        account: l.acc?.name ?? '',
        ip: l.ip,
        port: l.port,
        rtt: l.rtt,
        inMsgs: l.inMsgs,
        outMsgs: l.outMsgs,
        inBytes: l.inBytes,
        outBytes: l.outBytes,
        subscriptions: [...l.subs.keys()],
      });
    }
    return out;
  }
}

/** `LS+ <key>[ <n>]\r\n` (nats-server's writeLeafSub: a queue key carries its weight). */
function subLine(key: string, n: number): string {
  return key.includes(' ') ? `LS+ ${key} ${n}\r\n` : `LS+ ${key}\r\n`;
}

// Socket event handlers shared by all leaf connections (no closures per connection).
const LEAF_OF = new WeakMap<net.Socket, Leaf>();

/** `socket`'s events go to `l` (a new connection, or its TLS socket once secured). */
function bind(socket: net.Socket, l: Leaf): void {
  LEAF_OF.set(socket, l);
  socket.on('data', onSocketData);
  socket.on('drain', onSocketDrain);
  socket.on('end', onSocketClose);
  socket.on('close', onSocketClose);
  socket.on('error', onSocketError);
}

/** The TCP socket's events stop going to its leaf: the TLS socket over it takes them. */
function unbind(socket: net.Socket): void {
  LEAF_OF.delete(socket);
  socket.off('data', onSocketData);
  socket.off('drain', onSocketDrain);
  socket.off('end', onSocketClose);
  socket.off('close', onSocketClose);
  socket.off('error', onSocketError);
}
function onSocketData(this: net.Socket, chunk: Buffer): void {
  LEAF_OF.get(this)?.read(chunk);
}
function onSocketDrain(this: net.Socket): void {
  LEAF_OF.get(this)?.drained();
}
function onSocketClose(this: net.Socket): void {
  LEAF_OF.get(this)?.close(ClosedState.ClientClosed);
}
function onSocketError(this: net.Socket): void {
  LEAF_OF.get(this)?.close(ClosedState.ReadError);
}
