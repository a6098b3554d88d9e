// The `accounts` and `system_account` keys: opts.go configureSystemAccount, parseAccounts and
// its helpers (parseAccountExports, parseAccountImports, parseExportStreamOrService,
// parseImportStreamOrService, parseAccount, parseServiceLatency, parseAccountLimits), then the
// Account methods parseAccounts ends in (accounts.go addStreamExportWithAccountPos,
// addServiceExportWithResponseAndAccountPos, AddStreamImport, AddMappedStreamImport,
// AddServiceImport, SetServiceImportSharing, TrackServiceExportWithSampling), whose checks
// decide whether imports are authorized.
//
// Like nats-server, the block is read in two passes: every account, its users, exports and
// imports; then (only if no error has been recorded so far) the exports are added and the
// imports checked against them, each failure reported at the `accounts` key.

import { ConfigError, goTypeName, type ConfMap, type ConfNode, type Position } from './conf.js';
import {
  arrayValue,
  atoi,
  boolValue,
  goQuote,
  goValueV,
  intValue,
  notSupported,
  parseGoDuration,
  recovering,
  stringValue,
  type KeyContext,
  type OptionReader,
} from './values.js';
import { accountJetStream } from './jetstream.js';
import { parseMappings } from './mappings.js';
import { clonePermissions, isValidPublicAccountKey, parseUserPermissions, parseUsers, usersAndNkeys } from './auth.js';
import { SubjectTransform, TransformError, transformTokenize, transformUntokenize } from '../subjects/transform.js';
import { isSubsetMatch, isValidPublishSubject, isValidSubject, subjectIsLiteral, subjectIsSubsetMatch, subjectsCollide } from '../subjects/subject.js';
import type {
  AccountConfig,
  ExportConfig,
  ImportConfig,
  NkeyUser,
  Permissions,
  ServerOptions,
  UserEntry,
} from './types.js';


/** nats-server's global account: reserved, not configurable in `accounts`. */
export const GLOBAL_ACCOUNT_NAME = '$G';
/** DEFAULT_SYSTEM_ACCOUNT: an account of this name is the system account unless one is set. */
export const DEFAULT_SYSTEM_ACCOUNT = '$SYS';
/** DEFAULT_SERVICE_EXPORT_RESPONSE_THRESHOLD (2 min). */
export const DEFAULT_SERVICE_EXPORT_RESPONSE_THRESHOLD_MS = 120_000;
/** DEFAULT_SERVICE_LATENCY_SAMPLING (percent). */
const DEFAULT_SERVICE_LATENCY_SAMPLING = 100;
/** MaxAccountCycleSearchDepth */
const MAX_ACCOUNT_CYCLE_SEARCH_DEPTH = 1024;

// The texts of the errors the Account methods return.
const ERR_INVALID_SUBJECT = 'sublist: invalid subject';
const ERR_STREAM_IMPORT_AUTHORIZATION = 'stream import not authorized';
const ERR_STREAM_IMPORT_BAD_PREFIX = 'stream import prefix can not contain wildcard tokens';
const ERR_STREAM_IMPORT_DUPLICATE = 'stream import already exists';
const ERR_SERVICE_IMPORT_AUTHORIZATION = 'service import not authorized';
const ERR_IMPORT_FORMS_CYCLE = 'import forms a cycle';
const ERR_CYCLE_SEARCH_DEPTH = 'search cycle depth exhausted';
const ERR_BAD_PUBLISH_SUBJECT = 'invalid publish subject';
const ERR_BAD_SERVICE_TYPE = 'bad service response type';
const ERR_BAD_SAMPLING = 'bad sampling percentage, should be 1-100';

/** Go's `%q` of a config value: a string quoted, an integer as a quoted rune. */
function goQuoteValue(node: ConfNode): string {
  if (node.kind === 'string') return goQuote(node.value);
  if (node.kind !== 'int') return `%!q(${goTypeName(node)}=${goValueV(node)})`;
  const v = node.value;
  const r = v >= 0 && v <= 0x10ffff && !(v >= 0xd800 && v <= 0xdfff) ? v : 0xfffd;
  if (r === 0x27) return "'\\''";
  const inner = r === 0x22 ? '"' : goQuote(String.fromCodePoint(r)).slice(1, -1);
  return `'${inner}'`;
}

/** strconv.Atoi's error text for a string that is not a valid int. */
function atoiError(s: string): string {
  const why = /^[+-]?[0-9]+$/.test(s) ? 'value out of range' : 'invalid syntax';
  return `strconv.Atoi: parsing ${goQuote(s)}: ${why}`;
}

