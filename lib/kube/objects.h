#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/base64.h"  // Secret and kubeconfig values are base64: users of these helpers need it.
#include "lib/base/result.h"
#include "lib/json/json.h"
#include "lib/model/quantity.h"

// Typed access to the parts of Kubernetes objects DAAP reads and writes, over json::Value.
// Readers are lenient where the API server is the author (a missing or mistyped field reads as
// empty) and return an Error where a bad value would change a decision (times, quantities,
// base64). Pure functions: no I/O, no clock (callers pass `now`).
namespace daap::kube {

using Time = std::chrono::system_clock::time_point;

// RFC 3339 as Kubernetes writes it: "2026-11-27T12:00:00Z", with optional fractional seconds
// (kept to the nanosecond) and a "Z" or "+hh:mm" offset. Errors are InvalidArgument.
Result<Time> parseRfc3339(std::string_view text);

struct OwnerReference {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
  bool controller = false;
  bool block_owner_deletion = false;

  bool operator==(const OwnerReference&) const = default;
};

// What a reconciler needs from metadata, copied out of the object.
struct ObjectMeta {
  std::string name;
  std::string namespace_;
  std::string uid;
  std::string resource_version;
  int64_t generation = 0;
  std::optional<Time> creation_timestamp;
  // metadata.deletionTimestamp is set: the object waits for its finalizers to go.
  bool deleting = false;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::vector<std::string> finalizers;
  std::vector<OwnerReference> owner_references;
};

ObjectMeta readMeta(const json::Value& object);

// Finalizers of `object`; add and remove return whether `object` changed.
bool hasFinalizer(const json::Value& object, std::string_view finalizer);
bool addFinalizer(json::Document& object, std::string_view finalizer);
bool removeFinalizer(json::Document& object, std::string_view finalizer);

// The controller reference to `owner` (its apiVersion, kind, name and uid), with controller
// and blockOwnerDeletion set, as a parent's reference on the objects it renders.
OwnerReference controllerReference(const json::Value& owner);
json::Value toJson(const OwnerReference& reference, json::Allocator& allocator);
// Adds `reference` to metadata.ownerReferences, replacing one with the same uid; returns
// whether `object` changed.
bool setOwnerReference(json::Document& object, const OwnerReference& reference);

// metav1.Condition, as in status.conditions of DAAP and CNPG objects.
enum class ConditionStatus { True, False, Unknown };

std::string_view conditionStatusName(ConditionStatus status);

struct Condition {
  std::string type;  // PascalCase, e.g. "Ready".
  ConditionStatus status = ConditionStatus::Unknown;
  int64_t observed_generation = 0;
  std::optional<Time> last_transition_time;  // Read only; setCondition decides it.
  std::string reason;                        // PascalCase, machine-readable.
  std::string message;                       // For humans.
};

// The conditions in `status.conditions` (an unknown status string reads as Unknown).
std::vector<Condition> readConditions(const json::Value& status);
std::optional<Condition> findCondition(const json::Value& status, std::string_view type);

// Writes `condition` into `status.conditions`, replacing the entry of the same type.
// lastTransitionTime becomes `now` only when the status changes (or the entry is new);
// otherwise the recorded one stays. Returns whether anything in `status` changed.
bool setCondition(json::Value& status, const Condition& condition, json::Allocator& allocator,
                  Time now);

// A core/v1 Secret's `data`, base64-decoded. The values are credentials: keep them in memory,
// never log them. An error names the key, never the value.
Result<std::map<std::string, std::string>> readSecretData(const json::Value& secret);

// coordination.k8s.io/v1 Lease, for leader election.
struct LeaseSpec {
  std::string holder_identity;
  std::chrono::seconds lease_duration{0};
  std::optional<Time> acquire_time;  // MicroTime: RFC 3339 with microseconds.
  std::optional<Time> renew_time;
  int32_t lease_transitions = 0;

  bool operator==(const LeaseSpec&) const = default;
};

// Strict: a malformed time would make an expired lease look held, or a held one expired.
Result<LeaseSpec> readLeaseSpec(const json::Value& lease);
// Replaces `spec` of `lease` (absent times are left out).
void writeLeaseSpec(json::Document& lease, const LeaseSpec& spec);

// What an event is about (involvedObject), taken from the object itself.
struct ObjectReference {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string namespace_;
  std::string uid;
};

ObjectReference objectReference(const json::Value& object);

enum class EventType { Normal, Warning };

struct Event {
  ObjectReference involved_object;
  EventType type = EventType::Normal;
  std::string reason;               // PascalCase, e.g. "Provisioned".
  std::string message;              // For humans.
  std::string reporting_component;  // Also source.component, e.g. "daap-operator".
  std::string reporting_instance;   // The replica, e.g. the pod name.
  Time first_timestamp;
  Time last_timestamp;
  int32_t count = 1;  // A repeat bumps count and lastTimestamp instead of adding an event.
};

// A core/v1 Event in the involved object's namespace ("default" for a cluster-scoped object),
// named "<object>.<hex nanoseconds of first_timestamp>" as client-go names them.
json::Document buildEvent(const Event& event);

// postgresql.cnpg.io/v1 Cluster, as far as DAAP judges its health.
struct CnpgClusterStatus {
  std::string phase;  // e.g. "Cluster in healthy state".
  std::string phase_reason;
  int32_t desired_instances = 0;  // spec.instances
  int32_t instances = 0;          // status.instances: PVC groups found.
  int32_t ready_instances = 0;
  std::string current_primary;
  std::optional<Condition> ready;  // status.conditions[type=Ready]
};

CnpgClusterStatus readCnpgClusterStatus(const json::Value& cluster);

struct CnpgPoolerStatus {
  std::string phase;  // active | paused | inactive | failed; empty before CNPG reconciles.
  std::string phase_reason;
  int32_t desired_instances = 0;  // spec.instances
  int32_t instances = 0;          // status.instances
};

CnpgPoolerStatus readCnpgPoolerStatus(const json::Value& pooler);

// The DaapDatabase fields that route work: which tier, whose, and where in its life.
struct DatabaseFields {
  std::string tier;        // spec.tier
  std::string owner_team;  // spec.ownerTeam
  std::string lifecycle;   // spec.lifecycle: Active (the default) | Destroyed
  std::string phase;       // status.phase; empty before the operator's first write.
};

DatabaseFields readDatabaseFields(const json::Value& database);

// Per-instance compute and storage of a tier.
struct TierResources {
  model::Quantity cpu;
  model::Quantity memory;
  model::Quantity storage;
  std::string storage_class;  // Empty: the cluster's default StorageClass.
};

// From a DaapTier's spec, and from a DaapDatabase's status.provisionedTier (the parameters
// it was provisioned with). Errors name the field ("spec.resources.cpu: ...").
Result<TierResources> readTierResources(const json::Value& tier);
Result<TierResources> readProvisionedResources(const json::Value& database);

}  // namespace daap::kube
