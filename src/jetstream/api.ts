// The `$JS.API` requests of one account (nats-server's jetstream_api.go, non-clustered paths):
// account info and the stream requests. A request on a subject no handler has (wrong token
// count, unknown request) gets no reply, as in nats-server, whose handlers are subscriptions on
// exact subject patterns. Replies are answered through the account (JsAccount.respond), with
// the api counters of account info.

import { subjectsCollide } from '../subjects/subject.js';
import {
  JsApiError,
  JSBadRequestErr,
  JSMaximumStreamsLimitErr,
  JSMemoryResourcesExceededErr,
  JSNoMessageFoundErr,
  JSNotEmptyRequestErr,
  JSStorageResourcesExceededErr,
  JSStreamMismatchErr,
  JSStreamNameContainsPathSeparatorsErr,
  JSStreamNameExistErr,
  JSStreamReplicasNotSupportedErr,
  JSStreamSealedErr,
  JSStreamSubjectOverlapErr,
  sequenceNotFound,
  streamInvalidConfig,
  streamMsgDeleteFailed,
  streamGeneralError,
  streamPurgeFailed,
} from './errors.js';
import type { JsAccount } from './jetstream.js';
import { decodeStreamConfig, goJSON, jsonTime, sameConfig, type StreamConfig } from './json.js';
import { getHeader, type Stream } from './stream.js';
import { enabled, errorJSON, flag, guarded, isEmptyRequest, lookup, num, object, text, type Handler, type Request } from './api-common.js';
import { checkStreamCfg, configUpdateCheck, type StreamLookup } from './stream-config.js';
import { consumerRoute } from './consumer-api.js';

const T = 'io.nats.jetstream.api.v1.';
export const ACCOUNT_INFO_TYPE = T + 'account_info_response';
export const STREAM_CREATE_TYPE = T + 'stream_create_response';
export const STREAM_UPDATE_TYPE = T + 'stream_update_response';
export const STREAM_INFO_TYPE = T + 'stream_info_response';
export const STREAM_NAMES_TYPE = T + 'stream_names_response';
export const STREAM_LIST_TYPE = T + 'stream_list_response';
export const STREAM_DELETE_TYPE = T + 'stream_delete_response';
export const STREAM_PURGE_TYPE = T + 'stream_purge_response';
export const MSG_DELETE_TYPE = T + 'stream_msg_delete_response';
export const MSG_GET_TYPE = T + 'stream_msg_get_response';

/** nats-server's JSApiNamesLimit, JSApiListLimit and JSMaxSubjectDetails. */
const NAMES_LIMIT = 1024;
const LIST_LIMIT = 256;
const MAX_SUBJECT_DETAILS = 100_000;

/** `$JS.API.<tokens>` → handler, by the token count and the tokens that name the request. */
function route(tokens: string[]): Handler | null {
  const n = tokens.length;
  if (tokens[2] === 'INFO' && n === 3) return accountInfo;
  if (tokens[2] === 'CONSUMER') return consumerRoute(tokens);
  if (tokens[2] !== 'STREAM') return null;
  const op = tokens[3];
  if (n === 4 && op === 'NAMES') return streamNames;
  if (n === 4 && op === 'LIST') return streamList;
  if (n === 5) {
    switch (op) {
      case 'CREATE':
        return streamCreate;
      case 'UPDATE':
        return streamUpdate;
      case 'INFO':
        return streamInfo;
      case 'DELETE':
        return streamDelete;
      case 'PURGE':
        return streamPurge;
    }
  }
  if (n === 6 && op === 'MSG' && tokens[4] === 'GET') return msgGet;
  if (n === 6 && op === 'MSG' && tokens[4] === 'DELETE') return msgDelete;
  return null;
}

