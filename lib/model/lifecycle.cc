#include "lib/model/lifecycle.h"

#include <array>
#include <string>
#include <utility>

namespace daap::model {
namespace {

constexpr std::array<std::pair<Phase, std::string_view>, 6> kPhaseNames = {{
    {Phase::Provisioning, "Provisioning"},
    {Phase::Ready, "Ready"},
    {Phase::Error, "Error"},
    {Phase::Frozen, "Frozen"},
    {Phase::Archived, "Archived"},
    {Phase::Deleted, "Deleted"},
}};

PhaseDecision decision(Phase phase, bool ready, std::string reason, std::string message) {
  return PhaseDecision{phase, ready, std::move(reason), std::move(message)};
}

std::string withDetail(std::string message, const std::string& detail) {
  if (!detail.empty()) {
    message += ": " + detail;
  }
  return message;
}

}  // namespace

std::string_view phaseName(Phase phase) {
  for (const auto& [value, name] : kPhaseNames) {
    if (value == phase) {
      return name;
    }
  }
  return "Error";
}

Result<Phase> parsePhase(std::string_view name) {
  for (const auto& [value, spelled] : kPhaseNames) {
    if (spelled == name) {
      return value;
    }
  }
  return Error::invalidArgument("unknown phase \"" + std::string(name) + "\"");
}

bool allowedTransition(Phase from, Phase to) {
  if (from == to) {
    return true;
  }
  switch (from) {
    case Phase::Provisioning:
      return to != Phase::Provisioning;
    case Phase::Ready:
      return to == Phase::Error || to == Phase::Frozen || to == Phase::Archived ||
             to == Phase::Deleted;
    case Phase::Error:
      return true;
    case Phase::Frozen:
      return to == Phase::Ready || to == Phase::Archived || to == Phase::Deleted;
    case Phase::Archived:
      return to == Phase::Deleted;
    case Phase::Deleted:
      return false;
  }
  return false;
}

bool isTerminal(Phase phase) {
  return phase == Phase::Archived || phase == Phase::Deleted;
}

std::string_view clusterHealthName(ClusterHealth health) {
  switch (health) {
    case ClusterHealth::Progressing:
      return "Progressing";
    case ClusterHealth::Healthy:
      return "Healthy";
    case ClusterHealth::Failed:
      return "Failed";
  }
  return "Progressing";
}

PhaseDecision decidePhase(const Observation& observation) {
  const std::optional<Phase> current = observation.current;
  if (current && isTerminal(*current)) {
    return decision(*current, false, std::string(phaseName(*current)),
                    "the database's cluster has been removed");
  }
  // Where the database sits while CNPG works on it: before the first Ready it is still being
  // provisioned; afterwards a transient state (switchover, rolling update) keeps the phase.
  const Phase settled = current.value_or(Phase::Provisioning);
  const bool frozen = settled == Phase::Frozen;

  if (!observation.quota_admitted) {
    const Phase phase = frozen ? Phase::Frozen : Phase::Error;
    return decision(
        phase, false, "QuotaExceeded",
        withDetail("the tier has no quota left for this database", observation.quota_message));
  }
  if (!observation.cluster_exists) {
    if (settled == Phase::Ready) {
      return decision(Phase::Error, false, "ClusterMissing",
                      "the database's CNPG cluster is missing; the operator recreates it");
    }
    return decision(settled, false, "ClusterCreating", "the CNPG cluster is being created");
  }
  switch (observation.cluster) {
    case ClusterHealth::Failed:
      if (frozen) {
        return decision(Phase::Frozen, false, "ClusterFailed",
                        withDetail("the CNPG cluster failed", observation.cluster_detail));
      }
      return decision(Phase::Error, false, "ClusterFailed",
                      withDetail("the CNPG cluster failed", observation.cluster_detail));
    case ClusterHealth::Progressing:
      return decision(settled, false, "ClusterNotReady",
                      withDetail("the CNPG cluster is not ready", observation.cluster_detail));
    case ClusterHealth::Healthy:
      break;
  }
  if (!observation.pooler_ready) {
    return decision(settled, false, "PoolerNotReady",
                    withDetail("the connection pooler is not ready", observation.pooler_detail));
  }
  return decision(Phase::Ready, true, "DatabaseReady",
                  "the database accepts TLS connections through its pooler");
}

}  // namespace daap::model
