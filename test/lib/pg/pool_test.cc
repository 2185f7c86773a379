#include "lib/pg/pool.h"

#include <chrono>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "lib/pg/api_keys.h"
#include "lib/pg/migrator.h"
#include "test/lib/pg/pg_fixture.h"
#include "test/support/postgres.h"

namespace daap::pg {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Polls `probe` until it succeeds or the deadline passes.
template <typename F>
bool eventually(F&& probe, std::chrono::steady_clock::duration timeout = seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (probe()) {
      return true;
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  return false;
}

class PoolTest : public PgTest {};

TEST_F(PoolTest, HealthyOverVerifiedTls) {
  Result<void> health = pool_->healthy();
  ASSERT_TRUE(health) << health.error().toString();
  EXPECT_EQ(pool_->openConnections(), 1U);
  // The server refuses plain TCP: hostnossl is rejected even with the right password.
  std::string plain = url_;
  plain.replace(plain.find("sslmode=verify-full"), std::string("sslmode=verify-full").size(),
                "sslmode=disable");
  Pool plain_pool(PoolOptions{plain, 1, milliseconds(2000)});
  Result<void> refused = plain_pool.healthy();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::Unavailable);
  EXPECT_NE(refused.error().message.find("no encryption"), std::string::npos)
      << refused.error().message;
  // And the password never shows up in an error.
  const std::string password = url_.substr(url_.find(':', 14) + 1, 48);
  EXPECT_EQ(refused.error().message.find(password), std::string::npos);
}

TEST_F(PoolTest, WrongCaIsRejected) {
  // A CA that did not sign this server's certificate must not verify it.
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("daap-other-ca-" + database_);
  std::filesystem::create_directories(dir);
  const std::filesystem::path other_ca = dir / "ca.crt";
  ASSERT_EQ(testing::runCommand({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                 "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                                 (dir / "ca.key").string(), "-out", other_ca.string(), "-days", "1",
                                 "-subj", "/CN=other-ca"})
                .exit_code,
            0);
  std::string crossed = url_;
  const std::string ca = server().caFile().string();
  crossed.replace(crossed.find(ca), ca.size(), other_ca.string());
  Pool pool(PoolOptions{crossed, 1, milliseconds(2000)});
  Result<void> health = pool.healthy();
  ASSERT_FALSE(health);
  EXPECT_EQ(health.error().code, ErrorCode::Unavailable);
  EXPECT_NE(health.error().message.find("certificate verify failed"), std::string::npos)
      << health.error().message;
  std::filesystem::remove_all(dir);
}

TEST_F(PoolTest, AcquireTimesOutWhenEveryConnectionIsBusy) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("daap-pool-busy-" + database_);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "001_slow.up.sql") << "SELECT pg_sleep(1.5);";
  std::ofstream(dir / "001_slow.down.sql") << "SELECT 1;";
  Pool pool(PoolOptions{url_, 1, milliseconds(200)});
  Result<Migrator> migrator = Migrator::fromDirectory(pool, dir);
  ASSERT_TRUE(migrator);
  std::thread busy([&] { EXPECT_TRUE(migrator->up()); });
  // Wait until the slow migration holds the only connection.
  ASSERT_TRUE(eventually([&] {
    return sql("SELECT count(*) FROM pg_stat_activity WHERE "
               "query LIKE '%pg_sleep(1.5)%' AND pid <> "
               "pg_backend_pid()") == "1";
  }));
  Result<void> health = pool.healthy();
  ASSERT_FALSE(health);
  EXPECT_EQ(health.error().code, ErrorCode::Unavailable);
  EXPECT_NE(health.error().message.find("no platform database connection free"), std::string::npos);
  busy.join();
  EXPECT_TRUE(pool.healthy());
  std::filesystem::remove_all(dir);
}

// The gateway keeps one Pool for its lifetime: it must survive PostgreSQL going away.
void expectRecovery(testing::PostgresProcess& postgres, bool crash) {
  Pool pool(PoolOptions{postgres.url(), 4, milliseconds(2000), seconds(2)});
  Result<Migrator> migrator = Migrator::fromDirectory(pool, testing::sourceDir() / "migrations");
  ASSERT_TRUE(migrator);
  ASSERT_TRUE(migrator->up());
  ApiKeyRepository keys(pool);
  ASSERT_TRUE(keys.insert({"", "pfx-before", "hash", "payments", "product-team", ""}));
  ASSERT_TRUE(keys.findByPrefix("pfx-before"));

  if (crash) {
    postgres.kill();
  } else {
    postgres.stop();
  }
  Result<ApiKey> during = keys.findByPrefix("pfx-before");
  ASSERT_FALSE(during);
  EXPECT_EQ(during.error().code, ErrorCode::Unavailable) << during.error().toString();
  Result<void> health = pool.healthy();
  ASSERT_FALSE(health);
  EXPECT_EQ(health.error().code, ErrorCode::Unavailable);

  postgres.start();
  // Connections opened before the restart are stale; the pool replaces them on its own.
  ASSERT_TRUE(eventually([&] { return static_cast<bool>(pool.healthy()); }));
  for (int i = 0; i < 8; ++i) {
    Result<ApiKey> after = keys.findByPrefix("pfx-before");
    ASSERT_TRUE(after) << after.error().toString();
    EXPECT_EQ(after->team, "payments");
  }
  EXPECT_TRUE(keys.insert({"", "pfx-after", "hash", "payments", "product-team", ""}));
}

TEST(PoolRestartTest, RecoversAfterPostgresRestarts) {
  testing::PostgresProcess postgres;
  postgres.start();
  expectRecovery(postgres, /*crash=*/false);
}

TEST(PoolRestartTest, RecoversAfterPostgresCrashes) {
  testing::PostgresProcess postgres;
  postgres.start();
  expectRecovery(postgres, /*crash=*/true);
}

}  // namespace
}  // namespace daap::pg
