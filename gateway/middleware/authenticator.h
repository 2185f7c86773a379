#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "lib/auth/rbac.h"
#include "lib/base/clock.h"
#include "lib/base/result.h"
#include "lib/pg/api_keys.h"

namespace daap::gateway {

// Who sent a request: the principal lib/auth decides on, and the stored key's id for audit.
struct Caller {
  auth::Principal principal;
  std::string key_uuid;
};

// Resolves X-API-Key to a Caller. A key seen recently is verified from memory (a hash and a
// constant-time compare, no PostgreSQL round trip); otherwise, or after `ttl`, it is looked up
// by its public prefix. revoke() through this replica forgets the key at once; another
// replica's cache forgets it within `ttl` (0 disables the cache). Thread-safe.
class Authenticator {
public:
  Authenticator(pg::ApiKeyRepository& keys, std::string pepper, std::chrono::milliseconds ttl,
                const Clock& clock);

  // Unauthenticated for a missing, malformed, unknown or revoked key (one message for all, so
  // a caller learns nothing about which); Unavailable when PostgreSQL cannot be asked.
  Result<Caller> authenticate(std::optional<std::string_view> api_key);

  // authenticate() from memory alone, for a caller that must not block: the same answer when
  // it needs no PostgreSQL lookup (no key, a malformed key, a key cached within `ttl`), and
  // nullopt when it does. Once an entry is half `ttl` old, one caller gets nullopt (it is to
  // call authenticate(), which refreshes the entry) while the others still get the answer.
  std::optional<Result<Caller>> authenticateCached(std::optional<std::string_view> api_key);

  // Forgets the key with this prefix (it was just revoked).
  void invalidate(std::string_view prefix);

  // Stores DAAP_BOOTSTRAP_API_KEY as a platform-team key of `team`, hashed, unless a key with
  // its prefix is already stored (a revoked bootstrap key stays revoked).
  Result<void> bootstrap(std::string_view api_key, std::string_view team);

  const std::string& pepper() const { return pepper_; }

private:
  struct Entry {
    std::string hash;
    Caller caller;
    std::chrono::steady_clock::time_point fetched;
    bool refresh_claimed = false;  // A caller was sent to refresh it.
  };

  // `non_blocking`: authenticateCached(); otherwise authenticate()'s first step, which
  // declines entries due for a refresh so that it refreshes them.
  std::optional<Result<Caller>> fromCache(std::optional<std::string_view> api_key,
                                          bool non_blocking);

  pg::ApiKeyRepository& keys_;
  const std::string pepper_;
  const std::chrono::milliseconds ttl_;
  const Clock& clock_;
  std::mutex mu_;
  // Guarded by mu_. Only keys that were valid (not revoked) when fetched.
  std::unordered_map<std::string, Entry> cache_;
};

}  // namespace daap::gateway
