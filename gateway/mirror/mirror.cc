#include "gateway/mirror/mirror.h"

#include <algorithm>
#include <utility>
#include <vector>

#include <glog/logging.h>

#include "lib/kube/objects.h"
#include "lib/kube/resource.h"
#include "lib/model/quota.h"
#include "lib/model/tier_codec.h"

namespace daap::gateway {

namespace {

std::optional<pg::Timestamp> timeAt(const json::Value* object, std::string_view key) {
  if (object == nullptr) {
    return std::nullopt;
  }
  const std::string_view text = json::getString(*object, key);
  if (text.empty()) {
    return std::nullopt;
  }
  Result<kube::Time> time = kube::parseRfc3339(text);
  if (!time) {
    return std::nullopt;
  }
  return *time;
}

std::string jsonText(const json::Value* value, std::string_view fallback) {
  return value == nullptr || value->IsNull() ? std::string(fallback) : json::serialize(*value);
}

pg::Usage toPg(const model::Usage& usage) {
  return {usage.databases, usage.cpu, usage.memory, usage.storage};
}

// resourceVersions are decimal integers here (etcd and the devcluster); compare them as such.
bool newerOrSame(const std::string& candidate, const std::string& current) {
  if (candidate.size() != current.size()) {
    return candidate.size() > current.size();
  }
  return candidate >= current;
}

int64_t intAt(const json::Value* object, std::string_view key) {
  if (object == nullptr) {
    return 0;
  }
  const json::Value* value = json::find(*object, key);
  return value != nullptr && value->IsInt64() ? value->GetInt64() : 0;
}

// spec.tier of a DaapDatabase; empty when it has none.
std::string_view tierOf(const json::Value& database) {
  const json::Value* spec = json::find(database, "spec");
  return spec == nullptr ? std::string_view() : json::getString(*spec, "tier");
}

}  // namespace

Result<pg::DatabaseRecord> databaseRecordOf(const json::Value& database, const json::Value* tier) {
  const kube::ObjectMeta meta = kube::readMeta(database);
  if (meta.uid.empty()) {
    return Error::invalidArgument("DaapDatabase without metadata.uid");
  }
  const json::Value* spec = json::find(database, "spec");
  const json::Value* status = json::find(database, "status");
  pg::DatabaseRecord record;
  record.id = meta.uid;
  record.name = meta.name;
  record.namespace_name = meta.namespace_;
  record.generation = meta.generation;
  record.resource_version = meta.resource_version;
  record.created_at = meta.creation_timestamp.value_or(pg::Timestamp{});
  if (spec != nullptr) {
    record.owner_team = json::getString(*spec, "ownerTeam");
    record.purpose = json::getString(*spec, "purpose");
    record.tier = json::getString(*spec, "tier");
    record.lifecycle = json::getString(*spec, "lifecycle", "Active");
    if (const json::Value* restore = json::find(*spec, "restore"); restore != nullptr) {
      record.restore_source_id = json::getString(*restore, "sourceDatabaseId");
      record.restore_target_time = timeAt(restore, "targetTime");
    }
  }
  const json::Value* provisioned = nullptr;
  if (status != nullptr) {
    record.phase = json::getString(*status, "phase");
    record.observed_generation = intAt(status, "observedGeneration");
    if (const json::Value* connection = json::find(*status, "connection"); connection != nullptr) {
      record.host = json::getString(*connection, "host");
      record.port = static_cast<int>(intAt(connection, "port"));
      record.database = json::getString(*connection, "database");
      record.secret_name = json::getString(*connection, "secretName");
      record.ca_secret_name = json::getString(*connection, "caSecretName");
      record.sslmode = json::getString(*connection, "sslmode");
    }
    if (const json::Value* backup = json::find(*status, "backup"); backup != nullptr) {
      const json::Value* enabled = json::find(*backup, "enabled");
      record.backup_enabled = enabled != nullptr && enabled->IsBool() && enabled->GetBool();
      record.last_successful_backup = timeAt(backup, "lastSuccessfulBackup");
      record.first_recoverability_point = timeAt(backup, "firstRecoverabilityPoint");
    }
    record.extensions_json = jsonText(json::find(*status, "extensions"), "[]");
    record.conditions_json = jsonText(json::find(*status, "conditions"), "[]");
    provisioned = json::find(*status, "provisionedTier");
    if (provisioned != nullptr) {
      record.provisioned_tier_json = json::serialize(*provisioned);
    }
    record.destroyed_at = timeAt(status, "destroyedAt");
  }
  // What the database allocates: what it was provisioned with, else what its tier gives now.
  if (provisioned != nullptr) {
    if (Result<model::TierParameters> parameters = model::decodeProvisionedTier(*provisioned);
        parameters) {
      record.demand = toPg(model::demandOf(*parameters));
    }
  } else if (tier != nullptr) {
    if (Result<model::Tier> decoded = model::decodeTier(*tier); decoded) {
      record.demand = toPg(model::demandOf(decoded->parameters));
    }
  }
  record.demand.databases = 1;
  record.counts_toward_quota = pg::countsTowardQuota(record.phase);
  return record;
}

Result<pg::TierRecord> tierRecordOf(const json::Value& tier) {
  Result<model::Tier> decoded = model::decodeTier(tier);
  if (!decoded) {
    return decoded.error();
  }
  const kube::ObjectMeta meta = kube::readMeta(tier);
  pg::TierRecord record;
  record.name = meta.name;
  record.uid = meta.uid;
  record.generation = meta.generation;
  record.resource_version = meta.resource_version;
  record.description = decoded->description;
  record.postgres_version = decoded->parameters.postgres_version;
  record.instances = decoded->parameters.instances;
  record.cpu = decoded->parameters.cpu;
  record.memory = decoded->parameters.memory;
  record.storage = decoded->parameters.storage_size;
  record.backup_enabled = decoded->parameters.backup.has_value();
  record.destruction_strategy =
      std::string(model::destructionStrategyName(decoded->parameters.destruction.strategy));
  record.quota = {decoded->quota.max_databases, decoded->quota.max_cpu, decoded->quota.max_memory,
                  decoded->quota.max_storage};
  record.spec_json = jsonText(json::find(tier, "spec"), "{}");
  record.status_json = jsonText(json::find(tier, "status"), "{}");
  record.created_at = meta.creation_timestamp.value_or(pg::Timestamp{});
  return record;
}

Mirror::Mirror(kube::Client& client, pg::MirrorRepository& repository, const Clock& clock)
    : client_(client), repository_(repository), clock_(clock) {}

Mirror::~Mirror() {
  stop();
}

void Mirror::start() {
  kube::InformerOptions options;
  tiers_ = std::make_unique<kube::Informer>(client_, kube::resources::daapTiers(), options, clock_);
  // Every DaapDatabase stays cached; most are read only when their row changes or a GET misses
  // the rendered views, so they are kept as text.
  options.serialized = true;
  databases_ =
      std::make_unique<kube::Informer>(client_, kube::resources::daapDatabases(), options, clock_);
  tiers_->addHandlers({
      [this](const kube::CachedObject& object) {
        tierSeen(*object, false);
        upsertTier(*object);
      },
      [this](const kube::CachedObject&, const kube::CachedObject& object) {
        tierSeen(*object, false);
        upsertTier(*object);
      },
      [this](const kube::CachedObject& object) {
        tierSeen(*object, true);
        removeTier(*object);
      },
  });
  databases_->addHandlers({
      [this](const kube::CachedObject& object) { upsertDatabase(*object, object); },
      [this](const kube::CachedObject&, const kube::CachedObject& object) {
        upsertDatabase(*object, object);
      },
      [this](const kube::CachedObject& object) { removeDatabase(*object); },
  });
  tiers_->start();
  databases_->start();
  writer_ = std::jthread([this](const std::stop_token& stop) { writeLoop(stop); });
  resync_ = std::jthread([this](const std::stop_token& stop) { resyncLoop(stop); });
}

void Mirror::stop() {
  if (resync_.joinable()) {
    resync_.request_stop();
    resync_.join();
  }
  if (writer_.joinable()) {
    writer_.request_stop();  // Wakes the writer: condition_variable_any waits on the token.
    writer_.join();
  }
  if (databases_) {
    databases_->stop();
  }
  if (tiers_) {
    tiers_->stop();
  }
}

bool Mirror::synced() const {
  return synced_.load();
}

bool Mirror::waitForSync(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!synced_.load()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

void Mirror::recordDatabase(const json::Value& database) {
  upsertDatabase(database, nullptr);
}

void Mirror::recordTier(const json::Value& tier) {
  upsertTier(tier);
  const kube::ObjectMeta meta = kube::readMeta(tier);
  auto copy = std::make_shared<json::Document>(json::clone(tier));
  std::lock_guard lock(mu_);
  auto [slot, inserted] = written_tiers_.try_emplace(meta.name, copy);
  if (!inserted &&
      newerOrSame(meta.resource_version, kube::readMeta(*slot->second).resource_version)) {
    slot->second = std::move(copy);
  }
}

void Mirror::tierSeen(const json::Value& tier, bool deleted) {
  const kube::ObjectMeta meta = kube::readMeta(tier);
  std::lock_guard lock(mu_);
  auto written = written_tiers_.find(meta.name);
  if (written != written_tiers_.end() &&
      (deleted ||
       newerOrSame(meta.resource_version, kube::readMeta(*written->second).resource_version))) {
    written_tiers_.erase(written);
  }
}

std::shared_ptr<const pg::DatabaseRecord> Mirror::findDatabase(std::string_view id) const {
  std::string namespace_name;
  std::string name;
  {
    std::lock_guard lock(mu_);
    auto found = by_id_.find(std::string(id));
    if (found == by_id_.end()) {
      return nullptr;
    }
    if (found->second.record != nullptr) {
      return found->second.record;
    }
    namespace_name = found->second.namespace_name;
    name = found->second.name;
  }
  const kube::CachedObject object = databases_ ? databases_->get(namespace_name, name) : nullptr;
  // Gone meanwhile, or replaced by another object of the same name.
  if (object == nullptr || kube::readMeta(*object).uid != id) {
    return nullptr;
  }
  const kube::CachedObject tier = findTier(tierOf(*object));
  Result<pg::DatabaseRecord> record = databaseRecordOf(*object, tier ? tier.get() : nullptr);
  if (!record) {
    return nullptr;
  }
  return std::make_shared<const pg::DatabaseRecord>(std::move(*record));
}

std::string Mirror::databaseVersion(std::string_view id) const {
  std::lock_guard lock(mu_);
  auto found = by_id_.find(std::string(id));
  return found == by_id_.end() ? std::string() : found->second.resource_version;
}

kube::CachedObject Mirror::findTier(std::string_view name) const {
  kube::CachedObject watched = tiers_ ? tiers_->get("", name) : nullptr;
  std::lock_guard lock(mu_);
  auto written = written_tiers_.find(std::string(name));
  if (written == written_tiers_.end()) {
    return watched;
  }
  if (watched != nullptr && newerOrSame(kube::readMeta(*watched).resource_version,
                                        kube::readMeta(*written->second).resource_version)) {
    return watched;
  }
  return written->second;
}

void Mirror::upsertDatabase(const json::Value& database, const kube::CachedObject& object) {
  const kube::CachedObject tier = findTier(tierOf(database));
  Result<pg::DatabaseRecord> record = databaseRecordOf(database, tier ? tier.get() : nullptr);
  if (!record) {
    LOG(WARNING) << "mirror skips database error=" << record.error().toString();
    return;
  }
  bool recorded_already = false;  // The gateway's own write of this very version.
  {
    std::lock_guard lock(mu_);
    Indexed& slot = by_id_[record->id];
    // The watch and the gateway's own writes race: keep the newer resourceVersion.
    const bool empty = slot.resource_version.empty();
    recorded_already = slot.record != nullptr && slot.resource_version == record->resource_version;
    if (empty || newerOrSame(record->resource_version, slot.resource_version)) {
      slot = object != nullptr
                 ? Indexed{record->namespace_name, record->name, nullptr, record->resource_version}
                 : Indexed{{},
                           {},
                           std::make_shared<const pg::DatabaseRecord>(*record),
                           record->resource_version};
    }
  }
  if (object != nullptr) {
    // Before the first full sync lists the store, that sync writes it; a version the gateway
    // recorded itself is written already.
    if (database_events_written_.load() && !recorded_already) {
      enqueue(record->id, PendingChange{std::move(*record), {}});
    }
    return;
  }
  if (Result<bool> written = repository_.upsertDatabase(*record); !written) {
    LOG_EVERY_N(WARNING, 100) << "mirror write failed, full resync scheduled error="
                              << written.error().toString();
    needs_full_sync_ = true;
  }
}

void Mirror::removeDatabase(const json::Value& database) {
  const kube::ObjectMeta meta = kube::readMeta(database);
  {
    std::lock_guard lock(mu_);
    by_id_.erase(meta.uid);
  }
  if (database_events_written_.load()) {  // Else the first full sync retires it.
    enqueue(meta.uid, PendingChange{std::nullopt, meta.resource_version});
  }
}

void Mirror::enqueue(const std::string& id, PendingChange change) {
  {
    std::lock_guard lock(pending_mu_);
    pending_.insert_or_assign(id, std::move(change));  // Events come in order: newest wins.
  }
  pending_cv_.notify_one();
}

void Mirror::writeLoop(const std::stop_token& stop) {
  std::unordered_map<std::string, PendingChange> changes;
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(pending_mu_);
      if (!pending_cv_.wait(lock, stop, [this] { return !pending_.empty(); })) {
        return;
      }
      changes.swap(pending_);
    }
    writePending(changes);
    changes.clear();
  }
}

