// WebSocket unmasking (RFC 6455 §5.3) in place. Plain C++, no N-API.
// Contract: src/protocol/unmask.ts (the TS twin); both leave identical bytes.
#ifndef TSNATS_MASK_H
#define TSNATS_MASK_H

#include <cstddef>
#include <cstdint>

namespace tsnats {

// XORs p[0..n) with the masking key as it falls from p[0]: byte i with byte (i & 3) of mask,
// byte 0 being mask's low byte (mask = k0 | k1 << 8 | k2 << 16 | k3 << 24 for a key k0 k1 k2 k3
// that starts at p[0]).
void Unmask(uint8_t* p, size_t n, uint32_t mask);

}  // namespace tsnats

#endif  // TSNATS_MASK_H
