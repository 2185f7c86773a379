#include "operator/owned_projection.h"

#include <string>

#include <gtest/gtest.h>

#include "lib/cnpg/render.h"
#include "lib/json/json.h"
#include "lib/kube/objects.h"
#include "lib/kube/resource.h"

namespace daap::controller {
namespace {

const cnpg::DatabaseRef kDatabase{"team-a", "orders", "3f0c1d1e-0000-4000-8000-000000000001",
                                  "team-a"};

model::TierParameters tier() {
  model::TierParameters parameters;
  parameters.tier_generation = 3;
  parameters.postgres_version = 16;
  parameters.instances = 1;
  parameters.cpu = *model::Quantity::parse("500m");
  parameters.memory = *model::Quantity::parse("1Gi");
  parameters.storage_size = *model::Quantity::parse("10Gi");
  return parameters;
}

json::Document rendered(std::string_view kind) {
  for (json::Document& object : cnpg::renderAll(kDatabase, tier(), cnpg::RenderOptions{})) {
    if (json::getString(object, "kind") == kind) {
      return std::move(object);
    }
  }
  ADD_FAILURE() << "no " << kind << " rendered";
  return json::Document(rapidjson::kObjectType);
}

// The rendering as an API server would return it: identity, bookkeeping and a status added,
// members in another order.
json::Document stored(const json::Value& object) {
  json::Document live(rapidjson::kObjectType);
  json::Allocator& allocator = live.GetAllocator();
  json::setString(live, "status", "placeholder", allocator);
  for (auto member = object.MemberBegin(); member != object.MemberEnd(); ++member) {
    json::set(live, json::view(member->name), json::Value(member->value, allocator), allocator);
  }
  json::Value& metadata = json::ensureObject(live, "metadata", allocator);
  json::setString(metadata, "uid", "9a9a9a9a-0000-4000-8000-000000000009", allocator);
  json::setString(metadata, "resourceVersion", "42", allocator);
  json::setString(metadata, "creationTimestamp", "2026-11-27T10:00:00Z", allocator);
  json::set(metadata, "managedFields", json::Value(rapidjson::kArrayType), allocator);
  Result<json::Document> status =
      json::parse(R"({"phase":"Cluster in healthy state","instances":1,"readyInstances":1,)"
                  R"("conditions":[{"type":"LastBackupSucceeded","status":"True"},)"
                  R"({"type":"Ready","status":"True","reason":"ClusterIsReady"}],)"
                  R"("certificates":{"expirations":{"orders-ca":"2027-02-25"}}})");
  json::set(live, "status", json::Value(*status, allocator), allocator);
  return live;
}

TEST(OwnedDigestTest, AStoredObjectDigestsLikeItsRendering) {
  const OwnedShapes shapes;
  for (const std::string_view kind : {"Cluster", "Pooler", "NetworkPolicy"}) {
    SCOPED_TRACE(std::string(kind));
    const json::Document desired = rendered(kind);
    const json::Value* shape = shapes.forKind(kind);
    ASSERT_NE(shape, nullptr);
    EXPECT_EQ(ownedDigest(stored(desired), *shape), ownedDigest(desired, *shape));
  }
}

TEST(OwnedDigestTest, ADriftedOwnedFieldChangesTheDigest) {
  const OwnedShapes shapes;
  const json::Value& shape = *shapes.forKind("Cluster");
  const json::Document desired = rendered("Cluster");
  json::Document live = stored(desired);
  json::Value* spec = json::find(live, "spec");
  ASSERT_NE(spec, nullptr);
  (*spec)["instances"].SetInt(3);
  EXPECT_NE(ownedDigest(live, shape), ownedDigest(desired, shape));

  json::Document relabelled = stored(desired);
  json::Value* labels = json::find(*json::find(relabelled, "metadata"), "labels");
  ASSERT_NE(labels, nullptr);
  json::setString(*labels, std::string(cnpg::kDatabaseIdLabel), "someone-else",
                  relabelled.GetAllocator());
  EXPECT_NE(ownedDigest(relabelled, shape), ownedDigest(desired, shape));
}

TEST(OwnedDigestTest, FieldsDaapDoesNotOwnLeaveTheDigestAlone) {
  const OwnedShapes shapes;
  const json::Value& shape = *shapes.forKind("Cluster");
  const json::Document desired = rendered("Cluster");
  json::Document live = stored(desired);
  json::Allocator& allocator = live.GetAllocator();
  json::setString(*json::find(live, "spec"), "logLevel", "debug", allocator);  // Not rendered.
  json::Value& annotations =
      json::ensureObject(*json::find(live, "metadata"), "annotations", allocator);
  json::setString(annotations, "kubectl.kubernetes.io/last-applied-configuration", "{}", allocator);
  EXPECT_EQ(ownedDigest(live, shape), ownedDigest(desired, shape));
}

TEST(OwnedProjectionTest, KeepsIdentityHealthAndTheDigestOnly) {
  const OwnedShapes shapes;
  const json::Value& shape = *shapes.forKind("Cluster");
  const json::Document desired = rendered("Cluster");
  const json::Document cached = projectOwned(stored(desired), shape);

  EXPECT_EQ(cachedOwnedDigest(cached), ownedDigest(desired, shape));
  const json::Value* metadata = json::find(cached, "metadata");
  ASSERT_NE(metadata, nullptr);
  EXPECT_EQ(json::getString(*metadata, "name"), cnpg::clusterName(kDatabase));
  EXPECT_EQ(json::getString(*metadata, "uid"), "9a9a9a9a-0000-4000-8000-000000000009");
  EXPECT_EQ(json::find(*metadata, "resourceVersion"), nullptr);  // The informer keeps it.
  EXPECT_EQ(json::getString(*json::find(*metadata, "labels"), cnpg::kDatabaseIdLabel),
            kDatabase.uid);
  // Events on the object find their database through its controlling owner.
  const kube::ObjectMeta meta = kube::readMeta(cached);
  ASSERT_EQ(meta.owner_references.size(), 1U);
  EXPECT_EQ(meta.owner_references[0].kind, "DaapDatabase");
  EXPECT_EQ(meta.owner_references[0].name, kDatabase.name);
  EXPECT_TRUE(meta.owner_references[0].controller);
  const json::Value* spec = json::find(cached, "spec");
  ASSERT_NE(spec, nullptr);
  EXPECT_EQ(spec->MemberCount(), 1U);  // instances, which health compares with the status.
  EXPECT_EQ((*spec)["instances"].GetInt(), 1);
  const json::Value* status = json::find(cached, "status");
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(json::getString(*status, "phase"), "Cluster in healthy state");
  EXPECT_EQ((*status)["readyInstances"].GetInt(), 1);
  ASSERT_EQ((*status)["conditions"].Size(), 1U);
  EXPECT_EQ(json::getString((*status)["conditions"][0], "type"), "Ready");
  EXPECT_EQ(json::find(*status, "certificates"), nullptr);
}

TEST(OwnedProjectionTest, ACopiedSecretIsCachedWithoutItsValues) {
  model::TierParameters parameters = tier();
  parameters.backup = model::BackupSettings{
      "0 0 2 * * *", 7, {"https://s3.example", "s3://backups/", "creds", "ACCESS", "SECRET"}};
  Result<json::Document> source = json::parse(
      R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"creds","namespace":"daap-system"},)"
      R"("data":{"ACCESS":"QUtJQUVYQU1QTEU=","SECRET":"c2VjcmV0LXZhbHVl"}})");
  ASSERT_TRUE(source.has_value());
  Result<json::Document> desired = cnpg::renderBackupCredentials(kDatabase, parameters, *source);
  ASSERT_TRUE(desired.has_value()) << desired.error().toString();

  const OwnedShapes shapes;
  const json::Value& shape = *shapes.forKind("Secret");
  const json::Document live = stored(*desired);
  const json::Document cached = projectOwned(live, shape);
  const std::string text = json::serialize(cached);
  EXPECT_EQ(text.find("c2VjcmV0LXZhbHVl"), std::string::npos) << text;
  EXPECT_EQ(text.find("QUtJQUVYQU1QTEU="), std::string::npos) << text;
  EXPECT_EQ(cachedOwnedDigest(cached), ownedDigest(*desired, shape));

  // A rotated value under a key name the tier chose is drift, whatever the name.
  json::Document rotated = stored(*desired);
  json::setString(*json::find(rotated, "data"), "SECRET", "bmV3LXZhbHVl", rotated.GetAllocator());
  EXPECT_NE(ownedDigest(rotated, shape), ownedDigest(*desired, shape));
}

}  // namespace
}  // namespace daap::controller
