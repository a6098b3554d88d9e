// Account JWT requests in the system account (nats-server accounts.go DirAccResolver.Start,
// respondToUpdate, handleListRequest; events.go accountClaimUpdate). The full resolver: an
// account JWT published on
// `$SYS.REQ.CLAIMS.UPDATE`, `$SYS.REQ.ACCOUNT.<acc>.CLAIMS.UPDATE` or the older
// `$SYS.ACCOUNT.<acc>.CLAIMS.UPDATE` is checked, stored as `<dir>/<acc>.jwt` and applied to the
// account at once; the requester gets nats-server's reply JSON. It also answers
// `$SYS.REQ.ACCOUNT.<acc>.CLAIMS.LOOKUP` (the stored JWT) and `$SYS.REQ.CLAIMS.LIST`.

import { VERSION } from '../config/defaults.js';
import { type Account, internalSub } from './account.js';
import { decodeAccountClaims, type AccountClaims } from './claims.js';
import type { OperatorMode } from './jwt-auth.js';
import { accountIssues } from './jwt-imports.js';
import type { DirResolver } from './resolver.js';

/** nats-server accClaimsReqSubj, accListReqSubj, accLookupReqSubj, accUpdateEventSubjNew, accUpdateEventSubjOld. */
export const ACC_CLAIMS_REQ_SUBJ = '$SYS.REQ.CLAIMS.UPDATE';
const ACC_LIST_REQ_SUBJ = '$SYS.REQ.CLAIMS.LIST';
const ACC_LOOKUP_REQ_SUBJ = '$SYS.REQ.ACCOUNT.*.CLAIMS.LOOKUP';
const ACC_UPDATE_SUBJ_NEW = '$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE';
const ACC_UPDATE_SUBJ_OLD = '$SYS.ACCOUNT.*.CLAIMS.UPDATE';

/** The server as the reply's `server` object shows it (nats-server ServerInfo). */
export interface ServerInfoSource {
  name: string;
  host: string;
  id: string;
  cluster: string;
}

export interface UpdateHost {
  /** Delivers a reply in the system account. */
  reply(subject: Buffer, json: string): void;
  log(level: 'ERR' | 'DBG', text: string): void;
  serverInfo(): ServerInfoSource;
}

/** Go's time.Time JSON (RFC 3339 with nanoseconds, trailing zeros trimmed), in UTC. */
function goJsonTime(d: Date): string {
  const iso = d.toISOString(); // 2026-12-06T07:00:00.123Z
  const [head, frac] = iso.slice(0, -1).split('.');
  const f = (frac ?? '').replace(/0+$/, '');
  return `${head}${f ? '.' + f : ''}Z`;
}

type Host = UpdateHost & { addSub(acc: Account, sub: ReturnType<typeof internalSub>): boolean };
type Respond = (reply: Buffer | null, acc: string, message: string, err: string | null) => void;

/** The reply's `server` object (nats-server fills a ServerInfo for each internal message). */
function serverInfo(host: UpdateHost, seq: number): Record<string, unknown> {
  const si = host.serverInfo();
  return {
    name: si.name,
    host: si.host,
    id: si.id,
    ...(si.cluster !== '' ? { cluster: si.cluster } : {}),
    ver: VERSION,
    seq,
    jetstream: false,
    time: goJsonTime(new Date()),
  };
}

/** nats-server respondToUpdate: logs, then replies `{"data":{...},"server":{...}}` or `{"error":...}`. */
function responder(host: UpdateHost, nextSeq: () => number): Respond {
  return (reply, acc, message, err) => {
    if (err === null) host.log('DBG', acc === '' ? message : `${message} - ${acc}`);
    else host.log('ERR', acc === '' ? `${message} - ${err}` : `${message} - ${acc} - ${err}`);
    if (reply === null || reply.length === 0) return;
    const server = serverInfo(host, nextSeq());
    const body: Record<string, unknown> = acc !== '' ? { account: acc } : {};
    const out =
      err === null
        ? { data: { ...body, code: 200, message }, server }
        : { error: { ...body, code: 500, description: `${message} - ${err}` }, server };
    host.reply(reply, JSON.stringify(out));
  };
}

/**
 * The account key of `$SYS.REQ.ACCOUNT.<acc>.CLAIMS.UPDATE` (6 tokens) or
 * `$SYS.ACCOUNT.<acc>.CLAIMS.UPDATE` (5 tokens); null for another subject.
 */
function subjectAccount(subject: Buffer): string | null {
  const tk = subject.toString('latin1').split('.');
  return tk.length === 6 ? tk[3]! : tk.length === 5 ? tk[2]! : null;
}

