#include "lib/base/backoff.h"

#include <algorithm>

namespace daap {

Backoff::Backoff(std::chrono::milliseconds base, std::chrono::milliseconds max, uint64_t seed)
    : base_(base), max_(max), rng_(seed == 0 ? std::random_device{}() : seed) {}

std::chrono::milliseconds Backoff::next() {
  // Cap the exponent before shifting so a long outage cannot overflow.
  const int exponent = std::min(attempt_, 30);
  ++attempt_;
  const int64_t ceiling = std::min<int64_t>(base_.count() << exponent, max_.count());
  std::uniform_int_distribution<int64_t> jitter(ceiling / 2, ceiling);
  return std::chrono::milliseconds(jitter(rng_));
}

}  // namespace daap
