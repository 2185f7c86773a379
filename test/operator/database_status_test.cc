#include "operator/database_status.h"

#include <chrono>

#include <gtest/gtest.h>

#include "lib/base/clock.h"
#include "lib/json/json.h"

namespace daap::controller {
namespace {

using std::chrono::seconds;

json::Document parseJson(std::string_view text) {
  Result<json::Document> parsed = json::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return std::move(parsed).value();
}

json::Document database(std::string_view status = "{}") {
  return parseJson(R"({"apiVersion":"daap.io/v1alpha1","kind":"DaapDatabase",
    "metadata":{"name":"orders","namespace":"pay","uid":"u-1","generation":3},
    "spec":{"ownerTeam":"payments","purpose":"p","tier":"dev"},"status":)" +
                   std::string(status) + "}");
}

const json::Document& healthyCluster() {
  static const json::Document kCluster = parseJson(R"({"spec":{"instances":1},
    "status":{"phase":"Cluster in healthy state","instances":1,"readyInstances":1,
    "conditions":[{"type":"Ready","status":"True","reason":"ClusterIsReady","message":""}]}})");
  return kCluster;
}

const json::Document& failedCluster() {
  static const json::Document kCluster = parseJson(R"({"spec":{"instances":1},
    "status":{"phase":"Cluster is unrecoverable and needs manual intervention",
    "phaseReason":"disk full","instances":1,"readyInstances":0}})");
  return kCluster;
}

const json::Document& activePooler() {
  static const json::Document kPooler =
      parseJson(R"({"spec":{"instances":1},"status":{"phase":"active","instances":1}})");
  return kPooler;
}

model::TierParameters devParameters() {
  model::TierParameters parameters;
  parameters.tier_generation = 1;
  parameters.postgres_version = 17;
  parameters.cpu = *model::Quantity::parse("500m");
  parameters.memory = *model::Quantity::parse("1Gi");
  parameters.storage_size = *model::Quantity::parse("5Gi");
  return parameters;
}

DatabaseObservation admitted(const json::Value* cluster, const json::Value* pooler) {
  DatabaseObservation observation;
  observation.admission = {true, "Admitted", "admitted"};
  observation.parameters = devParameters();
  observation.ref = {"orders", "pay", "u-1", "payments"};
  observation.cluster = cluster;
  observation.pooler = pooler;
  observation.backup_server_name = "orders";
  return observation;
}

