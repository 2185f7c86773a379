#include "hack/devcluster/options.h"

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace daap::devcluster {
namespace {

using std::chrono::milliseconds;

Result<Options> parse(std::vector<const char*> args,
                      const std::map<std::string, std::string>& env = {}) {
  args.insert(args.begin(), "devcluster");
  return parseOptions(static_cast<int>(args.size()), args.data(), env);
}

TEST(ParseDurationTest, ReadsGoStyleDurations) {
  EXPECT_EQ(parseDuration("0").value(), milliseconds(0));
  EXPECT_EQ(parseDuration("250ms").value(), milliseconds(250));
  EXPECT_EQ(parseDuration("2s").value(), milliseconds(2000));
  EXPECT_EQ(parseDuration("1m30s").value(), milliseconds(90000));
  EXPECT_EQ(parseDuration("1h").value(), milliseconds(3600000));
}

TEST(ParseDurationTest, RejectsWhatItCannotRead) {
  for (const char* bad : {"", "s", "1", "-1s", "1d", "1.5s", "ms"}) {
    EXPECT_FALSE(parseDuration(bad).has_value()) << bad;
  }
}

TEST(ParseOptionsTest, CnpgStandInIsFastWithOneSecondByDefault) {
  const Result<Options> options = parse({});
  ASSERT_TRUE(options) << options.error().toString();
  EXPECT_EQ(options->cnpg_mode, Options::CnpgMode::Fast);
  EXPECT_EQ(options->cnpg_ready_after, milliseconds(1000));
}

TEST(ParseOptionsTest, CnpgFlagsAndEnvironment) {
  const Result<Options> flags = parse({"--cnpg-mode=off", "--cnpg-ready-after=0"});
  ASSERT_TRUE(flags) << flags.error().toString();
  EXPECT_EQ(flags->cnpg_mode, Options::CnpgMode::Off);
  EXPECT_EQ(flags->cnpg_ready_after, milliseconds(0));

  const Result<Options> env = parse({}, {{"DAAP_DEVCLUSTER_CNPG_READY_AFTER", "300ms"}});
  ASSERT_TRUE(env) << env.error().toString();
  EXPECT_EQ(env->cnpg_ready_after, milliseconds(300));
}

TEST(ParseOptionsTest, BadCnpgFlagsNameTheFlag) {
  const Result<Options> mode = parse({"--cnpg-mode=real"});
  ASSERT_FALSE(mode);
  EXPECT_EQ(mode.error().message, "--cnpg-mode must be fast or off");
  const Result<Options> delay = parse({"--cnpg-ready-after=soon"});
  ASSERT_FALSE(delay);
  EXPECT_EQ(delay.error().message.rfind("--cnpg-ready-after: ", 0), 0U) << delay.error().message;
}

}  // namespace
}  // namespace daap::devcluster
