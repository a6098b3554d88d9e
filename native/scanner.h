// Client-protocol scanner: bytes -> fixed-width op records (layout.h). Plain C++, no N-API.
// The contract (records, quirks, errors) is documented in src/protocol/scanner.ts, the TS twin;
// both must produce identical records for identical input (test/scanner-diff.test.ts).
#ifndef TSNATS_SCANNER_H
#define TSNATS_SCANNER_H

#include <cstddef>
#include <cstdint>

namespace tsnats {

// Scans buf[start..end) (buf holds len bytes) and writes at most outLen / REC_STRIDE records
// into out; returns the number written. Never reads or writes out of bounds: a range outside
// 0 <= start <= end <= len (or len > 1 GiB) yields 0. maxControlLine < 0 counts as 0.
int32_t Scan(const uint8_t* buf, size_t len, int32_t start, int32_t end, int32_t maxControlLine,
             int32_t* out, size_t outLen);

}  // namespace tsnats

#endif  // TSNATS_SCANNER_H
