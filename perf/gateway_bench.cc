// Gateway hot paths without the network: API key verification as every request does it (the
// Authenticator with its cache warm: parse, hash, constant-time compare), and rendering one
// database in the envelope. Target: key verification <= 5 us.
#include <benchmark/benchmark.h>

#include "gateway/envelope.h"
#include "gateway/handlers/databases.h"
#include "gateway/middleware/authenticator.h"
#include "lib/auth/api_key.h"
#include "lib/base/clock.h"
#include "lib/pg/api_keys.h"
#include "lib/pg/migrator.h"
#include "lib/pg/pool.h"
#include "test/support/postgres.h"
#include "test/support/testdata.h"

namespace {

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
  for (auto _ : state) {
    daap::Result<daap::gateway::Caller> caller = authenticator.authenticate(key->plaintext);
    benchmark::DoNotOptimize(caller);
  }
}
BENCHMARK(BM_AuthenticateCachedKey)->Unit(benchmark::kMicrosecond);

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
  for (auto _ : state) {
    const daap::json::Document view = daap::gateway::databaseView(record);
    std::string body = daap::gateway::renderData(view, "0123456789abcdef");
    benchmark::DoNotOptimize(body);
  }
}
BENCHMARK(BM_RenderDatabase)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
