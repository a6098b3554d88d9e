// The system account's services on one server, as nats-server 2.9.10's events.go: the requests
// system-account users send on `$SYS.REQ.>` (statsz, the monitoring endpoints, per-account
// views), the services every other account imports (PING.CONNZ, PING.STATZ), and the events
// ($SYS.ACCOUNT.<acc>.CONNECT/DISCONNECT, .SERVER.CONNS, $SYS.SERVER.<id>.STATSZ and .SHUTDOWN).
// Its subscriptions are ordinary internal subscriptions of the system account: they travel over
// routes as a nats-server's do, so a request reaches every server of a cluster.

import { type Account, type Subscription, TO_ROUTES, internalSub, randomToken } from '../accounts/account.js';
import { VERSION } from '../config/defaults.js';
import { goTime, marshal } from '../monitor/go-format.js';
import { acceptEncoding, type Encoding, encodeReply } from './encoding.js';
import type { AccountStat, EventClient, SystemEvents, SystemHost } from './host.js';

// nats-server events.go subjects.
const CONNECT_EVENT = (acc: string): string => `$SYS.ACCOUNT.${acc}.CONNECT`;
const DISCONNECT_EVENT = (acc: string): string => `$SYS.ACCOUNT.${acc}.DISCONNECT`;
const ACC_DIRECT_REQ = (acc: string, x: string): string => `$SYS.REQ.ACCOUNT.${acc}.${x}`;
const ACC_PING_REQ = (x: string): string => `$SYS.REQ.ACCOUNT.PING.${x}`;
const CONNS_RESP = (id: string): string => `$SYS._INBOX_.${id}`;
const ACC_CONNS_NEW = (acc: string): string => `$SYS.ACCOUNT.${acc}.SERVER.CONNS`;
const ACC_CONNS_OLD = (acc: string): string => `$SYS.SERVER.ACCOUNT.${acc}.CONNS`;
const SHUTDOWN_EVENT = (id: string): string => `$SYS.SERVER.${id}.SHUTDOWN`;
const AUTH_ERROR_EVENT = (id: string): string => `$SYS.SERVER.${id}.CLIENT.AUTH.ERR`;
const SERVER_STATS = (id: string): string => `$SYS.SERVER.${id}.STATSZ`;
const SERVER_DIRECT_REQ = (id: string, x: string): string => `$SYS.REQ.SERVER.${id}.${x}`;
const SERVER_PING_REQ = (x: string): string => `$SYS.REQ.SERVER.PING.${x}`;
const SERVER_STATS_PING_REQ = '$SYS.REQ.SERVER.PING';

const CONNECT_EVENT_TYPE = 'io.nats.server.advisory.v1.client_connect';
const DISCONNECT_EVENT_TYPE = 'io.nats.server.advisory.v1.client_disconnect';
const ACCOUNT_NUM_CONNS_TYPE = 'io.nats.server.advisory.v1.account_connections';

/** The close reason of an authorization violation (nats-server sendAuthErrorEvent's). */
const AUTHENTICATION_FAILURE = 'Authentication Failure';

/** nats-server eventsHBInterval; statsz starts at 250 ms and doubles up to it. */
const EVENTS_HB_MS = 30_000;
const FIRST_STATSZ_MS = 250;
/** nats-server orphMax and chkOrph: remote servers not heard from in 5 heartbeats are dropped. */
const ORPHAN_MAX_MS = 5 * EVENTS_HB_MS;
const ORPHAN_CHECK_MS = 3 * EVENTS_HB_MS;
/** Service responses of the system imports expire as an export's default threshold (2 min). */
const IMPORT_RESPONSE_THRESHOLD_MS = 2 * 60_000;
/** nats-server accReqTokens and accReqAccIndex: `$SYS.REQ.ACCOUNT.<acc>.<X>`. */
const ACC_REQ_TOKENS = 5;
const ACC_REQ_ACC_INDEX = 3;
/** nats-server's nuid length (event ids). */
const NUID_LEN = 22;

