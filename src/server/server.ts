// The server: the client listener, the connection registry, INFO, the reactor, and one coarse
// timer for keep-alive and write deadlines of all connections.

import net from 'node:net';
import type tls from 'node:tls';
import { type Client as ClientT, Client, type ClientHost, type ClientSocket, type Counters } from '../client/client.js';
import { type Authenticator, authenticate, authRequired, comparePasswords, findUser, infoAuthRequired } from '../client/auth.js';
import { ClosedState, type ClosedReason, ERR_MAX_CONNECTIONS } from '../client/errors.js';
import type { MappingConfig, NkeyUser, ServerOptions, UserEntry } from '../config/types.js';
import { DEFAULT_SYSTEM_ACCOUNT } from '../config/accounts.js';
import { AUTH_TIMEOUT_MS, GO_VERSION, PROTO, TLS_TIMEOUT_MS, VERSION } from '../config/defaults.js';
import type { Implementation } from '../protocol/implementation.js';
import { Account, ANY_QUEUE, FROM_LEAF, FROM_ROUTE, GLOBAL_ACCOUNT, REPLY, TO_ROUTES, type RouteLink, type Subscription } from '../accounts/account.js';
import type { JetStream, JetStreamHost } from '../jetstream/host.js';
import type { EventClient, SystemEvents, SystemHost, SystemViews } from '../sys/host.js';
import { type Cluster, type ClusterHost, createCluster } from '../cluster/index.js';
import { createLeafNodes, type LeafHost, type LeafNodes } from '../leaf/index.js';
import { wireImports } from '../accounts/imports.js';
import { DROPPED, SubjectMappings } from '../accounts/mappings.js';
import { addJsDefaultDomainMappings } from '../accounts/js-domain.js';
import { subjectHash } from '../subjects/hash.js';
import { OperatorMode } from '../accounts/jwt-auth.js';
import { startMemoryUpdates, startResolverUpdates } from '../accounts/resolver-updates.js';
import { DirResolver } from '../accounts/resolver.js';
import { Logger } from './logger.js';
import { goDuration } from '../monitor/go-format.js';
import { listenTcp } from '../util/listen.js';
import { Reactor } from '../util/reactor.js';
import { linkTlsDescription } from '../util/tls-link.js';
import { connectHostPorts, joinHostPort } from './ports-file.js';
import { newServerId } from './server-id.js';
import { createTlsContext, handshakeErrorText, startTlsHandshake } from './tls.js';
import { waitForSockets } from '../util/sockets.js';

/** nats-server's first client gets cid 4: cids 1 to 3 belong to its internal $SYS clients. */
const FIRST_CID = 4;
/** Coarse timer resolution bounds, ms. */
const MIN_TICK_MS = 10;
const MAX_TICK_MS = 250;

export interface ServerDeps {
  impl: Implementation;
  /** Why this implementation is live (for the banner). */
  implReason: string;
  logger: Logger;
  /** An embedder's authenticate function: it decides every CONNECT. */
  authenticator?: Authenticator;
}

export class Server implements ClientHost {
  readonly opts: ServerOptions;
  readonly authenticator: Authenticator | null;
  /** Operator mode: account JWTs from the resolver, clients with user JWTs; null otherwise. */
  readonly operator: OperatorMode | null;
  /** Every account by name: `$G` and the configured ones (and any an embedder named). */
  readonly accounts = new Map<string, Account>();
  readonly globalAccount: Account;
  /** The routes, when `cluster` is configured. */
  readonly cluster: Cluster | null;
  /** The leaf node connections, when `leafnodes` is configured. */
  readonly leafnodes: LeafNodes | null;
  /** JetStream, once startJetStream ran (only when enabled: the module is loaded then). */
  jetstream: JetStream | null = null;
  /** The system account's services, once startSystem found a system account. */
  system: SystemEvents | null = null;
  /**
   * Client INFO `connect_urls` (nats-server's info.ClientConnectURLs): null until the other
   * servers' client URLs first change (so a server that never had a route omits the field),
   * then this server's own URLs followed by the other servers', kept even when no other server
   * is left.
   */
  private connectUrls: string[] | null = null;
  /** The other servers' client URLs, learnt over routes. */
  private remoteUrls: string[] = [];
  /** When connectUrls last changed, on the performance clock (nats-server's lastCURLsUpdate). */
  private connectUrlsUpdated = -1;
  readonly impl: Implementation;
  readonly implReason: string;
  readonly stats: Counters = { inMsgs: 0, inBytes: 0, outMsgs: 0, outBytes: 0, slowConsumers: 0, producerStalls: 0 };
  readonly headersSupported: boolean;
  readonly id = newServerId();
  readonly name: string;
  readonly logger: Logger;
  readonly clients = new Map<number, Client>();
  /** The most recent closed connections, oldest first (for /connz?state=closed). */
  readonly closedClients: Client[] = [];
  readonly start = new Date();
  totalConnections = 0;
  /** The WebSocket listener's bound port (0 = none); src/websocket/ sets it once listening. */
  websocketPort = 0;
  private nextCid = FIRST_CID;
  private listener: net.Server | null = null;
  private boundPort = 0;
  // A client's output flushed ahead of the turn's end may carry publish acks: the file stores
  // hand their buffered records to the OS first (JetStream.writePending).
  private readonly reactor = new Reactor<Client>({ beforeEarlyFlush: () => this.jetstream?.writePending() });
  private timer: NodeJS.Timeout | null = null;
  private delivering = 0;
  private readonly removals: { acc: Account; sub: Subscription }[] = [];
  private infoHead = '';
  /** The INFO head WebSocket clients get: the client listener's, without its TLS fields. */
  private wsInfoHead = '';
  private shuttingDown = false;
  private shutdownDone: Promise<void> | null = null;
  /** In lame duck mode (listener closed, clients being closed one by one). */
  private ldm = false;
  /** Wakes the lame duck sleep early when the server shuts down. */
  private ldmWake: (() => void) | null = null;
  /** The client TLS context, null without TLS (rebuilt by listen and applyOptions). */
  private tlsContext: tls.SecureContext | null = null;

