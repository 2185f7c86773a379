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

Result<Caller> Authenticator::authenticate(std::optional<std::string_view> api_key) {
  if (!api_key || api_key->empty()) {
    return unauthenticated();
  }
  Result<auth::ParsedKey> parsed = auth::parseKey(*api_key);
  if (!parsed) {
    return unauthenticated();
  }
  const auto now = clock_.monotonicNow();
  if (ttl_.count() > 0) {
    std::lock_guard lock(mu_);
    auto found = cache_.find(parsed->prefix);
    if (found != cache_.end() && now - found->second.fetched < ttl_) {
      if (!auth::verifyKey(*api_key, found->second.hash, pepper_)) {
        return unauthenticated();
      }
      return found->second.caller;
    }
  }
  Result<pg::ApiKey> stored = keys_.findByPrefix(parsed->prefix);
  if (!stored) {
    if (stored.error().code == ErrorCode::NotFound) {
      return unauthenticated();
    }
    return stored.error();
  }
  if (stored->revoked_at.has_value() || !auth::verifyKey(*api_key, stored->hash, pepper_)) {
    return unauthenticated();
  }
  std::optional<auth::Role> role = auth::parseRole(stored->role);
  if (!role) {
    return unauthenticated();
  }
  Caller caller{{stored->prefix, stored->team, *role}, stored->id};
  if (ttl_.count() > 0) {
    std::lock_guard lock(mu_);
    cache_[stored->prefix] = Entry{stored->hash, caller, now};
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
