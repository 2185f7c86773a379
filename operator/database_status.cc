#include "operator/database_status.h"

#include "lib/cnpg/health.h"

namespace daap::controller {

namespace {

const json::Value& emptyObject() {
  static const json::Value kEmpty(rapidjson::kObjectType);
  return kEmpty;
}

// The ObjectStore's recovery window for one server: {firstRecoverabilityPoint,
// lastSuccessfulBackupTime, ...}, or nullptr.
const json::Value* recoveryWindow(const json::Value* object_store, const std::string& server) {
  if (object_store == nullptr || server.empty()) {
    return nullptr;
  }
  const json::Value* windows = json::findPath(*object_store, {"status", "serverRecoveryWindow"});
  if (windows == nullptr) {
    return nullptr;
  }
  const json::Value* window = json::find(*windows, server);
  return window != nullptr && window->IsObject() ? window : nullptr;
}

json::Value backupStatus(const DatabaseObservation& observation, json::Allocator& allocator) {
  json::Value backup(rapidjson::kObjectType);
  const bool enabled = observation.parameters.has_value() && observation.parameters->backup;
  json::set(backup, "enabled", json::Value(enabled), allocator);
  if (const json::Value* window =
          recoveryWindow(observation.object_store, observation.backup_server_name)) {
    const std::string_view last = json::getString(*window, "lastSuccessfulBackupTime");
    const std::string_view first = json::getString(*window, "firstRecoverabilityPoint");
    if (!last.empty()) {
      json::setString(backup, "lastSuccessfulBackup", last, allocator);
    }
    if (!first.empty()) {
      json::setString(backup, "firstRecoverabilityPoint", first, allocator);
    }
  }
  return backup;
}

}  // namespace

DerivedStatus deriveStatus(const json::Value& database, const DatabaseObservation& observation,
                           kube::Time now) {
  DerivedStatus derived;
  const json::Value* current = json::find(database, "status");
  const json::Value& old_status =
      current != nullptr && current->IsObject() ? *current : emptyObject();
  derived.status.CopyFrom(old_status, derived.status.GetAllocator());
  json::Document& status = derived.status;
  json::Allocator& allocator = status.GetAllocator();
  const int64_t generation = kube::readMeta(database).generation;

  model::Observation seen;
  if (const std::string_view phase = json::getString(old_status, "phase"); !phase.empty()) {
    if (Result<model::Phase> parsed = model::parsePhase(phase)) {
      seen.current = *parsed;
    }
  }
  derived.previous = seen.current;
  seen.quota_admitted = observation.admission.admitted;
  seen.quota_message = observation.admission.message;
  seen.cluster_exists = observation.cluster != nullptr;
  if (observation.cluster != nullptr) {
    const cnpg::ClusterVerdict verdict =
        cnpg::judgeCluster(kube::readCnpgClusterStatus(*observation.cluster));
    seen.cluster = verdict.health;
    seen.cluster_detail = verdict.message;
  }
  if (observation.pooler != nullptr) {
    const cnpg::PoolerVerdict verdict =
        cnpg::judgePooler(kube::readCnpgPoolerStatus(*observation.pooler));
    seen.pooler_ready = verdict.ready;
    seen.pooler_detail = verdict.message;
  }
  derived.decision = model::decidePhase(seen);

  json::setString(status, "phase", model::phaseName(derived.decision.phase), allocator);
  json::set(status, "observedGeneration", json::Value(static_cast<int64_t>(generation)), allocator);

  kube::Condition admitted;
  admitted.type = std::string(kQuotaAdmittedCondition);
  admitted.status =
      observation.admission.admitted ? kube::ConditionStatus::True : kube::ConditionStatus::False;
  admitted.observed_generation = generation;
  admitted.reason = observation.admission.reason;
  admitted.message = observation.admission.message;
  kube::setCondition(status, admitted, allocator, now);

  kube::Condition ready;
  ready.type = std::string(kReadyCondition);
  ready.status =
      derived.decision.ready ? kube::ConditionStatus::True : kube::ConditionStatus::False;
  ready.observed_generation = generation;
  ready.reason = derived.decision.reason;
  ready.message = derived.decision.message;
  kube::setCondition(status, ready, allocator, now);

  if (observation.admission.admitted) {
    json::set(status, "connection",
              cnpg::encodeConnection(cnpg::connectionInfo(observation.ref), allocator), allocator);
    json::set(status, "backup", backupStatus(observation, allocator), allocator);
  } else {
    // Not admitted: nothing to connect to, whatever an earlier writer left.
    json::erase(status, "connection");
    json::erase(status, "backup");
  }
  derived.changed = !json::equal(status, old_status);
  return derived;
}

std::vector<TransitionEvent> transitionEvents(const json::Value& old_status,
                                              const DerivedStatus& derived) {
  std::vector<TransitionEvent> events;
  const std::optional<kube::Condition> old_admitted =
      kube::findCondition(old_status, kQuotaAdmittedCondition);
  const std::optional<kube::Condition> new_admitted =
      kube::findCondition(derived.status, kQuotaAdmittedCondition);
  if (new_admitted && new_admitted->status == kube::ConditionStatus::False &&
      (!old_admitted || old_admitted->status != kube::ConditionStatus::False ||
       old_admitted->reason != new_admitted->reason)) {
    events.push_back({kube::EventType::Warning, new_admitted->reason, new_admitted->message});
  }
  const model::Phase phase = derived.decision.phase;
  if (derived.previous == phase) {
    return events;
  }
  switch (phase) {
    case model::Phase::Ready:
      if (derived.previous == model::Phase::Error) {
        events.push_back({kube::EventType::Normal, "Recovered", derived.decision.message});
      } else {
        events.push_back({kube::EventType::Normal, "Ready", derived.decision.message});
      }
      break;
    case model::Phase::Error:
      // Quota refusals already have their own event.
      if (new_admitted && new_admitted->status == kube::ConditionStatus::True) {
        events.push_back({kube::EventType::Warning, "Failed", derived.decision.message});
      }
      break;
    case model::Phase::Provisioning:
      events.push_back({kube::EventType::Normal, "Provisioning", derived.decision.message});
      break;
    default:
      break;
  }
  return events;
}

}  // namespace daap::controller