  constructor(opts: ServerOptions, deps: ServerDeps) {
    this.opts = opts;
    this.impl = deps.impl;
    this.implReason = deps.implReason;
    this.logger = deps.logger;
    this.authenticator = deps.authenticator ?? null;
    this.headersSupported = !opts.noHeaderSupport;
    this.name = opts.serverName || this.id;
    this.globalAccount = new Account(GLOBAL_ACCOUNT);
    this.accounts.set(GLOBAL_ACCOUNT, this.globalAccount);
    this.leafnodes = opts.leafnode !== null ? createLeafNodes(this.leafHost()) : null;
    this.cluster = opts.cluster !== null ? createCluster(this.clusterHost()) : null;
    this.operator =
      opts.trustedOperators.length > 0
        ? new OperatorMode(opts, {
            accounts: this.accounts,
            addSub: (acc, sub) => this.addSub(acc, sub),
            removeSub: (acc, sub) => this.removeSub(acc, sub),
            account: (name) => this.lookupAccount(name, true) as Account,
            clientsOf: (acc) => [...this.clients.values()].filter((c) => c.acc === acc && c.jwtUser !== null),
            log: (level, text) => this.logger.log(level, text),
            clusterName: () => this.cluster?.name ?? '',
          })
        : null;
    this.configureAccounts();
  }

  /** What the cluster sees of this server. */
  private clusterHost(): ClusterHost {
    const server = this;
    const leafs = this.leafnodes;
    return {
      get opts() {
        return server.opts;
      },
      serverId: this.id,
      serverName: this.name,
      log: (level, text) => this.logger.log(level, text),
      account: (name) => this.accounts.get(name) ?? this.routedAccount(name),
      clientConnectUrls: () => this.clientUrls(),
      connectUrlsChanged: (urls) => {
        this.remoteUrls = urls;
        // In lame duck mode this server no longer lists itself (nats-server's sendLDMToClients).
        this.connectUrls = this.ldm ? [...urls] : [...this.clientUrls(), ...urls];
        this.connectUrlsUpdated = performance.now();
        this.infoChanged();
      },
      routedMessage: (acc, subject, hash, reply, queues, hdrLen, payload) => {
        this.stats.inMsgs++;
        this.stats.inBytes += payload.length;
        this.deliverNow(acc, subject, reply, hdrLen, payload, FROM_ROUTE, queues, hash);
      },
      slowConsumer: () => {
        this.stats.slowConsumers++;
      },
      nextCid: () => this.nextCid++,
      clusterNameChanged: () => this.infoChanged(),
      // Our leaves hear about the other servers' interest (nats-server's updateLeafNodes from processRemoteSub).
      ...(leafs !== null ? { routeInterestChanged: (acc: Account, sub: Subscription, added: boolean) => (added ? leafs.subAdded(acc, sub) : leafs.subRemoved(acc, sub)) } : {}),
    };
  }

  /** What the leaf module sees of this server. */
  private leafHost(): LeafHost {
    const server = this;
    return {
      get opts() {
        return server.opts;
      },
      serverId: this.id,
      serverName: this.name,
      log: (level, text) => this.logger.log(level, text),
      account: (name) => this.accounts.get(name) ?? this.routedAccount(name),
      systemAccount: () => this.systemAccount,
      jetStreamEnabled: (acc) => this.jetstream?.enabledFor(acc) ?? false,
      clusterName: () => this.cluster?.name ?? '',
      authorizeWithClientUsers: (user, pass) => this.authorizeLeaf(user, pass),
      authorizeJwt: (jwt, sig, nonce, ip) => {
        const op = this.operator;
        if (op === null) return null;
        const log = { debug: (t: string) => this.logger.log('DBG', t), error: (t: string) => this.logger.log('ERR', t) };
        const r = op.authenticate(jwt, sig, nonce, ip, log, 'LEAFNODE');
        return r.ok ? { account: r.account.acc.name, permissions: r.user.permissions } : null;
      },
      addSub: (acc, sub) => this.addSub(acc, sub),
      removeSub: (acc, sub) => this.removeSub(acc, sub),
      leafMessage: (from, acc, subject, hash, reply, queues, hdrLen, payload) => {
        this.stats.inMsgs++;
        this.stats.inBytes += payload.length;
        // nats-server's parser maps a leaf's message too; mapped interest takes no queue list.
        let flags = FROM_LEAF;
        const mapped = acc.mappings?.select(subject, 0, subject.length, hash) ?? null;
        if (mapped !== null) {
          if (this.opts.trace) this.logger.log('TRC', `${String(from)} - <<- [MAPPING ${subject.toString('latin1')} -> ${mapped.toString('latin1')}]`);
          if (mapped === DROPPED) return;
          subject = mapped;
          hash = subjectHash(mapped, 0, mapped.length);
          if (queues === null) flags |= ANY_QUEUE;
        }
        this.deliverNow(acc, subject, reply, hdrLen, payload, flags, queues, hash, subject, from);
      },
      slowConsumer: () => {
        this.stats.slowConsumers++;
      },
      nextCid: () => this.nextCid++,
    };
  }

  /**
   * nats-server's isClientAuthorized for a leaf CONNECT (no leafnodes authorization): without
   * client auth every leaf is welcome ('' = the leafnodes block's account); with users, the
   * user's account; with a single user or token, the global account. null: refused.
   */
  private authorizeLeaf(user: string, pass: string): string | null {
    const o = this.opts;
    if (!authRequired(o)) return '';
    if (o.users !== null && o.users.length > 0 && user !== '') {
      const u = findUser(o, user);
      if (u === undefined || !comparePasswords(u.password, pass)) return null;
      return u.account || GLOBAL_ACCOUNT;
    }
    if (o.username !== '') return o.username === user && comparePasswords(o.password, pass) ? GLOBAL_ACCOUNT : null;
    return null;
  }

  /**
   * The client URLs this server advertises (nats-server getClientConnectURLs): client_advertise,
   * else the listen address, or the machine's global unicast addresses when listening on all
   * interfaces (the configured host decides, not the `::` a dual-stack listener is bound to).
   */
  clientUrls(): string[] {
    const o = this.opts;
    if (o.clientAdvertise) {
      const [h, p] = splitHostPort(o.clientAdvertise, this.boundPort);
      return [joinHostPort(h, p)];
    }
    return connectHostPorts(o.host, this.boundPort);
  }

