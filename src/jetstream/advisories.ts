// JetStream advisories and metrics (nats-server's jetstream_events.go and the subjects of
// jetstream_api.go): the JSON of each event, field for field in the order and with the
// omitempty of nats-server's structs, and the subjects they are published on. Each event starts
// with nats-server's TypedEvent (`type`, `id` a nuid, `timestamp` RFC 3339). They are published
// in the account the event belongs to, as nats-server's publishAdvisory does.

import { randomToken } from '../accounts/account.js';
import { goJSON, rfc3339 } from './json.js';

export const JS_API_AUDIT = '$JS.EVENT.ADVISORY.API';
export const STREAM_CREATED_PRE = '$JS.EVENT.ADVISORY.STREAM.CREATED';
export const STREAM_DELETED_PRE = '$JS.EVENT.ADVISORY.STREAM.DELETED';
export const STREAM_UPDATED_PRE = '$JS.EVENT.ADVISORY.STREAM.UPDATED';
export const CONSUMER_CREATED_PRE = '$JS.EVENT.ADVISORY.CONSUMER.CREATED';
export const CONSUMER_DELETED_PRE = '$JS.EVENT.ADVISORY.CONSUMER.DELETED';
export const CONSUMER_MAX_DELIVERIES_PRE = '$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES';
export const CONSUMER_MSG_NAKED_PRE = '$JS.EVENT.ADVISORY.CONSUMER.MSG_NAKED';
export const CONSUMER_MSG_TERMINATED_PRE = '$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED';
export const CONSUMER_ACK_METRIC_PRE = '$JS.EVENT.METRIC.CONSUMER.ACK';

const API_AUDIT_TYPE = 'io.nats.jetstream.advisory.v1.api_audit';
const STREAM_ACTION_TYPE = 'io.nats.jetstream.advisory.v1.stream_action';
const CONSUMER_ACTION_TYPE = 'io.nats.jetstream.advisory.v1.consumer_action';
const ACK_METRIC_TYPE = 'io.nats.jetstream.metric.v1.consumer_ack';
const MAX_DELIVER_TYPE = 'io.nats.jetstream.advisory.v1.max_deliver';
const NAK_TYPE = 'io.nats.jetstream.advisory.v1.nak';
const TERMINATED_TYPE = 'io.nats.jetstream.advisory.v1.terminated';

/** nats-server's ActionAdvisoryType. */
export type Action = 'create' | 'delete' | 'modify';

const NUID_DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** The sequence part's ceiling: 10 base-62 digits hold it, and it stays an exact integer. */
const NUID_MAX_SEQ = 2 ** 52;

/** nats.go's nuid: a 12-digit random prefix and a 10-digit sequence with a random step (22 base-62 digits). */
class Nuid {
  private pre = randomToken(12);
  private seq = Math.floor(Math.random() * NUID_MAX_SEQ);
  private inc = 33 + Math.floor(Math.random() * 300);

  next(): string {
    this.seq += this.inc;
    if (this.seq >= NUID_MAX_SEQ) {
      this.pre = randomToken(12);
      this.seq = Math.floor(Math.random() * (NUID_MAX_SEQ / 2));
      this.inc = 33 + Math.floor(Math.random() * 300);
    }
    let s = '';
    for (let n = this.seq, i = 0; i < 10; i++, n = Math.floor(n / 62)) s = NUID_DIGITS[n % 62] + s;
    return this.pre + s;
  }
}

const nuid = new Nuid();

/** TypedEvent's fields (without braces). */
function typed(type: string): string {
  return `"type":"${type}","id":"${nuid.next()}","timestamp":"${rfc3339(Date.now())}"`;
}

function domainField(domain: string): string {
  return domain !== '' ? `,"domain":${goJSON(domain)}` : '';
}

/** The requester as nats-server's ClientInfo renders it for a client's own request (`acc`, `rtt` in ns, `server`, `cluster`). */
export function clientInfo(account: string, rttNs: number, server: string, cluster: string): string {
  let s = `{"acc":${goJSON(account)}`;
  if (rttNs > 0) s += `,"rtt":${rttNs}`;
  if (server !== '') s += `,"server":${goJSON(server)}`;
  if (cluster !== '') s += `,"cluster":${goJSON(cluster)}`;
  return s + '}';
}

/** JSAPIAudit: an API request and its response (`client` a clientInfo() or null). */
export function apiAudit(server: string, client: string | null, subject: string, request: string, response: string, domain: string): string {
  let s = `{${typed(API_AUDIT_TYPE)},"server":${goJSON(server)},"client":${client ?? 'null'},"subject":${goJSON(subject)}`;
  if (request !== '') s += `,"request":${goJSON(request)}`;
  return s + `,"response":${goJSON(response)}${domainField(domain)}}`;
}

/** JSStreamActionAdvisory. */
export function streamAction(stream: string, action: Action, domain: string): string {
  return `{${typed(STREAM_ACTION_TYPE)},"stream":${goJSON(stream)},"action":"${action}"${domainField(domain)}}`;
}

/** JSConsumerActionAdvisory. */
export function consumerAction(stream: string, consumer: string, action: Action, domain: string): string {
  return `{${typed(CONSUMER_ACTION_TYPE)},"stream":${goJSON(stream)},"consumer":${goJSON(consumer)},"action":"${action}"${domainField(domain)}}`;
}

/** JSConsumerAckMetric (`ackTimeNs`: from delivery to ack). */
export function ackMetric(stream: string, consumer: string, cseq: number, sseq: number, ackTimeNs: number, deliveries: number, domain: string): string {
  return (
    `{${typed(ACK_METRIC_TYPE)},"stream":${goJSON(stream)},"consumer":${goJSON(consumer)},"consumer_seq":${cseq},"stream_seq":${sseq}` +
    `,"ack_time":${ackTimeNs},"deliveries":${deliveries}${domainField(domain)}}`
  );
}

/** JSConsumerDeliveryExceededAdvisory. */
export function maxDeliver(stream: string, consumer: string, sseq: number, deliveries: number, domain: string): string {
  return `{${typed(MAX_DELIVER_TYPE)},"stream":${goJSON(stream)},"consumer":${goJSON(consumer)},"stream_seq":${sseq},"deliveries":${deliveries}${domainField(domain)}}`;
}

/** JSConsumerDeliveryNakAdvisory and JSConsumerDeliveryTerminatedAdvisory (the same fields). */
export function deliveryEvent(kind: 'nak' | 'terminated', stream: string, consumer: string, cseq: number, sseq: number, deliveries: number, domain: string): string {
  return (
    `{${typed(kind === 'nak' ? NAK_TYPE : TERMINATED_TYPE)},"stream":${goJSON(stream)},"consumer":${goJSON(consumer)}` +
    `,"consumer_seq":${cseq},"stream_seq":${sseq},"deliveries":${deliveries}${domainField(domain)}}`
  );
}
