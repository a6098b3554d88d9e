// The `$JS.API.CONSUMER` requests (nats-server's jsConsumer*Request, non-clustered): create in
// its three forms (`CREATE.<stream>` ephemeral, `CREATE.<stream>.<name>[.<filter>]` of 2.9,
// `DURABLE.CREATE.<stream>.<durable>`), info, names, list, delete, and MSG.NEXT, with
// nats-server's defaults (setConsumerConfigDefaults), its checks in its order (checkConsumerCfg,
// then addConsumer's for a new consumer) and its updates of an existing one (updateConfig).

import { randomToken } from '../accounts/account.js';
import { isValidSubject, subjectIsLiteral, subjectIsSubsetMatch } from '../subjects/subject.js';
import { enabled, guarded, isEmptyRequest, lookup, num, object, type Handler, type Request } from './api-common.js';
import { Consumer, renderConsumerConfig } from './consumer.js';
import { consumerAction, CONSUMER_CREATED_PRE } from './advisories.js';
import { e, JsApiError, JSStreamMismatchErr, JSStreamReplicasNotSupportedErr, type ApiError } from './errors.js';
import { decodeConsumerRequest, goJSON, type ConsumerConfig, type StreamConfig, type StreamSource } from './json.js';
import type { Stream } from './stream.js';

const T = 'io.nats.jetstream.api.v1.';
export const CONSUMER_CREATE_TYPE = T + 'consumer_create_response';
export const CONSUMER_INFO_TYPE = T + 'consumer_info_response';
export const CONSUMER_NAMES_TYPE = T + 'consumer_names_response';
export const CONSUMER_LIST_TYPE = T + 'consumer_list_response';
export const CONSUMER_DELETE_TYPE = T + 'consumer_delete_response';

const JSConsumerCreateFilterSubjectMismatchErr = e(400, 10131, 'Consumer create request did not match filtered subject from create subject');
const JSConsumerEphemeralWithDurableNameErr = e(400, 10020, 'consumer expected to be ephemeral but a durable name was set in request');
const JSConsumerDurableNameNotMatchSubjectErr = e(400, 10017, 'consumer name in subject does not match durable name in request');
const JSConsumerDurableNameNotSetErr = e(400, 10018, 'consumer expected to be durable but a durable name was not set');
const JSConsumerNameContainsPathSeparatorsErr = e(400, 10127, 'Consumer name can not contain path separators');
const JSConsumerNameExistErr = e(400, 10013, 'consumer name already in use');
const JSConsumerNotFoundErr = e(404, 10014, 'consumer not found');
const JSConsumerBadDurableNameErr = e(400, 10103, "durable name can not contain '.', '*', '>'");
const JSConsumerDeliverToWildcardsErr = e(400, 10079, 'consumer deliver subject has wildcards');
const JSConsumerDeliverCycleErr = e(400, 10081, 'consumer deliver subject forms a cycle');
const JSConsumerPushMaxWaitingErr = e(400, 10080, 'consumer in push mode can not set max waiting');
const JSConsumerFilterNotSubsetErr = e(400, 10093, 'consumer filter subject is not a valid subset of the interest subjects');
const JSConsumerMaxPendingAckPolicyRequiredErr = e(400, 10082, 'consumer requires ack policy for max ack pending');
const JSMaximumConsumersLimitErr = e(400, 10026, 'maximum consumers limit reached');
const JSConsumerMaxDeliverBackoffErr = e(400, 10116, 'max deliver is required to be > length of backoff values');
const JSConsumerPullRequiresAckErr = e(400, 10084, 'consumer in pull mode requires ack policy');
const JSConsumerWQConsumerNotDeliverAllErr = e(400, 10101, 'consumer must be deliver all on workqueue stream');
const JSConsumerWQRequiresExplicitAckErr = e(400, 10098, 'workqueue stream requires explicit ack');
const JSConsumerSmallHeartbeatErr = e(400, 10083, 'consumer idle heartbeat needs to be >= 100ms');
const JSConsumerPullWithRateLimitErr = e(400, 10086, 'consumer in pull mode can not have rate limit set');
const JSConsumerHBRequiresPushErr = e(400, 10088, 'consumer idle heartbeat requires a push based consumer');
const JSConsumerFCRequiresPushErr = e(400, 10089, 'consumer flow control requires a push based consumer');
const JSConsumerWithFlowControlNeedsHeartbeats = e(400, 10108, 'consumer with flow control also needs heartbeats');
const JSReplicasCountCannotBeNegativeErr = e(400, 10133, 'replicas count cannot be negative');
const JSConsumerInvalidDeliverSubject = e(400, 10112, 'invalid push consumer deliver subject');
const JSConsumerMaxWaitingNegativeErr = e(400, 10087, 'consumer max waiting needs to be positive');
const JSConsumerMaxRequestBatchNegativeErr = e(400, 10114, 'consumer max request batch needs to be > 0');
const JSConsumerMaxRequestExpiresToSmall = e(400, 10115, 'consumer max request expires needs to be >= 1ms');
const JSConsumerDirectRequiresPushErr = e(400, 10090, 'consumer direct requires a push based consumer');
const JSConsumerDirectRequiresEphemeralErr = e(400, 10091, 'consumer direct requires an ephemeral consumer');
const JSConsumerCreateDurableAndNameMismatch = e(400, 10132, 'Consumer Durable and Name have to be equal if both are provided');
const JSConsumerWQMultipleUnfilteredErr = e(400, 10099, 'multiple non-filtered consumers not allowed on workqueue stream');
const JSConsumerWQConsumerNotUniqueErr = e(400, 10100, 'filtered consumer not unique on workqueue stream');
/** nats-server's JSMaxDescriptionLen. */
const MAX_DESCRIPTION_LEN = 4 * 1024;

