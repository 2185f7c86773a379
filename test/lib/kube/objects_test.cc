#include "lib/kube/objects.h"

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "lib/base/clock.h"
#include "lib/json/json.h"

namespace daap::kube {
namespace {

using std::chrono::microseconds;
using std::chrono::seconds;

// 2026-11-27T12:00:00Z.
const Time kNoon = Time(seconds(1795780800));

json::Document parsed(std::string_view text) {
  Result<json::Document> document = json::parse(text);
  if (!document) {
    ADD_FAILURE() << document.error().toString();
    return {};
  }
  return std::move(document).value();
}

struct TimeCase {
  std::string_view text;
  Time time;
};

class ParseRfc3339Test : public ::testing::TestWithParam<TimeCase> {};

TEST_P(ParseRfc3339Test, ParsesToTheInstant) {
  const Result<Time> time = parseRfc3339(GetParam().text);
  ASSERT_TRUE(time) << time.error().toString();
  EXPECT_EQ(*time, GetParam().time) << formatRfc3339Micro(*time);
}

INSTANTIATE_TEST_SUITE_P(
    Forms, ParseRfc3339Test,
    ::testing::Values(
        TimeCase{"2026-11-27T12:00:00Z", kNoon},
        TimeCase{"2026-11-27T12:00:00.123456Z", kNoon + microseconds(123456)},
        TimeCase{"2026-11-27T12:00:00.5Z", kNoon + microseconds(500000)},
        TimeCase{"2026-11-27T12:00:00.123456789Z", kNoon + std::chrono::nanoseconds(123456789)},
        TimeCase{"2026-11-27T12:00:00.1234567891Z", kNoon + std::chrono::nanoseconds(123456789)},
        TimeCase{"2026-11-27T14:30:00+02:30", kNoon}, TimeCase{"2026-11-27T07:00:00-05:00", kNoon},
        TimeCase{"2026-11-27t12:00:00z", kNoon}, TimeCase{"1970-01-01T00:00:00Z", Time()},
        TimeCase{"2024-02-29T00:00:00Z", Time(seconds(1709164800))}));

class ParseRfc3339RejectTest : public ::testing::TestWithParam<std::string_view> {};

TEST_P(ParseRfc3339RejectTest, IsInvalidArgument) {
  const Result<Time> time = parseRfc3339(GetParam());
  ASSERT_FALSE(time) << GetParam();
  EXPECT_EQ(time.error().code, ErrorCode::InvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(BadInput, ParseRfc3339RejectTest,
                         ::testing::Values("", "2026-11-27", "2026-11-27T12:00:00",
                                           "2026-11-27 12:00:00Z", "2026-13-01T00:00:00Z",
                                           "2025-02-29T00:00:00Z", "2026-11-27T24:00:00Z",
                                           "2026-11-27T12:60:00Z", "2026-11-27T12:00:60Z",
                                           "2026-11-27T12:00:00.Z", "2026-11-27T12:00:00Zjunk",
                                           "2026-11-27T12:00:00+0200", "2026-11-27T12:00:00+24:00",
                                           "26-11-27T12:00:00Z", "2026-1x-27T12:00:00Z"));

TEST(ParseRfc3339Test, RoundTripsMicroTime) {
  const Time time = kNoon + microseconds(42);
  const Result<Time> parsed_time = parseRfc3339(formatRfc3339Micro(time));
  ASSERT_TRUE(parsed_time) << parsed_time.error().toString();
  EXPECT_EQ(*parsed_time, time);
}

constexpr std::string_view kDatabase = R"({
  "apiVersion": "daap.io/v1alpha1",
  "kind": "DaapDatabase",
  "metadata": {
    "name": "orders",
    "namespace": "team-a",
    "uid": "6f1c1c4e-0000-4000-8000-000000000001",
    "resourceVersion": "42",
    "generation": 3,
    "creationTimestamp": "2026-11-27T12:00:00Z",
    "labels": {"daap.io/team": "payments", "bad": 1},
    "annotations": {"note": "hello"},
    "finalizers": ["daap.io/database", "other.io/x"],
    "ownerReferences": [{"apiVersion": "daap.io/v1alpha1", "kind": "DaapTier",
                         "name": "gold", "uid": "u-1", "controller": true}]
  },
  "spec": {"tier": "gold", "ownerTeam": "payments", "purpose": "orders", "lifecycle": "Destroyed"},
  "status": {"phase": "Ready"}
})";

TEST(ReadMetaTest, ReadsEveryField) {
  const json::Document object = parsed(kDatabase);
  const ObjectMeta meta = readMeta(object);
  EXPECT_EQ(meta.name, "orders");
  EXPECT_EQ(meta.namespace_, "team-a");
  EXPECT_EQ(meta.uid, "6f1c1c4e-0000-4000-8000-000000000001");
  EXPECT_EQ(meta.resource_version, "42");
  EXPECT_EQ(meta.generation, 3);
  EXPECT_EQ(meta.creation_timestamp, kNoon);
  EXPECT_FALSE(meta.deleting);
  EXPECT_EQ(meta.labels, (std::map<std::string, std::string>{{"daap.io/team", "payments"}}));
  EXPECT_EQ(meta.annotations, (std::map<std::string, std::string>{{"note", "hello"}}));
  EXPECT_EQ(meta.finalizers, (std::vector<std::string>{"daap.io/database", "other.io/x"}));
  ASSERT_EQ(meta.owner_references.size(), 1U);
  EXPECT_EQ(meta.owner_references[0],
            (OwnerReference{"daap.io/v1alpha1", "DaapTier", "gold", "u-1", true, false}));
}

TEST(ReadMetaTest, DeletionTimestampMeansDeleting) {
  const json::Document object =
      parsed(R"({"metadata": {"name": "x", "deletionTimestamp": "2026-11-27T12:00:00Z"}})");
  EXPECT_TRUE(readMeta(object).deleting);
}

TEST(ReadMetaTest, MissingMetadataReadsEmpty) {
  const ObjectMeta meta = readMeta(parsed(R"({"kind": "Thing"})"));
  EXPECT_TRUE(meta.name.empty());
  EXPECT_EQ(meta.generation, 0);
  EXPECT_FALSE(meta.creation_timestamp.has_value());
}

TEST(FinalizerTest, AddIsIdempotent) {
  json::Document object = parsed(R"({"metadata": {"name": "x"}})");
  EXPECT_FALSE(hasFinalizer(object, "daap.io/database"));
  EXPECT_TRUE(addFinalizer(object, "daap.io/database"));
  EXPECT_TRUE(hasFinalizer(object, "daap.io/database"));
  EXPECT_FALSE(addFinalizer(object, "daap.io/database"));
  EXPECT_EQ(json::serialize(object),
            R"({"metadata":{"name":"x","finalizers":["daap.io/database"]}})");
}

TEST(FinalizerTest, AddCreatesMetadata) {
  json::Document object = parsed("{}");
  EXPECT_TRUE(addFinalizer(object, "a"));
  EXPECT_EQ(json::serialize(object), R"({"metadata":{"finalizers":["a"]}})");
}

TEST(FinalizerTest, RemoveKeepsOthersAndDropsAnEmptyList) {
  json::Document object = parsed(kDatabase);
  EXPECT_TRUE(removeFinalizer(object, "daap.io/database"));
  EXPECT_FALSE(removeFinalizer(object, "daap.io/database"));
  EXPECT_EQ(readMeta(object).finalizers, (std::vector<std::string>{"other.io/x"}));
  EXPECT_TRUE(removeFinalizer(object, "other.io/x"));
  EXPECT_EQ(json::findPath(object, {"metadata", "finalizers"}), nullptr);
  EXPECT_FALSE(removeFinalizer(object, "other.io/x"));
}

TEST(OwnerReferenceTest, ControllerReferenceToAnObject) {
  const OwnerReference reference = controllerReference(parsed(kDatabase));
  EXPECT_EQ(reference, (OwnerReference{"daap.io/v1alpha1", "DaapDatabase", "orders",
                                       "6f1c1c4e-0000-4000-8000-000000000001", true, true}));
  json::Document out;
  EXPECT_EQ(json::serialize(toJson(reference, out.GetAllocator())),
            R"({"apiVersion":"daap.io/v1alpha1","kind":"DaapDatabase","name":"orders",)"
            R"("uid":"6f1c1c4e-0000-4000-8000-000000000001","controller":true,)"
            R"("blockOwnerDeletion":true})");
}

TEST(OwnerReferenceTest, SetAddsReplacesByUidAndIsIdempotent) {
  json::Document child = parsed(R"({"metadata": {"name": "orders-cluster"}})");
  const OwnerReference owner = controllerReference(parsed(kDatabase));
  EXPECT_TRUE(setOwnerReference(child, owner));
  EXPECT_FALSE(setOwnerReference(child, owner));
  OwnerReference renamed = owner;
  renamed.name = "orders-2";
  EXPECT_TRUE(setOwnerReference(child, renamed));
  const ObjectMeta meta = readMeta(child);
  ASSERT_EQ(meta.owner_references.size(), 1U);
  EXPECT_EQ(meta.owner_references[0], renamed);
  OwnerReference second = owner;
  second.uid = "u-2";
  EXPECT_TRUE(setOwnerReference(child, second));
  EXPECT_EQ(readMeta(child).owner_references.size(), 2U);
}

Condition ready(ConditionStatus status, std::string reason, std::string message = "",
                int64_t generation = 1) {
  return {"Ready", status, generation, std::nullopt, std::move(reason), std::move(message)};
}

TEST(ConditionTest, NewConditionGetsTransitionTimeNow) {
  json::Document status = parsed("{}");
  EXPECT_TRUE(setCondition(status, ready(ConditionStatus::True, "ClusterIsReady", "up"),
                           status.GetAllocator(), kNoon));
  EXPECT_EQ(json::serialize(status),
            R"({"conditions":[{"type":"Ready","status":"True","observedGeneration":1,)"
            R"("lastTransitionTime":"2026-11-27T12:00:00Z","reason":"ClusterIsReady",)"
            R"("message":"up"}]})");
}

TEST(ConditionTest, SameConditionChangesNothing) {
  json::Document status = parsed("{}");
  ASSERT_TRUE(setCondition(status, ready(ConditionStatus::True, "ClusterIsReady"),
                           status.GetAllocator(), kNoon));
  const std::string before = json::serialize(status);
  EXPECT_FALSE(setCondition(status, ready(ConditionStatus::True, "ClusterIsReady"),
                            status.GetAllocator(), kNoon + seconds(60)));
  EXPECT_EQ(json::serialize(status), before);
}

TEST(ConditionTest, TransitionTimeStaysWhileStatusStays) {
  json::Document status = parsed("{}");
  ASSERT_TRUE(setCondition(status, ready(ConditionStatus::False, "Provisioning"),
                           status.GetAllocator(), kNoon));
  EXPECT_TRUE(setCondition(status, ready(ConditionStatus::False, "WaitingForCnpg", "2 of 3", 2),
                           status.GetAllocator(), kNoon + seconds(60)));
  const std::optional<Condition> condition = findCondition(status, "Ready");
  ASSERT_TRUE(condition.has_value());
  EXPECT_EQ(condition->reason, "WaitingForCnpg");
  EXPECT_EQ(condition->message, "2 of 3");
  EXPECT_EQ(condition->observed_generation, 2);
  EXPECT_EQ(condition->last_transition_time, kNoon);
}

TEST(ConditionTest, StatusChangeMovesTransitionTime) {
  json::Document status = parsed("{}");
  ASSERT_TRUE(setCondition(status, ready(ConditionStatus::False, "Provisioning"),
                           status.GetAllocator(), kNoon));
  EXPECT_TRUE(setCondition(status, ready(ConditionStatus::True, "ClusterIsReady"),
                           status.GetAllocator(), kNoon + seconds(90)));
  const std::optional<Condition> condition = findCondition(status, "Ready");
  ASSERT_TRUE(condition.has_value());
  EXPECT_EQ(condition->status, ConditionStatus::True);
  EXPECT_EQ(condition->last_transition_time, kNoon + seconds(90));
}

TEST(ConditionTest, OtherTypesAreKept) {
  json::Document status =
      parsed(R"({"phase": "Ready", "conditions": [{"type": "QuotaAdmitted", "status": "True",)"
             R"( "lastTransitionTime": "2026-11-27T11:00:00Z", "reason": "WithinQuota",)"
             R"( "message": ""}]})");
  EXPECT_TRUE(setCondition(status, ready(ConditionStatus::Unknown, "Pending"),
                           status.GetAllocator(), kNoon));
  const std::vector<Condition> conditions = readConditions(status);
  ASSERT_EQ(conditions.size(), 2U);
  EXPECT_EQ(conditions[0].type, "QuotaAdmitted");
  EXPECT_EQ(conditions[0].last_transition_time, kNoon - seconds(3600));
  EXPECT_EQ(conditions[1].type, "Ready");
  EXPECT_EQ(conditions[1].status, ConditionStatus::Unknown);
  EXPECT_EQ(json::getString(status, "phase"), "Ready");
  EXPECT_FALSE(findCondition(status, "BackupHealthy").has_value());
}

TEST(ConditionTest, MissingTransitionTimeIsRepaired) {
  json::Document status =
      parsed(R"({"conditions": [{"type": "Ready", "status": "True", "observedGeneration": 1,)"
             R"( "reason": "ClusterIsReady", "message": ""}]})");
  EXPECT_TRUE(setCondition(status, ready(ConditionStatus::True, "ClusterIsReady"),
                           status.GetAllocator(), kNoon));
  EXPECT_EQ(findCondition(status, "Ready")->last_transition_time, kNoon);
}

TEST(ConditionTest, UnknownStatusTextReadsAsUnknown) {
  const json::Document status =
      parsed(R"({"conditions": [{"type": "Ready", "status": "Maybe"}, "junk"]})");
  const std::vector<Condition> conditions = readConditions(status);
  ASSERT_EQ(conditions.size(), 1U);
  EXPECT_EQ(conditions[0].status, ConditionStatus::Unknown);
  EXPECT_FALSE(conditions[0].last_transition_time.has_value());
}

TEST(SecretTest, DecodesData) {
  const json::Document secret =
      parsed(R"({"kind": "Secret", "data": {"username": "YXBw", "password": "czNjcjN0"}})");
  const Result<std::map<std::string, std::string>> data = readSecretData(secret);
  ASSERT_TRUE(data) << data.error().toString();
  EXPECT_EQ(*data,
            (std::map<std::string, std::string>{{"password", "s3cr3t"}, {"username", "app"}}));
}

TEST(SecretTest, NoDataIsEmpty) {
  const Result<std::map<std::string, std::string>> data =
      readSecretData(parsed(R"({"kind": "Secret", "type": "Opaque"})"));
  ASSERT_TRUE(data) << data.error().toString();
  EXPECT_TRUE(data->empty());
}

TEST(SecretTest, BadValueNamesTheKeyNotTheValue) {
  const Result<std::map<std::string, std::string>> data =
      readSecretData(parsed(R"({"data": {"password": "hunter2!"}})"));
  ASSERT_FALSE(data);
  EXPECT_EQ(data.error().message, "data.password: invalid base64");
  const Result<std::map<std::string, std::string>> number =
      readSecretData(parsed(R"({"data": {"port": 5432}})"));
  ASSERT_FALSE(number);
  EXPECT_EQ(number.error().message, "data.port must be a base64 string");
}

TEST(LeaseTest, ReadsSpec) {
  const json::Document lease =
      parsed(R"({"kind": "Lease", "spec": {"holderIdentity": "op-1", "leaseDurationSeconds": 15,)"
             R"( "acquireTime": "2026-11-27T12:00:00.000000Z",)"
             R"( "renewTime": "2026-11-27T12:00:10.250000Z", "leaseTransitions": 4}})");
  const Result<LeaseSpec> spec = readLeaseSpec(lease);
  ASSERT_TRUE(spec) << spec.error().toString();
  EXPECT_EQ(*spec,
            (LeaseSpec{"op-1", seconds(15), kNoon, kNoon + seconds(10) + microseconds(250000), 4}));
}

TEST(LeaseTest, EmptyLeaseReadsUnheld) {
  const Result<LeaseSpec> spec = readLeaseSpec(parsed(R"({"kind": "Lease", "spec": {}})"));
  ASSERT_TRUE(spec) << spec.error().toString();
  EXPECT_EQ(*spec, LeaseSpec{});
}

TEST(LeaseTest, MalformedTimeIsAnErrorNamingTheField) {
  const Result<LeaseSpec> spec =
      readLeaseSpec(parsed(R"({"spec": {"holderIdentity": "a", "renewTime": "yesterday"}})"));
  ASSERT_FALSE(spec);
  EXPECT_EQ(spec.error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(spec.error().message.rfind("spec.renewTime: ", 0), 0U) << spec.error().message;
}

TEST(LeaseTest, WritesMicroTimeAndRoundTrips) {
  json::Document lease =
      parsed(R"({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",)"
             R"( "metadata": {"name": "daap-operator"}, "spec": {"acquireTime": "old"}})");
  const LeaseSpec spec{"op-2", seconds(15), std::nullopt, kNoon + microseconds(7), 5};
  writeLeaseSpec(lease, spec);
  EXPECT_EQ(json::serialize(*json::find(lease, "spec")),
            R"({"holderIdentity":"op-2","leaseDurationSeconds":15,)"
            R"("renewTime":"2026-11-27T12:00:00.000007Z","leaseTransitions":5})");
  const Result<LeaseSpec> read = readLeaseSpec(lease);
  ASSERT_TRUE(read) << read.error().toString();
  EXPECT_EQ(*read, spec);
}

TEST(EventTest, BuildsACoreV1Event) {
  Event event;
  event.involved_object = objectReference(parsed(kDatabase));
  event.type = EventType::Warning;
  event.reason = "QuotaExceeded";
  event.message = "tier gold has no memory left";
  event.reporting_component = "daap-operator";
  event.reporting_instance = "daap-operator-7d9f-abcde";
  event.first_timestamp = kNoon;
  event.last_timestamp = kNoon + seconds(30);
  event.count = 2;
  EXPECT_EQ(json::serialize(buildEvent(event)),
            R"({"apiVersion":"v1","kind":"Event",)"
            R"("metadata":{"name":"orders.18ebe51f86778000","namespace":"team-a"},)"
            R"("involvedObject":{"apiVersion":"daap.io/v1alpha1","kind":"DaapDatabase",)"
            R"("name":"orders","namespace":"team-a","uid":"6f1c1c4e-0000-4000-8000-000000000001"},)"
            R"("reason":"QuotaExceeded","message":"tier gold has no memory left","type":"Warning",)"
            R"("source":{"component":"daap-operator"},"reportingComponent":"daap-operator",)"
            R"("reportingInstance":"daap-operator-7d9f-abcde",)"
            R"("firstTimestamp":"2026-11-27T12:00:00Z","lastTimestamp":"2026-11-27T12:00:30Z",)"
            R"("count":2})");
}

TEST(EventTest, ClusterScopedObjectsReportInDefault) {
  Event event;
  event.involved_object =
      objectReference(parsed(R"({"apiVersion": "daap.io/v1alpha1", "kind": "DaapTier",)"
                             R"( "metadata": {"name": "gold", "uid": "u-1"}})"));
  event.reason = "Ready";
  event.first_timestamp = kNoon + std::chrono::nanoseconds(1);
  const json::Document out = buildEvent(event);
  EXPECT_EQ(json::getString(*json::find(out, "metadata"), "namespace"), "default");
  EXPECT_EQ(json::getString(*json::find(out, "metadata"), "name"), "gold.18ebe51f86778001");
  EXPECT_EQ(json::find(*json::find(out, "involvedObject"), "namespace"), nullptr);
  EXPECT_EQ(json::getString(out, "type"), "Normal");
}

TEST(CnpgTest, ReadsClusterStatus) {
  const CnpgClusterStatus status = readCnpgClusterStatus(parsed(
      R"({"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "spec": {"instances": 3},)"
      R"( "status": {"phase": "Cluster in healthy state", "instances": 3, "readyInstances": 2,)"
      R"( "currentPrimary": "orders-1", "conditions": [{"type": "ContinuousArchiving",)"
      R"( "status": "True"}, {"type": "Ready", "status": "True", "reason": "ClusterIsReady",)"
      R"( "lastTransitionTime": "2026-11-27T12:00:00Z"}]}})"));
  EXPECT_EQ(status.phase, "Cluster in healthy state");
  EXPECT_EQ(status.desired_instances, 3);
  EXPECT_EQ(status.instances, 3);
  EXPECT_EQ(status.ready_instances, 2);
  EXPECT_EQ(status.current_primary, "orders-1");
  ASSERT_TRUE(status.ready.has_value());
  EXPECT_EQ(status.ready->status, ConditionStatus::True);
  EXPECT_EQ(status.ready->reason, "ClusterIsReady");
}

TEST(CnpgTest, NewClusterHasNoStatus) {
  const CnpgClusterStatus status =
      readCnpgClusterStatus(parsed(R"({"kind": "Cluster", "spec": {"instances": 1}})"));
  EXPECT_TRUE(status.phase.empty());
  EXPECT_EQ(status.desired_instances, 1);
  EXPECT_EQ(status.ready_instances, 0);
  EXPECT_FALSE(status.ready.has_value());
}

TEST(CnpgTest, ReadsPoolerStatus) {
  const CnpgPoolerStatus status = readCnpgPoolerStatus(
      parsed(R"({"kind": "Pooler", "spec": {"cluster": {"name": "orders"}, "instances": 2},)"
             R"( "status": {"phase": "active", "instances": 2}})"));
  EXPECT_EQ(status.phase, "active");
  EXPECT_EQ(status.desired_instances, 2);
  EXPECT_EQ(status.instances, 2);
}

TEST(DaapTest, ReadsDatabaseFields) {
  const DatabaseFields fields = readDatabaseFields(parsed(kDatabase));
  EXPECT_EQ(fields.tier, "gold");
  EXPECT_EQ(fields.owner_team, "payments");
  EXPECT_EQ(fields.lifecycle, "Destroyed");
  EXPECT_EQ(fields.phase, "Ready");
}

TEST(DaapTest, LifecycleDefaultsToActive) {
  const DatabaseFields fields = readDatabaseFields(parsed(R"({"spec": {"tier": "gold"}})"));
  EXPECT_EQ(fields.lifecycle, "Active");
  EXPECT_TRUE(fields.phase.empty());
}

constexpr std::string_view kTier = R"({
  "apiVersion": "daap.io/v1alpha1", "kind": "DaapTier", "metadata": {"name": "gold"},
  "spec": {"resources": {"cpu": "500m", "memory": "2Gi"},
           "storage": {"size": "20Gi", "storageClass": "fast"}}
})";

