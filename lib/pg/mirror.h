#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/result.h"
#include "lib/model/quantity.h"
#include "lib/pg/pool.h"
#include "lib/pg/types.h"

namespace daap::pg {

// The mirrored fields of a DaapTier.
struct TierRecord {
  std::string name;  // metadata.name (cluster-scoped)
  std::string uid;
  int64_t generation = 0;
  // metadata.resourceVersion; must be a decimal integer (as etcd and the devcluster give), so
  // that an older event never overwrites a newer row.
  std::string resource_version;
  std::string description;
  int postgres_version = 0;
  int instances = 0;
  model::Quantity cpu;      // per instance
  model::Quantity memory;   // per instance
  model::Quantity storage;  // per instance
  bool backup_enabled = false;
  std::string destruction_strategy;  // freeze | archive | hard
  TierQuota quota;
  std::string spec_json = "{}";    // the whole spec, JSON text
  std::string status_json = "{}";  // the whole status, JSON text
  Timestamp created_at{};          // metadata.creationTimestamp
  // Kept by lib/pg; ignored on upsert.
  Timestamp updated_at{};
  std::optional<Timestamp> deleted_at;
};

// The mirrored fields of a DaapDatabase. Credentials are never mirrored, only Secret names.
struct DatabaseRecord {
  std::string id;  // metadata.uid, the REST id
  std::string name;
  std::string namespace_name;
  std::string owner_team;
  std::string purpose;
  std::string tier;
  std::string lifecycle = "Active";  // spec.lifecycle
  std::string phase;                 // status.phase as the CRD spells it; empty until set
  int64_t generation = 0;
  int64_t observed_generation = 0;
  std::string resource_version;  // decimal integer, see TierRecord
  // status.connection
  std::string host;
  int port = 0;  // 0 = not set
  std::string database;
  std::string secret_name;
  std::string ca_secret_name;
  std::string sslmode;
  // status.backup
  bool backup_enabled = false;
  std::optional<Timestamp> last_successful_backup;
  std::optional<Timestamp> first_recoverability_point;
  std::string extensions_json = "[]";  // status.extensions, JSON text
  std::string conditions_json = "[]";  // status.conditions, JSON text
  std::string provisioned_tier_json;   // status.provisionedTier, JSON text; empty = unset
  std::string restore_source_id;       // spec.restore.sourceDatabaseId; empty = none
  std::optional<Timestamp> restore_target_time;
  std::optional<Timestamp> destroyed_at;  // status.destroyedAt
  // What the database allocates under its tier (databases = 1, instances x per-instance
  // resources, from status.provisionedTier or else the tier), and whether it counts now
  // (see countsTowardQuota).
  Usage demand;
  bool counts_toward_quota = true;
  Timestamp created_at{};  // metadata.creationTimestamp
  // Kept by lib/pg; ignored on upsert.
  Timestamp updated_at{};
  std::optional<Timestamp> deleted_at;  // set when the object left Kubernetes
};

// The default rule for DatabaseRecord::counts_toward_quota: a database counts until its cluster
// is gone (archived or deleted); a frozen one keeps its cluster and counts.
bool countsTowardQuota(std::string_view phase);

// Unset fields do not filter. Mirror rows of objects gone from Kubernetes are left out unless
// include_deleted.
struct DatabaseFilter {
  std::optional<std::string> owner_team;
  std::vector<std::string> phases;  // Any of these (status.phase; "" for not yet set).
  std::optional<std::string> tier;
  std::optional<std::string> name_prefix;
  bool include_deleted = false;
};

// The gateway's copy of the DaapTier and DaapDatabase objects, written by its watch and read by
// its handlers. Upserts are guarded by resourceVersion: they return false and change nothing
// when the row already holds this or a newer version.
class MirrorRepository {
public:
  explicit MirrorRepository(Pool& pool) : pool_(&pool) {}

  Result<bool> upsertTier(const TierRecord& tier);
  // Sets deleted_at (the object was deleted at `resource_version`). False when absent or newer.
  Result<bool> markTierDeleted(const std::string& name, const std::string& resource_version);
  // After a relist: marks deleted every live tier whose name is not in `live_names`, a list
  // taken at `listed_at` (a resourceVersion), and whose row is not newer than that list;
  // returns how many. Rows written from later events (a create the list predates) stay.
  Result<int64_t> markTiersDeletedExcept(const std::vector<std::string>& live_names,
                                         const std::string& listed_at);
  // NotFound when absent or deleted.
  Result<TierRecord> getTier(const std::string& name);
  // Live tiers, by name.
  Result<std::vector<TierRecord>> listTiers();
  // Live databases (not gone from Kubernetes, whatever their phase) on `tier`.
  Result<int64_t> countDatabasesUsingTier(const std::string& tier);
  // Sum of the demand of live databases on `tier` that count toward quota, from every row
  // (QuotaLedger::usage() reads the same from the usage changes the rows' trigger keeps).
  Result<Usage> tierUsage(const std::string& tier);

  // Also settles the quota reservation made for this database (same tier, namespace and name)
  // and, when the object was replaced (same namespace and name, another uid), marks the old row
  // deleted.
  Result<bool> upsertDatabase(const DatabaseRecord& database);
  // upsertDatabase() for each, in order, in one transaction (one commit for a full resync of
  // thousands); returns how many changed. Any invalid record fails the whole call.
  Result<int64_t> upsertDatabases(const std::vector<DatabaseRecord>& databases);
  Result<bool> markDatabaseDeleted(const std::string& id, const std::string& resource_version);
  // markTiersDeletedExcept() for databases, by id.
  Result<int64_t> markDatabasesDeletedExcept(const std::vector<std::string>& live_ids,
                                             const std::string& listed_at);
  // NotFound when absent, `id` is not a uuid, or (unless include_deleted) gone.
  Result<DatabaseRecord> getDatabase(const std::string& id, bool include_deleted = false);
  // Ordered by (created_at, id), keyset-paginated.
  Result<Page<DatabaseRecord>> listDatabases(const DatabaseFilter& filter, const PageRequest& page);
  // Whether a database of this exact name exists, in any namespace, neither gone from the
  // cluster nor in phase Deleted (names are unique among active databases).
  Result<bool> activeNameExists(const std::string& name);

private:
  Pool* pool_;
};

}  // namespace daap::pg
