#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

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
  explicit QuotaLedger(Pool& pool, std::chrono::seconds ttl = std::chrono::minutes(2));
  ~QuotaLedger();
  QuotaLedger(const QuotaLedger&) = delete;
  QuotaLedger& operator=(const QuotaLedger&) = delete;

  // Admits `request` when mirrored usage + live reservations + demand stays within `quota` in
  // every dimension, serialised per tier (a transaction-scoped advisory lock), so concurrent
  // callers never over-admit. Otherwise QuotaExceeded, with one ErrorCause per exhausted
  // dimension: field "databases" | "cpu" | "memory" | "storage", reason "QuotaExceeded", and a
  // message giving limit, usage and request.
  // Concurrent calls for one tier in this process are admitted together (group commit): one
  // caller runs one transaction for every request waiting, in arrival order, each checked
  // against the usage plus the requests admitted before it. The per-tier lock is held until
  // the commit has been flushed, so one transaction per request capped admissions at one per
  // WAL flush; a batch costs the same flush.
  Result<ReservationId> reserve(const ReservationRequest& request, const TierQuota& quota);
  // Drops a reservation; ok when it is already gone (settled, expired or released).
  Result<void> release(ReservationId id);
  // Mirrored usage plus live, unsettled reservations.
  Result<Usage> usage(const std::string& tier);
  // Deletes expired reservations (reserve() ignores them anyway); returns how many.
  Result<int64_t> purgeExpired();

private:
  struct Pending;
  struct Batches;
  // One transaction admitting `batch` (all of `tier`), in order; a result per request.
  Result<std::vector<Result<ReservationId>>> admit(const std::string& tier,
                                                   const std::vector<Pending*>& batch);

  Pool* pool_;
  std::chrono::seconds ttl_;
  std::unique_ptr<Batches> batches_;
};

}  // namespace daap::pg
