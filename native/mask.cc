// hot path: no allocation per message, no I/O
//
// C++ twin of src/protocol/unmask.ts: byte by byte up to an 8-byte boundary, then 8 bytes at a
// time (the compiler widens the loop further), then the tail. Any change here must be made there
// too (test/ws-unmask.test.ts).
#include "mask.h"

#include <cstring>

namespace tsnats {

void Unmask(uint8_t* p, size_t n, uint32_t mask) {
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    *p++ ^= static_cast<uint8_t>(mask);
    mask = (mask >> 8) | (mask << 24);
    n--;
  }
  // The key twice over as it falls on 8 aligned bytes, in memory order (any byte order).
  uint8_t k[8];
  for (int i = 0; i < 8; i++) k[i] = static_cast<uint8_t>(mask >> (8 * (i & 3)));
  uint64_t m;
  std::memcpy(&m, k, 8);
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    w ^= m;
    std::memcpy(p, &w, 8);
  }
  for (size_t i = 0; i < n; i++) p[i] ^= k[i];
}

}  // namespace tsnats
