#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lib/base/clock.h"
#include "lib/base/result.h"
#include "lib/metrics/metrics.h"

namespace daap::controller {

// What a reconcile asks of the queue after a clean pass. Failures are not here: an Error is
// retried with per-key backoff (see WorkerPool).
struct Requeue {
  // Reconcile the key again after this delay even if nothing changes (e.g. to poll an external
  // state such as a backup's progress). Empty: only when an informer enqueues the key again.
  std::optional<std::chrono::milliseconds> after;

  static Requeue never() { return {}; }
  static Requeue afterDelay(std::chrono::milliseconds delay) { return Requeue{delay}; }
};

struct WorkQueueOptions {
  // Per-key exponential backoff for addRateLimited(): the n-th consecutive failure of a key
  // waits min(backoff_max, backoff_base * 2^n), shortened by a random fraction up to `jitter`
  // (0: exact delays; 0.2: uniform in [0.8 d, d]) so keys failing together spread out.
  std::chrono::milliseconds backoff_base{5};
  std::chrono::milliseconds backoff_max{std::chrono::minutes(5)};
  double jitter = 0.2;
  uint64_t seed = 0;  // 0: seeded from std::random_device.
};

// The queue's metrics handles; default-constructed handles record nothing. create() registers
// the client-go workqueue families with a "name" label.
struct QueueMetrics {
  metrics::Gauge depth;               // daap_workqueue_depth
  metrics::Counter adds;              // daap_workqueue_adds_total
  metrics::Counter retries;           // daap_workqueue_retries_total (addRateLimited calls)
  metrics::Histogram queue_duration;  // daap_workqueue_queue_duration_seconds: add -> get
  metrics::Histogram work_duration;   // daap_workqueue_work_duration_seconds: get -> done

  static QueueMetrics create(metrics::Registry& registry, const std::string& name);
};

// client-go's rate-limited work queue of object keys ("namespace/name"), with the same rules:
// - add(key) deduplicates: a key waiting in the queue is queued once however often it is added.
// - A key is never handed to two workers at once: get() moves it to "processing" until
//   done(key). A key added while it is processing is not handed out again until done(key), and
//   then it is re-queued once (so the change that arrived during the reconcile is seen).
// - addAfter(key, d) adds the key once d has passed (the earliest of several pending delays
//   wins); addRateLimited(key) is addAfter with the key's exponential backoff, and forget(key)
//   resets that backoff (call it after a clean pass).
// - shutDown() stops accepting keys and wakes every get(), which then returns nullopt at once
//   (queued keys are not drained: a replica that lost its lease must stop working).
// Every worker loop is therefore: key = get(); reconcile(key); addRateLimited or forget; done.
// Time for delays comes from `clock` (monotonicNow); with a FakeClock, advance it and call
// tryGet() or any method, which promote delayed keys whose time has come.
// Thread-safe; no callbacks, no I/O. The destructor shuts the queue down.
class WorkQueue {
public:
  explicit WorkQueue(const Clock& clock, WorkQueueOptions options = {}, QueueMetrics metrics = {});
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void add(const std::string& key);
  void addAfter(const std::string& key, std::chrono::milliseconds delay);
  void addRateLimited(const std::string& key);
  void forget(const std::string& key);
  // Consecutive addRateLimited() calls since the last forget().
  int numRequeues(const std::string& key) const;
  // The delay the next addRateLimited(key) would use, without counting it (for tests, logs).
  std::chrono::milliseconds nextBackoff(const std::string& key) const;

  // Blocks until a key is ready or the queue shuts down (nullopt). The caller must call
  // done(key) when it has finished with the key.
  std::optional<std::string> get();
  // Like get() but never blocks: nullopt when no key is ready now.
  std::optional<std::string> tryGet();
  void done(const std::string& key);

  void shutDown();
  bool shuttingDown() const;

  // Keys ready to be handed out (not processing, not waiting for a delay).
  size_t depth() const;
  // Keys waiting for a delay to pass.
  size_t delayedCount() const;
  // Keys handed out and not yet done().
  size_t processingCount() const;

private:
  using TimePoint = std::chrono::steady_clock::time_point;

