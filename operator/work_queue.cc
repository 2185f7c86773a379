#include "operator/work_queue.h"

#include <algorithm>
#include <cmath>
#include <exception>

#include <glog/logging.h>

namespace daap::controller {

namespace {

double secondsBetween(std::chrono::steady_clock::time_point from,
                      std::chrono::steady_clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// Idle workers wake at least this often while keys wait for a delay, so a clock that does not
// follow real time (a FakeClock advanced by a test) is noticed without any other call.
constexpr auto kMaxDelayedWait = std::chrono::milliseconds(200);

}  // namespace

QueueMetrics QueueMetrics::create(metrics::Registry& registry, const std::string& name) {
  // Queue latencies range from microseconds (idle queue) to minutes (backlog after a restart).
  const std::vector<double> buckets = metrics::exponentialBuckets(1e-5, 10, 8);
  QueueMetrics out;
  out.depth = registry.gauge("daap_workqueue_depth", "Keys ready to be processed.", {"name"})
                  .withLabels({name});
  out.adds =
      registry.counter("daap_workqueue_adds_total", "Keys added to the work queue.", {"name"})
          .withLabels({name});
  out.retries = registry
                    .counter("daap_workqueue_retries_total",
                             "Keys re-added with backoff after a failed reconcile.", {"name"})
                    .withLabels({name});
  out.queue_duration = registry
                           .histogram("daap_workqueue_queue_duration_seconds",
                                      "Seconds a key waited in the queue before a worker took it.",
                                      {"name"}, buckets)
                           .withLabels({name});
  out.work_duration =
      registry
          .histogram("daap_workqueue_work_duration_seconds",
                     "Seconds a worker held a key (get to done).", {"name"}, buckets)
          .withLabels({name});
  return out;
}

WorkQueue::WorkQueue(const Clock& clock, WorkQueueOptions options, QueueMetrics metrics)
    : clock_(clock),
      options_(options),
      metrics_(metrics),
      rng_(options.seed == 0 ? std::random_device{}() : options.seed) {
  CHECK_GT(options_.backoff_base.count(), 0);
  CHECK_GE(options_.backoff_max, options_.backoff_base);
  CHECK(options_.jitter >= 0 && options_.jitter <= 1);
}

WorkQueue::~WorkQueue() {
  shutDown();
}

void WorkQueue::addLocked(const std::string& key, TimePoint now) {
  if (shutting_down_) {
    return;
  }
  if (dirty_.contains(key)) {
    return;  // Already waiting (or waiting to be re-queued when its worker is done).
  }
  metrics_.adds.inc();
  dirty_.emplace(key, now);
  if (processing_.contains(key)) {
    return;  // done(key) re-queues it.
  }
  queue_.push_back(key);
  metrics_.depth.set(static_cast<double>(queue_.size()));
  cv_.notify_one();
}

void WorkQueue::promoteDelayedLocked(TimePoint now) {
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    const std::string key = delayed_.begin()->second;
    delayed_.erase(delayed_.begin());
    delayed_index_.erase(key);
    addLocked(key, now);
  }
}

std::optional<std::string> WorkQueue::popLocked(TimePoint now) {
  if (queue_.empty()) {
    return std::nullopt;
  }
  std::string key = std::move(queue_.front());
  queue_.pop_front();
  metrics_.depth.set(static_cast<double>(queue_.size()));
  auto dirty = dirty_.find(key);
  if (dirty != dirty_.end()) {
    metrics_.queue_duration.observe(secondsBetween(dirty->second, now));
    dirty_.erase(dirty);
  }
  processing_.emplace(key, now);
  return key;
}

void WorkQueue::add(const std::string& key) {
  const TimePoint now = clock_.monotonicNow();
  const std::lock_guard<std::mutex> lock(mu_);
  promoteDelayedLocked(now);
  addLocked(key, now);
}

void WorkQueue::addAfter(const std::string& key, std::chrono::milliseconds delay) {
  const TimePoint now = clock_.monotonicNow();
  const std::lock_guard<std::mutex> lock(mu_);
  if (shutting_down_) {
    return;
  }
  promoteDelayedLocked(now);
  if (delay.count() <= 0) {
    addLocked(key, now);
    return;
  }
  const TimePoint ready = now + delay;
  auto existing = delayed_index_.find(key);
  if (existing != delayed_index_.end()) {
    if (existing->second <= ready) {
      return;  // An earlier pending add wins.
    }
    delayed_.erase({existing->second, key});
    existing->second = ready;
  } else {
    delayed_index_.emplace(key, ready);
  }
  const bool earliest = delayed_.empty() || ready < delayed_.begin()->first;
  delayed_.emplace(ready, key);
  if (earliest) {
    cv_.notify_all();  // Sleeping workers recompute how long to wait.
  }
}

std::chrono::milliseconds WorkQueue::backoffLocked(int failures) const {
  // Cap the exponent before shifting so a long failure streak cannot overflow.
  const int exponent = std::min(failures, 40);
  const double ceiling =
      std::min(static_cast<double>(options_.backoff_base.count()) * std::ldexp(1.0, exponent),
               static_cast<double>(options_.backoff_max.count()));
  double delay = ceiling;
  if (options_.jitter > 0) {
    std::uniform_real_distribution<double> fraction(0.0, options_.jitter);
    delay = ceiling * (1.0 - fraction(rng_));
  }
  return std::chrono::milliseconds(static_cast<int64_t>(delay));
}

void WorkQueue::addRateLimited(const std::string& key) {
  std::chrono::milliseconds delay{0};
  {
    const std::lock_guard<std::mutex> lock(mu_);
    if (shutting_down_) {
      return;
    }
    int& failures = failures_[key];
    delay = backoffLocked(failures);
    ++failures;
  }
  metrics_.retries.inc();
  addAfter(key, delay);
}

void WorkQueue::forget(const std::string& key) {
  const std::lock_guard<std::mutex> lock(mu_);
  failures_.erase(key);
}

int WorkQueue::numRequeues(const std::string& key) const {
  const std::lock_guard<std::mutex> lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

std::chrono::milliseconds WorkQueue::nextBackoff(const std::string& key) const {
  const std::lock_guard<std::mutex> lock(mu_);
  auto it = failures_.find(key);
  return backoffLocked(it == failures_.end() ? 0 : it->second);
}

std::optional<std::string> WorkQueue::get() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (shutting_down_) {
      return std::nullopt;
    }
    const TimePoint now = clock_.monotonicNow();
    promoteDelayedLocked(now);
    if (std::optional<std::string> key = popLocked(now)) {
      return key;
    }
    if (delayed_.empty()) {
      cv_.wait(lock);
    } else {
      const auto until_ready = delayed_.begin()->first - now;
      cv_.wait_for(lock,
                   std::min<std::chrono::steady_clock::duration>(until_ready, kMaxDelayedWait));
    }
  }
}