/** nats-server's JsAckWaitDefault, JsDefaultMaxAckPending, JSWaitQueueDefaultMax, JsDeleteWaitTimeDefault. */
const ACK_WAIT_DEFAULT = 30_000_000_000;
const MAX_ACK_PENDING_DEFAULT = 1000;
const MAX_WAITING_DEFAULT = 512;
const INACTIVE_THRESHOLD_DEFAULT = 5_000_000_000;
const NAMES_LIMIT = 1024;
const LIST_LIMIT = 256;

/** `$JS.API.CONSUMER.<tokens>` → handler (null: no reply, as nats-server). */
export function consumerRoute(tokens: string[]): Handler | null {
  const n = tokens.length;
  const op = tokens[3];
  if (op === 'CREATE' && n >= 5) return consumerCreate;
  if (op === 'DURABLE' && tokens[4] === 'CREATE' && n === 7) return consumerCreate;
  if (op === 'INFO' && n === 6) return consumerInfo;
  if (op === 'DELETE' && n === 6) return consumerDelete;
  if (op === 'NAMES' && n === 5) return consumerNames;
  if (op === 'LIST' && n === 5) return consumerList;
  if (op === 'MSG' && tokens[4] === 'NEXT' && n === 7) return msgNext;
  return null;
}

function consumer(stream: Stream, name: string): Consumer {
  const c = stream.consumers.get(name);
  if (c === undefined) throw new JsApiError(JSConsumerNotFoundErr);
  return c as Consumer;
}