void Mirror::writePending(std::unordered_map<std::string, PendingChange>& changes) {
  // Rows in transactions of a few hundred (one commit each), in the informer store's order
  // ("namespace/name"), as a full sync writes them: two batches never lock rows in opposite
  // orders. Deletions one by one (rare).
  constexpr size_t kBatch = 500;
  std::vector<std::pair<std::string, pg::DatabaseRecord*>> upserts;
  std::optional<Error> failure;
  for (auto& [id, change] : changes) {
    if (change.upsert) {
      upserts.emplace_back(change.upsert->namespace_name + "/" + change.upsert->name,
                           &*change.upsert);
    } else if (Result<bool> written =
                   repository_.markDatabaseDeleted(id, change.deleted_at_version);
               !written) {
      failure = written.error();
    }
  }
  std::sort(upserts.begin(), upserts.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<pg::DatabaseRecord> batch;
  batch.reserve(std::min(upserts.size(), kBatch));
  const auto flush = [&] {
    if (batch.empty()) {
      return;
    }
    if (Result<int64_t> written = repository_.upsertDatabases(batch); !written) {
      failure = written.error();
    }
    batch.clear();
  };
  for (auto& [key, record] : upserts) {
    batch.push_back(std::move(*record));
    if (batch.size() == kBatch) {
      flush();
    }
  }
  flush();
  if (failure) {
    LOG_EVERY_N(WARNING, 10) << "mirror write failed, full resync scheduled error="
                             << failure->toString();
    needs_full_sync_ = true;
  }
}

void Mirror::upsertTier(const json::Value& tier) {
  Result<pg::TierRecord> record = tierRecordOf(tier);
  if (!record) {
    LOG(WARNING) << "mirror skips tier error=" << record.error().toString();
    return;
  }
  if (Result<bool> written = repository_.upsertTier(*record); !written) {
    LOG_EVERY_N(WARNING, 100) << "mirror write failed, full resync scheduled error="
                              << written.error().toString();
    needs_full_sync_ = true;
  }
}

void Mirror::removeTier(const json::Value& tier) {
  const kube::ObjectMeta meta = kube::readMeta(tier);
  if (Result<bool> written = repository_.markTierDeleted(meta.name, meta.resource_version);
      !written) {
    needs_full_sync_ = true;
  }
}

Result<void> Mirror::fullSync() {
  // Each store's resourceVersion before its list: a row newer than that comes from an event
  // (or the gateway's own create) the list may predate, and must not be retired for its absence.
  const std::string tiers_listed_at = tiers_->lastResourceVersion();
  std::vector<std::string> tier_names;
  for (const kube::CachedObject& tier : tiers_->list()) {
    Result<pg::TierRecord> record = tierRecordOf(*tier);
    if (!record) {
      continue;
    }
    tier_names.push_back(record->name);
    if (Result<bool> written = repository_.upsertTier(*record); !written) {
      return written.error();
    }
  }
  if (Result<int64_t> gone = repository_.markTiersDeletedExcept(tier_names, tiers_listed_at);
      !gone) {
    return gone.error();
  }
  // Set before the list: an event applied to the store after this point writes its row
  // itself; one applied before is in the list.
  database_events_written_ = true;
  const std::string databases_listed_at = databases_->lastResourceVersion();
  std::vector<std::string> ids;
  // A few hundred rows per transaction: one commit (a WAL flush) per row made a resync of
  // 10,000 databases take a minute.
  constexpr size_t kSyncBatch = 500;
  std::vector<pg::DatabaseRecord> batch;
  for (const kube::CachedObject& database : databases_->list()) {
    const kube::CachedObject tier = findTier(tierOf(*database));
    Result<pg::DatabaseRecord> record = databaseRecordOf(*database, tier ? tier.get() : nullptr);
    if (!record) {
      continue;
    }
    ids.push_back(record->id);
    batch.push_back(std::move(*record));
    if (batch.size() == kSyncBatch) {
      if (Result<int64_t> written = repository_.upsertDatabases(batch); !written) {
        return written.error();
      }
      batch.clear();
    }
  }
  if (Result<int64_t> written = repository_.upsertDatabases(batch); !written) {
    return written.error();
  }
  if (Result<int64_t> gone = repository_.markDatabasesDeletedExcept(ids, databases_listed_at);
      !gone) {
    return gone.error();
  }
  return {};
}

void Mirror::resyncLoop(const std::stop_token& stop) {
  uint64_t lists_seen = 0;
  bool failing = false;
  while (!stop.stop_requested()) {
    if (tiers_->hasSynced() && databases_->hasSynced()) {
      // A relist (after a 410 or a reconnect) reports deletions it could not see as events
      // only as a difference; a full pass after each relist settles the mirror either way.
      const uint64_t lists = tiers_->stats().lists + databases_->stats().lists;
      if (lists != lists_seen) {
        needs_full_sync_ = true;
        lists_seen = lists;
      }
      if (needs_full_sync_.exchange(false)) {
        if (Result<void> done = fullSync(); !done) {
          LOG_EVERY_N(WARNING, 10)
              << "mirror resync failed, retrying error=" << done.error().toString();
          needs_full_sync_ = true;
          failing = true;
        } else {
          failing = false;
          if (!synced_.exchange(true)) {
            LOG(INFO) << "mirror synced tiers=" << tiers_->size()
                      << " databases=" << databases_->size();
          }
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(failing ? 1000 : 50));
  }
}

}  // namespace daap::gateway