/** A request handler: the subject, the reply ('' = none), the body, and the whole message. */
type Handler = (subject: string, reply: string, msg: Buffer, hdrLen: number, payload: Buffer) => void;

/** A handler's "no reply from this server" (nats-server errSkipZreq). */
const SKIP = Symbol('skip');

/** nats-server EventFilterOptions: a request names the servers that should answer. */
interface EventFilter {
  server_name?: string;
  cluster?: string;
  host?: string;
  tags?: string[];
  domain?: string;
}

/** The request's body without its headers. */
function body(hdrLen: number, payload: Buffer): Buffer {
  return hdrLen > 0 ? payload.subarray(hdrLen) : payload;
}

/** Go's time.Time JSON of time.Now().UTC(). */
function nowUtc(): string {
  return goTime(Date.now(), true);
}

export class System implements SystemEvents {
  readonly account: Account;
  private seq = 0;
  /** Other servers heard from (their statsz), by id: their last seq and when (nats-server sys.servers). */
  private readonly servers = new Map<string, { seq: number; at: number }>();
  private readonly subs = new Set<Subscription>();
  /** A message of this server's is being delivered (its own subscriptions skip it: no echo). */
  private sending = false;
  /** The system imports made into each account (made once; a config reload's rewiring keeps them). */
  private readonly imports = new Map<Account, Subscription[]>();
  /** Per-account heartbeat of the CONNS event while the account has connections. */
  private readonly connsTimers = new Map<Account, NodeJS.Timeout>();
  private statszTimer: NodeJS.Timeout | null = null;
  private statszEvery = FIRST_STATSZ_MS;
  private sweeper: NodeJS.Timeout | null = null;
  private running = true;

  constructor(
    private readonly host: SystemHost,
    sys: Account,
  ) {
    this.account = sys;
    this.initEventTracking();
    for (const acc of host.accounts()) this.accountAdded(acc);
    this.sweeper = setInterval(() => this.checkRemoteServers(), ORPHAN_CHECK_MS);
    this.sweeper.unref();
    this.statszTimer = setTimeout(() => this.heartbeatStatsz(), this.statszEvery);
    this.statszTimer.unref();
  }

  // ---- sending ----

  /** nats-server's ServerInfo of an internal message: filled as it is sent, with the next seq. */
  private serverInfo(): Record<string, unknown> {
    const h = this.host;
    const cluster = h.clusterName();
    const o = h.opts;
    return {
      name: h.serverName,
      host: o.host,
      id: h.serverId,
      ...(cluster !== '' ? { cluster } : {}),
      ...(o.jetStreamDomain !== '' ? { domain: o.jetStreamDomain } : {}),
      ver: VERSION,
      seq: ++this.seq,
      jetstream: h.jetstreamEnabled(),
      time: nowUtc(),
    };
  }

  /** Publishes `json` in the system account (nats-server's internal send loop, in place). */
  private send(subject: string, reply: string, json: string, enc: Encoding = 'none'): void {
    if (!this.running) return;
    const was = this.sending;
    this.sending = true;
    try {
      const m = encodeReply(json, enc);
      this.host.publish(this.account, subject, reply, m.hdrLen, m.payload);
    } finally {
      this.sending = was;
    }
  }

  /** Whether anyone but this server's own subscriptions (here or over a route) listens on `subject`. */
  private interested(subject: string): boolean {
    const sl = this.account.sublist;
    if (!sl.hasInterest(subject)) return false;
    const r = sl.match(subject);
    return r.plain.some((s) => !this.subs.has(s)) || r.queues.length > 0;
  }

