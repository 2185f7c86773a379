#include "gateway/options.h"

#include <gtest/gtest.h>

namespace daap::gateway {
namespace {

Result<Options> parse(std::vector<const char*> argv, std::map<std::string, std::string> env = {}) {
  argv.insert(argv.begin(), "daap-gateway");
  return parseOptions(static_cast<int>(argv.size()), argv.data(), env);
}

TEST(GatewayOptionsTest, DatabaseUrlIsRequired) {
  Result<Options> options = parse({});
  ASSERT_FALSE(options);
  EXPECT_NE(options.error().message.find("--database-url"), std::string::npos);
}

TEST(GatewayOptionsTest, EnvironmentFillsFlags) {
  Result<Options> options = parse({}, {{"DAAP_DATABASE_URL", "postgresql://x/y"},
                                       {"DAAP_BOOTSTRAP_API_KEY", "k"},
                                       {"DAAP_WORKER_THREADS", "3"}});
  ASSERT_TRUE(options) << options.error().toString();
  EXPECT_EQ(options->database_url, "postgresql://x/y");
  EXPECT_EQ(options->bootstrap_api_key, "k");
  EXPECT_EQ(options->worker_threads, 3);
  EXPECT_EQ(options->address, "127.0.0.1");
  EXPECT_EQ(options->port, 8080);
  EXPECT_EQ(options->max_body_bytes, size_t{1024} * 1024);
  EXPECT_EQ(options->namespace_mode, NamespaceMode::PerTeam);
}

TEST(GatewayOptionsTest, FlagWinsOverEnvironment) {
  Result<Options> options =
      parse({"--port=9000", "--namespace-mode=shared", "--database-namespace=dbs"},
            {{"DAAP_DATABASE_URL", "u"}, {"DAAP_PORT", "7000"}});
  ASSERT_TRUE(options) << options.error().toString();
  EXPECT_EQ(options->port, 9000);
  EXPECT_EQ(options->namespace_mode, NamespaceMode::Shared);
  EXPECT_EQ(options->database_namespace, "dbs");
}

TEST(GatewayOptionsTest, BadValuesNameTheFlag) {
  Result<Options> mode = parse({"--namespace-mode=galaxy"}, {{"DAAP_DATABASE_URL", "u"}});
  ASSERT_FALSE(mode);
  EXPECT_NE(mode.error().message.find("--namespace-mode"), std::string::npos);
  Result<Options> tls = parse({"--tls-cert-file=c.pem"}, {{"DAAP_DATABASE_URL", "u"}});
  ASSERT_FALSE(tls);
  EXPECT_NE(tls.error().message.find("--tls-key-file"), std::string::npos);
}

}  // namespace
}  // namespace daap::gateway