kube::Time at(int second) {
  return kube::Time(seconds(1'800'000'000 + second));
}

std::string conditionField(const json::Value& status, std::string_view type,
                           std::string_view field) {
  const std::optional<kube::Condition> condition = kube::findCondition(status, type);
  if (!condition) {
    return "<none>";
  }
  if (field == "status") {
    return std::string(kube::conditionStatusName(condition->status));
  }
  if (field == "reason") {
    return condition->reason;
  }
  if (field == "generation") {
    return std::to_string(condition->observed_generation);
  }
  return condition->last_transition_time ? formatRfc3339(*condition->last_transition_time) : "";
}

TEST(DeriveStatusTest, HealthyClusterAndPoolerMakeItReadyWithConnectionInfo) {
  const json::Document db = database();
  const DerivedStatus derived =
      deriveStatus(db, admitted(&healthyCluster(), &activePooler()), at(0));
  EXPECT_TRUE(derived.changed);
  EXPECT_EQ(json::getString(derived.status, "phase"), "Ready");
  EXPECT_EQ(conditionField(derived.status, "Ready", "status"), "True");
  EXPECT_EQ(conditionField(derived.status, "Ready", "generation"), "3");
  EXPECT_EQ(conditionField(derived.status, "QuotaAdmitted", "status"), "True");
  const json::Value* connection = json::find(derived.status, "connection");
  ASSERT_NE(connection, nullptr);
  EXPECT_EQ(json::getString(*connection, "host"), "orders-pooler.pay.svc");
  EXPECT_EQ(json::getString(*connection, "secretName"), "orders-app");
  EXPECT_EQ(json::getString(*connection, "caSecretName"), "orders-ca");
  EXPECT_EQ(json::getString(*connection, "sslmode"), "verify-full");
  EXPECT_EQ(json::find(*connection, "password"), nullptr);
  EXPECT_EQ(json::serialize(*json::findPath(derived.status, {"backup", "enabled"})), "false");
  EXPECT_EQ(json::serialize(*json::find(derived.status, "observedGeneration")), "3");
}

TEST(DeriveStatusTest, NoClusterYetIsProvisioning) {
  const DerivedStatus derived = deriveStatus(database(), admitted(nullptr, nullptr), at(0));
  EXPECT_EQ(json::getString(derived.status, "phase"), "Provisioning");
  EXPECT_EQ(conditionField(derived.status, "Ready", "status"), "False");
}

TEST(DeriveStatusTest, UnchangedObservationIsNoChangeAndKeepsTransitionTimes) {
  const DerivedStatus first =
      deriveStatus(database(), admitted(&healthyCluster(), &activePooler()), at(0));
  const json::Document db = database(json::serialize(first.status));
  const DerivedStatus again =
      deriveStatus(db, admitted(&healthyCluster(), &activePooler()), at(60));
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(conditionField(again.status, "Ready", "time"), formatRfc3339(at(0)));
  EXPECT_TRUE(transitionEvents(*json::find(db, "status"), again).empty());
}

TEST(DeriveStatusTest, FailureAndRecoveryMoveTransitionTimesAndTellEvents) {
  const DerivedStatus ready =
      deriveStatus(database(), admitted(&healthyCluster(), &activePooler()), at(0));
  const json::Document ready_db = database(json::serialize(ready.status));
  const DerivedStatus failed =
      deriveStatus(ready_db, admitted(&failedCluster(), &activePooler()), at(10));
  EXPECT_EQ(json::getString(failed.status, "phase"), "Error");
  EXPECT_EQ(conditionField(failed.status, "Ready", "status"), "False");
  EXPECT_EQ(conditionField(failed.status, "Ready", "time"), formatRfc3339(at(10)));
  // QuotaAdmitted did not change status: its time stays.
  EXPECT_EQ(conditionField(failed.status, "QuotaAdmitted", "time"), formatRfc3339(at(0)));
  const std::vector<TransitionEvent> failed_events =
      transitionEvents(*json::find(ready_db, "status"), failed);
  ASSERT_EQ(failed_events.size(), 1U);
  EXPECT_EQ(failed_events[0].reason, "Failed");
  EXPECT_EQ(failed_events[0].type, kube::EventType::Warning);

  const json::Document failed_db = database(json::serialize(failed.status));
  const DerivedStatus recovered =
      deriveStatus(failed_db, admitted(&healthyCluster(), &activePooler()), at(20));
  EXPECT_EQ(json::getString(recovered.status, "phase"), "Ready");
  const std::vector<TransitionEvent> recovered_events =
      transitionEvents(*json::find(failed_db, "status"), recovered);
  ASSERT_EQ(recovered_events.size(), 1U);
  EXPECT_EQ(recovered_events[0].reason, "Recovered");
}

TEST(DeriveStatusTest, RefusedAdmissionNamesTheDimensionAndOffersNoConnection) {
  DatabaseObservation observation;
  observation.admission = {false, "QuotaExceeded",
                           "tier quota exceeded for memory: limit 1Gi, used 1Gi, requested 1Gi"};
  observation.ref = {"orders", "pay", "u-1", "payments"};
  const json::Document db = database();
  const DerivedStatus derived = deriveStatus(db, observation, at(0));
  EXPECT_EQ(conditionField(derived.status, "QuotaAdmitted", "status"), "False");
  EXPECT_EQ(conditionField(derived.status, "QuotaAdmitted", "reason"), "QuotaExceeded");
  EXPECT_EQ(json::find(derived.status, "connection"), nullptr);
  const std::vector<TransitionEvent> events = transitionEvents(*json::find(db, "status"), derived);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].reason, "QuotaExceeded");
  EXPECT_NE(events[0].message.find("memory"), std::string::npos);
  // The same refusal again tells nothing new.
  const json::Document refused_db = database(json::serialize(derived.status));
  const DerivedStatus again = deriveStatus(refused_db, observation, at(5));
  EXPECT_FALSE(again.changed);
  EXPECT_TRUE(transitionEvents(*json::find(refused_db, "status"), again).empty());
}

TEST(DeriveStatusTest, BackupWindowComesFromTheObjectStore) {
  model::TierParameters parameters = devParameters();
  parameters.backup = model::BackupSettings{"0 0 2 * * *", 7, {}};
  const json::Document store = parseJson(R"({"status":{"serverRecoveryWindow":{"orders":{
    "firstRecoverabilityPoint":"2026-11-27T10:00:00Z",
    "lastSuccessfulBackupTime":"2026-11-27T12:00:00Z"}}}})");
  DatabaseObservation observation = admitted(&healthyCluster(), &activePooler());
  observation.parameters = parameters;
  observation.object_store = &store;
  const DerivedStatus derived = deriveStatus(database(), observation, at(0));
  const json::Value* backup = json::find(derived.status, "backup");
  ASSERT_NE(backup, nullptr);
  EXPECT_TRUE((*backup)["enabled"].GetBool());
  EXPECT_EQ(json::getString(*backup, "lastSuccessfulBackup"), "2026-11-27T12:00:00Z");
  EXPECT_EQ(json::getString(*backup, "firstRecoverabilityPoint"), "2026-11-27T10:00:00Z");
}

TEST(DeriveStatusTest, KeepsFieldsItDoesNotDerive) {
  const json::Document db = database(
      R"({"provisionedTier":{"tierGeneration":1},"extensions":[{"name":"pgaudit","version":"1.7"}]})");
  const DerivedStatus derived =
      deriveStatus(db, admitted(&healthyCluster(), &activePooler()), at(0));
  EXPECT_NE(json::find(derived.status, "provisionedTier"), nullptr);
  EXPECT_NE(json::find(derived.status, "extensions"), nullptr);
}

}  // namespace
}  // namespace daap::controller
