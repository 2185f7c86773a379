#include "lib/pg/migrator.h"

#include <fstream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "test/lib/pg/pg_fixture.h"

namespace daap::pg {
namespace {

class MigratorTest : public PgTest {
protected:
  // A scratch migrations directory under the test's temp dir.
  std::filesystem::path scratchDir() {
    std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                ("daap-migrations-" + database_ + "-" +
                                 std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    scratch_.push_back(dir);
    return dir;
  }
  void TearDown() override {
    for (const auto& dir : scratch_) {
      std::filesystem::remove_all(dir);
    }
  }
  static void write(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path) << text;
  }

  std::vector<std::filesystem::path> scratch_;
};

TEST_F(MigratorTest, UpDownUpOnTheRealSchema) {
  Result<Migrator> migrator = Migrator::fromDirectory(*pool_, migrationsDir());
  ASSERT_TRUE(migrator) << migrator.error().toString();
  const int latest = migrator->latestVersion();
  ASSERT_GE(latest, 1);

  Result<int> applied = migrator->up();
  ASSERT_TRUE(applied) << applied.error().toString();
  EXPECT_EQ(*applied, latest);
  EXPECT_EQ(*migrator->currentVersion(), latest);
  const std::string listing =
      sql("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables "
          "WHERE schemaname = 'public'");
  EXPECT_EQ(listing,
            "api_keys,audit_log,databases,quota_reservations,schema_migrations,tier_usage_changes,"
            "tiers");

  // Up again is a no-op.
  EXPECT_EQ(*migrator->up(), 0);

  // Down one step removes only the newest migration.
  EXPECT_EQ(*migrator->down(1), 1);
  EXPECT_EQ(*migrator->currentVersion(), latest - 1);
  EXPECT_EQ(sql("SELECT count(*) FROM pg_tables WHERE tablename = 'tier_usage_changes'"), "0");
  EXPECT_EQ(sql("SELECT count(*) FROM pg_trigger WHERE tgname = 'databases_usage'"), "0");
  EXPECT_EQ(sql("SELECT count(*) FROM pg_tables WHERE tablename = 'quota_reservations'"), "1");

  // All the way down leaves only the version table, which is empty.
  Result<int> reverted = migrator->down(100);
  ASSERT_TRUE(reverted) << reverted.error().toString();
  EXPECT_EQ(*reverted, latest - 1);
  EXPECT_EQ(*migrator->currentVersion(), 0);
  EXPECT_EQ(sql("SELECT string_agg(tablename, ',') FROM pg_tables WHERE schemaname = 'public'"),
            "schema_migrations");
  EXPECT_EQ(sql("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' "
                "AND tablename <> 'schema_migrations'"),
            "0");

  // And up again rebuilds everything.
  EXPECT_EQ(*migrator->up(), latest);
  EXPECT_EQ(sql("SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations"),
            "1,2,3,4,5");
}

TEST_F(MigratorTest, RacingMigratorsApplyEachMigrationOnce) {
  // Migrations that fail if run twice: CREATE TABLE without IF NOT EXISTS, and an insert that
  // counts executions.
  const std::filesystem::path dir = scratchDir();
  write(dir / "001_counter.up.sql",
        "CREATE TABLE runs (migration int NOT NULL); INSERT INTO runs VALUES (1); "
        "SELECT pg_sleep(0.2);");
  write(dir / "001_counter.down.sql", "DROP TABLE runs;");
  write(dir / "002_second.up.sql", "CREATE TABLE second (x int); INSERT INTO runs VALUES (2);");
  write(dir / "002_second.down.sql", "DROP TABLE second; DELETE FROM runs WHERE migration = 2;");
  write(dir / "003_third.up.sql", "CREATE TABLE third (x int); INSERT INTO runs VALUES (3);");
  write(dir / "003_third.down.sql", "DROP TABLE third; DELETE FROM runs WHERE migration = 3;");

  constexpr int kReplicas = 6;
  std::vector<std::unique_ptr<Pool>> pools;
  std::vector<Result<int>> results(kReplicas, Result<int>(0));
  pools.reserve(kReplicas);
  for (int i = 0; i < kReplicas; ++i) {
    pools.push_back(std::make_unique<Pool>(PoolOptions{url_, 1}));
  }
  std::vector<std::thread> threads;
  threads.reserve(kReplicas);
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] {
      Result<Migrator> migrator = Migrator::fromDirectory(*pools[i], dir);
      results[i] = migrator ? migrator->up() : Result<int>(migrator.error());
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  int total = 0;
  for (const auto& result : results) {
    ASSERT_TRUE(result) << result.error().toString();
    total += *result;
  }
  EXPECT_EQ(total, 3);
  EXPECT_EQ(sql("SELECT string_agg(migration::text, ',' ORDER BY migration) FROM runs"), "1,2,3");
  EXPECT_EQ(sql("SELECT count(*) FROM schema_migrations"), "3");
}

TEST_F(MigratorTest, AFailingMigrationRollsBackAndStops) {
  const std::filesystem::path dir = scratchDir();
  write(dir / "001_ok.up.sql", "CREATE TABLE ok (x int);");
  write(dir / "001_ok.down.sql", "DROP TABLE ok;");
  write(dir / "002_broken.up.sql", "CREATE TABLE half (x int); SELECT * FROM no_such_table;");
  write(dir / "002_broken.down.sql", "DROP TABLE half;");
  Result<Migrator> migrator = Migrator::fromDirectory(*pool_, dir);
  ASSERT_TRUE(migrator);
  Result<int> applied = migrator->up();
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error().reason, "42P01");
  EXPECT_EQ(*migrator->currentVersion(), 1);
  EXPECT_EQ(sql("SELECT count(*) FROM pg_tables WHERE tablename = 'half'"), "0");
  // The advisory lock went with the failed session: another run can proceed.
  EXPECT_EQ(*migrator->down(1), 1);
}

TEST_F(MigratorTest, RefusesGapsAndMissingDownFiles) {
  const std::filesystem::path gap = scratchDir();
  write(gap / "001_a.up.sql", "SELECT 1;");
  write(gap / "001_a.down.sql", "SELECT 1;");
  write(gap / "003_c.up.sql", "SELECT 1;");
  write(gap / "003_c.down.sql", "SELECT 1;");
  Result<std::vector<Migration>> loaded = loadMigrations(gap);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::InvalidArgument);
  EXPECT_NE(loaded.error().message.find("003_c"), std::string::npos);

  std::filesystem::remove(gap / "003_c.up.sql");
  std::filesystem::remove(gap / "003_c.down.sql");
  write(gap / "002_b.up.sql", "SELECT 1;");
  loaded = loadMigrations(gap);
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("no .down.sql"), std::string::npos);

  write(gap / "002_b.down.sql", "SELECT 1;");
  loaded = loadMigrations(gap);
  ASSERT_TRUE(loaded) << loaded.error().toString();
  EXPECT_EQ(loaded->size(), 2U);

  write(gap / "2_bad.up.sql", "SELECT 1;");
  EXPECT_FALSE(loadMigrations(gap));
}

TEST_F(MigratorTest, EveryShippedMigrationIsReversible) {
  Result<std::vector<Migration>> loaded = loadMigrations(migrationsDir());
  ASSERT_TRUE(loaded) << loaded.error().toString();
  for (const Migration& migration : *loaded) {
    EXPECT_FALSE(migration.down_sql.empty()) << migration.name;
  }
}

}  // namespace
}  // namespace daap::pg
