#pragma once

#include <string>

#include "lib/base/clock.h"
#include "lib/base/result.h"
#include "lib/kube/client.h"
#include "operator/cache.h"
#include "operator/event_recorder.h"
#include "operator/metrics.h"
#include "operator/work_queue.h"

namespace daap::controller {

// The finalizer that keeps a DaapTier while databases still use it.
inline constexpr std::string_view kTierFinalizer = "daap.io/tier-protection";

struct TierReconcilerOptions {
  std::string daap_namespace = "daap-system";
};

// Keeps a DaapTier's status true (usage of its admitted databases, Valid, observedGeneration)
// and holds its deletion with a finalizer while any database uses it. Stateless between calls
// and idempotent like the database reconciler; writes only what changed. Thread-safe.
class TierReconciler {
public:
  TierReconciler(kube::Client& client, const Cache& cache, EventSink& events, const Clock& clock,
                 TierReconcilerOptions options, WriteMetrics writes = {});

  // `key` is the tier's name.
  Result<Requeue> reconcile(const std::string& key);

private:
  Result<Requeue> finalize(const json::Value& tier);

  kube::Client& client_;
  const Cache& cache_;
  EventSink& events_;
  const Clock& clock_;
  const TierReconcilerOptions options_;
  const WriteMetrics writes_;
};

// The tier's Valid condition from its spec and the Secrets in the DAAP namespace: a backup
// tier needs its credentials Secret, with both keys. Pure.
kube::Condition tierValidity(const json::Value& tier, const kube::Informer& daap_secrets,
                             const std::string& daap_namespace);

}  // namespace daap::controller