  /** Subscribes `handler` in the system account, on every server of a cluster. */
  private subscribe(subject: string, handler: Handler): void {
    const sub = internalSub(subject, {
      clusterWide: true,
      receive: (s, r, hdrLen, payload) => {
        // nats-server's system client does not echo: it never hears its own messages.
        if (!this.running || this.sending) return;
        try {
          handler(s.toString('latin1'), r === null ? '' : r.toString('latin1'), body(hdrLen, payload), hdrLen, payload);
        } catch (e) {
          this.host.log('ERR', `Error handling system request on "${s.toString('latin1')}": ${(e as Error).message}`);
        }
      },
    });
    if (this.host.addSub(this.account, sub)) this.subs.add(sub);
    else this.host.log('ERR', `Error setting up internal tracking: invalid subject "${subject}"`);
  }

  // ---- setup (nats-server initEventTracking) ----

  private initEventTracking(): void {
    const id = this.host.serverId;
    this.subscribe(ACC_CONNS_OLD('*'), (_s, _r, msg) => this.remoteConnsUpdate(msg));
    this.subscribe(CONNS_RESP(id), (_s, _r, msg) => this.remoteConnsUpdate(msg));
    this.subscribe(SERVER_STATS('*'), (_s, _r, msg) => this.remoteServerUpdate(msg));
    this.subscribe(SHUTDOWN_EVENT('*'), (s, _r, msg) => this.remoteServerShutdown(s, msg));
    this.subscribe(SERVER_STATS_PING_REQ, (_s, r, msg) => this.statszReq(r, msg));
    const views = this.host.views;
    const serverReqs: Record<string, Handler> = {
      STATSZ: (_s, r, msg) => this.statszReq(r, msg),
    };
    for (const [name, endpoint] of Object.entries(views.server)) {
      serverReqs[name] = (_s, r, msg, hdrLen, payload) => this.zReq(r, msg, acceptEncoding(hdrLen, payload), (opts) => endpoint(opts));
    }
    for (const [name, handler] of Object.entries(serverReqs)) {
      this.subscribe(SERVER_DIRECT_REQ(id, name), handler);
      this.subscribe(SERVER_PING_REQ(name), handler);
    }
    const accountReqs: Record<string, Handler> = {
      CONNS: (s, r, msg) => this.connsRequest(s, r, msg),
      STATZ: (s, r, msg, hdrLen, payload) =>
        this.zReq(r, msg, acceptEncoding(hdrLen, payload), (opts) => {
          const acc = accountOf(s);
          if (acc === 'PING') return SKIP; // the PING subject also matches the wildcard
          return this.accountStatz({ ...opts, accounts: [acc] });
        }),
    };
    for (const [name, endpoint] of Object.entries(views.account)) {
      accountReqs[name] = (s, r, msg, hdrLen, payload) => this.zReq(r, msg, acceptEncoding(hdrLen, payload), (opts) => endpoint(accountOf(s), opts));
    }
    for (const [name, handler] of Object.entries(accountReqs)) this.subscribe(ACC_DIRECT_REQ('*', name), handler);
    this.subscribe(ACC_PING_REQ('STATZ'), (_s, r, msg, hdrLen, payload) => this.zReq(r, msg, acceptEncoding(hdrLen, payload), (opts) => this.accountStatz(opts)));
  }

  /**
   * nats-server registerSystemImports: every account but the system's imports
   * `$SYS.REQ.ACCOUNT.PING.CONNZ` and `$SYS.REQ.SERVER.PING.CONNZ` (both mapped to
   * `$SYS.REQ.ACCOUNT.<acc>.CONNZ`) and `$SYS.REQ.ACCOUNT.PING.STATZ` (to `...<acc>.STATZ`), so
   * its users see their own account's connections and statistics, from every server.
   */
  accountAdded(acc: Account): void {
    if (acc === this.account || this.imports.has(acc) || !this.running) return;
    const subs: Subscription[] = [];
    const importService = (local: string, mapped: string): void => {
      const sys = this.account;
      const to = Buffer.from(mapped, 'latin1');
      const sub = internalSub(local, {
        clusterWide: false,
        receive: (_s, reply, hdrLen, payload, src) => {
          const nr = reply === null ? null : sys.newServiceReply(this.host, acc, reply, false, IMPORT_RESPONSE_THRESHOLD_MS);
          sys.deliver(to, nr, hdrLen, payload, TO_ROUTES, null, src);
        },
      });
      if (this.host.addSub(acc, sub)) subs.push(sub);
    };
    importService(ACC_PING_REQ('CONNZ'), ACC_DIRECT_REQ(acc.name, 'CONNZ'));
    importService(SERVER_PING_REQ('CONNZ'), ACC_DIRECT_REQ(acc.name, 'CONNZ'));
    importService(ACC_PING_REQ('STATZ'), ACC_DIRECT_REQ(acc.name, 'STATZ'));
    this.imports.set(acc, subs);
    this.enableAccountTracking(acc);
  }

