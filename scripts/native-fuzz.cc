// Standalone fuzz harness for the native scanner, batcher, unmask and CRC-32 (native/scanner.cc,
// batcher.cc, mask.cc, crc32.cc),
// without N-API: built by scripts/sanitize-native.sh with -fsanitize=address,undefined and
// plainly for valgrind. Not part of the addon or of CI.
//
//   native-fuzz [iterations] [seed]      random and mutated inputs
//   native-fuzz --replay FILE...         each file as one input (e.g. a saved failure)
//
// Every input is a heap block of exactly its length, and every output array is exactly the size
// passed (so any out-of-bounds read or write is caught by ASan/valgrind). Checks per input:
//  - Scan returns 0 <= n <= capacity, writes nothing past n records, fills every field of each
//    record, and every offset lies inside [start, end] (or is the documented -1 / past-end);
//  - rescanning from the F_END of the last record always makes progress (no loop);
//  - WriteMsgs, over the records found and over random garbage records, returns 0 <= k <= count,
//    endOff inside dst, writes nothing outside [dstOff, endOff), frames start "MSG "/"HMSG ";
//  - Unmask over random ranges of the input equals the byte-by-byte XOR and touches nothing else.
//  - Crc32 over random ranges (any alignment and length) equals a bit-by-bit CRC-32.
// On a failure the input is written to native-fuzz-failure.bin and the process aborts.
#include <algorithm>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "batcher.h"
#include "crc32.h"
#include "layout.h"
#include "mask.h"
#include "scanner.h"

using namespace tsnats;

