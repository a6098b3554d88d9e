// N-API registration for the tsnats addon (the only file that includes napi.h).
// Exports: scan(buf, start, end, maxControlLine, out) -> int, writeMsgs(dst, dstOff, src, recs,
// firstRec, count, sid, headers, state) -> int, unmask(buf, offset, length, mask) -> undefined,
// crc32(buf, start, end) -> number, layoutVersion, recStride, layout {NAME: value}.
// Signatures and semantics: src/protocol/scanner.ts, src/protocol/batcher.ts, src/protocol/unmask.ts,
// src/util/crc32.ts.
// The hot functions use the C API directly: no exceptions, no heap allocation per call (the
// node-addon-api CallbackInfo allocates for more than 6 arguments). They never throw: wrong
// argument types make them return 0. No state is kept (the addon is safe in worker threads).
#include <napi.h>

#include "batcher.h"
#include "crc32.h"
#include "layout.h"
#include "mask.h"
#include "scanner.h"

namespace {

bool GetU8(napi_env env, napi_value v, uint8_t** data, size_t* len) {
  napi_typedarray_type type;
  size_t length = 0;
  void* ptr = nullptr;
  if (napi_get_typedarray_info(env, v, &type, &length, &ptr, nullptr, nullptr) != napi_ok) return false;
  if (type != napi_uint8_array) return false;
  *data = static_cast<uint8_t*>(ptr);
  *len = length;
  return true;
}

bool GetI32Array(napi_env env, napi_value v, int32_t** data, size_t* len) {
  napi_typedarray_type type;
  size_t length = 0;
  void* ptr = nullptr;
  if (napi_get_typedarray_info(env, v, &type, &length, &ptr, nullptr, nullptr) != napi_ok) return false;
  if (type != napi_int32_array) return false;
  *data = static_cast<int32_t*>(ptr);
  *len = length;
  return true;
}

// ToInt32 like JS `| 0` for numbers (napi_get_value_int32 truncates the same way); 0 otherwise.
int32_t GetI32(napi_env env, napi_value v) {
  int32_t x = 0;
  if (napi_get_value_int32(env, v, &x) != napi_ok) return 0;
  return x;
}

bool GetBool(napi_env env, napi_value v) {
  napi_value b;
  bool x = false;
  if (napi_coerce_to_bool(env, v, &b) != napi_ok) return false;
  if (napi_get_value_bool(env, b, &x) != napi_ok) return false;
  return x;
}

napi_value Int(napi_env env, int32_t v) {
  napi_value r = nullptr;
  napi_create_int32(env, v, &r);
  return r;
}

napi_value Scan(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 5) return Int(env, 0);
  uint8_t* buf = nullptr;
  size_t len = 0;
  int32_t* out = nullptr;
  size_t outLen = 0;
  if (!GetU8(env, argv[0], &buf, &len) || !GetI32Array(env, argv[4], &out, &outLen)) return Int(env, 0);
  const int32_t n = tsnats::Scan(buf, len, GetI32(env, argv[1]), GetI32(env, argv[2]),
                                 GetI32(env, argv[3]), out, outLen);
  return Int(env, n);
}

napi_value WriteMsgs(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 9) return Int(env, 0);
  uint8_t* dst = nullptr;
  size_t dstLen = 0;
  uint8_t* src = nullptr;
  size_t srcLen = 0;
  int32_t* recs = nullptr;
  size_t recsLen = 0;
  uint8_t* sid = nullptr;
  size_t sidLen = 0;
  int32_t* state = nullptr;
  size_t stateLen = 0;
  if (!GetI32Array(env, argv[8], &state, &stateLen) || stateLen < 1) return Int(env, 0);
  if (!GetU8(env, argv[0], &dst, &dstLen) || !GetU8(env, argv[2], &src, &srcLen) ||
      !GetI32Array(env, argv[3], &recs, &recsLen) || !GetU8(env, argv[6], &sid, &sidLen)) {
    return Int(env, 0);
  }
  if (dstLen > 0x7fffffff) dstLen = 0x7fffffff;  // offsets are int32 (as in batcher.ts)
  int32_t endOff = 0;
  const int32_t n = tsnats::WriteMsgs(dst, dstLen, GetI32(env, argv[1]), src, srcLen, recs, recsLen,
                                      GetI32(env, argv[4]), GetI32(env, argv[5]), sid, sidLen,
                                      GetBool(env, argv[7]), &endOff);
  state[0] = endOff;
  return Int(env, n);
}

