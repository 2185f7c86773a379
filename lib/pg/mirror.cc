#include "lib/pg/mirror.h"

#include "lib/pg/session.h"

namespace daap::pg {

namespace {

// Advisory lock class for mirror writes of one database name ("DAMN"); the object id is
// hashtext("namespace/name"). Two-key locks never collide with the migrator's one-key lock.
constexpr int32_t kMirrorNameLockClass = 0x44414d4e;

constexpr const char* kTierColumns =
    "name, uid, generation, resource_version::text, description, postgres_version, instances,"
    " cpu_milli, memory_bytes, storage_bytes, backup_enabled, destruction_strategy,"
    " max_databases, max_cpu_milli, max_memory_bytes, max_storage_bytes, spec::text,"
    " status::text, (extract(epoch FROM created_at) * 1000000)::bigint,"
    " (extract(epoch FROM updated_at) * 1000000)::bigint,"
    " (extract(epoch FROM deleted_at) * 1000000)::bigint";

TierRecord readTier(const pqxx::row& row) {
  TierRecord tier;
  tier.name = row[0].as<std::string>();
  tier.uid = row[1].as<std::string>();
  tier.generation = row[2].as<int64_t>();
  tier.resource_version = row[3].as<std::string>();
  tier.description = row[4].as<std::string>();
  tier.postgres_version = row[5].as<int>();
  tier.instances = row[6].as<int>();
  tier.cpu = model::Quantity::fromMilli(row[7].as<int64_t>());
  tier.memory = detail::bytesQuantity(row[8].as<int64_t>());
  tier.storage = detail::bytesQuantity(row[9].as<int64_t>());
  tier.backup_enabled = row[10].as<bool>();
  tier.destruction_strategy = row[11].as<std::string>();
  tier.quota.max_databases = row[12].as<int64_t>();
  tier.quota.max_cpu = model::Quantity::fromMilli(row[13].as<int64_t>());
  tier.quota.max_memory = detail::bytesQuantity(row[14].as<int64_t>());
  tier.quota.max_storage = detail::bytesQuantity(row[15].as<int64_t>());
  tier.spec_json = row[16].as<std::string>();
  tier.status_json = row[17].as<std::string>();
  tier.created_at = detail::fromMicros(row[18].as<int64_t>());
  tier.updated_at = detail::fromMicros(row[19].as<int64_t>());
  tier.deleted_at = detail::optionalMicros(row[20]);
  return tier;
}

constexpr const char* kDatabaseColumns =
    "id::text, name, namespace, owner_team, purpose, tier, lifecycle, phase, generation,"
    " observed_generation, resource_version::text, host, port, database, secret_name,"
    " ca_secret_name, sslmode, backup_enabled,"
    " (extract(epoch FROM last_successful_backup) * 1000000)::bigint,"
    " (extract(epoch FROM first_recoverability_point) * 1000000)::bigint,"
    " extensions::text, conditions::text, provisioned_tier::text, restore_source_id::text,"
    " (extract(epoch FROM restore_target_time) * 1000000)::bigint,"
    " (extract(epoch FROM destroyed_at) * 1000000)::bigint,"
    " 1, cpu_milli, memory_bytes, storage_bytes, counts_toward_quota,"
    " (extract(epoch FROM created_at) * 1000000)::bigint,"
    " (extract(epoch FROM updated_at) * 1000000)::bigint,"
    " (extract(epoch FROM deleted_at) * 1000000)::bigint";

DatabaseRecord readDatabase(const pqxx::row& row) {
  DatabaseRecord db;
  db.id = row[0].as<std::string>();
  db.name = row[1].as<std::string>();
  db.namespace_name = row[2].as<std::string>();
  db.owner_team = row[3].as<std::string>();
  db.purpose = row[4].as<std::string>();
  db.tier = row[5].as<std::string>();
  db.lifecycle = row[6].as<std::string>();
  db.phase = row[7].as<std::string>();
  db.generation = row[8].as<int64_t>();
  db.observed_generation = row[9].as<int64_t>();
  db.resource_version = row[10].as<std::string>();
  db.host = detail::textOr(row[11]);
  db.port = row[12].is_null() ? 0 : row[12].as<int>();
  db.database = detail::textOr(row[13]);
  db.secret_name = detail::textOr(row[14]);
  db.ca_secret_name = detail::textOr(row[15]);
  db.sslmode = detail::textOr(row[16]);
  db.backup_enabled = row[17].as<bool>();
  db.last_successful_backup = detail::optionalMicros(row[18]);
  db.first_recoverability_point = detail::optionalMicros(row[19]);
  db.extensions_json = row[20].as<std::string>();
  db.conditions_json = row[21].as<std::string>();
  db.provisioned_tier_json = detail::textOr(row[22]);
  db.restore_source_id = detail::textOr(row[23]);
  db.restore_target_time = detail::optionalMicros(row[24]);
  db.destroyed_at = detail::optionalMicros(row[25]);
  db.demand = detail::readUsage(row, 26);
  db.counts_toward_quota = row[30].as<bool>();
  db.created_at = detail::fromMicros(row[31].as<int64_t>());
  db.updated_at = detail::fromMicros(row[32].as<int64_t>());
  db.deleted_at = detail::optionalMicros(row[33]);
  return db;
}

// NULL for an empty string or an unset time.
const char* nullIfEmpty(const std::string& text) {
  return text.empty() ? nullptr : text.c_str();
}
std::string sqlTime(const std::optional<Timestamp>& time) {
  return time ? detail::toSqlTime(*time) : std::string();
}
std::string sqlTimeOrEmpty(Timestamp time) {
  return time == Timestamp{} ? std::string() : detail::toSqlTime(time);
}

// LIKE pattern for "starts with", escaping LIKE's metacharacters.
std::string prefixPattern(const std::string& prefix) {
  std::string out;
  for (const char c : prefix) {
    if (c == '%' || c == '_' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  out += '%';
  return out;
}

Error databaseNotFound(const std::string& id) {
  return Error::notFound("database " + id + " not found");
}

}  // namespace

bool countsTowardQuota(std::string_view phase) {
  return phase != "Archived" && phase != "Deleted";
}

Result<bool> MirrorRepository::upsertTier(const TierRecord& tier) {
  Result<int64_t> rv = detail::parseResourceVersion(tier.resource_version);
  if (!rv) {
    return std::move(rv).error();
  }
  const std::string created = sqlTimeOrEmpty(tier.created_at);
  return detail::inTransaction(
      *pool_, "mirror tier", [&](detail::Lease& lease, pqxx::work& txn) -> Result<bool> {
        lease.prepare(
            "mirror_upsert_tier",
            "INSERT INTO tiers (name, uid, generation, resource_version, description,"
            " postgres_version, instances, cpu_milli, memory_bytes, storage_bytes, backup_enabled,"
            " destruction_strategy, max_databases, max_cpu_milli, max_memory_bytes,"
            " max_storage_bytes, spec, status, created_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,"
            " $17::jsonb, $18::jsonb, coalesce($19::timestamptz, now()))"
            " ON CONFLICT (name) DO UPDATE SET uid = EXCLUDED.uid,"
            " generation = EXCLUDED.generation, resource_version = EXCLUDED.resource_version,"
            " description = EXCLUDED.description, postgres_version = EXCLUDED.postgres_version,"
            " instances = EXCLUDED.instances, cpu_milli = EXCLUDED.cpu_milli,"
            " memory_bytes = EXCLUDED.memory_bytes, storage_bytes = EXCLUDED.storage_bytes,"
            " backup_enabled = EXCLUDED.backup_enabled,"
            " destruction_strategy = EXCLUDED.destruction_strategy,"
            " max_databases = EXCLUDED.max_databases, max_cpu_milli = EXCLUDED.max_cpu_milli,"
            " max_memory_bytes = EXCLUDED.max_memory_bytes,"
            " max_storage_bytes = EXCLUDED.max_storage_bytes, spec = EXCLUDED.spec,"
            " status = EXCLUDED.status, created_at = EXCLUDED.created_at, updated_at = now(),"
            " deleted_at = NULL"
            " WHERE tiers.resource_version < EXCLUDED.resource_version");
        const pqxx::result result = txn.exec_prepared(
            "mirror_upsert_tier", tier.name, tier.uid, tier.generation, *rv, tier.description,
            tier.postgres_version, tier.instances, tier.cpu.milli(),
            detail::quantityBytes(tier.memory), detail::quantityBytes(tier.storage),
            tier.backup_enabled, tier.destruction_strategy, tier.quota.max_databases,
            tier.quota.max_cpu.milli(), detail::quantityBytes(tier.quota.max_memory),
            detail::quantityBytes(tier.quota.max_storage), tier.spec_json, tier.status_json,
            nullIfEmpty(created));
        return result.affected_rows() == 1;
      });
}

Result<bool> MirrorRepository::markTierDeleted(const std::string& name,
                                               const std::string& resource_version) {
  Result<int64_t> rv = detail::parseResourceVersion(resource_version);
  if (!rv) {
    return std::move(rv).error();
  }
  return detail::inTransaction(
      *pool_, "mirror tier deletion", [&](detail::Lease& lease, pqxx::work& txn) -> Result<bool> {
        lease.prepare("mirror_delete_tier",
                      "UPDATE tiers SET deleted_at = now(), updated_at = now(),"
                      " resource_version = $2 WHERE name = $1 AND deleted_at IS NULL"
                      " AND resource_version <= $2");
        return txn.exec_prepared("mirror_delete_tier", name, *rv).affected_rows() == 1;
      });
}

Result<int64_t> MirrorRepository::markTiersDeletedExcept(const std::vector<std::string>& live_names,
                                                         const std::string& listed_at) {
  Result<int64_t> rv = detail::parseResourceVersion(listed_at);
  if (!rv) {
    return std::move(rv).error();
  }
  return detail::inTransaction(
      *pool_, "mirror tier relist", [&](detail::Lease&, pqxx::work& txn) -> Result<int64_t> {
        return static_cast<int64_t>(
            txn.exec_params("UPDATE tiers SET deleted_at = now(), updated_at = now()"
                            " WHERE deleted_at IS NULL AND resource_version <= $2"
                            " AND NOT (name = ANY($1::text[]))",
                            detail::textArray(live_names), *rv)
                .affected_rows());
      });
}

Result<TierRecord> MirrorRepository::getTier(const std::string& name) {
  return detail::inTransaction(
      *pool_, "get tier", [&](detail::Lease& lease, pqxx::work& txn) -> Result<TierRecord> {
        lease.prepare("mirror_get_tier", std::string("SELECT ") + kTierColumns +
                                             " FROM tiers WHERE name = $1 AND deleted_at IS NULL");
        const pqxx::result rows = txn.exec_prepared("mirror_get_tier", name);
        if (rows.empty()) {
          return Error::notFound("tier " + name + " not found");
        }
        return readTier(rows[0]);
      });
}

Result<std::vector<TierRecord>> MirrorRepository::listTiers() {
  return detail::inTransaction(
      *pool_, "list tiers",
      [&](detail::Lease& lease, pqxx::work& txn) -> Result<std::vector<TierRecord>> {
        lease.prepare("mirror_list_tiers",
                      std::string("SELECT ") + kTierColumns +
                          " FROM tiers WHERE deleted_at IS NULL ORDER BY name");
        std::vector<TierRecord> out;
        for (const pqxx::row& row : txn.exec_prepared("mirror_list_tiers")) {
          out.push_back(readTier(row));
        }
        return out;
      });
}

Result<int64_t> MirrorRepository::countDatabasesUsingTier(const std::string& tier) {
  return detail::inTransaction(
      *pool_, "count databases of tier",
      [&](detail::Lease& lease, pqxx::work& txn) -> Result<int64_t> {
        lease.prepare("mirror_count_tier_databases",
                      "SELECT count(*) FROM databases WHERE tier = $1 AND deleted_at IS NULL");
        return txn.exec_prepared1("mirror_count_tier_databases", tier)[0].as<int64_t>();
      });
}

Result<Usage> MirrorRepository::tierUsage(const std::string& tier) {
  return detail::inTransaction(
      *pool_, "tier usage", [&](detail::Lease& lease, pqxx::work& txn) -> Result<Usage> {
        lease.prepare("mirror_tier_usage",
                      std::string("SELECT ") + detail::kUsageSums +
                          " FROM (SELECT 1 AS databases, cpu_milli, memory_bytes, storage_bytes"
                          " FROM databases WHERE tier = $1 AND deleted_at IS NULL"
                          " AND counts_toward_quota) AS held");
        return detail::readUsage(txn.exec_prepared1("mirror_tier_usage", tier), 0);
      });
}

namespace {

// Inputs the upsert statements cannot take.
Result<void> checkDatabase(const DatabaseRecord& db) {
  if (!detail::isUuid(db.id)) {
    return Error::invalidArgument("database id (metadata.uid) must be a uuid");
  }
  if (!db.restore_source_id.empty() && !detail::isUuid(db.restore_source_id)) {
    return Error::invalidArgument("restore source id must be a uuid");
  }
  if (Result<int64_t> rv = detail::parseResourceVersion(db.resource_version); !rv) {
    return std::move(rv).error();
  }
  return {};
}

// The upsert of one database inside `txn`; false when a newer version is already there.
// `db` was checked by checkDatabase().
bool upsertDatabaseIn(detail::Lease& lease, pqxx::work& txn, const DatabaseRecord& db) {
  const int64_t rv = *detail::parseResourceVersion(db.resource_version);
  const std::string last_backup = sqlTime(db.last_successful_backup);
  const std::string recoverable = sqlTime(db.first_recoverability_point);
  const std::string target_time = sqlTime(db.restore_target_time);
  const std::string destroyed = sqlTime(db.destroyed_at);
  const std::string created = sqlTimeOrEmpty(db.created_at);
  const std::string port = db.port == 0 ? std::string() : std::to_string(db.port);
  // Writers of one namespace/name take turns (the watch, the gateway's own write, a full
  // sync, other replicas): two inserts of it at once would fail on the active-name index,
  // which ON CONFLICT (id) does not arbitrate.
  lease.prepare("mirror_name_lock", "SELECT pg_advisory_xact_lock($1, hashtext($2))");
  txn.exec_prepared("mirror_name_lock", kMirrorNameLockClass, db.namespace_name + "/" + db.name);
  // The object under this namespace/name may have been replaced (deleted and created
  // again, the deletion unseen): the older one leaves the active set. If a newer one is
  // already there, this event is the stale one.
  lease.prepare("mirror_same_name",
                "SELECT resource_version FROM databases WHERE namespace = $1 AND name = $2"
                " AND id <> $3::uuid AND deleted_at IS NULL FOR UPDATE");
  for (const pqxx::row& other :
       txn.exec_prepared("mirror_same_name", db.namespace_name, db.name, db.id)) {
    if (other[0].as<int64_t>() >= rv) {
      return false;
    }
  }
  lease.prepare("mirror_retire_same_name",
                "UPDATE databases SET deleted_at = now(), updated_at = now()"
                " WHERE namespace = $1 AND name = $2 AND id <> $3::uuid"
                " AND deleted_at IS NULL");
  txn.exec_prepared("mirror_retire_same_name", db.namespace_name, db.name, db.id);

  lease.prepare(
      "mirror_upsert_database",
      "INSERT INTO databases (id, name, namespace, owner_team, purpose, tier, lifecycle,"
      " phase, generation, observed_generation, resource_version, host, port, database,"
      " secret_name, ca_secret_name, sslmode, backup_enabled, last_successful_backup,"
      " first_recoverability_point, extensions, conditions, provisioned_tier,"
      " restore_source_id, restore_target_time, destroyed_at, cpu_milli, memory_bytes,"
      " storage_bytes, counts_toward_quota, created_at)"
      " VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,"
      " $17, $18, $19::timestamptz, $20::timestamptz, $21::jsonb, $22::jsonb, $23::jsonb,"
      " $24::uuid, $25::timestamptz, $26::timestamptz, $27, $28, $29, $30,"
      " coalesce($31::timestamptz, now()))"
      " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name,"
      " namespace = EXCLUDED.namespace, owner_team = EXCLUDED.owner_team,"
      " purpose = EXCLUDED.purpose, tier = EXCLUDED.tier, lifecycle = EXCLUDED.lifecycle,"
      " phase = EXCLUDED.phase, generation = EXCLUDED.generation,"
      " observed_generation = EXCLUDED.observed_generation,"
      " resource_version = EXCLUDED.resource_version, host = EXCLUDED.host,"
      " port = EXCLUDED.port, database = EXCLUDED.database,"
      " secret_name = EXCLUDED.secret_name, ca_secret_name = EXCLUDED.ca_secret_name,"
      " sslmode = EXCLUDED.sslmode, backup_enabled = EXCLUDED.backup_enabled,"
      " last_successful_backup = EXCLUDED.last_successful_backup,"
      " first_recoverability_point = EXCLUDED.first_recoverability_point,"
      " extensions = EXCLUDED.extensions, conditions = EXCLUDED.conditions,"
      " provisioned_tier = EXCLUDED.provisioned_tier,"
      " restore_source_id = EXCLUDED.restore_source_id,"
      " restore_target_time = EXCLUDED.restore_target_time,"
      " destroyed_at = EXCLUDED.destroyed_at, cpu_milli = EXCLUDED.cpu_milli,"
      " memory_bytes = EXCLUDED.memory_bytes, storage_bytes = EXCLUDED.storage_bytes,"
      " counts_toward_quota = EXCLUDED.counts_toward_quota,"
      " created_at = EXCLUDED.created_at, updated_at = now(), deleted_at = NULL"
      " WHERE databases.resource_version < EXCLUDED.resource_version"
      // The object is live at the very version the row was retired at: the retirement came
      // from a list that did not see it yet (an older gateway did that), so bring it back.
      " OR (databases.deleted_at IS NOT NULL"
      " AND databases.resource_version = EXCLUDED.resource_version)");
  const pqxx::result result = txn.exec_prepared(
      "mirror_upsert_database", db.id, db.name, db.namespace_name, db.owner_team, db.purpose,
      db.tier, db.lifecycle, db.phase, db.generation, db.observed_generation, rv,
      nullIfEmpty(db.host), nullIfEmpty(port), nullIfEmpty(db.database),
      nullIfEmpty(db.secret_name), nullIfEmpty(db.ca_secret_name), nullIfEmpty(db.sslmode),
      db.backup_enabled, nullIfEmpty(last_backup), nullIfEmpty(recoverable),
      db.extensions_json.empty() ? "[]" : db.extensions_json,
      db.conditions_json.empty() ? "[]" : db.conditions_json, nullIfEmpty(db.provisioned_tier_json),
      nullIfEmpty(db.restore_source_id), nullIfEmpty(target_time), nullIfEmpty(destroyed),
      db.demand.cpu.milli(), detail::quantityBytes(db.demand.memory),
      detail::quantityBytes(db.demand.storage), db.counts_toward_quota, nullIfEmpty(created));
  if (result.affected_rows() != 1) {
    return false;
  }
  // The database itself counts from now on: its reservation is settled.
  lease.prepare("mirror_settle_reservation",
                "DELETE FROM quota_reservations WHERE tier = $1 AND namespace = $2"
                " AND database_name = $3");
  txn.exec_prepared("mirror_settle_reservation", db.tier, db.namespace_name, db.name);
  return true;
}

}  // namespace

Result<bool> MirrorRepository::upsertDatabase(const DatabaseRecord& db) {
  if (Result<void> valid = checkDatabase(db); !valid) {
    return std::move(valid).error();
  }
  return detail::inTransaction(*pool_, "mirror database",
                               [&](detail::Lease& lease, pqxx::work& txn) -> Result<bool> {
                                 return upsertDatabaseIn(lease, txn, db);
                               });
}

Result<int64_t> MirrorRepository::upsertDatabases(const std::vector<DatabaseRecord>& databases) {
  for (const DatabaseRecord& db : databases) {
    if (Result<void> valid = checkDatabase(db); !valid) {
      return std::move(valid).error();
    }
  }
  if (databases.empty()) {
    return int64_t{0};
  }
  return detail::inTransaction(*pool_, "mirror databases",
                               [&](detail::Lease& lease, pqxx::work& txn) -> Result<int64_t> {
                                 int64_t changed = 0;
                                 for (const DatabaseRecord& db : databases) {
                                   changed += upsertDatabaseIn(lease, txn, db) ? 1 : 0;
                                 }
                                 return changed;
                               });
}

Result<bool> MirrorRepository::markDatabaseDeleted(const std::string& id,
                                                   const std::string& resource_version) {
  if (!detail::isUuid(id)) {
    return Error::invalidArgument("database id (metadata.uid) must be a uuid");
  }
  Result<int64_t> rv = detail::parseResourceVersion(resource_version);
  if (!rv) {
    return std::move(rv).error();
  }
  return detail::inTransaction(
      *pool_, "mirror database deletion",
      [&](detail::Lease& lease, pqxx::work& txn) -> Result<bool> {
        lease.prepare("mirror_delete_database",
                      "UPDATE databases SET deleted_at = now(), updated_at = now(),"
                      " resource_version = $2 WHERE id = $1::uuid AND deleted_at IS NULL"
                      " AND resource_version <= $2");
        return txn.exec_prepared("mirror_delete_database", id, *rv).affected_rows() == 1;
      });
}

Result<int64_t> MirrorRepository::markDatabasesDeletedExcept(
    const std::vector<std::string>& live_ids, const std::string& listed_at) {
  for (const std::string& id : live_ids) {
    if (!detail::isUuid(id)) {
      return Error::invalidArgument("database id (metadata.uid) must be a uuid");
    }
  }
  Result<int64_t> rv = detail::parseResourceVersion(listed_at);
  if (!rv) {
    return std::move(rv).error();
  }
  return detail::inTransaction(
      *pool_, "mirror database relist", [&](detail::Lease&, pqxx::work& txn) -> Result<int64_t> {
        return static_cast<int64_t>(
            txn.exec_params("UPDATE databases SET deleted_at = now(), updated_at = now()"
                            " WHERE deleted_at IS NULL AND resource_version <= $2"
                            " AND NOT (id = ANY($1::uuid[]))",
                            detail::textArray(live_ids), *rv)
                .affected_rows());
      });
}

Result<DatabaseRecord> MirrorRepository::getDatabase(const std::string& id, bool include_deleted) {
  if (!detail::isUuid(id)) {
    return databaseNotFound(id);
  }
  return detail::inTransaction(
      *pool_, "get database", [&](detail::Lease& lease, pqxx::work& txn) -> Result<DatabaseRecord> {
        lease.prepare("mirror_get_database", std::string("SELECT ") + kDatabaseColumns +
                                                 " FROM databases WHERE id = $1::uuid");
        const pqxx::result rows = txn.exec_prepared("mirror_get_database", id);
        if (rows.empty()) {
          return databaseNotFound(id);
        }
        DatabaseRecord db = readDatabase(rows[0]);
        if (db.deleted_at && !include_deleted) {
          return databaseNotFound(id);
        }
        return db;
      });
}

Result<bool> MirrorRepository::activeNameExists(const std::string& name) {
  return detail::inTransaction(
      *pool_, "check database name", [&](detail::Lease& lease, pqxx::work& txn) -> Result<bool> {
        // Equality on name is served by databases_name_prefix_idx (text_pattern_ops has =).
        lease.prepare("mirror_active_name",
                      "SELECT EXISTS (SELECT 1 FROM databases WHERE name = $1"
                      " AND deleted_at IS NULL AND phase <> 'Deleted')");
        return txn.exec_prepared1("mirror_active_name", name)[0].as<bool>();
      });
}

Result<Page<DatabaseRecord>> MirrorRepository::listDatabases(const DatabaseFilter& filter,
                                                             const PageRequest& page) {
  if (Result<void> limit = detail::checkLimit(page.limit); !limit) {
    return std::move(limit).error();
  }
  // Filters vary per call: built as text with numbered parameters, values never inlined.
  std::vector<std::string> params;
  std::string where = filter.include_deleted ? "TRUE" : "deleted_at IS NULL";
  const auto add = [&](const std::string& condition, std::string value) {
    params.push_back(std::move(value));
    where += " AND " + condition + " $" + std::to_string(params.size());
  };
  if (filter.owner_team) {
    add("owner_team =", *filter.owner_team);
  }
  if (!filter.phases.empty()) {
    params.push_back(detail::textArray(filter.phases));
    where += " AND phase = ANY($" + std::to_string(params.size()) + "::text[])";
  }
  if (filter.tier) {
    add("tier =", *filter.tier);
  }
  if (filter.name_prefix) {
    add("name LIKE", prefixPattern(*filter.name_prefix));
  }
  if (!page.cursor.empty()) {
    Result<std::pair<int64_t, std::string>> cursor = detail::decodeCursor(page.cursor);
    if (!cursor || !detail::isUuid(cursor->second)) {
      return Error::invalidArgument("malformed page cursor");
    }
    params.push_back(detail::toSqlTime(detail::fromMicros(cursor->first)));
    const std::string time_param = "$" + std::to_string(params.size());
    params.push_back(cursor->second);
    where += " AND (created_at, id) > (" + time_param + "::timestamptz, $" +
             std::to_string(params.size()) + "::uuid)";
  }
  const std::string sql = std::string("SELECT ") + kDatabaseColumns + " FROM databases WHERE " +
                          where + " ORDER BY created_at, id LIMIT " +
                          std::to_string(page.limit + 1);
  return detail::inTransaction(
      *pool_, "list databases",
      [&](detail::Lease&, pqxx::work& txn) -> Result<Page<DatabaseRecord>> {
        const pqxx::result rows = txn.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
        Page<DatabaseRecord> out;
        for (const pqxx::row& row : rows) {
          if (static_cast<int>(out.items.size()) == page.limit) {
            const DatabaseRecord& last = out.items.back();
            out.next_cursor = detail::encodeCursor(detail::toMicros(last.created_at), last.id);
            break;
          }
          out.items.push_back(readDatabase(row));
        }
        return out;
      });
}

}  // namespace daap::pg