  /** nats-server enableAccountTracking: asks the other servers for their connections of `acc`. */
  private enableAccountTracking(acc: Account): void {
    this.send(ACC_DIRECT_REQ(acc.name, 'CONNS'), CONNS_RESP(this.host.serverId), marshal({ server: this.serverInfo(), acc: acc.name }));
  }

  // ---- requests ----

  /**
   * nats-server zReq: the body (if any) holds the endpoint's options and the event filter; a
   * server the filter leaves out stays silent. Replies `{server, data}` or `{server, error}`,
   * the data compressed as the request's Accept-Encoding asks (`enc`).
   */
  private zReq(reply: string, msg: Buffer, enc: Encoding, respond: (opts: Record<string, unknown>) => unknown): void {
    if (reply === '') return;
    let opts: Record<string, unknown> = {};
    let error: { code: number; description: string } | null = null;
    if (msg.length > 0) {
      try {
        opts = decodeOptions(msg);
      } catch (e) {
        error = { code: 400, description: (e as Error).message };
      }
      if (error === null && this.filtered(opts as EventFilter)) return;
    }
    let data: unknown = undefined;
    if (error === null) {
      try {
        data = respond(opts);
      } catch (e) {
        error = { code: 500, description: (e as Error).message };
        if ((e as { data?: unknown }).data === null) data = null;
      }
      if (data === SKIP) return;
    }
    const response: Record<string, unknown> = { server: this.serverInfo() };
    if (data !== undefined && (data !== null || error !== null)) response.data = data;
    if (error !== null) response.error = error;
    this.send(reply, '', marshal(response), error === null ? enc : 'none');
  }

  /** nats-server filterRequest: true when the request does not apply to this server. */
  private filtered(f: EventFilter): boolean {
    const h = this.host;
    if (typeof f.server_name === 'string' && f.server_name !== '' && !h.serverName.includes(f.server_name)) return true;
    if (typeof f.host === 'string' && f.host !== '' && !h.opts.host.includes(f.host)) return true;
    if (typeof f.cluster === 'string' && f.cluster !== '' && !h.clusterName().includes(f.cluster)) return true;
    if (Array.isArray(f.tags) && f.tags.length > 0) return true; // tsnats servers carry no tags
    if (typeof f.domain === 'string' && f.domain !== '' && h.opts.jetStreamDomain !== f.domain) return true;
    return false;
  }

  /**
   * nats-server statszReq: `$SYS.REQ.SERVER.PING` and `...PING.STATSZ`/`...<id>.STATSZ`. Without a
   * reply the statsz goes out on this server's `$SYS.SERVER.<id>.STATSZ`.
   */
  private statszReq(reply: string, msg: Buffer): void {
    if (reply === '') reply = SERVER_STATS(this.host.serverId);
    if (msg.length > 0) {
      let opts: Record<string, unknown>;
      try {
        opts = decodeOptions(msg);
      } catch (e) {
        this.send(reply, '', marshal({ server: this.serverInfo(), error: { code: 400, description: (e as Error).message } }));
        return;
      }
      if (this.filtered(opts as EventFilter)) return;
    }
    this.sendStatsz(reply);
  }

