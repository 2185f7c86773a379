#include "operator/event_recorder.h"

#include <utility>

#include <glog/logging.h>

#include "lib/kube/resource.h"

namespace daap::controller {

namespace {

std::string_view typeName(kube::EventType type) {
  return type == kube::EventType::Warning ? "Warning" : "Normal";
}

// Identifies "the same event" for aggregation. The uid tells apart two objects that had the
// same name at different times; objects without one (rare) fall back to their address.
std::string cacheKey(const kube::ObjectReference& object, kube::EventType type,
                     std::string_view reason, std::string_view message) {
  std::string key =
      object.uid.empty() ? object.kind + "/" + object.namespace_ + "/" + object.name : object.uid;
  for (std::string_view part : {typeName(type), reason, message}) {
    key += '\x1f';
    key += part;
  }
  return key;
}

}  // namespace

void EventRecorderOptions::registerMetrics(metrics::Registry& registry) {
  metrics::CounterFamily& family =
      registry.counter("daap_events_total",
                       "Kubernetes Events by outcome: created, aggregated (a repeat counted "
                       "on an existing Event), dropped (queue full) or failed.",
                       {"result"});
  created = family.withLabels({"created"});
  aggregated = family.withLabels({"aggregated"});
  dropped = family.withLabels({"dropped"});
  failed = family.withLabels({"failed"});
}

EventRecorder::EventRecorder(kube::Client& client, const Clock& clock, EventRecorderOptions options)
    : client_(client), clock_(clock), options_(std::move(options)) {
  CHECK_GT(options_.queue_capacity, 0U);
  CHECK_GT(options_.cache_capacity, 0U);
}

EventRecorder::~EventRecorder() {
  stop();
}

void EventRecorder::start() {
  const std::lock_guard<std::mutex> lock(lifecycle_mu_);
  CHECK(!thread_.joinable()) << "event recorder started twice";
  thread_ = std::jthread([this](const std::stop_token& stop) { run(stop); });
}

void EventRecorder::stop() {
  {
    const std::lock_guard<std::mutex> lock(lifecycle_mu_);
    if (thread_.joinable()) {
      thread_.request_stop();
      cv_.notify_all();
      thread_.join();
    }
  }
  const std::lock_guard<std::mutex> lock(mu_);
  stopped_ = true;
  // What was never sent is dropped; flush() must not wait for it.
  dropped_.fetch_add(queue_.size());
  options_.dropped.inc(static_cast<double>(queue_.size()));
  finished_ += queue_.size();
  queue_.clear();
  cv_.notify_all();
}

void EventRecorder::record(const kube::ObjectReference& object, kube::EventType type,
                           std::string_view reason, std::string_view message) {
  Pending pending{object, type, std::string(reason), std::string(message), clock_.now()};
  {
    const std::lock_guard<std::mutex> lock(mu_);
    if (!stopped_ && queue_.size() < options_.queue_capacity) {
      queue_.push_back(std::move(pending));
      ++enqueued_;
      recorded_.fetch_add(1);
      cv_.notify_all();
      return;
    }
  }
  dropped_.fetch_add(1);
  options_.dropped.inc();
  LOG_EVERY_N(WARNING, 100) << "event dropped: queue full reason=" << reason
                            << " object=" << object.namespace_ << "/" << object.name;
}

bool EventRecorder::flush(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t target = enqueued_;
  return cv_.wait_for(lock, timeout, [&] { return finished_ >= target; });
}

EventRecorderStats EventRecorder::stats() const {
  EventRecorderStats out;
  out.recorded = recorded_.load();
  out.created = created_.load();
  out.aggregated = aggregated_.load();
  out.dropped = dropped_.load();
  out.failed = failed_.load();
  return out;
}

void EventRecorder::run(const std::stop_token& stop) {
  while (true) {
    Pending next;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, stop, [this] { return !queue_.empty(); });
      if (stop.stop_requested()) {
        return;  // stop() counts what is left as dropped.
      }
      next = std::move(queue_.front());
      queue_.pop_front();
    }
    send(next);
    {
      const std::lock_guard<std::mutex> lock(mu_);
      ++finished_;
    }
    cv_.notify_all();
  }
}

