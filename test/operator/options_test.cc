#include "operator/options.h"

#include <gtest/gtest.h>

namespace daap::controller {
namespace {

Result<Options> parse(std::vector<const char*> args,
                      const std::map<std::string, std::string>& env = {}) {
  args.insert(args.begin(), "daap-operator");
  return parseOptions(static_cast<int>(args.size()), args.data(), env);
}

TEST(OptionsTest, DefaultsSuitAPlatformTeam) {
  const Result<Options> options = parse({});
  ASSERT_TRUE(options.has_value());
  EXPECT_EQ(options->namespace_, "daap-system");
  EXPECT_EQ(options->lease_namespace, "daap-system");
  EXPECT_TRUE(options->leader_election);
  EXPECT_EQ(options->metrics_address, "127.0.0.1");
}

TEST(OptionsTest, FlagsWinOverEnvironment) {
  const Result<Options> options = parse({"--workers=8"}, {{"DAAP_WORKERS", "3"},
                                                          {"DAAP_LEASE_NAME", "other"},
                                                          {"DAAP_LEADER_ELECTION", "false"},
                                                          {"UNRELATED", "x"}});
  ASSERT_TRUE(options.has_value());
  EXPECT_EQ(options->workers, 8);
  EXPECT_EQ(options->lease_name, "other");
  EXPECT_FALSE(options->leader_election);
}

TEST(OptionsTest, ErrorsNameTheFlag) {
  const Result<Options> workers = parse({"--workers=0"});
  ASSERT_FALSE(workers.has_value());
  EXPECT_NE(workers.error().message.find("--workers"), std::string::npos);
  const Result<Options> renew = parse({"--lease-duration-ms=1000", "--renew-deadline-ms=2000"});
  ASSERT_FALSE(renew.has_value());
  EXPECT_NE(renew.error().message.find("--renew-deadline-ms"), std::string::npos);
  EXPECT_FALSE(parse({"--no-such-flag"}).has_value());
}

}  // namespace
}  // namespace daap::controller
