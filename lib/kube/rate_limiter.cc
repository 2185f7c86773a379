#include "lib/kube/rate_limiter.h"

#include <algorithm>
#include <thread>
#include <utility>

namespace daap::kube {

RateLimiter::RateLimiter(double qps, int burst)
    : RateLimiter(
          qps, burst, [] { return std::chrono::steady_clock::now(); },
          [](std::chrono::nanoseconds duration) { std::this_thread::sleep_for(duration); }) {}

RateLimiter::RateLimiter(double qps, int burst, TimeSource now, Sleeper sleep)
    : qps_(qps),
      burst_(std::max(burst, 1)),
      now_(std::move(now)),
      sleep_(std::move(sleep)),
      tokens_(burst_),
      last_(now_()) {}

void RateLimiter::refill(std::chrono::steady_clock::time_point now) {
  if (now <= last_) {
    return;
  }
  const double elapsed = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + elapsed * qps_);
  last_ = now;
}

std::chrono::nanoseconds RateLimiter::reserve() {
  if (unlimited()) {
    return std::chrono::nanoseconds(0);
  }
  std::lock_guard lock(mu_);
  refill(now_());
  tokens_ -= 1;
  if (tokens_ >= 0) {
    return std::chrono::nanoseconds(0);
  }
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(-tokens_ / qps_));
}

bool RateLimiter::tryAcquire() {
  if (unlimited()) {
    return true;
  }
  std::lock_guard lock(mu_);
  refill(now_());
  if (tokens_ < 1) {
    return false;
  }
  tokens_ -= 1;
  return true;
}

void RateLimiter::acquire() {
  // The lock is released before sleeping: the token is already ours.
  if (const std::chrono::nanoseconds wait = reserve(); wait > std::chrono::nanoseconds(0)) {
    sleep_(wait);
  }
}

}  // namespace daap::kube