/** The `$JS.API.>` subscription's handler for one account. */
export function handleApi(jsa: JsAccount, subjectBuf: Buffer, reply: Buffer | null, hdrLen: number, payload: Buffer): void {
  const subject = subjectBuf.toString('latin1');
  const tokens = subject.split('.');
  const handler = route(tokens);
  if (handler === null) return;
  const hdr = hdrLen > 0 ? payload.subarray(0, hdrLen) : Buffer.alloc(0);
  const body = hdrLen > 0 ? payload.subarray(hdrLen) : payload;
  handler({ jsa, subject, tokens, reply, hdr, body });
}

// ---- account info ----

function accountInfo(r: Request): void {
  if (!enabled(r, ACCOUNT_INFO_TYPE)) return;
  const jsa = r.jsa;
  const l = jsa.limits!;
  const consumers = jsa.consumerCount() + jsa.sourcingConsumerCount();
  let json = `{"type":"${ACCOUNT_INFO_TYPE}","memory":${jsa.used('memory')},"storage":${jsa.used('file')}`;
  json += `,"streams":${jsa.streams.size},"consumers":${consumers}`;
  json += `,"limits":{"max_memory":${l.maxMemory},"max_storage":${l.maxStore},"max_streams":${l.maxStreams},"max_consumers":${l.maxConsumers}`;
  json += `,"max_ack_pending":${l.maxAckPending},"memory_max_stream_bytes":${l.memoryMaxStreamBytes},"storage_max_stream_bytes":${l.storeMaxStreamBytes}`;
  json += `,"max_bytes_required":${l.maxBytesRequired}}`;
  const domain = jsa.js.config.domain;
  if (domain !== '') json += `,"domain":${goJSON(domain)}`;
  json += `,"api":{"total":${jsa.apiTotal},"errors":${jsa.apiErrors}}}`;
  jsa.respond(r.reply, json, false);
}

// ---- streams ----

/** nats-server's jsNonClusteredStreamLimitsCheck + checkAllLimits for a new stream. */
function checkStreamLimits(jsa: JsAccount, cfg: StreamConfig): void {
  const l = jsa.limits!;
  if (l.maxStreams > 0 && jsa.streams.size >= l.maxStreams) throw new JsApiError(JSMaximumStreamsLimitErr);
  checkBytesLimits(jsa, cfg);
}

function checkBytesLimits(jsa: JsAccount, cfg: StreamConfig): void {
  const l = jsa.limits!;
  const add = cfg.max_bytes < 0 ? 1 : cfg.max_bytes;
  const total = add * Math.max(1, cfg.num_replicas);
  const reserved = jsa.reserved(cfg);
  const server = jsa.js.config;
  if (cfg.storage === 'memory') {
    if (l.maxMemory >= 0 && reserved + total > l.maxMemory) throw new JsApiError(JSMemoryResourcesExceededErr);
    if (jsa.js.reservedOnServer(cfg) + add > server.maxMemory) throw new JsApiError(JSMemoryResourcesExceededErr);
  } else {
    if (l.maxStore >= 0 && reserved + total > l.maxStore) throw new JsApiError(JSStorageResourcesExceededErr);
    if (jsa.js.reservedOnServer(cfg) + add > server.maxStore) throw new JsApiError(JSStorageResourcesExceededErr);
  }
}

/** Whether `subjects` overlap another stream's (nats-server's subjectsOverlap). */
function overlaps(jsa: JsAccount, subjects: string[], self: Stream | null): boolean {
  for (const s of jsa.streams.values()) {
    if (s === self) continue;
    for (const a of subjects) for (const b of s.cfg.subjects) if (subjectsCollide(a, b)) return true;
  }
  return false;
}

/** The lookup checkStreamCfg uses for a mirror's or source's origin. */
function configOf(jsa: JsAccount): StreamLookup {
  return (name) => jsa.streams.get(name)?.cfg ?? null;
}

