// nats-server's checkStreamCfg (the defaults it fills in and the configurations it refuses,
// mirrors and sources included) and configUpdateCheck (what an update may not change), for one
// server.

import { isValidPublishSubject, isValidSubject, subjectIsSubsetMatch, subjectsCollide } from '../subjects/subject.js';
import {
  JsApiError,
  JSMirrorMaxMessageSizeTooBigErr,
  JSMirrorWithSourcesErr,
  JSSourceMaxMessageSizeTooBigErr,
  JSMirrorWithSubjectsErr,
  JSReplicasCountCannotBeNegative,
  JSStreamMaxBytesRequired,
  JSStreamMaxStreamBytesExceeded,
  JSStreamMirrorNotUpdatableErr,
  streamExternalApiOverlap,
  streamExternalDelPrefixOverlaps,
  streamInvalidConfig,
  streamInvalidExternalDeliverySubj,
} from './errors.js';
import { goJSON, type StreamConfig } from './json.js';
import type { JetStreamAccountLimits } from '../config/types.js';
import { SubjectTransform } from '../subjects/transform.js';

/** nats-server's JSMaxNameLen and JSMaxDescriptionLen. */
export const JS_MAX_NAME_LEN = 255;
export const JS_MAX_DESCRIPTION_LEN = 4 * 1024;
/** StreamDefaultDuplicatesWindow: 2 minutes, in ns. */
export const DEFAULT_DUPLICATES_WINDOW = 120_000_000_000;
const MS100 = 100_000_000;
const STREAM_MAX_REPLICAS = 5;

/** isValidName: not empty, no whitespace, `.`, `*` or `>`. */
export function isValidName(name: string): boolean {
  return name !== '' && !/[ \t\r\n\f.*>]/.test(name);
}

function invalid(text: string): never {
  throw new JsApiError(streamInvalidConfig(text));
}

/** The configuration of the account's stream `name`, or null (nats-server's getStream in checkStreamCfg). */
export type StreamLookup = (name: string) => StreamConfig | null;

const NO_STREAMS: StreamLookup = () => null;
/** nats-server's JSApiPrefix. */
const JS_API_PREFIX = '$JS.API';

/** hasFilterSubjectOverlap: an empty filter, or no known subjects, always overlaps. */
function filterOverlaps(filter: string, subjects: readonly string[]): boolean {
  return filter === '' || subjects.length === 0 || subjects.some((s) => subjectsCollide(s, filter));
}

/**
 * checkStreamCfg's mirror and sources part: the origin's max_msg_size and subjects when the
 * origin exists, the external prefixes and the cycle check. Fills in mirror_direct from the origin.
 */
