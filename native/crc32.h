// CRC-32 (IEEE 802.3: zlib's, gzip's and PNG's) for the JetStream file store's records.
// Plain C++, no N-API. Contract: src/util/crc32.ts (the TS twin); both give the same
// value for the same bytes (test/crc32.test.ts).
#ifndef TSNATS_CRC32_H
#define TSNATS_CRC32_H

#include <cstddef>
#include <cstdint>

namespace tsnats {

// The CRC-32 of p[0..n), unsigned (zlib's crc32(0, p, n)).
uint32_t Crc32(const uint8_t* p, size_t n);

}  // namespace tsnats

#endif  // TSNATS_CRC32_H
