#!/usr/bin/env bash
# Builds DAAP and runs the whole test suite: formatting, the OpenAPI lint, every ctest label (unit,
# integration, e2e) in a release build, clang-tidy, then every label again under
# AddressSanitizer and UndefinedBehaviorSanitizer, and the libFuzzer targets for a bounded
# time. Installs its own dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

hack/deps.sh

jobs=$(nproc)
# Each stage's heading says how long the suite has run so far, to see where the time goes.
stage() { echo "== $1 (at $((SECONDS / 60)) min $((SECONDS % 60)) s)"; }

stage "format"
git ls-files -- '*.cc' '*.h' | xargs clang-format --dry-run -Werror

stage "OpenAPI contract (redocly lint, generated TypeScript client type-check)"
hack/openapi-check.sh

stage "release build"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release -j "$jobs"
stage "tests (release)"
ctest --test-dir build/release --output-on-failure -j "$jobs" --timeout 600

stage "clang-tidy (production code)"
git ls-files -- 'lib/*.cc' 'hack/*.cc' 'operator/*.cc' 'gateway/*.cc' |
  xargs -P "$jobs" -n 4 clang-tidy -p build/release --quiet 2>/dev/null

stage "fuzz (libFuzzer + ASan/UBSan, 30 s)"
cmake -S . -B build/fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DDAAP_FUZZ=ON \
  -DDAAP_BUILD_PERF=OFF >/dev/null
cmake --build build/fuzz --target watch_decoder_fuzz
rm -rf build/fuzz/corpus && cp -r test/fuzz/corpus build/fuzz/corpus
build/fuzz/test/fuzz/watch_decoder_fuzz -max_total_time=30 -print_final_stats=1 \
  build/fuzz/corpus 2>&1 | tail -n 5

stage "sanitizer build"
cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DDAAP_SANITIZE=ON \
  -DDAAP_BUILD_PERF=OFF >/dev/null
cmake --build build/asan -j "$jobs"
stage "tests (ASan + UBSan)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  LSAN_OPTIONS="suppressions=$(pwd)/test/sanitizer/lsan_suppressions.txt" \
  ctest --test-dir build/asan --output-on-failure -j "$jobs" --timeout 900 -L 'unit|integration|e2e'
stage "done"
