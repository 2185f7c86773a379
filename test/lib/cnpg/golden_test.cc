// Golden renderings of the example database on each example tier, validated against the real
// CNPG CRDs. To regenerate after an intended rendering change, run
//   DAAP_UPDATE_GOLDEN=1 <build>/test/lib/cnpg/cnpg_test --gtest_filter='Golden*'
// and review the diff of test/lib/cnpg/golden/.
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "lib/cnpg/render.h"
#include "lib/json/json.h"
#include "lib/json/yaml.h"
#include "lib/model/tier_codec.h"
#include "test/lib/cnpg/crd_validator.h"
#include "test/support/testdata.h"

namespace daap::cnpg {
namespace {

// A fixed uid stands in for the one the API server would assign.
constexpr std::string_view kOrdersUid = "0c6f2d9e-5d2c-4f8e-9a8e-3b1d2f6a7c11";

std::vector<json::Document> loadYaml(const std::string& relative_path) {
  Result<std::vector<json::Document>> documents =
      json::parseYaml(daap::testing::readFile(daap::testing::sourceDir() / relative_path));
  EXPECT_TRUE(documents.has_value()) << relative_path;
  return documents ? std::move(documents).value() : std::vector<json::Document>();
}

// The DaapDatabase of manifests/examples/database-orders.yaml.
DatabaseRef ordersDatabase() {
  for (const json::Document& document : loadYaml("manifests/examples/database-orders.yaml")) {
    if (json::getString(document, "kind") != "DaapDatabase") {
      continue;
    }
    const json::Value& metadata = *json::find(document, "metadata");
    return DatabaseRef{std::string(json::getString(metadata, "name")),
                       std::string(json::getString(metadata, "namespace")), std::string(kOrdersUid),
                       std::string(json::getString(*json::find(document, "spec"), "ownerTeam"))};
  }
  ADD_FAILURE() << "no DaapDatabase in the example";
  return {};
}

model::TierParameters exampleTier(std::string_view name) {
  std::vector<json::Document> documents =
      loadYaml("manifests/examples/tier-" + std::string(name) + ".yaml");
  EXPECT_EQ(documents.size(), 1U);
  Result<model::Tier> tier = model::decodeTier(documents.at(0));
  EXPECT_TRUE(tier.has_value()) << tier.error().toString();
  return tier->parameters;
}

bool updateGolden() {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read once, before any test thread exists.
  const char* update = std::getenv("DAAP_UPDATE_GOLDEN");
  return update != nullptr && std::string_view(update) == "1";
}

// Compiling the CNPG CRDs takes a moment: once for all tests.
const testing::CrdValidator& validator() {
  static const testing::CrdValidator kValidator;
  return kValidator;
}

class GoldenTest : public ::testing::TestWithParam<std::string_view> {};

TEST_P(GoldenTest, RenderingMatchesTheGoldenFile) {
  const std::vector<json::Document> objects =
      renderAll(ordersDatabase(), exampleTier(GetParam()), RenderOptions{});
  json::Document rendered(rapidjson::kArrayType);
  for (const json::Document& object : objects) {
    rendered.PushBack(json::Value(object, rendered.GetAllocator()), rendered.GetAllocator());
  }
  const std::filesystem::path golden =
      daap::testing::sourceDir() / "test/lib/cnpg/golden" / (std::string(GetParam()) + ".json");
  const std::string text = json::serializePretty(rendered) + "\n";
  if (updateGolden()) {
    std::ofstream(golden, std::ios::binary | std::ios::trunc) << text;
    GTEST_SKIP() << "rewrote " << golden;
  }
  ASSERT_TRUE(std::filesystem::exists(golden))
      << golden << " is missing; run with DAAP_UPDATE_GOLDEN=1 to create it";
  Result<json::Document> expected = json::parse(daap::testing::readFile(golden));
  ASSERT_TRUE(expected.has_value()) << expected.error().toString();
  EXPECT_TRUE(json::equal(rendered, *expected))
      << "rendering differs from " << golden << " (DAAP_UPDATE_GOLDEN=1 rewrites it):\n"
      << text;
}

TEST_P(GoldenTest, EveryCnpgObjectPassesTheRealCrdsAndWebhookRules) {
  int validated = 0;
  for (const json::Document& object :
       renderAll(ordersDatabase(), exampleTier(GetParam()), RenderOptions{})) {
    const std::string kind(json::getString(object, "kind"));
    if (kind == "NetworkPolicy") {
      continue;  // A built-in kind: no CRD to hold it against.
    }
    ASSERT_TRUE(validator().covers(object)) << kind << " has no CRD";
    const std::vector<std::string> problems = validator().problems(object);
    EXPECT_TRUE(problems.empty()) << kind << ": " << problems.front();
    ++validated;
  }
  // dev: Cluster and Pooler; with backup also ObjectStore and ScheduledBackup.
  EXPECT_EQ(validated, GetParam() == "dev" ? 2 : 4);
}

INSTANTIATE_TEST_SUITE_P(ExampleTiers, GoldenTest,
                         ::testing::Values("dev", "staging", "production"),
                         [](const ::testing::TestParamInfo<std::string_view>& info) {
                           return std::string(info.param);
                         });

}  // namespace
}  // namespace daap::cnpg
