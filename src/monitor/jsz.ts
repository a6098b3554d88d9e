// /jsz and the /varz jetstream block: nats-server 2.9.10's JSInfo (HandleJsz) and JetStreamVarz,
// printed from the snapshot JetStream gives through its interface (jetstream/host.ts). Without
// JetStream /jsz answers `"disabled": true` with zero figures and /varz has `"jetstream": {}`,
// as nats-server's.

import type { JetStreamConfigJson, JetStreamStatsJson, JszOptions, JszSnapshot } from '../jetstream/host.js';
import type { Server } from '../server/server.js';
import { goTime, marshalIndent, UINT64_MAX_VALUE } from './go-format.js';
import { decodeBool, decodeInt } from './query.js';

/** The placeholder of a Go uint64 -1 (printed 18446744073709551615) while JSON.stringify runs. */

/** nats-server HandleJsz's decoding, in its order. */
export function jszQuery(q: URLSearchParams): JszOptions {
  const accounts = decodeBool(q, 'accounts');
  const streams = decodeBool(q, 'streams');
  const consumers = decodeBool(q, 'consumers');
  const config = decodeBool(q, 'config');
  const offset = decodeInt(q, 'offset');
  const limit = decodeInt(q, 'limit');
  decodeBool(q, 'leader-only');
  return { account: q.get('acc') ?? '', accounts, streams, consumers, config, offset, limit };
}

const NO_STATS: JetStreamStatsJson = { memory: 0, storage: 0, reserved_memory: 0, reserved_storage: 0, accounts: 0, ha_assets: 0, api: { total: 0, errors: 0 } };

/** nats-server's JSInfo as /jsz prints it (MarshalIndent). */
export function jsz(server: Server, opts: JszOptions): string {
  return marshalIndent(jszInfo(server, opts));
}

/** nats-server's JSInfo (Jsz), for /jsz and the system's JSZ requests. */
export function jszInfo(server: Server, opts: JszOptions): Record<string, unknown> {
  const js = server.jetstream;
  const head = { server_id: server.id, now: goTime(Date.now(), true) };
  if (js === null) {
    const config: JetStreamConfigJson = { max_memory: 0, max_storage: 0 };
    return { ...head, disabled: true, config, ...NO_STATS, streams: 0, consumers: 0, messages: 0, bytes: 0 };
  }
  const s: JszSnapshot = js.jsz(opts);
  const details = s.account_details?.map((d) => ({
    ...d,
    reserved_memory: d.reserved_memory < 0 ? UINT64_MAX_VALUE : d.reserved_memory,
    reserved_storage: d.reserved_storage < 0 ? UINT64_MAX_VALUE : d.reserved_storage,
  }));
  const body = {
    ...head,
    config: s.config,
    ...s.stats,
    streams: s.streams,
    consumers: s.consumers,
    messages: s.messages,
    bytes: s.bytes,
    ...(details !== undefined ? { account_details: details } : {}),
  };
  return body;
}

/** nats-server's JetStreamVarz for one server: config and stats, no meta (not clustered); `{}` without JetStream. */
export function jetstreamVarz(server: Server): { config?: JetStreamConfigJson; stats?: JetStreamStatsJson } {
  const js = server.jetstream;
  if (js === null) return {};
  const s = js.jsz({ account: '', accounts: false, streams: false, consumers: false, config: false, offset: 0, limit: 0 });
  return { config: s.config, stats: s.stats };
}
