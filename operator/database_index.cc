#include "operator/database_index.h"

#include "lib/kube/objects.h"
#include "lib/model/tier_codec.h"

namespace daap::controller {

DatabaseSummary summarize(const json::Value& database) {
  DatabaseSummary summary;
  const kube::ObjectMeta meta = kube::readMeta(database);
  const kube::DatabaseFields fields = kube::readDatabaseFields(database);
  summary.tier = fields.tier;
  summary.phase = fields.phase;
  summary.deleting = meta.deleting;
  summary.created = meta.creation_timestamp.value_or(std::chrono::system_clock::time_point{});
  if (const json::Value* provisioned = json::findPath(database, {"status", "provisionedTier"});
      provisioned != nullptr && provisioned->IsObject()) {
    summary.admitted = true;
    // A record the codec refuses still counts as admitted (its cluster may exist); it adds
    // no demand rather than a guess.
    if (Result<model::TierParameters> parameters = model::decodeProvisionedTier(*provisioned)) {
      summary.demand = model::demandOf(*parameters);
    } else {
      summary.demand.databases = 1;
    }
  }
  return summary;
}

void DatabaseIndex::upsert(const std::string& key, DatabaseSummary summary) {
  std::lock_guard lock(mu_);
  removeLocked(key);
  by_tier_[summary.tier].insert(key);
  if (summary.admitted) {
    admitted_usage_[summary.tier] += summary.demand;
  } else if (!summary.deleting) {
    pending_[summary.tier].emplace(summary.created, key);
  }
  by_key_.emplace(key, std::move(summary));
}

void DatabaseIndex::erase(const std::string& key) {
  std::lock_guard lock(mu_);
  removeLocked(key);
}

void DatabaseIndex::removeLocked(const std::string& key) {
  const auto found = by_key_.find(key);
  if (found == by_key_.end()) {
    return;
  }
  const DatabaseSummary& old = found->second;
  by_tier_[old.tier].erase(key);
  if (by_tier_[old.tier].empty()) {
    by_tier_.erase(old.tier);
  }
  if (old.admitted) {
    admitted_usage_[old.tier] -= old.demand;
  } else {
    pending_[old.tier].erase({old.created, key});
  }
  by_key_.erase(found);
}

std::optional<DatabaseSummary> DatabaseIndex::find(const std::string& key) const {
  std::lock_guard lock(mu_);
  const auto found = by_key_.find(key);
  if (found == by_key_.end()) {
    return std::nullopt;
  }
  return found->second;
}

model::Usage DatabaseIndex::admittedUsage(const std::string& tier) const {
  std::lock_guard lock(mu_);
  const auto found = admitted_usage_.find(tier);
  return found == admitted_usage_.end() ? model::Usage{} : found->second;
}

std::vector<std::string> DatabaseIndex::pending(const std::string& tier) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> keys;
  if (const auto found = pending_.find(tier); found != pending_.end()) {
    keys.reserve(found->second.size());
    for (const auto& [created, key] : found->second) {
      keys.push_back(key);
    }
  }
  return keys;
}

std::vector<std::string> DatabaseIndex::pendingUpTo(const std::string& tier,
                                                    std::string_view last) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> keys;
  if (const auto found = pending_.find(tier); found != pending_.end()) {
    for (const auto& [created, key] : found->second) {
      keys.push_back(key);
      if (key == last) {
        break;
      }
    }
  }
  return keys;
}

size_t DatabaseIndex::pendingCount(const std::string& tier) const {
  std::lock_guard lock(mu_);
  const auto found = pending_.find(tier);
  return found == pending_.end() ? 0 : found->second.size();
}

std::vector<std::string> DatabaseIndex::databases(const std::string& tier) const {
  std::lock_guard lock(mu_);
  const auto found = by_tier_.find(tier);
  if (found == by_tier_.end()) {
    return {};
  }
  return {found->second.begin(), found->second.end()};
}

std::map<std::string, int64_t> DatabaseIndex::countByPhase() const {
  std::lock_guard lock(mu_);
  std::map<std::string, int64_t> counts;
  for (const auto& [key, summary] : by_key_) {
    ++counts[summary.phase];
  }
  return counts;
}

size_t DatabaseIndex::size() const {
  std::lock_guard lock(mu_);
  return by_key_.size();
}

}  // namespace daap::controller
