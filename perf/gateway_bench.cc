// Gateway hot paths without the network: API key verification as every request does it (the
// Authenticator with its cache warm: parse, hash, constant-time compare), rendering one
// database in the envelope, and writing one access log line. Target: key verification <= 5 us.
#include <fcntl.h>
#include <unistd.h>

#include <benchmark/benchmark.h>
#include <glog/logging.h>

#include "gateway/envelope.h"
#include "gateway/handlers/databases.h"
#include "gateway/middleware/access_log.h"
#include "gateway/middleware/authenticator.h"
#include "lib/auth/api_key.h"
#include "lib/base/clock.h"
#include "lib/pg/api_keys.h"
#include "lib/pg/migrator.h"
#include "lib/pg/pool.h"
#include "test/support/postgres.h"
#include "test/support/testdata.h"

namespace {

// NOLINTNEXTLINE(readability-identifier-naming): Google Benchmark's BM_ names.
void BM_AuthenticateCachedKey(benchmark::State& state) {
  daap::testing::PostgresProcess postgres;
  postgres.start();
  daap::pg::Pool pool({postgres.url(), 2});
  daap::Result<daap::pg::Migrator> migrator =
      daap::pg::Migrator::fromDirectory(pool, daap::testing::sourceDir() / "migrations");
  CHECK(migrator && migrator->up());
  daap::pg::ApiKeyRepository keys(pool);
  daap::SystemClock clock;
  daap::gateway::Authenticator authenticator(keys, "", std::chrono::hours(1), clock);
  daap::Result<daap::auth::GeneratedKey> key = daap::auth::generateKey();
  CHECK(key);
  CHECK(keys.insert({"", key->prefix, key->hash, "payments", "product-team", "bench"}));
  CHECK(authenticator.authenticate(key->plaintext));  // Warms the cache.
  // NOLINTNEXTLINE(clang-analyzer-deadcode.DeadStores): Google Benchmark's loop idiom.
  for (auto _ : state) {
    daap::Result<daap::gateway::Caller> caller = authenticator.authenticate(key->plaintext);
    benchmark::DoNotOptimize(caller);
  }
}
BENCHMARK(BM_AuthenticateCachedKey)->Unit(benchmark::kMicrosecond);

// NOLINTNEXTLINE(readability-identifier-naming): Google Benchmark's BM_ names.
void BM_RenderDatabase(benchmark::State& state) {
  daap::pg::DatabaseRecord record;
  record.id = "8290d733-43ba-468a-85aa-9645daf8cdd8";
  record.name = "orders";
  record.namespace_name = "daap-payments";
  record.owner_team = "payments";
  record.purpose = "Orders placed through checkout.";
  record.tier = "dev";
  record.phase = "Ready";
  record.host = "orders-pooler.daap-payments.svc";
  record.port = 5432;
  record.secret_name = "orders-app";
  record.extensions_json = R"([{"name":"plpgsql","version":"1.0"}])";
  // NOLINTNEXTLINE(clang-analyzer-deadcode.DeadStores): Google Benchmark's loop idiom.
  for (auto _ : state) {
    const daap::json::Document view = daap::gateway::databaseView(record);
    std::string body = daap::gateway::renderData(view, "0123456789abcdef");
    benchmark::DoNotOptimize(body);
  }
}
BENCHMARK(BM_RenderDatabase)->Unit(benchmark::kMicrosecond);

// One access log line as the gateway wrote it before (glog to stderr: a stat of the time zone
// file and a write(2) per line) and as it writes it now (AccessLog: formatted into a buffer,
// written in batches). stderr goes to /dev/null for both.
class StderrToDevNull {
public:
  StderrToDevNull() : saved_(::dup(STDERR_FILENO)) {
    const int null_fd = ::open("/dev/null", O_WRONLY);
    ::dup2(null_fd, STDERR_FILENO);
    ::close(null_fd);
  }
  ~StderrToDevNull() {
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
  }
  StderrToDevNull(const StderrToDevNull&) = delete;
  StderrToDevNull& operator=(const StderrToDevNull&) = delete;

private:
  int saved_;
};

constexpr const char* kAccessLine =
    "request method=GET route=database.get status=200 elapsed_ms=0.412"
    " request_id=0123456789abcdef0123456789abcdef remote=127.0.0.1:54321";

// NOLINTNEXTLINE(readability-identifier-naming): Google Benchmark's BM_ names.
void BM_AccessLogLineGlog(benchmark::State& state) {
  const StderrToDevNull quiet;
  FLAGS_logtostderr = true;
  // NOLINTNEXTLINE(clang-analyzer-deadcode.DeadStores): Google Benchmark's loop idiom.
  for (auto _ : state) {
    LOG(INFO) << kAccessLine;
  }
}
BENCHMARK(BM_AccessLogLineGlog)->Unit(benchmark::kMicrosecond);

// NOLINTNEXTLINE(readability-identifier-naming): Google Benchmark's BM_ names.
void BM_AccessLogLineBuffered(benchmark::State& state) {
  const StderrToDevNull quiet;
  daap::gateway::AccessLog log(STDERR_FILENO);
  log.start();
  // NOLINTNEXTLINE(clang-analyzer-deadcode.DeadStores): Google Benchmark's loop idiom.
  for (auto _ : state) {
    log.write(kAccessLine);
  }
  log.stop();
}
BENCHMARK(BM_AccessLogLineBuffered)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
