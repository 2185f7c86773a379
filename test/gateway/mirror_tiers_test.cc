// A tier the gateway has just written is found at once, before its watch event: POST /tiers
// then POST /databases on it must not answer 404. No server runs here: the informers are never
// started, so only what the gateway recorded is known.
#include <gtest/gtest.h>

#include "gateway/mirror/mirror.h"
#include "lib/base/clock.h"
#include "lib/kube/config.h"
#include "lib/pg/pool.h"

namespace daap::gateway {
namespace {

json::Document tier(const std::string& name, const std::string& resource_version,
                    const std::string& description) {
  Result<json::Document> parsed =
      json::parse(R"({"apiVersion":"daap.io/v1alpha1","kind":"DaapTier","metadata":{"name":")" +
                  name + R"(","uid":"00000000-0000-4000-8000-000000000001","resourceVersion":")" +
                  resource_version + R"("},"spec":{"description":")" + description + R"("}})");
  EXPECT_TRUE(parsed);
  return std::move(*parsed);
}

TEST(MirrorTiers, AWrittenTierIsFoundBeforeItsWatchEvent) {
  kube::ClusterConfig config;
  config.server = "https://127.0.0.1:1";  // Never reached: no informer is started.
  Result<std::unique_ptr<kube::Client>> client = kube::Client::create(config);
  ASSERT_TRUE(client) << client.error().toString();
  pg::Pool pool(pg::PoolOptions{"postgresql://127.0.0.1:1/none", 1, std::chrono::milliseconds(10),
                                std::chrono::seconds(1)});
  pg::MirrorRepository repository(pool);  // Its writes fail; the mirror only logs that.
  SystemClock clock;
  Mirror mirror(**client, repository, clock);

  EXPECT_EQ(mirror.findTier("gold"), nullptr);
  mirror.recordTier(tier("gold", "10", "first"));
  kube::CachedObject found = mirror.findTier("gold");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(json::getString((*found)["spec"], "description"), "first");
  // A later write replaces it; an older one (a slow request finishing last) does not.
  mirror.recordTier(tier("gold", "12", "second"));
  mirror.recordTier(tier("gold", "11", "stale"));
  EXPECT_EQ(json::getString((*mirror.findTier("gold"))["spec"], "description"), "second");
  EXPECT_EQ(mirror.findTier("silver"), nullptr);
}

}  // namespace
}  // namespace daap::gateway