  /**
   * The cluster changed what clients are told (connect_urls, cluster name): new connections get
   * the new INFO, and protocol-1 clients an async INFO (nats-server sendAsyncInfoToClients).
   */
  private infoChanged(): void {
    if (this.listener === null) return;
    this.buildInfoHeads();
    for (const c of this.clients.values()) {
      if (c.closed || c.opts.protocol < 1 || !c.firstPongSent) continue;
      c.out.appendLatin1(this.asyncInfo(c));
      this.markDirty(c);
    }
  }

  /** INFO after client_ip: the cluster name, the JetStream domain and the connect URLs (nats-server's field order). */
  private infoTail(): string {
    const cl = this.cluster;
    const domain = this.opts.jetStreamDomain !== '' ? `,"domain":${goJSON(this.opts.jetStreamDomain)}` : '';
    if (cl === null) return domain;
    let tail = `,"cluster":${goJSON(cl.name)}${domain}`;
    if (this.connectUrls !== null && this.connectUrls.length > 0) tail += `,"connect_urls":${goJSON(this.connectUrls)}`;
    return tail;
  }

  /** The INFO sent to a connected client (nats-server generateClientInfoJSON: no nonce). */
  private asyncInfo(c: Client, extra = ''): string {
    return `${this.infoHead},"client_id":${c.cid},"client_ip":${goJSON(c.ip)}${this.infoTail()}${extra}} \r\n`;
  }

  /** Client INFO `connect_urls` (also /varz's); null while the server never had a route. */
  get clientConnectUrls(): readonly string[] | null {
    return this.connectUrls;
  }

  /**
   * An account a route names that no local client has used yet: in operator mode it is resolved
   * from its JWT (as nats-server looks it up), so that its remote interest is kept.
   */
  private routedAccount(name: string): Account | null {
    if (this.operator === null) return null;
    try {
      return this.operator.lookup(name).acc;
    } catch {
      return null;
    }
  }

  /**
   * Operator mode's account JWT updates in the system account: the full resolver's (nats-server's
   * resolver Start; the system account is bootstrapped when its JWT is not stored yet), or with
   * MEMORY the updates of accounts in use (accountClaimUpdate).
   */
  startResolver(): void {
    const op = this.operator;
    const o = this.opts;
    if (op === null || o.resolver === null || o.systemAccount === '') return;
    if (o.resolver.type === 'full' && o.trustedOperators.length === 1) op.bootstrapSystemAccount(o.systemAccount, o.trustedOperators[0]!.subject);
    const sys = this.lookupAccount(o.systemAccount, true) as Account;
    const host: Parameters<typeof startMemoryUpdates>[2] = {
      addSub: (acc, sub) => this.addSub(acc, sub),
      reply: (subject, json) => {
        this.deliverNow(sys, subject, null, 0, Buffer.from(json), TO_ROUTES, null);
      },
      log: (level, text) => this.logger.log(level, text),
      serverInfo: () => ({ name: this.name, host: this.opts.host, id: this.id, cluster: this.cluster?.name ?? '' }),
    };
    if (op.resolver instanceof DirResolver) startResolverUpdates(op, op.resolver, sys, host);
    else startMemoryUpdates(op, sys, host);
  }

  /** Creates the configured accounts that do not exist yet and (re)wires their imports. */
  private configureAccounts(): void {
    this.globalAccount.mappings = this.newMappings(this.opts.mappings);
    // In operator mode the account JWTs make the graph (accounts/jwt-auth.ts).
    if (this.operator !== null) return;
    for (const a of this.opts.accounts) if (!this.accounts.has(a.name)) this.registerAccount(new Account(a.name));
    for (const a of this.opts.accounts) this.accounts.get(a.name)!.mappings = this.newMappings(a.mappings ?? []);
    this.defaultJsDomains();
    for (const w of wireImports(this, this.accounts, this.opts.accounts)) this.logger.warn(w);
  }

  /**
   * `default_js_domain` (nats-server's registerAccount): an account without JetStream sends its
   * `$JS.API` requests to the domain named for it; one with JetStream keeps its own.
   */
  private defaultJsDomains(): void {
    const o = this.opts;
    for (const [name, domain] of Object.entries(o.jsAccDefaultDomain)) {
      const acc = this.accounts.get(name);
      if (acc === undefined) continue;
      const conf = o.accounts.find((a) => a.name === name);
      const jsEnabled = o.jetstream && (conf !== undefined ? conf.jetstream !== null && conf.jetstream !== undefined : name === GLOBAL_ACCOUNT && o.accounts.length === 0);
      if (jsEnabled) this.logger.warn(`Skipping Default Domain ${JSON.stringify(domain)}, set for JetStream enabled account ${JSON.stringify(name)}`);
      else if (domain !== '') {
        for (const [src, to] of addJsDefaultDomainMappings(acc, domain)) this.logger.log('INF', `Adding default domain mapping ${JSON.stringify(src)} -> ${JSON.stringify(to)} to account ${JSON.stringify(name)}`);
      }
    }
  }

  /** An account's subject mappings (checked by the config reader), null for none. */
  newMappings(list: readonly MappingConfig[]): SubjectMappings | null {
    if (list.length === 0) return null;
    const m = new SubjectMappings(() => this.cluster?.name ?? '');
    for (const { src, dests } of list) m.add(src, dests);
    return m;
  }

  lookupAccount(name: string, create: boolean): Account | null {
    let acc = this.accounts.get(name);
    if (acc === undefined && create) {
      acc = new Account(name);
      this.registerAccount(acc);
    }
    return acc ?? null;
  }

  /** nats-server registerAccount: the account joins the registry and imports the system's services. */
  private registerAccount(acc: Account): void {
    this.accounts.set(acc.name, acc);
    this.system?.accountAdded(acc);
  }

  /** The system account, null without one (none configured, or no_system_account). */
  get systemAccount(): Account | null {
    return this.system?.account ?? null;
  }

