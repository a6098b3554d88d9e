// The compression of a system request's reply, as nats-server 2.9.10's zReq and internal send
// loop choose it from the request's `Accept-Encoding` header (events.go getAcceptEncoding):
// `snappy` or `s2` first, then `gzip`, else `identity` (the body as is). The snappy answer is a
// valid Snappy framing stream made of uncompressed chunks: any snappy stream reader decodes it,
// with no compressor needed here.

import { nodeZlib } from '../util/lazy.js';

const ACCEPT_ENCODING = 'Accept-Encoding';
const CONTENT_ENCODING = 'Content-Encoding';

export type Encoding = 'none' | 'gzip' | 'snappy' | 'identity';

/**
 * nats-server getHeader(Accept-Encoding) then getAcceptEncoding: the key must start a header
 * line and is matched as written; its value is compared lower-cased.
 */
export function acceptEncoding(hdrLen: number, payload: Buffer): Encoding {
  if (hdrLen <= 0) return 'none';
  const hdr = payload.toString('latin1', 0, hdrLen);
  const i = hdr.indexOf(`\r\n${ACCEPT_ENCODING}:`);
  if (i < 0) return 'none';
  const start = i + 2 + ACCEPT_ENCODING.length + 1;
  const end = hdr.indexOf('\r\n', start);
  const ae = hdr.slice(start, end < 0 ? hdr.length : end).trim().toLowerCase();
  if (ae === '') return 'none';
  if (ae.includes('snappy') || ae.includes('s2')) return 'snappy';
  if (ae.includes('gzip')) return 'gzip';
  return 'identity';
}

/** The reply's payload and header length for `enc` (-1 = no headers). */
export function encodeReply(json: string, enc: Encoding): { hdrLen: number; payload: Buffer } {
  const body = Buffer.from(json, 'utf8');
  if (enc === 'none') return { hdrLen: -1, payload: body };
  const data = body.length === 0 ? body : enc === 'gzip' ? nodeZlib().gzipSync(body) : enc === 'snappy' ? snappyFrame(body) : body;
  const hdr = Buffer.from(`NATS/1.0\r\n${CONTENT_ENCODING}: ${enc}\r\n\r\n`, 'latin1');
  return { hdrLen: hdr.length, payload: Buffer.concat([hdr, data]) };
}

/** Snappy framing: the stream identifier, then uncompressed-data chunks of at most 64 KiB. */
const STREAM_ID = Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]);
const MAX_CHUNK = 65536;
const CHUNK_UNCOMPRESSED = 0x01;

function snappyFrame(data: Buffer): Buffer {
  const parts: Buffer[] = [STREAM_ID];
  for (let off = 0; off < data.length; off += MAX_CHUNK) {
    const chunk = data.subarray(off, Math.min(off + MAX_CHUNK, data.length));
    const head = Buffer.alloc(8);
    const len = chunk.length + 4;
    head[0] = CHUNK_UNCOMPRESSED;
    head[1] = len & 0xff;
    head[2] = (len >>> 8) & 0xff;
    head[3] = (len >>> 16) & 0xff;
    head.writeUInt32LE(maskedCrc(chunk), 4);
    parts.push(head, chunk);
  }
  return Buffer.concat(parts);
}

/** CRC-32C (Castagnoli), reflected, as the snappy framing format checksums chunks. */
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32c(buf: Buffer): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The framing format's masked checksum. */
function maskedCrc(buf: Buffer): number {
  const c = crc32c(buf);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}