  /** nats-server sendStatsz: `{server, statsz}`. */
  private sendStatsz(subject: string): void {
    const stats = this.host.views.statsz();
    const { routes, ...rest } = stats;
    const statsz = { ...rest, ...(routes !== undefined && routes.length > 0 ? { routes } : {}), active_servers: 1 + this.servers.size };
    this.send(subject, '', marshal({ server: this.serverInfo(), statsz }));
  }

  /** nats-server AccountStatz for requests: the named accounts (else all) with local connections. */
  private accountStatz(opts: Record<string, unknown>): unknown {
    const names = Array.isArray(opts.accounts) && opts.accounts.length > 0 ? (opts.accounts as unknown[]).map(String) : null;
    const unused = opts.include_unused === true;
    const views = this.host.views;
    const list: AccountStat[] = [];
    for (const name of names ?? [...this.host.accounts()].map((a) => a.name)) {
      const st = views.accountStat(name);
      if (st !== null && (unused || st.conns !== 0)) list.push(st);
    }
    if (list.length === 0 && !unused) return SKIP;
    return { server_id: this.host.serverId, now: nowUtc(), account_statz: list };
  }

  /** nats-server connsRequest: another server asks for this server's connections of an account. */
  private connsRequest(subject: string, reply: string, msg: Buffer): void {
    const tk = subject.split('.');
    if (tk.length !== ACC_REQ_TOKENS) {
      this.host.log('ERR', 'Bad subject account connections request message');
      return;
    }
    const name = tk[ACC_REQ_ACC_INDEX]!;
    if (msg.length > 0) {
      let m: { acc?: unknown };
      try {
        m = JSON.parse(msg.toString('utf8')) as { acc?: unknown };
      } catch (e) {
        this.host.log('ERR', `Error unmarshalling account connections request message: ${(e as Error).message}`);
        return;
      }
      if (m.acc !== name) {
        this.host.log('ERR', 'Error unmarshalled account does not match subject');
        return;
      }
    }
    const acc = this.host.account(name);
    if (acc === null || reply === '' || (this.host.views.accountStat(name)?.conns ?? 0) === 0) return;
    this.sendAccConns(acc, [reply]);
  }

  // ---- remote servers ----

  /** nats-server remoteServerUpdate: another server's statsz; a new server hears ours. */
  private remoteServerUpdate(msg: Buffer): void {
    if (msg.length === 0) return;
    let si: { id?: unknown; seq?: unknown };
    try {
      si = (JSON.parse(msg.toString('utf8')) as { server?: { id?: unknown; seq?: unknown } }).server ?? {};
    } catch {
      this.host.log('DBG', 'Received bad server info for remote server update');
      return;
    }
    this.updateRemoteServer(si);
  }

  /** nats-server updateRemoteServer. */
  private updateRemoteServer(si: { id?: unknown; seq?: unknown }): void {
    if (typeof si.id !== 'string' || si.id === this.host.serverId) return;
    const seq = typeof si.seq === 'number' ? si.seq : 0;
    const known = this.servers.get(si.id);
    if (known === undefined) {
      this.servers.set(si.id, { seq, at: Date.now() });
      // processNewServer: announce ourselves.
      this.sendStatsz(SERVER_STATS(this.host.serverId));
      return;
    }
    if (seq <= known.seq) {
      this.host.log('ERR', `Received out of order remote server update from: "${si.id}"`);
      return;
    }
    known.seq = seq;
    known.at = Date.now();
  }

  /** nats-server remoteServerShutdown. */
  private remoteServerShutdown(subject: string, msg: Buffer): void {
    const tk = subject.split('.');
    if (tk.length < 4) return;
    if (msg.length === 0) {
      this.host.log('ERR', `Remote server sent invalid (empty) shutdown message to "${subject}"`);
      return;
    }
    this.servers.delete(tk[2]!);
  }

