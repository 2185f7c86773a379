#include "lib/metrics/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <system_error>
#include <utility>

#include <glog/logging.h>

namespace daap::metrics {

namespace detail {

struct HistogramCell {
  explicit HistogramCell(const std::vector<double>& upper_bounds)
      : bounds(upper_bounds), buckets(upper_bounds.size() + 1) {}

  const std::vector<double>& bounds;  // Owned by the family, which outlives the cell.
  // Non-cumulative counts; the last is the +Inf bucket.
  std::vector<std::atomic<uint64_t>> buckets;
  std::atomic<double> sum{0};
};

}  // namespace detail

namespace {

bool validName(std::string_view name, bool allow_colon) {
  if (name.empty()) {
    return false;
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) {
      return false;
    }
  }
  return true;
}

void atomicAdd(std::atomic<double>& cell, double by) {
  cell.fetch_add(by, std::memory_order_relaxed);
}

// Whole numbers up to 2^53 (every count) as integers, anything else as the shortest text that
// reads back as the same double ("0.1", "1e+21"); both are valid sample values.
void appendNumber(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  constexpr double kExactIntegers = 9007199254740992.0;  // 2^53
  char buffer[64];
  std::to_chars_result result;
  if (std::trunc(value) == value && std::fabs(value) <= kExactIntegers) {
    result = std::to_chars(buffer, buffer + sizeof(buffer), static_cast<int64_t>(value));
  } else {
    result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  }
  CHECK(result.ec == std::errc());
  out.append(buffer, result.ptr);
}

void appendEscaped(std::string& out, std::string_view text, bool escape_quote) {
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

// `{a="x",b="y"}`, with `extra` (e.g. le="0.5") appended; nothing when there are no labels.
void appendLabels(std::string& out, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, std::string_view extra_name = {},
                  std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) {
    return;
  }
  out += '{';
  bool first = true;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!first) {
      out += ',';
    }
    first = false;
    out += names[i];
    out += "=\"";
    appendEscaped(out, values[i], true);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) {
      out += ',';
    }
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

// The series of one family: label values to a cell whose address never changes.
template <typename Cell>
struct SeriesSet {
  SeriesSet(std::string family_name, size_t label_count)
      : name(std::move(family_name)), labels(label_count) {}

  template <typename... Args>
  Cell* find(const std::vector<std::string>& values, Args&&... args) {
    CHECK_EQ(values.size(), labels) << "metric " << name << ": wrong number of label values";
    const std::lock_guard<std::mutex> lock(mu);
    auto it = series.find(values);
    if (it == series.end()) {
      it = series.emplace(values, std::make_unique<Cell>(std::forward<Args>(args)...)).first;
    }
    return it->second.get();
  }

  const std::string name;
  const size_t labels;
  mutable std::mutex mu;
  // Guarded by mu.
  std::map<std::vector<std::string>, std::unique_ptr<Cell>> series;
};

}  // namespace

struct CounterFamily::Cells : SeriesSet<std::atomic<double>> {
  using SeriesSet::SeriesSet;
};
struct GaugeFamily::Cells : SeriesSet<std::atomic<double>> {
  using SeriesSet::SeriesSet;
};
struct HistogramFamily::Cells : SeriesSet<detail::HistogramCell> {
  Cells(std::string family_name, size_t label_count, std::vector<double> upper_bounds)
      : SeriesSet(std::move(family_name), label_count), bounds(std::move(upper_bounds)) {}
  const std::vector<double> bounds;
};

void Counter::inc(double by) const {
  DCHECK_GE(by, 0) << "a counter only goes up";
  if (cell_ != nullptr) {
    atomicAdd(*cell_, by);
  }
}

double Counter::value() const {
  return cell_ == nullptr ? 0 : cell_->load(std::memory_order_relaxed);
}

void Gauge::set(double value) const {
  if (cell_ != nullptr) {
    cell_->store(value, std::memory_order_relaxed);
  }
}

void Gauge::inc(double by) const {
  if (cell_ != nullptr) {
    atomicAdd(*cell_, by);
  }
}

void Gauge::dec(double by) const {
  inc(-by);
}

double Gauge::value() const {
  return cell_ == nullptr ? 0 : cell_->load(std::memory_order_relaxed);
}

void Histogram::observe(double value) const {
  if (cell_ == nullptr) {
    return;
  }
  // Bucket i counts observations in (bounds[i-1], bounds[i]]; "le" is inclusive.
  const auto it = std::lower_bound(cell_->bounds.begin(), cell_->bounds.end(), value);
  const auto index = static_cast<size_t>(it - cell_->bounds.begin());
  cell_->buckets[index].fetch_add(1, std::memory_order_relaxed);
  atomicAdd(cell_->sum, value);
}

