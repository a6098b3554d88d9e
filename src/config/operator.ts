// Operator mode's keys: `operator`, `resolver`, `resolver_preload` (nats-server's opts.go
// processConfigFileLine cases, readOperatorJWT in jwt.go), and at start-up
// validateTrustedOperators (jwt.go), with nats-server's texts. The JWT library is loaded only
// when one of these keys is present.

import { mkdirSync, readFileSync, statSync } from 'node:fs';
import {
  JWT_PREFIX,
  decodeAccountClaims,
  decodeOperatorClaims,
  parseDecoratedJwt,
  signingKeyOf,
} from '../accounts/claims.js';
import { ConfigError, goTypeName, type ConfNode } from './conf.js';
import type { ResolverConfig, ServerOptions, TrustedOperator } from './types.js';
import { boolValue, intValue, parseGoDuration, stringValue, type KeyContext, type OptionReader } from './values.js';

/** NewDirAccResolver's default sync interval (1 minute). */
export const DEFAULT_RESOLVER_SYNC_INTERVAL_MS = 60_000;

const BAD_RESOLVER =
  'error parsing account resolver, should be MEM or  URL("url") or a map containing dir and type state=[FULL|CACHE])';

/** Go's os error text for a file that cannot be read. */
function osErrorText(file: string, e: NodeJS.ErrnoException): string {
  if (e.code === 'ENOENT') return `open ${file}: no such file or directory`;
  if (e.code === 'EACCES') return `open ${file}: permission denied`;
  if (e.code === 'EISDIR') return `read ${file}: is a directory`;
  return `open ${file}: ${e.message}`;
}

/** readOperatorJWT: `v` is a file (possibly decorated) or, when no such file, an inline JWT. */
export function readOperatorJwt(v: string): TrustedOperator {
  let contents: string;
  try {
    contents = readFileSync(v, 'utf8');
  } catch (e) {
    if (!v.startsWith(JWT_PREFIX)) throw new Error(osErrorText(v, e as NodeJS.ErrnoException));
    contents = v;
  }
  const jwt = parseDecoratedJwt(contents);
  const c = decodeOperatorClaims(jwt);
  const nats = c.nats as typeof c.nats & { strict_signing_key_usage?: boolean };
  return {
    jwt,
    subject: c.sub,
    name: c.name ?? '',
    audience: c.aud ?? '',
    issuedAt: c.iat ?? 0,
    expires: c.exp ?? 0,
    signingKeys: (nats.signing_keys ?? []).map(signingKeyOf),
    strictSigningKeyUsage: nats.strict_signing_key_usage === true,
    systemAccount: nats.system_account ?? '',
  };
}

/** `operator` (and its aliases): one JWT file or inline JWT (2.9.10 refuses a list). */
function operatorKey(v: ConfNode, c: KeyContext): void {
  const files: string[] = [];
  if (v.kind === 'string') files.push(v.value);
  else c.error(`error parsing operators: unsupported type ${goTypeName(v)}`);
  c.opts.trustedOperators = [];
  for (const f of files) {
    try {
      c.opts.trustedOperators.push(readOperatorJwt(f));
    } catch (e) {
      c.error(`error parsing operator JWT: ${(e as Error).message}`);
    }
  }
  // "system_account" in the file takes precedence over the operator's.
  if (c.opts.trustedOperators.length === 1 && c.opts.systemAccount === '') {
    c.opts.systemAccount = c.opts.trustedOperators[0]!.systemAccount;
  }
}

/** A duration of the resolver map: a Go duration string (anything else is Go's conversion panic). */
function resolverDuration(node: ConfNode): number {
  const text = stringValue(node);
  return Number(parseGoDuration(text)) / 1e6;
}