/** An export as parsed, waiting for the second pass. */
interface PendingExport {
  account: string;
  exp: ExportConfig;
  /** `account_token_position` (0 = none). */
  tokenPos: number;
  latency: ServiceLatency | null;
}

/** An import as parsed, waiting for the second pass. */
interface PendingImport {
  account: string;
  imp: ImportConfig;
}

interface PendingAccounts {
  streamExports: PendingExport[];
  serviceExports: PendingExport[];
  streamImports: PendingImport[];
  serviceImports: PendingImport[];
}

/** `latency` of a service export: where latency samples go, and how often. */
interface ServiceLatency {
  subject: string;
  sampling: number;
}

/**
 * configureSystemAccount: `system_account` (else `system`), spelled exactly so, is read before
 * the other keys (other spellings are accepted and ignored, as nats-server does).
 */
export function configureSystemAccount(map: ConfMap, opts: ServerOptions, problems: ConfigError[]): void {
  const node = map.getExact('system_account') ?? map.getExact('system');
  if (node === undefined) return;
  if (node.kind === 'string') opts.systemAccount = node.value;
  else problems.push(new ConfigError('system account name must be a string', node.pos));
}

/** The top-level `accounts` key: parseAccounts. */
export function accountsKey(v: ConfNode, c: KeyContext): void {
  const pending: PendingAccounts = { streamExports: [], serviceExports: [], streamImports: [], serviceImports: [] };
  const parsed = recovering(c.report, false, () => {
    parseAccountsBlock(v, c, pending);
    return true;
  });
  // nats-server bails out before linking when any error (of any key so far) was recorded.
  if (!parsed || c.hasErrors()) return;
  linkAccounts(v.pos, c, pending);
}

/**
 * The `accounts` and `system_account` keys. `system_account` (read by configureSystemAccount,
 * before every other key) has a no-op handler so that it is not an unknown field.
 */
export const ACCOUNTS_READER: OptionReader = {
  keys: [
    [['accounts'], accountsKey],
    [['system_account', 'system'], () => undefined],
  ],
  prepare: configureSystemAccount,
  // configureAccounts: an account named $SYS is the system account when none is set.
  baseline: (opts) => {
    if (opts.systemAccount === '' && opts.accounts.some((a) => a.name === DEFAULT_SYSTEM_ACCOUNT)) {
      opts.systemAccount = DEFAULT_SYSTEM_ACCOUNT;
    }
  },
  // configureAccounts (at server start): the system account must be one of the accounts.
  validate: (opts) => {
    const sys = opts.systemAccount;
    // In operator mode the resolver holds the accounts (see operator.ts).
    if (opts.trustedOperators.length > 0) return;
    if (sys !== '' && sys !== GLOBAL_ACCOUNT_NAME && !opts.accounts.some((a) => a.name === sys)) {
      throw new ConfigError('error resolving system account: account missing', undefined, 'validation');
    }
  },
};

/** The first pass: `accounts: [A, B]` or `accounts { A { ... } }` (anything else is ignored). */
function parseAccountsBlock(v: ConfNode, c: KeyContext, pending: PendingAccounts): void {
  if (v.kind === 'array') {
    const seen = new Set<string>();
    for (const n of v.value) {
      const name = stringValue(n);
      if (name === GLOBAL_ACCOUNT_NAME) c.error(`${goQuote(name)} is a Reserved Account`, n.pos);
      else if (seen.has(name)) c.error(`Duplicate Account Entry: ${name}`, n.pos);
      else {
        c.opts.accounts = [...c.opts.accounts, { name, exports: [], imports: [] }];
        seen.add(name);
      }
    }
    return;
  }
  if (v.kind !== 'map') return;
  // User names and nkeys must be unique across accounts and the authorization block.
  const taken = usersAndNkeys(c.opts);
  for (const [name, node] of v.value) {
    if (node.usedAsVariable) continue;
    if (node.kind !== 'map') {
      c.error('Expected map entries for accounts', node.pos);
      continue;
    }
    if (name === GLOBAL_ACCOUNT_NAME) {
      c.error(`${goQuote(name)} is a Reserved Account`, node.pos);
      continue;
    }
    const acc: AccountConfig = { name, exports: [], imports: [] };
    c.opts.accounts = [...c.opts.accounts, acc];
    parseAccount(acc, node.value, c, pending, taken);
  }
}

