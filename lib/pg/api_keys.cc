#include "lib/pg/api_keys.h"

#include "lib/pg/session.h"

namespace daap::pg {

namespace {

constexpr const char* kColumns =
    "id::text, prefix, hash, team, role, description,"
    " (extract(epoch FROM created_at) * 1000000)::bigint,"
    " (extract(epoch FROM revoked_at) * 1000000)::bigint,"
    " (extract(epoch FROM last_used_at) * 1000000)::bigint";

ApiKey readKey(const pqxx::row& row) {
  ApiKey key;
  key.id = row[0].as<std::string>();
  key.prefix = row[1].as<std::string>();
  key.hash = row[2].as<std::string>();
  key.team = row[3].as<std::string>();
  key.role = row[4].as<std::string>();
  key.description = row[5].as<std::string>();
  key.created_at = detail::fromMicros(row[6].as<int64_t>());
  key.revoked_at = detail::optionalMicros(row[7]);
  key.last_used_at = detail::optionalMicros(row[8]);
  return key;
}

Error keyNotFound(const std::string& id) {
  return Error::notFound("API key " + id + " not found");
}

}  // namespace

Result<ApiKey> ApiKeyRepository::insert(const NewApiKey& key) {
  if (!key.id.empty() && !detail::isUuid(key.id)) {
    return Error::invalidArgument("API key id must be a uuid");
  }
  return detail::inTransaction(
      *pool_, "insert API key", [&](detail::Lease& lease, pqxx::work& txn) -> Result<ApiKey> {
        lease.prepare("api_keys_insert",
                      std::string("INSERT INTO api_keys (id, prefix, hash, team, role, description)"
                                  " VALUES (coalesce($1::uuid, gen_random_uuid()), $2, $3, $4, $5,"
                                  " $6) RETURNING ") +
                          kColumns);
        const char* id = key.id.empty() ? nullptr : key.id.c_str();
        return readKey(txn.exec_prepared1("api_keys_insert", id, key.prefix, key.hash, key.team,
                                          key.role, key.description));
      });
}

Result<ApiKey> ApiKeyRepository::findByPrefix(const std::string& prefix) {
  return detail::inTransaction(
      *pool_, "find API key", [&](detail::Lease& lease, pqxx::work& txn) -> Result<ApiKey> {
        lease.prepare("api_keys_by_prefix",
                      std::string("SELECT ") + kColumns + " FROM api_keys WHERE prefix = $1");
        const pqxx::result rows = txn.exec_prepared("api_keys_by_prefix", prefix);
        if (rows.empty()) {
          return Error::notFound("no API key with that prefix");
        }
        return readKey(rows[0]);
      });
}

Result<ApiKey> ApiKeyRepository::get(const std::string& id) {
  if (!detail::isUuid(id)) {
    return keyNotFound(id);
  }
  return detail::inTransaction(
      *pool_, "get API key", [&](detail::Lease& lease, pqxx::work& txn) -> Result<ApiKey> {
        lease.prepare("api_keys_get",
                      std::string("SELECT ") + kColumns + " FROM api_keys WHERE id = $1::uuid");
        const pqxx::result rows = txn.exec_prepared("api_keys_get", id);
        if (rows.empty()) {
          return keyNotFound(id);
        }
        return readKey(rows[0]);
      });
}

Result<Page<ApiKey>> ApiKeyRepository::list(const PageRequest& page, const std::string& team) {
  if (Result<void> limit = detail::checkLimit(page.limit); !limit) {
    return std::move(limit).error();
  }
  std::string after_time = "-infinity";
  std::string after_id = "00000000-0000-0000-0000-000000000000";
  if (!page.cursor.empty()) {
    Result<std::pair<int64_t, std::string>> cursor = detail::decodeCursor(page.cursor);
    if (!cursor || !detail::isUuid(cursor->second)) {
      return Error::invalidArgument("malformed page cursor");
    }
    after_time = detail::toSqlTime(detail::fromMicros(cursor->first));
    after_id = cursor->second;
  }
  return detail::inTransaction(
      *pool_, "list API keys", [&](detail::Lease& lease, pqxx::work& txn) -> Result<Page<ApiKey>> {
        lease.prepare("api_keys_list", std::string("SELECT ") + kColumns +
                                           " FROM api_keys WHERE ($1 = '' OR team = $1)"
                                           " AND (created_at, id) > ($2::timestamptz, $3::uuid)"
                                           " ORDER BY created_at, id LIMIT $4");
        const pqxx::result rows =
            txn.exec_prepared("api_keys_list", team, after_time, after_id, page.limit + 1);
        Page<ApiKey> out;
        for (const pqxx::row& row : rows) {
          if (static_cast<int>(out.items.size()) == page.limit) {
            const ApiKey& last = out.items.back();
            out.next_cursor = detail::encodeCursor(detail::toMicros(last.created_at), last.id);
            break;
          }
          out.items.push_back(readKey(row));
        }
        return out;
      });
}

Result<ApiKey> ApiKeyRepository::revoke(const std::string& id) {
  if (!detail::isUuid(id)) {
    return keyNotFound(id);
  }
  return detail::inTransaction(
      *pool_, "revoke API key", [&](detail::Lease& lease, pqxx::work& txn) -> Result<ApiKey> {
        lease.prepare("api_keys_revoke",
                      std::string("UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())"
                                  " WHERE id = $1::uuid RETURNING ") +
                          kColumns);
        const pqxx::result rows = txn.exec_prepared("api_keys_revoke", id);
        if (rows.empty()) {
          return keyNotFound(id);
        }
        return readKey(rows[0]);
      });
}

Result<void> ApiKeyRepository::markUsed(const std::string& id) {
  if (!detail::isUuid(id)) {
    return keyNotFound(id);
  }
  return detail::inTransaction(
      *pool_, "mark API key used", [&](detail::Lease& lease, pqxx::work& txn) -> Result<void> {
        lease.prepare("api_keys_mark_used",
                      "UPDATE api_keys SET last_used_at = now() WHERE id = $1::uuid");
        if (txn.exec_prepared("api_keys_mark_used", id).affected_rows() == 0) {
          return keyNotFound(id);
        }
        return {};
      });
}

Result<int64_t> ApiKeyRepository::countActive(const std::string& role) {
  return detail::inTransaction(
      *pool_, "count API keys", [&](detail::Lease& lease, pqxx::work& txn) -> Result<int64_t> {
        lease.prepare("api_keys_count_active",
                      "SELECT count(*) FROM api_keys WHERE role = $1 AND revoked_at IS NULL");
        return txn.exec_prepared1("api_keys_count_active", role)[0].as<int64_t>();
      });
}

}  // namespace daap::pg