  /** nats-server remoteConnsUpdate: only the sending server's liveness is kept. */
  private remoteConnsUpdate(msg: Buffer): void {
    if (msg.length === 0) return;
    let m: { acc?: unknown; server?: { id?: unknown; seq?: unknown } };
    try {
      m = JSON.parse(msg.toString('utf8')) as typeof m;
    } catch {
      return;
    }
    if (typeof m.acc !== 'string' || this.host.account(m.acc) === null || m.server === undefined) return;
    this.updateRemoteServer(m.server);
  }

  /** nats-server checkRemoteServers: servers silent for 5 heartbeats are forgotten. */
  private checkRemoteServers(): void {
    const now = Date.now();
    for (const [id, su] of this.servers) {
      if (now - su.at > ORPHAN_MAX_MS) {
        this.host.log('DBG', `Detected orphan remote server: "${id}"`);
        this.servers.delete(id);
      }
    }
  }

  /** nats-server heartbeatStatsz: 250 ms after start, doubling up to every 30 s. */
  private heartbeatStatsz(): void {
    if (!this.running) return;
    this.statszEvery = Math.min(this.statszEvery * 2, EVENTS_HB_MS);
    this.statszTimer = setTimeout(() => this.heartbeatStatsz(), this.statszEvery);
    this.statszTimer.unref();
    this.sendStatsz(SERVER_STATS(this.host.serverId));
  }

  // ---- events ----

  /** nats-server ClientInfo of a connect or disconnect event (field order and omitempty as Go). */
  private clientInfo(c: EventClient, stop: string | null): Record<string, unknown> {
    const rttNs = Math.round(c.rtt * 1e6);
    return {
      start: goTime(c.start),
      ...(c.ip !== '' ? { host: c.ip } : {}),
      ...(c.cid !== 0 ? { id: c.cid } : {}),
      acc: c.acc.name,
      ...(c.rawUser !== '' ? { user: c.rawUser } : {}),
      ...(c.name !== '' ? { name: c.name } : {}),
      ...(c.lang !== '' ? { lang: c.lang } : {}),
      ...(c.version !== '' ? { ver: c.version } : {}),
      ...(stop !== null && rttNs !== 0 ? { rtt: rttNs } : {}),
      ...(stop !== null ? { stop } : {}),
      ...(c.jwt !== '' ? { jwt: c.jwt } : {}),
      ...(c.issuerKey !== '' ? { issuer_key: c.issuerKey } : {}),
      ...(c.nameTag !== '' ? { name_tag: c.nameTag } : {}),
      ...(c.tags.length > 0 ? { tags: c.tags } : {}),
      kind: c.kind,
      ...(c.clientType !== '' ? { client_type: c.clientType } : {}),
    };
  }

  clientConnected(c: EventClient): void {
    if (!this.running || c.acc === this.host.globalAccount) return;
    // registerWithAccount's CONNS update comes first, then the connect event.
    this.accConnsUpdate(c.acc);
    const subject = CONNECT_EVENT(c.acc.name);
    if (!this.interested(subject)) return;
    const m = {
      type: CONNECT_EVENT_TYPE,
      id: randomToken(NUID_LEN),
      timestamp: nowUtc(),
      server: this.serverInfo(),
      client: this.clientInfo(c, null),
    };
    this.send(subject, '', marshal(m));
  }

  /** A connection was accepted: it joins the global account first (nats-server createClient). */
  clientAccepted(): void {
    if (this.running) this.accConnsUpdate(this.host.globalAccount);
  }

  clientClosed(c: EventClient, reason: string): void {
    if (reason === AUTHENTICATION_FAILURE) this.sendDisconnect(AUTH_ERROR_EVENT(this.host.serverId), c, reason);
    if (!this.running || c.acc === this.host.globalAccount) return;
    // removeClient's CONNS update comes first, then the disconnect event (saveClosedClient).
    this.accConnsUpdate(c.acc);
    this.sendDisconnect(DISCONNECT_EVENT(c.acc.name), c, reason);
  }

