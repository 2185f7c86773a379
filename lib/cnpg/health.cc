#include "lib/cnpg/health.h"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>

namespace daap::cnpg {
namespace {

// status.phase values, matched exactly (cnpg.md section 9; api/v1/cluster_types.go).
constexpr std::string_view kHealthyPhase = "Cluster in healthy state";
// Phases in which CNPG stops reconciling until a human (or a changed spec) steps in.
constexpr std::array<std::string_view, 7> kFailedPhases = {
    "Cluster is unrecoverable and needs manual intervention",
    "Invalid cluster definition",
    "Cluster cannot proceed to reconciliation due to an unknown plugin being required",
    "Cluster cannot proceed to reconciliation due to an error while interacting with plugins",
    "Cluster has incomplete or invalid image catalog",
    "Unable to create required cluster objects",
    "Cluster cannot execute instance online upgrade due to missing architecture binary",
};
// Plugin failures share this opening; later CNPG versions add more of them.
constexpr std::string_view kPluginFailurePrefix = "Cluster cannot proceed to reconciliation";

std::string describe(const kube::CnpgClusterStatus& status) {
  std::string text = status.phase;
  if (!status.phase_reason.empty()) {
    text += " (" + status.phase_reason + ")";
  }
  return text;
}

}  // namespace

ClusterVerdict judgeCluster(const kube::CnpgClusterStatus& status) {
  if (status.phase.empty()) {
    return {ClusterHealth::Progressing, "ClusterPending",
            "CNPG has not reported on the cluster yet"};
  }
  if (status.phase == kHealthyPhase) {
    return {ClusterHealth::Healthy, "ClusterHealthy", describe(status)};
  }
  if (std::find(kFailedPhases.begin(), kFailedPhases.end(), status.phase) != kFailedPhases.end() ||
      status.phase.rfind(kPluginFailurePrefix, 0) == 0) {
    return {ClusterHealth::Failed, "ClusterFailed", describe(status)};
  }
  return {ClusterHealth::Progressing, "ClusterProgressing", describe(status)};
}

PoolerVerdict judgePooler(const kube::CnpgPoolerStatus& status) {
  std::string detail = "phase \"" + status.phase + "\", " + std::to_string(status.instances) +
                       " of " + std::to_string(status.desired_instances) + " instances";
  if (!status.phase_reason.empty()) {
    detail += " (" + status.phase_reason + ")";
  }
  if (status.phase == "failed") {
    return {false, "PoolerFailed", detail};
  }
  if (status.desired_instances == 0) {
    return {false, "PoolerScaledDown", detail};
  }
  if (status.phase == "active" && status.instances >= status.desired_instances) {
    return {true, "PoolerReady", detail};
  }
  return {false, "PoolerProgressing", detail};
}

}  // namespace daap::cnpg
