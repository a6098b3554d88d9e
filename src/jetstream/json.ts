// JSON as nats-server writes it for JetStream (encoding/json of its structs): the field order of
// each struct, omitempty, Go's HTML-safe string escaping and time.Time's RFC 3339 form; and the
// stream configuration as a request body decodes into it.

import { JsApiError, JSInvalidJSONErr } from './errors.js';

/** Go encoding/json of a string (or any value JSON.stringify renders the same). */
export function goJSON(v: unknown): string {
  return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** The zero time.Time as JSON renders it. */
export const ZERO_TIME = '"0001-01-01T00:00:00Z"';

/** A time.Time (UTC) as RFC3339Nano: `2026-12-06T06:56:14.955Z` (trailing zeros of the fraction trimmed). */
export function rfc3339(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-12-06T06:56:14.955Z
  return iso.endsWith('.000Z') ? iso.slice(0, -5) + 'Z' : iso.replace(/0+Z$/, 'Z');
}

/** The minute writeRfc3339 last wrote, and its `YYYY-MM-DDTHH:MM:` (17 bytes). */
let rfcMinute = -1;
const rfcPrefix = new Uint8Array(17);

/** Bytes writeRfc3339 writes at most. */
export const RFC3339_MAX = 40;

/**
 * rfc3339(ms) written at `at` in `b` (room for RFC3339_MAX bytes), byte for byte the same;
 * returns the offset after it. The date and time up to the minute is made once per minute.
 */
export function writeRfc3339(b: Buffer, at: number, ms: number): number {
  const minute = Math.floor(ms / 60000);
  if (minute !== rfcMinute) {
    const iso = Number.isInteger(ms) ? new Date(minute * 60000).toISOString() : '';
    // Years outside 0000-9999 (a longer form) and fractions of a millisecond: the general way.
    if (iso.length !== 24) return at + b.write(rfc3339(ms), at, 'latin1');
    for (let i = 0; i < 17; i++) rfcPrefix[i] = iso.charCodeAt(i);
    rfcMinute = minute;
  }
  for (let i = 0; i < 17; i++) b[at + i] = rfcPrefix[i]!;
  at += 17;
  const r = ms - minute * 60000;
  const sec = Math.floor(r / 1000);
  const milli = r - sec * 1000;
  b[at++] = 0x30 + Math.floor(sec / 10);
  b[at++] = 0x30 + (sec % 10);
  if (milli !== 0) {
    // The fraction without its trailing zeros.
    const d1 = Math.floor(milli / 100);
    const d2 = Math.floor(milli / 10) % 10;
    const d3 = milli % 10;
    b[at++] = 0x2e;
    b[at++] = 0x30 + d1;
    if (d2 !== 0 || d3 !== 0) b[at++] = 0x30 + d2;
    if (d3 !== 0) b[at++] = 0x30 + d3;
  }
  b[at++] = 0x5a;
  return at;
}

/** A time.Time (UTC) as JSON; ms 0 is the zero time. */
export function jsonTime(ms: number): string {
  return ms === 0 ? ZERO_TIME : `"${rfc3339(ms)}"`;
}

export type Retention = 'limits' | 'interest' | 'workqueue';
export type Discard = 'old' | 'new';

export interface RePublish {
  src: string;
  dest: string;
  headers_only: boolean;
}

/** nats-server's ExternalStream: the API and delivery prefixes of a source in another account or domain. */
export interface ExternalStream {
  api: string;
  deliver: string;
}

/** nats-server's StreamSource: a mirror's or a source's origin stream and where to start. */
export interface StreamSource {
  name: string;
  opt_start_seq: number;
  /** RFC 3339 as Go re-marshals it (fraction trimmed, a zero offset as `Z`); null when not set. */
  opt_start_time: string | null;
  filter_subject: string;
  external: ExternalStream | null;
}

/** nats-server's StreamConfig (durations in ns). */
export interface StreamConfig {
  name: string;
  description: string;
  subjects: string[];
  retention: Retention;
  max_consumers: number;
  max_msgs: number;
  max_bytes: number;
  max_age: number;
  max_msgs_per_subject: number;
  max_msg_size: number;
  discard: Discard;
  storage: 'file' | 'memory';
  num_replicas: number;
  no_ack: boolean;
  template_owner: string;
  duplicate_window: number;
  placement: unknown;
  mirror: StreamSource | null;
  sources: StreamSource[] | null;
  republish: RePublish | null;
  allow_direct: boolean;
  mirror_direct: boolean;
  discard_new_per_subject: boolean;
  sealed: boolean;
  deny_delete: boolean;
  deny_purge: boolean;
  allow_rollup_hdrs: boolean;
}

function bad(): never {
  throw new JsApiError(JSInvalidJSONErr);
}

/** JSON.parse of a request body; invalid JSON is JSInvalidJSONErr. */
export function parseBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return bad();
  }
}

