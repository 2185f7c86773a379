#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "lib/base/clock.h"
#include "lib/json/json.h"
#include "lib/kube/client.h"
#include "lib/kube/objects.h"
#include "lib/metrics/metrics.h"

namespace daap::controller {

// Where reconcilers report what happened to an object ("kubectl describe" shows it). Two
// implementations: EventRecorder (Kubernetes Events) and RecordingEventSink (in memory, for
// tests). record() never blocks on I/O and never fails the caller.
class EventSink {
public:
  virtual ~EventSink() = default;
  // `reason` is PascalCase and machine-readable ("Provisioned"); `message` is for humans and
  // must never hold a credential.
  virtual void record(const kube::ObjectReference& object, kube::EventType type,
                      std::string_view reason, std::string_view message) = 0;

  // Convenience: the reference is taken from the object itself (apiVersion, kind, metadata).
  void record(const json::Value& object, kube::EventType type, std::string_view reason,
              std::string_view message) {
    record(kube::objectReference(object), type, reason, message);
  }
  void normal(const json::Value& object, std::string_view reason, std::string_view message) {
    record(object, kube::EventType::Normal, reason, message);
  }
  void warning(const json::Value& object, std::string_view reason, std::string_view message) {
    record(object, kube::EventType::Warning, reason, message);
  }
};

struct EventRecorderOptions {
  std::string component = "daap-operator";  // source.component and reportingComponent.
  std::string instance;                     // reportingInstance: this replica (pod name).
  // Events waiting for the sender; record() drops (and counts) beyond this.
  size_t queue_capacity = 1024;
  // Events remembered for aggregation (least recently used forgotten first).
  size_t cache_capacity = 4096;
  // A repeat of the same (object uid, type, reason, message) within this window bumps count and
  // lastTimestamp of the existing Event instead of creating another.
  std::chrono::seconds aggregation_window{std::chrono::minutes(10)};
  // Handles for daap_events_total{result=created|aggregated|dropped|failed}; default: none.
  metrics::Counter created;
  metrics::Counter aggregated;
  metrics::Counter dropped;
  metrics::Counter failed;

  // Registers the daap_events_total family in `registry` and fills the four handles.
  void registerMetrics(metrics::Registry& registry);
};

struct EventRecorderStats {
  uint64_t recorded = 0;    // Accepted by record().
  uint64_t created = 0;     // New Event objects written.
  uint64_t aggregated = 0;  // Repeats written as a count bump on an existing Event.
  uint64_t dropped = 0;     // Refused by record() because the queue was full (or stopped).
  uint64_t failed = 0;      // Writes the API server refused or that could not reach it.
};

// Records core/v1 Events asynchronously: record() appends to a bounded queue and returns; one
// sender thread writes to the API server. A repeat within the aggregation window becomes a merge
// patch of count and lastTimestamp on the Event it repeats (as client-go's correlator does); if
// that Event is gone (Events expire), a new one is created. Failed writes are logged and
// counted, not retried: an Event is a best-effort report, never state. Events of one recorder
// reach the server in record() order.
// Thread-safe. start() and an idempotent stop() (which sends nothing further); flush() waits for
// what is queued, e.g. before a clean exit.
class EventRecorder final : public EventSink {
public:
  EventRecorder(kube::Client& client, const Clock& clock, EventRecorderOptions options = {});
  ~EventRecorder() override;
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  void start();
  void stop();

  using EventSink::record;
  void record(const kube::ObjectReference& object, kube::EventType type, std::string_view reason,
              std::string_view message) override;

  // Waits until every event recorded so far has been written (or failed); false on timeout.
  bool flush(std::chrono::milliseconds timeout);

  EventRecorderStats stats() const;

private:
  struct Pending {
    kube::ObjectReference object;
    kube::EventType type = kube::EventType::Normal;
    std::string reason;
    std::string message;
    std::chrono::system_clock::time_point time;
  };
  // What the sender remembers of an Event it wrote, for aggregation.
  struct Written {
    std::string namespace_;
    std::string name;
    int32_t count = 0;
    std::chrono::steady_clock::time_point last_seen;  // The window runs from the last repeat.
    std::list<std::string>::iterator lru;
  };

  void run(const std::stop_token& stop);
  void send(const Pending& event);
  bool create(const Pending& event, const std::string& cache_key);
  void remember(const std::string& cache_key, Written written);

  kube::Client& client_;
  const Clock& clock_;
  const EventRecorderOptions options_;

  std::atomic<uint64_t> recorded_{0};
  std::atomic<uint64_t> created_{0};
  std::atomic<uint64_t> aggregated_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> failed_{0};

  std::mutex mu_;
  std::condition_variable_any cv_;
  // Guarded by mu_.
  std::deque<Pending> queue_;
  uint64_t enqueued_ = 0;  // Events accepted so far.
  uint64_t finished_ = 0;  // Events the sender has finished with.
  bool stopped_ = false;

  // Owned by the sender thread alone: the aggregation cache and its LRU order (front: newest).
  std::unordered_map<std::string, Written> cache_;
  std::list<std::string> lru_;
  std::chrono::system_clock::time_point last_first_timestamp_;

  std::mutex lifecycle_mu_;
  // Guarded by lifecycle_mu_.
  std::jthread thread_;
};

// A working in-memory EventSink: keeps every event, for tests of the reconcilers.
class RecordingEventSink final : public EventSink {
public:
  struct Recorded {
    kube::ObjectReference object;
    kube::EventType type = kube::EventType::Normal;
    std::string reason;
    std::string message;
  };

  using EventSink::record;
  void record(const kube::ObjectReference& object, kube::EventType type, std::string_view reason,
              std::string_view message) override;

  std::vector<Recorded> events() const;
  // Reasons in record order, e.g. {"Provisioning", "Ready"}.
  std::vector<std::string> reasons() const;
  void clear();

private:
  mutable std::mutex mu_;
  // Guarded by mu_.
  std::vector<Recorded> events_;
};

}  // namespace daap::controller