uint64_t Histogram::count() const {
  if (cell_ == nullptr) {
    return 0;
  }
  uint64_t total = 0;
  for (const std::atomic<uint64_t>& bucket : cell_->buckets) {
    total += bucket.load(std::memory_order_relaxed);
  }
  return total;
}

double Histogram::sum() const {
  return cell_ == nullptr ? 0 : cell_->sum.load(std::memory_order_relaxed);
}

std::vector<double> defaultBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::vector<double> exponentialBuckets(double start, double factor, int count) {
  CHECK_GT(start, 0);
  CHECK_GT(factor, 1);
  CHECK_GE(count, 1);
  std::vector<double> buckets;
  buckets.reserve(static_cast<size_t>(count));
  double bound = start;
  for (int i = 0; i < count; ++i) {
    buckets.push_back(bound);
    bound *= factor;
  }
  return buckets;
}

Counter CounterFamily::withLabels(const std::vector<std::string>& values) {
  return Counter(cells_->find(values));
}

Gauge GaugeFamily::withLabels(const std::vector<std::string>& values) {
  return Gauge(cells_->find(values));
}

Histogram HistogramFamily::withLabels(const std::vector<std::string>& values) {
  return Histogram(cells_->find(values, cells_->bounds));
}

enum class Registry::Kind : int { Counter, Gauge, Histogram, Callback };

struct Registry::Family {
  std::string name;
  std::string help;
  Kind type = Kind::Counter;
  std::vector<std::string> label_names;
  std::vector<double> buckets;
  std::shared_ptr<CounterFamily::Cells> counter_cells;
  std::shared_ptr<GaugeFamily::Cells> gauge_cells;
  std::shared_ptr<HistogramFamily::Cells> histogram_cells;
  std::optional<CounterFamily> counter;
  std::optional<GaugeFamily> gauge;
  std::optional<HistogramFamily> histogram;
  std::shared_ptr<const std::function<std::vector<Sample>()>> callback;
};

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Family& Registry::findOrAdd(const std::string& name, const std::string& help, Kind kind,
                                      const std::vector<std::string>& label_names,
                                      const std::vector<double>* buckets) {
  CHECK(validName(name, true)) << "invalid metric name: " << name;
  for (const std::string& label : label_names) {
    CHECK(validName(label, false) && label.rfind("__", 0) != 0 && label != "le")
        << "invalid label name for " << name << ": " << label;
  }
  if (buckets != nullptr) {
    CHECK(!buckets->empty()) << name << ": a histogram needs buckets";
    for (size_t i = 0; i < buckets->size(); ++i) {
      CHECK(std::isfinite((*buckets)[i])) << name << ": bucket bounds must be finite";
      CHECK(i == 0 || (*buckets)[i - 1] < (*buckets)[i]) << name << ": bucket bounds must increase";
    }
  }
  // Requires mu_ held (by the caller).
  auto it = families_.find(name);
  if (it != families_.end()) {
    Family& family = *it->second;
    CHECK(family.type == kind && family.label_names == label_names &&
          (buckets == nullptr || family.buckets == *buckets))
        << "metric " << name << " registered twice with different shapes";
    return family;
  }
  auto family = std::make_shared<Family>();
  family->name = name;
  family->help = help;
  family->type = kind;
  family->label_names = label_names;
  if (buckets != nullptr) {
    family->buckets = *buckets;
  }
  switch (kind) {
    case Kind::Counter:
      family->counter_cells = std::make_shared<CounterFamily::Cells>(name, label_names.size());
      family->counter.emplace(CounterFamily(family->counter_cells));
      break;
    case Kind::Gauge:
      family->gauge_cells = std::make_shared<GaugeFamily::Cells>(name, label_names.size());
      family->gauge.emplace(GaugeFamily(family->gauge_cells));
      break;
    case Kind::Histogram:
      family->histogram_cells =
          std::make_shared<HistogramFamily::Cells>(name, label_names.size(), family->buckets);
      family->histogram.emplace(HistogramFamily(family->histogram_cells));
      break;
    default:
      break;
  }
  return *families_.emplace(name, std::move(family)).first->second;
}

CounterFamily& Registry::counter(const std::string& name, const std::string& help,
                                 const std::vector<std::string>& label_names) {
  const std::lock_guard<std::mutex> lock(mu_);
  return *findOrAdd(name, help, Kind::Counter, label_names, nullptr).counter;
}

GaugeFamily& Registry::gauge(const std::string& name, const std::string& help,
                             const std::vector<std::string>& label_names) {
  const std::lock_guard<std::mutex> lock(mu_);
  return *findOrAdd(name, help, Kind::Gauge, label_names, nullptr).gauge;
}