function str(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : bad();
}
function int(v: unknown): number {
  if (v === undefined || v === null) return 0;
  return typeof v === 'number' && Number.isInteger(v) ? v : bad();
}
function bool(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  return typeof v === 'boolean' ? v : bad();
}
function oneOf<T extends string>(v: unknown, allowed: readonly T[], dflt: T): T {
  if (v === undefined || v === null) return dflt;
  return typeof v === 'string' && (allowed as readonly string[]).includes(v) ? (v as T) : bad();
}

/** Go's time.Time UnmarshalJSON (RFC 3339) and MarshalJSON (RFC3339Nano): the normalised text, or JSInvalidJSONErr. */
export function goTimeText(v: unknown): string {
  if (typeof v !== 'string') bad();
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(v as string);
  if (m === null || Number.isNaN(Date.parse(v as string))) bad();
  const frac = (m![2] ?? '').replace(/0+$/, '');
  const zone = m![3] === '+00:00' || m![3] === '-00:00' ? 'Z' : m![3]!;
  return `${m![1]}${frac !== '' ? '.' + frac : ''}${zone}`;
}

/** A mirror or source as Go's json.Unmarshal fills a StreamSource (unknown fields dropped). */
function decodeStreamSource(v: unknown): StreamSource {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad();
  const o = v as Record<string, unknown>;
  let external: ExternalStream | null = null;
  if (o.external !== undefined && o.external !== null) {
    if (typeof o.external !== 'object' || Array.isArray(o.external)) bad();
    const x = o.external as Record<string, unknown>;
    external = { api: str(x.api), deliver: str(x.deliver) };
  }
  const seq = int(o.opt_start_seq);
  if (seq < 0) bad();
  return {
    name: str(o.name),
    opt_start_seq: seq,
    opt_start_time: o.opt_start_time === undefined || o.opt_start_time === null ? null : goTimeText(o.opt_start_time),
    filter_subject: str(o.filter_subject),
    external,
  };
}

/** A StreamSource as nats-server marshals it (omitempty fields left out). */
export function renderStreamSource(ss: StreamSource): string {
  let s = `{"name":${goJSON(ss.name)}`;
  if (ss.opt_start_seq > 0) s += `,"opt_start_seq":${ss.opt_start_seq}`;
  if (ss.opt_start_time !== null) s += `,"opt_start_time":${goJSON(ss.opt_start_time)}`;
  if (ss.filter_subject !== '') s += `,"filter_subject":${goJSON(ss.filter_subject)}`;
  if (ss.external !== null) s += `,"external":${renderExternal(ss.external)}`;
  return s + '}';
}

export function renderExternal(x: ExternalStream): string {
  return `{"api":${goJSON(x.api)},"deliver":${goJSON(x.deliver)}}`;
}

/** A request body decoded into a StreamConfig as Go's json.Unmarshal does (zero values for what is missing). */
export function decodeStreamConfig(body: Buffer): StreamConfig {
  const o = parseBody(body);
  if (o === null) return decodeStreamConfigObject({});
  if (typeof o !== 'object' || Array.isArray(o)) bad();
  return decodeStreamConfigObject(o as Record<string, unknown>);
}