function checkSourcing(cfg: StreamConfig, lookup: StreamLookup): void {
  const streamSubs: string[] = [];
  const deliveryPrefixes: string[] = [];
  const apiPrefixes: string[] = [];
  const external = (x: { api: string; deliver: string } | null): void => {
    if (x === null) return;
    if (x.deliver !== '') deliveryPrefixes.push(x.deliver);
    if (x.api !== '') apiPrefixes.push(x.api);
  };
  const m = cfg.mirror;
  if (m !== null) {
    if (cfg.subjects.length > 0) throw new JsApiError(JSMirrorWithSubjectsErr);
    if (cfg.sources !== null && cfg.sources.length > 0) throw new JsApiError(JSMirrorWithSourcesErr);
    const origin = lookup(m.name);
    if (origin !== null) {
      streamSubs.push(...origin.subjects);
      if (cfg.max_msg_size > 0 && origin.max_msg_size > 0 && cfg.max_msg_size < origin.max_msg_size) throw new JsApiError(JSMirrorMaxMessageSizeTooBigErr);
      if (!filterOverlaps(m.filter_subject, origin.subjects)) {
        invalid(`mirror '${m.name}' filter subject '${m.filter_subject}' does not overlap with any origin stream subject`);
      }
      cfg.mirror_direct = origin.allow_direct;
    }
    external(m.external);
  }
  for (const src of cfg.sources ?? []) {
    const origin = lookup(src.name);
    if (origin !== null) {
      streamSubs.push(...origin.subjects);
      if (cfg.max_msg_size > 0 && origin.max_msg_size > 0 && cfg.max_msg_size < origin.max_msg_size) throw new JsApiError(JSSourceMaxMessageSizeTooBigErr);
      // nats-server checks the filter against the subjects of every origin seen so far.
      if (!filterOverlaps(src.filter_subject, streamSubs)) {
        invalid(`source '${src.name}' filter subject '${src.filter_subject}' does not overlap with any origin stream subject`);
      }
    }
    external(src.external);
  }
  for (const pfx of deliveryPrefixes) {
    if (!isValidPublishSubject(pfx)) throw new JsApiError(streamInvalidExternalDeliverySubj(pfx));
    for (const sub of streamSubs) if (subjectsCollide(sub, `${pfx}.${sub}`)) throw new JsApiError(streamExternalDelPrefixOverlaps(pfx, sub));
  }
  for (const pfx of apiPrefixes) {
    if (!isValidPublishSubject(pfx)) invalid(`stream external api prefix ${goJSON(pfx)} must be a valid subject without wildcards`);
    if (subjectsCollide(pfx, JS_API_PREFIX)) throw new JsApiError(streamExternalApiOverlap(pfx, JS_API_PREFIX));
  }
  // The cycle check: follow sources and mirrors through the streams that exist.
  const toVisit: StreamConfig[] = [cfg];
  const visited = new Set<string>();
  while (toVisit.length > 0) {
    const c = toVisit.shift()!;
    visited.add(c.name);
    for (const src of c.sources ?? []) {
      if (src.external !== null) continue;
      if (visited.has(src.name)) invalid('detected cycle');
      const o = lookup(src.name);
      if (o !== null) toVisit.push(o);
    }
    if (c.mirror !== null && c.mirror.external === null) {
      if (visited.has(c.mirror.name)) invalid('detected cycle');
      const o = lookup(c.mirror.name);
      if (o !== null) toVisit.push(o);
    }
  }
}

/**
 * A copy of `c` with nats-server's defaults; throws JsApiError for what it refuses. `lookup`
 * finds the account's other streams (a mirror's or source's origin).
 */