  /**
   * nats-server Start's system account step: `system_account` (in operator mode the account of
   * that public key), else a `$SYS` account made for it unless `no_system_account` (operator mode
   * makes none). Loads the system's module and starts its requests and events; `views` are the
   * monitoring snapshots it serves.
   */
  async startSystem(views: SystemViews): Promise<void> {
    const o = this.opts;
    if (this.system !== null) return;
    let sys: Account | null = null;
    if (o.systemAccount !== '') {
      if (this.operator !== null) {
        try {
          sys = this.operator.lookup(o.systemAccount).acc;
        } catch {
          sys = this.accounts.get(o.systemAccount) ?? null;
        }
      } else {
        sys = this.lookupAccount(o.systemAccount, false);
      }
    } else if (!o.noSystemAccount && this.operator === null) {
      sys = this.accounts.get(DEFAULT_SYSTEM_ACCOUNT) ?? null;
      if (sys === null) {
        sys = this.lookupAccount(DEFAULT_SYSTEM_ACCOUNT, true) as Account;
        this.logger.log('DBG', `Created system account: "${DEFAULT_SYSTEM_ACCOUNT}"`);
      }
    }
    if (sys === null) return;
    const { startSystem } = await import('../sys/index.js');
    this.system = startSystem(this.systemHost(views), sys);
  }

  /** What the system account's services see of this server. */
  private systemHost(views: SystemViews): SystemHost {
    const server = this;
    return {
      get opts() {
        return server.opts;
      },
      serverId: this.id,
      serverName: this.name,
      clusterName: () => this.cluster?.name ?? '',
      jetstreamEnabled: () => this.jetstream !== null,
      log: (level, text) => this.logger.log(level, text),
      globalAccount: this.globalAccount,
      accounts: () => this.accounts.values(),
      account: (name) => this.accounts.get(name) ?? null,
      addSub: (acc, sub) => this.addSub(acc, sub),
      removeSub: (acc, sub) => this.removeSub(acc, sub),
      publish: (acc, subject, reply, hdrLen, payload) => {
        this.deliverNow(acc, Buffer.from(subject, 'latin1'), reply === '' ? null : Buffer.from(reply, 'latin1'), hdrLen, payload, TO_ROUTES, null);
      },
      views,
    };
  }

  /** Subscriptions in every account's registry (client, internal and remote). */
  numSubscriptions(): number {
    let n = 0;
    for (const acc of this.accounts.values()) n += acc.sublist.count();
    return n;
  }

  /** The bound client port (after `listen`). */
  get port(): number {
    return this.boundPort;
  }