/** Subscribes the full resolver's update handlers in the system account `sys`. */
export function startResolverUpdates(op: OperatorMode, dir: DirResolver, sys: Account, host: Host): void {
  let seq = 0;
  const nextSeq = (): number => ++seq;
  const respond = responder(host, nextSeq);

  // Lookups get the stored JWT as is; list requests every stored account's key.
  host.addSub(
    sys,
    internalSub(ACC_LOOKUP_REQ_SUBJ, {
      clusterWide: false,
      receive: (subject, reply) => {
        const tk = subject.toString('latin1').split('.');
        if (reply === null || reply.length === 0 || tk.length !== 6) return;
        let jwt: string;
        try {
          jwt = dir.fetch(tk[3]!);
        } catch (e) {
          host.log('ERR', `Merging resulted in error: ${(e as Error).message}`);
          return;
        }
        host.reply(reply, jwt);
      },
    }),
  );
  host.addSub(
    sys,
    internalSub(ACC_LIST_REQ_SUBJ, {
      clusterWide: false,
      receive: (_subject, reply) => {
        if (reply === null || reply.length === 0) return;
        const ids = dir.list();
        host.log('DBG', `list request responded with ${ids.length} account ids`);
        host.reply(reply, JSON.stringify({ data: ids, server: serverInfo(host, nextSeq()) }));
      },
    }),
  );

  /** Decodes, validates (without time checks, as claimValidate) and stores; then applies. */
  const handle = (reply: Buffer | null, payload: Buffer, subjectKey: string | null): void => {
    let claim: AccountClaims;
    try {
      claim = decodeAccountClaims(payload.toString('utf8'));
    } catch (e) {
      respond(reply, 'n/a', 'jwt update resulted in error', (e as Error).message);
      return;
    }
    const issues = accountIssues(claim);
    if (issues.length > 0) {
      // Go's %v of []error: the texts space-separated in brackets.
      respond(reply, claim.sub, 'jwt validation failed', `validation errors: [${issues.join(' ')}]`);
      return;
    }
    if (subjectKey !== null && claim.sub !== subjectKey) {
      respond(reply, subjectKey, 'jwt update resulted in error', 'subject does not match jwt content');
      return;
    }
    const jwt = payload.toString('utf8');
    let changed = true;
    try {
      changed = op.resolver.fetch(claim.sub) !== jwt;
    } catch {
      // not stored yet
    }
    try {
      if (changed) op.resolver.store(claim.sub, jwt);
    } catch (e) {
      respond(reply, claim.sub, 'jwt update resulted in error', (e as Error).message);
      return;
    }
    if (changed) {
      try {
        op.updated(claim.sub, jwt);
      } catch (e) {
        host.log('ERR', `update resulted in error ${(e as Error).message}`);
      }
    }
    respond(reply, claim.sub, 'jwt updated', null);
  };

  host.addSub(
    sys,
    internalSub(ACC_CLAIMS_REQ_SUBJ, { clusterWide: false, receive: (_s, reply, hdrLen, payload) => handle(reply, body(hdrLen, payload), null) }),
  );
  for (const pattern of [ACC_UPDATE_SUBJ_OLD, ACC_UPDATE_SUBJ_NEW]) {
    host.addSub(
      sys,
      internalSub(pattern, {
        clusterWide: false,
        receive: (subject, reply, hdrLen, payload) => {
          const key = subjectAccount(subject);
          if (key === null) {
            host.log('DBG', `jwt update skipped due to bad subject "${subject.toString('latin1')}"`);
            return;
          }
          handle(reply, body(hdrLen, payload), key);
        },
      }),
    );
  }
}

/** The message body without its headers. */
function body(hdrLen: number, payload: Buffer): Buffer {
  return hdrLen > 0 ? payload.subarray(hdrLen) : payload;
}

/**
 * With the MEMORY resolver (nats-server accountClaimUpdate): an update on
 * `$SYS.REQ.ACCOUNT.<acc>.CLAIMS.UPDATE` or `$SYS.ACCOUNT.<acc>.CLAIMS.UPDATE` applies to an
 * account already in use, and is skipped for one that is not (nothing is stored).
 */
export function startMemoryUpdates(op: OperatorMode, sys: Account, host: Host): void {
  let seq = 0;
  const respond = responder(host, () => ++seq);
  for (const pattern of [ACC_UPDATE_SUBJ_OLD, ACC_UPDATE_SUBJ_NEW]) {
    host.addSub(
      sys,
      internalSub(pattern, {
        clusterWide: false,
        receive: (subject, reply, hdrLen, payload) => {
          const key = subjectAccount(subject);
          if (key === null) {
            host.log('DBG', `Received account claims update on bad subject "${subject.toString('latin1')}"`);
            return;
          }
          const msg = body(hdrLen, payload);
          if (msg.length === 0) {
            respond(reply, key, 'jwt update error', 'request body is empty');
            return;
          }
          const jwt = msg.toString('utf8');
          let claim: AccountClaims;
          try {
            claim = decodeAccountClaims(jwt);
          } catch (e) {
            respond(reply, key, 'jwt update resulted in error', (e as Error).message);
            return;
          }
          if (claim.sub !== key) {
            respond(reply, key, 'jwt update resulted in error', 'subject does not match jwt content');
            return;
          }
          if (!op.accounts.has(key)) {
            respond(reply, key, 'jwt update skipped', null);
            return;
          }
          try {
            op.updated(key, jwt);
          } catch (e) {
            respond(reply, key, 'jwt update resulted in error', (e as Error).message);
            return;
          }
          respond(reply, key, 'jwt updated', null);
        },
      }),
    );
  }
}