export function checkStreamCfg(c: StreamConfig, limits: JetStreamAccountLimits, lookup: StreamLookup = NO_STREAMS): StreamConfig {
  if (!isValidName(c.name)) invalid("stream name is required and can not contain '.', '*', '>'");
  if (c.name.length > JS_MAX_NAME_LEN) invalid(`stream name is too long, maximum allowed is ${JS_MAX_NAME_LEN}`);
  if (c.description.length > JS_MAX_DESCRIPTION_LEN) invalid(`stream description is too long, maximum allowed is ${JS_MAX_DESCRIPTION_LEN}`);
  const cfg: StreamConfig = { ...c, subjects: [...c.subjects], republish: c.republish && { ...c.republish }, mirror: c.mirror && { ...c.mirror } };
  if (cfg.num_replicas === 0) cfg.num_replicas = 1;
  if (cfg.num_replicas > STREAM_MAX_REPLICAS) invalid(`maximum replicas is ${STREAM_MAX_REPLICAS}`);
  if (cfg.num_replicas < 0) throw new JsApiError(JSReplicasCountCannotBeNegative);
  if (cfg.max_msgs === 0) cfg.max_msgs = -1;
  if (cfg.max_msgs_per_subject === 0) cfg.max_msgs_per_subject = -1;
  if (cfg.max_bytes === 0) cfg.max_bytes = -1;
  if (cfg.max_msg_size === 0) cfg.max_msg_size = -1;
  if (cfg.max_consumers === 0) cfg.max_consumers = -1;
  if (cfg.duplicate_window === 0 && cfg.mirror === null) {
    cfg.duplicate_window = cfg.max_age !== 0 && cfg.max_age < DEFAULT_DUPLICATES_WINDOW ? cfg.max_age : DEFAULT_DUPLICATES_WINDOW;
  }
  if (cfg.max_age > 0 && cfg.max_age < MS100) invalid('max age needs to be >= 100ms');
  if (cfg.duplicate_window < 0) invalid('duplicates window can not be negative');
  if (cfg.max_age !== 0 && cfg.duplicate_window > cfg.max_age) invalid('duplicates window can not be larger then max age');
  if (cfg.duplicate_window > 0 && cfg.duplicate_window < MS100) invalid('duplicates window needs to be >= 100ms');
  if (cfg.deny_purge && cfg.allow_rollup_hdrs) invalid('roll-ups require the purge permission');
  if (cfg.discard_new_per_subject) {
    if (cfg.discard !== 'new') invalid('discard new per subject requires discard new policy to be set');
    if (cfg.max_msgs_per_subject <= 0) invalid('discard new per subject requires max msgs per subject > 0');
  }
  checkSourcing(cfg, lookup);
  if (cfg.subjects.length === 0) {
    if (cfg.mirror === null && (cfg.sources === null || cfg.sources.length === 0)) cfg.subjects.push(cfg.name);
  } else {
    const seen = new Set<string>();
    for (const subj of cfg.subjects) {
      if (seen.has(subj)) invalid('duplicate subjects detected');
      if (subjectIsSubsetMatch(subj, '$JS.API.>')) invalid('subjects overlap with jetstream api');
      if (!isValidSubject(subj)) invalid('invalid subject');
      seen.add(subj);
    }
  }
  if (cfg.subjects.length === 0 && (cfg.sources === null || cfg.sources.length === 0) && cfg.mirror === null) {
    invalid('stream needs at least one configured subject or be a source/mirror');
  }
  const perStream = cfg.storage === 'memory' ? limits.memoryMaxStreamBytes : limits.storeMaxStreamBytes;
  if (limits.maxBytesRequired && cfg.max_bytes <= 0) throw new JsApiError(JSStreamMaxBytesRequired);
  if (perStream > 0 && cfg.max_bytes > perStream) throw new JsApiError(JSStreamMaxStreamBytesExceeded);
  if (cfg.subjects.length > 1) {
    for (const subj of cfg.subjects) {
      for (const t of cfg.subjects) {
        if (t !== subj && subjectsCollide(t, subj)) invalid(`subject "${subj}" overlaps with "${t}"`);
      }
    }
  }
  const rp = cfg.republish;
  if (rp !== null) {
    if (rp.src === '') rp.src = '>';
    if (!cfg.subjects.some((s) => subjectsCollide(rp.src, s))) invalid('stream configuration for republish source is not valid subset of subjects');
    if (cfg.subjects.some((s) => subjectsCollide(rp.dest, s))) invalid('stream configuration for republish destination forms a cycle');
    try {
      new SubjectTransform(rp.src, rp.dest);
    } catch {
      invalid('stream configuration for republish not valid');
    }
  }
  return cfg;
}

/** configUpdateCheck: the checked new config, or JsApiError for a change an update may not make. */
export function configUpdateCheck(old: StreamConfig, next: StreamConfig, limits: JetStreamAccountLimits, lookup: StreamLookup = NO_STREAMS): StreamConfig {
  const cfg = checkStreamCfg(next, limits, lookup);
  if (cfg.name !== old.name) invalid('stream configuration name must match original');
  if (cfg.max_consumers !== old.max_consumers) invalid('stream configuration update can not change MaxConsumers');
  if (cfg.storage !== old.storage) invalid('stream configuration update can not change storage type');
  if (cfg.retention !== old.retention) invalid('stream configuration update can not change retention policy');
  if (old.template_owner !== '') invalid('stream configuration update not allowed on template owned stream');
  if (cfg.template_owner !== '') invalid('stream configuration update can not be owned by a template');
  if (!cfg.sealed && old.sealed) invalid('stream configuration update can not unseal a sealed stream');
  if (!cfg.deny_delete && old.deny_delete) invalid('stream configuration update can not cancel deny message deletes');
  if (!cfg.deny_purge && old.deny_purge) invalid('stream configuration update can not cancel deny purge');
  if (goJSON(cfg.mirror) !== goJSON(old.mirror)) throw new JsApiError(JSStreamMirrorNotUpdatableErr);
  if (goJSON(cfg.republish) !== goJSON(old.republish)) invalid('stream configuration update can not change RePublish');
  if (cfg.sealed) {
    cfg.max_age = 0;
    cfg.discard = 'new';
    cfg.deny_delete = true;
    cfg.deny_purge = true;
    cfg.allow_rollup_hdrs = false;
  }
  return cfg;
}