function streamCreate(r: Request): void {
  if (!enabled(r, STREAM_CREATE_TYPE)) return;
  guarded(r, STREAM_CREATE_TYPE, '', () => {
    const jsa = r.jsa;
    const req = decodeStreamConfig(r.body);
    const name = r.tokens[4]!;
    if (name !== req.name) throw new JsApiError(JSStreamMismatchErr);
    if (/[\\/]/.test(name)) throw new JsApiError(JSStreamNameContainsPathSeparatorsErr);
    if (req.sealed) throw new JsApiError(streamInvalidConfig('stream configuration for create can not be sealed'));
    if (req.mirror_direct && req.mirror === null) throw new JsApiError(streamInvalidConfig('stream has no mirror but does have mirror direct'));
    const existing = jsa.streams.get(name);
    if (existing === undefined) checkStreamLimits(jsa, { ...req, storage: req.storage });
    const cfg = checkStreamCfg(req, jsa.limits!, configOf(jsa));
    if (cfg.num_replicas > 1) throw new JsApiError(JSStreamReplicasNotSupportedErr);
    let stream: Stream;
    if (existing !== undefined) {
      if (!sameConfig(existing.cfg, cfg)) throw new JsApiError(JSStreamNameExistErr);
      stream = existing;
    } else {
      if (overlaps(jsa, cfg.subjects, null)) throw new JsApiError(JSStreamSubjectOverlapErr);
      stream = jsa.addStream(cfg);
      jsa.adviseStream(name, 'create');
    }
    jsa.respond(r.reply, `{"type":"${STREAM_CREATE_TYPE}",${stream.renderInfoFields()},"did_create":true}`, false);
  });
}

function streamUpdate(r: Request): void {
  if (!enabled(r, STREAM_UPDATE_TYPE)) return;
  guarded(r, STREAM_UPDATE_TYPE, '', () => {
    const jsa = r.jsa;
    const req = decodeStreamConfig(r.body);
    const checked = checkStreamCfg(req, jsa.limits!, configOf(jsa));
    const name = r.tokens[4]!;
    if (name !== checked.name) throw new JsApiError(JSStreamMismatchErr);
    const stream = lookup(r, name);
    const cfg = configUpdateCheck(stream.cfg, req, jsa.limits!, configOf(jsa));
    if (cfg.num_replicas > 1) throw new JsApiError(JSStreamReplicasNotSupportedErr);
    if (overlaps(jsa, cfg.subjects, stream)) throw new JsApiError(JSStreamSubjectOverlapErr);
    if (cfg.max_bytes > stream.cfg.max_bytes) checkBytesLimits(jsa, cfg);
    stream.update(cfg);
    jsa.saveStreamMeta(stream);
    jsa.adviseStream(name, 'modify');
    const domain = jsa.js.config.domain;
    const tail = domain !== '' ? `,"domain":${goJSON(domain)}` : '';
    jsa.respond(r.reply, `{"type":"${STREAM_UPDATE_TYPE}",${stream.renderInfoFields()}${tail}${stream.renderSourcing()}}`, false);
  });
}

const NO_PAGE = ',"total":0,"offset":0,"limit":0';

function streamInfo(r: Request): void {
  const type = getHeader(r.hdr, 'Nats-Response-Type') === 'create' ? STREAM_CREATE_TYPE : STREAM_INFO_TYPE;
  if (!enabled(r, type, NO_PAGE)) return;
  guarded(r, type, NO_PAGE, () => {
    let details = false;
    let filter = '';
    let offset = 0;
    if (!isEmptyRequest(r.body)) {
      const o = object(r.body);
      details = flag(o.deleted_details);
      filter = text(o.subjects_filter);
      offset = num(o.offset);
    }
    const stream = lookup(r, r.tokens[4]!);
    let page = NO_PAGE;
    let subjects: Map<string, number> | null = null;
    if (filter !== '') {
      const mss = stream.store.subjectsState(filter);
      if (mss.size > 0) {
        const names = [...mss.keys()].sort();
        offset = Math.min(offset, names.length);
        const end = Math.min(offset + MAX_SUBJECT_DETAILS, names.length);
        subjects = new Map();
        for (const s of names.slice(offset, end)) subjects.set(s, mss.get(s)!.msgs);
        page = `,"total":${mss.size},"offset":${offset},"limit":${MAX_SUBJECT_DETAILS}`;
      }
    }
    const domain = r.jsa.js.config.domain;
    const tail = domain !== '' ? `,"domain":${goJSON(domain)}` : '';
    r.jsa.respond(r.reply, `{"type":"${type}"${page},${stream.renderInfoFields(details, subjects)}${tail}${stream.renderSourcing()}}`, false);
  });
}

