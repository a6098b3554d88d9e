// The route INFO and CONNECT documents as nats-server 2.9.10 writes them: Go's encoding/json of
// its Info and connectInfo structs (server.go, route.go), field for field in struct order with
// the omitempty rules, and the decoding of what a peer sends.

import type { SubjectPermission } from '../config/types.js';

/** The Info fields a route INFO can carry (nats-server's Info struct, json names). */
export interface RouteInfoDoc {
  server_id: string;
  server_name: string;
  version: string;
  proto: number;
  git_commit?: string;
  go: string;
  host: string;
  port: number;
  headers: boolean;
  auth_required?: boolean;
  tls_required?: boolean;
  tls_verify?: boolean;
  tls_available?: boolean;
  max_payload: number;
  jetstream?: boolean;
  ip?: string;
  client_id?: number;
  client_ip?: string;
  nonce?: string;
  cluster?: string;
  cluster_dynamic?: boolean;
  domain?: string;
  connect_urls?: string[];
  ws_connect_urls?: string[];
  ldm?: boolean;
  import?: SubjectPermission | null;
  export?: SubjectPermission | null;
  lnoc?: boolean;
  info_on_connect?: boolean;
  connect_info?: boolean;
  gateway?: string;
  gateway_urls?: string[];
  gateway_url?: string;
  gateway_cmd?: number;
  gateway_nrp?: boolean;
  gateway_iom?: boolean;
  leafnode_urls?: string[];
  remote_account?: string;
}

type Kind = 'str' | 'str?' | 'int' | 'int?' | 'bool' | 'bool?' | 'strs?' | 'perm?';

/** Info's fields in struct order, with their Go type and omitempty. */
const INFO_FIELDS: readonly [keyof RouteInfoDoc, Kind][] = [
  ['server_id', 'str'],
  ['server_name', 'str'],
  ['version', 'str'],
  ['proto', 'int'],
  ['git_commit', 'str?'],
  ['go', 'str'],
  ['host', 'str'],
  ['port', 'int'],
  ['headers', 'bool'],
  ['auth_required', 'bool?'],
  ['tls_required', 'bool?'],
  ['tls_verify', 'bool?'],
  ['tls_available', 'bool?'],
  ['max_payload', 'int'],
  ['jetstream', 'bool?'],
  ['ip', 'str?'],
  ['client_id', 'int?'],
  ['client_ip', 'str?'],
  ['nonce', 'str?'],
  ['cluster', 'str?'],
  ['cluster_dynamic', 'bool?'],
  ['domain', 'str?'],
  ['connect_urls', 'strs?'],
  ['ws_connect_urls', 'strs?'],
  ['ldm', 'bool?'],
  ['import', 'perm?'],
  ['export', 'perm?'],
  ['lnoc', 'bool?'],
  ['info_on_connect', 'bool?'],
  ['connect_info', 'bool?'],
  ['gateway', 'str?'],
  ['gateway_urls', 'strs?'],
  ['gateway_url', 'str?'],
  ['gateway_cmd', 'int?'],
  ['gateway_nrp', 'bool?'],
  ['gateway_iom', 'bool?'],
  ['leafnode_urls', 'strs?'],
  ['remote_account', 'str?'],
];