HistogramFamily& Registry::histogram(const std::string& name, const std::string& help,
                                     const std::vector<std::string>& label_names,
                                     const std::vector<double>& buckets) {
  const std::lock_guard<std::mutex> lock(mu_);
  return *findOrAdd(name, help, Kind::Histogram, label_names, &buckets).histogram;
}

void Registry::callbackGauge(const std::string& name, const std::string& help,
                             std::function<double()> read) {
  callbackGauge(name, help, {}, [read = std::move(read)]() {
    return std::vector<Sample>{Sample{{}, read()}};
  });
}

void Registry::callbackGauge(const std::string& name, const std::string& help,
                             const std::vector<std::string>& label_names,
                             std::function<std::vector<Sample>()> read) {
  const std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end()) {
    CHECK(it->second->type == Kind::Callback) << "metric " << name << " registered twice";
    families_.erase(it);
  }
  Family& family = findOrAdd(name, help, Kind::Callback, label_names, nullptr);
  family.callback = std::make_shared<const std::function<std::vector<Sample>()>>(std::move(read));
}

void Registry::removeCallback(const std::string& name) {
  const std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end() && it->second->type == Kind::Callback) {
    families_.erase(it);
  }
}

std::string Registry::exposition() const {
  // Snapshot the family list, then read each family without the registry lock, so a callback
  // may take its own locks (and even register metrics) without deadlock.
  std::vector<std::shared_ptr<const Family>> families;
  {
    const std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, family] : families_) {
      families.push_back(family);
    }
  }
  std::string out;
  for (size_t f = 0; f < families.size(); ++f) {
    const Family& family = *families[f];
    out += "# HELP ";
    out += family.name;
    out += ' ';
    appendEscaped(out, family.help, false);
    out += "\n# TYPE ";
    out += family.name;
    out += ' ';
    switch (family.type) {
      case Kind::Counter:
        out += "counter";
        break;
      case Kind::Histogram:
        out += "histogram";
        break;
      case Kind::Gauge:
      case Kind::Callback:
        out += "gauge";
        break;
    }
    out += '\n';

    const auto simple = [&](const auto& cells) {
      const std::lock_guard<std::mutex> lock(cells.mu);
      for (const auto& [values, cell] : cells.series) {
        out += family.name;
        appendLabels(out, family.label_names, values);
        out += ' ';
        appendNumber(out, cell->load(std::memory_order_relaxed));
        out += '\n';
      }
    };
    if (family.type == Kind::Counter) {
      simple(*family.counter_cells);
    } else if (family.type == Kind::Gauge) {
      simple(*family.gauge_cells);
    } else if (family.type == Kind::Histogram) {
      const HistogramFamily::Cells& cells = *family.histogram_cells;
      const std::lock_guard<std::mutex> lock(cells.mu);
      for (const auto& [values, cell] : cells.series) {
        // Counts are read once and accumulated, so _count always equals the +Inf bucket.
        uint64_t cumulative = 0;
        for (size_t b = 0; b < cell->buckets.size(); ++b) {
          cumulative += cell->buckets[b].load(std::memory_order_relaxed);
          std::string le;
          if (b < cells.bounds.size()) {
            appendNumber(le, cells.bounds[b]);
          } else {
            le = "+Inf";
          }
          out += family.name;
          out += "_bucket";
          appendLabels(out, family.label_names, values, "le", le);
          out += ' ';
          out += std::to_string(cumulative);
          out += '\n';
        }
        out += family.name;
        out += "_sum";
        appendLabels(out, family.label_names, values);
        out += ' ';
        appendNumber(out, cell->sum.load(std::memory_order_relaxed));
        out += '\n';
        out += family.name;
        out += "_count";
        appendLabels(out, family.label_names, values);
        out += ' ';
        out += std::to_string(cumulative);
        out += '\n';
      }
    } else if (family.callback != nullptr) {
      std::vector<Sample> samples = (*family.callback)();
      std::sort(samples.begin(), samples.end(),
                [](const Sample& a, const Sample& b) { return a.label_values < b.label_values; });
      for (const Sample& sample : samples) {
        if (sample.label_values.size() != family.label_names.size()) {
          LOG_EVERY_N(ERROR, 100) << "metric callback returned wrong label count metric="
                                  << family.name;
          continue;
        }
        out += family.name;
        appendLabels(out, family.label_names, sample.label_values);
        out += ' ';
        appendNumber(out, sample.value);
        out += '\n';
      }
    }
  }
  return out;
}

}  // namespace daap::metrics
