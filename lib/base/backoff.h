#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace daap {

// Exponential backoff with full jitter: the n-th delay is uniform in [base*2^n / 2, base*2^n],
// capped at `max`. Not thread-safe; one instance per retry loop.
class Backoff {
public:
  Backoff(std::chrono::milliseconds base, std::chrono::milliseconds max, uint64_t seed = 0);

  std::chrono::milliseconds next();
  void reset() { attempt_ = 0; }
  int attempts() const { return attempt_; }

private:
  std::chrono::milliseconds base_;
  std::chrono::milliseconds max_;
  int attempt_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace daap
