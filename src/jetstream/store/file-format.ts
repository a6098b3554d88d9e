// The on-disk records of the file store (docs/jetstream-store.md has the full description).
//
// A block file is a 16-byte header then records, appended and never rewritten in place except
// by erase (a record overwritten by an erased record of the same length) and by compaction
// (a new file renamed over the old one).
//   header: u32 magic 'TSNB' | u32 version (2) | f64 base (the first sequence the block may hold)
//   record: u32 length (whole record) | u32 crc32 of bytes [8, length) | f64 seq | f64 ts (ms)
//           | u8 kind, 0x80 set when a header length follows | u16 subject length
//           | [u32 header length] | subject | hdr | msg
// All numbers little endian, unaligned. The payload length is what is left of `length`. A record
// is 27 bytes + subject + payload without headers, 31 + subject + headers + payload with them:
// always nats-server's accounted size (fileStoreMsgSize) - 3.
import type { Crc32Fn } from '../../util/crc32.js';

export const BLOCK_MAGIC = 0x424e5354; // 'TSNB' read as a little-endian u32
export const BLOCK_VERSION = 2;
export const BLOCK_HDR = 16;
/** The record header without the header length field (a record without headers, a meta record). */
export const REC_HDR = 27;
/** The kind byte's flag: a u32 header length follows the subject length. */
const HAS_HDR = 0x80;

/** A stored message. */
export const KIND_MSG = 0;
/** The message at `seq` was removed. */
export const KIND_TOMB = 1;
/** Every message below `seq` was removed (written when the first sequence moves). */
export const KIND_FIRST = 2;
/** `seq` was used without a message (StreamStore.skip). */
export const KIND_SKIP = 3;
/** A message erased in place: same length, body zeroed, kept only so the block stays walkable. */
export const KIND_ERASED = 4;

/** nats-server's fileStoreMsgSize overhead: a stored message counts subject + hdr + msg + 30. */
export const MSG_OVERHEAD = 30;
/** fileStoreMsgSize counts 4 bytes more (its header length field) for a message with headers. */
export const HDR_OVERHEAD = 4;
/** A record is its accounted size (fileStoreMsgSize) + REC_EXTRA bytes, with or without headers. */
export const REC_EXTRA = REC_HDR - MSG_OVERHEAD;

/** The length of a record holding a message. */
export function recordLen(subjLen: number, hdrLen: number, msgLen: number): number {
  return REC_HDR + subjLen + msgLen + (hdrLen > 0 ? HDR_OVERHEAD + hdrLen : 0);
}

/** nats-server's fileStoreMsgSize: the bytes a stored message counts in `bytes` and `max_bytes`. */
export function fileStoreMsgSize(subjectLen: number, hdrLen: number, msgLen: number): number {
  return subjectLen + hdrLen + msgLen + MSG_OVERHEAD + (hdrLen > 0 ? HDR_OVERHEAD : 0);
}

export function writeBlockHeader(buf: Buffer, base: number): void {
  buf.writeUInt32LE(BLOCK_MAGIC, 0);
  buf.writeUInt32LE(BLOCK_VERSION, 4);
  buf.writeDoubleLE(base, 8);
}

/** The base of a block whose first bytes are `buf`, or -1 when the header is not ours. */
export function readBlockHeader(buf: Buffer): number {
  if (buf.length < BLOCK_HDR || buf.readUInt32LE(0) !== BLOCK_MAGIC || buf.readUInt32LE(4) !== BLOCK_VERSION) return -1;
  const base = buf.readDoubleLE(8);
  return Number.isSafeInteger(base) && base >= 1 ? base : -1;
}

/** Where the subject of a record starts, once its header is written (recBody): after the header length field when it has one. */
export const bodyAt = (at: number, hdrLen: number): number => at + REC_HDR + (hdrLen > 0 ? HDR_OVERHEAD : 0);

/** Writes a record header at `at` (the body is already in place at bodyAt) and seals it with its checksum (`crc`). */
export function sealRecord(buf: Buffer, at: number, len: number, seq: number, ts: number, kind: number, subjLen: number, hdrLen: number, crc: Crc32Fn): void {
  buf.writeUInt32LE(len, at);
  buf.writeDoubleLE(seq, at + 8);
  buf.writeDoubleLE(ts, at + 16);
  buf[at + 24] = hdrLen > 0 ? kind | HAS_HDR : kind;
  buf[at + 25] = subjLen & 0xff;
  buf[at + 26] = subjLen >>> 8;
  if (hdrLen > 0) buf.writeUInt32LE(hdrLen, at + REC_HDR);
  buf.writeUInt32LE(crc(buf, at + 8, at + len), at + 4);
}

/**
 * Checks the record at `at` in buf[0, end): its length is sane and its checksum (`crc`) matches.
 * Returns the record length, or 0 when it is not a whole good record.
 */
export function checkRecord(buf: Buffer, at: number, end: number, crc: Crc32Fn): number {
  if (end - at < REC_HDR) return 0;
  const len = buf.readUInt32LE(at);
  if (len < REC_HDR || len > end - at) return 0;
  const k = buf[at + 24];
  if ((k & ~HAS_HDR) > KIND_ERASED) return 0;
  if (k & HAS_HDR) {
    if (len < REC_HDR + HDR_OVERHEAD || REC_HDR + HDR_OVERHEAD + recSubjLen(buf, at) + buf.readUInt32LE(at + REC_HDR) > len) return 0;
  } else if (REC_HDR + recSubjLen(buf, at) > len) return 0;
  if (buf.readUInt32LE(at + 4) !== crc(buf, at + 8, at + len)) return 0;
  return len;
}

export const recSeq = (buf: Buffer, at: number): number => buf.readDoubleLE(at + 8);
export const recTs = (buf: Buffer, at: number): number => buf.readDoubleLE(at + 16);
export const recKind = (buf: Buffer, at: number): number => buf[at + 24] & ~HAS_HDR;
export const recSubjLen = (buf: Buffer, at: number): number => buf[at + 25] | (buf[at + 26] << 8);
export const recHdrLen = (buf: Buffer, at: number): number => (buf[at + 24] & HAS_HDR ? buf.readUInt32LE(at + REC_HDR) : 0);
/** Where the subject of the record at `at` starts (then the headers, then the payload). */
export const recBody = (buf: Buffer, at: number): number => at + REC_HDR + (buf[at + 24] & HAS_HDR ? HDR_OVERHEAD : 0);
