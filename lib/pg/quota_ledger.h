#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "lib/base/result.h"
#include "lib/pg/pool.h"
#include "lib/pg/types.h"

namespace daap::pg {

using ReservationId = int64_t;

// The database a reservation is for; the mirror settles the reservation when it sees it.
struct ReservationRequest {
  std::string tier;
  std::string namespace_name;
  std::string name;
  Usage demand;  // databases = 1
};

// Admission bookkeeping for POST /databases. The gateway reserves the new database's demand
// before it writes the DaapDatabase and releases the reservation if the write fails. A
// reservation counts until the mirror sees its database (then the database itself counts) or
// until it expires.
class QuotaLedger {
public:
  explicit QuotaLedger(Pool& pool, std::chrono::seconds ttl = std::chrono::minutes(2))
      : pool_(&pool), ttl_(ttl) {}

  // Admits `request` when mirrored usage + live reservations + demand stays within `quota` in
  // every dimension, serialised per tier (a transaction-scoped advisory lock), so concurrent
  // callers never over-admit. Otherwise QuotaExceeded, with one ErrorCause per exhausted
  // dimension: field "databases" | "cpu" | "memory" | "storage", reason "QuotaExceeded", and a
  // message giving limit, usage and request.
  Result<ReservationId> reserve(const ReservationRequest& request, const TierQuota& quota);
  // Drops a reservation; ok when it is already gone (settled, expired or released).
  Result<void> release(ReservationId id);
  // Mirrored usage plus live, unsettled reservations.
  Result<Usage> usage(const std::string& tier);
  // Deletes expired reservations (reserve() ignores them anyway); returns how many.
  Result<int64_t> purgeExpired();

private:
  Pool* pool_;
  std::chrono::seconds ttl_;
};

}  // namespace daap::pg
