#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "lib/model/quota.h"
#include "lib/model/tier.h"

namespace daap::pg {

// Timestamps as PostgreSQL's timestamptz holds them (microsecond precision, UTC).
using Timestamp = std::chrono::system_clock::time_point;

// Keyset pagination: `cursor` is the opaque next_cursor of the previous page (empty = first
// page). A malformed cursor or a limit outside [1, kMaxPageLimit] is InvalidArgument.
inline constexpr int kMaxPageLimit = 1000;
struct PageRequest {
  std::string cursor;
  int limit = 50;
};

// One page, in the listing's order. next_cursor is empty on the last page.
template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_cursor;
};

// What databases allocate under a tier, and the demand of one database (databases = 1):
// lib/model's vocabulary, so the gateway does its quota arithmetic in one place.
using Usage = model::Usage;
// DaapTier spec.quota.
using TierQuota = model::Quota;

}  // namespace daap::pg