  get isLameDuck(): boolean {
    return this.ldm;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Starts the client listener; resolves once it accepts connections. */
  async listen(): Promise<void> {
    this.tlsContext = this.opts.tls ? createTlsContext(this.opts.tls) : null;
    const server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.listener = server;
    await listenTcp(server, this.opts.host, this.opts.port === -1 ? 0 : this.opts.port, 1024);
    this.boundPort = (server.address() as net.AddressInfo).port;
    this.buildInfoHeads();
    this.startTimer();
  }

  /**
   * Loads and starts JetStream when the options enable it (before the client listener, as
   * nats-server does). Throws Error(nats-server's reason) when it cannot start.
   */
  async startJetStream(): Promise<void> {
    if (!this.opts.jetstream || this.jetstream !== null) return;
    const { startJetStream } = await import('../jetstream/index.js');
    this.jetstream = startJetStream(this.jetStreamHost());
  }

  /** What JetStream sees of this server. */
  private jetStreamHost(): JetStreamHost {
    const server = this;
    return {
      get opts() {
        return server.opts;
      },
      serverName: this.name,
      log: (level, text) => this.logger.log(level, text),
      account: (name) => this.accounts.get(name) ?? null,
      hasConfiguredAccounts: () => this.opts.accounts.length > 0,
      addSub: (acc, sub) => this.addSub(acc, sub),
      removeSub: (acc, sub) => this.removeSub(acc, sub),
      crc32: this.impl.crc32,
      publish: (acc, subject, reply, hdrLen, payload, frame) => {
        this.deliverNow(acc, subject, reply, hdrLen, payload, TO_ROUTES, null, undefined, frame);
      },
      respond: (acc, reply, hdrLen, payload) => {
        this.deliverNow(acc, reply, null, hdrLen, payload, TO_ROUTES | REPLY, null, 0);
      },
    };
  }

  /** Starts routing (the route listener and the configured routes), after the client listener. */
  async startCluster(): Promise<void> {
    await this.cluster?.start();
  }

  /** Starts the leafnode listener and solicits the remotes, after the routes (as nats-server). */
  async startLeafNodes(): Promise<void> {
    await this.leafnodes?.start();
  }

  /** (Re)starts the coarse timer, its period derived from the shortest configured timer. */
  private startTimer(): void {
    if (this.timer) clearInterval(this.timer);
    const o = this.opts;
    const shortest = Math.min(o.pingIntervalMs, o.writeDeadlineMs, o.authTimeoutMs || AUTH_TIMEOUT_MS);
    const tick = Math.max(MIN_TICK_MS, Math.min(MAX_TICK_MS, Math.floor(shortest / 20)));
    this.timer = setInterval(() => this.tick(), tick);
    this.timer.unref();
  }

  /**
   * Config reload: the options are changed in place (clients read `opts` live), then what was
   * derived from them is rebuilt: the INFO sent to new connections (max_payload, auth_required,
   * client_advertise) and the timer period. Auth changes apply to connections made from now on
   * (and `recheckAuthorization` cuts those that no longer authenticate).
   */
  applyOptions(next: ServerOptions): void {
    Object.assign(this.opts, next);
    this.configureAccounts();
    this.jetstream?.configureAccounts();
    this.tlsContext = this.opts.tls ? createTlsContext(this.opts.tls) : null;
    for (const c of this.clients.values()) c.parser.maxControlLine = this.opts.maxControlLine;
    if (this.listener) this.buildInfoHeads();
    if (this.timer) this.startTimer();
  }

  /**
   * After an auth reload (nats-server's reloadAuthorization): a connection whose user left the
   * users list or moved to another account is closed without a word (it reconnects and lands
   * where it now belongs); one whose CONNECT no longer authenticates gets `-ERR 'Authorization
   * Violation'` and is closed. Connections that still authenticate take their user's new
   * permissions. Returns how many were closed.
   */
  recheckAuthorization(): number {
    let closed = 0;
    if (this.authenticator !== null) return 0; // the embedder's function decides, not the config
    if (this.operator !== null) return 0; // account JWTs decide, not the config
    for (const c of [...this.clients.values()]) {
      if (c.closed || !c.connectReceived) continue;
      if (this.movedAccount(c)) {
        c.close(ClosedState.ClientClosed);
        closed++;
        continue;
      }
      const auth = authenticate(c.kind === 'websocket' ? wsAuthOptions(this.opts) : this.opts, c.opts, c.nonce, c.tlsPeer, c.authLog());
      if (auth.ok) {
        c.reauthorized(auth.user);
        continue;
      }
      c.authViolation();
      closed++;
    }
    return closed;
  }

  /**
   * nats-server clientHasMovedToDifferentAccount, for a users list or nkey users: the client's
   * user is no longer there, or is in another account now. (With a single user/password,
   * nats-server finds no entry and drops every client that sent a user name on each reload;
   * tsnats does not copy that.)
   */
  private movedAccount(c: Client): boolean {
    const o = this.opts;
    let entry: UserEntry | NkeyUser | undefined;
    if (c.opts.nkey !== '') {
      if (o.nkeys === null) return false;
      entry = o.nkeys.find((n) => n.nkey === c.opts.nkey);
    } else if (c.opts.user !== '') {
      if (o.users === null) return false;
      entry = findUser(o, c.opts.user);
    } else {
      return false;
    }
    return entry === undefined || (entry.account || GLOBAL_ACCOUNT) !== c.acc.name;
  }

  /**
   * max_connections lowered by a reload: the newest connections over the limit get
   * `-ERR 'maximum connections exceeded'` and are closed (nats-server's maxConnOption).
   * Returns how many were closed.
   */
  closeOverMaxConnections(max: number): number {
    if (max <= 0 || this.clients.size <= max) return 0;
    const over = [...this.clients.values()].slice(max);
    for (const c of over) {
      c.sendErr(ERR_MAX_CONNECTIONS);
      c.close(ClosedState.MaxConnectionsExceeded);
    }
    return over.length;
  }

  /** Rebuilds the INFO heads from the options and the bound port. */
  private buildInfoHeads(): void {
    this.infoHead = this.buildInfoHead(false);
    this.wsInfoHead = this.buildInfoHead(true);
  }

  /**
   * INFO up to (not including) client_id, as nats-server orders the fields. A WebSocket client's
   * has no TLS fields (TLS is the WebSocket listener's business), and says auth_required when the
   * websocket block has its own authorization.
   */
  private buildInfoHead(ws: boolean): string {
    const o = this.opts;
    let host = o.host;
    let port = this.boundPort;
    if (o.clientAdvertise) {
      const [h, p] = splitHostPort(o.clientAdvertise, port);
      host = h;
      port = p;
    }
    const info: Record<string, unknown> = {
      server_id: this.id,
      server_name: this.name,
      version: VERSION,
      proto: PROTO,
      go: GO_VERSION,
      host,
      port,
      headers: this.headersSupported,
      ...(this.authenticator !== null || infoAuthRequired(o) || (ws && wsAuthOverride(o)) ? { auth_required: true } : {}),
      ...(!ws && o.tls && !o.allowNonTls ? { tls_required: true } : {}),
      ...(!ws && o.tls?.verify ? { tls_verify: true } : {}),
      ...(!ws && o.tls && o.allowNonTls ? { tls_available: true } : {}),
      max_payload: o.maxPayload,
      ...(this.jetstream !== null ? { jetstream: true } : {}),
    };
    const json = goJSON(info);
    return 'INFO ' + json.slice(0, -1);
  }

  private infoFor(c: Client, head = this.infoHead): string {
    const nonce = c.nonce === '' ? '' : `,"nonce":"${c.nonce}"`;
    return `${head},"client_id":${c.cid},"client_ip":${goJSON(c.ip)}${nonce}${this.infoTail()}} \r\n`;
  }

  /** Runs for every accepted socket: INFO first, then the limits, then TLS if configured. */
  private accept(socket: net.Socket): void {
    if (this.shuttingDown) {
      socket.destroy();
      return;
    }
    const now = Date.now();
    const ip = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const c = new Client(this, this.nextCid++, socket, ip, socket.remotePort ?? 0, now);
    const info = this.infoFor(c);
    CLIENT_OF.set(socket, c);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    if (this.opts.maxConnections > 0 && this.clients.size >= this.opts.maxConnections) {
      c.out.appendLatin1(info);
      c.sendErr(ERR_MAX_CONNECTIONS);
      c.close(ClosedState.MaxConnectionsExceeded);
      return;
    }
    this.clients.set(c.cid, c);
    this.totalConnections++;
    this.logger.log('DBG', `${c} - Client connection created`);
    this.system?.clientAccepted();
    const context = this.tlsContext;
    if (context !== null && this.opts.tls !== null) {
      this.acceptTls(c, socket, info, context, this.opts.tls.verify);
      return;
    }
    c.out.appendLatin1(info);
    this.startReading(c, socket, now);
    this.markDirty(c);
  }

  /**
   * A WebSocket connection past its HTTP upgrade (src/websocket/): a client like a TCP one over
   * `socket`, which frames what the client writes and hands it the bytes it reads. nats-server's
   * createWSClient: the client INFO without TLS fields, the websocket block's authorization.
   * Returns null when the server does not take it (shutting down, lame duck, or over
   * max_connections, which the client is told).
   */
  acceptWebsocket(socket: ClientSocket, ip: string, port: number, bind: (c: Client) => void): Client | null {
    if (this.shuttingDown || this.ldm) {
      socket.destroy();
      return null;
    }
    const now = Date.now();
    const c = new Client(this, this.nextCid++, socket, ip, port, now, wsAuthOptions(this.opts));
    c.kind = 'websocket';
    bind(c);
    const info = this.infoFor(c, this.wsInfoHead);
    if (this.opts.maxConnections > 0 && this.clients.size >= this.opts.maxConnections) {
      c.out.appendLatin1(info);
      c.sendErr(ERR_MAX_CONNECTIONS);
      c.close(ClosedState.MaxConnectionsExceeded);
      return null;
    }
    this.clients.set(c.cid, c);
    this.totalConnections++;
    this.logger.log('DBG', `${c} - Client connection created`);
    this.system?.clientAccepted();
    c.out.appendLatin1(info);
    c.pingDue = now + this.opts.pingIntervalMs;
    this.markDirty(c);
    return c;
  }

  /** The connection's socket is live for the protocol: its handlers and keep-alive. */
  private startReading(c: Client, socket: net.Socket, now: number): void {
    c.pingDue = now + this.opts.pingIntervalMs;
    socket.on('data', onSocketData);
    socket.on('end', onSocketClose);
    socket.on('drain', onSocketDrain);
  }

  /**
   * nats-server's createClient with TLS: INFO in plain text, then the server side of the
   * handshake within tls_timeout (the auth timer starts after it). A client that does not
   * complete it is closed without a word: nats-server's `-ERR 'Secure Connection - TLS
   * Required'` never reaches a client at that point. With allow_non_tls, the first byte decides
   * (0x16, a TLS record, or plain protocol).
   */
  private acceptTls(c: Client, raw: net.Socket, info: string, context: tls.SecureContext, verify: boolean): void {
    // No keep-alive or auth timer until the handshake is over.
    c.pingDue = Number.POSITIVE_INFINITY;
    c.authDue = 0;
    const timer = setTimeout(() => {
      if (c.closed) return;
      this.logger.error(`${c} - TLS handshake timeout`);
      this.trace(c, '->>', "-ERR 'Secure Connection - TLS Required'");
      c.close(ClosedState.TLSHandshakeError);
    }, this.opts.tlsTimeoutMs || TLS_TIMEOUT_MS);
    timer.unref();
    const handshake = (): void => {
      if (c.closed) return;
      this.logger.log('DBG', `${c} - Starting TLS client connection handshake`);
      // Until the handshake is over, a hang-up or a reset fails it, as in nats-server (`EOF`,
      // Go's `read tcp ...: connection reset by peer`).
      const fail = (reason: string): void => {
        clearTimeout(timer);
        if (c.closed) return;
        this.logger.error(`${c} - TLS handshake error: ${reason}`);
        c.close(ClosedState.TLSHandshakeError);
      };
      const onHangUp = (): void => fail('EOF');
      const onRawError = (e: Error): void => fail(handshakeErrorText(e, raw));
      raw.off('close', onSocketClose);
      raw.off('error', onSocketError);
      raw.once('close', onHangUp);
      raw.on('error', onRawError);
      startTlsHandshake(raw, context, verify, {
        secure: (ts) => {
          clearTimeout(timer);
          if (c.closed) {
            ts.destroy();
            return;
          }
          raw.off('error', onRawError);
          raw.off('close', onHangUp);
          CLIENT_OF.set(ts as net.Socket, c);
          c.socket = ts;
          c.tlsPeer = { cert: ts.getPeerX509Certificate()?.raw ?? null };
          ts.on('error', onSocketError);
          ts.on('close', onSocketClose);
          const now = Date.now();
          if (c.authPending) c.authDue = now + this.opts.authTimeoutMs;
          this.startReading(c, ts, now);
          this.logger.log('DBG', `${c} - TLS handshake complete`);
          this.logger.log('DBG', `${c} - ${linkTlsDescription(ts)}`);
          this.markDirty(c);
        },
        failed: fail,
      });
    };
    raw.write(info, 'latin1', () => {
      if (c.closed) return;
      if (!this.opts.allowNonTls) {
        handshake();
        return;
      }
      raw.once('readable', () => {
        if (c.closed) return;
        const first = raw.read(1) as Buffer | null;
        if (first === null) return;
        raw.unshift(first);
        if (first[0] === 0x16) {
          handshake();
          return;
        }
        clearTimeout(timer);
        const now = Date.now();
        if (c.authPending) c.authDue = now + this.opts.authTimeoutMs;
        this.startReading(c, raw, now);
        this.markDirty(c);
      });
    });
  }

  /** The coarse timer: keep-alive pings and write deadlines of every connection. */
  private tick(): void {
    const now = Date.now();
    const deadline = this.opts.writeDeadlineMs;
    for (const c of this.clients.values()) {
      if (c.blockedSince !== 0 && c.writeDeadlinePassed(now, deadline)) {
        const detail = `WriteDeadline of ${goDuration(deadline * 1e6)} exceeded with ${c.blockedWrites} chunks of ${c.pendingBytes()} total bytes.`;
        c.slowConsumer(ClosedState.SlowConsumerWriteDeadline, detail);
        continue;
      }
      if (c.stallUntil !== 0 && now >= c.stallUntil) c.resumeReading();
      if (c.authDue !== 0 && now >= c.authDue) {
        c.authTimeout();
        continue;
      }
      if (c.expiresAt !== 0 && now >= c.expiresAt) {
        c.authExpired();
        continue;
      }
      if (c.acc.expiresAt !== 0 && now >= c.acc.expiresAt && c.jwtUser !== null) {
        c.accountAuthExpired();
        continue;
      }
      if (now >= c.pingDue) c.pingTimer(now);
    }
  }

  // ---- ClientHost ----

  markDirty(c: ClientT): void {
    this.reactor.markDirty(c);
  }

  /**
   * A message the server itself hands to `acc` (from a route, a leaf, JetStream, the system
   * account): Account.deliver between beginDelivery and endDelivery, without a publishing client.
   */
  private deliverNow(
    acc: Account,
    subject: Buffer,
    reply: Buffer | null,
    hdrLen: number,
    payload: Buffer,
    flags: number,
    queues: readonly Buffer[] | null,
    hash?: number,
    frame?: Buffer,
    from?: RouteLink | null,
  ): void {
    this.beginDelivery();
    try {
      acc.deliver(subject, reply, hdrLen, payload, flags, queues, null, hash, frame, from);
    } finally {
      this.endDelivery();
    }
  }

  beginDelivery(): void {
    this.delivering++;
  }

  endDelivery(): void {
    if (--this.delivering === 0 && this.removals.length > 0) {
      for (const r of this.removals) this.dropSub(r.acc, r.sub);
      this.removals.length = 0;
    }
  }

  addSub(acc: Account, sub: Subscription): boolean {
    if (!acc.sublist.insert(sub)) return false;
    if (this.cluster !== null && (sub.internal === null || sub.internal.clusterWide)) this.cluster.subAdded(acc, sub);
    this.leafnodes?.subAdded(acc, sub);
    return true;
  }

  removeSub(acc: Account, sub: Subscription): void {
    if (this.delivering > 0) this.removals.push({ acc, sub });
    else this.dropSub(acc, sub);
  }

  private dropSub(acc: Account, sub: Subscription): void {
    if (!acc.sublist.remove(sub)) return;
    if (this.cluster !== null && (sub.internal === null || sub.internal.clusterWide)) this.cluster.subRemoved(acc, sub);
    this.leafnodes?.subRemoved(acc, sub);
  }

  clientConnected(c: ClientT): void {
    this.system?.clientConnected(eventClient(c));
  }

  clientClosed(c: ClientT, reason: ClosedReason): void {
    if (!this.clients.delete(c.cid)) return;
    this.logger.log('DBG', `${c} - Client connection closed: ${reason}`);
    this.system?.clientClosed(eventClient(c), reason);
    const ring = this.closedClients;
    if (this.opts.maxClosedClients <= 0) return;
    if (ring.length >= this.opts.maxClosedClients) ring.shift();
    ring.push(c);
  }

  notice(text: string): void {
    this.logger.info(text);
  }

  get tracing(): boolean {
    return this.logger.trace;
  }

  log(level: 'ERR' | 'WRN' | 'DBG', text: string): void {
    this.logger.log(level, text);
  }

  /**
   * nats-server processPing: a protocol-1 client's first PONG is followed by the current INFO
   * when the client URLs changed since the client was accepted (it missed the async INFO, which
   * only goes to clients past their first PONG).
   */
  sentFirstPong(c: ClientT): void {
    // A user or account max_payload below the server's: the client learns its own.
    if (c.maxPayload >= 0 && c.maxPayload !== this.opts.maxPayload) {
      c.out.appendLatin1(this.asyncInfo(c).replace(/"max_payload":\d+/, `"max_payload":${c.maxPayload}`));
      return;
    }
    if (this.connectUrlsUpdated < c.startPerf) return;
    c.out.appendLatin1(this.asyncInfo(c));
  }

  trace(c: ClientT, dir: '<<-' | '->>', text: string, raw = false): void {
    if (!this.logger.trace) return;
    if (raw && this.opts.maxTracedMsgLen > 0) text = truncateTracedPayload(text, this.opts.maxTracedMsgLen);
    this.logger.log('TRC', `${c} - ${dir} ${raw ? text : `[${text}]`}`);
  }

  /**
   * Graceful shutdown (nats-server's Shutdown): stop accepting, close every connection with
   * `Server Shutdown` (what is pending is flushed, nothing else is sent), then wait until the
   * sockets have handed their bytes to the kernel (bounded by write_deadline). Idempotent.
   */
  shutdown(): Promise<void> {
    this.shutdownDone ??= this.doShutdown();
    return this.shutdownDone;
  }

  private async doShutdown(): Promise<void> {
    this.shuttingDown = true;
    this.logger.info('Initiating Shutdown...');
    // nats-server shutdownEventing: the shutdown event leaves before routes and clients close.
    this.system?.shutdown();
    this.ldmWake?.();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const listener = this.listener;
    this.listener = null;
    // Stops accepting at once; its callback would wait for every connection, so it is not awaited.
    listener?.close();
    const jsDown = this.jetstream?.shutdown();
    const routesDown = this.cluster?.shutdown();
    const leafsDown = this.leafnodes?.shutdown();
    const clients = [...this.clients.values()];
    for (const c of clients) c.close(ClosedState.ServerShutdown);
    await Promise.all([
      jsDown,
      routesDown,
      leafsDown,
      settleSockets(
        clients.map((c) => transportOf(c.socket)),
        Math.max(SHUTDOWN_MIN_FLUSH_MS, this.opts.writeDeadlineMs),
      ),
    ]);
  }

  /**
   * Lame duck mode (SIGUSR2; nats-server's lameDuckMode): stop accepting, tell protocol-1
   * clients (`"ldm":true` INFO), wait the grace period, then close the clients one at a time
   * spread over the rest of lame_duck_duration, and shut down. Resolves when shut down.
   */
  async lameDuckMode(): Promise<void> {
    if (this.shuttingDown || this.ldm || this.listener === null) return;
    this.logger.info('Entering lame duck mode, stop accepting new clients');
    this.ldm = true;
    this.listener.close();
    this.listener = null;
    if (this.clients.size === 0) {
      await this.shutdown();
      return;
    }
    const o = this.opts;
    const grace = Math.abs(o.lameDuckGracePeriodMs);
    let dur = o.lameDuckDurationMs - grace;
    if (dur <= 0) dur = 1000;
    const clients = [...this.clients.values()];
    let batch = 1;
    // Pause between two closes: at most 1 s, or the duration shared out over the clients.
    let si = dur / clients.length;
    if (si < 1) {
      si = 1;
      batch = Math.max(1, Math.floor(clients.length / dur));
    } else if (si > 1000) si = 1000;
    this.sendLameDuckInfo();
    this.cluster?.lameDuck();
    if (!(await this.ldmSleep(grace))) return;
    this.logger.info('Closing existing clients');
    for (let i = 0; i < clients.length; i++) {
      clients[i]!.close(ClosedState.ServerShutdown);
      if (i === clients.length - 1) break;
      if (batch === 1 || i % batch === 0) {
        const v = Math.max(si / 2, Math.random() * si);
        if (!(await this.ldmSleep(v))) return;
      }
    }
    await this.shutdown();
  }

  /** Sleeps `ms`; false when the server shut down meanwhile (the lame duck then stops). */
  private ldmSleep(ms: number): Promise<boolean> {
    if (this.shuttingDown) return Promise.resolve(false);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.ldmWake = null;
        resolve(!this.shuttingDown);
      }, ms);
      this.ldmWake = () => {
        clearTimeout(t);
        this.ldmWake = null;
        resolve(false);
      };
    });
  }

  /**
   * The lame duck INFO (§4.2): only to clients that said `protocol >= 1` and already had their
   * first PING answered; the server INFO with this client's id and ip and `"ldm":true`. In a
   * cluster, `connect_urls` lists only the other servers from now on (none with no_advertise),
   * as nats-server's sendLDMToClients.
   */
  private sendLameDuckInfo(): void {
    if (this.cluster !== null) this.connectUrls = this.opts.cluster?.noAdvertise ? [] : [...this.remoteUrls];
    for (const c of this.clients.values()) {
      if (c.closed || c.opts.protocol < 1 || !c.firstPongSent) continue;
      c.out.appendLatin1(this.asyncInfo(c, ',"ldm":true'));
      this.markDirty(c);
    }
  }
}

