#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lib/base/result.h"
#include "lib/pg/pool.h"
#include "lib/pg/types.h"

namespace daap::pg {

// One request that reached a handler, allowed or denied.
struct AuditEntry {
  int64_t id = 0;    // assigned on append
  Timestamp time{};  // the epoch (default) = PostgreSQL's now() on append
  std::string request_id;
  std::string team;    // empty when unauthenticated
  std::string key_id;  // uuid of the API key; empty when none
  std::string role;
  std::string action;  // e.g. "databases.create"
  std::string resource_type;
  std::string resource_id;
  int outcome = 0;  // HTTP status of the response
};

// Unset fields do not filter. `since` is inclusive, `until` exclusive.
struct AuditQuery {
  std::optional<std::string> team;
  std::optional<std::string> action;
  std::optional<std::string> resource_type;
  std::optional<std::string> resource_id;
  std::optional<Timestamp> since;
  std::optional<Timestamp> until;
};

class AuditRepository {
public:
  explicit AuditRepository(Pool& pool) : pool_(&pool) {}

  // Returns the new row's id. A key_id that is not a uuid is InvalidArgument.
  Result<int64_t> append(const AuditEntry& entry);
  // Appends all entries in one transaction (one commit for a batch of requests); all or none.
  Result<void> appendAll(const std::vector<AuditEntry>& entries);
  // Newest first (time, then id), keyset-paginated.
  Result<Page<AuditEntry>> query(const AuditQuery& query, const PageRequest& page);

private:
  Pool* pool_;
};

}  // namespace daap::pg
