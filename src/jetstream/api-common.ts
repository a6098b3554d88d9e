// What every `$JS.API` handler shares (api.ts: account and streams; consumer-api.ts: consumers):
// the request, nats-server's isEmptyRequest, the error response and its counting, and the
// decoding of request fields as Go's json.Unmarshal does.

import { JsApiError, JSInvalidJSONErr, JSNotEnabledForAccountErr, JSStreamNotFoundErr, type ApiError } from './errors.js';
import type { JsAccount } from './jetstream.js';
import { goJSON, parseBody } from './json.js';
import type { Stream } from './stream.js';

/** One request as a handler sees it. */
export interface Request {
  readonly jsa: JsAccount;
  readonly subject: string;
  readonly tokens: string[];
  readonly reply: Buffer | null;
  readonly hdr: Buffer;
  readonly body: Buffer;
}

export type Handler = (r: Request) => void;

/** nats-server's isEmptyRequest: no body, `{}`, or any empty JSON object. */
export function isEmptyRequest(body: Buffer): boolean {
  if (body.length === 0) return true;
  try {
    const v = JSON.parse(body.toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;
  } catch {
    return false;
  }
}

export function errorJSON(type: string, err: ApiError, tail = ''): string {
  return `{"type":"${type}","error":${goJSON(err)}${tail}}`;
}

/**
 * Runs `fn`; a JsApiError it throws is answered as `type`'s error (with `tail`, the fields the
 * response struct renders after `error`). Returns false when an error was answered.
 */
export function guarded(r: Request, type: string, tail: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof JsApiError)) throw e;
    r.jsa.respond(r.reply, errorJSON(type, e.apiError, tail), true);
  }
}

/** Answers 10039 when the account has no JetStream; returns whether it has. */
export function enabled(r: Request, type: string, tail = ''): boolean {
  if (r.jsa.enabled) return true;
  r.jsa.respond(r.reply, errorJSON(type, JSNotEnabledForAccountErr, tail), true);
  return false;
}

/** The request body as a JSON object (JSInvalidJSONErr otherwise). */
export function object(body: Buffer): Record<string, unknown> {
  const v = parseBody(body);
  if (v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new JsApiError(JSInvalidJSONErr);
  return v as Record<string, unknown>;
}

/** A JSON field as Go decodes it into an int / uint64 / string / bool field. */
export function num(v: unknown, unsigned = false): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || (unsigned && v < 0)) throw new JsApiError(JSInvalidJSONErr);
  return v;
}
export function text(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new JsApiError(JSInvalidJSONErr);
  return v;
}
export function flag(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new JsApiError(JSInvalidJSONErr);
  return v;
}

export function lookup(r: Request, name: string): Stream {
  const s = r.jsa.streams.get(name);
  if (s === undefined) throw new JsApiError(JSStreamNotFoundErr);
  return s;
}