/** The NAMES / LIST request body: offset and subject filter. */
function pagedRequest(r: Request): { offset: number; filter: string } {
  if (isEmptyRequest(r.body)) return { offset: 0, filter: '' };
  const o = object(r.body);
  return { offset: num(o.offset), filter: text(o.subject) };
}

/** The account's streams, sorted by name, whose subjects collide with `filter` ('' = all). */
function filteredStreams(jsa: JsAccount, filter: string): Stream[] {
  const all = [...jsa.streams.values()].filter((s) => filter === '' || s.cfg.subjects.some((subj) => subjectsCollide(filter, subj)));
  return all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function streamNames(r: Request): void {
  if (!enabled(r, STREAM_NAMES_TYPE, NO_PAGE + ',"streams":null')) return;
  guarded(r, STREAM_NAMES_TYPE, NO_PAGE + ',"streams":null', () => {
    const { offset: want, filter } = pagedRequest(r);
    const streams = filteredStreams(r.jsa, filter);
    const offset = Math.min(want, streams.length);
    const names = streams.slice(offset, offset + NAMES_LIMIT).map((s) => s.name);
    const list = names.length > 0 ? goJSON(names) : 'null';
    r.jsa.respond(r.reply, `{"type":"${STREAM_NAMES_TYPE}","total":${streams.length},"offset":${offset},"limit":${NAMES_LIMIT},"streams":${list}}`, false);
  });
}

function streamList(r: Request): void {
  if (!enabled(r, STREAM_LIST_TYPE, NO_PAGE + ',"streams":[]')) return;
  guarded(r, STREAM_LIST_TYPE, NO_PAGE + ',"streams":[]', () => {
    const { offset: want, filter } = pagedRequest(r);
    const streams = filteredStreams(r.jsa, filter);
    const offset = Math.min(want, streams.length);
    const domain = r.jsa.js.config.domain;
    const tail = domain !== '' ? `,"domain":${goJSON(domain)}` : '';
    const infos = streams.slice(offset, offset + LIST_LIMIT).map((s) => `{${s.renderInfoFields()}${tail}${s.renderSourcing()}}`);
    r.jsa.respond(r.reply, `{"type":"${STREAM_LIST_TYPE}","total":${streams.length},"offset":${offset},"limit":${LIST_LIMIT},"streams":[${infos.join(',')}]}`, false);
  });
}

function streamDelete(r: Request): void {
  if (!enabled(r, STREAM_DELETE_TYPE)) return;
  guarded(r, STREAM_DELETE_TYPE, '', () => {
    if (!isEmptyRequest(r.body)) throw new JsApiError(JSNotEmptyRequestErr);
    const stream = lookup(r, r.tokens[4]!);
    void r.jsa.deleteStream(stream);
    r.jsa.respond(r.reply, `{"type":"${STREAM_DELETE_TYPE}","success":true}`, false);
  });
}

function streamPurge(r: Request): void {
  const tail = ',"purged":0';
  if (!enabled(r, STREAM_PURGE_TYPE, tail)) return;
  guarded(r, STREAM_PURGE_TYPE, tail, () => {
    let filter = '';
    let seq = 0;
    let keep = 0;
    // An empty request purges for every consumer, any other only for those its filter concerns (Stream.purge).
    const all = isEmptyRequest(r.body);
    if (!all) {
      const o = object(r.body);
      seq = num(o.seq, true);
      filter = text(o.filter);
      keep = num(o.keep, true);
      if (seq > 0 && keep > 0) throw new JsApiError(JSBadRequestErr);
    }
    const stream = lookup(r, r.tokens[4]!);
    if (stream.cfg.sealed) throw new JsApiError(JSStreamSealedErr);
    if (stream.cfg.deny_purge) throw new JsApiError(streamPurgeFailed('stream purge not permitted'));
    let purged: number;
    try {
      purged = stream.purge(all ? null : { filter, seq, keep });
    } catch (e) {
      // nats-server answers a failed purge through sendAPIResponse: not counted as an error.
      r.jsa.respond(r.reply, errorJSON(STREAM_PURGE_TYPE, streamGeneralError((e as Error).message), ',"purged":0'), false);
      return;
    }
    r.jsa.respond(r.reply, `{"type":"${STREAM_PURGE_TYPE}","success":true,"purged":${purged}}`, false);
  });
}

function msgDelete(r: Request): void {
  if (!enabled(r, MSG_DELETE_TYPE)) return;
  guarded(r, MSG_DELETE_TYPE, '', () => {
    if (isEmptyRequest(r.body)) throw new JsApiError(JSBadRequestErr);
    const o = object(r.body);
    const seq = num(o.seq, true);
    const noErase = flag(o.no_erase);
    const stream = lookup(r, r.tokens[5]!);
    if (stream.cfg.sealed) throw new JsApiError(JSStreamSealedErr);
    if (stream.cfg.deny_delete) throw new JsApiError(streamMsgDeleteFailed('message delete not permitted'));
    // nats-server answers a missing sequence through sendAPIResponse: not counted as an error.
    // Its file store fails a sequence outside [first, last] (or 0) with an error of its own.
    const st = stream.store.type === 'file' ? stream.store.state() : null;
    if (st !== null && (seq === 0 || seq < st.firstSeq || seq > st.lastSeq)) {
      const err = seq === 0 || seq <= st.lastSeq ? 'no message found' : 'stream store EOF';
      r.jsa.respond(r.reply, errorJSON(MSG_DELETE_TYPE, streamMsgDeleteFailed(err)), false);
    } else if (!stream.removeMsg(seq, !noErase)) r.jsa.respond(r.reply, errorJSON(MSG_DELETE_TYPE, sequenceNotFound(seq)), false);
    else r.jsa.respond(r.reply, `{"type":"${MSG_DELETE_TYPE}","success":true}`, false);
  });
}

function msgGet(r: Request): void {
  if (!enabled(r, MSG_GET_TYPE)) return;
  guarded(r, MSG_GET_TYPE, '', () => {
    if (isEmptyRequest(r.body)) throw new JsApiError(JSBadRequestErr);
    const o = object(r.body);
    const seq = num(o.seq, true);
    const last = text(o.last_by_subj);
    const next = text(o.next_by_subj);
    if ((seq > 0 && last !== '') || (seq === 0 && last === '' && next === '')) throw new JsApiError(JSBadRequestErr);
    if (last !== '' && next !== '') throw new JsApiError(JSBadRequestErr);
    const stream = lookup(r, r.tokens[5]!);
    const st = stream.store;
    const sm = seq > 0 && next === '' ? st.load(seq) : next !== '' ? st.loadNext(next, seq) : st.loadLast(last);
    if (sm === null) throw new JsApiError(JSNoMessageFoundErr);
    let m = `{"subject":${goJSON(sm.subject)},"seq":${sm.seq}`;
    if (sm.hdr.length > 0) m += `,"hdrs":"${sm.hdr.toString('base64')}"`;
    if (sm.msg.length > 0) m += `,"data":"${sm.msg.toString('base64')}"`;
    m += `,"time":${jsonTime(sm.ts)}}`;
    // nats-server sends this one outside the API layer: not counted.
    r.jsa.reply(r.reply, `{"type":"${MSG_GET_TYPE}","message":${m}}`);
  });
}