namespace {

uint64_t g_state = 0x9e3779b97f4a7c15ull;
uint64_t Next() {  // splitmix64
  uint64_t z = (g_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
int64_t Int(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(Next() % static_cast<uint64_t>(hi - lo + 1)); }
bool Chance(double p) { return static_cast<double>(Next() >> 11) / 9007199254740992.0 < p; }
template <class T>
const T& Pick(const std::vector<T>& v) { return v[static_cast<size_t>(Int(0, static_cast<int64_t>(v.size()) - 1))]; }

std::string g_input;  // the current input, for the failure dump
uint64_t g_checks = 0;
uint64_t g_records = 0;  // records checked
uint64_t g_errors = 0;   // OP_ERROR records among them
uint64_t g_frames = 0;   // frames written by WriteMsgs

[[noreturn]] void Fail(const char* what, int64_t a = 0, int64_t b = 0) {
  std::fprintf(stderr, "native-fuzz: FAILED: %s (%" PRId64 ", %" PRId64 "), input %zu bytes -> native-fuzz-failure.bin\n", what, a, b,
               g_input.size());
  if (FILE* f = std::fopen("native-fuzz-failure.bin", "wb")) {
    std::fwrite(g_input.data(), 1, g_input.size(), f);
    std::fclose(f);
  }
  std::abort();
}
void Check(bool ok, const char* what, int64_t a = 0, int64_t b = 0) {
  g_checks++;
  if (!ok) Fail(what, a, b);
}

// ---- inputs ----

const std::vector<std::string> kSubjects = {"foo", "bar", "a.b", "*", ">", "x.*.>", "_INBOX.1", "q"};
const std::vector<std::string> kHuge = {"999999999", "1000000000", "4294967296", "000000000", "-1", "1048577", "0000000001"};

std::string Payload(size_t n) {
  static const std::vector<std::string> pool = {"x", "\r", "\n", "\r\n", " ", std::string(1, '\0'), "PING\r\n", "\xff"};
  std::string s;
  while (s.size() < n) s += Pick(pool);
  s.resize(n);
  return s;
}

std::string Sp() { return Chance(0.9) ? " " : Pick(std::vector<std::string>{"\t", "  ", " \t"}); }
std::string Eol() { return Chance(0.85) ? "\r\n" : "\n"; }

std::string ValidOp(int32_t mcl) {
  switch (Int(0, 20)) {
    case 0:
      return "CONNECT {\"verbose\":false,\"headers\":true}" + Eol();
    case 1:
    case 2: {
      const size_t n = Chance(0.1) ? static_cast<size_t>(Int(100, 3000)) : static_cast<size_t>(Int(0, 24));
      std::string size = std::to_string(n);
      if (Chance(0.15)) size = std::string(9 - size.size(), '0') + size;
      std::string reply = Chance(0.3) ? Sp() + "_INBOX." + std::to_string(Int(1, 99)) : "";
      return "PUB" + Sp() + Pick(kSubjects) + reply + Sp() + size + Eol() + Payload(n) + "\r\n";
    }
    case 3: {
      const std::string hdr = "NATS/1.0\r\nK: v\r\n\r\n";
      const std::string body = Payload(static_cast<size_t>(Int(0, 16)));
      return "HPUB" + Sp() + Pick(kSubjects) + (Chance(0.3) ? " r" : "") + Sp() + std::to_string(hdr.size()) + Sp() +
             std::to_string(hdr.size() + body.size()) + Eol() + hdr + body + "\r\n";
    }
    case 4:
    case 5:
      return "SUB" + Sp() + Pick(kSubjects) + (Chance(0.3) ? Sp() + "grp" : "") + Sp() + std::to_string(Int(1, 20)) + Eol();
    case 6:
      return "UNSUB" + Sp() + std::to_string(Int(1, 20)) + (Chance(0.4) ? Sp() + std::to_string(Int(0, 3)) : "") + Eol();
    case 7:
      return Pick(std::vector<std::string>{"PING", "ping", "PONG", "+OK", "PING junk"}) + Eol();
    case 8:
      return "INFO {}" + Eol();
    case 9:
      return "-ERR 'x'" + Eol();
    case 10:
      return "HMSG a 1 2 2" + Eol() + "\r\n";
    case 11: {
      const int64_t len = std::max<int64_t>(1, static_cast<int64_t>(mcl) + Int(-3, 2) - 2);
      return "SUB " + std::string(static_cast<size_t>(std::min<int64_t>(len, 70000)), 'n') + " 1" + Eol();
    }
    case 12:
      return "PUB foo " + Pick(kHuge) + Eol();
    default:
      return "PUB" + Sp() + Pick(kSubjects) + Sp() + "5" + Eol() + "hello\r\n";
  }
}

std::string Mutate(std::string b, int32_t mcl) {
  const int muts = Chance(0.3) ? 0 : static_cast<int>(Int(1, 6));
  static const std::vector<char> special = {'\r', '\n', ' ', '\t', '\0', '\xff'};
  for (int m = 0; m < muts && !b.empty(); m++) {
    const size_t at = static_cast<size_t>(Int(0, static_cast<int64_t>(b.size()) - 1));
    switch (Int(0, 9)) {
      case 0:
        b[at] = static_cast<char>(b[at] ^ (1 << Int(0, 7)));
        break;
      case 1:
        b[at] = Pick(special);
        break;
      case 2:
      case 3:
        b.insert(at, 1, Chance(0.8) ? Pick(special) : static_cast<char>(Int(0, 255)));
        break;
      case 4:
        b.erase(at, static_cast<size_t>(Int(1, 8)));
        break;
      case 5:
        b.resize(at);
        break;
      case 6: {
        const size_t n = std::min(b.size() - at, static_cast<size_t>(Int(1, 64)));
        b.insert(at + n, b.substr(at, n));
        break;
      }
      case 7: {
        size_t d = b.find_first_of("0123456789", at);
        if (d != std::string::npos) {
          size_t e = b.find_first_not_of("0123456789", d);
          if (e == std::string::npos) e = b.size();
          b.replace(d, e - d, Pick(kHuge));
        }
        break;
      }
      case 8:
        b.insert(at, static_cast<size_t>(std::max<int64_t>(0, std::min<int64_t>(mcl, 8192) + Int(-4, 4))), Pick(special));
        break;
      default:
        b[at] = static_cast<char>(Int(0, 255));
    }
  }
  return b;
}

std::string RandomInput(int32_t mcl) {
  const int64_t kind = Int(0, 9);
  if (kind == 0) {  // pure noise
    std::string s(static_cast<size_t>(Int(0, 300)), '\0');
    for (auto& c : s) c = static_cast<char>(Int(0, 255));
    return s;
  }
  std::string s;
  for (int64_t n = Int(1, 12); n > 0; n--) s += ValidOp(mcl);
  return Mutate(s, mcl);
}

// ---- checks ----

constexpr int32_t kCanary = 0x7eadbeef;

struct Span {
  int32_t start, end;
};

/** One Scan call with an exact-size out array; checks the records; returns the count. */
int32_t ScanChecked(const uint8_t* buf, size_t len, int32_t start, int32_t end, int32_t mcl, size_t outLen,
                    std::vector<int32_t>* keep, std::vector<int32_t>* all = nullptr) {
  int32_t* out = static_cast<int32_t*>(std::malloc((outLen ? outLen : 1) * sizeof(int32_t)));
  for (size_t i = 0; i < outLen; i++) out[i] = kCanary;
  const int32_t n = Scan(buf, len, start, end, mcl, out, outLen);
  const bool valid = start >= 0 && start <= end && static_cast<size_t>(end) <= len;
  const int32_t cap = static_cast<int32_t>(outLen / REC_STRIDE);
  Check(n >= 0 && n <= cap, "record count out of range", n, cap);
  if (!valid) Check(n == 0, "records for an invalid range", n);
  // The slot after the last record may hold an op that did not fit with its error record (it is
  // rescanned by the next call); nothing beyond it is written.
  for (size_t i = static_cast<size_t>(n + 1) * REC_STRIDE; i < outLen; i++) Check(out[i] == kCanary, "write past the last record", static_cast<int64_t>(i));
  g_records += static_cast<uint64_t>(n);
  for (int32_t k = 0; k < n; k++) {
    const int32_t* r = out + static_cast<size_t>(k) * REC_STRIDE;
    for (int f = 0; f < REC_STRIDE; f++) Check(r[f] != kCanary, "record field left unset", k, f);
    const int32_t op = r[F_OP];
    const int32_t kind = op & OP_MASK;
    const bool partial = (op & OP_PARTIAL) != 0;
    // A PUB/HPUB whose payload ends in a bad terminator is a partial record followed by the
    // E_PAYLOAD_CRLF error (its control line's checks run first, as in nats-server).
    const bool badEnd = partial && k == n - 2 && out[static_cast<size_t>(k + 1) * REC_STRIDE + F_OP] == OP_ERROR &&
                        out[static_cast<size_t>(k + 1) * REC_STRIDE + F_NARGS] == E_PAYLOAD_CRLF;
    Check(k == n - 1 || badEnd || (!partial && op != OP_ERROR), "partial/error record not last", k, n);
    if (op == OP_ERROR) {
      g_errors++;
      Check(r[F_START] >= start && r[F_START] <= r[F_PAY] && r[F_PAY] < end, "error position", r[F_START], r[F_PAY]);
      Check(r[F_NARGS] >= E_UNKNOWN_OP && r[F_NARGS] <= E_PAYLOAD_CRLF, "error code", r[F_NARGS]);
      continue;
    }
    if (op == OP_PARTIAL) {
      Check(r[F_PAY] >= start && r[F_PAY] < end && r[F_A0S] >= r[F_PAY] && r[F_A0S] <= end, "bare partial", r[F_PAY], r[F_A0S]);
      continue;
    }
    Check(kind >= OP_PING && kind <= OP_HMSG_IN, "op code", op);
    Check(r[F_START] >= start && r[F_START] < r[F_END], "op range", r[F_START], r[F_END]);
    Check(partial ? ((badEnd || r[F_END] > end) && (kind == OP_PUB || kind == OP_HPUB)) : r[F_END] <= end, "op end", r[F_END], end);
    const int32_t lim = std::min(r[F_END], end);
    for (int t = 0; t < std::min(r[F_NARGS], 4); t++) {
      const int32_t a = r[F_A0S + 2 * t], e = r[F_A0E + 2 * t];
      Check(a >= r[F_START] && a <= e && e <= lim, "argument range", a, e);
    }
    if (kind == OP_PUB || kind == OP_HPUB) {
      Check(r[F_SIZE] >= 0 && r[F_SIZE] <= 999999999 && static_cast<int64_t>(r[F_PAY]) + r[F_SIZE] + 2 == r[F_END], "payload range", r[F_PAY], r[F_SIZE]);
      Check(kind == OP_PUB ? r[F_HDR] == -1 : (r[F_HDR] >= 0 && r[F_HDR] <= r[F_SIZE]), "header size", r[F_HDR]);
      if (!partial) {
        Check(buf[r[F_END] - 2] == '\r' && buf[r[F_END] - 1] == '\n', "payload terminator");
        if (keep) keep->insert(keep->end(), r, r + REC_STRIDE);
      }
    }
  }
  if (all) all->assign(out, out + static_cast<size_t>(n) * REC_STRIDE);
  std::free(out);
  return n;
}

/** WriteMsgs over `recs` with an exact-size dst and sid; checks bounds and untouched bytes. */
void BatchChecked(const uint8_t* src, size_t srcLen, const std::vector<int32_t>& recs) {
  const size_t nrecs = recs.size() / REC_STRIDE;
  const size_t recsLen = recs.size() + static_cast<size_t>(Int(0, 15));  // not a record multiple
  int32_t* r = static_cast<int32_t*>(std::malloc((recsLen ? recsLen : 1) * sizeof(int32_t)));
  for (size_t i = 0; i < recsLen; i++) r[i] = i < recs.size() ? recs[i] : static_cast<int32_t>(Int(-3, 3));
  const size_t sidLen = static_cast<size_t>(Int(0, 12));
  // room for every frame (the bound batcher.ts frameBound uses) or a random, often short, dst
  size_t ample = 0;
  for (size_t i = 0; i + REC_STRIDE <= recs.size(); i += REC_STRIDE) {
    const int64_t b = static_cast<int64_t>(recs[i + F_END]) - recs[i + F_START];
    if (b > 0 && b < (1 << 22)) ample += static_cast<size_t>(b) + sidLen + 2;
  }
  const size_t dstLen = static_cast<size_t>(Chance(0.6) ? static_cast<int64_t>(ample) + Int(0, 16) : Chance(0.5) ? Int(0, 64) : Int(0, 1 << 16));
  uint8_t* dst = static_cast<uint8_t*>(std::malloc(dstLen ? dstLen : 1));
  std::memset(dst, 0xa5, dstLen);
  uint8_t* sid = static_cast<uint8_t*>(std::malloc(sidLen ? sidLen : 1));
  std::memset(sid, '7', sidLen);
  const int32_t dstOff = static_cast<int32_t>(Chance(0.5) ? 0 : Chance(0.9) ? Int(0, static_cast<int64_t>(dstLen)) : Int(-5, static_cast<int64_t>(dstLen) + 5));
  const int32_t firstRec = static_cast<int32_t>(Chance(0.6) ? 0 : Int(-1, static_cast<int64_t>(nrecs) + 1));
  const int32_t count = static_cast<int32_t>(Chance(0.6) ? static_cast<int64_t>(nrecs) : Int(-1, static_cast<int64_t>(nrecs) + 2));
  int32_t endOff = -12345;
  const int32_t k = WriteMsgs(dst, dstLen, dstOff, src, srcLen, r, recsLen, firstRec, count, sid, sidLen, Chance(0.5), &endOff);
  Check(k >= 0 && k <= std::max(count, 0), "frame count", k, count);
  g_frames += static_cast<uint64_t>(k);
  if (k > 0) {
    Check(endOff > dstOff && static_cast<size_t>(endOff) <= dstLen, "endOff", endOff, static_cast<int64_t>(dstLen));
    Check(std::memcmp(dst + dstOff, "MSG ", 4) == 0 || std::memcmp(dst + dstOff, "HMSG ", 5) == 0, "frame start");
    Check(dst[endOff - 2] == '\r' && dst[endOff - 1] == '\n', "frame end");
  } else {
    Check(endOff == dstOff, "endOff without frames", endOff, dstOff);
  }
  const int32_t lo = std::max(dstOff, 0), hi = k > 0 ? endOff : lo;
  for (int32_t i = 0; i < static_cast<int32_t>(dstLen); i++) {
    if (i < lo || i >= hi) Check(dst[i] == 0xa5, "dst written outside the frames", i);
  }
  std::free(sid);
  std::free(dst);
  std::free(r);
}

/** Random garbage records (small offsets around the source) must be rejected, never followed. */
void GarbageRecords(const uint8_t* src, size_t srcLen) {
  std::vector<int32_t> recs(static_cast<size_t>(Int(1, 4)) * REC_STRIDE);
  for (auto& x : recs) x = static_cast<int32_t>(Chance(0.9) ? Int(-2, static_cast<int64_t>(srcLen) + 2) : static_cast<int64_t>(static_cast<int32_t>(Next())));
  for (size_t i = 0; i < recs.size(); i += REC_STRIDE) {
    if (Chance(0.7)) recs[i + F_OP] = Chance(0.5) ? OP_PUB : OP_HPUB;
    if (Chance(0.7)) recs[i + F_NARGS] = static_cast<int32_t>(Int(1, 5));
  }
  BatchChecked(src, srcLen, recs);
}

void RunInput(const std::string& in) {
  g_input = in;
  const size_t len = in.size();
  uint8_t* buf = static_cast<uint8_t*>(std::malloc(len ? len : 1));  // exactly len bytes
  std::memcpy(buf, in.data(), len);
  const int32_t mcl = Chance(0.85) ? 4096 : static_cast<int32_t>(Pick(std::vector<int64_t>{-5, 0, 1, 7, 40, 300, 0x7fffffff}));
  // 1. random ranges and capacities, one call each
  for (int k = 0; k < 3; k++) {
    int32_t start = static_cast<int32_t>(Int(0, static_cast<int64_t>(len)));
    int32_t end = static_cast<int32_t>(Int(start, static_cast<int64_t>(len)));
    if (k == 0) start = 0, end = static_cast<int32_t>(len);
    if (Chance(0.05)) start = static_cast<int32_t>(Int(-3, static_cast<int64_t>(len) + 3)), end = static_cast<int32_t>(Int(-3, static_cast<int64_t>(len) + 3));
    const size_t outLen = static_cast<size_t>(Chance(0.2) ? Int(0, 40) : Int(1, 8) * REC_STRIDE + Int(0, 3));
    ScanChecked(buf, len, start, end, mcl, outLen, nullptr);
  }
  // 2. the whole input the way the parser walks it: rescan from F_END until done
  std::vector<int32_t> recs;
  int32_t p = 0;
  const size_t outLen = static_cast<size_t>(Int(1, 4)) * REC_STRIDE;
  for (int guard = 0;; guard++) {
    Check(guard <= static_cast<int>(len) + 2, "no progress (loop)", p);
    std::vector<int32_t> out;
    const int32_t n = ScanChecked(buf, len, p, static_cast<int32_t>(len), mcl, outLen, &recs, &out);
    if (n < static_cast<int32_t>(outLen / REC_STRIDE)) break;
    const int32_t* last = out.data() + static_cast<size_t>(n - 1) * REC_STRIDE;
    if (last[F_OP] == OP_ERROR || (last[F_OP] & OP_PARTIAL) != 0) break;  // the parser stops here too
    Check(last[F_END] > p, "rescan does not advance", p, last[F_END]);
    p = last[F_END];
  }
  // 3. the batcher over the complete PUB/HPUB records, and over garbage
  if (!recs.empty()) BatchChecked(buf, len, recs);
  GarbageRecords(buf, len);
  // 4. unmask over a random range (any alignment), against the byte loop
  if (len > 0) {
    const size_t a = static_cast<size_t>(Int(0, static_cast<int64_t>(len)));
    const size_t n = static_cast<size_t>(Int(0, static_cast<int64_t>(len - a)));
    const uint32_t mask = static_cast<uint32_t>(Next());
    std::vector<uint8_t> want(buf, buf + len);
    for (size_t i = 0; i < n; i++) want[a + i] ^= static_cast<uint8_t>(mask >> (8 * (i & 3)));
    Unmask(buf + a, n, mask);
    Check(std::memcmp(want.data(), buf, len) == 0, "unmask differs from the byte loop", static_cast<int64_t>(a), static_cast<int64_t>(n));
  }
  // 5. CRC-32 over a random range (any alignment), against the bit-by-bit definition
  if (len > 0) {
    const size_t a = static_cast<size_t>(Int(0, static_cast<int64_t>(len)));
    const size_t n = static_cast<size_t>(Int(0, static_cast<int64_t>(len - a)));
    uint32_t want = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
      want ^= buf[a + i];
      for (int k = 0; k < 8; k++) want = (want >> 1) ^ (0xedb88320u & (0u - (want & 1u)));
    }
    want ^= 0xffffffffu;
    Check(Crc32(buf + a, n) == want, "crc32 differs from the bit-by-bit CRC", static_cast<int64_t>(a), static_cast<int64_t>(n));
  }
  std::free(buf);
}

std::string ReadFile(const char* path) {
  std::string s;
  FILE* f = std::fopen(path, "rb");
  if (!f) {
    std::perror(path);
    std::exit(2);
  }
  char tmp[65536];
  size_t n;
  while ((n = std::fread(tmp, 1, sizeof tmp, f)) > 0) s.append(tmp, n);
  std::fclose(f);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--replay") == 0) {
    for (int i = 2; i < argc; i++) RunInput(ReadFile(argv[i]));
    std::printf("native-fuzz: replayed %d inputs, %" PRIu64 " checks, ok\n", argc - 2, g_checks);
    return 0;
  }
  const long iterations = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 100000;
  g_state = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;
  uint64_t bytes = 0;
  for (long i = 0; i < iterations; i++) {
    const int32_t mcl = Chance(0.8) ? 4096 : static_cast<int32_t>(Int(8, 300));
    std::string in = RandomInput(mcl);
    bytes += in.size();
    RunInput(in);
  }
  std::printf("native-fuzz: %ld inputs, %" PRIu64 " bytes, %" PRIu64 " records (%" PRIu64 " errors), %" PRIu64
              " frames, %" PRIu64 " checks, ok\n",
              iterations, bytes, g_records, g_errors, g_frames, g_checks);
  return 0;
}
