#pragma once

#include <string>

#include "lib/kube/objects.h"
#include "lib/model/lifecycle.h"

namespace daap::cnpg {

using model::ClusterHealth;

// CNPG's own verdict on a Cluster, as DAAP reads it. `reason` is PascalCase (usable as a
// condition reason); `message` quotes CNPG's phase and phase reason for humans.
struct ClusterVerdict {
  ClusterHealth health = ClusterHealth::Progressing;
  std::string reason;  // ClusterHealthy | ClusterFailed | ClusterProgressing | ClusterPending
  std::string message;

  bool operator==(const ClusterVerdict&) const = default;
};

// Only status.phase "Cluster in healthy state" is Healthy. The phases in which CNPG stops until
// someone intervenes are Failed: "Cluster is unrecoverable and needs manual intervention",
// "Invalid cluster definition", plugin failures ("Cluster cannot proceed to reconciliation ..."),
// an invalid image catalog, "Unable to create required cluster objects" and a missing
// architecture binary. Anything else (including no status yet: ClusterPending) is Progressing.
// Hibernation is not judged here: it does not rewrite the phase (read the cnpg.io/hibernation
// condition instead).
ClusterVerdict judgeCluster(const kube::CnpgClusterStatus& status);

struct PoolerVerdict {
  bool ready = false;
  std::string reason;  // PoolerReady | PoolerFailed | PoolerScaledDown | PoolerProgressing
  std::string message;

  bool operator==(const PoolerVerdict&) const = default;
};

// Ready when CNPG reports the Pooler active with at least one and all desired instances.
PoolerVerdict judgePooler(const kube::CnpgPoolerStatus& status);

}  // namespace daap::cnpg