/** `resolver: MEMORY`, or the map `{ type: full, dir, allow_delete, interval, limit }`. */
function resolverKey(v: ConfNode, c: KeyContext): void {
  c.opts.resolver = null;
  if (v.kind === 'string') {
    if (/(MEM|MEMORY)\s*/i.test(v.value)) c.opts.resolver = { type: 'memory' };
    else if (/URL/i.test(v.value)) {
      c.error('tsnats does not support the URL account resolver: use MEMORY or { type: full, dir }');
      return;
    }
  } else if (v.kind === 'map') {
    const m = v.value;
    let dir = '';
    let type = '';
    let allowDelete = false;
    let limit = 0;
    let ttlMs = 0;
    let intervalMs = 0;
    const get = (k: string): ConfNode | undefined => m.getExact(k);
    const dirNode = get('dir');
    if (dirNode !== undefined) dir = stringValue(dirNode);
    const typeNode = get('type');
    if (typeNode !== undefined) type = stringValue(typeNode);
    const delNode = get('allow_delete');
    if (delNode !== undefined) allowDelete = boolValue(delNode);
    const limitNode = get('limit');
    if (limitNode !== undefined) limit = intValue(limitNode);
    try {
      const ttlNode = get('ttl');
      if (ttlNode !== undefined) ttlMs = resolverDuration(ttlNode);
      const intervalNode = get('interval');
      if (intervalNode !== undefined) intervalMs = resolverDuration(intervalNode);
      const timeoutNode = get('timeout');
      if (timeoutNode !== undefined) resolverDuration(timeoutNode);
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      c.error((e as Error).message);
      return;
    }
    if (dir === '') {
      c.error('dir has no value and needs to point to a directory');
      return;
    }
    let st: ReturnType<typeof statSync> | undefined;
    try {
      st = statSync(dir);
    } catch {
      st = undefined;
    }
    if (st !== undefined && (!st.isDirectory() || (st.mode & 0o400) === 0)) {
      c.error('dir needs to point to an accessible directory');
      return;
    }
    switch (type.toUpperCase()) {
      case 'CACHE':
        c.error('tsnats does not support the CACHE account resolver: use MEMORY or { type: full, dir }');
        return;
      case 'FULL': {
        if (ttlMs !== 0) {
          c.error('FULL does not accept ttl');
          return;
        }
        // NewDirAccResolver creates the directory (also under -t, as nats-server does).
        try {
          mkdirSync(dir, { recursive: true, mode: 0o750 });
        } catch (e) {
          c.error((e as Error).message);
          return;
        }
        const full: ResolverConfig = {
          type: 'full',
          dir,
          allowDelete,
          intervalMs: intervalMs > 0 ? intervalMs : DEFAULT_RESOLVER_SYNC_INTERVAL_MS,
          limit: limit > 0 ? limit : Number.MAX_SAFE_INTEGER,
        };
        c.opts.resolver = full;
        break;
      }
    }
  } else {
    c.error(`error parsing operator resolver, wrong type ${goTypeName(v)}`);
    return;
  }
  if (c.opts.resolver === null) c.error(BAD_RESOLVER);
}

/** `resolver_preload { <account public key>: <account JWT> }`: each JWT must decode. */
function preloadKey(v: ConfNode, c: KeyContext): void {
  if (v.kind !== 'map') {
    c.error('preload should be a map of account_public_key:account_jwt');
    return;
  }
  const preload: Record<string, string> = {};
  for (const [key, node] of v.value) {
    if (node.kind !== 'string') {
      c.error('preload map value should be a string JWT', node.pos);
      continue;
    }
    try {
      decodeAccountClaims(node.value);
    } catch {
      c.error('invalid account JWT', node.pos);
      continue;
    }
    preload[key] = node.value;
  }
  c.opts.resolverPreload = preload;
}

/** validateTrustedOperators (server.go validateOptions, at start-up; not under -t). */
function validateTrustedOperators(o: ServerOptions): void {
  const ops = o.trustedOperators;
  if (ops.length === 0) return;
  const fail = (text: string): never => {
    throw new ConfigError(text, undefined, 'validation');
  };
  if (o.resolver === null) fail('operators require an account resolver to be configured');
  if (o.accounts.length > 0) fail('operators do not allow Accounts to be configured directly');
  if ((o.users !== null && o.users.length > 0) || (o.nkeys !== null && o.nkeys.length > 0)) {
    fail('operators do not allow users to be configured directly');
  }
  if (o.systemAccount !== '') {
    const named = ops.filter((op) => op.systemAccount !== '');
    if (named.length > 0 && !named.some((op) => op.systemAccount === o.systemAccount)) {
      fail('system_account in config and operator JWT must be identical');
    }
  } else if (o.resolver!.type === 'full') {
    fail(
      'using nats based account resolver - the system account needs to be specified in configuration or the operator jwt',
    );
  }
  // configureAccounts (NewServer): a MEMORY resolver must hold the system account.
  if (o.systemAccount !== '' && o.resolver!.type === 'memory' && o.resolverPreload[o.systemAccount] === undefined) {
    fail('error resolving system account: account missing');
  }
}

export const OPERATOR_READER: OptionReader = {
  keys: [
    [['operator', 'operators', 'roots', 'root', 'root_operators', 'root_operator'], operatorKey],
    [['resolver', 'account_resolver', 'accounts_resolver'], resolverKey],
    [['resolver_preload'], preloadKey],
  ],
  validate: validateTrustedOperators,
};

/** The keys operator mode trusts: the operators' own keys and their signing keys. */
export function trustedKeys(o: ServerOptions): Set<string> {
  const keys = new Set<string>();
  for (const op of o.trustedOperators) {
    if (!op.strictSigningKeyUsage) keys.add(op.subject);
    for (const k of op.signingKeys) keys.add(k);
  }
  return keys;
}