/** One account's block: its keys, then its users merged into `users` / `nkeys`. */
function parseAccount(acc: AccountConfig, m: ConfMap, c: KeyContext, pending: PendingAccounts, taken: Set<string>): void {
  let users: UserEntry[] = [];
  let nkeys: NkeyUser[] = [];
  let usersNode: ConfNode | undefined;
  let defaultPerms: Permissions | null = null;
  for (const [k, mv] of m) {
    switch (k.toLowerCase()) {
      case 'nkey':
        if (mv.kind !== 'string' || !isValidPublicAccountKey(mv.value)) {
          c.error(`Not a valid public nkey for an account: ${goQuoteValue(mv)}`, mv.pos);
        } else c.notice(notSupported('account nkey'), mv.pos);
        break;
      case 'imports':
        parseAccountImports(mv, acc, c, pending);
        break;
      case 'exports':
        parseAccountExports(mv, acc, c, pending);
        break;
      case 'jetstream': {
        const js = accountJetStream(mv, c);
        if (js !== undefined) acc.jetstream = js;
        break;
      }
      case 'users': {
        usersNode = mv;
        const parsedNkeys: NkeyUser[] = [];
        const parsed = parseUsers(mv, c.report, parsedNkeys, null);
        users = parsed ?? [];
        nkeys = parsed ? parsedNkeys : [];
        break;
      }
      case 'default_permissions':
        defaultPerms = parseUserPermissions(mv, c.report) ?? defaultPerms;
        break;
      case 'mappings':
      case 'maps':
        acc.mappings = [...(acc.mappings ?? []), ...parseMappings(mv, c)];
        break;
      case 'limits':
        parseAccountLimits(mv, c);
        c.notice(notSupported('account limits'), mv.pos);
        break;
      default:
        if (!mv.usedAsVariable) c.error(`unknown field ${goQuote(k)}`, mv.pos);
    }
  }
  if (usersNode === undefined || (users.length === 0 && nkeys.length === 0)) return;
  if (c.opts.username !== '') return c.error('Can not have a single user/pass and accounts', usersNode.pos);
  if (c.opts.authorization !== '') return c.error('Can not have a token and accounts', usersNode.pos);
  if (defaultPerms !== null) for (const u of [...users, ...nkeys]) u.permissions ??= clonePermissions(defaultPerms);
  for (const u of nkeys) {
    if (taken.has(u.nkey)) {
      c.error(`Duplicate nkey ${goQuote(u.nkey)} detected`, usersNode.pos);
      continue;
    }
    taken.add(u.nkey);
    u.account = acc.name;
  }
  for (const u of users) {
    if (taken.has(u.user)) {
      c.error(`Duplicate user ${goQuote(u.user)} detected`, usersNode.pos);
      continue;
    }
    taken.add(u.user);
    u.account = acc.name;
  }
  if (nkeys.length > 0) c.opts.nkeys = [...(c.opts.nkeys ?? []), ...nkeys];
  if (users.length > 0) c.opts.users = [...(c.opts.users ?? []), ...users];
}

/** parseAccountLimits: checked for nats-server's keys and types, then ignored. */
function parseAccountLimits(v: ConfNode, c: KeyContext): void {
  if (v.kind !== 'map') return c.error(`Expected account limits to be a map/struct, got ${goValueV(v)}`, v.pos);
  recovering(c.report, undefined, () => {
    for (const [k, mv] of v.value) {
      switch (k.toLowerCase()) {
        case 'max_connections':
        case 'max_conn':
        case 'max_subscriptions':
        case 'max_subs':
        case 'max_payload':
        case 'max_pay':
        case 'max_leafnodes':
        case 'max_leafs':
          intValue(mv);
          break;
        default:
          if (!mv.usedAsVariable) c.error(`Unknown field ${goQuote(k)} parsing account limits`, mv.pos);
      }
    }
  });
}

/** parseAccountExports: a list of `{ stream | service, ... }`. */
function parseAccountExports(v: ConfNode, acc: AccountConfig, c: KeyContext, pending: PendingAccounts): void {
  if (v.kind !== 'array') return c.error(`Exports should be an array, got ${goTypeName(v)}`, v.pos);
  for (const item of v.value) {
    const parsed = parseExport(item, c);
    if (parsed === undefined) continue;
    acc.exports.push(parsed.exp);
    const list = parsed.exp.kind === 'stream' ? pending.streamExports : pending.serviceExports;
    list.push({ account: acc.name, ...parsed });
  }
}

/**
 * parseExportStreamOrService: `{stream: "public.>"}`, `{service: "req", accounts: [B],
 * response_type: stream, response_threshold: "5s"}`. Checks are made as each key is met, so
 * some depend on the order of the keys (nats-server's is random; file order here).
 */
