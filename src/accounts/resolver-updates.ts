// The full resolver's update requests in the system account (nats-server accounts.go
// DirAccResolver.Start and respondToUpdate): an account JWT published on
// `$SYS.REQ.CLAIMS.UPDATE`, `$SYS.REQ.ACCOUNT.<acc>.CLAIMS.UPDATE` or the older
// `$SYS.ACCOUNT.<acc>.CLAIMS.UPDATE` is checked, stored as `<dir>/<acc>.jwt` and applied to the
// account at once; the requester gets nats-server's reply JSON.

import { VERSION } from '../config/defaults.js';
import { type Account, internalSub } from './account.js';
import { decodeAccountClaims, type AccountClaims } from './claims.js';
import type { OperatorMode } from './jwt-auth.js';
import { accountIssues } from './jwt-imports.js';

/** nats-server accClaimsReqSubj, accUpdateEventSubjNew, accUpdateEventSubjOld. */
export const ACC_CLAIMS_REQ_SUBJ = '$SYS.REQ.CLAIMS.UPDATE';
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

/** Subscribes the update handlers in the system account `sys`. */
export function startResolverUpdates(op: OperatorMode, sys: Account, host: UpdateHost & { addSub(acc: Account, sub: ReturnType<typeof internalSub>): boolean }): void {
  let seq = 0;
  /** respondToUpdate: logs, then replies `{"data":{...},"server":{...}}` or `{"error":...}`. */
  const respond = (reply: Buffer | null, acc: string, message: string, err: string | null): void => {
    if (err === null) host.log('DBG', acc === '' ? message : `${message} - ${acc}`);
    else host.log('ERR', acc === '' ? `${message} - ${err}` : `${message} - ${acc} - ${err}`);
    if (reply === null || reply.length === 0) return;
    const si = host.serverInfo();
    const server = {
      name: si.name,
      host: si.host,
      id: si.id,
      ...(si.cluster !== '' ? { cluster: si.cluster } : {}),
      ver: VERSION,
      seq: ++seq,
      jetstream: false,
      time: goJsonTime(new Date()),
    };
    const body: Record<string, unknown> = acc !== '' ? { account: acc } : {};
    const out =
      err === null
        ? { data: { ...body, code: 200, message }, server }
        : { error: { ...body, code: 500, description: `${message} - ${err}` }, server };
    host.reply(reply, JSON.stringify(out));
  };

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
          const tk = subject.toString('latin1').split('.');
          // $SYS.REQ.ACCOUNT.<acc>.CLAIMS.UPDATE (6 tokens) or $SYS.ACCOUNT.<acc>.CLAIMS.UPDATE (5).
          const key = tk.length === 6 ? tk[3]! : tk.length === 5 ? tk[2]! : null;
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
