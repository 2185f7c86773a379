#pragma once

#include <chrono>
#include <mutex>
#include <string>

namespace daap {

// Time as components see it, injected so tests can drive it. Thread-safe.
class Clock {
public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() const = 0;
  virtual std::chrono::steady_clock::time_point monotonicNow() const = 0;
};

class SystemClock final : public Clock {
public:
  std::chrono::system_clock::time_point now() const override;
  std::chrono::steady_clock::time_point monotonicNow() const override;
};

// A clock that moves only when told to. Both readings advance together.
class FakeClock final : public Clock {
public:
  explicit FakeClock(std::chrono::system_clock::time_point start);
  std::chrono::system_clock::time_point now() const override;
  std::chrono::steady_clock::time_point monotonicNow() const override;
  void advance(std::chrono::nanoseconds by);

private:
  mutable std::mutex mu_;
  // Guarded by mu_.
  std::chrono::system_clock::time_point now_;
  std::chrono::steady_clock::time_point monotonic_now_;
};

// RFC 3339 in UTC: "2026-11-27T12:00:00Z" (seconds) or with ".000000" microseconds.
std::string formatRfc3339(std::chrono::system_clock::time_point time);
std::string formatRfc3339Micro(std::chrono::system_clock::time_point time);

}  // namespace daap
