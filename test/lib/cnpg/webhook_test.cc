#include "lib/cnpg/webhook.h"

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "lib/cnpg/render.h"
#include "lib/json/json.h"
#include "lib/json/pointer.h"

namespace daap::cnpg {
namespace {

model::TierParameters haTier() {
  model::TierParameters out;
  out.postgres_version = 17;
  out.instances = 3;
  out.cpu = model::Quantity::parse("1").value();
  out.memory = model::Quantity::parse("1Gi").value();
  out.storage_size = model::Quantity::parse("1Gi").value();
  out.backup = model::BackupSettings{"0 0 2 * * *", 7,
                                     model::BackupDestination{"", "s3://b/p/", "c", "a", "s"}};
  return out;
}

json::Document rendered(std::string_view kind) {
  const DatabaseRef database{"orders", "ns", "uid-1", "team"};
  for (json::Document& object : renderAll(database, haTier(), RenderOptions{})) {
    if (json::getString(object, "kind") == kind) {
      return std::move(object);
    }
  }
  ADD_FAILURE() << "no " << kind;
  return {};
}

TEST(WebhookTest, RenderedObjectsPass) {
  for (const std::string_view kind : {"Cluster", "Pooler", "ScheduledBackup", "ObjectStore"}) {
    const std::vector<std::string> violations = webhookViolations(rendered(kind));
    EXPECT_TRUE(violations.empty()) << kind << ": " << violations.front();
  }
}

struct ViolationCase {
  std::string_view name;
  std::string_view kind;
  std::string_view pointer;
  std::string_view value_json;  // Empty: remove.
  std::string_view field;       // The violation must start with it.
};

// Test names in ctest show the case, not its bytes.
// NOLINTNEXTLINE(readability-identifier-naming): GoogleTest looks for this name.
void PrintTo(const ViolationCase& c, std::ostream* os) {
  *os << c.name;
}

class WebhookViolationTest : public ::testing::TestWithParam<ViolationCase> {};

TEST_P(WebhookViolationTest, Rejects) {
  json::Document object = rendered(GetParam().kind);
  std::vector<std::string> tokens = json::parsePointer(GetParam().pointer).value();
  const std::string last = tokens.back();
  tokens.pop_back();
  json::Value* parent = json::resolve(object, tokens);
  ASSERT_NE(parent, nullptr);
  if (GetParam().value_json.empty()) {
    ASSERT_TRUE(json::erase(*parent, last));
  } else {
    const json::Document value = json::parse(GetParam().value_json).value();
    json::set(*parent, last, json::Value(value, object.GetAllocator()), object.GetAllocator());
  }
  const std::vector<std::string> violations = webhookViolations(object);
  ASSERT_EQ(violations.size(), 1U) << (violations.empty() ? "none" : violations.back());
  EXPECT_EQ(violations[0].rfind(std::string(GetParam().field) + ":", 0), 0U) << violations[0];
}

INSTANTIATE_TEST_SUITE_P(
    Rules, WebhookViolationTest,
    ::testing::Values(
        ViolationCase{"NameTooLong", "Cluster", "/metadata/name",
                      R"("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")",  // 51
                      "metadata.name"},
        ViolationCase{"NameNotDns1035", "Cluster", "/metadata/name", R"("1orders")",
                      "metadata.name"},
        ViolationCase{"LatestTag", "Cluster", "/spec/imageName",
                      R"("ghcr.io/cloudnative-pg/postgresql:latest")", "spec.imageName"},
        ViolationCase{"DigestOnly", "Cluster", "/spec/imageName",
                      R"("ghcr.io/cloudnative-pg/postgresql@sha256:abc")", "spec.imageName"},
        ViolationCase{"TooOld", "Cluster", "/spec/imageName",
                      R"("ghcr.io/cloudnative-pg/postgresql:12.5-standard-trixie")",
                      "spec.imageName"},
        ViolationCase{"NoStorage", "Cluster", "/spec/storage/size", "", "spec.storage.size"},
        ViolationCase{"RequestOverLimit", "Cluster", "/spec/resources/limits/cpu", R"("500m")",
                      "spec.resources.cpu"},
        ViolationCase{"OwnerWithoutDatabase", "Cluster", "/spec/bootstrap/initdb/database", "",
                      "spec.bootstrap.initdb"},
        ViolationCase{"TwoBootstraps", "Cluster", "/spec/bootstrap/recovery",
                      R"({"source": "origin"})", "spec.bootstrap"},
        ViolationCase{"FixedParameter", "Cluster", "/spec/postgresql/parameters/archive_mode",
                      R"("on")", "spec.postgresql.parameters.archive_mode"},
        ViolationCase{"SslFileParameter", "Cluster", "/spec/postgresql/parameters/ssl_cert_file",
                      R"("/x")", "spec.postgresql.parameters.ssl_cert_file"},
        ViolationCase{"SyncNumberTooHigh", "Cluster", "/spec/postgresql/synchronous/number", "3",
                      "spec.postgresql.synchronous.number"},
        ViolationCase{"TwoArchivers", "Cluster", "/spec/plugins",
                      R"([{"name": "a", "isWALArchiver": true},)"
                      R"( {"name": "b", "enabled": true, "isWALArchiver": true}])",
                      "spec.plugins"},
        ViolationCase{"BadHibernation", "Cluster", "/metadata/annotations",
                      R"({"cnpg.io/hibernation": "yes"})",
                      "metadata.annotations[cnpg.io/hibernation]"},
        ViolationCase{"PoolerNamedLikeCluster", "Pooler", "/metadata/name", R"("orders")",
                      "metadata.name"},
        ViolationCase{"PgBouncerParameterNotAllowed", "Pooler",
                      "/spec/pgbouncer/parameters/listen_port", R"("6432")",
                      "spec.pgbouncer.parameters.listen_port"},
        ViolationCase{"FiveFieldSchedule", "ScheduledBackup", "/spec/schedule", R"("0 2 * * *")",
                      "spec.schedule"}),
    [](const ::testing::TestParamInfo<ViolationCase>& info) {
      return std::string(info.param.name);
    });

TEST(WebhookTest, AcceptsScheduleDescriptorsAndIgnoresOtherKinds) {
  json::Document backup = rendered("ScheduledBackup");
  json::setString(*json::find(backup, "spec"), "schedule", "@daily", backup.GetAllocator());
  EXPECT_TRUE(webhookViolations(backup).empty());
  const json::Document secret =
      json::parse(R"({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}})").value();
  EXPECT_TRUE(webhookViolations(secret).empty());
}

}  // namespace
}  // namespace daap::cnpg