function parseExport(v: ConfNode, c: KeyContext): Omit<PendingExport, 'account'> | undefined {
  if (v.kind !== 'map') {
    c.error(`Export Items should be a map with type entry, got ${goTypeName(v)}`, v.pos);
    return undefined;
  }
  return recovering<Omit<PendingExport, 'account'> | undefined>(c.report, undefined, () => {
    let kind: ExportConfig['kind'] | undefined;
    let subject = '';
    let accounts: string[] = [];
    let responseType: ExportConfig['responseType'] = 'singleton';
    let responseNode: ConfNode | undefined;
    let thresholdSeen = false;
    let thresholdMs = 0;
    let latency: ServiceLatency | null = null;
    let latencyNode: ConfNode | undefined;
    let tokenPos = 0;
    for (const [mk, mv] of v.value) {
      switch (mk.toLowerCase()) {
        case 'stream':
          if (kind === 'service') c.error(`Detected stream ${goQuoteValue(mv)} but already saw a service`, mv.pos);
          else if (responseNode) c.error('Detected response directive on non-service', responseNode.pos);
          else if (latencyNode) c.error('Detected latency directive on non-service', latencyNode.pos);
          else if (mv.kind !== 'string') c.error(`Expected stream name to be string, got ${goTypeName(mv)}`, mv.pos);
          else [kind, subject] = ['stream', mv.value];
          break;
        case 'service':
          if (kind === 'stream') c.error(`Detected service ${goQuoteValue(mv)} but already saw a stream`, mv.pos);
          else if (mv.kind !== 'string') c.error(`Expected service name to be string, got ${goTypeName(mv)}`, mv.pos);
          else [kind, subject] = ['service', mv.value];
          break;
        case 'response':
        case 'response_type': {
          if (responseNode) {
            c.error('Duplicate response type definition', mv.pos);
            break;
          }
          responseNode = mv;
          if (mv.kind !== 'string') {
            c.error(`Expected response type to be string, got ${goTypeName(mv)}`, mv.pos);
            break;
          }
          const rt = RESPONSE_TYPES[mv.value.toLowerCase()];
          if (rt === undefined) {
            c.error(`Unknown response type: ${goQuote(mv.value)}`, mv.pos);
            break;
          }
          responseType = rt;
          if (kind === 'stream') c.error('Detected response directive on non-service', mv.pos);
          break;
        }
        case 'threshold':
        case 'response_threshold':
        case 'response_max_time':
        case 'response_time': {
          if (thresholdSeen) {
            c.error('Duplicate response threshold detected', mv.pos);
            break;
          }
          thresholdSeen = true;
          const bad = 'Expected response threshold to be a parseable time duration, got';
          if (mv.kind !== 'string') {
            c.error(`${bad} ${goTypeName(mv)}`, mv.pos);
            break;
          }
          try {
            thresholdMs = Number(parseGoDuration(mv.value)) / 1e6;
          } catch {
            c.error(`${bad} ${goQuote(mv.value)}`, mv.pos);
            break;
          }
          if (kind === 'stream') c.error('Detected response directive on non-service', mv.pos);
          break;
        }
        case 'accounts':
          accounts = arrayValue(mv).map(stringValue);
          break;
        case 'latency':
          latencyNode = mv;
          latency = parseServiceLatency(mv, c) ?? null;
          if (latency === null) break;
          if (kind === 'stream') c.error('Detected latency directive on non-service', mv.pos);
          else c.notice(notSupported('service latency tracking'), mv.pos);
          break;
        case 'account_token_position':
          tokenPos = intValue(mv);
          c.notice(notSupported('account_token_position'), mv.pos);
          break;
        default:
          if (!mv.usedAsVariable) c.error(`unknown field ${goQuote(mk)}`, mv.pos);
      }
    }
    if (kind === undefined) return undefined;
    const service = kind === 'service';
    return {
      exp: {
        kind,
        subject,
        accounts: accounts.length > 0 ? accounts : null,
        responseType: service ? responseType : 'singleton',
        responseThresholdMs: service && thresholdMs !== 0 ? thresholdMs : DEFAULT_SERVICE_EXPORT_RESPONSE_THRESHOLD_MS,
      },
      tokenPos,
      latency: service ? latency : null,
    };
  });
}

const RESPONSE_TYPES: Readonly<Record<string, ExportConfig['responseType']>> = {
  single: 'singleton',
  singleton: 'singleton',
  stream: 'stream',
  chunk: 'chunked',
  chunked: 'chunked',
};