void EventRecorder::send(const Pending& event) {
  const std::string key = cacheKey(event.object, event.type, event.reason, event.message);
  const auto now = clock_.monotonicNow();
  auto cached = cache_.find(key);
  if (cached != cache_.end() && now - cached->second.last_seen > options_.aggregation_window) {
    lru_.erase(cached->second.lru);
    cache_.erase(cached);
    cached = cache_.end();
  }
  if (cached != cache_.end()) {
    Written& written = cached->second;
    json::Document patch(rapidjson::kObjectType);
    json::Allocator& allocator = patch.GetAllocator();
    json::set(patch, "count", json::Value(written.count + 1), allocator);
    json::setString(patch, "lastTimestamp", formatRfc3339(event.time), allocator);
    Result<json::Document> patched = client_.patch(kube::resources::events(), written.namespace_,
                                                   written.name, kube::PatchType::Merge, patch);
    if (patched) {
      ++written.count;
      written.last_seen = now;
      lru_.splice(lru_.begin(), lru_, written.lru);
      aggregated_.fetch_add(1);
      options_.aggregated.inc();
      return;
    }
    if (patched.error().code != ErrorCode::NotFound) {
      failed_.fetch_add(1);
      options_.failed.inc();
      LOG_EVERY_N(WARNING, 20) << "event update failed reason=" << event.reason
                               << " object=" << event.object.namespace_ << "/" << event.object.name
                               << " error=" << patched.error().toString();
      return;
    }
    // The Event expired on the server: start a new one.
    lru_.erase(written.lru);
    cache_.erase(cached);
  }
  create(event, key);
}

bool EventRecorder::create(const Pending& event, const std::string& cache_key) {
  // Event names derive from the first timestamp's nanoseconds: keep them distinct even when
  // the clock repeats a reading (a coarse or fake clock).
  auto first = event.time;
  if (first <= last_first_timestamp_) {
    first = last_first_timestamp_ + std::chrono::microseconds(1);
  }
  last_first_timestamp_ = first;

  kube::Event out;
  out.involved_object = event.object;
  out.type = event.type;
  out.reason = event.reason;
  out.message = event.message;
  out.reporting_component = options_.component;
  out.reporting_instance = options_.instance;
  out.first_timestamp = first;
  out.last_timestamp = event.time;
  out.count = 1;
  const json::Document document = kube::buildEvent(out);
  const kube::ObjectMeta meta = kube::readMeta(document);
  Result<json::Document> created =
      client_.create(kube::resources::events(), meta.namespace_, document);
  if (!created) {
    failed_.fetch_add(1);
    options_.failed.inc();
    LOG_EVERY_N(WARNING, 20) << "event create failed reason=" << event.reason
                             << " object=" << event.object.namespace_ << "/" << event.object.name
                             << " error=" << created.error().toString();
    return false;
  }
  created_.fetch_add(1);
  options_.created.inc();
  remember(cache_key, Written{meta.namespace_, meta.name, 1, clock_.monotonicNow(), {}});
  return true;
}

void EventRecorder::remember(const std::string& cache_key, Written written) {
  lru_.push_front(cache_key);
  written.lru = lru_.begin();
  cache_.insert_or_assign(cache_key, std::move(written));
  while (cache_.size() > options_.cache_capacity) {
    cache_.erase(lru_.back());
    lru_.pop_back();
  }
}

void RecordingEventSink::record(const kube::ObjectReference& object, kube::EventType type,
                                std::string_view reason, std::string_view message) {
  const std::lock_guard<std::mutex> lock(mu_);
  events_.push_back(Recorded{object, type, std::string(reason), std::string(message)});
}

std::vector<RecordingEventSink::Recorded> RecordingEventSink::events() const {
  const std::lock_guard<std::mutex> lock(mu_);
  return events_;
}

std::vector<std::string> RecordingEventSink::reasons() const {
  const std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  out.reserve(events_.size());
  for (const Recorded& event : events_) {
    out.push_back(event.reason);
  }
  return out;
}

void RecordingEventSink::clear() {
  const std::lock_guard<std::mutex> lock(mu_);
  events_.clear();
}

}  // namespace daap::controller
