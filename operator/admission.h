#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "lib/model/quota.h"
#include "lib/model/tier.h"
#include "operator/database_index.h"

namespace daap::controller {

// Whether `key` may be admitted now: pending databases are admitted oldest first, each taking
// `demand`, so a younger database never takes the room an older one waits for. nullopt: admit;
// otherwise the dimension that has no room (for `key`, or for an older database before it).
// `pending` is in admission order; a key missing from it is judged on its own.
std::optional<model::QuotaViolation> decideAdmission(const model::Quota& quota,
                                                     const model::Usage& used,
                                                     const model::Usage& demand,
                                                     const std::vector<std::string>& pending,
                                                     const std::string& key);

// Serializes quota admission per tier across workers. The informer cache lags the operator's
// own status writes, so admissions this process made are kept in a ledger until the cache
// shows them; together they never over-admit however many workers run. Thread-safe.
class Admission {
public:
  explicit Admission(const DatabaseIndex& index) : index_(index) {}

  // A held admission slot for one tier: while it lives no other worker admits into that tier.
  class Slot {
  public:
    // What the tier has allocated: the cache's admitted databases plus this process's
    // admissions the cache does not show yet.
    model::Usage used() const;
    // The pending databases, oldest first, without those already admitted by this process.
    std::vector<std::string> pending() const;
    // pending() up to `key` (included): all decideAdmission(..., key) reads.
    std::vector<std::string> pendingUpTo(const std::string& key) const;
    // decideAdmission for `key` in this tier. When the quota has room for every pending
    // database at once the order cannot matter and no pending list is built: a cold start
    // with thousands pending would otherwise copy them on every admission.
    std::optional<model::QuotaViolation> decide(const model::Quota& quota,
                                                const model::Usage& demand,
                                                const std::string& key) const;
    // Reserves `demand` for `key` in the ledger, so the slot can be released before the
    // status write that records the admission (writes then run in parallel across workers).
    void admitted(const std::string& key, const model::Usage& demand);
    // Whether this process admitted `key` and the cache does not show it yet.
    bool reserved(const std::string& key) const;
    // Lets other workers admit into the tier.
    void unlock() { lock_.unlock(); }

  private:
    friend class Admission;
    Slot(Admission& admission, std::string tier, std::unique_lock<std::mutex> lock)
        : admission_(admission), tier_(std::move(tier)), lock_(std::move(lock)) {}
    Admission& admission_;
    std::string tier_;
    std::unique_lock<std::mutex> lock_;
  };

  Slot lock(const std::string& tier);
  // Drops a reservation whose status write failed.
  void cancel(const std::string& tier, const std::string& key);

private:
  struct TierState {
    std::mutex mu;
    // Guarded by mu: keys admitted by this process that the cache may not show yet.
    std::map<std::string, model::Usage> ledger;
  };
  TierState& state(const std::string& tier);

  const DatabaseIndex& index_;
  std::mutex mu_;
  // Guarded by mu_. Entries are never removed, so references stay valid.
  std::map<std::string, std::unique_ptr<TierState>> tiers_;
};

}  // namespace daap::controller
