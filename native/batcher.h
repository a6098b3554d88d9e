// Outbound MSG/HMSG frames from PUB/HPUB scan records. Plain C++, no N-API.
// Contract and byte format: src/protocol/batcher.ts (the TS twin); both produce identical bytes.
#ifndef TSNATS_BATCHER_H
#define TSNATS_BATCHER_H

#include <cstddef>
#include <cstdint>

namespace tsnats {

// Writes one frame per record for recs records firstRec .. firstRec+count-1 (record numbers;
// recs holds recsLen int32) over src into dst starting at dstOff, for a subscriber whose sid is
// sid[0..sidLen). Returns the number of frames written: it stops at the first frame that does
// not fit in dst or record that is not a usable complete PUB/HPUB. *endOff = offset after the
// last frame written (dstOff if none). Never reads or writes out of bounds.
int32_t WriteMsgs(uint8_t* dst, size_t dstLen, int32_t dstOff, const uint8_t* src, size_t srcLen,
                  const int32_t* recs, size_t recsLen, int32_t firstRec, int32_t count,
                  const uint8_t* sid, size_t sidLen, bool headers, int32_t* endOff);

}  // namespace tsnats

#endif  // TSNATS_BATCHER_H
