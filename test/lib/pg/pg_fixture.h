#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include <gtest/gtest.h>

#include "lib/pg/migrator.h"
#include "lib/pg/pool.h"
#include "test/support/postgres.h"
#include "test/support/testdata.h"

namespace daap::pg {

// One real PostgreSQL per test process; each test gets its own empty database.
class PgTest : public ::testing::Test {
protected:
  static testing::PostgresProcess& server() {
    // Stopped and removed at exit.
    static testing::PostgresProcess process(testing::PostgresProcess::Options{120, {}});
    static std::once_flag started;
    std::call_once(started, [] { process.start(); });
    return process;
  }

  static std::filesystem::path migrationsDir() { return testing::sourceDir() / "migrations"; }

  void SetUp() override {
    static std::atomic<int> counter{0};
    const std::string name = "test_" + std::to_string(counter++);
    url_ = server().createDatabase(name);
    database_ = name;
    pool_ = std::make_unique<Pool>(PoolOptions{url_, 8, std::chrono::milliseconds(10000)});
  }

  // Brings the test database to the latest schema.
  void migrate() {
    Result<Migrator> migrator = Migrator::fromDirectory(*pool_, migrationsDir());
    ASSERT_TRUE(migrator) << migrator.error().toString();
    Result<int> applied = migrator->up();
    ASSERT_TRUE(applied) << applied.error().toString();
  }

  // psql on this test's database; returns trimmed output.
  std::string sql(const std::string& statement) {
    const testing::CommandResult result = server().psql(statement, database_);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    std::string out = result.out;
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) {
      out.pop_back();
    }
    return out;
  }

  std::string url_;
  std::string database_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace daap::pg