// unmask(buf, offset, length, mask): leaves buf alone unless 0 <= offset, 0 <= length and
// offset + length <= buf.length (as the TS twin).
napi_value Unmask(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 4) return nullptr;
  uint8_t* buf = nullptr;
  size_t len = 0;
  if (!GetU8(env, argv[0], &buf, &len)) return nullptr;
  const int32_t off = GetI32(env, argv[1]);
  const int32_t n = GetI32(env, argv[2]);
  uint32_t mask = 0;
  if (napi_get_value_uint32(env, argv[3], &mask) != napi_ok) return nullptr;
  if (off < 0 || n < 0 || static_cast<size_t>(off) + static_cast<size_t>(n) > len) return nullptr;
  tsnats::Unmask(buf + off, static_cast<size_t>(n), mask);
  return nullptr;
}

// crc32(buf, start, end): the CRC-32 of buf[start, end) (an unsigned number), or -1 unless
// 0 <= start <= end <= buf.length (as the TS twin).
napi_value Crc32(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 3) return Int(env, -1);
  uint8_t* buf = nullptr;
  size_t len = 0;
  if (!GetU8(env, argv[0], &buf, &len)) return Int(env, -1);
  const int32_t start = GetI32(env, argv[1]);
  const int32_t end = GetI32(env, argv[2]);
  if (start < 0 || end < start || static_cast<size_t>(end) > len) return Int(env, -1);
  napi_value out;
  napi_create_uint32(env, tsnats::Crc32(buf + start, static_cast<size_t>(end - start)), &out);
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  napi_value fn;
  napi_create_function(env, "scan", NAPI_AUTO_LENGTH, Scan, nullptr, &fn);
  exports.Set("scan", Napi::Value(env, fn));
  napi_create_function(env, "writeMsgs", NAPI_AUTO_LENGTH, WriteMsgs, nullptr, &fn);
  exports.Set("writeMsgs", Napi::Value(env, fn));
  napi_create_function(env, "unmask", NAPI_AUTO_LENGTH, Unmask, nullptr, &fn);
  exports.Set("unmask", Napi::Value(env, fn));
  napi_create_function(env, "crc32", NAPI_AUTO_LENGTH, Crc32, nullptr, &fn);
  exports.Set("crc32", Napi::Value(env, fn));

  exports.Set("layoutVersion", Napi::Number::New(env, tsnats::LAYOUT_VERSION));
  exports.Set("recStride", Napi::Number::New(env, tsnats::REC_STRIDE));
  Napi::Object layout = Napi::Object::New(env);
#define TSNATS_EXPORT(name) layout.Set(#name, Napi::Number::New(env, static_cast<double>(tsnats::name)))
  TSNATS_EXPORT(LAYOUT_VERSION);
  TSNATS_EXPORT(REC_STRIDE);
  TSNATS_EXPORT(F_OP);
  TSNATS_EXPORT(F_START);
  TSNATS_EXPORT(F_END);
  TSNATS_EXPORT(F_NARGS);
  TSNATS_EXPORT(F_A0S);
  TSNATS_EXPORT(F_A0E);
  TSNATS_EXPORT(F_A1S);
  TSNATS_EXPORT(F_A1E);
  TSNATS_EXPORT(F_A2S);
  TSNATS_EXPORT(F_A2E);
  TSNATS_EXPORT(F_A3S);
  TSNATS_EXPORT(F_A3E);
  TSNATS_EXPORT(F_PAY);
  TSNATS_EXPORT(F_SIZE);
  TSNATS_EXPORT(F_HDR);
  TSNATS_EXPORT(F_HASH);
  TSNATS_EXPORT(OP_PING);
  TSNATS_EXPORT(OP_PONG);
  TSNATS_EXPORT(OP_OK);
  TSNATS_EXPORT(OP_ERR);
  TSNATS_EXPORT(OP_CONNECT);
  TSNATS_EXPORT(OP_INFO);
  TSNATS_EXPORT(OP_PUB);
  TSNATS_EXPORT(OP_HPUB);
  TSNATS_EXPORT(OP_SUB);
  TSNATS_EXPORT(OP_UNSUB);
  TSNATS_EXPORT(OP_HMSG_IN);
  TSNATS_EXPORT(OP_ERROR);
  TSNATS_EXPORT(OP_PARTIAL);
  TSNATS_EXPORT(OP_MASK);
  TSNATS_EXPORT(E_UNKNOWN_OP);
  TSNATS_EXPORT(E_CONTROL_LINE);
  TSNATS_EXPORT(E_PUB_ARGS);
  TSNATS_EXPORT(E_HPUB_ARGS);
  TSNATS_EXPORT(E_SUB_ARGS);
  TSNATS_EXPORT(E_UNSUB_ARGS);
  TSNATS_EXPORT(E_PAYLOAD_CRLF);
  TSNATS_EXPORT(FNV_OFFSET);
  TSNATS_EXPORT(FNV_PRIME);
#undef TSNATS_EXPORT
  exports.Set("layout", layout);
  return exports;
}

}  // namespace

NODE_API_MODULE(tsnats, Init)
