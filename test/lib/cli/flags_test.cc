#include "lib/cli/flags.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <boost/program_options.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace daap::cli {
namespace {

namespace po = boost::program_options;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// A small binary's flags, bound to plain variables the way every options.cc binds them.
struct Flags {
  int worker_threads = 4;
  std::string database_url;
  bool migrate = true;
  po::options_description description{"Usage: tool [flags]"};

  Flags() {
    description.add_options()("help", "print this help")(
        "worker-threads", po::value(&worker_threads)->default_value(worker_threads), "threads")(
        "database-url", po::value(&database_url), "where")(
        "migrate", po::value(&migrate)->default_value(migrate), "apply migrations");
  }

  Result<void> parse(std::vector<const char*> argv, const std::map<std::string, std::string>& env,
                     std::string_view prefix = "DAAP_") {
    argv.insert(argv.begin(), "tool");
    return parseFlags(description, static_cast<int>(argv.size()), argv.data(), env, prefix);
  }
};

// The message of the InvalidArgument error that parsing `argv` over `env` gives; empty when it
// succeeds or fails with another code.
std::string invalidArgumentOf(std::vector<const char*> argv,
                              const std::map<std::string, std::string>& env) {
  Flags flags;
  const Result<void> parsed = flags.parse(std::move(argv), env);
  if (parsed || parsed.error().code != ErrorCode::InvalidArgument) {
    return "";
  }
  return parsed.error().message;
}

TEST(EnvironmentOfTest, SplitsAtTheFirstEquals) {
  const char* const envp[] = {"HOME=/home/x", "DAAP_DATABASE_URL=postgresql://h/db?a=b",
                              "EMPTY=", "NOEQUALS", nullptr};
  const std::map<std::string, std::string> env = environmentOf(envp);
  EXPECT_EQ(env, (std::map<std::string, std::string>{
                     {"HOME", "/home/x"},
                     {"DAAP_DATABASE_URL", "postgresql://h/db?a=b"},
                     {"EMPTY", ""},
                 }));
}

TEST(FlagsFromEnvironmentTest, KnownPrefixedVariablesBecomeFlags) {
  const Flags flags;
  const std::vector<std::string> arguments =
      flagsFromEnvironment(flags.description, {{"DAAP_WORKER_THREADS", "3"},
                                               {"DAAP_NO_SUCH_FLAG", "x"},
                                               {"WORKER_THREADS", "9"},
                                               {"DAAP_", "y"},
                                               {"DAAP_DATABASE_URL", "postgresql://h/d?x=1"}});
  EXPECT_EQ(arguments, (std::vector<std::string>{"--database-url=postgresql://h/d?x=1",
                                                 "--worker-threads=3"}));
}

TEST(FlagsFromEnvironmentTest, PrefixIsTheCallers) {
  const Flags flags;
  const std::vector<std::string> arguments = flagsFromEnvironment(
      flags.description, {{"DAAP_WORKER_THREADS", "3"}, {"DAAP_TOOL_WORKER_THREADS", "5"}},
      "DAAP_TOOL_");
  EXPECT_EQ(arguments, (std::vector<std::string>{"--worker-threads=5"}));
}

TEST(ParseFlagsTest, EnvironmentFillsWhatTheCommandLineDidNotGive) {
  Flags flags;
  ASSERT_TRUE(flags.parse({"--worker-threads=8"},
                          {{"DAAP_WORKER_THREADS", "3"}, {"DAAP_DATABASE_URL", "u"}}));
  EXPECT_EQ(flags.worker_threads, 8);
  EXPECT_EQ(flags.database_url, "u");
  EXPECT_TRUE(flags.migrate);
}

TEST(ParseFlagsTest, EnvironmentWinsOverDefaults) {
  Flags flags;
  ASSERT_TRUE(flags.parse({}, {{"DAAP_MIGRATE", "false"}, {"DAAP_WORKER_THREADS", "2"}}));
  EXPECT_FALSE(flags.migrate);
  EXPECT_EQ(flags.worker_threads, 2);
}

TEST(ParseFlagsTest, BadValuesNameTheFlag) {
  EXPECT_THAT(invalidArgumentOf({"--worker-threads=many"}, {}), HasSubstr("--worker-threads"));
  EXPECT_THAT(invalidArgumentOf({}, {{"DAAP_WORKER_THREADS", "many"}}),
              HasSubstr("--worker-threads"));
}

TEST(ParseFlagsTest, UnknownFlagIsAnError) {
  EXPECT_THAT(invalidArgumentOf({"--no-such-flag=1"}, {}), HasSubstr("no-such-flag"));
}

TEST(ParseFlagsTest, HelpReturnsTheHelpText) {
  const std::string help = invalidArgumentOf({"--help"}, {});
  EXPECT_THAT(help, StartsWith("Usage: tool [flags]"));
  EXPECT_THAT(help, HasSubstr("--worker-threads"));
}

}  // namespace
}  // namespace daap::cli
