#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "lib/base/clock.h"
#include "lib/base/result.h"
#include "lib/json/json.h"
#include "lib/kube/client.h"
#include "lib/kube/informer.h"
#include "lib/pg/mirror.h"

namespace daap::gateway {

// Turns a DaapDatabase into its mirror row. `tier` (the DaapTier it names, may be null) gives
// the demand when the database has no status.provisionedTier yet. Pure.
Result<pg::DatabaseRecord> databaseRecordOf(const json::Value& database, const json::Value* tier);
Result<pg::TierRecord> tierRecordOf(const json::Value& tier);

// Keeps the platform PostgreSQL mirror equal to the DaapTier and DaapDatabase objects of the
// cluster, whoever wrote them (the gateway, kubectl, GitOps): an informer per kind upserts each
// change (resourceVersion-guarded, so a late event never overwrites a newer row) and marks
// deletions. After every full list (start, a 410 relist) rows of objects that no longer exist
// are marked deleted. Watch events are written by a writer thread, all those pending in one
// transaction (one commit for many events, instead of one each on the informer's thread); the
// gateway's own writes are mirrored at once. A write that fails (PostgreSQL down) schedules a
// full resync, retried every second until it succeeds. Also keeps an in-process index of the
// databases by id, from the same watch, for the hot GET /databases/{id}. Thread-safe;
// start()/stop() from one thread.
class Mirror {
public:
  Mirror(kube::Client& client, pg::MirrorRepository& repository, const Clock& clock);
  ~Mirror();
  Mirror(const Mirror&) = delete;
  Mirror& operator=(const Mirror&) = delete;

  void start();
  void stop();
  // Both informers have listed once and the mirror holds what they listed.
  bool synced() const;
  bool waitForSync(std::chrono::milliseconds timeout) const;

  // Mirrors an object the gateway has just written, so that a read right after the write sees
  // it even before the watch event arrives.
  void recordDatabase(const json::Value& database);
  void recordTier(const json::Value& tier);

  // The database with this id as the watch last saw it; null when unknown (or deleted). Made
  // from the informer's cached object (parsed from its text) on each call: the index keeps
  // where to find it, not a second copy of every database.
  std::shared_ptr<const pg::DatabaseRecord> findDatabase(std::string_view id) const;
  // The resourceVersion of the database with this id as the index holds it; empty when
  // unknown. Cheap: no record is made.
  std::string databaseVersion(std::string_view id) const;
  // The DaapTier object named `name` from the watch cache, or as the gateway last wrote it when
  // that is newer; null when unknown.
  kube::CachedObject findTier(std::string_view name) const;

private:
  // One database of the in-process index.
  struct Indexed {
    // From the watch: where the informer keeps it (as JSON text, parsed on read: half the
    // memory of a parsed object, ~1 KiB per database).
    std::string namespace_name;
    std::string name;
    // From recordDatabase() (the gateway's own write, before its watch event): the record, so
    // that the index never holds a full json::Document (a 64 KiB pool each) per create.
    std::shared_ptr<const pg::DatabaseRecord> record;
    std::string resource_version;
  };

  // A watch event waiting for the writer: the database's newest row, or its deletion.
  struct PendingChange {
    std::optional<pg::DatabaseRecord> upsert;
    std::string deleted_at_version;  // When upsert is empty.
  };

  // Indexes `database` (`object` when it is the informer's, otherwise the record) and mirrors
  // it (PostgreSQL row, settled reservation): at once for the gateway's own write, through the
  // writer for a watch event.
  void upsertDatabase(const json::Value& database, const kube::CachedObject& object);
  void removeDatabase(const json::Value& database);
  void enqueue(const std::string& id, PendingChange change);
  void writeLoop(const std::stop_token& stop);
  void writePending(std::unordered_map<std::string, PendingChange>& changes);
  void upsertTier(const json::Value& tier);
  void removeTier(const json::Value& tier);
  // The watch has caught up with `tier` (seen at this version, or deleted): forget the copy
  // recordTier() kept unless it is newer.
  void tierSeen(const json::Value& tier, bool deleted);
  Result<void> fullSync();
  void resyncLoop(const std::stop_token& stop);

  kube::Client& client_;
  pg::MirrorRepository& repository_;
  const Clock& clock_;
  std::unique_ptr<kube::Informer> tiers_;
  std::unique_ptr<kube::Informer> databases_;
  std::atomic<bool> needs_full_sync_{true};
  std::atomic<bool> synced_{false};
  // False until the first full sync lists the database store: until then watch events only
  // update the index, and that sync writes every database in batches (one transaction per
  // event made a gateway starting on 80,000 databases spend minutes committing).
  std::atomic<bool> database_events_written_{false};
  mutable std::mutex mu_;
  // Guarded by mu_.
  std::unordered_map<std::string, Indexed> by_id_;
  // Guarded by mu_: tiers the gateway wrote whose watch event has not arrived yet, by name, so
  // that a database can be created on a tier right after the tier's creation.
  std::unordered_map<std::string, kube::CachedObject> written_tiers_;
  std::mutex pending_mu_;
  std::condition_variable_any pending_cv_;
  // Guarded by pending_mu_: the newest change of each database, by id.
  std::unordered_map<std::string, PendingChange> pending_;
  std::jthread writer_;
  std::jthread resync_;
};

}  // namespace daap::gateway
