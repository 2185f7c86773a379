#include "lib/base/clock.h"

#include <time.h>

#include <algorithm>
#include <string>

namespace daap {

std::chrono::system_clock::time_point SystemClock::now() const {
  return std::chrono::system_clock::now();
}

std::chrono::steady_clock::time_point SystemClock::monotonicNow() const {
  return std::chrono::steady_clock::now();
}

FakeClock::FakeClock(std::chrono::system_clock::time_point start) : now_(start) {}

std::chrono::system_clock::time_point FakeClock::now() const {
  const std::lock_guard lock(mu_);
  return now_;
}

std::chrono::steady_clock::time_point FakeClock::monotonicNow() const {
  const std::lock_guard lock(mu_);
  return monotonic_now_;
}

void FakeClock::advance(std::chrono::nanoseconds by) {
  const std::lock_guard lock(mu_);
  now_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(by);
  monotonic_now_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(by);
}

namespace {

std::string formatUtc(std::chrono::system_clock::time_point time, bool with_micros) {
  const auto since_epoch = time.time_since_epoch();
  const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const time_t whole = static_cast<time_t>(seconds.count());
  struct tm utc {};
  gmtime_r(&whole, &utc);
  char buffer[40];
  const size_t length = strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%S", &utc);
  std::string out(buffer, length);
  if (with_micros) {
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(since_epoch - seconds).count();
    std::string digits = std::to_string(micros);
    out += '.';
    out.append(6 - std::min<size_t>(6, digits.size()), '0');
    out += digits;
  }
  out += 'Z';
  return out;
}

}  // namespace

std::string formatRfc3339(std::chrono::system_clock::time_point time) {
  return formatUtc(time, false);
}

std::string formatRfc3339Micro(std::chrono::system_clock::time_point time) {
  return formatUtc(time, true);
}

}  // namespace daap