function decodeStreamConfigObject(o: Record<string, unknown>): StreamConfig {
  const subjects = o.subjects === undefined || o.subjects === null ? [] : Array.isArray(o.subjects) ? o.subjects.map(str) : bad();
  let republish: RePublish | null = null;
  if (o.republish !== undefined && o.republish !== null) {
    if (typeof o.republish !== 'object' || Array.isArray(o.republish)) bad();
    const r = o.republish as Record<string, unknown>;
    republish = { src: str(r.src), dest: str(r.dest), headers_only: bool(r.headers_only) };
  }
  return {
    name: str(o.name),
    description: str(o.description),
    subjects,
    // Go's zero values: retention limits (0), discard old (0), storage "" (file is filled in later).
    retention: oneOf(o.retention, ['limits', 'interest', 'workqueue'] as const, 'limits'),
    max_consumers: int(o.max_consumers),
    max_msgs: int(o.max_msgs),
    max_bytes: int(o.max_bytes),
    max_age: int(o.max_age),
    max_msgs_per_subject: int(o.max_msgs_per_subject),
    max_msg_size: int(o.max_msg_size),
    discard: oneOf(o.discard, ['old', 'new'] as const, 'old'),
    storage: oneOf(o.storage, ['file', 'memory'] as const, 'file'),
    num_replicas: int(o.num_replicas),
    no_ack: bool(o.no_ack),
    template_owner: str(o.template_owner),
    duplicate_window: int(o.duplicate_window),
    placement: o.placement ?? null,
    mirror: o.mirror === undefined || o.mirror === null ? null : decodeStreamSource(o.mirror),
    sources: o.sources === undefined || o.sources === null ? null : Array.isArray(o.sources) ? o.sources.map(decodeStreamSource) : bad(),
    republish,
    allow_direct: bool(o.allow_direct),
    mirror_direct: bool(o.mirror_direct),
    discard_new_per_subject: bool(o.discard_new_per_subject),
    sealed: bool(o.sealed),
    deny_delete: bool(o.deny_delete),
    deny_purge: bool(o.deny_purge),
    allow_rollup_hdrs: bool(o.allow_rollup_hdrs),
  };
}

/** A StreamConfig as nats-server marshals it (field order and omitempty of stream.go). */
export function renderStreamConfig(c: StreamConfig): string {
  let s = `{"name":${goJSON(c.name)}`;
  if (c.description !== '') s += `,"description":${goJSON(c.description)}`;
  if (c.subjects.length > 0) s += `,"subjects":${goJSON(c.subjects)}`;
  s += `,"retention":"${c.retention}","max_consumers":${c.max_consumers},"max_msgs":${c.max_msgs},"max_bytes":${c.max_bytes}`;
  s += `,"max_age":${c.max_age},"max_msgs_per_subject":${c.max_msgs_per_subject}`;
  if (c.max_msg_size !== 0) s += `,"max_msg_size":${c.max_msg_size}`;
  s += `,"discard":"${c.discard}","storage":"${c.storage}","num_replicas":${c.num_replicas}`;
  if (c.no_ack) s += ',"no_ack":true';
  if (c.template_owner !== '') s += `,"template_owner":${goJSON(c.template_owner)}`;
  if (c.duplicate_window !== 0) s += `,"duplicate_window":${c.duplicate_window}`;
  if (c.placement !== null) s += `,"placement":${goJSON(c.placement)}`;
  if (c.mirror !== null) s += `,"mirror":${renderStreamSource(c.mirror)}`;
  if (c.sources !== null && c.sources.length > 0) s += `,"sources":[${c.sources.map(renderStreamSource).join(',')}]`;
  if (c.republish !== null) {
    const r = c.republish;
    s += `,"republish":{${r.src !== '' ? `"src":${goJSON(r.src)},` : ''}"dest":${goJSON(r.dest)}${r.headers_only ? ',"headers_only":true' : ''}}`;
  }
  s += `,"allow_direct":${c.allow_direct},"mirror_direct":${c.mirror_direct}`;
  if (c.discard_new_per_subject) s += ',"discard_new_per_subject":true';
  s += `,"sealed":${c.sealed},"deny_delete":${c.deny_delete},"deny_purge":${c.deny_purge},"allow_rollup_hdrs":${c.allow_rollup_hdrs}}`;
  return s;
}

