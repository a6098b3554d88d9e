#!/usr/bin/env bash
# Builds the native scanner, batcher, unmask and CRC-32 (native/scanner.cc, batcher.cc, mask.cc, crc32.cc: plain C++, no
# N-API) into a standalone fuzz harness (scripts/native-fuzz.cc) twice, and runs it:
#   1. with -fsanitize=address,undefined (any out-of-bounds access or UB aborts the run);
#   2. without sanitizers under valgrind memcheck (installs valgrind with apt-get if missing).
# Not part of CI. Results are recorded in docs/hostile-input.md.
#
#   scripts/sanitize-native.sh [ITERATIONS] [SEED]
#     ITERATIONS  random inputs for the ASan/UBSan run (default 200000; valgrind runs 1/50 of it)
#     SEED        PRNG seed (default 1)
#   env: CXX (default g++ or clang++), OUT (build directory, default build/native-fuzz),
#        SKIP_VALGRIND=1 to skip step 2.
# A failing input is written to $OUT/native-fuzz-failure.bin; replay it with
#   build/native-fuzz/native-fuzz-asan --replay build/native-fuzz/native-fuzz-failure.bin
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ITER="${1:-200000}"
SEED="${2:-1}"
OUT="${OUT:-$ROOT/build/native-fuzz}"
CXX="${CXX:-$(command -v g++ || command -v clang++ || true)}"
[ -n "$CXX" ] || { echo "sanitize-native: no C++ compiler (g++/clang++)" >&2; exit 2; }
mkdir -p "$OUT"
cd "$OUT" # failing inputs are saved in the working directory

SRCS=("$ROOT/native/scanner.cc" "$ROOT/native/batcher.cc" "$ROOT/native/mask.cc" "$ROOT/native/crc32.cc" "$ROOT/scripts/native-fuzz.cc")
COMMON=(-std=c++17 -g -Wall -Wextra -I"$ROOT/native")

echo "== build: ASan + UBSan ($CXX)"
"$CXX" "${COMMON[@]}" -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all \
  "${SRCS[@]}" -o "$OUT/native-fuzz-asan"

echo "== run: $ITER inputs, seed $SEED, ASan + UBSan"
TIMER=()
if [ -x /usr/bin/time ]; then TIMER=(/usr/bin/time -f "   %e s, max RSS %M KiB"); fi
ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:check_initialization_order=1" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  "${TIMER[@]}" "$OUT/native-fuzz-asan" "$ITER" "$SEED"

if [ "${SKIP_VALGRIND:-0}" = 1 ]; then
  echo "== valgrind: skipped (SKIP_VALGRIND=1)"
  exit 0
fi
if ! command -v valgrind >/dev/null 2>&1; then
  echo "== valgrind missing: apt-get install -y valgrind"
  if [ "$(id -u)" = 0 ]; then apt-get install -y valgrind >/dev/null || { apt-get update >/dev/null && apt-get install -y valgrind >/dev/null; }
  else sudo apt-get install -y valgrind >/dev/null; fi
fi

VITER=$(( ITER / 50 > 0 ? ITER / 50 : 1 ))
echo "== build: plain -O2 for valgrind"
"$CXX" "${COMMON[@]}" -O2 "${SRCS[@]}" -o "$OUT/native-fuzz-plain"
echo "== run: $VITER inputs, seed $SEED, valgrind memcheck"
"${TIMER[@]}" valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
  --track-origins=yes "$OUT/native-fuzz-plain" "$VITER" "$SEED"
echo "== all runs clean"
