// The JetStream option reader: the top-level `jetstream` and `store_dir` keys (nats-server's
// parseJetStream and the "store_dir" case of processConfigFileLine), and the per-account
// `jetstream` value (parseJetStreamForAccount), with nats-server 2.9.10's texts.

import { ConfigError, goTypeName, type ConfNode } from './conf.js';
import type { JetStreamAccountLimits, ServerOptions } from './types.js';
import { isValidSubject } from '../subjects/subject.js';
import { boolValue, durationValue, goQuote, goValueV, notSupported, stringValue, type KeyContext, type OptionReader } from './values.js';

/** nats-server's dynamicJSAccountLimits (every limit -1: bounded by the server's). */
export function unlimitedJetStreamAccount(): JetStreamAccountLimits {
  return {
    maxMemory: -1,
    maxStore: -1,
    maxStreams: -1,
    maxConsumers: -1,
    maxAckPending: -1,
    memoryMaxStreamBytes: -1,
    storeMaxStreamBytes: -1,
    maxBytesRequired: false,
  };
}

const DUPLICATE_STORE_DIR = "Duplicate 'store_dir' configuration";

/**
 * `enabled`/`disabled` as the string form of `jetstream` (anything else is refused). `node` null:
 * the error has no position (an account's value reaches nats-server's parser unwrapped).
 */
function enabledString(v: string, c: KeyContext, node: ConfNode | null): boolean | undefined {
  switch (v.toLowerCase()) {
    case 'enabled':
    case 'enable':
      return true;
    case 'disabled':
    case 'disable':
      return false;
  }
  const text = `Expected 'enabled' or 'disabled' for string value, got '${v}'`;
  if (node === null) c.report(new ConfigError(text));
  else c.error(text, node.pos);
  return undefined;
}

/** nats-server's getStorageSize: an integer, or a string `<n>K|M|G|T` (powers of 1024). Throws the error text. */
function storageSize(node: ConfNode): number {
  if (node.kind === 'int') return node.value;
  if (node.kind !== 'string') throw new Error('must be int64 or string');
  const s = node.value;
  if (s === '') return 0;
  const prefix = s.slice(0, -1);
  if (!/^[+-]?\d+$/.test(prefix)) throw new Error(`strconv.ParseInt: parsing ${goQuote(prefix)}: invalid syntax`);
  const n = BigInt(prefix);
  if (n >= 1n << 63n || n < -(1n << 63n)) throw new Error(`strconv.ParseInt: parsing ${goQuote(prefix)}: value out of range`);
  const shift = { K: 10n, M: 20n, G: 30n, T: 40n }[s.slice(-1)];
  if (shift === undefined) throw new Error('sizes defined as strings must end in K, M, G, T');
  return Number(BigInt.asIntN(64, n << shift));
}

/** The top-level `jetstream` key: a bool, `enabled`/`disabled`, or a map. */
function jetstreamKey(v: ConfNode, c: KeyContext): void {
  const o = c.opts;
  if (v.kind === 'bool') {
    o.jetstream = v.value;
    return;
  }
  if (v.kind === 'string') {
    const on = enabledString(v.value, c, v);
    if (on !== undefined) o.jetstream = on;
    return;
  }
  if (v.kind !== 'map') {
    c.error(`Expected map, bool or string to define JetStream, got ${goTypeName(v)}`, v.pos);
    return;
  }
  let enable = true;
  for (const [k, mv] of v.value) {
    const key = k.toLowerCase();
    switch (key) {
      case 'store':
      case 'store_dir':
      case 'storedir':
        if (o.storeDir !== '') return c.error(DUPLICATE_STORE_DIR, mv.pos);
        o.storeDir = stringValue(mv);
        break;
      case 'max_memory_store':
      case 'max_mem_store':
      case 'max_mem':
      case 'max_file_store':
      case 'max_file': {
        const file = key.startsWith('max_file');
        let n: number;
        try {
          n = storageSize(mv);
        } catch (e) {
          return c.error(`${file ? 'max_file_store' : 'max_mem_store'} ${(e as Error).message}`, mv.pos);
        }
        if (file) o.jetStreamMaxStore = n;
        else o.jetStreamMaxMemory = n;
        break;
      }
      case 'domain':
        o.jetStreamDomain = stringValue(mv);
        break;
      case 'enable':
      case 'enabled':
        enable = boolValue(mv);
        break;
      case 'sync_interval':
      case 'sync':
        o.jetStreamSyncIntervalMs = durationValue(k, mv, c);
        break;
      case 'cipher': {
        const name = stringValue(mv).toLowerCase();
        if (!['chacha', 'chachapoly', 'aes'].includes(name)) return c.error(`Unknown cipher type: ${goQuote(stringValue(mv))}`, mv.pos);
        c.notice(notSupported('jetstream cipher'), mv.pos);
        break;
      }
      case 'key':
      case 'ek':
      case 'encryption_key':
        stringValue(mv);
        c.notice(notSupported('jetstream encryption'), mv.pos);
        break;
      case 'extension_hint':
      case 'unique_tag':
        stringValue(mv);
        break;
      case 'limits':
      case 'max_outstanding_catchup':
        c.notice(notSupported(`jetstream ${key}`), mv.pos);
        break;
      default:
        if (!mv.usedAsVariable) c.error(`unknown field ${goQuote(k)}`, mv.pos);
    }
  }
  o.jetstream = enable;
}

