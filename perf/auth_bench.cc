// lib/auth costs on the request path: parsing, hashing and verifying one API key (target:
// parse + hash + verify <= 5 us median).
// Run: <build>/perf/auth_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <string>

#include <benchmark/benchmark.h>
#include <glog/logging.h>

#include "lib/auth/api_key.h"
#include "lib/auth/rbac.h"

namespace {

using daap::auth::GeneratedKey;

GeneratedKey makeKey(std::string_view pepper) {
  daap::Result<GeneratedKey> key = daap::auth::generateKey(pepper);
  CHECK(key.has_value());
  return std::move(key).value();
}

// What the gateway does per request: parse the header value, then check it against the
// stored hash found by prefix (the lookup itself is lib/pg's).
void bmParseHashVerify(benchmark::State& state, std::string_view pepper) {
  const GeneratedKey key = makeKey(pepper);
  // NOLINTNEXTLINE(clang-analyzer-deadcode.DeadStores): Google Benchmark's loop idiom.
  for (auto _ : state) {
    daap::Result<daap::auth::ParsedKey> parsed = daap::auth::parseKey(key.plaintext);
    benchmark::DoNotOptimize(parsed);
    const bool ok = daap::auth::verifyKey(key.plaintext, key.hash, pepper);
    CHECK(parsed.has_value() && ok);
    benchmark::DoNotOptimize(ok);
  }
}

// NOLINTNEXTLINE(readability-identifier-naming): Google Benchmark's BM_ names.
void BM_ParseHashVerify(benchmark::State& state) {
  bmParseHashVerify(state, {});
}
BENCHMARK(BM_ParseHashVerify);

// NOLINTNEXTLINE(readability-identifier-naming): Google Benchmark's BM_ names.
void BM_ParseHashVerifyPeppered(benchmark::State& state) {
  bmParseHashVerify(state, "a-32-byte-server-side-pepper-000");
}
BENCHMARK(BM_ParseHashVerifyPeppered);

// NOLINTNEXTLINE(readability-identifier-naming): Google Benchmark's BM_ names.
void BM_GenerateKey(benchmark::State& state) {
  // NOLINTNEXTLINE(clang-analyzer-deadcode.DeadStores): Google Benchmark's loop idiom.
  for (auto _ : state) {
    benchmark::DoNotOptimize(daap::auth::generateKey());
  }
}
BENCHMARK(BM_GenerateKey);

// NOLINTNEXTLINE(readability-identifier-naming): Google Benchmark's BM_ names.
void BM_Authorize(benchmark::State& state) {
  const daap::auth::Principal principal{"paym0001", "payments", daap::auth::Role::ProductTeam};
  // NOLINTNEXTLINE(clang-analyzer-deadcode.DeadStores): Google Benchmark's loop idiom.
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        daap::auth::authorize(principal, daap::auth::Action::DatabaseGet, "payments"));
  }
}
BENCHMARK(BM_Authorize);

}  // namespace

BENCHMARK_MAIN();
