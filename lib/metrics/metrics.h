#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

// A small Prometheus client: families of counters, gauges and histograms with labels, and
// callback gauges computed at scrape time, exposed in the text format 0.0.4.
//
// Usage:
//   metrics::Registry registry;
//   metrics::CounterFamily& reconciles = registry.counter(
//       "daap_reconcile_total", "Reconciles by controller and result.", {"controller", "result"});
//   metrics::Counter ok = reconciles.withLabels({"database", "success"});  // Once, then keep.
//   ok.inc();                                                              // Lock-free.
//   std::string text = registry.exposition();                              // For /metrics.
//
// Handles (Counter, Gauge, Histogram) are cheap to copy (one pointer) and stay valid as long as
// the Registry lives. A default-constructed handle records nothing, so a component built
// without a registry needs no branches of its own.
namespace daap::metrics {

namespace detail {
struct HistogramCell;
}  // namespace detail

// A monotonically increasing value (e.g. requests served). Thread-safe, lock-free.
class Counter {
public:
  Counter() = default;
  // `by` must not be negative (a counter only goes up).
  void inc(double by = 1.0) const;
  double value() const;

private:
  friend class CounterFamily;
  explicit Counter(std::atomic<double>* cell) : cell_(cell) {}
  std::atomic<double>* cell_ = nullptr;
};

// A value that goes up and down (e.g. objects by phase). Thread-safe, lock-free.
class Gauge {
public:
  Gauge() = default;
  void set(double value) const;
  void inc(double by = 1.0) const;
  void dec(double by = 1.0) const;
  double value() const;

private:
  friend class GaugeFamily;
  explicit Gauge(std::atomic<double>* cell) : cell_(cell) {}
  std::atomic<double>* cell_ = nullptr;
};

// Observations counted into cumulative buckets, plus their sum and count (e.g. durations in
// seconds). Thread-safe, lock-free.
class Histogram {
public:
  Histogram() = default;
  void observe(double value) const;
  // Observations so far and their sum (for tests and logs).
  uint64_t count() const;
  double sum() const;

private:
  friend class HistogramFamily;
  explicit Histogram(detail::HistogramCell* cell) : cell_(cell) {}
  detail::HistogramCell* cell_ = nullptr;
};

// Prometheus' default buckets, for latencies in seconds: 5 ms .. 10 s.
std::vector<double> defaultBuckets();
// `count` bucket bounds: start, start*factor, start*factor^2, ...
std::vector<double> exponentialBuckets(double start, double factor, int count);

// The series of one metric name, keyed by label values. withLabels() takes a lock (call it
// once per series and keep the handle); the handles' updates do not.
class CounterFamily {
public:
  // Label values in the order of the family's label names; CHECK-fails on a count mismatch
  // (a bug). A family without labels takes {}.
  Counter withLabels(const std::vector<std::string>& values);

private:
  friend class Registry;
  struct Cells;
  explicit CounterFamily(std::shared_ptr<Cells> cells) : cells_(std::move(cells)) {}
  std::shared_ptr<Cells> cells_;
};

class GaugeFamily {
public:
  Gauge withLabels(const std::vector<std::string>& values);

private:
  friend class Registry;
  struct Cells;
  explicit GaugeFamily(std::shared_ptr<Cells> cells) : cells_(std::move(cells)) {}
  std::shared_ptr<Cells> cells_;
};

class HistogramFamily {
public:
  Histogram withLabels(const std::vector<std::string>& values);

private:
  friend class Registry;
  struct Cells;
  explicit HistogramFamily(std::shared_ptr<Cells> cells) : cells_(std::move(cells)) {}
  std::shared_ptr<Cells> cells_;
};

// One series of a callback gauge: label values (in label-name order) and the value.
struct Sample {
  std::vector<std::string> label_values;
  double value = 0;
};

// Owns every metric family; exposition() renders them all. Thread-safe. Registering a name
// again with the same type and label names returns the existing family (so two work queues can
// share "daap_workqueue_depth" with different "name" labels); a different type, label names or
// buckets is a bug and CHECK-fails. Names must match [a-zA-Z_:][a-zA-Z0-9_:]* and label names
// [a-zA-Z_][a-zA-Z0-9_]* (CHECK).
class Registry {
public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  CounterFamily& counter(const std::string& name, const std::string& help,
                         const std::vector<std::string>& label_names = {});
  GaugeFamily& gauge(const std::string& name, const std::string& help,
                     const std::vector<std::string>& label_names = {});
  // `buckets`: strictly increasing finite upper bounds; +Inf is implicit.
  HistogramFamily& histogram(const std::string& name, const std::string& help,
                             const std::vector<std::string>& label_names,
                             const std::vector<double>& buckets = defaultBuckets());

  // A gauge whose value is computed at scrape time by `read`, e.g. a queue's depth. `read` runs
  // on the scraping thread with no registry lock held, so it may take its own locks; whatever
  // it captures must outlive the registry or be removed with removeCallback() first. Replaces
  // an earlier callback of the same name.
  void callbackGauge(const std::string& name, const std::string& help,
                     std::function<double()> read);
  // The same with labels: `read` returns one Sample per series.
  void callbackGauge(const std::string& name, const std::string& help,
                     const std::vector<std::string>& label_names,
                     std::function<std::vector<Sample>()> read);
  void removeCallback(const std::string& name);

  // Every family in name order, series in label-value order, in the Prometheus text format
  // 0.0.4 (Content-Type "text/plain; version=0.0.4; charset=utf-8"). A family with no series
  // yet shows only its HELP and TYPE lines.
  std::string exposition() const;

private:
  struct Family;
  enum class Kind : int;
  Family& findOrAdd(const std::string& name, const std::string& help, Kind kind,
                    const std::vector<std::string>& label_names,
                    const std::vector<double>* buckets);

  mutable std::mutex mu_;
  // Guarded by mu_. Families never move once added (handles point into them); shared so that
  // exposition() can read a callback family that is being replaced.
  std::map<std::string, std::shared_ptr<Family>> families_;
};

// The Content-Type of exposition().
inline constexpr std::string_view kExpositionContentType =
    "text/plain; version=0.0.4; charset=utf-8";

}  // namespace daap::metrics
