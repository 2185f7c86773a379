#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lib/base/clock.h"
#include "lib/base/result.h"
#include "lib/http/router.h"
#include "lib/http/server.h"
#include "lib/kube/client.h"
#include "lib/kube/informer.h"
#include "lib/metrics/metrics.h"
#include "operator/admission.h"
#include "operator/cache.h"
#include "operator/database_index.h"
#include "operator/database_reconciler.h"
#include "operator/event_recorder.h"
#include "operator/leader_election.h"
#include "operator/metrics.h"
#include "operator/options.h"
#include "operator/owned_projection.h"
#include "operator/tier_reconciler.h"
#include "operator/work_queue.h"

namespace daap::controller {

// The one place that lists every controller and what it watches:
//   tier controller      <- DaapTier; DaapDatabase (usage, deletion); Secrets in the DAAP
//                           namespace (backup credentials, validity)
//   database controller  <- DaapDatabase; DaapTier (waiting admissions); and the objects DAAP
//                           renders (Cluster, Pooler, ObjectStore, ScheduledBackup,
//                           NetworkPolicy, copied credential Secrets), selected by the label
//                           app.kubernetes.io/managed-by=daap and mapped to their DaapDatabase
//                           through its controller owner reference.
// It owns the informers, queues, workers, leader election, Events and the metrics/health HTTP
// endpoint. Workers run only while this replica leads (or always, without leader election),
// and only after every informer synced, so a reconcile never acts on an empty cache.
class Manager {
public:
  Manager(const Options& options, kube::Client& client, const Clock& clock);
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // Starts the informers and the HTTP endpoint, waits for the caches to sync, then campaigns for
  // the Lease (or starts the workers). An unusable metrics address or caches that never sync
  // are errors.
  Result<void> start(std::chrono::milliseconds sync_timeout = std::chrono::minutes(2));
  // Blocks until stop() or until this replica loses the Lease after having led. True: stopped;
  // false: leadership lost (the process should exit, as client-go's controllers do).
  bool wait();
  // Idempotent: stops workers, releases the Lease, stops informers and the HTTP endpoint.
  void stop();

  uint16_t metricsPort() const;
  // /readyz: caches synced (a standby replica is ready: it takes over when the leader dies).
  bool ready() const;
  bool leading() const;
  metrics::Registry& registry() { return registry_; }

private:
  void wireHandlers();
  void startWorkers();
  void enqueuePending(const std::string& tier);
  void enqueueOwner(const kube::CachedObject& object);
  void signal(bool lost);

  Options options_;
  kube::Client& client_;
  const Clock& clock_;
  metrics::Registry registry_;
  WriteMetrics writes_;

  // Renderings that define which fields of each owned kind the caches keep, by kind.
  const OwnedShapes shapes_;
  std::vector<std::unique_ptr<kube::Informer>> informers_;
  kube::Informer* tiers_ = nullptr;
  kube::Informer* databases_ = nullptr;
  DatabaseIndex index_;
  std::unique_ptr<Cache> cache_;
  Admission admission_;

  std::unique_ptr<EventRecorder> events_;
  std::unique_ptr<WorkQueue> database_queue_;
  std::unique_ptr<WorkQueue> tier_queue_;
  std::unique_ptr<DatabaseReconciler> database_reconciler_;
  std::unique_ptr<TierReconciler> tier_reconciler_;
  std::unique_ptr<WorkerPool> database_workers_;
  std::unique_ptr<WorkerPool> tier_workers_;
  std::unique_ptr<LeaderElector> elector_;

  http::Router router_;
  std::unique_ptr<http::Server> server_;

  std::atomic<bool> synced_{false};
  std::atomic<bool> workers_started_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  // Guarded by mu_.
  bool stop_requested_ = false;
  bool leadership_lost_ = false;
  bool stopped_ = false;
};

// The informer projection for objects the operator reads: drops metadata.managedFields and
// kubectl's last-applied annotation (the bulk of most objects) and makes sure apiVersion and
// kind are set, as Events and owner references need them.
json::Document projectObject(const json::Value& object, const kube::Resource& resource);

}  // namespace daap::controller