/** parseServiceLatency: `latency: "subj"` or `latency { subject, sampling }`. */
function parseServiceLatency(v: ConfNode, c: KeyContext): ServiceLatency | undefined {
  if (v.kind === 'string') return { subject: v.value, sampling: DEFAULT_SERVICE_LATENCY_SAMPLING };
  if (v.kind !== 'map') {
    c.error(`Expected latency entry to be a map/struct or string, got ${goTypeName(v)}`, v.pos);
    return undefined;
  }
  let sampling = DEFAULT_SERVICE_LATENCY_SAMPLING;
  const s = v.value.getExact('sampling');
  if (s !== undefined) {
    let headers = false;
    if (s.kind === 'int') sampling = s.value;
    else if (s.kind === 'string') {
      if (s.value.trim().toLowerCase() === 'headers') [headers, sampling] = [true, 0];
      else {
        const text = s.value.endsWith('%') ? s.value.slice(0, -1) : s.value;
        const n = atoi(text);
        if (n === undefined) {
          c.error(`Failed to parse latency sample: ${atoiError(text)}`, s.pos);
          return undefined;
        }
        sampling = n;
      }
    } else {
      c.error(`Expected latency sample to be a string or map/struct, got ${goTypeName(s)}`, s.pos);
      return undefined;
    }
    if (!headers && (sampling < 1 || sampling > 100)) {
      c.error(ERR_BAD_SAMPLING, s.pos);
      return undefined;
    }
  }
  const subject = v.value.getExact('subject');
  if (subject === undefined) {
    c.error('Latency subject required, but missing', v.pos);
    return undefined;
  }
  if (subject.kind !== 'string') {
    // nats-server prints the type of its (empty) string variable here.
    c.error('Expected latency subject to be a string, got string', subject.pos);
    return undefined;
  }
  return { subject: subject.value, sampling };
}

/** parseAccountImports: a list of `{ stream | service: { account, subject }, ... }`. */
function parseAccountImports(v: ConfNode, acc: AccountConfig, c: KeyContext, pending: PendingAccounts): void {
  if (v.kind !== 'array') return c.error(`Imports should be an array, got ${goTypeName(v)}`, v.pos);
  const serviceSubjects = new Map<string, ImportConfig>();
  for (const item of v.value) {
    const imp = parseImport(item, c);
    if (imp === undefined) continue;
    if (imp.kind === 'service') {
      const dup = serviceSubjects.get(imp.to);
      if (dup !== undefined) {
        c.error(
          `Duplicate service import subject ${goQuote(imp.to)}, previously used in import for account ` +
            `${goQuote(dup.account)}, subject ${goQuote(dup.subject)}`,
          item.pos,
        );
        continue;
      }
      serviceSubjects.set(imp.to, imp);
    }
    acc.imports.push(imp);
    const list = imp.kind === 'stream' ? pending.streamImports : pending.serviceImports;
    list.push({ account: acc.name, imp });
  }
}

/**
 * parseImportStreamOrService: `{stream: {account: A, subject: "s.>"}, prefix: p}` (or `to`),
 * `{service: {account: A, subject: req}, to: local.req}`. A service import's `to` is the
 * exported subject unless given; a stream import with a prefix keeps no `to` (the prefix wins).
 */
function parseImport(v: ConfNode, c: KeyContext): ImportConfig | undefined {
  if (v.kind !== 'map') {
    c.error(`Import Items should be a map with type entry, got ${goTypeName(v)}`, v.pos);
    return undefined;
  }
  return recovering<ImportConfig | undefined>(c.report, undefined, () => {
    let imp: ImportConfig | undefined;
    let prefix = '';
    let to = '';
    let share: ConfNode | undefined;
    for (const [mk, mv] of v.value) {
      const lk = mk.toLowerCase();
      switch (lk) {
        case 'stream':
        case 'service': {
          if (imp !== undefined && imp.kind !== lk) {
            c.error(`Detected ${lk} but already saw a ${imp.kind}`, mv.pos);
            break;
          }
          if (mv.kind !== 'map') {
            const what = lk === 'stream' ? 'Stream' : 'Service';
            c.error(`${what} entry should be an account map, got ${goTypeName(mv)}`, mv.pos);
            break;
          }
          const [account, subject] = parseImportAccount(mv.value, c);
          if (account === '' || subject === '') {
            c.error('Expect an account name and a subject', mv.pos);
            break;
          }
          imp =
            lk === 'stream'
              ? { kind: 'stream', account, subject, to, prefix }
              : { kind: 'service', account, subject, to: to !== '' ? to : subject, prefix: '' };
          break;
        }
        case 'prefix':
          prefix = stringValue(mv);
          if (imp?.kind === 'stream') imp.prefix = prefix;
          break;
        case 'to':
          to = stringValue(mv);
          if (imp === undefined) break;
          imp.to = to;
          if (imp.kind === 'stream' && imp.prefix !== '') {
            c.error("Stream import can not have a 'prefix' and a 'to' property", mv.pos);
          }
          break;
        case 'share':
          boolValue(mv);
          share = mv;
          break;
        default:
          if (!mv.usedAsVariable) c.error(`unknown field ${goQuote(mk)}`, mv.pos);
      }
    }
    if (imp === undefined) return undefined;
    if (imp.kind === 'stream' && imp.prefix !== '') imp.to = '';
    if (imp.kind === 'service' && share?.kind === 'bool' && share.value) {
      c.notice(notSupported('service import share'), share.pos);
    }
    return imp;
  });
}