/** setConsumerConfigDefaults, then nats-server's checkConsumerCfg in its order (the checks that apply on one server). */
function checkConsumerCfg(r: Request, stream: Stream, cfg: ConsumerConfig): ConsumerConfig {
  const c = { ...cfg, backoff: [...cfg.backoff] };
  const limits = r.jsa.limits!;
  if (c.deliver_subject === '' && c.max_waiting === 0) c.max_waiting = MAX_WAITING_DEFAULT;
  if (c.ack_wait === 0 && c.ack_policy !== 'none') c.ack_wait = ACK_WAIT_DEFAULT;
  if (c.max_deliver === 0) c.max_deliver = -1;
  if (c.backoff.length > 0) c.ack_wait = c.backoff[0]!;
  if (c.ack_policy !== 'none' && c.max_ack_pending === 0) {
    c.max_ack_pending = limits.maxAckPending > 0 && limits.maxAckPending < MAX_ACK_PENDING_DEFAULT ? limits.maxAckPending : MAX_ACK_PENDING_DEFAULT;
  }
  // updateInactiveThreshold: an ephemeral always has one.
  if (c.durable_name === '' && c.inactive_threshold <= 0) c.inactive_threshold = INACTIVE_THRESHOLD_DEFAULT;
  const fail = (err: ApiError): never => {
    throw new JsApiError(err);
  };
  if (c.num_replicas < 0) fail(JSReplicasCountCannotBeNegativeErr);
  if (c.backoff.length > 0 && c.max_deliver <= c.backoff.length) fail(JSConsumerMaxDeliverBackoffErr);
  if (Buffer.byteLength(c.description) > MAX_DESCRIPTION_LEN) fail(e(400, 10107, `consumer description is too long, maximum allowed is ${MAX_DESCRIPTION_LEN}`));
  if (c.deliver_subject !== '') {
    if (!subjectIsLiteral(c.deliver_subject)) fail(JSConsumerDeliverToWildcardsErr);
    if (!isValidSubject(c.deliver_subject)) fail(JSConsumerInvalidDeliverSubject);
    if (stream.cfg.subjects.some((s) => subjectIsSubsetMatch(c.deliver_subject, s))) fail(JSConsumerDeliverCycleErr);
    if (c.max_waiting !== 0) fail(JSConsumerPushMaxWaitingErr);
    if (c.ack_policy === 'none' && c.max_ack_pending > 0) fail(JSConsumerMaxPendingAckPolicyRequiredErr);
    if (c.idle_heartbeat > 0 && c.idle_heartbeat < 100_000_000) fail(JSConsumerSmallHeartbeatErr);
  } else {
    if (c.ack_policy === 'none' && stream.cfg.retention === 'workqueue') fail(JSConsumerPullRequiresAckErr);
    if (c.rate_limit_bps > 0) fail(JSConsumerPullWithRateLimitErr);
    if (c.max_waiting < 0) fail(JSConsumerMaxWaitingNegativeErr);
    if (c.idle_heartbeat > 0) fail(JSConsumerHBRequiresPushErr);
    if (c.flow_control) fail(JSConsumerFCRequiresPushErr);
    if (c.max_batch < 0) fail(JSConsumerMaxRequestBatchNegativeErr);
    if (c.max_expires !== 0 && c.max_expires < 1_000_000) fail(JSConsumerMaxRequestExpiresToSmall);
  }
  if (limits.maxAckPending > 0 && c.max_ack_pending > limits.maxAckPending) {
    fail(e(400, 10121, `consumer max ack pending exceeds system limit of ${limits.maxAckPending}`));
  }
  if (c.direct) {
    if (c.deliver_subject === '') fail(JSConsumerDirectRequiresPushErr);
    if (c.durable_name !== '') fail(JSConsumerDirectRequiresEphemeralErr);
  }
  if (c.filter_subject !== '') {
    const { subjects, hasExt } = gatherSourceMirrorSubjects(r.jsa.streams, stream.cfg);
    if (!hasExt && !validFilteredSubject(c.filter_subject, subjects)) fail(JSConsumerFilterNotSubsetErr);
  }
  const policy = (text: string): never => fail(e(400, 10094, `consumer delivery policy is deliver ${text}`));
  const seqSet = c.opt_start_seq > 0;
  const timeSet = c.opt_start_time !== null;
  switch (c.deliver_policy) {
    case 'all':
    case 'last':
    case 'new':
      if (seqSet) policy(`${c.deliver_policy}, but optional start sequence is also set`);
      if (timeSet) policy(`${c.deliver_policy}, but optional start time is also set`);
      break;
    case 'last_per_subject':
      if (seqSet) policy('last per subject, but optional start sequence is also set');
      if (timeSet) policy('last per subject, but optional start time is also set');
      if (c.filter_subject === '') policy('last per subject, but optional filter subject is not set');
      break;
    case 'by_start_sequence':
      if (!seqSet) policy('by start sequence, but optional start sequence is not set');
      if (timeSet) policy('by start sequence, but optional start time is also set');
      break;
    case 'by_start_time':
      if (!timeSet) policy('by start time, but optional start time is not set');
      // nats-server's text, with its doubled "start".
      if (c.opt_start_seq !== 0) policy('by start time, but optional start start sequence is also set');
      break;
  }
  if (c.sample_freq !== '') {
    // strconv.Atoi of the value without one trailing '%'; a negative one fails with a nil error.
    const t = c.sample_freq.endsWith('%') ? c.sample_freq.slice(0, -1) : c.sample_freq;
    let err = '';
    if (!/^[+-]?\d+$/.test(t)) err = `strconv.Atoi: parsing ${JSON.stringify(t)}: invalid syntax`;
    else if (Math.abs(Number(t)) > Number.MAX_SAFE_INTEGER) err = `strconv.Atoi: parsing ${JSON.stringify(t)}: value out of range`;
    else if (Number(t) < 0) err = '<nil>';
    if (err !== '') fail(e(400, 10095, `failed to parse consumer sampling configuration: ${err}`));
  }
  if (c.flow_control && c.idle_heartbeat === 0) fail(JSConsumerWithFlowControlNeedsHeartbeats);
  if (c.durable_name !== '' && c.name !== '' && c.name !== c.durable_name) fail(JSConsumerCreateDurableAndNameMismatch);
  return c;
}

