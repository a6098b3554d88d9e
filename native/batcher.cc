// hot path: no allocation per message, no I/O
//
// C++ twin of src/protocol/batcher.ts (see it for the frame formats, which follow nats-server
// client.go msgHeader/deliverMsg). Any change here must be made there too (batcher test).
#include "batcher.h"

#include <cstring>

#include "layout.h"

namespace tsnats {
namespace {

inline int64_t DecimalLength(int32_t v) {
  int64_t l = 1;
  while (v >= 10) {
    v /= 10;
    l++;
  }
  return l;
}

inline bool TokenOk(const int32_t* f, int64_t srcLen) {
  return f[0] >= 0 && f[0] <= f[1] && f[1] <= srcLen;
}

inline int64_t TokLen(const int32_t* f) { return static_cast<int64_t>(f[1]) - f[0]; }

// Frame length for a usable record, -1 otherwise (same checks as batcher.ts check()).
int64_t FrameLength(const int32_t* r, int64_t srcLen, int64_t sidLen, bool headers) {
  const int32_t op = r[F_OP];
  const int32_t nargs = r[F_NARGS];
  const int32_t pay = r[F_PAY];
  const int32_t size = r[F_SIZE];
  if (pay < 0 || size < 0 || pay > srcLen || size > srcLen - pay) return -1;
  if (op == OP_PUB) {
    if (nargs != 2 && nargs != 3) return -1;
  } else if (op == OP_HPUB) {
    if (nargs != 3 && nargs != 4) return -1;
    const int32_t hdr = r[F_HDR];
    if (hdr < 0 || hdr > size) return -1;
  } else {
    return -1;
  }
  for (int32_t t = 0; t < nargs; t++) {
    if (!TokenOk(r + F_A0S + 2 * t, srcLen)) return -1;
  }
  int64_t len = TokLen(r + F_A0S) + 1;
  if (sidLen > 0) len += sidLen + 1;
  const int32_t* last = r + F_A0S + 2 * (nargs - 1);
  if (op == OP_PUB) {
    if (nargs == 3) len += TokLen(r + F_A1S) + 1;
    return 4 + len + TokLen(last) + 2 + size + 2;
  }
  if (nargs == 4) len += TokLen(r + F_A1S) + 1;
  const int32_t hdr = r[F_HDR];
  if (hdr > 0) {
    if (headers) return 5 + len + TokLen(last - 2) + 1 + TokLen(last) + 2 + size + 2;
    const int32_t body = size - hdr;
    return 4 + len + DecimalLength(body) + 2 + body + 2;
  }
  return 4 + len + TokLen(last) + 2 + size + 2;
}

inline uint8_t* Copy(uint8_t* o, const uint8_t* src, int32_t a, int32_t b) {
  const size_t n = static_cast<size_t>(b - a);
  if (n > 0) std::memcpy(o, src + a, n);
  return o + n;
}

inline uint8_t* CopyTok(uint8_t* o, const uint8_t* src, const int32_t* f) {
  return Copy(o, src, f[0], f[1]);
}

inline uint8_t* WriteDecimal(uint8_t* o, int32_t v) {
  const int64_t l = DecimalLength(v);
  uint8_t* k = o + l;
  do {
    *--k = static_cast<uint8_t>('0' + v % 10);
    v /= 10;
  } while (v > 0);
  return o + l;
}

// Writes a frame for a record already checked by FrameLength.
uint8_t* WriteFrame(uint8_t* o, const uint8_t* src, const int32_t* r, const uint8_t* sid,
                    size_t sidLen, bool headers) {
  const int32_t op = r[F_OP];
  const int32_t nargs = r[F_NARGS];
  const int32_t pay = r[F_PAY];
  const int32_t size = r[F_SIZE];
  const int32_t hdr = op == OP_HPUB ? r[F_HDR] : 0;
  const bool hmsg = hdr > 0 && headers;
  if (hmsg) *o++ = 'H';
  *o++ = 'M';
  *o++ = 'S';
  *o++ = 'G';
  *o++ = ' ';
  o = CopyTok(o, src, r + F_A0S);
  *o++ = ' ';
  if (sidLen > 0) {
    std::memcpy(o, sid, sidLen);
    o += sidLen;
    *o++ = ' ';
  }
  if ((op == OP_PUB && nargs == 3) || (op == OP_HPUB && nargs == 4)) {
    o = CopyTok(o, src, r + F_A1S);
    *o++ = ' ';
  }
  const int32_t* last = r + F_A0S + 2 * (nargs - 1);
  int32_t a = pay;
  if (hdr > 0 && !headers) {
    o = WriteDecimal(o, size - hdr);
    a = pay + hdr;
  } else {
    if (hmsg) {
      o = CopyTok(o, src, last - 2);
      *o++ = ' ';
    }
    o = CopyTok(o, src, last);
  }
  *o++ = '\r';
  *o++ = '\n';
  o = Copy(o, src, a, pay + size);
  *o++ = '\r';
  *o++ = '\n';
  return o;
}

}  // namespace

int32_t WriteMsgs(uint8_t* dst, size_t dstLen, int32_t dstOff, const uint8_t* src, size_t srcLen,
                  const int32_t* recs, size_t recsLen, int32_t firstRec, int32_t count,
                  const uint8_t* sid, size_t sidLen, bool headers, int32_t* endOff) {
  *endOff = dstOff;
  if (dstOff < 0 || static_cast<size_t>(dstOff) > dstLen || firstRec < 0 || count <= 0) return 0;
  const int64_t nrecs = static_cast<int64_t>(recsLen / REC_STRIDE);
  if (firstRec >= nrecs) return 0;
  if (count > nrecs - firstRec) count = static_cast<int32_t>(nrecs - firstRec);
  // Offsets live in int32 records: clamp what we consider addressable.
  const int64_t srcMax = srcLen > 0x7fffffff ? 0x7fffffff : static_cast<int64_t>(srcLen);
  int64_t o = dstOff;
  int32_t i = 0;
  for (; i < count; i++) {
    const int32_t* r = recs + static_cast<size_t>(firstRec + i) * REC_STRIDE;
    const int64_t need = FrameLength(r, srcMax, static_cast<int64_t>(sidLen), headers);
    if (need < 0 || need > static_cast<int64_t>(dstLen) - o) break;
    o = WriteFrame(dst + o, src, r, sid, sidLen, headers) - dst;
  }
  *endOff = static_cast<int32_t>(o);
  return i;
}

}  // namespace tsnats