/** opts.go parseAccount: the `{ account, subject }` of an import ('' for what is missing). */
function parseImportAccount(m: ConfMap, c: KeyContext): [string, string] {
  return recovering<[string, string]>(c.report, ['', ''], () => {
    let account = '';
    let subject = '';
    for (const [mk, mv] of m) {
      switch (mk.toLowerCase()) {
        case 'account':
          account = stringValue(mv);
          break;
        case 'subject':
          subject = stringValue(mv);
          break;
        default:
          if (!mv.usedAsVariable) c.error(`unknown field ${goQuote(mk)}`, mv.pos);
      }
    }
    return [account, subject];
  });
}

/** An export's authorization (accounts.go exportAuth): null approved = public. */
interface ExportAuth {
  approved: Set<string> | null;
  /** account_token_position: the importer's name must be this (1-based) token. */
  tokenPos: number;
}

interface ServiceExportState {
  auth: ExportAuth;
  responseType: ExportConfig['responseType'];
}

/** What an account has been given so far in the second pass. Export maps are null until the
 * first export of their kind (Go's nil map: nothing may be imported from it). */
interface AccountLinks {
  /** Stream exports by subject; a null entry is public. */
  streams: Map<string, ExportAuth | null> | null;
  services: Map<string, ServiceExportState> | null;
  streamImports: Array<{ account: string; from: string; to: string }>;
  /** Service imports by local subject. */
  serviceImports: Map<string, { account: string; from: string; to: string }>;
}

/** Every account's links, by name. */
type Links = Map<string, AccountLinks>;

/** The second pass of parseAccounts: exports added, then imports checked against them. */
function linkAccounts(pos: Position, c: KeyContext, pending: PendingAccounts): void {
  const fail = (reason: string): void => c.error(reason, pos);
  const links: Links = new Map();
  for (const a of c.opts.accounts) {
    links.set(a.name, { streams: null, services: null, streamImports: [], serviceImports: new Map() });
  }
  /** The named accounts that exist (null when none: a public export, as in nats-server). */
  const defined = (names: string[] | null, what: string): string[] | null => {
    const found = (names ?? []).filter((n) => {
      if (!links.has(n)) fail(`${goQuote(n)} account not defined for ${what}`);
      return links.has(n);
    });
    return found.length > 0 ? found : null;
  };
  for (const e of pending.streamExports) {
    const err = addStreamExport(links.get(e.account)!, e.exp.subject, defined(e.exp.accounts, 'stream export'), e.tokenPos);
    if (err !== undefined) fail(`Error adding stream export ${goQuote(e.exp.subject)}: ${err}`);
  }
  for (const e of pending.serviceExports) {
    const l = links.get(e.account)!;
    const sub = e.exp.subject;
    const err = addServiceExport(l, sub, e.exp.responseType, defined(e.exp.accounts, 'service export'), e.tokenPos);
    if (err !== undefined) {
      fail(`Error adding service export ${goQuote(sub)}: ${err}`);
      continue;
    }
    if (e.latency === null) continue;
    const latErr = trackServiceExport(l, sub, e.latency);
    if (latErr !== undefined) {
      fail(`Error adding service latency sampling for ${goQuote(sub)} on subject ${goQuote(e.latency.subject)}: ${latErr}`);
    }
  }
  for (const { account, imp } of pending.streamImports) {
    if (!links.has(imp.account)) {
      fail(`${goQuote(imp.account)} account not defined for stream import`);
      continue;
    }
    const err =
      imp.prefix !== ''
        ? addStreamImport(links, account, imp.account, imp.subject, imp.prefix)
        : addMappedStreamImport(links, account, imp.account, imp.subject, imp.to);
    if (err !== undefined) fail(`Error adding stream import ${goQuote(imp.subject)}: ${err}`);
  }
  for (const { account, imp } of pending.serviceImports) {
    if (!links.has(imp.account)) {
      fail(`${goQuote(imp.account)} account not defined for service import`);
      continue;
    }
    const err = addServiceImport(links, account, imp.account, imp.to !== '' ? imp.to : imp.subject, imp.subject);
    if (err !== undefined) {
      fail(`Error adding service import ${goQuote(imp.subject)}: ${err}`);
      continue;
    }
    // SetServiceImportSharing looks the import up by the exported subject as written.
    const imports = [...links.get(account)!.serviceImports.values()];
    if (!imports.some((si) => si.account === imp.account && si.to === imp.subject)) {
      fail(`Error setting service import sharing ${goQuote(imp.subject)}: service import not found`);
    }
  }
}

