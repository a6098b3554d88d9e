// The scanner's record layout, shared by the native scanner (native/layout.h) and the TS twin.
// A test checks that both sides agree; bump LAYOUT_VERSION whenever anything here changes.

export const LAYOUT_VERSION = 1;

/** Int32 fields per record. */
export const REC_STRIDE = 16;

// Field offsets inside a record.
export const F_OP = 0; // op code (OP_*), possibly with OP_PARTIAL set
export const F_START = 1; // offset of the op's first byte in the scanned buffer
export const F_END = 2; // offset just past the op (past the payload's CRLF); -1 when unknown
export const F_NARGS = 3; // number of argument tokens (PUB/HPUB/SUB/UNSUB); error code for OP_ERROR
export const F_A0S = 4; // token 0 start/end (CONNECT/INFO/-ERR: the whole argument)
export const F_A0E = 5;
export const F_A1S = 6;
export const F_A1E = 7;
export const F_A2S = 8;
export const F_A2E = 9;
export const F_A3S = 10;
export const F_A3E = 11;
export const F_PAY = 12; // payload start (PUB/HPUB); error position for OP_ERROR
export const F_SIZE = 13; // total payload size in bytes (PUB/HPUB, headers included)
export const F_HDR = 14; // header size (HPUB), -1 for PUB
export const F_HASH = 15; // FNV-1a 32 of the subject bytes (PUB/HPUB/SUB), as int32

// Op codes.
export const OP_PING = 1;
export const OP_PONG = 2;
export const OP_OK = 3; // +OK from a client: ignored
export const OP_ERR = 4; // -ERR from a client
export const OP_CONNECT = 5;
export const OP_INFO = 6;
export const OP_PUB = 7;
export const OP_HPUB = 8;
export const OP_SUB = 9;
export const OP_UNSUB = 10;
export const OP_HMSG_IN = 11; // nats-server's half-accepted client HMSG quirk
export const OP_ERROR = 15; // scan error: F_NARGS = E_* code, F_PAY = failing position
/** Bit set on the last record when the buffer ends inside an op. */
export const OP_PARTIAL = 0x100;
export const OP_MASK = 0xff;

// Error codes (F_NARGS of an OP_ERROR record).
export const E_UNKNOWN_OP = 1; // -ERR 'Unknown Protocol Operation' + close
export const E_CONTROL_LINE = 2; // -ERR 'maximum control line exceeded' + close
export const E_PUB_ARGS = 3; // silent close (wrong PUB argument count or size)
export const E_HPUB_ARGS = 4; // silent close (wrong HPUB argument count or sizes)
export const E_SUB_ARGS = 5; // silent close
export const E_UNSUB_ARGS = 6; // silent close
export const E_PAYLOAD_CRLF = 7; // payload not followed by CRLF: -ERR 'Unknown Protocol Operation' + close

/** FNV-1a 32-bit parameters used for F_HASH. */
export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;
