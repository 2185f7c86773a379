#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "lib/base/clock.h"
#include "lib/base/result.h"
#include "lib/cnpg/render.h"
#include "lib/json/json.h"
#include "lib/kube/client.h"
#include "lib/kube/informer.h"
#include "lib/model/tier.h"
#include "operator/admission.h"
#include "operator/cache.h"
#include "operator/database_status.h"
#include "operator/event_recorder.h"
#include "operator/metrics.h"
#include "operator/work_queue.h"

namespace daap::controller {

// The finalizer that keeps a DaapDatabase until its CNPG objects are gone.
inline constexpr std::string_view kDatabaseFinalizer = "daap.io/database-cleanup";

struct DatabaseReconcilerOptions {
  cnpg::RenderOptions render;
  std::string daap_namespace = "daap-system";
};

// Drives one DaapDatabase towards its CNPG objects and reports what CNPG says in its status.
// Level-triggered and idempotent: every pass reads the caches, admits the database against its
// tier's quota once (recording the tier parameters in status.provisionedTier before anything
// else is written), creates what is missing, repairs drift in the fields DAAP renders, and
// writes status only when it changed, so an up-to-date database costs no write. Keeps no
// per-object state: a restarted or newly elected replica resumes any key where the last one
// stopped. The queue never hands one key to two workers; admission into one tier is serialized
// by `admission`. Thread-safe.
class DatabaseReconciler {
public:
  DatabaseReconciler(kube::Client& client, const Cache& cache, Admission& admission,
                     EventSink& events, const Clock& clock, DatabaseReconcilerOptions options,
                     WriteMetrics writes = {});

  // `key` is "namespace/name".
  Result<Requeue> reconcile(const std::string& key);

private:
  // The database with the finalizer added (the API's answer), or as cached when present.
  Result<json::Document> ensureFinalizer(const json::Value& database);
  Result<Requeue> finalize(const json::Value& database);
  // Admits (recording status.provisionedTier) or refuses. On success `database` is the stored
  // object after the status write and `admission` says how it went.
  Result<void> admit(json::Document& database, const std::string& key, AdmissionState& admission);
  enum class Applied { Unchanged, Created, Updated, Awaiting };
  // True when some object this process created is not in the cache yet.
  Result<bool> applyAll(const json::Value& database, const cnpg::DatabaseRef& ref,
                        const model::TierParameters& parameters);
  // Creates `desired` when absent, repairs the fields DAAP owns when they drifted, and writes
  // nothing when the cached object already holds them.
  Result<Applied> apply(const kube::Resource& resource, const kube::Informer& informer,
                        const json::Value& desired, const std::string& database_uid);
  Result<void> writeStatus(const json::Value& database, const json::Value& status);

  // Whether the cached `live` object holds what DAAP wants (the rendering digests to `wanted`):
  // its owned digest equals `wanted`, or a read of the stored object showed it to contain the
  // rendering while live and rendering digested as they do now.
  bool isKnownGood(const std::string& key, const json::Value& live, uint64_t wanted);
  void rememberGood(const std::string& key, uint64_t live, uint64_t wanted);
  void forgetGood(const std::string& key);

  kube::Client& client_;
  const Cache& cache_;
  Admission& admission_;
  EventSink& events_;
  const Clock& clock_;
  const DatabaseReconcilerOptions options_;
  const WriteMetrics writes_;

  // Objects this process created that the informers may not show yet (controller-runtime's
  // "expectations"): without it a pass right after a create would create again and get
  // AlreadyExists. Entries go when the cache shows the object or after kExpectationTtl; losing
  // them (a restart) only costs such retries.
  static constexpr std::chrono::seconds kExpectationTtl{10};
  static constexpr size_t kMaxExpectations = 16384;
  // Records a create; forgets the expectations older than the TTL, and the oldest ones beyond
  // kMaxExpectations, in insertion order so a burst of creates never rescans the whole table.
  void expectCreated(const std::string& expectation);
  std::mutex mu_;
  // Guarded by mu_. Key: "<plural>/<namespace>/<name>".
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> created_;
  struct KnownGood {
    uint64_t live = 0;
    uint64_t wanted = 0;
    bool operator==(const KnownGood&) const = default;
  };
  // Guarded by mu_. Objects whose owned fields differ from their rendering's by what the API
  // server or others added, yet contain it (key as created_): read once, not on every pass.
  std::unordered_map<std::string, KnownGood> known_good_;
  // Guarded by mu_. The same entries as created_, oldest first (possibly already erased there).
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::string>> created_order_;
};

// A guarded JSON patch refused because its resourceVersion test failed (the cache was stale)
// becomes a Conflict, which the queue retries quietly.
Result<json::Document> asConflict(Result<json::Document> patched);

}  // namespace daap::controller