/**
 * nats-server's gatherSourceMirrorSubjects (non-clustered): the stream's subjects and those of
 * its mirror's or sources' origins in this account, followed through their own mirrors and
 * sources (whole subjects: a source's filter is not applied). `hasExt`: an external origin was
 * met, whose subjects are unknown (the filter is then not checked).
 */
function gatherSourceMirrorSubjects(streams: ReadonlyMap<string, Stream>, cfg: StreamConfig): { subjects: string[]; hasExt: boolean } {
  const subjects = [...cfg.subjects];
  let hasExt = false;
  if (cfg.mirror !== null) {
    hasExt = sourceSubjects(streams, cfg.mirror, new Set(), subjects);
  } else if (cfg.sources !== null) {
    const seen = new Set<string>();
    for (const src of cfg.sources) if (sourceSubjects(streams, src, seen, subjects)) hasExt = true;
  }
  return { subjects, hasExt };
}

/** nats-server's streamSourceSubjects / streamSourceSubjectsNotClustered: appends the origin's subjects to `out`; true when external. */
function sourceSubjects(streams: ReadonlyMap<string, Stream>, src: StreamSource, seen: Set<string>, out: string[]): boolean {
  if (src.external !== null) return true;
  if (seen.has(src.name)) return false;
  const origin = streams.get(src.name);
  if (origin === undefined) return false;
  seen.add(src.name);
  const cfg = origin.cfg;
  out.push(...cfg.subjects);
  let hasExt = false;
  if (cfg.mirror !== null) {
    hasExt = sourceSubjects(streams, cfg.mirror, seen, out);
  } else if (cfg.sources !== null) {
    for (const s of cfg.sources) {
      hasExt = sourceSubjects(streams, s, seen, out);
      if (hasExt) break;
    }
  }
  return hasExt;
}

/** nats-server's validFilteredSubject: within one of the stream's subjects, or a wildcard filter wider than one. */
function validFilteredSubject(filter: string, subjects: readonly string[]): boolean {
  if (!isValidSubject(filter)) return false;
  const wc = !subjectIsLiteral(filter);
  return subjects.some((s) => subjectIsSubsetMatch(filter, s) || (wc && subjectIsSubsetMatch(s, filter)));
}

/** The checks of addConsumer for a new consumer, after checkConsumerCfg: limits, work queue rules, the name. */
function checkNewConsumer(r: Request, stream: Stream, c: ConsumerConfig, name: string): void {
  // The stream's limit, or the account's when lower (nats-server's numPublicConsumers: direct consumers do not count).
  let max = stream.cfg.max_consumers;
  const accMax = r.jsa.limits!.maxConsumers;
  if (max <= 0 || (accMax > 0 && accMax < max)) max = accMax;
  if (max > 0 && publicConsumers(stream).length >= max) throw new JsApiError(JSMaximumConsumersLimitErr);
  if (stream.cfg.retention === 'workqueue' && !c.direct) {
    if (c.ack_policy !== 'explicit') throw new JsApiError(JSConsumerWQRequiresExplicitAckErr);
    if (stream.consumers.size > 0) {
      if (c.filter_subject === '') throw new JsApiError(JSConsumerWQMultipleUnfilteredErr);
      for (const o of stream.consumers.values()) {
        const f = o.cfg.filter_subject;
        if (f === '' || subjectIsSubsetMatch(c.filter_subject, f) || subjectIsSubsetMatch(f, c.filter_subject)) throw new JsApiError(JSConsumerWQConsumerNotUniqueErr);
      }
    }
    if (c.deliver_policy !== 'all') throw new JsApiError(JSConsumerWQConsumerNotDeliverAllErr);
  }
  if (/[ \t\r\n\f.*>]/.test(name)) throw new JsApiError(JSConsumerBadDurableNameErr);
}

