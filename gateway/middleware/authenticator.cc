#include "gateway/middleware/authenticator.h"

#include <utility>

#include "lib/auth/api_key.h"

namespace daap::gateway {

namespace {

Error unauthenticated() {
  return {ErrorCode::Unauthenticated, "a valid X-API-Key header is required", {}, {}, 0, {}};
}

}  // namespace

Authenticator::Authenticator(pg::ApiKeyRepository& keys, std::string pepper,
                             std::chrono::milliseconds ttl, const Clock& clock)
    : keys_(keys), pepper_(std::move(pepper)), ttl_(ttl), clock_(clock) {}

std::optional<Result<Caller>> Authenticator::authenticateCached(
    std::optional<std::string_view> api_key) {
  return fromCache(api_key, true);
}

std::optional<Result<Caller>> Authenticator::fromCache(std::optional<std::string_view> api_key,
                                                       bool non_blocking) {
  if (!api_key || api_key->empty()) {
    return unauthenticated();
  }
  Result<auth::ParsedKey> parsed = auth::parseKey(*api_key);
  if (!parsed) {
    return unauthenticated();
  }
  if (ttl_.count() <= 0) {
    return std::nullopt;
  }
  const auto now = clock_.monotonicNow();
  // An entry is refreshed once it is half its ttl old, while it still answers: if every
  // request waited for expiry, all requests in flight at that moment (64 connections' worth)
  // would look the key up in PostgreSQL at once, every ttl, and make the latency tail.
  const auto refresh_after = ttl_ / 2;
  std::string hash;
  Caller caller;
  {
    std::lock_guard lock(mu_);
    auto found = cache_.find(parsed->prefix);
    if (found == cache_.end()) {
      return std::nullopt;
    }
    Entry& entry = found->second;
    const auto age = now - entry.fetched;
    if (age >= ttl_) {
      return std::nullopt;
    }
    if (age >= refresh_after) {
      if (!non_blocking) {
        return std::nullopt;  // The blocking path refreshes.
      }
      if (!entry.refresh_claimed) {
        // This request takes the blocking path (and refreshes); the others keep answering
        // from the entry until it is replaced.
        entry.refresh_claimed = true;
        return std::nullopt;
      }
    }
    hash = entry.hash;
    caller = entry.caller;
  }
  // Hashing outside the lock: every request verifies, and they should not queue for it.
  if (!auth::verifyKey(*api_key, hash, pepper_)) {
    return unauthenticated();
  }
  return caller;
}

Result<Caller> Authenticator::authenticate(std::optional<std::string_view> api_key) {
  if (std::optional<Result<Caller>> cached = fromCache(api_key, false); cached) {
    return std::move(*cached);
  }
  Result<auth::ParsedKey> parsed = auth::parseKey(*api_key);
  if (!parsed) {
    return unauthenticated();
  }
  const auto now = clock_.monotonicNow();
  Result<pg::ApiKey> stored = keys_.findByPrefix(parsed->prefix);
  if (!stored) {
    if (stored.error().code == ErrorCode::NotFound) {
      invalidate(parsed->prefix);  // Deleted: the entry must stop answering at once.
      return unauthenticated();
    }
    return stored.error();
  }
  std::optional<auth::Role> role = auth::parseRole(stored->role);
  if (stored->revoked_at.has_value() || !role) {
    // Revoked through another replica: a half-expired entry still in the cache would
    // otherwise keep answering the other callers until its ttl.
    invalidate(parsed->prefix);
    return unauthenticated();
  }
  if (!auth::verifyKey(*api_key, stored->hash, pepper_)) {
    return unauthenticated();  // A wrong secret; the entry of the right one stays.
  }
  Caller caller{{stored->prefix, stored->team, *role}, stored->id};
  if (ttl_.count() > 0) {
    std::lock_guard lock(mu_);
    cache_[stored->prefix] = Entry{stored->hash, caller, now, false};
  }
  return caller;
}

void Authenticator::invalidate(std::string_view prefix) {
  std::lock_guard lock(mu_);
  cache_.erase(std::string(prefix));
}

Result<void> Authenticator::bootstrap(std::string_view api_key, std::string_view team) {
  Result<auth::ParsedKey> parsed = auth::parseKey(api_key);
  if (!parsed) {
    return Error::invalidArgument(
        "DAAP_BOOTSTRAP_API_KEY is not a DAAP API key (daap_<8 chars>_<64 hex>)");
  }
  Result<pg::ApiKey> existing = keys_.findByPrefix(parsed->prefix);
  if (existing) {
    return {};
  }
  if (existing.error().code != ErrorCode::NotFound) {
    return existing.error();
  }
  pg::NewApiKey key;
  key.prefix = parsed->prefix;
  key.hash = auth::hashKey(api_key, pepper_);
  key.team = std::string(team);
  key.role = std::string(auth::roleName(auth::Role::PlatformTeam));
  key.description = "bootstrap key (DAAP_BOOTSTRAP_API_KEY)";
  Result<pg::ApiKey> inserted = keys_.insert(key);
  if (!inserted && inserted.error().code != ErrorCode::AlreadyExists) {
    return inserted.error();  // AlreadyExists: another replica stored it first.
  }
  return {};
}

}  // namespace daap::gateway