TEST(DaapTest, ReadsTierResourcesAsQuantities) {
  const Result<TierResources> resources = readTierResources(parsed(kTier));
  ASSERT_TRUE(resources) << resources.error().toString();
  EXPECT_EQ(resources->cpu.milli(), 500);
  EXPECT_EQ(resources->memory.value(), 2LL << 30);
  EXPECT_EQ(resources->storage.value(), 20LL << 30);
  EXPECT_EQ(resources->storage_class, "fast");
}

TEST(DaapTest, ReadsProvisionedResources) {
  const Result<TierResources> resources = readProvisionedResources(
      parsed(R"({"status": {"provisionedTier": {"resources": {"cpu": "2", "memory": "1G"},)"
             R"( "storage": {"size": "10Gi"}}}})"));
  ASSERT_TRUE(resources) << resources.error().toString();
  EXPECT_EQ(resources->cpu.milli(), 2000);
  EXPECT_EQ(resources->memory.value(), 1000000000);
  EXPECT_TRUE(resources->storage_class.empty());
}

TEST(DaapTest, TierResourceErrorsNameTheField) {
  const Result<TierResources> missing =
      readTierResources(parsed(R"({"spec": {"resources": {"memory": "1Gi"}}})"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "spec.resources.cpu is required");
  const Result<TierResources> bad = readTierResources(parsed(
      R"({"spec": {"resources": {"cpu": "1", "memory": "1GB"}, "storage": {"size": "1Gi"}}})"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message.rfind("spec.resources.memory: invalid quantity \"1GB\"", 0), 0U)
      << bad.error().message;
  const Result<TierResources> unprovisioned = readProvisionedResources(parsed(R"({"status": {}})"));
  ASSERT_FALSE(unprovisioned);
  EXPECT_EQ(unprovisioned.error().message, "status.provisionedTier is required");
}

}  // namespace
}  // namespace daap::kube
