#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "lib/base/result.h"

namespace daap::model {

// The lifecycle of a DaapDatabase (DESIGN.md, "Lifecycle"): status.phase and the decision that
// moves it. Pure: the operator observes, this decides, the operator writes.
enum class Phase { Provisioning, Ready, Error, Frozen, Archived, Deleted };

// Spelled as the CRD enum ("Provisioning", ...); parsing is exact.
std::string_view phaseName(Phase phase);
Result<Phase> parsePhase(std::string_view name);

// Whether status.phase may move from `from` to `to`. Staying put is always allowed.
//   Provisioning -> Ready | Error
//   Ready        -> Error | Frozen | Archived | Deleted   (destroy runs the tier's strategy)
//   Error        -> Ready | Provisioning | Frozen | Archived | Deleted
//   Provisioning -> Frozen | Archived | Deleted          (destroyed before it ever got ready)
//   Frozen       -> Ready (unfreeze) | Archived | Deleted
//   Archived     -> Deleted (archive retention ran out)
//   Deleted      -> nothing
bool allowedTransition(Phase from, Phase to);
// Archived and Deleted: the cluster is gone for good.
bool isTerminal(Phase phase);

// How CNPG judges a Cluster (lib/cnpg/health.h computes it from the Cluster's status).
enum class ClusterHealth { Progressing, Healthy, Failed };

std::string_view clusterHealthName(ClusterHealth health);

// What the operator saw for one database whose spec.lifecycle is Active, this pass.
struct Observation {
  std::optional<Phase> current;  // status.phase; nullopt before the operator's first write.
  // False: the tier's quota has no room for this database (no CNPG objects may exist).
  bool quota_admitted = true;
  std::string quota_message;  // QuotaViolation::message() when not admitted.
  bool cluster_exists = false;
  ClusterHealth cluster = ClusterHealth::Progressing;
  // For humans: CNPG's phase and phase reason ("Setting up primary").
  std::string cluster_detail;
  bool pooler_ready = false;
  std::string pooler_detail;
};

// The phase to write and the Ready condition to go with it. Ready is True exactly when the
// database accepts connections (cluster healthy and pooler ready).
struct PhaseDecision {
  Phase phase = Phase::Provisioning;
  bool ready = false;
  std::string reason;  // PascalCase, valid as a condition reason.
  std::string message;

  bool operator==(const PhaseDecision&) const = default;
};

// The phase for an Active database:
// - quota not admitted: Error (QuotaExceeded) unless it was already provisioned past that;
// - cluster healthy and pooler ready: Ready (also from Error and Frozen: recovery, unfreeze);
// - cluster failed: Error (ClusterFailed), the operator keeps reconciling;
// - otherwise (creating, switching over, rolling out): Provisioning before the first Ready,
//   and afterwards the phase stays (Ready with Ready=False while CNPG works; Error until it
//   recovers; Frozen until unfreezing completes); a Ready database whose cluster vanished
//   is Error (ClusterMissing).
// Archived and Deleted stay as they are: those databases are not reconciled towards Ready.
// The result always satisfies allowedTransition(current, phase).
PhaseDecision decidePhase(const Observation& observation);

}  // namespace daap::model
