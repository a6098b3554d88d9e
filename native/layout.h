// The scanner's record layout: the C++ mirror of src/protocol/layout.ts.
// test/layout.test.ts parses this file and checks every constant against the TS one; the loader
// also compares the values the addon reports. Bump LAYOUT_VERSION whenever anything here changes.
// One constant per line, `constexpr <type> NAME = <value>;`, so the test can read it.
#ifndef TSNATS_LAYOUT_H
#define TSNATS_LAYOUT_H

#include <cstdint>

namespace tsnats {

constexpr int32_t LAYOUT_VERSION = 1;

// Int32 fields per record.
constexpr int32_t REC_STRIDE = 16;

// Field offsets inside a record.
constexpr int32_t F_OP = 0;
constexpr int32_t F_START = 1;
constexpr int32_t F_END = 2;
constexpr int32_t F_NARGS = 3;
constexpr int32_t F_A0S = 4;
constexpr int32_t F_A0E = 5;
constexpr int32_t F_A1S = 6;
constexpr int32_t F_A1E = 7;
constexpr int32_t F_A2S = 8;
constexpr int32_t F_A2E = 9;
constexpr int32_t F_A3S = 10;
constexpr int32_t F_A3E = 11;
constexpr int32_t F_PAY = 12;
constexpr int32_t F_SIZE = 13;
constexpr int32_t F_HDR = 14;
constexpr int32_t F_HASH = 15;

// Op codes.
constexpr int32_t OP_PING = 1;
constexpr int32_t OP_PONG = 2;
constexpr int32_t OP_OK = 3;
constexpr int32_t OP_ERR = 4;
constexpr int32_t OP_CONNECT = 5;
constexpr int32_t OP_INFO = 6;
constexpr int32_t OP_PUB = 7;
constexpr int32_t OP_HPUB = 8;
constexpr int32_t OP_SUB = 9;
constexpr int32_t OP_UNSUB = 10;
constexpr int32_t OP_HMSG_IN = 11;
constexpr int32_t OP_ERROR = 15;
constexpr int32_t OP_PARTIAL = 0x100;
constexpr int32_t OP_MASK = 0xff;

// Error codes (F_NARGS of an OP_ERROR record).
constexpr int32_t E_UNKNOWN_OP = 1;
constexpr int32_t E_CONTROL_LINE = 2;
constexpr int32_t E_PUB_ARGS = 3;
constexpr int32_t E_HPUB_ARGS = 4;
constexpr int32_t E_SUB_ARGS = 5;
constexpr int32_t E_UNSUB_ARGS = 6;
constexpr int32_t E_PAYLOAD_CRLF = 7;

// FNV-1a 32-bit parameters used for F_HASH.
constexpr uint32_t FNV_OFFSET = 0x811c9dc5u;
constexpr uint32_t FNV_PRIME = 0x01000193u;

}  // namespace tsnats

#endif  // TSNATS_LAYOUT_H