/** A client as the system's connect and disconnect events describe it (nats-server ClientInfo). */
function eventClient(c: Client): EventClient {
  const u = c.jwtUser;
  const user = c.user;
  const o = c.opts;
  const userName = user !== null && 'user' in user && user.user !== '' ? user.user : o.user;
  let issuerKey = '';
  if (u !== null) issuerKey = u.claims.iss;
  else if (user !== null && 'nkey' in user) issuerKey = c.acc.name;
  const tags = u?.claims.nats.tags;
  return {
    cid: c.cid,
    start: c.start,
    ip: c.ip,
    acc: c.acc,
    rawUser: o.nkey || userName || (u !== null ? u.pubKey : '') || o.auth_token,
    name: o.name,
    lang: o.lang,
    version: o.version,
    rtt: c.rtt,
    jwt: o.jwt,
    issuerKey,
    nameTag: u?.name ?? '',
    tags: Array.isArray(tags) ? tags : [],
    kind: 'Client',
    clientType: c.kind === 'websocket' ? 'websocket' : 'nats',
    inMsgs: c.inMsgs,
    inBytes: c.inBytes,
    outMsgs: c.outMsgs,
    outBytes: c.outBytes,
  };
}

/** Shutdown waits at least this long for pending bytes to reach the kernel. */
const SHUTDOWN_MIN_FLUSH_MS = 1000;
/** After flushing, how long peers get to close their side before sockets are destroyed. */
const SHUTDOWN_LINGER_MS = 100;