/** Go's reflect.DeepEqual over two configs (as their JSON forms: same fields, same order). */
export function sameConfig(a: StreamConfig, b: StreamConfig): boolean {
  return renderStreamConfig(a) === renderStreamConfig(b);
}

export type DeliverPolicy = 'all' | 'last' | 'new' | 'by_start_sequence' | 'by_start_time' | 'last_per_subject';
export type AckPolicy = 'none' | 'all' | 'explicit';

/** nats-server's ConsumerConfig (durations in ns). */
export interface ConsumerConfig {
  durable_name: string;
  name: string;
  description: string;
  deliver_policy: DeliverPolicy;
  opt_start_seq: number;
  opt_start_time: string | null;
  ack_policy: AckPolicy;
  ack_wait: number;
  max_deliver: number;
  backoff: number[];
  filter_subject: string;
  replay_policy: 'instant' | 'original';
  rate_limit_bps: number;
  sample_freq: string;
  max_waiting: number;
  max_ack_pending: number;
  idle_heartbeat: number;
  flow_control: boolean;
  headers_only: boolean;
  max_batch: number;
  max_expires: number;
  max_bytes: number;
  deliver_subject: string;
  deliver_group: string;
  inactive_threshold: number;
  num_replicas: number;
  mem_storage: boolean;
  direct: boolean;
}

/** A CreateConsumerRequest body: `{stream_name, config}` decoded as Go's json.Unmarshal does. */
export function decodeConsumerRequest(body: Buffer): { stream: string; config: ConsumerConfig } {
  const o = parseBody(body);
  if (typeof o !== 'object' || o === null || Array.isArray(o)) bad();
  const r = o as Record<string, unknown>;
  const c = (r.config ?? {}) as Record<string, unknown>;
  if (typeof c !== 'object' || Array.isArray(c)) bad();
  const backoff = c.backoff === undefined || c.backoff === null ? [] : Array.isArray(c.backoff) ? c.backoff.map(int) : bad();
  const startTime = c.opt_start_time === undefined || c.opt_start_time === null ? null : str(c.opt_start_time);
  return {
    stream: str(r.stream_name),
    config: {
      durable_name: str(c.durable_name),
      name: str(c.name),
      description: str(c.description),
      deliver_policy: oneOf(c.deliver_policy, ['all', 'last', 'new', 'by_start_sequence', 'by_start_time', 'last_per_subject'] as const, 'all'),
      opt_start_seq: int(c.opt_start_seq),
      opt_start_time: startTime,
      ack_policy: oneOf(c.ack_policy, ['none', 'all', 'explicit'] as const, 'none'),
      ack_wait: int(c.ack_wait),
      max_deliver: int(c.max_deliver),
      backoff,
      filter_subject: str(c.filter_subject),
      replay_policy: oneOf(c.replay_policy, ['instant', 'original'] as const, 'instant'),
      rate_limit_bps: int(c.rate_limit_bps),
      sample_freq: str(c.sample_freq),
      max_waiting: int(c.max_waiting),
      max_ack_pending: int(c.max_ack_pending),
      idle_heartbeat: int(c.idle_heartbeat),
      flow_control: bool(c.flow_control),
      headers_only: bool(c.headers_only),
      max_batch: int(c.max_batch),
      max_expires: int(c.max_expires),
      max_bytes: int(c.max_bytes),
      deliver_subject: str(c.deliver_subject),
      deliver_group: str(c.deliver_group),
      inactive_threshold: int(c.inactive_threshold),
      num_replicas: int(c.num_replicas),
      mem_storage: bool(c.mem_storage),
      direct: bool(c.direct),
    },
  };
}