std::optional<std::string> WorkQueue::tryGet() {
  const std::lock_guard<std::mutex> lock(mu_);
  if (shutting_down_) {
    return std::nullopt;
  }
  const TimePoint now = clock_.monotonicNow();
  promoteDelayedLocked(now);
  return popLocked(now);
}

void WorkQueue::done(const std::string& key) {
  const TimePoint now = clock_.monotonicNow();
  const std::lock_guard<std::mutex> lock(mu_);
  auto it = processing_.find(key);
  if (it == processing_.end()) {
    LOG(DFATAL) << "work queue: done() for a key that is not processing key=" << key;
    return;
  }
  metrics_.work_duration.observe(secondsBetween(it->second, now));
  processing_.erase(it);
  if (dirty_.contains(key) && !shutting_down_) {
    queue_.push_back(key);
    metrics_.depth.set(static_cast<double>(queue_.size()));
    cv_.notify_one();
  }
}

void WorkQueue::shutDown() {
  {
    const std::lock_guard<std::mutex> lock(mu_);
    shutting_down_ = true;
  }
  cv_.notify_all();
}

bool WorkQueue::shuttingDown() const {
  const std::lock_guard<std::mutex> lock(mu_);
  return shutting_down_;
}

size_t WorkQueue::depth() const {
  const std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

size_t WorkQueue::delayedCount() const {
  const std::lock_guard<std::mutex> lock(mu_);
  return delayed_.size();
}

size_t WorkQueue::processingCount() const {
  const std::lock_guard<std::mutex> lock(mu_);
  return processing_.size();
}

ReconcileMetrics ReconcileMetrics::create(metrics::Registry& registry,
                                          const std::string& controller) {
  metrics::CounterFamily& total = registry.counter(
      "daap_reconcile_total", "Reconciles by controller and result.", {"controller", "result"});
  ReconcileMetrics out;
  out.success = total.withLabels({controller, "success"});
  out.requeue = total.withLabels({controller, "requeue"});
  out.error = total.withLabels({controller, "error"});
  out.terminal = total.withLabels({controller, "terminal"});
  out.panic = total.withLabels({controller, "panic"});
  out.errors = registry
                   .counter("daap_reconcile_errors_total",
                            "Reconciles that ended in an error, by controller.", {"controller"})
                   .withLabels({controller});
  out.duration =
      registry
          .histogram("daap_reconcile_duration_seconds", "Seconds per reconcile, by controller.",
                     {"controller"}, metrics::exponentialBuckets(0.001, 2, 16))
          .withLabels({controller});
  return out;
}

WorkerPool::WorkerPool(std::string name, WorkQueue& queue, ReconcileFunc reconcile,
                       WorkerPoolOptions options, ReconcileMetrics metrics)
    : name_(std::move(name)),
      queue_(queue),
      reconcile_(std::move(reconcile)),
      options_(std::move(options)),
      metrics_(metrics) {
  CHECK_GE(options_.workers, 1);
}

WorkerPool::~WorkerPool() {
  stop();
}

void WorkerPool::start() {
  const std::lock_guard<std::mutex> lock(mu_);
  CHECK(threads_.empty()) << "worker pool " << name_ << " started twice";
  threads_.reserve(static_cast<size_t>(options_.workers));
  for (int i = 0; i < options_.workers; ++i) {
    threads_.emplace_back([this] { runWorker(); });
  }
}

void WorkerPool::stop() {
  queue_.shutDown();
  std::vector<std::thread> threads;
  {
    const std::lock_guard<std::mutex> lock(mu_);
    threads.swap(threads_);
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
}

WorkerStats WorkerPool::stats() const {
  WorkerStats out;
  out.reconciles = reconciles_.load();
  out.successes = successes_.load();
  out.errors = errors_.load();
  out.terminal = terminal_.load();
  out.panics = panics_.load();
  return out;
}

void WorkerPool::runWorker() {
  while (std::optional<std::string> key = queue_.get()) {
    processOne(*key);
    queue_.done(*key);
  }
}

void WorkerPool::processOne(const std::string& key) {
  reconciles_.fetch_add(1);
  const auto started = std::chrono::steady_clock::now();
  std::optional<Result<Requeue>> result;
  try {
    result.emplace(reconcile_(key));
  } catch (const std::exception& e) {
    // A bug in a reconciler: keep the operator alive, make it loud, and retry with backoff.
    LOG(ERROR) << "reconcile threw controller=" << name_ << " key=" << key << " what=" << e.what();
  } catch (...) {  // NOLINT(bugprone-empty-catch): reported below like any exception.
    LOG(ERROR) << "reconcile threw controller=" << name_ << " key=" << key;
  }
  metrics_.duration.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (!result.has_value()) {
    panics_.fetch_add(1);
    metrics_.panic.inc();
    metrics_.errors.inc();
    queue_.addRateLimited(key);
    return;
  }
  if (result->has_value()) {
    successes_.fetch_add(1);
    queue_.forget(key);
    if (const std::optional<std::chrono::milliseconds>& after = (*result)->after) {
      metrics_.requeue.inc();
      queue_.addAfter(key, *after);
    } else {
      metrics_.success.inc();
    }
    return;
  }
  const Error& error = result->error();
  metrics_.errors.inc();
  if (options_.is_terminal && options_.is_terminal(error)) {
    terminal_.fetch_add(1);
    metrics_.terminal.inc();
    LOG(WARNING) << "reconcile failed, not retrying controller=" << name_ << " key=" << key
                 << " error=" << error.toString();
    queue_.forget(key);
    return;
  }
  errors_.fetch_add(1);
  metrics_.error.inc();
  if (error.code == ErrorCode::Conflict) {
    // Someone wrote first (often our own informer lagging): a routine retry.
    VLOG(1) << "reconcile conflict, retrying controller=" << name_ << " key=" << key;
  } else {
    LOG(WARNING) << "reconcile failed, retrying controller=" << name_ << " key=" << key
                 << " attempt=" << queue_.numRequeues(key) + 1 << " error=" << error.toString();
  }
  queue_.addRateLimited(key);
}

}  // namespace daap::controller