  // Each requires mu_ held.
  void addLocked(const std::string& key, TimePoint now);
  void promoteDelayedLocked(TimePoint now);
  std::optional<std::string> popLocked(TimePoint now);
  std::chrono::milliseconds backoffLocked(int failures) const;

  const Clock& clock_;
  const WorkQueueOptions options_;
  const QueueMetrics metrics_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  // Guarded by mu_.
  std::deque<std::string> queue_;
  // Keys that need processing: queued, or added again while processing. Value: when added.
  std::unordered_map<std::string, TimePoint> dirty_;
  // Keys handed out by get() and not yet done(). Value: when handed out.
  std::unordered_map<std::string, TimePoint> processing_;
  // Keys waiting for addAfter(); ordered by ready time, with the reverse index.
  std::set<std::pair<TimePoint, std::string>> delayed_;
  std::unordered_map<std::string, TimePoint> delayed_index_;
  std::unordered_map<std::string, int> failures_;
  mutable std::mt19937_64 rng_;
  bool shutting_down_ = false;
};

using ReconcileFunc = std::function<Result<Requeue>(const std::string& key)>;

struct WorkerPoolOptions {
  int workers = 2;
  // Errors for which retrying cannot help (e.g. an invalid spec the reconciler already reported
  // in a condition): the key is forgotten and waits for the next change. Null: none.
  std::function<bool(const Error& error)> is_terminal;
};

// The reconcile metrics handles for one controller; default-constructed handles record
// nothing. create() registers daap_reconcile_total{controller,result} (result: success,
// requeue, error, terminal, panic), daap_reconcile_errors_total{controller} and
// daap_reconcile_duration_seconds{controller}.
struct ReconcileMetrics {
  metrics::Counter success;
  metrics::Counter requeue;
  metrics::Counter error;
  metrics::Counter terminal;
  metrics::Counter panic;
  metrics::Counter errors;
  metrics::Histogram duration;

  static ReconcileMetrics create(metrics::Registry& registry, const std::string& controller);
};

// What a WorkerPool has done so far (monotonic counters).
struct WorkerStats {
  uint64_t reconciles = 0;  // Calls of the reconcile function.
  uint64_t successes = 0;   // Ok results (with or without a requeue).
  uint64_t errors = 0;      // Error results retried with backoff.
  uint64_t terminal = 0;    // Error results not retried (is_terminal).
  uint64_t panics = 0;      // Exceptions thrown by the reconcile function (bugs; retried).
};

// N threads that each loop: get a key, reconcile it, then
//   ok with Requeue::never()  -> forget(key)
//   ok with after = d         -> forget(key), addAfter(key, d)
//   error (not terminal)      -> addRateLimited(key)  (Conflict logs at VLOG(1), others WARNING)
//   terminal error            -> forget(key)           (WARNING)
//   exception (a bug)         -> addRateLimited(key)  (ERROR)
// and finally done(key). The queue guarantees one key is never reconciled by two workers at
// once. stop() shuts the queue down, then joins: in-flight reconciles finish first.
class WorkerPool {
public:
  WorkerPool(std::string name, WorkQueue& queue, ReconcileFunc reconcile,
             WorkerPoolOptions options = {}, ReconcileMetrics metrics = {});
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void start();
  // Idempotent. Shuts the queue down and joins every worker.
  void stop();

  WorkerStats stats() const;

private:
  void runWorker();
  void processOne(const std::string& key);

  const std::string name_;
  WorkQueue& queue_;
  const ReconcileFunc reconcile_;
  const WorkerPoolOptions options_;
  const ReconcileMetrics metrics_;

  std::atomic<uint64_t> reconciles_{0};
  std::atomic<uint64_t> successes_{0};
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> terminal_{0};
  std::atomic<uint64_t> panics_{0};

  std::mutex mu_;
  // Guarded by mu_.
  std::vector<std::thread> threads_;
};

}  // namespace daap::controller
