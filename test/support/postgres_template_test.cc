#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "test/support/postgres.h"

namespace daap::testing {
namespace {

TEST(PostgresTemplateTest, HalfWrittenTemplateIsRebuilt) {
  {
    PostgresProcess first;
    first.start();
  }
  const std::filesystem::path templ = postgresTemplateDir();
  ASSERT_TRUE(std::filesystem::exists(templ / "complete"));
  // As if a build crashed before writing its marker, leaving a stray file behind.
  std::filesystem::remove(templ / "complete");
  std::ofstream(templ / "data" / "half-written") << "x";

  PostgresProcess second;
  second.start();
  EXPECT_TRUE(std::filesystem::exists(templ / "complete"));
  EXPECT_FALSE(std::filesystem::exists(templ / "data" / "half-written"));
  EXPECT_FALSE(std::filesystem::exists(second.dataDir() / "half-written"));
  const CommandResult result = second.psql("SELECT current_user");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "daap\n");
}

TEST(PostgresTemplateTest, CopiesAreIndependentInstances) {
  PostgresProcess one(PostgresProcess::Options{42, {"application_name = 'one'"}});
  PostgresProcess two;
  one.start();
  two.start();
  EXPECT_NE(one.port(), two.port());
  EXPECT_NE(one.dataDir(), two.dataDir());
  EXPECT_EQ(one.psql("SHOW max_connections").out, "42\n");
  EXPECT_EQ(two.psql("SHOW max_connections").out, "100\n");
  // A change in one copy is not seen by the other.
  ASSERT_EQ(one.psql("CREATE TABLE only_here (id int)").exit_code, 0);
  EXPECT_EQ(one.psql("SELECT count(*) FROM pg_tables WHERE tablename = 'only_here'").out, "1\n");
  EXPECT_EQ(two.psql("SELECT count(*) FROM pg_tables WHERE tablename = 'only_here'").out, "0\n");
  // Plain TCP is refused; TLS with a password is required.
  const CommandResult plain = runCommand(
      {(postgresBinDir() / "psql").string(),
       "postgresql://daap@127.0.0.1:" + std::to_string(two.port()) + "/daap?sslmode=disable", "-X",
       "-c", "SELECT 1"},
      {{"PGCONNECT_TIMEOUT", "10"}});
  EXPECT_NE(plain.exit_code, 0);
}

}  // namespace
}  // namespace daap::testing