/** nats-server's checkNewConsumerConfig for configs that differ: what may not change is refused (500/10012, or its API error). */
function checkNewConsumerConfig(r: Request, a: ConsumerConfig, b: ConsumerConfig): void {
  const refuse = (what: string): never => {
    throw new JsApiError(e(500, 10012, what));
  };
  if (a.deliver_policy !== b.deliver_policy) refuse('deliver policy can not be updated');
  if (a.opt_start_seq !== b.opt_start_seq) refuse('start sequence can not be updated');
  // nats-server compares the *time.Time pointers: any start time differs from another config's.
  if (a.opt_start_time !== null || b.opt_start_time !== null) refuse('start time can not be updated');
  if (a.ack_policy !== b.ack_policy) refuse('ack policy can not be updated');
  if (a.replay_policy !== b.replay_policy) refuse('replay policy can not be updated');
  if (a.idle_heartbeat !== b.idle_heartbeat) refuse('heart beats can not be updated');
  if (a.flow_control !== b.flow_control) refuse('flow control can not be updated');
  if (a.max_waiting !== b.max_waiting) refuse('max waiting can not be updated');
  if (a.deliver_subject !== b.deliver_subject) {
    if (a.deliver_subject === '') refuse('can not update pull consumer to push based');
    if (b.deliver_subject === '') refuse('can not update push consumer to pull based');
    // Only while nothing listens on the old deliver subject.
    if (r.jsa.account.sublist.hasInterest(a.deliver_subject)) throw new JsApiError(JSConsumerNameExistErr);
  }
  if (b.backoff.length > 0 && b.max_deliver <= b.backoff.length) throw new JsApiError(JSConsumerMaxDeliverBackoffErr);
}

function consumerCreate(r: Request): void {
  if (!enabled(r, CONSUMER_CREATE_TYPE)) return;
  guarded(r, CONSUMER_CREATE_TYPE, '', () => {
    const req = decodeConsumerRequest(r.body);
    const t = r.tokens;
    const legacyDurable = t[3] === 'DURABLE';
    const streamName = legacyDurable ? t[5]! : t[4]!;
    const name = legacyDurable ? t[6]! : (t[5] ?? '');
    const filter = !legacyDurable && t.length > 6 ? t.slice(6).join('.') : '';
    const legacyEphemeral = !legacyDurable && t.length === 5;
    if (streamName !== req.stream) throw new JsApiError(JSStreamMismatchErr);
    if (name !== '' && /[\\/]/.test(name)) throw new JsApiError(JSConsumerNameContainsPathSeparatorsErr);
    const cfg = req.config;
    if (legacyDurable) {
      if (cfg.durable_name === '') throw new JsApiError(JSConsumerDurableNameNotSetErr);
      if (name !== cfg.durable_name) throw new JsApiError(JSConsumerDurableNameNotMatchSubjectErr);
    } else if (!legacyEphemeral) {
      if (cfg.durable_name !== '' && name !== cfg.durable_name) throw new JsApiError(JSConsumerDurableNameNotMatchSubjectErr);
      cfg.name = name;
    } else if (cfg.durable_name !== '') throw new JsApiError(JSConsumerEphemeralWithDurableNameErr);
    if (filter !== '' && cfg.filter_subject !== filter) throw new JsApiError(JSConsumerCreateFilterSubjectMismatchErr);
    if (cfg.num_replicas > 1) throw new JsApiError(JSStreamReplicasNotSupportedErr);
    const stream = lookup(r, streamName);
    const checked = checkConsumerCfg(r, stream, cfg);
    const cname = checked.durable_name || checked.name || randomToken(8);
    const existing = stream.consumers.get(cname) as Consumer | undefined;
    let c: Consumer;
    if (existing !== undefined) {
      // An existing consumer: its config may change where nats-server allows it.
      if (renderConsumerConfig(existing.cfg) !== renderConsumerConfig(checked)) {
        checkNewConsumerConfig(r, existing.cfg, checked);
        existing.update(checked);
      }
      c = existing;
    } else {
      checkNewConsumer(r, stream, checked, cname);
      // A mem_storage consumer of a file stream keeps its state in memory, as nats-server's; a direct one has no store.
      c = new Consumer(stream, cname, checked, Date.now(), checked.mem_storage || checked.direct ? null : stream.store.consumerStore(cname));
      stream.consumers.set(cname, c);
      r.jsa.advise(`${CONSUMER_CREATED_PRE}.${stream.name}.${cname}`, () => consumerAction(stream.name, cname, 'create', stream.owner.domain));
    }
    r.jsa.respond(r.reply, `{"type":"${CONSUMER_CREATE_TYPE}",${c.renderInfo()}}`, false);
    // A push consumer starts delivering after the reply, as nats-server's goroutine does.
    if (!c.isPull) setImmediate(() => c.signal());
  });
}