  /** nats-server's DisconnectEventMsg on `subject` (the account's DISCONNECT, or the server's AUTH.ERR). */
  private sendDisconnect(subject: string, c: EventClient, reason: string): void {
    if (!this.running || !this.interested(subject)) return;
    const now = nowUtc();
    const m = {
      type: DISCONNECT_EVENT_TYPE,
      id: randomToken(NUID_LEN),
      timestamp: now,
      server: this.serverInfo(),
      client: this.clientInfo(c, now),
      sent: { msgs: c.inMsgs, bytes: c.inBytes },
      received: { msgs: c.outMsgs, bytes: c.outBytes },
      reason,
    };
    this.send(subject, '', marshal(m));
  }

  /**
   * nats-server accConnsUpdate: the account's connections on both CONNS subjects. Events are
   * built only for subjects someone (here or over a route) listens to: an accept does not cost a
   * scan of the connections when nobody watches.
   */
  private accConnsUpdate(acc: Account): void {
    const subjects = [ACC_CONNS_OLD(acc.name), ACC_CONNS_NEW(acc.name)].filter((s) => this.interested(s));
    if (subjects.length > 0) this.sendAccConns(acc, subjects);
  }

  /** nats-server sendAccConnsUpdate: the event, and its 30 s heartbeat while there are connections. */
  private sendAccConns(acc: Account, subjects: string[]): void {
    const stat = this.host.views.accountStat(acc.name);
    if (stat === null) return;
    const id = randomToken(NUID_LEN);
    const timestamp = nowUtc();
    const old = this.connsTimers.get(acc);
    if (old !== undefined) clearTimeout(old);
    this.connsTimers.delete(acc);
    if (stat.total_conns > 0) {
      const t = setTimeout(() => this.accConnsUpdate(acc), EVENTS_HB_MS);
      t.unref();
      this.connsTimers.set(acc, t);
    }
    for (const subject of subjects) {
      this.send(subject, '', marshal({ type: ACCOUNT_NUM_CONNS_TYPE, id, timestamp, server: this.serverInfo(), ...stat }));
    }
  }

  /** nats-server shutdownEventing: the shutdown event (this server's ServerInfo), then quiet. */
  shutdown(): void {
    if (!this.running) return;
    this.send(SHUTDOWN_EVENT(this.host.serverId), '', marshal(this.serverInfo()));
    this.running = false;
    if (this.statszTimer !== null) clearTimeout(this.statszTimer);
    if (this.sweeper !== null) clearInterval(this.sweeper);
    for (const t of this.connsTimers.values()) clearTimeout(t);
    this.connsTimers.clear();
  }
}

/** The `<acc>` of `$SYS.REQ.ACCOUNT.<acc>.<X>`; throws nats-server's extractAccount error. */
function accountOf(subject: string): string {
  const tk = subject.split('.');
  if (tk.length !== ACC_REQ_TOKENS) throw new Error(`subject "${subject}" is malformed`);
  return tk[ACC_REQ_ACC_INDEX]!;
}

/** A request body as options: a JSON object (Go's json.Unmarshal into a struct). */
function decodeOptions(msg: Buffer): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(msg.toString('utf8'));
  } catch (e) {
    throw new Error(goJsonSyntaxError(msg, e as Error));
  }
  if (v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw new Error(`json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v === 'string' ? 'string' : typeof v === 'boolean' ? 'bool' : 'number'} into Go value of type server.EventFilterOptions`);
  }
  return v as Record<string, unknown>;
}

/** Go encoding/json's syntax error text for the common case of an unexpected character. */
function goJsonSyntaxError(msg: Buffer, e: Error): string {
  const text = msg.toString('utf8').trimStart();
  const first = text[0];
  if (first === '{') {
    const key = text.slice(1).trimStart()[0];
    if (key !== undefined && key !== '"' && key !== '}') return `invalid character '${key}' looking for beginning of object key string`;
  }
  if (first !== undefined && !'{["-0123456789tfn'.includes(first)) return `invalid character '${first}' looking for beginning of value`;
  return e.message;
}