/** setExportAuth */
function setExportAuth(ea: ExportAuth, subject: string, accounts: string[] | null, tokenPos: number): string | undefined {
  if (tokenPos > 0) {
    const tokens = subject.split('.');
    if (tokens.length < tokenPos || tokens[tokenPos - 1] !== '*') return ERR_INVALID_SUBJECT;
  }
  ea.tokenPos = tokenPos;
  if (accounts === null) return undefined;
  ea.approved ??= new Set();
  for (const a of accounts) ea.approved.add(a);
  return undefined;
}

/** addStreamExportWithAccountPos: a re-export of a subject adds to its approved accounts. */
function addStreamExport(l: AccountLinks, subject: string, accounts: string[] | null, tokenPos: number): string | undefined {
  l.streams ??= new Map();
  let ea = l.streams.get(subject) ?? null;
  if (accounts !== null || tokenPos > 0) {
    ea ??= { approved: null, tokenPos: 0 };
    const err = setExportAuth(ea, subject, accounts, tokenPos);
    if (err !== undefined) return err;
  }
  l.streams.set(subject, ea);
  return undefined;
}

/** addServiceExportWithResponseAndAccountPos */
function addServiceExport(
  l: AccountLinks,
  subject: string,
  responseType: ExportConfig['responseType'],
  accounts: string[] | null,
  tokenPos: number,
): string | undefined {
  l.services ??= new Map();
  const se = l.services.get(subject) ?? { auth: { approved: null, tokenPos: 0 }, responseType: 'singleton' };
  if (responseType !== 'singleton') se.responseType = responseType;
  if (accounts !== null || tokenPos > 0) {
    const err = setExportAuth(se.auth, subject, accounts, tokenPos);
    if (err !== undefined) return err;
  }
  l.services.set(subject, se);
  return undefined;
}

/** TrackServiceExportWithSampling's checks (the server is not up yet: no system account check). */
function trackServiceExport(l: AccountLinks, service: string, lat: ServiceLatency): string | undefined {
  if (lat.sampling !== 0 && (lat.sampling < 1 || lat.sampling > 100)) return ERR_BAD_SAMPLING;
  if (!isValidPublishSubject(lat.subject)) return ERR_BAD_PUBLISH_SUBJECT;
  const services = l.services!;
  const tokens = lat.subject.split('.');
  if (services.has(lat.subject) || [...services.keys()].some((s) => isSubsetMatch(tokens, s))) {
    return ERR_BAD_PUBLISH_SUBJECT;
  }
  if (services.get(service)!.responseType !== 'singleton') return ERR_BAD_SERVICE_TYPE;
  return undefined;
}

/** checkAuth: may `importer` import under this export? `tokens`: the import subject's tokens
 * when it matched the export as a subset (null for an exact match). */
function checkAuth(ea: ExportAuth | null, importer: string, tokens: string[] | null): boolean {
  if (ea === null || ((ea.approved === null || ea.approved.size === 0) && ea.tokenPos === 0)) return true;
  if (ea.tokenPos > 0) return tokens !== null && ea.tokenPos <= tokens.length && tokens[ea.tokenPos - 1] === importer;
  return ea.approved?.has(importer) ?? false;
}

/** checkStreamExportApproved / checkServiceExportApproved: an exact export first, else the
 * first export the subject is a subset of. */
function exportApproved<T>(
  exports: Map<string, T>,
  auth: (e: T) => ExportAuth | null,
  importer: string,
  subject: string,
): boolean {
  if (exports.has(subject)) return checkAuth(auth(exports.get(subject)!), importer, null);
  const tokens = subject.split('.');
  for (const [subj, e] of exports) if (isSubsetMatch(tokens, subj)) return checkAuth(auth(e), importer, tokens);
  return false;
}

function streamImportAuthorized(exporter: AccountLinks, importer: string, subject: string): boolean {
  const { streams } = exporter;
  return streams !== null && isValidSubject(subject) && exportApproved(streams, (e) => e, importer, subject);
}

function serviceImportAuthorized(exporter: AccountLinks, importer: string, subject: string): boolean {
  return exporter.services !== null && exportApproved(exporter.services, (e) => e.auth, importer, subject);
}

