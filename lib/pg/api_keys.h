#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "lib/base/result.h"
#include "lib/pg/pool.h"
#include "lib/pg/types.h"

namespace daap::pg {

// A stored API key: its public prefix and the hash of its secret (lib/auth computes both; the
// secret itself is never stored).
struct ApiKey {
  std::string id;  // uuid
  std::string prefix;
  std::string hash;
  std::string team;
  std::string role;  // "platform-team" | "product-team"
  std::string description;
  Timestamp created_at;
  std::optional<Timestamp> revoked_at;
  std::optional<Timestamp> last_used_at;
};

struct NewApiKey {
  std::string id;  // empty: PostgreSQL generates one
  std::string prefix;
  std::string hash;
  std::string team;
  std::string role;
  std::string description;
};

class ApiKeyRepository {
public:
  explicit ApiKeyRepository(Pool& pool) : pool_(&pool) {}

  // AlreadyExists when the prefix (or the id) is taken.
  Result<ApiKey> insert(const NewApiKey& key);
  // Revoked keys are returned too (revoked_at set): the caller decides. NotFound when absent.
  Result<ApiKey> findByPrefix(const std::string& prefix);
  // NotFound when absent or when `id` is not a uuid.
  Result<ApiKey> get(const std::string& id);
  // Oldest first; `team` empty = every team.
  Result<Page<ApiKey>> list(const PageRequest& page, const std::string& team = {});
  // Sets revoked_at (revoking twice keeps the first time). NotFound when absent.
  Result<ApiKey> revoke(const std::string& id);
  // Records that the key authenticated a request now.
  Result<void> markUsed(const std::string& id);
  // Keys of `role` not revoked (the gateway bootstraps a platform key when there is none).
  Result<int64_t> countActive(const std::string& role);

private:
  Pool* pool_;
};

}  // namespace daap::pg
