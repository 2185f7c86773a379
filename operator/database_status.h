#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lib/cnpg/render.h"
#include "lib/json/json.h"
#include "lib/kube/objects.h"
#include "lib/model/lifecycle.h"
#include "lib/model/tier.h"

namespace daap::controller {

// Condition types and reasons DAAP writes on a DaapDatabase.
inline constexpr std::string_view kReadyCondition = "Ready";
inline constexpr std::string_view kQuotaAdmittedCondition = "QuotaAdmitted";

// How quota admission went for a database this pass.
struct AdmissionState {
  bool admitted = false;
  // Admitted | QuotaExceeded | TierNotFound | TierInvalid | TierDeleting
  std::string reason;
  std::string message;
};

// What one reconcile pass observed besides the DaapDatabase itself. Pointers are nullable:
// the object is not in the cache.
struct DatabaseObservation {
  AdmissionState admission;
  // The provisioned parameters (status.provisionedTier) once admitted.
  std::optional<model::TierParameters> parameters;
  cnpg::DatabaseRef ref;
  const json::Value* cluster = nullptr;
  const json::Value* pooler = nullptr;
  const json::Value* object_store = nullptr;
  // The Barman server name the Cluster archives under (the ObjectStore's recovery window key).
  std::string backup_server_name;
};

struct DerivedStatus {
  json::Document status;  // The whole new status object.
  model::PhaseDecision decision;
  std::optional<model::Phase> previous;  // status.phase before this pass.
  bool changed = false;                  // status differs from the current one.
};

// The status a DaapDatabase should have: phase by model::decidePhase, conditions Ready and
// QuotaAdmitted (lastTransitionTime moves only when a condition's status does), connection and
// backup once admitted, observedGeneration; fields DAAP does not derive here
// (provisionedTier, extensions) are kept as they are. Pure.
DerivedStatus deriveStatus(const json::Value& database, const DatabaseObservation& observation,
                           kube::Time now);

// An Event to record about a transition.
struct TransitionEvent {
  kube::EventType type = kube::EventType::Normal;
  std::string reason;
  std::string message;

  bool operator==(const TransitionEvent&) const = default;
};

// The Events a status change tells: Ready (first time), Recovered (Error -> Ready), Failed
// (-> Error), QuotaExceeded (admission refused, once per refusal).
std::vector<TransitionEvent> transitionEvents(const json::Value& old_status,
                                              const DerivedStatus& derived);

}  // namespace daap::controller