/**
 * An account's `jetstream` value (nats-server's parseJetStreamForAccount): true/`enabled` gives
 * the unlimited tier, false/`disabled` none, a map sets the limits it names (the rest -1).
 * Returns undefined after recording an error.
 */
export function accountJetStream(v: ConfNode, c: KeyContext): JetStreamAccountLimits | null | undefined {
  if (v.kind === 'bool') return v.value ? unlimitedJetStreamAccount() : null;
  if (v.kind === 'string') {
    const on = enabledString(v.value, c, null);
    return on === undefined ? undefined : on ? unlimitedJetStreamAccount() : null;
  }
  if (v.kind !== 'map') {
    c.report(new ConfigError(`Expected map, bool or string to define JetStream, got ${goTypeName(v)}`));
    return undefined;
  }
  const limits = unlimitedJetStreamAccount();
  for (const [k, mv] of v.value) {
    const size = (): number | undefined => {
      if (mv.kind === 'int') return mv.value;
      c.error(`Expected a parseable size for ${goQuote(k)}, got ${goValueV(mv)}`, mv.pos);
      return undefined;
    };
    let n: number | undefined;
    switch (k.toLowerCase()) {
      case 'max_memory':
      case 'max_mem':
      case 'mem':
      case 'memory':
        if ((n = size()) === undefined) return undefined;
        limits.maxMemory = n;
        break;
      case 'max_store':
      case 'max_file':
      case 'max_disk':
      case 'store':
      case 'disk':
        if ((n = size()) === undefined) return undefined;
        limits.maxStore = n;
        break;
      case 'max_streams':
      case 'streams':
        if ((n = size()) === undefined) return undefined;
        limits.maxStreams = n;
        break;
      case 'max_consumers':
      case 'consumers':
        if ((n = size()) === undefined) return undefined;
        limits.maxConsumers = n;
        break;
      case 'max_ack_pending':
        if ((n = size()) === undefined) return undefined;
        limits.maxAckPending = n;
        break;
      case 'mem_max_stream_bytes':
      case 'memory_max_stream_bytes':
        if ((n = size()) === undefined) return undefined;
        limits.memoryMaxStreamBytes = n;
        break;
      case 'disk_max_stream_bytes':
      case 'store_max_stream_bytes':
        if ((n = size()) === undefined) return undefined;
        limits.storeMaxStreamBytes = n;
        break;
      case 'max_bytes_required':
      case 'max_stream_bytes':
      case 'max_bytes':
        if (mv.kind !== 'bool') {
          c.error(`Expected a parseable bool for ${goQuote(k)}, got ${goValueV(mv)}`, mv.pos);
          return undefined;
        }
        limits.maxBytesRequired = mv.value;
        break;
      default:
        if (!mv.usedAsVariable) c.error(`unknown field ${goQuote(k)}`, mv.pos);
    }
  }
  return limits;
}

/** nats-server's DEFAULT_SYSTEM_ACCOUNT (config/accounts.ts imports this file: no import back). */
const SYSTEM_ACCOUNT = '$SYS';

/** validateJetStreamOptions' domain checks (at start-up; not under -t). */
function validateJetStream(o: ServerOptions): void {
  for (const [a, dd] of Object.entries(o.jsAccDefaultDomain)) {
    const sacc = o.systemAccount !== '' ? o.systemAccount : SYSTEM_ACCOUNT;
    if (a === sacc) throw new ConfigError(`system account ${goQuote(a)} can not be in default_js_domain`, undefined, 'validation');
    if (dd === '') continue;
    if (!isValidSubject(`$JS.${dd}.API.>`)) {
      throw new ConfigError(`default_js_domain contains account ${goQuote(a)} with invalid domain name ${goQuote(dd)}`, undefined, 'validation');
    }
  }
  const d = o.jetStreamDomain;
  if (d === '') return;
  const subj = `$JS.${d}.API.>`;
  if (!isValidSubject(subj)) throw new ConfigError(`invalid domain name: derived ${goQuote(subj)} is not a valid subject`, undefined, 'validation');
  if (/[.*> \t\r\n\f]/.test(d)) throw new ConfigError('invalid domain name: may not contain ., * or >', undefined, 'validation');
}

export const JETSTREAM_READER: OptionReader = {
  validate: validateJetStream,
  keys: [
    [['jetstream'], jetstreamKey],
    [
      ['default_js_domain'],
      (v, c) => {
        if (v.kind !== 'map') return c.error(`error default_js_domain config: unsupported type ${goTypeName(v)}`, v.pos);
        const m: Record<string, string> = {};
        for (const [acc, d] of v.value) m[acc] = stringValue(d);
        c.opts.jsAccDefaultDomain = m;
      },
    ],
    [
      ['store_dir', 'storedir'],
      (v, c) => {
        if (c.opts.storeDir !== '') return c.error(DUPLICATE_STORE_DIR, v.pos);
        c.opts.storeDir = stringValue(v);
      },
    ],
  ],
};