/** Go encoding/json string escaping: also escapes <, >, & and U+2028/2029. */
export function goJSON(v: unknown): string {
  return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** nats-server's SubjectPermission: `{"allow":[..],"deny":[..]}`, each omitted when empty. */
function permJSON(p: SubjectPermission): string {
  const parts: string[] = [];
  if (p.allow !== null && p.allow.length > 0) parts.push(`"allow":${goJSON(p.allow)}`);
  if (p.deny !== null && p.deny.length > 0) parts.push(`"deny":${goJSON(p.deny)}`);
  return `{${parts.join(',')}}`;
}

/** json.Marshal(Info): the JSON text of an INFO. */
export function marshalInfo(info: RouteInfoDoc): string {
  const parts: string[] = [];
  for (const [key, kind] of INFO_FIELDS) {
    const v = info[key];
    switch (kind) {
      case 'str':
      case 'int':
      case 'bool':
        parts.push(`"${key}":${goJSON(v)}`);
        break;
      case 'str?':
      case 'int?':
      case 'bool?':
        if (v) parts.push(`"${key}":${goJSON(v)}`);
        break;
      case 'strs?':
        if (Array.isArray(v) && v.length > 0) parts.push(`"${key}":${goJSON(v)}`);
        break;
      case 'perm?':
        if (v) parts.push(`"${key}":${permJSON(v as SubjectPermission)}`);
        break;
    }
  }
  return `{${parts.join(',')}}`;
}

/** The route INFO line as a server sends it about itself (generateRouteInfoJSON: `INFO <json> \r\n`). */
export function infoLine(info: RouteInfoDoc): string {
  return `INFO ${marshalInfo(info)} \r\n`;
}

/** An INFO forwarded about another server (forwardNewRouteInfoToKnownServers: `INFO <json>\r\n`). */
export function gossipLine(info: RouteInfoDoc): string {
  return `INFO ${marshalInfo(info)}\r\n`;
}

/** The route CONNECT nats-server sends (sendRouteConnect, connectInfo struct order). */
export function connectLine(o: {
  user: string;
  pass: string;
  tlsRequired: boolean;
  headers: boolean;
  name: string;
  cluster: string;
  dynamic: boolean;
}): string {
  const parts = ['"echo":true', '"verbose":false', '"pedantic":false'];
  if (o.user !== '') parts.push(`"user":${goJSON(o.user)}`);
  if (o.pass !== '') parts.push(`"pass":${goJSON(o.pass)}`);
  parts.push(`"tls_required":${o.tlsRequired}`, `"headers":${o.headers}`, `"name":${goJSON(o.name)}`, `"cluster":${goJSON(o.cluster)}`);
  if (o.dynamic) parts.push('"cluster_dynamic":true');
  parts.push('"lnoc":true');
  return `CONNECT {${parts.join(',')}}\r\n`;
}

/** What the route side reads from a CONNECT (nats-server's ClientOpts and connectInfo). */
export interface RouteConnectDoc {
  verbose: boolean;
  user: string;
  pass: string;
  lang: string;
  headers: boolean;
  name: string;
  cluster: string;
  cluster_dynamic: boolean;
  gateway: string;
}

function obj(json: string): Record<string, unknown> | null {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return null;
  }
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** Go's Unmarshal into a typed field: a present value of the wrong type is an error. */
class Reader {
  bad = false;
  constructor(private readonly o: Record<string, unknown>) {}

  str(k: string): string {
    const v = this.o[k];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') this.bad = true;
    return typeof v === 'string' ? v : '';
  }

  bool(k: string): boolean {
    const v = this.o[k];
    if (v === undefined || v === null) return false;
    if (typeof v !== 'boolean') this.bad = true;
    return v === true;
  }

  int(k: string): number {
    const v = this.o[k];
    if (v === undefined || v === null) return 0;
    if (typeof v !== 'number' || !Number.isInteger(v)) this.bad = true;
    return typeof v === 'number' ? Math.trunc(v) : 0;
  }

  strs(k: string): string[] | undefined {
    const v = this.o[k];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) {
      this.bad = true;
      return undefined;
    }
    return v as string[];
  }

  perm(k: string): SubjectPermission | null {
    const v = this.o[k];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'object' || Array.isArray(v)) {
      this.bad = true;
      return null;
    }
    const r = new Reader(v as Record<string, unknown>);
    const p = { allow: r.strs('allow') ?? null, deny: r.strs('deny') ?? null };
    if (r.bad) this.bad = true;
    return p;
  }
}

/** Decodes an INFO's JSON; null when it is not valid (nats-server closes the connection). */
export function decodeInfo(json: string): RouteInfoDoc | null {
  const o = obj(json);
  if (o === null) return null;
  const r = new Reader(o);
  const info: RouteInfoDoc = {
    server_id: r.str('server_id'),
    server_name: r.str('server_name'),
    version: r.str('version'),
    proto: r.int('proto'),
    git_commit: r.str('git_commit'),
    go: r.str('go'),
    host: r.str('host'),
    port: r.int('port'),
    headers: r.bool('headers'),
    auth_required: r.bool('auth_required'),
    tls_required: r.bool('tls_required'),
    tls_verify: r.bool('tls_verify'),
    tls_available: r.bool('tls_available'),
    max_payload: r.int('max_payload'),
    jetstream: r.bool('jetstream'),
    ip: r.str('ip'),
    client_id: r.int('client_id'),
    client_ip: r.str('client_ip'),
    nonce: r.str('nonce'),
    cluster: r.str('cluster'),
    cluster_dynamic: r.bool('cluster_dynamic'),
    domain: r.str('domain'),
    connect_urls: r.strs('connect_urls'),
    ws_connect_urls: r.strs('ws_connect_urls'),
    ldm: r.bool('ldm'),
    import: r.perm('import'),
    export: r.perm('export'),
    lnoc: r.bool('lnoc'),
    info_on_connect: r.bool('info_on_connect'),
    connect_info: r.bool('connect_info'),
    gateway: r.str('gateway'),
    gateway_urls: r.strs('gateway_urls'),
    gateway_url: r.str('gateway_url'),
    gateway_cmd: r.int('gateway_cmd'),
    gateway_nrp: r.bool('gateway_nrp'),
    gateway_iom: r.bool('gateway_iom'),
    leafnode_urls: r.strs('leafnode_urls'),
    remote_account: r.str('remote_account'),
  };
  return r.bad ? null : info;
}

/** Decodes a CONNECT's JSON; null when it is not valid. */
export function decodeConnect(json: string): RouteConnectDoc | null {
  const o = obj(json);
  if (o === null) return null;
  const r = new Reader(o);
  const c: RouteConnectDoc = {
    verbose: r.bool('verbose'),
    user: r.str('user'),
    pass: r.str('pass'),
    lang: r.str('lang'),
    headers: r.bool('headers'),
    name: r.str('name'),
    cluster: r.str('cluster'),
    cluster_dynamic: r.bool('cluster_dynamic'),
    gateway: r.str('gateway'),
  };
  return r.bad ? null : c;
}
