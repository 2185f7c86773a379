#pragma once

#include <chrono>
#include <functional>
#include <mutex>

namespace daap::kube {

// Client-side token bucket, as client-go's flowcontrol.NewTokenBucketRateLimiter: up to `burst`
// requests at once, then `qps` per second. acquire() reserves a token under the lock and waits
// outside it, so callers queue in arrival order without holding the lock while they sleep.
// The wait is real time from a steady time source (injectable for tests), not daap::Clock: a
// FakeClock elsewhere in a test must not stall or skip client throttling. Thread-safe.
class RateLimiter {
public:
  using TimeSource = std::function<std::chrono::steady_clock::time_point()>;
  using Sleeper = std::function<void(std::chrono::nanoseconds)>;

  // qps <= 0 disables limiting; burst < 1 counts as 1. Uses steady_clock and sleep_for.
  RateLimiter(double qps, int burst);
  // For tests: `now` and `sleep` replace steady_clock::now and this_thread::sleep_for.
  RateLimiter(double qps, int burst, TimeSource now, Sleeper sleep);

  // Blocks until the caller may send one request.
  void acquire();
  // Takes a token if one is available now, without waiting or queueing.
  bool tryAcquire();
  // Takes a token and returns how long the caller must wait before using it (zero when one is
  // available now). Later callers queue behind it.
  std::chrono::nanoseconds reserve();

  bool unlimited() const { return qps_ <= 0; }

private:
  // Requires mu_. Adds the tokens earned since last_.
  void refill(std::chrono::steady_clock::time_point now);

  const double qps_;
  const double burst_;
  const TimeSource now_;
  const Sleeper sleep_;

  std::mutex mu_;
  // Guarded by mu_. Negative while callers wait for tokens already promised to them.
  double tokens_;
  // Guarded by mu_.
  std::chrono::steady_clock::time_point last_;
};

}  // namespace daap::kube