function consumerInfo(r: Request): void {
  if (!enabled(r, CONSUMER_INFO_TYPE)) return;
  guarded(r, CONSUMER_INFO_TYPE, '', () => {
    const stream = lookup(r, r.tokens[4]!);
    const c = consumer(stream, r.tokens[5]!);
    r.jsa.respond(r.reply, `{"type":"${CONSUMER_INFO_TYPE}",${c.renderInfo()}}`, false);
  });
}

function consumerDelete(r: Request): void {
  if (!enabled(r, CONSUMER_DELETE_TYPE)) return;
  guarded(r, CONSUMER_DELETE_TYPE, '', () => {
    const stream = lookup(r, r.tokens[4]!);
    const c = consumer(stream, r.tokens[5]!);
    void stream.deleteConsumer(c);
    r.jsa.respond(r.reply, `{"type":"${CONSUMER_DELETE_TYPE}","success":true}`, false);
  });
}

/** The consumers that are not `direct` (nats-server's getPublicConsumers: a mirror's or source's own are not listed). */
function publicConsumers(stream: Stream): Consumer[] {
  return ([...stream.consumers.values()] as Consumer[]).filter((c) => !c.cfg.direct);
}

function sortedConsumers(stream: Stream): Consumer[] {
  return publicConsumers(stream).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function consumerNames(r: Request): void {
  const tail = ',"total":0,"offset":0,"limit":0,"consumers":[]';
  if (!enabled(r, CONSUMER_NAMES_TYPE, tail)) return;
  guarded(r, CONSUMER_NAMES_TYPE, tail, () => {
    const want = isEmptyRequest(r.body) ? 0 : num(object(r.body).offset);
    const all = sortedConsumers(lookup(r, r.tokens[4]!));
    const offset = Math.min(want, all.length);
    const names = all.slice(offset, offset + NAMES_LIMIT).map((c) => c.name);
    r.jsa.respond(r.reply, `{"type":"${CONSUMER_NAMES_TYPE}","total":${all.length},"offset":${offset},"limit":${NAMES_LIMIT},"consumers":${goJSON(names)}}`, false);
  });
}

function consumerList(r: Request): void {
  const tail = ',"total":0,"offset":0,"limit":0,"consumers":[]';
  if (!enabled(r, CONSUMER_LIST_TYPE, tail)) return;
  guarded(r, CONSUMER_LIST_TYPE, tail, () => {
    const want = isEmptyRequest(r.body) ? 0 : num(object(r.body).offset);
    const all = sortedConsumers(lookup(r, r.tokens[4]!));
    const offset = Math.min(want, all.length);
    const infos = all.slice(offset, offset + LIST_LIMIT).map((c) => `{${c.renderInfo()}}`);
    r.jsa.respond(r.reply, `{"type":"${CONSUMER_LIST_TYPE}","total":${all.length},"offset":${offset},"limit":${LIST_LIMIT},"consumers":[${infos.join(',')}]}`, false);
  });
}

/** MSG.NEXT: handed to the consumer (a push consumer answers 409); unknown streams and consumers get no reply. */
function msgNext(r: Request): void {
  const stream = r.jsa.streams.get(r.tokens[5]!);
  const c = stream?.consumers.get(r.tokens[6]!) as Consumer | undefined;
  if (c === undefined) return;
  c.nextRequest(r.reply, r.body);
}

