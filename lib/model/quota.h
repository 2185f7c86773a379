#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "lib/base/result.h"
#include "lib/model/quantity.h"
#include "lib/model/tier.h"

namespace daap::model {

// What databases allocate under a tier, counted the way spec.quota limits it: each database
// counts once, and instances times its per-instance cpu, memory and storage size. Exact
// (Quantity milli-units). Sums saturate at the largest Quantity instead of overflowing, so an
// absurd tier fails the quota check rather than wrapping around to fit.
struct Usage {
  int64_t databases = 0;
  Quantity cpu;
  Quantity memory;
  Quantity storage;

  bool operator==(const Usage&) const = default;
};

Usage demandOf(const TierParameters& parameters);

Usage& operator+=(Usage& total, const Usage& more);
Usage operator+(Usage a, const Usage& b);
// Clamped at zero per dimension: usage never goes negative, even if a release is counted twice.
Usage& operator-=(Usage& total, const Usage& less);
Usage operator-(Usage a, const Usage& b);
// `count` databases of the same demand; saturates like the sums.
Usage operator*(Usage demand, int64_t count);

// The first quota dimension a new database would exceed, in the fixed order databases, cpu,
// memory, storage.
struct QuotaViolation {
  std::string dimension;  // databases | cpu | memory | storage
  std::string limit;      // Canonical quantity text ("25", "50Gi"), or a count.
  std::string used;
  std::string requested;

  // "tier quota exceeded for memory: limit 50Gi, used 49Gi, requested 2Gi".
  std::string message() const;
  bool operator==(const QuotaViolation&) const = default;
};

// nullopt when used + demand fits every limit (reaching a limit exactly fits).
std::optional<QuotaViolation> checkQuota(const Quota& quota, const Usage& used,
                                         const Usage& demand);

}  // namespace daap::model