/** AddStreamImport: the prefix must be literal; the import delivers on `prefix.subject`. */
function addStreamImport(
  links: Links,
  importer: string,
  exporter: string,
  from: string,
  prefix: string,
): string | undefined {
  if (!streamImportAuthorized(links.get(exporter)!, importer, from)) return ERR_STREAM_IMPORT_AUTHORIZATION;
  if (!subjectIsLiteral(prefix)) return ERR_STREAM_IMPORT_BAD_PREFIX;
  const sep = prefix.endsWith('.') ? '' : '.';
  return addMappedStreamImport(links, importer, exporter, from, prefix + sep + from);
}

/** AddMappedStreamImport */
function addMappedStreamImport(
  links: Links,
  importer: string,
  exporter: string,
  from: string,
  to: string,
): string | undefined {
  if (!streamImportAuthorized(links.get(exporter)!, importer, from)) return ERR_STREAM_IMPORT_AUTHORIZATION;
  let dest = to === '' ? from : to;
  const cycle = streamImportCycle(links, exporter, dest, new Set([importer]));
  if (cycle !== undefined) return cycle;
  if (!subjectIsLiteral(from) && dest !== from) {
    const err = transformError(from, transformTokenize(dest));
    if (err !== undefined) {
      return `failed to create mapping transform for stream import subject ${goQuote(from)} to ${goQuote(dest)}: ${err}`;
    }
    dest = transformUntokenize(dest);
  }
  const l = links.get(importer)!;
  if (l.streamImports.some((si) => si.account === exporter && si.from === from)) return ERR_STREAM_IMPORT_DUPLICATE;
  l.streamImports.push({ account: exporter, from, to: dest });
  return undefined;
}

/** checkStreamImportsForCycles */
function streamImportCycle(links: Links, name: string, to: string, visited: Set<string>): string | undefined {
  if (visited.size >= MAX_ACCOUNT_CYCLE_SEARCH_DEPTH) return ERR_CYCLE_SEARCH_DEPTH;
  const l = links.get(name)!;
  if (![...(l.streams?.keys() ?? [])].some((s) => subjectIsSubsetMatch(to, s))) return undefined;
  for (const si of l.streamImports) {
    if (!subjectsCollide(to, si.to)) continue;
    if (visited.has(si.account)) return ERR_IMPORT_FORMS_CYCLE;
    visited.add(name);
    if (subjectIsSubsetMatch(si.to, to)) to = si.to;
    const err = streamImportCycle(links, si.account, to, visited);
    if (err !== undefined) return err;
  }
  return undefined;
}

/** AddServiceImport: requests on `from` (local) go to the exporter's `to`. */
function addServiceImport(links: Links, importer: string, exporter: string, from: string, to: string): string | undefined {
  if (!isValidSubject(from) || !isValidSubject(to)) return ERR_INVALID_SUBJECT;
  if (!serviceImportAuthorized(links.get(exporter)!, importer, to)) return ERR_SERVICE_IMPORT_AUTHORIZATION;
  const cycle = serviceImportCycle(links, exporter, from, new Set([importer]));
  if (cycle !== undefined) return cycle;
  const l = links.get(importer)!;
  const dup = l.serviceImports.get(from);
  if (dup !== undefined) {
    return (
      `duplicate service import subject ${goQuote(from)}, previously used in import for account ` +
      `${goQuote(dup.account)}, subject ${goQuote(dup.to)}`
    );
  }
  let local = from;
  let dest = to;
  if (!subjectIsLiteral(to) && to !== from) {
    dest = transformUntokenize(to);
    const err = transformError(dest, transformTokenize(from));
    if (err !== undefined) {
      return `failed to create mapping transform for service import subject ${goQuote(from)} to ${goQuote(dest)}: ${err}`;
    }
    local = transformUntokenize(from);
  }
  l.serviceImports.set(local, { account: exporter, from: local, to: dest });
  return undefined;
}

/** checkServiceImportsForCycles */
function serviceImportCycle(links: Links, name: string, from: string, visited: Set<string>): string | undefined {
  if (visited.size >= MAX_ACCOUNT_CYCLE_SEARCH_DEPTH) return ERR_CYCLE_SEARCH_DEPTH;
  for (const si of links.get(name)!.serviceImports.values()) {
    if (!subjectsCollide(from, si.to)) continue;
    if (visited.has(si.account)) return ERR_IMPORT_FORMS_CYCLE;
    visited.add(name);
    if (subjectIsSubsetMatch(si.from, from)) from = si.from;
    const err = serviceImportCycle(links, si.account, from, visited);
    if (err !== undefined) return err;
  }
  return undefined;
}

/** newTransform's checks: undefined when `src` can be mapped to `dest`, else the error text. */
function transformError(src: string, dest: string): string | undefined {
  try {
    new SubjectTransform(src, dest);
    return undefined;
  } catch (e) {
    if (e instanceof TransformError) return e.message;
    throw e;
  }
}
