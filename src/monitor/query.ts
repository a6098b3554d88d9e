// Query strings of the monitoring endpoints decoded as nats-server's handlers decode them
// (decodeBool, decodeInt, decodeUint64, decodeState, decodeSubs), with their 400 texts.

import type { ConnState, ConnzOptions } from './connz.js';
import { StrconvError, atoi, parseBool, parseUint64 } from './go-format.js';
import { MonitorError } from './monitor-error.js';
import type { SubszOptions } from './subsz.js';

/** Go's r.URL.Query().Get: the first value, '' when absent. */
function get(q: URLSearchParams, name: string): string {
  return q.get(name) ?? '';
}

function decode<T>(kind: string, name: string, str: string, parse: (s: string) => T): T {
  try {
    return parse(str);
  } catch (e) {
    if (e instanceof StrconvError) throw new MonitorError(`Error decoding ${kind} for '${name}': ${e.message}`);
    throw e;
  }
}

export function decodeBool(q: URLSearchParams, name: string): boolean {
  const s = get(q, name);
  return s === '' ? false : decode('boolean', name, s, parseBool);
}

export function decodeInt(q: URLSearchParams, name: string): number {
  const s = get(q, name);
  return s === '' ? 0 : decode('int', name, s, atoi);
}

export function decodeUint64(q: URLSearchParams, name: string): number {
  const s = get(q, name);
  return s === '' ? 0 : decode('uint64', name, s, parseUint64);
}

export function decodeState(q: URLSearchParams): ConnState {
  const s = get(q, 'state');
  if (s === '') return 'open';
  switch (s.toLowerCase()) {
    case 'open':
      return 'open';
    case 'closed':
      return 'closed';
    case 'any':
    case 'all':
      return 'any';
  }
  throw new MonitorError(`Error decoding state for ${s}`);
}

/** `subs`: "detail" (any case) for details, else a boolean. */
export function decodeSubs(q: URLSearchParams): { subs: boolean; detail: boolean } {
  if (get(q, 'subs').toLowerCase() === 'detail') return { subs: false, detail: true };
  return { subs: decodeBool(q, 'subs'), detail: false };
}

/** nats-server HandleConnz's decoding, in its order (the first bad parameter is reported). */
export function connzQuery(q: URLSearchParams): ConnzOptions {
  const sort = get(q, 'sort');
  const auth = decodeBool(q, 'auth');
  const { subs, detail } = decodeSubs(q);
  const offset = decodeInt(q, 'offset');
  const limit = decodeInt(q, 'limit');
  const cid = decodeUint64(q, 'cid');
  const state = decodeState(q);
  return {
    sort,
    auth,
    subscriptions: subs,
    subscriptionsDetail: detail,
    offset,
    limit,
    cid,
    state,
    user: get(q, 'user'),
    account: get(q, 'acc'),
    mqttClient: get(q, 'mqtt_client'),
  };
}

/** nats-server HandleSubsz's decoding. */
export function subszQuery(q: URLSearchParams): SubszOptions {
  const subscriptions = decodeBool(q, 'subs');
  const offset = decodeInt(q, 'offset');
  const limit = decodeInt(q, 'limit');
  return { subscriptions, offset, limit, test: get(q, 'test'), account: get(q, 'acc') };
}

/** nats-server HandleHealthz's decoding (the options only matter with JetStream). */
export function healthzQuery(q: URLSearchParams): void {
  decodeBool(q, 'js-enabled');
  decodeBool(q, 'js-enabled-only');
  decodeBool(q, 'js-server-only');
}
