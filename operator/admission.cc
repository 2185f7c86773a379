#include "operator/admission.h"

#include <algorithm>

namespace daap::controller {

std::optional<model::QuotaViolation> decideAdmission(const model::Quota& quota,
                                                     const model::Usage& used,
                                                     const model::Usage& demand,
                                                     const std::vector<std::string>& pending,
                                                     const std::string& key) {
  model::Usage total = used;
  for (const std::string& candidate : pending) {
    if (std::optional<model::QuotaViolation> violation = model::checkQuota(quota, total, demand)) {
      return violation;
    }
    if (candidate == key) {
      return std::nullopt;
    }
    total += demand;
  }
  return model::checkQuota(quota, total, demand);
}

Admission::TierState& Admission::state(const std::string& tier) {
  std::lock_guard lock(mu_);
  std::unique_ptr<TierState>& entry = tiers_[tier];
  if (entry == nullptr) {
    entry = std::make_unique<TierState>();
  }
  return *entry;
}

Admission::Slot Admission::lock(const std::string& tier) {
  TierState& tier_state = state(tier);
  std::unique_lock lock(tier_state.mu);
  // Forget what the cache now shows (admitted, or gone).
  for (auto it = tier_state.ledger.begin(); it != tier_state.ledger.end();) {
    const std::optional<DatabaseSummary> summary = index_.find(it->first);
    if (!summary.has_value() || summary->admitted) {
      it = tier_state.ledger.erase(it);
    } else {
      ++it;
    }
  }
  return Slot(*this, tier, std::move(lock));
}

void Admission::cancel(const std::string& tier, const std::string& key) {
  TierState& tier_state = state(tier);
  std::lock_guard lock(tier_state.mu);
  tier_state.ledger.erase(key);
}

model::Usage Admission::Slot::used() const {
  model::Usage total = admission_.index_.admittedUsage(tier_);
  for (const auto& [key, demand] : admission_.state(tier_).ledger) {
    total += demand;
  }
  return total;
}

std::vector<std::string> Admission::Slot::pending() const {
  std::vector<std::string> keys = admission_.index_.pending(tier_);
  const auto& ledger = admission_.state(tier_).ledger;
  std::erase_if(keys, [&](const std::string& key) { return ledger.contains(key); });
  return keys;
}

std::vector<std::string> Admission::Slot::pendingUpTo(const std::string& key) const {
  std::vector<std::string> keys = admission_.index_.pendingUpTo(tier_, key);
  const auto& ledger = admission_.state(tier_).ledger;
  std::erase_if(keys, [&](const std::string& pending_key) { return ledger.contains(pending_key); });
  return keys;
}

std::optional<model::QuotaViolation> Admission::Slot::decide(const model::Quota& quota,
                                                             const model::Usage& demand,
                                                             const std::string& key) const {
  const model::Usage allocated = used();
  // An upper bound of what is ahead of `key`: its pending list also holds this process's
  // admissions the cache does not show yet, which used() already counts.
  const auto ahead = static_cast<int64_t>(admission_.index_.pendingCount(tier_));
  if (!model::checkQuota(quota, allocated + demand * ahead, demand).has_value()) {
    return std::nullopt;
  }
  return decideAdmission(quota, allocated, demand, pendingUpTo(key), key);
}

bool Admission::Slot::reserved(const std::string& key) const {
  return admission_.state(tier_).ledger.contains(key);
}

void Admission::Slot::admitted(const std::string& key, const model::Usage& demand) {
  admission_.state(tier_).ledger[key] = demand;
}

}  // namespace daap::controller