/**
 * Waits until every socket has flushed what it holds (`finish`) or died, at most `flushMs`; then
 * gives peers a moment to close, and destroys what is left.
 */
async function settleSockets(sockets: net.Socket[], flushMs: number): Promise<void> {
  const live = (s: net.Socket): boolean => !s.destroyed && typeof s.once === 'function';
  await waitForSockets(sockets.filter((s) => live(s) && !s.writableFinished), ['finish', 'close', 'error'], flushMs);
  await waitForSockets(sockets.filter(live), ['close'], SHUTDOWN_LINGER_MS);
  for (const s of sockets) if (live(s)) s.destroy();
}

/**
 * max_traced_msg_len for a `MSG_PAYLOAD: ["..."]` trace line: nats-server keeps the first n
 * bytes of the payload and adds `...`.
 */
function truncateTracedPayload(text: string, max: number): string {
  const m = /^MSG_PAYLOAD: \[(".*")\]$/s.exec(text);
  if (!m) return text;
  let payload: string;
  try {
    payload = JSON.parse(m[1]!) as string;
  } catch {
    return text;
  }
  const bytes = Buffer.from(payload, 'utf8');
  if (bytes.length <= max) return text;
  const q = JSON.stringify(bytes.subarray(0, max).toString('utf8'));
  return `MSG_PAYLOAD: ["${q.slice(1, -1)}..."]`;
}

