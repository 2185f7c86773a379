#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/json/json.h"
#include "lib/model/quota.h"

namespace daap::controller {

// What quota admission and tier accounting need of one DaapDatabase, copied out of the cached
// object so that neither has to walk every database's JSON on each pass.
struct DatabaseSummary {
  std::string tier;
  // status.provisionedTier is recorded: the database counts against its tier's quota.
  bool admitted = false;
  model::Usage demand;  // Of the provisioned parameters; zero while not admitted.
  std::chrono::system_clock::time_point created;
  bool deleting = false;
  std::string phase;  // status.phase; empty before the operator's first write.
};

DatabaseSummary summarize(const json::Value& database);

// The DaapDatabases of the informer cache grouped by tier, with running totals. Fed by the
// database informer's handlers (in event order); read by workers. Thread-safe.
class DatabaseIndex {
public:
  void upsert(const std::string& key, DatabaseSummary summary);
  void erase(const std::string& key);

  std::optional<DatabaseSummary> find(const std::string& key) const;
  // Sum of the demands of the admitted databases of `tier`.
  model::Usage admittedUsage(const std::string& tier) const;
  // Databases of `tier` not admitted and not being deleted, oldest first (ties by key).
  std::vector<std::string> pending(const std::string& tier) const;
  // The same, but ending at `last` (included) when it is pending: admission of `last` looks no
  // further, and copying every pending key on each admission is quadratic in a cold start.
  std::vector<std::string> pendingUpTo(const std::string& tier, std::string_view last) const;
  // How many databases of `tier` pending() would list.
  size_t pendingCount(const std::string& tier) const;
  // Every database of `tier`, by key.
  std::vector<std::string> databases(const std::string& tier) const;
  // Databases by status.phase ("" before the first status write), for the metrics.
  std::map<std::string, int64_t> countByPhase() const;
  size_t size() const;

private:
  void removeLocked(const std::string& key);

  mutable std::mutex mu_;
  // Guarded by mu_.
  std::map<std::string, DatabaseSummary> by_key_;
  std::map<std::string, std::set<std::string>> by_tier_;
  std::map<std::string, model::Usage> admitted_usage_;
  std::map<std::string, std::set<std::pair<std::chrono::system_clock::time_point, std::string>>>
      pending_;
};

}  // namespace daap::controller
