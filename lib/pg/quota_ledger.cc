#include "lib/pg/quota_ledger.h"

#include <condition_variable>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

#include "lib/model/quota.h"
#include "lib/pg/session.h"

namespace daap::pg {

namespace {

// Advisory lock class for per-tier quota admission ("DAQP"); the object id is hashtext(tier).
// Two-key advisory locks never collide with the migrator's one-key lock.
constexpr int32_t kQuotaLockClass = 0x44415150;

// What mirrored databases hold (their tier's usage changes, kept by a trigger) plus live
// reservations: one statement, so one snapshot sees a database and its settled reservation
// either before or after the swap, never both or neither.
constexpr const char* kHeldSource =
    " FROM (SELECT databases, cpu_milli, memory_bytes, storage_bytes FROM tier_usage_changes"
    " WHERE tier = $1"
    " UNION ALL"
    " SELECT databases, cpu_milli, memory_bytes, storage_bytes FROM quota_reservations"
    " WHERE tier = $1 AND expires_at > clock_timestamp()) AS held";

// Folds a tier's usage changes into one row, so that reading them stays cheap. Changes
// committed meanwhile are not deleted and still count; only the lock holder folds.
constexpr const char* kFoldUsage =
    "WITH folded AS (DELETE FROM tier_usage_changes WHERE tier = $1"
    " RETURNING databases, cpu_milli, memory_bytes, storage_bytes)"
    " INSERT INTO tier_usage_changes SELECT $1, coalesce(sum(databases), 0),"
    " coalesce(sum(cpu_milli), 0), coalesce(sum(memory_bytes), 0),"
    " coalesce(sum(storage_bytes), 0) FROM folded HAVING count(*) > 0";

Error quotaExceeded(const std::string& tier, const model::QuotaViolation& violation) {
  Error error;
  error.code = ErrorCode::QuotaExceeded;
  error.message = "tier " + tier + ": " + violation.message();
  error.reason = "QuotaExceeded";
  error.causes.push_back({violation.dimension, "QuotaExceeded",
                          "limit " + violation.limit + ", used " + violation.used + ", requested " +
                              violation.requested});
  return error;
}

}  // namespace

struct QuotaLedger::Pending {
  const ReservationRequest* request;
  const TierQuota* quota;
  std::optional<Result<ReservationId>> result;  // Set by the batch's leader, under mu.
};

struct QuotaLedger::Batches {
  struct Tier {
    std::vector<Pending*> waiting;
    bool leader = false;  // A caller is admitting a batch of this tier.
  };
  std::mutex mu;
  std::condition_variable done;
  // Guarded by mu. Entries are never erased (tiers are few), so references stay valid.
  std::unordered_map<std::string, Tier> tiers;
};

QuotaLedger::QuotaLedger(Pool& pool, std::chrono::seconds ttl)
    : pool_(&pool), ttl_(ttl), batches_(std::make_unique<Batches>()) {}

QuotaLedger::~QuotaLedger() = default;

Result<ReservationId> QuotaLedger::reserve(const ReservationRequest& request,
                                           const TierQuota& quota) {
  if (request.tier.empty() || request.name.empty()) {
    return Error::invalidArgument("a reservation needs a tier and a database name");
  }
  Pending mine{&request, &quota, std::nullopt};
  std::unique_lock lock(batches_->mu);
  Batches::Tier& tier = batches_->tiers[request.tier];
  tier.waiting.push_back(&mine);
  for (;;) {
    if (mine.result) {
      return std::move(*mine.result);
    }
    if (!tier.leader) {
      // Nobody is admitting this tier: take everything waiting (this call included) as one
      // batch. Whoever arrives meanwhile waits for the next batch.
      tier.leader = true;
      std::vector<Pending*> batch;
      batch.swap(tier.waiting);
      lock.unlock();
      Result<std::vector<Result<ReservationId>>> results = admit(request.tier, batch);
      lock.lock();
      for (size_t i = 0; i < batch.size(); ++i) {
        batch[i]->result =
            results ? std::move((*results)[i]) : Result<ReservationId>(results.error());
      }
      tier.leader = false;
      batches_->done.notify_all();
      continue;
    }
    batches_->done.wait(lock);
  }
}

Result<std::vector<Result<ReservationId>>> QuotaLedger::admit(const std::string& tier,
                                                              const std::vector<Pending*>& batch) {
  return detail::inTransaction(
      *pool_, "reserve quota",
      [&](detail::Lease& lease, pqxx::work& txn) -> Result<std::vector<Result<ReservationId>>> {
        // Serialises admissions per tier; released at commit, after the inserts are visible.
        lease.prepare("quota_lock", "SELECT pg_advisory_xact_lock($1, hashtext($2))");
        txn.exec_prepared("quota_lock", kQuotaLockClass, tier);
        lease.prepare("quota_fold", kFoldUsage);
        txn.exec_prepared("quota_fold", tier);
        // Read after the lock: in READ COMMITTED this statement's snapshot includes every
        // reservation committed by whoever held the lock before.
        lease.prepare("quota_held", std::string("SELECT ") + detail::kUsageSums + kHeldSource);
        Usage used = detail::readUsage(txn.exec_prepared1("quota_held", tier), 0);
        lease.prepare("quota_insert",
                      "INSERT INTO quota_reservations (tier, namespace, database_name, databases,"
                      " cpu_milli, memory_bytes, storage_bytes, expires_at)"
                      " VALUES ($1, $2, $3, $4, $5, $6, $7,"
                      " clock_timestamp() + make_interval(secs => $8)) RETURNING id");
        std::vector<Result<ReservationId>> results;
        results.reserve(batch.size());
        for (const Pending* pending : batch) {
          const ReservationRequest& request = *pending->request;
          if (const std::optional<model::QuotaViolation> violation =
                  model::checkQuota(*pending->quota, used, request.demand)) {
            results.emplace_back(quotaExceeded(request.tier, *violation));
            continue;
          }
          results.emplace_back(
              txn.exec_prepared1("quota_insert", request.tier, request.namespace_name, request.name,
                                 request.demand.databases, request.demand.cpu.milli(),
                                 detail::quantityBytes(request.demand.memory),
                                 detail::quantityBytes(request.demand.storage),
                                 static_cast<int64_t>(ttl_.count()))[0]
                  .as<ReservationId>());
          used += request.demand;  // The next request of the batch sees this one.
        }
        return results;
      });
}

Result<void> QuotaLedger::release(ReservationId id) {
  return detail::inTransaction(
      *pool_, "release quota", [&](detail::Lease& lease, pqxx::work& txn) -> Result<void> {
        lease.prepare("quota_release", "DELETE FROM quota_reservations WHERE id = $1");
        txn.exec_prepared("quota_release", id);
        return {};
      });
}

Result<Usage> QuotaLedger::usage(const std::string& tier) {
  return detail::inTransaction(
      *pool_, "quota usage", [&](detail::Lease& lease, pqxx::work& txn) -> Result<Usage> {
        lease.prepare("quota_held", std::string("SELECT ") + detail::kUsageSums + kHeldSource);
        return detail::readUsage(txn.exec_prepared1("quota_held", tier), 0);
      });
}

Result<int64_t> QuotaLedger::purgeExpired() {
  return detail::inTransaction(
      *pool_, "purge quota reservations",
      [&](detail::Lease& lease, pqxx::work& txn) -> Result<int64_t> {
        lease.prepare("quota_purge",
                      "DELETE FROM quota_reservations WHERE expires_at <= clock_timestamp()");
        return static_cast<int64_t>(txn.exec_prepared("quota_purge").affected_rows());
      });
}

}  // namespace daap::pg
