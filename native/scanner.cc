// hot path: no allocation per message, no I/O
//
// C++ twin of src/protocol/scanner.ts; see that file for the full contract and the nats-server
// parser.go rules it mirrors. Any change here must be made there too (scanner-diff test).
#include "scanner.h"

#include <cstring>

#include "layout.h"

namespace tsnats {
namespace {

constexpr uint8_t LF = 10;
constexpr uint8_t CR = 13;
constexpr uint8_t SP = 32;
constexpr uint8_t TAB = 9;
constexpr int64_t kMaxBuffer = 0x40000000;  // SCAN_MAX_BUFFER in scanner.ts

enum Kind { K_LINE, K_SEP, K_OPT };

inline bool IsBlank(uint8_t c) { return c == SP || c == TAB; }

inline void ClearRec(int32_t* r) {
  for (int i = 1; i < REC_STRIDE; i++) r[i] = -1;
}

inline void ErrRec(int32_t* r, int32_t opStart, int32_t code, int64_t pos) {
  ClearRec(r);
  r[F_OP] = OP_ERROR;
  r[F_START] = opStart;
  r[F_NARGS] = code;
  r[F_PAY] = static_cast<int32_t>(pos);
}

inline void PartialRec(int32_t* r, int32_t opStart, int64_t keep) {
  ClearRec(r);
  r[F_OP] = OP_PARTIAL;
  r[F_PAY] = opStart;
  r[F_A0S] = static_cast<int32_t>(keep);
}

// nats-server parseSize: 1-9 ASCII digits, else -1.
inline int32_t ParseSize(const uint8_t* buf, int32_t a, int32_t b) {
  const int32_t l = b - a;
  if (l < 1 || l > 9) return -1;
  int32_t n = 0;
  for (int32_t k = a; k < b; k++) {
    const int32_t d = static_cast<int32_t>(buf[k]) - '0';
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

inline int32_t Fnv1a(const uint8_t* buf, int32_t a, int32_t b) {
  uint32_t h = FNV_OFFSET;
  for (int32_t k = a; k < b; k++) {
    h ^= buf[k];
    h *= FNV_PRIME;
  }
  return static_cast<int32_t>(h);
}

// Splits [a, b) into tokens, stores the first four in r's A-fields, returns the token count.
// crlf: CR and LF separate too (client.go splitArg), else only space/tab (processPub).
template <bool crlf>
inline int32_t Tokenize(const uint8_t* buf, int32_t a, int32_t b, int32_t* r) {
  int32_t nt = 0;
  int32_t ts = -1;
  for (int32_t k = a; k < b; k++) {
    const uint8_t c = buf[k];
    const bool sep = crlf ? (c == SP || c == TAB || c == CR || c == LF) : (c == SP || c == TAB);
    if (sep) {
      if (ts >= 0) {
        if (nt < 4) {
          r[F_A0S + 2 * nt] = ts;
          r[F_A0E + 2 * nt] = k;
        }
        nt++;
        ts = -1;
      }
    } else if (ts < 0) {
      ts = k;
    }
  }
  if (ts >= 0) {
    if (nt < 4) {
      r[F_A0S + 2 * nt] = ts;
      r[F_A0E + 2 * nt] = b;
    }
    nt++;
  }
  return nt;
}

inline bool HasCR(const uint8_t* buf, int32_t a, int32_t b) {
  return b > a && std::memchr(buf + a, CR, static_cast<size_t>(b - a)) != nullptr;
}

}  // namespace

int32_t Scan(const uint8_t* buf, size_t len, int32_t start, int32_t end, int32_t maxControlLine,
             int32_t* out, size_t outLen) {
  if (start < 0 || start > end || static_cast<size_t>(end) > len || end > kMaxBuffer) return 0;
  if (out == nullptr) return 0;
  const int64_t mcl = maxControlLine < 0 ? 0 : maxControlLine;
  const int32_t cap = static_cast<int32_t>(outLen / REC_STRIDE);
  int32_t n = 0;
  int32_t p = start;
  while (p < end && n < cap) {
    int32_t* r = out + static_cast<size_t>(n) * REC_STRIDE;
    n++;
    const int32_t s = p;

    // ---- verb ----
    const char* v;  // lower-case verb
    int32_t vl;
    int32_t op;
    Kind kind;
    switch (buf[p]) {
      case 'P':
      case 'p': {
        if (p + 1 >= end) {
          PartialRec(r, s, end);
          return n;
        }
        const uint8_t c1 = buf[p + 1] | 0x20;
        if (c1 == 'u') {
          v = "pub", vl = 3, op = OP_PUB, kind = K_SEP;
        } else if (c1 == 'i') {
          v = "ping", vl = 4, op = OP_PING, kind = K_LINE;
        } else if (c1 == 'o') {
          v = "pong", vl = 4, op = OP_PONG, kind = K_LINE;
        } else {
          ErrRec(r, s, E_UNKNOWN_OP, p + 1);
          return n;
        }
        break;
      }
      case 'H':
      case 'h': {
        if (p + 1 >= end) {
          PartialRec(r, s, end);
          return n;
        }
        const uint8_t c1 = buf[p + 1] | 0x20;
        if (c1 == 'p') {
          v = "hpub", vl = 4, op = OP_HPUB;
        } else if (c1 == 'm') {
          v = "hmsg", vl = 4, op = OP_HMSG_IN;
        } else {
          ErrRec(r, s, E_UNKNOWN_OP, p + 1);
          return n;
        }
        kind = K_SEP;
        break;
      }
      case 'S':
      case 's':
        v = "sub", vl = 3, op = OP_SUB, kind = K_SEP;
        break;
      case 'U':
      case 'u':
        v = "unsub", vl = 5, op = OP_UNSUB, kind = K_SEP;
        break;
      case 'C':
      case 'c':
        v = "connect", vl = 7, op = OP_CONNECT, kind = K_OPT;
        break;
      case 'I':
      case 'i':
        v = "info", vl = 4, op = OP_INFO, kind = K_OPT;
        break;
      case '+':
        v = "+ok", vl = 3, op = OP_OK, kind = K_LINE;
        break;
      case '-':
        v = "-err", vl = 4, op = OP_ERR, kind = K_SEP;
        break;
      default:
        ErrRec(r, s, E_UNKNOWN_OP, p);
        return n;
    }
    int32_t q = p + 1;
    for (int32_t i = 1; i < vl; i++, q++) {
      if (q >= end) {
        PartialRec(r, s, end);
        return n;
      }
      if ((buf[q] | 0x20) != static_cast<uint8_t>(v[i])) {
        ErrRec(r, s, E_UNKNOWN_OP, q);
        return n;
      }
    }

    if (kind == K_LINE) {
      const void* f = q < end ? std::memchr(buf + q, LF, static_cast<size_t>(end - q)) : nullptr;
      if (f == nullptr) {
        PartialRec(r, s, p + vl);
        return n;
      }
      const int32_t lf = static_cast<int32_t>(static_cast<const uint8_t*>(f) - buf);
      ClearRec(r);
      r[F_OP] = op;
      r[F_START] = s;
      r[F_END] = lf + 1;
      r[F_NARGS] = 0;
      p = lf + 1;
      continue;
    }

    // ---- separator and blanks ----
    int32_t keep = q;
    if (kind == K_SEP) {
      if (q >= end) {
        PartialRec(r, s, end);
        return n;
      }
      if (!IsBlank(buf[q])) {
        ErrRec(r, s, E_UNKNOWN_OP, q);
        return n;
      }
      q++;
      keep = q;
    }
    while (q < end && IsBlank(buf[q])) q++;
    if (q >= end) {
      PartialRec(r, s, keep);
      return n;
    }

    // ---- argument line ----
    const int32_t as = q;
    const int64_t limFull = static_cast<int64_t>(as) + mcl + 2;
    const int32_t lim = limFull < end ? static_cast<int32_t>(limFull) : end;
    const void* f = std::memchr(buf + as + 1, LF, static_cast<size_t>(lim - (as + 1)));
    if (f == nullptr) {
      const int32_t drop = HasCR(buf, as + 1, lim) ? 1 : 0;
      if (static_cast<int64_t>(lim) - as - drop > mcl) {
        ErrRec(r, s, E_CONTROL_LINE, as + mcl);
      } else {
        PartialRec(r, s, end);
      }
      return n;
    }
    const int32_t lf = static_cast<int32_t>(static_cast<const uint8_t*>(f) - buf);
    const int32_t drop = ((lf - 1 > as && buf[lf - 1] == CR) || HasCR(buf, as + 1, lf - 1)) ? 1 : 0;
    const int32_t ae = lf - drop;
    if (static_cast<int64_t>(ae) - as > mcl) {
      ErrRec(r, s, E_CONTROL_LINE, as + mcl);
      return n;
    }
    ClearRec(r);

    if (op == OP_PUB || op == OP_HPUB) {
      const int32_t nt = Tokenize<false>(buf, as, ae, r);
      int32_t size;
      int32_t hdr = -1;
      if (op == OP_PUB) {
        if (nt != 2 && nt != 3) {
          ErrRec(r, s, E_PUB_ARGS, lf);
          return n;
        }
        const int32_t t = F_A0S + 2 * (nt - 1);
        size = ParseSize(buf, r[t], r[t + 1]);
        if (size < 0) {
          ErrRec(r, s, E_PUB_ARGS, lf);
          return n;
        }
      } else {
        if (nt != 3 && nt != 4) {
          ErrRec(r, s, E_HPUB_ARGS, lf);
          return n;
        }
        const int32_t t = F_A0S + 2 * (nt - 2);
        hdr = ParseSize(buf, r[t], r[t + 1]);
        size = ParseSize(buf, r[t + 2], r[t + 3]);
        if (hdr < 0 || size < 0 || hdr > size) {
          ErrRec(r, s, E_HPUB_ARGS, lf);
          return n;
        }
      }
      const int32_t pay = lf + 1;
      const int32_t pe = pay + size;  // < 2^31: end <= 1 GiB and size < 10^9
      r[F_START] = s;
      r[F_NARGS] = nt;
      r[F_PAY] = pay;
      r[F_SIZE] = size;
      r[F_HDR] = hdr;
      r[F_HASH] = Fnv1a(buf, r[F_A0S], r[F_A0E]);
      r[F_END] = pe + 2;
      const int64_t bad = pe < end && buf[pe] != CR ? pe : pe + 1 < end && buf[pe + 1] != LF ? pe + 1 : -1;
      if (bad >= 0) {
        // nats-server processes the control line before it meets the bad terminator: the op
        // is reported as a partial record (its checks run), then the error.
        if (n == cap) return n - 1;  // no room for both: rescan from this op
        r[F_OP] = op | OP_PARTIAL;
        ErrRec(r + REC_STRIDE, s, E_PAYLOAD_CRLF, bad);
        return n + 1;
      }
      if (pe + 2 > end) {
        r[F_OP] = op | OP_PARTIAL;
        return n;
      }
      r[F_OP] = op;
      p = pe + 2;
      continue;
    }

    if (op == OP_SUB) {
      const int32_t nt = Tokenize<true>(buf, as, ae, r);
      if (nt != 2 && nt != 3) {
        ErrRec(r, s, E_SUB_ARGS, lf);
        return n;
      }
      r[F_OP] = OP_SUB;
      r[F_START] = s;
      r[F_END] = lf + 1;
      r[F_NARGS] = nt;
      r[F_HASH] = Fnv1a(buf, r[F_A0S], r[F_A0E]);
      p = lf + 1;
      continue;
    }

    if (op == OP_UNSUB) {
      const int32_t nt = Tokenize<true>(buf, as, ae, r);
      if (nt != 1 && nt != 2) {
        ErrRec(r, s, E_UNSUB_ARGS, lf);
        return n;
      }
      r[F_OP] = OP_UNSUB;
      r[F_START] = s;
      r[F_END] = lf + 1;
      r[F_NARGS] = nt;
      p = lf + 1;
      continue;
    }

    // CONNECT / INFO / -ERR / HMSG: one raw argument.
    r[F_START] = s;
    r[F_NARGS] = 1;
    r[F_A0S] = as;
    r[F_A0E] = ae;
    if (op == OP_HMSG_IN) {
      const int32_t pe = lf + 1;
      if (pe < end && buf[pe] != CR) {
        ErrRec(r, s, E_PAYLOAD_CRLF, pe);
        return n;
      }
      if (pe + 1 < end && buf[pe + 1] != LF) {
        ErrRec(r, s, E_PAYLOAD_CRLF, pe + 1);
        return n;
      }
      if (pe + 2 > end) {
        PartialRec(r, s, end);
        return n;
      }
      r[F_OP] = OP_HMSG_IN;
      r[F_END] = pe + 2;
      r[F_PAY] = pe;
      r[F_SIZE] = 0;
      r[F_HDR] = 0;
      p = pe + 2;
      continue;
    }
    r[F_OP] = op;
    r[F_END] = lf + 1;
    p = lf + 1;
  }
  return n;
}

}  // namespace tsnats