/** The TCP or TLS socket under a client's socket (a WebSocket connection keeps it as `raw`). */
function transportOf(s: ClientSocket): net.Socket {
  return (s as { raw?: net.Socket }).raw ?? (s as unknown as net.Socket);
}

// Socket event handlers shared by all connections (no closures per connection).
const CLIENT_OF = new WeakMap<net.Socket, Client>();
function onSocketData(this: net.Socket, chunk: Buffer): void {
  CLIENT_OF.get(this)!.read(chunk);
}
function onSocketDrain(this: net.Socket): void {
  CLIENT_OF.get(this)!.drained();
}
function onSocketClose(this: net.Socket): void {
  CLIENT_OF.get(this)!.close(ClosedState.ClientClosed);
}
function onSocketError(this: net.Socket): void {
  CLIENT_OF.get(this)!.close(ClosedState.ReadError);
}

/** The websocket block overrides the server's authorization (user, token or no_auth_user). */
function wsAuthOverride(o: ServerOptions): boolean {
  const ws = o.websocket;
  return ws !== null && (ws.username !== '' || ws.token !== '' || ws.noAuthUser !== '');
}

/**
 * What a WebSocket client authenticates against (auth.go's websocket override): the websocket
 * block's user, password, token and no_auth_user when it names any, the server's users and
 * nkeys either way, and the block's auth timeout when set. The server's own (live) options when
 * the block changes nothing.
 */
function wsAuthOptions(o: ServerOptions): ServerOptions {
  const ws = o.websocket;
  if (ws === null) return o;
  const override = wsAuthOverride(o);
  if (!override && ws.authTimeoutMs === 0) return o;
  const a: ServerOptions = { ...o };
  if (override) {
    a.username = ws.username;
    a.password = ws.password;
    a.authorization = ws.token;
    a.noAuthUser = ws.noAuthUser;
  }
  if (ws.authTimeoutMs !== 0) a.authTimeoutMs = ws.authTimeoutMs;
  return a;
}

/** Go encoding/json string escaping: also escapes <, >, & and U+2028/2029. */
export function goJSON(v: unknown): string {
  return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'));
}

function splitHostPort(hp: string, defPort: number): [string, number] {
  const i = hp.lastIndexOf(':');
  if (i < 0 || hp.endsWith(']')) return [hp.replace(/^\[|\]$/g, ''), defPort];
  return [hp.slice(0, i).replace(/^\[|\]$/g, ''), Number(hp.slice(i + 1))];
}
